/**
 * The kernel's virtio-blk driver against hal-x86's virtio-blk device on the virtio-mmio transport: device
 * initialisation and feature negotiation, sector transfers checked against a shadow copy of the image,
 * flush with a write-back file image, read-only images, argument checks, missing and misbehaving devices,
 * delayed completions, and the PC platform's disk slot.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccessSize,
  type BlockBackend,
  Cpu,
  FileBlockBackend,
  FrameAllocator,
  featureBit,
  MachineClock,
  MemoryBlockBackend,
  type MmioDevice,
  MmioBus,
  PAGE_SIZE,
  PC_LAYOUT,
  PcPlatform,
  PhysicalMemory,
  VIRTIO_MMIO_WINDOW_SIZE,
  VirtioBlkFeature,
  VirtioBlockDevice,
  type VirtioBlockOptions,
  type VirtioDeviceFailure,
  type VirtioDeviceModel,
  VirtioFeature,
  VirtioMmioDevice,
  type VirtioMmioOptions,
  VirtioMmioReg,
  VirtioStatus,
  type VirtqRequest,
} from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import {
  VirtioBlkDriver,
  VirtioBlkDriverError,
  type VirtioBlkDriverErrorCode,
  type VirtioBlkDriverOptions,
} from '../src/virtio-blk-driver';

const BASE = 0x1000_0000;
const SECTOR = 512;
const MEMORY_BYTES = 1 << 20;
const LIVE =
  VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK | VirtioStatus.DRIVER_OK;

/** mulberry32: a small deterministic PRNG, so a failing sequence can be replayed. */
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

/** Byte-for-byte equality, fast on large images (a failing assertion still names the test). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function randomBytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

interface RigOptions {
  backend?: BlockBackend;
  block?: VirtioBlockOptions;
  transport?: Partial<VirtioMmioOptions>;
  driver?: VirtioBlkDriverOptions;
  /** Wraps the device model (to make it fail on demand). */
  model?: (device: VirtioBlockDevice) => VirtioDeviceModel;
  /** Wraps the register window (to make the device lie about its registers). */
  window?: (device: VirtioMmioDevice) => MmioDevice;
}

function rig(options: RigOptions = {}) {
  const memory = new PhysicalMemory(MEMORY_BYTES);
  const frames = new FrameAllocator(memory);
  const bus = new MmioBus();
  const backend = options.backend ?? new MemoryBlockBackend(256 * 1024);
  const block = new VirtioBlockDevice(backend, options.block);
  const model = options.model?.(block) ?? block;
  const device = new VirtioMmioDevice(model, { memory, ...options.transport });
  bus.register(BASE, VIRTIO_MMIO_WINDOW_SIZE, options.window?.(device) ?? device, 'virtio-blk');
  const driver = new VirtioBlkDriver(bus, BASE, memory, frames, options.driver);
  return { memory, frames, bus, backend, block, device, driver };
}

function errorCode(f: () => unknown): VirtioBlkDriverErrorCode | 'ok' {
  try {
    f();
  } catch (e) {
    if (e instanceof VirtioBlkDriverError) return e.code;
    throw e;
  }
  return 'ok';
}

/** A register window that passes everything through except the reads `filter` rewrites. */
class FilteredWindow implements MmioDevice {
  featuresSel = 0;
  constructor(
    private readonly inner: VirtioMmioDevice,
    private readonly filter: (offset: number, value: number, window: FilteredWindow) => number,
  ) {}
  readMmio(offset: number, size: AccessSize): number {
    return this.filter(offset, this.inner.readMmio(offset, size), this) >>> 0;
  }
  writeMmio(offset: number, size: AccessSize, value: number): void {
    if (offset === VirtioMmioReg.DeviceFeaturesSel) this.featuresSel = value;
    this.inner.writeMmio(offset, size, value);
  }
}

/** A block device that fails one request on demand, which sends the transport to DEVICE_NEEDS_RESET. */
class FailingBlockDevice implements VirtioDeviceModel {
  failNext = false;
  constructor(private readonly inner: VirtioBlockDevice) {}
  get deviceId() {
    return this.inner.deviceId;
  }
  get deviceFeatures() {
    return this.inner.deviceFeatures;
  }
  get queueSizes() {
    return this.inner.queueSizes;
  }
  get configSize() {
    return this.inner.configSize;
  }
  readConfig(offset: number, size: AccessSize): number {
    return this.inner.readConfig(offset, size);
  }
  writeConfig(): void {}
  featuresNegotiated(features: bigint): void {
    this.inner.featuresNegotiated(features);
  }
  reset(): void {
    this.inner.reset();
  }
  serve(queue: number, request: VirtqRequest): number | VirtioDeviceFailure {
    if (this.failNext) {
      this.failNext = false;
      return { failure: 'injected media controller failure' };
    }
    return this.inner.serve(queue, request);
  }
}

describe('VirtioBlkDriver initialisation', () => {
  it('negotiates VERSION_1 and FLUSH only, sets up queue 0 and reports the capacity', () => {
    const { driver, device } = rig({ backend: new MemoryBlockBackend(3 * 1024 * 1024 + 300) });
    expect(driver.capacity).toBe(0);
    driver.init();
    // A partial last sector is not addressable.
    expect(driver.capacity).toBe(6144);
    expect(driver.readOnly).toBe(false);
    expect(driver.flushSupported).toBe(true);
    expect(driver.queueSize).toBe(8);
    // The device offers more (INDIRECT_DESC, EVENT_IDX, SIZE_MAX, SEG_MAX, BLK_SIZE), all declined.
    expect(device.offeredFeatures & featureBit(VirtioFeature.INDIRECT_DESC)).not.toBe(0n);
    expect(device.negotiatedFeatures).toBe(
      featureBit(VirtioFeature.VERSION_1) | featureBit(VirtioBlkFeature.FLUSH),
    );
    expect(driver.features).toBe(device.negotiatedFeatures);
    expect(device.deviceStatus).toBe(LIVE);
  });

  it('uses the smaller queue when the device offers fewer than 8 entries', () => {
    const { driver, backend } = rig({ block: { queueSize: 4 } });
    driver.init();
    expect(driver.queueSize).toBe(4);
    (backend as MemoryBlockBackend).bytes.fill(0x5a, 7 * SECTOR, 8 * SECTOR);
    const buffer = 0x40000;
    // More requests than queue entries: the ring wraps around.
    for (let i = 0; i < 10; i++) expect(driver.read(7, 1, buffer)).toBe(0);
  });

  it('throws NO_DEVICE when nothing answers at the base address', () => {
    const memory = new PhysicalMemory(MEMORY_BYTES);
    const driver = new VirtioBlkDriver(new MmioBus(), BASE, memory, new FrameAllocator(memory));
    expect(errorCode(() => driver.init())).toBe('NO_DEVICE');
    expect(() => driver.init()).toThrow(/no virtio-mmio device at 0x10000000/);
    // Requests are refused until init() succeeds.
    expect(errorCode(() => driver.read(0, 1, 0x40000))).toBe('STATE');
  });

  it('throws NO_DEVICE for a virtio device that is not a block device or another register layout', () => {
    const notBlock = rig({
      window: (d) => new FilteredWindow(d, (o, v) => (o === VirtioMmioReg.DeviceID ? 1 : v)),
    });
    expect(() => notBlock.driver.init()).toThrow(/device 1 is not a block device/);
    const legacy = rig({
      window: (d) => new FilteredWindow(d, (o, v) => (o === VirtioMmioReg.Version ? 1 : v)),
    });
    expect(errorCode(() => legacy.driver.init())).toBe('NO_DEVICE');
    const empty = rig({
      window: (d) => new FilteredWindow(d, (o, v) => (o === VirtioMmioReg.DeviceID ? 0 : v)),
    });
    expect(() => empty.driver.init()).toThrow(/empty/);
  });

  it('throws FEATURES and sets FAILED when the device does not offer VERSION_1', () => {
    const { driver, device } = rig({
      window: (d) =>
        new FilteredWindow(d, (o, v, w) =>
          o === VirtioMmioReg.DeviceFeatures && w.featuresSel === 1 ? 0 : v,
        ),
    });
    expect(errorCode(() => driver.init())).toBe('FEATURES');
    expect(device.deviceStatus & VirtioStatus.FAILED).not.toBe(0);
    expect(device.deviceStatus & VirtioStatus.DRIVER_OK).toBe(0);
  });

  it('throws FEATURES when FEATURES_OK does not stay set', () => {
    const { driver, device } = rig({
      window: (d) =>
        new FilteredWindow(d, (o, v) => (o === VirtioMmioReg.Status ? v & ~VirtioStatus.FEATURES_OK : v)),
    });
    expect(() => driver.init()).toThrow(/refused the feature set/);
    expect(device.deviceStatus & VirtioStatus.FAILED).not.toBe(0);
  });

  it('reports a read-only image and gets IOERR for writes, which leave the image untouched', () => {
    const image = randomBytes(prng(7), 64 * 1024);
    const original = image.slice();
    const { driver, memory } = rig({ backend: new MemoryBlockBackend(image, { readOnly: true }) });
    driver.init();
    expect(driver.readOnly).toBe(true);
    const buffer = 0x40000;
    memory.bytes.fill(0xee, buffer, buffer + 4 * SECTOR);
    expect(driver.write(10, 4, buffer)).toBe(1);
    expect(sameBytes(image, original)).toBe(true);
    // The device still serves reads, and the failed write did not break the queue.
    expect(driver.read(10, 4, buffer)).toBe(0);
    expect(
      sameBytes(
        memory.bytes.subarray(buffer, buffer + 4 * SECTOR),
        original.subarray(10 * SECTOR, 14 * SECTOR),
      ),
    ).toBe(true);
    expect(driver.recoveries).toBe(0);
  });

  it('also marks a device presented read-only over a writable image', () => {
    const { driver } = rig({ block: { readOnly: true } });
    driver.init();
    expect(driver.readOnly).toBe(true);
    expect(driver.write(0, 1, 0x40000)).toBe(1);
  });
});

describe('VirtioBlkDriver transfers', () => {
  it('random reads and writes match a shadow copy of the image', () => {
    const random = prng(0x5eed);
    const size = 512 * SECTOR;
    const shadow = randomBytes(random, size);
    const backend = new MemoryBlockBackend(shadow.slice());
    const { driver, memory, frames } = rig({ backend });
    driver.init();
    expect(driver.capacity).toBe(512);
    const pool = Array.from({ length: 4 }, () => frames.alloc());
    const pick = (n: number) => Math.floor(random() * n);
    let reads = 0;
    let writes = 0;
    for (let op = 0; op < 400; op++) {
      const count = 1 + pick(8);
      const sector = pick(driver.capacity - count + 1);
      const length = count * SECTOR;
      const frame = pool[pick(pool.length)] as number;
      // Any byte offset that keeps the buffer inside its frame: the device does not need alignment.
      const offset =
        random() < 0.5 ? pick(PAGE_SIZE / SECTOR - count + 1) * SECTOR : pick(PAGE_SIZE - length + 1);
      const pa = frame + offset;
      if (random() < 0.5) {
        const data = randomBytes(random, length);
        memory.bytes.set(data, pa);
        expect(driver.write(sector, count, pa)).toBe(0);
        shadow.set(data, sector * SECTOR);
        writes++;
      } else {
        // Fill the whole frame with a marker: the read must land exactly in [pa, pa + length).
        memory.bytes.fill(0xa5, frame, frame + PAGE_SIZE);
        expect(driver.read(sector, count, pa)).toBe(0);
        expect(
          sameBytes(
            memory.bytes.subarray(pa, pa + length),
            shadow.subarray(sector * SECTOR, sector * SECTOR + length),
          ),
        ).toBe(true);
        expect(memory.bytes.subarray(frame, pa).every((b) => b === 0xa5)).toBe(true);
        expect(memory.bytes.subarray(pa + length, frame + PAGE_SIZE).every((b) => b === 0xa5)).toBe(true);
        reads++;
      }
    }
    expect(reads).toBeGreaterThan(150);
    expect(writes).toBeGreaterThan(150);
    expect(sameBytes(backend.bytes, shadow)).toBe(true);
    expect(driver.recoveries).toBe(0);
  });

  it('reads and writes the last sector of the disk', () => {
    const { driver, memory, backend } = rig();
    driver.init();
    const last = driver.capacity - 1;
    const buffer = 0x40000;
    memory.bytes.fill(0x3c, buffer, buffer + SECTOR);
    expect(driver.write(last, 1, buffer)).toBe(0);
    expect((backend as MemoryBlockBackend).bytes.subarray(last * SECTOR).every((b) => b === 0x3c)).toBe(true);
  });

  it('acknowledges the interrupt after each completion, so the level-triggered line drops again', () => {
    let level = false;
    let assertions = 0;
    const irq = {
      set(next: boolean) {
        if (next && !level) assertions++;
        level = next;
      },
    };
    const { driver, device } = rig({ transport: { irq } });
    driver.init();
    for (let i = 0; i < 5; i++) {
      expect(driver.write(i, 1, 0x40000)).toBe(0);
      expect(device.pendingInterrupts).toBe(0);
      expect(level).toBe(false);
    }
    expect(driver.flush()).toBe(0);
    expect(assertions).toBe(6);
    expect(level).toBe(false);
  });

  it('waits through delayed completions with the idle hook', () => {
    const clock = new MachineClock();
    const idle = () => {
      clock.advanceInstructions(1000);
      clock.runDue();
    };
    const { driver, memory, backend } = rig({
      transport: { clock, completionLatencyNs: 20_000 },
      driver: { idle },
    });
    driver.init();
    const buffer = 0x40000;
    memory.bytes.fill(0x77, buffer, buffer + 2 * SECTOR);
    expect(driver.write(100, 2, buffer)).toBe(0);
    expect((backend as MemoryBlockBackend).bytes[100 * SECTOR + 1023]).toBe(0x77);
    memory.bytes.fill(0, buffer, buffer + 2 * SECTOR);
    expect(driver.read(100, 2, buffer)).toBe(0);
    expect(memory.bytes[buffer + 1023]).toBe(0x77);
    // About 20 µs of machine time passed per request, not more.
    expect(clock.nowNs()).toBeGreaterThanOrEqual(40_000);
    expect(clock.nowNs()).toBeLessThan(45_000);
  });

  it('reports IOERR instead of hanging when the device never completes, and resets it', () => {
    const clock = new MachineClock();
    const { driver, device } = rig({
      transport: { clock, completionLatencyNs: 1_000 },
      driver: { maxPolls: 5 },
    });
    driver.init();
    expect(driver.read(0, 1, 0x40000)).toBe(1);
    expect(driver.recoveries).toBe(1);
    expect(device.deviceStatus).toBe(LIVE);
    // The reset cancelled the pending completion: nothing fires into the re-initialised queue.
    clock.advanceInstructions(10_000);
    expect(clock.runDue()).toBe(0);
  });
});

describe('VirtioBlkDriver flush', () => {
  it('with an on-flush write-back file image, writes reach the file only after flush', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exov6-virtio-blk-'));
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(64 * 1024));
    const backend = new FileBlockBackend(path, { writeBack: 'on-flush' });
    try {
      const { driver, memory } = rig({ backend });
      driver.init();
      expect(driver.flushSupported).toBe(true);
      const buffer = 0x40000;
      const data = randomBytes(prng(99), 3 * SECTOR);
      memory.bytes.set(data, buffer);
      expect(driver.write(20, 3, buffer)).toBe(0);
      expect(backend.dirtyBlockCount).toBeGreaterThan(0);
      expect(
        readFileSync(path)
          .subarray(20 * SECTOR, 23 * SECTOR)
          .every((b) => b === 0),
      ).toBe(true);
      // The guest reads its own write back before the flush.
      memory.bytes.fill(0, buffer, buffer + 3 * SECTOR);
      expect(driver.read(20, 3, buffer)).toBe(0);
      expect(sameBytes(memory.bytes.subarray(buffer, buffer + 3 * SECTOR), data)).toBe(true);
      expect(driver.flush()).toBe(0);
      expect(backend.dirtyBlockCount).toBe(0);
      expect(sameBytes(readFileSync(path).subarray(20 * SECTOR, 23 * SECTOR), data)).toBe(true);
    } finally {
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without VIRTIO_BLK_F_FLUSH the device is write-through and flush() sends nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exov6-virtio-blk-'));
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(16 * 1024));
    const backend = new FileBlockBackend(path, { writeBack: 'on-flush' });
    let notifies = 0;
    try {
      const { driver, memory, device } = rig({
        backend,
        window: (d) => {
          const filtered = new FilteredWindow(d, (o, v, w) =>
            o === VirtioMmioReg.DeviceFeatures && w.featuresSel === 0
              ? v & ~(1 << VirtioBlkFeature.FLUSH)
              : v,
          );
          const write = filtered.writeMmio.bind(filtered);
          filtered.writeMmio = (offset, size, value) => {
            if (offset === VirtioMmioReg.QueueNotify) notifies++;
            write(offset, size, value);
          };
          return filtered;
        },
      });
      driver.init();
      expect(driver.flushSupported).toBe(false);
      expect(device.negotiatedFeatures).toBe(featureBit(VirtioFeature.VERSION_1));
      const buffer = 0x40000;
      memory.bytes.fill(0x42, buffer, buffer + SECTOR);
      expect(driver.write(5, 1, buffer)).toBe(0);
      expect(readFileSync(path)[5 * SECTOR]).toBe(0x42);
      expect(notifies).toBe(1);
      expect(driver.flush()).toBe(0);
      expect(notifies).toBe(1);
    } finally {
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('VirtioBlkDriver argument checks', () => {
  it('throws ARGUMENT for unusable arguments and sends nothing to the device', () => {
    const { driver, memory, backend, device } = rig();
    driver.init();
    const cap = driver.capacity;
    const frame = 0x40000;
    const cases: [string, () => unknown][] = [
      ['fractional sector', () => driver.read(1.5, 1, frame)],
      ['negative sector', () => driver.read(-1, 1, frame)],
      ['NaN sector', () => driver.write(Number.NaN, 1, frame)],
      ['zero count', () => driver.read(0, 0, frame)],
      ['fractional count', () => driver.write(0, 2.5, frame)],
      ['count beyond a frame', () => driver.read(0, 9, frame)],
      ['past the end', () => driver.read(cap - 1, 2, frame)],
      ['sector at capacity', () => driver.write(cap, 1, frame)],
      ['huge sector', () => driver.read(2 ** 60, 1, frame)],
      ['fractional address', () => driver.read(0, 1, frame + 0.5)],
      ['negative address', () => driver.read(0, 1, -SECTOR)],
      ['address beyond memory', () => driver.read(0, 1, MEMORY_BYTES)],
      ['range ending beyond memory', () => driver.write(0, 2, MEMORY_BYTES - SECTOR)],
      ['range crossing a frame', () => driver.read(0, 2, frame + PAGE_SIZE - SECTOR)],
      ['unaligned range crossing a frame', () => driver.write(0, 1, frame + 3700)],
      ['the driver’s queue frame', () => driver.read(0, 1, driver.queueFrame)],
      ['the driver’s request frame', () => driver.read(0, 1, driver.requestFrame + SECTOR)],
    ];
    const image = (backend as MemoryBlockBackend).bytes.slice();
    const ring = memory.bytes.slice(driver.queueFrame, driver.queueFrame + PAGE_SIZE);
    for (const [what, call] of cases) expect([what, errorCode(call)]).toEqual([what, 'ARGUMENT']);
    // Nothing reached the device: the rings and the image are as they were, and the queue still works.
    expect(sameBytes(memory.bytes.subarray(driver.queueFrame, driver.queueFrame + PAGE_SIZE), ring)).toBe(
      true,
    );
    expect(sameBytes((backend as MemoryBlockBackend).bytes, image)).toBe(true);
    expect(driver.read(cap - 8, 8, frame)).toBe(0);
    expect(device.deviceStatus).toBe(LIVE);
  });

  it('refuses requests before init() and after shutdown(), which resets the device and frees frames', () => {
    const { driver, device, frames } = rig();
    expect(errorCode(() => driver.write(0, 1, 0x40000))).toBe('STATE');
    expect(errorCode(() => driver.flush())).toBe('STATE');
    driver.init();
    const inUse = frames.framesInUse;
    driver.shutdown();
    expect(device.deviceStatus).toBe(0);
    expect(frames.framesInUse).toBe(inUse - 2);
    expect(errorCode(() => driver.read(0, 1, 0x40000))).toBe('STATE');
    expect(errorCode(() => driver.init())).toBe('STATE');
  });

  it('checks its own options', () => {
    const memory = new PhysicalMemory(MEMORY_BYTES);
    const frames = new FrameAllocator(memory);
    const bus = new MmioBus();
    const make = (base: number, options: VirtioBlkDriverOptions = {}, f = frames) =>
      errorCode(() => new VirtioBlkDriver(bus, base, memory, f, options));
    expect(make(BASE + 2)).toBe('ARGUMENT');
    expect(make(BASE, { queueSize: 6 })).toBe('ARGUMENT');
    expect(make(BASE, { queueSize: 2 })).toBe('ARGUMENT');
    expect(make(BASE, { maxPolls: 0 })).toBe('ARGUMENT');
    expect(make(BASE, {}, new FrameAllocator(new PhysicalMemory(MEMORY_BYTES)))).toBe('ARGUMENT');
    expect(make(BASE, { queueSize: 64 })).toBe('ok');
  });
});

describe('VirtioBlkDriver recovery', () => {
  it('reports IOERR when the device enters DEVICE_NEEDS_RESET, re-initialises it and goes on', () => {
    let failing: FailingBlockDevice | null = null;
    const { driver, device, memory, backend } = rig({
      model: (inner) => {
        failing = new FailingBlockDevice(inner);
        return failing;
      },
    });
    driver.init();
    const model = failing as unknown as FailingBlockDevice;
    const buffer = 0x40000;
    memory.bytes.fill(0x11, buffer, buffer + SECTOR);
    expect(driver.write(3, 1, buffer)).toBe(0);
    model.failNext = true;
    expect(driver.read(3, 1, buffer)).toBe(1);
    expect(device.lastError).toMatch(/injected media controller failure/);
    expect(driver.recoveries).toBe(1);
    // The driver reset the device and set it up again; the next requests work and see the earlier write.
    expect(device.deviceStatus).toBe(LIVE);
    expect(device.negotiatedFeatures).toBe(driver.features);
    memory.bytes.fill(0, buffer, buffer + SECTOR);
    expect(driver.read(3, 1, buffer)).toBe(0);
    expect(memory.bytes[buffer + 100]).toBe(0x11);
    memory.bytes.fill(0x22, buffer, buffer + SECTOR);
    expect(driver.write(4, 1, buffer)).toBe(0);
    expect((backend as MemoryBlockBackend).bytes[4 * SECTOR]).toBe(0x22);
    expect(driver.recoveries).toBe(1);
  });

  it('keeps answering IOERR while the device cannot be brought back, and recovers once it can', () => {
    let present = true;
    let failing: FailingBlockDevice | null = null;
    const { driver, device } = rig({
      window: (d) =>
        new FilteredWindow(d, (o, v) => (o === VirtioMmioReg.MagicValue && !present ? 0xffffffff : v)),
      model: (inner) => {
        failing = new FailingBlockDevice(inner);
        return failing;
      },
    });
    driver.init();
    const model = failing as unknown as FailingBlockDevice;
    expect(driver.read(0, 1, 0x40000)).toBe(0);
    // The request fails, and the device no longer identifies itself when the driver tries to reset it.
    model.failNext = true;
    present = false;
    expect(driver.read(0, 1, 0x40000)).toBe(1);
    expect(driver.recoveries).toBe(1);
    expect(device.deviceStatus & VirtioStatus.DEVICE_NEEDS_RESET).not.toBe(0);
    // Each later request tries again first, and reports IOERR without touching the broken queue.
    expect(driver.write(0, 1, 0x40000)).toBe(1);
    expect(driver.flush()).toBe(1);
    expect(driver.recoveries).toBe(3);
    present = true;
    expect(driver.read(0, 1, 0x40000)).toBe(0);
    expect(driver.recoveries).toBe(4);
    expect(device.deviceStatus).toBe(LIVE);
  });
});

describe('VirtioBlkDriver on the PC platform', () => {
  it('drives the disk PcPlatform attaches at PC_LAYOUT.virtioBlkBase', () => {
    const memory = new PhysicalMemory(2 << 20);
    const frames = new FrameAllocator(memory);
    const image = new MemoryBlockBackend(128 * 1024);
    const platform = new PcPlatform(memory, new Cpu(memory, { cpl: 0 }), { disk: image });
    const driver = new VirtioBlkDriver(platform.mmio, PC_LAYOUT.virtioBlkBase, memory, frames);
    driver.init();
    expect(driver.capacity).toBe(256);
    const buffer = frames.alloc();
    const data = randomBytes(prng(3), PAGE_SIZE);
    memory.bytes.set(data, buffer);
    expect(driver.write(200, 8, buffer)).toBe(0);
    expect(sameBytes(image.bytes.subarray(200 * SECTOR, 208 * SECTOR), data)).toBe(true);
    memory.bytes.fill(0, buffer, buffer + PAGE_SIZE);
    expect(driver.read(200, 8, buffer)).toBe(0);
    expect(sameBytes(memory.bytes.subarray(buffer, buffer + PAGE_SIZE), data)).toBe(true);
    expect(driver.flush()).toBe(0);
    expect(platform.disk?.pendingInterrupts).toBe(0);
  });
});
