/**
 * Open files of the in-memory file system: a regular file (read and write at the description's offset,
 * O_APPEND, lseek) and a directory (getdents64). stat comes from the inode.
 */
import { fail } from '../errno';
import { type FileStat, S_IFDIR, S_IFLNK, S_IFREG, S_IFCHR } from '../files/file-stat';
import { O, OpenFile } from '../files/open-file';
import type { Inode } from './inode';

export function statOf(inode: Inode): FileStat {
  return {
    dev: inode.dev,
    ino: inode.ino,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.device?.rdev ?? 0,
    size: inode.isDirectory ? 4096 : inode.size,
    blksize: 4096,
    blocks: Math.ceil((inode.isDirectory ? 4096 : inode.size) / 512),
    atimeNs: inode.atimeNs,
    mtimeNs: inode.mtimeNs,
    ctimeNs: inode.ctimeNs,
  };
}

export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

export class RegularFile extends OpenFile {
  constructor(
    readonly inode: Inode,
    flags: number,
    private readonly clock: () => number,
  ) {
    super(flags);
  }

  override read(length: number): Uint8Array {
    const start = Math.min(this.offset, this.inode.size);
    const end = Math.min(this.inode.size, start + length);
    this.offset = end;
    return this.inode.data.slice(start, end);
  }

  /** pread: at `position`, the offset untouched. */
  readAt(position: number, length: number): Uint8Array {
    const start = Math.min(position, this.inode.size);
    return this.inode.data.slice(start, Math.min(this.inode.size, start + length));
  }

  override write(data: Uint8Array): number {
    if ((this.flags & O.APPEND) !== 0) this.offset = this.inode.size;
    const n = this.writeAt(this.offset, data);
    this.offset += n;
    return n;
  }

  writeAt(position: number, data: Uint8Array): number {
    this.inode.writeBytes(position, data);
    this.inode.mtimeNs = this.inode.ctimeNs = this.clock();
    return data.length;
  }

  override seek(offset: number, whence: number): number {
    const base =
      whence === SEEK.SET
        ? 0
        : whence === SEEK.CUR
          ? this.offset
          : whence === SEEK.END
            ? this.inode.size
            : NaN;
    if (Number.isNaN(base)) fail('EINVAL', `whence ${whence}`);
    const at = base + offset;
    if (at < 0) fail('EINVAL', 'negative offset');
    this.offset = at;
    return at;
  }

  override stat(): FileStat {
    return statOf(this.inode);
  }
}

/** d_type values of getdents64. */
const DT = { CHR: 2, DIR: 4, REG: 8, LNK: 10, UNKNOWN: 0 } as const;

function direntType(inode: Inode): number {
  switch (inode.type) {
    case S_IFDIR:
      return DT.DIR;
    case S_IFREG:
      return DT.REG;
    case S_IFLNK:
      return DT.LNK;
    case S_IFCHR:
      return DT.CHR;
    default:
      return DT.UNKNOWN;
  }
}

export class DirectoryFile extends OpenFile {
  constructor(readonly inode: Inode) {
    super(O.RDONLY | O.DIRECTORY);
  }

  override read(): Uint8Array {
    fail('EISDIR');
  }

  /**
   * getdents64: as many whole `struct linux_dirent64` records as fit in `size` bytes, from the
   * description's position (an index into ".", "..", then the entries in creation order).
   */
  getdents(size: number): Uint8Array {
    const all: [string, Inode][] = [['.', this.inode], ['..', this.inode.parent], ...this.inode.children()];
    const out: Uint8Array[] = [];
    let used = 0;
    while (this.offset < all.length) {
      const [name, inode] = all[this.offset] as [string, Inode];
      const nameBytes = new TextEncoder().encode(name);
      const reclen = Math.ceil((19 + nameBytes.length + 1) / 8) * 8;
      if (used + reclen > size) {
        if (used === 0) fail('EINVAL', 'buffer too small for the next entry');
        break;
      }
      const rec = new Uint8Array(reclen);
      const v = new DataView(rec.buffer);
      v.setBigUint64(0, BigInt(inode.ino), true);
      v.setBigInt64(8, BigInt(this.offset + 1), true);
      v.setUint16(16, reclen, true);
      rec[18] = direntType(inode);
      rec.set(nameBytes, 19);
      out.push(rec);
      used += reclen;
      this.offset++;
    }
    return Buffer.concat(out);
  }

  override seek(offset: number, whence: number): number {
    if (whence !== SEEK.SET || offset < 0) fail('EINVAL', 'directories seek to positions from getdents only');
    this.offset = offset;
    return offset;
  }

  override stat(): FileStat {
    return statOf(this.inode);
  }
}
