/**
 * An on-disk inode (struct ext2_inode, 128 bytes, plus the extra fields of larger inodes) decoded into a
 * plain record. Encoding writes only the fields below into the inode's bytes, so everything else in the
 * slot (extended-attribute space of a 256-byte inode, fields of other operating systems) stays as it was.
 */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../files/file-stat';

// The file-type bits of i_mode are st_mode's.
export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK };

/** Inode flags this implementation looks at. */
export const INODE_FLAGS = {
  /** A directory with a hashed index (dir_index): its blocks still read as a linear directory. */
  index: 0x1000,
  /** ext3+ formats ext2 has not got. */
  hugeFile: 0x40000,
  extents: 0x80000,
  inlineData: 0x10000000,
} as const;

/** i_block: 12 direct pointers, then single, double and triple indirect. */
export const DIRECT_BLOCKS = 12;
export const BLOCK_POINTERS = 15;
/** The bytes of i_block (a fast symlink's target lives there when shorter than this). */
export const I_BLOCK_BYTES = 4 * BLOCK_POINTERS;
export const ROOT_INO = 2;

export interface InodeRecord {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atime: number;
  ctime: number;
  mtime: number;
  dtime: number;
  links: number;
  /** i_blocks: 512-byte units of data, indirect and extended-attribute blocks. */
  sectors: number;
  flags: number;
  /** i_block: block pointers, or a fast symlink's target, or a device number. */
  block: Uint32Array;
  generation: number;
  /** The extended-attribute block (0: none). */
  fileAcl: number;
  /** i_extra_isize of an inode larger than 128 bytes (0 otherwise). */
  extraIsize: number;
}

export function emptyInode(): InodeRecord {
  return {
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    atime: 0,
    ctime: 0,
    mtime: 0,
    dtime: 0,
    links: 0,
    sectors: 0,
    flags: 0,
    block: new Uint32Array(BLOCK_POINTERS),
    generation: 0,
    fileAcl: 0,
    extraIsize: 0,
  };
}

export function decodeInode(bytes: Uint8Array, at: number, inodeSize: number): InodeRecord {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, inodeSize);
  const block = new Uint32Array(BLOCK_POINTERS);
  for (let i = 0; i < BLOCK_POINTERS; i++) block[i] = v.getUint32(40 + 4 * i, true);
  return {
    mode: v.getUint16(0, true),
    uid: (v.getUint16(2, true) | (v.getUint16(120, true) << 16)) >>> 0,
    gid: (v.getUint16(24, true) | (v.getUint16(122, true) << 16)) >>> 0,
    size: v.getUint32(4, true) + v.getUint32(108, true) * 2 ** 32,
    atime: v.getUint32(8, true),
    ctime: v.getUint32(12, true),
    mtime: v.getUint32(16, true),
    dtime: v.getUint32(20, true),
    links: v.getUint16(26, true),
    sectors: v.getUint32(28, true),
    flags: v.getUint32(32, true),
    block,
    generation: v.getUint32(100, true),
    fileAcl: v.getUint32(104, true),
    extraIsize: inodeSize > 128 ? v.getUint16(128, true) : 0,
  };
}

export function encodeInode(r: InodeRecord, bytes: Uint8Array, at: number, inodeSize: number): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, inodeSize);
  v.setUint16(0, r.mode, true);
  v.setUint16(2, r.uid & 0xffff, true);
  v.setUint32(4, r.size % 2 ** 32, true);
  v.setUint32(8, r.atime, true);
  v.setUint32(12, r.ctime, true);
  v.setUint32(16, r.mtime, true);
  v.setUint32(20, r.dtime, true);
  v.setUint16(24, r.gid & 0xffff, true);
  v.setUint16(26, r.links, true);
  v.setUint32(28, r.sectors, true);
  v.setUint32(32, r.flags, true);
  for (let i = 0; i < BLOCK_POINTERS; i++) v.setUint32(40 + 4 * i, r.block[i] as number, true);
  v.setUint32(100, r.generation, true);
  v.setUint32(104, r.fileAcl, true);
  v.setUint32(108, Math.floor(r.size / 2 ** 32), true);
  v.setUint16(120, r.uid >>> 16, true);
  v.setUint16(122, r.gid >>> 16, true);
  if (inodeSize > 128) v.setUint16(128, r.extraIsize, true);
}

/** The file type code of a directory entry (filetype feature) for a mode. */
export function direntType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 1;
    case S_IFDIR:
      return 2;
    case S_IFCHR:
      return 3;
    case S_IFBLK:
      return 4;
    case S_IFIFO:
      return 5;
    case S_IFSOCK:
      return 6;
    case S_IFLNK:
      return 7;
    default:
      return 0;
  }
}

const TYPE_OF_CODE = [0, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFLNK];

/** The S_IFMT bits a directory entry's file type code stands for (0 when unknown). */
export function modeTypeOfDirent(code: number): number {
  return TYPE_OF_CODE[code] ?? 0;
}
