/**
 * A guest that writes nonsense into its virtqueue must get an answer, never a host exception or a hang: a
 * request whose status byte is usable gets VIRTIO_BLK_S_IOERR; a queue that cannot be trusted sends the device
 * to DEVICE_NEEDS_RESET with a configuration-change interrupt, and a reset brings it back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../src/devices/block-backend';
import { MmioBus } from '../../src/devices/io-bus';
import { VirtioBlkRequestType, VirtioBlkStatus, VirtioBlockDevice } from '../../src/devices/virtio-blk';
import {
  featureBit,
  VIRTIO_MMIO_INT_CONFIG,
  VirtioFeature,
  VirtioMmioDevice,
  VirtioMmioReg,
  VirtioStatus,
} from '../../src/devices/virtio-mmio';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/devices/virtqueue';
import { PhysicalMemory } from '../../src/memory/physical-memory';
import { DRIVER_FEATURES, GuestHeap, VirtioBlkDriver } from './virtio-blk-driver';

const BASE = 0xfeb0_0000;
const MEMORY = 1 << 20;
const SECTOR = 512;
const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;

function rig(supported = DRIVER_FEATURES, queueSize = 16) {
  const memory = new PhysicalMemory(MEMORY);
  const bus = new MmioBus();
  const irq = {
    level: false,
    set(l: boolean) {
      irq.level = l;
    },
  };
  const backend = new MemoryBlockBackend(64 * SECTOR);
  for (let i = 0; i < backend.bytes.length; i++) backend.bytes[i] = (i >> 9) & 0xff;
  const device = new VirtioMmioDevice(new VirtioBlockDevice(backend, { queueSize: 16 }), { memory, irq });
  bus.register(BASE, 0x200, device, 'virtio-blk');
  const heap = new GuestHeap(memory, 0x1000);
  const driver = new VirtioBlkDriver(bus, BASE, memory, heap, { supported, queueSize });
  driver.init();
  // Request scratch: header at `header`, data at `data`, status at `status`.
  const header = heap.alloc(16);
  const data = heap.alloc(4 * SECTOR);
  const status = heap.alloc(16);
  const table = heap.alloc(64 * 16);
  const view = memory.view;
  const setHeader = (type: number, sector: number) => {
    view.setUint32(header, type, true);
    view.setUint32(header + 4, 0, true);
    view.setBigUint64(header + 8, BigInt(sector), true);
  };
  setHeader(VirtioBlkRequestType.IN, 0);
  /** Writes descriptor `index` of the table at `at` (the queue's own table by default). */
  const desc = (index: number, addr: number, len: number, flags: number, next = 0, at = driver.desc) => {
    const p = at + 16 * index;
    view.setBigUint64(p, BigInt(addr), true);
    view.setUint32(p + 8, len, true);
    view.setUint16(p + 12, flags, true);
    view.setUint16(p + 14, next, true);
  };
  const usedIdx = () => view.getUint16(driver.used + 2, true);
  const usedLen = (slot: number) => view.getUint32(driver.used + 4 + 8 * slot + 4, true);
  /** Offers head `head` and notifies, as a driver would. */
  const kick = (head: number) => {
    driver.makeAvailable(head);
    driver.notify();
  };
  const needsReset = () => (driver.status() & VirtioStatus.DEVICE_NEEDS_RESET) !== 0;
  /** After a reset and a fresh initialisation, a well-formed read must work. */
  const recovers = () => {
    driver.setReg(VirtioMmioReg.Status, 0);
    driver.init();
    const buf = heap.alloc(SECTOR);
    memory.bytes[buf] = ~backend.bytes[3 * SECTOR] & 0xff;
    const r = driver.request({ type: VirtioBlkRequestType.IN, sector: 3, data: { addr: buf, len: SECTOR } });
    // Random writes may have changed the disk, so compare with the image rather than its initial pattern.
    const expected = backend.bytes.subarray(3 * SECTOR, 4 * SECTOR);
    return (
      r.status === VirtioBlkStatus.OK &&
      memory.bytes.subarray(buf, buf + SECTOR).every((b, i) => b === expected[i]) &&
      !needsReset()
    );
  };
  return {
    memory,
    view,
    irq,
    device,
    driver,
    heap,
    header,
    data,
    status,
    table,
    desc,
    usedIdx,
    usedLen,
    kick,
    needsReset,
    recovers,
    setHeader,
  };
}

type Rig = ReturnType<typeof rig>;

/** Asserts the device gave up on the queue the way the specification says, and comes back after a reset. */
function expectNeedsReset(r: Rig, reason: RegExp): void {
  expect(r.needsReset()).toBe(true);
  expect(r.device.lastError).toMatch(reason);
  expect(r.driver.reg(VirtioMmioReg.InterruptStatus) & VIRTIO_MMIO_INT_CONFIG).toBe(VIRTIO_MMIO_INT_CONFIG);
  expect(r.irq.level).toBe(true);
  // Stopped: further notifications are not served.
  const before = r.usedIdx();
  r.desc(0, r.header, 16, NEXT, 1);
  r.desc(1, r.status, 1, WRITE);
  r.kick(0);
  expect(r.usedIdx()).toBe(before);
  expect(r.recovers()).toBe(true);
}

/** Asserts the request completed with IOERR in its status byte. */
function expectIoError(r: Rig, statusAt = r.status): void {
  expect(r.needsReset()).toBe(false);
  expect(r.usedIdx()).toBe(1);
  expect(r.memory.bytes[statusAt]).toBe(VirtioBlkStatus.IOERR);
  expect(r.recovers()).toBe(true);
}

describe('structurally broken queues: DEVICE_NEEDS_RESET', () => {
  it('head index >= queue size', () => {
    const r = rig();
    r.kick(16);
    expectNeedsReset(r, /head descriptor index 16/);
  });

  it('next index >= queue size', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 200);
    r.kick(0);
    expectNeedsReset(r, /next index 200/);
  });

  it('a loop in the chain', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.data, SECTOR, WRITE | NEXT, 2);
    r.desc(2, r.status, 1, WRITE | NEXT, 1);
    r.kick(0);
    expectNeedsReset(r, /loop/);
  });

  it('a self-referencing descriptor', () => {
    const r = rig();
    r.desc(5, r.header, 16, NEXT, 5);
    r.kick(5);
    expectNeedsReset(r, /loop/);
  });

  it('an available index that ran more than a queue ahead', () => {
    const r = rig();
    r.view.setUint16(r.driver.avail + 2, 17, true);
    r.driver.notify();
    expectNeedsReset(r, /ahead of the device/);
  });

  it('a loop inside an indirect table', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1, r.table);
    r.desc(1, r.status, 1, WRITE | NEXT, 0, r.table);
    r.desc(0, r.table, 32, INDIRECT);
    r.kick(0);
    expectNeedsReset(r, /indirect table .*loop/);
  });

  it.each([
    ['zero length', 0, /not a multiple of 16/],
    ['length not a multiple of 16', 24, /not a multiple of 16/],
    ['more entries than the queue', 17 * 16, /exceeds the queue size/],
  ])('an indirect table with %s', (_name, len, reason) => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1, r.table);
    r.desc(1, r.status, 1, WRITE, 0, r.table);
    r.desc(0, r.table, len, INDIRECT);
    r.kick(0);
    expectNeedsReset(r, reason);
  });

  it('an indirect table outside guest memory', () => {
    const r = rig();
    r.desc(0, MEMORY - 16, 32, INDIRECT);
    r.kick(0);
    expectNeedsReset(r, /indirect table .* outside guest memory/);
  });

  it('nested indirection', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1, r.table);
    r.desc(1, r.table + 256, 32, INDIRECT, 0, r.table);
    r.desc(0, r.table, 32, INDIRECT);
    r.kick(0);
    expectNeedsReset(r, /inside an indirect table/);
  });

  it('indirect combined with NEXT', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1, r.table);
    r.desc(1, r.status, 1, WRITE, 0, r.table);
    r.desc(0, r.table, 32, INDIRECT | NEXT, 1);
    r.kick(0);
    expectNeedsReset(r, /VIRTQ_DESC_F_NEXT/);
  });

  it('indirect descriptors when VIRTIO_F_INDIRECT_DESC was not negotiated', () => {
    const r = rig(DRIVER_FEATURES & ~featureBit(VirtioFeature.INDIRECT_DESC));
    r.desc(0, r.header, 16, NEXT, 1, r.table);
    r.desc(1, r.status, 1, WRITE, 0, r.table);
    r.desc(0, r.table, 32, INDIRECT);
    r.kick(0);
    expectNeedsReset(r, /without VIRTIO_F_INDIRECT_DESC/);
  });

  it('a status byte outside guest memory', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, MEMORY, 1, WRITE);
    r.kick(0);
    expectNeedsReset(r, /no usable status byte/);
  });

  it('a request without any device-writable byte', () => {
    const r = rig();
    r.setHeader(VirtioBlkRequestType.OUT, 0);
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.data, SECTOR, 0);
    r.kick(0);
    expectNeedsReset(r, /no usable status byte/);
  });

  function ringRig(register: number, value: number, reason: RegExp) {
    const r = rig();
    r.driver.setReg(VirtioMmioReg.Status, 0);
    r.driver.init();
    r.driver.setReg(VirtioMmioReg.QueueReady, 0);
    r.driver.setReg(register, value);
    r.driver.setReg(VirtioMmioReg.QueueReady, 1);
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.status, 1, WRITE);
    r.kick(0);
    expectNeedsReset(r, reason);
  }

  it('a misaligned descriptor table', () =>
    ringRig(VirtioMmioReg.QueueDescLow, 0x2008, /descriptor table .* aligned/));
  it('a misaligned available ring', () =>
    ringRig(VirtioMmioReg.QueueDriverLow, 0x3001, /available ring .* aligned/));
  it('a misaligned used ring', () => ringRig(VirtioMmioReg.QueueDeviceLow, 0x3002, /used ring .* aligned/));
  it('a used ring outside guest memory', () =>
    ringRig(VirtioMmioReg.QueueDeviceLow, MEMORY - 8, /used ring .* outside/));
  it('a descriptor table above 4 GiB', () =>
    ringRig(VirtioMmioReg.QueueDescHigh, 1, /descriptor table .* outside/));
  it('a queue size that is not a power of two', () => ringRig(VirtioMmioReg.QueueNum, 12, /power of two/));
  it('a queue size above QueueNumMax', () => ringRig(VirtioMmioReg.QueueNum, 32, /power of two <= 16/));
});

describe('unusable buffers with a usable status byte: VIRTIO_BLK_S_IOERR', () => {
  it('a data buffer outside guest memory', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, MEMORY - 256, SECTOR, WRITE | NEXT, 2);
    r.desc(2, r.status, 1, WRITE);
    r.kick(0);
    expectIoError(r);
  });

  it('a data buffer at a 64-bit address', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, 2 ** 40, SECTOR, WRITE | NEXT, 2);
    r.desc(2, r.status, 1, WRITE);
    r.kick(0);
    expectIoError(r);
  });

  it('a header outside guest memory', () => {
    const r = rig();
    r.desc(0, MEMORY - 8, 16, NEXT, 1);
    r.desc(1, r.status, 1, WRITE);
    r.kick(0);
    expectIoError(r);
  });

  it('a short header', () => {
    const r = rig();
    r.desc(0, r.header, 8, NEXT, 1);
    r.desc(1, r.status, 1, WRITE);
    r.kick(0);
    expectIoError(r);
  });

  it('a device-readable buffer after a device-writable one; no data is moved', () => {
    const r = rig();
    r.memory.bytes.fill(0xee, r.data, r.data + SECTOR);
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.data, SECTOR, WRITE | NEXT, 2);
    r.desc(2, r.data + SECTOR, 16, NEXT, 3);
    r.desc(3, r.status, 1, WRITE);
    r.kick(0);
    expect(r.memory.bytes[r.data]).toBe(0xee);
    expectIoError(r);
  });

  it('a write whose data buffer is outside memory leaves the disk untouched', () => {
    const r = rig();
    r.setHeader(VirtioBlkRequestType.OUT, 2);
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.data, SECTOR, NEXT, 2);
    r.desc(2, MEMORY - 100, SECTOR, NEXT, 3);
    r.desc(3, r.status, 1, WRITE);
    r.kick(0);
    expectIoError(r);
    const buf = r.heap.alloc(2 * SECTOR);
    r.driver.request({ type: VirtioBlkRequestType.IN, sector: 2, data: { addr: buf, len: 2 * SECTOR } });
    expect(r.memory.bytes[buf]).toBe(2);
    expect(r.memory.bytes[buf + SECTOR]).toBe(3);
  });

  it('completes earlier requests of a batch before the one that breaks the queue', () => {
    const r = rig();
    r.desc(0, r.header, 16, NEXT, 1);
    r.desc(1, r.data, SECTOR, WRITE | NEXT, 2);
    r.desc(2, r.status, 1, WRITE);
    r.driver.makeAvailable(0);
    r.driver.makeAvailable(99);
    r.driver.notify();
    expect(r.usedIdx()).toBe(1);
    expect(r.memory.bytes[r.status]).toBe(VirtioBlkStatus.OK);
    expect(r.driver.reg(VirtioMmioReg.InterruptStatus)).toBe(3);
    expectNeedsReset(r, /head descriptor index 99/);
  });
});

describe('random descriptor tables', () => {
  it('never throw into the host, never hang, and always leave a recoverable device', () => {
    const r = rig(DRIVER_FEATURES, 16);
    const size = 16;
    // Addresses near the interesting edges: inside the scratch area, at the end of memory, far beyond it.
    const address = fc.oneof(
      fc.integer({ min: r.header, max: r.header + 0x800 }),
      fc.integer({ min: MEMORY - 64, max: MEMORY + 64 }),
      fc.constantFrom(r.table, 0, 2 ** 32, 2 ** 52, 2 ** 64 - 16),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => Number(b)),
    );
    const fieldValue = {
      addr: address,
      len: fc.oneof(fc.integer({ min: 0, max: 2 * SECTOR }), fc.constantFrom(16, 17 * 16, 0xffffffff)),
      flags: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff })),
      next: fc.oneof(fc.integer({ min: 0, max: size + 2 }), fc.integer({ min: 0, max: 0xffff })),
    };
    const mutation = fc.oneof(
      ...(['addr', 'len', 'flags', 'next'] as const).map((field) =>
        fc.record({
          inIndirect: fc.boolean(),
          index: fc.integer({ min: 0, max: size - 1 }),
          field: fc.constant(field),
          value: fieldValue[field] as fc.Arbitrary<number>,
        }),
      ),
    );
    // A well-formed request (direct or indirect) that mutations then damage; heads may be wrong too.
    const scenario = fc.record({
      slots: fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 4, maxLength: 4 }),
      indirect: fc.boolean(),
      type: fc.constantFrom(0, 1, 4, 8, 11, 77),
      sector: fc.integer({ min: 0, max: 80 }),
      sectors: fc.integer({ min: 0, max: 4 }),
      mutations: fc.array(mutation, { maxLength: 4 }),
      extraHeads: fc.oneof(
        fc.constant([]),
        fc.array(fc.oneof(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: 0xffff })), {
          maxLength: 3,
        }),
      ),
      // Rarely, an available index that jumps anywhere.
      availJump: fc.oneof(
        { weight: 9, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
      ),
    });
    const seen = { reset: 0, ok: 0, ioerr: 0, unsupp: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        r.driver.setReg(VirtioMmioReg.Status, 0);
        r.driver.init();
        r.memory.bytes.fill(0, r.table, r.table + 64 * 16);
        r.setHeader(s.type, s.sector);
        const deviceWritesData = s.type !== VirtioBlkRequestType.OUT;
        const chain: [number, number, number][] = [[r.header, 16, 0]];
        if (s.sectors > 0) chain.push([r.data, s.sectors * SECTOR, deviceWritesData ? WRITE : 0]);
        chain.push([r.status, 1, WRITE]);
        const [head, ...rest] = s.slots as [number, ...number[]];
        if (s.indirect) {
          for (const [i, [addr, len, flags]] of chain.entries()) {
            r.desc(i, addr, len, flags | (i + 1 < chain.length ? NEXT : 0), i + 1, r.table);
          }
          r.desc(head, r.table, 16 * chain.length, INDIRECT);
        } else {
          const ids = [head, ...rest];
          for (const [i, [addr, len, flags]] of chain.entries()) {
            const next = ids[i + 1] ?? 0;
            r.desc(ids[i] as number, addr, len, flags | (i + 1 < chain.length ? NEXT : 0), next);
          }
        }
        for (const m of s.mutations) {
          const at = (m.inIndirect ? r.table : r.driver.desc) + 16 * m.index;
          if (m.field === 'addr') r.view.setBigUint64(at, BigInt(m.value), true);
          if (m.field === 'len') r.view.setUint32(at + 8, m.value, true);
          if (m.field === 'flags') r.view.setUint16(at + 12, m.value, true);
          if (m.field === 'next') r.view.setUint16(at + 14, m.value, true);
        }
        r.memory.bytes[r.status] = 0xff;
        r.driver.makeAvailable(head);
        for (const h of s.extraHeads) r.driver.makeAvailable(h);
        if (s.availJump !== null) r.view.setUint16(r.driver.avail + 2, s.availJump, true);
        const t0 = performance.now();
        r.driver.notify();
        // Bounded work: a chain walk is at most queue size + indirect table size steps.
        expect(performance.now() - t0).toBeLessThan(1000);
        const used = r.usedIdx();
        if (r.needsReset()) {
          seen.reset++;
          expect(r.driver.reg(VirtioMmioReg.InterruptStatus) & VIRTIO_MMIO_INT_CONFIG).toBe(
            VIRTIO_MMIO_INT_CONFIG,
          );
        } else {
          // Without a reset, every offered head was answered.
          expect(used).toBe(s.availJump ?? 1 + s.extraHeads.length);
        }
        // Every answered request's used length covers at least its status byte.
        for (let i = 0; i < used; i++) expect(r.usedLen(i)).toBeGreaterThanOrEqual(1);
        const status = r.memory.bytes[r.status];
        if (status === VirtioBlkStatus.OK) seen.ok++;
        if (status === VirtioBlkStatus.IOERR) seen.ioerr++;
        if (status === VirtioBlkStatus.UNSUPP) seen.unsupp++;
        return r.recovers();
      }),
      { numRuns: 500, seed: 20240601 },
    );
    // The generator reaches every kind of answer, so the property is not vacuous.
    expect(seen.reset).toBeGreaterThan(20);
    expect(seen.ok).toBeGreaterThan(20);
    expect(seen.ioerr).toBeGreaterThan(20);
    expect(seen.unsupp).toBeGreaterThan(20);
  });
});
