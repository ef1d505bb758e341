/**
 * Bytes spread over a list of frames, addressed as one range from offset 0, read and written through the
 * holder's frame capabilities (the kernel checks each access). A client's message frames and data
 * window are such ranges, and so is the journal the supervisor keeps for the file-system server.
 */
import type { EnvApi } from '@exov6/exokernel';
import type { DataWindow } from './file-server';

export const FRAME_BYTES = 4096;

export class FrameRange implements DataWindow {
  constructor(
    private readonly api: EnvApi,
    readonly frames: number[],
  ) {}

  get size(): number {
    return this.frames.length * FRAME_BYTES;
  }

  /** The first `length` bytes (at most the range's size). */
  read(length: number): Uint8Array {
    return this.readAt(0, Math.min(length, this.size));
  }

  /** Puts `bytes` at the start of the range. */
  write(bytes: Uint8Array): void {
    this.writeAt(0, bytes);
  }

  /** `length` bytes from `offset` (RangeError past the end). */
  readAt(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    const within = offset % FRAME_BYTES;
    if (length > 0 && within + length <= FRAME_BYTES) {
      // Within one frame (most messages): the kernel's copy is the answer.
      return this.api.frameRead(this.frames[Math.floor(offset / FRAME_BYTES)] as number, within, length);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const within = at % FRAME_BYTES;
      const n = Math.min(FRAME_BYTES - within, length - done);
      out.set(this.api.frameRead(this.frames[Math.floor(at / FRAME_BYTES)] as number, within, n), done);
      done += n;
    }
    return out;
  }

  /** Writes `bytes` at `offset` (RangeError past the end); one frame write per frame touched. */
  writeAt(offset: number, bytes: Uint8Array): void {
    this.check(offset, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const at = offset + done;
      const within = at % FRAME_BYTES;
      const n = Math.min(FRAME_BYTES - within, bytes.length - done);
      this.api.frameWrite(
        this.frames[Math.floor(at / FRAME_BYTES)] as number,
        within,
        bytes.subarray(done, done + n),
      );
      done += n;
    }
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`${length} bytes at ${offset} in a range of ${this.size}`);
    }
  }
}
