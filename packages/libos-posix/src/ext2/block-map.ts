/**
 * A file's block map: which device block holds each of its logical blocks. i_block holds 12 direct
 * pointers, then one single-, one double- and one triple-indirect block; a zero pointer is a hole, which
 * reads as zeros. Allocating a logical block allocates the indirect blocks on its path; truncating frees
 * the data blocks past the new end and every indirect block left with nothing under it. i_blocks (in
 * 512-byte units) counts both kinds.
 */
import { corrupt, refuse } from './ext2-error';
import { DIRECT_BLOCKS, type InodeRecord } from './inode-record';
import type { Ext2Volume } from './volume';

/** Where a logical block's pointer lives: the i_block slot, then an index in each indirect level. */
interface BlockPath {
  slot: number;
  indices: number[];
}

function pathOf(vol: Ext2Volume, logical: number): BlockPath | null {
  const p = vol.pointersPerBlock;
  let l = logical;
  if (l < DIRECT_BLOCKS) return { slot: l, indices: [] };
  l -= DIRECT_BLOCKS;
  if (l < p) return { slot: 12, indices: [l] };
  l -= p;
  if (l < p * p) return { slot: 13, indices: [Math.floor(l / p), l % p] };
  l -= p * p;
  if (l < p * p * p) return { slot: 14, indices: [Math.floor(l / (p * p)), Math.floor(l / p) % p, l % p] };
  return null;
}

/** The number of logical blocks a file can have. */
export function maxLogicalBlocks(vol: Ext2Volume): number {
  const p = vol.pointersPerBlock;
  return DIRECT_BLOCKS + p + p * p + p * p * p;
}

function pointer(block: Uint8Array, index: number): number {
  return (
    ((block[4 * index] as number) |
      ((block[4 * index + 1] as number) << 8) |
      ((block[4 * index + 2] as number) << 16) |
      ((block[4 * index + 3] as number) << 24)) >>>
    0
  );
}

function setPointer(block: Uint8Array, index: number, value: number): void {
  block[4 * index] = value & 0xff;
  block[4 * index + 1] = (value >>> 8) & 0xff;
  block[4 * index + 2] = (value >>> 16) & 0xff;
  block[4 * index + 3] = (value >>> 24) & 0xff;
}

/** The device block holding logical block `logical` of the file, or 0 for a hole. */
export function mapBlock(vol: Ext2Volume, inode: InodeRecord, logical: number): number {
  const path = pathOf(vol, logical);
  if (path === null) return 0;
  let ptr = inode.block[path.slot] as number;
  for (const index of path.indices) {
    if (ptr === 0) return 0;
    ptr = pointer(vol.cache.get(ptr), index);
  }
  return ptr;
}

/**
 * The device block for logical block `logical`, allocating it (and the indirect blocks on its way) when
 * it is a hole. A new data block is zero-filled in the cache. `fresh` tells the caller it was allocated.
 */
export function allocateBlock(
  vol: Ext2Volume,
  ino: number,
  inode: InodeRecord,
  logical: number,
): { block: number; fresh: boolean } {
  const path = pathOf(vol, logical);
  if (path === null) refuse('EFBIG', `logical block ${logical} is past the largest ext2 file`);
  const sectorsPerBlock = vol.blockSize / 512;
  // Allocate near the block before it in the file, or at the start of the inode's group; worked out only
  // when something is allocated (a write over mapped blocks needs no goal).
  let goal = -1;
  const take = (): number => {
    if (inode.sectors + sectorsPerBlock > 0xffffffff) refuse('EFBIG', 'i_blocks would overflow');
    if (goal < 0) {
      const before = logical > 0 ? mapBlock(vol, inode, logical - 1) : 0;
      goal = before !== 0 ? before + 1 : vol.groupStart(vol.groupOfInode(ino));
    }
    const n = vol.allocateBlock(goal);
    vol.cache.zeroed(n);
    inode.sectors += sectorsPerBlock;
    goal = n + 1;
    return n;
  };
  let fresh = false;
  // The indirect blocks taken on the way (and where each is pointed to from), given back if a later
  // block cannot be had: the allocation either succeeds or changes nothing (as Linux's ext2).
  const taken: { block: number; table: number; index: number }[] = [];
  try {
    let ptr = inode.block[path.slot] as number;
    if (ptr === 0) {
      ptr = take();
      inode.block[path.slot] = ptr;
      taken.push({ block: ptr, table: 0, index: path.slot });
      fresh = path.indices.length === 0;
    }
    for (let level = 0; level < path.indices.length; level++) {
      const index = path.indices[level] as number;
      const table = vol.cache.get(ptr);
      let child = pointer(table, index);
      if (child === 0) {
        child = take();
        // (take() may have read other blocks into the cache; the table buffer stays valid within an operation)
        setPointer(table, index, child);
        vol.cache.markDirty(ptr, false, 4 * index, 4);
        taken.push({ block: child, table: ptr, index });
        fresh = level === path.indices.length - 1;
      }
      ptr = child;
    }
    return { block: ptr, fresh };
  } catch (e) {
    for (const t of taken.reverse()) {
      if (t.table === 0) {
        inode.block[t.index] = 0;
      } else {
        setPointer(vol.cache.get(t.table), t.index, 0);
        vol.cache.markDirty(t.table, false, 4 * t.index, 4);
      }
      vol.freeBlock(t.block);
      inode.sectors -= sectorsPerBlock;
    }
    throw e;
  }
}

/** Frees every data block from logical block `keep` on, and the indirect blocks left empty. */
export function truncateBlocks(vol: Ext2Volume, inode: InodeRecord, keep: number): void {
  const p = vol.pointersPerBlock;
  const sectorsPerBlock = vol.blockSize / 512;
  const release = (n: number): void => {
    vol.freeBlock(n);
    inode.sectors -= sectorsPerBlock;
  };
  /**
   * Frees what lies at or after `first` (relative) under `ptr`, `depth` levels of indirection deep.
   * `above` holds the indirect blocks on the way down: a damaged image listing one of them (or `ptr`)
   * again below it is CORRUPT, rather than a table freed while it is still being walked.
   */
  const trim = (ptr: number, depth: number, first: number, above: readonly number[] = []): boolean => {
    if (depth === 0) {
      release(ptr);
      return true;
    }
    const table = vol.cache.get(ptr);
    const span = p ** (depth - 1);
    const path = [...above, ptr];
    let changed = false;
    for (let i = Math.floor(first / span); i < p; i++) {
      const child = pointer(table, i);
      if (child === 0) continue;
      if (path.includes(child))
        corrupt(`indirect block ${ptr} lists block ${child}, one of its own ancestors`);
      if (trim(child, depth - 1, Math.max(0, first - i * span), path)) {
        setPointer(table, i, 0);
        changed = true;
      }
    }
    if (first === 0) {
      release(ptr);
      return true;
    }
    if (changed) vol.cache.markDirty(ptr);
    return false;
  };
  for (let i = keep; i < DIRECT_BLOCKS; i++) {
    const n = inode.block[i] as number;
    if (n !== 0) {
      release(n);
      inode.block[i] = 0;
    }
  }
  let base = DIRECT_BLOCKS;
  for (let depth = 1; depth <= 3; depth++) {
    const span = p ** depth;
    const slot = DIRECT_BLOCKS + depth - 1;
    const ptr = inode.block[slot] as number;
    if (ptr !== 0 && keep < base + span && trim(ptr, depth, Math.max(0, keep - base))) {
      inode.block[slot] = 0;
    }
    base += span;
  }
}
