/**
 * A stream to or from the host: what a process's standard input, output and error are when the system
 * is used as a library (the machine's terminal is a different file). Output goes to a callback as it is
 * written; input is bytes the host feeds in (`HostInput.push`), a read waiting until some arrive or the
 * host ends the input. They look like pipes to the program (S_IFIFO, ENOTTY for terminal ioctls), which
 * is also what a native program sees when a test harness captures its output.
 */
import { WaitQueue } from '../process/wait-queue';
import { anonymousStat, type FileStat, S_IFIFO } from './file-stat';
import { type Blocked, O, OpenFile } from './open-file';

export class HostInput {
  private chunks: Uint8Array[] = [];
  ended = false;
  readonly changed = new WaitQueue();

  push(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (bytes.length > 0) this.chunks.push(bytes.slice());
    this.changed.wakeAll();
  }

  end(): void {
    this.ended = true;
    this.changed.wakeAll();
  }

  get available(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  take(max: number): Uint8Array {
    const out: number[] = [];
    while (out.length < max && this.chunks.length > 0) {
      const c = this.chunks[0] as Uint8Array;
      const n = Math.min(max - out.length, c.length);
      for (let i = 0; i < n; i++) out.push(c[i] as number);
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    return Uint8Array.from(out);
  }
}

let nextStreamIno = 1;

export class HostInputFile extends OpenFile {
  private readonly ino = nextStreamIno++;

  constructor(readonly input: HostInput) {
    super(O.RDONLY);
  }

  override read(length: number): Uint8Array | Blocked {
    if (this.input.available > 0 || length === 0) return this.input.take(length);
    if (this.input.ended) return new Uint8Array(0);
    return { wouldBlock: this.input.changed };
  }

  override pollReadable(): boolean {
    return this.input.available > 0 || this.input.ended;
  }

  override pollQueue(): WaitQueue {
    return this.input.changed;
  }

  override stat(): FileStat {
    return anonymousStat(S_IFIFO | 0o600, 0x10000 + this.ino);
  }
}

export class HostOutputFile extends OpenFile {
  private readonly ino = nextStreamIno++;

  constructor(readonly sink: (data: Uint8Array) => void) {
    super(O.WRONLY);
  }

  override write(data: Uint8Array): number {
    this.sink(data.slice());
    return data.length;
  }

  override stat(): FileStat {
    return anonymousStat(S_IFIFO | 0o600, 0x10000 + this.ino);
  }
}
