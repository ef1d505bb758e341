/**
 * The buffer cache: file-system blocks held in memory, written back to the device when the cache is
 * synced or when it trims itself.
 *
 * Write-back: a changed block is marked dirty and stays in memory; `sync()` writes every dirty block in
 * block order and then flushes the device, so after it returns everything written before it is durable.
 * The cache grows past its capacity during an operation (a buffer a caller holds is never taken away
 * from it); `trim()`, which the file system calls between operations, writes back and drops the least
 * recently used blocks until it is within capacity again.
 *
 * With a journal (see journal.ts) the cache also remembers which blocks changed since the last commit,
 * and which of them hold file data: `commit` writes the data through and hands the rest to the journal,
 * and nothing dirty may be written back before it was committed.
 */
import type { BlockBackend } from '@exov6/hal-x86';
import { corrupt } from './ext2-error';
import type { Ext2Journal, JournalBlock } from './journal';

export interface BufferCacheStats {
  /** Block reads served from memory and from the device. */
  hits: number;
  misses: number;
  /** Blocks written to the device (by sync and by trimming). */
  writes: number;
  /** Blocks in memory now, and how many of them are dirty. */
  cached: number;
  dirty: number;
}

/** Block buffers kept for reuse. */
const SPARE_BUFFERS = 64;

interface Buffer {
  data: Uint8Array;
  dirty: boolean;
  /** Under a journal: the bytes changed since the block's last commit, [lo, hi) (lo > hi: none). */
  lo: number;
  hi: number;
}

export class BufferCache {
  /** In least-recently-used-first order (a Map keeps insertion order; a use moves a block to the end). */
  private readonly buffers = new Map<number, Buffer>();
  private dirtyCount = 0;
  private hits = 0;
  private misses = 0;
  private writes = 0;
  /** Set by the volume when a journal is attached: changes are then tracked until committed. */
  journaling = false;
  /** Metadata blocks changed since the last commit. */
  private readonly uncommitted = new Set<number>();
  /** Blocks written as file data since the last commit. */
  private readonly dataBlocks = new Set<number>();
  /** Blocks freed since the last commit (their logged copies must not be replayed). */
  private readonly freed = new Set<number>();
  /**
   * Blocks allocated since the last commit (`zeroed`): what they held before does not matter, so the
   * journal logs the bytes changed since they were zeroed and replays them onto zeros. A small write of
   * file data into one is logged the same way rather than written through (see `commit`).
   */
  private readonly fresh = new Set<number>();
  /**
   * Memory of blocks forgotten during the operation running now, reusable once it is over (its code may
   * still read a block it freed, such as an indirect block being walked); and memory reusable now. A new
   * buffer is taken from there before one is allocated: allocating is a large part of a small operation.
   */
  private readonly released: Uint8Array[] = [];
  private readonly spare: Uint8Array[] = [];

  constructor(
    readonly device: BlockBackend,
    readonly blockSize: number,
    /** Blocks kept after `trim()`. */
    readonly capacity: number,
    /** Blocks in the file system: a block number outside it is a corrupt pointer. */
    readonly blockCount: number,
  ) {}

  /** The contents of block `n`; changes to it must be followed by `markDirty(n)`. */
  get(n: number): Uint8Array {
    const cached = this.buffers.get(n);
    if (cached !== undefined) {
      this.hits++;
      this.buffers.delete(n);
      this.buffers.set(n, cached);
      return cached.data;
    }
    this.check(n);
    this.misses++;
    const data = this.spare.pop() ?? new Uint8Array(this.blockSize);
    this.device.read(n * this.blockSize, data);
    this.buffers.set(n, { data, dirty: false, lo: Infinity, hi: 0 });
    return data;
  }

  /**
   * Block `n` as a block of zeros, already dirty, without reading it (a newly allocated block). Under a
   * journal, what the caller then writes into it must be reported as for a metadata block.
   */
  zeroed(n: number): Uint8Array {
    this.check(n);
    let buffer = this.buffers.get(n);
    if (buffer !== undefined) buffer.data.fill(0);
    else {
      const data = this.spare.pop()?.fill(0) ?? new Uint8Array(this.blockSize);
      buffer = { data, dirty: false, lo: Infinity, hi: 0 };
      this.buffers.set(n, buffer);
    }
    if (!this.journaling) {
      this.markBuffer(n, buffer, false, 0, this.blockSize);
      return buffer.data;
    }
    if (!buffer.dirty) {
      buffer.dirty = true;
      this.dirtyCount++;
    }
    // Nothing changed yet, on a base of zeros (and nothing logged before for it counts any more).
    buffer.lo = Infinity;
    buffer.hi = 0;
    this.fresh.add(n);
    this.freed.delete(n);
    this.uncommitted.add(n);
    this.dataBlocks.delete(n);
    return buffer.data;
  }

  /**
   * Block `n` changed: `data` when it holds a file's bytes (which a journal does not log); the changed
   * bytes are `length` from `offset` when the caller says so (a journal then logs only them), else the
   * whole block. Every change to a metadata block must be reported: bytes outside the ranges reported
   * are taken as unchanged since the last commit.
   */
  markDirty(n: number, data = false, offset = 0, length = this.blockSize): void {
    const buffer = this.buffers.get(n);
    if (buffer === undefined) throw new Error(`buffer cache: block ${n} marked dirty while not cached`);
    this.markBuffer(n, buffer, data, offset, length);
  }

  /** Forgets block `n` without writing it (a freed block whose contents no longer matter). */
  forget(n: number): void {
    const buffer = this.buffers.get(n);
    if (buffer === undefined) return;
    if (buffer.dirty) this.dirtyCount--;
    this.buffers.delete(n);
    if (this.released.length < SPARE_BUFFERS) this.released.push(buffer.data);
    if (this.journaling) {
      this.uncommitted.delete(n);
      this.dataBlocks.delete(n);
      this.fresh.delete(n);
      this.freed.add(n);
    }
  }

  private markBuffer(n: number, buffer: Buffer, data: boolean, offset: number, length: number): void {
    if (!buffer.dirty) {
      buffer.dirty = true;
      this.dirtyCount++;
    }
    if (this.journaling) {
      // A block freed earlier in this operation and now in use again: its revoke would cancel the new
      // copy (revokes come after the blocks of a commit), and the copies logged before the free hold
      // something else, so the new copy is logged whole.
      if (this.freed.delete(n) && !data) {
        buffer.lo = 0;
        buffer.hi = this.blockSize;
      }
      if (offset < buffer.lo) buffer.lo = offset;
      if (offset + length > buffer.hi) buffer.hi = offset + length;
      if (data) {
        this.dataBlocks.add(n);
        this.uncommitted.delete(n);
      } else {
        this.uncommitted.add(n);
        this.dataBlocks.delete(n);
      }
    }
  }

  /** Blocks changed since the last commit (metadata and data). */
  get pendingChanges(): number {
    return this.uncommitted.size + this.dataBlocks.size + this.freed.size;
  }

  /**
   * Ends an operation under a journal: the file data it wrote goes to the device, then its metadata
   * blocks are committed to the journal at once. False (and nothing done) when the commit would not fit
   * in the journal: the caller must then write everything back without it.
   */
  commit(journal: Ext2Journal): boolean {
    if (this.pendingChanges === 0) return true;
    // File data goes to the device and its older logged copies are revoked, except a small write into
    // a block allocated by this operation: logging those few bytes costs less than writing the block.
    const writeThrough: number[] = [];
    const logged: number[] = [...this.uncommitted];
    for (const n of this.dataBlocks) {
      const buffer = this.buffers.get(n);
      if (buffer !== undefined && this.fresh.has(n) && buffer.hi - buffer.lo <= this.blockSize / 4)
        logged.push(n);
      else writeThrough.push(n);
    }
    const revoked = [...writeThrough, ...this.freed];
    if (!journal.fits(logged.length, this.blockSize, revoked.length)) return false;
    for (const n of writeThrough.sort((a, b) => a - b)) {
      const buffer = this.buffers.get(n);
      if (buffer?.dirty) this.writeOne(n, buffer);
    }
    const blocks: JournalBlock[] = [];
    for (const n of logged) {
      const buffer = this.buffers.get(n);
      if (!buffer?.dirty) continue;
      const zeroed = this.fresh.has(n);
      // A block changed since its last commit: only the bytes that changed (the whole block if it all
      // did). A fresh block is always logged, even unchanged, since the disk holds something else.
      if (buffer.lo >= buffer.hi && !zeroed) continue;
      const lo = Math.min(buffer.lo, buffer.hi);
      blocks.push(
        lo === 0 && buffer.hi === this.blockSize
          ? { block: n, data: buffer.data }
          : {
              block: n,
              data: buffer.data.subarray(lo, buffer.hi),
              offset: lo,
              blockSize: this.blockSize,
              zeroed,
            },
      );
    }
    journal.commit(blocks, revoked);
    this.clearPending();
    return true;
  }

  /** Forgets what changed since the last commit (it is committed, or on the device). */
  clearPending(): void {
    for (const pending of [this.uncommitted, this.dataBlocks]) {
      for (const n of pending) {
        const buffer = this.buffers.get(n);
        if (buffer !== undefined) {
          buffer.lo = Infinity;
          buffer.hi = 0;
        }
      }
    }
    this.uncommitted.clear();
    this.dataBlocks.clear();
    this.freed.clear();
    this.fresh.clear();
  }

  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.blockCount) {
      corrupt(`block ${n} is outside the file system (${this.blockCount} blocks)`);
    }
  }

  /** Writes every dirty block (in block order, so the device sees mostly sequential writes); no flush. */
  writeBack(): void {
    if (this.dirtyCount === 0) return;
    const dirty = [...this.buffers].filter(([, b]) => b.dirty).sort((a, b) => a[0] - b[0]);
    for (const [n, buffer] of dirty) this.writeOne(n, buffer);
  }

  /** Writes every dirty block and flushes the device. */
  sync(): void {
    this.writeBack();
    this.device.flush();
  }

  /**
   * Writes back and drops least-recently-used blocks until at most `capacity` remain. Called between
   * operations, when no caller holds a buffer: the memory of the blocks dropped and forgotten is reused.
   */
  trim(): void {
    while (this.released.length > 0 && this.spare.length < SPARE_BUFFERS) {
      this.spare.push(this.released.pop() as Uint8Array);
    }
    this.released.length = 0;
    let excess = this.buffers.size - this.capacity;
    if (excess <= 0) return;
    for (const [n, buffer] of this.buffers) {
      if (excess-- <= 0) break;
      if (buffer.dirty) this.writeOne(n, buffer);
      this.buffers.delete(n);
      if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer.data);
    }
  }

  /** Drops every block, dirty ones included (a crash: what was not written back is lost). */
  discard(): void {
    this.buffers.clear();
    this.dirtyCount = 0;
  }

  private writeOne(n: number, buffer: Buffer): void {
    this.device.write(n * this.blockSize, buffer.data);
    buffer.dirty = false;
    this.dirtyCount--;
    this.writes++;
  }

  stats(): BufferCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      writes: this.writes,
      cached: this.buffers.size,
      dirty: this.dirtyCount,
    };
  }
}
