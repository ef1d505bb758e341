/**
 * A block group descriptor (32 bytes; struct ext2_group_desc): where the group's bitmaps and inode table
 * are and how many of its blocks and inodes are free. The table of them follows the superblock, one block
 * or more, with copies in the groups that hold superblock backups.
 */
export const GROUP_DESCRIPTOR_SIZE = 32;

export interface GroupDescriptor {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
  usedDirs: number;
  /** Bytes 18..31 (flags, checksums, exclude bitmap): kept as read. */
  rest: Uint8Array;
}

export function decodeGroupDescriptor(bytes: Uint8Array, at: number): GroupDescriptor {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, GROUP_DESCRIPTOR_SIZE);
  return {
    blockBitmap: v.getUint32(0, true),
    inodeBitmap: v.getUint32(4, true),
    inodeTable: v.getUint32(8, true),
    freeBlocks: v.getUint16(12, true),
    freeInodes: v.getUint16(14, true),
    usedDirs: v.getUint16(16, true),
    rest: bytes.slice(at + 18, at + GROUP_DESCRIPTOR_SIZE),
  };
}

export function encodeGroupDescriptor(d: GroupDescriptor, bytes: Uint8Array, at: number): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, GROUP_DESCRIPTOR_SIZE);
  v.setUint32(0, d.blockBitmap, true);
  v.setUint32(4, d.inodeBitmap, true);
  v.setUint32(8, d.inodeTable, true);
  v.setUint16(12, d.freeBlocks, true);
  v.setUint16(14, d.freeInodes, true);
  v.setUint16(16, d.usedDirs, true);
  bytes.set(d.rest, at + 18);
}
