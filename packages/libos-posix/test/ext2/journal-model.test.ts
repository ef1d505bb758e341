/**
 * Crash recovery of ext2 under the frame journal, on random operation sequences. Random sequences of every
 * mutating operation (create of regular files, FIFOs, sockets and device nodes, mkdir, fast and slow
 * symlinks, link, unlink, rmdir, renames within and across directories and over files and empty
 * directories, writes small and large, past the end and into the indirect ranges, truncates that shrink
 * and grow, setAttributes) run on a small image with a FrameJournal attached. After every operation the
 * visible tree is recorded (names, every stat field, contents, link targets, free counts). Names pile up
 * in the root and in the directory holding the most names, and unlinks and renames favour that crowded
 * directory, so its entries are retargeted and freed in the middle of its blocks (with 1 KiB blocks it
 * spans several). Every kind of operation runs at least once in every configuration.
 *
 * - Between operations, at points fast-check chooses and after the last one, the process dies: the file
 *   system object is dropped unmounted, the journal is reopened on the same frames (replaying onto the
 *   disk) and the image mounted again. The tree must be the one recorded after the last operation, and
 *   once unmounted `e2fsck -fn` must find nothing; then the sequence carries on.
 * - In the middle of an operation: the sequence is run again with a crash at one device or frame write
 *   inside the operation. After replay the tree must be the one before or after it (file data is written
 *   in place before the commit, so a write or truncate may leave the file's bytes mixed, each byte the old
 *   or the new one, with the metadata before).
 *
 * The ext2 code reports the byte range of every metadata change and the journal logs only those bytes:
 * a change reported short, or not at all, is lost on replay, and shows here as a tree that differs.
 */
import { createHash } from 'node:crypto';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from '../../src/files/file-stat';
import { type Ext2FileSystem, MIN_JOURNAL_FRAMES, mkfs } from '../../src/index';
import {
  Crash,
  crashRig,
  expectClean,
  type JournalWorld,
  machine,
  mountRecorded,
  remount,
} from '../support/crash-harness';
import { firstDifference, outcome, pattern, drawnAttributes, setattrArbitrary } from './write-support';

const ROOT = 2;
const T0 = 1_650_000_000;

/** Short names (often taken: EEXIST, replacing renames) and long ones (directories grow past a block). */
const NAMES = [
  'a',
  'b',
  'c',
  'd',
  'e',
  'f',
  ...Array.from({ length: 18 }, (_, i) => String.fromCharCode(65 + i).repeat(200 + 3 * i)),
  '\u00e9'.repeat(127),
];
const IDS = [0, 1, 1000, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe];
/** st_rdev values: old 8-bit encodings and ones needing the new encoding. */
const RDEVS = [0x0103, 0x0801, 0xfe12, (259 << 8) | 5, 0x12345678];

// ------------------------------------------------------------------ machine and disk

interface Config {
  name: string;
  blockSize: number;
  inodeSize: number;
  imageBytes: number;
  cacheBlocks: number;
  journalFrames: number;
  /** Writes reach the double-indirect range (with 1 KiB blocks only: 268 KiB into a file). */
  doubleIndirect: boolean;
  seed: number;
  runs: number;
}

interface World extends JournalWorld {
  config: Config;
}

function world(config: Config): World {
  const { api, frames } = machine();
  const device = new MemoryBlockBackend(config.imageBytes);
  mkfs(device, { blockSize: config.blockSize, inodeSize: config.inodeSize, time: T0, seed: 7 });
  return { config, api, frames: frames(config.journalFrames), pristine: device.bytes.slice() };
}

// ------------------------------------------------------------------ the visible tree

/** A name in the tree (lost+found left out: it is e2fsck's). */
interface Entry {
  dir: number;
  name: string;
  ino: number;
  type: number;
  links: number;
  size: number;
  path: string;
}

interface Tree {
  /** Names, inodes (every stat field, link targets, "..") and the free counts, one per line. */
  lines: string[];
  /** Regular files' contents, by inode. */
  contents: Map<number, Uint8Array>;
}

interface Observation {
  entries: Entry[];
  /** As found: the atimes before the files were read. */
  found: Tree;
  /** After reading every file (a read may move its atime, a change committed like any other). */
  read: Tree;
  /** Every directory's size, by inode (the root's too). */
  dirSizes: Map<number, number>;
}

function short(name: string): string {
  return name.length <= 8 ? name : `${name.slice(0, 2)}~${name.length}`;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function hash(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').slice(0, 12);
}

/** The whole visible tree through stat, readdir, lookup, readlink and read. */
function observe(fs: Ext2FileSystem): Observation {
  const entries: Entry[] = [];
  const names: string[] = [];
  const attributes = new Map<number, string>();
  const atimes = new Map<number, number>();
  const files: { ino: number; size: number }[] = [];
  const dirSizes = new Map<number, number>();
  const describeInode = (ino: number) => {
    const st = fs.stat(ino);
    const type = st.mode & S_IFMT;
    let line =
      `inode ${ino}: mode ${st.mode.toString(8)} links ${st.links} uid ${st.uid} gid ${st.gid} ` +
      `size ${st.size} blocks ${st.blocks} mtime ${st.mtime} ctime ${st.ctime} rdev ${st.rdev} ` +
      `generation ${st.generation}`;
    if (type === S_IFLNK) line += ` -> ${fs.readlink(ino)}`;
    if (type === S_IFDIR) {
      line += ` .. ${fs.lookup(ino, '..')}`;
      dirSizes.set(ino, st.size);
    }
    if (type === S_IFREG) files.push({ ino, size: st.size });
    attributes.set(ino, line);
    atimes.set(ino, st.atime);
    return st;
  };
  const visit = (dir: number, path: string): void => {
    for (const e of fs.readdir(dir).sort(byName)) {
      const p = `${path}/${short(e.name)}`;
      names.push(`${p} = ${e.ino} (type ${e.type})`);
      const fresh = !attributes.has(e.ino);
      const st = fresh ? describeInode(e.ino) : fs.stat(e.ino);
      if (!(dir === ROOT && e.name === 'lost+found')) {
        entries.push({
          dir,
          name: e.name,
          ino: e.ino,
          type: st.mode & S_IFMT,
          links: st.links,
          size: st.size,
          path: p,
        });
      }
      if (fresh && (st.mode & S_IFMT) === S_IFDIR) visit(e.ino, p);
    }
  };
  describeInode(ROOT);
  visit(ROOT, '');
  const s = fs.statfs();
  const counts = `free blocks ${s.freeBlocks}, free inodes ${s.freeInodes}`;
  const contents = new Map<number, Uint8Array>();
  for (const f of files) {
    const data = fs.read(f.ino, 0, f.size + 1);
    contents.set(f.ino, data);
    attributes.set(f.ino, `${attributes.get(f.ino)} data ${hash(data)}`);
  }
  const tree = (atime: (ino: number) => number): Tree => ({
    lines: [
      ...names,
      ...[...attributes].sort((a, b) => a[0] - b[0]).map(([ino, line]) => `${line} atime ${atime(ino)}`),
      counts,
    ],
    contents,
  });
  const found = tree((ino) => atimes.get(ino) as number);
  const reread = new Map(files.map((f) => [f.ino, fs.stat(f.ino).atime]));
  const read = tree((ino) => reread.get(ino) ?? (atimes.get(ino) as number));
  return { entries, found, read, dirSizes };
}

/** Where `got` differs from `want`, or null. */
function difference(got: Tree, want: Tree): string | null {
  const n = Math.max(got.lines.length, want.lines.length);
  for (let i = 0; i < n; i++) {
    if (got.lines[i] !== want.lines[i]) {
      return `first difference:\n  got  ${got.lines[i] ?? '(nothing)'}\n  want ${want.lines[i] ?? '(nothing)'}`;
    }
  }
  for (const [ino, data] of want.contents) {
    const other = got.contents.get(ino) ?? new Uint8Array(0);
    const at = firstDifference(other, data);
    if (at !== -1) return `inode ${ino}'s contents differ at byte ${at}`;
  }
  return null;
}

/**
 * `got` is `before` except that file `ino` holds at each byte what it held before or what the operation
 * in progress put there (its new bytes, or zeros past a new, shorter end).
 */
function mixed(got: Tree, before: Tree, after: Tree, ino: number): boolean {
  if (got.lines.length !== before.lines.length) return false;
  // The file's line names its contents by their hash: that may differ, nothing else.
  const strip = (line: string) => line.replace(/ data [0-9a-f]+/, ' data');
  for (let i = 0; i < got.lines.length; i++) {
    const g = got.lines[i] as string;
    const b = before.lines[i] as string;
    if (g !== b && (!g.startsWith(`inode ${ino}: `) || strip(g) !== strip(b))) return false;
  }
  for (const [other, want] of before.contents) {
    if (other !== ino && firstDifference(got.contents.get(other) ?? new Uint8Array(0), want) !== -1)
      return false;
  }
  const g = got.contents.get(ino);
  const was = before.contents.get(ino);
  const now = after.contents.get(ino) ?? new Uint8Array(0);
  if (g === undefined || was === undefined || g.length !== was.length) return false;
  for (let j = 0; j < g.length; j++) {
    if (g[j] !== was[j] && g[j] !== (j < now.length ? now[j] : 0)) return false;
  }
  return true;
}

function describeTree(tree: Tree): string {
  return tree.lines.join('\n');
}

// ------------------------------------------------------------------ operations

type Op =
  | { k: 'create'; dir: number; name: number; type: number; perm: number; rdev: number }
  | { k: 'mkdir'; dir: number; name: number; perm: number }
  | { k: 'symlink'; dir: number; name: number; fast: boolean; len: number }
  | { k: 'link'; node: number; dir: number; name: number }
  | { k: 'unlink'; node: number }
  | { k: 'rmdir'; node: number }
  | {
      k: 'rename';
      node: number;
      directory: boolean;
      across: boolean;
      replace: boolean;
      dir: number;
      name: number;
    }
  | { k: 'write'; node: number; shape: number; off: number; len: number; seed: number }
  | { k: 'truncate'; node: number; shape: number; size: number }
  | { k: 'sync'; node: number; whole: boolean }
  | {
      k: 'setattr';
      node: number;
      mode: number | null;
      uid: number | null;
      gid: number | null;
      atime: number | null;
      mtime: number | null;
    };

const sel = fc.nat({ max: 2 ** 30 });
/** One of `max + 1` shapes of an operation, evenly (not biased towards the first, as small numbers are). */
const choice = (max: number) => fc.noBias(fc.nat({ max }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      k: fc.constant('create' as const),
      dir: sel,
      name: sel,
      type: choice(8),
      perm: fc.nat({ max: 0o7777 }),
      rdev: fc.constantFrom(...RDEVS),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('mkdir' as const),
      dir: sel,
      name: sel,
      perm: fc.nat({ max: 0o7777 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('symlink' as const),
      dir: sel,
      name: sel,
      fast: fc.boolean(),
      len: sel,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('link' as const), node: sel, dir: sel, name: sel }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('unlink' as const), node: sel }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rmdir' as const), node: sel }) },
  {
    weight: 7,
    arbitrary: fc.record({
      k: fc.constant('rename' as const),
      node: sel,
      directory: fc.boolean(),
      across: fc.boolean(),
      replace: fc.boolean(),
      dir: sel,
      name: sel,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('write' as const),
      node: sel,
      shape: choice(8),
      off: sel,
      len: sel,
      seed: fc.nat(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('truncate' as const),
      node: sel,
      shape: choice(7),
      size: sel,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sync' as const), node: sel, whole: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: setattrArbitrary(sel, IDS),
  },
);

/** An operation made concrete against the tree as it is. */
interface Plan {
  desc: string;
  /** What it exercises (counted when it succeeds). */
  tags: string[];
  /** The regular file whose bytes it changes in place, if any. */
  inPlace: number | null;
  run: (fs: Ext2FileSystem) => unknown;
}

const CREATE_TYPES: [number, string][] = [
  [S_IFREG, 'create a regular file'],
  [0, 'create a regular file (no type bits)'],
  [S_IFREG, 'create a regular file'],
  [S_IFREG, 'create a regular file'],
  [S_IFREG, 'create a regular file'],
  [S_IFIFO, 'create a FIFO'],
  [S_IFCHR, 'create a character device'],
  [S_IFBLK, 'create a block device'],
  [S_IFSOCK, 'create a socket'],
];

function plan(op: Op, seen: Observation, bs: number, doubleIndirect: boolean): Plan {
  const entries = seen.entries;
  const dirs = [ROOT, ...entries.filter((e) => e.type === S_IFDIR).map((e) => e.ino)];
  const count = (dir: number) => entries.filter((e) => e.dir === dir).length;
  /** The directory with the most names: it grows past a block, and gets unused entries in the middle. */
  const busiest = dirs.reduce((a, b) => (count(b) > count(a) ? b : a));
  /** The root or the busiest directory one time in three each (names pile up there), else any. */
  const pickDir = (s: number) =>
    s % 3 === 0 ? ROOT : s % 3 === 1 ? busiest : (dirs[Math.floor(s / 3) % dirs.length] as number);
  const severalBlocks = (dir: number) => (seen.dirSizes.get(dir) ?? 0) > bs;
  const namesIn = (dir: number) => new Set(entries.filter((e) => e.dir === dir).map((e) => e.name));
  /** A name not in use in `dir` (one in use when all are: EEXIST). */
  const freeName = (dir: number, s: number): string => {
    const taken = namesIn(dir);
    for (let i = 0; i < NAMES.length; i++) {
      const name = NAMES[(s + i) % NAMES.length] as string;
      if (!taken.has(name)) return name;
    }
    return NAMES[s % NAMES.length] as string;
  };
  const pick = <T>(list: T[], s: number): T | undefined => list[s % list.length];
  const nonDirs = entries.filter((e) => e.type !== S_IFDIR);
  const files = [...new Map(entries.filter((e) => e.type === S_IFREG).map((e) => [e.ino, e])).values()];
  const dirEntries = entries.filter((e) => e.type === S_IFDIR);
  const isEmpty = (dir: number) => !entries.some((e) => e.dir === dir);
  const where = (dir: number, name: string) => `${dir}/${short(name)}`;
  /** No regular file to write or truncate: one is made instead. */
  const firstFile = (): Plan => {
    const name = freeName(ROOT, 0);
    return {
      desc: `create ${where(ROOT, name)} (no file to write to)`,
      tags: ['create a regular file'],
      inPlace: null,
      run: (fs) => fs.create(ROOT, name, 0o644),
    };
  };
  const nothing = (desc: string): Plan => ({
    desc,
    tags: [],
    inPlace: null,
    run: (fs) => fs.unlink(ROOT, 'no-such-name'),
  });

  switch (op.k) {
    case 'create': {
      const dir = pickDir(op.dir);
      const name = freeName(dir, op.name);
      const [type, tag] = CREATE_TYPES[op.type] as [number, string];
      return {
        desc: `create ${where(dir, name)} ${(type | op.perm).toString(8)}`,
        tags: [tag],
        inPlace: null,
        run: (fs) => fs.create(dir, name, type | op.perm, { uid: 0, gid: 0 }, op.rdev),
      };
    }
    case 'mkdir': {
      const dir = pickDir(op.dir);
      const name = freeName(dir, op.name);
      return {
        desc: `mkdir ${where(dir, name)}`,
        tags: ['mkdir'],
        inPlace: null,
        run: (fs) => fs.mkdir(dir, name, op.perm),
      };
    }
    case 'symlink': {
      const dir = pickDir(op.dir);
      const name = freeName(dir, op.name);
      const length = op.fast ? 1 + (op.len % 59) : 60 + (op.len % (bs - 60));
      const target = Array.from({ length }, (_, i) =>
        i % 9 === 8 ? '/' : String.fromCharCode(97 + ((i * 7 + op.len) % 26)),
      ).join('');
      return {
        desc: `symlink ${where(dir, name)} (${length} bytes)`,
        tags: [op.fast ? 'symlink (fast)' : 'symlink (slow)'],
        inPlace: null,
        run: (fs) => fs.symlink(dir, name, target),
      };
    }
    case 'link': {
      const file = pick(nonDirs, op.node);
      if (file === undefined) return nothing('link of nothing');
      const dir = pickDir(op.dir);
      const name = freeName(dir, op.name);
      return {
        desc: `link ${where(dir, name)} to ${file.ino}`,
        tags: ['link'],
        inPlace: null,
        run: (fs) => fs.link(dir, name, file.ino),
      };
    }
    case 'unlink': {
      // One time in three a file with other names, one time in three a name in the busiest directory.
      const linked = nonDirs.filter((x) => x.links > 1);
      const crowded = nonDirs.filter((x) => x.dir === busiest);
      const choices = [linked, crowded, nonDirs][op.node % 3] as Entry[];
      const e = pick(choices.length > 0 ? choices : nonDirs, Math.floor(op.node / 3));
      if (e === undefined) return nothing('unlink of nothing');
      return {
        desc: `unlink ${where(e.dir, e.name)}`,
        tags: [
          e.links === 1 ? 'unlink the last name' : 'unlink one of several names',
          ...(severalBlocks(e.dir) ? ['unlink from a directory of several blocks'] : []),
        ],
        inPlace: null,
        run: (fs) => fs.unlink(e.dir, e.name),
      };
    }
    case 'rmdir': {
      // Mostly an empty directory; sometimes any (ENOTEMPTY changes nothing).
      const empty = dirEntries.filter((e) => isEmpty(e.ino));
      const e = pick(op.node % 5 === 0 || empty.length === 0 ? dirEntries : empty, op.node);
      if (e === undefined) return nothing('rmdir of nothing');
      return {
        desc: `rmdir ${where(e.dir, e.name)}`,
        tags: ['rmdir'],
        inPlace: null,
        run: (fs) => fs.rmdir(e.dir, e.name),
      };
    }
    case 'rename': {
      /** Whether directory `dir` is `x` or lies under it (a directory cannot move there: EINVAL). */
      const under = (dir: number, x: Entry) => {
        const d = entries.find((y) => y.ino === dir);
        return d !== undefined && (d.path === x.path || d.path.startsWith(`${x.path}/`));
      };
      // A directory moving to another one: one that has somewhere to go.
      const movable = dirEntries.filter((x) => !op.across || dirs.some((d) => d !== x.dir && !under(d, x)));
      const pool = op.directory && movable.length > 0 ? movable : nonDirs.length > 0 ? nonDirs : dirEntries;
      const crowded = pool.filter((x) => x.dir === busiest);
      let e = pick(op.node % 2 === 0 && crowded.length > 0 ? crowded : pool, op.node >> 1);
      if (e === undefined) return nothing('rename of nothing');
      let victim: Entry | undefined;
      if (op.replace && e.type === S_IFDIR) {
        // An empty directory to replace is rare: the pair is chosen together.
        const pairs = dirEntries.flatMap((src) =>
          dirEntries
            .filter((v) => v.ino !== src.ino && isEmpty(v.ino) && !under(v.dir, src))
            .map((v): [Entry, Entry] => [src, v]),
        );
        const wanted = pairs.filter(([src, v]) => (src.dir !== v.dir) === op.across);
        const pair = pick(wanted.length > 0 ? wanted : pairs, op.name);
        if (pair !== undefined) [e, victim] = pair;
      } else if (op.replace) {
        const from = e;
        const victims = nonDirs.filter((x) => x.ino !== from.ino);
        const wanted = victims.filter((x) => (x.dir !== from.dir) === op.across);
        victim = pick(wanted.length > 0 ? wanted : victims, op.name);
      }
      const src = e;
      const isDir = src.type === S_IFDIR;
      const targets = dirs.filter(
        (d) => (!isDir || !under(d, src)) && (op.across ? d !== src.dir : d === src.dir),
      );
      const to = victim?.dir ?? pick(targets, op.dir) ?? src.dir;
      const name = victim?.name ?? freeName(to, op.name);
      const tags = [
        `rename a ${isDir ? 'directory' : 'file'} ${to === src.dir ? 'within its directory' : 'to another directory'}`,
      ];
      if (victim !== undefined) tags.push(isDir ? 'rename over an empty directory' : 'rename over a file');
      if (severalBlocks(src.dir)) tags.push('rename from a directory of several blocks');
      return {
        desc: `rename ${where(src.dir, src.name)} to ${where(to, name)}${victim ? ` (over ${victim.ino})` : ''}`,
        tags,
        inPlace: null,
        run: (fs) => fs.rename(src.dir, src.name, to, name),
      };
    }
    case 'write': {
      const nonEmpty = files.filter((x) => x.size > 0);
      const f = pick(op.shape === 6 && nonEmpty.length > 0 ? nonEmpty : files, op.node);
      if (f === undefined) return firstFile();
      const size = f.size;
      const p = bs / 4;
      let shape = op.shape;
      if (shape === 5 && !doubleIndirect) shape = 4;
      if (shape === 6 && size === 0) shape = 0;
      let offset: number;
      let length: number;
      let tag: string;
      switch (shape) {
        case 0:
        case 1:
          offset = op.off % (size + 1);
          length = 1 + (op.len % 200);
          tag = 'write a few bytes';
          break;
        case 2:
          offset = op.off % (size + 1);
          length = bs + (op.len % (3 * bs));
          tag = 'write several blocks';
          break;
        case 3:
          offset = (Math.ceil(size / bs) + 1 + (op.off % 2)) * bs + (op.off % bs);
          length = 1 + (op.len % bs);
          tag = 'write past the end (a hole)';
          break;
        case 4:
          offset = 12 * bs + (op.off % (40 * bs));
          length = 1 + (op.len % (2 * bs));
          tag = 'write in the indirect range';
          break;
        case 5:
          offset = (12 + p) * bs + (op.off % (4 * bs));
          length = 1 + (op.len % (2 * bs));
          tag = 'write in the double-indirect range';
          break;
        case 6:
          offset = op.off % size;
          length = 1 + (op.len % Math.min(size - offset, 2 * bs));
          tag = 'overwrite in place';
          break;
        case 7:
          offset = Math.floor((op.off % (size + bs)) / bs) * bs;
          length = bs;
          tag = 'write a whole block';
          break;
        default:
          offset = op.off % (size + 1);
          length = 0;
          tag = 'write nothing';
      }
      const data = pattern(op.seed, length, offset);
      return {
        desc: `write ${f.ino} at ${offset}, ${length} bytes`,
        tags: [tag],
        inPlace: f.ino,
        run: (fs) => fs.write(f.ino, offset, data),
      };
    }
    case 'truncate': {
      // Shapes 4 to 7 want a file past the direct blocks (some pointers of an indirect block cleared):
      // without one, a file is written there instead. Shapes 0 to 2 want a file with bytes to cut.
      const long = files.filter((x) => x.size > 12 * bs + 1);
      let shape = op.shape;
      if (shape >= 4 && long.length === 0) {
        const { node, size: n } = op;
        const made = plan({ k: 'write', node, shape: 4, off: n, len: n, seed: n }, seen, bs, doubleIndirect);
        return { ...made, desc: `${made.desc} (no file past the direct blocks to truncate)` };
      }
      const wanted = shape >= 4 ? long : shape <= 2 ? files.filter((x) => x.size > 0) : files;
      const f = pick(wanted.length > 0 ? wanted : files, op.node);
      if (f === undefined) return firstFile();
      const size = f.size;
      let to: number;
      let tag: string;
      if ((shape === 1 || shape === 2) && size === 0) shape = 3;
      switch (shape) {
        case 0:
          to = 0;
          tag = 'truncate to 0';
          break;
        case 1: {
          to = op.size % size;
          if (to % bs === 0) to = to + 1 < size ? to + 1 : Math.max(0, to - 1);
          tag = to % bs !== 0 ? 'truncate to within a block' : 'truncate shorter';
          break;
        }
        case 2:
          to = Math.floor((op.size % (size + 1)) / bs) * bs;
          tag = 'truncate to a block boundary';
          break;
        case 4:
        case 5:
          to = op.size % (12 * bs);
          tag = 'truncate, freeing the indirect blocks';
          break;
        case 6:
        case 7:
          to = 12 * bs + 1 + (op.size % (size - 12 * bs - 1));
          tag = 'truncate within the indirect blocks';
          break;
        default:
          to = size + 1 + (op.size % (3 * bs));
          tag = 'truncate to grow';
      }
      return {
        desc: `truncate ${f.ino} from ${size} to ${to}`,
        tags: [tag],
        inPlace: f.ino,
        run: (fs) => fs.truncate(f.ino, to),
      };
    }
    case 'sync': {
      // A checkpoint: every committed block written back, the log emptied.
      const all = [ROOT, ...new Set(entries.map((e) => e.ino))];
      const ino = all[op.node % all.length] as number;
      return op.whole
        ? { desc: 'sync', tags: ['sync'], inPlace: null, run: (fs) => fs.sync() }
        : { desc: `fsync ${ino}`, tags: ['fsync'], inPlace: null, run: (fs) => fs.fsync(ino) };
    }
    case 'setattr': {
      const all = [ROOT, ...new Set(entries.map((e) => e.ino))];
      const ino = all[op.node % all.length] as number;
      const attributes = drawnAttributes(op);
      return {
        desc: `setAttributes ${ino} ${JSON.stringify(attributes)}`,
        tags: Object.keys(attributes).map((key) => `setAttributes ${key}`),
        inPlace: null,
        run: (fs) => fs.setAttributes(ino, attributes),
      };
    }
  }
}

/** What every configuration carries out at least once, counted over all its sequences. */
const EXERCISED = [
  'create a regular file',
  'create a FIFO',
  'create a character device',
  'create a block device',
  'create a socket',
  'mkdir',
  'symlink (fast)',
  'symlink (slow)',
  'link',
  'unlink the last name',
  'unlink one of several names',
  'rmdir',
  'rename a file within its directory',
  'rename a file to another directory',
  'rename a directory within its directory',
  'rename a directory to another directory',
  'rename over a file',
  'rename over an empty directory',
  'write a few bytes',
  'write several blocks',
  'write past the end (a hole)',
  'write in the indirect range',
  'overwrite in place',
  'write a whole block',
  'truncate to 0',
  'truncate to within a block',
  'truncate to a block boundary',
  'truncate to grow',
  'truncate, freeing the indirect blocks',
  'truncate within the indirect blocks',
  'setAttributes mode',
  'setAttributes uid',
  'setAttributes gid',
  'setAttributes atime',
  'setAttributes mtime',
  'sync',
  'fsync',
];

/**
 * EXERCISED, and what only some configurations reach: the double-indirect range, and directories of more
 * than one block (with 1 KiB blocks the long names fill a block in a few entries; a 4 KiB block seldom
 * fills).
 */
function exercised(config: Config): string[] {
  return [
    ...EXERCISED,
    ...(config.doubleIndirect ? ['write in the double-indirect range'] : []),
    ...(config.blockSize === 1024
      ? ['unlink from a directory of several blocks', 'rename from a directory of several blocks']
      : []),
  ];
}

// ------------------------------------------------------------------ runs

interface Step {
  desc: string;
  tags: string[];
  outcome: string;
  inPlace: number | null;
  /** The tree the operation was planned on, and the tree after it. */
  before: Observation;
  after: Observation;
  /** Writes made during the operation (counted while armed): [first, end). */
  writes: [number, number];
  /** The writes made when its commit returned (those from there on come after it), or -1. */
  committedAt: number;
  /** It did not fit in the journal and was written back without it (not crash-atomic, by design). */
  unjournaled: boolean;
}

interface Run {
  steps: Step[];
  /** Where the chosen crash stopped the run (null: it ran to the end). */
  crash: { index: number; error: Crash; disk: MemoryBlockBackend } | null;
}

/** What the first run checks when the process dies between operations. */
type Recovered = (label: string, seen: Observation, wanted: Observation, replayed: number) => void;

/**
 * Runs the operations from the pristine image and zeroed journal frames, observing the tree after each.
 * After the operations in `between` and after the last one, the process dies and the next incarnation
 * replays the journal and mounts again (`recovered` sees it), unmounts, and carries on with a new journal.
 * `crashAt` is the write (counted inside operations only) where the process dies for good.
 */
function execute(
  w: World,
  ops: Op[],
  between: Set<number>,
  crashAt: number,
  log: string[],
  recovered?: Recovered,
  unmounted?: (label: string, image: Uint8Array) => void,
): Run {
  const { config } = w;
  const rig = crashRig(w, crashAt < 0 ? null : { kind: 'any', n: crashAt });
  const { faults, disk } = rig;
  const clock = { now: T0 };
  const mount = () => mountRecorded(rig, { clock: () => clock.now, cacheBlocks: config.cacheBlocks });
  let { fs, journal } = mount();
  let seen = observe(fs);
  const steps: Step[] = [];
  for (const [i, op] of ops.entries()) {
    clock.now = T0 + 100 + 10 * i;
    const p = plan(op, seen, config.blockSize, config.doubleIndirect);
    const first = faults.writes;
    const unjournaled = journal.unjournaled;
    const events = journal.events.length;
    journal.step = i;
    faults.armed = true;
    let got: string;
    try {
      got = outcome(() => p.run(fs));
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
      return { steps, crash: { index: i, error: e, disk } };
    }
    faults.armed = false;
    log.push(`${i}: ${p.desc} -> ${got}`);
    const after = observe(fs);
    steps.push({
      desc: p.desc,
      tags: p.tags,
      outcome: got,
      inPlace: p.inPlace,
      before: seen,
      after,
      writes: [first, faults.writes],
      committedAt: journal.committedAt(events),
      unjournaled: journal.unjournaled !== unjournaled,
    });
    seen = after;
    const last = i === ops.length - 1;
    if (!between.has(i) && !last) continue;
    // The process dies: its file system object is dropped, unmounted. The next one replays and mounts.
    const label = `the process died after operation ${i} (${p.desc})`;
    clock.now += 1;
    const next = mount();
    // (observed in every run alike: reading moves atimes)
    const found = observe(next.fs);
    recovered?.(label, found, after, next.inner.stats.replayedBlocks);
    next.fs.unmount();
    unmounted?.(label, disk.bytes);
    if (last) break;
    clock.now += 1;
    ({ fs, journal } = mount());
    seen = observe(fs);
  }
  return { steps, crash: null };
}

interface Tally {
  exercised: Map<string, number>;
  between: number;
  replayed: number;
  midBefore: number;
  midAfter: number;
  midMixed: number;
  midReplayed: number;
  midKinds: Set<string>;
  /** Operations too large for the journal (no crash is made inside them). */
  unjournaled: number;
}

function runCase(
  w: World,
  tally: Tally,
  ops: Op[],
  betweenPicks: number[],
  midPicks: [number, number][],
): void {
  const between = new Set(betweenPicks.map((n) => n % ops.length));
  const log: string[] = [];
  const context = () => `\noperations:\n${log.join('\n')}`;
  const main = execute(
    w,
    ops,
    between,
    -1,
    log,
    (label, seen, wanted, replayed) => {
      tally.between++;
      if (replayed > 0) tally.replayed++;
      const diff = difference(seen.found, wanted.read);
      if (diff !== null) {
        expect.fail(
          `${label}: after replay the tree is not the one before the crash: ${diff}\n` +
            `--- recovered:\n${describeTree(seen.found)}\n--- wanted:\n${describeTree(wanted.read)}${context()}`,
        );
      }
    },
    (label, image) => expectClean(image, `${label}${context()}`),
  );
  for (const step of main.steps) {
    if (step.unjournaled) tally.unjournaled++;
    if (step.outcome !== 'ok') continue;
    for (const tag of step.tags) tally.exercised.set(tag, (tally.exercised.get(tag) ?? 0) + 1);
  }

  // Crashes inside operations: each a run of its own, stopped at one write of the operation.
  const candidates = main.steps
    .map((s, index) => {
      const [first, end] = s.writes;
      // The writes up to the end of its commit, and those after it (trimming the cache, a checkpoint).
      // An operation that committed nothing has no before and after: its writes all count as after.
      const split = s.committedAt < 0 ? first : Math.min(s.committedAt, end);
      return { s, index, first, split, end };
    })
    .filter(({ s }) => !s.unjournaled);
  const early = candidates.filter((c) => c.first < c.split);
  const late = candidates.filter((c) => c.split < c.end);
  for (const [a, b] of midPicks) {
    // Half the crashes come after a commit (when some operation writes anything after its commit).
    const after = (b % 2 === 1 && late.length > 0) || early.length === 0;
    const pool = after ? late : early;
    if (pool.length === 0) return;
    const { s: step, index, first, split, end } = pool[a % pool.length] as (typeof candidates)[number];
    const n = after ? split + ((b >> 1) % (end - split)) : first + ((b >> 1) % (split - first));
    const run = execute(w, ops, between, n, []);
    const crash = run.crash;
    if (crash === null) expect.fail(`no crash at write ${n}${context()}`);
    expect(crash.index, `the crash at write ${n} fell in another operation${context()}`).toBe(index);
    const label = `the process died at ${crash.error.message}, during operation ${index} (${step.desc})`;
    const { journal, fs } = remount(w, crash.disk, {
      clock: () => T0 + 1_000_000,
      cacheBlocks: w.config.cacheBlocks,
    });
    if (journal.stats.replayedBlocks > 0) tally.midReplayed++;
    const seen = observe(fs);
    tally.midKinds.add(crash.error.message.split(' ')[0] as string);
    if (difference(seen.found, step.after.found) === null) tally.midAfter++;
    else if (difference(seen.found, step.before.read) === null) tally.midBefore++;
    else if (step.inPlace !== null && mixed(seen.found, step.before.read, step.after.found, step.inPlace))
      tally.midMixed++;
    else {
      expect.fail(
        `${label}: after replay the tree is neither the one before nor the one after the operation\n` +
          `against before: ${difference(seen.found, step.before.read)}\n` +
          `against after: ${difference(seen.found, step.after.found)}\n` +
          `--- recovered:\n${describeTree(seen.found)}\n--- before:\n${describeTree(step.before.read)}` +
          `\n--- after:\n${describeTree(step.after.found)}${context()}`,
      );
    }
    fs.unmount();
    expectClean(crash.disk.bytes, `${label}${context()}`);
  }
}

const MiB = 2 ** 20;

const configs: Config[] = [
  {
    name: '1 KiB blocks, 128-byte inodes, a 4-block cache, 48 journal frames',
    blockSize: 1024,
    inodeSize: 128,
    imageBytes: 9 * MiB,
    cacheBlocks: 4,
    journalFrames: 48,
    doubleIndirect: true,
    seed: 0x10a1,
    runs: 30,
  },
  {
    name: '1 KiB blocks, 256-byte inodes, a large cache, the smallest journal',
    blockSize: 1024,
    inodeSize: 256,
    imageBytes: 9 * MiB,
    cacheBlocks: 4096,
    journalFrames: MIN_JOURNAL_FRAMES,
    doubleIndirect: true,
    seed: 0x10a2,
    runs: 30,
  },
  {
    name: '4 KiB blocks, 256-byte inodes, a 4-block cache, 64 journal frames',
    blockSize: 4096,
    inodeSize: 256,
    imageBytes: 8 * MiB,
    cacheBlocks: 4,
    journalFrames: 64,
    doubleIndirect: false,
    seed: 0x10a3,
    runs: 30,
  },
  {
    name: '4 KiB blocks, 128-byte inodes, a large cache, 24 journal frames',
    blockSize: 4096,
    inodeSize: 128,
    imageBytes: 8 * MiB,
    cacheBlocks: 4096,
    journalFrames: 24,
    doubleIndirect: false,
    seed: 0x10a4,
    runs: 30,
  },
];

describe('ext2 under the frame journal: a crash at any point recovers the tree', () => {
  for (const config of configs) {
    it(`random operation sequences, crashes between and inside operations: ${config.name}`, () => {
      const w = world(config);
      const tally: Tally = {
        exercised: new Map(),
        between: 0,
        replayed: 0,
        midBefore: 0,
        midAfter: 0,
        midMixed: 0,
        midReplayed: 0,
        midKinds: new Set(),
        unjournaled: 0,
      };
      fc.assert(
        fc.property(
          // (a failing run is slow to repeat: shrinking stops after a while unless EXT2_JOURNAL_SHRINK is set)
          fc.limitShrink(
            fc.tuple(
              fc.array(opArb, { minLength: 30, maxLength: 60 }),
              fc.array(fc.nat(), { maxLength: 2 }),
              fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
            ),
            process.env.EXT2_JOURNAL_SHRINK ? 100_000 : 25,
          ),
          ([ops, between, mid]) => runCase(w, tally, ops, between, mid),
        ),
        // EXT2_JOURNAL_RUNS and EXT2_JOURNAL_SEED run more (or other) sequences when looking for trouble.
        {
          seed: Number(process.env.EXT2_JOURNAL_SEED ?? config.seed),
          numRuns: Number(process.env.EXT2_JOURNAL_RUNS ?? config.runs),
        },
      );
      // Every kind of operation ran, in this configuration, at least once.
      const missing = exercised(config).filter((tag) => !tally.exercised.has(tag));
      expect(missing, 'operations no sequence carried out').toEqual([]);
      // Replay had work to do, and crashes inside operations landed on both sides of the commit.
      expect(tally.replayed).toBeGreaterThan(0);
      expect(tally.midReplayed).toBeGreaterThan(0);
      expect(tally.midBefore).toBeGreaterThan(0);
      expect(tally.midAfter).toBeGreaterThan(0);
      expect([...tally.midKinds].sort()).toEqual(['device', 'frame']);
    });
  }
});
