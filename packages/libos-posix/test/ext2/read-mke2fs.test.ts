/**
 * Reading images that e2fsprogs made: a tree is built on the host with node:fs (nested directories, empty
 * files, files of exactly one block, files running from direct into single- and double-indirect blocks,
 * sparse files with holes, a sparse file reaching triple-indirect blocks, fast and slow symbolic links,
 * hard links, FIFOs and device nodes, a directory of hundreds of entries with names up to 255 bytes,
 * modes with setuid/setgid/sticky bits, owners past 16 bits, mtimes), copied into an image by
 * `mke2fs -t ext2 -d`, and everything Ext2FileSystem reports about the image is compared with the host
 * tree: names and types from readdir, lookup and resolve, stat's mode, owner, size, links and mtime,
 * contents, symbolic link targets, device numbers. st_blocks is compared with debugfs's Blockcount
 * (holes must stay holes). Trees come from a seeded generator, over 1, 2 and 4 KiB blocks and 128- and
 * 256-byte inodes.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
  chmodSync,
  lchownSync,
} from 'node:fs';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Ext2FileSystem } from '../../src/index';
import { e2fsck, haveE2fsprogs, mke2fs, scratchDir } from '../support/e2fsprogs';
import { between, debugfsEach, parseInodeStat, scratchInMemory, seededRandom } from '../support/ext2-read';

const describeE2fsprogs = describe.skipIf(!haveE2fsprogs && !process.env.CI);
scratchInMemory();
const isRoot = process.getuid?.() === 0;
const haveMknod = isRoot && spawnSync('mknod', ['--version']).status === 0;
const MiB = 1024 * 1024;

/** Fast deterministic contents: xorshift32 words from `seed`. */
function contents(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  let x = (seed | 1) >>> 0;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

interface Config {
  name: string;
  blockSize: number;
  inodeSize: number;
  seed: number;
  imageKiB: number;
  /** The largest sparse file: its last data lies past the double-indirect range. */
  tripleIndirect: boolean;
}

/** What the builder wrote where in sparse files, to compare those ranges of files too big to read. */
type Extents = Map<string, [number, number][]>;

class TreeBuilder {
  private nameCounter = 0;
  /** Paths whose times are set after everything is built (children before their parents). */
  private readonly times: { path: string; time: number; link: boolean }[] = [];
  readonly extents: Extents = new Map();
  readonly regularFiles: string[] = [];

  constructor(
    readonly root: string,
    readonly random: () => number,
    readonly blockSize: number,
  ) {}

  name(): string {
    const r = this.random();
    const n = this.nameCounter++;
    if (r < 0.05) return `${'L'.repeat(250)}${String(n).padStart(5, '0')}`; // 255 bytes
    if (r < 0.1) return `ünï-名前-${n}`;
    if (r < 0.15) return `with space ${n}`;
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
    let s = '';
    for (let i = between(this.random, 1, 24); i > 0; i--)
      s += alphabet[between(this.random, 0, alphabet.length - 1)];
    return `${s}~${n}`;
  }

  time(path: string, link = false): void {
    this.times.push({ path, time: between(this.random, 1_000_000_000, 2_000_000_000), link });
  }

  /** As root, gives half the files another owner (half of those with uids and gids past 16 bits). */
  owner(path: string): void {
    if (!isRoot || this.random() < 0.5) return;
    const uid = this.random() < 0.5 ? between(this.random, 1, 65535) : between(this.random, 65536, 4_000_000);
    const gid = between(this.random, 0, 200_000);
    lchownSync(path, uid, gid);
  }

  file(dir: string, name: string, size: number, mode = 0o644): string {
    const path = join(dir, name);
    writeFileSync(path, contents(size, this.nameCounter * 7919 + size));
    chmodSync(path, mode);
    this.owner(path);
    this.time(path);
    this.regularFiles.push(path);
    return path;
  }

  /** A sparse file of `size` bytes with data only at `writes` (offset, length). */
  sparse(dir: string, name: string, size: number, writes: [number, number][]): string {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, size);
      for (const [offset, length] of writes) writeSync(fd, contents(length, offset + 1), 0, length, offset);
    } finally {
      closeSync(fd);
    }
    this.extents.set(path, writes);
    this.time(path);
    this.regularFiles.push(path);
    return path;
  }

  symlink(dir: string, name: string, target: string): string {
    const path = join(dir, name);
    symlinkSync(target, path);
    this.owner(path);
    this.time(path, true);
    return path;
  }

  directory(dir: string, name: string, mode = 0o755): string {
    const path = join(dir, name);
    mkdirSync(path);
    chmodSync(path, mode);
    this.owner(path);
    this.time(path);
    return path;
  }

  special(dir: string, name: string, args: string[]): void {
    const path = join(dir, name);
    const r = spawnSync('mknod', [path, ...args]);
    if (r.status !== 0) throw new Error(`mknod ${args.join(' ')}: ${r.stderr}`);
    this.time(path);
  }

  /** Sets every recorded time, the deepest paths (made last) first. */
  finish(): void {
    for (const { path, time, link } of [...this.times].reverse()) {
      if (link) lutimesSync(path, time, time);
      else utimesSync(path, time, time);
    }
  }

  /** A random subtree under `dir`, `depth` levels deep at most. */
  randomTree(dir: string, depth: number): void {
    const bs = this.blockSize;
    const count = between(this.random, 2, 8);
    for (let i = 0; i < count; i++) {
      const r = this.random();
      if (r < 0.25 && depth > 0) {
        const sub = this.directory(
          dir,
          this.name(),
          [0o755, 0o700, 0o1777, 0o2775][between(this.random, 0, 3)],
        );
        this.randomTree(sub, depth - 1);
      } else if (r < 0.6) {
        const sizes = [0, 1, bs - 1, bs, bs + 1, 12 * bs, 12 * bs + 1, between(this.random, 0, 20 * bs)];
        const mode = [0o644, 0o600, 0o755, 0o4755, 0o2711, 0o444][between(this.random, 0, 5)] as number;
        this.file(dir, this.name(), sizes[between(this.random, 0, sizes.length - 1)] as number, mode);
      } else if (r < 0.75) {
        const size = between(this.random, 1, 600) * bs + between(this.random, 0, bs - 1);
        const writes: [number, number][] = [];
        for (let w = between(this.random, 0, 4); w > 0; w--) {
          const offset = between(this.random, 0, size - 1);
          writes.push([offset, Math.min(size - offset, between(this.random, 1, 3 * bs))]);
        }
        this.sparse(dir, this.name(), size, writes);
      } else if (r < 0.9) {
        const length = this.random() < 0.5 ? between(this.random, 1, 59) : between(this.random, 60, 300);
        let target = '';
        while (target.length < length) target += `${this.name().slice(0, 20)}/`;
        this.symlink(dir, this.name(), target.slice(0, length));
      } else if (this.regularFiles.length > 0) {
        const existing = this.regularFiles[between(this.random, 0, this.regularFiles.length - 1)] as string;
        linkSync(existing, join(dir, this.name()));
      }
    }
  }
}

/** The tree every configuration gets: the edge cases, then a random part. */
function buildTree(root: string, config: Config): TreeBuilder {
  const random = seededRandom(config.seed);
  const b = new TreeBuilder(root, random, config.blockSize);
  const bs = config.blockSize;
  const p = bs / 4;
  b.file(root, 'empty', 0);
  b.file(root, 'one-byte', 1);
  b.file(root, 'one-block', bs);
  b.file(root, 'block-less-one', bs - 1);
  b.file(root, 'block-and-one', bs + 1);
  b.file(root, 'all-direct', 12 * bs);
  b.file(root, 'first-indirect', 12 * bs + 1);
  b.file(root, 'all-single-indirect', (12 + p) * bs);
  b.file(root, 'into-double-indirect', (12 + p + 3) * bs + 123, 0o600);
  b.file(root, 'setuid', 10, 0o4755);
  b.file(root, 'setgid', 10, 0o2755);
  b.file(root, 'no-permissions', 10, 0o000);
  // Holes: at the start, in the middle, at the end, over whole indirect blocks.
  b.sparse(root, 'hole-only', 40 * bs, []);
  b.sparse(root, 'hole-first', 20 * bs, [[15 * bs + 7, 3 * bs]]);
  b.sparse(root, 'hole-between', 300 * bs, [
    [0, 100],
    [5 * bs, bs],
    [(12 + p + 2) * bs, 2 * bs + 9],
  ]);
  b.sparse(root, 'hole-last', 50 * bs + 17, [[bs, 2 * bs]]);
  if (config.tripleIndirect) {
    // Past 12 + p + p^2 blocks: with 1 KiB blocks, beyond 64.3 MiB; with 4 KiB blocks, beyond 4 GiB.
    const tripleStart = (12 + p + p * p) * bs;
    b.sparse(root, 'triple-indirect', tripleStart + 64 * bs + 5, [
      [3 * bs, 10],
      [(12 + p + 5) * bs, bs],
      [tripleStart - 100, 200],
      [tripleStart + 60 * bs, 2 * bs + 1],
    ]);
  }
  b.symlink(root, 'fast-link', 'empty');
  b.symlink(root, 'fast-link-59', `/${'f'.repeat(58)}`);
  b.symlink(root, 'slow-link-60', `/${'s'.repeat(59)}`);
  b.symlink(
    root,
    'slow-link-long',
    `${'long/'.repeat(Math.floor((bs - 1) / 5))}`.slice(0, Math.min(bs, 4096) - 1),
  );
  b.symlink(root, 'dangling', 'nowhere/at/all');
  b.symlink(root, 'to-dir', 'nested');
  const nested = b.directory(root, 'nested', 0o750);
  const deeper = b.directory(nested, 'deeper', 0o1777);
  const deepest = b.directory(deeper, 'deepest', 0o700);
  b.file(deepest, 'leaf', 3 * bs + 1);
  b.symlink(deepest, 'up', '../../..');
  b.directory(nested, 'empty-dir');
  // Hard links: one file under three names in three directories, and a pair.
  const shared = b.file(root, 'hard-a', 2 * bs + 3);
  linkSync(shared, join(nested, 'hard-b'));
  linkSync(shared, join(deepest, 'hard-c'));
  const pair = b.file(nested, 'pair-1', 0);
  linkSync(pair, join(nested, 'pair-2'));
  if (haveMknod) {
    b.special(root, 'fifo', ['-m', '0640', 'p']);
    b.special(root, 'char-dev', ['c', '1', '3']);
    b.special(root, 'block-dev', ['b', '8', '1']);
    b.special(root, 'big-dev', ['c', '300', '70000']);
  }
  // A directory of hundreds of entries (a quarter of them with 255-byte names: many blocks, indirect ones
  // with 1 KiB blocks).
  const many = b.directory(root, 'many');
  for (let i = 0; i < 300; i++) {
    const name = i % 4 === 0 ? `${String(i).padStart(4, '0')}${'n'.repeat(251)}` : `entry-${i}`;
    if (i % 50 === 7) b.directory(many, name);
    else if (i % 10 === 3) b.symlink(many, name, `target-${i}`);
    else if (i % 10 === 5) linkSync(shared, join(many, name));
    else b.file(many, name, i % 3 === 0 ? 0 : i, 0o640);
  }
  b.randomTree(b.directory(root, 'random'), 4);
  b.finish();
  return b;
}

function direntTypeOf(st: Stats): number {
  if (st.isFile()) return 1;
  if (st.isDirectory()) return 2;
  if (st.isCharacterDevice()) return 3;
  if (st.isBlockDevice()) return 4;
  if (st.isFIFO()) return 5;
  if (st.isSocket()) return 6;
  if (st.isSymbolicLink()) return 7;
  return 0;
}

const CHUNK = MiB;
const host = Buffer.alloc(CHUNK + 16384);

/** Compares a regular file's contents: whole when it is not huge, else around each written range. */
function compareContents(
  fs: Ext2FileSystem,
  ino: number,
  hostPath: string,
  size: number,
  extents: Extents,
): void {
  const fd = openSync(hostPath, 'r');
  try {
    const ranges: [number, number][] = [];
    if (size <= 16 * MiB) {
      for (let at = 0; at < size; at += CHUNK) ranges.push([at, Math.min(CHUNK, size - at)]);
    } else {
      // Around each range written, across the start of each level of indirection, and a few more.
      for (const [offset, length] of extents.get(hostPath) ?? []) {
        ranges.push([Math.max(0, offset - 4096), length + 8192]);
      }
      const bs = fs.blockSize;
      const p = bs / 4;
      for (const blocks of [12, 12 + p, 12 + p + p * p]) ranges.push([blocks * bs - 3000, 6000]);
      ranges.push([0, 8192], [Math.floor(size / 2), 8192], [size - 5000, 5000]);
    }
    // A read past the end returns nothing, one crossing it stops there.
    ranges.push([size, 10], [size + 12345, 1], [Math.max(0, size - 3), 100]);
    for (const [at, length] of ranges) {
      const got = fs.read(ino, at, length);
      const n = readSync(fd, host, 0, length, at);
      expect(got.length, `${hostPath} at ${at}`).toBe(n);
      if (!Buffer.from(got.buffer, got.byteOffset, got.length).equals(host.subarray(0, n))) {
        expect.fail(`${hostPath}: contents differ in [${at}, ${at + length})`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

interface Seen {
  entries: number;
  /** Host inode -> ext2 inode: hard links must map consistently. */
  inodes: Map<number, number>;
  /** Every ext2 inode that is not a directory, for the debugfs comparison. */
  files: Set<number>;
}

function compareDirectory(
  fs: Ext2FileSystem,
  ino: number,
  parent: number,
  hostDir: string,
  path: string,
  extents: Extents,
  seen: Seen,
): void {
  const host = readdirSync(hostDir).sort();
  let entries = fs.readdir(ino);
  if (ino === fs.rootIno) {
    expect(entries.find((e) => e.name === 'lost+found')?.ino).toBe(11);
    entries = entries.filter((e) => e.name !== 'lost+found');
  }
  expect(entries.map((e) => e.name).sort(), path).toEqual(host);
  expect(fs.lookup(ino, '.')).toBe(ino);
  expect(fs.lookup(ino, '..')).toBe(parent);
  for (const entry of entries) {
    seen.entries++;
    const hostPath = join(hostDir, entry.name);
    const ext2Path = `${path}/${entry.name}`;
    const st = lstatSync(hostPath);
    const what = `${ext2Path} (inode ${entry.ino})`;
    expect(entry.type, what).toBe(direntTypeOf(st));
    expect(fs.lookup(ino, entry.name), what).toBe(entry.ino);
    expect(fs.resolve(ext2Path, false), what).toBe(entry.ino);
    const known = seen.inodes.get(st.ino);
    if (known !== undefined) expect(entry.ino, `${what} is a hard link`).toBe(known);
    seen.inodes.set(st.ino, entry.ino);
    const s = fs.stat(entry.ino);
    expect(s.ino).toBe(entry.ino);
    expect(s.mode.toString(8), what).toBe(st.mode.toString(8));
    expect(s.uid, what).toBe(st.uid);
    expect(s.gid, what).toBe(st.gid);
    expect(s.links, what).toBe(st.nlink);
    expect(s.mtime, what).toBe(Math.floor(st.mtimeMs / 1000));
    if (st.isDirectory()) {
      compareDirectory(fs, entry.ino, ino, hostPath, ext2Path, extents, seen);
      continue;
    }
    seen.files.add(entry.ino);
    if (st.isFile()) {
      expect(s.size, what).toBe(st.size);
      compareContents(fs, entry.ino, hostPath, st.size, extents);
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(hostPath);
      expect(fs.readlink(entry.ino), what).toBe(target);
      expect(s.size, what).toBe(Buffer.byteLength(target));
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      expect(s.rdev, what).toBe(st.rdev);
      expect(s.size).toBe(0);
    }
  }
}

const configs: Config[] = [
  {
    name: '1 KiB blocks, 128-byte inodes',
    blockSize: 1024,
    inodeSize: 128,
    seed: 11,
    imageKiB: 12 * 1024,
    tripleIndirect: true,
  },
  {
    name: '1 KiB blocks, 256-byte inodes',
    blockSize: 1024,
    inodeSize: 256,
    seed: 22,
    imageKiB: 12 * 1024,
    tripleIndirect: true,
  },
  {
    name: '2 KiB blocks, 256-byte inodes',
    blockSize: 2048,
    inodeSize: 256,
    seed: 33,
    imageKiB: 16 * 1024,
    tripleIndirect: false,
  },
  {
    name: '4 KiB blocks, 128-byte inodes',
    blockSize: 4096,
    inodeSize: 128,
    seed: 44,
    imageKiB: 24 * 1024,
    tripleIndirect: false,
  },
  // The triple-indirect file here is past 4 GiB: large_file's i_size_high.
  {
    name: '4 KiB blocks, 256-byte inodes',
    blockSize: 4096,
    inodeSize: 256,
    seed: 55,
    imageKiB: 24 * 1024,
    tripleIndirect: true,
  },
];

describeE2fsprogs('reading images made by mke2fs -d', () => {
  for (const config of configs) {
    it(config.name, () => {
      const scratch = scratchDir();
      try {
        const root = join(scratch.dir, 'tree');
        mkdirSync(root);
        const tree = buildTree(root, config);
        const image = mke2fs(
          config.imageKiB,
          ['-b', String(config.blockSize), '-I', String(config.inodeSize), '-N', '3000'],
          root,
        );
        const pristine = image.slice();
        const device = new MemoryBlockBackend(image);
        const fs = Ext2FileSystem.mount(device, { clock: () => 1_800_000_000 });
        expect(fs.blockSize).toBe(config.blockSize);
        expect(fs.readOnly).toBe(false);
        expect(fs.resolve('/lost+found')).toBe(11);
        expect(fs.stat(2).mode).toBe(0o40755);

        const seen: Seen = { entries: 0, inodes: new Map(), files: new Set() };
        compareDirectory(fs, fs.rootIno, fs.rootIno, root, '', tree.extents, seen);
        expect(seen.entries).toBeGreaterThan(330);

        // Paths through symbolic links resolve as on the host.
        expect(fs.resolve('/to-dir/deeper/deepest/leaf')).toBe(fs.resolve('/nested/deeper/deepest/leaf'));
        expect(fs.resolve('/nested/deeper/deepest/up/hard-a')).toBe(fs.resolve('/hard-a'));
        expect(fs.resolve('/fast-link')).toBe(fs.resolve('/empty'));
        expect(fs.resolve('/fast-link', false)).not.toBe(fs.resolve('/empty'));
        expect(() => fs.resolve('/dangling')).toThrow(/ENOENT/);
        expect(() => fs.resolve('/empty/x')).toThrow(/ENOTDIR/);
        expect(fs.stat(fs.resolve('/hard-a')).links).toBeGreaterThanOrEqual(3 + 30);

        // st_blocks as debugfs counts it (holes stay holes, indirect blocks count), and the sizes.
        const inodes = [...seen.files];
        const stats = debugfsEach(
          pristine,
          inodes.map((ino) => `stat <${ino}>`),
        );
        for (const [i, ino] of inodes.entries()) {
          const oracle = parseInodeStat(stats[i] as string);
          const s = fs.stat(ino);
          expect(s.blocks, `inode ${ino} blocks`).toBe(oracle.blockcount);
          expect(s.size, `inode ${ino} size`).toBe(oracle.size);
          expect(s.links, `inode ${ino} links`).toBe(oracle.links);
        }
        const triple = config.tripleIndirect ? fs.stat(fs.resolve('/triple-indirect')) : null;
        if (triple !== null) {
          // Three data ranges of a few blocks, each with its indirect blocks, in a file of millions.
          expect(triple.blocks * 512).toBeLessThan(40 * config.blockSize);
          expect(triple.size).toBeGreaterThan(
            (12 + config.blockSize / 4 + (config.blockSize / 4) ** 2) * config.blockSize,
          );
        }
        const holeOnly = fs.stat(fs.resolve('/hole-only'));
        expect(holeOnly.blocks).toBe(0);
        expect(fs.read(holeOnly.ino, 0, 100)).toEqual(new Uint8Array(100));

        // Reading left the image sound (atime updates only), and a read-only mount reads the same.
        fs.unmount();
        const fsck = e2fsck(device.bytes);
        expect(fsck.status, fsck.output).toBe(0);
        const readOnlyDevice = new MemoryBlockBackend(pristine.slice());
        const readOnly = Ext2FileSystem.mount(readOnlyDevice, { readOnly: true });
        expect(readOnly.readdir(readOnly.resolve('/many')).length).toBe(300);
        const dense = (12 + config.blockSize / 4 + 3) * config.blockSize + 123;
        compareContents(
          readOnly,
          readOnly.resolve('/into-double-indirect'),
          join(root, 'into-double-indirect'),
          dense,
          tree.extents,
        );
        expect(readOnly.readlink(readOnly.resolve('/slow-link-long', false))).toBe(
          readlinkSync(join(root, 'slow-link-long')),
        );
        readOnly.unmount();
        expect(
          Buffer.from(readOnlyDevice.bytes).equals(Buffer.from(pristine)),
          'a read-only mount writes nothing',
        ).toBe(true);
      } finally {
        scratch.remove();
      }
    });
  }
});
