/**
 * The kernel's virtio-blk driver: it drives a virtio 1.x block device behind the virtio-mmio (version 2)
 * transport through its registers and through one split virtqueue in guest physical memory, exactly as the
 * VIRTIO 1.1/1.2 specification describes (sections 2.6, 3.1, 4.2 and 5.2).
 *
 * Model:
 * - The driver owns two frames from the kernel's frame allocator: one holds the virtqueue (descriptor
 *   table, available ring, used ring; 8 entries by default), the other the request header and status byte.
 * - Requests are served one at a time. Each is a chain of descriptors: the 16-byte header (device-readable),
 *   the data buffer (the guest-physical range the kernel passes: device-writable for reads, device-readable
 *   for writes; absent for a flush), then the one-byte status (device-writable). The driver makes the head
 *   available, writes QueueNotify, waits for the used ring to move, acknowledges the interrupt, and returns
 *   the status byte the device wrote (0 OK, 1 IOERR, 2 UNSUPP).
 * - The data buffer is the DMA target, so it must lie inside guest memory and inside one 4 KiB frame (the
 *   kernel hands over one frame it has checked the caller holds); it may not touch the driver's own frames.
 * - Features: the driver accepts VIRTIO_F_VERSION_1 (required: there is no legacy interface) and
 *   VIRTIO_BLK_F_FLUSH when offered, and nothing else. VIRTIO_BLK_F_RO is noted (`readOnly`) but not
 *   negotiated: the device refuses writes to a read-only image with IOERR, which is what the caller sees.
 *   Without VIRTIO_BLK_F_FLUSH the device is write-through, so `flush()` has nothing to ask for.
 *
 * Errors: arguments the driver cannot use (not integers, beyond the capacity, a range outside memory or
 * across a frame boundary) and calls before a successful `init()` throw `VirtioBlkDriverError`, as does
 * `init()` when no usable device answers. Anything the device does wrong during a request — an error
 * status, DEVICE_NEEDS_RESET, a used ring that does not match the request, no completion at all — is
 * reported as VIRTIO_BLK_S_IOERR and the device is reset and initialised again, so the next request has a
 * working queue. Nothing a device does can make a request throw or hang.
 *
 * Not modelled: more than one request in flight, indirect descriptors, VIRTIO_F_EVENT_IDX, GET_ID and the
 * other optional request types, configuration-change handling beyond re-reading the capacity on re-init.
 */
import {
  type FrameAllocator,
  featureBit,
  type MmioBus,
  PAGE_SIZE,
  type PhysicalMemory,
  VIRTIO_BLK_HEADER_BYTES,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_ID_BLOCK,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  VirtioBlkConfig,
  VirtioBlkFeature,
  VirtioBlkRequestType,
  VirtioBlkStatus,
  VirtioFeature,
  VirtioMmioReg,
  VirtioStatus,
} from '@exov6/hal-x86';

/** Why the driver refused: no usable device, a feature set the device rejects, a bad argument, bad state. */
export type VirtioBlkDriverErrorCode = 'NO_DEVICE' | 'FEATURES' | 'QUEUE' | 'ARGUMENT' | 'STATE';

/** Misuse of the driver by the kernel, or a device that cannot be brought up at `init()`. */
export class VirtioBlkDriverError extends Error {
  override readonly name = 'VirtioBlkDriverError';
  constructor(
    readonly code: VirtioBlkDriverErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface VirtioBlkDriverOptions {
  /** Queue size to ask for (a power of two from 4 to 64, default 8; less if QueueNumMax is smaller). */
  queueSize?: number;
  /**
   * Called while a request waits for its completion, for devices that complete after a delay (for example,
   * advance the machine clock and run its due events). Default: nothing, since the device completes inside
   * the QueueNotify write.
   */
  idle?: () => void;
  /** How many times to poll the used ring (calling `idle` in between) before giving up (default 1000). */
  maxPolls?: number;
}

/** The status of one request: VIRTIO_BLK_S_OK (0), VIRTIO_BLK_S_IOERR (1) or VIRTIO_BLK_S_UNSUPP (2). */
export type VirtioBlkRequestStatus = 0 | 1 | 2;

/** Descriptors are written fresh for each request; these three form its chain. */
const HEAD = 0;
/** The status byte's value before the device writes it: not a status the device can answer. */
const STATUS_UNWRITTEN = 0xff;
/** Bound on the ConfigGeneration retry loop: a configuration that never settles must not hang init. */
const CONFIG_READ_ATTEMPTS = 64;
const TWO_32 = 2 ** 32;

export class VirtioBlkDriver {
  /** Guest-physical address of the frame holding the descriptor table and both rings. */
  readonly queueFrame: number;
  /** Guest-physical address of the frame holding the request header and status byte. */
  readonly requestFrame: number;
  /** What init() learned; read through the getters below. */
  private sectors = 0;
  private readOnlyImage = false;
  private negotiated = 0n;
  private queueEntries = 0;
  private resets = 0;
  private readonly wantedQueueSize: number;
  private readonly idle: () => void;
  private readonly maxPolls: number;
  /** Addresses of the queue areas in `queueFrame`. */
  private descAddr = 0;
  private availAddr = 0;
  private usedAddr = 0;
  private readonly headerAddr: number;
  private readonly statusAddr: number;
  /** The driver's copies of the ring indices (free-running 16-bit counters). */
  private availIdx = 0;
  private lastUsedIdx = 0;
  /** `init()` succeeded once: requests may be made from then on. */
  private initialised = false;
  /** The device is set up and serving; false after a failed recovery (the next request retries it). */
  private live = false;
  private shutDown = false;

  constructor(
    readonly mmio: MmioBus,
    readonly base: number,
    readonly memory: PhysicalMemory,
    private readonly frames: FrameAllocator,
    options: VirtioBlkDriverOptions = {},
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4 !== 0)
      throw new VirtioBlkDriverError(
        'ARGUMENT',
        `register base must be a 4-byte aligned address, got ${base}`,
      );
    if (frames.memory !== memory)
      throw new VirtioBlkDriverError('ARGUMENT', 'the frame allocator must allocate from the same memory');
    const queueSize = options.queueSize ?? 8;
    if (
      !Number.isInteger(queueSize) ||
      queueSize < 4 ||
      queueSize > 64 ||
      (queueSize & (queueSize - 1)) !== 0
    )
      throw new VirtioBlkDriverError(
        'ARGUMENT',
        `queueSize must be a power of two from 4 to 64, got ${queueSize}`,
      );
    const maxPolls = options.maxPolls ?? 1000;
    if (!Number.isInteger(maxPolls) || maxPolls < 1)
      throw new VirtioBlkDriverError('ARGUMENT', `maxPolls must be a positive integer, got ${maxPolls}`);
    this.wantedQueueSize = queueSize;
    this.idle = options.idle ?? (() => {});
    this.maxPolls = maxPolls;
    this.queueFrame = frames.alloc();
    this.requestFrame = frames.alloc();
    this.headerAddr = this.requestFrame;
    this.statusAddr = this.requestFrame + VIRTIO_BLK_HEADER_BYTES;
  }

  /** Capacity in 512-byte sectors (0 before `init()`). */
  get capacity(): number {
    return this.sectors;
  }

  /** The device offers VIRTIO_BLK_F_RO: writes will be refused with IOERR. */
  get readOnly(): boolean {
    return this.readOnlyImage;
  }

  /** The features both sides agreed on (0 before `init()`). */
  get features(): bigint {
    return this.negotiated;
  }

  /** Queue size in use (0 before `init()`). */
  get queueSize(): number {
    return this.queueEntries;
  }

  /** How many times the driver reset and re-initialised the device after it misbehaved. */
  get recoveries(): number {
    return this.resets;
  }

  /** Whether the device negotiated VIRTIO_BLK_F_FLUSH (otherwise it is write-through). */
  get flushSupported(): boolean {
    return (this.negotiated & featureBit(VirtioBlkFeature.FLUSH)) !== 0n;
  }

  /**
   * Device initialisation (VIRTIO 3.1.1) and set-up of request queue 0. Throws `VirtioBlkDriverError` when
   * there is no virtio-mmio version 2 block device at `base`, when it refuses the features, or when its
   * queue is unusable; the device is then left with FAILED set (if it exists).
   */
  init(): void {
    this.checkNotShutDown('init');
    this.live = false;
    this.bringUp();
    this.initialised = true;
    this.live = true;
  }

  /** Reads `count` sectors at `sector` into guest memory at `physicalAddress`. Returns the virtio status. */
  read(sector: number, count: number, physicalAddress: number): VirtioBlkRequestStatus {
    this.checkReady('read');
    const length = this.checkTransfer('read', sector, count, physicalAddress);
    return this.request(VirtioBlkRequestType.IN, sector, physicalAddress, length, true);
  }

  /** Writes `count` sectors at `sector` from guest memory at `physicalAddress`. Returns the virtio status. */
  write(sector: number, count: number, physicalAddress: number): VirtioBlkRequestStatus {
    this.checkReady('write');
    const length = this.checkTransfer('write', sector, count, physicalAddress);
    return this.request(VirtioBlkRequestType.OUT, sector, physicalAddress, length, false);
  }

  /** Makes every completed write durable. Returns the virtio status. */
  flush(): VirtioBlkRequestStatus {
    this.checkReady('flush');
    // Without VIRTIO_BLK_F_FLUSH the driver must not send FLUSH, and need not: the device is write-through.
    if (!this.flushSupported) return VirtioBlkStatus.OK;
    return this.request(VirtioBlkRequestType.FLUSH, 0, 0, 0, false);
  }

  /** Resets the device (it stops touching memory) and returns the driver's frames; the driver is done. */
  shutdown(): void {
    if (this.shutDown) return;
    if (this.initialised) this.setStatus(0);
    this.shutDown = true;
    this.live = false;
    this.initialised = false;
    this.frames.release(this.queueFrame);
    this.frames.release(this.requestFrame);
  }

  // --- initialisation ---------------------------------------------------------------------------------

  private bringUp(): void {
    const magic = this.reg(VirtioMmioReg.MagicValue);
    if (magic !== VIRTIO_MMIO_MAGIC)
      throw new VirtioBlkDriverError(
        'NO_DEVICE',
        `no virtio-mmio device at 0x${this.base.toString(16)} (MagicValue 0x${magic.toString(16)})`,
      );
    const version = this.reg(VirtioMmioReg.Version);
    if (version !== VIRTIO_MMIO_VERSION)
      throw new VirtioBlkDriverError('NO_DEVICE', `virtio-mmio version ${version}, this driver needs 2`);
    const deviceId = this.reg(VirtioMmioReg.DeviceID);
    if (deviceId !== VIRTIO_ID_BLOCK)
      throw new VirtioBlkDriverError(
        'NO_DEVICE',
        deviceId === 0
          ? 'the virtio-mmio slot is empty (DeviceID 0)'
          : `device ${deviceId} is not a block device`,
      );

    this.setStatus(0);
    this.setStatus(VirtioStatus.ACKNOWLEDGE);
    this.setStatus(VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);

    const offered = this.deviceFeatures();
    const version1 = featureBit(VirtioFeature.VERSION_1);
    if ((offered & version1) === 0n) this.fail('FEATURES', 'the device does not offer VIRTIO_F_VERSION_1');
    const accepted = version1 | (offered & featureBit(VirtioBlkFeature.FLUSH));
    this.writeDriverFeatures(accepted);
    this.setStatus(this.status() | VirtioStatus.FEATURES_OK);
    // The device leaves FEATURES_OK clear when it cannot work with the features the driver accepted.
    if ((this.status() & VirtioStatus.FEATURES_OK) === 0)
      this.fail('FEATURES', 'the device refused the feature set (FEATURES_OK did not stay set)');
    this.negotiated = accepted;
    this.readOnlyImage = (offered & featureBit(VirtioBlkFeature.RO)) !== 0n;

    this.setUpQueue();
    this.sectors = this.readCapacity();
    this.setStatus(this.status() | VirtioStatus.DRIVER_OK);
  }

  private setUpQueue(): void {
    this.setReg(VirtioMmioReg.QueueSel, 0);
    if (this.reg(VirtioMmioReg.QueueReady) !== 0) this.fail('QUEUE', 'queue 0 is still enabled after reset');
    const max = this.reg(VirtioMmioReg.QueueNumMax);
    if (max === 0) this.fail('QUEUE', 'the device has no queue 0');
    // Both are powers of two (QueueNumMax by the transport's rules), so the smaller one is a valid size.
    const size = Math.min(max, this.wantedQueueSize);
    // A request chain is three descriptors long.
    if (size < 3) this.fail('QUEUE', `queue 0 holds only ${size} descriptors, a request needs 3`);
    this.queueEntries = size;
    // Descriptor table at the start of the frame (16-byte aligned), then the available ring (2-byte aligned),
    // then the used ring (4-byte aligned). At 64 entries this is 1024 + 134 + 518 bytes: one frame.
    this.descAddr = this.queueFrame;
    this.availAddr = this.descAddr + VIRTQ_DESC_SIZE * size;
    this.usedAddr = this.availAddr + alignUp(6 + 2 * size, 4);
    // A re-initialised queue starts from index 0 on both sides, with clean rings.
    this.memory.bytes.fill(0, this.queueFrame, this.queueFrame + PAGE_SIZE);
    this.availIdx = 0;
    this.lastUsedIdx = 0;
    this.setReg(VirtioMmioReg.QueueNum, size);
    this.setAddress(VirtioMmioReg.QueueDescLow, this.descAddr);
    this.setAddress(VirtioMmioReg.QueueDriverLow, this.availAddr);
    this.setAddress(VirtioMmioReg.QueueDeviceLow, this.usedAddr);
    this.setReg(VirtioMmioReg.QueueReady, 1);
    if (this.reg(VirtioMmioReg.QueueReady) !== 1) this.fail('QUEUE', 'the device did not enable queue 0');
  }

  /** The 64-bit capacity, read consistently: retried until ConfigGeneration is the same before and after. */
  private readCapacity(): number {
    const at = VirtioMmioReg.Config + VirtioBlkConfig.capacity;
    for (let attempt = 0; attempt < CONFIG_READ_ATTEMPTS; attempt++) {
      const before = this.reg(VirtioMmioReg.ConfigGeneration);
      const low = this.reg(at);
      const high = this.reg(at + 4);
      if (this.reg(VirtioMmioReg.ConfigGeneration) !== before) continue;
      const capacity = high * TWO_32 + low;
      if (!Number.isSafeInteger(capacity))
        this.fail('NO_DEVICE', `capacity ${capacity} sectors is not usable`);
      return capacity;
    }
    return this.fail('NO_DEVICE', 'the configuration space never settled (ConfigGeneration kept changing)');
  }

  private deviceFeatures(): bigint {
    this.setReg(VirtioMmioReg.DeviceFeaturesSel, 0);
    const low = this.reg(VirtioMmioReg.DeviceFeatures);
    this.setReg(VirtioMmioReg.DeviceFeaturesSel, 1);
    const high = this.reg(VirtioMmioReg.DeviceFeatures);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  private writeDriverFeatures(features: bigint): void {
    this.setReg(VirtioMmioReg.DriverFeaturesSel, 0);
    this.setReg(VirtioMmioReg.DriverFeatures, Number(features & 0xffffffffn));
    this.setReg(VirtioMmioReg.DriverFeaturesSel, 1);
    this.setReg(VirtioMmioReg.DriverFeatures, Number((features >> 32n) & 0xffffffffn));
  }

  /** Gives up on the device (VIRTIO 3.1.1: the driver sets FAILED) and throws. */
  private fail(code: VirtioBlkDriverErrorCode, message: string): never {
    this.setStatus(this.status() | VirtioStatus.FAILED);
    throw new VirtioBlkDriverError(code, message);
  }

  // --- requests ---------------------------------------------------------------------------------------

  /** One request, start to finish. `length` 0 means no data descriptor (FLUSH). */
  private request(
    type: number,
    sector: number,
    dataAddr: number,
    length: number,
    deviceWritesData: boolean,
  ): VirtioBlkRequestStatus {
    // A device that failed to come back last time gets another chance before each request.
    if (!this.live && !this.recover()) return VirtioBlkStatus.IOERR;

    const view = this.memory.view;
    view.setUint32(this.headerAddr, type, true);
    view.setUint32(this.headerAddr + 4, 0, true);
    view.setUint32(this.headerAddr + 8, sector % TWO_32, true);
    view.setUint32(this.headerAddr + 12, Math.floor(sector / TWO_32), true);
    this.memory.bytes[this.statusAddr] = STATUS_UNWRITTEN;

    let next = HEAD;
    this.writeDescriptor(next, this.headerAddr, VIRTIO_BLK_HEADER_BYTES, VIRTQ_DESC_F_NEXT, next + 1);
    next++;
    if (length > 0) {
      const flags = VIRTQ_DESC_F_NEXT | (deviceWritesData ? VIRTQ_DESC_F_WRITE : 0);
      this.writeDescriptor(next, dataAddr, length, flags, next + 1);
      next++;
    }
    this.writeDescriptor(next, this.statusAddr, 1, VIRTQ_DESC_F_WRITE, 0);

    // The ring entry is written before the index that publishes it (VIRTIO 2.7.13).
    view.setUint16(this.availAddr + 4 + 2 * (this.availIdx % this.queueSize), HEAD, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    view.setUint16(this.availAddr + 2, this.availIdx, true);
    this.setReg(VirtioMmioReg.QueueNotify, 0);

    const completed = this.waitForUsed();
    this.acknowledgeInterrupt();
    if (!completed) {
      this.recover();
      return VirtioBlkStatus.IOERR;
    }
    const status = this.takeCompletion();
    // A device that completed this request and then failed still needs its reset before the next one.
    if (status === null || (this.status() & VirtioStatus.DEVICE_NEEDS_RESET) !== 0) this.recover();
    return status ?? VirtioBlkStatus.IOERR;
  }

  private writeDescriptor(index: number, addr: number, len: number, flags: number, next: number): void {
    const at = this.descAddr + VIRTQ_DESC_SIZE * index;
    const view = this.memory.view;
    view.setUint32(at, addr % TWO_32, true);
    view.setUint32(at + 4, Math.floor(addr / TWO_32), true);
    view.setUint32(at + 8, len, true);
    view.setUint16(at + 12, flags, true);
    view.setUint16(at + 14, next, true);
  }

  /** Polls the used ring until it moves; false if the device needs a reset or never answered. */
  private waitForUsed(): boolean {
    for (let poll = 0; ; poll++) {
      if (this.usedIdx() !== this.lastUsedIdx) return true;
      if ((this.status() & VirtioStatus.DEVICE_NEEDS_RESET) !== 0 || poll >= this.maxPolls) return false;
      this.idle();
    }
  }

  /**
   * Consumes the used-ring entry of the one request in flight and returns its status, or null when the ring
   * does not describe that request (more than one entry, another head) or the status byte is not a status.
   */
  private takeCompletion(): VirtioBlkRequestStatus | null {
    const view = this.memory.view;
    const usedIdx = this.usedIdx();
    const entries = (usedIdx - this.lastUsedIdx) & 0xffff;
    const slot = this.usedAddr + 4 + 8 * (this.lastUsedIdx % this.queueSize);
    const id = view.getUint32(slot, true);
    this.lastUsedIdx = usedIdx;
    if (entries !== 1 || id !== HEAD) return null;
    const status = this.memory.bytes[this.statusAddr] as number;
    if (
      status === VirtioBlkStatus.OK ||
      status === VirtioBlkStatus.IOERR ||
      status === VirtioBlkStatus.UNSUPP
    )
      return status;
    return null;
  }

  private usedIdx(): number {
    return this.memory.view.getUint16(this.usedAddr + 2, true);
  }

  /** What the interrupt handler does: read InterruptStatus and acknowledge every cause it shows. */
  private acknowledgeInterrupt(): void {
    const pending = this.reg(VirtioMmioReg.InterruptStatus);
    if (pending !== 0) this.setReg(VirtioMmioReg.InterruptACK, pending);
  }

  /** Resets and re-initialises the device after it misbehaved. False (device left down) if that fails. */
  private recover(): boolean {
    this.resets++;
    this.live = false;
    try {
      this.bringUp();
    } catch (e) {
      // A device that cannot be brought back is a device-side error: requests report IOERR until it can.
      if (e instanceof VirtioBlkDriverError) return false;
      throw e;
    }
    this.live = true;
    return true;
  }

  // --- argument checks ----------------------------------------------------------------------------------

  private checkNotShutDown(op: string): void {
    if (this.shutDown) throw new VirtioBlkDriverError('STATE', `${op}: the driver has been shut down`);
  }

  private checkReady(op: string): void {
    this.checkNotShutDown(op);
    if (!this.initialised) throw new VirtioBlkDriverError('STATE', `${op}: init() has not succeeded`);
  }

  /** Checks a transfer's arguments; returns its length in bytes. */
  private checkTransfer(op: string, sector: number, count: number, physicalAddress: number): number {
    const bad = (message: string): never => {
      throw new VirtioBlkDriverError('ARGUMENT', `${op}: ${message}`);
    };
    if (!Number.isSafeInteger(sector) || sector < 0)
      bad(`sector must be a non-negative integer, got ${sector}`);
    if (!Number.isSafeInteger(count) || count < 1) bad(`count must be a positive integer, got ${count}`);
    if (sector + count > this.capacity)
      bad(`sectors ${sector}..${sector + count - 1} are beyond the capacity of ${this.capacity} sectors`);
    const length = count * VIRTIO_BLK_SECTOR_SIZE;
    if (!Number.isSafeInteger(physicalAddress) || physicalAddress < 0)
      bad(`physical address must be a non-negative integer, got ${physicalAddress}`);
    const end = physicalAddress + length;
    if (end > this.memory.size)
      bad(
        `buffer 0x${physicalAddress.toString(16)}+${length} is outside memory of ${this.memory.size} bytes`,
      );
    const frame = Math.floor(physicalAddress / PAGE_SIZE) * PAGE_SIZE;
    if (Math.floor((end - 1) / PAGE_SIZE) * PAGE_SIZE !== frame)
      bad(`buffer 0x${physicalAddress.toString(16)}+${length} crosses a 4 KiB frame boundary`);
    if (frame === this.queueFrame || frame === this.requestFrame)
      bad(`buffer 0x${physicalAddress.toString(16)} lies in the driver's own frame`);
    return length;
  }

  // --- registers ----------------------------------------------------------------------------------------

  private reg(offset: number): number {
    return this.mmio.read32(this.base + offset);
  }

  private setReg(offset: number, value: number): void {
    this.mmio.write32(this.base + offset, value);
  }

  private status(): number {
    return this.reg(VirtioMmioReg.Status);
  }

  private setStatus(value: number): void {
    this.setReg(VirtioMmioReg.Status, value);
  }

  private setAddress(lowRegister: number, address: number): void {
    this.setReg(lowRegister, address % TWO_32);
    this.setReg(lowRegister + 4, Math.floor(address / TWO_32));
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
