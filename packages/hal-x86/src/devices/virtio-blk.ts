/**
 * A virtio block device (device ID 2, VIRTIO 1.1/1.2 section 5.2) over a `BlockBackend`, served through a
 * virtio transport such as `VirtioMmioDevice`. One request queue (queue 0).
 *
 * Configuration space (little-endian, read-only):
 *   0x00 capacity u64 (512-byte sectors)   0x08 size_max u32   0x0c seg_max u32   0x10 geometry (zero)
 *   0x14 blk_size u32   0x18 topology (zero)   0x20 writeback u8 (zero)   0x24-0x3b discard/write-zeroes (zero)
 * Offered features: VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
 * and VIRTIO_BLK_F_RO for a read-only image. size_max and seg_max describe what a driver should send; the
 * device serves larger requests too.
 *
 * A request is a device-readable header { type u32, reserved u32, sector u64 }, then data (device-readable for
 * writes, device-writable for reads), then one device-writable status byte. The device reads the chain as two
 * byte streams and does not depend on how the driver split them into descriptors (VIRTIO_F_VERSION_1 implies
 * any layout). Requests:
 * - VIRTIO_BLK_T_IN / T_OUT: data length a multiple of 512 inside the capacity, else VIRTIO_BLK_S_IOERR;
 *   T_OUT on a read-only device is VIRTIO_BLK_S_IOERR and writes nothing (VIRTIO 5.2.6.2).
 * - VIRTIO_BLK_T_FLUSH: the back end's flush(). If the driver did not negotiate VIRTIO_BLK_F_FLUSH the
 *   device is write-through: every completed write has been flushed.
 * - VIRTIO_BLK_T_GET_ID: the 20-byte, NUL-padded ASCII serial (truncated to the buffer the driver gave).
 * - anything else: VIRTIO_BLK_S_UNSUPP.
 * A request whose buffers are unusable (outside guest memory, readable after writable) or whose header is
 * short gets VIRTIO_BLK_S_IOERR when its status byte is usable; without a usable status byte the device asks
 * the transport for DEVICE_NEEDS_RESET. A host storage failure (`BlockIoError`) is reported as
 * VIRTIO_BLK_S_IOERR. The used length is always the full writable length (it ends with the status byte).
 *
 * Not modelled: multiple queues (VIRTIO_BLK_F_MQ), discard, write-zeroes, secure erase, lifetime, zoned
 * devices, geometry/topology, the writeback toggle (VIRTIO_BLK_F_CONFIG_WCE).
 */
import { type BlockBackend, BlockIoError } from './block-backend';
import type { AccessSize } from './io-bus';
import { featureBit, type VirtioDeviceFailure, type VirtioDeviceModel } from './virtio-mmio';
import type { VirtqRequest } from './virtqueue';

export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_BLK_SECTOR_SIZE = 512;
/** Length of the GET_ID serial string. */
export const VIRTIO_BLK_ID_BYTES = 20;
/** Size of the request header { type, reserved, sector }. */
export const VIRTIO_BLK_HEADER_BYTES = 16;

/** Block device feature bits, as bit numbers. */
export const VirtioBlkFeature = {
  SIZE_MAX: 1,
  SEG_MAX: 2,
  GEOMETRY: 4,
  RO: 5,
  BLK_SIZE: 6,
  FLUSH: 9,
  TOPOLOGY: 10,
  CONFIG_WCE: 11,
  MQ: 12,
  DISCARD: 13,
  WRITE_ZEROES: 14,
} as const;

export const VirtioBlkRequestType = {
  IN: 0,
  OUT: 1,
  FLUSH: 4,
  GET_ID: 8,
  GET_LIFETIME: 10,
  DISCARD: 11,
  WRITE_ZEROES: 13,
  SECURE_ERASE: 14,
} as const;

export const VirtioBlkStatus = {
  OK: 0,
  IOERR: 1,
  UNSUPP: 2,
} as const;

/** Offsets in the configuration space. */
export const VirtioBlkConfig = {
  capacity: 0x00,
  sizeMax: 0x08,
  segMax: 0x0c,
  geometry: 0x10,
  blkSize: 0x14,
  topology: 0x18,
  writeback: 0x20,
  numQueues: 0x22,
  maxDiscardSectors: 0x24,
  size: 0x3c,
} as const;

export interface VirtioBlockOptions {
  /** Serial returned by GET_ID: ASCII, at most 20 bytes (default 'exov6-virtio-blk'). */
  serial?: string;
  /** QueueNumMax of the request queue (power of two, default 256). */
  queueSize?: number;
  /** Largest number of data segments a driver should put in one request (default queueSize - 2). */
  segMax?: number;
  /** Largest size of one segment in bytes (default 1 MiB). */
  sizeMax?: number;
  /** Optimal logical block size the driver should use, power of two >= 512 (default 512). */
  blockSize?: number;
  /** Present the image as read-only even if the back end could write. */
  readOnly?: boolean;
}

/** Host-side misuse: bad options. */
export class VirtioBlockError extends Error {
  override name = 'VirtioBlockError';
}

export class VirtioBlockDevice implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly deviceFeatures: bigint;
  readonly queueSizes: readonly number[];
  readonly configSize = VirtioBlkConfig.size;
  readonly backend: BlockBackend;
  readonly readOnly: boolean;
  /** Capacity in 512-byte sectors (a partial last sector of the image is not addressable). */
  readonly capacity: number;
  private readonly config = new Uint8Array(VirtioBlkConfig.size);
  private readonly configView = new DataView(this.config.buffer);
  private readonly serial = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  private readonly header = new Uint8Array(VIRTIO_BLK_HEADER_BYTES);
  private readonly headerView = new DataView(this.header.buffer);
  private readonly statusByte = new Uint8Array(1);
  private writeThrough = true;

  constructor(backend: BlockBackend, options: VirtioBlockOptions = {}) {
    this.backend = backend;
    this.readOnly = backend.readOnly || (options.readOnly ?? false);
    this.capacity = Math.floor(backend.size / VIRTIO_BLK_SECTOR_SIZE);
    const queueSize = options.queueSize ?? 256;
    if (
      !Number.isInteger(queueSize) ||
      queueSize < 1 ||
      queueSize > 32768 ||
      (queueSize & (queueSize - 1)) !== 0
    )
      throw new VirtioBlockError(`queueSize must be a power of two up to 32768, got ${queueSize}`);
    this.queueSizes = [queueSize];
    const segMax = options.segMax ?? Math.max(1, queueSize - 2);
    const sizeMax = options.sizeMax ?? 1 << 20;
    const blockSize = options.blockSize ?? VIRTIO_BLK_SECTOR_SIZE;
    for (const [name, v] of [
      ['segMax', segMax],
      ['sizeMax', sizeMax],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffffffff)
        throw new VirtioBlockError(`${name} must be a 32-bit positive integer, got ${v}`);
    }
    if (!Number.isInteger(blockSize) || blockSize < 512 || (blockSize & (blockSize - 1)) !== 0)
      throw new VirtioBlockError(`blockSize must be a power of two >= 512, got ${blockSize}`);
    const serial = options.serial ?? 'exov6-virtio-blk';
    if (serial.length > VIRTIO_BLK_ID_BYTES || !/^[\x20-\x7e]*$/.test(serial))
      throw new VirtioBlockError(
        `serial must be at most 20 printable ASCII characters, got ${JSON.stringify(serial)}`,
      );
    for (let i = 0; i < serial.length; i++) this.serial[i] = serial.charCodeAt(i);

    let features =
      featureBit(VirtioBlkFeature.SIZE_MAX) |
      featureBit(VirtioBlkFeature.SEG_MAX) |
      featureBit(VirtioBlkFeature.BLK_SIZE) |
      featureBit(VirtioBlkFeature.FLUSH);
    if (this.readOnly) features |= featureBit(VirtioBlkFeature.RO);
    this.deviceFeatures = features;

    const v = this.configView;
    v.setBigUint64(VirtioBlkConfig.capacity, BigInt(this.capacity), true);
    v.setUint32(VirtioBlkConfig.sizeMax, sizeMax, true);
    v.setUint32(VirtioBlkConfig.segMax, segMax, true);
    v.setUint32(VirtioBlkConfig.blkSize, blockSize, true);
  }

  readConfig(offset: number, size: AccessSize): number {
    const v = this.configView;
    if (size === 1) return v.getUint8(offset);
    if (size === 2) return v.getUint16(offset, true);
    return v.getUint32(offset, true);
  }

  writeConfig(): void {
    // Every field is read-only without VIRTIO_BLK_F_CONFIG_WCE, which is not offered.
  }

  featuresNegotiated(features: bigint): void {
    this.writeThrough = (features & featureBit(VirtioBlkFeature.FLUSH)) === 0n;
  }

  reset(): void {
    this.writeThrough = true;
  }

  serve(_queue: number, request: VirtqRequest): number | VirtioDeviceFailure {
    const statusAddress = request.lastWritableByte();
    if (statusAddress < 0) return { failure: `request at head ${request.head} has no usable status byte` };
    const status = this.execute(request);
    // The status byte goes last, through the same path as the data, so it lands after any data it covers.
    this.statusByte[0] = status;
    request.writeBytes(request.writableLength - 1, this.statusByte);
    return request.writableLength;
  }

  private execute(request: VirtqRequest): number {
    if (request.fault !== null || request.readableLength < VIRTIO_BLK_HEADER_BYTES)
      return VirtioBlkStatus.IOERR;
    request.readBytes(0, this.header);
    const h = this.headerView;
    const type = h.getUint32(0, true);
    const sector = h.getUint32(8, true) + h.getUint32(12, true) * 2 ** 32;
    try {
      switch (type) {
        case VirtioBlkRequestType.IN:
          return this.read(request, sector);
        case VirtioBlkRequestType.OUT:
          return this.write(request, sector);
        case VirtioBlkRequestType.FLUSH:
          this.backend.flush();
          return VirtioBlkStatus.OK;
        case VirtioBlkRequestType.GET_ID: {
          const room = Math.min(VIRTIO_BLK_ID_BYTES, request.writableLength - 1);
          request.writeBytes(0, this.serial.subarray(0, room));
          return VirtioBlkStatus.OK;
        }
        default:
          return VirtioBlkStatus.UNSUPP;
      }
    } catch (err) {
      // A failing host disk is a media error for the guest; anything else is a bug and must surface.
      if (err instanceof BlockIoError) return VirtioBlkStatus.IOERR;
      throw err;
    }
  }

  /** Byte offset of `sector` if [sector, sector + length bytes) is a whole number of sectors inside the disk. */
  private byteOffset(sector: number, length: number): number {
    if (length % VIRTIO_BLK_SECTOR_SIZE !== 0 || sector > this.capacity) return -1;
    const offset = sector * VIRTIO_BLK_SECTOR_SIZE;
    return offset + length <= this.capacity * VIRTIO_BLK_SECTOR_SIZE ? offset : -1;
  }

  private read(request: VirtqRequest, sector: number): number {
    const length = request.writableLength - 1;
    const offset = this.byteOffset(sector, length);
    if (offset < 0) return VirtioBlkStatus.IOERR;
    const backend = this.backend;
    const memory = request.memory;
    request.pieces('writable', 0, length, (address, n, at) => {
      backend.read(offset + at, memory.bytes.subarray(address, address + n));
      memory.noteWrite(address, n);
    });
    return VirtioBlkStatus.OK;
  }

  private write(request: VirtqRequest, sector: number): number {
    if (this.readOnly) return VirtioBlkStatus.IOERR;
    const length = request.readableLength - VIRTIO_BLK_HEADER_BYTES;
    const offset = this.byteOffset(sector, length);
    if (offset < 0) return VirtioBlkStatus.IOERR;
    const backend = this.backend;
    const bytes = request.memory.bytes;
    request.pieces('readable', VIRTIO_BLK_HEADER_BYTES, length, (address, n, at) => {
      backend.write(offset + at - VIRTIO_BLK_HEADER_BYTES, bytes.subarray(address, address + n));
    });
    if (this.writeThrough) this.backend.flush();
    return VirtioBlkStatus.OK;
  }
}
