/**
 * Crashes for the journal tests: the process keeping the file system dies at a chosen device or journal
 * frame write (a Crash thrown before the write, which never happens), the journal's frames start as
 * zeros, the journal handed to ext2 records each commit and checkpoint with the writes made by then, and
 * the next incarnation replays the frames and mounts again. Images are checked with `e2fsck -fn`.
 */
import { type EnvApi, Exokernel } from '@exov6/exokernel';
import { type BlockBackend, MemoryBlockBackend } from '@exov6/hal-x86';
import { expect } from 'vitest';
import type { Ext2Journal, JournalBlock } from '../../src/ext2/journal';
import { Ext2FileSystem, FRAME_BYTES, FrameJournal, FrameRange } from '../../src/index';
import { E2FSCK, e2fsck } from './e2fsprogs';

/** An exokernel with a root environment whose API allocates the journal's frames. */
export function machine() {
  const kernel = new Exokernel({ memoryBytes: 64 << 20 });
  const root = kernel.createRootEnvironment({ quota: 4096 });
  const api = kernel.bind(root);
  const frames = (n: number) => Array.from({ length: n }, () => api.frameAlloc());
  return { kernel, api, frames };
}

/** The process keeping the file system dies here. */
export class Crash extends Error {
  override name = 'Crash';
}

export type WriteKind = 'device' | 'frame';

/** The n-th device write, the n-th frame write, or (`any`) the n-th write of either kind, from 0. */
export interface CrashPoint {
  kind: WriteKind | 'any';
  n: number;
}

/** Counts the device and frame writes made while armed, and throws Crash at the chosen one. */
export class Faults {
  armed = false;
  device = 0;
  frame = 0;
  crashAt: CrashPoint | null = null;
  crashed = false;

  /** The writes of both kinds counted so far. */
  get writes(): number {
    return this.device + this.frame;
  }

  hit(kind: WriteKind): void {
    if (this.crashed) throw new Crash(`a ${kind} write after the crash`);
    if (!this.armed) return;
    const n = kind === 'device' ? this.device++ : this.frame++;
    const at = this.crashAt;
    if (at === null) return;
    const counted = at.kind === 'any' ? this.writes - 1 : n;
    if ((at.kind === 'any' || at.kind === kind) && counted === at.n) {
      this.crashed = true;
      throw new Crash(`${kind} write ${counted}`);
    }
  }
}

/** A device whose writes go through `faults` (a crash before a write: the write never happens). */
export class CrashingDevice implements BlockBackend {
  constructor(
    readonly inner: MemoryBlockBackend,
    private readonly faults: Faults,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  read(offset: number, into: Uint8Array): void {
    this.inner.read(offset, into);
  }
  write(offset: number, data: Uint8Array): void {
    this.faults.hit('device');
    this.inner.write(offset, data);
  }
  flush(): void {
    this.inner.flush();
  }
}

/** The API with frame writes going through `faults` (everything else forwarded). */
export function crashingApi(api: EnvApi, faults: Faults): EnvApi {
  return new Proxy(api, {
    get(target, prop) {
      if (prop === 'frameWrite') {
        return (cap: number, offset: number, data: Uint8Array) => {
          faults.hit('frame');
          target.frameWrite(cap, offset, data);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Zeroes the journal's frames (a new supervisor's allocation). */
export function zeroFrames(api: EnvApi, frames: readonly number[]): void {
  for (const f of frames) api.frameWrite(f, 0, new Uint8Array(FRAME_BYTES));
}

/** Where the runs take place: the environment holding the journal's frames, and the image. */
export interface JournalWorld {
  api: EnvApi;
  frames: number[];
  /** The freshly made image every run starts from. */
  pristine: Uint8Array;
}

/** A copy of the image and the journal's frames, zeroed, with every write to either going through `faults`. */
export interface CrashRig {
  faults: Faults;
  /** The disk itself, as the writes that happened left it. */
  disk: MemoryBlockBackend;
  device: CrashingDevice;
  range: FrameRange;
}

export function crashRig(world: JournalWorld, crashAt: CrashPoint | null = null): CrashRig {
  const { api, frames, pristine } = world;
  const disk = new MemoryBlockBackend(pristine.slice());
  zeroFrames(api, frames);
  const faults = new Faults();
  faults.crashAt = crashAt;
  return {
    faults,
    disk,
    device: new CrashingDevice(disk, faults),
    range: new FrameRange(crashingApi(api, faults), frames),
  };
}

/** What the file system asked of the journal, and how many writes had been made when it was done. */
export interface JournalEvent {
  kind: 'commit' | 'checkpointed';
  /** The step running (-1: the mount). */
  step: number;
  device: number;
  frame: number;
  logBytes: number;
}

/**
 * Hands everything to a FrameJournal, noting each commit and checkpoint, and counting the operations too
 * large for it (written back without it).
 */
export class RecordingJournal implements Ext2Journal {
  readonly events: JournalEvent[] = [];
  /** The step running, noted with each event. */
  step = -1;
  /** Operations written back without the journal. */
  unjournaled = 0;
  constructor(
    readonly inner: FrameJournal,
    private readonly faults: Faults,
  ) {}
  private note(kind: JournalEvent['kind']): void {
    const { device, frame } = this.faults;
    this.events.push({ kind, step: this.step, device, frame, logBytes: this.inner.stats.logBytes });
  }
  /** The writes made when the last commit from event `since` on returned, or -1 when there was none. */
  committedAt(since: number): number {
    for (let i = this.events.length - 1; i >= since; i--) {
      const e = this.events[i] as JournalEvent;
      if (e.kind === 'commit') return e.device + e.frame;
    }
    return -1;
  }
  commit(blocks: readonly JournalBlock[], revoked: readonly number[]): void {
    this.inner.commit(blocks, revoked);
    this.note('commit');
  }
  wantsCheckpoint(): boolean {
    return this.inner.wantsCheckpoint();
  }
  checkpointed(): void {
    this.inner.checkpointed();
    this.note('checkpointed');
  }
  fits(blocks: number, blockSize: number, revoked: number): boolean {
    return this.inner.fits(blocks, blockSize, revoked);
  }
  applyTo(device: BlockBackend): void {
    this.unjournaled++;
    this.inner.applyTo(device);
  }
}

export interface MountOptions {
  clock: () => number;
  cacheBlocks: number;
}

/** Opens the journal on the rig's frames (replaying what is there) and mounts the rig's device with it. */
export function mountRecorded(rig: CrashRig, options: MountOptions) {
  const inner = FrameJournal.open(rig.range, rig.device);
  const journal = new RecordingJournal(inner, rig.faults);
  const fs = Ext2FileSystem.mount(rig.device, { journal, ...options });
  return { inner, journal, fs };
}

/** The next incarnation: opens the journal on the frames (replaying what is there) and mounts with it. */
export function remount(world: JournalWorld, device: BlockBackend, options: MountOptions) {
  const journal = FrameJournal.open(new FrameRange(world.api, world.frames), device);
  const fs = Ext2FileSystem.mount(device, { journal, ...options });
  return { journal, fs };
}

/** `e2fsck -fn` finds nothing to repair in `image` (on CI e2fsck must be there to say so). */
export function expectClean(image: Uint8Array, label: string): void {
  if (E2FSCK === null) {
    if (process.env.CI) expect.fail('e2fsck is needed on CI');
    return;
  }
  const r = e2fsck(image);
  expect(r.status, `${label}\n${r.output}`).toBe(0);
}
