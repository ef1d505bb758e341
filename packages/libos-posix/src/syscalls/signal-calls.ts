/**
 * Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait,
 * rt_sigreturn, sigaltstack, kill, tkill, tgkill, pause.
 */
import { fail } from '../errno';
import type { Process } from '../process/process';
import { encodeSiginfo } from '../signals/signal-frame';
import { signalReturn } from '../signals/signal-delivery';
import { bit, NSIG, SI_TKILL, SI_USER, SS_DISABLE, SS_ONSTACK, UNCATCHABLE } from '../signals/signal-state';
import { type Call, NO_RETURN, type SyscallHandler, type SyscallResult } from './call';

const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;
const MINSIGSTKSZ = 2048;

function checkSignal(signal: number, allowZero = false): void {
  if (!Number.isInteger(signal) || signal < (allowZero ? 0 : 1) || signal > NSIG)
    fail('EINVAL', `signal ${signal}`);
}

function readMask(c: Call, at: number): bigint {
  return c.memory.readU64(at);
}

function writeMask(c: Call, at: number, mask: bigint): void {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, mask), true);
  c.memory.write(at, out);
}

function sigaction(c: Call): number {
  const signal = c.int(0);
  const act = c.arg(1);
  const old = c.arg(2);
  if (c.arg(3) !== 8) fail('EINVAL', 'sigsetsize must be 8');
  checkSignal(signal);
  const actions = c.process.signals.actions;
  const current = actions[signal] as NonNullable<(typeof actions)[number]>;
  let next = current;
  if (act !== 0) {
    if ((bit(signal) & UNCATCHABLE) !== 0n) fail('EINVAL', 'SIGKILL and SIGSTOP cannot be caught or ignored');
    const v = new DataView(c.memory.read(act, 32).buffer);
    next = {
      handler: v.getBigUint64(0, true),
      flags: v.getBigUint64(8, true),
      restorer: v.getBigUint64(16, true),
      mask: v.getBigUint64(24, true) & ~UNCATCHABLE,
    };
  }
  if (old !== 0) {
    const out = new Uint8Array(32);
    const v = new DataView(out.buffer);
    v.setBigUint64(0, current.handler, true);
    v.setBigUint64(8, current.flags, true);
    v.setBigUint64(16, current.restorer, true);
    v.setBigUint64(24, current.mask, true);
    c.memory.write(old, out);
  }
  actions[signal] = next;
  // Setting a pending signal to be ignored discards it (POSIX).
  if (c.process.signals.isIgnored(signal)) c.process.signals.discard(signal);
  return 0;
}

function sigprocmask(c: Call): number {
  const how = c.int(0);
  const set = c.arg(1);
  const old = c.arg(2);
  if (c.arg(3) !== 8) fail('EINVAL', 'sigsetsize must be 8');
  const signals = c.process.signals;
  const before = signals.blocked;
  if (set !== 0) {
    const mask = readMask(c, set);
    if (how === SIG_BLOCK) signals.blocked |= mask;
    else if (how === SIG_UNBLOCK) signals.blocked &= ~mask;
    else if (how === SIG_SETMASK) signals.blocked = mask;
    else fail('EINVAL', `how ${how}`);
    signals.blocked &= ~UNCATCHABLE;
  }
  if (old !== 0) writeMask(c, old, before);
  return 0;
}

function sigsuspend(c: Call): SyscallResult {
  const signals = c.process.signals;
  if (signals.suspendedMask === null) {
    const mask = readMask(c, c.arg(0));
    signals.suspendedMask = signals.blocked;
    signals.blocked = mask & ~UNCATCHABLE;
  }
  // Woken by a signal it handles, the delivery makes the call fail with EINTR and puts the mask back.
  return { wouldBlock: c.process.signalEvents };
}

function sigtimedwait(c: Call): SyscallResult {
  const set = readMask(c, c.arg(0)) & ~UNCATCHABLE;
  const infoAt = c.arg(1);
  const timeoutAt = c.arg(2);
  const proc = c.process;
  const signals = proc.signals;
  const ready = signals.pending & set;
  if (ready !== 0n) {
    if (proc.sleepUntil !== null) c.system.cancelWait(proc);
    let s = 1;
    while ((ready & bit(s)) === 0n) s++;
    const info = signals.take(s);
    if (infoAt !== 0) c.memory.write(infoAt, encodeSiginfo(info));
    return s;
  }
  // The signals waited for must be blocked to stay pending; the wait wakes on any new signal.
  if (timeoutAt === 0) return { wouldBlock: proc.signalEvents };
  if (proc.sleepUntil === null) {
    // The deadline is fixed on the first entry and kept across the restarts a wake-up causes.
    const v = new DataView(c.memory.read(timeoutAt, 16).buffer);
    const seconds = Number(v.getBigInt64(0, true));
    const nanoseconds = Number(v.getBigInt64(8, true));
    if (seconds < 0 || nanoseconds < 0 || nanoseconds >= 1e9) fail('EINVAL', 'bad timeout');
    proc.sleepUntil = c.system.monotonicNs() + seconds * 1e9 + nanoseconds;
    proc.sleepRemainderAt = 0;
  }
  const timer = c.system.waitUntil(proc, proc.sleepUntil);
  if (timer === null) {
    proc.sleepUntil = null;
    fail('EAGAIN');
  }
  return { wouldBlock: [proc.signalEvents, proc.timerEvents] };
}

function kill(c: Call, targets: Process[], signal: number, code: number): number {
  checkSignal(signal, true);
  if (targets.length === 0) fail('ESRCH');
  for (const t of targets) c.system.raise(t, signal, { code, pid: c.process.pid, uid: c.process.uid });
  return 0;
}

function killTargets(c: Call, pid: number): Process[] {
  const all = [...c.system.processes.values()].filter((p) => p.state === 'running');
  if (pid > 0) return all.filter((p) => p.pid === pid);
  if (pid === 0) return all.filter((p) => p.pgid === c.process.pgid);
  if (pid === -1) return all.filter((p) => p.pid !== 1 && p !== c.process);
  return all.filter((p) => p.pgid === -pid);
}

function sigaltstack(c: Call): number {
  const ss = c.arg(0);
  const old = c.arg(1);
  const signals = c.process.signals;
  const alt = signals.altStack;
  const sp = Number(c.regs.getReg(4));
  const onStack = alt.flags !== SS_DISABLE && sp > alt.sp && sp <= alt.sp + alt.size;
  if (old !== 0) {
    const out = new Uint8Array(24);
    const v = new DataView(out.buffer);
    v.setBigUint64(0, BigInt(alt.sp), true);
    v.setInt32(8, onStack ? SS_ONSTACK : alt.flags, true);
    v.setBigUint64(16, BigInt(alt.size), true);
    c.memory.write(old, out);
  }
  if (ss !== 0) {
    if (onStack) fail('EPERM', 'on the alternate stack');
    const v = new DataView(c.memory.read(ss, 24).buffer);
    const flags = v.getInt32(8, true);
    if ((flags & ~(SS_DISABLE | SS_ONSTACK | 0x80000000)) !== 0) fail('EINVAL', `ss_flags ${flags}`);
    if ((flags & SS_DISABLE) !== 0) signals.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
    else {
      const size = Number(v.getBigUint64(16, true));
      if (size < MINSIGSTKSZ) fail('ENOMEM', 'alternate stack smaller than MINSIGSTKSZ');
      signals.altStack = { sp: Number(v.getBigUint64(0, true)), size, flags: 0 };
    }
  }
  return 0;
}

export const SIGNAL_CALLS: Record<string, SyscallHandler> = {
  rt_sigaction: sigaction,
  rt_sigprocmask: sigprocmask,
  rt_sigpending: (c) => {
    writeMask(c, c.arg(0), c.process.signals.pending & c.process.signals.blocked);
    return 0;
  },
  rt_sigsuspend: sigsuspend,
  rt_sigtimedwait: sigtimedwait,
  rt_sigreturn: (c) => {
    signalReturn(c.process, c.regs);
    return NO_RETURN;
  },
  sigaltstack,
  pause: (c) => ({ wouldBlock: c.process.signalEvents }),
  kill: (c) => kill(c, killTargets(c, c.int(0)), c.int(1), SI_USER),
  tkill: (c) => kill(c, c.int(0) > 0 ? killTargets(c, c.int(0)) : fail('EINVAL', 'tid'), c.int(1), SI_TKILL),
  tgkill: (c) =>
    kill(
      c,
      killTargets(c, c.int(1)).filter((p) => p.pid === c.int(0)),
      c.int(2),
      SI_TKILL,
    ),
};
