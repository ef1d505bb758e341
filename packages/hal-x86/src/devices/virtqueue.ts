/**
 * The device side of a split virtqueue (VIRTIO 1.1/1.2, section 2.6) living in guest physical memory.
 *
 * Three areas, all little-endian, placed by the driver:
 * - descriptor table (16-byte aligned, 16 × size bytes): { addr u64, len u32, flags u16, next u16 };
 * - available ring, "driver area" (2-byte aligned, 6 + 2 × size bytes): { flags, idx, ring[size], used_event };
 * - used ring, "device area" (4-byte aligned, 6 + 8 × size bytes): { flags, idx, ring[size] of { id u32,
 *   len u32 }, avail_event }.
 *
 * `pop()` takes the next available head, walks its descriptor chain (VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE
 * and, when VIRTIO_F_INDIRECT_DESC was negotiated, VIRTQ_DESC_F_INDIRECT) and returns the request as two
 * byte streams: the device-readable part followed by the device-writable part. `push()` returns a head to
 * the used ring. With VIRTIO_F_EVENT_IDX the device honours used_event and publishes avail_event;
 * without it, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses interrupts.
 *
 * Guest mistakes never throw. They fall in two classes:
 * - the queue itself cannot be trusted — ring areas outside memory or misaligned, a queue size that is not
 *   a power of two up to QueueNumMax, an available index that moved by more than the queue size, a head or
 *   `next` index >= the table size, a chain longer than its table (which is how a loop shows), an indirect
 *   descriptor without the feature, nested or combined with NEXT, an indirect table whose length is zero,
 *   not a multiple of 16, larger than the queue, or outside memory. `check()` or `pop()` reports these as
 *   `broken`; the transport then sets DEVICE_NEEDS_RESET, since no status byte can be trusted;
 * - the chain is well formed but a buffer is not usable — a buffer outside guest memory, or a
 *   device-readable descriptor after a device-writable one. The request comes back with `fault` set and the
 *   device decides; a block device writes VIRTIO_BLK_S_IOERR into the request's status byte when that byte
 *   lies in a usable buffer.
 *
 * Not modelled: packed virtqueues, VIRTIO_F_IN_ORDER, VIRTIO_F_NOTIFICATION_DATA, the IOMMU
 * (VIRTIO_F_ACCESS_PLATFORM: addresses are guest physical addresses).
 */
import type { PhysicalMemory } from '../memory/physical-memory';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** Size of one descriptor in bytes. */
export const VIRTQ_DESC_SIZE = 16;
/** The largest queue size the specification allows for split virtqueues. */
export const VIRTQ_MAX_SIZE = 32768;

/** One guest buffer. `valid` is false when [addr, addr + len) is not inside guest memory. */
export interface VirtqSegment {
  readonly addr: number;
  readonly len: number;
  readonly valid: boolean;
}

/** A popped descriptor chain: where the driver's data is and where the device may write. */
export class VirtqRequest {
  readonly readable: VirtqSegment[] = [];
  readonly writable: VirtqSegment[] = [];
  readableLength = 0;
  writableLength = 0;
  /** Why a buffer of this well-formed chain is unusable, or null. Devices must not move data when set. */
  fault: string | null = null;

  constructor(
    /** Guest RAM the buffers live in. */
    readonly memory: PhysicalMemory,
    /** The head descriptor index, which identifies the request in the used ring. */
    readonly head: number,
  ) {}

  addSegment(addr: number, len: number, deviceWritable: boolean): void {
    const valid = len === 0 || (addr >= 0 && addr + len <= this.memory.size);
    if (!valid) this.fault ??= `buffer 0x${addr.toString(16)}+${len} is outside guest memory`;
    if (deviceWritable) {
      this.writable.push({ addr, len, valid });
      this.writableLength += len;
    } else {
      if (this.writable.length > 0) this.fault ??= 'a device-readable buffer follows a device-writable one';
      this.readable.push({ addr, len, valid });
      this.readableLength += len;
    }
  }

  /**
   * Calls `visit(address, length, streamOffset)` for each piece of [start, start + length) of the readable
   * or writable stream. Returns false, visiting nothing, when the range is not entirely inside usable buffers.
   */
  pieces(
    stream: 'readable' | 'writable',
    start: number,
    length: number,
    visit: (address: number, length: number, streamOffset: number) => void,
  ): boolean {
    const segments = stream === 'readable' ? this.readable : this.writable;
    const total = stream === 'readable' ? this.readableLength : this.writableLength;
    if (start < 0 || length < 0 || start + length > total) return false;
    const end = start + length;
    // First pass checks, second pass visits: a partly usable range must not be half transferred.
    for (let pass = 0; pass < 2; pass++) {
      let base = 0;
      for (const s of segments) {
        const from = Math.max(start, base);
        const to = Math.min(end, base + s.len);
        if (from < to) {
          if (pass === 0 && !s.valid) return false;
          if (pass === 1) visit(s.addr + (from - base), to - from, from);
        }
        base += s.len;
        if (base >= end) break;
      }
    }
    return true;
  }

  /** Copies readable-stream bytes [offset, offset + into.length) into `into`; false if they are not all there. */
  readBytes(offset: number, into: Uint8Array): boolean {
    const bytes = this.memory.bytes;
    return this.pieces('readable', offset, into.length, (address, length, at) => {
      into.set(bytes.subarray(address, address + length), at - offset);
    });
  }

  /** Copies `data` to writable-stream offset `offset`; false (nothing written) if the range is unusable. */
  writeBytes(offset: number, data: Uint8Array): boolean {
    const memory = this.memory;
    return this.pieces('writable', offset, data.length, (address, length, at) => {
      memory.bytes.set(data.subarray(at - offset, at - offset + length), address);
      memory.noteWrite(address, length);
    });
  }

  /**
   * Guest physical address of the last byte of the writable stream (where virtio-blk and virtio-scsi keep
   * their status), or -1 if there is no writable byte or the buffer holding it is unusable.
   */
  lastWritableByte(): number {
    for (let i = this.writable.length - 1; i >= 0; i--) {
      const s = this.writable[i] as VirtqSegment;
      if (s.len === 0) continue;
      return s.valid ? s.addr + s.len - 1 : -1;
    }
    return -1;
  }
}

export type VirtqPop =
  | { readonly kind: 'request'; readonly request: VirtqRequest }
  | { readonly kind: 'empty' }
  | { readonly kind: 'broken'; readonly reason: string };

const EMPTY: VirtqPop = { kind: 'empty' };

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** One split virtqueue: the registers the driver programs through the transport and the device's indices. */
export class SplitVirtqueue {
  /** Queue size the driver chose (QueueNum). Reset value: `maxSize`. */
  size: number;
  /** QueueReady. */
  ready = false;
  /** Guest physical addresses of the descriptor table, available ring and used ring. */
  descAddr = 0;
  driverAddr = 0;
  deviceAddr = 0;
  /** Free-running 16-bit indices the device keeps: next available entry to take, next used entry to fill. */
  lastAvailIdx = 0;
  usedIdx = 0;
  /** Negotiated VIRTIO_F_INDIRECT_DESC / VIRTIO_F_EVENT_IDX. */
  indirect = false;
  eventIdx = false;

  constructor(
    private readonly memory: PhysicalMemory,
    /** QueueNumMax. */
    readonly maxSize: number,
  ) {
    this.size = maxSize;
  }

  /** Back to the state after a device reset. */
  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.descAddr = 0;
    this.driverAddr = 0;
    this.deviceAddr = 0;
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
  }

  /** Restarts the device's indices, as when the driver enables a freshly initialised queue. */
  restart(): void {
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
  }

  /** Why the queue's layout cannot be used, or null when the rings are well placed. */
  check(): string | null {
    const q = this.size;
    if (!isPowerOfTwo(q) || q > this.maxSize)
      return `queue size ${q} is not a power of two <= ${this.maxSize}`;
    const areas: [string, number, number, number][] = [
      ['descriptor table', this.descAddr, VIRTQ_DESC_SIZE * q, 16],
      ['available ring', this.driverAddr, 6 + 2 * q, 2],
      ['used ring', this.deviceAddr, 6 + 8 * q, 4],
    ];
    for (const [name, addr, length, align] of areas) {
      if (addr + length > this.memory.size)
        return `${name} at 0x${addr.toString(16)} (+${length}) is outside guest memory`;
      if (addr % align !== 0) return `${name} at 0x${addr.toString(16)} is not ${align}-byte aligned`;
    }
    return null;
  }

  /** Takes the next available descriptor chain. Call only after `check()` returned null. */
  pop(): VirtqPop {
    const view = this.memory.view;
    const q = this.size;
    const availIdx = view.getUint16(this.driverAddr + 2, true);
    const pending = (availIdx - this.lastAvailIdx) & 0xffff;
    if (pending === 0) return EMPTY;
    if (pending > q) {
      return {
        kind: 'broken',
        reason: `available index ${availIdx} is ${pending} entries ahead of the device, more than the queue size ${q}`,
      };
    }
    const head = view.getUint16(this.driverAddr + 4 + 2 * (this.lastAvailIdx % q), true);
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    if (head >= q) return { kind: 'broken', reason: `head descriptor index ${head} >= queue size ${q}` };
    return this.walk(head);
  }

  private walk(head: number): VirtqPop {
    const memory = this.memory;
    const view = memory.view;
    const request = new VirtqRequest(memory, head);
    let tableAddr = this.descAddr;
    let tableSize = this.size;
    let inIndirect = false;
    let index = head;
    let visited = 0;
    for (;;) {
      // A well-formed chain visits each descriptor of its table at most once, so a longer walk is a loop.
      if (++visited > tableSize) {
        return {
          kind: 'broken',
          reason: `descriptor chain from head ${head} is longer than its ${inIndirect ? 'indirect table' : 'queue'} (${tableSize}): a loop`,
        };
      }
      const at = tableAddr + VIRTQ_DESC_SIZE * index;
      const addr = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
      const len = view.getUint32(at + 8, true);
      const flags = view.getUint16(at + 12, true);
      const next = view.getUint16(at + 14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        const problem = this.indirectProblem(inIndirect, flags, addr, len);
        if (problem !== null) return { kind: 'broken', reason: `descriptor ${index}: ${problem}` };
        // The indirect table replaces the rest of the chain; its entries chain from entry 0.
        tableAddr = addr;
        tableSize = len / VIRTQ_DESC_SIZE;
        inIndirect = true;
        index = 0;
        visited = 0;
        continue;
      }
      request.addSegment(addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0);
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return { kind: 'request', request };
      if (next >= tableSize) {
        return {
          kind: 'broken',
          reason: `descriptor ${index}: next index ${next} >= table size ${tableSize}`,
        };
      }
      index = next;
    }
  }

  private indirectProblem(inIndirect: boolean, flags: number, addr: number, len: number): string | null {
    if (!this.indirect) return 'indirect descriptor without VIRTIO_F_INDIRECT_DESC';
    if (inIndirect) return 'indirect descriptor inside an indirect table';
    if (flags & VIRTQ_DESC_F_NEXT) return 'indirect descriptor with VIRTQ_DESC_F_NEXT';
    if (len === 0 || len % VIRTQ_DESC_SIZE !== 0)
      return `indirect table length ${len} is not a multiple of 16`;
    // A chain may not be longer than the queue, whichever table its descriptors sit in.
    if (len / VIRTQ_DESC_SIZE > this.size)
      return `indirect table of ${len / VIRTQ_DESC_SIZE} entries exceeds the queue size ${this.size}`;
    if (addr + len > this.memory.size)
      return `indirect table at 0x${addr.toString(16)}+${len} is outside guest memory`;
    return null;
  }

  /**
   * Returns chain `head` to the driver with `written` bytes written; the element is stored before the index.
   * The used length is a u32: a chain whose buffers add up to 4 GiB or more reports 0xffffffff.
   */
  push(head: number, written: number): void {
    const memory = this.memory;
    const view = memory.view;
    const slot = this.deviceAddr + 4 + 8 * (this.usedIdx % this.size);
    view.setUint32(slot, head, true);
    view.setUint32(slot + 4, Math.min(written, 0xffffffff), true);
    memory.noteWrite(slot, 8);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    view.setUint16(this.deviceAddr + 2, this.usedIdx, true);
    memory.noteWrite(this.deviceAddr + 2, 2);
  }

  /**
   * With VIRTIO_F_EVENT_IDX: publishes avail_event, asking to be notified as soon as the driver makes the
   * next buffer available (the device services the queue fully on every notification).
   */
  publishAvailEvent(): void {
    if (!this.eventIdx) return;
    const at = this.deviceAddr + 4 + 8 * this.size;
    this.memory.view.setUint16(at, this.lastAvailIdx, true);
    this.memory.noteWrite(at, 2);
  }

  /** Whether the used entries added since `oldUsedIdx` call for a used-buffer notification. */
  wantsInterrupt(oldUsedIdx: number): boolean {
    const view = this.memory.view;
    if (this.usedIdx === oldUsedIdx) return false;
    if (this.eventIdx) {
      const usedEvent = view.getUint16(this.driverAddr + 4 + 2 * this.size, true);
      // Interrupt when used_event lies in (oldUsedIdx, usedIdx], modulo 2^16.
      return ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - oldUsedIdx) & 0xffff);
    }
    return (view.getUint16(this.driverAddr, true) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }
}
