/**
 * The calls the library OS answers on its fast path (the exokernel's `fastSyscall`: inside the vCPU's run
 * loop, on the live registers): those that only read the caller's identity or the clock. Each gives the
 * same result as its ordinary handler; the system declines the fast path while tracing or while the caller
 * has a signal pending (delivery needs the ordinary path).
 */
import type { LiveSyscall } from '@exov6/exokernel';
import { SyscallError } from '../errno';
import type { PosixSystem } from '../posix-system';
import type { Process } from '../process/process';
import { clockNs } from './info-calls';

type FastCall = (proc: Process, system: PosixSystem, call: LiveSyscall) => number;

function clockGettime(proc: Process, system: PosixSystem, call: LiveSyscall): number {
  const ns = clockNs(system, call.arg(0));
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
  v.setBigInt64(8, BigInt(ns % 1e9), true);
  proc.memory.write(call.arg(1), out);
  return 0;
}

/** By Linux x86-64 call number. */
const FAST_CALLS: (FastCall | undefined)[] = [];
FAST_CALLS[39] = (p) => p.pid; // getpid
FAST_CALLS[110] = (p) => p.ppid; // getppid
FAST_CALLS[186] = (p) => p.pid; // gettid
FAST_CALLS[102] = (p) => p.uid; // getuid
FAST_CALLS[107] = (p) => p.uid; // geteuid
FAST_CALLS[104] = (p) => p.gid; // getgid
FAST_CALLS[108] = (p) => p.gid; // getegid
FAST_CALLS[111] = (p) => p.pgid; // getpgrp
FAST_CALLS[228] = clockGettime; // clock_gettime

/** Answers `call` for `proc` when it is one of the fast calls: true when answered. */
export function serveFast(proc: Process, system: PosixSystem, call: LiveSyscall): boolean {
  const answer = call.number >= 0 ? FAST_CALLS[call.number] : undefined;
  if (answer === undefined) return false;
  let result: number;
  try {
    result = answer(proc, system, call);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    result = -e.errno;
  }
  call.setResult(result);
  return true;
}
