/**
 * Runs a statically linked Linux x86-64 executable on the simulated CPU, like a user-mode emulator:
 * load the ELF, build the initial stack, then loop on `cpu.run()` and answer each exit — system calls
 * through the Linux shim (syscalls.ts), page faults by mapping zero pages where the process has memory
 * (bss, heap, mmap areas, the 8 MiB stack), and everything else by ending the process with the signal
 * Linux would send.
 *
 * Exit status: a normal exit gives its status (0..255). A process ended by a signal reports 128 + the
 * signal number — what a shell prints as `$?` — with `signal` and `fault` set: SIGSEGV 139, SIGILL 132,
 * SIGFPE 136, SIGBUS 135, SIGTRAP 133, SIGABRT 134, SIGKILL 137 (out of guest memory). A native run killed
 * by a signal shows up in child_process.spawnSync as `status: null, signal: 'SIGSEGV'`; compare against
 * 128 + os.constants.signals[signal]. Exceeding `maxInstructions` ends the process as if by SIGXCPU
 * (exit code 152), the signal Linux sends when RLIMIT_CPU runs out.
 *
 * Nothing the guest does makes `runStaticElf` throw; a file that is not a loadable static x86-64
 * executable throws ElfError before anything runs.
 */

import { defaultDecoder } from '../cpu/block-cache';
import { Cpu } from '../cpu/cpu';
import { CPUID1_EDX } from '../cpu/cpuid';
import type { VcpuExit } from '../cpu/exit';
import { PfError, VECTOR_NAMES, Vector } from '../cpu/fault';
import { ElfError, type ElfFile, PF, parseElf } from '../elf/elf';
import { type LoadedImage, loadElf } from '../elf/loader';
import { buildInitialStack, type InitialStack, linuxAuxv } from '../elf/stack';
import { readSymbols, type SymbolTable } from '../elf/symbols';
import { disassembleAt } from '../isa/disasm';
import { createTracer, type Tracer } from '../isa/trace';
import { FrameAllocator, PhysicalMemory, PhysicalMemoryError } from '../memory/physical-memory';
import { AddressSpace } from '../mmu/address-space';
import { PROT, SIG, signalName } from './linux';
import { DeterministicRandom } from './random';
import { GID, LinuxSyscalls, type SyscallHost, UID } from './syscalls';
import { GuestOutOfMemory, ProcessMemory, STACK_LIMIT, STACK_TOP } from './vm';

/** Standard input: a buffer (EOF after it), or a function asked for up to `max` bytes (empty/null = EOF). */
export type StdinSource = Uint8Array | ((max: number) => Uint8Array | null);

export interface RunOptions {
  /** argv, argv[0] included (an empty list runs with a single empty argument, as Linux 6.x does). */
  argv: string[];
  env?: string[];
  stdin?: StdinSource;
  /** Stop (as SIGXCPU, exit code 152) after this many instructions. Default: no limit. */
  maxInstructions?: number;
  /** Guest physical memory in bytes (default 512 MiB; frames are used only as pages are touched). */
  memoryBytes?: number;
  /** Seeds AT_RANDOM and getrandom() (default 0). */
  seed?: number;
  /** Called with each chunk the guest writes to fd 1 / fd 2, as it writes it. */
  stdout?: (b: Uint8Array) => void;
  stderr?: (b: Uint8Array) => void;
  /** Keep the output in the result even when callbacks are given (default true). */
  collectOutput?: boolean;
  /** Log every executed instruction (slow) to `traceLog`. */
  trace?: boolean;
  /** One line per system call. */
  strace?: (line: string) => void;
  /** Where instruction traces and the end-of-run summary go (default: the strace callback, if any). */
  traceLog?: (line: string) => void;
  /** AT_EXECFN (default argv[0]). */
  execfn?: string;
  /** Load base for static-pie executables (default 0x555555554000). */
  pieBase?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Instructions retired. */
  instructions: number;
  /** Why the process died, when it was ended by a signal: vector, RIP, function, instruction bytes. */
  fault?: string;
  /** The terminating signal's name ('SIGSEGV', ...), when there was one. */
  signal?: string;
  /** System calls made, and those answered ENOSYS because they are not implemented (by name). */
  syscalls: number;
  unknownSyscalls: Record<string, number>;
}

const DEFAULT_MEMORY = 512 * 1024 * 1024;
const SLICE = 5_000_000;
const EAGER_STACK = 256 * 1024;
const PAGE = 4096;

const hex = (n: number) => `0x${n.toString(16)}`;

/** Signal Linux sends for each exception vector raised in user mode (arch/x86/kernel/traps.c). */
function signalFor(vector: number): number {
  switch (vector) {
    case Vector.DE:
    case Vector.MF:
    case Vector.XM:
      return SIG.SIGFPE;
    case Vector.UD:
      return SIG.SIGILL;
    case Vector.DB:
    case Vector.BP:
      return SIG.SIGTRAP;
    case Vector.NP:
    case Vector.SS:
    case Vector.AC:
    case Vector.MC:
      return SIG.SIGBUS;
    default:
      return SIG.SIGSEGV; // #GP, #PF, #OF, #BR, #TS, #DF, ...
  }
}

class OutputBuffer {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** One Linux process: its memory, CPU and system call state. */
export class LinuxProcess implements SyscallHost {
  readonly elf: ElfFile;
  readonly memory: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly as: AddressSpace;
  readonly cpu: Cpu;
  readonly vm: ProcessMemory;
  readonly image: LoadedImage;
  readonly stack: InitialStack;
  readonly symbols: SymbolTable;
  readonly syscalls: LinuxSyscalls;
  readonly memoryBytes: number;
  readonly strace: ((line: string) => void) | null;

  private readonly stdinSource: StdinSource;
  private stdinPos = 0;
  private stdinEof = false;
  private readonly out = new OutputBuffer();
  private readonly err = new OutputBuffer();
  private readonly random: DeterministicRandom;
  private readonly maxInstructions: number;
  private readonly traceLog: ((line: string) => void) | null;
  private status: { code: number; signal?: number; fault?: string } | null = null;
  private tracer: Tracer | null = null;
  /** Names addresses for the disassembler and the tracer ("main+0x14"). */
  private readonly symbolizer = (a: bigint): string | undefined =>
    this.symbols.describe(Number(BigInt.asIntN(64, a))) ?? undefined;

  constructor(
    elfBytes: Uint8Array,
    private readonly options: RunOptions,
  ) {
    validateOptions(options);
    this.elf = parseElf(elfBytes);
    this.memoryBytes = options.memoryBytes ?? DEFAULT_MEMORY;
    this.memory = new PhysicalMemory(this.memoryBytes);
    this.frames = new FrameAllocator(this.memory);
    this.as = new AddressSpace(this.memory, this.frames);
    this.cpu = new Cpu(this.memory, { cpl: 3 });
    this.vm = new ProcessMemory(this.as);
    this.vm.invalidate = (va) => this.cpu.mmu.invlpg(va);
    this.stdinSource = options.stdin ?? new Uint8Array(0);
    this.maxInstructions = options.maxInstructions ?? Number.POSITIVE_INFINITY;
    this.strace = options.strace ?? null;
    this.traceLog = options.traceLog ?? options.strace ?? null;
    this.random = new DeterministicRandom(options.seed ?? 0, 1);
    this.syscalls = new LinuxSyscalls(this);

    try {
      this.image = loadElf(this.elf, this.as, { base: options.pieBase, lazyBss: true });
      for (const r of this.image.regions) {
        this.vm.addArea(r.start, r.end, elfFlagsToProt(r.flags), 'image');
        this.vm.adoptMapped(r.start, r.end);
      }
      this.vm.brkStart = this.image.brk;
      this.vm.brk = this.image.brk;
      this.stack = this.buildStack(options);
    } catch (e) {
      if (e instanceof PhysicalMemoryError || e instanceof GuestOutOfMemory) {
        throw new ElfError(
          'TOO_LARGE',
          `the program does not fit in ${this.memoryBytes / 1048576} MiB of guest memory`,
        );
      }
      throw e;
    }
    this.symbols = readSymbols(this.elf, this.image.bias);

    this.cpu.mmu.cr3 = this.as.root;
    this.cpu.rip = this.image.entry;
    this.cpu.rsp = this.stack.sp;
    if (options.trace && this.traceLog !== null) {
      this.tracer = createTracer(this.traceLog, { symbolize: this.symbolizer, bytes: true });
      this.cpu.trace = this.tracer;
    }
  }

  private buildStack(options: RunOptions): InitialStack {
    const argv = options.argv.length > 0 ? options.argv : [''];
    const stackProt = PROT.READ | PROT.WRITE | (this.image.executableStack ? PROT.EXEC : 0);
    this.vm.addArea(STACK_TOP - STACK_LIMIT, STACK_TOP, stackProt, 'stack');
    const random = new DeterministicRandom(options.seed ?? 0, 0).bytes(16);
    const stack = buildInitialStack({
      stackTop: STACK_TOP,
      argv,
      env: options.env ?? [],
      execfn: options.execfn ?? argv[0] ?? '',
      random,
      auxv: linuxAuxv({
        phdr: this.image.phdrAddress,
        phent: this.image.phentsize,
        phnum: this.image.phnum,
        entry: this.image.entry,
        hwcap: CPUID1_EDX >>> 0,
        uid: UID,
        gid: GID,
      }),
    });
    const eager = Math.max(EAGER_STACK, Math.ceil(stack.bytes.length / PAGE) * PAGE);
    this.vm.ensure(STACK_TOP - eager, eager, true);
    this.as.write(stack.sp, stack.bytes);
    return stack;
  }

  // ------------------------------------------------------------------------------- SyscallHost

  readStdin(max: number): Uint8Array {
    if (this.stdinEof) return new Uint8Array(0);
    const src = this.stdinSource;
    if (src instanceof Uint8Array) {
      const n = Math.min(max, src.length - this.stdinPos);
      const chunk = src.slice(this.stdinPos, this.stdinPos + n);
      this.stdinPos += n;
      return chunk;
    }
    let chunk: Uint8Array | null;
    try {
      chunk = src(max);
    } catch {
      chunk = null;
    }
    if (chunk === null || chunk.length === 0) {
      this.stdinEof = true;
      return new Uint8Array(0);
    }
    return chunk.length > max ? chunk.subarray(0, max) : chunk;
  }

  stdinAvailable(): number {
    return this.stdinSource instanceof Uint8Array ? this.stdinSource.length - this.stdinPos : 0;
  }

  writeOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const copy = data.slice();
    const cb = stream === 'stdout' ? this.options.stdout : this.options.stderr;
    if (cb === undefined || this.options.collectOutput !== false)
      (stream === 'stdout' ? this.out : this.err).push(copy);
    cb?.(copy);
  }

  exit(code: number): void {
    this.status ??= { code };
  }

  killBySignal(signal: number, reason: string): void {
    this.status ??= { code: 128 + signal, signal, fault: `${signalName(signal)}: ${reason}` };
  }

  /** Ends the process for a fault it caused, noting a handler that would have run on Linux. */
  private killByFault(signal: number, reason: string): void {
    const note = this.syscalls.hasHandler(signal)
      ? ` (the program installed a ${signalName(signal)} handler; signal delivery is not supported)`
      : '';
    this.killBySignal(signal, reason + note);
  }

  randomBytes(n: number): Uint8Array {
    return this.random.bytes(n);
  }

  // ------------------------------------------------------------------------------- run loop

  get finished(): boolean {
    return this.status !== null;
  }

  /** Runs until the process exits, is killed, or uses up its instruction limit. */
  run(): RunResult {
    const cpu = this.cpu;
    while (this.status === null) {
      const remaining = this.maxInstructions - cpu.instret;
      if (remaining <= 0) {
        this.killBySignal(
          SIG.SIGXCPU,
          `instruction limit of ${this.maxInstructions} reached at rip ${this.where(cpu.rip)}`,
        );
        break;
      }
      const exit = cpu.run(Math.min(remaining, SLICE));
      try {
        this.handleExit(exit);
      } catch (e) {
        if (e instanceof GuestOutOfMemory || e instanceof PhysicalMemoryError) {
          this.killBySignal(
            SIG.SIGKILL,
            `out of memory: the guest used all ${this.memoryBytes / 1048576} MiB of physical memory`,
          );
        } else {
          const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          this.killBySignal(
            SIG.SIGKILL,
            `internal error while handling a ${exit.kind} exit at rip ${this.where(cpu.rip)}: ${msg}`,
          );
        }
      }
    }
    return this.result();
  }

  private handleExit(exit: VcpuExit): void {
    switch (exit.kind) {
      case 'syscall':
        this.syscalls.dispatch();
        return;
      case 'exception':
        this.handleException(exit.vector, exit.errorCode, exit.cr2, exit.detail);
        return;
      case 'hlt':
        this.killBySignal(SIG.SIGSEGV, `hlt at rip ${this.where(this.cpu.rip)}`);
        return;
      case 'budget':
      case 'interrupt':
        return;
    }
  }

  private handleException(vector: number, errorCode: number, cr2: bigint, detail: string): void {
    if (vector === Vector.PF) {
      const va = Number(BigInt.asIntN(64, cr2));
      const write = (errorCode & PfError.WRITE) !== 0;
      const fetch = (errorCode & PfError.FETCH) !== 0;
      if ((errorCode & PfError.PRESENT) === 0 && this.vm.fault(va, write, fetch)) return;
      this.killByFault(SIG.SIGSEGV, this.describePageFault(va, errorCode));
      return;
    }
    const name = VECTOR_NAMES[vector] ?? `vector ${vector}`;
    const internal = detail.startsWith('internal error');
    const what =
      vector === Vector.UD
        ? internal
          ? 'emulator internal error'
          : 'invalid or unsupported instruction'
        : vector === Vector.DE
          ? 'divide error'
          : vector === Vector.GP
            ? 'general protection fault'
            : 'exception';
    // The CPU's detail often just repeats the mnemonic and address; keep it only when it adds something.
    const extra = detail && !/^\S+ at 0x[0-9a-f]+$/.test(detail) ? `; ${detail}` : '';
    this.killByFault(signalFor(vector), `${name} ${what} at ${this.faultSite()}${extra}`);
  }

  private describePageFault(va: number, code: number): string {
    const access =
      (code & PfError.FETCH) !== 0
        ? 'instruction fetch from'
        : (code & PfError.WRITE) !== 0
          ? 'write to'
          : 'read from';
    const area = this.vm.find(va);
    let why: string;
    if (area === null) {
      const stackBottom = STACK_TOP - STACK_LIMIT;
      why =
        va < stackBottom && va >= stackBottom - 1024 * 1024
          ? 'stack overflow (below the 8 MiB stack)'
          : 'address not mapped';
    } else {
      why = `permission denied (${area.kind} area is ${protString(area.prot)})`;
    }
    return `#PF ${access} ${hex(va)}: ${why}, at ${this.faultSite()}`;
  }

  /** "rip 0x401234 <main+0x14>: 0f 0b (ud2)"; undecodable bytes are shown 8 at a time. */
  private faultSite(): string {
    const rip = this.cpu.rip;
    const bytes = this.bytesAt(rip, 15);
    if (bytes.length === 0) return `rip ${this.where(rip)} (unmapped)`;
    const d = this.disassemble(bytes, rip);
    if (d !== null) return `rip ${this.where(rip)}: ${hexBytes(bytes.subarray(0, d.length))} (${d.text})`;
    return `rip ${this.where(rip)}: ${hexBytes(bytes.subarray(0, 8))} (not recognised by the decoder)`;
  }

  /** AT&T text and length of the instruction in `bytes`, or null when it does not decode. */
  private disassemble(bytes: Uint8Array, address: number): { text: string; length: number } | null {
    try {
      const r = disassembleAt(bytes, 0, address, { symbolize: this.symbolizer });
      if (r.insn === undefined || r.text === '(bad)') return null;
      return { text: r.text.replace(/\s+/g, ' '), length: r.length };
    } catch {
      try {
        const insn = defaultDecoder().decode(bytes, 0, bytes.length, address);
        return insn.def.mnemonic === '(bad)' ? null : { text: insn.def.mnemonic, length: insn.len };
      } catch {
        return null;
      }
    }
  }

  private where(rip: number): string {
    const sym = this.symbols.describe(rip);
    return sym ? `${hex(rip)} <${sym}>` : hex(rip);
  }

  private bytesAt(va: number, max: number): Uint8Array {
    const out: number[] = [];
    for (let k = 0; k < max; k++) {
      const pa = va + k >= 0 ? this.as.lookup(va + k) : null;
      if (pa === null) break;
      out.push(this.memory.bytes[pa] as number);
    }
    return Uint8Array.from(out);
  }

  private result(): RunResult {
    const st = this.status ?? { code: 0 };
    const unknownSyscalls = Object.fromEntries(this.syscalls.unknown);
    this.tracer?.flush();
    if (this.options.trace && this.traceLog !== null) {
      const unknown = Object.entries(unknownSyscalls).map(([n, c]) => `${n} x${c}`);
      this.traceLog(
        `x86run: ${this.cpu.instret} instructions, ${this.syscalls.count} system calls` +
          (unknown.length > 0 ? `, not implemented: ${unknown.join(', ')}` : '') +
          `, exit code ${st.code}${st.fault ? ` (${st.fault})` : ''}`,
      );
    }
    const r: RunResult = {
      exitCode: st.code,
      stdout: this.out.bytes(),
      stderr: this.err.bytes(),
      instructions: this.cpu.instret,
      syscalls: this.syscalls.count,
      unknownSyscalls,
    };
    if (st.signal !== undefined) {
      r.signal = signalName(st.signal);
      r.fault = st.fault;
    }
    return r;
  }
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function protString(prot: number): string {
  return `${prot & PROT.READ ? 'r' : '-'}${prot & PROT.WRITE ? 'w' : '-'}${prot & PROT.EXEC ? 'x' : '-'}`;
}

function elfFlagsToProt(flags: number): number {
  return (flags & PF.R ? PROT.READ : 0) | (flags & PF.W ? PROT.WRITE : 0) | (flags & PF.X ? PROT.EXEC : 0);
}

function validateOptions(o: RunOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  if (!Array.isArray(o.argv) || o.argv.some((s) => typeof s !== 'string')) {
    throw new TypeError('options.argv must be an array of strings');
  }
  if (o.env !== undefined && (!Array.isArray(o.env) || o.env.some((s) => typeof s !== 'string'))) {
    throw new TypeError('options.env must be an array of strings');
  }
  if (o.memoryBytes !== undefined) {
    const m = o.memoryBytes;
    if (!Number.isInteger(m) || m < 4 * 1024 * 1024 || m % PAGE !== 0 || m > 2 ** 32) {
      throw new RangeError(
        `options.memoryBytes must be a multiple of 4096 between 4 MiB and 4 GiB, got ${m}`,
      );
    }
  }
  if (o.maxInstructions !== undefined && !(o.maxInstructions >= 0)) {
    throw new RangeError(`options.maxInstructions must be a non-negative number, got ${o.maxInstructions}`);
  }
  if (o.seed !== undefined && !Number.isFinite(o.seed))
    throw new RangeError('options.seed must be a finite number');
}

/**
 * Runs a static x86-64 Linux executable to completion and returns its exit status and output.
 * Throws ElfError (before running) if `elf` is not a loadable static executable.
 */
export function runStaticElf(elf: Uint8Array, options: RunOptions): RunResult {
  return new LinuxProcess(elf, options).run();
}
