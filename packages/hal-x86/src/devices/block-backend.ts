/**
 * Storage behind a simulated disk: a flat array of bytes that a block device reads and writes at byte offsets.
 *
 * Two back ends:
 * - `MemoryBlockBackend` keeps the image in a Uint8Array (tests, benchmarks, RAM disks).
 * - `FileBlockBackend` keeps it in a host file through synchronous node:fs calls, so a device can complete a
 *   request inside the MMIO write that submitted it. With `writeBack: 'on-flush'` written blocks are held in
 *   a dirty-block map and reach the file only when the guest flushes, the way a disk with a volatile write
 *   cache behaves; reads always see the newest data.
 *
 * This is the only file of the package that touches node:fs, so everything else stays platform-neutral.
 *
 * Offsets and lengths are checked here as host-side invariants (`BlockBackendError`); a device validates
 * guest-supplied sectors before calling in. Failures of the host storage itself (EIO, ENOSPC, ...) surface as
 * `BlockIoError`, which a device turns into its I/O-error status instead of letting it reach the host.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** Host-side misuse: an access outside the image, a write to a read-only back end, use after close. */
export class BlockBackendError extends Error {
  override name = 'BlockBackendError';
}

/** The host storage failed (the underlying file operation threw). Devices report this as a media error. */
export class BlockIoError extends Error {
  override name = 'BlockIoError';
}

export interface BlockBackend {
  /** Image size in bytes. */
  readonly size: number;
  /** True when the image must not be modified; `write` then throws. */
  readonly readOnly: boolean;
  /** Fills `into` with the bytes at [offset, offset + into.length). */
  read(offset: number, into: Uint8Array): void;
  /** Stores `data` at [offset, offset + data.length). The back end copies; `data` may be reused afterwards. */
  write(offset: number, data: Uint8Array): void;
  /** Makes every completed write durable in the underlying storage. */
  flush(): void;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > size) {
    throw new BlockBackendError(`range ${offset}+${length} is outside the ${size}-byte image`);
  }
}

export interface MemoryBlockBackendOptions {
  readOnly?: boolean;
}

/** An image held in memory. `new MemoryBlockBackend(n)` is n zero bytes; passing a Uint8Array uses it in place. */
export class MemoryBlockBackend implements BlockBackend {
  readonly bytes: Uint8Array;
  readonly readOnly: boolean;

  constructor(sizeOrBytes: number | Uint8Array, options: MemoryBlockBackendOptions = {}) {
    if (typeof sizeOrBytes === 'number') {
      if (!Number.isSafeInteger(sizeOrBytes) || sizeOrBytes < 0)
        throw new BlockBackendError(`image size must be a non-negative integer, got ${sizeOrBytes}`);
      this.bytes = new Uint8Array(sizeOrBytes);
    } else {
      this.bytes = sizeOrBytes;
    }
    this.readOnly = options.readOnly ?? false;
  }

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, into: Uint8Array): void {
    checkRange(this.bytes.length, offset, into.length);
    into.set(this.bytes.subarray(offset, offset + into.length));
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockBackendError('write to a read-only memory image');
    checkRange(this.bytes.length, offset, data.length);
    this.bytes.set(data, offset);
  }

  flush(): void {}
}

export type WriteBackPolicy = 'immediate' | 'on-flush';

export interface FileBlockBackendOptions {
  /** Open the file O_RDONLY; writes are refused. Default false (the file is opened read/write). */
  readOnly?: boolean;
  /** 'immediate' (default): each write goes to the file at once. 'on-flush': writes wait in memory for flush(). */
  writeBack?: WriteBackPolicy;
  /** Granularity of the dirty-block map in bytes (power of two, default 4096). */
  cacheBlockSize?: number;
  /** Whether flush() also asks the host OS to commit the file to its storage (fdatasync). Default true. */
  syncOnFlush?: boolean;
}

/** Wraps a host file operation so that a host storage failure becomes a BlockIoError. */
function hostIo<T>(what: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    throw new BlockIoError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** An image in a host file, accessed with synchronous reads and writes at explicit positions. */
export class FileBlockBackend implements BlockBackend {
  readonly path: string;
  readonly size: number;
  readonly readOnly: boolean;
  readonly writeBack: WriteBackPolicy;
  private readonly cacheBlockSize: number;
  private readonly syncOnFlush: boolean;
  private fd: number | null;
  /** 'on-flush' only: block index -> the block's newest contents, not yet in the file. */
  private readonly dirty = new Map<number, Uint8Array>();

  constructor(path: string, options: FileBlockBackendOptions = {}) {
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    this.writeBack = options.writeBack ?? 'immediate';
    if (this.writeBack !== 'immediate' && this.writeBack !== 'on-flush')
      throw new BlockBackendError(`unknown write-back policy ${String(this.writeBack)}`);
    this.cacheBlockSize = options.cacheBlockSize ?? 4096;
    const bs = this.cacheBlockSize;
    if (!Number.isInteger(bs) || bs <= 0 || (bs & (bs - 1)) !== 0)
      throw new BlockBackendError(`cacheBlockSize must be a power of two, got ${bs}`);
    this.syncOnFlush = options.syncOnFlush ?? true;
    // A read-only image is opened O_RDONLY so that not even a bug here could modify it.
    this.fd = openSync(path, this.readOnly ? 'r' : 'r+');
    this.size = fstatSync(this.fd).size;
  }

  /** Number of cached blocks that have not reached the file yet ('on-flush' only). */
  get dirtyBlockCount(): number {
    return this.dirty.size;
  }

  read(offset: number, into: Uint8Array): void {
    checkRange(this.size, offset, into.length);
    this.readFile(offset, into);
    if (this.dirty.size === 0) return;
    // Overlay the cached blocks the range touches: the guest must read back what it wrote.
    const bs = this.cacheBlockSize;
    const end = offset + into.length;
    for (let block = Math.floor(offset / bs); block * bs < end; block++) {
      const data = this.dirty.get(block);
      if (data === undefined) continue;
      const from = Math.max(offset, block * bs);
      const to = Math.min(end, block * bs + data.length);
      into.set(data.subarray(from - block * bs, to - block * bs), from - offset);
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockBackendError(`write to read-only image ${this.path}`);
    checkRange(this.size, offset, data.length);
    if (this.writeBack === 'immediate') {
      this.writeFile(offset, data);
      return;
    }
    const bs = this.cacheBlockSize;
    const end = offset + data.length;
    for (let block = Math.floor(offset / bs); block * bs < end; block++) {
      const blockStart = block * bs;
      let cached = this.dirty.get(block);
      if (cached === undefined) {
        // The last block of an image whose size is not a multiple of the block size is shorter.
        cached = new Uint8Array(Math.min(bs, this.size - blockStart));
        const from = Math.max(offset, blockStart);
        const to = Math.min(end, blockStart + cached.length);
        // Only a partially overwritten block needs its old contents.
        if (from > blockStart || to < blockStart + cached.length) this.readFile(blockStart, cached);
        this.dirty.set(block, cached);
      }
      const from = Math.max(offset, blockStart);
      const to = Math.min(end, blockStart + cached.length);
      cached.set(data.subarray(from - offset, to - offset), from - blockStart);
    }
  }

  flush(): void {
    if (this.dirty.size > 0) {
      const blocks = [...this.dirty.keys()].sort((a, b) => a - b);
      for (const block of blocks) {
        this.writeFile(block * this.cacheBlockSize, this.dirty.get(block) as Uint8Array);
        // Dropped one by one, so a failure part way keeps the blocks that did not reach the file.
        this.dirty.delete(block);
      }
    }
    if (this.syncOnFlush && !this.readOnly) {
      const fd = this.openFd();
      hostIo(`fdatasync ${this.path}`, () => fdatasyncSync(fd));
    }
  }

  /** Closes the file. Dirty blocks that were never flushed are discarded, as on a power cut. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.dirty.clear();
  }

  private openFd(): number {
    if (this.fd === null) throw new BlockBackendError(`image ${this.path} is closed`);
    return this.fd;
  }

  private readFile(position: number, into: Uint8Array): void {
    const fd = this.openFd();
    let done = 0;
    while (done < into.length) {
      const n = hostIo(`read ${this.path}`, () =>
        readSync(fd, into, done, into.length - done, position + done),
      );
      if (n === 0) {
        // The file shrank under us; the missing tail reads as zeros rather than stale buffer contents.
        into.fill(0, done);
        return;
      }
      done += n;
    }
  }

  private writeFile(position: number, data: Uint8Array): void {
    const fd = this.openFd();
    let done = 0;
    while (done < data.length) {
      done += hostIo(`write ${this.path}`, () =>
        writeSync(fd, data, done, data.length - done, position + done),
      );
    }
  }
}
