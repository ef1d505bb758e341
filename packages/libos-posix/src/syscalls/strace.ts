/**
 * The system-call trace (`strace` option): one line per call with its arguments decoded as strace(1)
 * shows them (paths and written data as strings, descriptors and sizes as numbers, flags in hex, signal
 * names, argument vectors) and the result, with the errno name on failure. Arguments that point at guest
 * memory are read before the call runs (a path may be gone after unlink).
 */
import { ERRNO_NAMES, signalName, syscallName } from '@exov6/hal-x86';
import type { Call } from './call';

type Format = 'int' | 'fd' | 'dirfd' | 'str' | 'buf' | 'size' | 'hex' | 'ptr' | 'sig' | 'argv' | 'oct';

/** Argument formats by call name (calls not listed show their first three arguments in hex). */
const FORMATS: Record<string, Format[]> = {
  read: ['fd', 'ptr', 'size'],
  write: ['fd', 'buf', 'size'],
  pread64: ['fd', 'ptr', 'size', 'int'],
  pwrite64: ['fd', 'buf', 'size', 'int'],
  readv: ['fd', 'ptr', 'int'],
  writev: ['fd', 'ptr', 'int'],
  open: ['str', 'hex', 'oct'],
  openat: ['dirfd', 'str', 'hex', 'oct'],
  creat: ['str', 'oct'],
  close: ['fd'],
  stat: ['str', 'ptr'],
  lstat: ['str', 'ptr'],
  fstat: ['fd', 'ptr'],
  newfstatat: ['dirfd', 'str', 'ptr', 'hex'],
  lseek: ['fd', 'int', 'int'],
  getdents64: ['fd', 'ptr', 'size'],
  dup: ['fd'],
  dup2: ['fd', 'fd'],
  dup3: ['fd', 'fd', 'hex'],
  fcntl: ['fd', 'int', 'hex'],
  ioctl: ['fd', 'hex', 'ptr'],
  pipe: ['ptr'],
  pipe2: ['ptr', 'hex'],
  access: ['str', 'int'],
  faccessat: ['dirfd', 'str', 'int'],
  faccessat2: ['dirfd', 'str', 'int', 'hex'],
  chdir: ['str'],
  mkdir: ['str', 'oct'],
  mkdirat: ['dirfd', 'str', 'oct'],
  rmdir: ['str'],
  unlink: ['str'],
  unlinkat: ['dirfd', 'str', 'hex'],
  rename: ['str', 'str'],
  renameat: ['dirfd', 'str', 'dirfd', 'str'],
  renameat2: ['dirfd', 'str', 'dirfd', 'str', 'hex'],
  symlink: ['str', 'str'],
  readlink: ['str', 'ptr', 'size'],
  readlinkat: ['dirfd', 'str', 'ptr', 'size'],
  chmod: ['str', 'oct'],
  execve: ['str', 'argv', 'ptr'],
  exit: ['int'],
  exit_group: ['int'],
  wait4: ['int', 'ptr', 'hex', 'ptr'],
  kill: ['int', 'sig'],
  tkill: ['int', 'sig'],
  tgkill: ['int', 'int', 'sig'],
  rt_sigaction: ['sig', 'ptr', 'ptr', 'size'],
  rt_sigprocmask: ['int', 'ptr', 'ptr', 'size'],
  brk: ['ptr'],
  mmap: ['ptr', 'size', 'hex', 'hex', 'fd', 'hex'],
  munmap: ['ptr', 'size'],
  mprotect: ['ptr', 'size', 'hex'],
  setpgid: ['int', 'int'],
  getpgid: ['int'],
  arch_prctl: ['hex', 'ptr'],
  set_tid_address: ['ptr'],
  poll: ['ptr', 'int', 'int'],
  nanosleep: ['ptr', 'ptr'],
  fork: [],
  vfork: [],
  getpid: [],
  getppid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  getpgrp: [],
  setsid: [],
  sched_yield: [],
  pause: [],
};

function quote(bytes: Uint8Array, limit = 32): string {
  let s = '"';
  for (const b of bytes.subarray(0, limit)) {
    if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${s}"${bytes.length > limit ? '...' : ''}`;
}

/** The arguments as text, read before the call runs. Unreadable memory shows as its address. */
export function describeArguments(c: Call): string {
  const name = syscallName(c.number);
  const formats = FORMATS[name] ?? ['hex', 'hex', 'hex'];
  return formats
    .map((format, k) => {
      const value = c.arg(k);
      const hex = `0x${c.raw(k).toString(16)}`;
      try {
        switch (format) {
          case 'int':
            return String(value);
          case 'fd':
            return String(c.int(k));
          case 'dirfd':
            return c.int(k) === -100 ? 'AT_FDCWD' : String(c.int(k));
          case 'size':
            return String(value);
          case 'oct':
            return `0${c.u32(k).toString(8)}`;
          case 'sig':
            return c.int(k) === 0 ? '0' : signalName(c.int(k));
          case 'str':
            return value === 0
              ? 'NULL'
              : quote(new TextEncoder().encode(c.memory.readCString(value, 4096)), 256);
          case 'buf':
            return quote(c.memory.read(value, Math.min(Math.max(0, c.arg(k + 1)), 33)));
          case 'argv':
            return `[${c.memory
              .readStringArray(value, 64)
              .map((a) => quote(new TextEncoder().encode(a), 64))
              .join(', ')}]`;
          case 'ptr':
            return value === 0 ? 'NULL' : hex;
          default:
            return hex;
        }
      } catch {
        return hex;
      }
    })
    .join(', ');
}

/** The result as strace shows it: a number, or -1 and the errno's name. */
export function describeResult(name: string, result: number): string {
  if (result < 0 && result >= -4095) return `-1 ${ERRNO_NAMES[-result] ?? `errno ${-result}`}`;
  if (name === 'mmap' || name === 'brk') return `0x${result.toString(16)}`;
  return String(result);
}
