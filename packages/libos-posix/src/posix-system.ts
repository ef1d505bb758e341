/**
 * The POSIX personality as a whole: the processes of one library OS and what they share (the file
 * system, pipes, the clock, the random generator), on an exokernel environment whose capabilities it uses
 * and nothing more.
 *
 * Each process is an environment the library OS created, with the library OS's upcall handlers: a Linux
 * `syscall` goes to the system-call table (syscalls/), a page fault to the process's memory (zero fill,
 * copy-on-write, or SIGSEGV), any other exception becomes the signal Linux would send. A call that must
 * wait parks its environment (`envSuspend`) with RIP back on the `syscall` instruction, and `envStart`
 * re-runs it when something it waits for changes.
 */
import type { EnvApi, PageFaultEvent, UpcallResult } from '@exov6/exokernel';
import { type CpuContext, DeterministicRandom, EPOCH_SECONDS, SIG, syscallName } from '@exov6/hal-x86';
import { ERRNO, fail, SyscallError } from './errno';
import { FdTable } from './files/fd-table';
import { HostInput, HostInputFile, HostOutputFile } from './files/host-stream';
import { type Blocked, isBlocked, type OpenFile } from './files/open-file';
import { populateDev } from './fs/devices';
import { FileServerRestarting } from './fs/file-server-restarting';
import { FileSystem } from './fs/file-system';
import { ProcFs } from './fs/procfs';
import { FramePool } from './memory/frame-pool';
import { PageCache } from './memory/page-cache';
import type { ProcessMemory } from './memory/process-memory';

type ProcessMemoryFault = ProcessMemory['fault'];
import { loadProgram } from './process/program-image';
import { commandName, Process } from './process/process';
import { CONTINUED_STATUS, signaledStatus, stoppedStatus } from './process/wait-status';
import { encodeSiginfo } from './signals/signal-frame';
import { deliverPending, sendSignal } from './signals/signal-delivery';
import {
  CLD,
  defaultAction,
  SA,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SIG_IGN,
  type SigInfo,
} from './signals/signal-state';
import { Terminal, type TerminalLine } from './tty/terminal';
import { CONSOLE_RDEV, TtyFile } from './tty/tty-file';
import { Call, NO_RETURN, type SyscallHandler, type SyscallResult } from './syscalls/call';
import { serveFast } from './syscalls/fast-calls';
import { describeArguments, describeResult } from './syscalls/strace';
import { SYSCALLS } from './syscalls/table';

export interface PosixSystemOptions {
  /** The root file system (a fresh one with /dev, /tmp and /proc if omitted). */
  fs?: FileSystem;
  /** Seeds AT_RANDOM, getrandom() and /dev/urandom (default 0): same seed, same run. */
  seed?: number;
  /** Machine time in ns (default: the library OS's own count of guest system calls and sleeps). */
  clock?: () => number;
  /** One line per system call of every process, when set. */
  strace?: (line: string) => void;
  /** The host name uname() reports. */
  hostname?: string;
  /**
   * A one-shot timer on the same clock as `clock` (the exokernel's timer capability): with one, sleeps
   * and timeouts wait for real (other processes run meanwhile); without one, time simply jumps ahead.
   */
  timer?: SystemTimer;
}

/** What the library OS needs of a timer: arm it for a machine time (replacing the last), or disarm it. */
export interface SystemTimer {
  set(deadlineNs: number): void;
  cancel(): void;
}

export interface Stdio {
  stdin?: OpenFile;
  stdout?: OpenFile;
  stderr?: OpenFile;
}

export interface SpawnOptions {
  argv?: string[];
  env?: string[];
  cwd?: string;
  /** The new process's descriptors 0, 1 and 2 (default: host streams collected in `HostStdio`). */
  stdio?: Stdio;
  uid?: number;
  gid?: number;
}

/** Descriptors 0-2 wired to the host: output collected, input fed through `input`. */
export class HostStdio {
  readonly input = new HostInput();
  stdoutBytes: Uint8Array[] = [];
  stderrBytes: Uint8Array[] = [];
  readonly files: Stdio;

  constructor(sinks: { stdout?: (d: Uint8Array) => void; stderr?: (d: Uint8Array) => void } = {}) {
    this.files = {
      stdin: new HostInputFile(this.input),
      stdout: new HostOutputFile(sinks.stdout ?? ((d) => this.stdoutBytes.push(d))),
      stderr: new HostOutputFile(sinks.stderr ?? ((d) => this.stderrBytes.push(d))),
    };
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutBytes).toString('utf8');
  }

  get stderr(): string {
    return Buffer.concat(this.stderrBytes).toString('utf8');
  }
}

export class PosixSystem {
  readonly fs: FileSystem;
  readonly pool: FramePool;
  readonly processes = new Map<number, Process>();
  readonly hostname: string;
  /** The frames the library OS was given: the machine's memory as its programs see it. */
  readonly totalFrames: number;
  /** Calls that are not implemented, over all processes: number -> count. */
  readonly unimplemented = new Map<number, number>();
  private nextPid = 1;
  private readonly random: DeterministicRandom;
  private readonly startRandom: DeterministicRandom;
  private readonly strace: ((line: string) => void) | null;
  private readonly clockFn: () => number;
  /** Virtual time the library OS adds for sleeps (ns), on top of the clock. */
  private sleptNs = 0;
  private ticks = 0;
  /** Called when a process ends (after it became a zombie). */
  onExit: ((p: Process) => void) | null = null;

  constructor(
    readonly os: EnvApi,
    options: PosixSystemOptions = {},
  ) {
    this.pool = new FramePool(os);
    this.totalFrames = os.quotaFree;
    this.pageCache = new PageCache(this.pool);
    this.random = new DeterministicRandom(options.seed ?? 0, 1);
    this.startRandom = new DeterministicRandom(options.seed ?? 0, 0);
    this.strace = options.strace ?? null;
    this.timer = options.timer ?? null;
    this.hostname = options.hostname ?? 'exov6';
    // Without a machine clock, time advances 1 us per system call: deterministic, and never still.
    this.clockFn = options.clock ?? (() => this.ticks * 1000);
    if (options.fs !== undefined) this.fs = options.fs;
    else {
      this.fs = new FileSystem(() => this.realtimeNs());
      this.fs.mkdirs('/tmp', 0o1777);
      this.fs.mkdirs('/proc');
      this.fs.mkdirs('/bin');
      this.fs.mkdirs('/etc');
      this.fs.symlink('/proc/self/mounts', '/etc/mtab', '/');
    }
    if (!this.fs.exists('/dev/null')) populateDev(this.fs, (n) => this.randomBytes(n));
    this.mountProc('/proc');
  }

  /** Mounts a proc file system (the processes of this system) on the directory at absolute `path`. */
  mountProc(path: string): void {
    new ProcFs(this.fs, {
      processes: () => this.processes.values(),
      caller: () => this.current,
      nowNs: () => this.realtimeNs(),
      uptimeNs: () => this.monotonicNs(),
      memory: () => ({ totalBytes: this.totalFrames * 4096, freeBytes: this.os.quotaFree * 4096 }),
      hostname: this.hostname,
    }).mount(path);
  }

  // ------------------------------------------------------------------ the console

  /** The console terminal, once attached. */
  terminal: Terminal | null = null;

  /**
   * Makes a terminal on `line` the system console: /dev/console, /dev/tty and /dev/ttyS0 open it, and
   * its VINTR/VQUIT/VSUSP signals go to the foreground process group.
   */
  attachTerminal(makeLine: (signalGroup: (pgid: number, signal: number) => void) => TerminalLine): Terminal {
    const terminal = new Terminal(
      makeLine((pgid, signal) => {
        for (const p of this.processes.values())
          if (p.pgid === pgid && p.state === 'running') this.raise(p, signal, { code: 0x80 });
      }),
    );
    this.terminal = terminal;
    let opened = 0;
    const device = {
      rdev: CONSOLE_RDEV,
      open: (flags: number) => new TtyFile(terminal, flags, 0x20000 + opened++),
    };
    for (const name of ['console', 'tty', 'ttyS0']) {
      if (!this.fs.exists(`/dev/${name}`)) this.fs.mknod(`/dev/${name}`, '/', device, 0o620);
    }
    return terminal;
  }

  /** A new open file on the console (for a process's descriptors 0, 1 and 2). */
  openConsole(flags = 2): TtyFile {
    if (this.terminal === null) throw new Error('no console terminal attached');
    return new TtyFile(this.terminal, flags, 0x20000);
  }

  // ------------------------------------------------------------------ time and randomness

  /** CLOCK_MONOTONIC in ns. */
  monotonicNs(): number {
    return this.clockFn() + this.sleptNs;
  }

  /** CLOCK_REALTIME in ns (from EPOCH_SECONDS, as x86run). */
  realtimeNs(): number {
    return EPOCH_SECONDS * 1e9 + this.monotonicNs();
  }

  sleep(ns: number): void {
    this.sleptNs += Math.max(0, ns);
  }

  private readonly timer: SystemTimer | null;
  /** Processes waiting for a time (CLOCK_MONOTONIC ns), and the queue each waits on. */
  private readonly sleepers = new Map<Process, number>();

  /**
   * Waits until CLOCK_MONOTONIC reaches `deadlineNs`: null once it has (at once without a timer: time
   * jumps there), else what the caller must wait on (its process's timer queue).
   */
  waitUntil(proc: Process, deadlineNs: number): Blocked | null {
    const now = this.monotonicNs();
    if (now >= deadlineNs) {
      this.sleepers.delete(proc);
      return null;
    }
    if (this.timer === null) {
      this.sleep(deadlineNs - now);
      return null;
    }
    this.sleepers.set(proc, deadlineNs);
    this.armTimer();
    return { wouldBlock: proc.timerEvents };
  }

  /** Forgets a process's pending wait for a time (it ended, or a signal interrupted the call). */
  cancelWait(proc: Process): void {
    proc.sleepUntil = null;
    if (this.sleepers.delete(proc)) this.armTimer();
  }

  /** The timer went off: wakes every process whose time has come, and re-arms for the next. */
  timerFired(): void {
    const now = this.monotonicNs();
    for (const [proc, deadline] of [...this.sleepers]) {
      if (deadline <= now) {
        this.sleepers.delete(proc);
        proc.timerEvents.wakeAll();
      }
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer === null) return;
    if (this.sleepers.size === 0) {
      this.timer.cancel();
      return;
    }
    const next = Math.min(...this.sleepers.values());
    this.timer.set(next - this.sleptNs);
  }

  randomBytes(n: number): Uint8Array {
    return this.random.bytes(n);
  }

  // ------------------------------------------------------------------ processes

  /**
   * Starts the program at `path` (in the file system) as a new process with no parent. ENOENT, EACCES,
   * ENOEXEC... come as a thrown `SyscallError`.
   */
  spawn(path: string, options: SpawnOptions = {}): Process {
    const cwd = options.cwd ?? '/';
    const { bytes, cacheKey } = this.executable(path, cwd);
    const program = loadProgram(this.pool, {
      bytes,
      cacheKey,
      pageCache: this.pageCache,
      argv: options.argv ?? [path],
      env: options.env ?? [],
      path,
      random: this.startRandom.bytes(16),
      uid: options.uid ?? 0,
      gid: options.gid ?? 0,
    });
    const envCap = this.os.envCreate({ quota: 0 });
    const fds = new FdTable();
    const stdio = options.stdio ?? new HostStdio().files;
    for (const [fd, file] of [stdio.stdin, stdio.stdout, stdio.stderr].entries()) {
      if (file !== undefined) fds.set(fd, file);
    }
    const pid = this.nextPid++;
    const proc = new Process(pid, null, envCap, program.memory, fds, cwd, pid, pid, (p) =>
      this.wakeProcessOf(p),
    );
    proc.uid = options.uid ?? 0;
    proc.gid = options.gid ?? 0;
    proc.argv = [...(options.argv ?? [path])];
    proc.execPath = this.fs.realpath(path, cwd);
    proc.comm = commandName(path);
    this.admit(proc);
    this.os.envSetAddressSpace(envCap, program.memory.spaceCap);
    const regs = this.os.envReadContext(envCap);
    regs.rip = program.entry;
    regs.setReg(4, program.stackPointer);
    this.os.envWriteContext(envCap, regs);
    this.os.envStart(envCap);
    return proc;
  }

  /**
   * An executable file's bytes, and the key its pages are cached under (the inode and the version of its
   * contents): ENOENT, EACCES (not a regular file, or no execute bit).
   */
  executable(path: string, cwd: string): { bytes: Uint8Array; cacheKey: string } {
    const inode = this.fs.lookup(path, cwd);
    if (!inode.isRegular || (inode.mode & 0o111) === 0) fail('EACCES', path);
    return { bytes: inode.snapshot(), cacheKey: `${inode.ino}.${inode.version}` };
  }

  /** Program pages shared between execs of the same file. */
  readonly pageCache: PageCache;

  /** Registers a process and its handlers. */
  admit(proc: Process): void {
    proc.startNs = this.monotonicNs();
    this.processes.set(proc.pid, proc);
    this.os.envSetUpcalls(proc.envCap, {
      syscall: (event, regs) => this.syscall(proc, event.number, regs),
      fastSyscall: (call) => {
        // Traced calls and pending signals take the ordinary path (which traces and delivers).
        if (this.strace !== null || proc.signals.pending !== 0n || !serveFast(proc, this, call)) return false;
        this.ticks++;
        return true;
      },
      pageFault: (event, regs) => this.pageFault(proc, event, regs),
      exception: (event, regs) => {
        // #DE is SIGFPE, #UD SIGILL, #BP SIGTRAP, #AC SIGBUS, the rest (#GP, #SS) SIGSEGV, as Linux maps them.
        const v = event.vector;
        const signo =
          v === 0 || v === 16 || v === 19
            ? SIG.SIGFPE
            : v === 6
              ? SIG.SIGILL
              : v === 3 || v === 1
                ? SIG.SIGTRAP
                : v === 17
                  ? SIG.SIGBUS
                  : SIG.SIGSEGV;
        this.killReasons.set(proc.pid, `exception ${v} at 0x${event.rip.toString(16)}: ${event.detail}`);
        // si_code: FPE_INTDIV (1) for a divide error, ILL_ILLOPN (2), SI_KERNEL (0x80) for #GP.
        const code = signo === SIG.SIGFPE ? 1 : signo === SIG.SIGILL ? 2 : signo === SIG.SIGTRAP ? 1 : 0x80;
        return this.fault(proc, regs, { signo, code, addr: signo === SIG.SIGSEGV ? 0 : event.rip });
      },
    });
  }

  /**
   * A signal the program caused (a fault): delivered at once. Blocked or ignored, it cannot be: the
   * process is killed by it, as Linux's force_sig does.
   */
  private fault(proc: Process, regs: CpuContext, info: SigInfo): UpcallResult {
    const signals = proc.signals;
    const action = signals.actions[info.signo];
    const blocked = (signals.blocked & (1n << BigInt(info.signo - 1))) !== 0n;
    if (action === undefined || action.handler === 0n || action.handler === SIG_IGN || blocked) {
      this.terminate(proc, info.signo, this.killReasons.get(proc.pid) ?? `signal ${info.signo}`);
      return 'resume';
    }
    signals.post(info);
    deliverPending(this, proc, regs);
    return 'resume';
  }

  allocatePid(): number {
    return this.nextPid++;
  }

  /** A pid's process, if it exists (zombies included). */
  process(pid: number): Process | undefined {
    return this.processes.get(pid);
  }

  /** Why the last process killed by the library OS was killed, by pid (for hosts and tests). */
  readonly killReasons = new Map<number, string>();

  /** Ends a process by a signal's default action (core dumps are reported, never written). */
  terminate(proc: Process, signal: number, reason: string): void {
    this.killReasons.set(proc.pid, reason);
    this.trace(proc, `--- killed by ${signal}: ${reason}`);
    const core = defaultAction(signal) === 'core';
    this.exit(proc, signaledStatus(signal, core));
  }

  /**
   * A process ends with `waitStatus`: its descriptors close, its memory and environment go back, its
   * children pass to init (pid 1), and its parent is told (wait4 wakes). It stays a zombie until reaped.
   */
  exit(proc: Process, waitStatus: number): void {
    if (proc.state !== 'running') return;
    proc.state = 'zombie';
    proc.waitStatus = waitStatus;
    proc.blocked = false;
    for (const q of proc.waitingOn) q.remove(proc.wake);
    proc.waitingOn = [];
    this.cancelWait(proc);
    proc.fds.closeAll();
    this.os.envKill(proc.envCap);
    proc.memory.destroy();
    const init = this.processes.get(1);
    for (const child of proc.children) {
      if (init !== undefined && init !== proc && init.state === 'running') {
        child.parent = init;
        init.children.add(child);
        if (child.state === 'zombie') init.childEvents.wakeAll();
      } else {
        child.parent = null;
        if (child.state === 'zombie') this.reap(child);
      }
    }
    proc.children.clear();
    const parent = proc.parent;
    if (parent !== null) {
      // A parent that ignores SIGCHLD (or asked SA_NOCLDWAIT) leaves no zombies to wait for.
      const action = parent.signals.actions[SIG.SIGCHLD];
      const autoReap =
        action !== undefined && (action.handler === SIG_IGN || (action.flags & SA.NOCLDWAIT) !== 0n);
      if (autoReap) this.reap(proc);
      parent.childEvents.wakeAll();
      const signalled = (waitStatus & 0x7f) !== 0;
      this.raise(parent, SIG.SIGCHLD, {
        code: !signalled ? CLD.EXITED : (waitStatus & 0x80) !== 0 ? CLD.DUMPED : CLD.KILLED,
        pid: proc.pid,
        uid: proc.uid,
        status: signalled ? waitStatus & 0x7f : (waitStatus >> 8) & 0xff,
      });
    }
    this.onExit?.(proc);
  }

  /** Removes a zombie for good (wait4 did, or nobody is left to). */
  reap(proc: Process): void {
    if (proc.state !== 'zombie') throw new Error(`reap: process ${proc.pid} has not ended`);
    proc.parent?.children.delete(proc);
    this.processes.delete(proc.pid);
    this.os.capDelete(proc.envCap);
  }

  /** Running processes (not zombies). */
  get living(): Process[] {
    return [...this.processes.values()].filter((p) => p.state === 'running');
  }

  /** Wakes a parked process: its system call runs again (unless the process is stopped). */
  wakeProcessOf(proc: Process): void {
    if (!proc.blocked || proc.state !== 'running') return;
    this.unpark(proc);
  }

  /** Takes a process out of the queues it was parked on and lets it run (unless stopped). */
  unpark(proc: Process): void {
    proc.blocked = false;
    for (const q of proc.waitingOn) q.remove(proc.wake);
    proc.waitingOn = [];
    if (!proc.stopped) this.os.envStart(proc.envCap);
  }

  /** The process whose upcall is running, if any (signals to it wait until the upcall ends). */
  current: Process | null = null;

  /** Sends a signal (kill(2), SIGPIPE, SIGCHLD...). */
  raise(target: Process, signo: number, info: Partial<SigInfo> = {}): void {
    sendSignal(this, target, { signo, code: 0, ...info });
  }

  /**
   * What wait4 reports for one of `candidates` (children the pid argument selects): a zombie (reaped
   * unless `keep`), else with WUNTRACED a stop, with WCONTINUED a continue, each reported once.
   */
  waitReport(
    parent: Process,
    candidates: Process[],
    options: number,
    keep = false,
  ): { pid: number; status: number; code: number; uid: number; detail: number } | null {
    for (const child of candidates) {
      if (child.state !== 'zombie') continue;
      const status = child.waitStatus;
      const signalled = (status & 0x7f) !== 0;
      if (!keep) this.reap(child);
      return {
        pid: child.pid,
        status,
        uid: child.uid,
        code: !signalled ? CLD.EXITED : (status & 0x80) !== 0 ? CLD.DUMPED : CLD.KILLED,
        detail: signalled ? status & 0x7f : (status >> 8) & 0xff,
      };
    }
    for (const child of candidates) {
      if (child.stateReport === 'stopped' && (options & 2) !== 0) {
        if (!keep) child.stateReport = null;
        return {
          pid: child.pid,
          status: stoppedStatus(child.stopSignal),
          code: CLD.STOPPED,
          uid: child.uid,
          detail: child.stopSignal,
        };
      }
      if (child.stateReport === 'continued' && (options & 8) !== 0) {
        if (!keep) child.stateReport = null;
        return {
          pid: child.pid,
          status: CONTINUED_STATUS,
          code: CLD.CONTINUED,
          uid: child.uid,
          detail: SIG.SIGCONT,
        };
      }
    }
    void parent;
    return null;
  }

  /** waitid's siginfo for a report. */
  childSiginfo(report: { pid: number; code: number; uid: number; detail: number }): Uint8Array {
    return encodeSiginfo({
      signo: SIG.SIGCHLD,
      code: report.code,
      pid: report.pid,
      uid: report.uid,
      status: report.detail,
    });
  }

  // ------------------------------------------------------------------ upcalls

  private syscall(proc: Process, number: number, regs: CpuContext): UpcallResult {
    this.ticks++;
    this.current = proc;
    try {
      return this.serve(proc, number, regs);
    } finally {
      this.current = null;
    }
  }

  private serve(proc: Process, number: number, regs: CpuContext): UpcallResult {
    const handler = SYSCALLS[number];
    let result: SyscallResult;
    const call = new Call(this, proc, regs, number);
    // Arguments that point at guest memory are read before the call (a path may be gone after it).
    const args = this.strace === null ? '' : describeArguments(call);
    if (handler === undefined) {
      this.unimplemented.set(number, (this.unimplemented.get(number) ?? 0) + 1);
      proc.unimplemented.set(number, (proc.unimplemented.get(number) ?? 0) + 1);
      result = -38; // ENOSYS
    } else {
      result = this.runHandler(handler, call);
    }
    if (result === NO_RETURN) {
      if (this.strace !== null) this.trace(proc, `${syscallName(number)}(${args}) = ?`);
      if (proc.state === 'running') deliverPending(this, proc, regs);
      return 'resume';
    }
    if (isBlocked(result)) {
      if (this.strace !== null) this.trace(proc, `${syscallName(number)}(${args}) <waiting>`);
      // Park: the call runs again from the `syscall` instruction when a queue it waits on is woken.
      regs.rip -= 2;
      regs.setReg(0, number);
      proc.blocked = true;
      const queues = Array.isArray(result.wouldBlock) ? result.wouldBlock : [result.wouldBlock];
      for (const q of queues) q.add(proc.wake);
      proc.waitingOn = queues;
      this.os.envSuspend(proc.envCap);
      // A signal already pending interrupts the wait at once.
      if (proc.signals.next() !== 0) deliverPending(this, proc, regs);
      return 'resume';
    }
    regs.setReg(0, result);
    if (this.strace !== null) {
      const name = syscallName(number);
      this.trace(proc, `${name}(${args}) = ${describeResult(name, result)}`);
    }
    if (proc.state === 'running' && proc.signals.next() !== 0) deliverPending(this, proc, regs);
    return 'resume';
  }

  /**
   * Runs a system call's handler: a refusal becomes its negative errno; a file-system server being
   * restarted makes the call wait for it (the process is parked until the restart is due, and the call
   * is made again), or, when the time has come already, made again at once.
   */
  private runHandler(handler: SyscallHandler, call: Call): SyscallResult {
    for (let attempt = 1; ; attempt++) {
      try {
        return handler(call);
      } catch (e) {
        if (e instanceof FileServerRestarting && attempt < 3) {
          const wait = this.waitUntil(call.process, e.atNs + this.sleptNs);
          if (wait !== null) return wait;
          continue;
        }
        if (e instanceof FileServerRestarting) return -ERRNO.EIO;
        if (!(e instanceof SyscallError)) throw e;
        return -e.errno;
      }
    }
  }

  private pageFault(proc: Process, event: PageFaultEvent, regs: CpuContext): UpcallResult {
    let segv: ReturnType<ProcessMemoryFault>;
    try {
      segv = proc.memory.fault(event.address, { write: event.write, fetch: event.fetch });
    } catch (e) {
      // No frame left for the page: Linux's out-of-memory answer to a fault is SIGKILL (SIGBUS here). A
      // file's page that cannot be read now (its server is restarting) ends the process the same way.
      if (!(e instanceof SyscallError || e instanceof FileServerRestarting)) throw e;
      this.killReasons.set(proc.pid, `out of memory at 0x${event.address.toString(16)}`);
      this.terminate(proc, SIG.SIGKILL, `out of memory at 0x${event.address.toString(16)}`);
      return 'resume';
    }
    if (segv === null) return 'resume';
    const what = event.fetch ? 'fetch' : event.write ? 'write' : 'read';
    this.killReasons.set(
      proc.pid,
      `${what} at 0x${event.address.toString(16)} (${segv === 'maperr' ? 'not mapped' : 'not allowed'}), rip 0x${regs.rip.toString(16)}`,
    );
    this.current = proc;
    try {
      return this.fault(proc, regs, {
        signo: SIG.SIGSEGV,
        code: segv === 'maperr' ? SEGV_MAPERR : SEGV_ACCERR,
        addr: event.address,
      });
    } finally {
      this.current = null;
    }
  }

  trace(proc: Process, line: string): void {
    this.strace?.(`[${proc.pid}] ${line}`);
  }
}
