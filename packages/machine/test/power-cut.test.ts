/**
 * Power cuts under a write-heavy guest workload: the disk loses power at chosen write operations (from
 * then on nothing the machine does reaches the image, while the machine goes on running). Whatever the
 * moment of the cut, `e2fsck -fy` must be able to repair the image (exit status 0, 1 or 2, and a second
 * `e2fsck -fn` finds it clean), and every file whose fsync had completed before the cut must still be on
 * the image with exactly the bytes the guest wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlockBackend, DeterministicRandom, MemoryBlockBackend } from '@exov6/hal-x86';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEBUGFS, E2FSCK, haveBusybox, noE2fsprogs } from './support/e2fsprogs';
import { type CommandResult, Machine, MachineError, makeDiskImage, stageDefaultRoot } from '../src/index';

/**
 * A disk that loses power at write operation `cutAt` (counted from 1): that write and every later one,
 * and every later flush, are silently dropped. Reads still work, so the machine goes on running on what
 * its caches hold; the image stays as it was at the cut.
 */
class PowerCutDisk implements BlockBackend {
  /** Write operations asked of the disk, and flushes, dropped or not. */
  writes = 0;
  flushes = 0;
  /** The value of `writes` at each flush that reached the disk. */
  readonly flushedAt: number[] = [];

  constructor(
    private readonly inner: MemoryBlockBackend,
    readonly cutAt = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  /** Whether the power is still on (no write has been dropped yet). */
  get powered(): boolean {
    return this.writes < this.cutAt;
  }
  /** Write operations that reached the disk so far. */
  get reached(): number {
    return Math.min(this.writes, this.cutAt - 1);
  }
  read(offset: number, into: Uint8Array): void {
    this.inner.read(offset, into);
  }
  write(offset: number, data: Uint8Array): void {
    this.writes++;
    if (this.writes >= this.cutAt) return;
    this.inner.write(offset, data);
  }
  flush(): void {
    this.flushes++;
    if (!this.powered) return;
    this.flushedAt.push(this.writes);
    this.inner.flush();
  }
}

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  const generator = new DeterministicRandom(seed);
  return () => generator.nextU32() / 2 ** 32;
}

/** 48 KiB of seeded random bytes, put on the image as /w/pattern: what the workload's files are cut from. */
const PATTERN = (() => {
  const next = random(0xb10c5);
  return Buffer.from(Array.from({ length: 48 << 10 }, () => Math.floor(next() * 256)));
})();
const LOOP = 10;
const BURST = 6;

/** A slice of the pattern as `dd bs=BS skip=SKIP count=COUNT` copies it. */
function slice(bs: number, skip: number, count: number): Buffer {
  return PATTERN.subarray(bs * skip, bs * (skip + count));
}

/** Every file the workload makes durable with fsync, and its bytes. */
const SYNCED = new Map<string, Buffer>([
  ...Array.from({ length: LOOP }, (_, k): [string, Buffer] => {
    const i = k + 1;
    return [`/w/s/p${i}`, slice(100 + i * 37, i, i + 2)];
  }),
  ['/w/s/large', PATTERN],
  ...Array.from({ length: BURST }, (_, k): [string, Buffer] => {
    const j = k + 1;
    return [`/w/s/b${j}`, slice(512, j * 5, j)];
  }),
]);

/**
 * Files created, appended to, overwritten, renamed over others and removed, directories made and removed,
 * large files (a few hundred KiB) written, moved, truncated and removed; interleaved with them, files
 * copied with `dd conv=fsync` (into /w/s, which nothing touches afterwards) and announced once durable.
 */
const WORKLOAD = `
set -e
mkdir /w/s /w/a /w/t
i=1
while [ $i -le ${LOOP} ]; do
  head -c $((i * 700)) /w/pattern > /w/a/f$i
  echo "appended $i" >> /w/a/f$(((i + 1) / 2))
  case $((i % 3)) in
    0) mv /w/a/f$i /w/t/r$i; echo over > /w/a/f$((i - 1)) ;;
    1) mkdir /w/a/d$i; echo $i > /w/a/d$i/x ;;
    2) rm -r /w/a/d$((i - 1)); rm /w/a/f$((i / 2)) ;;
  esac
  dd if=/w/pattern of=/w/s/p$i bs=$((100 + i * 37)) skip=$i count=$((i + 2)) conv=fsync 2>/dev/null
  echo "synced /w/s/p$i"
  i=$((i + 1))
done
dd if=/dev/zero of=/w/zero bs=4096 count=64 2>/dev/null
cat /w/pattern /w/pattern /w/pattern /w/pattern /w/pattern > /w/big
mv /w/a/f7 /w/t/r3
ln /w/t/r3 /w/a/hard
mkdir /w/a/e
rmdir /w/a/e
dd if=/w/pattern of=/w/s/large bs=4096 conv=fsync 2>/dev/null
echo "synced /w/s/large"
mv /w/big /w/a/big
j=1
while [ $j -le ${BURST} ]; do
  dd if=/w/pattern of=/w/s/b$j bs=512 skip=$((j * 5)) count=$j conv=fsync 2>/dev/null
  echo "synced /w/s/b$j"
  j=$((j + 1))
done
rm /w/zero /w/a/hard
truncate -s 3000 /w/a/big
echo done
`;

/** A line "synced FILE", and the writes that had reached the disk when it was printed. */
interface Synced {
  path: string;
  writes: number;
  /** The fsync completed with the power on: nothing had been dropped yet. */
  durable: boolean;
}

interface Run {
  memory: MemoryBlockBackend;
  disk: PowerCutDisk;
  synced: Synced[];
  /** Writes asked for before the power-off began (the workload's, boot included). */
  workloadWrites: number;
  /** The run's result; null when the machine failed after the cut (`failure` says how). */
  result: CommandResult | null;
  failure: string | null;
}

let work: string;
let image: Uint8Array;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exov6-power-cut-'));
  const rootTree = join(work, 'root');
  stageDefaultRoot(rootTree);
  mkdirSync(join(rootTree, 'w'));
  writeFileSync(join(rootTree, 'w', 'pattern'), PATTERN);
  image = makeDiskImage(rootTree, null, { sizeMiB: 32, owner: { uid: 0, gid: 0 }, time: 1_700_000_000 })
    .image as Uint8Array;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Boots a fresh copy of the image on a disk that loses power at write `cutAt`, and runs the workload (for
 * at most `maxInstructions` guest instructions). What the machine does after the cut cannot reach the
 * image: should it fail then (give up, get stuck), the run still counts, with the failure noted.
 */
function runWorkload(cutAt?: number, maxInstructions?: number): Run {
  const memory = new MemoryBlockBackend(image.slice());
  const disk = new PowerCutDisk(memory, cutAt);
  const machine = new Machine({ disk, memoryMiB: 96 });
  const rootDisk = machine.rootDisk as NonNullable<typeof machine.rootDisk>;
  // Power-off writes everything back and marks the image clean: where there is no cut, it is not the
  // workload's (and where there is, it comes after the cut and is dropped).
  let workloadWrites = -1;
  const stop = rootDisk.stop.bind(rootDisk);
  rootDisk.stop = () => {
    workloadWrites = disk.writes;
    stop();
  };
  const synced: Synced[] = [];
  let pending = '';
  const onStdout = (data: Uint8Array) => {
    pending += Buffer.from(data).toString('latin1');
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line.startsWith('synced ')) {
        synced.push({ path: line.slice('synced '.length), writes: disk.reached, durable: disk.powered });
      }
    }
  };
  let result: CommandResult | null = null;
  let failure: string | null = null;
  try {
    result = machine.run(['/bin/sh', '-c', WORKLOAD], { onStdout, maxInstructions });
  } catch (e) {
    if (!(e instanceof MachineError) || disk.powered) throw e;
    failure = e.message;
  }
  return { memory, disk, synced, workloadWrites, result, failure };
}

interface Checked {
  /** e2fsck -fy's exit status, and whether it changed anything beyond marking the image clean. */
  fsck: number;
  repaired: boolean;
  fsckOutput: string;
  /** Synced files read back from the image (null: not there), by path. */
  files: Map<string, Buffer | null>;
}

/**
 * Writes the image to a file, repairs it with `e2fsck -fy` (which must manage: exit status below 4),
 * checks the result with `e2fsck -fn` (clean: 0), and reads every synced file back with debugfs.
 */
function checkImage(memory: MemoryBlockBackend, name: string): Checked {
  const path = join(work, name);
  writeFileSync(path, memory.bytes);
  const repair = spawnSync(E2FSCK, ['-fy', path], { encoding: 'utf8' });
  const fsckOutput = `${repair.stdout}${repair.stderr}`;
  expect(repair.status, `e2fsck -fy ${name}:\n${fsckOutput}`).not.toBeNull();
  expect(repair.status, `e2fsck -fy ${name}:\n${fsckOutput}`).toBeLessThan(4);
  const check = spawnSync(E2FSCK, ['-fn', path], { encoding: 'utf8' });
  expect(check.status, `e2fsck -fn ${name} after repair:\n${check.stdout}${check.stderr}`).toBe(0);
  const files = new Map<string, Buffer | null>();
  for (const file of SYNCED.keys()) {
    const r = spawnSync(DEBUGFS, ['-R', `cat ${file}`, path], { maxBuffer: 1 << 24 });
    expect(r.status, String(r.stderr)).toBe(0);
    // debugfs reports a missing file on its standard error and exits 0 all the same.
    files.set(file, /not found/i.test(String(r.stderr)) ? null : r.stdout);
  }
  rmSync(path);
  return {
    fsck: repair.status as number,
    repaired: /FILE SYSTEM WAS MODIFIED/.test(fsckOutput),
    fsckOutput,
    files,
  };
}

/** Whether the image holds `path` with exactly the bytes the guest wrote to it. */
function intact(checked: Checked, path: string): boolean {
  const got = checked.files.get(path);
  return got !== null && got !== undefined && Buffer.compare(got, SYNCED.get(path) as Buffer) === 0;
}

let baseline: Run | undefined;

/** The workload without a cut (run once). */
function uncut(): Run {
  baseline ??= runWorkload();
  return baseline;
}

describe.skipIf(!haveBusybox || noE2fsprogs)('power cuts during a write-heavy workload', () => {
  test('without a cut, the workload runs and every synced file is on the clean image', () => {
    const run = uncut();
    expect(run.result).toMatchObject({ stderr: '', status: 0 });
    expect(run.result?.stdout.endsWith('done\n')).toBe(true);
    expect(run.synced.map((s) => s.path)).toEqual([...SYNCED.keys()]);
    expect(run.synced.every((s) => s.durable)).toBe(true);
    expect(run.workloadWrites).toBeGreaterThan(500);
    // Every fsync ends with a flush.
    expect(run.disk.flushes).toBeGreaterThan(SYNCED.size);
    const checked = checkImage(run.memory, 'uncut.img');
    expect(checked.fsck, checked.fsckOutput).toBe(0);
    for (const file of SYNCED.keys()) expect(intact(checked, file), `${file} is on the image`).toBe(true);
  });

  test('after a cut at any point e2fsck repairs the image and every file synced before it survives', async () => {
    const clean = uncut();
    const total = clean.workloadWrites;
    const bootWrites = clean.disk.flushedAt[0] ?? 0;
    // The flushes that end a sync during the workload (an fsync writes everything back, then flushes).
    const syncs = clean.disk.flushedAt.filter((w) => w > bootWrites && w <= total);
    expect(syncs.length).toBeGreaterThanOrEqual(SYNCED.size);
    const next = random(0x5eed_c0de);
    const pick = (n: number) => Math.floor(next() * n);
    const cuts = new Set<number>();
    // Anywhere in the workload: one in each quarter of its writes.
    const quarter = (total - bootWrites) / 4;
    for (let q = 0; q < 4; q++) cuts.add(bootWrites + 1 + Math.floor(quarter * q + next() * quarter));
    // In the middle of a sync's write-back (its last few writes are lost), and just after one (it
    // completed), anywhere and in the burst of fsyncs at the end.
    const burst = syncs.slice(-BURST - 1);
    const anySync = () => syncs[pick(syncs.length)] as number;
    const burstSync = () => burst[pick(burst.length)] as number;
    for (const at of [anySync(), anySync(), burstSync(), burstSync()]) cuts.add(at - pick(3));
    for (const at of [anySync(), burstSync(), burstSync()]) cuts.add(at + 1 + pick(2));
    const figures: string[] = [];
    let withSynced = 0;
    let damaged = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      // (Between runs the worker answers its test runner.)
      await new Promise((resolve) => setImmediate(resolve));
      const run = runWorkload(cut, 4 * (clean.result?.instructions ?? 0));
      expect(run.disk.powered, `the power went off at write ${cut} before the run ended`).toBe(false);
      // Up to the cut the machine does what it did without one.
      const before = run.synced.filter((s) => s.durable);
      expect(before).toEqual(clean.synced.filter((s) => s.writes < cut));
      const checked = checkImage(run.memory, `cut-${cut}.img`);
      for (const s of before) {
        expect(intact(checked, s.path), `${s.path}, synced before the cut at ${cut}`).toBe(true);
      }
      const lost = clean.synced.filter((s) => s.writes >= cut && !intact(checked, s.path)).length;
      if (before.length > 0) withSynced++;
      if (checked.repaired || lost > 0) damaged++;
      figures.push(
        `cut at write ${cut} of ${total}: e2fsck -fy ${checked.fsck}${checked.repaired ? ' (repaired)' : ''}, ` +
          `${before.length} synced files checked, ${lost} synced later missing or different` +
          (run.failure === null ? '' : `; the machine then failed: ${run.failure}`),
      );
    }
    // The test can fail: some cuts have synced files to check, and some leave an image that needed repair
    // or lacks what was written after the cut.
    expect(withSynced, figures.join('\n')).toBeGreaterThanOrEqual(cuts.size / 2);
    expect(damaged, figures.join('\n')).toBeGreaterThanOrEqual(cuts.size / 2);
  }, 300_000);
});
