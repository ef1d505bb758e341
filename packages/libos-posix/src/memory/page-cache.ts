/**
 * Executable pages shared between processes, as a page cache does: the initial contents of a program
 * image's page depend only on the file (and its version), so every exec of the same unchanged file maps
 * the same frames, copy-on-write. Nothing is copied from the file again, and the CPU's decoded blocks,
 * which it keeps per physical page, stay valid from one exec to the next.
 *
 * The cache holds one reference to each frame; entries go, oldest first, when it passes its size or when
 * the frame pool runs out (a frame still mapped somewhere lives on until its last mapping goes).
 */
import { type FramePool, PAGE_SIZE } from './frame-pool';

export class PageCache {
  private readonly frames = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly pool: FramePool,
    /** Most pages kept (default 8192: 32 MiB). */
    readonly limit = 8192,
  ) {
    pool.reclaimers.push(() => this.shrink(Math.ceil(this.frames.size / 2)));
  }

  /**
   * The frame holding the page named `key`, filled by `contents` on a miss; the caller gets a reference
   * of its own (released like any other frame of the pool).
   */
  frame(key: string, contents: () => Uint8Array): number {
    let frame = this.frames.get(key);
    if (frame === undefined) {
      this.misses++;
      const bytes = contents();
      if (bytes.length !== PAGE_SIZE)
        throw new RangeError(`a page is ${PAGE_SIZE} bytes, got ${bytes.length}`);
      frame = this.pool.alloc();
      this.pool.os.frameWrite(frame, 0, bytes);
      if (this.frames.size >= this.limit) this.shrink(1);
      this.frames.set(key, frame);
    } else {
      this.hits++;
      // Most recently used last, so the oldest go first.
      this.frames.delete(key);
      this.frames.set(key, frame);
    }
    this.pool.retain(frame);
    return frame;
  }

  /** Lets go of the `count` least recently used pages; true when any went. */
  shrink(count: number): boolean {
    let dropped = 0;
    for (const [key, frame] of this.frames) {
      if (dropped >= count) break;
      this.frames.delete(key);
      this.pool.release(frame);
      dropped++;
    }
    return dropped > 0;
  }

  get size(): number {
    return this.frames.size;
  }
}
