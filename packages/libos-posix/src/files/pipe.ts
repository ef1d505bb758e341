/**
 * pipe(2): a 64 KiB buffer with a read end and a write end. A reader waits while the pipe is empty and
 * a writer exists; a writer waits while it is full and a reader exists; writing with no reader left is
 * EPIPE (and SIGPIPE, sent by the system-call layer). A blocking write that finds room for only part of
 * its data writes that part and returns its length (a short write, which C libraries continue), so a
 * restarted call never writes anything twice.
 */
import { fail } from '../errno';
import { WaitQueue } from '../process/wait-queue';
import { anonymousStat, type FileStat, S_IFIFO } from './file-stat';
import { type Blocked, O, OpenFile } from './open-file';

export const PIPE_CAPACITY = 65536;

let nextPipeIno = 1;

export class Pipe {
  readonly ino = nextPipeIno++;
  private buffer = new Uint8Array(PIPE_CAPACITY);
  private start = 0;
  length = 0;
  readers = 0;
  writers = 0;
  /** Woken whenever data, room or the other end's presence changes. */
  readonly changed = new WaitQueue();

  take(max: number): Uint8Array {
    const n = Math.min(max, this.length);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buffer[(this.start + i) % PIPE_CAPACITY] as number;
    this.start = (this.start + n) % PIPE_CAPACITY;
    this.length -= n;
    if (n > 0) this.changed.wakeAll();
    return out;
  }

  put(data: Uint8Array): number {
    const n = Math.min(data.length, PIPE_CAPACITY - this.length);
    for (let i = 0; i < n; i++)
      this.buffer[(this.start + this.length + i) % PIPE_CAPACITY] = data[i] as number;
    this.length += n;
    if (n > 0) this.changed.wakeAll();
    return n;
  }
}

export class PipeReadEnd extends OpenFile {
  constructor(
    readonly pipe: Pipe,
    flags: number,
  ) {
    super((flags & ~O.ACCMODE) | O.RDONLY);
    pipe.readers++;
  }

  override read(length: number): Uint8Array | Blocked {
    if (this.pipe.length > 0 || length === 0) return this.pipe.take(length);
    if (this.pipe.writers === 0) return new Uint8Array(0);
    return { wouldBlock: this.pipe.changed };
  }

  override pollReadable(): boolean {
    return this.pipe.length > 0 || this.pipe.writers === 0;
  }

  override pollWritable(): boolean {
    return false;
  }

  override pollQueue(): WaitQueue {
    return this.pipe.changed;
  }

  override stat(): FileStat {
    return anonymousStat(S_IFIFO | 0o600, this.pipe.ino);
  }

  protected override closed(): void {
    this.pipe.readers--;
    this.pipe.changed.wakeAll();
  }
}

export class PipeWriteEnd extends OpenFile {
  constructor(
    readonly pipe: Pipe,
    flags: number,
  ) {
    super((flags & ~O.ACCMODE) | O.WRONLY);
    pipe.writers++;
  }

  override write(data: Uint8Array): number | Blocked {
    if (this.pipe.readers === 0) fail('EPIPE');
    if (data.length === 0) return 0;
    const n = this.pipe.put(data);
    if (n > 0) return n;
    return { wouldBlock: this.pipe.changed };
  }

  override pollReadable(): boolean {
    return false;
  }

  override pollWritable(): boolean {
    return this.pipe.length < PIPE_CAPACITY || this.pipe.readers === 0;
  }

  override pollQueue(): WaitQueue {
    return this.pipe.changed;
  }

  override stat(): FileStat {
    return anonymousStat(S_IFIFO | 0o600, this.pipe.ino);
  }

  protected override closed(): void {
    this.pipe.writers--;
    this.pipe.changed.wakeAll();
  }
}
