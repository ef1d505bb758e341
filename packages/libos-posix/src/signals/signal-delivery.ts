/**
 * Sending and delivering signals. A signal is posted to the target's pending set; it is acted on the
 * next time the target would return to its program: at once when the target is not the process whose
 * upcall is running (its saved context is changed), else when that upcall ends. Acting on it means the
 * default action (terminate, stop, continue, ignore), or a handler run on an rt_sigframe, interrupting
 * a system call the process was parked in: EINTR, or a restart under SA_RESTART.
 */
import type { CpuContext } from '@exov6/hal-x86';
import { ERRNO, SIG, SYSCALL_NAMES } from '@exov6/hal-x86';
import { SyscallError } from '../errno';
import type { PosixSystem } from '../posix-system';
import type { Process } from '../process/process';
import {
  decodeFrame,
  encodeFrame,
  FRAME_SIZE,
  RED_ZONE,
  SIGINFO_OFFSET,
  UCONTEXT_OFFSET,
} from './signal-frame';
import {
  bit,
  DEFAULT_SIGACTION,
  CLD,
  defaultAction,
  SA,
  SIG_DFL,
  SIG_IGN,
  type SigInfo,
  SS_DISABLE,
  SS_ONSTACK,
  UNCATCHABLE,
} from './signal-state';

/** Calls that are never restarted after a handler, whatever SA_RESTART says (signal(7)). */
const NEVER_RESTARTED = new Set(
  [
    'poll',
    'ppoll',
    'select',
    'pselect6',
    'nanosleep',
    'clock_nanosleep',
    'rt_sigsuspend',
    'rt_sigtimedwait',
    'pause',
    'epoll_wait',
    'epoll_pwait',
  ].map((name) => Number(Object.entries(SYSCALL_NAMES).find(([, n]) => n === name)?.[0])),
);

const STOP_SIGNALS = bit(SIG.SIGSTOP) | bit(SIG.SIGTSTP) | bit(SIG.SIGTTIN) | bit(SIG.SIGTTOU);
/** RFLAGS bits a program may change through its signal frame (CF PF AF ZF SF TF DF OF AC), IF stays set. */
const USER_FLAGS = 0x40dd5;

/** Posts `info.signo` to `target` and acts on it as soon as the target may see it. */
export function sendSignal(system: PosixSystem, target: Process, info: SigInfo): void {
  const s = info.signo;
  if (s === 0 || target.state !== 'running') return;
  const signals = target.signals;
  if (s === SIG.SIGCONT) {
    signals.pending &= ~STOP_SIGNALS;
    for (const stop of [SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]) signals.infos.delete(stop);
    if (target.stopped) continueProcess(system, target);
  } else if ((bit(s) & STOP_SIGNALS) !== 0n) {
    signals.discard(SIG.SIGCONT);
  }
  if (s === SIG.SIGKILL) {
    system.terminate(target, s, `killed by SIGKILL from ${info.pid ?? 'the system'}`);
    return;
  }
  // An ignored signal is dropped when sent, unless blocked (it might be unignored before it is unblocked).
  if (signals.isIgnored(s) && (signals.blocked & bit(s)) === 0n) return;
  signals.post(info);
  if ((signals.blocked & bit(s)) !== 0n) target.signalEvents.wakeAll(); // sigtimedwait looks again
  if (system.current === target) return; // acted on when its upcall ends
  if (signals.next() === 0) return;
  const regs = system.os.envReadContext(target.envCap);
  deliverPending(system, target, regs);
  if (target.state === 'running') system.os.envWriteContext(target.envCap, regs);
}

/**
 * Acts on the target's deliverable pending signals, changing `regs` (its context): default actions,
 * or a handler frame. Stops after setting up one handler; the next signal comes when it returns.
 */
export function deliverPending(system: PosixSystem, proc: Process, regs: CpuContext): void {
  const signals = proc.signals;
  while (proc.state === 'running' && !proc.stopped) {
    const s = signals.next();
    if (s === 0) return;
    const info = signals.take(s);
    const action = signals.actions[s];
    if (action === undefined) return;
    if (action.handler === SIG_IGN && (bit(s) & UNCATCHABLE) === 0n) continue;
    if (action.handler === SIG_DFL || (bit(s) & UNCATCHABLE) !== 0n) {
      switch (defaultAction(s)) {
        case 'ignore':
        case 'continue':
          continue;
        case 'stop':
          stopProcess(system, proc, s);
          return;
        default:
          system.terminate(proc, s, `signal ${s}`);
          return;
      }
    }
    runHandler(system, proc, regs, s, info);
    return;
  }
}

function runHandler(system: PosixSystem, proc: Process, regs: CpuContext, s: number, info: SigInfo): void {
  const signals = proc.signals;
  const action = signals.actions[s] as NonNullable<(typeof signals.actions)[number]>;
  // A process parked in a system call leaves it: restarted afterwards, or failed with EINTR.
  if (proc.blocked) {
    system.unpark(proc);
    const number = Number(regs.getReg(0));
    if ((action.flags & SA.RESTART) === 0n || NEVER_RESTARTED.has(number)) {
      regs.setReg(0, -ERRNO.EINTR);
      regs.rip += 2;
      if (proc.sleepUntil !== null && proc.sleepRemainderAt !== 0) writeRemainder(system, proc);
      system.cancelWait(proc);
    }
  }
  const alt = signals.altStack;
  let sp = Number(regs.getReg(4));
  const onAlt = alt.flags !== SS_DISABLE && sp > alt.sp && sp <= alt.sp + alt.size;
  if ((action.flags & SA.ONSTACK) !== 0n && alt.flags !== SS_DISABLE && !onAlt) sp = alt.sp + alt.size;
  else sp -= RED_ZONE;
  const frame = Math.floor((sp - FRAME_SIZE) / 16) * 16 - 8;
  const savedMask = signals.suspendedMask ?? signals.blocked;
  const gprs: bigint[] = [];
  for (let r = 0; r < 16; r++) gprs.push(regs.getReg(r));
  const bytes = encodeFrame(
    action.restorer,
    {
      regs: gprs,
      rip: regs.rip,
      rflags: regs.rflags,
      mask: savedMask,
      altStack: { sp: alt.sp, size: alt.size, flags: onAlt ? SS_ONSTACK : alt.flags },
      trapno: info.addr !== undefined ? 14 : 0,
      cr2: info.addr,
    },
    info,
  );
  try {
    proc.memory.write(frame, bytes);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    system.terminate(
      proc,
      SIG.SIGSEGV,
      `no room for the signal frame of signal ${s} at 0x${frame.toString(16)}`,
    );
    return;
  }
  // The x87/SSE state is kept beside the frame; frames below this one were left by longjmp.
  for (const at of proc.fpuSaves.keys()) if (at <= frame) proc.fpuSaves.delete(at);
  proc.fpuSaves.set(frame, regs.clone());
  signals.suspendedMask = null;
  signals.blocked =
    (signals.blocked | action.mask | ((action.flags & SA.NODEFER) !== 0n ? 0n : bit(s))) & ~UNCATCHABLE;
  if ((action.flags & SA.RESETHAND) !== 0n) signals.actions[s] = DEFAULT_SIGACTION;
  regs.setReg(7, s);
  regs.setReg(6, frame + SIGINFO_OFFSET);
  regs.setReg(2, frame + UCONTEXT_OFFSET);
  regs.setReg(0, 0);
  regs.setReg(4, frame);
  regs.rip = Number(action.handler);
  regs.rflags = regs.rflags & ~(0x100 | 0x400); // TF and DF clear, as the ABI wants at a call
  system.trace(
    proc,
    `--- signal ${s} -> handler 0x${action.handler.toString(16)}, frame 0x${frame.toString(16)}`,
  );
}

/** nanosleep's `rem`: the time left of an interrupted sleep. */
function writeRemainder(system: PosixSystem, proc: Process): void {
  const left = Math.max(0, (proc.sleepUntil as number) - system.monotonicNs());
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
  v.setBigInt64(8, BigInt(Math.floor(left % 1e9)), true);
  try {
    proc.memory.write(proc.sleepRemainderAt, out);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
  }
}

/** rt_sigreturn: the registers, flags and mask saved in the frame at RSP - 8. */
export function signalReturn(proc: Process, regs: CpuContext): void {
  const frame = Number(regs.getReg(4)) - 8;
  const saved = decodeFrame(proc.memory.read(frame, FRAME_SIZE));
  const flagsNow = regs.rflags;
  const fpu = proc.fpuSaves.get(frame);
  if (fpu !== undefined) {
    // The x87/SSE state as it was when the handler was entered (general registers come from the frame).
    const { fsBase, gsBase } = regs;
    regs.copyFrom(fpu);
    regs.fsBase = fsBase;
    regs.gsBase = gsBase;
  }
  for (const at of proc.fpuSaves.keys()) if (at <= frame) proc.fpuSaves.delete(at);
  saved.regs.forEach((v, r) => {
    regs.setReg(r, v);
  });
  regs.rip = saved.rip;
  regs.rflags = (flagsNow & ~USER_FLAGS) | (saved.rflags & USER_FLAGS) | 0x200;
  proc.signals.blocked = saved.mask & ~UNCATCHABLE;
}

function stopProcess(system: PosixSystem, proc: Process, s: number): void {
  proc.stopped = true;
  proc.stopSignal = s;
  proc.stateReport = 'stopped';
  system.os.envSuspend(proc.envCap);
  notifyParent(system, proc, CLD.STOPPED, s);
}

function continueProcess(system: PosixSystem, proc: Process): void {
  proc.stopped = false;
  proc.stateReport = 'continued';
  if (!proc.blocked) system.os.envStart(proc.envCap);
  notifyParent(system, proc, CLD.CONTINUED, SIG.SIGCONT);
}

/** SIGCHLD and a wait4 wake-up for a child that stopped or continued (exits: PosixSystem.exit). */
function notifyParent(system: PosixSystem, child: Process, code: number, status: number): void {
  const parent = child.parent;
  if (parent === null) return;
  parent.childEvents.wakeAll();
  const action = parent.signals.actions[SIG.SIGCHLD];
  if (action !== undefined && (action.flags & SA.NOCLDSTOP) !== 0n) return;
  sendSignal(system, parent, { signo: SIG.SIGCHLD, code, pid: child.pid, uid: child.uid, status });
}
