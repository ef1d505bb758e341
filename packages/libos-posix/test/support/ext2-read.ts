/**
 * Shared pieces of the ext2 reading, mkfs, feature and malformed-image tests: a seeded random number
 * generator, a check that an operation is refused with a given Ext2Error code, and parsers for the
 * output of debugfs.
 */
import { accessSync, constants } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { Ext2Error, type Ext2ErrorCode } from '../../src/index';
import { debugfs } from './e2fsprogs';

/** mulberry32: a small deterministic generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi] from `random`. */
export function between(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** `n` pseudo-random bytes from `random`. */
export function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Runs `body`, expecting an Ext2Error (with `code` when given); returns it for further checks. */
export function expectExt2Error(body: () => unknown, code?: Ext2ErrorCode): Ext2Error {
  let thrown: unknown = null;
  try {
    body();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'an Ext2Error was expected').toBeInstanceOf(Ext2Error);
  const error = thrown as Ext2Error;
  if (code !== undefined) expect(error.code, error.message).toBe(code);
  return error;
}

/** The "Name: value" lines of `debugfs stats` (the superblock part) as a map. */
export function parseStats(output: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^([A-Za-z][A-Za-z #/()-]*?):\s+(.*?)\s*$/.exec(line);
    if (m !== null && !fields.has(m[1] as string)) fields.set(m[1] as string, m[2] as string);
  }
  return fields;
}

/** The group lines of `debugfs stats` ("Group  0: block bitmap at ...", and its free counts). */
export function groupLines(output: string): string[] {
  const lines = output.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*Group\s+\d+:/.test(line)) out.push(`${line.trim()} ${(lines[i + 1] ?? '').trim()}`);
  }
  return out;
}

/** The fields of `debugfs stat PATH` that the tests compare. */
export interface DebugfsInode {
  ino: number;
  type: string;
  mode: number;
  flags: number;
  size: number;
  links: number;
  blockcount: number;
}

export function parseInodeStat(output: string): DebugfsInode {
  const num = (re: RegExp): number => {
    const m = re.exec(output);
    if (m === null) throw new Error(`debugfs stat: no ${re} in\n${output}`);
    return Number(m[1]);
  };
  const type = /Type:\s+(\S+)/.exec(output);
  return {
    ino: num(/Inode:\s+(\d+)/),
    type: type === null ? '' : (type[1] as string),
    mode: Number.parseInt(/Mode:\s+(\d+)/.exec(output)?.[1] ?? 'NaN', 8),
    flags: Number.parseInt(/Flags:\s+0x([0-9a-f]+)/i.exec(output)?.[1] ?? 'NaN', 16),
    size: num(/Size:\s+(\d+)\s*$/m),
    links: num(/Links:\s+(\d+)/),
    blockcount: num(/Blockcount:\s+(\d+)/),
  };
}

/** Runs several debugfs requests in one debugfs process; returns each request's output, in order. */
export function debugfsEach(image: Uint8Array, requests: string[]): string[] {
  const output = debugfs(image, requests);
  const parts = output.split(/^debugfs: .*$/m).slice(1);
  if (parts.length !== requests.length)
    throw new Error(`debugfs: ${requests.length} requests, output:\n${output}`);
  return parts;
}

/**
 * Puts the scratch files of the calling test file (trees for mke2fs -d, the images e2fsprogs reads) on
 * /dev/shm when there is one: creating thousands of small files and writing images of tens of MiB is
 * several times faster in memory than on a disk shared with other work.
 */
export function scratchInMemory(): void {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.TMPDIR;
    try {
      accessSync('/dev/shm', constants.W_OK);
      process.env.TMPDIR = '/dev/shm';
    } catch {
      // No /dev/shm: the default temporary directory.
    }
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
}
