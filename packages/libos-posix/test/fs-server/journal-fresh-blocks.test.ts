/**
 * Blocks an operation allocates are logged as the bytes written into them, replayed onto zeros: an
 * indirect block as its new pointer, a small write of file data into a new block as those bytes (not
 * written through to the disk). After the server dies and the next one replays the log, the rest of such
 * a block reads as zeros, whatever the disk held there before; a large write into a new block still goes
 * to the disk at once.
 */
import { Exokernel } from '@exov6/exokernel';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, test } from 'vitest';
import { Ext2FileSystem, FrameJournal, FrameRange, JournalError, mkfs } from '../../src/index';
import { E2FSCK, e2fsck } from '../support/e2fsprogs';

const T0 = 1_700_000_000;
const BLOCK = 1024;

/** A 2 MiB image whose free blocks hold 0xa5 bytes (what deleted files leave), and journal frames. */
function world() {
  const device = new MemoryBlockBackend(2 << 20);
  mkfs(device, { blockSize: BLOCK, time: T0, seed: 5 });
  // One group: its descriptor (block 2) names the block bitmap, whose bit i stands for block 1 + i.
  const blockCount = device.size / BLOCK;
  const bitmap = new DataView(device.bytes.buffer, 2 * BLOCK, 32).getUint32(0, true) * BLOCK;
  const free: number[] = [];
  for (let b = 1; b < blockCount; b++) {
    if ((((device.bytes[bitmap + ((b - 1) >> 3)] as number) >> ((b - 1) & 7)) & 1) === 0) free.push(b);
  }
  expect(free.length).toBeGreaterThan(blockCount / 2);
  for (const b of free) device.bytes.fill(0xa5, b * BLOCK, (b + 1) * BLOCK);
  const kernel = new Exokernel({ memoryBytes: 16 << 20 });
  const api = kernel.bind(kernel.createRootEnvironment({ quota: 512 }));
  const frames = Array.from({ length: 64 }, () => api.frameAlloc());
  const open = () => {
    const journal = FrameJournal.open(new FrameRange(api, frames), device);
    return { journal, fs: Ext2FileSystem.mount(device, { journal, clock: () => T0 }) };
  };
  return { device, open, free };
}

function pattern(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 37 + i * 11) & 0xff);
}

describe('blocks allocated by an operation, under the journal', () => {
  test('a small write into a new block is logged, not written, and replays onto zeros', () => {
    const w = world();
    const { fs, journal } = w.open();
    const ino = fs.create(fs.rootIno, 'small', 0o644);
    const writesBefore = fs.volume.cache.stats().writes;
    // 100 bytes at 500: the first 500 bytes of the block are a hole inside the file.
    fs.write(ino, 500, pattern(1, 100));
    const block = fs.volume.readInode(ino).block[0] as number;
    expect(block).not.toBe(0);
    // Nothing was written to the device: the block still holds what the free space held.
    expect(fs.volume.cache.stats().writes).toBe(writesBefore);
    expect(w.device.bytes[block * BLOCK]).toBe(0xa5);
    expect(journal.stats.commits).toBeGreaterThan(0);
    // The server dies; the next one replays the log.
    const again = w.open();
    expect(again.journal.stats.replayedBlocks).toBeGreaterThan(0);
    const file = again.fs.resolve('/small');
    const wanted = new Uint8Array(600);
    wanted.set(pattern(1, 100), 500);
    expect(again.fs.read(file, 0, 600)).toEqual(wanted);
    // The whole block on the disk: zeros, the data, zeros (nothing of the 0xa5 bytes is left).
    const onDisk = w.device.bytes.subarray(block * BLOCK, (block + 1) * BLOCK);
    const wholeBlock = new Uint8Array(BLOCK);
    wholeBlock.set(pattern(1, 100), 500);
    expect(onDisk).toEqual(wholeBlock);
    again.fs.unmount();
    if (E2FSCK !== null) expect(e2fsck(w.device.bytes).status).toBe(0);
  });

  test('a new indirect block is logged as its pointers and replays onto zeros', () => {
    const w = world();
    const { fs } = w.open();
    const ino = fs.create(fs.rootIno, 'sparse', 0o644);
    // One byte in logical block 40: an indirect block with a single pointer, and one data block.
    fs.write(ino, 40 * BLOCK, Uint8Array.of(7));
    const indirect = fs.volume.readInode(ino).block[12] as number;
    expect(indirect).not.toBe(0);
    expect(w.device.bytes[indirect * BLOCK]).toBe(0xa5);
    const again = w.open();
    const file = again.fs.resolve('/sparse');
    // Every other pointer of the indirect block is a hole, not 0xa5a5a5a5 (outside the file system).
    const bytes = again.fs.read(file, 0, 40 * BLOCK + 1);
    expect(bytes.subarray(0, 40 * BLOCK)).toEqual(new Uint8Array(40 * BLOCK));
    expect(bytes[40 * BLOCK]).toBe(7);
    expect(again.fs.stat(file).blocks).toBe(fs.stat(ino).blocks);
    again.fs.unmount();
    if (E2FSCK !== null) expect(e2fsck(w.device.bytes).status).toBe(0);
  });

  test('a large write into new blocks goes to the disk before the commit', () => {
    const w = world();
    const { fs } = w.open();
    const ino = fs.create(fs.rootIno, 'large', 0o644);
    fs.write(ino, 0, pattern(2, 3 * BLOCK));
    const blocks = [...fs.volume.readInode(ino).block.slice(0, 3)];
    for (const [i, b] of blocks.entries()) {
      expect(w.device.bytes.subarray(b * BLOCK, (b + 1) * BLOCK)).toEqual(
        pattern(2, 3 * BLOCK).subarray(i * BLOCK, (i + 1) * BLOCK),
      );
    }
    const again = w.open();
    expect(again.fs.read(again.fs.resolve('/large'), 0, 3 * BLOCK)).toEqual(pattern(2, 3 * BLOCK));
    again.fs.unmount();
  });

  test('a small write into a new block, then more into the same block later, replays as the last state', () => {
    const w = world();
    const { fs } = w.open();
    const ino = fs.create(fs.rootIno, 'grows', 0o644);
    fs.write(ino, 0, pattern(3, 100));
    // Not a new block any more: this write goes through to the disk, and the logged copy is revoked.
    fs.write(ino, 100, pattern(4, 900));
    const again = w.open();
    const wanted = new Uint8Array(1000);
    wanted.set(pattern(3, 100), 0);
    wanted.set(pattern(4, 900), 100);
    expect(again.fs.read(again.fs.resolve('/grows'), 0, 1000)).toEqual(wanted);
    again.fs.unmount();
    if (E2FSCK !== null) expect(e2fsck(w.device.bytes).status).toBe(0);
  });

  test('a log whose patch names an impossible block size is refused, not replayed', () => {
    const w = world();
    const { journal } = w.open();
    const before = w.device.bytes.slice();
    journal.commit([{ block: 300, data: Uint8Array.of(1, 2), offset: 0, blockSize: 3000, zeroed: true }], []);
    expect(() => w.open()).toThrow(JournalError);
    expect(() => w.open()).toThrow(/block size of 3000/);
    expect(Buffer.compare(w.device.bytes, before)).toBe(0);
  });
});
