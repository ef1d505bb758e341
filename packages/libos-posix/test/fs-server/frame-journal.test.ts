/**
 * The file-system server's journal in frames (FrameJournal): opening frames of zeros, garbage and too few
 * frames; crash atomicity of ext2 operations under the journal, with a crash injected at every device
 * write and every journal frame write of a fixed sequence of operations, then replay and remount checked
 * against the crash-free run and e2fsck; checkpoints (the log emptied at half capacity, a crash during the
 * write-back repaired by replay); answers kept for retried requests through FileServer, across a restart;
 * and an operation too large for the journal, written back without it.
 */
import type { EnvApi } from '@exov6/exokernel';
import { type BlockBackend, MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, test } from 'vitest';
import { mapBlock } from '../../src/ext2/block-map';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/files/file-stat';
import { requestHash } from '../../src/fs-server/frame-journal';
import { FRAME_BYTES, FrameRange } from '../../src/fs-server/frame-range';
import {
  decodeResponse,
  Ext2Error,
  Ext2FileSystem,
  encodeRequest,
  type FileHandle,
  FileServer,
  FrameJournal,
  type FsRequest,
  JournalError,
  type JournalStats,
  MIN_JOURNAL_FRAMES,
  mkfs,
} from '../../src/index';
import {
  Crash,
  CrashingDevice,
  type CrashPoint,
  crashingApi,
  crashRig,
  expectClean,
  Faults,
  type JournalEvent,
  type JournalWorld,
  machine,
  mountRecorded,
  type RecordingJournal,
  remount as remountWith,
  zeroFrames,
} from '../support/crash-harness';
import { E2FSCK, e2fsck, e2fsckRepair } from '../support/e2fsprogs';

const FIXED = 1_700_000_000;
const ROOT_OWNER = { uid: 0, gid: 0 };
/** The first inode that is not reserved (lost+found). */
const FIRST_INO = 11;
const text = (s: string) => new TextEncoder().encode(s);

// ------------------------------------------------------------------ disks

/** A fresh ext2 image of `bytes` with 1 KiB blocks, made at FIXED. */
function image(bytes: number, bytesPerInode?: number): Uint8Array {
  const device = new MemoryBlockBackend(bytes);
  mkfs(device, { blockSize: 1024, time: FIXED, seed: 3, bytesPerInode });
  return device.bytes;
}

// ------------------------------------------------------------------ the visible tree

interface TreeEntry {
  path: string;
  mode: number;
  links: number;
  size: number;
  content?: Uint8Array;
  target?: string;
}

/** Every name under the root, depth first in name order: type, links, size, bytes or link target. */
function snapshot(fs: Ext2FileSystem): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (dir: number, prefix: string) => {
    const entries = fs.readdir(dir).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = `${prefix}/${e.name}`;
      const st = fs.stat(e.ino);
      const entry: TreeEntry = { path, mode: st.mode, links: st.links, size: st.size };
      out.push(entry);
      const type = st.mode & S_IFMT;
      if (type === S_IFDIR) visit(e.ino, path);
      else if (type === S_IFREG) entry.content = fs.read(e.ino, 0, st.size);
      else if (type === S_IFLNK) entry.target = fs.readlink(e.ino);
    }
  };
  const root = fs.stat(fs.rootIno);
  out.push({ path: '/', mode: root.mode, links: root.links, size: root.size });
  visit(fs.rootIno, '');
  return out;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameEntry(a: TreeEntry, b: TreeEntry, withContent = true): boolean {
  return (
    a.path === b.path &&
    a.mode === b.mode &&
    a.links === b.links &&
    a.size === b.size &&
    a.target === b.target &&
    (!withContent || sameBytes(a.content, b.content))
  );
}

function sameTree(a: TreeEntry[], b: TreeEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => sameEntry(e, b[i] as TreeEntry));
}

/**
 * `tree` is `before` except that the file at `path` holds, at each byte, what it held before or what
 * the operation in progress put there (its new bytes, or zeros past a new, shorter end): file data
 * written in place goes to the device before the commit (see ext2/journal.ts), only metadata is all or
 * nothing.
 */
function mixedData(tree: TreeEntry[], before: TreeEntry[], after: TreeEntry[], path: string): boolean {
  if (tree.length !== before.length) return false;
  const next = after.find((e) => e.path === path);
  for (const [i, e] of tree.entries()) {
    const old = before[i] as TreeEntry;
    if (e.path !== path) {
      if (!sameEntry(e, old)) return false;
      continue;
    }
    if (!sameEntry(e, old, false) || next === undefined) return false;
    const got = e.content as Uint8Array;
    const was = old.content as Uint8Array;
    const now = next.content as Uint8Array;
    for (let j = 0; j < got.length; j++) {
      const fresh = j < now.length ? now[j] : 0;
      if (got[j] !== was[j] && got[j] !== fresh) return false;
    }
  }
  return true;
}

/**
 * What the tree cannot show: every inode in use (past the reserved ones) has a name, and the superblock's
 * free-inode count agrees with the inode table. Returns the problems found.
 */
function inodeProblems(fs: Ext2FileSystem): string[] {
  const reachable = new Set<number>([fs.rootIno]);
  const visit = (dir: number) => {
    for (const e of fs.readdir(dir)) {
      if (reachable.has(e.ino)) continue;
      reachable.add(e.ino);
      if ((fs.stat(e.ino).mode & S_IFMT) === S_IFDIR) visit(e.ino);
    }
  };
  visit(fs.rootIno);
  const { inodes, freeInodes } = fs.statfs();
  const problems: string[] = [];
  let used = FIRST_INO - 1;
  for (let ino = FIRST_INO; ino <= inodes; ino++) {
    try {
      fs.stat(ino);
    } catch (e) {
      if (e instanceof Ext2Error && e.code === 'ENOENT') continue;
      throw e;
    }
    used++;
    if (!reachable.has(ino)) problems.push(`inode ${ino} is in use but has no name`);
  }
  if (inodes - used !== freeInodes)
    problems.push(`${inodes - used} inodes free, the superblock says ${freeInodes}`);
  return problems;
}

function describeTree(tree: TreeEntry[]): string {
  return tree
    .map((e) => {
      const extra =
        e.content !== undefined
          ? ` #${requestHash(e.content).toString(16)}`
          : e.target !== undefined
            ? ` -> ${e.target}`
            : '';
      return `${e.path} ${e.mode.toString(8)} links=${e.links} size=${e.size}${extra}`;
    })
    .join('\n');
}

// ------------------------------------------------------------------ the operations

function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 131 + i * 7 + (i >> 10) * 13) & 0xff;
  return out;
}

interface Step {
  name: string;
  run(fs: Ext2FileSystem): void;
  /** A file whose existing bytes the step changes in place (not all or nothing, see mixedData). */
  inPlace?: string;
}

const SMALL = text('a small file\n');
const BIG = pattern(1, 20_000); // 20 blocks: direct blocks and an indirect block
const OVER = pattern(2, 3_000);
const LONG_TARGET = `b/${'long-target-'.repeat(10)}moved`; // past the 60 bytes of i_block: a block

const STEPS: Step[] = [
  { name: 'mkdir /a', run: (fs) => void fs.mkdir(fs.rootIno, 'a', 0o755) },
  { name: 'mkdir /a/b', run: (fs) => void fs.mkdir(fs.resolve('/a'), 'b', 0o750) },
  { name: 'create /a/small', run: (fs) => void fs.create(fs.resolve('/a'), 'small', 0o644) },
  { name: 'write /a/small', run: (fs) => void fs.write(fs.resolve('/a/small'), 0, SMALL) },
  { name: 'create /a/big', run: (fs) => void fs.create(fs.resolve('/a'), 'big', 0o600) },
  { name: 'write /a/big (20 blocks)', run: (fs) => void fs.write(fs.resolve('/a/big'), 0, BIG) },
  {
    name: 'rename /a/small to /a/b/moved',
    run: (fs) => fs.rename(fs.resolve('/a'), 'small', fs.resolve('/a/b'), 'moved'),
  },
  { name: 'link /hard to /a/b/moved', run: (fs) => fs.link(fs.rootIno, 'hard', fs.resolve('/a/b/moved')) },
  { name: 'symlink /a/fast', run: (fs) => void fs.symlink(fs.resolve('/a'), 'fast', 'b/moved') },
  { name: 'symlink /a/slow', run: (fs) => void fs.symlink(fs.resolve('/a'), 'slow', LONG_TARGET) },
  { name: 'unlink /a/b/moved', run: (fs) => fs.unlink(fs.resolve('/a/b'), 'moved') },
  {
    name: 'overwrite 3000 bytes of /a/big in place',
    run: (fs) => void fs.write(fs.resolve('/a/big'), 5_000, OVER),
    inPlace: '/a/big',
  },
  { name: 'truncate /a/big to 6144', run: (fs) => fs.truncate(fs.resolve('/a/big'), 6144) },
  {
    name: 'truncate /a/big to 3000 (within a block)',
    run: (fs) => fs.truncate(fs.resolve('/a/big'), 3000),
    inPlace: '/a/big',
  },
  { name: 'mkdir /a/c', run: (fs) => void fs.mkdir(fs.resolve('/a'), 'c', 0o755) },
  { name: 'rmdir /a/c', run: (fs) => fs.rmdir(fs.resolve('/a'), 'c') },
  { name: 'rename /a/b to /d', run: (fs) => fs.rename(fs.resolve('/a'), 'b', fs.rootIno, 'd') },
  { name: 'append to /hard', run: (fs) => void fs.write(fs.resolve('/hard'), SMALL.length, BIG) },
  { name: 'unlink /a/big', run: (fs) => fs.unlink(fs.resolve('/a'), 'big') },
  { name: 'rmdir /d', run: (fs) => fs.rmdir(fs.rootIno, 'd') },
];

// ------------------------------------------------------------------ 1. opening

describe('opening the journal frames', () => {
  test('frames of zeros become an empty journal, which opens again as empty', () => {
    const { api, frames } = machine();
    const range = new FrameRange(api, frames(MIN_JOURNAL_FRAMES));
    const device = new MemoryBlockBackend(image(2 << 20));
    const before = device.bytes.slice();
    const journal = FrameJournal.open(range, device);
    expect(journal.stats).toEqual({ commits: 0, checkpoints: 0, logBytes: 0, replayedBlocks: 0 });
    expect(journal.capacity).toBe((MIN_JOURNAL_FRAMES - 3) * FRAME_BYTES);
    // The header now carries the magic, so the frames are no longer zeros...
    expect(range.readAt(0, 4)).not.toEqual(new Uint8Array(4));
    // ...and open again as an empty journal that replays nothing.
    const again = FrameJournal.open(range, device);
    expect(again.stats.replayedBlocks).toBe(0);
    expect(again.stats.logBytes).toBe(0);
    expect(again.savedReply(0, 1n, 0)).toBeNull();
    expect(sameBytes(device.bytes, before)).toBe(true);
  });

  test('frames holding something else are refused', () => {
    const { api, frames } = machine();
    const range = new FrameRange(api, frames(MIN_JOURNAL_FRAMES));
    const device = new MemoryBlockBackend(image(2 << 20));
    range.writeAt(0, text('not a journal at all'));
    expect(() => FrameJournal.open(range, device)).toThrow(JournalError);
    expect(() => FrameJournal.open(range, device)).toThrow(/do not hold a journal/);
    // Only the sequence word set (magic zero) is not "empty" either.
    range.writeAt(0, new Uint8Array([0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => FrameJournal.open(range, device)).toThrow(JournalError);
    // A real journal whose log length runs past its frames.
    zeroFrames(api, range.frames);
    FrameJournal.open(range, device);
    range.writeAt(8, new Uint8Array([0xff, 0xff, 0xff, 0x7f]));
    expect(() => FrameJournal.open(range, device)).toThrow(/past its end/);
  });

  test('a log holding an unknown record is refused, not replayed', () => {
    const { api, frames } = machine();
    const range = new FrameRange(api, frames(MIN_JOURNAL_FRAMES));
    const device = new MemoryBlockBackend(image(2 << 20));
    const before = device.bytes.slice();
    FrameJournal.open(range, device);
    // A log of 16 bytes whose first record is of kind 9.
    range.writeAt(3 * FRAME_BYTES, new Uint8Array([9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    range.writeAt(4, new Uint8Array([1, 0, 0, 0, 16, 0, 0, 0]));
    expect(() => FrameJournal.open(range, device)).toThrow(/unknown record kind 9/);
    expect(sameBytes(device.bytes, before)).toBe(true);
  });

  test('too few frames are refused, naming the least', () => {
    const { api, frames } = machine();
    const device = new MemoryBlockBackend(image(2 << 20));
    const range = new FrameRange(api, frames(MIN_JOURNAL_FRAMES - 1));
    expect(() => FrameJournal.open(range, device)).toThrow(JournalError);
    expect(() => FrameJournal.open(range, device)).toThrow(
      new RegExp(`at least ${MIN_JOURNAL_FRAMES} frames, not ${MIN_JOURNAL_FRAMES - 1}`),
    );
    expect(() => FrameJournal.open(new FrameRange(api, []), device)).toThrow(JournalError);
    // Nothing was written to the frames it refused.
    expect(range.readAt(0, 12)).toEqual(new Uint8Array(12));
  });
});

// ------------------------------------------------------------------ crash runs

const CRASH_IMAGE = 3 << 20;
const CRASH_FRAMES = MIN_JOURNAL_FRAMES;
/** A small cache writes back (committed) blocks between operations, so replay meets them on the disk. */
const CACHE_BLOCKS = 2;

interface CrashWorld extends JournalWorld {
  cacheBlocks: number;
}

function crashWorld(
  journalFrames = CRASH_FRAMES,
  bytesPerInode?: number,
  cacheBlocks = CACHE_BLOCKS,
): CrashWorld {
  const { api, frames } = machine();
  return { api, frames: frames(journalFrames), pristine: image(CRASH_IMAGE, bytesPerInode), cacheBlocks };
}

/** The next incarnation: opens the journal on the frames (replaying what is there) and mounts with it. */
function remount(world: CrashWorld, device: BlockBackend) {
  return remountWith(world, device, { clock: () => FIXED, cacheBlocks: world.cacheBlocks });
}

interface RunResult {
  /** Steps that returned. */
  completed: number;
  crash: Crash | null;
  faults: Faults;
  disk: MemoryBlockBackend;
  fs: Ext2FileSystem;
  journal: RecordingJournal;
  /** Snapshots when asked for: index 0 before the first step, i after step i - 1. */
  snapshots: TreeEntry[][];
  /** The journal's statistics, indexed as the snapshots. */
  stats: JournalStats[];
}

/**
 * Runs `steps` from the pristine disk and zeroed journal frames, writes counted from the first step on,
 * crashing where `crashAt` says. `observe` sees the file system after each step that returned.
 */
function runSteps(
  world: CrashWorld,
  steps: Step[],
  crashAt: CrashPoint | null = null,
  withSnapshots = false,
  observe?: (step: number, fs: Ext2FileSystem, disk: MemoryBlockBackend, journal: RecordingJournal) => void,
): RunResult {
  const rig = crashRig(world, crashAt);
  const { faults, disk } = rig;
  const { inner, journal, fs } = mountRecorded(rig, { clock: () => FIXED, cacheBlocks: world.cacheBlocks });
  const result: RunResult = {
    completed: 0,
    crash: null,
    faults,
    disk,
    fs,
    journal,
    snapshots: withSnapshots ? [snapshot(fs)] : [],
    stats: [{ ...inner.stats }],
  };
  faults.armed = true;
  try {
    for (const step of steps) {
      journal.step = result.completed;
      step.run(fs);
      faults.armed = false;
      observe?.(result.completed, fs, disk, journal);
      result.completed++;
      result.stats.push({ ...inner.stats });
      if (withSnapshots) result.snapshots.push(snapshot(fs));
      faults.armed = true;
    }
  } catch (e) {
    if (!(e instanceof Crash)) throw e;
    result.crash = e;
  }
  faults.armed = false;
  return result;
}

/** Every write a crash-free run of `steps` makes, as crash points. */
function everyPoint(faults: Faults): CrashPoint[] {
  return [
    ...Array.from({ length: faults.device }, (_, n) => ({ kind: 'device' as const, n })),
    ...Array.from({ length: faults.frame }, (_, n) => ({ kind: 'frame' as const, n })),
  ];
}

// ------------------------------------------------------------------ 2. crash atomicity

describe('crash atomicity under the journal', () => {
  // With the default cache nothing is written back between checkpoints; with a tiny one nearly everything.
  test.each([CACHE_BLOCKS, 4096])(
    'a crash at any device or frame write recovers to the state before or after the operation (cache of %i blocks)',
    (cacheBlocks) => {
      const world = crashWorld(CRASH_FRAMES, undefined, cacheBlocks);
      // The crash-free run: a snapshot after every step, and e2fsck on the final image.
      const reference = runSteps(world, STEPS, null, true);
      expect(reference.completed).toBe(STEPS.length);
      const snaps = reference.snapshots;
      for (let i = 1; i < snaps.length; i++) {
        // Every step changes what is visible, so "before" and "after" can be told apart.
        expect(sameTree(snaps[i] as TreeEntry[], snaps[i - 1] as TreeEntry[]), STEPS[i - 1]?.name).toBe(
          false,
        );
      }
      const final = snaps[STEPS.length] as TreeEntry[];
      expect(final.map((e) => e.path)).toEqual(['/', '/a', '/a/fast', '/a/slow', '/hard', '/lost+found']);
      expect(final.find((e) => e.path === '/hard')?.content).toEqual(new Uint8Array([...SMALL, ...BIG]));
      expect(final.find((e) => e.path === '/a/slow')?.target).toBe(LONG_TARGET);
      expect(inodeProblems(reference.fs)).toEqual([]);
      reference.fs.unmount();
      expectClean(reference.disk.bytes, 'the crash-free run');

      // The writes the run makes (without the snapshots' reads in between). (The log logs only the bytes
      // that changed and does not fill here: crashes in checkpoints are the next describe's.)
      const counted = runSteps(world, STEPS);
      expect(counted.completed).toBe(STEPS.length);
      const points = everyPoint(counted.faults);
      expect(counted.faults.device).toBeGreaterThan(40);
      expect(counted.faults.frame).toBeGreaterThan(40);

      const landed = { before: 0, after: 0, mixed: 0, replayed: 0 };
      for (const [index, at] of points.entries()) {
        const run = runSteps(world, STEPS, at);
        const where = `crash at ${at.kind} write ${at.n}`;
        expect(run.crash, where).not.toBeNull();
        const step = STEPS[run.completed] as Step;
        const label = `${where}, during "${step.name}"`;
        const before = snaps[run.completed] as TreeEntry[];
        const after = snaps[run.completed + 1] as TreeEntry[];

        // The file system's memory is gone; the next incarnation replays the frames and mounts again.
        const { journal, fs } = remount(world, run.disk);
        if (journal.stats.replayedBlocks > 0) landed.replayed++;
        const tree = snapshot(fs);
        let next: number;
        if (sameTree(tree, after)) {
          landed.after++;
          next = run.completed + 1;
        } else if (sameTree(tree, before)) {
          landed.before++;
          next = run.completed;
        } else if (step.inPlace !== undefined && mixedData(tree, before, after, step.inPlace)) {
          landed.mixed++;
          next = run.completed;
        } else {
          expect.fail(
            `${label}: the tree after recovery is neither the one before nor after:\n${describeTree(tree)}\n` +
              `--- before:\n${describeTree(before)}\n--- after:\n${describeTree(after)}`,
          );
        }
        expect(inodeProblems(fs), label).toEqual([]);
        fs.unmount();
        expectClean(run.disk.bytes, label);

        // Carrying on from the recovered state (the operation in progress sent again when it did not
        // commit) reaches the crash-free run's final tree.
        const again = remount(world, run.disk);
        expect(again.journal.stats.replayedBlocks, label).toBe(0);
        for (const s of STEPS.slice(next)) s.run(again.fs);
        const end = snapshot(again.fs);
        if (!sameTree(end, final)) {
          expect.fail(`${label}: carrying on gave\n${describeTree(end)}\ninstead of\n${describeTree(final)}`);
        }
        again.fs.unmount();
        if (index % 5 === 0) expectClean(run.disk.bytes, `${label}, carried on`);
      }
      // Crash points fell on both sides of commits, and some needed the log replayed.
      expect(landed.before).toBeGreaterThan(0);
      expect(landed.after).toBeGreaterThan(0);
      expect(landed.replayed).toBeGreaterThan(0);
    },
  );

  test('a metadata block freed and reused for file data is not replayed over the data', () => {
    const world = crashWorld(64);
    const held = { dirBlock: 0, indirect: 0 };
    const steps: Step[] = [
      { name: 'mkdir /r', run: (fs) => void fs.mkdir(fs.rootIno, 'r', 0o755) },
      { name: 'create /g', run: (fs) => void fs.create(fs.rootIno, 'g', 0o644) },
      {
        name: 'write /g (an indirect block)',
        run: (fs) => void fs.write(fs.resolve('/g'), 0, pattern(3, 14_336)),
      },
      { name: 'truncate /g to 0', run: (fs) => fs.truncate(fs.resolve('/g'), 0) },
      { name: 'rmdir /r', run: (fs) => fs.rmdir(fs.rootIno, 'r') },
      { name: 'create /h', run: (fs) => void fs.create(fs.rootIno, 'h', 0o644) },
      { name: 'write /h', run: (fs) => void fs.write(fs.resolve('/h'), 0, pattern(4, 20_480)) },
    ];
    const run = runSteps(world, steps, null, false, (step, fs) => {
      if (step === 0) held.dirBlock = fs.volume.readInode(fs.resolve('/r')).block[0] as number;
      if (step === 2) held.indirect = fs.volume.readInode(fs.resolve('/g')).block[12] as number;
    });
    expect(run.completed).toBe(steps.length);
    // Both blocks were logged as metadata, freed, and now hold /h's data; no checkpoint came between.
    const h = run.fs.volume.readInode(run.fs.resolve('/h'));
    const dataBlocks = Array.from({ length: 20 }, (_, l) => mapBlock(run.fs.volume, h, l));
    expect(dataBlocks).toContain(held.dirBlock);
    expect(dataBlocks).toContain(held.indirect);
    expect(run.journal.events.filter((e) => e.kind === 'checkpointed' && e.step >= 0)).toEqual([]);
    // The server dies: replaying the log must not bring the old directory and indirect blocks back.
    const { journal, fs } = remount(world, run.disk);
    expect(journal.stats.replayedBlocks).toBeGreaterThan(0);
    expect(fs.read(fs.resolve('/h'), 0, 20_480)).toEqual(pattern(4, 20_480));
    expect(fs.stat(fs.resolve('/g')).size).toBe(0);
    expect(inodeProblems(fs)).toEqual([]);
    fs.unmount();
    expectClean(run.disk.bytes, 'after reusing freed metadata blocks');
  });

  test('a block freed and reused as metadata within one operation is replayed as its new contents', () => {
    // A cache large enough to keep /g's block when it is freed (a block freed while cached is revoked).
    const world = crashWorld(64, undefined, 4096);
    const held = { gFirst: 0 };
    const steps: Step[] = [
      { name: 'create /h', run: (fs) => void fs.create(fs.rootIno, 'h', 0o644) },
      {
        name: 'write /h (12 direct blocks)',
        run: (fs) => void fs.write(fs.resolve('/h'), 0, pattern(6, 12_288)),
      },
      { name: 'create /g', run: (fs) => void fs.create(fs.rootIno, 'g', 0o644) },
      { name: 'write /g', run: (fs) => void fs.write(fs.resolve('/g'), 0, pattern(5, 4096)) },
      {
        // One request: /g goes, and /h grows past its direct blocks; its new indirect block is allocated
        // next to its last block, which is /g's first block, freed a moment before.
        name: 'unlink /g, then write /h past 12 blocks, atomically',
        run: (fs) =>
          fs.atomically(() => {
            fs.unlink(fs.rootIno, 'g');
            fs.write(fs.resolve('/h'), 12_288, pattern(7, 4096));
          }),
      },
    ];
    const run = runSteps(world, steps, null, false, (step, fs) => {
      if (step === 3) held.gFirst = fs.volume.readInode(fs.resolve('/g')).block[0] as number;
    });
    expect(run.completed).toBe(steps.length);
    // The case under test did happen, and nothing was checkpointed, so replay meets it in the log.
    expect(run.fs.volume.readInode(run.fs.resolve('/h')).block[12]).toBe(held.gFirst);
    expect(run.journal.events.filter((e) => e.kind === 'checkpointed' && e.step >= 0)).toEqual([]);
    // The server dies without writing its cache back: replay must give /h its new indirect block, not
    // leave /g's old bytes there to be read as block pointers.
    const { journal, fs } = remount(world, run.disk);
    expect(journal.stats.replayedBlocks).toBeGreaterThan(0);
    const wanted = new Uint8Array(16_384);
    wanted.set(pattern(6, 12_288), 0);
    wanted.set(pattern(7, 4096), 12_288);
    expect(fs.read(fs.resolve('/h'), 0, 16_384)).toEqual(wanted);
    expect(() => fs.resolve('/g')).toThrow(Ext2Error);
    expect(inodeProblems(fs)).toEqual([]);
    fs.unmount();
    expectClean(run.disk.bytes, 'after reusing a freed block as metadata in one operation');
  });

  test('bytes a lost write left past the end of a file read as zeros when the file grows over them', () => {
    const world = crashWorld(64, undefined, 4096);
    const steps: Step[] = [
      { name: 'create /t', run: (fs) => void fs.create(fs.rootIno, 't', 0o644) },
      { name: 'write 1000 bytes to /t', run: (fs) => void fs.write(fs.resolve('/t'), 0, pattern(8, 1000)) },
      // Into the rest of the same block: its data reaches the disk before the commit that grows /t.
      { name: 'append 20 bytes to /t', run: (fs) => void fs.write(fs.resolve('/t'), 1000, pattern(9, 20)) },
    ];
    const counted = runSteps(world, steps.slice(0, 2));
    // The crash: at the commit of the append, after its data was written.
    const run = runSteps(world, steps, { kind: 'frame', n: counted.faults.frame });
    expect(run.completed).toBe(2);
    expect(run.crash).not.toBeNull();
    // The next incarnation replays the log (the create and the first write) and carries on from there.
    remount(world, run.disk).fs.unmount();
    const grown = (grow: (fs: Ext2FileSystem, t: number) => void) => {
      const disk = new MemoryBlockBackend(run.disk.bytes.slice());
      const fs = Ext2FileSystem.mount(disk, { clock: () => FIXED });
      const t = fs.resolve('/t');
      expect(fs.stat(t).size).toBe(1000);
      // The lost append's bytes are on the disk, past the end.
      const block = fs.volume.readInode(t).block[0] as number;
      expect(disk.bytes.subarray(block * 1024 + 1000, block * 1024 + 1020)).toEqual(pattern(9, 20));
      grow(fs, t);
      const bytes = fs.read(t, 0, fs.stat(t).size);
      fs.unmount();
      return bytes;
    };
    const byTruncate = grown((fs, t) => fs.truncate(t, 1500));
    expect(byTruncate.subarray(0, 1000)).toEqual(pattern(8, 1000));
    expect(byTruncate.subarray(1000)).toEqual(new Uint8Array(500));
    // A write that starts past the end leaves a gap that must read as zeros too.
    const byWrite = grown((fs, t) => void fs.write(t, 1010, text('x')));
    expect(byWrite.subarray(1000, 1010)).toEqual(new Uint8Array(10));
    expect(byWrite[1010]).toBe(text('x')[0]);
  });

  test('a crash while replaying is repaired by replaying again', () => {
    const world = crashWorld();
    const reference = runSteps(world, STEPS, null, true);
    const counted = runSteps(world, STEPS);
    const frames = counted.faults.frame;
    // Crashes late in the run, when the log holds the most.
    for (const n of [frames - 1, frames - 7, frames - 20]) {
      const run = runSteps(world, STEPS, { kind: 'frame', n });
      expect(run.crash).not.toBeNull();
      const wanted = [run.completed, run.completed + 1].map((i) => reference.snapshots[i] as TreeEntry[]);
      const frameCopy = world.frames.map((f) => world.api.frameRead(f, 0, FRAME_BYTES));
      const restore = () => {
        for (const [i, f] of world.frames.entries()) world.api.frameWrite(f, 0, frameCopy[i] as Uint8Array);
      };
      // How many blocks replaying writes, counted on a copy of the disk.
      const probe = new MemoryBlockBackend(run.disk.bytes.slice());
      const replayed = FrameJournal.open(new FrameRange(world.api, world.frames), probe).stats.replayedBlocks;
      expect(replayed).toBeGreaterThan(0);
      for (let m = 0; m <= replayed; m++) {
        // Frames and disk as the crash left them; the replay itself dies at its m-th block write (or,
        // for m = replayed, at the frame write that empties the log).
        restore();
        const disk = new MemoryBlockBackend(run.disk.bytes.slice());
        const faults = new Faults();
        faults.armed = true;
        faults.crashAt = m < replayed ? { kind: 'device', n: m } : { kind: 'frame', n: 0 };
        const range = new FrameRange(crashingApi(world.api, faults), world.frames);
        expect(() => FrameJournal.open(range, new CrashingDevice(disk, faults))).toThrow(Crash);
        const { journal, fs } = remount(world, disk);
        expect(journal.stats.replayedBlocks).toBe(replayed);
        const tree = snapshot(fs);
        expect(
          wanted.some((w) => sameTree(tree, w)),
          `replay crashed at ${m}:\n${describeTree(tree)}`,
        ).toBe(true);
        expect(inodeProblems(fs)).toEqual([]);
        fs.unmount();
        if (m % 4 === 0 || m === replayed) expectClean(disk.bytes, `replay crashed at ${m}`);
      }
    }
  });
});

// ------------------------------------------------------------------ 3. checkpoints

const CHECKPOINT_STEPS: Step[] = Array.from({ length: 50 }, (_, i): Step[] => [
  { name: `mkdir /d${i}`, run: (fs) => void fs.mkdir(fs.rootIno, `d${i}`, 0o755) },
  { name: `create /d${i}/f`, run: (fs) => void fs.create(fs.resolve(`/d${i}`), 'f', 0o644) },
  {
    name: `write /d${i}/f`,
    run: (fs) => void fs.write(fs.resolve(`/d${i}/f`), 0, pattern(i, 1500 + 700 * i)),
  },
]).flat();

describe('checkpoints', () => {
  test('the log empties when a commit takes it past half its capacity, and the disk then holds it all', () => {
    const world = crashWorld(MIN_JOURNAL_FRAMES);
    let checkedAlone = 0;
    const run = runSteps(world, CHECKPOINT_STEPS, null, true, (step, fs, disk, journal) => {
      if (journal.inner.stats.logBytes !== 0) return;
      // Right after a checkpoint the disk alone, without the journal, is the file system.
      const alone = Ext2FileSystem.mount(new MemoryBlockBackend(disk.bytes.slice()), { readOnly: true });
      const tree = snapshot(alone);
      expect(sameTree(tree, snapshot(fs)), `after step ${step}:\n${describeTree(tree)}`).toBe(true);
      checkedAlone++;
    });
    expect(run.completed).toBe(CHECKPOINT_STEPS.length);
    const capacity = run.journal.inner.capacity;
    expect(capacity).toBe((MIN_JOURNAL_FRAMES - 3) * FRAME_BYTES);
    let checkpoints = 0;
    for (let i = 1; i < run.stats.length; i++) {
      const s = run.stats[i] as JournalStats;
      const p = run.stats[i - 1] as JournalStats;
      // Each step is one commit, after which the log is never more than half full.
      expect(s.commits).toBe(p.commits + 1);
      expect(s.logBytes).toBeLessThanOrEqual(capacity / 2);
      if (s.checkpoints > p.checkpoints) {
        expect(s.checkpoints).toBe(p.checkpoints + 1);
        expect(s.logBytes).toBe(0);
        checkpoints++;
      } else {
        expect(s.logBytes).toBeGreaterThan(p.logBytes);
      }
    }
    expect(checkpoints).toBeGreaterThanOrEqual(3);
    expect(checkedAlone).toBe(checkpoints);
    // A checkpoint follows exactly the commits that took the log past half its capacity.
    const events = run.journal.events.filter((e) => e.step >= 0);
    for (const [k, e] of events.entries()) {
      if (e.kind !== 'commit') continue;
      const next = events[k + 1];
      const checkpointed = next?.kind === 'checkpointed' && next.step === e.step;
      expect(checkpointed, `commit of step ${e.step} leaving ${e.logBytes} bytes`).toBe(
        e.logBytes > capacity / 2,
      );
    }
    run.fs.unmount();
    expectClean(run.disk.bytes, 'after the checkpoints');
  });

  test("a crash during a checkpoint's write-back is repaired by replay", () => {
    const world = crashWorld(MIN_JOURNAL_FRAMES);
    const reference = runSteps(world, CHECKPOINT_STEPS, null, true);
    const counted = runSteps(world, CHECKPOINT_STEPS);
    // The writes between a step's commit and the end of the checkpoint that follows it: the write-back
    // of every dirty block, then the frame write that empties the log.
    const points: { at: CrashPoint; step: number }[] = [];
    const events = counted.journal.events;
    for (const [k, e] of events.entries()) {
      if (e.kind !== 'checkpointed' || e.step < 0) continue;
      const commit = events[k - 1] as JournalEvent;
      expect(commit).toMatchObject({ kind: 'commit', step: e.step });
      for (let n = commit.device; n < e.device; n++) points.push({ at: { kind: 'device', n }, step: e.step });
      points.push({ at: { kind: 'frame', n: e.frame - 1 }, step: e.step });
    }
    expect(points.filter((p) => p.at.kind === 'device').length).toBeGreaterThan(5);
    for (const [index, { at, step }] of points.entries()) {
      const label = `crash at ${at.kind} write ${at.n}, checkpointing after step ${step}`;
      const run = runSteps(world, CHECKPOINT_STEPS, at);
      expect(run.crash, label).not.toBeNull();
      expect(run.completed, label).toBe(step);
      const { journal, fs } = remount(world, run.disk);
      // The step had committed: replay brings back what the write-back had not yet written.
      expect(journal.stats.replayedBlocks, label).toBeGreaterThan(0);
      const tree = snapshot(fs);
      const wanted = reference.snapshots[step + 1] as TreeEntry[];
      if (!sameTree(tree, wanted)) {
        expect.fail(`${label}: recovered\n${describeTree(tree)}\ninstead of\n${describeTree(wanted)}`);
      }
      expect(inodeProblems(fs), label).toEqual([]);
      fs.unmount();
      if (index % 2 === 0) expectClean(run.disk.bytes, label);
    }
  });
});

// ------------------------------------------------------------------ 4. saved replies

function startServer(api: EnvApi, frames: number[], device: BlockBackend, faults?: Faults) {
  const range = new FrameRange(faults === undefined ? api : crashingApi(api, faults), frames);
  const journal = FrameJournal.open(range, device);
  const fs = Ext2FileSystem.mount(device, { journal, clock: () => FIXED, cacheBlocks: CACHE_BLOCKS });
  const server = new FileServer(fs, journal);
  const ask = (id: bigint, request: FsRequest, client = 0) =>
    server.handle(encodeRequest(id, request), null, client);
  const root = decodeResponse(ask(1n, { kind: 'root' })).attributes?.handle as FileHandle;
  return { journal, fs, server, ask, root };
}

function names(fs: Ext2FileSystem, dir: number): string[] {
  return fs
    .readdir(dir)
    .map((e) => e.name)
    .sort();
}

describe('saved replies', () => {
  test('a retried request is answered from the journal, not carried out again, across a restart', () => {
    const { api, frames } = machine();
    const journalFrames = frames(MIN_JOURNAL_FRAMES);
    const disk = new MemoryBlockBackend(image(2 << 20));
    let s = startServer(api, journalFrames, disk);
    const mkdirOnce = {
      kind: 'mkdir',
      handle: s.root,
      name: 'once',
      mode: 0o755,
      owner: ROOT_OWNER,
    } as const;
    const request = encodeRequest(5n, mkdirOnce);
    const first = s.server.handle(request, null, 0);
    const made = decodeResponse(first);
    expect(made.error).toBeNull();
    expect(made.id).toBe(5n);
    expect(made.attributes).toMatchObject({ mode: 0o40755, links: 2 });
    const once = made.attributes?.handle as FileHandle;
    const rootLinks = s.fs.stat(s.fs.rootIno).links;
    expect(rootLinks).toBe(4);
    expect(s.server.stats.answeredAgain).toBe(0);

    // The same request again: the same bytes back, and the directory made once.
    expect(s.server.handle(request, null, 0)).toEqual(first);
    expect(s.server.stats.answeredAgain).toBe(1);
    expect(s.fs.stat(s.fs.rootIno).links).toBe(rootLinks);
    expect(names(s.fs, s.fs.rootIno)).toEqual(['lost+found', 'once']);
    expect(s.journal.savedReply(0, 5n, requestHash(request))).toEqual(first);

    // Requests that change nothing are not kept: asked again, they are answered afresh.
    const getattr = encodeRequest(6n, { kind: 'getattr', handle: once });
    const seen = s.server.handle(getattr, null, 0);
    expect(decodeResponse(seen).attributes?.links).toBe(2);
    expect(decodeResponse(s.ask(7n, { kind: 'lookup', handle: s.root, name: 'once' })).error).toBeNull();
    expect(s.journal.savedReply(0, 6n, requestHash(getattr))).toBeNull();
    expect(
      s.journal.savedReply(
        0,
        7n,
        requestHash(encodeRequest(7n, { kind: 'lookup', handle: s.root, name: 'once' })),
      ),
    ).toBeNull();
    // (another client changes the directory: the same getattr now sees it)
    const inner = decodeResponse(
      s.ask(1n, { kind: 'mkdir', handle: once, name: 'in', mode: 0o700, owner: ROOT_OWNER }, 2),
    );
    expect(inner.error).toBeNull();
    expect(decodeResponse(s.server.handle(getattr, null, 0)).attributes?.links).toBe(3);
    expect(s.server.stats.answeredAgain).toBe(1);
    // ...and they did not take the place of the client's last saved answer.
    expect(s.server.handle(request, null, 0)).toEqual(first);
    expect(s.server.stats.answeredAgain).toBe(2);

    // Another client sending the very same bytes is another request: carried out, and refused.
    const otherClient = s.server.handle(request, null, 1);
    expect(decodeResponse(otherClient).error?.code).toBe('EEXIST');
    expect(s.server.stats.answeredAgain).toBe(2);
    // (its refusal is its saved answer)
    expect(s.server.handle(request, null, 1)).toEqual(otherClient);
    expect(s.server.stats.answeredAgain).toBe(3);

    // The server dies without unmounting; the next one replays the journal.
    s = startServer(api, journalFrames, disk);
    expect(s.journal.stats.replayedBlocks).toBeGreaterThan(0);
    expect(s.server.handle(request, null, 0)).toEqual(first);
    expect(s.server.stats.answeredAgain).toBe(1);
    expect(s.server.handle(request, null, 1)).toEqual(otherClient);
    expect(s.server.stats.answeredAgain).toBe(2);
    expect(s.fs.stat(s.fs.rootIno).links).toBe(rootLinks);
    expect(names(s.fs, s.fs.rootIno)).toEqual(['lost+found', 'once']);
    expect(names(s.fs, once.ino)).toEqual(['in']);
    // The same mkdir under a new id is a new request.
    const fresh = decodeResponse(s.ask(8n, mkdirOnce));
    expect(fresh.error?.code).toBe('EEXIST');
    // Only a client's last answer is kept: the old request is now carried out again.
    expect(decodeResponse(s.server.handle(request, null, 0)).error?.code).toBe('EEXIST');
    expect(s.server.stats.answeredAgain).toBe(2);
    // The same id with other bytes is another request too.
    const renamed = s.server.handle(encodeRequest(8n, { ...mkdirOnce, name: 'twice' }), null, 0);
    expect(decodeResponse(renamed).error).toBeNull();
    expect(names(s.fs, s.fs.rootIno)).toEqual(['lost+found', 'once', 'twice']);
    s.fs.unmount();
    expectClean(disk.bytes, 'after the saved replies');
  });

  test('a server dying at any write while answering a mkdir: the retry gets one mkdir, made once', () => {
    const { api, frames } = machine();
    const journalFrames = frames(MIN_JOURNAL_FRAMES);
    const pristine = image(2 << 20);
    const CLIENT = 3;
    /** A server on the pristine disk that has made /a; the faults armed from the mkdir of /late on. */
    const start = (crashAt: CrashPoint | null) => {
      const { disk, device, faults } = crashRig({ api, frames: journalFrames, pristine }, crashAt);
      const s = startServer(api, journalFrames, device, faults);
      s.ask(1n, { kind: 'mkdir', handle: s.root, name: 'a', mode: 0o755, owner: ROOT_OWNER }, CLIENT);
      const late = encodeRequest(2n, {
        kind: 'mkdir',
        handle: s.root,
        name: 'late',
        mode: 0o711,
        owner: ROOT_OWNER,
      });
      faults.armed = true;
      return { disk, faults, s, late };
    };
    const clean = start(null);
    const cleanFaults = clean.faults;
    const answer = clean.s.server.handle(clean.late, null, CLIENT);
    expect(decodeResponse(answer).error).toBeNull();
    cleanFaults.armed = false;
    const rootLinks = clean.s.fs.stat(clean.s.fs.rootIno).links;
    const points = everyPoint(cleanFaults);
    expect(points.length).toBeGreaterThan(5);
    const outcomes = { answeredAgain: 0, carriedOut: 0 };
    for (const at of points) {
      const label = `crash at ${at.kind} write ${at.n}`;
      const dying = start(at);
      expect(() => dying.s.server.handle(dying.late, null, CLIENT), label).toThrow(Crash);
      // The client sends the request again, to the next server.
      const next = startServer(api, journalFrames, dying.disk);
      const again = next.server.handle(dying.late, null, CLIENT);
      const decoded = decodeResponse(again);
      expect(decoded.error, label).toBeNull();
      expect(decoded.attributes?.mode, label).toBe(0o40711);
      if (next.server.stats.answeredAgain === 1) {
        // Committed before the crash: the dying server's very answer.
        expect(again, label).toEqual(answer);
        outcomes.answeredAgain++;
      } else {
        expect(next.server.stats.answeredAgain, label).toBe(0);
        outcomes.carriedOut++;
      }
      expect(names(next.fs, next.fs.rootIno), label).toEqual(['a', 'late', 'lost+found']);
      expect(next.fs.stat(next.fs.rootIno).links, label).toBe(rootLinks);
      // Asked once more, it is the saved answer either way.
      expect(next.server.handle(dying.late, null, CLIENT), label).toEqual(again);
      next.fs.unmount();
      expectClean(dying.disk.bytes, label);
    }
    expect(outcomes.answeredAgain).toBeGreaterThan(0);
    expect(outcomes.carriedOut).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ 5. an operation too large for the journal

const BIG_OP_DIRS = 150;
const BIG_OP = 3;
const TOO_BIG_STEPS: Step[] = [
  { name: 'mkdir /x', run: (fs) => void fs.mkdir(fs.rootIno, 'x', 0o755) },
  { name: 'create /x/f', run: (fs) => void fs.create(fs.resolve('/x'), 'f', 0o644) },
  { name: 'write /x/f', run: (fs) => void fs.write(fs.resolve('/x/f'), 0, SMALL) },
  {
    name: `${BIG_OP_DIRS} mkdirs as one operation`,
    run: (fs) =>
      fs.atomically(() => {
        for (let i = 0; i < BIG_OP_DIRS; i++) fs.mkdir(fs.rootIno, `m${i}`, 0o700);
      }),
  },
  { name: 'mkdir /y', run: (fs) => void fs.mkdir(fs.rootIno, 'y', 0o755) },
  { name: 'append to /x/f', run: (fs) => void fs.write(fs.resolve('/x/f'), SMALL.length, SMALL) },
];

describe('an operation too large for the journal', () => {
  test('is written back without the journal, and the image stays consistent', () => {
    const world = crashWorld(MIN_JOURNAL_FRAMES, 4096);
    const run = runSteps(world, TOO_BIG_STEPS, null, true);
    expect(run.completed).toBe(TOO_BIG_STEPS.length);
    // Its metadata (a directory block and an inode per directory) is far more than the log holds.
    expect(run.journal.inner.fits(BIG_OP_DIRS, 1024, 0)).toBe(false);
    const p = run.stats[BIG_OP] as JournalStats;
    const s = run.stats[BIG_OP + 1] as JournalStats;
    const n = run.stats[BIG_OP + 2] as JournalStats;
    // Nothing was committed for it: everything was written back, and the log emptied.
    expect(run.journal.events.filter((e) => e.step === BIG_OP).map((e) => e.kind)).toEqual(['checkpointed']);
    expect(s.commits).toBe(p.commits);
    expect(s.checkpoints).toBe(p.checkpoints + 1);
    expect(s.logBytes).toBe(0);
    // The operations after it commit again.
    expect(n.commits).toBe(s.commits + 1);
    expect(n.logBytes).toBeGreaterThan(0);
    const after = run.snapshots[BIG_OP + 1] as TreeEntry[];
    expect(after.filter((e) => /^\/m\d+$/.test(e.path))).toHaveLength(BIG_OP_DIRS);
    const final = run.snapshots[TOO_BIG_STEPS.length] as TreeEntry[];
    expect(final.find((e) => e.path === '/x/f')?.content).toEqual(new Uint8Array([...SMALL, ...SMALL]));

    // The server dies after the last step: replaying the later commits over the written-back operation
    // gives the final tree.
    const { journal, fs } = remount(world, run.disk);
    expect(journal.stats.replayedBlocks).toBeGreaterThan(0);
    const tree = snapshot(fs);
    expect(sameTree(tree, final), describeTree(tree)).toBe(true);
    expect(inodeProblems(fs)).toEqual([]);
    fs.unmount();
    expectClean(run.disk.bytes, 'after the large operation');
  });

  // The journal's own blocks are written to the disk and the log emptied before the operation is written
  // back without it: a crash until then replays to the state before the operation; a crash after it
  // finds the log empty (no older copy lands over the operation's blocks), and what is left of the
  // operation is e2fsck's to repair.
  test('a crash while it is written back: the state before it, or a part of it that e2fsck -fy repairs', () => {
    const world = crashWorld(MIN_JOURNAL_FRAMES, 4096);
    const reference = runSteps(world, TOO_BIG_STEPS, null, true);
    const counted = runSteps(world, TOO_BIG_STEPS);
    const events = counted.journal.events;
    const start = events.filter((e) => e.step < BIG_OP).at(-1) as JournalEvent;
    const end = events.find((e) => e.step === BIG_OP) as JournalEvent;
    expect(end.kind).toBe('checkpointed');
    const points: CrashPoint[] = [{ kind: 'frame', n: end.frame - 1 }];
    for (let n = start.device; n < end.device; n += 16) points.push({ kind: 'device', n });
    const problems: string[] = [];
    let before = 0;
    let partial = 0;
    for (const at of points) {
      const label = `crash at ${at.kind} write ${at.n}`;
      const run = runSteps(world, TOO_BIG_STEPS, at);
      expect(run.crash, label).not.toBeNull();
      const journal = FrameJournal.open(new FrameRange(world.api, world.frames), run.disk);
      let fs: Ext2FileSystem | null = null;
      let tree: TreeEntry[] | null = null;
      try {
        fs = Ext2FileSystem.mount(run.disk, { journal, clock: () => FIXED, cacheBlocks: world.cacheBlocks });
        tree = snapshot(fs);
      } catch (e) {
        // A part of the operation may not even read as a file system until e2fsck repairs it.
        if (!(e instanceof Ext2Error)) throw e;
      }
      const wanted = [run.completed, run.completed + 1].map((i) => reference.snapshots[i] as TreeEntry[]);
      if (journal.stats.replayedBlocks > 0) {
        // The crash came before the log was emptied: replaying it gives the state before the operation.
        before++;
        if (fs === null || tree === null || !wanted.some((w) => sameTree(tree as TreeEntry[], w))) {
          problems.push(`${label}: the log was replayed, but the tree is not a whole state`);
          continue;
        }
        if (inodeProblems(fs).length > 0) problems.push(`${label}: inode problems in a whole state`);
        fs.unmount();
        if (E2FSCK !== null && e2fsck(run.disk.bytes).status !== 0)
          problems.push(`${label}: e2fsck not clean`);
        continue;
      }
      // After the log was emptied: a part of the operation (its tree may even look like the state before
      // it, with bitmaps or counts of the operation already written), which e2fsck -fy repairs.
      partial++;
      if (E2FSCK !== null) {
        const repaired = e2fsckRepair(run.disk.bytes);
        if (repaired.status >= 4) problems.push(`${label}: e2fsck -fy status ${repaired.status}`);
        if (e2fsck(repaired.image).status !== 0) problems.push(`${label}: not clean after e2fsck -fy`);
      }
    }
    expect(problems).toEqual([]);
    expect(before + partial).toBe(points.length);
    expect(before).toBeGreaterThan(0);
    expect(partial).toBeGreaterThan(0);
  });
});
