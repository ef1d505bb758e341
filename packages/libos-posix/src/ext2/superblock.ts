/**
 * The ext2 superblock: 1024 bytes at byte 1024 of the image (e2fsprogs' lib/ext2fs/ext2_fs.h, struct
 * ext2_super_block), and the feature sets that decide whether an image can be mounted.
 *
 * The record keeps the bytes it was read from and changes only the fields it is asked to, so fields this
 * implementation does not interpret (the journal's, the hash seed, the last-mounted path) are written back
 * as they were.
 */
import { corrupt } from './ext2-error';

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT2_MAGIC = 0xef53;
/** Revision 1 ("dynamic"): variable inode size, first non-reserved inode, feature sets. */
export const EXT2_DYNAMIC_REV = 1;
export const EXT2_GOOD_OLD_INODE_SIZE = 128;
export const EXT2_GOOD_OLD_FIRST_INO = 11;
/** s_state: cleanly unmounted; errors detected. */
export const EXT2_VALID_FS = 1;
export const EXT2_ERROR_FS = 2;

/** Compatible features: an implementation that does not know them may still read and write. */
export const COMPAT = {
  dir_prealloc: 0x1,
  imagic_inodes: 0x2,
  has_journal: 0x4,
  ext_attr: 0x8,
  resize_inode: 0x10,
  dir_index: 0x20,
  lazy_bg: 0x40,
  exclude_bitmap: 0x100,
  sparse_super2: 0x200,
  fast_commit: 0x400,
  stable_inodes: 0x800,
  orphan_file: 0x1000,
} as const;

/** Read-only-compatible features: without them an implementation may read but must not write. */
export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  btree_dir: 0x4,
  huge_file: 0x8,
  gdt_csum: 0x10,
  dir_nlink: 0x20,
  extra_isize: 0x40,
  has_snapshot: 0x80,
  quota: 0x100,
  bigalloc: 0x200,
  metadata_csum: 0x400,
  replica: 0x800,
  readonly: 0x1000,
  project: 0x2000,
  shared_blocks: 0x4000,
  verity: 0x8000,
  orphan_present: 0x10000,
} as const;

/** Incompatible features: an implementation that does not know one must not mount the image at all. */
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extents: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  csum_seed: 0x2000,
  largedir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

/** What this implementation reads and writes. */
export const SUPPORTED_INCOMPAT = INCOMPAT.filetype;
export const SUPPORTED_RO_COMPAT = RO_COMPAT.sparse_super | RO_COMPAT.large_file;

/** The names of the bits of `mask` (unknown bits as hex), for messages. */
export function featureNames(table: Record<string, number>, mask: number): string[] {
  const names: string[] = [];
  let rest = mask >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  for (let bit = 1; rest !== 0; bit = (bit << 1) >>> 0) {
    if ((rest & bit) !== 0) {
      names.push(`0x${bit.toString(16)}`);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return names;
}

export class Superblock {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array = new Uint8Array(SUPERBLOCK_SIZE)) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, SUPERBLOCK_SIZE);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  private setU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  private setU16(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }

  get inodesCount(): number {
    return this.u32(0);
  }
  set inodesCount(v: number) {
    this.setU32(0, v);
  }
  get blocksCount(): number {
    return this.u32(4);
  }
  set blocksCount(v: number) {
    this.setU32(4, v);
  }
  get reservedBlocksCount(): number {
    return this.u32(8);
  }
  set reservedBlocksCount(v: number) {
    this.setU32(8, v);
  }
  get freeBlocksCount(): number {
    return this.u32(12);
  }
  set freeBlocksCount(v: number) {
    this.setU32(12, v);
  }
  get freeInodesCount(): number {
    return this.u32(16);
  }
  set freeInodesCount(v: number) {
    this.setU32(16, v);
  }
  get firstDataBlock(): number {
    return this.u32(20);
  }
  set firstDataBlock(v: number) {
    this.setU32(20, v);
  }
  get logBlockSize(): number {
    return this.u32(24);
  }
  set logBlockSize(v: number) {
    this.setU32(24, v);
  }
  get logClusterSize(): number {
    return this.u32(28);
  }
  set logClusterSize(v: number) {
    this.setU32(28, v);
  }
  get blocksPerGroup(): number {
    return this.u32(32);
  }
  set blocksPerGroup(v: number) {
    this.setU32(32, v);
  }
  get clustersPerGroup(): number {
    return this.u32(36);
  }
  set clustersPerGroup(v: number) {
    this.setU32(36, v);
  }
  get inodesPerGroup(): number {
    return this.u32(40);
  }
  set inodesPerGroup(v: number) {
    this.setU32(40, v);
  }
  get mountTime(): number {
    return this.u32(44);
  }
  set mountTime(v: number) {
    this.setU32(44, v);
  }
  get writeTime(): number {
    return this.u32(48);
  }
  set writeTime(v: number) {
    this.setU32(48, v);
  }
  get mountCount(): number {
    return this.u16(52);
  }
  set mountCount(v: number) {
    this.setU16(52, v & 0xffff);
  }
  get maxMountCount(): number {
    return this.view.getInt16(54, true);
  }
  set maxMountCount(v: number) {
    this.view.setInt16(54, v, true);
  }
  get magic(): number {
    return this.u16(56);
  }
  set magic(v: number) {
    this.setU16(56, v);
  }
  get state(): number {
    return this.u16(58);
  }
  set state(v: number) {
    this.setU16(58, v);
  }
  get errors(): number {
    return this.u16(60);
  }
  set errors(v: number) {
    this.setU16(60, v);
  }
  get lastCheck(): number {
    return this.u32(64);
  }
  set lastCheck(v: number) {
    this.setU32(64, v);
  }
  get checkInterval(): number {
    return this.u32(68);
  }
  set checkInterval(v: number) {
    this.setU32(68, v);
  }
  get creatorOs(): number {
    return this.u32(72);
  }
  set creatorOs(v: number) {
    this.setU32(72, v);
  }
  get revLevel(): number {
    return this.u32(76);
  }
  set revLevel(v: number) {
    this.setU32(76, v);
  }
  get firstIno(): number {
    return this.revLevel >= EXT2_DYNAMIC_REV ? this.u32(84) : EXT2_GOOD_OLD_FIRST_INO;
  }
  set firstIno(v: number) {
    this.setU32(84, v);
  }
  get inodeSize(): number {
    return this.revLevel >= EXT2_DYNAMIC_REV ? this.u16(88) : EXT2_GOOD_OLD_INODE_SIZE;
  }
  set inodeSize(v: number) {
    this.setU16(88, v);
  }
  get blockGroupNr(): number {
    return this.u16(90);
  }
  set blockGroupNr(v: number) {
    this.setU16(90, v);
  }
  get featureCompat(): number {
    return this.revLevel >= EXT2_DYNAMIC_REV ? this.u32(92) : 0;
  }
  set featureCompat(v: number) {
    this.setU32(92, v >>> 0);
  }
  get featureIncompat(): number {
    return this.revLevel >= EXT2_DYNAMIC_REV ? this.u32(96) : 0;
  }
  set featureIncompat(v: number) {
    this.setU32(96, v >>> 0);
  }
  get featureRoCompat(): number {
    return this.revLevel >= EXT2_DYNAMIC_REV ? this.u32(100) : 0;
  }
  set featureRoCompat(v: number) {
    this.setU32(100, v >>> 0);
  }
  get uuid(): Uint8Array {
    return this.bytes.subarray(104, 120);
  }
  get volumeName(): string {
    return cString(this.bytes.subarray(120, 136));
  }
  set volumeName(v: string) {
    putCString(this.bytes.subarray(120, 136), v);
  }
  get reservedGdtBlocks(): number {
    return this.u16(206);
  }
  set reservedGdtBlocks(v: number) {
    this.setU16(206, v);
  }
  get defaultHashVersion(): number {
    return this.bytes[252] as number;
  }
  set defaultHashVersion(v: number) {
    this.bytes[252] = v;
  }
  get descriptorSize(): number {
    return this.u16(254);
  }
  get mkfsTime(): number {
    return this.u32(264);
  }
  set mkfsTime(v: number) {
    this.setU32(264, v);
  }
  get minExtraIsize(): number {
    return this.u16(348);
  }
  set minExtraIsize(v: number) {
    this.setU16(348, v);
  }
  get wantExtraIsize(): number {
    return this.u16(350);
  }
  set wantExtraIsize(v: number) {
    this.setU16(350, v);
  }
  /** sparse_super2: the two groups holding backups (0 for none). */
  get backupGroups(): [number, number] {
    return [this.u32(0x24c), this.u32(0x250)];
  }

  get blockSize(): number {
    return 1024 << this.logBlockSize;
  }

  get groupCount(): number {
    return Math.ceil((this.blocksCount - this.firstDataBlock) / this.blocksPerGroup);
  }

  /** Throws CORRUPT unless the geometry is self-consistent enough to be walked safely. */
  validate(imageBytes: number): void {
    if (this.magic !== EXT2_MAGIC) {
      corrupt(`no ext2 superblock (magic 0x${this.magic.toString(16)}, expected 0xef53)`);
    }
    if (this.logBlockSize > 6) corrupt(`block size 2^(10+${this.logBlockSize}) is out of range`);
    const bs = this.blockSize;
    if (this.revLevel > EXT2_DYNAMIC_REV) corrupt(`revision ${this.revLevel} is unknown`);
    const isz = this.inodeSize;
    if (isz < EXT2_GOOD_OLD_INODE_SIZE || isz > bs || (isz & (isz - 1)) !== 0) {
      corrupt(`inode size ${isz} is not a power of two from 128 to the block size`);
    }
    if (this.blocksPerGroup === 0 || this.blocksPerGroup > 8 * bs) {
      corrupt(`${this.blocksPerGroup} blocks per group (a bitmap block holds ${8 * bs})`);
    }
    if (this.inodesPerGroup === 0 || this.inodesPerGroup > 8 * bs) {
      corrupt(`${this.inodesPerGroup} inodes per group (a bitmap block holds ${8 * bs})`);
    }
    if (this.firstDataBlock !== (bs === 1024 ? 1 : 0)) {
      corrupt(`first data block ${this.firstDataBlock} for ${bs}-byte blocks`);
    }
    if (this.blocksCount <= this.firstDataBlock) corrupt(`${this.blocksCount} blocks`);
    if (this.blocksCount * bs > imageBytes) {
      corrupt(
        `the file system has ${this.blocksCount} blocks of ${bs} bytes, the image only ${imageBytes} bytes`,
      );
    }
    if (this.inodesCount !== this.groupCount * this.inodesPerGroup) {
      corrupt(`${this.inodesCount} inodes is not ${this.groupCount} groups of ${this.inodesPerGroup}`);
    }
    if (this.firstIno < EXT2_GOOD_OLD_FIRST_INO || this.firstIno > this.inodesCount) {
      corrupt(`first non-reserved inode ${this.firstIno}`);
    }
    if (this.freeBlocksCount > this.blocksCount || this.freeInodesCount > this.inodesCount) {
      corrupt('free counts larger than the totals');
    }
  }

  /** Whether block group `g` starts with a copy of the superblock and group descriptors. */
  groupHasSuperblock(g: number): boolean {
    if (g === 0) return true;
    if ((this.featureCompat & COMPAT.sparse_super2) !== 0) {
      const [a, b] = this.backupGroups;
      return g === a || g === b;
    }
    if ((this.featureRoCompat & RO_COMPAT.sparse_super) === 0) return true;
    return isSparseBackupGroup(g);
  }
}

/** With sparse_super, the groups that hold backups: 0, 1 and the powers of 3, 5 and 7. */
export function isSparseBackupGroup(g: number): boolean {
  return g <= 1 || isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
}

function isPowerOf(n: number, base: number): boolean {
  let p = base;
  while (p < n) p *= base;
  return p === n;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function putCString(into: Uint8Array, text: string): void {
  into.fill(0);
  into.set(new TextEncoder().encode(text).subarray(0, into.length));
}
