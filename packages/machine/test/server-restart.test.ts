/**
 * Resurrection of the file-system server: the disk under a running machine fails at chosen points of a
 * guest workload, which crashes the server in the middle of a request (a disk error escapes its
 * handler). The supervisor starts another, which replays the journal; the library OS sends the lost
 * request again. The workload must print what it prints natively, and after power-off `e2fsck -fn` must
 * find the image clean and debugfs must read the files back as the guest wrote them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlockBackend, BlockBackendError, MemoryBlockBackend } from '@exov6/hal-x86';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEBUGFS, E2FSCK, haveBusybox, noE2fsprogs } from './support/e2fsprogs';
import { Machine, makeDiskImage, stageDefaultRoot } from '../src/index';

/** Without e2fsprogs the checks of the image are skipped, except under CI, where they must run. */
const checkImage = !noE2fsprogs;

/** Where the disk fails: the n-th read or write (counted from 1 after boot), or every one from the n-th. */
interface Failure {
  readonly kind: 'read' | 'write';
  readonly at: number;
  readonly forever?: boolean;
}

/** A disk whose reads and writes fail where it is told (a failing disk, as the server sees it). */
class FailingDisk implements BlockBackend {
  reads = 0;
  writes = 0;
  failures = 0;
  armed = true;
  constructor(
    private readonly inner: MemoryBlockBackend,
    private readonly failures_: readonly Failure[],
  ) {}
  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  private check(kind: 'read' | 'write'): void {
    if (!this.armed) return;
    const n = kind === 'read' ? ++this.reads : ++this.writes;
    const hit = this.failures_.some((f) => f.kind === kind && (f.forever ? n >= f.at : n === f.at));
    if (hit) {
      this.failures++;
      throw new BlockBackendError(`injected ${kind} failure at ${kind} ${n}`);
    }
  }
  read(offset: number, into: Uint8Array): void {
    this.check('read');
    this.inner.read(offset, into);
  }
  write(offset: number, data: Uint8Array): void {
    this.check('write');
    this.inner.write(offset, data);
  }
  flush(): void {
    this.inner.flush();
  }
}

/** Writes, appends, links, renames, removals and a truncation under $D, then what it all looks like. */
const WORKLOAD = `
set -e
mkdir -p $D/a/b $D/c
i=1
while [ $i -le 12 ]; do echo "file $i" > $D/a/f$i; seq 1 $((i * 40)) >> $D/a/f$i; i=$((i + 1)); done
seq 1 12000 > $D/big
cat $D/big $D/big > $D/a/b/big2
mv $D/a/f1 $D/a/b/moved
ln $D/a/f2 $D/a/hard
ln -s ../big $D/a/sym
rm $D/a/f3 $D/a/f4
mkdir $D/gone
rmdir $D/gone
echo appended >> $D/a/f5
truncate -s 1000 $D/big
i=1
while [ $i -le 8 ]; do mkdir $D/c/d$i; echo $i > $D/c/d$i/x; i=$((i + 1)); done
rm -r $D/c/d1 $D/c/d2
mv $D/c/d3 $D/c/renamed
cd $D
find . | sort
for f in $(find . -type f | sort); do echo "$f $(wc -c < $f) $(md5sum < $f)"; done
stat -c '%n %h' a/hard a/f2
readlink a/sym
echo done
`;

let work: string;
let rootTree: string;
let image: Uint8Array;
let native: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exov6-restart-'));
  rootTree = join(work, 'root');
  stageDefaultRoot(rootTree);
  image = makeDiskImage(rootTree, null, { sizeMiB: 32, owner: { uid: 0, gid: 0 }, time: 1_700_000_000 })
    .image as Uint8Array;
  if (haveBusybox) {
    const dir = join(work, 'native');
    const r = spawnSync('/bin/busybox', ['sh', '-c', `D=${dir}\n${WORKLOAD}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    native = r.stdout;
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Boots on a copy of the image whose disk fails at `failAt`, runs the workload, powers off. */
function runWith(failures: Failure[]) {
  const memory = new MemoryBlockBackend(image.slice());
  const disk = new FailingDisk(memory, failures);
  disk.armed = false;
  const machine = new Machine({ disk, memoryMiB: 96 });
  disk.armed = true;
  const rootDisk = machine.rootDisk as NonNullable<typeof machine.rootDisk>;
  // The disk behaves again for the power-off (its failures are for the workload).
  const stop = rootDisk.stop.bind(rootDisk);
  rootDisk.stop = () => {
    disk.armed = false;
    stop();
  };
  const result = machine.run(['/bin/sh', '-c', `D=/w\n${WORKLOAD}`]);
  return { machine, rootDisk, disk, memory, result };
}

function expectImageClean(memory: MemoryBlockBackend, name: string): string {
  const path = join(work, name);
  writeFileSync(path, memory.bytes);
  if (!checkImage) return path;
  const fsck = spawnSync(E2FSCK, ['-fn', path], { encoding: 'utf8' });
  expect(fsck.status, `${fsck.stdout}${fsck.stderr}`).toBe(0);
  return path;
}

/** A file's bytes as debugfs reads them from the image. */
function debugfsCat(image: string, path: string): Buffer {
  const r = spawnSync(DEBUGFS, ['-R', `cat ${path}`, image], { maxBuffer: 1 << 26 });
  expect(r.status, String(r.stderr)).toBe(0);
  return r.stdout;
}

describe.skipIf(!haveBusybox)('the file-system server restarted in the middle of a workload', () => {
  /** Reads and writes the workload makes without failures. */
  let counts = { reads: 0, writes: 0 };

  test('without failures the workload prints what it prints natively', () => {
    const { result, disk, memory, rootDisk } = runWith([]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(native);
    expect(rootDisk.supervisor.report('fs')).toMatchObject({ crashes: 0, incarnation: 1 });
    counts = { reads: disk.reads, writes: disk.writes };
    expect(counts.reads).toBeGreaterThan(100);
    expect(counts.writes).toBeGreaterThan(100);
    expectImageClean(memory, 'clean.img');
  });

  // Where the disk fails, as fractions of the reads and writes of the run without failures.
  const cases: { name: string; at: { kind: 'read' | 'write'; fraction: number }[] }[] = [
    { name: 'a read a third of the way', at: [{ kind: 'read', fraction: 0.33 }] },
    { name: 'a write half-way (a commit or a checkpoint)', at: [{ kind: 'write', fraction: 0.5 }] },
    {
      name: 'a read early and a write late',
      at: [
        { kind: 'read', fraction: 0.1 },
        { kind: 'write', fraction: 0.9 },
      ],
    },
  ];

  test.each(cases)('a disk failure at $name: the server is restarted and the output is native', ({ at }) => {
    const failures: Failure[] = at.map((p) => ({
      kind: p.kind,
      at: Math.max(1, Math.floor(counts[p.kind === 'read' ? 'reads' : 'writes'] * p.fraction)),
    }));
    const { result, disk, memory, rootDisk, machine } = runWith(failures);
    expect(disk.failures).toBe(failures.length);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(native);
    expect(result.status).toBe(0);
    const report = rootDisk.supervisor.report('fs');
    expect(report.crashes).toBe(failures.length);
    expect(report.incarnation).toBe(failures.length + 1);
    expect(report.lastReason).toMatch(/injected (read|write) failure/);
    // The library OS sent at least one request again (the one the server died holding).
    expect(rootDisk.remote.stats.retries).toBeGreaterThanOrEqual(1);
    expect(machine.rootDisk?.supervisor.events.filter((e) => e.what === 'started')).toHaveLength(
      failures.length + 1,
    );
    const path = expectImageClean(memory, `failed-${failures.map((f) => `${f.kind}${f.at}`).join('-')}.img`);
    if (checkImage) {
      for (const file of ['a/b/big2', 'a/f5', 'a/hard', 'c/renamed/x', 'big']) {
        expect(debugfsCat(path, `/w/${file}`).equals(readFileSync(join(work, 'native', file))), file).toBe(
          true,
        );
      }
    }
  });

  test('a second failure in a row waits for the restart (backoff) and the process sleeps until then', () => {
    const writes = Math.floor(counts.writes * 0.6);
    const { result, rootDisk } = runWith([
      { kind: 'write', at: writes },
      { kind: 'write', at: writes + 1 },
    ]);
    expect(result.stdout).toBe(native);
    const events = rootDisk.supervisor.events;
    const scheduled = events.filter((e) => e.what === 'scheduled');
    expect(scheduled).toHaveLength(2);
    // The first restart is at once, the second one after the policy's base delay (10 ms).
    const delays = scheduled.map((e) => Number(/restart at (\d+) ns/.exec(e.detail)?.[1]) - e.atNs);
    expect(delays).toEqual([0, 10_000_000]);
    const started = events.filter((e) => e.what === 'started');
    expect(started[2]?.atNs).toBeGreaterThanOrEqual((scheduled[1]?.atNs ?? 0) + 10_000_000);
  });

  test('a disk that keeps failing: the supervisor gives up and the guest gets EIO, the host goes on', () => {
    const writes = Math.floor(counts.writes * 0.5);
    const { result, rootDisk } = runWith([{ kind: 'write', at: writes, forever: true }]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/I\/O error|Input\/output error/);
    const report = rootDisk.supervisor.report('fs');
    expect(report.status).toBe('failed');
    expect(report.crashes).toBe(rootDisk.supervisor.policy.maxRestarts + 1);
    expect(report.lastReason).toMatch(/given up/);
  });
});
