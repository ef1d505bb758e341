/**
 * Builds the binaries the disassembler is compared on: every C program of the corpus (test/programs) with
 * gcc -O0, gcc -O2 (glibc, dynamically linked PIE) and musl-gcc -static -O2, into test/.build/disasm.
 * Outputs are reused while they are newer than their sources.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, PROGRAMS_DIR } from '../corpus/paths';
import { specFor } from '../corpus/programs';

const execFileP = promisify(execFile);

export const DISASM_BUILD_DIR = join(BUILD_DIR, 'disasm');

export interface Variant {
  id: string;
  compiler: string;
  flags: string[];
}

export const VARIANTS: Variant[] = [
  { id: 'gcc-O0', compiler: 'gcc', flags: ['-O0'] },
  { id: 'gcc-O2', compiler: 'gcc', flags: ['-O2'] },
  { id: 'musl-static-O2', compiler: 'musl-gcc', flags: ['-static', '-O2'] },
];

export interface Binary {
  program: string;
  variant: string;
  path: string;
}

export function listPrograms(): string[] {
  return readdirSync(PROGRAMS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

function newestHeader(): number {
  return Math.max(
    0,
    ...readdirSync(PROGRAMS_DIR)
      .filter((f) => f.endsWith('.h'))
      .map((f) => statSync(join(PROGRAMS_DIR, f)).mtimeMs),
  );
}

async function build(program: string, v: Variant, headerTime: number): Promise<Binary> {
  const src = join(PROGRAMS_DIR, `${program}.c`);
  const out = join(DISASM_BUILD_DIR, `${program}.${v.id}`);
  const fresh = existsSync(out) && statSync(out).mtimeMs > Math.max(statSync(src).mtimeMs, headerTime);
  if (!fresh) {
    const cflags = specFor(program).cflags ?? [];
    const tmp = `${out}.tmp-${process.pid}`;
    await execFileP(v.compiler, [...v.flags, ...cflags, `-I${PROGRAMS_DIR}`, '-o', tmp, src, '-lm']);
    await execFileP('mv', ['-f', tmp, out]);
  }
  return { program, variant: v.id, path: out };
}

/** Builds every program in every variant (in parallel); returns the binaries in a stable order. */
export async function buildAll(): Promise<Binary[]> {
  mkdirSync(DISASM_BUILD_DIR, { recursive: true });
  const gi = join(BUILD_DIR, '.gitignore');
  if (!existsSync(gi)) writeFileSync(gi, '*\n');
  const headerTime = newestHeader();
  const jobs = listPrograms().flatMap((p) => VARIANTS.map((v) => ({ p, v })));
  const results: Binary[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      const { p, v } = jobs[k] as { p: string; v: Variant };
      results[k] = await build(p, v, headerTime);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return results;
}

/** Assembles a GNU as source (AT&T syntax) into an object file next to the other test builds. */
export async function assemble(name: string, source: string): Promise<string> {
  mkdirSync(DISASM_BUILD_DIR, { recursive: true });
  const src = join(DISASM_BUILD_DIR, `${name}.s`);
  const obj = join(DISASM_BUILD_DIR, `${name}.o`);
  writeFileSync(src, source);
  await execFileP('as', ['-o', obj, src]);
  return obj;
}
