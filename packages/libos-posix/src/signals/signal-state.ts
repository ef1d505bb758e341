/**
 * A process's signal state: the action for each of the 64 signals (sigaction), the blocked mask, the
 * pending signals with their siginfo, and the alternate signal stack. Masks are bigints with bit
 * (signal - 1) set, as the kernel's sigset_t.
 */
import { SIG } from '@exov6/hal-x86';

export const NSIG = 64;
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

export const SA = {
  NOCLDSTOP: 0x1n,
  NOCLDWAIT: 0x2n,
  SIGINFO: 0x4n,
  RESTORER: 0x04000000n,
  ONSTACK: 0x08000000n,
  RESTART: 0x10000000n,
  NODEFER: 0x40000000n,
  RESETHAND: 0x80000000n,
} as const;

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;

/**
 * struct kernel_sigaction (rt_sigaction's layout): handler, flags, restorer, mask. Never changed in
 * place: a new action replaces the old one, so processes share them (fork copies only the table).
 */
export interface SigAction {
  readonly handler: bigint;
  readonly flags: bigint;
  readonly restorer: bigint;
  readonly mask: bigint;
}

/** What a signal carries (the parts of siginfo_t the library OS fills). */
export interface SigInfo {
  signo: number;
  code: number;
  /** Sender (kill) or child (SIGCHLD). */
  pid?: number;
  uid?: number;
  /** SIGCHLD: exit code or signal. */
  status?: number;
  /** Fault address (SIGSEGV, SIGBUS, SIGILL, SIGFPE). */
  addr?: number;
}

/** si_code values. */
export const SI_USER = 0;
export const SI_TKILL = -6;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, STOPPED: 5, CONTINUED: 6 } as const;

export const bit = (signal: number): bigint => 1n << BigInt(signal - 1);

/** Signals that can be neither caught, blocked nor ignored. */
export const UNCATCHABLE = bit(SIG.SIGKILL) | bit(SIG.SIGSTOP);

export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';

export function defaultAction(signal: number): DefaultAction {
  switch (signal) {
    case SIG.SIGCHLD:
    case SIG.SIGURG:
    case SIG.SIGWINCH:
      return 'ignore';
    case SIG.SIGCONT:
      return 'continue';
    case SIG.SIGSTOP:
    case SIG.SIGTSTP:
    case SIG.SIGTTIN:
    case SIG.SIGTTOU:
      return 'stop';
    case SIG.SIGQUIT:
    case SIG.SIGILL:
    case SIG.SIGTRAP:
    case SIG.SIGABRT:
    case SIG.SIGBUS:
    case SIG.SIGFPE:
    case SIG.SIGSEGV:
    case SIG.SIGXCPU:
    case SIG.SIGXFSZ:
    case SIG.SIGSYS:
      return 'core';
    default:
      return 'terminate';
  }
}

/** SIG_DFL with no flags: every signal's action until it is set. */
export const DEFAULT_SIGACTION: SigAction = Object.freeze({
  handler: SIG_DFL,
  flags: 0n,
  restorer: 0n,
  mask: 0n,
});

export class SignalState {
  /** Index = signal number (0 unused). */
  actions: SigAction[] = new Array<SigAction>(NSIG + 1).fill(DEFAULT_SIGACTION);
  blocked = 0n;
  pending = 0n;
  /** siginfo of pending signals: one for a standard signal, a queue for real-time ones. */
  infos = new Map<number, SigInfo[]>();
  altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  /** sigsuspend's mask to restore once a handler has run (null outside sigsuspend). */
  suspendedMask: bigint | null = null;

  /** Marks `info.signo` pending (a standard signal already pending is not queued twice). */
  post(info: SigInfo): void {
    const s = info.signo;
    const queue = this.infos.get(s) ?? [];
    if (s < 32 && (this.pending & bit(s)) !== 0n) return;
    queue.push(info);
    this.infos.set(s, queue);
    this.pending |= bit(s);
  }

  /** Takes one instance of `signal` off the pending set. */
  take(signal: number): SigInfo {
    const queue = this.infos.get(signal) ?? [];
    const info = queue.shift() ?? { signo: signal, code: SI_USER };
    if (queue.length === 0) {
      this.infos.delete(signal);
      this.pending &= ~bit(signal);
    }
    return info;
  }

  discard(signal: number): void {
    this.infos.delete(signal);
    this.pending &= ~bit(signal);
  }

  /** The lowest pending signal not blocked (SIGKILL and SIGSTOP never are), or 0. */
  next(): number {
    if (this.pending === 0n) return 0; // the common case, without bigint arithmetic
    const ready = this.pending & (~this.blocked | UNCATCHABLE);
    if (ready === 0n) return 0;
    for (let s = 1; s <= NSIG; s++) if ((ready & bit(s)) !== 0n) return s;
    return 0;
  }

  isIgnored(signal: number): boolean {
    const action = this.actions[signal] as SigAction;
    return action.handler === SIG_IGN || (action.handler === SIG_DFL && defaultAction(signal) === 'ignore');
  }

  /** fork: the child inherits actions, mask and alternate stack; nothing pending. */
  forkCopy(): SignalState {
    const copy = new SignalState();
    copy.actions = this.actions.slice();
    copy.blocked = this.blocked;
    copy.altStack = { ...this.altStack };
    return copy;
  }

  /** execve: caught signals go back to their default action; ignored ones stay ignored. */
  resetForExec(): void {
    const actions = this.actions;
    for (let s = 0; s < actions.length; s++) {
      if ((actions[s] as SigAction).handler !== SIG_IGN) actions[s] = DEFAULT_SIGACTION;
    }
    this.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  }
}
