#!/usr/bin/env node
/**
 * virtio-blk throughput: sequential 64 KiB reads and writes (MB/s) and random 4 KiB reads and writes (IOPS)
 * on a 64 MiB in-memory image, driven through the virtio-mmio registers by the same driver the device tests
 * use (descriptor setup in guest memory, available-ring update, QueueNotify, used-ring read, interrupt ACK).
 * Data buffers are split into 4 KiB pages placed in an indirect descriptor table, as a guest OS would do.
 *
 * Runs the TypeScript sources directly (tsx is registered below), so no build is needed:
 *
 *   node bench/virtio-blk.mjs [--seconds S] [--depth D[,D...]]
 *
 * --seconds: time per workload (default 1); --depth: requests per notification (default 1,16).
 * Wall-clock numbers from the host; they vary with the machine and are not a test.
 */
import { register } from 'tsx/esm/api';

register();

const { PhysicalMemory } = await import('../src/memory/physical-memory.ts');
const { MmioBus } = await import('../src/devices/io-bus.ts');
const { MemoryBlockBackend } = await import('../src/devices/block-backend.ts');
const { VirtioBlockDevice, VirtioBlkRequestType, VirtioBlkStatus } = await import(
  '../src/devices/virtio-blk.ts'
);
const { VirtioMmioDevice, VIRTIO_MMIO_WINDOW_SIZE } = await import('../src/devices/virtio-mmio.ts');
const { GuestHeap, VirtioBlkDriver } = await import('../test/devices/virtio-blk-driver.ts');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', '1'));
const depths = option('--depth', '1,16').split(',').map(Number);

const IMAGE_BYTES = 64 << 20;
const SECTOR = 512;
const BASE = 0xfeb0_0000;

const memory = new PhysicalMemory(32 << 20);
const bus = new MmioBus();
const backend = new MemoryBlockBackend(IMAGE_BYTES);
const device = new VirtioMmioDevice(new VirtioBlockDevice(backend), { memory });
bus.register(BASE, VIRTIO_MMIO_WINDOW_SIZE, device, 'virtio-blk');
const heap = new GuestHeap(memory, 0x10_0000);
const driver = new VirtioBlkDriver(bus, BASE, memory, heap, { queueSize: 128 });
driver.init();

const maxDepth = Math.max(...depths);
const buffers = Array.from({ length: maxDepth }, () => heap.alloc(64 * 1024, 4096));
for (const b of buffers) for (let i = 0; i < 64 * 1024; i++) memory.bytes[b + i] = (i * 31) & 0xff;

/** Seeded xorshift32, so every run issues the same offsets. */
let seed = 0x9e3779b9;
function random() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

/**
 * Runs batches of `depth` requests (one notification each) for `seconds`; `next(k)` gives the k-th request's
 * sector. Returns requests per second.
 */
function run(type, bytes, depth, next) {
  let done = 0;
  const requests = Array.from({ length: depth }, (_, i) => ({
    type,
    sector: 0,
    data: { addr: buffers[i], len: bytes },
    indirect: true,
  }));
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < deadline) {
    for (let rep = 0; rep < 16; rep++) {
      for (const r of requests) r.sector = next(done++);
      const statuses = driver.batch(requests);
      for (const s of statuses)
        if (s !== VirtioBlkStatus.OK) throw new Error(`request failed with status ${s}`);
    }
    now = process.hrtime.bigint();
  }
  return done / (Number(now - t0) / 1e9);
}

const sectors = IMAGE_BYTES / SECTOR;
const sequential = (bytes) => (k) => ((k * bytes) % IMAGE_BYTES) / SECTOR;
const randomAligned = (bytes) => () => Math.floor(random() * (IMAGE_BYTES / bytes)) * (bytes / SECTOR);

console.log(
  `virtio-blk over virtio-mmio, 64 MiB memory image, ${sectors} sectors, ${seconds} s per workload`,
);
for (const depth of depths) {
  const seqRead = run(VirtioBlkRequestType.IN, 65536, depth, sequential(65536));
  const seqWrite = run(VirtioBlkRequestType.OUT, 65536, depth, sequential(65536));
  const randRead = run(VirtioBlkRequestType.IN, 4096, depth, randomAligned(4096));
  const randWrite = run(VirtioBlkRequestType.OUT, 4096, depth, randomAligned(4096));
  const mbs = (rate) => ((rate * 65536) / 1e6).toFixed(0).padStart(6);
  const iops = (rate) => Math.round(rate).toLocaleString('en-US').padStart(10);
  console.log(`queue depth ${String(depth).padStart(2)}:`);
  console.log(`  sequential 64 KiB read   ${mbs(seqRead)} MB/s`);
  console.log(`  sequential 64 KiB write  ${mbs(seqWrite)} MB/s`);
  console.log(`  random 4 KiB read       ${iops(randRead)} IOPS`);
  console.log(`  random 4 KiB write      ${iops(randWrite)} IOPS`);
}
