/**
 * Linear directories: each block of a directory is a chain of entries (inode u32, rec_len u16, name_len
 * u8, file type u8, name), the rec_len of each reaching the next, the last reaching the end of the block.
 * An entry with inode 0 is unused. A hashed-index (dir_index) directory keeps its index inside entries
 * that read as unused space, so it is read the same way; changing one clears its index flag, as an
 * implementation without the index must, and the directory stays a valid linear one.
 *
 * Every entry is checked as it is read (rec_len aligned and inside the block, the name inside rec_len,
 * the inode number in range); a bad one is CORRUPT, naming the directory, block and offset.
 */
import { allocateBlock, mapBlock } from './block-map';
import { corrupt, refuse } from './ext2-error';
import { INODE_FLAGS, type InodeRecord } from './inode-record';
import type { Ext2Volume } from './volume';

export const NAME_MAX = 255;
const HEADER = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface DirectoryEntry {
  name: string;
  ino: number;
  /** The entry's file type code (1 regular, 2 directory, 7 symlink...; 0 unknown). */
  type: number;
}

/** Where an entry is, for changing it in place. */
interface Slot {
  block: number;
  offset: number;
  /** Offset of the entry before it in the same block (-1: it is the block's first). */
  previous: number;
  ino: number;
  recLen: number;
  nameLen: number;
  name: Uint8Array;
}

/** The space an entry with a name of `nameLen` bytes needs. */
function entrySize(nameLen: number): number {
  return (HEADER + nameLen + 3) & ~3;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function u32(b: Uint8Array, at: number): number {
  return u16(b, at) + u16(b, at + 2) * 65536;
}

function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  putU16(b, at, v & 0xffff);
  putU16(b, at + 2, v >>> 16);
}

function writeEntry(
  b: Uint8Array,
  at: number,
  ino: number,
  recLen: number,
  name: Uint8Array,
  type: number,
): void {
  putU32(b, at, ino);
  putU16(b, at + 4, recLen);
  b[at + 6] = name.length;
  b[at + 7] = type;
  b.set(name, at + HEADER);
}

/** A directory's size in blocks (a directory's size is always a whole number of blocks). */
function blockCount(vol: Ext2Volume, dirIno: number, dir: InodeRecord): number {
  if (dir.size % vol.blockSize !== 0) corrupt(`directory ${dirIno} has size ${dir.size}, not whole blocks`);
  return dir.size / vol.blockSize;
}

/** Every entry slot of the directory, used or not, block by block. */
function* slots(vol: Ext2Volume, dirIno: number, dir: InodeRecord): Generator<Slot> {
  const bs = vol.blockSize;
  const blocks = blockCount(vol, dirIno, dir);
  for (let l = 0; l < blocks; l++) {
    const block = mapBlock(vol, dir, l);
    if (block === 0) corrupt(`directory ${dirIno} has a hole at block ${l}`);
    const data = vol.cache.get(block);
    let previous = -1;
    for (let offset = 0; offset < bs; ) {
      const where = `directory ${dirIno}, block ${l}, offset ${offset}`;
      if (offset + HEADER > bs) corrupt(`${where}: entry header runs past the block`);
      const ino = u32(data, offset);
      const recLen = u16(data, offset + 4);
      const nameLen = data[offset + 6] as number;
      if (recLen < HEADER || recLen % 4 !== 0 || offset + recLen > bs) {
        corrupt(`${where}: bad rec_len ${recLen}`);
      }
      if (ino !== 0 && HEADER + nameLen > recLen)
        corrupt(`${where}: name of ${nameLen} bytes in rec_len ${recLen}`);
      if (ino > vol.sb.inodesCount) corrupt(`${where}: inode ${ino} is out of range`);
      yield {
        block,
        offset,
        previous,
        ino,
        recLen,
        nameLen,
        name: data.subarray(offset + HEADER, offset + HEADER + nameLen),
      };
      previous = offset;
      offset += recLen;
    }
  }
}

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A name's UTF-8 bytes. One operation encodes the same name several times (checked, looked up, entered
 * or removed), so the last one is kept; the bytes are only ever read.
 */
let lastName = '';
let lastBytes = new Uint8Array(0);
function nameBytes(name: string): Uint8Array {
  if (name !== lastName) {
    lastBytes = encoder.encode(name);
    lastName = name;
  }
  return lastBytes;
}

export function encodeName(name: string): Uint8Array {
  const bytes = nameBytes(name);
  if (bytes.length === 0 || name.includes('/') || name.includes('\0'))
    refuse('EINVAL', `bad file name "${name}"`);
  if (bytes.length > NAME_MAX) refuse('ENAMETOOLONG', name);
  return bytes;
}

/** The live entries, "." and ".." included, in on-disk order. */
export function listDirectory(vol: Ext2Volume, dirIno: number, dir: InodeRecord): DirectoryEntry[] {
  const out: DirectoryEntry[] = [];
  for (const s of slots(vol, dirIno, dir)) {
    if (s.ino === 0) continue;
    const data = vol.cache.get(s.block);
    out.push({
      name: decoder.decode(s.name),
      ino: s.ino,
      type: vol.fileTypes ? (data[s.offset + 7] as number) : 0,
    });
  }
  return out;
}

function find(vol: Ext2Volume, dirIno: number, dir: InodeRecord, name: Uint8Array): Slot | null {
  for (const s of slots(vol, dirIno, dir)) {
    if (s.ino !== 0 && sameName(s.name, name)) return s;
  }
  return null;
}

/** The inode number `name` names in the directory, or 0. */
export function lookupEntry(vol: Ext2Volume, dirIno: number, dir: InodeRecord, name: string): number {
  return find(vol, dirIno, dir, nameBytes(name))?.ino ?? 0;
}

/**
 * Adds `name` -> `ino` (the caller has checked that the name is free). Uses the first unused entry or
 * the slack after a used one that is large enough, else appends a block (the directory's record
 * changes: the caller writes it back).
 */
export function addEntry(
  vol: Ext2Volume,
  dirIno: number,
  dir: InodeRecord,
  name: string,
  ino: number,
  type: number,
): void {
  const bytes = encodeName(name);
  const need = entrySize(bytes.length);
  const code = vol.fileTypes ? type : 0;
  dir.flags &= ~INODE_FLAGS.index;
  for (const s of slots(vol, dirIno, dir)) {
    const data = vol.cache.get(s.block);
    if (s.ino === 0 && s.recLen >= need) {
      writeEntry(data, s.offset, ino, s.recLen, bytes, code);
      vol.cache.markDirty(s.block, false, s.offset, need);
      return;
    }
    const used = s.ino === 0 ? 0 : entrySize(s.nameLen);
    if (s.ino !== 0 && s.recLen - used >= need) {
      putU16(data, s.offset + 4, used);
      writeEntry(data, s.offset + used, ino, s.recLen - used, bytes, code);
      // The shortened entry's rec_len, and the new entry.
      vol.cache.markDirty(s.block, false, s.offset, used + need);
      return;
    }
  }
  const logical = blockCount(vol, dirIno, dir);
  const { block } = allocateBlock(vol, dirIno, dir, logical);
  const data = vol.cache.get(block);
  writeEntry(data, 0, ino, vol.blockSize, bytes, code);
  vol.cache.markDirty(block);
  dir.size += vol.blockSize;
}

/**
 * Removes the entry `name` and returns the inode it named (0 when there is none). The space goes to the
 * entry before it in the block; the block's first entry is marked unused instead.
 */
export function removeEntry(vol: Ext2Volume, dirIno: number, dir: InodeRecord, name: string): number {
  const s = find(vol, dirIno, dir, nameBytes(name));
  if (s === null) return 0;
  dir.flags &= ~INODE_FLAGS.index;
  const data = vol.cache.get(s.block);
  if (s.previous >= 0) {
    putU16(data, s.previous + 4, u16(data, s.previous + 4) + s.recLen);
    vol.cache.markDirty(s.block, false, s.previous + 4, 2);
  } else {
    putU32(data, s.offset, 0);
    vol.cache.markDirty(s.block, false, s.offset, 4);
  }
  return s.ino;
}

/** Points the existing entry `name` at another inode (rename over a file, a moved directory's ".."). */
export function retargetEntry(
  vol: Ext2Volume,
  dirIno: number,
  dir: InodeRecord,
  name: string,
  ino: number,
  type: number,
): void {
  const s = find(vol, dirIno, dir, nameBytes(name));
  if (s === null) corrupt(`directory ${dirIno} has no entry "${name}" to change`);
  const data = vol.cache.get(s.block);
  putU32(data, s.offset, ino);
  data[s.offset + 7] = vol.fileTypes ? type : 0;
  vol.cache.markDirty(s.block, false, s.offset, 8);
}

/** True when the directory has no live entries but "." and "..". */
export function isEmptyDirectory(vol: Ext2Volume, dirIno: number, dir: InodeRecord): boolean {
  for (const s of slots(vol, dirIno, dir)) {
    if (s.ino === 0) continue;
    const dot = s.nameLen === 1 && s.name[0] === 0x2e;
    const dotdot = s.nameLen === 2 && s.name[0] === 0x2e && s.name[1] === 0x2e;
    if (!dot && !dotdot) return false;
  }
  return true;
}

/** Writes a new directory's first block: "." and "..", the second taking the rest of the block. */
export function initDirectoryBlock(vol: Ext2Volume, block: number, self: number, parent: number): void {
  const data = vol.cache.get(block);
  data.fill(0);
  const type = vol.fileTypes ? 2 : 0;
  writeEntry(data, 0, self, 12, encoder.encode('.'), type);
  writeEntry(data, 12, parent, vol.blockSize - 12, encoder.encode('..'), type);
  vol.cache.markDirty(block);
}
