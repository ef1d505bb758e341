/** Runs GNU objdump and parses its `-d` listing into instructions (address, raw bytes, text). */
import { execFileSync } from 'node:child_process';

export interface ObjdumpInsn {
  address: number;
  bytes: number[];
  text: string;
}

/** `objdump -d -j <section>`: instructions in address order; long encodings' continuation lines merged. */
export function objdumpSection(path: string, section = '.text'): ObjdumpInsn[] {
  const out = execFileSync('objdump', ['-d', '-w', '-j', section, path], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const result: ObjdumpInsn[] = [];
  for (const line of out.split('\n')) {
    const m = /^ *([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*(?:\t(.*))?$/.exec(line);
    if (!m) continue;
    const bytes = (m[2] as string)
      .trim()
      .split(' ')
      .map((b) => Number.parseInt(b, 16));
    const text = (m[3] ?? '').trimEnd();
    result.push({ address: Number.parseInt(m[1] as string, 16), bytes, text });
  }
  return result;
}
