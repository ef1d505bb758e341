/**
 * struct stat as x86-64 Linux lays it out (144 bytes; asm/stat.h), and the file-type bits of st_mode.
 */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export interface FileStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  /** Times in ns since the epoch. */
  atimeNs: number;
  mtimeNs: number;
  ctimeNs: number;
}

export const STAT_SIZE = 144;

export function encodeStat(s: FileStat): Uint8Array {
  const bytes = new Uint8Array(STAT_SIZE);
  const v = new DataView(bytes.buffer);
  const u64 = (at: number, x: number) => v.setBigUint64(at, BigInt(Math.max(0, Math.floor(x))), true);
  u64(0, s.dev);
  u64(8, s.ino);
  u64(16, s.nlink);
  v.setUint32(24, s.mode, true);
  v.setUint32(28, s.uid, true);
  v.setUint32(32, s.gid, true);
  u64(40, s.rdev);
  u64(48, s.size);
  u64(56, s.blksize);
  u64(64, s.blocks);
  const time = (at: number, ns: number) => {
    u64(at, Math.floor(ns / 1e9));
    u64(at + 8, ns % 1e9);
  };
  time(72, s.atimeNs);
  time(88, s.mtimeNs);
  time(104, s.ctimeNs);
  return bytes;
}

/** A stat for objects that live only while open (pipes, the console). */
export function anonymousStat(mode: number, ino: number, rdev = 0): FileStat {
  return {
    dev: 0xc,
    ino,
    mode,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev,
    size: 0,
    blksize: 4096,
    blocks: 0,
    atimeNs: 0,
    mtimeNs: 0,
    ctimeNs: 0,
  };
}
