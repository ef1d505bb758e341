/**
 * Making an ext2 file system: the layout mke2fs gives an ext2 image (revision 1, sparse_super, large_file,
 * filetype), without resize_inode, dir_index or ext_attr, on any device of at least 64 blocks.
 *
 * Each block group holds, in order: a superblock and descriptor-table copy when it is group 0, 1 or a
 * power of 3, 5 or 7 (sparse_super); its block bitmap; its inode bitmap; its inode table; then data.
 * Bits of the bitmaps past the end of the group (the last group may be short) are set, as e2fsck expects.
 * The root directory is inode 2 and lost+found inode 11, with the blocks mke2fs gives it so that e2fsck can
 * reconnect files there without allocating. Everything is deterministic: the UUID comes from `seed`, the
 * times from `time`.
 */
import type { BlockBackend } from '@exov6/hal-x86';
import { Ext2FileSystem } from './ext2-file-system';
import { refuse } from './ext2-error';
import { encodeGroupDescriptor, GROUP_DESCRIPTOR_SIZE, type GroupDescriptor } from './group-descriptor';
import { emptyInode, encodeInode, ROOT_INO, S_IFDIR } from './inode-record';
import {
  EXT2_DYNAMIC_REV,
  EXT2_GOOD_OLD_FIRST_INO,
  EXT2_MAGIC,
  EXT2_VALID_FS,
  INCOMPAT,
  isSparseBackupGroup,
  RO_COMPAT,
  SUPERBLOCK_OFFSET,
  Superblock,
} from './superblock';

export interface MkfsOptions {
  /** 1024, 2048 or 4096 (default: 1024 below 512 MiB, else 4096, as mke2fs). */
  blockSize?: number;
  /** 128 or 256 (default 256). */
  inodeSize?: number;
  /** One inode per this many bytes of the device (default 16384, mke2fs's inode_ratio). */
  bytesPerInode?: number;
  /** Percentage of blocks reserved for the superuser (default 5). */
  reservedPercent?: number;
  /** Volume label (up to 16 bytes). */
  label?: string;
  /** Seconds since the epoch for every time the new file system records (default 0). */
  time?: number;
  /** Seeds the UUID (default 0). */
  seed?: number;
}

export interface MkfsResult {
  blocks: number;
  blockSize: number;
  groups: number;
  inodes: number;
  inodesPerGroup: number;
}

export function mkfs(device: BlockBackend, options: MkfsOptions = {}): MkfsResult {
  if (device.readOnly) refuse('READ_ONLY', 'mkfs on a read-only device');
  const blockSize = options.blockSize ?? (device.size < 512 * 2 ** 20 ? 1024 : 4096);
  if (blockSize !== 1024 && blockSize !== 2048 && blockSize !== 4096) {
    refuse('EINVAL', `block size ${blockSize} (1024, 2048 or 4096)`);
  }
  const inodeSize = options.inodeSize ?? 256;
  if (inodeSize !== 128 && inodeSize !== 256) refuse('EINVAL', `inode size ${inodeSize} (128 or 256)`);
  const bytesPerInode = options.bytesPerInode ?? 16384;
  if (!Number.isInteger(bytesPerInode) || bytesPerInode < blockSize) {
    refuse('EINVAL', `bytes per inode ${bytesPerInode} (at least one block)`);
  }
  const reservedPercent = options.reservedPercent ?? 5;
  if (!(reservedPercent >= 0 && reservedPercent <= 50)) refuse('EINVAL', `reserved ${reservedPercent}%`);
  const time = options.time ?? 0;

  const firstDataBlock = blockSize === 1024 ? 1 : 0;
  const blocksPerGroup = 8 * blockSize;
  let blocks = Math.min(Math.floor(device.size / blockSize), 0xffffffff);
  if (blocks < 64)
    refuse('ENOSPC', `a ${device.size}-byte device is too small for ext2 (64 blocks at least)`);
  const inodesPerTableBlock = blockSize / inodeSize;

  // Geometry: groups, inodes per group (whole inode-table blocks, a multiple of 8, at most one bitmap).
  let groups = 0;
  let inodesPerGroup = 0;
  let tableBlocks = 0;
  let descriptorBlocks = 0;
  for (;;) {
    groups = Math.ceil((blocks - firstDataBlock) / blocksPerGroup);
    const wanted = Math.max(Math.floor((blocks * blockSize) / bytesPerInode), EXT2_GOOD_OLD_FIRST_INO + 5);
    inodesPerGroup = Math.ceil(wanted / groups);
    const unit = Math.max(8, inodesPerTableBlock);
    inodesPerGroup = Math.min(Math.ceil(inodesPerGroup / unit) * unit, 8 * blockSize);
    tableBlocks = (inodesPerGroup * inodeSize) / blockSize;
    descriptorBlocks = Math.ceil((groups * GROUP_DESCRIPTOR_SIZE) / blockSize);
    // A last group too small for its own metadata and some data is dropped, as mke2fs does.
    const lastBlocks = blocks - firstDataBlock - (groups - 1) * blocksPerGroup;
    const lastOverhead = (isSparseBackupGroup(groups - 1) ? 1 + descriptorBlocks : 0) + 2 + tableBlocks;
    if (groups > 1 && lastBlocks < lastOverhead + 50) {
      blocks = firstDataBlock + (groups - 1) * blocksPerGroup;
      continue;
    }
    if (lastBlocks < lastOverhead + 16) refuse('ENOSPC', `${blocks} blocks leave no room for data`);
    break;
  }

  const sb = new Superblock();
  sb.inodesCount = groups * inodesPerGroup;
  sb.blocksCount = blocks;
  sb.reservedBlocksCount = Math.floor((blocks * reservedPercent) / 100);
  sb.firstDataBlock = firstDataBlock;
  sb.logBlockSize = Math.log2(blockSize) - 10;
  sb.logClusterSize = sb.logBlockSize;
  sb.blocksPerGroup = blocksPerGroup;
  sb.clustersPerGroup = blocksPerGroup;
  sb.inodesPerGroup = inodesPerGroup;
  sb.writeTime = time;
  sb.maxMountCount = -1;
  sb.magic = EXT2_MAGIC;
  sb.state = EXT2_VALID_FS;
  sb.errors = 1; // continue
  sb.lastCheck = time;
  sb.revLevel = EXT2_DYNAMIC_REV;
  sb.firstIno = EXT2_GOOD_OLD_FIRST_INO;
  sb.inodeSize = inodeSize;
  sb.featureIncompat = INCOMPAT.filetype;
  sb.featureRoCompat = RO_COMPAT.sparse_super | RO_COMPAT.large_file;
  sb.uuid.set(uuidFromSeed(options.seed ?? 0));
  sb.volumeName = options.label ?? '';
  sb.mkfsTime = time;
  if (inodeSize > 128) {
    sb.minExtraIsize = 32;
    sb.wantExtraIsize = 32;
  }

  const zero = new Uint8Array(blockSize);
  const writeBlock = (n: number, data: Uint8Array): void => device.write(n * blockSize, data);
  const descriptors: GroupDescriptor[] = [];
  let freeBlocksTotal = 0;
  for (let g = 0; g < groups; g++) {
    const start = firstDataBlock + g * blocksPerGroup;
    const count = Math.min(blocksPerGroup, blocks - start);
    const overhead = (isSparseBackupGroup(g) ? 1 + descriptorBlocks : 0) + 2 + tableBlocks;
    const blockBitmap = start + (isSparseBackupGroup(g) ? 1 + descriptorBlocks : 0);
    const d: GroupDescriptor = {
      blockBitmap,
      inodeBitmap: blockBitmap + 1,
      inodeTable: blockBitmap + 2,
      freeBlocks: count - overhead,
      freeInodes: inodesPerGroup,
      usedDirs: 0,
      rest: new Uint8Array(GROUP_DESCRIPTOR_SIZE - 18),
    };
    const bitmap = new Uint8Array(blockSize);
    for (let b = 0; b < overhead; b++) setBit(bitmap, b);
    for (let b = count; b < 8 * blockSize; b++) setBit(bitmap, b);
    writeBlock(d.blockBitmap, bitmap);
    const inodeBitmap = new Uint8Array(blockSize);
    for (let i = inodesPerGroup; i < 8 * blockSize; i++) setBit(inodeBitmap, i);
    if (g === 0) {
      // Inodes 1..10 are reserved (1 bad blocks, 2 root, ... 11 is the first ordinary one).
      for (let i = 0; i < EXT2_GOOD_OLD_FIRST_INO - 1; i++) setBit(inodeBitmap, i);
      d.freeInodes -= EXT2_GOOD_OLD_FIRST_INO - 1;
    }
    writeBlock(d.inodeBitmap, inodeBitmap);
    for (let t = 0; t < tableBlocks; t++) writeBlock(d.inodeTable + t, zero);
    freeBlocksTotal += d.freeBlocks;
    descriptors.push(d);
  }
  sb.freeBlocksCount = freeBlocksTotal;
  sb.freeInodesCount = groups * inodesPerGroup - (EXT2_GOOD_OLD_FIRST_INO - 1);

  // The root directory's inode, without its block yet: the file system allocates that below.
  const rootRecord = emptyInode();
  rootRecord.mode = S_IFDIR | 0o755;
  rootRecord.atime = rootRecord.ctime = rootRecord.mtime = time;
  rootRecord.links = 2;
  rootRecord.extraIsize = inodeSize > 128 ? 32 : 0;
  const rootTable = new Uint8Array(blockSize);
  encodeInode(rootRecord, rootTable, (ROOT_INO - 1) * inodeSize, inodeSize);
  writeBlock((descriptors[0] as GroupDescriptor).inodeTable, rootTable);
  (descriptors[0] as GroupDescriptor).usedDirs = 1;

  // Superblock and descriptor table into every group that has a copy; block 0's boot sector is zeroed.
  const table = new Uint8Array(descriptorBlocks * blockSize);
  for (const [g, d] of descriptors.entries()) encodeGroupDescriptor(d, table, g * GROUP_DESCRIPTOR_SIZE);
  if (firstDataBlock === 1) writeBlock(0, zero);
  for (let g = 0; g < groups; g++) {
    if (!isSparseBackupGroup(g)) continue;
    const start = firstDataBlock + g * blocksPerGroup;
    sb.blockGroupNr = g;
    const first = new Uint8Array(blockSize);
    if (g === 0) {
      first.set(sb.bytes, SUPERBLOCK_OFFSET - firstDataBlock * blockSize);
    } else {
      first.set(sb.bytes, 0);
    }
    writeBlock(start, first);
    for (let i = 0; i < descriptorBlocks; i++) {
      writeBlock(start + 1 + i, table.subarray(i * blockSize, (i + 1) * blockSize));
    }
  }
  device.flush();

  // The root's block and lost+found through the file system itself.
  const fs = Ext2FileSystem.mount(device, { clock: () => time });
  fs.initializeRoot();
  // The backups get the final free counts too, as mke2fs's do (e2fsck -b checks from them).
  fs.volume.writeBackupSuperblocks();
  fs.unmount();
  return { blocks, blockSize, groups, inodes: groups * inodesPerGroup, inodesPerGroup };
}

function setBit(bitmap: Uint8Array, i: number): void {
  bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
}

/** A version-4-shaped UUID from a 32-bit seed (splitmix32), so the same seed makes the same image. */
function uuidFromSeed(seed: number): Uint8Array {
  const out = new Uint8Array(16);
  let s = seed >>> 0;
  for (let i = 0; i < 16; i += 4) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    out[i] = z & 0xff;
    out[i + 1] = (z >>> 8) & 0xff;
    out[i + 2] = (z >>> 16) & 0xff;
    out[i + 3] = z >>> 24;
  }
  out[6] = ((out[6] as number) & 0x0f) | 0x40;
  out[8] = ((out[8] as number) & 0x3f) | 0x80;
  return out;
}
