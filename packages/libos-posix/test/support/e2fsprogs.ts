/**
 * e2fsprogs as the oracle for the ext2 tests: images written to scratch files, checked with `e2fsck -fn`,
 * read with `debugfs`, and made from directories with `mke2fs -t ext2 -d`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function tool(name: string): string | null {
  for (const dir of SBIN) {
    const path = join(dir, name);
    if (spawnSync('test', ['-x', path]).status === 0) return path;
  }
  return null;
}

export const E2FSCK = tool('e2fsck');
export const DEBUGFS = tool('debugfs');
export const MKE2FS = tool('mke2fs');
export const haveE2fsprogs = E2FSCK !== null && DEBUGFS !== null && MKE2FS !== null;

/** A scratch directory removed by the returned function. */
export function scratchDir(prefix = 'exov6-ext2-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function withImageFile<T>(image: Uint8Array, body: (path: string) => T): T {
  const { dir, remove } = scratchDir();
  try {
    const path = join(dir, 'image');
    writeFileSync(path, image);
    return body(path);
  } finally {
    remove();
  }
}

export interface FsckResult {
  /** e2fsck's exit status: 0 clean, 4 errors left uncorrected (with -n), 8 operational error. */
  status: number;
  output: string;
}

/** `e2fsck -fn [EXTRA...] IMAGE`: a full check that changes nothing (`extra`, e.g. `-b 8193`, goes first). */
export function e2fsck(image: Uint8Array, extra: string[] = []): FsckResult {
  return withImageFile(image, (path) => {
    const r = spawnSync(E2FSCK as string, ['-fn', ...extra, path], { encoding: 'utf8' });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  });
}

/**
 * `e2fsck -fy [EXTRA...]`: repairs the image in place and returns the repaired bytes with the result
 * (`extra`, e.g. `-D` to index and compact directories, goes before the image path).
 */
export function e2fsckRepair(image: Uint8Array, extra: string[] = []): FsckResult & { image: Uint8Array } {
  return withImageFile(image, (path) => {
    const r = spawnSync(E2FSCK as string, ['-fy', ...extra, path], { encoding: 'utf8' });
    return {
      status: r.status ?? -1,
      output: `${r.stdout}${r.stderr}`,
      image: new Uint8Array(readFileSync(path)),
    };
  });
}

/** Runs debugfs requests (one per line) against the image, read-only; returns stdout. */
export function debugfs(image: Uint8Array, requests: string[]): string {
  return withImageFile(image, (path) => {
    const r = spawnSync(DEBUGFS as string, ['-f', '-', path], {
      input: `${requests.join('\n')}\n`,
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    });
    if (r.status !== 0) throw new Error(`debugfs failed: ${r.stderr}`);
    return r.stdout;
  });
}

/** A file's contents as debugfs reads them (`dump`), or null when debugfs cannot find it. */
export function debugfsRead(image: Uint8Array, path: string): Uint8Array | null {
  const { dir, remove } = scratchDir();
  try {
    const out = join(dir, 'out');
    debugfs(image, [`dump ${path} ${out}`]);
    try {
      return new Uint8Array(readFileSync(out));
    } catch {
      return null;
    }
  } finally {
    remove();
  }
}

/** `mke2fs -t ext2 [-d DIR]` on a fresh image of `sizeKiB`; extra arguments go before the image path. */
export function mke2fs(sizeKiB: number, args: string[] = [], from?: string): Uint8Array {
  const { dir, remove } = scratchDir();
  try {
    const path = join(dir, 'image');
    writeFileSync(path, new Uint8Array(0));
    const full = ['-q', '-F', '-t', 'ext2', '-E', 'root_owner=0:0', ...args];
    if (from !== undefined) full.push('-d', from);
    full.push(path, `${sizeKiB}k`);
    const r = spawnSync(MKE2FS as string, full, {
      encoding: 'utf8',
      env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', MKE2FS_DETERMINISTIC: '1' },
    });
    if (r.status !== 0) throw new Error(`mke2fs ${full.join(' ')} failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(path));
  } finally {
    remove();
  }
}
