/**
 * A whole ExoV6 machine: hal-x86's PC (CPU, memory, PIT, RTC, COM1, interrupt controllers), the
 * exokernel multiplexing it, and the POSIX library OS in the first environment with the default image.
 *
 * - `run(argv)` boots init with a command, its standard streams captured or forwarded, and returns its
 *   output and exit status once it ends (tests, research scripts, the CLI's non-interactive mode).
 * - `interactive()` boots init to a shell on the console: COM1, driven by the library OS's UART driver
 *   through its port and interrupt capabilities, with the host terminal at the other end of the line.
 */
import type { Readable, Writable } from 'node:stream';
import { Exokernel, type ExokernelOptions, type EnvApi } from '@exov6/exokernel';
import { type BlockBackend, BlockBackendError, EPOCH_SECONDS, FileBlockBackend } from '@exov6/hal-x86';
import {
  FileSystem,
  HostStdio,
  implementedCalls,
  PosixSystem,
  type Process,
  type Stdio,
  UartConsole,
} from '@exov6/libos-posix';
import { MachineError } from './machine-error';
import { type ImageOptions, type ImageSummary, installDefaultImage } from './image';
import { mountRootDisk, type RootDisk } from './root-disk';

export interface MachineOptions extends ImageOptions {
  /** Guest memory in MiB (default 256). */
  memoryMiB?: number;
  /** sched-beatty policy the exokernel schedules environments with (default 'beatty'). */
  policy?: ExokernelOptions['policy'];
  /** Retired instructions per time slice (default 10 000). */
  sliceInstructions?: number;
  /** Seeds every random byte the guests see (AT_RANDOM, getrandom, /dev/urandom). Default 0. */
  seed?: number;
  /** Receives one line per system call (the library OS's strace). */
  strace?: (line: string) => void;
  /** Receives the boot log, line by line (default: dropped). */
  bootLog?: (line: string) => void;
  /** The console's host end for `interactive()`: typed input and where output goes. */
  console?: { input?: Readable | null; output?: Writable | null };
  /**
   * The root file system's disk: an ext2 image file (opened read-write) or a block back end. Its file-system
   * server runs in an environment of its own; the image options (busybox, files) do not apply. Without a
   * disk the root file system is in memory, with the default image.
   */
  disk?: string | BlockBackend;
}

export interface CommandOptions {
  /** Standard input (all of it; the end of input follows). */
  stdin?: Uint8Array | string;
  /** Forward standard output and error as they are written, besides collecting them. */
  onStdout?: (data: Uint8Array) => void;
  onStderr?: (data: Uint8Array) => void;
  /** Give up after this many guest instructions (default 20 billion). */
  maxInstructions?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status, or 128 + signal number when a signal ended it (as a shell reports it). */
  status: number;
  /** Guest instructions retired during the run. */
  instructions: number;
}

export class Machine {
  readonly kernel: Exokernel;
  readonly system: PosixSystem;
  /** The library OS's environment: every capability the POSIX personality holds. */
  readonly os: EnvApi;
  readonly image: ImageSummary;
  /** The root disk's server and the library OS's connection to it, when the machine has a disk. */
  readonly rootDisk: RootDisk | null = null;
  private readonly diskBackend: BlockBackend | null;
  private readonly uart: UartConsole;
  private readonly log: (line: string) => void;
  private booted = false;

  constructor(readonly options: MachineOptions = {}) {
    const memoryMiB = options.memoryMiB ?? 256;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 16 || memoryMiB > 4096) {
      throw new MachineError(`memory must be a whole number of MiB from 16 to 4096, got ${memoryMiB}`);
    }
    this.log = options.bootLog ?? (() => {});
    const t0 = performance.now();
    this.diskBackend = openDisk(options.disk);
    this.kernel = new Exokernel({
      memoryBytes: memoryMiB << 20,
      policy: options.policy,
      sliceInstructions: options.sliceInstructions,
      platform: {
        // A console on a host terminal runs in host time: the serial line's character times (and a guest's
        // sleeps) pass while the machine waits for typing. Without one, time is virtual and runs repeat.
        clockMode: options.console === undefined ? 'virtual' : 'host',
        serial: { input: options.console?.input ?? null, output: options.console?.output ?? null },
        ...(this.diskBackend === null ? {} : { disk: this.diskBackend }),
      },
    });
    const root = this.kernel.createRootEnvironment({});
    this.os = this.kernel.bind(root);
    const boot = this.os.bootCapabilities();
    if (boot === null) throw new MachineError('the exokernel gave no device capabilities');
    let rootFs: FileSystem | undefined;
    if (this.diskBackend !== null) {
      if (boot.disk === null) throw new MachineError('the exokernel gave no disk capability');
      try {
        this.rootDisk = mountRootDisk(this.kernel, root, this.os, { disk: boot.disk, timer: boot.timer });
      } catch (e) {
        // (An image that cannot be mounted is left as it was, and closed.)
        if (this.diskBackend instanceof FileBlockBackend) this.diskBackend.close();
        throw e;
      }
      const source = typeof options.disk === 'string' ? options.disk : '/dev/vda';
      // (The system's clock once it exists; the machine's, as the system will count it, before.)
      const realtimeNs = () =>
        (this.system as PosixSystem | undefined)?.realtimeNs() ??
        EPOCH_SECONDS * 1e9 + this.os.clockNow(boot.timer);
      rootFs = new FileSystem(realtimeNs, this.rootDisk.remote.mount(source));
      // Where /dev and /proc are mounted (a disk made from any directory may lack them).
      for (const dir of ['/dev', '/proc']) if (!rootFs.exists(dir)) rootFs.mkdirs(dir);
    }
    this.system = new PosixSystem(this.os, {
      fs: rootFs,
      seed: options.seed ?? 0,
      strace: options.strace,
      clock: () => this.os.clockNow(boot.timer),
      timer: {
        set: (deadline) => this.os.timerSet(boot.timer, deadline),
        cancel: () => this.os.timerCancel(boot.timer),
      },
    });
    this.image =
      this.rootDisk === null
        ? installDefaultImage(this.system.fs, options)
        : { programs: [], applets: 0, busybox: this.system.fs.exists('/bin/busybox') };
    this.uart = new UartConsole(this.os, { ports: boot.ports.com1, irq: boot.irqs.com1 });
    const terminal = this.system.attachTerminal((signalGroup) => this.uart.line(signalGroup));
    this.uart.onReceive = (bytes) => terminal.receive(bytes);
    this.os.setUpcalls({ interrupt: () => this.uart.interrupt(), timer: () => this.system.timerFired() });
    const frames = this.os.quotaFree;
    this.log(`ExoV6 machine: ${memoryMiB} MiB of memory, ${frames} frames for the library OS`);
    this.log('devices: PIT 8254, CMOS RTC, COM1 16550A (console), I/O APIC, local APIC');
    this.log(
      `exokernel: scheduler ${options.policy ?? 'beatty'}, time slices of ${this.kernel.executor.sliceInstructions} instructions`,
    );
    if (this.rootDisk === null) {
      this.log(
        `libos-posix: ${implementedCalls().length} Linux system calls; root file system in memory: ${this.image.programs.length} programs` +
          (this.image.busybox ? `, busybox with ${this.image.applets} applets` : ', no busybox on this host'),
      );
    } else {
      const s = this.rootDisk.remote.statfs();
      const readOnly = this.rootDisk.server.fs.readOnlyReason;
      if (readOnly !== null) this.log(`root file system mounted read-only: ${readOnly}`);
      this.log(
        `libos-posix: ${implementedCalls().length} Linux system calls; root file system ext2 on ${typeof options.disk === 'string' ? options.disk : 'the disk'}: ` +
          `${s.blocks} blocks of ${s.blockSize} bytes, ${s.freeBlocks} free; served by environment ${this.rootDisk.serverEnvId} under a supervisor`,
      );
    }
    this.log(`ready in ${(performance.now() - t0).toFixed(0)} ms`);
  }

  private claimBoot(): void {
    if (this.booted) throw new MachineError('a machine boots once: create another for another run');
    this.booted = true;
  }

  /**
   * Boots init with `argv` as its command and runs until init ends; the result is the command's.
   */
  run(argv: string[], options: CommandOptions = {}): CommandResult {
    if (argv.length === 0) throw new MachineError('run: an empty command');
    this.claimBoot();
    const stdio = new HostStdio({
      stdout: (d) => {
        stdio.stdoutBytes.push(d);
        options.onStdout?.(d);
      },
      stderr: (d) => {
        stdio.stderrBytes.push(d);
        options.onStderr?.(d);
      },
    });
    if (options.stdin !== undefined) stdio.input.push(options.stdin);
    stdio.input.end();
    const init = this.startInit(argv, stdio.files);
    const before = this.kernel.cpu.instret;
    const summary = this.kernel.run({ maxInstructions: options.maxInstructions ?? 20_000_000_000 });
    this.shutDown();
    if (init.state !== 'zombie') {
      throw new MachineError(
        summary.reason === 'idle'
          ? `init is stuck (every process waits for something that cannot come): ${this.describeProcesses()}`
          : `gave up after ${summary.instructions} instructions: ${this.describeProcesses()}`,
      );
    }
    return {
      stdout: stdio.stdout,
      stderr: stdio.stderr,
      status: statusOf(init.waitStatus),
      instructions: this.kernel.cpu.instret - before,
    };
  }

  /**
   * Boots init to a shell on the console and runs until init ends or `powerOff` is called; resolves
   * to init's exit status. Yields to the event loop between bursts so the console's streams flow.
   */
  async interactive(): Promise<number> {
    this.claimBoot();
    const consoleFile = () => this.system.openConsole();
    const init = this.startInit([], { stdin: consoleFile(), stdout: consoleFile(), stderr: consoleFile() });
    const terminal = this.system.terminal;
    if (terminal !== null) {
      terminal.sessionId = init.sid;
      terminal.foregroundPgid = init.pgid;
    }
    while (init.state !== 'zombie' && !this.poweredOff) {
      const summary = this.kernel.run({ maxSlices: 500 });
      const idleMs = summary.reason === 'idle' ? this.idleWaitMs() : 0;
      await new Promise((resolve) => (idleMs > 0 ? setTimeout(resolve, idleMs) : setImmediate(resolve)));
    }
    this.shutDown();
    return init.state === 'zombie' ? statusOf(init.waitStatus) : 0;
  }

  private shutDownDone = false;

  /**
   * The end of a run: the root disk's server writes back everything it holds and marks the file system
   * clean, and the image file is flushed and closed, so the image can be checked and booted again.
   */
  private shutDown(): void {
    if (this.shutDownDone) return;
    this.shutDownDone = true;
    if (this.rootDisk === null || this.diskBackend === null) return;
    this.rootDisk.stop();
    this.diskBackend.flush();
    if (this.diskBackend instanceof FileBlockBackend) this.diskBackend.close();
  }

  private poweredOff = false;

  /**
   * How long an idle interactive machine sleeps on the host: until its next device event or timer (a
   * character leaving the UART, a guest's sleep), and at most 5 ms, which bounds the latency of typing
   * when nothing is scheduled.
   */
  private idleWaitMs(): number {
    const clock = this.kernel.devices?.platform.clock;
    if (clock === undefined) return 5;
    const untilNextMs = (clock.nextDeadlineNs() - clock.nowNs()) / 1e6;
    return untilNextMs < 1 ? 0 : Math.min(5, Math.floor(untilNextMs));
  }

  /**
   * Stops `interactive()` at its next turn (the console's escape sequence does this); a machine that has
   * not run yet shuts its disk down at once.
   */
  powerOff(): void {
    this.poweredOff = true;
    // A machine that never ran lets its disk go at once (the image is closed and left clean).
    if (!this.booted) this.shutDown();
  }

  private startInit(command: string[], stdio: Stdio): Process {
    this.log(`init: /sbin/init${command.length > 0 ? ` ${command.join(' ')}` : ''} as pid 1`);
    return this.system.spawn('/sbin/init', {
      argv: ['init', ...command],
      env: ['PATH=/bin:/sbin', 'HOME=/root'],
      cwd: '/',
      stdio,
    });
  }

  private describeProcesses(): string {
    return [...this.system.processes.values()]
      .map(
        (p) =>
          `${p.pid} ${p.argv[0] ?? '?'} ${p.state}${p.blocked ? ' (waiting)' : ''}${p.stopped ? ' (stopped)' : ''}`,
      )
      .join(', ');
  }
}

function statusOf(waitStatus: number): number {
  return (waitStatus & 0x7f) === 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f);
}

/** The disk of `disk` (an image file's path opens read-write), or null for none. */
function openDisk(disk: MachineOptions['disk']): BlockBackend | null {
  if (disk === undefined) return null;
  if (typeof disk !== 'string') return disk;
  try {
    return new FileBlockBackend(disk);
  } catch (e) {
    const why = e instanceof BlockBackendError || e instanceof Error ? e.message : String(e);
    throw new MachineError(`cannot open the disk image ${disk}: ${why}`);
  }
}
