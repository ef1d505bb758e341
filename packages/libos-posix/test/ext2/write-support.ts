/**
 * Helpers for the ext2 writing tests: one debugfs run for many requests (its output split per request),
 * `stat` and `ls -p` parsed, many files dumped at once, deterministic file contents, and the random
 * attribute changes the model tests make.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { debugfs, scratchDir } from '../support/e2fsprogs';

/** Runs the requests in one debugfs and returns each one's output, in order. */
export function debugfsEach(image: Uint8Array, requests: string[]): string[] {
  if (requests.length === 0) return [];
  const out = debugfs(image, requests);
  // debugfs echoes every request after its prompt: "debugfs: REQUEST\n", then the request's output.
  const sections = out.split(/^debugfs: /m).slice(1);
  if (sections.length !== requests.length) {
    throw new Error(`debugfs answered ${sections.length} of ${requests.length} requests:\n${out}`);
  }
  return sections.map((s) => s.slice(s.indexOf('\n') + 1));
}

export interface DebugfsStat {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  blockcount: number;
  atime: number;
  mtime: number;
  ctime: number;
  /** The target of a fast symbolic link, or null. */
  fastLink: string | null;
  flags: number;
}

function field(text: string, re: RegExp, what: string): string {
  const m = re.exec(text);
  if (m === null || m[1] === undefined) throw new Error(`debugfs stat without ${what}:\n${text}`);
  return m[1];
}

export function parseStat(text: string): DebugfsStat {
  const fast = /^Fast link dest: "(.*)"$/m.exec(text);
  return {
    type: field(text, /Type: (\S+)/, 'Type'),
    mode: Number.parseInt(field(text, /Mode:\s+(\d+)/, 'Mode'), 8),
    // debugfs prints ids of 2^31 and more as negative numbers.
    uid: Number(field(text, /User:\s+(-?\d+)/, 'User')) >>> 0,
    gid: Number(field(text, /Group:\s+(-?\d+)/, 'Group')) >>> 0,
    size: Number(field(text, /Size: (\d+)/, 'Size')),
    links: Number(field(text, /Links: (\d+)/, 'Links')),
    blockcount: Number(field(text, /Blockcount: (\d+)/, 'Blockcount')),
    atime: Number.parseInt(field(text, /atime: 0x([0-9a-f]{8})/, 'atime'), 16),
    mtime: Number.parseInt(field(text, /mtime: 0x([0-9a-f]{8})/, 'mtime'), 16),
    ctime: Number.parseInt(field(text, /ctime: 0x([0-9a-f]{8})/, 'ctime'), 16),
    fastLink: fast === null ? null : (fast[1] as string),
    flags: Number.parseInt(field(text, /Flags: 0x([0-9a-f]+)/, 'Flags'), 16),
  };
}

export interface DebugfsEntry {
  ino: number;
  mode: number;
  name: string;
}

/** `ls -p` output: "/ino/mode/uid/gid/name/size/" per entry, "." and ".." and unused entries left out. */
export function parseLs(text: string): DebugfsEntry[] {
  const out: DebugfsEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/(\d+)\/(\d+)\/-?\d+\/-?\d+\/(.*)\/\d*\/$/.exec(line);
    if (m === null) continue;
    const name = m[3] as string;
    // Unused entries (inode 0) are listed too.
    if (name === '.' || name === '..' || m[1] === '0') continue;
    out.push({ ino: Number(m[1]), mode: Number.parseInt(m[2] as string, 8), name });
  }
  return out;
}

/** Dumps many inodes (`<ino>` or paths) with one debugfs run; a file debugfs could not find is null. */
export function debugfsDumpAll(image: Uint8Array, specs: string[]): (Uint8Array | null)[] {
  const { dir, remove } = scratchDir('exov6-ext2-dump-');
  try {
    debugfsEach(
      image,
      specs.map((s, i) => `dump ${s} ${join(dir, String(i))}`),
    );
    return specs.map((_, i) => {
      try {
        return new Uint8Array(readFileSync(join(dir, String(i))));
      } catch {
        return null;
      }
    });
  } finally {
    remove();
  }
}

/** `length` bytes that depend on `seed` and on the position (so misplaced blocks show). */
export function pattern(seed: number, length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  const s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    const p = start + i;
    out[i] = (s + p * 131 + (p >>> 9) * 7) & 0xff;
  }
  return out;
}

/** The first index where the two differ, or -1 when they are equal (lengths included). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Runs `body` and returns 'ok' or the Ext2Error code it threw (anything else is rethrown). */
export function outcome(body: () => unknown): string {
  try {
    body();
    return 'ok';
  } catch (e) {
    if (e instanceof Error && e.name === 'Ext2Error') return (e as Error & { code: string }).code;
    throw e;
  }
}

/** A random setAttributes of the node `node` selects: any permission bits, owners from `ids`, any times. */
export function setattrArbitrary(node: fc.Arbitrary<number>, ids: readonly number[]) {
  return fc.record({
    k: fc.constant('setattr' as const),
    node,
    mode: fc.option(fc.nat({ max: 0o7777 })),
    uid: fc.option(fc.constantFrom(...ids)),
    gid: fc.option(fc.constantFrom(...ids)),
    atime: fc.option(fc.nat({ max: 0xffffffff })),
    mtime: fc.option(fc.nat({ max: 0xffffffff })),
  });
}

/** The attributes a drawn setattr sets (the ones it leaves out are not in the object). */
export function drawnAttributes(op: {
  mode: number | null;
  uid: number | null;
  gid: number | null;
  atime: number | null;
  mtime: number | null;
}) {
  return {
    ...(op.mode !== null ? { mode: op.mode } : {}),
    ...(op.uid !== null ? { uid: op.uid } : {}),
    ...(op.gid !== null ? { gid: op.gid } : {}),
    ...(op.atime !== null ? { atime: op.atime } : {}),
    ...(op.mtime !== null ? { mtime: op.mtime } : {}),
  };
}
