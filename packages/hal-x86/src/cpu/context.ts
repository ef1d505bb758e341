/**
 * The architectural state of one hardware thread as a value: what an operating system saves when it
 * switches away from a task and loads when it switches back (the XSAVE area plus the register file), so
 * that many environments can share one `Cpu` and none of them can tell it was ever paused.
 *
 * Saved (everything a program can observe or that changes what its next instruction does):
 *   - RAX..R15, in the CPU's own layout (int32 lo/hi pairs), and RIP.
 *   - RFLAGS: the non-arithmetic bits (IF, DF, TF, AC, ID, IOPL, NT...) and the six arithmetic flags as the
 *     CPU keeps them, i.e. the lazy-flag record (see flags.ts). The record is copied as it is rather than
 *     materialised: that is eleven field copies with no branches, while materialising evaluates up to six
 *     flags (a BigInt multiply for IMUL's overflow) on every switch. Copying is also exact by
 *     construction — the same record gives the same flags through the same code — and leaves the resumed
 *     CPU bit-for-bit as it was, so a switch between a CMP and its Jcc changes nothing, not even which path
 *     the condition is evaluated on.
 *   - FS and GS base (the CPU models no segment selectors; these two bases are what 64-bit code uses).
 *   - XMM0..XMM15 and MXCSR.
 *   - The x87 FPU: the eight physical data registers as stored (10 bytes each), TOP, the control and status
 *     words, the tag word, and the last-instruction pointers (FIP, FDP, FOP, FCS, FDS) that FNSTENV and
 *     FXSAVE report.
 *
 * Not saved, because they belong to the host or the machine rather than to the program:
 *   - CR3 and CPL (`cpu.mmu.cr3`, `cpu.mmu.cpl`) and CR0.WP (`cpu.mmu.writeProtect`): the host switches
 *     the address space and privilege level itself, and writing CR3 is what flushes the TLB.
 *   - The TLB, the block cache and compiled code: caches keyed by physical address and MMU epoch that stay
 *     correct across a switch (a CR3 write advances the epoch).
 *   - `instret`, the TSC settings and `tscSource`: time belongs to the machine, not to one environment; a
 *     host that wants per-environment virtual time keeps its own offsets.
 *   - Pending interrupts, the INTR input, the interrupt controller and the port bus: platform wiring.
 *   - Per-instruction scratch (`hi`, `q0..q3`, `stop`, `pendingExit`, `jitRetired`): meaningless between
 *     two `run` calls, which is the only time a context may be saved or loaded.
 *
 * Values are stored as the CPU stores them: RIP and the FS/GS bases as signed canonical linear addresses
 * (JavaScript numbers), and `loadContext` takes them as they are; a context holding a value no program
 * could have produced (a non-canonical RIP, say) behaves as the same value written into the CPU would.
 */
import { X87State } from '../isa/exec/x87-state';
import type { Cpu } from './cpu';
import { LazyFlags } from './flags';
import { wideRegisterView } from './registers';

/** Host-side misuse of a context (a register number out of range). */
export class CpuContextError extends Error {
  override name = 'CpuContextError';
}

const GPR_COUNT = 16;

export class CpuContext {
  /** RAX..R15 as lo/hi int32 pairs, as in `Cpu.regs`: regs[2*n] is the low half of register n. */
  readonly regs = new Int32Array(2 * GPR_COUNT);
  /**
   * @internal The same registers as 64-bit integers (see wideRegisterView), for getReg/setReg (and the
   * CPU's, while it shares this register file).
   */
  readonly regs64 = wideRegisterView(this.regs);
  /** Instruction pointer (signed canonical linear address). */
  rip = 0;
  fsBase = 0;
  gsBase = 0;
  /** RFLAGS with the arithmetic flags as the lazy record the CPU left (`flags.rflags` evaluates it). */
  readonly flags = new LazyFlags();
  /** XMM0..XMM15, four little-endian dwords each, as in `Cpu.xmm32`. */
  readonly xmm32 = new Int32Array(64);
  mxcsr = 0x1f80;
  readonly x87 = new X87State();

  /**
   * The state after reset as this model defines it: registers zero, RFLAGS 0x202 (IF set, as user code
   * runs), MXCSR 0x1f80 (all exceptions masked, round to nearest), the x87 as FNINIT leaves it with zeroed
   * registers. Equal to `new CpuContext()`; the name says why it is being made.
   */
  static initial(): CpuContext {
    return new CpuContext();
  }

  /** RFLAGS as PUSHF would store it (lazy flags evaluated). */
  get rflags(): number {
    return this.flags.rflags;
  }

  /** Sets RFLAGS (bit 1 always reads as set); the arithmetic flags become explicit. */
  set rflags(value: number) {
    this.flags.rflags = value;
  }

  /** Register `r` (Reg.RAX..Reg.R15) as a signed 64-bit value, like `Cpu.getReg`. */
  getReg(r: number): bigint {
    checkReg(r);
    if (this.regs64 !== null) return this.regs64[r] as bigint;
    return (BigInt(this.regs[2 * r + 1] as number) << 32n) | BigInt((this.regs[2 * r] as number) >>> 0);
  }

  /** Sets register `r` to `value` taken modulo 2^64 (so -1n and 0xffff_ffff_ffff_ffffn are the same). */
  setReg(r: number, value: bigint | number): void {
    checkReg(r);
    if (this.regs64 !== null) {
      this.regs64[r] = typeof value === 'bigint' ? value : BigInt(value); // (stored modulo 2^64)
      return;
    }
    const v = BigInt.asUintN(64, BigInt(value));
    this.regs[2 * r] = Number(v & 0xffffffffn) | 0;
    this.regs[2 * r + 1] = Number(v >> 32n) | 0;
  }

  /** An independent copy (no arrays shared). */
  clone(): CpuContext {
    return new CpuContext().copyFrom(this);
  }

  /** Overwrites this context with `other`; returns this. */
  copyFrom(other: CpuContext): this {
    this.regs.set(other.regs);
    this.rip = other.rip;
    this.fsBase = other.fsBase;
    this.gsBase = other.gsBase;
    copyFlags(other.flags, this.flags);
    this.xmm32.set(other.xmm32);
    this.mxcsr = other.mxcsr;
    copyX87(other.x87, this.x87);
    return this;
  }
}

function checkReg(r: number): void {
  if (!Number.isInteger(r) || r < 0 || r >= GPR_COUNT) {
    throw new CpuContextError(`general-purpose register number must be 0..15, got ${r}`);
  }
}

/**
 * Which parts of the state a save or load copies: `fpu: false` leaves out the x87, SSE and MXCSR state.
 * `shareRegisters: true` (a load) makes the CPU run on the context's general-register array instead of a
 * copy of it, until the next load: saving the registers back then costs nothing, and the context always
 * shows the live values (writing them is writing the CPU's). A load without it gives the CPU its own
 * array back, so a context shared before keeps the values it had.
 */
export interface ContextParts {
  fpu?: boolean;
  shareRegisters?: boolean;
}

/**
 * Copies the CPU's architectural state into `into` (a new context when omitted) and returns it. With
 * `into` given nothing is allocated: three typed-array copies and a few dozen field copies (one, without
 * the x87 and SSE state).
 */
export function saveCpuContext(
  cpu: Cpu,
  into: CpuContext = new CpuContext(),
  parts?: ContextParts,
): CpuContext {
  if (into.regs !== cpu.regs) into.regs.set(cpu.regs); // (a shared register file holds them already)
  into.rip = cpu.rip;
  into.fsBase = cpu.fsBase;
  into.gsBase = cpu.gsBase;
  copyFlags(cpu, into.flags);
  if (parts?.fpu !== false) saveFpuContext(cpu, into);
  return into;
}

/**
 * Makes `ctx` the CPU's architectural state (the context is copied, not kept, but for the general
 * registers with `shareRegisters`). Call between runs, or in a SYSCALL hook (which then ends the block).
 */
export function loadCpuContext(cpu: Cpu, ctx: CpuContext, parts?: ContextParts): void {
  if (parts?.shareRegisters === true) cpu.useRegisterFile(ctx.regs, ctx.regs64);
  else {
    cpu.useRegisterFile(null, null);
    cpu.regs.set(ctx.regs);
  }
  cpu.rip = ctx.rip;
  cpu.fsBase = ctx.fsBase;
  cpu.gsBase = ctx.gsBase;
  copyFlags(ctx.flags, cpu);
  if (parts?.fpu !== false) loadFpuContext(cpu, ctx);
}

/** Copies only the x87, SSE (XMM0..15) and MXCSR state of the CPU into `into` (a lazy FPU switch's save). */
export function saveFpuContext(cpu: Cpu, into: CpuContext): void {
  into.xmm32.set(cpu.xmm32);
  into.mxcsr = cpu.mxcsr;
  copyX87(cpu.x87, into.x87);
}

/** Makes only the x87, SSE and MXCSR state of `ctx` the CPU's (a lazy FPU switch's load). */
export function loadFpuContext(cpu: Cpu, ctx: CpuContext): void {
  cpu.xmm32.set(ctx.xmm32);
  cpu.mxcsr = ctx.mxcsr;
  copyX87(ctx.x87, cpu.x87);
}

/** The whole lazy-flag record, including fields the current operation does not read (they are cheap). */
function copyFlags(from: LazyFlags, to: LazyFlags): void {
  to.fop = from.fop;
  to.fsz = from.fsz;
  to.fres = from.fres;
  to.fresHi = from.fresHi;
  to.fa = from.fa;
  to.faHi = from.faHi;
  to.fb = from.fb;
  to.fbHi = from.fbHi;
  to.fcf = from.fcf;
  to.fval = from.fval;
  to.fother = from.fother;
}

function copyX87(from: X87State, to: X87State): void {
  to.data.set(from.data);
  to.fcw = from.fcw;
  to.fsw = from.fsw;
  to.top = from.top;
  to.ftw = from.ftw;
  to.fip = from.fip;
  to.fdp = from.fdp;
  to.fop = from.fop;
  to.fcs = from.fcs;
  to.fds = from.fds;
}
