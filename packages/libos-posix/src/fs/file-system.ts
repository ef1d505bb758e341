/**
 * The library OS's file-system namespace: trees of in-memory inodes, one per mounted file system (the
 * root file system, /dev's devtmpfs, /proc, and whatever is mounted later), and the namespace operations
 * the system calls need: path lookup with symbolic links and mount points, create, mkdir, unlink, rmdir,
 * rename, link, symlink, mount and umount.
 *
 * A mount covers a directory: looking the directory up gives the mounted tree's root, and ".." from that
 * root goes to the covered directory's parent. Paths are resolved against a process's working directory,
 * given as an absolute path. Errors are the ones Linux gives: ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY,
 * ELOOP, ENAMETOOLONG, EXDEV (a rename or link from one file system to another), EBUSY (removing or
 * renaming a mount point, unmounting a file system something else is mounted in), EINVAL (renaming a
 * directory into itself, unmounting what is not a mount).
 */
import { fail, SyscallError } from '../errno';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from '../files/file-stat';
import { type Device, Inode, ROOT_DEV } from './inode';
import type { Mount } from './mount';

const MAX_SYMLINKS = 40;
const NAME_MAX = 255;
const PATH_MAX = 4096;

export interface Lookup {
  /** The object, or null when only its directory exists (for creation). */
  inode: Inode | null;
  /** The directory holding the last component, and that component. */
  parent: Inode;
  name: string;
}

export class FileSystem {
  readonly root: Inode;
  /** Mounted file systems in the order they were mounted; the root file system first. */
  private readonly mountList: Mount[] = [];
  private nextDev = ROOT_DEV + 1;

  /**
   * `rootMount`: the root file system (its root directory's st_dev must be ROOT_DEV); without one, an
   * empty in-memory tree.
   */
  constructor(
    readonly clock: () => number = () => 0,
    rootMount?: Mount,
  ) {
    if (rootMount !== undefined) {
      this.root = rootMount.root;
      this.mountList.push(rootMount);
      return;
    }
    this.root = new Inode(S_IFDIR | 0o755, clock());
    this.root.nlink = 2;
    // An in-memory root, so a tmpfs (not "rootfs": tools such as df skip that name as Linux's hidden one).
    this.mountList.push({ source: 'tmpfs', type: 'tmpfs', options: 'rw', root: this.root });
  }

  // ------------------------------------------------------------------ mounts

  /** The root directory of a new, empty in-memory file system (with a device number of its own). */
  newTree(mode = 0o755): Inode {
    const root = new Inode(S_IFDIR | (mode & 0o7777), this.clock());
    root.nlink = 2;
    root.dev = this.nextDev++;
    return root;
  }

  /**
   * Mounts the tree whose root is `root` on the directory at `path` (ENOENT, ENOTDIR); a second mount on
   * the same place covers the first, as on Linux.
   */
  mount(path: string, cwd: string, root: Inode, info: Omit<Mount, 'root'>): void {
    if (root.coveredDir !== null || this.mountList.some((m) => m.root === root)) {
      fail('EBUSY', 'that file system is mounted already');
    }
    const dir = this.lookup(path, cwd);
    if (!dir.isDirectory) fail('ENOTDIR', path);
    if (dir === this.root) fail('EINVAL', 'mounting over / is not supported');
    dir.mounted = root;
    root.coveredDir = dir;
    root.parent = root;
    this.mountList.push({ ...info, root });
  }

  /** Unmounts the file system whose root `path` names: EINVAL if it is not one, EBUSY if others are in it. */
  umount(path: string, cwd: string): Mount {
    const root = this.lookup(path, cwd);
    const at = this.mountList.findIndex((m) => m.root === root);
    if (root === this.root) fail('EBUSY', 'the root file system');
    if (at < 0) fail('EINVAL', `${path} is not a mount point`);
    if (this.mountList.some((m) => m.root.coveredDir !== null && m.root.coveredDir.dev === root.dev)) {
      fail('EBUSY', `something is mounted inside ${path}`);
    }
    const covered = root.coveredDir as Inode;
    covered.mounted = null;
    root.coveredDir = null;
    return this.mountList.splice(at, 1)[0] as Mount;
  }

  /** The mounted file systems with their mount points, in mount order (for /proc/mounts). */
  mounts(): (Mount & { path: string })[] {
    return this.mountList.map((m) => ({ ...m, path: this.pathOf(m.root) }));
  }

  /** sync(2): every mounted file system writes what it holds in memory to its disk. */
  sync(): void {
    for (const m of this.mountList) m.sync?.();
  }

  /** The mounted file system with device number `dev` (st_dev of its files), if one is mounted. */
  mountOf(dev: number): Mount | undefined {
    return this.mountList.find((m) => m.root.dev === dev);
  }

  // ------------------------------------------------------------------ lookup

  /**
   * Resolves `path` from `cwd` (an absolute path). `follow`: follow a symbolic link in the last
   * component. Missing intermediate directories are ENOENT; a missing last component gives inode null.
   */
  resolve(path: string, cwd: string, follow = true, depth = 0): Lookup {
    if (path.length === 0) fail('ENOENT', 'empty path');
    if (path.length >= PATH_MAX) fail('ENAMETOOLONG');
    const absolute = path.startsWith('/') ? path : `${cwd}/${path}`;
    const parts = absolute.split('/').filter((p) => p.length > 0);
    let dir = this.root;
    if (parts.length === 0) return { inode: this.root, parent: this.root, name: '.' };
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      if (name.length > NAME_MAX) fail('ENAMETOOLONG', name);
      if (!dir.isDirectory) fail('ENOTDIR', parts.slice(0, i).join('/'));
      const last = i === parts.length - 1;
      let child = name === '.' ? dir : name === '..' ? parentOf(dir) : (dir.child(name) ?? null);
      // A mount point stands for the root of what is mounted on it.
      while (child?.mounted != null) child = child.mounted;
      if (child === null) {
        if (last) return { inode: null, parent: dir, name };
        fail('ENOENT', `/${parts.slice(0, i + 1).join('/')}`);
      }
      if (child.isSymlink && (!last || follow)) {
        if (depth >= MAX_SYMLINKS) fail('ELOOP', path);
        const rest = parts.slice(i + 1).join('/');
        const base = `/${parts.slice(0, i).join('/')}`;
        const target = rest.length > 0 ? `${child.target}/${rest}` : child.target;
        // (A trailing slash in the original path asked for a directory; keep asking.)
        return this.resolve(
          target + (path.endsWith('/') && rest.length === 0 ? '/' : ''),
          base,
          follow,
          depth + 1,
        );
      }
      if (last) {
        if (path.endsWith('/') && !child.isDirectory) fail('ENOTDIR', path);
        return { inode: child, parent: dir, name };
      }
      dir = child;
    }
    throw new Error('unreachable');
  }

  /** The object at `path`; ENOENT when there is none. */
  lookup(path: string, cwd = '/', follow = true): Inode {
    const found = this.resolve(path, cwd, follow);
    if (found.inode === null) fail('ENOENT', path);
    return found.inode;
  }

  /** Whether `path` names an object (following symbolic links). */
  exists(path: string, cwd = '/'): boolean {
    try {
      return this.resolve(path, cwd).inode !== null;
    } catch (e) {
      if (e instanceof SyscallError) return false;
      throw e;
    }
  }

  /** The canonical absolute path of what `path` names, symbolic links followed (realpath(3)). */
  realpath(path: string, cwd = '/'): string {
    const found = this.resolve(path, cwd, true);
    if (found.inode === null) fail('ENOENT', path);
    if (found.inode === this.root) return '/';
    const dir = this.pathOf(found.parent);
    const name = found.name === '.' || found.name === '..' ? '' : found.name;
    if (name === '') return this.pathOf(found.inode);
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The absolute path of a directory (getcwd). */
  pathOf(dir: Inode): string {
    const names: string[] = [];
    for (let d = dir; d !== this.root; d = d.parent) {
      while (d.coveredDir !== null) d = d.coveredDir; // a mounted root is named by the directory it covers
      const parent = d.parent;
      const ino = d.ino;
      const name = parent.entryList().find((e) => e.ino === ino)?.name;
      if (name === undefined) fail('ENOENT', 'directory was removed');
      names.unshift(name);
    }
    return `/${names.join('/')}`;
  }

  // ------------------------------------------------------------------ changes

  create(path: string, cwd: string, mode: number, uid = 0, gid = 0): Inode {
    const { inode, parent, name } = this.resolve(path, cwd, true);
    if (inode !== null) fail('EEXIST', path);
    return parent.makeChild(name, { mode: S_IFREG | (mode & 0o7777), uid, gid }, this.clock());
  }

  mkdir(path: string, cwd: string, mode: number, uid = 0, gid = 0): Inode {
    const { inode, parent, name } = this.resolve(path.replace(/\/+$/, '') || '/', cwd, false);
    if (inode !== null) fail('EEXIST', path);
    return parent.makeChild(name, { mode: S_IFDIR | (mode & 0o7777), uid, gid }, this.clock());
  }

  symlink(target: string, path: string, cwd: string, uid = 0, gid = 0): Inode {
    const { inode, parent, name } = this.resolve(path, cwd, false);
    if (inode !== null) fail('EEXIST', path);
    return parent.makeChild(name, { mode: S_IFLNK | 0o777, uid, gid, target }, this.clock());
  }

  mknod(path: string, cwd: string, device: Device, mode = 0o666): Inode {
    const { inode, parent, name } = this.resolve(path, cwd, false);
    if (inode !== null) fail('EEXIST', path);
    return parent.makeChild(name, { mode: S_IFCHR | (mode & 0o7777), uid: 0, gid: 0, device }, this.clock());
  }

  link(existing: string, path: string, cwd: string): void {
    const target = this.lookup(existing, cwd, false);
    if (target.isDirectory) fail('EPERM', 'hard link to a directory');
    const { inode, parent, name } = this.resolve(path, cwd, false);
    if (inode !== null) fail('EEXIST', path);
    if (parent.dev !== target.dev) fail('EXDEV', `${existing} and ${path} are on different file systems`);
    parent.linkChild(name, target, this.clock());
  }

  unlink(path: string, cwd: string): void {
    const { inode, parent, name } = this.resolve(path, cwd, false);
    if (inode === null) fail('ENOENT', path);
    if (inode.isDirectory) fail('EISDIR', path);
    parent.unlinkChild(name, inode, this.clock());
  }

  rmdir(path: string, cwd: string): void {
    const { inode, parent, name } = this.resolve(path.replace(/\/+$/, '') || '/', cwd, false);
    if (inode === null) fail('ENOENT', path);
    if (!inode.isDirectory) fail('ENOTDIR', path);
    if (inode === this.root || inode.coveredDir !== null || name === '.' || name === '..') {
      fail('EBUSY', path);
    }
    if (!inode.isEmptyDirectory()) fail('ENOTEMPTY', path);
    parent.removeDirectory(name, inode, this.clock());
  }

  rename(from: string, to: string, cwd: string): void {
    const source = this.resolve(from, cwd, false);
    if (source.inode === null) fail('ENOENT', from);
    const moving = source.inode;
    const dest = this.resolve(to, cwd, false);
    if (dest.inode === moving) return;
    if (moving.coveredDir !== null || dest.inode?.coveredDir != null) fail('EBUSY', 'a mount point');
    if (moving.dev !== dest.parent.dev) fail('EXDEV', `${from} and ${to} are on different file systems`);
    if (moving.isDirectory) {
      for (let d = dest.parent; ; d = d.parent) {
        if (d === moving) fail('EINVAL', 'a directory cannot move into itself');
        if (d.parent === d) break; // the root of this file system
      }
    }
    if (dest.inode !== null) {
      if (moving.isDirectory && !dest.inode.isDirectory) fail('ENOTDIR', to);
      if (!moving.isDirectory && dest.inode.isDirectory) fail('EISDIR', to);
      if (dest.inode.isDirectory && !dest.inode.isEmptyDirectory()) fail('ENOTEMPTY', to);
    }
    source.parent.moveChild(source.name, moving, dest.parent, dest.name, dest.inode, this.clock());
  }

  // ------------------------------------------------------------------ building images

  /** Writes a file at an absolute path, creating the directories above it (for building images). */
  writeFile(path: string, contents: Uint8Array | string, mode = 0o644): Inode {
    const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    this.mkdirs(dir);
    const found = this.resolve(path, '/');
    const file = found.inode ?? this.create(path, '/', mode);
    if (!file.isRegular) fail('EISDIR', path);
    file.setAttributes({ mode }, this.clock());
    file.resize(0);
    file.writeBytes(0, bytes);
    return file;
  }

  /** mkdir -p. */
  mkdirs(path: string, mode = 0o755): Inode {
    let at = '';
    let dir = this.root;
    for (const part of path.split('/').filter((p) => p.length > 0)) {
      at += `/${part}`;
      const found = this.resolve(at, '/');
      dir = found.inode ?? this.mkdir(at, '/', mode);
      if (!dir.isDirectory) fail('ENOTDIR', at);
    }
    return dir;
  }

  readFile(path: string, cwd = '/'): Uint8Array {
    const inode = this.lookup(path, cwd);
    if (inode.isDirectory) fail('EISDIR', path);
    if (!inode.isRegular) fail('EINVAL', `${path} is not a regular file`);
    return inode.readBytes(0, inode.size);
  }
}

/** ".." of a directory: above a mounted file system's root, the parent of the directory it covers. */
function parentOf(dir: Inode): Inode {
  let d = dir;
  while (d.coveredDir !== null) d = d.coveredDir;
  return d.parent;
}
