/**
 * The virtio-mmio transport, register layout version 2 (VIRTIO 1.1/1.2 section 4.2), generic over the device
 * behind it (a `VirtioDeviceModel`: block, and later others).
 *
 * Register window (0x200 bytes; control registers are 32-bit, aligned):
 *   0x000 MagicValue R  0x74726976 ("virt")      0x004 Version R 2
 *   0x008 DeviceID R                             0x00c VendorID R
 *   0x010 DeviceFeatures R (word DeviceFeaturesSel)  0x014 DeviceFeaturesSel W
 *   0x020 DriverFeatures W (word DriverFeaturesSel)  0x024 DriverFeaturesSel W
 *   0x030 QueueSel W   0x034 QueueNumMax R   0x038 QueueNum W   0x044 QueueReady RW   0x050 QueueNotify W
 *   0x060 InterruptStatus R (bit 0 used buffer, bit 1 configuration change)   0x064 InterruptACK W
 *   0x070 Status RW
 *   0x080/0x084 QueueDescLow/High W   0x090/0x094 QueueDriverLow/High W   0x0a0/0x0a4 QueueDeviceLow/High W
 *   0x0ac SHMSel W, 0x0b0-0x0bc SHMLen/SHMBase R (no shared memory regions: all ones)
 *   0x0fc ConfigGeneration R   0x100+ device configuration space (8/16/32-bit accesses)
 *
 * Device status protocol: the driver sets ACKNOWLEDGE, DRIVER, writes its feature words, sets FEATURES_OK and
 * reads it back — the bit stays clear if the driver accepted a feature that was not offered or did not accept
 * VIRTIO_F_VERSION_1 (this transport has no legacy interface) — then sets up the queues and sets DRIVER_OK.
 * Writing 0 resets the device: queues, features, interrupt status and the back end's state. The device serves
 * queues only while DRIVER_OK and FEATURES_OK are set and neither FAILED nor DEVICE_NEEDS_RESET is.
 *
 * Requests complete synchronously inside the QueueNotify write: the device drains the notified queue, fills
 * the used ring and raises the interrupt before the write returns. With `completionLatencyNs` and a
 * `MachineClock` the queue is instead drained that long after the notification (one timer per queue; buffers
 * made available while it is pending are served by the same timer).
 *
 * When the device meets a queue it cannot trust (see virtqueue.ts) or a request whose status cannot be
 * written, it sets DEVICE_NEEDS_RESET, raises a configuration-change interrupt (VIRTIO 2.1.2) and stops
 * serving queues until the driver resets it. `lastError` says why, for diagnostics.
 *
 * The interrupt line is asserted while InterruptStatus is non-zero (level-triggered, as a shared PCI-style
 * line; the driver's InterruptACK write deasserts it).
 *
 * Misuse of the registers by the guest never throws: reads of write-only registers and of unknown offsets
 * return 0, writes to read-only registers are ignored, as are control-register accesses that are not 32 bits
 * wide, queue-register writes while the selected queue is ready, and registers of a queue that does not exist.
 *
 * Not modelled: the legacy (version 1) layout, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET (QueueReset at 0x0c0
 * reads 0), VIRTIO_F_NOTIFICATION_DATA, shared memory regions.
 */
import type { PhysicalMemory } from '../memory/physical-memory';
import type { AccessSize, MmioDevice } from './io-bus';
import { type IrqLine, UNCONNECTED } from './irq';
import type { MachineClock, TimerId } from './machine-clock';
import { SplitVirtqueue, VIRTQ_MAX_SIZE, type VirtqRequest } from './virtqueue';

/** Register offsets of the version 2 layout. */
export const VirtioMmioReg = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceID: 0x008,
  VendorID: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptACK: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  SHMSel: 0x0ac,
  SHMLenLow: 0x0b0,
  SHMLenHigh: 0x0b4,
  SHMBaseLow: 0x0b8,
  SHMBaseHigh: 0x0bc,
  QueueReset: 0x0c0,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

export const VIRTIO_MMIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VERSION = 2;
/** Size of the register window to map on the MmioBus. */
export const VIRTIO_MMIO_WINDOW_SIZE = 0x200;
/** Default VendorID: "EXO6" as little-endian ASCII. */
export const VIRTIO_MMIO_DEFAULT_VENDOR = 0x364f5845;

/** Device status bits (VIRTIO 2.1). */
export const VirtioStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** InterruptStatus / InterruptACK bits. */
export const VIRTIO_MMIO_INT_VRING = 1;
export const VIRTIO_MMIO_INT_CONFIG = 2;

/** Transport and ring feature bits (VIRTIO 6), as bit numbers. */
export const VirtioFeature = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  SR_IOV: 37,
  NOTIFICATION_DATA: 38,
  RING_RESET: 40,
} as const;

/** The feature mask with bit `bit` set. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** A device model asks the transport for a DEVICE_NEEDS_RESET by returning this from `serve`. */
export interface VirtioDeviceFailure {
  readonly failure: string;
}

/** What the transport needs from a device type (block, network, ...). */
export interface VirtioDeviceModel {
  /** Virtio device ID (2 = block). */
  readonly deviceId: number;
  /** Device-type feature bits offered (the transport adds VERSION_1 and its ring features). */
  readonly deviceFeatures: bigint;
  /** QueueNumMax of each virtqueue; the array length is the number of queues. */
  readonly queueSizes: readonly number[];
  /** Size of the device configuration space in bytes. */
  readonly configSize: number;
  /** Reads `size` little-endian bytes of configuration space at `offset` (inside configSize). */
  readConfig(offset: number, size: AccessSize): number;
  /** Guest write to configuration space (inside configSize). */
  writeConfig(offset: number, size: AccessSize, value: number): void;
  /** The features the driver accepted, once FEATURES_OK has been granted. */
  featuresNegotiated(features: bigint): void;
  /** Device reset: forget negotiated features and any per-device state. */
  reset(): void;
  /**
   * Serves one request from queue `queue`. Returns the number of bytes written into the request's writable
   * buffers (the used ring's `len`), or a failure that sends the device to DEVICE_NEEDS_RESET.
   */
  serve(queue: number, request: VirtqRequest): number | VirtioDeviceFailure;
}

export interface VirtioMmioOptions {
  /** Guest RAM holding the virtqueues and buffers. */
  memory: PhysicalMemory;
  /** Interrupt output (default: unconnected). */
  irq?: IrqLine;
  vendorId?: number;
  /** Offer VIRTIO_F_INDIRECT_DESC (default true). */
  indirectDescriptors?: boolean;
  /** Offer VIRTIO_F_EVENT_IDX (default true). */
  eventIdx?: boolean;
  /** Machine clock, needed only for `completionLatencyNs`. */
  clock?: MachineClock;
  /** Serve a notified queue this many ns of machine time later instead of inside the QueueNotify write. */
  completionLatencyNs?: number;
}

/** Host-side misuse of the transport (bad options, a back end with impossible queue sizes). */
export class VirtioMmioError extends Error {
  override name = 'VirtioMmioError';
}

const LOW32 = 0xffffffffn;

/** The queue address registers, in the order of `addressHalves`. */
const ADDRESS_REGISTERS: readonly number[] = [
  VirtioMmioReg.QueueDescLow,
  VirtioMmioReg.QueueDescHigh,
  VirtioMmioReg.QueueDriverLow,
  VirtioMmioReg.QueueDriverHigh,
  VirtioMmioReg.QueueDeviceLow,
  VirtioMmioReg.QueueDeviceHigh,
];

export class VirtioMmioDevice implements MmioDevice {
  readonly device: VirtioDeviceModel;
  readonly vendorId: number;
  /** Every feature offered: the device's, VERSION_1 and the ring features enabled in the options. */
  readonly offeredFeatures: bigint;
  /** Why the device last entered DEVICE_NEEDS_RESET (kept across resets for diagnostics), or null. */
  lastError: string | null = null;

  private readonly memory: PhysicalMemory;
  private readonly irq: IrqLine;
  private readonly clock: MachineClock | null;
  private readonly latencyNs: number;
  private readonly queues: SplitVirtqueue[];
  private readonly timers: (TimerId | null)[];
  /** Per queue, the 32-bit halves the driver wrote: desc low/high, driver low/high, device low/high. */
  private readonly addressHalves: Uint32Array[];
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private negotiated = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private irqLevel = false;
  private configGeneration = 0;

  constructor(device: VirtioDeviceModel, options: VirtioMmioOptions) {
    this.device = device;
    this.memory = options.memory;
    this.irq = options.irq ?? UNCONNECTED;
    this.vendorId = (options.vendorId ?? VIRTIO_MMIO_DEFAULT_VENDOR) >>> 0;
    this.clock = options.clock ?? null;
    this.latencyNs = options.completionLatencyNs ?? 0;
    if (!(this.latencyNs >= 0) || !Number.isFinite(this.latencyNs))
      throw new VirtioMmioError(
        `completionLatencyNs must be a finite non-negative number, got ${this.latencyNs}`,
      );
    if (this.latencyNs > 0 && this.clock === null)
      throw new VirtioMmioError('completionLatencyNs needs a MachineClock (option clock)');
    for (const size of device.queueSizes) {
      if (!Number.isInteger(size) || size < 1 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) !== 0)
        throw new VirtioMmioError(`queue size ${size} is not a power of two between 1 and ${VIRTQ_MAX_SIZE}`);
    }
    let offered = device.deviceFeatures | featureBit(VirtioFeature.VERSION_1);
    if (options.indirectDescriptors ?? true) offered |= featureBit(VirtioFeature.INDIRECT_DESC);
    if (options.eventIdx ?? true) offered |= featureBit(VirtioFeature.EVENT_IDX);
    this.offeredFeatures = offered;
    this.queues = device.queueSizes.map((size) => new SplitVirtqueue(this.memory, size));
    this.timers = device.queueSizes.map(() => null);
    this.addressHalves = device.queueSizes.map(() => new Uint32Array(6));
  }

  /** The device status register. */
  get deviceStatus(): number {
    return this.status;
  }

  /** The features both sides agreed on (0 before FEATURES_OK). */
  get negotiatedFeatures(): bigint {
    return this.negotiated;
  }

  /** The InterruptStatus register. */
  get pendingInterrupts(): number {
    return this.interruptStatus;
  }

  readMmio(offset: number, size: AccessSize): number {
    if (offset >= VirtioMmioReg.Config) return this.readConfig(offset - VirtioMmioReg.Config, size);
    // Control registers are defined for aligned 32-bit accesses only.
    if (size !== 4 || (offset & 3) !== 0) return 0;
    const queue = this.queues[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case VirtioMmioReg.Version:
        return VIRTIO_MMIO_VERSION;
      case VirtioMmioReg.DeviceID:
        return this.device.deviceId;
      case VirtioMmioReg.VendorID:
        return this.vendorId;
      case VirtioMmioReg.DeviceFeatures:
        return this.deviceFeaturesSel > 1
          ? 0
          : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & LOW32);
      case VirtioMmioReg.QueueNumMax:
        // Zero tells the driver the queue does not exist.
        return queue?.maxSize ?? 0;
      case VirtioMmioReg.QueueReady:
        return queue?.ready ? 1 : 0;
      case VirtioMmioReg.InterruptStatus:
        return this.interruptStatus;
      case VirtioMmioReg.Status:
        return this.status;
      case VirtioMmioReg.SHMLenLow:
      case VirtioMmioReg.SHMLenHigh:
      case VirtioMmioReg.SHMBaseLow:
      case VirtioMmioReg.SHMBaseHigh:
        // No shared memory regions: the length reads as all ones (-1).
        return 0xffffffff;
      case VirtioMmioReg.ConfigGeneration:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  writeMmio(offset: number, size: AccessSize, value: number): void {
    if (offset >= VirtioMmioReg.Config) {
      this.writeConfig(offset - VirtioMmioReg.Config, size, value);
      return;
    }
    if (size !== 4 || (offset & 3) !== 0) return;
    value >>>= 0;
    switch (offset) {
      case VirtioMmioReg.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case VirtioMmioReg.DriverFeatures:
        this.writeDriverFeatures(value);
        return;
      case VirtioMmioReg.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case VirtioMmioReg.QueueSel:
        this.queueSel = value;
        return;
      case VirtioMmioReg.QueueNotify:
        this.notify(value);
        return;
      case VirtioMmioReg.InterruptACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        return;
      case VirtioMmioReg.Status:
        this.writeStatus(value);
        return;
      default:
        this.writeQueueRegister(offset, value);
    }
  }

  /**
   * For device models: the configuration space changed. Bumps ConfigGeneration and, once the driver is
   * running, raises a configuration-change interrupt.
   */
  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (this.status & VirtioStatus.DRIVER_OK) this.raise(VIRTIO_MMIO_INT_CONFIG);
  }

  /**
   * Drains queue `index`: what a QueueNotify write does (at once, or after `completionLatencyNs`). Does
   * nothing unless the queue is ready and the device is live (DRIVER_OK, no FAILED, no DEVICE_NEEDS_RESET).
   */
  serviceQueue(index: number): void {
    const queue = this.queues[index];
    if (queue === undefined || !queue.ready || !this.serving()) return;
    const layoutProblem = queue.check();
    if (layoutProblem !== null) {
      this.needsReset(`queue ${index}: ${layoutProblem}`);
      return;
    }
    const oldUsed = queue.usedIdx;
    let failure: string | null = null;
    for (;;) {
      const popped = queue.pop();
      if (popped.kind === 'empty') break;
      if (popped.kind === 'broken') {
        failure = popped.reason;
        break;
      }
      const outcome = this.device.serve(index, popped.request);
      if (typeof outcome !== 'number') {
        failure = outcome.failure;
        break;
      }
      queue.push(popped.request.head, outcome);
    }
    if (failure === null) queue.publishAvailEvent();
    // Requests completed before a failure are still reported to the driver.
    if (queue.wantsInterrupt(oldUsed)) this.raise(VIRTIO_MMIO_INT_VRING);
    if (failure !== null) this.needsReset(`queue ${index}: ${failure}`);
  }

  private serving(): boolean {
    const s = this.status;
    return (
      (s & (VirtioStatus.DRIVER_OK | VirtioStatus.FEATURES_OK)) ===
        (VirtioStatus.DRIVER_OK | VirtioStatus.FEATURES_OK) &&
      (s & (VirtioStatus.FAILED | VirtioStatus.DEVICE_NEEDS_RESET)) === 0
    );
  }

  private notify(index: number): void {
    if (index >= this.queues.length) return;
    if (this.latencyNs === 0 || this.clock === null) {
      this.serviceQueue(index);
      return;
    }
    if (this.timers[index] !== null) return;
    const clock = this.clock;
    this.timers[index] = clock.schedule(clock.nowNs() + this.latencyNs, () => {
      this.timers[index] = null;
      this.serviceQueue(index);
    });
  }

  private writeDriverFeatures(value: number): void {
    // Features are fixed once FEATURES_OK has been granted.
    if (this.status & VirtioStatus.FEATURES_OK) return;
    if (this.driverFeaturesSel > 1) return;
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.driverFeatures = (this.driverFeatures & ~(LOW32 << shift)) | (BigInt(value) << shift);
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    const had = this.status;
    // DEVICE_NEEDS_RESET is the device's to set; FEATURES_OK is granted only if the features are acceptable.
    let next =
      (value & ~(VirtioStatus.DEVICE_NEEDS_RESET | VirtioStatus.FEATURES_OK) & 0xff) |
      (had & VirtioStatus.DEVICE_NEEDS_RESET);
    if (value & VirtioStatus.FEATURES_OK) {
      if (had & VirtioStatus.FEATURES_OK) next |= VirtioStatus.FEATURES_OK;
      else if (this.acceptable(this.driverFeatures)) {
        next |= VirtioStatus.FEATURES_OK;
        this.negotiated = this.driverFeatures;
        const indirect = (this.negotiated & featureBit(VirtioFeature.INDIRECT_DESC)) !== 0n;
        const eventIdx = (this.negotiated & featureBit(VirtioFeature.EVENT_IDX)) !== 0n;
        for (const q of this.queues) {
          q.indirect = indirect;
          q.eventIdx = eventIdx;
        }
        this.device.featuresNegotiated(this.negotiated);
      }
    }
    this.status = next;
  }

  private acceptable(features: bigint): boolean {
    return (
      (features & ~this.offeredFeatures) === 0n && (features & featureBit(VirtioFeature.VERSION_1)) !== 0n
    );
  }

  private writeQueueRegister(offset: number, value: number): void {
    const queue = this.queues[this.queueSel];
    if (queue === undefined) return;
    if (offset === VirtioMmioReg.QueueReady) {
      const ready = (value & 1) === 1;
      // A queue the driver (re)enables starts from index 0, as its freshly initialised rings do.
      if (ready && !queue.ready) queue.restart();
      queue.ready = ready;
      return;
    }
    // The queue's layout may only change while it is disabled.
    if (queue.ready) return;
    if (offset === VirtioMmioReg.QueueNum) {
      queue.size = value;
      return;
    }
    const half = ADDRESS_REGISTERS.indexOf(offset);
    if (half < 0) return;
    const halves = this.addressHalves[this.queueSel] as Uint32Array;
    halves[half] = value;
    // Kept as numbers: exact below 2^53, and anything above lies far outside guest memory anyway.
    const address = (pair: number) => (halves[pair + 1] as number) * 2 ** 32 + (halves[pair] as number);
    queue.descAddr = address(0);
    queue.driverAddr = address(2);
    queue.deviceAddr = address(4);
  }

  private readConfig(offset: number, size: AccessSize): number {
    if (offset + size > this.device.configSize) return 0;
    return this.device.readConfig(offset, size) >>> 0;
  }

  private writeConfig(offset: number, size: AccessSize, value: number): void {
    if (offset + size > this.device.configSize) return;
    this.device.writeConfig(offset, size, value);
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.negotiated = 0n;
    this.queueSel = 0;
    for (const h of this.addressHalves) h.fill(0);
    for (const q of this.queues) {
      q.reset();
      q.indirect = false;
      q.eventIdx = false;
    }
    for (let i = 0; i < this.timers.length; i++) {
      const id = this.timers[i];
      if (id !== null && id !== undefined) this.clock?.cancel(id);
      this.timers[i] = null;
    }
    this.interruptStatus = 0;
    this.updateIrq();
    this.device.reset();
  }

  private needsReset(reason: string): void {
    this.lastError = reason;
    this.status |= VirtioStatus.DEVICE_NEEDS_RESET;
    // VIRTIO 2.1.2: once DRIVER_OK is set, entering DEVICE_NEEDS_RESET comes with a config-change notification.
    if (this.status & VirtioStatus.DRIVER_OK) this.raise(VIRTIO_MMIO_INT_CONFIG);
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }
}
