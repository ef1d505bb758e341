/**
 * The buffer cache: file-system blocks held in memory, written back to the device when the cache is
 * synced or when it trims itself.
 *
 * Write-back: a changed block is marked dirty and stays in memory; `sync()` writes every dirty block in
 * block order and then flushes the device, so after it returns everything written before it is durable.
 * The cache grows past its capacity during an operation (a buffer a caller holds is never taken away
 * from it); `trim()`, which the file system calls between operations, writes back and drops the least
 * recently used blocks until it is within capacity again.
 */
import type { BlockBackend } from '@exov6/hal-x86';
import { corrupt } from './ext2-error';

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

interface Buffer {
  data: Uint8Array;
  dirty: boolean;
}

export class BufferCache {
  /** In least-recently-used-first order (a Map keeps insertion order; a use moves a block to the end). */
  private readonly buffers = new Map<number, Buffer>();
  private dirtyCount = 0;
  private hits = 0;
  private misses = 0;
  private writes = 0;

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
    const data = new Uint8Array(this.blockSize);
    this.device.read(n * this.blockSize, data);
    this.buffers.set(n, { data, dirty: false });
    return data;
  }

  /** Block `n` as a block of zeros, already dirty, without reading it (a newly allocated block). */
  zeroed(n: number): Uint8Array {
    this.check(n);
    const cached = this.buffers.get(n);
    if (cached !== undefined) {
      cached.data.fill(0);
      this.markBuffer(cached);
      return cached.data;
    }
    const buffer = { data: new Uint8Array(this.blockSize), dirty: false };
    this.buffers.set(n, buffer);
    this.markBuffer(buffer);
    return buffer.data;
  }

  markDirty(n: number): void {
    const buffer = this.buffers.get(n);
    if (buffer === undefined) throw new Error(`buffer cache: block ${n} marked dirty while not cached`);
    this.markBuffer(buffer);
  }

  /** Forgets block `n` without writing it (a freed block whose contents no longer matter). */
  forget(n: number): void {
    const buffer = this.buffers.get(n);
    if (buffer === undefined) return;
    if (buffer.dirty) this.dirtyCount--;
    this.buffers.delete(n);
  }

  private markBuffer(buffer: Buffer): void {
    if (!buffer.dirty) {
      buffer.dirty = true;
      this.dirtyCount++;
    }
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

  /** Writes back and drops least-recently-used blocks until at most `capacity` remain. */
  trim(): void {
    let excess = this.buffers.size - this.capacity;
    if (excess <= 0) return;
    for (const [n, buffer] of this.buffers) {
      if (excess-- <= 0) break;
      if (buffer.dirty) this.writeOne(n, buffer);
      this.buffers.delete(n);
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
