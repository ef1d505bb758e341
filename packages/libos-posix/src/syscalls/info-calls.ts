/**
 * Time, identity of the system, limits and the small calls C library start-up makes: uname,
 * clock_gettime and friends, nanosleep, getrandom, prlimit64, sysinfo, times, arch_prctl,
 * set_robust_list, futex (as much as a single-threaded program needs).
 */
import { fail } from '../errno';
import type { PosixSystem } from '../posix-system';
import type { Call, SyscallHandler, SyscallResult } from './call';

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;

const RLIM_INFINITY = 0xffffffffffffffffn;

function put64(c: Call, at: number, values: (number | bigint)[]): void {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, k) => {
    v.setBigUint64(k * 8, BigInt.asUintN(64, BigInt(typeof x === 'number' ? Math.floor(x) : x)), true);
  });
  c.memory.write(at, out);
}

/** The time of `clock` in ns (EINVAL for a clock there is not). */
export function clockNs(system: PosixSystem, clock: number): number {
  switch (clock) {
    case 0: // CLOCK_REALTIME
    case 5: // CLOCK_REALTIME_COARSE
    case 11: // CLOCK_TAI
      return system.realtimeNs();
    case 1: // CLOCK_MONOTONIC
    case 4: // CLOCK_MONOTONIC_RAW
    case 6: // CLOCK_MONOTONIC_COARSE
    case 7: // CLOCK_BOOTTIME
    case 2: // CLOCK_PROCESS_CPUTIME_ID
    case 3: // CLOCK_THREAD_CPUTIME_ID
      return system.monotonicNs();
    default:
      fail('EINVAL', `clock ${clock}`);
  }
}

function writeTimespec(c: Call, at: number, ns: number): number {
  put64(c, at, [Math.floor(ns / 1e9), ns % 1e9]);
  return 0;
}

/**
 * nanosleep and clock_nanosleep: the process waits (others run) until the time has come. The deadline is
 * kept across the call's restarts; a handled signal ends the wait with EINTR and the time left in `rem`.
 */
function sleepFor(c: Call, at: number, remAt: number, clock = 1, absolute = false): SyscallResult {
  const proc = c.process;
  if (proc.sleepUntil === null) {
    const v = new DataView(c.memory.read(at, 16).buffer);
    const seconds = Number(v.getBigInt64(0, true));
    const ns = Number(v.getBigInt64(8, true));
    if (seconds < 0 || ns < 0 || ns >= 1e9) fail('EINVAL', 'bad timespec');
    const requested = seconds * 1e9 + ns;
    const now = c.system.monotonicNs();
    proc.sleepUntil = absolute ? now + (requested - clockNs(c.system, clock)) : now + requested;
    proc.sleepRemainderAt = remAt;
  }
  const wait = c.system.waitUntil(proc, proc.sleepUntil);
  if (wait !== null) return wait;
  proc.sleepUntil = null;
  return 0;
}

function rlimit(resource: number): [bigint, bigint] {
  switch (resource) {
    case 3: // RLIMIT_STACK
      return [8n * 1024n * 1024n, RLIM_INFINITY];
    case 4: // RLIMIT_CORE
      return [0n, RLIM_INFINITY];
    case 7: // RLIMIT_NOFILE
      return [1024n, 4096n];
    default:
      if (resource < 0 || resource > 15) fail('EINVAL', `resource ${resource}`);
      return [RLIM_INFINITY, RLIM_INFINITY];
  }
}

function utsname(c: Call): number {
  const fields = ['Linux', c.system.hostname, '6.1.0-exov6', '#1 SMP ExoV6', 'x86_64', '(none)'];
  const out = new Uint8Array(65 * 6);
  fields.forEach((f, k) => {
    out.set(new TextEncoder().encode(f).subarray(0, 64), k * 65);
  });
  c.memory.write(c.arg(0), out);
  return 0;
}

export const INFO_CALLS: Record<string, SyscallHandler> = {
  uname: utsname,
  clock_gettime: (c) => writeTimespec(c, c.arg(1), clockNs(c.system, c.int(0))),
  clock_getres: (c) => {
    clockNs(c.system, c.int(0));
    return c.arg(1) === 0 ? 0 : writeTimespec(c, c.arg(1), 1);
  },
  gettimeofday: (c) => {
    const ns = c.system.realtimeNs();
    if (c.arg(0) !== 0) put64(c, c.arg(0), [Math.floor(ns / 1e9), Math.floor((ns % 1e9) / 1000)]);
    if (c.arg(1) !== 0) put64(c, c.arg(1), [0]);
    return 0;
  },
  time: (c) => {
    const seconds = Math.floor(c.system.realtimeNs() / 1e9);
    if (c.arg(0) !== 0) put64(c, c.arg(0), [seconds]);
    return seconds;
  },
  nanosleep: (c) => sleepFor(c, c.arg(0), c.arg(1)),
  clock_nanosleep: (c) => sleepFor(c, c.arg(2), c.arg(3), c.int(0), (c.int(1) & 1) !== 0),
  getrandom: (c) => {
    const n = Math.min(c.arg(1), 1 << 20);
    c.memory.write(c.arg(0), c.system.randomBytes(n));
    return n;
  },
  prlimit64: (c) => {
    if (c.int(0) !== 0 && c.int(0) !== c.process.pid) fail('ESRCH');
    const [soft, hard] = rlimit(c.int(1));
    if (c.arg(3) !== 0) put64(c, c.arg(3), [soft, hard]);
    return 0;
  },
  getrlimit: (c) => {
    const [soft, hard] = rlimit(c.int(0));
    put64(c, c.arg(1), [soft, hard]);
    return 0;
  },
  setrlimit: (c) => {
    rlimit(c.int(0));
    return 0;
  },
  getrusage: (c) => {
    c.memory.write(c.arg(1), new Uint8Array(144));
    return 0;
  },
  sysinfo: (c) => {
    const out = new Uint8Array(112);
    const v = new DataView(out.buffer);
    const total = BigInt(c.system.totalFrames) * 4096n;
    v.setBigInt64(0, BigInt(Math.floor(c.system.monotonicNs() / 1e9)), true); // uptime
    v.setBigUint64(32, total, true); // totalram
    v.setBigUint64(40, BigInt(c.system.os.quotaFree) * 4096n, true); // freeram
    v.setUint16(80, c.system.processes.size, true); // procs
    v.setUint32(104, 1, true); // mem_unit
    c.memory.write(c.arg(0), out);
    return 0;
  },
  times: (c) => {
    const ticks = Math.floor(c.system.monotonicNs() / 1e7);
    if (c.arg(0) !== 0) c.memory.write(c.arg(0), new Uint8Array(32));
    return ticks;
  },
  arch_prctl: (c) => {
    const code = c.int(0);
    const address = c.arg(1);
    switch (code) {
      case ARCH_SET_FS:
        c.regs.fsBase = address;
        return 0;
      case ARCH_SET_GS:
        c.regs.gsBase = address;
        return 0;
      case ARCH_GET_FS:
        put64(c, address, [c.regs.fsBase]);
        return 0;
      case ARCH_GET_GS:
        put64(c, address, [c.regs.gsBase]);
        return 0;
      default:
        fail('EINVAL', `arch_prctl code 0x${code.toString(16)}`);
    }
  },
  set_robust_list: () => 0,
  futex: (c) => {
    const op = c.int(1) & 0x7f; // without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
    const FUTEX_WAIT = 0;
    const FUTEX_WAKE = 1;
    const FUTEX_WAIT_BITSET = 9;
    const FUTEX_WAKE_BITSET = 10;
    if (op === FUTEX_WAKE || op === FUTEX_WAKE_BITSET) return 0; // no other thread to wake
    if (op === FUTEX_WAIT || op === FUTEX_WAIT_BITSET) {
      const word = new DataView(c.memory.read(c.arg(0), 4).buffer).getInt32(0, true);
      // A lone thread waiting on a value that matches would sleep for ever: the value changed, or deadlock.
      if (word !== c.int(2)) fail('EAGAIN');
      fail('EDEADLK', 'futex wait with no other thread to wake it');
    }
    fail('ENOSYS', `futex op ${op}`);
  },
  sched_getaffinity: (c) => {
    const size = c.arg(1);
    if (size < 8) fail('EINVAL');
    const mask = new Uint8Array(8);
    mask[0] = 1;
    c.memory.write(c.arg(2), mask);
    return 8;
  },
  prctl: () => fail('EINVAL', 'prctl options are not supported'),
};
