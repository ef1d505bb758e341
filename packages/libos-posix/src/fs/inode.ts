/**
 * An in-memory file-system object: a regular file's bytes, a directory's entries, a symbolic link's
 * target or a device's driver. Metadata (mode, owner, times, link count) is stored and reported as given;
 * permissions are recorded but every process runs with the powers of its uid as stored, which is enough
 * for the programs this file system serves (no setuid, no ACLs).
 */
import type { OpenFile } from '../files/open-file';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../files/file-stat';

/** A character device: how to open it, and its device number (st_rdev). */
export interface Device {
  readonly rdev: number;
  open(flags: number): OpenFile;
}

/** The entries of a computed directory. */
export interface DynamicDirectory {
  list(): [string, Inode][];
  lookup(name: string): Inode | undefined;
}

let nextIno = 2;

/** st_dev of the root file system; each file system mounted later gets the next minor number. */
export const ROOT_DEV = 0x801;

export class Inode {
  readonly ino = nextIno++;
  /** The file system it belongs to (st_dev). */
  dev = ROOT_DEV;
  /** A directory something is mounted on: the root of the file system mounted there (the topmost). */
  mounted: Inode | null = null;
  /** The root of a mounted file system: the directory it is mounted on. */
  coveredDir: Inode | null = null;
  nlink = 1;
  uid = 0;
  gid = 0;
  atimeNs: number;
  mtimeNs: number;
  ctimeNs: number;
  /** A regular file's contents: `data.subarray(0, size)`. Changed only by `writeBytes` and `resize`. */
  data = new Uint8Array(0);
  /** `data` was handed out by `snapshot()`: the next change works on a copy. */
  private dataShared = false;
  size = 0;
  /** A directory's entries (without "." and ".."), and its parent (the root is its own). */
  readonly entries = new Map<string, Inode>();
  parent: Inode = this;
  /** A symbolic link's target. */
  target = '';
  device: Device | null = null;
  /** A directory whose entries are computed (procfs): listed and looked up on demand. */
  dynamic: DynamicDirectory | null = null;
  /** A file whose contents are computed when it is opened (procfs). */
  generate: (() => string) | null = null;

  constructor(
    public mode: number,
    nowNs: number,
  ) {
    this.atimeNs = nowNs;
    this.mtimeNs = nowNs;
    this.ctimeNs = nowNs;
  }

  /** The entries of a directory, computed ones included. */
  children(): [string, Inode][] {
    return this.dynamic !== null ? this.dynamic.list() : [...this.entries];
  }

  child(name: string): Inode | undefined {
    return this.dynamic !== null ? this.dynamic.lookup(name) : this.entries.get(name);
  }

  get type(): number {
    return this.mode & S_IFMT;
  }

  get isDirectory(): boolean {
    return this.type === S_IFDIR;
  }

  get isRegular(): boolean {
    return this.type === S_IFREG;
  }

  get isSymlink(): boolean {
    return this.type === S_IFLNK;
  }

  get isDevice(): boolean {
    return this.type === S_IFCHR;
  }

  /**
   * Bumped by every change of a regular file's bytes (only `resize` and `writeBytes` change them), so a
   * cache of what was made from the contents (executable pages) knows when it is stale.
   */
  version = 0;

  /**
   * The file's contents as they are now, without copying them: a later change of the file copies them
   * first, so the view keeps what it saw. Program images and file mappings load their pages from one
   * when first touched, as the file was at execve or mmap.
   */
  snapshot(): Uint8Array {
    this.dataShared = true;
    return this.data.subarray(0, this.size);
  }

  /** Writes `bytes` at `position`, growing the file as needed. */
  writeBytes(position: number, bytes: Uint8Array): void {
    if (position + bytes.length > this.size) this.resize(position + bytes.length);
    this.unshare();
    this.data.set(bytes, position);
    this.version++;
  }

  /** Grows or shrinks a regular file (truncate, and writes past the end). */
  resize(size: number): void {
    this.version++;
    if (size > this.data.length) {
      const grown = new Uint8Array(Math.max(size, this.data.length * 2, 256));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
      this.dataShared = false;
    } else if (size < this.size) {
      this.unshare();
      this.data.fill(0, size, this.size);
    }
    this.size = size;
  }

  /** Gives `data` a buffer of its own when a snapshot still sees the current one. */
  private unshare(): void {
    if (!this.dataShared) return;
    this.data = this.data.slice();
    this.dataShared = false;
  }
}
