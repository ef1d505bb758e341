/**
 * Mount system calls: mount (tmpfs and proc), umount2, statfs and fstatfs. Mounting and unmounting need
 * uid 0, as without CAP_SYS_ADMIN on Linux. What is not supported says so: bind, move and remount
 * (EINVAL), read-only mounts (EINVAL), other file-system types (ENODEV).
 */
import { fail } from '../errno';
import type { Inode } from '../fs/inode';
import type { Mount } from '../fs/mount';
import type { Call, SyscallHandler } from './call';

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  NOATIME: 0x400,
  BIND: 0x1000,
  MOVE: 0x2000,
  SILENT: 0x8000,
  RELATIME: 0x200000,
  /** The old "magic" in the top 16 bits, which Linux ignores. */
  MGC_MASK: 0xffff0000,
  MGC_VAL: 0xc0ed0000,
} as const;

/** statfs f_type of each file-system type. */
const MAGIC: Record<string, number> = {
  tmpfs: 0x01021994,
  devtmpfs: 0x01021994,
  proc: 0x9fa0,
  ext2: 0xef53,
};
const PIPEFS_MAGIC = 0x50495045;

/** statfs f_flags bits. */
const ST = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, VALID: 0x20, RELATIME: 0x1000 } as const;

function requireRoot(c: Call): void {
  if (c.process.uid !== 0) fail('EPERM', 'only root mounts and unmounts');
}

function mount(c: Call): number {
  requireRoot(c);
  const source = c.arg(0) === 0 ? 'none' : c.path(0);
  const target = c.system.fs.realpath(c.path(1), c.process.cwd);
  let flags = c.arg(3);
  if ((flags & MS.MGC_MASK) >>> 0 === MS.MGC_VAL) flags &= 0xffff;
  if ((flags & (MS.REMOUNT | MS.BIND | MS.MOVE)) !== 0)
    fail('EINVAL', 'remount, bind and move are not supported');
  if ((flags & MS.RDONLY) !== 0) fail('EINVAL', 'read-only mounts are not supported');
  const type = c.arg(2) === 0 ? '' : c.path(2);
  const data = c.arg(4) === 0 ? '' : c.memory.readCString(c.arg(4));
  const options = [
    'rw',
    ...((flags & MS.NOSUID) !== 0 ? ['nosuid'] : []),
    ...((flags & MS.NODEV) !== 0 ? ['nodev'] : []),
    ...((flags & MS.NOEXEC) !== 0 ? ['noexec'] : []),
    (flags & MS.NOATIME) !== 0 ? 'noatime' : 'relatime',
    ...(data.length > 0 ? [data] : []),
  ].join(',');
  switch (type) {
    case 'tmpfs': {
      const mode = /(?:^|,)mode=([0-7]+)(?:,|$)/.exec(data);
      const root = c.system.fs.newTree(mode !== null ? Number.parseInt(mode[1] as string, 8) : 0o1777);
      c.system.fs.mount(target, '/', root, { source, type, options });
      return 0;
    }
    case 'proc':
      c.system.mountProc(target);
      return 0;
    default:
      fail('ENODEV', `file-system type "${type}" is not supported (tmpfs and proc are)`);
  }
}

function umount2(c: Call): number {
  requireRoot(c);
  const fs = c.system.fs;
  const path = c.path(0);
  const root = fs.lookup(path, c.process.cwd);
  const inside = (inode: Inode) => inode.dev === root.dev;
  // Linux refuses while a process works in the file system or has a file of it open.
  for (const p of c.system.processes.values()) {
    if (p.state === 'zombie') continue;
    const cwd = fs.resolve(p.cwd, '/').inode;
    if ((cwd !== null && inside(cwd)) || p.fds.files().some((f) => f.stat().dev === root.dev)) {
      fail('EBUSY', `${path} is in use by process ${p.pid}`);
    }
  }
  fs.umount(path, c.process.cwd);
  return 0;
}

/** struct statfs (120 bytes) for the file system `mount`, or pipefs when there is none. */
function encodeStatfs(c: Call, mount: Mount | null, dev: number): Uint8Array {
  const out = new Uint8Array(120);
  const v = new DataView(out.buffer);
  const u64 = (at: number, n: number) => v.setBigUint64(at, BigInt(n), true);
  const type = mount?.type ?? 'pipefs';
  const inMemory = type === 'tmpfs' || type === 'devtmpfs';
  // An in-memory file system's space is the library OS's memory; one on a disk says what it has.
  const space = mount?.statfs?.();
  const blocks = space?.blocks ?? (inMemory ? c.system.totalFrames : 0);
  const free = space?.freeBlocks ?? (inMemory ? c.system.os.quotaFree : 0);
  const available = space?.availableBlocks ?? free;
  const blockSize = space?.blockSize ?? 4096;
  const options = mount?.options.split(',') ?? [];
  const flag = (name: string, bit: number) => (options.includes(name) ? bit : 0);
  u64(0, MAGIC[type] ?? PIPEFS_MAGIC); // f_type
  u64(8, blockSize); // f_bsize
  u64(16, blocks); // f_blocks
  u64(24, free); // f_bfree
  u64(32, available); // f_bavail
  u64(40, space?.inodes ?? blocks); // f_files
  u64(48, space?.freeInodes ?? free); // f_ffree
  v.setUint32(56, dev, true); // f_fsid
  u64(64, 255); // f_namelen
  u64(72, blockSize); // f_frsize
  u64(
    80,
    ST.VALID |
      flag('ro', ST.RDONLY) |
      flag('nosuid', ST.NOSUID) |
      flag('nodev', ST.NODEV) |
      flag('noexec', ST.NOEXEC) |
      flag('relatime', ST.RELATIME),
  ); // f_flags
  return out;
}

function writeStatfs(c: Call, dev: number): number {
  c.memory.write(c.arg(1), encodeStatfs(c, c.system.fs.mountOf(dev) ?? null, dev));
  return 0;
}

export const MOUNT_CALLS: Record<string, SyscallHandler> = {
  mount,
  umount2,
  statfs: (c) => writeStatfs(c, c.system.fs.lookup(c.path(0), c.process.cwd).dev),
  fstatfs: (c) => writeStatfs(c, c.process.fds.get(c.int(0)).stat().dev),
};
