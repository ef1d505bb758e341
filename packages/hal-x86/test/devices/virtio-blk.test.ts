import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BlockBackend,
  BlockBackendError,
  BlockIoError,
  FileBlockBackend,
  MemoryBlockBackend,
} from '../../src/devices/block-backend';
import { MmioBus } from '../../src/devices/io-bus';
import type { IrqLine } from '../../src/devices/irq';
import { MachineClock } from '../../src/devices/machine-clock';
import {
  VirtioBlkConfig,
  VirtioBlkFeature,
  VirtioBlkRequestType,
  VirtioBlkStatus,
  VirtioBlockDevice,
  type VirtioBlockOptions,
} from '../../src/devices/virtio-blk';
import {
  featureBit,
  VIRTIO_MMIO_DEFAULT_VENDOR,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VirtioFeature,
  VirtioMmioDevice,
  type VirtioMmioOptions,
  VirtioMmioReg,
  VirtioStatus,
} from '../../src/devices/virtio-mmio';
import { PhysicalMemory } from '../../src/memory/physical-memory';
import { DRIVER_FEATURES, DriverError, GuestHeap, VirtioBlkDriver } from './virtio-blk-driver';

const BASE = 0xfeb0_0000;
const SECTOR = 512;

/** A recording interrupt line. */
function recordingLine(): IrqLine & { level: boolean; edges: number } {
  const line = {
    level: false,
    edges: 0,
    set(level: boolean) {
      if (level && !line.level) line.edges++;
      line.level = level;
    },
  };
  return line;
}

interface Rig {
  memory: PhysicalMemory;
  bus: MmioBus;
  irq: ReturnType<typeof recordingLine>;
  device: VirtioMmioDevice;
  blk: VirtioBlockDevice;
  driver: VirtioBlkDriver;
  heap: GuestHeap;
}

function rig(
  backend: BlockBackend = new MemoryBlockBackend(1 << 20),
  options: {
    blk?: VirtioBlockOptions;
    mmio?: Partial<VirtioMmioOptions>;
    supported?: bigint;
    queueSize?: number;
    idle?: () => void;
  } = {},
): Rig {
  const memory = new PhysicalMemory(8 << 20);
  const bus = new MmioBus();
  const irq = recordingLine();
  const blk = new VirtioBlockDevice(backend, options.blk);
  const device = new VirtioMmioDevice(blk, { memory, irq, ...options.mmio });
  bus.register(BASE, 0x200, device, 'virtio-blk');
  const heap = new GuestHeap(memory, 0x1_0000);
  const driver = new VirtioBlkDriver(bus, BASE, memory, heap, {
    supported: options.supported,
    queueSize: options.queueSize,
    idle: options.idle,
  });
  return { memory, bus, irq, device, blk, driver, heap };
}

/** mulberry32: a small seeded PRNG, so the random workload is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Index of the first differing byte, or -1: cheap enough for megabyte comparisons. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const tempDirs: string[] = [];
function tempImage(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'virtio-blk-'));
  tempDirs.push(dir);
  const path = join(dir, 'disk.img');
  writeFileSync(path, bytes);
  return path;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('virtio-mmio registers', () => {
  it('identifies a version 2 block device and its queue', () => {
    const { driver } = rig();
    expect(driver.reg(VirtioMmioReg.MagicValue)).toBe(0x74726976);
    expect(driver.reg(VirtioMmioReg.Version)).toBe(2);
    expect(driver.reg(VirtioMmioReg.DeviceID)).toBe(2);
    expect(driver.reg(VirtioMmioReg.VendorID)).toBe(VIRTIO_MMIO_DEFAULT_VENDOR);
    driver.setReg(VirtioMmioReg.QueueSel, 0);
    expect(driver.reg(VirtioMmioReg.QueueNumMax)).toBe(256);
    driver.setReg(VirtioMmioReg.QueueSel, 1);
    expect(driver.reg(VirtioMmioReg.QueueNumMax)).toBe(0);
    // No shared memory regions: length reads as -1.
    expect(driver.reg(VirtioMmioReg.SHMLenLow)).toBe(0xffffffff);
    expect(driver.reg(VirtioMmioReg.SHMLenHigh)).toBe(0xffffffff);
  });

  it('offers VERSION_1, the ring features and the block features; RO only for read-only images', () => {
    const { driver } = rig();
    const offered = driver.deviceFeatures();
    for (const bit of [
      VirtioFeature.VERSION_1,
      VirtioFeature.INDIRECT_DESC,
      VirtioFeature.EVENT_IDX,
      VirtioBlkFeature.FLUSH,
      VirtioBlkFeature.BLK_SIZE,
      VirtioBlkFeature.SEG_MAX,
      VirtioBlkFeature.SIZE_MAX,
    ]) {
      expect(offered & featureBit(bit), `bit ${bit}`).not.toBe(0n);
    }
    expect(offered & featureBit(VirtioBlkFeature.RO)).toBe(0n);
    expect(offered & featureBit(VirtioFeature.RING_PACKED)).toBe(0n);
    const ro = rig(new MemoryBlockBackend(4096, { readOnly: true })).driver.deviceFeatures();
    expect(ro & featureBit(VirtioBlkFeature.RO)).not.toBe(0n);
    const plain = rig(undefined, {
      mmio: { indirectDescriptors: false, eventIdx: false },
    }).driver.deviceFeatures();
    expect(plain & featureBit(VirtioFeature.INDIRECT_DESC)).toBe(0n);
    expect(plain & featureBit(VirtioFeature.EVENT_IDX)).toBe(0n);
  });

  it('exposes capacity, size_max, seg_max and blk_size in configuration space', () => {
    const { driver, bus } = rig(new MemoryBlockBackend(3 * 1024 * 1024 + 300), {
      blk: { queueSize: 64, blockSize: 4096, sizeMax: 65536 },
    });
    // The partial last sector is not addressable.
    expect(driver.capacity()).toBe(BigInt((3 * 1024 * 1024) / SECTOR));
    expect(driver.config32(VirtioBlkConfig.sizeMax)).toBe(65536);
    expect(driver.config32(VirtioBlkConfig.segMax)).toBe(62);
    expect(driver.config32(VirtioBlkConfig.blkSize)).toBe(4096);
    // 8- and 16-bit config accesses read the same little-endian bytes.
    expect(bus.read(BASE + 0x100 + VirtioBlkConfig.blkSize + 1, 1)).toBe(0x10);
    expect(bus.read(BASE + 0x100 + VirtioBlkConfig.blkSize, 2)).toBe(4096);
    // Config writes are ignored (no writable field without CONFIG_WCE); past the end reads 0.
    bus.write32(BASE + 0x100 + VirtioBlkConfig.blkSize, 1);
    expect(driver.config32(VirtioBlkConfig.blkSize)).toBe(4096);
    expect(bus.read32(BASE + 0x100 + VirtioBlkConfig.size)).toBe(0);
    // Control registers answer only aligned 32-bit accesses.
    expect(bus.read(BASE + VirtioMmioReg.MagicValue, 2)).toBe(0);
    expect(bus.read(BASE + VirtioMmioReg.MagicValue, 1)).toBe(0);
    expect(driver.reg(VirtioMmioReg.ConfigGeneration)).toBe(0);
  });

  it('bumps ConfigGeneration and raises a configuration-change interrupt when the host changes the config', () => {
    const { driver, device, irq } = rig();
    device.configChanged();
    expect(driver.reg(VirtioMmioReg.ConfigGeneration)).toBe(1);
    expect(irq.level).toBe(false); // no notification before DRIVER_OK
    driver.init();
    device.configChanged();
    expect(driver.reg(VirtioMmioReg.ConfigGeneration)).toBe(2);
    expect(driver.reg(VirtioMmioReg.InterruptStatus)).toBe(VIRTIO_MMIO_INT_CONFIG);
    expect(irq.level).toBe(true);
    driver.handleInterrupt();
    expect(irq.level).toBe(false);
    expect(driver.configInterrupts).toBe(1);
  });

  it('grants FEATURES_OK only for an offered subset that includes VERSION_1', () => {
    const { driver, device } = rig();
    const start = () => {
      driver.setReg(VirtioMmioReg.Status, 0);
      driver.setReg(VirtioMmioReg.Status, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);
    };
    const tryFeatures = (features: bigint) => {
      start();
      driver.writeDriverFeatures(features);
      driver.setReg(
        VirtioMmioReg.Status,
        VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK,
      );
      return (driver.status() & VirtioStatus.FEATURES_OK) !== 0;
    };
    expect(tryFeatures(featureBit(VirtioBlkFeature.FLUSH))).toBe(false); // no VERSION_1
    expect(tryFeatures(featureBit(VirtioFeature.VERSION_1) | featureBit(VirtioFeature.RING_PACKED))).toBe(
      false,
    );
    expect(tryFeatures(featureBit(VirtioFeature.VERSION_1) | featureBit(VirtioBlkFeature.RO))).toBe(false);
    const chosen = featureBit(VirtioFeature.VERSION_1) | featureBit(VirtioBlkFeature.FLUSH);
    expect(tryFeatures(chosen)).toBe(true);
    expect(device.negotiatedFeatures).toBe(chosen);
    // Feature bits are frozen once FEATURES_OK is set.
    driver.writeDriverFeatures(DRIVER_FEATURES);
    expect(device.negotiatedFeatures).toBe(chosen);
    // The driver's own init refuses a device that drops FEATURES_OK.
    const strict = rig(undefined, { supported: featureBit(VirtioBlkFeature.FLUSH) }).driver;
    expect(() => strict.init()).toThrow(DriverError);
    expect(strict.status() & VirtioStatus.FAILED).toBe(VirtioStatus.FAILED);
  });

  it('writing 0 to Status resets queues, features and interrupts', () => {
    const { driver, device, irq, heap } = rig();
    driver.init();
    const buf = heap.alloc(SECTOR);
    driver.request({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: buf, len: SECTOR } });
    // Leave an interrupt pending.
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 1, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(irq.level).toBe(true);
    driver.setReg(VirtioMmioReg.Status, 0);
    expect(driver.status()).toBe(0);
    expect(irq.level).toBe(false);
    expect(driver.reg(VirtioMmioReg.InterruptStatus)).toBe(0);
    expect(driver.reg(VirtioMmioReg.QueueReady)).toBe(0);
    expect(device.negotiatedFeatures).toBe(0n);
    // And the device works again after a fresh initialisation.
    driver.init();
    expect(
      driver.request({ type: VirtioBlkRequestType.IN, sector: 2, data: { addr: buf, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.OK);
  });

  it('ignores notifications before DRIVER_OK and for queues that do not exist', () => {
    const { driver, memory, device } = rig();
    driver.init();
    driver.setReg(VirtioMmioReg.Status, 0);
    // Set the queue up again but stop short of DRIVER_OK.
    driver.setReg(VirtioMmioReg.Status, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);
    driver.writeDriverFeatures(featureBit(VirtioFeature.VERSION_1));
    driver.setReg(
      VirtioMmioReg.Status,
      VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK,
    );
    driver.setReg(VirtioMmioReg.QueueNum, driver.num);
    driver.setReg(VirtioMmioReg.QueueDescLow, driver.desc);
    driver.setReg(VirtioMmioReg.QueueDriverLow, driver.avail);
    driver.setReg(VirtioMmioReg.QueueDeviceLow, driver.used);
    driver.setReg(VirtioMmioReg.QueueReady, 1);
    memory.view.setUint16(driver.used + 2, 0, true);
    const buf = driver.heap.alloc(SECTOR);
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(memory.view.getUint16(driver.used + 2, true)).toBe(0);
    driver.setReg(VirtioMmioReg.QueueNotify, 7);
    expect(device.deviceStatus & VirtioStatus.DEVICE_NEEDS_RESET).toBe(0);
    // DRIVER_OK, then a notification serves the waiting request.
    driver.setReg(VirtioMmioReg.Status, driver.status() | VirtioStatus.DRIVER_OK);
    driver.notify();
    expect(memory.view.getUint16(driver.used + 2, true)).toBe(1);
  });
});

describe('virtio-blk requests', () => {
  it('round-trips random sectors against a shadow copy', () => {
    const size = 1 << 20;
    const backend = new MemoryBlockBackend(size);
    const { driver, heap, memory } = rig(backend);
    driver.init();
    const shadow = new Uint8Array(size);
    const random = prng(12345);
    const sectors = size / SECTOR;
    const buf = heap.alloc(64 * 1024, 4096);
    for (let i = 0; i < 400; i++) {
      const count = 1 + Math.floor(random() * 16);
      const sector = Math.floor(random() * (sectors - count + 1));
      const len = count * SECTOR;
      const segmentBytes = [SECTOR, 1000, 4096, len][Math.floor(random() * 4)] as number;
      const indirect = random() < 0.3;
      if (random() < 0.5) {
        for (let j = 0; j < len; j++) memory.bytes[buf + j] = Math.floor(random() * 256);
        shadow.set(memory.bytes.subarray(buf, buf + len), sector * SECTOR);
        const r = driver.request({
          type: VirtioBlkRequestType.OUT,
          sector,
          data: { addr: buf, len },
          segmentBytes,
          indirect,
        });
        expect(r).toEqual({ status: VirtioBlkStatus.OK, len: 1 });
      } else {
        memory.bytes.fill(0xcc, buf, buf + len);
        const r = driver.request({
          type: VirtioBlkRequestType.IN,
          sector,
          data: { addr: buf, len },
          segmentBytes,
          indirect,
        });
        expect(r).toEqual({ status: VirtioBlkStatus.OK, len: len + 1 });
        expect(
          firstDifference(
            memory.bytes.subarray(buf, buf + len),
            shadow.subarray(sector * SECTOR, sector * SECTOR + len),
          ),
        ).toBe(-1);
      }
    }
    expect(firstDifference(backend.bytes, shadow)).toBe(-1);
  });

  it('serves several requests made available before one notification, with one interrupt', () => {
    const { driver, heap, memory, irq } = rig();
    driver.init();
    const bufs = [0, 1, 2, 3].map(() => heap.alloc(2 * SECTOR));
    for (const [i, b] of bufs.entries()) memory.bytes.fill(0x10 + i, b, b + 2 * SECTOR);
    const statuses = driver.batch(
      bufs.map((b, i) => ({
        type: VirtioBlkRequestType.OUT,
        sector: 10 * i,
        data: { addr: b, len: 2 * SECTOR },
      })),
    );
    expect(statuses).toEqual([0, 0, 0, 0]);
    expect(irq.edges).toBe(1);
    const back = heap.alloc(SECTOR);
    for (let i = 0; i < 4; i++) {
      driver.request({
        type: VirtioBlkRequestType.IN,
        sector: 10 * i + 1,
        data: { addr: back, len: SECTOR },
      });
      expect(memory.bytes[back]).toBe(0x10 + i);
    }
  });

  it('accepts any descriptor layout: header split across descriptors, data and status sharing one', () => {
    const backend = new MemoryBlockBackend(64 * SECTOR);
    for (let i = 0; i < backend.bytes.length; i++) backend.bytes[i] = (i * 7) & 0xff;
    const { driver, heap, memory } = rig(backend);
    driver.init();
    const header = heap.alloc(16);
    memory.view.setUint32(header, VirtioBlkRequestType.IN, true);
    memory.view.setUint32(header + 8, 5, true); // sector 5
    const data = heap.alloc(2 * SECTOR + 1);
    const head = driver.submit([
      { addr: header, len: 6, write: false },
      { addr: header + 6, len: 10, write: false },
      { addr: data, len: 100, write: true },
      { addr: data + 100, len: 2 * SECTOR + 1 - 100, write: true }, // rest of the data + status byte
    ]);
    driver.notify();
    const [done] = driver.waitFor(1);
    expect(done).toEqual({ id: head, len: 2 * SECTOR + 1 });
    expect(memory.bytes.subarray(data, data + 2 * SECTOR)).toEqual(
      backend.bytes.subarray(5 * SECTOR, 7 * SECTOR),
    );
    expect(memory.bytes[data + 2 * SECTOR]).toBe(VirtioBlkStatus.OK);

    // A write whose header and data share one readable descriptor.
    const out = heap.alloc(16 + SECTOR);
    memory.view.setUint32(out, VirtioBlkRequestType.OUT, true);
    memory.view.setUint32(out + 8, 63, true);
    memory.bytes.fill(0xab, out + 16, out + 16 + SECTOR);
    const status = heap.alloc(1);
    driver.submit([
      { addr: out, len: 16 + SECTOR, write: false },
      { addr: status, len: 1, write: true },
    ]);
    driver.notify();
    driver.waitFor(1);
    expect(memory.bytes[status]).toBe(VirtioBlkStatus.OK);
    expect(backend.bytes.subarray(63 * SECTOR, 64 * SECTOR).every((b) => b === 0xab)).toBe(true);
  });

  it('returns the 20-byte serial for GET_ID, NUL-padded, unterminated at full length', () => {
    const short = rig(undefined, { blk: { serial: 'disk-7' } });
    short.driver.init();
    const id = short.heap.alloc(20);
    short.memory.bytes.fill(0xee, id, id + 20);
    expect(short.driver.request({ type: VirtioBlkRequestType.GET_ID, data: { addr: id, len: 20 } })).toEqual({
      status: VirtioBlkStatus.OK,
      len: 21,
    });
    const expected = new Uint8Array(20);
    expected.set(new TextEncoder().encode('disk-7'));
    expect(short.memory.bytes.subarray(id, id + 20)).toEqual(expected);

    const full = rig(undefined, { blk: { serial: 'ABCDEFGHIJKLMNOPQRST' } });
    full.driver.init();
    const id2 = full.heap.alloc(24);
    full.memory.bytes.fill(0xee, id2, id2 + 24);
    full.driver.request({ type: VirtioBlkRequestType.GET_ID, data: { addr: id2, len: 20 } });
    expect(new TextDecoder().decode(full.memory.bytes.subarray(id2, id2 + 20))).toBe('ABCDEFGHIJKLMNOPQRST');
    expect(full.memory.bytes[id2 + 21]).toBe(0xee); // nothing past the buffer
  });

  it('answers unknown and unoffered request types with UNSUPP', () => {
    const { driver, heap } = rig();
    driver.init();
    const buf = heap.alloc(SECTOR);
    for (const type of [VirtioBlkRequestType.DISCARD, VirtioBlkRequestType.WRITE_ZEROES, 2, 99, 0xffffffff]) {
      expect(
        driver.request({ type, sector: 0, data: { addr: buf, len: SECTOR } }).status,
        `type ${type}`,
      ).toBe(VirtioBlkStatus.UNSUPP);
    }
  });

  it('answers out-of-range sectors and partial sectors with IOERR, touching nothing', () => {
    const backend = new MemoryBlockBackend(16 * SECTOR);
    const { driver, heap, memory } = rig(backend);
    driver.init();
    const buf = heap.alloc(2 * SECTOR);
    memory.bytes.fill(0x5a, buf, buf + 2 * SECTOR);
    const cases: [number, number, number][] = [
      [VirtioBlkRequestType.IN, 16, SECTOR],
      [VirtioBlkRequestType.IN, 15, 2 * SECTOR],
      [VirtioBlkRequestType.OUT, 16, SECTOR],
      [VirtioBlkRequestType.OUT, 2 ** 53 - 1, SECTOR],
      [VirtioBlkRequestType.IN, 0, 100],
      [VirtioBlkRequestType.OUT, 0, SECTOR + 1],
    ];
    for (const [type, sector, len] of cases) {
      const r = driver.request({ type, sector, data: { addr: buf, len } });
      expect(r.status, `type ${type} sector ${sector} len ${len}`).toBe(VirtioBlkStatus.IOERR);
    }
    expect(memory.bytes.subarray(buf, buf + 2 * SECTOR).every((b) => b === 0x5a)).toBe(true);
    expect(backend.bytes.every((b) => b === 0)).toBe(true);
    // A 64-bit sector number (high word set) is out of range too.
    memory.bytes.fill(0, buf, buf + 16);
    driver.submit([
      { addr: buf, len: 16, write: false },
      { addr: buf + 64, len: SECTOR, write: true },
      { addr: buf + 64 + SECTOR, len: 1, write: true },
    ]);
    memory.view.setUint32(buf + 12, 1, true);
    driver.notify();
    driver.waitFor(1);
    expect(memory.bytes[buf + 64 + SECTOR]).toBe(VirtioBlkStatus.IOERR);
    // The last sector itself is fine.
    expect(
      driver.request({ type: VirtioBlkRequestType.IN, sector: 15, data: { addr: buf, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.OK);
  });

  it('raises the interrupt on completion, lowers it on InterruptACK, and honours NO_INTERRUPT', () => {
    const { driver, heap, irq } = rig(undefined, {
      supported: DRIVER_FEATURES & ~featureBit(VirtioFeature.EVENT_IDX),
    });
    driver.init();
    const buf = heap.alloc(SECTOR);
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(irq.level).toBe(true);
    expect(driver.reg(VirtioMmioReg.InterruptStatus)).toBe(VIRTIO_MMIO_INT_VRING);
    driver.setReg(VirtioMmioReg.InterruptACK, VIRTIO_MMIO_INT_VRING);
    expect(irq.level).toBe(false);
    expect(driver.reg(VirtioMmioReg.InterruptStatus)).toBe(0);
    driver.reap();

    driver.suppressInterrupts(true);
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 1, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(irq.level).toBe(false);
    expect(driver.reap()).toHaveLength(1); // completed all the same
    driver.suppressInterrupts(false);
    expect(irq.edges).toBe(1);
  });

  it('with VIRTIO_F_EVENT_IDX interrupts when used_event is crossed and publishes avail_event', () => {
    const { driver, heap, irq, memory } = rig();
    expect(driver.init() & featureBit(VirtioFeature.EVENT_IDX)).not.toBe(0n);
    const buf = heap.alloc(SECTOR);
    const usedEventAt = driver.avail + 4 + 2 * driver.num;
    const availEventAt = driver.used + 4 + 8 * driver.num;
    // used_event = 2: no interrupt for the first two completions, one for the third.
    memory.view.setUint16(usedEventAt, 2, true);
    for (let i = 0; i < 2; i++) {
      driver.enqueue({ type: VirtioBlkRequestType.IN, sector: i, data: { addr: buf, len: SECTOR } });
      driver.notify();
      expect(irq.level).toBe(false);
      expect(memory.view.getUint16(availEventAt, true)).toBe(i + 1);
    }
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 2, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(irq.level).toBe(true);
    // The NO_INTERRUPT flag is ignored once EVENT_IDX is negotiated.
    driver.handleInterrupt();
    driver.reap(); // sets used_event = 3
    driver.suppressInterrupts(true);
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 3, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(irq.level).toBe(true);
  });

  it('completes after the configured latency on the machine clock', () => {
    const clock = new MachineClock();
    const { driver, heap, irq, memory } = rig(undefined, { mmio: { clock, completionLatencyNs: 1000 } });
    driver.init();
    const buf = heap.alloc(SECTOR);
    driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: buf, len: SECTOR } });
    driver.notify();
    expect(memory.view.getUint16(driver.used + 2, true)).toBe(0);
    clock.advanceInstructions(999);
    clock.runDue();
    expect(memory.view.getUint16(driver.used + 2, true)).toBe(0);
    expect(irq.level).toBe(false);
    clock.advanceInstructions(1);
    expect(clock.runDue()).toBe(1);
    expect(memory.view.getUint16(driver.used + 2, true)).toBe(1);
    expect(irq.level).toBe(true);
    // The driver's wait loop lets time pass; a reset cancels a pending completion.
    const waiting = rig(undefined, {
      mmio: { clock, completionLatencyNs: 500 },
      idle: () => {
        clock.advanceInstructions(100);
        clock.runDue();
      },
    });
    waiting.driver.init();
    const b = waiting.heap.alloc(SECTOR);
    expect(
      waiting.driver.request({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: b, len: SECTOR } })
        .status,
    ).toBe(VirtioBlkStatus.OK);
    waiting.driver.enqueue({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: b, len: SECTOR } });
    waiting.driver.notify();
    const pending = clock.pending;
    waiting.driver.setReg(VirtioMmioReg.Status, 0);
    expect(clock.pending).toBe(pending - 1);
  });

  it('reports a failing host disk as IOERR', () => {
    const failing: BlockBackend = {
      size: 8 * SECTOR,
      readOnly: false,
      read() {
        throw new BlockIoError('EIO');
      },
      write() {},
      flush() {
        throw new BlockIoError('EIO');
      },
    };
    const { driver, heap } = rig(failing);
    driver.init();
    const buf = heap.alloc(SECTOR);
    expect(
      driver.request({ type: VirtioBlkRequestType.IN, sector: 0, data: { addr: buf, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.IOERR);
    expect(driver.request({ type: VirtioBlkRequestType.FLUSH }).status).toBe(VirtioBlkStatus.IOERR);
    expect(
      driver.request({ type: VirtioBlkRequestType.OUT, sector: 0, data: { addr: buf, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.OK);
  });
});

describe('file-backed images', () => {
  it('with on-flush write-back, data reaches the file only on FLUSH, and reads see it before', () => {
    const original = new Uint8Array(64 * SECTOR).fill(0x11);
    const path = tempImage(original);
    const backend = new FileBlockBackend(path, { writeBack: 'on-flush' });
    const { driver, heap, memory } = rig(backend);
    expect(driver.init() & featureBit(VirtioBlkFeature.FLUSH)).not.toBe(0n);
    const buf = heap.alloc(3 * SECTOR);
    memory.bytes.fill(0x77, buf, buf + 3 * SECTOR);
    // Straddles a 4 KiB cache block boundary (sectors 7..9).
    expect(
      driver.request({ type: VirtioBlkRequestType.OUT, sector: 7, data: { addr: buf, len: 3 * SECTOR } })
        .status,
    ).toBe(VirtioBlkStatus.OK);
    expect(readFileSync(path)).toEqual(Buffer.from(original));
    expect(backend.dirtyBlockCount).toBe(2);
    const back = heap.alloc(5 * SECTOR);
    driver.request({ type: VirtioBlkRequestType.IN, sector: 6, data: { addr: back, len: 5 * SECTOR } });
    const seen = memory.bytes.subarray(back, back + 5 * SECTOR);
    expect(seen.subarray(0, SECTOR).every((b) => b === 0x11)).toBe(true);
    expect(seen.subarray(SECTOR, 4 * SECTOR).every((b) => b === 0x77)).toBe(true);
    expect(seen.subarray(4 * SECTOR).every((b) => b === 0x11)).toBe(true);

    expect(driver.request({ type: VirtioBlkRequestType.FLUSH }).status).toBe(VirtioBlkStatus.OK);
    const after = readFileSync(path);
    const expected = original.slice();
    expected.fill(0x77, 7 * SECTOR, 10 * SECTOR);
    expect(new Uint8Array(after)).toEqual(expected);
    expect(backend.dirtyBlockCount).toBe(0);
    backend.close();
  });

  it('is write-through when the driver did not negotiate VIRTIO_BLK_F_FLUSH', () => {
    const path = tempImage(new Uint8Array(16 * SECTOR));
    const backend = new FileBlockBackend(path, { writeBack: 'on-flush' });
    const { driver, heap, memory } = rig(backend, {
      supported: DRIVER_FEATURES & ~featureBit(VirtioBlkFeature.FLUSH),
    });
    driver.init();
    const buf = heap.alloc(SECTOR);
    memory.bytes.fill(0x42, buf, buf + SECTOR);
    driver.request({ type: VirtioBlkRequestType.OUT, sector: 3, data: { addr: buf, len: SECTOR } });
    expect(readFileSync(path)[3 * SECTOR]).toBe(0x42);
    backend.close();
  });

  it('with immediate write-back, every write is in the file at completion', () => {
    const path = tempImage(new Uint8Array(16 * SECTOR));
    const backend = new FileBlockBackend(path);
    const { driver, heap, memory } = rig(backend);
    driver.init();
    const buf = heap.alloc(SECTOR);
    memory.bytes.fill(0x99, buf, buf + SECTOR);
    driver.request({ type: VirtioBlkRequestType.OUT, sector: 15, data: { addr: buf, len: SECTOR } });
    expect(readFileSync(path)[15 * SECTOR + 511]).toBe(0x99);
    backend.close();
  });

  it('refuses writes to a read-only image with IOERR and offers VIRTIO_BLK_F_RO', () => {
    const image = new Uint8Array(16 * SECTOR);
    for (let i = 0; i < image.length; i++) image[i] = i & 0xff;
    const path = tempImage(image);
    const backend = new FileBlockBackend(path, { readOnly: true });
    expect(() => backend.write(0, new Uint8Array(1))).toThrow(BlockBackendError);
    const { driver, heap, memory } = rig(backend);
    expect(driver.init() & featureBit(VirtioBlkFeature.RO)).not.toBe(0n);
    const buf = heap.alloc(SECTOR);
    memory.bytes.fill(0xff, buf, buf + SECTOR);
    expect(
      driver.request({ type: VirtioBlkRequestType.OUT, sector: 1, data: { addr: buf, len: SECTOR } }),
    ).toEqual({
      status: VirtioBlkStatus.IOERR,
      len: 1,
    });
    expect(new Uint8Array(readFileSync(path))).toEqual(image);
    expect(
      driver.request({ type: VirtioBlkRequestType.IN, sector: 1, data: { addr: buf, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.OK);
    expect(memory.bytes.subarray(buf, buf + SECTOR)).toEqual(image.subarray(SECTOR, 2 * SECTOR));
    expect(driver.request({ type: VirtioBlkRequestType.FLUSH }).status).toBe(VirtioBlkStatus.OK);
    backend.close();
    // A memory image can be presented read-only through the device option too.
    const ro = rig(new MemoryBlockBackend(4096), { blk: { readOnly: true } });
    ro.driver.init();
    const b = ro.heap.alloc(SECTOR);
    expect(
      ro.driver.request({ type: VirtioBlkRequestType.OUT, sector: 0, data: { addr: b, len: SECTOR } }).status,
    ).toBe(VirtioBlkStatus.IOERR);
  });

  it('checks back-end ranges as host-side invariants', () => {
    const mem = new MemoryBlockBackend(1024);
    expect(() => mem.read(1000, new Uint8Array(100))).toThrow(BlockBackendError);
    expect(() => mem.write(-1, new Uint8Array(1))).toThrow(BlockBackendError);
    const path = tempImage(new Uint8Array(1024));
    const file = new FileBlockBackend(path, { writeBack: 'on-flush' });
    expect(() => file.write(1020, new Uint8Array(8))).toThrow(BlockBackendError);
    file.close();
    expect(() => file.read(0, new Uint8Array(1))).toThrow(BlockBackendError);
  });
});
