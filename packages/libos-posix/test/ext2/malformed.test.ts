/**
 * Malformed images: whatever the bytes say, Ext2FileSystem refuses with an Ext2Error (CORRUPT for an
 * image that contradicts itself) and never throws anything else, never reads outside the image and never
 * hangs. Targeted damage first (a bad magic number, truncated images, group descriptors pointing outside
 * the file system, directory entries with bad rec_len or name_len, block pointers out of range, symbolic
 * links with absurd sizes, a root that is not a directory, hostile symbolic link graphs); then fast-check,
 * with a fixed seed, flips random bytes in the metadata of small valid images (one made by mkfs and
 * Ext2FileSystem, one by mke2fs -d) and walks the whole tree (readdir, lookup, resolve, stat, read,
 * readlink), then makes changes, allowing no exception but Ext2Error.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/files/file-stat';
import { Ext2Error, Ext2FileSystem, mkfs } from '../../src/index';
import { haveE2fsprogs, mke2fs, scratchDir } from '../support/e2fsprogs';
import { expectExt2Error, scratchInMemory } from '../support/ext2-read';

const describeE2fsprogs = describe.skipIf(!haveE2fsprogs && !process.env.CI);
scratchInMemory();

const BS = 1024;
const clock = () => 1_700_000_000;
/** The fast-check seed and runs of the random-damage property (EXT2_FUZZ_SEED/RUNS to search further). */
const FUZZ_SEED = Number(process.env.EXT2_FUZZ_SEED ?? 0x5eed);
const FUZZ_RUNS = Number(process.env.EXT2_FUZZ_RUNS ?? 300);

interface Base {
  image: Uint8Array;
  /** Bytes [1024, metadataEnd) hold the superblock, descriptors, bitmaps, inode table and directories. */
  metadataEnd: number;
  /** Bytes past this are unused. */
  usedEnd: number;
  inodes: Record<string, number>;
}

/**
 * A small image made by mkfs and Ext2FileSystem: directories and slow symbolic links first (so their
 * blocks follow the inode table), then files of every shape: direct, indirect, double-indirect, sparse
 * out to triple-indirect, and a hard link.
 */
function buildBase(): Base {
  const device = new MemoryBlockBackend(new Uint8Array(2 * 1024 * 1024));
  mkfs(device, { blockSize: BS, inodeSize: 128, time: 1_600_000_000, seed: 3 });
  const fs = Ext2FileSystem.mount(device, { clock });
  const root = fs.rootIno;
  const a = fs.mkdir(root, 'a', 0o755);
  const b = fs.mkdir(a, 'b', 0o700);
  const c = fs.mkdir(b, 'c', 0o755);
  const many = fs.mkdir(root, 'many', 0o755);
  for (let i = 0; i < 60; i++) fs.create(many, `entry-${i}-with-a-longer-name`, 0o644);
  fs.mkdir(many, 'sub', 0o755);
  const fast = fs.symlink(root, 'fast', 'a/b');
  const slow = fs.symlink(a, 'slow', `/${'x'.repeat(50)}/${'y'.repeat(60)}`);
  fs.symlink(c, 'up', '../../..');
  fs.symlink(root, 'loop1', 'loop2');
  fs.symlink(root, 'loop2', 'loop1');
  fs.symlink(root, 'dangling', 'a/nothing');
  const used = () => fs.statfs().blocks - fs.statfs().freeBlocks;
  fs.sync();
  const metadataEnd = (1 + used()) * BS;
  const hello = fs.create(a, 'hello', 0o644);
  fs.write(hello, 0, new TextEncoder().encode('hello, world\n'));
  const one = fs.create(root, 'one-block', 0o600);
  fs.write(one, 0, new Uint8Array(BS).fill(1));
  const indirect = fs.create(b, 'indirect', 0o644);
  fs.write(
    indirect,
    0,
    new Uint8Array(20 * BS).map((_, i) => i & 0xff),
  );
  const double = fs.create(root, 'double', 0o644);
  fs.write(
    double,
    0,
    new Uint8Array((12 + 256 + 10) * BS).map((_, i) => (i * 7) & 0xff),
  );
  const sparse = fs.create(root, 'sparse', 0o644);
  fs.write(sparse, 200 * BS, new Uint8Array(100).fill(9));
  fs.write(sparse, 70 * 1024 * 1024, new Uint8Array(100).fill(8));
  fs.link(c, 'hard', hello);
  fs.create(root, 'empty', 0o644);
  fs.unmount();
  return {
    image: device.bytes,
    metadataEnd,
    usedEnd: (1 + used()) * BS,
    inodes: { root, a, b, c, many, fast, slow, hello, one, indirect, double, sparse },
  };
}

const base = buildBase();

function copyOfBase(): Uint8Array {
  return base.image.slice();
}

// ------------------------------------------------------------------ poking at an image

function view(image: Uint8Array): DataView {
  return new DataView(image.buffer, image.byteOffset, image.byteLength);
}

/** Byte offset of inode `ino` in a one-group, 1 KiB-block image. */
function inodeAt(image: Uint8Array, ino: number): number {
  const v = view(image);
  const table = v.getUint32(2 * BS + 8, true);
  const inodeSize = v.getUint16(1024 + 88, true);
  return table * BS + (ino - 1) * inodeSize;
}

/** i_block[i] of inode `ino`. */
function blockPointer(image: Uint8Array, ino: number, i: number): number {
  return view(image).getUint32(inodeAt(image, ino) + 40 + 4 * i, true);
}

function setBlockPointer(image: Uint8Array, ino: number, i: number, value: number): void {
  view(image).setUint32(inodeAt(image, ino) + 40 + 4 * i, value >>> 0, true);
}

function setSize(image: Uint8Array, ino: number, size: number): void {
  view(image).setUint32(inodeAt(image, ino) + 4, size % 2 ** 32, true);
  view(image).setUint32(inodeAt(image, ino) + 108, Math.floor(size / 2 ** 32), true);
}

function mount(image: Uint8Array): Ext2FileSystem {
  return Ext2FileSystem.mount(new MemoryBlockBackend(image), { clock });
}

const blocksCount = view(base.image).getUint32(1024 + 4, true);

// ------------------------------------------------------------------ targeted damage

describe('malformed images are refused with CORRUPT', () => {
  it('the base image is sound', () => {
    const fs = mount(copyOfBase());
    expect(fs.readdir(fs.rootIno).map((e) => e.name)).toContain('double');
    expect(new TextDecoder().decode(fs.read(fs.resolve('/a/b/c/hard'), 0, 100))).toBe('hello, world\n');
    expect(fs.read(base.inodes.sparse as number, 70 * 1024 * 1024, 100)).toEqual(new Uint8Array(100).fill(8));
    expect(fs.readlink(base.inodes.slow as number)).toHaveLength(112);
  });

  it('a bad magic number', () => {
    for (const magic of [0, 0xef54, 0x53ef, 0xffff]) {
      const image = copyOfBase();
      view(image).setUint16(1024 + 56, magic, true);
      const error = expectExt2Error(() => mount(image), 'CORRUPT');
      expect(error.message).toMatch(/magic/);
      expect(error.errno).toBe(117); // EUCLEAN
    }
    expectExt2Error(() => mount(new Uint8Array(2 * 1024 * 1024)), 'CORRUPT');
    expectExt2Error(() => mount(new Uint8Array(2 * 1024 * 1024).fill(0xff)), 'CORRUPT');
  });

  it('truncated images', () => {
    for (const length of [
      0,
      1,
      1023,
      1024,
      1500,
      2047,
      2048,
      3 * BS,
      10 * BS,
      100 * BS,
      1024 * BS,
      base.image.length - BS,
      base.image.length - 1,
    ]) {
      const image = base.image.slice(0, length);
      const error = expectExt2Error(() => mount(image), 'CORRUPT');
      expect(error.message, `cut at ${length}`).toMatch(/too small|image only/);
    }
  });

  it('a superblock with impossible geometry', () => {
    const damage: [string, (v: DataView) => void][] = [
      ['block size 2^40', (v) => v.setUint32(1024 + 24, 30, true)],
      ['no blocks per group', (v) => v.setUint32(1024 + 32, 0, true)],
      ['more blocks per group than a bitmap holds', (v) => v.setUint32(1024 + 32, 8 * BS + 1, true)],
      ['no inodes per group', (v) => v.setUint32(1024 + 40, 0, true)],
      ['inodes per group past a bitmap', (v) => v.setUint32(1024 + 40, 8 * BS + 8, true)],
      ['inode count not groups times inodes per group', (v) => v.setUint32(1024 + 0, 12345, true)],
      ['inode size 100', (v) => v.setUint16(1024 + 88, 100, true)],
      ['inode size 384', (v) => v.setUint16(1024 + 88, 384, true)],
      ['inode size past the block', (v) => v.setUint16(1024 + 88, 2048, true)],
      ['first data block 0 with 1 KiB blocks', (v) => v.setUint32(1024 + 20, 0, true)],
      ['more blocks than the image', (v) => v.setUint32(1024 + 4, blocksCount * 4, true)],
      ['one block', (v) => v.setUint32(1024 + 4, 1, true)],
      ['revision 7', (v) => v.setUint32(1024 + 76, 7, true)],
      ['first inode 3', (v) => v.setUint32(1024 + 84, 3, true)],
      ['more free blocks than blocks', (v) => v.setUint32(1024 + 12, blocksCount + 1, true)],
    ];
    for (const [what, change] of damage) {
      const image = copyOfBase();
      change(view(image));
      const error = expectExt2Error(() => mount(image), 'CORRUPT');
      expect(error.message.length, what).toBeGreaterThan(10);
    }
  });

  it('group descriptors pointing outside the file system or over the superblock', () => {
    for (const [field, value] of [
      [8, blocksCount + 10], // inode table past the end
      [8, blocksCount - 2], // inode table running past the end
      [8, 0xffffffff],
      [0, blocksCount], // block bitmap
      [4, 0x80000000], // inode bitmap
      [0, 0], // block bitmap over the boot block
      [8, 1], // inode table over the superblock
    ] as const) {
      const image = copyOfBase();
      view(image).setUint32(2 * BS + field, value, true);
      const error = expectExt2Error(() => mount(image), 'CORRUPT');
      expect(error.message).toMatch(/group 0/);
    }
  });

  it('a root inode that is not a directory, or free', () => {
    for (const mode of [0, 0o100644, 0o120777]) {
      const image = copyOfBase();
      view(image).setUint16(inodeAt(image, 2), mode, true);
      expectExt2Error(() => mount(image), 'CORRUPT');
    }
  });

  it('directory entries with a bad rec_len or name_len, or an inode out of range', () => {
    const root = base.inodes.root as number;
    const a = base.inodes.a as number;
    for (const [target, damage] of [
      [root, (v: DataView, o: number) => v.setUint16(o + 4, 0, true)], // rec_len 0 (would loop forever)
      [root, (v: DataView, o: number) => v.setUint16(o + 4, 6, true)], // shorter than a header
      [root, (v: DataView, o: number) => v.setUint16(o + 4, 13, true)], // not a multiple of 4
      [root, (v: DataView, o: number) => v.setUint16(o + 12 + 4, BS, true)], // past the block
      [root, (v: DataView, o: number) => v.setUint8(o + 24 + 6, 200)], // name past rec_len
      [a, (v: DataView, o: number) => v.setUint32(o + 24, 0xffffff, true)], // inode out of range
      [a, (v: DataView, o: number) => v.setUint32(o + 24, 0xffffffff, true)],
    ] as const) {
      const image = copyOfBase();
      const block = blockPointer(image, target, 0);
      damage(view(image), block * BS);
      const fs = mount(image);
      const path = target === root ? '/' : '/a';
      const dir = target === root ? root : fs.resolve('/a');
      const error = expectExt2Error(() => fs.readdir(dir), 'CORRUPT');
      expect(error.message).toMatch(new RegExp(`directory ${target}, block 0, offset \\d+`));
      expectExt2Error(() => fs.lookup(dir, 'not-there'), 'CORRUPT');
      expectExt2Error(() => fs.resolve(`${path === '/' ? '' : path}/not-there`), 'CORRUPT');
      // A change refused for the corruption writes nothing.
      fs.sync();
      const before = image.slice();
      expectExt2Error(() => fs.create(dir, 'new-file', 0o644), 'CORRUPT');
      expectExt2Error(() => fs.mkdir(dir, 'new-dir', 0o755), 'CORRUPT');
      fs.sync();
      expect(Buffer.from(image).equals(Buffer.from(before))).toBe(true);
    }
  });

  it('a directory with a hole, or a size that is not whole blocks', () => {
    const image = copyOfBase();
    setBlockPointer(image, base.inodes.many as number, 1, 0);
    let fs = mount(image);
    expect(expectExt2Error(() => fs.readdir(base.inodes.many as number), 'CORRUPT').message).toMatch(/hole/);
    const image2 = copyOfBase();
    setSize(image2, base.inodes.b as number, BS + 5);
    fs = mount(image2);
    expect(expectExt2Error(() => fs.readdir(base.inodes.b as number), 'CORRUPT').message).toMatch(/size/);
  });

  it('block pointers out of range: direct, indirect, inside an indirect block', () => {
    const { one, indirect, double } = base.inodes as Record<string, number>;
    for (const [ino, slot, at] of [
      [one, 0, 0],
      [indirect, 5, 5 * BS],
      [indirect, 12, 12 * BS], // the single-indirect block
      [double, 13, (12 + 256) * BS], // the double-indirect block
    ] as const) {
      for (const value of [blocksCount, blocksCount + 1, 0x7fffffff, 0xffffffff]) {
        const image = copyOfBase();
        setBlockPointer(image, ino, slot, value);
        const fs = mount(image);
        expect(fs.stat(ino).size).toBeGreaterThan(0);
        const error = expectExt2Error(() => fs.read(ino, at, 100), 'CORRUPT');
        expect(error.message).toMatch(/outside the file system/);
        expectExt2Error(() => fs.write(ino, at, new Uint8Array(10)), 'CORRUPT');
      }
    }
    // A pointer inside the single-indirect block.
    const image = copyOfBase();
    const table = blockPointer(image, indirect, 12);
    view(image).setUint32(table * BS + 4 * 3, 0xfffffff0, true);
    const fs = mount(image);
    expect(fs.read(indirect, 14 * BS, 10)).toEqual(new Uint8Array(10).map((_, i) => (14 * BS + i) & 0xff));
    expectExt2Error(() => fs.read(indirect, 15 * BS, 10), 'CORRUPT');
  });

  it('a block used twice (an indirect block listing itself, two files sharing a block) is CORRUPT when freed', () => {
    const { indirect, one, hello } = base.inodes as Record<string, number>;
    for (const change of [
      (fs: Ext2FileSystem) => fs.truncate(indirect, 13 * BS), // frees entries 1.. of the indirect block
      (fs: Ext2FileSystem) => fs.truncate(indirect, 0),
      (fs: Ext2FileSystem) => fs.unlink(base.inodes.b as number, 'indirect'),
    ]) {
      const image = copyOfBase();
      const table = blockPointer(image, indirect, 12);
      view(image).setUint32(table * BS + 4 * 3, table, true); // logical block 15 is the indirect block
      const fs = mount(image);
      expectExt2Error(() => change(fs), 'CORRUPT');
    }
    const image = copyOfBase();
    setBlockPointer(image, hello, 0, blockPointer(image, one, 0));
    const fs = mount(image);
    fs.unlink(2, 'one-block');
    expectExt2Error(() => fs.truncate(hello, 0), 'CORRUPT');
  });

  it("a block pointer at the group's bitmaps or inode table is CORRUPT when freed, and they stay in use", () => {
    const { one } = base.inodes as Record<string, number>;
    const v = view(base.image);
    const blockBitmap = v.getUint32(2 * BS, true);
    const inodeBitmap = v.getUint32(2 * BS + 4, true);
    const inodeTable = v.getUint32(2 * BS + 8, true);
    for (const target of [blockBitmap, inodeBitmap, inodeTable, inodeTable + 3]) {
      for (const change of [
        (fs: Ext2FileSystem) => fs.unlink(2, 'one-block'),
        (fs: Ext2FileSystem) => fs.truncate(one, 0),
      ]) {
        const image = copyOfBase();
        setBlockPointer(image, one, 0, target);
        const fs = mount(image);
        const free = fs.statfs().freeBlocks;
        expect(expectExt2Error(() => change(fs), 'CORRUPT').message).toMatch(/bitmaps or inode table/);
        expect(fs.statfs().freeBlocks).toBe(free);
        fs.sync();
        const bitmap = image[blockBitmap * BS + ((target - 1) >> 3)] as number;
        expect(bitmap & (1 << ((target - 1) & 7)), `block ${target} is still in use`).not.toBe(0);
      }
    }
  });

  it('symbolic links with absurd sizes', () => {
    const { fast, slow } = base.inodes as Record<string, number>;
    for (const [ino, size] of [
      [fast, 0xffffffff],
      [fast, 2 ** 40],
      [fast, 61], // a fast link longer than i_block
      [fast, BS],
      [slow, BS], // as long as its block
      [slow, 2 ** 33 + 5],
    ] as const) {
      const image = copyOfBase();
      setSize(image, ino, size);
      const fs = mount(image);
      const error = expectExt2Error(() => fs.readlink(ino), 'CORRUPT');
      expect(error.message).toMatch(/symbolic link/);
      const name = ino === fast ? '/fast' : '/a/slow';
      expectExt2Error(() => fs.resolve(name), 'CORRUPT');
      expectExt2Error(() => fs.resolve(`${name}/x`), 'CORRUPT');
      expect(fs.resolve(name, false)).toBe(ino);
    }
    // A slow link whose block is gone.
    const image = copyOfBase();
    setBlockPointer(image, slow, 0, 0);
    expect(expectExt2Error(() => mount(image).readlink(slow), 'CORRUPT').message).toMatch(/no block/);
  });

  it('symbolic link loops end in ELOOP', () => {
    const fs = mount(copyOfBase());
    expect(expectExt2Error(() => fs.resolve('/loop1'), 'ELOOP').errno).toBe(40);
    expectExt2Error(() => fs.resolve('/loop2/x'), 'ELOOP');
    expect(fs.resolve('/a/b/c/up/a/b/c/up/fast/c/up/one-block')).toBe(base.inodes.one);
  });

  it('a symbolic link graph that doubles at every level resolves, or fails, in bounded time', () => {
    // l0 -> ".", l<n> -> "l<n-1>/l<n-1>": following every link of /l30 takes 2^31 steps; Linux
    // counts the links a lookup follows (at most 40) and gives ELOOP.
    const device = new MemoryBlockBackend(new Uint8Array(1024 * 1024));
    mkfs(device);
    const fs = Ext2FileSystem.mount(device, { clock });
    fs.symlink(2, 'l0', '.');
    for (let n = 1; n <= 30; n++) fs.symlink(2, `l${n}`, `l${n - 1}/l${n - 1}`);
    expect(fs.resolve('/l1')).toBe(2);
    expect(fs.resolve('/l4')).toBe(2); // 31 links followed
    const started = performance.now();
    expectExt2Error(() => fs.resolve('/l30'), 'ELOOP');
    expectExt2Error(() => fs.resolve('/l30/l30/l30'), 'ELOOP');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('directory cycles made by damage do not make rename or resolve loop', () => {
    // /a/b/c's entry "hard" retargeted at directory /a: a cycle a -> b -> c -> a.
    const image = copyOfBase();
    const fs0 = mount(image.slice());
    const cBlock = blockPointer(image, base.inodes.c as number, 0);
    const entries = fs0.readdir(base.inodes.c as number);
    expect(entries.map((e) => e.name)).toContain('hard');
    // Find the entry in the block and point it at /a.
    const data = image.subarray(cBlock * BS, cBlock * BS + BS);
    for (let at = 0; at < BS; ) {
      const recLen = view(data).getUint16(at + 4, true);
      const name = new TextDecoder().decode(data.subarray(at + 8, at + 8 + (data[at + 6] as number)));
      if (name === 'hard') {
        view(data).setUint32(at, base.inodes.a as number, true);
        data[at + 7] = 2;
      }
      at += recLen;
    }
    const fs = mount(image);
    expect(fs.resolve('/a/b/c/hard/b/c/hard/b')).toBe(base.inodes.b);
    // Moving /a into its own (damaged) subtree is refused, whichever way the cycle is met.
    const error = expectExt2Error(() => fs.rename(2, 'a', base.inodes.c as number, 'moved'));
    expect(['EINVAL', 'CORRUPT']).toContain(error.code);
  });
});

// ------------------------------------------------------------------ random damage

/** Calls `body`; an Ext2Error is an allowed outcome (undefined), anything else fails the property. */
function attempt<T>(body: () => T): T | undefined {
  try {
    return body();
  } catch (e) {
    if (e instanceof Ext2Error) return undefined;
    throw e;
  }
}

/** Reads everything reachable, within bounds: at most `entries` entries, `depth` levels. */
function walkEverything(fs: Ext2FileSystem, entries = 300, depth = 10): number {
  let left = entries;
  attempt(() => fs.statfs());
  const visit = (ino: number, path: string, level: number): void => {
    if (level > depth) return;
    const list = attempt(() => fs.readdir(ino)) ?? [];
    for (const e of list) {
      if (left-- <= 0) return;
      const p = `${path}/${e.name}`;
      attempt(() => fs.lookup(ino, e.name));
      attempt(() => fs.resolve(p, false));
      attempt(() => fs.resolve(p));
      const st = attempt(() => fs.stat(e.ino));
      if (st === undefined) continue;
      switch (st.mode & S_IFMT) {
        case S_IFDIR:
          visit(e.ino, p, level + 1);
          break;
        case S_IFREG:
          attempt(() => fs.read(e.ino, 0, 64 * 1024));
          attempt(() => fs.read(e.ino, Math.max(0, st.size - 10), 4096));
          attempt(() => fs.read(e.ino, Math.floor(st.size / 2), 2 * BS));
          break;
        case S_IFLNK:
          attempt(() => fs.readlink(e.ino));
          break;
        default:
          attempt(() => fs.read(e.ino, 0, 16));
      }
    }
  };
  visit(fs.rootIno, '', 0);
  return entries - left;
}

/** A few changes of every kind (they may be refused: only with an Ext2Error). */
function changeThings(fs: Ext2FileSystem): void {
  const root = fs.rootIno;
  const file = attempt(() => fs.create(root, 'fuzz-file', 0o644));
  if (file !== undefined) {
    attempt(() => fs.write(file, 0, new Uint8Array(3000).fill(0x5a)));
    attempt(() => fs.write(file, 14 * BS, new Uint8Array(10).fill(1)));
    attempt(() => fs.truncate(file, 100));
    attempt(() => fs.link(root, 'fuzz-link', file));
    attempt(() => fs.rename(root, 'fuzz-link', root, 'fuzz-renamed'));
  }
  const dir = attempt(() => fs.mkdir(root, 'fuzz-dir', 0o755));
  if (dir !== undefined) attempt(() => fs.symlink(dir, 'fuzz-symlink', 'y'.repeat(80)));
  for (const e of attempt(() => fs.readdir(root)) ?? []) {
    if (e.name.startsWith('fuzz')) continue;
    const st = attempt(() => fs.stat(e.ino));
    if (st === undefined) continue;
    if ((st.mode & S_IFMT) === S_IFREG) attempt(() => fs.truncate(e.ino, 5));
    if ((st.mode & S_IFMT) === S_IFDIR) attempt(() => fs.rmdir(root, e.name));
    else attempt(() => fs.unlink(root, e.name));
  }
  attempt(() => fs.setAttributes(root, { mode: 0o700, mtime: 5 }));
  attempt(() => fs.rename(root, 'fuzz-dir', root, 'fuzz-dir-2'));
  attempt(() => fs.unmount());
}

interface Flip {
  offset: number;
  value: number;
  /** Set the byte to `value` rather than flipping one bit of it. */
  set: boolean;
}

function damaged(image: Uint8Array, flips: Flip[]): Uint8Array {
  const out = image.slice();
  for (const f of flips) out[f.offset] = f.set ? f.value : (out[f.offset] as number) ^ (1 << (f.value & 7));
  return out;
}

/** Random damage: mostly in [1024, metadataEnd), sometimes anywhere in the used part of the image. */
function flipsIn(metadataEnd: number, usedEnd: number): fc.Arbitrary<Flip[]> {
  const offset = fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 1024, max: metadataEnd - 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: usedEnd - 1 }) },
  );
  return fc.array(fc.record({ offset, value: fc.integer({ min: 0, max: 255 }), set: fc.boolean() }), {
    minLength: 1,
    maxLength: 12,
  });
}

function fuzz(image: Uint8Array, metadataEnd: number, usedEnd: number, seed: number, numRuns: number): void {
  let mounted = 0;
  let walked = 0;
  fc.assert(
    fc.property(flipsIn(metadataEnd, usedEnd), fc.boolean(), (flips, change) => {
      const started = performance.now();
      const bytes = damaged(image, flips);
      const fs = attempt(() =>
        Ext2FileSystem.mount(new MemoryBlockBackend(bytes), { clock, cacheBlocks: 64 }),
      );
      if (fs !== undefined) {
        mounted++;
        walked += walkEverything(fs);
        if (change) changeThings(fs);
        else attempt(() => fs.unmount());
        // Whatever happened, the image can be mounted again or is refused, and walked again.
        const again = attempt(() => Ext2FileSystem.mount(new MemoryBlockBackend(bytes), { readOnly: true }));
        if (again !== undefined) walkEverything(again, 100, 5);
      }
      expect(performance.now() - started, 'one damaged image takes a moment, not more').toBeLessThan(3000);
    }),
    { seed, numRuns },
  );
  // The damage must leave most images mountable, or the walk would test nothing.
  expect(mounted).toBeGreaterThan(numRuns / 4);
  expect(walked).toBeGreaterThan(numRuns);
}

describe('random damage to metadata', () => {
  it('of an image made by mkfs and Ext2FileSystem: only Ext2Errors, nothing hangs', () => {
    expect(base.metadataEnd).toBeGreaterThan(20 * BS);
    fuzz(base.image, base.metadataEnd, base.usedEnd, FUZZ_SEED, FUZZ_RUNS);
  });
});

describeE2fsprogs('random damage to metadata of an image made by mke2fs -d', () => {
  it('only Ext2Errors, nothing hangs', () => {
    const scratch = scratchDir();
    let image: Uint8Array;
    try {
      const dir = join(scratch.dir, 'tree');
      mkdirSync(join(dir, 'd1', 'd2'), { recursive: true });
      for (let i = 0; i < 40; i++) writeFileSync(join(dir, 'd1', `f${i}`), 'x'.repeat(i * 97));
      writeFileSync(join(dir, 'big'), new Uint8Array(300 * BS).fill(3));
      symlinkSync('d1/f3', join(dir, 'fast'));
      symlinkSync('z'.repeat(200), join(dir, 'd1', 'd2', 'slow'));
      image = mke2fs(1024, ['-b', '1024', '-I', '128', '-N', '64'], dir);
    } finally {
      scratch.remove();
    }
    // Metadata and directories: the first blocks, up to the first block of big's data.
    const fs = Ext2FileSystem.mount(new MemoryBlockBackend(image.slice()), { readOnly: true });
    expect(walkEverything(fs)).toBeGreaterThan(40);
    const tableEnd = inodeAt(image, 64) + 128;
    fuzz(image, Math.max(tableEnd, 40 * BS), 400 * BS, FUZZ_SEED + 1, Math.ceil(FUZZ_RUNS * 0.8));
  });
});
