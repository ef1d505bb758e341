/**
 * An ext2 (revision 1) file system on a block device, read and write, with the operations a POSIX
 * library OS or a file-system server needs, addressed by inode number: stat, lookup, readdir, read,
 * write, truncate, create, mkdir, symlink, readlink, link, unlink, rmdir, rename, set attributes, sync.
 *
 * What it reads and writes: 1, 2 and 4 KiB blocks; 128-byte and larger inodes; direct, single-, double-
 * and triple-indirect blocks and holes; linear directories (hashed-index ones read as linear, and lose
 * their index flag when changed); fast and slow symbolic links; hard links; device, FIFO and socket
 * inodes; the sparse_super, large_file and filetype features. An unknown incompatible feature refuses the
 * mount; an unknown read-only-compatible one mounts read-only (`readOnlyReason` says why). Times have
 * second granularity, as in ext2; atime follows Linux's relatime rule.
 *
 * Changes go to the buffer cache and reach the device on `sync()`/`fsync()`/`unmount()` or when the
 * cache trims itself between operations. A file whose last link goes while it is open (`open`/`close`)
 * keeps its blocks until the last close, as on Linux; after a crash e2fsck finds such an orphan.
 *
 * Refusals are `Ext2Error`s with the errno name a system call would report. An operation refused for a
 * reason it can see in advance (a name taken, a directory not empty, a full file system before anything
 * was allocated) changes nothing.
 */
import type { BlockBackend } from '@exov6/hal-x86';
import { allocateBlock, mapBlock, maxLogicalBlocks, truncateBlocks } from './block-map';
import {
  addEntry,
  type DirectoryEntry,
  encodeName,
  initDirectoryBlock,
  isEmptyDirectory,
  listDirectory,
  lookupEntry,
  removeEntry,
  retargetEntry,
} from './directory';
import { corrupt, Ext2Error, refuse } from './ext2-error';
import {
  direntType,
  emptyInode,
  I_BLOCK_BYTES,
  INODE_FLAGS,
  type InodeRecord,
  ROOT_INO,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from './inode-record';
import { RO_COMPAT } from './superblock';
import { Ext2Volume, type VolumeOptions } from './volume';

/** Linux's EXT2_LINK_MAX. */
export const EXT2_LINK_MAX = 32000;
/** Linux's MAXSYMLINKS: the symbolic links one path lookup may follow, nested or one after another. */
const MAX_SYMLINK_DEPTH = 40;
const XATTR_MAGIC = 0xea020000;

export interface Ext2Stat {
  ino: number;
  mode: number;
  links: number;
  uid: number;
  gid: number;
  size: number;
  /** 512-byte units allocated (st_blocks). */
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
  /** A device inode's device number (as st_rdev), else 0. */
  rdev: number;
  /** i_generation: with the inode number, names this file and no later one that reuses the inode. */
  generation: number;
}

export interface Ext2StatFs {
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  /** Free blocks an unprivileged user may take (the reserved ones excluded). */
  availableBlocks: number;
  inodes: number;
  freeInodes: number;
  nameMax: number;
}

export interface Ext2Owner {
  uid: number;
  gid: number;
}

export interface Ext2Attributes {
  /** Permission bits (the file type cannot change). */
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: number;
  mtime?: number;
}

const ROOT_OWNER: Ext2Owner = { uid: 0, gid: 0 };

export class Ext2FileSystem {
  /** Open counts of inodes a library OS holds open (a file unlinked while open is freed at last close). */
  private readonly openCounts = new Map<number, number>();

  private constructor(readonly volume: Ext2Volume) {}

  /** Mounts the ext2 image on `device` (CORRUPT or UNSUPPORTED when it cannot). */
  static mount(device: BlockBackend, options: VolumeOptions = {}): Ext2FileSystem {
    const volume = new Ext2Volume(device, options);
    const fs = new Ext2FileSystem(volume);
    const root = volume.readInode(ROOT_INO);
    if ((root.mode & S_IFMT) !== S_IFDIR) corrupt('the root inode is not a directory');
    volume.markMounted();
    return fs;
  }

  get readOnly(): boolean {
    return this.volume.readOnly;
  }

  get readOnlyReason(): string | null {
    return this.volume.readOnlyReason;
  }

  get blockSize(): number {
    return this.volume.blockSize;
  }

  readonly rootIno = ROOT_INO;

  /** Operations running now (one calls another; `atomically` wraps several). */
  private depth = 0;

  /**
   * Runs an operation. The outermost one ends by committing its changes to the journal (when there is
   * one) and letting the cache trim itself (never while an operation holds buffers). A refusal of the
   * file system (Ext2Error) ends it the same way; any other exception is a crash of whoever runs the
   * file system, and nothing more is done: what it changed stays uncommitted in memory, as if the
   * process had died there.
   */
  private op<T>(body: () => T): T {
    this.depth++;
    let result: T;
    try {
      result = body();
    } catch (e) {
      this.depth--;
      if (e instanceof Ext2Error && this.depth === 0) this.volume.endOperation();
      throw e;
    }
    this.depth--;
    if (this.depth === 0) this.volume.endOperation();
    return result;
  }

  /**
   * Runs `body`, which may call several operations, as one operation: under a journal, its changes are
   * committed together at the end (a file-system server answers one request this way, recording its
   * answer in the same commit).
   */
  atomically<T>(body: () => T): T {
    return this.op(body);
  }

  private now(): number {
    return this.volume.clock();
  }

  /** The record of an inode in use; ENOENT for a free (or stale) inode number. */
  private inode(ino: number): InodeRecord {
    const r = this.volume.readInode(ino);
    if (r.mode === 0 || (r.links === 0 && !this.openCounts.has(ino))) {
      refuse('ENOENT', `inode ${ino} is not in use`);
    }
    if ((r.flags & (INODE_FLAGS.extents | INODE_FLAGS.inlineData)) !== 0) {
      refuse('UNSUPPORTED', `inode ${ino} uses extents or inline data, which ext2 has not got`);
    }
    return r;
  }

  private directory(ino: number): InodeRecord {
    const r = this.inode(ino);
    if ((r.mode & S_IFMT) !== S_IFDIR) refuse('ENOTDIR', `inode ${ino} is not a directory`);
    return r;
  }

  // ------------------------------------------------------------------ reading

  statfs(): Ext2StatFs {
    const sb = this.volume.sb;
    return {
      blockSize: this.volume.blockSize,
      blocks: sb.blocksCount,
      freeBlocks: sb.freeBlocksCount,
      availableBlocks: Math.max(0, sb.freeBlocksCount - sb.reservedBlocksCount),
      inodes: sb.inodesCount,
      freeInodes: sb.freeInodesCount,
      nameMax: 255,
    };
  }

  stat(ino: number): Ext2Stat {
    return this.op(() => {
      const r = this.inode(ino);
      return {
        ino,
        mode: r.mode,
        links: r.links,
        uid: r.uid,
        gid: r.gid,
        size: r.size,
        blocks: r.sectors,
        atime: r.atime,
        mtime: r.mtime,
        ctime: r.ctime,
        rdev: rdevOf(r),
        generation: r.generation,
      };
    });
  }

  /** The inode `name` names in directory `dir`; ENOENT when there is none. */
  lookup(dir: number, name: string): number {
    return this.op(() => {
      const d = this.directory(dir);
      encodeName(name);
      const ino = lookupEntry(this.volume, dir, d, name);
      if (ino === 0) refuse('ENOENT', name);
      return ino;
    });
  }

  /** The entries of a directory, without "." and "..". */
  readdir(dir: number): DirectoryEntry[] {
    return this.op(() =>
      listDirectory(this.volume, dir, this.directory(dir)).filter((e) => e.name !== '.' && e.name !== '..'),
    );
  }

  /**
   * Resolves an absolute path from the root, following symbolic links (in the last component too when
   * `follow`). ENOENT, ENOTDIR, ELOOP as a path walk reports them.
   */
  resolve(path: string, follow = true): number {
    return this.op(() => this.walk(ROOT_INO, path, follow, { links: 0 }));
  }

  /**
   * `followed` counts the links the whole lookup has followed, as Linux does (a count per level of
   * nesting would let links like l<n> -> l<n-1>/l<n-1> take 2^n steps).
   */
  private walk(start: number, path: string, follow: boolean, followed: { links: number }): number {
    let dir = path.startsWith('/') ? ROOT_INO : start;
    const parts = path.split('/').filter((p) => p.length > 0 && p !== '.');
    for (let i = 0; i < parts.length; i++) {
      const d = this.directory(dir);
      const name = parts[i] as string;
      const ino = lookupEntry(this.volume, dir, d, name);
      if (ino === 0) refuse('ENOENT', `/${parts.slice(0, i + 1).join('/')}`);
      const r = this.inode(ino);
      const last = i === parts.length - 1;
      if ((r.mode & S_IFMT) === S_IFLNK && (follow || !last)) {
        if (followed.links >= MAX_SYMLINK_DEPTH) refuse('ELOOP', path);
        followed.links++;
        const target = this.symlinkTarget(ino, r);
        dir = this.walk(dir, target, true, followed);
        continue;
      }
      dir = ino;
    }
    return dir;
  }

  /** Reads up to `length` bytes at `position` (fewer at the end of the file). */
  read(ino: number, position: number, length: number): Uint8Array {
    return this.op(() => {
      const r = this.inode(ino);
      if ((r.mode & S_IFMT) === S_IFDIR) refuse('EISDIR', `inode ${ino}`);
      checkRange(position, length);
      const end = Math.min(r.size, position + length);
      if (end <= position) return new Uint8Array(0);
      const out = new Uint8Array(end - position);
      const bs = this.volume.blockSize;
      for (let at = position; at < end; ) {
        const logical = Math.floor(at / bs);
        const within = at % bs;
        const n = Math.min(bs - within, end - at);
        const block = mapBlock(this.volume, r, logical);
        if (block !== 0) out.set(this.volume.cache.get(block).subarray(within, within + n), at - position);
        at += n;
      }
      this.touchAccess(ino, r);
      return out;
    });
  }

  /** relatime: atime moves when it is older than mtime or ctime, or a day old. */
  private touchAccess(ino: number, r: InodeRecord): void {
    if (this.volume.readOnly) return;
    const now = this.now();
    if (r.atime < r.mtime || r.atime < r.ctime || now - r.atime >= 86400) {
      r.atime = now;
      this.volume.writeInode(ino, r);
    }
  }

  readlink(ino: number): string {
    return this.op(() => {
      const r = this.inode(ino);
      if ((r.mode & S_IFMT) !== S_IFLNK) refuse('EINVAL', `inode ${ino} is not a symbolic link`);
      return this.symlinkTarget(ino, r);
    });
  }

  private symlinkTarget(ino: number, r: InodeRecord): string {
    const bs = this.volume.blockSize;
    if (r.size >= bs) corrupt(`symbolic link ${ino} is ${r.size} bytes long`);
    const xattrSectors = r.fileAcl !== 0 ? bs / 512 : 0;
    let bytes: Uint8Array;
    if (r.sectors - xattrSectors === 0) {
      // A fast symlink: the target is stored in i_block itself.
      if (r.size > I_BLOCK_BYTES) corrupt(`fast symbolic link ${ino} is ${r.size} bytes long`);
      bytes = blockPointerBytes(r).subarray(0, r.size);
    } else {
      const block = mapBlock(this.volume, r, 0);
      if (block === 0) corrupt(`symbolic link ${ino} has no block`);
      bytes = this.volume.cache.get(block).subarray(0, r.size);
    }
    return new TextDecoder().decode(bytes);
  }

  // ------------------------------------------------------------------ writing files

  /**
   * Writes `data` at `position`, growing the file (holes stay holes). Returns the bytes written: fewer than
   * asked when the file system fills up part way (ENOSPC when nothing could be written).
   */
  write(ino: number, position: number, data: Uint8Array): number {
    return this.op(() => {
      this.volume.checkWritable();
      const r = this.inode(ino);
      const type = r.mode & S_IFMT;
      if (type === S_IFDIR) refuse('EISDIR', `inode ${ino}`);
      if (type !== S_IFREG) refuse('EINVAL', `inode ${ino} is not a regular file`);
      checkRange(position, data.length);
      // Writing nothing changes nothing: not the size (even past the end), not the times (as Linux).
      if (data.length === 0) return 0;
      const bs = this.volume.blockSize;
      if (position + data.length > maxLogicalBlocks(this.volume) * bs) refuse('EFBIG', `inode ${ino}`);
      if (position > r.size) this.zeroPastEnd(r, position);
      let done = 0;
      try {
        while (done < data.length) {
          const at = position + done;
          const within = at % bs;
          const n = Math.min(bs - within, data.length - done);
          const { block } = allocateBlock(this.volume, ino, r, Math.floor(at / bs));
          this.volume.cache.get(block).set(data.subarray(done, done + n), within);
          this.volume.cache.markDirty(block, true, within, n);
          done += n;
        }
      } catch (e) {
        if (!(e instanceof Ext2Error) || done === 0) {
          this.volume.writeInode(ino, r);
          throw e;
        }
      }
      if (position + done > r.size) this.setSize(r, position + done);
      r.mtime = r.ctime = this.now();
      this.volume.writeInode(ino, r);
      return done;
    });
  }

  private setSize(r: InodeRecord, size: number): void {
    if (size > 0x7fffffff) this.volume.enableRoCompat(RO_COMPAT.large_file);
    r.size = size;
  }

  /** Sets a regular file's size: shrinking frees the blocks past the end, growing leaves a hole. */
  truncate(ino: number, size: number): void {
    this.op(() => {
      this.volume.checkWritable();
      const r = this.inode(ino);
      if ((r.mode & S_IFMT) === S_IFDIR) refuse('EISDIR', `inode ${ino}`);
      if ((r.mode & S_IFMT) !== S_IFREG) refuse('EINVAL', `inode ${ino} is not a regular file`);
      checkRange(size, 0);
      const bs = this.volume.blockSize;
      if (size > maxLogicalBlocks(this.volume) * bs) refuse('EFBIG', `size ${size}`);
      if (size < r.size) {
        truncateBlocks(this.volume, r, Math.ceil(size / bs));
        // The rest of the last block must read as zeros if the file grows again.
        if (size % bs !== 0) {
          const block = mapBlock(this.volume, r, Math.floor(size / bs));
          if (block !== 0) {
            this.volume.cache.get(block).fill(0, size % bs);
            this.volume.cache.markDirty(block, true, size % bs, bs - (size % bs));
          }
        }
      }
      if (size > r.size) this.zeroPastEnd(r, size);
      this.setSize(r, size);
      r.mtime = r.ctime = this.now();
      this.volume.writeInode(ino, r);
    });
  }

  /**
   * Zeroes the last block's bytes from the end of the file up to `upTo` (or the block's end), before the
   * file grows over them. They are zeros already unless a write past the end reached the disk and the
   * server died before the size was committed (file data goes to the disk before the commit, see
   * journal.ts); growing must not show those bytes.
   */
  private zeroPastEnd(r: InodeRecord, upTo: number): void {
    const bs = this.volume.blockSize;
    const within = r.size % bs;
    if (within === 0) return;
    const block = mapBlock(this.volume, r, Math.floor(r.size / bs));
    if (block === 0) return;
    const end = Math.min(bs, within + (upTo - r.size));
    const data = this.volume.cache.get(block);
    for (let i = within; i < end; i++) {
      if (data[i] !== 0) {
        data.fill(0, within, end);
        this.volume.cache.markDirty(block, true, within, end - within);
        return;
      }
    }
  }

  setAttributes(ino: number, attributes: Ext2Attributes): void {
    this.op(() => {
      this.volume.checkWritable();
      const r = this.inode(ino);
      if (attributes.mode !== undefined) r.mode = (r.mode & S_IFMT) | (attributes.mode & 0o7777);
      if (attributes.uid !== undefined) r.uid = attributes.uid >>> 0;
      if (attributes.gid !== undefined) r.gid = attributes.gid >>> 0;
      if (attributes.atime !== undefined) r.atime = attributes.atime >>> 0;
      if (attributes.mtime !== undefined) r.mtime = attributes.mtime >>> 0;
      r.ctime = this.now();
      this.volume.writeInode(ino, r);
    });
  }

  // ------------------------------------------------------------------ the namespace

  /** Checks `name` can be created in `dir`; returns the directory's record. */
  private prepareCreate(dir: number, name: string): InodeRecord {
    this.volume.checkWritable();
    const d = this.directory(dir);
    encodeName(name);
    if (name === '.' || name === '..' || lookupEntry(this.volume, dir, d, name) !== 0) refuse('EEXIST', name);
    return d;
  }

  /** A fresh inode record for a new file of `mode`, owned by `owner`. */
  private newInode(ino: number, mode: number, owner: Ext2Owner): InodeRecord {
    this.volume.clearInodeSlot(ino);
    const r = emptyInode();
    const now = this.now();
    r.mode = mode;
    r.uid = owner.uid >>> 0;
    r.gid = owner.gid >>> 0;
    r.atime = r.ctime = r.mtime = now;
    r.links = 1;
    r.generation = this.volume.newGeneration();
    // Larger inodes carry i_extra_isize; the kernel's default is 32 (the fields up to i_projid).
    r.extraIsize = this.volume.inodeSize > 128 ? Math.min(32, this.volume.inodeSize - 128) : 0;
    return r;
  }

  /**
   * Creates a regular file, FIFO, socket or device node (`mode` includes the file type; S_IFREG when it
   * has none). `rdev` is a device node's number, as st_rdev.
   */
  create(dir: number, name: string, mode: number, owner: Ext2Owner = ROOT_OWNER, rdev = 0): number {
    return this.op(() => {
      const d = this.prepareCreate(dir, name);
      const type = (mode & S_IFMT) === 0 ? S_IFREG : mode & S_IFMT;
      if (type === S_IFDIR || type === S_IFLNK)
        refuse('EINVAL', 'create makes neither directories nor links');
      const ino = this.volume.allocateInode(dir, false);
      const r = this.newInode(ino, type | (mode & 0o7777), owner);
      if (type === S_IFCHR || type === S_IFBLK) setRdev(r, rdev);
      this.volume.writeInode(ino, r);
      this.enter(dir, d, name, ino, r, false);
      return ino;
    });
  }

  /** Adds the entry; if the directory cannot grow, gives the new inode back and rethrows. */
  private enter(
    dir: number,
    d: InodeRecord,
    name: string,
    ino: number,
    r: InodeRecord,
    isDir: boolean,
  ): void {
    try {
      addEntry(this.volume, dir, d, name, ino, direntType(r.mode));
    } catch (e) {
      this.volume.writeInode(dir, d);
      this.release(ino, r, isDir);
      throw e;
    }
    d.mtime = d.ctime = this.now();
    this.volume.writeInode(dir, d);
  }

  mkdir(dir: number, name: string, mode: number, owner: Ext2Owner = ROOT_OWNER): number {
    return this.op(() => {
      const d = this.prepareCreate(dir, name);
      if (d.links >= EXT2_LINK_MAX) refuse('EMLINK', `directory ${dir} has ${d.links} links`);
      const ino = this.volume.allocateInode(dir, true);
      const r = this.newInode(ino, S_IFDIR | (mode & 0o7777), owner);
      r.links = 2;
      try {
        const { block } = allocateBlock(this.volume, ino, r, 0);
        initDirectoryBlock(this.volume, block, ino, dir);
        r.size = this.volume.blockSize;
      } catch (e) {
        this.release(ino, r, true);
        throw e;
      }
      this.volume.writeInode(ino, r);
      this.enter(dir, d, name, ino, r, true);
      d.links++;
      this.volume.writeInode(dir, d);
      return ino;
    });
  }

  symlink(dir: number, name: string, target: string, owner: Ext2Owner = ROOT_OWNER): number {
    return this.op(() => {
      const d = this.prepareCreate(dir, name);
      const bytes = new TextEncoder().encode(target);
      if (bytes.length === 0) refuse('ENOENT', 'empty symbolic link target');
      if (bytes.length >= this.volume.blockSize) refuse('ENAMETOOLONG', 'symbolic link target');
      const ino = this.volume.allocateInode(dir, false);
      const r = this.newInode(ino, S_IFLNK | 0o777, owner);
      r.size = bytes.length;
      if (bytes.length < I_BLOCK_BYTES) {
        setBlockPointerBytes(r, bytes);
      } else {
        try {
          const { block } = allocateBlock(this.volume, ino, r, 0);
          this.volume.cache.get(block).set(bytes);
          this.volume.cache.markDirty(block);
        } catch (e) {
          this.release(ino, r, false);
          throw e;
        }
      }
      this.volume.writeInode(ino, r);
      this.enter(dir, d, name, ino, r, false);
      return ino;
    });
  }

  /** A new name for an existing file (not a directory). */
  link(dir: number, name: string, ino: number): void {
    this.op(() => {
      const d = this.prepareCreate(dir, name);
      const r = this.inode(ino);
      if ((r.mode & S_IFMT) === S_IFDIR) refuse('EPERM', 'hard links to directories are not allowed');
      if (r.links >= EXT2_LINK_MAX) refuse('EMLINK', `inode ${ino} has ${r.links} links`);
      addEntry(this.volume, dir, d, name, ino, direntType(r.mode));
      d.mtime = d.ctime = this.now();
      this.volume.writeInode(dir, d);
      r.links++;
      r.ctime = this.now();
      this.volume.writeInode(ino, r);
    });
  }

  /** Removes a name of a file that is not a directory; the file goes with its last name unless open. */
  unlink(dir: number, name: string): void {
    this.op(() => {
      this.volume.checkWritable();
      const d = this.directory(dir);
      encodeName(name);
      const ino = lookupEntry(this.volume, dir, d, name);
      if (ino === 0) refuse('ENOENT', name);
      const r = this.inode(ino);
      if ((r.mode & S_IFMT) === S_IFDIR) refuse('EISDIR', name);
      removeEntry(this.volume, dir, d, name);
      d.mtime = d.ctime = this.now();
      this.volume.writeInode(dir, d);
      this.dropLink(ino, r);
    });
  }

  rmdir(dir: number, name: string): void {
    this.op(() => {
      this.volume.checkWritable();
      const d = this.directory(dir);
      encodeName(name);
      if (name === '.') refuse('EINVAL', 'rmdir of "."');
      if (name === '..') refuse('ENOTEMPTY', 'rmdir of ".."');
      const ino = lookupEntry(this.volume, dir, d, name);
      if (ino === 0) refuse('ENOENT', name);
      const r = this.directory(ino);
      if (!isEmptyDirectory(this.volume, ino, r)) refuse('ENOTEMPTY', name);
      removeEntry(this.volume, dir, d, name);
      d.links--;
      d.mtime = d.ctime = this.now();
      this.volume.writeInode(dir, d);
      r.links = 0;
      r.ctime = this.now();
      this.volume.writeInode(ino, r);
      if (!this.openCounts.has(ino)) this.release(ino, r, true);
    });
  }

  /**
   * Renames `fromName` in `fromDir` to `toName` in `toDir`, replacing what is there as rename(2) does:
   * a file replaces a file, a directory an empty directory; a directory cannot move into itself.
   */
  rename(fromDir: number, fromName: string, toDir: number, toName: string): void {
    this.op(() => {
      this.volume.checkWritable();
      if (fromName === '.' || fromName === '..' || toName === '.' || toName === '..') {
        refuse('EINVAL', 'rename of "." or ".."');
      }
      encodeName(fromName);
      encodeName(toName);
      const from = this.directory(fromDir);
      const to = toDir === fromDir ? from : this.directory(toDir);
      const ino = lookupEntry(this.volume, fromDir, from, fromName);
      if (ino === 0) refuse('ENOENT', fromName);
      const r = this.inode(ino);
      const isDir = (r.mode & S_IFMT) === S_IFDIR;
      const existing = lookupEntry(this.volume, toDir, to, toName);
      if (existing === ino) return;
      if (isDir && this.isAncestor(ino, toDir)) refuse('EINVAL', 'a directory cannot move into itself');
      let replaced: InodeRecord | null = null;
      if (existing !== 0) {
        replaced = this.inode(existing);
        const replacedIsDir = (replaced.mode & S_IFMT) === S_IFDIR;
        if (isDir && !replacedIsDir) refuse('ENOTDIR', toName);
        if (!isDir && replacedIsDir) refuse('EISDIR', toName);
        if (replacedIsDir && !isEmptyDirectory(this.volume, existing, replaced)) refuse('ENOTEMPTY', toName);
      } else if (isDir && toDir !== fromDir && to.links >= EXT2_LINK_MAX) {
        refuse('EMLINK', `directory ${toDir}`);
      }
      const now = this.now();
      if (existing !== 0) {
        retargetEntry(this.volume, toDir, to, toName, ino, direntType(r.mode));
      } else {
        addEntry(this.volume, toDir, to, toName, ino, direntType(r.mode));
      }
      removeEntry(this.volume, fromDir, from, fromName);
      if (isDir && toDir !== fromDir) {
        retargetEntry(this.volume, ino, r, '..', toDir, 2);
        from.links--;
        to.links++;
      }
      from.mtime = from.ctime = to.mtime = to.ctime = now;
      r.ctime = now;
      this.volume.writeInode(ino, r);
      if (replaced !== null) {
        if ((replaced.mode & S_IFMT) === S_IFDIR) {
          // The replaced directory's ".." no longer counts against its parent.
          to.links--;
          replaced.links = 0;
          replaced.ctime = now;
          this.volume.writeInode(existing, replaced);
          if (!this.openCounts.has(existing)) this.release(existing, replaced, true);
        } else {
          this.dropLink(existing, replaced);
        }
      }
      this.volume.writeInode(fromDir, from);
      if (toDir !== fromDir) this.volume.writeInode(toDir, to);
    });
  }

  /** Whether directory `ancestor` is `dir` or lies on its way up to the root. */
  private isAncestor(ancestor: number, dir: number): boolean {
    let at = dir;
    for (let hops = 0; hops < this.volume.sb.inodesCount; hops++) {
      if (at === ancestor) return true;
      if (at === ROOT_INO) return false;
      const parent = lookupEntry(this.volume, at, this.directory(at), '..');
      if (parent === 0 || parent === at) return false;
      at = parent;
    }
    corrupt('a directory loop');
  }

  private dropLink(ino: number, r: InodeRecord): void {
    r.links = Math.max(0, r.links - 1);
    r.ctime = this.now();
    this.volume.writeInode(ino, r);
    if (r.links === 0 && !this.openCounts.has(ino)) this.release(ino, r, false);
  }

  /** Frees an inode with no links left: its blocks, its attribute block, its bitmap bit. */
  private release(ino: number, r: InodeRecord, isDir: boolean): void {
    const type = r.mode & S_IFMT;
    const hasBlocks = type === S_IFREG || type === S_IFDIR || (type === S_IFLNK && r.sectors > 0);
    if (hasBlocks) truncateBlocks(this.volume, r, 0);
    if (r.fileAcl !== 0) this.releaseAttributeBlock(r);
    r.links = 0;
    r.size = 0;
    r.dtime = this.now();
    this.volume.writeInode(ino, r);
    this.volume.freeInode(ino, isDir);
  }

  /** Drops the inode's reference to its shared extended-attribute block, freeing it with the last one. */
  private releaseAttributeBlock(r: InodeRecord): void {
    const block = r.fileAcl;
    r.fileAcl = 0;
    r.sectors = Math.max(0, r.sectors - this.volume.blockSize / 512);
    const data = this.volume.cache.get(block);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(0, true) !== XATTR_MAGIC) corrupt(`extended-attribute block ${block} has a bad magic`);
    const references = view.getUint32(4, true);
    if (references > 1) {
      view.setUint32(4, references - 1, true);
      this.volume.cache.markDirty(block);
    } else {
      this.volume.freeBlock(block);
    }
  }

  /**
   * Gives a new file system's root (inode 2, made by mkfs without a block) its first block, and creates
   * lost+found as inode 11 with the blocks mke2fs gives it (16 KiB, at most 12 blocks), so that e2fsck
   * can reconnect files there without allocating.
   * @internal used by mkfs
   */
  initializeRoot(): void {
    this.op(() => {
      const vol = this.volume;
      const root = vol.readInode(ROOT_INO);
      const { block } = allocateBlock(vol, ROOT_INO, root, 0);
      initDirectoryBlock(vol, block, ROOT_INO, ROOT_INO);
      root.size = vol.blockSize;
      root.links = 3;
      // In the root's group, as the first inode there is (11).
      const ino = vol.allocateInode(ROOT_INO, true, false);
      const lpf = this.newInode(ino, S_IFDIR | 0o700, ROOT_OWNER);
      lpf.links = 2;
      const blocks = Math.min(12, Math.max(2, 16384 / vol.blockSize));
      for (let l = 0; l < blocks; l++) {
        const { block: b } = allocateBlock(vol, ino, lpf, l);
        if (l === 0) {
          initDirectoryBlock(vol, b, ino, ROOT_INO);
        } else {
          // An empty block: one unused entry spanning it.
          const data = vol.cache.get(b);
          data[4] = vol.blockSize & 0xff;
          data[5] = vol.blockSize >> 8;
          vol.cache.markDirty(b);
        }
      }
      lpf.size = blocks * vol.blockSize;
      vol.writeInode(ino, lpf);
      addEntry(vol, ROOT_INO, root, 'lost+found', ino, 2);
      vol.writeInode(ROOT_INO, root);
    });
  }

  // ------------------------------------------------------------------ open files and durability

  /** Notes that a library OS holds the file open (its blocks outlive its last name until `close`). */
  open(ino: number): void {
    this.op(() => {
      this.inode(ino);
      this.openCounts.set(ino, (this.openCounts.get(ino) ?? 0) + 1);
    });
  }

  close(ino: number): void {
    this.op(() => {
      const count = this.openCounts.get(ino);
      if (count === undefined) refuse('EINVAL', `inode ${ino} is not open`);
      if (count > 1) {
        this.openCounts.set(ino, count - 1);
        return;
      }
      this.openCounts.delete(ino);
      const r = this.volume.readInode(ino);
      if (r.links === 0 && r.mode !== 0 && r.dtime === 0 && !this.volume.readOnly) {
        this.release(ino, r, (r.mode & S_IFMT) === S_IFDIR);
      }
    });
  }

  /** Writes every change to the device and flushes it. */
  sync(): void {
    this.op(() => this.volume.sync());
  }

  /** Makes the file's data and metadata durable (this implementation syncs everything). */
  fsync(ino: number): void {
    this.op(() => {
      this.inode(ino);
      this.volume.sync();
    });
  }

  /** Syncs and marks the file system cleanly unmounted. */
  unmount(): void {
    this.op(() => this.volume.markClean());
  }
}

function checkRange(position: number, length: number): void {
  if (!Number.isSafeInteger(position) || position < 0) refuse('EINVAL', `position ${position}`);
  if (!Number.isSafeInteger(length) || length < 0) refuse('EINVAL', `length ${length}`);
}

/** i_block as the 60 bytes it occupies on disk (a fast symlink's target). */
function blockPointerBytes(r: InodeRecord): Uint8Array {
  const out = new Uint8Array(I_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < r.block.length; i++) view.setUint32(4 * i, r.block[i] as number, true);
  return out;
}

function setBlockPointerBytes(r: InodeRecord, bytes: Uint8Array): void {
  const padded = new Uint8Array(I_BLOCK_BYTES);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  for (let i = 0; i < r.block.length; i++) r.block[i] = view.getUint32(4 * i, true);
}

/** A device inode's number: the old 16-bit encoding in i_block[0], or the new one in i_block[1]. */
function rdevOf(r: InodeRecord): number {
  const type = r.mode & S_IFMT;
  if (type !== S_IFCHR && type !== S_IFBLK) return 0;
  const old = r.block[0] as number;
  if (old !== 0) return ((old >> 8) & 0xff) * 256 + (old & 0xff);
  return r.block[1] as number;
}

function setRdev(r: InodeRecord, rdev: number): void {
  const major = ((rdev >>> 8) & 0xfff) >>> 0;
  const minor = ((rdev & 0xff) | ((rdev >>> 12) & 0xfff00)) >>> 0;
  if (major < 256 && minor < 256) {
    r.block[0] = (major << 8) | minor;
    r.block[1] = 0;
  } else {
    r.block[0] = 0;
    r.block[1] = ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
  }
}
