/**
 * A small virtio-blk driver for the virtio-mmio transport, written the way an OS driver is: it reaches the
 * device only through 32-bit MMIO register accesses and through the virtqueue structures it builds in guest
 * physical memory (descriptor table, available ring, used ring, request headers, data buffers, status bytes).
 *
 * Used by the device tests and by bench/virtio-blk.mjs, so the benchmark measures the path a guest takes:
 * descriptor setup, available-ring update, QueueNotify, used-ring read, interrupt acknowledge.
 */
import type { MmioBus } from '../../src/devices/io-bus';
import { VirtioBlkConfig, VirtioBlkFeature, VirtioBlkRequestType } from '../../src/devices/virtio-blk';
import {
  featureBit,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VirtioFeature,
  VirtioMmioReg,
  VirtioStatus,
} from '../../src/devices/virtio-mmio';
import type { PhysicalMemory } from '../../src/memory/physical-memory';

const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const DESC_F_INDIRECT = 4;
const AVAIL_F_NO_INTERRUPT = 1;

/** Something the guest OS would do differently: a device that misbehaves or refuses negotiation. */
export class DriverError extends Error {
  override name = 'DriverError';
}

/** A bump allocator over a region of guest RAM, standing in for the OS's page allocator. */
export class GuestHeap {
  private next: number;

  constructor(
    readonly memory: PhysicalMemory,
    base: number,
    readonly limit = memory.size,
  ) {
    this.next = base;
  }

  alloc(size: number, align = 16): number {
    const addr = Math.ceil(this.next / align) * align;
    if (addr + size > this.limit) throw new DriverError(`guest heap exhausted allocating ${size} bytes`);
    this.next = addr + size;
    this.memory.bytes.fill(0, addr, addr + size);
    return addr;
  }
}

/** One buffer of a descriptor chain as the driver describes it. */
export interface Buffer {
  addr: number;
  len: number;
  /** Device-writable (VIRTQ_DESC_F_WRITE). */
  write: boolean;
}

export interface BlkRequest {
  type: number;
  sector?: number;
  /** Guest buffer for the data (omitted for FLUSH). */
  data?: { addr: number; len: number };
  /** Split the data into descriptors of at most this many bytes (default 4096, one per page). */
  segmentBytes?: number;
  /** Put the chain in an indirect table (needs VIRTIO_F_INDIRECT_DESC). */
  indirect?: boolean;
}

export interface DriverOptions {
  /** Features this driver understands; it accepts those the device offers (default: all it knows). */
  supported?: bigint;
  /** Queue size to ask for (at most QueueNumMax). */
  queueSize?: number;
  /** Called while waiting for completions (e.g. advance the machine clock); default: nothing. */
  idle?: () => void;
}

/** The features this driver implements. */
export const DRIVER_FEATURES =
  featureBit(VirtioFeature.VERSION_1) |
  featureBit(VirtioFeature.INDIRECT_DESC) |
  featureBit(VirtioFeature.EVENT_IDX) |
  featureBit(VirtioBlkFeature.SIZE_MAX) |
  featureBit(VirtioBlkFeature.SEG_MAX) |
  featureBit(VirtioBlkFeature.RO) |
  featureBit(VirtioBlkFeature.BLK_SIZE) |
  featureBit(VirtioBlkFeature.FLUSH);

/** Per-request scratch: 16-byte header then the status byte, 32 bytes per descriptor slot. */
const SLOT_BYTES = 32;

export class VirtioBlkDriver {
  /** Queue layout in guest memory, for tests that build raw chains. */
  desc = 0;
  avail = 0;
  used = 0;
  num = 0;
  features = 0n;
  /** Counts of interrupts taken, by cause. */
  usedInterrupts = 0;
  configInterrupts = 0;

  private freeDescs: number[] = [];
  private availIdx = 0;
  private lastUsed = 0;
  private slots = 0;
  private indirectArea = 0;
  private readonly chainLength = new Map<number, number>();
  private readonly idle: () => void;
  private readonly supported: bigint;
  private readonly wantedSize: number;
  private eventIdx = false;

  constructor(
    readonly bus: MmioBus,
    readonly base: number,
    readonly memory: PhysicalMemory,
    readonly heap: GuestHeap,
    options: DriverOptions = {},
  ) {
    this.idle = options.idle ?? (() => {});
    this.supported = options.supported ?? DRIVER_FEATURES;
    this.wantedSize = options.queueSize ?? 128;
  }

  reg(offset: number): number {
    return this.bus.read32(this.base + offset);
  }

  setReg(offset: number, value: number): void {
    this.bus.write32(this.base + offset, value);
  }

  status(): number {
    return this.reg(VirtioMmioReg.Status);
  }

  /** Device initialisation, VIRTIO 3.1.1, followed by setting up request queue 0. */
  init(): bigint {
    if (this.reg(VirtioMmioReg.MagicValue) !== 0x74726976) throw new DriverError('no virtio-mmio device');
    if (this.reg(VirtioMmioReg.Version) !== 2) throw new DriverError('not a version 2 virtio-mmio device');
    if (this.reg(VirtioMmioReg.DeviceID) !== 2) throw new DriverError('not a block device');
    this.setReg(VirtioMmioReg.Status, 0);
    this.setReg(VirtioMmioReg.Status, VirtioStatus.ACKNOWLEDGE);
    this.setReg(VirtioMmioReg.Status, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);
    const offered = this.deviceFeatures();
    const accepted = offered & this.supported;
    this.writeDriverFeatures(accepted);
    this.setReg(VirtioMmioReg.Status, this.status() | VirtioStatus.FEATURES_OK);
    if ((this.status() & VirtioStatus.FEATURES_OK) === 0) {
      this.setReg(VirtioMmioReg.Status, this.status() | VirtioStatus.FAILED);
      throw new DriverError('device refused the feature set');
    }
    this.features = accepted;
    this.eventIdx = (accepted & featureBit(VirtioFeature.EVENT_IDX)) !== 0n;
    this.setupQueue();
    this.setReg(VirtioMmioReg.Status, this.status() | VirtioStatus.DRIVER_OK);
    return accepted;
  }

  deviceFeatures(): bigint {
    this.setReg(VirtioMmioReg.DeviceFeaturesSel, 0);
    const low = this.reg(VirtioMmioReg.DeviceFeatures);
    this.setReg(VirtioMmioReg.DeviceFeaturesSel, 1);
    const high = this.reg(VirtioMmioReg.DeviceFeatures);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  writeDriverFeatures(features: bigint): void {
    this.setReg(VirtioMmioReg.DriverFeaturesSel, 0);
    this.setReg(VirtioMmioReg.DriverFeatures, Number(features & 0xffffffffn));
    this.setReg(VirtioMmioReg.DriverFeaturesSel, 1);
    this.setReg(VirtioMmioReg.DriverFeatures, Number(features >> 32n));
  }

  private setupQueue(): void {
    this.setReg(VirtioMmioReg.QueueSel, 0);
    if (this.reg(VirtioMmioReg.QueueReady) !== 0) throw new DriverError('queue 0 already in use');
    const max = this.reg(VirtioMmioReg.QueueNumMax);
    if (max === 0) throw new DriverError('queue 0 not available');
    const num = Math.min(max, this.wantedSize);
    if (this.num !== num) {
      // Rings are allocated once and reused after a reset, as a driver reinitialising its device would.
      this.num = num;
      this.desc = this.heap.alloc(16 * num, 16);
      this.avail = this.heap.alloc(6 + 2 * num, 2);
      this.used = this.heap.alloc(6 + 8 * num, 4);
      this.slots = this.heap.alloc(SLOT_BYTES * num, 16);
      this.indirectArea = this.heap.alloc(16 * num * num, 16);
    } else {
      this.memory.bytes.fill(0, this.desc, this.desc + 16 * num);
      this.memory.bytes.fill(0, this.avail, this.avail + 6 + 2 * num);
      this.memory.bytes.fill(0, this.used, this.used + 6 + 8 * num);
    }
    this.freeDescs = [];
    for (let i = num - 1; i >= 0; i--) this.freeDescs.push(i);
    this.availIdx = 0;
    this.lastUsed = 0;
    this.chainLength.clear();
    this.setReg(VirtioMmioReg.QueueNum, num);
    this.setAddress(VirtioMmioReg.QueueDescLow, this.desc);
    this.setAddress(VirtioMmioReg.QueueDriverLow, this.avail);
    this.setAddress(VirtioMmioReg.QueueDeviceLow, this.used);
    if (this.eventIdx) this.memory.view.setUint16(this.avail + 4 + 2 * num, 0, true); // used_event
    this.setReg(VirtioMmioReg.QueueReady, 1);
  }

  private setAddress(lowRegister: number, address: number): void {
    this.setReg(lowRegister, address % 2 ** 32);
    this.setReg(lowRegister + 4, Math.floor(address / 2 ** 32));
  }

  /** Reads a 64-bit configuration field consistently (ConfigGeneration loop, VIRTIO 4.2.2.2 / 2.5.1). */
  config64(offset: number): bigint {
    for (;;) {
      const before = this.reg(VirtioMmioReg.ConfigGeneration);
      const low = this.reg(VirtioMmioReg.Config + offset);
      const high = this.reg(VirtioMmioReg.Config + offset + 4);
      if (this.reg(VirtioMmioReg.ConfigGeneration) === before) return (BigInt(high) << 32n) | BigInt(low);
    }
  }

  config32(offset: number): number {
    return this.reg(VirtioMmioReg.Config + offset);
  }

  capacity(): bigint {
    return this.config64(VirtioBlkConfig.capacity);
  }

  /** Writes a descriptor chain (direct, or one indirect descriptor) and makes it available. Returns the head. */
  submit(buffers: readonly Buffer[], indirect = false): number {
    const needed = indirect ? 1 : buffers.length;
    if (needed > this.freeDescs.length) throw new DriverError('queue full');
    const ids = this.freeDescs.splice(this.freeDescs.length - needed, needed).reverse();
    const head = ids[0] as number;
    if (indirect) {
      if (buffers.length > this.num) throw new DriverError('indirect table larger than the queue');
      const table = this.indirectArea + head * 16 * this.num;
      for (const [i, b] of buffers.entries()) {
        const flags = (b.write ? DESC_F_WRITE : 0) | (i + 1 < buffers.length ? DESC_F_NEXT : 0);
        this.writeDesc(table + 16 * i, b.addr, b.len, flags, i + 1);
      }
      this.writeDesc(this.desc + 16 * head, table, 16 * buffers.length, DESC_F_INDIRECT, 0);
    } else {
      buffers.forEach((b, i) => {
        const last = i + 1 === buffers.length;
        this.writeDesc(
          this.desc + 16 * (ids[i] as number),
          b.addr,
          b.len,
          (b.write ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT),
          last ? 0 : (ids[i + 1] as number),
        );
      });
    }
    this.chainLength.set(head, needed);
    this.makeAvailable(head);
    return head;
  }

  private writeDesc(at: number, addr: number, len: number, flags: number, next: number): void {
    const view = this.memory.view;
    view.setUint32(at, addr % 2 ** 32, true);
    view.setUint32(at + 4, Math.floor(addr / 2 ** 32), true);
    view.setUint32(at + 8, len, true);
    view.setUint16(at + 12, flags, true);
    view.setUint16(at + 14, next, true);
  }

  /** Puts `head` in the next available-ring slot, then publishes the new index (ring entry before idx). */
  makeAvailable(head: number): void {
    const view = this.memory.view;
    view.setUint16(this.avail + 4 + 2 * (this.availIdx % this.num), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    view.setUint16(this.avail + 2, this.availIdx, true);
  }

  /** Sets or clears VIRTQ_AVAIL_F_NO_INTERRUPT. */
  suppressInterrupts(on: boolean): void {
    this.memory.view.setUint16(this.avail, on ? AVAIL_F_NO_INTERRUPT : 0, true);
  }

  /** QueueNotify, unless VIRTIO_F_EVENT_IDX tells the driver the device does not need it. */
  kick(oldAvailIdx: number): void {
    if (this.eventIdx) {
      const availEvent = this.memory.view.getUint16(this.used + 4 + 8 * this.num, true);
      const pending = (this.availIdx - oldAvailIdx) & 0xffff;
      if (((this.availIdx - availEvent - 1) & 0xffff) >= pending) return;
    }
    this.notify();
  }

  notify(): void {
    this.setReg(VirtioMmioReg.QueueNotify, 0);
  }

  /** The interrupt handler: reads and acknowledges InterruptStatus. */
  handleInterrupt(): number {
    const pending = this.reg(VirtioMmioReg.InterruptStatus);
    if (pending !== 0) this.setReg(VirtioMmioReg.InterruptACK, pending);
    if (pending & VIRTIO_MMIO_INT_VRING) this.usedInterrupts++;
    if (pending & VIRTIO_MMIO_INT_CONFIG) this.configInterrupts++;
    return pending;
  }

  /** Used-ring entries the device added since the last call; their descriptors return to the free list. */
  reap(): { id: number; len: number }[] {
    const view = this.memory.view;
    const done: { id: number; len: number }[] = [];
    const usedIdx = view.getUint16(this.used + 2, true);
    while (this.lastUsed !== usedIdx) {
      const slot = this.used + 4 + 8 * (this.lastUsed % this.num);
      const id = view.getUint32(slot, true);
      const len = view.getUint32(slot + 4, true);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      done.push({ id, len });
      this.release(id);
    }
    // Ask for an interrupt at the next completion.
    if (this.eventIdx) view.setUint16(this.avail + 4 + 2 * this.num, this.lastUsed, true);
    return done;
  }

  private release(head: number): void {
    const count = this.chainLength.get(head);
    if (count === undefined) throw new DriverError(`device returned unknown head ${head}`);
    this.chainLength.delete(head);
    let id = head;
    for (let i = 0; i < count; i++) {
      this.freeDescs.push(id);
      id = this.memory.view.getUint16(this.desc + 16 * id + 14, true);
    }
  }

  /** Waits (calling `idle`) until `count` requests completed; fails if the device stopped working. */
  waitFor(count: number, maxIdle = 1000): { id: number; len: number }[] {
    const done: { id: number; len: number }[] = [];
    for (let spins = 0; ; spins++) {
      this.handleInterrupt();
      done.push(...this.reap());
      if (done.length >= count) return done;
      if (this.status() & VirtioStatus.DEVICE_NEEDS_RESET) throw new DriverError('device needs reset');
      if (spins >= maxIdle) throw new DriverError('request timed out');
      this.idle();
    }
  }

  /** Builds the buffers of a block request: header, data (split in segments), status. */
  buffers(request: BlkRequest, head: number): Buffer[] {
    const view = this.memory.view;
    const slot = this.slots + SLOT_BYTES * head;
    view.setUint32(slot, request.type, true);
    view.setUint32(slot + 4, 0, true);
    const sector = request.sector ?? 0;
    view.setUint32(slot + 8, sector % 2 ** 32, true);
    view.setUint32(slot + 12, Math.floor(sector / 2 ** 32), true);
    this.memory.bytes[slot + 16] = 0xff; // status: not yet written by the device
    const out: Buffer[] = [{ addr: slot, len: 16, write: false }];
    if (request.data !== undefined) {
      const deviceWrites = request.type !== VirtioBlkRequestType.OUT;
      const step = request.segmentBytes ?? 4096;
      for (let done = 0; done < request.data.len; done += step) {
        out.push({
          addr: request.data.addr + done,
          len: Math.min(step, request.data.len - done),
          write: deviceWrites,
        });
      }
    }
    out.push({ addr: slot + 16, len: 1, write: true });
    return out;
  }

  /** Head the next submit() will use (the free list is a stack). */
  private nextHead(): number {
    const head = this.freeDescs[this.freeDescs.length - 1];
    if (head === undefined) throw new DriverError('queue full');
    return head;
  }

  /** Queues a block request without notifying. Returns its head, which names its status slot. */
  enqueue(request: BlkRequest): number {
    const head = this.nextHead();
    return this.submit(this.buffers(request, head), request.indirect ?? false);
  }

  statusOf(head: number): number {
    return this.memory.bytes[this.slots + SLOT_BYTES * head + 16] as number;
  }

  /** Submits one request, notifies the device, waits for completion and returns { status, len }. */
  request(request: BlkRequest): { status: number; len: number } {
    const old = this.availIdx;
    const head = this.enqueue(request);
    this.kick(old);
    const done = this.waitFor(1);
    const entry = done.find((d) => d.id === head);
    if (entry === undefined) throw new DriverError('completion for another request');
    return { status: this.statusOf(head), len: entry.len };
  }

  /** Submits several requests with one notification; returns their statuses in order. */
  batch(requests: readonly BlkRequest[]): number[] {
    const old = this.availIdx;
    const heads = requests.map((r) => this.enqueue(r));
    this.kick(old);
    this.waitFor(heads.length);
    return heads.map((h) => this.statusOf(h));
  }

  get availIndex(): number {
    return this.availIdx;
  }
}
