/**
 * A minimal Linux x86-64 system call layer for one single-threaded process, in the spirit of a user-mode
 * emulator: enough of the kernel for statically linked musl and glibc programs that compute, read stdin
 * and write stdout/stderr.
 *
 * Conventions (arch/x86/entry/entry_64.S): number in RAX, arguments in RDI RSI RDX R10 R8 R9, result in
 * RAX with errors as -errno. There is no file system: path lookups fail with ENOENT, and the only open
 * files are fds 0, 1 and 2, which behave like pipes (that is how test harnesses connect them; C
 * libraries see ENOTTY from TCGETS and pick full buffering for stdout, as natively under a pipe).
 *
 * Deterministic by design:
 * - time: 1 ns of virtual time per retired instruction plus time spent in nanosleep and friends;
 *   CLOCK_REALTIME starts at EPOCH_SECONDS (2023-11-14T22:13:20Z), the monotonic clocks at 0;
 * - getrandom() and AT_RANDOM come from a PRNG seeded by the `seed` option;
 * - identity: pid = tid = 1000, ppid = 1, uid = gid = 1000 (an ordinary user), host name "exov6".
 *
 * Signals are not delivered: handlers are recorded (and reported back by rt_sigaction), and a signal
 * sent to the process itself with kill/tkill/tgkill terminates it with that signal unless it is ignored.
 */
import type { Cpu } from '../cpu/cpu';
import { Reg } from '../cpu/registers';
import { ERRNO, ERRNO_NAMES, NON_FATAL_DEFAULT, SIG, syscallName } from './linux';
import type { ProcessMemory } from './vm';

export const PID = 1000;
export const PPID = 1;
export const UID = 1000;
export const GID = 1000;
export const EPOCH_SECONDS = 1_700_000_000;
export const NS_PER_INSTRUCTION = 1;

const RLIM_INFINITY = 0xffffffffffffffffn;
const MAX_RW_COUNT = 0x7ffff000;

export type StdStream = 'stdin' | 'stdout' | 'stderr';

/** What the shim needs from the process it serves. */
export interface SyscallHost {
  readonly cpu: Cpu;
  readonly vm: ProcessMemory;
  readonly memoryBytes: number;
  /** Up to `max` bytes of standard input; an empty array means end of file. */
  readStdin(max: number): Uint8Array;
  /** Bytes still buffered on stdin (for FIONREAD), if known. */
  stdinAvailable(): number;
  writeOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** Ends the process normally. */
  exit(code: number): void;
  /** Ends the process by a signal. */
  killBySignal(signal: number, reason: string): void;
  /** The next `n` deterministic random bytes. */
  randomBytes(n: number): Uint8Array;
  /** One line per system call, when tracing. */
  strace: ((line: string) => void) | null;
}

type Handler = (s: LinuxSyscalls, a: Args) => number;

/** Argument accessors for one call. */
class Args {
  constructor(private readonly cpu: Cpu) {}
  /** Argument k (0..5) as a signed 64-bit number (exact below 2^53). */
  num(k: number): number {
    return this.cpu.regNum(ARG_REGS[k] as number);
  }
  /** Argument k as a C int (low 32 bits, signed). */
  int(k: number): number {
    return (this.cpu.regs[2 * (ARG_REGS[k] as number)] as number) | 0;
  }
  /** Argument k as an unsigned 32-bit value. */
  u32(k: number): number {
    return (this.cpu.regs[2 * (ARG_REGS[k] as number)] as number) >>> 0;
  }
  big(k: number): bigint {
    return this.cpu.getReg(ARG_REGS[k] as number);
  }
}

const ARG_REGS = [Reg.RDI, Reg.RSI, Reg.RDX, Reg.R10, Reg.R8, Reg.R9];

const E = ERRNO;
const neg = (e: number) => -e;

/** Argument formats for traces: i int, u unsigned, x hex, p pointer, s path string, b buffer (length next). */
const TRACE_ARGS: Record<string, string> = {
  read: 'ipu',
  write: 'ibu',
  open: 'sxx',
  close: 'i',
  fstat: 'ip',
  lseek: 'iii',
  mmap: 'pxxxii',
  mprotect: 'pxx',
  munmap: 'px',
  brk: 'p',
  rt_sigaction: 'ippu',
  rt_sigprocmask: 'ippu',
  ioctl: 'ix',
  readv: 'ipi',
  writev: 'ipi',
  access: 'sx',
  mremap: 'pxxxp',
  madvise: 'pxi',
  dup: 'i',
  dup2: 'ii',
  nanosleep: 'pp',
  exit: 'i',
  kill: 'ii',
  uname: 'p',
  fcntl: 'iix',
  readlink: 'spu',
  gettimeofday: 'pp',
  prlimit64: 'iipp',
  getrlimit: 'ip',
  arch_prctl: 'xp',
  set_tid_address: 'p',
  futex: 'pxxpp',
  clock_gettime: 'ip',
  exit_group: 'i',
  tgkill: 'iii',
  tkill: 'ii',
  openat: 'isxx',
  newfstatat: 'ispx',
  set_robust_list: 'pu',
  getrandom: 'pux',
  rseq: 'puxx',
  poll: 'pii',
  sigaltstack: 'pp',
  clock_getres: 'ip',
  clock_nanosleep: 'ixpp',
  sched_getaffinity: 'iup',
  readlinkat: 'ispu',
  dup3: 'iix',
  pread64: 'ipui',
  pwrite64: 'ipui',
  getcwd: 'pu',
  ppoll: 'pipp',
  time: 'p',
  sysinfo: 'p',
  getrusage: 'ip',
  times: 'p',
  umask: 'x',
  prctl: 'ixxxx',
  msync: 'pxx',
  statx: 'isxxp',
  stat: 'sp',
  lstat: 'sp',
  faccessat: 'isx',
  faccessat2: 'isxx',
  getresuid: 'ppp',
  getresgid: 'ppp',
  ...Object.fromEntries(
    [
      'getpid',
      'gettid',
      'getppid',
      'getuid',
      'geteuid',
      'getgid',
      'getegid',
      'getpgrp',
      'setsid',
      'sched_yield',
      'rt_sigreturn',
      'fork',
      'vfork',
      'pause',
      'sync',
    ].map((n) => [n, '']),
  ),
};

export class LinuxSyscalls {
  /** Open file descriptors: which standard stream each one refers to. */
  readonly fds = new Map<number, StdStream>([
    [0, 'stdin'],
    [1, 'stdout'],
    [2, 'stderr'],
  ]);
  /** Handled calls and calls answered with ENOSYS because they are not implemented, by name. */
  count = 0;
  readonly unknown = new Map<string, number>();
  sleepNs = 0;
  sigmask = 0n;
  /** Signals sent while blocked: delivered (with their default action) when unblocked. */
  pending = 0n;
  private readonly pendingVia = new Map<number, string>();
  private readonly sigactions = new Map<number, Uint8Array>();
  private altstack: Uint8Array = new Uint8Array(24);
  private readonly rlimits = new Map<number, [bigint, bigint]>();
  clearChildTid = 0;
  private umaskValue = 0o022;

  constructor(readonly host: SyscallHost) {
    // sigaltstack starts disabled (ss_flags = SS_DISABLE).
    new DataView(this.altstack.buffer).setInt32(8, 2, true);
  }

  /** Virtual nanoseconds since boot. */
  nowNs(): number {
    return this.host.cpu.instret * NS_PER_INSTRUCTION + this.sleepNs;
  }

  /** Handles the system call the CPU just exited for, leaving the result in RAX. */
  dispatch(): void {
    const cpu = this.host.cpu;
    const nr = cpu.regNum(Reg.RAX);
    const a = new Args(cpu);
    const name = syscallName(nr);
    const handler = HANDLERS[name];
    this.count++;
    const pre = this.host.strace ? this.formatCall(name, a) : '';
    let ret: number;
    if (handler === undefined) {
      this.unknown.set(name, (this.unknown.get(name) ?? 0) + 1);
      ret = neg(E.ENOSYS);
    } else {
      ret = handler(this, a);
    }
    cpu.setRegNum(Reg.RAX, ret);
    if (this.host.strace) {
      const note = handler === undefined ? ' (not implemented)' : '';
      this.host.strace(`${pre} = ${this.formatResult(name, ret)}${note}`);
    }
  }

  // ------------------------------------------------------------------------------- helpers

  fd(fd: number): StdStream | undefined {
    return this.fds.get(fd);
  }

  private writeU64s(va: number, values: (number | bigint)[]): boolean {
    const b = new Uint8Array(values.length * 8);
    const v = new DataView(b.buffer);
    values.forEach((x, k) => {
      v.setBigUint64(k * 8, BigInt.asUintN(64, BigInt(x)), true);
    });
    return this.host.vm.copyOut(va, b);
  }

  private writeTimespec(va: number, ns: number, usec = false): boolean {
    const sec = Math.floor(ns / 1e9);
    const frac = ns - sec * 1e9;
    return this.writeU64s(va, [sec, usec ? Math.floor(frac / 1000) : frac]);
  }

  /** A struct timespec from the guest, in ns; null = EFAULT, NaN = EINVAL. */
  readTimespec(va: number): number | null {
    const b = this.host.vm.copyIn(va, 16);
    if (b === null) return null;
    const v = new DataView(b.buffer);
    const sec = v.getBigInt64(0, true);
    const nsec = v.getBigInt64(8, true);
    if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return Number.NaN;
    return Number(sec) * 1e9 + Number(nsec);
  }

  private realtimeNs(): number {
    return EPOCH_SECONDS * 1e9 + this.nowNs();
  }

  // ------------------------------------------------------------------------------- file I/O

  read(fd: number, buf: number, count: number): number {
    const f = this.fd(fd);
    if (f === undefined || f !== 'stdin') return neg(E.EBADF);
    if (count < 0) return neg(E.EINVAL);
    if (count === 0) return 0;
    const n = Math.min(count, MAX_RW_COUNT);
    if (!this.host.vm.ensure(buf, Math.min(n, 4096 - (buf % 4096)), true)) return neg(E.EFAULT);
    const data = this.host.readStdin(n);
    if (data.length > 0 && !this.host.vm.copyOut(buf, data)) return neg(E.EFAULT);
    return data.length;
  }

  write(fd: number, buf: number, count: number): number {
    const f = this.fd(fd);
    if (f === undefined || f === 'stdin') return neg(E.EBADF);
    if (count < 0) return neg(E.EINVAL);
    const n = Math.min(count, MAX_RW_COUNT);
    const data = this.host.vm.copyIn(buf, n);
    if (data === null) return neg(E.EFAULT);
    if (n > 0) this.host.writeOutput(f, data);
    return n;
  }

  /** The (base, len) pairs of an iovec array, or an errno. */
  private iovecs(iov: number, cnt: number): [number, number][] | number {
    if (cnt < 0 || cnt > 1024) return neg(E.EINVAL);
    const raw = this.host.vm.copyIn(iov, cnt * 16);
    if (raw === null) return neg(E.EFAULT);
    const v = new DataView(raw.buffer);
    const out: [number, number][] = [];
    let total = 0n;
    for (let k = 0; k < cnt; k++) {
      const base = Number(v.getBigUint64(k * 16, true));
      const len = v.getBigUint64(k * 16 + 8, true);
      total += len;
      // Linux refuses a total that overflows ssize_t.
      if (total > 0x7fffffffffffffffn) return neg(E.EINVAL);
      out.push([base, Number(len)]);
    }
    return out;
  }

  readv(fd: number, iov: number, cnt: number): number {
    const list = this.iovecs(iov, cnt);
    if (typeof list === 'number') return list;
    let done = 0;
    for (const [base, len] of list) {
      if (len === 0) continue;
      const r = this.read(fd, base, len);
      if (r < 0) return done > 0 ? done : r;
      done += r;
      if (r < len) break;
    }
    return done;
  }

  writev(fd: number, iov: number, cnt: number): number {
    const f = this.fd(fd);
    if (f === undefined || f === 'stdin') return neg(E.EBADF);
    const list = this.iovecs(iov, cnt);
    if (typeof list === 'number') return list;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const [base, len] of list) {
      const n = Math.min(len, MAX_RW_COUNT - total);
      const data = this.host.vm.copyIn(base, n);
      if (data === null) {
        if (total === 0) return neg(E.EFAULT);
        break;
      }
      parts.push(data);
      total += n;
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    if (total > 0) this.host.writeOutput(f, all);
    return total;
  }

  /** struct stat for a standard stream: a pipe (S_IFIFO, mode 0600), as under a test harness. */
  fstat(fd: number, buf: number): number {
    const f = this.fd(fd);
    if (f === undefined) return neg(E.EBADF);
    const b = new Uint8Array(144);
    const v = new DataView(b.buffer);
    const ino = f === 'stdin' ? 4001 : f === 'stdout' ? 4002 : 4003;
    const secs = EPOCH_SECONDS;
    v.setBigUint64(0, 0xdn, true); // st_dev: the pipefs device
    v.setBigUint64(8, BigInt(ino), true);
    v.setBigUint64(16, 1n, true); // st_nlink
    v.setUint32(24, 0o010600, true); // st_mode: S_IFIFO | rw-------
    v.setUint32(28, UID, true);
    v.setUint32(32, GID, true);
    v.setBigInt64(56, 4096n, true); // st_blksize (glibc sizes its stdio buffers from it)
    for (const off of [72, 88, 104]) v.setBigInt64(off, BigInt(secs), true);
    return this.host.vm.copyOut(buf, b) ? 0 : neg(E.EFAULT);
  }

  lowestFreeFd(from = 0): number {
    let fd = from;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  // ------------------------------------------------------------------------------- signals

  /** Whether the program installed a handler (not SIG_DFL or SIG_IGN) for `sig`. */
  hasHandler(sig: number): boolean {
    const act = this.sigactions.get(sig);
    return act !== undefined && new DataView(act.buffer).getBigUint64(0, true) > 1n;
  }

  /** Sends `sig` to this process (kill/tkill/tgkill aimed at ourselves). */
  selfSignal(sig: number, via: string): number {
    if (sig === 0) return 0;
    if (sig < 1 || sig > 64) return neg(E.EINVAL);
    const act = this.sigactions.get(sig);
    const handler = act ? new DataView(act.buffer).getBigUint64(0, true) : 0n;
    const blocked = (this.sigmask >> BigInt(sig - 1)) & 1n;
    if (sig !== SIG.SIGKILL && sig !== SIG.SIGSTOP) {
      if (handler === 1n) return 0; // SIG_IGN
      if (handler === 0n && NON_FATAL_DEFAULT.has(sig)) return 0;
      if (blocked === 1n) {
        this.pending |= 1n << BigInt(sig - 1);
        this.pendingVia.set(sig, via);
        return 0;
      }
    }
    const note =
      handler > 1n ? ' (the process installed a handler, but signal delivery is not supported)' : '';
    this.host.killBySignal(sig, `killed by ${via}${note}`);
    return 0;
  }

  // ------------------------------------------------------------------------------- tracing

  private formatCall(name: string, a: Args): string {
    const spec = TRACE_ARGS[name] ?? 'xxxxxx';
    const parts: string[] = [];
    for (let k = 0; k < spec.length; k++) {
      const t = spec[k];
      if (t === 'i') parts.push(String(a.int(k)));
      else if (t === 'u') parts.push(String(a.num(k)));
      else if (t === 'p') parts.push(a.num(k) === 0 ? 'NULL' : `0x${a.big(k).toString(16)}`);
      else if (t === 's') parts.push(this.quote(this.host.vm.readCString(a.num(k), 256), a.num(k)));
      else if (t === 'b') {
        const len = Math.max(0, Math.min(a.num(k + 1), 32));
        const data = this.host.vm.copyIn(a.num(k), len);
        parts.push(
          data === null
            ? `0x${a.big(k).toString(16)}`
            : `${this.quote(data, 0)}${a.num(k + 1) > 32 ? '...' : ''}`,
        );
      } else parts.push(`0x${a.big(k).toString(16)}`);
    }
    return `${name}(${parts.join(', ')})`;
  }

  private quote(b: Uint8Array | null, addr: number): string {
    if (b === null) return `0x${addr.toString(16)}`;
    let s = '"';
    for (const c of b) {
      if (c === 0x0a) s += '\\n';
      else if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
      else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
      else s += `\\x${c.toString(16).padStart(2, '0')}`;
    }
    return `${s}"`;
  }

  private formatResult(name: string, ret: number): string {
    if (ret < 0 && ret >= -4095) return `-1 ${ERRNO_NAMES[-ret] ?? `errno ${-ret}`}`;
    if (name === 'mmap' || name === 'brk' || name === 'mremap') return `0x${ret.toString(16)}`;
    return String(ret);
  }

  // ------------------------------------------------------------------------------- misc state

  sigaction(sig: number, act: number, oact: number, size: number): number {
    if (size !== 8) return neg(E.EINVAL);
    if (sig < 1 || sig > 64) return neg(E.EINVAL);
    if (act !== 0 && (sig === SIG.SIGKILL || sig === SIG.SIGSTOP)) return neg(E.EINVAL);
    let incoming: Uint8Array | null = null;
    if (act !== 0) {
      incoming = this.host.vm.copyIn(act, 32);
      if (incoming === null) return neg(E.EFAULT);
    }
    if (oact !== 0 && !this.host.vm.copyOut(oact, this.sigactions.get(sig) ?? new Uint8Array(32)))
      return neg(E.EFAULT);
    if (incoming !== null) {
      this.sigactions.set(sig, incoming);
      // Setting SIG_IGN discards a pending instance (a new handler would run on delivery).
      if (new DataView(incoming.buffer).getBigUint64(0, true) === 1n)
        this.pending &= ~(1n << BigInt(sig - 1));
    }
    return 0;
  }

  sigprocmask(how: number, set: number, oset: number, size: number): number {
    if (size !== 8) return neg(E.EINVAL);
    let incoming: bigint | null = null;
    if (set !== 0) {
      const b = this.host.vm.copyIn(set, 8);
      if (b === null) return neg(E.EFAULT);
      incoming = new DataView(b.buffer).getBigUint64(0, true);
      if (how < 0 || how > 2) return neg(E.EINVAL);
    }
    if (oset !== 0 && !this.writeU64s(oset, [this.sigmask])) return neg(E.EFAULT);
    if (incoming !== null) {
      if (how === 0) this.sigmask |= incoming;
      else if (how === 1) this.sigmask &= ~incoming;
      else this.sigmask = incoming;
      this.sigmask &= ~((1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1)));
      this.deliverPending();
    }
    return 0;
  }

  /** Delivers the lowest pending signal that is no longer blocked, as Linux does on return to user mode. */
  private deliverPending(): void {
    const ready = this.pending & ~this.sigmask;
    if (ready === 0n) return;
    for (let sig = 1; sig <= 64; sig++) {
      const bit = 1n << BigInt(sig - 1);
      if ((ready & bit) === 0n) continue;
      this.pending &= ~bit;
      this.selfSignal(sig, `${this.pendingVia.get(sig) ?? 'a pending signal'}, delivered when unblocked`);
      return;
    }
  }

  sigaltstackCall(ss: number, oss: number): number {
    let incoming: Uint8Array | null = null;
    if (ss !== 0) {
      incoming = this.host.vm.copyIn(ss, 24);
      if (incoming === null) return neg(E.EFAULT);
      const flags = new DataView(incoming.buffer).getInt32(8, true);
      if ((flags & ~(2 | 0x80000000)) !== 0) return neg(E.EINVAL);
    }
    if (oss !== 0 && !this.host.vm.copyOut(oss, this.altstack)) return neg(E.EFAULT);
    if (incoming !== null) this.altstack = incoming;
    return 0;
  }

  rlimit(resource: number): [bigint, bigint] {
    const set = this.rlimits.get(resource);
    if (set) return set;
    const inf: [bigint, bigint] = [RLIM_INFINITY, RLIM_INFINITY];
    switch (resource) {
      case 3: // RLIMIT_STACK
        return [8n * 1024n * 1024n, RLIM_INFINITY];
      case 4: // RLIMIT_CORE
        return [0n, RLIM_INFINITY];
      case 6: // RLIMIT_NPROC
        return [4096n, 4096n];
      case 7: // RLIMIT_NOFILE
        return [1024n, 4096n];
      case 8: // RLIMIT_MEMLOCK
        return [8n * 1024n * 1024n, 8n * 1024n * 1024n];
      case 11: // RLIMIT_SIGPENDING
        return [4096n, 4096n];
      case 12: // RLIMIT_MSGQUEUE
        return [819200n, 819200n];
      case 13: // RLIMIT_NICE
      case 14: // RLIMIT_RTPRIO
        return [0n, 0n];
      default:
        return inf;
    }
  }

  prlimit(pid: number, resource: number, newp: number, oldp: number): number {
    if (pid !== 0 && pid !== PID) return neg(E.ESRCH);
    if (resource < 0 || resource >= 16) return neg(E.EINVAL);
    let incoming: [bigint, bigint] | null = null;
    if (newp !== 0) {
      const b = this.host.vm.copyIn(newp, 16);
      if (b === null) return neg(E.EFAULT);
      const v = new DataView(b.buffer);
      incoming = [v.getBigUint64(0, true), v.getBigUint64(8, true)];
      if (incoming[0] > incoming[1]) return neg(E.EINVAL);
    }
    if (oldp !== 0 && !this.writeU64s(oldp, this.rlimit(resource))) return neg(E.EFAULT);
    if (incoming !== null) this.rlimits.set(resource, incoming);
    return 0;
  }

  umask(mask: number): number {
    const old = this.umaskValue;
    this.umaskValue = mask & 0o777;
    return old;
  }

  // ------------------------------------------------------------------------------- time

  clockGettime(clock: number, tp: number): number {
    let ns: number;
    switch (clock) {
      case 0: // CLOCK_REALTIME
      case 5: // CLOCK_REALTIME_COARSE
      case 11: // CLOCK_TAI
        ns = this.realtimeNs();
        break;
      case 1: // CLOCK_MONOTONIC
      case 4: // CLOCK_MONOTONIC_RAW
      case 6: // CLOCK_MONOTONIC_COARSE
      case 7: // CLOCK_BOOTTIME
        ns = this.nowNs();
        break;
      case 2: // CLOCK_PROCESS_CPUTIME_ID
      case 3: // CLOCK_THREAD_CPUTIME_ID
        ns = this.host.cpu.instret * NS_PER_INSTRUCTION;
        break;
      default:
        return neg(E.EINVAL);
    }
    return this.writeTimespec(tp, ns) ? 0 : neg(E.EFAULT);
  }

  /** Sleeps by advancing virtual time. */
  sleep(reqNs: number | null): number {
    if (reqNs === null) return neg(E.EFAULT);
    if (Number.isNaN(reqNs)) return neg(E.EINVAL);
    this.sleepNs += reqNs;
    return 0;
  }

  futex(uaddr: number, op: number, val: number, timeout: number): number {
    const cmd = op & 0x7f;
    switch (cmd) {
      case 0: // FUTEX_WAIT
      case 9: {
        // FUTEX_WAIT_BITSET
        const b = this.host.vm.copyIn(uaddr, 4);
        if (b === null) return neg(E.EFAULT);
        if (new DataView(b.buffer).getUint32(0, true) !== val >>> 0) return neg(E.EAGAIN);
        if (timeout !== 0) {
          const t = this.readTimespec(timeout);
          if (t === null) return neg(E.EFAULT);
          if (Number.isNaN(t)) return neg(E.EINVAL);
          const now = (op & 256) !== 0 ? this.realtimeNs() : this.nowNs();
          this.sleepNs += cmd === 9 ? Math.max(0, t - now) : t;
          return neg(E.ETIMEDOUT);
        }
        // No other thread exists that could wake us; report a spurious wake-up rather than hang.
        return neg(E.EAGAIN);
      }
      case 1: // FUTEX_WAKE
      case 3: // FUTEX_REQUEUE
      case 4: // FUTEX_CMP_REQUEUE
      case 5: // FUTEX_WAKE_OP
      case 10: // FUTEX_WAKE_BITSET
        return 0;
      default:
        return neg(E.ENOSYS);
    }
  }
}

// --------------------------------------------------------------------------------- handlers

const enoent: Handler = () => neg(E.ENOENT);
const zero: Handler = () => 0;
const pid: Handler = () => PID;

const ioctl: Handler = (s, a) => {
  const f = s.fd(a.int(0));
  if (f === undefined) return neg(E.EBADF);
  const req = a.u32(1);
  if (req === 0x541b && f === 'stdin') {
    // FIONREAD: bytes ready in the pipe.
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, s.host.stdinAvailable(), true);
    return s.host.vm.copyOut(a.num(2), b) ? 0 : neg(E.EFAULT);
  }
  return neg(E.ENOTTY); // TCGETS, TIOCGWINSZ...: a pipe is not a terminal
};

const fcntl: Handler = (s, a) => {
  const fd = a.int(0);
  const f = s.fd(fd);
  if (f === undefined) return neg(E.EBADF);
  switch (a.int(1)) {
    case 0: // F_DUPFD
    case 1030: {
      // F_DUPFD_CLOEXEC
      const min = a.int(2);
      if (min < 0 || min >= 1024) return neg(E.EINVAL);
      const nfd = s.lowestFreeFd(min);
      s.fds.set(nfd, f);
      return nfd;
    }
    case 1: // F_GETFD
    case 2: // F_SETFD
    case 4: // F_SETFL
      return 0;
    case 3: // F_GETFL
      return f === 'stdin' ? 0 : 1; // O_RDONLY / O_WRONLY
    case 1032: // F_GETPIPE_SZ
      return 65536;
    default:
      return neg(E.EINVAL);
  }
};

const HANDLERS: Record<string, Handler> = {
  read: (s, a) => s.read(a.int(0), a.num(1), a.num(2)),
  write: (s, a) => s.write(a.int(0), a.num(1), a.num(2)),
  readv: (s, a) => s.readv(a.int(0), a.num(1), a.int(2)),
  writev: (s, a) => s.writev(a.int(0), a.num(1), a.int(2)),
  pread64: (s, a) => (s.fd(a.int(0)) ? neg(E.ESPIPE) : neg(E.EBADF)),
  pwrite64: (s, a) => (s.fd(a.int(0)) ? neg(E.ESPIPE) : neg(E.EBADF)),
  lseek: (s, a) => (s.fd(a.int(0)) ? neg(E.ESPIPE) : neg(E.EBADF)),
  close: (s, a) => (s.fds.delete(a.int(0)) ? 0 : neg(E.EBADF)),
  dup: (s, a) => {
    const f = s.fd(a.int(0));
    if (f === undefined) return neg(E.EBADF);
    const nfd = s.lowestFreeFd();
    s.fds.set(nfd, f);
    return nfd;
  },
  dup2: (s, a) => {
    const f = s.fd(a.int(0));
    const to = a.int(1);
    if (f === undefined || to < 0 || to >= 1024) return neg(E.EBADF);
    s.fds.set(to, f);
    return to;
  },
  dup3: (s, a) => {
    const f = s.fd(a.int(0));
    const to = a.int(1);
    if (f === undefined || to < 0 || to >= 1024) return neg(E.EBADF);
    if (to === a.int(0)) return neg(E.EINVAL);
    s.fds.set(to, f);
    return to;
  },
  fcntl,
  ioctl,
  fstat: (s, a) => s.fstat(a.int(0), a.num(1)),
  newfstatat: (s, a) => {
    const path = s.host.vm.readCString(a.num(1));
    if (path === null) return neg(E.EFAULT);
    if (path.length === 0 && (a.int(3) & 0x1000) !== 0) return s.fstat(a.int(0), a.num(2)); // AT_EMPTY_PATH
    return neg(E.ENOENT); // no file system
  },
  stat: enoent,
  lstat: enoent,
  open: enoent,
  openat: enoent,
  access: enoent,
  faccessat: enoent,
  faccessat2: enoent,
  readlink: enoent,
  readlinkat: enoent,
  getcwd: (s, a) => {
    if (a.num(1) < 2) return neg(E.ERANGE);
    return s.host.vm.copyOut(a.num(0), Uint8Array.of(0x2f, 0)) ? 2 : neg(E.EFAULT);
  },
  poll: (s, a) => pollFds(s, a.num(0), a.num(1)),
  ppoll: (s, a) => pollFds(s, a.num(0), a.num(1)),

  brk: (s, a) => s.host.vm.setBrk(a.num(0)),
  mmap: (s, a) =>
    s.host.vm.mmap(
      a.num(0),
      a.num(1),
      a.int(2),
      a.int(3),
      a.int(4),
      a.num(5),
      (fd) => s.fd(fd) !== undefined,
    ),
  munmap: (s, a) => s.host.vm.munmap(a.num(0), a.num(1)),
  mprotect: (s, a) => s.host.vm.mprotect(a.num(0), a.num(1), a.int(2)),
  mremap: (s, a) => s.host.vm.mremap(a.num(0), a.num(1), a.num(2), a.int(3), a.num(4)),
  madvise: (s, a) => s.host.vm.madvise(a.num(0), a.num(1), a.int(2)),
  msync: zero,
  mlock: zero,
  munlock: zero,

  exit: (s, a) => {
    s.host.exit(a.int(0) & 0xff);
    return 0;
  },
  exit_group: (s, a) => {
    s.host.exit(a.int(0) & 0xff);
    return 0;
  },
  kill: (s, a) => {
    const target = a.int(0);
    if (target === PID || target === 0 || target === -1 || target === -PID)
      return s.selfSignal(a.int(1), 'kill()');
    return neg(E.ESRCH);
  },
  tkill: (s, a) => (a.int(0) === PID ? s.selfSignal(a.int(1), 'tkill()') : neg(E.ESRCH)),
  tgkill: (s, a) =>
    a.int(0) === PID && a.int(1) === PID ? s.selfSignal(a.int(2), 'tgkill()') : neg(E.ESRCH),
  rt_sigaction: (s, a) => s.sigaction(a.int(0), a.num(1), a.num(2), a.num(3)),
  rt_sigprocmask: (s, a) => s.sigprocmask(a.int(0), a.num(1), a.num(2), a.num(3)),
  rt_sigreturn: (s) => {
    s.host.killBySignal(SIG.SIGSEGV, 'rt_sigreturn without a signal frame');
    return 0;
  },
  sigaltstack: (s, a) => s.sigaltstackCall(a.num(0), a.num(1)),

  arch_prctl: (s, a) => {
    const cpu = s.host.cpu;
    const addr = a.num(1);
    switch (a.int(0)) {
      case 0x1001: // ARCH_SET_GS
      case 0x1002: // ARCH_SET_FS
        if (addr < 0 || addr >= 2 ** 47) return neg(E.EPERM);
        if (a.int(0) === 0x1002) cpu.fsBase = addr;
        else cpu.gsBase = addr;
        return 0;
      case 0x1003: // ARCH_GET_FS
        return s.host.vm.copyOut(addr, u64bytes(cpu.fsBase)) ? 0 : neg(E.EFAULT);
      case 0x1004: // ARCH_GET_GS
        return s.host.vm.copyOut(addr, u64bytes(cpu.gsBase)) ? 0 : neg(E.EFAULT);
      default:
        return neg(E.EINVAL); // ARCH_CET_STATUS and friends: not supported
    }
  },
  set_tid_address: (s, a) => {
    s.clearChildTid = a.num(0);
    return PID;
  },
  set_robust_list: (_s, a) => (a.num(1) === 24 ? 0 : neg(E.EINVAL)),
  rseq: () => neg(E.ENOSYS),
  futex: (s, a) => s.futex(a.num(0), a.int(1), a.int(2), a.num(3)),
  sched_yield: zero,
  sched_getaffinity: (s, a) => {
    const len = a.num(1);
    if (len < 8 || len % 8 !== 0) return neg(E.EINVAL);
    return s.host.vm.copyOut(a.num(2), u64bytes(1)) ? 8 : neg(E.EFAULT);
  },
  getcpu: (s, a) => {
    for (const k of [0, 1])
      if (a.num(k) !== 0 && !s.host.vm.copyOut(a.num(k), new Uint8Array(4))) return neg(E.EFAULT);
    return 0;
  },
  prctl: (s, a) => {
    if (a.int(0) === 15) return 0; // PR_SET_NAME
    if (a.int(0) === 16)
      return s.host.vm.copyOut(a.num(1), new TextEncoder().encode('x86run\0')) ? 0 : neg(E.EFAULT);
    return neg(E.EINVAL);
  },

  getpid: pid,
  gettid: pid,
  getppid: () => PPID,
  getpgrp: pid,
  getpgid: pid,
  getsid: pid,
  setpgid: zero,
  setsid: () => neg(E.EPERM),
  getuid: () => UID,
  geteuid: () => UID,
  getgid: () => GID,
  getegid: () => GID,
  getresuid: (s, a) => getres(s, a, UID),
  getresgid: (s, a) => getres(s, a, GID),
  getgroups: zero,
  umask: (s, a) => s.umask(a.int(0)),

  uname: (s, a) => {
    const b = new Uint8Array(6 * 65);
    const fields = ['Linux', 'exov6', '6.1.0', '#1 SMP PREEMPT_DYNAMIC', 'x86_64', '(none)'];
    fields.forEach((f, k) => {
      b.set(new TextEncoder().encode(f), k * 65);
    });
    return s.host.vm.copyOut(a.num(0), b) ? 0 : neg(E.EFAULT);
  },
  sysinfo: (s, a) => {
    const b = new Uint8Array(112);
    const v = new DataView(b.buffer);
    const total = BigInt(s.host.memoryBytes);
    v.setBigInt64(0, BigInt(Math.floor(s.nowNs() / 1e9)), true);
    v.setBigUint64(32, total, true);
    v.setBigUint64(40, total - BigInt(Math.min(s.host.memoryBytes, s.host.vm.residentBytes)), true);
    v.setUint16(80, 1, true);
    v.setUint32(104, 1, true);
    return s.host.vm.copyOut(a.num(0), b) ? 0 : neg(E.EFAULT);
  },
  getrlimit: (s, a) => s.prlimit(0, a.int(0), 0, a.num(1)),
  setrlimit: (s, a) => s.prlimit(0, a.int(0), a.num(1), 0),
  prlimit64: (s, a) => s.prlimit(a.int(0), a.int(1), a.num(2), a.num(3)),
  getrusage: (s, a) => {
    const who = a.int(0);
    if (who !== 0 && who !== -1 && who !== 1) return neg(E.EINVAL);
    const b = new Uint8Array(144);
    const v = new DataView(b.buffer);
    const ns = who === -1 ? 0 : s.host.cpu.instret * NS_PER_INSTRUCTION;
    v.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
    v.setBigInt64(8, BigInt(Math.floor((ns % 1e9) / 1000)), true);
    v.setBigInt64(32, BigInt(who === -1 ? 0 : s.host.vm.residentBytes / 1024), true);
    return s.host.vm.copyOut(a.num(1), b) ? 0 : neg(E.EFAULT);
  },
  times: (s, a) => {
    const ticks = Math.floor(s.nowNs() / 1e7);
    const cpuTicks = Math.floor((s.host.cpu.instret * NS_PER_INSTRUCTION) / 1e7);
    if (a.num(0) !== 0) {
      const b = new Uint8Array(32);
      new DataView(b.buffer).setBigInt64(0, BigInt(cpuTicks), true);
      if (!s.host.vm.copyOut(a.num(0), b)) return neg(E.EFAULT);
    }
    return ticks;
  },

  clock_gettime: (s, a) => s.clockGettime(a.int(0), a.num(1)),
  clock_getres: (s, a) => {
    if (a.int(0) < 0 || a.int(0) > 11) return neg(E.EINVAL);
    if (a.num(1) === 0) return 0;
    return s.host.vm.copyOut(a.num(1), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]))
      ? 0
      : neg(E.EFAULT);
  },
  gettimeofday: (s, a) => {
    if (a.num(0) !== 0) {
      const ns = EPOCH_SECONDS * 1e9 + s.nowNs();
      const sec = Math.floor(ns / 1e9);
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      v.setBigInt64(0, BigInt(sec), true);
      v.setBigInt64(8, BigInt(Math.floor((ns - sec * 1e9) / 1000)), true);
      if (!s.host.vm.copyOut(a.num(0), b)) return neg(E.EFAULT);
    }
    if (a.num(1) !== 0 && !s.host.vm.copyOut(a.num(1), new Uint8Array(8))) return neg(E.EFAULT);
    return 0;
  },
  time: (s, a) => {
    const sec = EPOCH_SECONDS + Math.floor(s.nowNs() / 1e9);
    if (a.num(0) !== 0 && !s.host.vm.copyOut(a.num(0), u64bytes(sec))) return neg(E.EFAULT);
    return sec;
  },
  nanosleep: (s, a) => s.sleep(s.readTimespec(a.num(0))),
  clock_nanosleep: (s, a) => {
    const clock = a.int(0);
    if (![0, 1, 7, 2].includes(clock)) return neg(E.EINVAL);
    const t = s.readTimespec(a.num(2));
    if (t === null || Number.isNaN(t)) return s.sleep(t);
    if ((a.int(1) & 1) !== 0) {
      // TIMER_ABSTIME
      const now = clock === 0 ? EPOCH_SECONDS * 1e9 + s.nowNs() : s.nowNs();
      return s.sleep(Math.max(0, t - now));
    }
    return s.sleep(t);
  },
  getrandom: (s, a) => {
    if ((a.u32(2) & ~7) !== 0) return neg(E.EINVAL);
    const n = Math.min(Math.max(0, a.num(1)), 0x1ffffff);
    if (n === 0) return 0;
    if (!s.host.vm.ensure(a.num(0), n, true)) return neg(E.EFAULT);
    s.host.vm.copyOut(a.num(0), s.host.randomBytes(n));
    return n;
  },

  wait4: () => neg(E.ECHILD),
  waitid: () => neg(E.ECHILD),
};

function u64bytes(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
  return b;
}

function getres(s: LinuxSyscalls, a: Args, id: number): number {
  for (const k of [0, 1, 2]) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, id, true);
    if (!s.host.vm.copyOut(a.num(k), b)) return neg(E.EFAULT);
  }
  return 0;
}

/** poll/ppoll over the standard streams: stdin is always readable (data or EOF), outputs always writable. */
function pollFds(s: LinuxSyscalls, fds: number, nfds: number): number {
  if (nfds < 0 || nfds > 1024) return neg(E.EINVAL);
  const raw = s.host.vm.copyIn(fds, nfds * 8);
  if (raw === null) return neg(E.EFAULT);
  const v = new DataView(raw.buffer);
  let ready = 0;
  for (let k = 0; k < nfds; k++) {
    const fd = v.getInt32(k * 8, true);
    const events = v.getInt16(k * 8 + 4, true);
    let revents = 0;
    if (fd >= 0) {
      const f = s.fd(fd);
      if (f === undefined)
        revents = 0x20; // POLLNVAL
      else if (f === 'stdin')
        revents = events & 0x41; // POLLIN | POLLRDNORM
      else revents = events & 0x104; // POLLOUT | POLLWRNORM
    }
    v.setInt16(k * 8 + 6, revents, true);
    if (revents !== 0) ready++;
  }
  return s.host.vm.copyOut(fds, raw) ? ready : neg(E.EFAULT);
}
