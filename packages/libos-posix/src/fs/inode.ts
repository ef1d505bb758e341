/**
 * An in-memory file-system object: a regular file's bytes, a directory's entries, a symbolic link's
 * target or a device's driver. Metadata (mode, owner, times, link count) is stored and reported as given;
 * permissions are recorded but every process runs with the powers of its uid as stored, which is enough
 * for the programs this file system serves (no setuid, no ACLs).
 */
import { fail } from '../errno';
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

/** A directory entry as getdents reports it: name, inode number and file type (S_IFMT bits). */
export interface DirectoryEntry {
  name: string;
  ino: number;
  type: number;
}

/** What chmod, chown, utimensat and truncate change (only the fields given). */
export interface AttributeChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeNs?: number;
  mtimeNs?: number;
}

/** A new object for a directory: its type and permission bits, owner, and what its type needs. */
export interface NewObject {
  mode: number;
  uid: number;
  gid: number;
  /** A symbolic link's target. */
  target?: string;
  /** A character device's driver. */
  device?: Device;
}

let nextIno = 2;

/** st_dev of the root file system; each file system mounted later gets the next minor number. */
export const ROOT_DEV = 0x801;

/**
 * The methods below the fields are every change the namespace and the system calls make, so a file system
 * kept elsewhere (a file-system server) can take each one as an inode of its own kind that overrides them.
 */
export class Inode {
  readonly ino: number;
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

  /** 512-byte blocks the file takes, when its file system counts them (else derived from the size). */
  blocks: number | null = null;

  constructor(
    public mode: number,
    nowNs: number,
    ino?: number,
  ) {
    this.ino = ino ?? nextIno++;
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

  /** A regular file's bytes from `start` up to `end` or its end, whichever comes first (a copy). */
  readBytes(start: number, end: number): Uint8Array {
    const from = Math.min(start, this.size);
    return this.data.slice(from, Math.max(from, Math.min(end, this.size)));
  }

  /** Writes `bytes` at `position`, growing the file as needed; returns how many were written. */
  writeBytes(position: number, bytes: Uint8Array): number {
    if (position + bytes.length > this.size) this.resize(position + bytes.length);
    this.unshare();
    this.data.set(bytes, position);
    this.version++;
    return bytes.length;
  }

  /** Brings the attributes up to date before they are reported (stat): in memory they always are. */
  freshen(): void {}

  /** Makes the file's contents and attributes durable (fsync): in memory there is nothing to do. */
  flush(): void {}

  /** chmod (permission bits only), chown, utimensat: changes what is given; ctime becomes `nowNs`. */
  setAttributes(changes: AttributeChanges, nowNs: number): void {
    if (changes.mode !== undefined) this.mode = (this.mode & ~0o7777) | (changes.mode & 0o7777);
    if (changes.uid !== undefined) this.uid = changes.uid;
    if (changes.gid !== undefined) this.gid = changes.gid;
    if (changes.atimeNs !== undefined) this.atimeNs = changes.atimeNs;
    if (changes.mtimeNs !== undefined) this.mtimeNs = changes.mtimeNs;
    this.ctimeNs = nowNs;
  }

  // ------------------------------------------------------------------ a directory's entries

  /** The entries of a directory (without "." and ".."), as getdents lists them. */
  entryList(): DirectoryEntry[] {
    return this.children().map(([name, inode]) => ({ name, ino: inode.ino, type: inode.type }));
  }

  /** Whether a directory has no entries but "." and "..". */
  isEmptyDirectory(): boolean {
    return this.children().length === 0;
  }

  /** Makes a new object `name` in this directory (EEXIST when the name is taken). */
  makeChild(name: string, spec: NewObject, nowNs: number): Inode {
    const inode = new Inode(spec.mode, nowNs);
    inode.uid = spec.uid;
    inode.gid = spec.gid;
    if (inode.isDirectory) inode.nlink = 2;
    if (spec.target !== undefined) {
      inode.target = spec.target;
      inode.size = Buffer.byteLength(spec.target);
    }
    inode.device = spec.device ?? null;
    return this.attach(name, inode, nowNs);
  }

  /** A hard link `name` to `target` (a file of the same file system, not a directory). */
  linkChild(name: string, target: Inode, nowNs: number): void {
    this.attach(name, target, nowNs);
    target.nlink++;
    target.ctimeNs = nowNs;
  }

  /** Removes the entry `name` for the non-directory `child`. */
  unlinkChild(name: string, child: Inode, nowNs: number): void {
    this.entries.delete(name);
    child.nlink--;
    this.mtimeNs = this.ctimeNs = child.ctimeNs = nowNs;
  }

  /** Removes the empty directory `child`, entered here as `name`. */
  removeDirectory(name: string, child: Inode, nowNs: number): void {
    this.entries.delete(name);
    this.nlink--;
    child.nlink = 0;
    this.mtimeNs = this.ctimeNs = nowNs;
  }

  /**
   * rename: moves `child` (entered here as `name`) to `toName` in `toDir`, replacing `replaced` there
   * (checked already: same kind, an empty directory).
   */
  moveChild(
    name: string,
    child: Inode,
    toDir: Inode,
    toName: string,
    replaced: Inode | null,
    nowNs: number,
  ): void {
    if (replaced !== null) {
      if (replaced.isDirectory) toDir.nlink--;
      else replaced.nlink--;
      toDir.entries.delete(toName);
    }
    this.entries.delete(name);
    if (child.isDirectory) this.nlink--;
    toDir.attach(toName, child, nowNs);
  }

  /** Enters `inode` as `name` (the inode joins this directory's file system). */
  protected attach(name: string, inode: Inode, nowNs: number): Inode {
    if (name === '.' || name === '..' || this.entries.has(name)) fail('EEXIST', name);
    inode.dev = this.dev;
    this.entries.set(name, inode);
    this.mtimeNs = this.ctimeNs = nowNs;
    if (inode.isDirectory) {
      inode.parent = this;
      this.nlink++;
    }
    return inode;
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
