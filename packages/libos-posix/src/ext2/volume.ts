/**
 * An opened ext2 volume: the superblock, the group descriptor table, the buffer cache in front of the
 * device, reading and writing inodes, and allocating and freeing blocks and inodes through the groups'
 * bitmaps with every free count (group and superblock) kept exact, as e2fsck checks them.
 *
 * The superblock and the descriptor table live decoded in memory; `writeMetadata()` puts them back into
 * their blocks in the cache (the primary copies: backups are written by mkfs and when a feature bit
 * changes, as Linux does).
 */
import type { BlockBackend } from '@exov6/hal-x86';
import { BufferCache } from './buffer-cache';
import { corrupt, refuse } from './ext2-error';
import {
  decodeGroupDescriptor,
  encodeGroupDescriptor,
  GROUP_DESCRIPTOR_SIZE,
  type GroupDescriptor,
} from './group-descriptor';
import { decodeInode, encodeInode, type InodeRecord } from './inode-record';
import type { Ext2Journal } from './journal';
import {
  EXT2_VALID_FS,
  featureNames,
  INCOMPAT,
  RO_COMPAT,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  Superblock,
  SUPPORTED_INCOMPAT,
  SUPPORTED_RO_COMPAT,
} from './superblock';

export interface VolumeOptions {
  /** Mount read-only even when the image could be written. */
  readOnly?: boolean;
  /** Seconds since the epoch, for inode and superblock times (default: the host's clock). */
  clock?: () => number;
  /** Blocks the buffer cache keeps between operations (default 4096). */
  cacheBlocks?: number;
  /**
   * Where each operation's metadata changes are committed before they may reach the device (see
   * journal.ts). The journal must already have been replayed onto the device.
   */
  journal?: Ext2Journal;
}

export class Ext2Volume {
  readonly sb: Superblock;
  readonly groups: GroupDescriptor[];
  readonly cache: BufferCache;
  readonly blockSize: number;
  readonly inodeSize: number;
  readonly inodesPerGroup: number;
  readonly blocksPerGroup: number;
  readonly firstDataBlock: number;
  readonly groupCount: number;
  /** Block pointers in an indirect block. */
  readonly pointersPerBlock: number;
  /** Why the volume is read-only (null when it is writable). */
  readonly readOnlyReason: string | null;
  readonly clock: () => number;
  readonly journal: Ext2Journal | null;
  private metadataDirty = false;
  private nextGeneration = 0;

  constructor(
    readonly device: BlockBackend,
    options: VolumeOptions = {},
  ) {
    if (device.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      corrupt(`the image is ${device.size} bytes, too small to hold a superblock`);
    }
    const raw = new Uint8Array(SUPERBLOCK_SIZE);
    device.read(SUPERBLOCK_OFFSET, raw);
    const sb = new Superblock(raw);
    sb.validate(device.size);
    const incompat = sb.featureIncompat & ~SUPPORTED_INCOMPAT;
    if (incompat !== 0) {
      refuse(
        'UNSUPPORTED',
        `cannot mount: incompatible features not supported: ${featureNames(INCOMPAT, incompat).join(', ')}`,
      );
    }
    this.sb = sb;
    this.blockSize = sb.blockSize;
    this.inodeSize = sb.inodeSize;
    this.inodesPerGroup = sb.inodesPerGroup;
    this.blocksPerGroup = sb.blocksPerGroup;
    this.firstDataBlock = sb.firstDataBlock;
    this.groupCount = sb.groupCount;
    this.pointersPerBlock = this.blockSize / 4;
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    const roCompat = sb.featureRoCompat & ~SUPPORTED_RO_COMPAT;
    this.readOnlyReason =
      roCompat !== 0
        ? `read-only-compatible features not supported: ${featureNames(RO_COMPAT, roCompat).join(', ')}`
        : device.readOnly
          ? 'the device is read-only'
          : options.readOnly === true
            ? 'mounted read-only'
            : null;
    this.cache = new BufferCache(device, this.blockSize, options.cacheBlocks ?? 4096, sb.blocksCount);
    this.journal = this.readOnlyReason === null ? (options.journal ?? null) : null;
    this.cache.journaling = this.journal !== null;
    this.groups = this.readGroupDescriptors();
  }

  /** Directory entries carry the file's type (the filetype feature). */
  get fileTypes(): boolean {
    return (this.sb.featureIncompat & INCOMPAT.filetype) !== 0;
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== null;
  }

  /** Throws READ_ONLY (EROFS) with the reason when the volume cannot be written. */
  checkWritable(): void {
    if (this.readOnlyReason !== null) refuse('READ_ONLY', this.readOnlyReason);
  }

  private readGroupDescriptors(): GroupDescriptor[] {
    const perBlock = this.blockSize / GROUP_DESCRIPTOR_SIZE;
    const groups: GroupDescriptor[] = [];
    const first = this.firstDataBlock + 1;
    for (let g = 0; g < this.groupCount; g++) {
      const block = this.cache.get(first + Math.floor(g / perBlock));
      const d = decodeGroupDescriptor(block, (g % perBlock) * GROUP_DESCRIPTOR_SIZE);
      const blocks = this.sb.blocksCount;
      const tableBlocks = (this.inodesPerGroup * this.inodeSize) / this.blockSize;
      if (d.blockBitmap >= blocks || d.inodeBitmap >= blocks || d.inodeTable + tableBlocks > blocks) {
        corrupt(`group ${g}'s bitmaps or inode table lie outside the file system`);
      }
      if (d.blockBitmap < first || d.inodeBitmap < first || d.inodeTable < first) {
        corrupt(`group ${g}'s bitmaps or inode table overlap the superblock`);
      }
      groups.push(d);
    }
    return groups;
  }

  /** Number of blocks in group `g` (the last group may be shorter). */
  blocksInGroup(g: number): number {
    if (g < this.groupCount - 1) return this.blocksPerGroup;
    return this.sb.blocksCount - this.firstDataBlock - g * this.blocksPerGroup;
  }

  groupOfBlock(n: number): number {
    return Math.floor((n - this.firstDataBlock) / this.blocksPerGroup);
  }

  groupOfInode(ino: number): number {
    return Math.floor((ino - 1) / this.inodesPerGroup);
  }

  /** The first block of group `g`. */
  groupStart(g: number): number {
    return this.firstDataBlock + g * this.blocksPerGroup;
  }

  // ------------------------------------------------------------------ inodes

  private inodeSlot(ino: number): { block: number; offset: number } {
    if (!Number.isInteger(ino) || ino < 1 || ino > this.sb.inodesCount) {
      corrupt(`inode number ${ino} is outside 1..${this.sb.inodesCount}`);
    }
    const g = this.groupOfInode(ino);
    const byte = ((ino - 1) % this.inodesPerGroup) * this.inodeSize;
    const d = this.groups[g] as GroupDescriptor;
    return { block: d.inodeTable + Math.floor(byte / this.blockSize), offset: byte % this.blockSize };
  }

  readInode(ino: number): InodeRecord {
    const { block, offset } = this.inodeSlot(ino);
    return decodeInode(this.cache.get(block), offset, this.inodeSize);
  }

  writeInode(ino: number, record: InodeRecord): void {
    const { block, offset } = this.inodeSlot(ino);
    encodeInode(record, this.cache.get(block), offset, this.inodeSize);
    this.cache.markDirty(block, false, offset, this.inodeSize);
  }

  /** Zeroes an inode's whole slot (a new inode starts from nothing, its extra space included). */
  clearInodeSlot(ino: number): void {
    const { block, offset } = this.inodeSlot(ino);
    this.cache.get(block).fill(0, offset, offset + this.inodeSize);
    this.cache.markDirty(block, false, offset, this.inodeSize);
  }

  /**
   * i_generation for a new inode. Numbers differ from one mount to the next (the mount count is in the
   * high bits), so a handle (inode, generation) kept across a server restart never names a newer file
   * that reuses the inode.
   */
  newGeneration(): number {
    this.nextGeneration = (this.nextGeneration + 1) & 0xffff;
    return ((this.sb.mountCount & 0xffff) * 0x10000 + this.nextGeneration) >>> 0;
  }

  // ------------------------------------------------------------------ allocation

  /** A free block, as close after `goal` as possible (same group first); ENOSPC when there is none. */
  allocateBlock(goal: number): number {
    const start = goal >= this.firstDataBlock && goal < this.sb.blocksCount ? goal : this.firstDataBlock;
    const g0 = this.groupOfBlock(start);
    for (let i = 0; i <= this.groupCount; i++) {
      const g = (g0 + i) % this.groupCount;
      const d = this.groups[g] as GroupDescriptor;
      if (d.freeBlocks === 0) continue;
      const from = i === 0 ? start - this.groupStart(g) : 0;
      const bit = this.claimBit(d.blockBitmap, this.blocksInGroup(g), from, `group ${g}'s block bitmap`);
      if (bit < 0) corrupt(`group ${g} counts ${d.freeBlocks} free blocks, its bitmap none`);
      d.freeBlocks--;
      this.sb.freeBlocksCount = this.sb.freeBlocksCount - 1;
      this.metadataDirty = true;
      return this.groupStart(g) + bit;
    }
    refuse('ENOSPC', 'no free blocks');
  }

  freeBlock(n: number): void {
    if (n < this.firstDataBlock || n >= this.sb.blocksCount)
      corrupt(`freeing block ${n}, outside the file system`);
    const g = this.groupOfBlock(n);
    const d = this.groups[g] as GroupDescriptor;
    // A damaged block pointer must not give the group's own metadata back to the allocator (Linux:
    // "Freeing blocks in system zones").
    const tableBlocks = (this.inodesPerGroup * this.inodeSize) / this.blockSize;
    if (n === d.blockBitmap || n === d.inodeBitmap || (n >= d.inodeTable && n < d.inodeTable + tableBlocks)) {
      corrupt(`freeing block ${n}, which holds group ${g}'s bitmaps or inode table`);
    }
    this.releaseBit(d.blockBitmap, n - this.groupStart(g), `block ${n}`);
    this.cache.forget(n);
    d.freeBlocks++;
    this.sb.freeBlocksCount = this.sb.freeBlocksCount + 1;
    this.metadataDirty = true;
  }

  /**
   * A free inode. Directories go to a group with at least the average number of free inodes and the most
   * free blocks (spreading the tree out); other files to their directory's group, or the next with room.
   * `spread: false` places a directory like a file.
   */
  allocateInode(parentIno: number, directory: boolean, spread = directory): number {
    const order: number[] = [];
    if (spread) {
      const average = this.sb.freeInodesCount / this.groupCount;
      const candidates = this.groups
        .map((d, g) => ({ d, g }))
        .filter(({ d }) => d.freeInodes > 0 && d.freeInodes >= average)
        .sort((a, b) => b.d.freeBlocks - a.d.freeBlocks || a.g - b.g);
      order.push(...candidates.map(({ g }) => g));
    }
    const home = this.groupOfInode(parentIno);
    for (let i = 0; i < this.groupCount; i++) order.push((home + i) % this.groupCount);
    for (const g of order) {
      const d = this.groups[g] as GroupDescriptor;
      if (d.freeInodes === 0) continue;
      // Inodes below s_first_ino are reserved: start the search past them in group 0.
      const from = g === 0 ? Math.min(this.sb.firstIno - 1, this.inodesPerGroup) : 0;
      const bit = this.claimBit(d.inodeBitmap, this.inodesPerGroup, from, `group ${g}'s inode bitmap`, false);
      if (bit < 0) continue;
      d.freeInodes--;
      if (directory) d.usedDirs++;
      this.sb.freeInodesCount = this.sb.freeInodesCount - 1;
      this.metadataDirty = true;
      return g * this.inodesPerGroup + bit + 1;
    }
    refuse('ENOSPC', 'no free inodes');
  }

  freeInode(ino: number, directory: boolean): void {
    const g = this.groupOfInode(ino);
    const d = this.groups[g] as GroupDescriptor;
    this.releaseBit(d.inodeBitmap, (ino - 1) % this.inodesPerGroup, `inode ${ino}`);
    d.freeInodes++;
    if (directory) d.usedDirs--;
    this.sb.freeInodesCount = this.sb.freeInodesCount + 1;
    this.metadataDirty = true;
  }

  /**
   * Sets the first clear bit at or after `from` (wrapping round to 0 when `wrap`) among the first `bits`
   * bits of bitmap block `block`; returns its index, or -1 when all are set.
   */
  private claimBit(block: number, bits: number, from: number, what: string, wrap = true): number {
    const map = this.cache.get(block);
    if (bits > 8 * this.blockSize) corrupt(`${what}: ${bits} bits in one block`);
    const find = (lo: number, hi: number): number => {
      let i = lo;
      while (i < hi) {
        const byte = map[i >> 3] as number;
        if (byte === 0xff && (i & 7) === 0 && i + 8 <= hi) {
          i += 8;
          continue;
        }
        if ((byte & (1 << (i & 7))) === 0) return i;
        i++;
      }
      return -1;
    };
    let bit = find(from, bits);
    if (bit < 0 && wrap && from > 0) bit = find(0, Math.min(from, bits));
    if (bit < 0) return -1;
    map[bit >> 3] = (map[bit >> 3] as number) | (1 << (bit & 7));
    this.cache.markDirty(block, false, bit >> 3, 1);
    return bit;
  }

  private releaseBit(block: number, bit: number, what: string): void {
    const map = this.cache.get(block);
    const mask = 1 << (bit & 7);
    if (((map[bit >> 3] as number) & mask) === 0) corrupt(`${what} is freed but was not in use`);
    map[bit >> 3] = (map[bit >> 3] as number) & ~mask;
    this.cache.markDirty(block, false, bit >> 3, 1);
  }

  // ------------------------------------------------------------------ metadata

  /** Turns on a read-only-compatible feature (large_file when a file first passes 2 GiB). */
  enableRoCompat(bit: number): void {
    if ((this.sb.featureRoCompat & bit) !== 0) return;
    this.sb.featureRoCompat = this.sb.featureRoCompat | bit;
    this.metadataDirty = true;
    this.writeBackupSuperblocks();
  }

  markMetadataDirty(): void {
    this.metadataDirty = true;
  }

  /** Copies the superblock and descriptor table into their primary blocks in the cache. */
  writeMetadata(): void {
    if (!this.metadataDirty || this.readOnly) return;
    this.sb.writeTime = this.clock();
    this.putSuperblock(0);
    this.putDescriptors(this.firstDataBlock + 1);
    this.metadataDirty = false;
  }

  /** Writes the superblock (and descriptor table) into every group that holds a backup. */
  writeBackupSuperblocks(): void {
    for (let g = 1; g < this.groupCount; g++) {
      if (!this.sb.groupHasSuperblock(g)) continue;
      this.putSuperblock(g);
      this.putDescriptors(this.groupStart(g) + 1);
    }
  }

  private putSuperblock(group: number): void {
    const byte = group === 0 ? SUPERBLOCK_OFFSET : this.groupStart(group) * this.blockSize;
    const block = Math.floor(byte / this.blockSize);
    const data = this.cache.get(block);
    const saved = this.sb.blockGroupNr;
    this.sb.blockGroupNr = group;
    // Only the bytes that differ are reported changed (most writes change a count and a time), so a
    // journal logs a few words of the superblock rather than all of it.
    const at = byte % this.blockSize;
    const bytes = this.sb.bytes;
    const [first, last] = changedRange(data.subarray(at, at + bytes.length), bytes);
    data.set(bytes, at);
    this.sb.blockGroupNr = saved;
    if (last > first) this.cache.markDirty(block, false, at + first, last - first);
  }

  private putDescriptors(firstBlock: number): void {
    const perBlock = this.blockSize / GROUP_DESCRIPTOR_SIZE;
    for (let g = 0; g < this.groupCount; g++) {
      const block = firstBlock + Math.floor(g / perBlock);
      encodeGroupDescriptor(
        this.groups[g] as GroupDescriptor,
        this.cache.get(block),
        (g % perBlock) * GROUP_DESCRIPTOR_SIZE,
      );
      this.cache.markDirty(block, false, (g % perBlock) * GROUP_DESCRIPTOR_SIZE, GROUP_DESCRIPTOR_SIZE);
    }
  }

  /** Writes every change to the device and flushes it (under a journal, a checkpoint). */
  sync(): void {
    if (this.readOnly) return;
    this.writeMetadata();
    // What the operation so far changed is committed first, so a crash during the write-back is
    // repaired by replaying the journal.
    if (this.journal !== null && !this.cache.commit(this.journal)) this.unjournaled(this.journal);
    this.cache.sync();
    this.journal?.checkpointed();
  }

  /**
   * Changes too large for the journal: its committed blocks go to the disk first, from the journal itself
   * (the cache holds them changed again by this operation), and the log is emptied; then the cache's
   * blocks may be written back without it.
   */
  private unjournaled(journal: Ext2Journal): void {
    journal.applyTo(this.device);
    this.cache.clearPending();
  }

  /**
   * The end of an outermost operation: under a journal its changes are committed (a checkpoint when the
   * journal asks for one, or when the changes do not fit it: then they are written back at once); then
   * the cache trims itself, which only ever writes committed blocks.
   */
  endOperation(): void {
    if (this.journal !== null) {
      this.writeMetadata();
      if (!this.cache.commit(this.journal)) {
        this.unjournaled(this.journal);
        this.sync();
      } else if (this.journal.wantsCheckpoint()) {
        this.sync();
      }
    }
    this.cache.trim();
  }

  /** Marks the volume as in use (not cleanly unmounted) and counts the mount, as the kernel does. */
  markMounted(): void {
    if (this.readOnly) return;
    this.sb.state = this.sb.state & ~EXT2_VALID_FS;
    this.sb.mountCount = this.sb.mountCount + 1;
    this.sb.mountTime = this.clock();
    this.metadataDirty = true;
    this.sync();
  }

  /** Writes everything and marks the volume clean. */
  markClean(): void {
    if (this.readOnly) return;
    this.sb.state = this.sb.state | EXT2_VALID_FS;
    this.metadataDirty = true;
    this.sync();
  }
}

/**
 * The range [first, last) outside which `now` equals `was` (first === last: equal), compared a word at a
 * time where both are 4-byte aligned (the superblock is compared on every operation).
 */
function changedRange(was: Uint8Array, now: Uint8Array): [number, number] {
  const length = now.length;
  let first = 0;
  let last = length;
  if ((was.byteOffset & 3) === 0 && (now.byteOffset & 3) === 0 && (length & 3) === 0) {
    const a = new Uint32Array(was.buffer, was.byteOffset, length >> 2);
    const b = new Uint32Array(now.buffer, now.byteOffset, length >> 2);
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    let j = a.length;
    while (j > i && a[j - 1] === b[j - 1]) j--;
    first = i << 2;
    last = j << 2;
  }
  while (first < last && was[first] === now[first]) first++;
  while (last > first && was[last - 1] === now[last - 1]) last--;
  return [first, last];
}
