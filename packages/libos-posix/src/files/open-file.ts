/**
 * An open file description (what open(2) creates and dup(2) shares): the object a descriptor names, its
 * access mode and status flags, and for seekable files the offset. Each kind of file (pipe end, console,
 * regular file, directory, device) implements the operations it has; the others refuse as Linux does.
 *
 * A read or write that would wait returns `WOULD_BLOCK` together with the queue to wait on; the system
 * call layer turns that into EAGAIN (O_NONBLOCK) or parks the process and restarts the call later.
 */
import { fail } from '../errno';
import type { ProcessMemory } from '../memory/process-memory';
import type { Process } from '../process/process';
import type { WaitQueue } from '../process/wait-queue';
import type { FileStat } from './file-stat';

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

/** Status flags F_SETFL may change. */
export const SETTABLE_STATUS_FLAGS = O.APPEND | O.NONBLOCK;

/** A call that must wait: the queue(s) whose wake-up may let it complete. */
export interface Blocked {
  readonly wouldBlock: WaitQueue | readonly WaitQueue[];
}

export function isBlocked(x: unknown): x is Blocked {
  return typeof x === 'object' && x !== null && 'wouldBlock' in x;
}

/** Who makes an ioctl: its memory (for the argument) and process (for job control). */
export interface IoctlCaller {
  readonly memory: ProcessMemory;
  readonly process: Process;
}

export abstract class OpenFile {
  /** Descriptors (in any process) that name this description. */
  private references = 0;
  offset = 0;

  constructor(public flags: number) {}

  get readable(): boolean {
    return (this.flags & O.ACCMODE) !== O.WRONLY;
  }

  get writable(): boolean {
    return (this.flags & O.ACCMODE) !== O.RDONLY;
  }

  get nonBlocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  retain(): this {
    this.references++;
    return this;
  }

  /** Drops one descriptor; the last one closes the file. */
  release(): void {
    if (--this.references === 0) this.closed();
  }

  /** Up to `length` bytes; an empty array is end of file. */
  read(_length: number): Uint8Array | Blocked {
    fail('EINVAL', 'not readable');
  }

  /** How many bytes were taken. */
  write(_data: Uint8Array): number | Blocked {
    fail('EINVAL', 'not writable');
  }

  seek(_offset: number, _whence: number): number {
    fail('ESPIPE');
  }

  abstract stat(): FileStat;

  /** A device-specific request; `caller` reads and writes the argument in the caller's memory. */
  ioctl(_request: number, _arg: number, _caller: IoctlCaller): number | Blocked {
    fail('ENOTTY');
  }

  /** For poll/select: whether a read or a write would complete now, and where to wait otherwise. */
  pollReadable(): boolean {
    return this.readable;
  }

  pollWritable(): boolean {
    return this.writable;
  }

  /** The queue on which to wait for a change in what poll reports. */
  pollQueue(): WaitQueue | null {
    return null;
  }

  /** Called when the last descriptor goes. */
  protected closed(): void {}
}
