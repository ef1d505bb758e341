/**
 * Open files of the in-memory file system: a regular file (read and write at the description's offset,
 * O_APPEND, lseek) and a directory (getdents64). stat comes from the inode.
 */
import { fail } from '../errno';
import { type FileStat, S_IFDIR } from '../files/file-stat';
import { O, OpenFile } from '../files/open-file';
import type { DirectoryEntry, Inode } from './inode';

export function statOf(inode: Inode): FileStat {
  inode.freshen();
  return {
    dev: inode.dev,
    ino: inode.ino,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.device?.rdev ?? 0,
    size: inode.isDirectory && inode.blocks === null ? 4096 : inode.size,
    blksize: 4096,
    blocks: inode.blocks ?? Math.ceil((inode.isDirectory ? 4096 : inode.size) / 512),
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
    const data = this.inode.readBytes(this.offset, this.offset + length);
    this.offset += data.length;
    return data;
  }

  /** pread: at `position`, the offset untouched. */
  readAt(position: number, length: number): Uint8Array {
    return this.inode.readBytes(position, position + length);
  }

  override write(data: Uint8Array): number {
    if ((this.flags & O.APPEND) !== 0) this.offset = this.inode.size;
    const n = this.writeAt(this.offset, data);
    this.offset += n;
    return n;
  }

  writeAt(position: number, data: Uint8Array): number {
    // (Times first: a file system that keeps its own times answers the write with them.)
    this.inode.mtimeNs = this.inode.ctimeNs = this.clock();
    return this.inode.writeBytes(position, data);
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

/** getdents64's d_type: Linux's DT_* values are the S_IFMT bits shifted down (DT_REG 8, DT_DIR 4...). */
function direntType(type: number): number {
  return type >>> 12;
}

export class DirectoryFile extends OpenFile {
  /**
   * The entries as they were when reading started (position 0): positions index this list, so entries
   * removed while a program reads the directory (rm -r does) do not move the others under it.
   */
  private listed: DirectoryEntry[] | null = null;

  constructor(readonly inode: Inode) {
    super(O.RDONLY | O.DIRECTORY);
  }

  override read(): Uint8Array {
    fail('EISDIR');
  }

  /**
   * getdents64: as many whole `struct linux_dirent64` records as fit in `size` bytes, from the
   * description's position (an index into ".", "..", then the entries in their file system's order, as
   * listed when reading started).
   */
  getdents(size: number): Uint8Array {
    const dir = this.inode;
    if (this.offset === 0 || this.listed === null) {
      this.listed = [
        { name: '.', ino: dir.ino, type: S_IFDIR },
        { name: '..', ino: dir.parent.ino, type: S_IFDIR },
        ...dir.entryList(),
      ];
    }
    const all = this.listed;
    const out: Uint8Array[] = [];
    let used = 0;
    while (this.offset < all.length) {
      const { name, ino, type } = all[this.offset] as DirectoryEntry;
      const nameBytes = new TextEncoder().encode(name);
      const reclen = Math.ceil((19 + nameBytes.length + 1) / 8) * 8;
      if (used + reclen > size) {
        if (used === 0) fail('EINVAL', 'buffer too small for the next entry');
        break;
      }
      const rec = new Uint8Array(reclen);
      const v = new DataView(rec.buffer);
      v.setBigUint64(0, BigInt(ino), true);
      v.setBigInt64(8, BigInt(this.offset + 1), true);
      v.setUint16(16, reclen, true);
      rec[18] = direntType(type);
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
