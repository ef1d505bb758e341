/**
 * Upcalls: how the exokernel hands an environment's events to its library OS. The kernel decides
 * nothing about them: a guest `syscall` outside the kernel's own range, a page fault, any other CPU
 * exception and gas exhaustion are each passed to the handler the library OS registered, which fixes what
 * it wants (maps a page, sets RAX, changes RIP through the context) and says whether the environment
 * goes on. Interrupts on attached lines, timer deadlines and completed asynchronous IPC operations come
 * the same way (guest code takes IPC as upcalls through guest-ipc-upcall.ts instead). An event with no handler, or
 * a handler that throws, ends the environment, never the machine.
 */
import type { CpuContext } from '@exov6/hal-x86';
import type { IpcResult } from './ipc';
import type { LiveSyscall } from './live-syscall';

/** What a handler decides: resume the environment (with whatever the handler changed) or end it. */
export type UpcallResult = 'resume' | 'kill';

/** A `syscall` the kernel does not implement itself: number in RAX, arguments in RDI RSI RDX R10 R8 R9. */
export interface SyscallEvent {
  readonly number: number;
}

/** A #PF: the faulting address, what the access was, and the instruction (RIP restarts it on resume). */
export interface PageFaultEvent {
  readonly address: number;
  readonly errorCode: number;
  /** The page was present (a protection fault) rather than unmapped. */
  readonly present: boolean;
  readonly write: boolean;
  readonly fetch: boolean;
  readonly rip: number;
}

/** Any other exception: #GP, #UD, #DE, #BP, ... */
export interface ExceptionEvent {
  readonly vector: number;
  readonly errorCode: number;
  readonly rip: number;
  readonly detail: string;
}

/** A child environment ran out of gas and is suspended; its manager decides what happens. */
export interface GasEvent {
  /** The child's environment number. */
  readonly envId: number;
}

/** A child environment ended (killed, crashed, or an event it had no handler for); `status` is now dead. */
export interface ChildEndedEvent {
  /** The child's environment number (the objectId `capInspect` shows for its capability). */
  readonly envId: number;
  /** Why it ended, as `envStatus` gives it. */
  readonly reason: string;
}

/** An interrupt on a line the environment attached (`irqAttach`); the kernel has sent the EOI. */
export interface InterruptEvent {
  readonly irq: number;
}

/** The environment's timer deadline (`timerSet`) has come. */
export interface TimerEvent {
  /** Machine time in ns. */
  readonly now: number;
}

/** One of the environment's asynchronous IPC operations (`ipcSubmit`) has completed. */
export interface IpcEvent {
  readonly token: number;
  /** The same result `ipcPoll(token)` now gives. */
  readonly result: IpcResult;
}

/** What a library OS registers for an environment (all optional). */
export interface UpcallHandlers {
  interrupt?(event: InterruptEvent): void;
  timer?(event: TimerEvent): void;
  /** Completion of an `ipcSubmit` operation, delivered by the run loop between time slices. */
  ipc?(event: IpcEvent): void;
  syscall?(event: SyscallEvent, context: CpuContext): UpcallResult;
  /**
   * Optional fast path, tried before `syscall` inside the vCPU's run loop on the live registers: return
   * true when the call is answered (its result set), false to take the ordinary `syscall` upcall. It
   * must not block, end or change any environment (see live-syscall.ts).
   */
  fastSyscall?(call: LiveSyscall): boolean;
  pageFault?(event: PageFaultEvent, context: CpuContext): UpcallResult;
  exception?(event: ExceptionEvent, context: CpuContext): UpcallResult;
  /** Called on the manager (parent) of an environment whose gas ran out. */
  gasExhausted?(event: GasEvent): void;
  /**
   * Called on the manager (parent) of an environment that has just ended, after the kernel took back its
   * frames and IPC: a supervisor learns of a crashed server here and may start another at once.
   */
  childEnded?(event: ChildEndedEvent): void;
}
