/**
 * Guest physical memory: one contiguous ArrayBuffer, addressed by byte offset.
 *
 * Every access path of the CPU and MMU ends here, so this class keeps three views of the same buffer
 * (bytes, little-endian DataView, and 32-bit words) and stays free of policy: bounds are checked by the
 * MMU's page walk (frames come from page-table entries that the host built) and by `check()` for
 * host-side helpers.
 */
export class PhysicalMemoryError extends Error {
  override readonly name = 'PhysicalMemoryError';
}

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export class PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /**
   * One byte per 4 KiB frame; non-zero when decoded instructions from that frame are cached.
   * Writes to such a frame notify `onCodeWrite` so that stale pre-decoded blocks are dropped.
   */
  readonly codeFrames: Uint8Array;
  onCodeWrite: ((frame: number) => void) | null = null;

  constructor(sizeBytes: number) {
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % PAGE_SIZE !== 0) {
      throw new PhysicalMemoryError(`memory size must be a positive multiple of ${PAGE_SIZE}, got ${sizeBytes}`);
    }
    if (sizeBytes > 2 ** 32) {
      throw new PhysicalMemoryError(`memory size ${sizeBytes} exceeds the 4 GiB supported by one buffer`);
    }
    this.size = sizeBytes;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.codeFrames = new Uint8Array(sizeBytes / PAGE_SIZE);
  }

  get frameCount(): number {
    return this.size / PAGE_SIZE;
  }

  /** Throws unless [pa, pa+len) lies inside memory. For host-side helpers, not the hot path. */
  check(pa: number, len: number): void {
    if (!Number.isInteger(pa) || pa < 0 || len < 0 || pa + len > this.size) {
      throw new PhysicalMemoryError(
        `physical range 0x${pa.toString(16)}+${len} is outside memory of ${this.size} bytes`,
      );
    }
  }

  /** Called by every store that may hit a frame holding cached code. */
  noteWrite(pa: number, len: number): void {
    const first = pa >>> PAGE_SHIFT;
    const last = (pa + len - 1) >>> PAGE_SHIFT;
    for (let f = first; f <= last; f++) {
      if (this.codeFrames[f] !== 0) {
        this.codeFrames[f] = 0;
        this.onCodeWrite?.(f);
      }
    }
  }

  read(pa: number, len: number): Uint8Array {
    this.check(pa, len);
    return this.bytes.slice(pa, pa + len);
  }

  write(pa: number, data: Uint8Array): void {
    this.check(pa, data.length);
    this.bytes.set(data, pa);
    this.noteWrite(pa, data.length || 1);
  }

  fill(pa: number, len: number, value = 0): void {
    this.check(pa, len);
    this.bytes.fill(value, pa, pa + len);
    if (len > 0) this.noteWrite(pa, len);
  }

  readU64(pa: number): bigint {
    this.check(pa, 8);
    return this.view.getBigUint64(pa, true);
  }

  writeU64(pa: number, value: bigint): void {
    this.check(pa, 8);
    this.view.setBigUint64(pa, BigInt.asUintN(64, value), true);
    this.noteWrite(pa, 8);
  }
}

/** A bump-and-free-list allocator of physical frames, for hosts that build page tables and load programs. */
export class FrameAllocator {
  private next: number;
  private readonly free: number[] = [];

  constructor(
    readonly memory: PhysicalMemory,
    firstFrame = 1,
  ) {
    // Frame 0 is kept unused by default so a zero physical address never looks like a valid allocation.
    this.next = firstFrame;
  }

  /** Allocates one zeroed 4 KiB frame and returns its physical address. */
  alloc(): number {
    // (A refused allocation must not count as one: `next` moves only when a frame is really handed out.)
    if (this.free.length === 0 && this.next >= this.memory.frameCount) {
      throw new PhysicalMemoryError(`out of physical memory (${this.memory.size} bytes)`);
    }
    const frame = this.free.pop() ?? this.next++;
    const pa = frame * PAGE_SIZE;
    this.memory.bytes.fill(0, pa, pa + PAGE_SIZE);
    this.memory.noteWrite(pa, PAGE_SIZE);
    return pa;
  }

  /** Allocates `count` physically contiguous frames (used for 2 MiB pages); returns the first address. */
  allocContiguous(count: number, alignFrames = 1): number {
    const start = Math.ceil(this.next / alignFrames) * alignFrames;
    if (start + count > this.memory.frameCount) {
      throw new PhysicalMemoryError(`out of physical memory for ${count} contiguous frames`);
    }
    for (let f = this.next; f < start; f++) this.free.push(f);
    this.next = start + count;
    const pa = start * PAGE_SIZE;
    this.memory.bytes.fill(0, pa, pa + count * PAGE_SIZE);
    this.memory.noteWrite(pa, count * PAGE_SIZE);
    return pa;
  }

  release(pa: number): void {
    this.free.push(pa / PAGE_SIZE);
  }

  get framesInUse(): number {
    return this.next - this.free.length;
  }

  /** Frames that `alloc` can still hand out. */
  get framesFree(): number {
    return this.memory.frameCount - this.framesInUse;
  }
}
