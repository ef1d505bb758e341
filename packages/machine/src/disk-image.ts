/**
 * Disk images made with the project's own mkfs: an ext2 file system filled from a host directory, the
 * way `mke2fs -t ext2 -d DIR` fills one.
 *
 * Everything in the directory is copied: directories, regular files (holes are not preserved: a file's
 * bytes are written as read), symbolic links, hard links (files sharing a host inode share an ext2
 * inode), FIFOs, sockets and device nodes, with their permission bits, owners (unless `owner` is given)
 * and modification times. The image is deterministic: the same directory, options and `time` give the
 * same bytes.
 */
import {
  closeSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { BlockBackendError, FileBlockBackend, MemoryBlockBackend, type BlockBackend } from '@exov6/hal-x86';
import { Ext2FileSystem, type Ext2Owner, mkfs, type MkfsOptions } from '@exov6/libos-posix';
import { MachineError } from './machine-error';

export interface FillOptions {
  /** Owner of every file (default: the host files' own uid and gid). */
  owner?: Ext2Owner;
  /** Called once per file copied, with its path inside the image (progress for large trees). */
  onFile?: (path: string) => void;
}

export interface FillSummary {
  files: number;
  directories: number;
  symlinks: number;
  hardLinks: number;
  special: number;
  bytes: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const COPY_CHUNK = 1 << 20;

/** Copies the host directory `source` into directory inode `into` of `fs` (the root by default). */
export function fillFromDirectory(
  fs: Ext2FileSystem,
  source: string,
  options: FillOptions = {},
  into = fs.rootIno,
): FillSummary {
  const summary: FillSummary = { files: 0, directories: 0, symlinks: 0, hardLinks: 0, special: 0, bytes: 0 };
  /** Host "dev:ino" of files with several links -> the ext2 inode made for the first one. */
  const linked = new Map<string, number>();
  const chunk = new Uint8Array(COPY_CHUNK);
  const copyTree = (hostDir: string, dir: number, imagePath: string): void => {
    // Sorted, so that the image does not depend on the order the host lists a directory in.
    for (const name of readdirSync(hostDir).sort()) {
      const hostPath = join(hostDir, name);
      const path = `${imagePath}/${name}`;
      const st = lstatSync(hostPath, { bigint: false });
      const owner = options.owner ?? { uid: st.uid, gid: st.gid };
      const mtime = Math.floor(st.mtimeMs / 1000);
      const type = st.mode & S_IFMT;
      options.onFile?.(path);
      if (type === S_IFDIR) {
        const ino = fs.mkdir(dir, name, st.mode & 0o7777, owner);
        copyTree(hostPath, ino, path);
        fs.setAttributes(ino, { mtime, atime: mtime });
        summary.directories++;
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? linked.get(key) : undefined;
      if (first !== undefined) {
        fs.link(dir, name, first);
        summary.hardLinks++;
        continue;
      }
      let ino: number;
      if (type === S_IFLNK) {
        ino = fs.symlink(dir, name, readlinkSync(hostPath), owner);
        summary.symlinks++;
      } else if (type === S_IFREG) {
        ino = fs.create(dir, name, st.mode & 0o7777, owner);
        summary.bytes += copyFile(fs, ino, hostPath, chunk);
        summary.files++;
      } else {
        ino = fs.create(dir, name, st.mode, owner, st.rdev);
        summary.special++;
      }
      if (type !== S_IFLNK) fs.setAttributes(ino, { mtime, atime: mtime });
      if (st.nlink > 1) linked.set(key, ino);
    }
  };
  checkDirectory(source);
  copyTree(source, into, '');
  return summary;
}

function checkDirectory(path: string): void {
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch (e) {
    throw new MachineError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!directory) throw new MachineError(`${path} is not a directory`);
}

function copyFile(fs: Ext2FileSystem, ino: number, hostPath: string, chunk: Uint8Array): number {
  const fd = openSync(hostPath, 'r');
  try {
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) return position;
      const written = fs.write(ino, position, chunk.subarray(0, n));
      if (written < n) throw new MachineError(`the image is full (copying ${hostPath})`);
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

export interface DiskImageOptions extends MkfsOptions, FillOptions {
  /** Image size in MiB (default: the directory's size with room to spare, at least 16 MiB). */
  sizeMiB?: number;
}

export interface DiskImageSummary extends FillSummary {
  sizeBytes: number;
  blockSize: number;
  freeBlocks: number;
  freeInodes: number;
}

/**
 * Makes an ext2 image of the host directory `source`: in memory (`path` null, the bytes are returned)
 * or in the file `path` (created or replaced).
 */
export function makeDiskImage(
  source: string,
  path: string | null,
  options: DiskImageOptions = {},
): DiskImageSummary & { image: Uint8Array | null } {
  checkDirectory(source);
  const sizeMiB = options.sizeMiB ?? defaultSizeMiB(source);
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1 || sizeMiB > 16 * 1024) {
    throw new MachineError(`disk image size must be a whole number of MiB from 1 to 16384, got ${sizeMiB}`);
  }
  const bytes = sizeMiB * 2 ** 20;
  let device: BlockBackend;
  if (path === null) {
    device = new MemoryBlockBackend(bytes);
  } else {
    // A sparse file of the right size: only what mkfs and the copy write takes space.
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    device = new FileBlockBackend(path, { writeBack: 'on-flush', syncOnFlush: false });
  }
  try {
    const time = options.time ?? 0;
    mkfs(device, options);
    const fs = Ext2FileSystem.mount(device, { clock: () => time });
    const summary = fillFromDirectory(fs, source, options);
    const statfs = fs.statfs();
    fs.unmount();
    return {
      ...summary,
      sizeBytes: bytes,
      blockSize: statfs.blockSize,
      freeBlocks: statfs.freeBlocks,
      freeInodes: statfs.freeInodes,
      image: device instanceof MemoryBlockBackend ? device.bytes : null,
    };
  } catch (e) {
    if (e instanceof BlockBackendError) throw new MachineError(`disk image: ${e.message}`);
    throw e;
  } finally {
    if (device instanceof FileBlockBackend) device.close();
  }
}

/** The directory's bytes plus a quarter, plus room for metadata; at least 16 MiB. */
function defaultSizeMiB(source: string): number {
  let total = 0;
  let entries = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const st = lstatSync(join(dir, name));
      entries++;
      if (st.isDirectory()) walk(join(dir, name));
      else if (st.isFile()) total += Math.ceil(st.size / 4096) * 4096;
    }
  };
  walk(source);
  return Math.max(16, Math.ceil((total * 1.25 + entries * 4096) / 2 ** 20) + 8);
}
