/**
 * System calls on descriptors and paths: read/write and their vector and positioned forms, the open
 * family, stat family, getdents64, dup, fcntl, pipes, ioctl, poll/select, sendfile, and the namespace
 * calls (mkdir, unlink, rename, link, symlink, readlink, chdir, getcwd, chmod, chown, truncate...).
 */
import { ERRNO, fail } from '../errno';
import { encodeStat, type FileStat } from '../files/file-stat';
import { type Blocked, isBlocked, O, type OpenFile, SETTABLE_STATUS_FLAGS } from '../files/open-file';
import { Pipe, PipeReadEnd, PipeWriteEnd } from '../files/pipe';
import { DirectoryFile, RegularFile, statOf } from '../fs/inode-file';
import type { Inode } from '../fs/inode';
import type { WaitQueue } from '../process/wait-queue';
import type { Call, SyscallHandler, SyscallResult } from './call';

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
/** Linux caps one read or write at this many bytes. */
const MAX_RW_COUNT = 0x7ffff000;
/** How much a single read/write moves through the library OS at once. */
const IO_CHUNK = 1 << 20;

/** What a blocking operation gives the caller: EAGAIN under O_NONBLOCK, else wait. */
function wouldBlock(file: OpenFile, blocked: Blocked): Blocked {
  if (file.nonBlocking) fail('EAGAIN');
  return blocked;
}

function readInto(c: Call, file: OpenFile, buf: number, count: number): number | Blocked {
  if (!file.readable) fail('EBADF', 'not open for reading');
  const data = file.read(Math.min(count, IO_CHUNK));
  if (isBlocked(data)) return wouldBlock(file, data);
  c.memory.write(buf, data);
  return data.length;
}

function writeFrom(c: Call, file: OpenFile, buf: number, count: number): number | Blocked {
  if (!file.writable) fail('EBADF', 'not open for writing');
  const data = c.memory.read(buf, Math.min(count, IO_CHUNK));
  try {
    const n = file.write(data);
    return isBlocked(n) ? wouldBlock(file, n) : n;
  } catch (e) {
    if (e instanceof Error && 'errno' in e && e.errno === ERRNO.EPIPE) c.system.raise(c.process, 13);
    throw e;
  }
}

/** struct iovec array: [base, length] pairs. */
function iovecs(c: Call, at: number, count: number): [number, number][] {
  if (count < 0 || count > 1024) fail('EINVAL', `iovcnt ${count}`);
  const raw = c.memory.read(at, count * 16);
  const v = new DataView(raw.buffer);
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    out.push([Number(v.getBigUint64(i * 16, true)), Number(v.getBigUint64(i * 16 + 8, true))]);
  }
  return out;
}

/** readv/writev: one operation per buffer until one comes up short; waiting only before the first byte. */
function vectorIo(c: Call, write: boolean): number | Blocked {
  const file = c.process.fds.get(c.int(0));
  let total = 0;
  for (const [base, length] of iovecs(c, c.arg(1), c.int(2))) {
    if (length === 0) continue;
    const r = write ? writeFrom(c, file, base, length) : readInto(c, file, base, length);
    if (isBlocked(r)) return total > 0 ? total : r;
    total += r;
    if (r < length) break;
  }
  return total;
}

/** The directory a *at call starts from: the working directory, or the one `dirfd` names. */
function baseDir(c: Call, dirfd: number, path: string): string {
  if (path.startsWith('/') || dirfd === AT_FDCWD) return c.process.cwd;
  const file = c.process.fds.get(dirfd);
  if (!(file instanceof DirectoryFile)) fail('ENOTDIR', `fd ${dirfd}`);
  return c.system.fs.pathOf(file.inode);
}

/** Opens `path` as flags say (O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW...); returns the fd. */
function openAt(c: Call, dirfd: number, path: string, flags: number, mode: number): number {
  const fs = c.system.fs;
  const cwd = baseDir(c, dirfd, path);
  const found = fs.resolve(path, cwd, (flags & O.NOFOLLOW) === 0);
  let inode = found.inode;
  if (inode === null) {
    if ((flags & O.CREAT) === 0) fail('ENOENT', path);
    if (path.endsWith('/')) fail('EISDIR', path);
    inode = fs.create(path, cwd, mode & ~c.process.umask, c.process.uid, c.process.gid);
  } else if ((flags & (O.CREAT | O.EXCL)) === (O.CREAT | O.EXCL)) fail('EEXIST', path);
  if (inode.isSymlink) fail('ELOOP', path);
  if ((flags & O.DIRECTORY) !== 0 && !inode.isDirectory) fail('ENOTDIR', path);
  const access = flags & O.ACCMODE;
  let file: OpenFile;
  if (inode.isDirectory) {
    if (access !== O.RDONLY) fail('EISDIR', path);
    file = new DirectoryFile(inode);
  } else if (inode.device !== null) {
    file = inode.device.open(flags);
  } else if (!inode.isRegular) {
    // A device, FIFO or socket node on a disk: no driver or pipe stands behind it here.
    fail('ENXIO', path);
  } else {
    if ((flags & O.TRUNC) !== 0 && access !== O.RDONLY) inode.resize(0);
    if (inode.generate !== null) {
      // A computed file (procfs): its contents as of this open.
      const text = new TextEncoder().encode(inode.generate());
      inode.resize(0);
      inode.writeBytes(0, text);
    }
    file = new RegularFile(inode, flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.CLOEXEC), () =>
      c.system.realtimeNs(),
    );
  }
  return c.process.fds.add(file, (flags & O.CLOEXEC) !== 0);
}

function statPath(c: Call, dirfd: number, path: string, flags: number): FileStat {
  if (path === '' && (flags & AT_EMPTY_PATH) !== 0) {
    return dirfd === AT_FDCWD ? statOf(c.system.fs.lookup(c.process.cwd)) : c.process.fds.get(dirfd).stat();
  }
  const inode = c.system.fs.lookup(path, baseDir(c, dirfd, path), (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return statOf(inode);
}

function writeStat(c: Call, at: number, s: FileStat): number {
  c.memory.write(at, encodeStat(s));
  return 0;
}

function inodeAt(c: Call, dirfd: number, path: string, follow = true): Inode {
  return c.system.fs.lookup(path, baseDir(c, dirfd, path), follow);
}

function accessAt(c: Call, dirfd: number, path: string, mode: number, flags: number): number {
  const inode = inodeAt(c, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (mode === 0 || c.process.uid === 0) {
    if ((mode & 1) !== 0 && !inode.isDirectory && (inode.mode & 0o111) === 0) fail('EACCES', path);
    return 0;
  }
  const shift = c.process.uid === inode.uid ? 6 : c.process.gid === inode.gid ? 3 : 0;
  if (((inode.mode >> shift) & 7 & mode) !== mode) fail('EACCES', path);
  return 0;
}

function readlinkAt(c: Call, dirfd: number, path: string, buf: number, size: number): number {
  if (size <= 0) fail('EINVAL', 'buffer size');
  const inode = inodeAt(c, dirfd, path, false);
  if (!inode.isSymlink) fail('EINVAL', `${path} is not a symbolic link`);
  const target = inode.target;
  const bytes = new TextEncoder().encode(target).subarray(0, size);
  c.memory.write(buf, bytes);
  return bytes.length;
}

function truncateInode(inode: Inode, length: number): number {
  if (length < 0) fail('EINVAL', 'negative length');
  if (inode.isDirectory) fail('EISDIR');
  if (!inode.isRegular) fail('EINVAL');
  inode.resize(length);
  return 0;
}

function chmodInode(c: Call, inode: Inode, mode: number): number {
  inode.setAttributes({ mode }, c.system.realtimeNs());
  return 0;
}

function chownInode(c: Call, inode: Inode, uid: number, gid: number): number {
  const changes = { ...(uid === -1 ? {} : { uid }), ...(gid === -1 ? {} : { gid }) };
  inode.setAttributes(changes, c.system.realtimeNs());
  return 0;
}

/** fsync and fdatasync: a file of a file system makes its data durable; others have nothing to do. */
function flushFile(c: Call, fd: number): number {
  const file = c.process.fds.get(fd);
  if (file instanceof RegularFile || file instanceof DirectoryFile) file.inode.flush();
  return 0;
}

// ------------------------------------------------------------------ poll and select

const POLLIN = 0x001;
const POLLPRI = 0x002;
const POLLOUT = 0x004;
const POLLERR = 0x008;
const POLLHUP = 0x010;
const POLLNVAL = 0x020;

interface PollEntry {
  fd: number;
  events: number;
}

/** Which of `entries` are ready now (revents), and the queues to wait on when none is. */
function pollOnce(c: Call, entries: PollEntry[]): { revents: number[]; queues: WaitQueue[] } {
  const queues: WaitQueue[] = [];
  const revents = entries.map(({ fd, events }) => {
    if (fd < 0) return 0;
    if (!c.process.fds.has(fd)) return POLLNVAL;
    const file = c.process.fds.get(fd);
    let r = 0;
    if ((events & (POLLIN | POLLPRI)) !== 0 && file.pollReadable()) r |= POLLIN;
    if ((events & POLLOUT) !== 0 && file.pollWritable()) r |= POLLOUT;
    if (file instanceof PipeReadEnd && file.pipe.writers === 0) r |= POLLHUP;
    if (file instanceof PipeWriteEnd && file.pipe.readers === 0) r |= POLLERR;
    const q = file.pollQueue();
    if (q !== null) queues.push(q);
    return r;
  });
  return { revents, queues };
}

function poll(c: Call, fdsAt: number, nfds: number, timeoutMs: number): number | Blocked {
  if (nfds < 0 || nfds > 1024) fail('EINVAL', `nfds ${nfds}`);
  const raw = c.memory.read(fdsAt, nfds * 8);
  const v = new DataView(raw.buffer);
  const entries: PollEntry[] = [];
  for (let i = 0; i < nfds; i++)
    entries.push({ fd: v.getInt32(i * 8, true), events: v.getInt16(i * 8 + 4, true) });
  const { revents, queues } = pollOnce(c, entries);
  const ready = revents.filter((r) => r !== 0).length;
  if (ready === 0) {
    const wait = waitWithTimeout(c, queues, timeoutMs);
    if (wait !== null) return wait;
  } else c.system.cancelWait(c.process);
  revents.forEach((r, i) => {
    v.setInt16(i * 8 + 6, r, true);
  });
  c.memory.write(fdsAt, raw);
  return ready;
}

/**
 * poll/select found nothing ready: wait on `queues` and, for a timeout, until it expires (the deadline
 * is kept across restarts). Null when the timeout has expired (or was 0): the call returns 0.
 */
function waitWithTimeout(c: Call, queues: WaitQueue[], timeoutMs: number): Blocked | null {
  if (timeoutMs === 0) return null;
  const proc = c.process;
  if (timeoutMs < 0) {
    // Nothing to watch (poll(NULL, 0, -1)): it waits, like pause, until a handled signal interrupts it.
    return { wouldBlock: queues.length > 0 ? queues : proc.signalEvents };
  }
  if (proc.sleepUntil === null) {
    proc.sleepUntil = c.system.monotonicNs() + timeoutMs * 1e6;
    proc.sleepRemainderAt = 0;
  }
  const timer = c.system.waitUntil(proc, proc.sleepUntil);
  if (timer === null) {
    proc.sleepUntil = null;
    return null;
  }
  return { wouldBlock: [...queues, proc.timerEvents] };
}

/** timespec at `at` in ms (-1 for a NULL pointer: wait for ever). */
function timeoutMsOf(c: Call, at: number, micro: boolean): number {
  if (at === 0) return -1;
  const v = new DataView(c.memory.read(at, 16).buffer);
  const seconds = Number(v.getBigInt64(0, true));
  const fraction = Number(v.getBigInt64(8, true));
  return seconds * 1000 + Math.ceil(micro ? fraction / 1000 : fraction / 1e6);
}

function select(
  c: Call,
  nfds: number,
  readAt: number,
  writeAt: number,
  exceptAt: number,
  timeoutMs: number,
): number | Blocked {
  if (nfds < 0 || nfds > 1024) fail('EINVAL', `nfds ${nfds}`);
  const bytes = Math.ceil(nfds / 64) * 8;
  const load = (at: number) => (at === 0 ? new Uint8Array(bytes) : c.memory.read(at, bytes));
  const sets = [load(readAt), load(writeAt), load(exceptAt)];
  const entries: PollEntry[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    const bit = (s: Uint8Array) => ((s[fd >> 3] as number) >> (fd & 7)) & 1;
    const events = (bit(sets[0] as Uint8Array) ? POLLIN : 0) | (bit(sets[1] as Uint8Array) ? POLLOUT : 0);
    if (events !== 0 || bit(sets[2] as Uint8Array)) {
      if (!c.process.fds.has(fd)) fail('EBADF', `fd ${fd}`);
      entries.push({ fd, events });
    }
  }
  const { revents, queues } = pollOnce(c, entries);
  let ready = 0;
  const out = [new Uint8Array(bytes), new Uint8Array(bytes), new Uint8Array(bytes)];
  entries.forEach(({ fd, events }, i) => {
    const r = revents[i] as number;
    const set = (s: Uint8Array) => {
      s[fd >> 3] = (s[fd >> 3] as number) | (1 << (fd & 7));
      ready++;
    };
    if ((events & POLLIN) !== 0 && (r & (POLLIN | POLLHUP | POLLERR)) !== 0) set(out[0] as Uint8Array);
    if ((events & POLLOUT) !== 0 && (r & (POLLOUT | POLLERR)) !== 0) set(out[1] as Uint8Array);
  });
  if (ready === 0) {
    const wait = waitWithTimeout(c, queues, timeoutMs);
    if (wait !== null) return wait;
  } else c.system.cancelWait(c.process);
  [readAt, writeAt, exceptAt].forEach((at, i) => {
    if (at !== 0) c.memory.write(at, out[i] as Uint8Array);
  });
  return ready;
}

// ------------------------------------------------------------------ fcntl and ioctl

const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  DUPFD_CLOEXEC: 1030,
} as const;
const FD_CLOEXEC = 1;

function fcntl(c: Call): number {
  const fd = c.int(0);
  const cmd = c.int(1);
  const fds = c.process.fds;
  const file = fds.get(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC:
      return fds.add(file, cmd === F.DUPFD_CLOEXEC, c.int(2));
    case F.GETFD:
      return fds.getCloexec(fd) ? FD_CLOEXEC : 0;
    case F.SETFD:
      fds.setCloexec(fd, (c.int(2) & FD_CLOEXEC) !== 0);
      return 0;
    case F.GETFL:
      return file.flags;
    case F.SETFL:
      file.flags = (file.flags & ~SETTABLE_STATUS_FLAGS) | (c.int(2) & SETTABLE_STATUS_FLAGS);
      return 0;
    case F.GETLK: {
      // struct flock: l_type is the first short; F_UNLCK (2) says nothing would conflict.
      const at = c.arg(2);
      const lock = c.memory.read(at, 32);
      lock[0] = 2;
      lock[1] = 0;
      c.memory.write(at, lock);
      return 0;
    }
    case F.SETLK:
    case F.SETLKW:
      return 0; // one machine, advisory locks always granted
    default:
      fail('EINVAL', `fcntl command ${cmd}`);
  }
}

const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIOCLEX = 0x5451;
const FIONCLEX = 0x5450;

function ioctl(c: Call): number | Blocked {
  const fd = c.int(0);
  const request = c.u32(1);
  const file = c.process.fds.get(fd);
  switch (request) {
    case FIONBIO: {
      const on = new DataView(c.memory.read(c.arg(2), 4).buffer).getInt32(0, true) !== 0;
      file.flags = on ? file.flags | O.NONBLOCK : file.flags & ~O.NONBLOCK;
      return 0;
    }
    case FIOCLEX:
    case FIONCLEX:
      c.process.fds.setCloexec(fd, request === FIOCLEX);
      return 0;
    case FIONREAD:
      if (file instanceof PipeReadEnd) {
        const out = new Uint8Array(4);
        new DataView(out.buffer).setInt32(0, file.pipe.length, true);
        c.memory.write(c.arg(2), out);
        return 0;
      }
      return file.ioctl(request, c.arg(2), c);
    default:
      return file.ioctl(request, c.arg(2), c);
  }
}

// ------------------------------------------------------------------ the table

export const FILE_CALLS: Record<string, SyscallHandler> = {
  read: (c) => readInto(c, c.process.fds.get(c.int(0)), c.arg(1), Math.min(c.arg(2), MAX_RW_COUNT)),
  write: (c) => writeFrom(c, c.process.fds.get(c.int(0)), c.arg(1), Math.min(c.arg(2), MAX_RW_COUNT)),
  readv: (c) => vectorIo(c, false),
  writev: (c) => vectorIo(c, true),
  pread64: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (!(file instanceof RegularFile)) fail(file instanceof DirectoryFile ? 'EISDIR' : 'ESPIPE');
    if (c.arg(3) < 0) fail('EINVAL', 'negative offset');
    const data = file.readAt(c.arg(3), Math.min(c.arg(2), IO_CHUNK));
    c.memory.write(c.arg(1), data);
    return data.length;
  },
  pwrite64: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (!(file instanceof RegularFile)) fail('ESPIPE');
    if (!file.writable) fail('EBADF');
    if (c.arg(3) < 0) fail('EINVAL', 'negative offset');
    return file.writeAt(c.arg(3), c.memory.read(c.arg(1), Math.min(c.arg(2), IO_CHUNK)));
  },
  open: (c) => openAt(c, AT_FDCWD, c.path(0), c.int(1), c.int(2)),
  openat: (c) => openAt(c, c.int(0), c.path(1), c.int(2), c.int(3)),
  creat: (c) => openAt(c, AT_FDCWD, c.path(0), O.CREAT | O.WRONLY | O.TRUNC, c.int(1)),
  close: (c) => {
    c.process.fds.close(c.int(0));
    return 0;
  },
  lseek: (c) => c.process.fds.get(c.int(0)).seek(c.arg(1), c.int(2)),
  fstat: (c) => writeStat(c, c.arg(1), c.process.fds.get(c.int(0)).stat()),
  stat: (c) => writeStat(c, c.arg(1), statPath(c, AT_FDCWD, c.path(0), 0)),
  lstat: (c) => writeStat(c, c.arg(1), statPath(c, AT_FDCWD, c.path(0), AT_SYMLINK_NOFOLLOW)),
  newfstatat: (c) => writeStat(c, c.arg(2), statPath(c, c.int(0), c.path(1), c.int(3))),
  getdents64: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (!(file instanceof DirectoryFile)) fail('ENOTDIR');
    const records = file.getdents(Math.min(c.arg(2), IO_CHUNK));
    c.memory.write(c.arg(1), records);
    return records.length;
  },
  dup: (c) => c.process.fds.add(c.process.fds.get(c.int(0))),
  dup2: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (c.int(0) !== c.int(1)) c.process.fds.set(c.int(1), file);
    return c.int(1);
  },
  dup3: (c) => {
    if (c.int(0) === c.int(1)) fail('EINVAL', 'dup3 to the same descriptor');
    if ((c.int(2) & ~O.CLOEXEC) !== 0) fail('EINVAL', 'dup3 flags');
    c.process.fds.set(c.int(1), c.process.fds.get(c.int(0)), (c.int(2) & O.CLOEXEC) !== 0);
    return c.int(1);
  },
  fcntl,
  ioctl,
  pipe: (c) => makePipe(c, c.arg(0), 0),
  pipe2: (c) => makePipe(c, c.arg(0), c.int(1)),
  access: (c) => accessAt(c, AT_FDCWD, c.path(0), c.int(1), 0),
  faccessat: (c) => accessAt(c, c.int(0), c.path(1), c.int(2), 0),
  faccessat2: (c) => accessAt(c, c.int(0), c.path(1), c.int(2), c.int(3)),
  getcwd: (c) => {
    const bytes = new TextEncoder().encode(`${c.process.cwd}\0`);
    if (c.arg(1) < bytes.length) fail('ERANGE');
    c.memory.write(c.arg(0), bytes);
    return bytes.length;
  },
  chdir: (c) => changeDirectory(c, c.system.fs.lookup(c.path(0), c.process.cwd)),
  fchdir: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (!(file instanceof DirectoryFile)) fail('ENOTDIR');
    return changeDirectory(c, file.inode);
  },
  mkdir: (c) => mkdirAt(c, AT_FDCWD, c.path(0), c.int(1)),
  mkdirat: (c) => mkdirAt(c, c.int(0), c.path(1), c.int(2)),
  rmdir: (c) => {
    c.system.fs.rmdir(c.path(0), c.process.cwd);
    return 0;
  },
  unlink: (c) => {
    c.system.fs.unlink(c.path(0), c.process.cwd);
    return 0;
  },
  unlinkat: (c) => {
    const path = c.path(1);
    const cwd = baseDir(c, c.int(0), path);
    if ((c.int(2) & AT_REMOVEDIR) !== 0) c.system.fs.rmdir(path, cwd);
    else c.system.fs.unlink(path, cwd);
    return 0;
  },
  rename: (c) => {
    c.system.fs.rename(c.path(0), c.path(1), c.process.cwd);
    return 0;
  },
  renameat: (c) => renameAt(c, 0),
  renameat2: (c) => renameAt(c, c.int(4)),
  symlink: (c) => {
    c.system.fs.symlink(c.path(0), c.path(1), c.process.cwd, c.process.uid, c.process.gid);
    return 0;
  },
  symlinkat: (c) => {
    const path = c.path(2);
    c.system.fs.symlink(c.path(0), path, baseDir(c, c.int(1), path), c.process.uid, c.process.gid);
    return 0;
  },
  readlink: (c) => readlinkAt(c, AT_FDCWD, c.path(0), c.arg(1), c.int(2)),
  readlinkat: (c) => readlinkAt(c, c.int(0), c.path(1), c.arg(2), c.int(3)),
  link: (c) => {
    c.system.fs.link(c.path(0), c.path(1), c.process.cwd);
    return 0;
  },
  linkat: (c) => {
    const from = c.path(1);
    const to = c.path(3);
    if (
      baseDir(c, c.int(0), from) !== baseDir(c, c.int(2), to) &&
      !from.startsWith('/') &&
      !to.startsWith('/')
    ) {
      fail('EXDEV', 'linkat with two different directory descriptors');
    }
    c.system.fs.link(from, to, baseDir(c, c.int(0), from));
    return 0;
  },
  umask: (c) => {
    const old = c.process.umask;
    c.process.umask = c.int(0) & 0o777;
    return old;
  },
  chmod: (c) => chmodInode(c, inodeAt(c, AT_FDCWD, c.path(0)), c.int(1)),
  fchmod: (c) => chmodInode(c, inodeOfFd(c, c.int(0)), c.int(1)),
  fchmodat: (c) => chmodInode(c, inodeAt(c, c.int(0), c.path(1)), c.int(2)),
  chown: (c) => chownInode(c, inodeAt(c, AT_FDCWD, c.path(0)), c.int(1), c.int(2)),
  lchown: (c) => chownInode(c, inodeAt(c, AT_FDCWD, c.path(0), false), c.int(1), c.int(2)),
  fchown: (c) => chownInode(c, inodeOfFd(c, c.int(0)), c.int(1), c.int(2)),
  fchownat: (c) =>
    chownInode(
      c,
      inodeAt(c, c.int(0), c.path(1), (c.int(4) & AT_SYMLINK_NOFOLLOW) === 0),
      c.int(2),
      c.int(3),
    ),
  truncate: (c) => truncateInode(inodeAt(c, AT_FDCWD, c.path(0)), c.arg(1)),
  ftruncate: (c) => {
    const file = c.process.fds.get(c.int(0));
    if (!(file instanceof RegularFile) || !file.writable) fail('EINVAL', 'not a file open for writing');
    return truncateInode(file.inode, c.arg(1));
  },
  utimensat: (c) => {
    const path = c.arg(1) === 0 ? '' : c.path(1);
    const inode =
      path === ''
        ? inodeOfFd(c, c.int(0))
        : inodeAt(c, c.int(0), path, (c.int(3) & AT_SYMLINK_NOFOLLOW) === 0);
    const now = c.system.realtimeNs();
    const UTIME_NOW = (1 << 30) - 1;
    const UTIME_OMIT = (1 << 30) - 2;
    const times = c.arg(2) === 0 ? null : new DataView(c.memory.read(c.arg(2), 32).buffer);
    const pick = (k: number, old: number) => {
      if (times === null) return now;
      const ns = Number(times.getBigInt64(k * 16 + 8, true));
      if (ns === UTIME_NOW) return now;
      if (ns === UTIME_OMIT) return old;
      return Number(times.getBigInt64(k * 16, true)) * 1e9 + ns;
    };
    inode.setAttributes({ atimeNs: pick(0, inode.atimeNs), mtimeNs: pick(1, inode.mtimeNs) }, now);
    return 0;
  },
  fsync: (c) => flushFile(c, c.int(0)),
  fdatasync: (c) => flushFile(c, c.int(0)),
  sync: (c) => {
    c.system.fs.sync();
    return 0;
  },
  sendfile: (c) => sendfile(c),
  poll: (c) => poll(c, c.arg(0), c.int(1), c.int(2)),
  ppoll: (c) => poll(c, c.arg(0), c.int(1), timeoutMsOf(c, c.arg(2), false)),
  select: (c) => select(c, c.int(0), c.arg(1), c.arg(2), c.arg(3), timeoutMsOf(c, c.arg(4), true)),
  pselect6: (c) => select(c, c.int(0), c.arg(1), c.arg(2), c.arg(3), timeoutMsOf(c, c.arg(4), false)),
};

function inodeOfFd(c: Call, fd: number): Inode {
  const file = c.process.fds.get(fd);
  if (file instanceof RegularFile || file instanceof DirectoryFile) return file.inode;
  fail('EINVAL', `fd ${fd} is not a file of the file system`);
}

function changeDirectory(c: Call, inode: Inode): number {
  if (!inode.isDirectory) fail('ENOTDIR');
  c.process.cwd = c.system.fs.pathOf(inode);
  return 0;
}

function mkdirAt(c: Call, dirfd: number, path: string, mode: number): number {
  c.system.fs.mkdir(path, baseDir(c, dirfd, path), mode & ~c.process.umask, c.process.uid, c.process.gid);
  return 0;
}

function renameAt(c: Call, flags: number): number {
  const RENAME_NOREPLACE = 1;
  const from = c.path(1);
  const to = c.path(3);
  if ((flags & ~RENAME_NOREPLACE) !== 0) fail('EINVAL', `renameat2 flags ${flags}`);
  const toCwd = baseDir(c, c.int(2), to);
  const fromCwd = baseDir(c, c.int(0), from);
  const fs = c.system.fs;
  if ((flags & RENAME_NOREPLACE) !== 0 && fs.resolve(to, toCwd, false).inode !== null) fail('EEXIST', to);
  // One tree: make both paths absolute and rename there.
  const abs = (p: string, cwd: string) => (p.startsWith('/') ? p : `${cwd}/${p}`);
  fs.rename(abs(from, fromCwd), abs(to, toCwd), '/');
  return 0;
}

function makePipe(c: Call, at: number, flags: number): number {
  if ((flags & ~(O.CLOEXEC | O.NONBLOCK)) !== 0) fail('EINVAL', `pipe2 flags ${flags}`);
  const pipe = new Pipe();
  const reader = new PipeReadEnd(pipe, flags & O.NONBLOCK);
  const writer = new PipeWriteEnd(pipe, flags & O.NONBLOCK);
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const fds = c.process.fds;
  const r = fds.add(reader, cloexec);
  let w: number;
  try {
    w = fds.add(writer, cloexec);
  } catch (e) {
    fds.close(r);
    throw e;
  }
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setInt32(0, r, true);
  v.setInt32(4, w, true);
  try {
    c.memory.write(at, out);
  } catch (e) {
    fds.close(r);
    fds.close(w);
    throw e;
  }
  return 0;
}

function sendfile(c: Call): SyscallResult {
  const out = c.process.fds.get(c.int(0));
  const input = c.process.fds.get(c.int(1));
  const offsetAt = c.arg(2);
  const count = Math.min(c.arg(3), IO_CHUNK);
  if (!out.writable || !input.readable) fail('EBADF');
  let data: Uint8Array | Blocked;
  if (offsetAt !== 0) {
    if (!(input instanceof RegularFile)) fail('ESPIPE');
    const offset = Number(c.memory.readU64(offsetAt));
    data = input.readAt(offset, count);
  } else data = input.read(count);
  if (isBlocked(data)) return wouldBlock(input, data);
  // What was read goes back when nothing could be written (the call waits and is made again, or fails):
  // otherwise the restarted call would start past it and the bytes would never be sent.
  const unread = () => {
    if (offsetAt === 0 && input instanceof RegularFile) input.offset -= (data as Uint8Array).length;
  };
  let n: number | Blocked;
  try {
    n = out.write(data);
  } catch (e) {
    unread();
    throw e;
  }
  if (isBlocked(n)) {
    unread();
    return wouldBlock(out, n);
  }
  if (offsetAt !== 0) {
    const next = new Uint8Array(8);
    new DataView(next.buffer).setBigUint64(0, c.memory.readU64(offsetAt) + BigInt(n), true);
    c.memory.write(offsetAt, next);
  } else if (input instanceof RegularFile && n < (data as Uint8Array).length) {
    input.offset -= (data as Uint8Array).length - n;
  }
  return n;
}
