/**
 * mkfs, checked against e2fsprogs: every image it makes passes `e2fsck -fn`, and debugfs reads the
 * geometry mke2fs itself gives the same device with the same options (mke2fs -t ext2 -O
 * ^resize_inode,^dir_index,^ext_attr -i 16384 -m 5: block and inode counts, free counts, where each
 * group's bitmaps and inode table are). The sparse_super backups are where they should be and are good
 * enough for e2fsck to check the file system from; the root is inode 2 and lost+found inode 11; the same
 * options make the same bytes; devices too small and options out of range are refused with an Ext2Error.
 */
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Ext2FileSystem, type MkfsOptions, mkfs } from '../../src/index';
import { debugfs, e2fsck, haveE2fsprogs, mke2fs } from '../support/e2fsprogs';
import {
  debugfsEach,
  expectExt2Error,
  groupLines,
  parseInodeStat,
  parseStats,
  scratchInMemory,
} from '../support/ext2-read';

const KiB = 1024;
const MiB = 1024 * KiB;
const describeE2fsprogs = describe.skipIf(!haveE2fsprogs && !process.env.CI);
scratchInMemory();

/** Groups that hold a superblock backup with sparse_super: 0, 1 and the powers of 3, 5 and 7. */
function isBackupGroup(g: number): boolean {
  if (g <= 1) return true;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < g) p *= base;
    if (p === g) return true;
  }
  return false;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/**
 * A superblock without the fields that change as the file system is used or that differ between copies:
 * free block and inode counts, mount and write times, mount count, state and s_block_group_nr.
 */
function stableFields(superblock: Uint8Array): number[] {
  const copy = [...superblock];
  for (const [at, length] of [
    [12, 8],
    [44, 10],
    [58, 2],
    [90, 2],
  ] as const) {
    copy.fill(0, at, at + length);
  }
  return copy;
}

/** The block bitmap, inode bitmap and inode table of each 32-byte group descriptor in `table`. */
function descriptorLocations(table: Uint8Array): number[][] {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: number[][] = [];
  for (let at = 0; at + 32 <= table.length; at += 32) {
    out.push([view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true)]);
  }
  return out;
}

interface Layout {
  name: string;
  bytes: number;
  blockSize: number;
  inodeSize: number;
  groups: number;
  blocks: number;
}

const layouts: Layout[] = [
  {
    name: '1 MiB, 1 KiB blocks, 128-byte inodes',
    bytes: MiB,
    blockSize: 1024,
    inodeSize: 128,
    groups: 1,
    blocks: 1024,
  },
  {
    name: '1 MiB + 100 bytes, 1 KiB blocks, 256-byte inodes',
    bytes: MiB + 100,
    blockSize: 1024,
    inodeSize: 256,
    groups: 1,
    blocks: 1024,
  },
  { name: '3 MiB, 2 KiB blocks', bytes: 3 * MiB, blockSize: 2048, inodeSize: 256, groups: 1, blocks: 1536 },
  {
    name: '2 MiB, 4 KiB blocks, 128-byte inodes',
    bytes: 2 * MiB,
    blockSize: 4096,
    inodeSize: 128,
    groups: 1,
    blocks: 512,
  },
  // One block past a group of 8192: a group of one block is dropped, as mke2fs drops it.
  {
    name: '8 MiB + 40 KiB (a tiny last group dropped)',
    bytes: 8 * MiB + 40 * KiB,
    blockSize: 1024,
    inodeSize: 256,
    groups: 1,
    blocks: 8193,
  },
  {
    name: '40 MiB, 1 KiB blocks: 5 groups',
    bytes: 40 * MiB,
    blockSize: 1024,
    inodeSize: 256,
    groups: 5,
    blocks: 40960,
  },
  {
    name: '72 MiB, 1 KiB blocks, 128-byte inodes: 9 groups',
    bytes: 72 * MiB,
    blockSize: 1024,
    inodeSize: 128,
    groups: 9,
    blocks: 73728,
  },
  {
    name: '64 MiB, 2 KiB blocks: 2 groups',
    bytes: 64 * MiB,
    blockSize: 2048,
    inodeSize: 256,
    groups: 2,
    blocks: 32768,
  },
  {
    name: '133 MiB, 4 KiB blocks: 2 groups, the last short',
    bytes: 136_000 * KiB,
    blockSize: 4096,
    inodeSize: 256,
    groups: 2,
    blocks: 34000,
  },
];

describeE2fsprogs('mkfs, checked with e2fsck and debugfs', () => {
  for (const layout of layouts) {
    it(layout.name, () => {
      const device = new MemoryBlockBackend(new Uint8Array(layout.bytes));
      const result = mkfs(device, { blockSize: layout.blockSize, inodeSize: layout.inodeSize });
      const image = device.bytes;
      expect(result.blockSize).toBe(layout.blockSize);
      expect(result.blocks).toBe(layout.blocks);
      expect(result.groups).toBe(layout.groups);
      expect(result.inodes).toBe(result.groups * result.inodesPerGroup);

      const fsck = e2fsck(image);
      expect(fsck.output).not.toMatch(/Fix\?|corrupt|error/i);
      expect(fsck.status, fsck.output).toBe(0);

      const [statsOutput = '', listing = '', lostFoundStat = '', rootStat = ''] = debugfsEach(image, [
        'stats',
        'ls /',
        'stat <11>',
        'stat <2>',
      ]);
      const stats = parseStats(statsOutput);
      expect(stats.get('Filesystem magic number')).toBe('0xEF53');
      expect(stats.get('Filesystem revision #')).toBe('1 (dynamic)');
      expect(stats.get('Filesystem features')).toBe('filetype sparse_super large_file');
      expect(stats.get('Filesystem state')).toBe('clean');
      expect(Number(stats.get('Block size'))).toBe(layout.blockSize);
      expect(Number(stats.get('Inode size'))).toBe(layout.inodeSize);
      expect(Number(stats.get('Block count'))).toBe(layout.blocks);
      expect(Number(stats.get('Inode count'))).toBe(result.inodes);
      expect(Number(stats.get('Inodes per group'))).toBe(result.inodesPerGroup);
      expect(Number(stats.get('Blocks per group'))).toBe(8 * layout.blockSize);
      expect(Number(stats.get('First block'))).toBe(layout.blockSize === 1024 ? 1 : 0);
      expect(Number(stats.get('First inode'))).toBe(11);
      expect(Number(stats.get('Reserved block count'))).toBe(Math.floor(layout.blocks * 0.05));
      expect(Number(stats.get('Directories'))).toBe(2);
      expect(groupLines(statsOutput)).toHaveLength(layout.groups);

      // mke2fs, asked for the same layout, makes the same geometry and the same free counts.
      const reference = mke2fs(Math.floor(layout.bytes / KiB), [
        '-b',
        String(layout.blockSize),
        '-I',
        String(layout.inodeSize),
        '-i',
        '16384',
        '-m',
        '5',
        '-O',
        '^resize_inode,^dir_index,^ext_attr',
      ]);
      const [referenceOutput = '', referenceLostFound = '', referenceRoot = ''] = debugfsEach(reference, [
        'stats',
        'stat <11>',
        'stat <2>',
      ]);
      const referenceStats = parseStats(referenceOutput);
      for (const field of [
        'Filesystem features',
        'Block count',
        'Inode count',
        'Inodes per group',
        'Inode blocks per group',
        'Free blocks',
        'Free inodes',
        'Reserved block count',
        'First block',
      ]) {
        expect(stats.get(field), field).toBe(referenceStats.get(field));
      }
      expect(groupLines(statsOutput)).toEqual(groupLines(referenceOutput));

      // The root is inode 2 and lost+found inode 11, as mke2fs makes them.
      expect(listing).toMatch(/\b2\s+\(12\)\s+\.\s/);
      expect(listing).toMatch(/\b11\s+\(\d+\)\s+lost\+found/);
      const lostFound = parseInodeStat(lostFoundStat);
      expect(lostFound).toEqual(parseInodeStat(referenceLostFound));
      expect(lostFound.type).toBe('directory');
      expect(lostFound.mode).toBe(0o700);
      expect(parseInodeStat(rootStat)).toEqual(parseInodeStat(referenceRoot));

      // sparse_super: backups in groups 0, 1 and the powers of 3, 5 and 7, and nowhere else.
      const bs = layout.blockSize;
      const firstDataBlock = bs === 1024 ? 1 : 0;
      const primary = image.subarray(1024, 2048);
      const descriptorBytes = layout.groups * 32;
      const primaryDescriptors = image.subarray(
        (firstDataBlock + 1) * bs,
        (firstDataBlock + 1) * bs + descriptorBytes,
      );
      let lastBackup = 0;
      for (let g = 1; g < layout.groups; g++) {
        const start = (firstDataBlock + g * 8 * bs) * bs;
        const copy = image.subarray(start, start + 1024);
        if (isBackupGroup(g)) {
          expect(u16(copy, 56), `group ${g} has a backup superblock`).toBe(0xef53);
          expect(u16(copy, 90), `group ${g}'s backup knows its group`).toBe(g);
          // Apart from the fields that change with use (which backups do not follow, in Linux either)
          // and s_block_group_nr, the backup is the primary.
          expect(stableFields(copy)).toEqual(stableFields(primary));
          // The descriptor table's copy places every group's bitmaps and inode table as the primary does.
          expect(descriptorLocations(image.subarray(start + bs, start + bs + descriptorBytes))).toEqual(
            descriptorLocations(primaryDescriptors),
          );
          lastBackup = g;
        } else {
          expect(u16(copy, 56), `group ${g} has no backup`).not.toBe(0xef53);
        }
      }

      if (lastBackup > 0) {
        // e2fsck can check the whole file system from the last backup, and finds it exact.
        const fromBackup = e2fsck(image, [
          '-b',
          String(firstDataBlock + lastBackup * 8 * bs),
          '-B',
          String(bs),
        ]);
        expect(fromBackup.status, fromBackup.output).toBe(0);
      }

      // And the file system itself mounts it and sees the same.
      const fs = Ext2FileSystem.mount(device, { readOnly: true });
      expect(fs.resolve('/')).toBe(2);
      expect(fs.rootIno).toBe(2);
      expect(fs.resolve('/lost+found')).toBe(11);
      expect(fs.readdir(2)).toEqual([{ name: 'lost+found', ino: 11, type: 2 }]);
      expect(fs.readdir(11)).toEqual([]);
      const root = fs.stat(2);
      expect(root.mode).toBe(0o40755);
      expect(root.links).toBe(3);
      const statfs = fs.statfs();
      expect(statfs.blocks).toBe(layout.blocks);
      expect(statfs.freeBlocks).toBe(Number(stats.get('Free blocks')));
      expect(statfs.freeInodes).toBe(Number(stats.get('Free inodes')));
      expect(statfs.inodes).toBe(result.inodes);
    });
  }

  it('makes the smallest file system it accepts (64 blocks) and e2fsck passes it', () => {
    for (const blockSize of [1024, 4096]) {
      const device = new MemoryBlockBackend(new Uint8Array(64 * blockSize));
      const result = mkfs(device, { blockSize });
      expect(result.blocks).toBe(64);
      const fsck = e2fsck(device.bytes);
      expect(fsck.status, fsck.output).toBe(0);
      expect(Number(parseStats(debugfs(device.bytes, ['stats'])).get('Block count'))).toBe(64);
    }
  });

  it('records the label, the time, the reserved percentage and the bytes-per-inode ratio it is given', () => {
    const options: MkfsOptions = {
      blockSize: 2048,
      inodeSize: 128,
      bytesPerInode: 4096,
      reservedPercent: 10,
      label: 'exov6-volume',
      time: 1_650_000_000,
      seed: 7,
    };
    const device = new MemoryBlockBackend(new Uint8Array(6 * MiB));
    const result = mkfs(device, options);
    expect(e2fsck(device.bytes).status).toBe(0);
    const stats = parseStats(debugfs(device.bytes, ['stats']));
    expect(stats.get('Filesystem volume name')).toBe('exov6-volume');
    expect(Number(stats.get('Reserved block count'))).toBe(Math.floor(result.blocks / 10));
    expect(Number(stats.get('Inode count'))).toBe(result.inodes);
    expect(result.inodes).toBe((6 * MiB) / 4096);
    const fs = Ext2FileSystem.mount(device, { readOnly: true });
    expect(fs.stat(2).mtime).toBe(1_650_000_000);
    expect(fs.stat(11).ctime).toBe(1_650_000_000);
    // The same layout from mke2fs.
    const reference = parseStats(
      debugfs(
        mke2fs(6 * 1024, [
          '-b',
          '2048',
          '-I',
          '128',
          '-i',
          '4096',
          '-m',
          '10',
          '-O',
          '^resize_inode,^dir_index,^ext_attr',
        ]),
        ['stats'],
      ),
    );
    for (const field of [
      'Block count',
      'Inode count',
      'Free blocks',
      'Free inodes',
      'Reserved block count',
    ]) {
      expect(stats.get(field), field).toBe(reference.get(field));
    }
  });
});

describe('mkfs is deterministic', () => {
  it('makes byte-identical images from the same options, and a seed changes only the UUID', () => {
    const make = (options: MkfsOptions, bytes = 20 * MiB): Uint8Array => {
      const device = new MemoryBlockBackend(new Uint8Array(bytes));
      mkfs(device, options);
      return device.bytes;
    };
    for (const options of [
      {},
      { blockSize: 1024, inodeSize: 128 },
      { blockSize: 4096, inodeSize: 256, seed: 99, time: 1_234_567_890, label: 'x' },
    ] satisfies MkfsOptions[]) {
      const a = make(options);
      const b = make(options);
      expect(Buffer.from(a).equals(Buffer.from(b)), JSON.stringify(options)).toBe(true);
    }
    const a = make({ seed: 1 });
    const b = make({ seed: 2 });
    const differing: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing.push(i);
    expect(differing.length).toBeGreaterThan(0);
    // Only UUID bytes (offset 104..119 of the primary superblock and of each backup) differ.
    for (const at of differing) {
      const withinSuperblock = at < 8193 * 1024 ? at - 1024 : (at - 1024) % (8192 * 1024);
      expect(withinSuperblock >= 104 && withinSuperblock < 120, `byte ${at}`).toBe(true);
    }
  });
});

describe('mkfs refuses', () => {
  it('devices too small for 64 blocks (ENOSPC)', () => {
    for (const [bytes, blockSize] of [
      [0, 1024],
      [2048, 1024],
      [63 * 1024, 1024],
      [64 * 1024 - 1, 1024],
      [63 * 4096, 4096],
      [100 * 1024, 2048],
    ] as const) {
      const device = new MemoryBlockBackend(new Uint8Array(bytes));
      const error = expectExt2Error(() => mkfs(device, { blockSize }), 'ENOSPC');
      expect(error.message).toMatch(/too small/);
      expect(device.bytes.every((b) => b === 0)).toBe(true);
    }
  });

  it('options out of range (EINVAL), before writing anything', () => {
    const bad: [MkfsOptions, RegExp][] = [
      [{ blockSize: 512 }, /block size 512/],
      [{ blockSize: 8192 }, /block size 8192/],
      [{ blockSize: 3000 }, /block size 3000/],
      [{ inodeSize: 64 }, /inode size 64/],
      [{ inodeSize: 512 }, /inode size 512/],
      [{ inodeSize: 200 }, /inode size 200/],
      [{ bytesPerInode: 512 }, /bytes per inode 512/],
      [{ blockSize: 4096, bytesPerInode: 2048 }, /bytes per inode 2048/],
      [{ bytesPerInode: Number.NaN }, /bytes per inode/],
      [{ bytesPerInode: 5000.5 }, /bytes per inode/],
      [{ reservedPercent: -1 }, /reserved/],
      [{ reservedPercent: 51 }, /reserved/],
      [{ reservedPercent: Number.NaN }, /reserved/],
    ];
    for (const [options, message] of bad) {
      const device = new MemoryBlockBackend(new Uint8Array(256 * KiB));
      const error = expectExt2Error(() => mkfs(device, options), 'EINVAL');
      expect(error.message).toMatch(message);
      expect(
        device.bytes.every((b) => b === 0),
        JSON.stringify(options),
      ).toBe(true);
    }
  });

  it('a read-only device (READ_ONLY)', () => {
    const device = new MemoryBlockBackend(new Uint8Array(2 * MiB), { readOnly: true });
    expectExt2Error(() => mkfs(device), 'READ_ONLY');
    expect(device.bytes.every((b) => b === 0)).toBe(true);
  });
});
