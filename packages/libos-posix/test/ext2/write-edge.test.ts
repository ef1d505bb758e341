/**
 * Edge cases of ext2 writing, each checked by e2fsprogs: a full file system (blocks and inodes), a file
 * past 2 GiB, a file unlinked while open, the errors of the namespace operations, the longest names, link
 * counts, a directory growing past its first block and shrinking, attributes, and what sync leaves on the
 * device when the machine dies after it.
 */
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFMT } from '../../src/files/file-stat';
import { Ext2FileSystem, type Ext2StatFs, mkfs } from '../../src/index';
import { debugfsRead, e2fsck, haveE2fsprogs, mke2fs } from '../support/e2fsprogs';
import { debugfsEach, firstDifference, outcome, parseLs, parseStat, pattern } from './write-support';

const T0 = 1_650_000_000;
const ROOT = 2;

function fresh(
  bytes: number,
  options: {
    blockSize?: number;
    inodeSize?: number;
    bytesPerInode?: number;
    reservedPercent?: number;
    cacheBlocks?: number;
  } = {},
) {
  const device = new MemoryBlockBackend(bytes);
  mkfs(device, {
    blockSize: options.blockSize ?? 1024,
    inodeSize: options.inodeSize,
    bytesPerInode: options.bytesPerInode,
    reservedPercent: options.reservedPercent,
    time: T0,
    seed: 7,
  });
  const clock = { now: T0 + 100 };
  const fs = Ext2FileSystem.mount(device, { clock: () => clock.now, cacheBlocks: options.cacheBlocks });
  return { device, fs, clock };
}

/** The image is clean for `e2fsck -fn` (its output in the failure message). */
function expectClean(image: Uint8Array): void {
  const r = e2fsck(image);
  expect(r.status, r.output).toBe(0);
}

function counts(s: Ext2StatFs): { freeBlocks: number; freeInodes: number } {
  return { freeBlocks: s.freeBlocks, freeInodes: s.freeInodes };
}

function statOf(image: Uint8Array, spec: string) {
  return parseStat(debugfsEach(image, [`stat ${spec}`])[0] as string);
}

function features(image: Uint8Array): string[] {
  const out = debugfsEach(image, ['features'])[0] as string;
  return out.replace('Filesystem features:', '').trim().split(/\s+/);
}

describe.skipIf(!haveE2fsprogs && !process.env.CI)('ext2 writing: edge cases, checked by e2fsprogs', () => {
  it('fills the blocks: a short write, then ENOSPC that changes nothing; deleting gives every block back', () => {
    const { device, fs } = fresh(600 * 1024, { reservedPercent: 0, bytesPerInode: 4096 });
    const baseline = counts(fs.statfs());
    const d = fs.mkdir(ROOT, 'd', 0o755);
    const outside = fs.create(ROOT, 'outside', 0o644);
    const written: { ino: number; data: Uint8Array }[] = [];
    let short = -1;
    for (let i = 0; short < 0 && i < 100; i++) {
      const ino = fs.create(d, `f${i}`, 0o644);
      const data = pattern(i, 40 * 1024 + 333);
      const n = fs.write(ino, 0, data);
      written.push({ ino, data: data.subarray(0, n) });
      if (n < data.length) short = n;
    }
    expect(short, 'a write came back short').toBeGreaterThan(0);
    expect(fs.statfs().freeBlocks).toBe(0);
    const last = written[written.length - 1] as { ino: number; data: Uint8Array };
    expect(fs.stat(last.ino).size).toBe(short);

    // Nothing more fits: refused, and nothing is left behind (no entry, no inode, no block).
    const before = counts(fs.statfs());
    expect(outcome(() => fs.write(last.ino, short, new Uint8Array(10)))).toBe('ENOSPC');
    expect(outcome(() => fs.mkdir(d, 'nodir', 0o755))).toBe('ENOSPC');
    expect(outcome(() => fs.symlink(d, 'slow', 's'.repeat(200)))).toBe('ENOSPC');
    expect(counts(fs.statfs())).toEqual(before);
    expect(outcome(() => fs.lookup(d, 'nodir'))).toBe('ENOENT');
    expect(outcome(() => fs.lookup(d, 'slow'))).toBe('ENOENT');
    expect(fs.stat(last.ino).size).toBe(short);
    // An inode without blocks still fits: an empty file, a fast symbolic link.
    const empty = fs.create(d, 'empty', 0o600);
    fs.symlink(d, 'fast', 'f0');
    // Names until the directory's blocks are full: the entry that needs a new block is refused cleanly.
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      const free = fs.statfs().freeInodes;
      const r = outcome(() => fs.create(d, `${'n'.repeat(200)}${i}`, 0o644));
      if (r !== 'ok') {
        expect(r).toBe('ENOSPC');
        expect(fs.statfs().freeInodes).toBe(free);
        expect(outcome(() => fs.lookup(d, `${'n'.repeat(200)}${i}`))).toBe('ENOENT');
        refused = true;
      }
    }
    expect(refused).toBe(true);
    // Renaming or linking into the full directory is refused the same way, and changes nothing.
    const longName = `${'n'.repeat(200)}-moved`;
    expect(outcome(() => fs.rename(ROOT, 'outside', d, longName))).toBe('ENOSPC');
    expect(outcome(() => fs.link(d, longName, outside))).toBe('ENOSPC');
    expect(fs.lookup(ROOT, 'outside')).toBe(outside);
    expect(fs.stat(outside).links).toBe(1);
    expect(outcome(() => fs.lookup(d, longName))).toBe('ENOENT');
    // Everything written reads back, through the file system and through debugfs.
    for (const w of written) {
      expect(firstDifference(fs.read(w.ino, 0, w.data.length + 10), w.data)).toBe(-1);
    }
    expect(fs.stat(empty).size).toBe(0);
    fs.unmount();
    expectClean(device.bytes);
    expect(
      firstDifference(debugfsRead(device.bytes, '/d/f0') as Uint8Array, written[0]?.data as Uint8Array),
    ).toBe(-1);
    expect(firstDifference(debugfsRead(device.bytes, `<${last.ino}>`) as Uint8Array, last.data)).toBe(-1);

    const again = Ext2FileSystem.mount(device, { clock: () => T0 + 200 });
    for (const e of again.readdir(d)) again.unlink(d, e.name);
    again.rmdir(ROOT, 'd');
    again.unlink(ROOT, 'outside');
    expect(counts(again.statfs())).toEqual(baseline);
    again.unmount();
    expectClean(device.bytes);
  });

  it('a write that needs an indirect block and a data block, with room for one, is refused cleanly', () => {
    const { device, fs } = fresh(400 * 1024);
    const filler = fs.create(ROOT, 'filler', 0o644);
    const small = fs.create(ROOT, 'small', 0o644);
    fs.write(small, 0, pattern(1, 4 * 1024));
    // Fill the rest, then free exactly one block (the last of `small`, a direct one).
    for (let at = 0; fs.statfs().freeBlocks > 0; at += 64 * 1024) {
      const r = outcome(() => fs.write(filler, at, pattern(2, 64 * 1024, at)));
      expect(['ok', 'ENOSPC']).toContain(r);
    }
    fs.truncate(small, 3 * 1024);
    expect(fs.statfs().freeBlocks).toBe(1);
    const sparse = fs.create(ROOT, 'sparse', 0o644);
    // Logical block 20 is under the single-indirect block: two blocks needed, one free.
    expect(outcome(() => fs.write(sparse, 20 * 1024, pattern(3, 100)))).toBe('ENOSPC');
    expect(fs.stat(sparse).size).toBe(0);
    // The one free block still serves a direct block.
    expect(fs.write(sparse, 0, pattern(4, 100))).toBe(100);
    expect(fs.statfs().freeBlocks).toBe(0);
    // Two free blocks, a write over logical blocks 11 and 12: block 11 is written, block 12 (an indirect
    // block and a data block) is not, and the indirect block taken for it is given back.
    fs.truncate(small, 1024);
    expect(fs.statfs().freeBlocks).toBe(2);
    expect(fs.write(sparse, 11 * 1024, pattern(5, 2048))).toBe(1024);
    expect(fs.stat(sparse)).toMatchObject({ size: 12 * 1024, blocks: 4 });
    expect(fs.statfs().freeBlocks).toBe(1);
    fs.unmount();
    expectClean(device.bytes);
  });

  it('runs out of inodes: create and mkdir refuse with ENOSPC; deleting gives every inode back', () => {
    const { device, fs } = fresh(256 * 1024, { bytesPerInode: 256 * 1024, inodeSize: 128 });
    const baseline = counts(fs.statfs());
    expect(baseline.freeInodes).toBeGreaterThan(0);
    const made: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = outcome(() => fs.create(ROOT, `f${i}`, 0o644));
      if (r !== 'ok') {
        expect(r).toBe('ENOSPC');
        break;
      }
      made.push(`f${i}`);
    }
    expect(made.length).toBe(baseline.freeInodes);
    expect(fs.statfs().freeInodes).toBe(0);
    const blocks = fs.statfs().freeBlocks;
    expect(outcome(() => fs.mkdir(ROOT, 'dir', 0o755))).toBe('ENOSPC');
    expect(outcome(() => fs.symlink(ROOT, 'link', 'f0'))).toBe('ENOSPC');
    expect(fs.statfs().freeBlocks).toBe(blocks);
    expect(fs.readdir(ROOT).map((e) => e.name)).toEqual(['lost+found', ...made]);
    fs.unmount();
    expectClean(device.bytes);

    const again = Ext2FileSystem.mount(device, { clock: () => T0 + 200 });
    for (const name of made) again.unlink(ROOT, name);
    expect(counts(again.statfs())).toEqual(baseline);
    again.unmount();
    expectClean(device.bytes);
  });

  for (const blockSize of [4096, 1024]) {
    it(`a file past 2 GiB, written sparsely at 3 GiB (${blockSize}-byte blocks)`, () => {
      const { device, fs } = fresh(16 * 2 ** 20, { blockSize });
      const baseline = counts(fs.statfs());
      const ino = fs.create(ROOT, 'huge', 0o644);
      const at = 3 * 2 ** 30;
      const data = pattern(9, 5);
      expect(fs.write(ino, at, data)).toBe(5);
      expect(fs.stat(ino).size).toBe(at + 5);
      expect(firstDifference(fs.read(ino, at - 3, 100), new Uint8Array([0, 0, 0, ...data]))).toBe(-1);
      expect(firstDifference(fs.read(ino, 2 ** 31, 4096), new Uint8Array(4096))).toBe(-1);
      fs.unmount();
      expectClean(device.bytes);
      expect(features(device.bytes)).toContain('large_file');
      const [stat, bmap] = debugfsEach(device.bytes, [
        'stat /huge',
        `bmap /huge ${Math.floor(at / blockSize)}`,
      ]) as [string, string];
      expect(parseStat(stat).size).toBe(at + 5);
      // The data block debugfs maps the offset to holds the bytes.
      const physical = Number(bmap.trim());
      expect(physical).toBeGreaterThan(0);
      const within = (at % blockSize) + physical * blockSize;
      expect([...device.bytes.subarray(within, within + 5)]).toEqual([...data]);

      // Truncated back to nothing: every block comes back, large_file stays.
      const again = Ext2FileSystem.mount(device, { clock: () => T0 + 300 });
      again.truncate(ino, 0);
      expect(counts(again.statfs())).toEqual({ ...baseline, freeInodes: baseline.freeInodes - 1 });
      again.unmount();
      expectClean(device.bytes);
      expect(features(device.bytes)).toContain('large_file');
    });
  }

  it('turns large_file on when a file first passes 2 GiB (an image mke2fs made without it)', () => {
    const image = mke2fs(32 * 1024, ['-b', '1024', '-O', '^large_file,^resize_inode,^dir_index,^ext_attr']);
    expect(features(image)).not.toContain('large_file');
    const device = new MemoryBlockBackend(image);
    const fs = Ext2FileSystem.mount(device, { clock: () => T0 });
    const ino = fs.create(ROOT, 'f', 0o644);
    fs.write(ino, 0x7fffffff - 1, new Uint8Array([1]));
    fs.sync();
    expect(features(device.bytes)).not.toContain('large_file');
    fs.write(ino, 0x7fffffff, new Uint8Array([2]));
    fs.unmount();
    expect(features(device.bytes)).toContain('large_file');
    expect(statOf(device.bytes, '/f').size).toBe(2 ** 31);
    expectClean(device.bytes);
  });

  it('a file unlinked while open keeps its blocks until the last close', () => {
    const { device, fs } = fresh(2 * 2 ** 20);
    const baseline = counts(fs.statfs());
    const ino = fs.create(ROOT, 'open', 0o644);
    const data = pattern(5, 50 * 1024);
    fs.write(ino, 0, data);
    const used = counts(fs.statfs());
    fs.open(ino);
    fs.open(ino);
    fs.unlink(ROOT, 'open');
    expect(outcome(() => fs.lookup(ROOT, 'open'))).toBe('ENOENT');
    expect(fs.stat(ino).links).toBe(0);
    expect(firstDifference(fs.read(ino, 0, data.length), data)).toBe(-1);
    expect(counts(fs.statfs())).toEqual(used);
    // Still writable by inode.
    expect(fs.write(ino, data.length, pattern(6, 100))).toBe(100);
    fs.close(ino);
    expect(fs.stat(ino).size).toBe(data.length + 100);
    fs.close(ino);
    expect(outcome(() => fs.stat(ino))).toBe('ENOENT');
    expect(outcome(() => fs.close(ino))).toBe('EINVAL');
    expect(counts(fs.statfs())).toEqual(baseline);

    // The same for a file replaced by a rename while open.
    const victim = fs.create(ROOT, 'victim', 0o644);
    fs.write(victim, 0, pattern(7, 20 * 1024));
    const other = fs.create(ROOT, 'other', 0o644);
    fs.write(other, 0, pattern(8, 1000));
    fs.open(victim);
    const held = counts(fs.statfs());
    fs.rename(ROOT, 'other', ROOT, 'victim');
    expect(fs.lookup(ROOT, 'victim')).toBe(other);
    expect(firstDifference(fs.read(victim, 0, 20 * 1024), pattern(7, 20 * 1024))).toBe(-1);
    expect(counts(fs.statfs())).toEqual(held);
    fs.close(victim);
    expect(fs.statfs().freeBlocks).toBe(held.freeBlocks + 21); // 20 data blocks, 1 indirect
    expect(fs.statfs().freeInodes).toBe(held.freeInodes + 1);
    fs.unmount();
    expectClean(device.bytes);
    expect(firstDifference(debugfsRead(device.bytes, '/victim') as Uint8Array, pattern(8, 1000))).toBe(-1);
  });

  it('refuses what POSIX refuses, with the errno POSIX and Linux give', () => {
    const { device, fs } = fresh(2 * 2 ** 20);
    const d = fs.mkdir(ROOT, 'd', 0o755);
    const sub = fs.mkdir(d, 'sub', 0o755);
    const deep = fs.mkdir(sub, 'deep', 0o755);
    const file = fs.create(d, 'file', 0o644);
    const empty = fs.mkdir(ROOT, 'empty', 0o755);
    fs.symlink(ROOT, 'sym', 'd');
    const code = (body: () => unknown) => outcome(body);

    expect(code(() => fs.rmdir(ROOT, 'd'))).toBe('ENOTEMPTY');
    expect(code(() => fs.rmdir(d, 'file'))).toBe('ENOTDIR');
    expect(code(() => fs.rmdir(ROOT, 'sym'))).toBe('ENOTDIR');
    expect(code(() => fs.rmdir(ROOT, 'missing'))).toBe('ENOENT');
    expect(code(() => fs.rmdir(d, '.'))).toBe('EINVAL');
    expect(code(() => fs.unlink(ROOT, 'd'))).toBe('EISDIR');
    expect(code(() => fs.unlink(ROOT, 'missing'))).toBe('ENOENT');
    // A directory cannot move into itself or below itself.
    expect(code(() => fs.rename(ROOT, 'd', d, 'x'))).toBe('EINVAL');
    expect(code(() => fs.rename(ROOT, 'd', sub, 'x'))).toBe('EINVAL');
    expect(code(() => fs.rename(ROOT, 'd', deep, 'x'))).toBe('EINVAL');
    expect(code(() => fs.rename(ROOT, 'd', deep, 'd'))).toBe('EINVAL');
    // Replacing: a directory only an empty directory, a file only a non-directory.
    expect(code(() => fs.rename(ROOT, 'empty', d, 'file'))).toBe('ENOTDIR');
    expect(code(() => fs.rename(d, 'file', ROOT, 'empty'))).toBe('EISDIR');
    expect(code(() => fs.rename(ROOT, 'empty', ROOT, 'd'))).toBe('ENOTEMPTY');
    expect(code(() => fs.rename(ROOT, 'missing', ROOT, 'x'))).toBe('ENOENT');
    // "." or ".." as either name: EINVAL as POSIX has it (Linux says EBUSY).
    expect(code(() => fs.rename(ROOT, '.', ROOT, 'x'))).toBe('EINVAL');
    expect(code(() => fs.rename(ROOT, 'empty', ROOT, '..'))).toBe('EINVAL');
    // Renaming onto itself does nothing.
    expect(code(() => fs.rename(ROOT, 'd', ROOT, 'd'))).toBe('ok');
    expect(code(() => fs.create(d, 'file', 0o644))).toBe('EEXIST');
    expect(code(() => fs.mkdir(d, 'sub', 0o755))).toBe('EEXIST');
    expect(code(() => fs.symlink(d, 'sub', 'x'))).toBe('EEXIST');
    expect(code(() => fs.link(d, 'sub', file))).toBe('EEXIST');
    expect(code(() => fs.mkdir(d, '..', 0o755))).toBe('EEXIST');
    expect(code(() => fs.create(file, 'x', 0o644))).toBe('ENOTDIR');
    expect(code(() => fs.mkdir(file, 'x', 0o755))).toBe('ENOTDIR');
    expect(code(() => fs.readdir(file))).toBe('ENOTDIR');
    expect(code(() => fs.lookup(file, 'x'))).toBe('ENOTDIR');
    expect(code(() => fs.link(ROOT, 'dlink', d))).toBe('EPERM');
    expect(code(() => fs.write(d, 0, new Uint8Array(1)))).toBe('EISDIR');
    expect(code(() => fs.truncate(d, 0))).toBe('EISDIR');
    expect(code(() => fs.read(d, 0, 1))).toBe('EISDIR');
    expect(code(() => fs.readlink(file))).toBe('EINVAL');
    expect(code(() => fs.symlink(ROOT, 'l', ''))).toBe('ENOENT');
    expect(code(() => fs.symlink(ROOT, 'l', 'x'.repeat(1024)))).toBe('ENAMETOOLONG');
    expect(code(() => fs.write(file, -1, new Uint8Array(1)))).toBe('EINVAL');
    expect(code(() => fs.truncate(file, -1))).toBe('EINVAL');
    // Past the largest file 1 KiB blocks allow (12 + 256 + 256^2 + 256^3 blocks).
    const max = (12 + 256 + 256 ** 2 + 256 ** 3) * 1024;
    expect(code(() => fs.write(file, max, new Uint8Array(1)))).toBe('EFBIG');
    expect(code(() => fs.truncate(file, max + 1))).toBe('EFBIG');
    expect(fs.stat(file).size).toBe(0);
    // Nothing was changed by any of it.
    expect(fs.readdir(ROOT).map((e) => e.name)).toEqual(['lost+found', 'd', 'empty', 'sym']);
    expect(fs.readdir(d).map((e) => e.name)).toEqual(['sub', 'file']);
    expect(fs.stat(d).links).toBe(3);
    expect(fs.stat(empty).links).toBe(2);
    fs.unmount();
    expectClean(device.bytes);
  });

  it('names of 255 bytes are accepted and 256 refused with ENAMETOOLONG', () => {
    const { device, fs } = fresh(2 * 2 ** 20);
    const long = 'x'.repeat(255);
    const longUtf8 = `${'\u00e9'.repeat(127)}a`; // 255 bytes
    const tooLong = 'y'.repeat(256);
    const tooLongUtf8 = '\u00e9'.repeat(128); // 256 bytes, 128 characters
    const f = fs.create(ROOT, long, 0o644);
    fs.write(f, 0, pattern(1, 3000));
    const d = fs.mkdir(ROOT, longUtf8, 0o755);
    fs.symlink(d, long, `/${long}`);
    fs.link(d, `${long.slice(1)}z`, f);
    expect(fs.lookup(ROOT, long)).toBe(f);
    expect(fs.resolve(`/${longUtf8}/${long}`)).toBe(f);
    for (const name of [tooLong, tooLongUtf8]) {
      expect(outcome(() => fs.create(ROOT, name, 0o644))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.mkdir(ROOT, name, 0o755))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.symlink(ROOT, name, 'x'))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.link(ROOT, name, f))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.rename(ROOT, long, ROOT, name))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.lookup(ROOT, name))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.unlink(ROOT, name))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.rmdir(ROOT, name))).toBe('ENAMETOOLONG');
      expect(outcome(() => fs.rename(ROOT, name, ROOT, 'short'))).toBe('ENAMETOOLONG');
    }
    fs.rename(ROOT, long, d, `${long.slice(2)}zz`);
    fs.unmount();
    expectClean(device.bytes);
    const [root, dir] = debugfsEach(device.bytes, ['ls -p <2>', `ls -p <${d}>`]) as [string, string];
    expect(parseLs(root).map((e) => e.name)).toEqual(['lost+found', longUtf8]);
    expect(
      parseLs(dir)
        .map((e) => e.name)
        .sort(),
    ).toEqual([long, `${long.slice(1)}z`, `${long.slice(2)}zz`].sort());
    expect(statOf(device.bytes, `<${f}>`).links).toBe(2);
    expect(
      firstDifference(
        debugfsRead(device.bytes, `/${longUtf8}/${long.slice(2)}zz`) as Uint8Array,
        pattern(1, 3000),
      ),
    ).toBe(-1);
  });

  it('counts hard links, and directory links as 2 + subdirectories, as debugfs and e2fsck see them', () => {
    const { device, fs } = fresh(2 * 2 ** 20);
    const a = fs.mkdir(ROOT, 'a', 0o755);
    const b = fs.mkdir(ROOT, 'b', 0o755);
    const f = fs.create(a, 'f', 0o644);
    fs.write(f, 0, pattern(2, 5000));
    fs.link(a, 'g', f);
    fs.link(b, 'f', f);
    fs.link(ROOT, 'top', f);
    expect(fs.stat(f).links).toBe(4);
    // Renaming one link of a file onto another of the same file does nothing.
    fs.rename(a, 'g', b, 'f');
    expect(fs.lookup(a, 'g')).toBe(f);
    expect(fs.stat(f).links).toBe(4);
    fs.unlink(a, 'g');
    fs.unlink(ROOT, 'top');
    expect(fs.stat(f).links).toBe(2);
    // Renaming a file over another drops a link of the one replaced.
    const x = fs.create(b, 'x', 0o644);
    fs.link(a, 'x2', x);
    fs.rename(ROOT, 'a', ROOT, 'a'); // (a directory onto itself: nothing)
    fs.rename(b, 'f', b, 'x');
    expect(fs.stat(x).links).toBe(1);
    fs.rename(b, 'x', b, 'f');
    for (const n of ['s1', 's2', 's3', 's4']) fs.mkdir(a, n, 0o755);
    fs.rmdir(a, 's2');
    fs.rename(a, 's3', b, 's3');
    fs.rename(a, 's4', ROOT, 's4');
    fs.mkdir(b, 'e', 0o700);
    fs.rename(b, 's3', b, 'e'); // a directory replacing an empty one in the same directory
    const expected: Record<string, number> = { '<2>': 6, '/a': 3, '/b': 3, '/s4': 2, '/a/f': 2 };
    for (const [path, links] of Object.entries(expected))
      expect(fs.stat(fs.resolve(path.replace('<2>', '/'))).links).toBe(links);
    expect(fs.lookup(fs.resolve('/b/e'), '..')).toBe(b);
    fs.unmount();
    expectClean(device.bytes);
    const stats = debugfsEach(
      device.bytes,
      Object.keys(expected).map((p) => `stat ${p}`),
    );
    expect(stats.map((s) => parseStat(s).links)).toEqual(Object.values(expected));
    expect(
      parseLs(debugfsEach(device.bytes, ['ls -p /b'])[0] as string)
        .map((e) => [e.name, e.mode & S_IFMT])
        .sort(),
    ).toEqual([
      ['e', S_IFDIR],
      ['f', 0o100000],
    ]);
  });

  it('a directory grows past one block (into its indirect block) and shrinks, staying valid', () => {
    const { device, fs } = fresh(4 * 2 ** 20, { cacheBlocks: 8, bytesPerInode: 4096 });
    const baseline = counts(fs.statfs());
    const d = fs.mkdir(ROOT, 'big', 0o755);
    const names = Array.from(
      { length: 500 },
      (_, i) => `entry-${String(i).padStart(4, '0')}-${'p'.repeat(i % 23)}`,
    );
    const inos = new Map<string, number>();
    for (const [i, name] of names.entries()) {
      inos.set(name, i % 10 === 0 ? fs.mkdir(d, name, 0o755) : fs.create(d, name, 0o644));
    }
    const grown = fs.stat(d).size;
    expect(grown / 1024).toBeGreaterThan(12);
    expect(fs.stat(d).links).toBe(2 + 50);
    fs.sync();
    expectClean(device.bytes.slice());
    const listed = parseLs(debugfsEach(device.bytes, ['ls -p /big'])[0] as string);
    expect(listed.map((e) => [e.name, e.ino]).sort()).toEqual([...inos].sort());

    // Delete most entries (every first entry of a block among them), then the rest but a few.
    const keep = new Set([names[7], names[250], names[499]]);
    for (const [i, name] of names.entries()) {
      if (keep.has(name)) continue;
      if (i % 10 === 0) fs.rmdir(d, name);
      else fs.unlink(d, name);
    }
    expect(
      fs
        .readdir(d)
        .map((e) => e.name)
        .sort(),
    ).toEqual([...keep].sort());
    expect(fs.stat(d).size).toBe(grown);
    expect(fs.stat(d).links).toBe(3);
    // New entries reuse the freed space: the directory does not grow.
    for (let i = 0; i < 100; i++) fs.create(d, `again-${i}`, 0o644);
    expect(fs.stat(d).size).toBe(grown);
    fs.unmount();
    expectClean(device.bytes);
    const after = parseLs(debugfsEach(device.bytes, ['ls -p /big'])[0] as string).map((e) => e.name);
    expect(after.sort()).toEqual([...keep, ...Array.from({ length: 100 }, (_, i) => `again-${i}`)].sort());

    const again = Ext2FileSystem.mount(device, { clock: () => T0 + 500 });
    for (const e of again.readdir(d)) {
      if (e.type === 2) again.rmdir(d, e.name);
      else again.unlink(d, e.name);
    }
    again.rmdir(ROOT, 'big');
    expect(counts(again.statfs())).toEqual(baseline);
    again.unmount();
    expectClean(device.bytes);
  });

  it('setAttributes: mode, owner and times as debugfs stat shows them', () => {
    const { device, fs, clock } = fresh(2 * 2 ** 20, { inodeSize: 128 });
    const f = fs.create(ROOT, 'f', 0o644, { uid: 10, gid: 20 });
    const d = fs.mkdir(ROOT, 'd', 0o755);
    clock.now = T0 + 5000;
    fs.setAttributes(f, {
      mode: 0o4751,
      uid: 100_000,
      gid: 70_000,
      atime: 1_111_111_111,
      mtime: 1_222_222_222,
    });
    fs.setAttributes(d, { mode: 0o1777 });
    clock.now = T0 + 6000;
    fs.setAttributes(d, { uid: 4_000_000_000 });
    expect(fs.stat(f)).toMatchObject({ mode: 0o104751, uid: 100_000, gid: 70_000, atime: 1_111_111_111 });
    fs.unmount();
    expectClean(device.bytes);
    const [sf, sd] = debugfsEach(device.bytes, ['stat /f', 'stat /d']).map(parseStat) as [
      ReturnType<typeof parseStat>,
      ReturnType<typeof parseStat>,
    ];
    expect(sf).toMatchObject({
      type: 'regular',
      mode: 0o4751,
      uid: 100_000,
      gid: 70_000,
      atime: 1_111_111_111,
      mtime: 1_222_222_222,
      ctime: T0 + 5000,
    });
    expect(sd).toMatchObject({
      type: 'directory',
      mode: 0o1777,
      uid: 4_000_000_000,
      gid: 0,
      ctime: T0 + 6000,
    });
    expect(sd.mtime).toBe(T0 + 100);
  });

  for (const cacheBlocks of [4096, 4]) {
    it(`after sync the device holds a clean file system; later unsynced changes are not needed (cache ${cacheBlocks})`, () => {
      const { device, fs } = fresh(4 * 2 ** 20, { cacheBlocks });
      const d = fs.mkdir(ROOT, 'd', 0o755);
      const a = fs.create(d, 'a', 0o644);
      const data = pattern(11, 300 * 1024);
      fs.write(a, 0, data);
      fs.fsync(a);
      const crash1 = device.bytes.slice();
      // More changes, not synced (with the tiny cache some reach the device as it trims itself).
      const b = fs.create(ROOT, 'b', 0o644);
      fs.write(b, 0, pattern(12, 100 * 1024));
      fs.write(a, 1000, pattern(13, 500));
      fs.sync();
      const crash2 = device.bytes.slice();
      fs.unlink(d, 'a');
      fs.rmdir(ROOT, 'lost+found');
      fs.write(b, 200 * 1024, pattern(14, 10));

      expectClean(crash1);
      expect(firstDifference(debugfsRead(crash1, '/d/a') as Uint8Array, data)).toBe(-1);
      expect(debugfsRead(crash1, '/b')).toBeNull();
      // The crashed image mounts, and reads the synced file.
      const after = Ext2FileSystem.mount(new MemoryBlockBackend(crash1), { clock: () => T0 + 900 });
      expect(firstDifference(after.read(after.resolve('/d/a'), 0, data.length), data)).toBe(-1);

      expectClean(crash2);
      const changed = data.slice();
      changed.set(pattern(13, 500), 1000);
      expect(firstDifference(debugfsRead(crash2, '/d/a') as Uint8Array, changed)).toBe(-1);
      expect(firstDifference(debugfsRead(crash2, '/b') as Uint8Array, pattern(12, 100 * 1024))).toBe(-1);
    });
  }
});
