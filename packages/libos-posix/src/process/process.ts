/**
 * A process: an exokernel environment running one program image, and everything POSIX attaches to it
 * that the kernel knows nothing of: pid and parent, process group and session, memory map, descriptors,
 * working directory, umask, children and exit status.
 */
import type { FdTable } from '../files/fd-table';
import type { CpuContext } from '@exov6/hal-x86';
import type { ProcessMemory } from '../memory/process-memory';
import { SignalState } from '../signals/signal-state';
import { WaitQueue } from './wait-queue';

/** comm: the last component of the path a program was executed as, at most 15 bytes as Linux keeps it. */
export function commandName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).slice(0, 15);
}

export type ProcessState = 'running' | 'zombie';

export class Process {
  state: ProcessState = 'running';
  /** The Linux wait status once it ended (see wait-status.ts). */
  waitStatus = 0;
  readonly children = new Set<Process>();
  /** Woken when a child changes state (wait4 waits here). */
  readonly childEvents = new WaitQueue();
  /** Woken when a time it waits for has come (nanosleep, timeouts). */
  readonly timerEvents = new WaitQueue();
  /** The time a parked nanosleep or timeout waits for (CLOCK_MONOTONIC ns), kept across restarts. */
  sleepUntil: number | null = null;
  /** Where a parked nanosleep writes the time left when a signal interrupts it (0: nowhere). */
  sleepRemainderAt = 0;
  /** CLOCK_MONOTONIC when it was created (ps's start time). */
  startNs = 0;
  /** Woken when a signal arrives that the process has blocked (sigtimedwait waits here; pause and
   * sigsuspend too, though a handled signal interrupts them through delivery). */
  readonly signalEvents = new WaitQueue();
  /** Parked in a system call until `wake`; the call restarts from the top. */
  blocked = false;
  /** The queues it waits on while blocked, left when it wakes. */
  waitingOn: WaitQueue[] = [];
  readonly wake: () => void;
  umask = 0o022;
  uid = 0;
  gid = 0;
  /** Argument vector and path of the program it runs (for /proc and ps). */
  argv: string[] = [];
  execPath = '';
  /** The command name (comm): the last component of the path it was executed as. */
  comm = '';
  /** System calls this process made that the library OS does not implement, by number. */
  readonly unimplemented = new Map<number, number>();
  signals = new SignalState();
  /** Stopped by a signal (SIGSTOP, SIGTSTP...) until SIGCONT. */
  stopped = false;
  stopSignal = 0;
  /** A stop or continue not yet reported to wait4 (WUNTRACED, WCONTINUED). */
  stateReport: 'stopped' | 'continued' | null = null;
  /** The x87/SSE state at each signal frame still on the stack, by frame address. */
  readonly fpuSaves = new Map<number, CpuContext>();
  /** set_tid_address's pointer (recorded; a single-threaded exit has no one to wake through it). */
  clearChildTid = 0;

  constructor(
    readonly pid: number,
    public parent: Process | null,
    readonly envCap: number,
    public memory: ProcessMemory,
    public fds: FdTable,
    public cwd: string,
    public pgid: number,
    public sid: number,
    wake: (p: Process) => void,
  ) {
    this.wake = () => wake(this);
  }

  get ppid(): number {
    return this.parent?.pid ?? 0;
  }
}
