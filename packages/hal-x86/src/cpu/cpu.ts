/**
 * The virtual CPU: architectural state of one x86-64 hardware thread running 64-bit code, and the
 * KVM-style run loop that executes it until something needs the host.
 *
 * Registers are int32 lo/hi pairs in an Int32Array (BigInt only on slow paths), arithmetic flags are lazy
 * (see flags.ts), and code runs from pre-decoded blocks cached per physical address (see block-cache.ts).
 * Handlers for each instruction live in ../isa/exec and reach the state through the methods here.
 */
import { BlockCache, type Block } from './block-cache';
import { Access, Mmu, TLB_MASK, TlbPerm } from '../mmu/mmu';
import type { PhysicalMemory } from '../memory/physical-memory';
import { GuestFault, Vector } from './fault';
import type { VcpuExit } from './exit';
import { LazyFlags } from './flags';
import { Reg, wideRegisterView } from './registers';
import type { Insn } from '../isa/insn';
import { X87State } from '../isa/exec/x87-state';
import { COMPILE_THRESHOLD, compileBlock } from './block-compiler';
import type { PortIoBus } from '../devices/io-bus';
import { type ContextParts, type CpuContext, loadCpuContext, saveCpuContext } from './context';

/**
 * The CPU's side of an interrupt controller: when the controller asserts the CPU's INTR input (`Cpu.intr`)
 * and RFLAGS.IF allows, the CPU runs an acknowledge cycle and receives the vector to deliver (or null when
 * the request went away in the meantime).
 */
export interface InterruptAcknowledge {
  acknowledge(): number | null;
}

const TWO32 = 4294967296;
const CANON = 2 ** 47;

export interface CpuOptions {
  /** Privilege level the CPU runs at: 3 (user, default) or 0. */
  cpl?: 0 | 3;
  /** Called for every executed instruction, before it runs (slow: disables nothing, but costs a call). */
  trace?: ((cpu: Cpu, insn: Insn) => void) | null;
  /** Virtual TSC ticks per retired instruction (default 1). */
  tscPerInstruction?: number;
  /** Compile hot blocks to JavaScript (default true); false keeps the pure interpreter (the reference). */
  jit?: boolean;
  /**
   * Executions of a block before it is compiled (default COMPILE_THRESHOLD). 1 compiles every block before
   * its first execution, which lets tests run single instructions through the compiled tier.
   */
  compileThreshold?: number;
}

export class Cpu extends LazyFlags {
  readonly memory: PhysicalMemory;
  readonly mmu: Mmu;
  /**
   * RAX..R15 as lo/hi int32 pairs: regs[2*n] is the low half of register n. The CPU's own array, or the
   * one of the context loaded with `{ shareRegisters: true }` (see `loadContext`).
   */
  regs: Int32Array;
  /** The same registers as 64-bit integers (see wideRegisterView), for getReg/setReg. */
  private regs64: BigInt64Array | null;
  /** The register file the CPU was made with, used again when no context shares its own. */
  private readonly ownRegs = new Int32Array(32);
  private readonly ownRegs64 = wideRegisterView(this.ownRegs);
  /** Instruction pointer as a signed canonical linear address. */
  rip = 0;
  /** FS and GS base (set by arch_prctl in the host), as signed canonical linear addresses. */
  fsBase = 0;
  gsBase = 0;

  /** XMM0-15: 16 x 16 bytes, with typed views over one buffer so SSE handlers need no conversions. */
  readonly xmmBuffer = new ArrayBuffer(256);
  readonly xmm32 = new Int32Array(this.xmmBuffer);
  readonly xmmF32 = new Float32Array(this.xmmBuffer);
  readonly xmmF64 = new Float64Array(this.xmmBuffer);
  readonly xmm8 = new Uint8Array(this.xmmBuffer);
  readonly xmmView = new DataView(this.xmmBuffer);
  mxcsr = 0x1f80;

  /** x87 FPU state (stack, control/status/tag words). */
  readonly x87 = new X87State();

  /** Scratch output: the high half of the last 64-bit value a reader returned. */
  hi = 0;
  /** Scratch output of rd128: the four dwords read, lowest first. */
  q0 = 0;
  q1 = 0;
  q2 = 0;
  q3 = 0;

  /** Instructions retired since creation. */
  instret = 0;
  tscPerInstruction: number;
  tscOffset = 0;
  /** When set (e.g. by a MachineClock), RDTSC reads this instead of counting instructions. */
  tscSource: (() => bigint) | null = null;

  trace: ((cpu: Cpu, insn: Insn) => void) | null;
  /** Whether hot blocks are compiled (see block-compiler.ts). */
  jit: boolean;
  readonly compileThreshold: number;
  /** Instructions retired by completed passes of a compiled self-loop, for precise counts on a fault. */
  jitRetired = 0;
  /**
   * @internal Set just before a SYSCALL runs: the instructions the current block retired before it, which
   * `instret` does not count yet (see `syscallInstret`).
   */
  syscallOffset = 0;
  /** The fault a compiled block caught and returned -1 for (see block-compiler.ts). */
  fault: unknown = null;

  /** Set by a handler to end the current block early (host exit, self-modifying code, rep chunking). */
  stop = false;
  /** An exit a handler requested (syscall, hlt); returned after the instruction retires. */
  pendingExit: VcpuExit | null = null;
  /** Where the current `run` stops (an instruction count); see endRunBy. */
  private runLimit = 0;
  /** Interrupt vectors raised by devices and not yet delivered. */
  private readonly pendingInterrupts: number[] = [];
  /** The INTR input, driven by `interruptController` (a local APIC) when it has a deliverable interrupt. */
  intr = false;
  interruptController: InterruptAcknowledge | null = null;
  /** Where IN/OUT at CPL 0 go; null reads all ones and drops writes. */
  ports: PortIoBus | null = null;
  /**
   * Called by SYSCALL once RCX and R11 are set. A host that can serve the call on the live registers does
   * so and returns true: there is no `syscall` exit and the guest goes on at the next instruction within
   * the same `run` (the SYSCALL still retires as one instruction). False gives the usual exit. This is
   * how a kernel keeps its cheapest calls from leaving and re-entering the run loop.
   */
  syscallHook: ((cpu: Cpu) => boolean) | null = null;
  /**
   * Called once, then cleared, before the first instruction that reads or writes the x87, SSE or MXCSR
   * state runs (a block holding one is about to run): a host that switches that state lazily between the
   * programs it runs, as operating systems did with CR0.TS and #NM, loads the right one there.
   */
  fpuUse: ((cpu: Cpu) => void) | null = null;

  readonly blocks: BlockCache;
  /** @internal (read by compiled blocks) */
  readonly bytes: Uint8Array;
  /** @internal (read by compiled blocks) */
  readonly view: DataView;
  // The MMU's current TLB arrays, kept here for the memory fast paths; they change with the MMU context.
  /** @internal (read by compiled blocks) */
  tlbTag: Float64Array;
  /** @internal (read by compiled blocks) */
  tlbFrame: Int32Array;
  /** @internal (read by compiled blocks) */
  tlbPerm: Uint8Array;
  /** @internal (read by compiled blocks) */
  readonly codeFrames: Uint8Array;

  constructor(memory: PhysicalMemory, options: CpuOptions = {}) {
    super();
    this.memory = memory;
    this.regs = this.ownRegs;
    this.regs64 = this.ownRegs64;
    this.mmu = new Mmu(memory);
    this.mmu.cpl = options.cpl ?? 3;
    this.trace = options.trace ?? null;
    this.tscPerInstruction = options.tscPerInstruction ?? 1;
    this.jit = options.jit ?? !(typeof process !== 'undefined' && process.env?.EXOV6_JIT === '0');
    this.compileThreshold = Math.max(1, Math.floor(options.compileThreshold ?? COMPILE_THRESHOLD));
    this.bytes = memory.bytes;
    this.view = memory.view;
    this.tlbTag = this.mmu.tlbTag;
    this.tlbFrame = this.mmu.tlbFrame;
    this.tlbPerm = this.mmu.tlbPerm;
    this.mmu.tlbReader = this; // (a switch hands the CPU the new arrays and stops the current block)
    this.codeFrames = memory.codeFrames;
    this.blocks = new BlockCache(this);
  }

  get cpl(): number {
    return this.mmu.cpl;
  }

  // ---------------------------------------------------------------- registers (host-facing, bigint)

  getReg(r: number): bigint {
    if (this.regs64 !== null) return this.regs64[r] as bigint;
    return (BigInt(this.regs[2 * r + 1] as number) << 32n) | BigInt((this.regs[2 * r] as number) >>> 0);
  }

  setReg(r: number, value: bigint | number): void {
    if (this.regs64 !== null) {
      this.regs64[r] = typeof value === 'bigint' ? value : BigInt(value); // (stored modulo 2^64)
      return;
    }
    const v = BigInt.asUintN(64, BigInt(value));
    this.regs[2 * r] = Number(v & 0xffffffffn) | 0;
    this.regs[2 * r + 1] = Number(v >> 32n) | 0;
  }

  /** Register value as a signed number (exact for |value| < 2^53); for addresses and counts. */
  regNum(r: number): number {
    return (this.regs[2 * r + 1] as number) * TWO32 + ((this.regs[2 * r] as number) >>> 0);
  }

  setRegNum(r: number, value: number): void {
    this.regs[2 * r] = value | 0;
    this.regs[2 * r + 1] = Math.floor(value / TWO32) | 0;
  }

  get rsp(): number {
    return this.regNum(Reg.RSP);
  }

  set rsp(v: number) {
    this.setRegNum(Reg.RSP, v);
  }

  // ------------------------------------------------------- registers (handlers, sized, lo/hi pairs)

  /** Reads register `r` at `size` bytes; for size 1, `r` is a byte-register code. Sets `hi` for size 8. */
  getRegSized(r: number, size: number): number {
    const g = this.regs;
    switch (size) {
      case 8:
        this.hi = g[2 * r + 1] as number;
        return g[2 * r] as number;
      case 4:
        return g[2 * r] as number;
      case 2:
        return (g[2 * r] as number) & 0xffff;
      default:
        return r < 16 ? (g[2 * r] as number) & 0xff : ((g[2 * (r - 16)] as number) >> 8) & 0xff;
    }
  }

  /** Writes register `r` at `size` bytes with x86-64 rules: 32-bit writes zero the upper half. */
  setRegSized(r: number, size: number, lo: number, hi: number): void {
    const g = this.regs;
    switch (size) {
      case 8:
        g[2 * r] = lo;
        g[2 * r + 1] = hi;
        return;
      case 4:
        g[2 * r] = lo;
        g[2 * r + 1] = 0;
        return;
      case 2:
        g[2 * r] = ((g[2 * r] as number) & ~0xffff) | (lo & 0xffff);
        return;
      default:
        if (r < 16) g[2 * r] = ((g[2 * r] as number) & ~0xff) | (lo & 0xff);
        else g[2 * (r - 16)] = ((g[2 * (r - 16)] as number) & ~0xff00) | ((lo & 0xff) << 8);
    }
  }

  // ----------------------------------------------------------------- effective addresses

  /**
   * Linear address of the instruction's memory operand for an access. A non-canonical address formed
   * from RSP or RBP (through the default SS segment, no FS/GS override) is a stack-segment fault (#SS), as
   * on hardware; other non-canonical addresses fault (#GP) when accessed.
   */
  ea(i: Insn): number {
    const a = this.eaRaw(i);
    if ((i.base === 4 || i.base === 5) && i.seg === 0 && !(a >= -CANON && a < CANON)) {
      throw new GuestFault(Vector.SS, 0, 0n, 'non-canonical stack address');
    }
    return a;
  }

  /** The address computation alone (for LEA): signed canonical form when canonical, never faults. */
  eaRaw(i: Insn): number {
    const g = this.regs;
    let a = i.disp;
    if (i.base >= 0) {
      const h = g[2 * i.base + 1] as number;
      if (h >= 0x40000 || h < -0x40000) return this.eaSlow(i);
      a += h * TWO32 + ((g[2 * i.base] as number) >>> 0);
    }
    if (i.index >= 0) {
      const h = g[2 * i.index + 1] as number;
      if (h >= 0x8000 || h < -0x8000) return this.eaSlow(i);
      a += (h * TWO32 + ((g[2 * i.index] as number) >>> 0)) * i.scale;
    }
    if (i.adsize === 4) a = mod32(a);
    if (i.seg !== 0) {
      a += i.seg === 4 ? this.fsBase : this.gsBase;
      if (a >= CANON) return this.eaSlow(i);
    }
    return a;
  }

  /** Exact 64-bit address arithmetic for operands whose registers hold large values. */
  private eaSlow(i: Insn): number {
    let a = BigInt(i.disp);
    if (i.base >= 0) a += this.getReg(i.base);
    if (i.index >= 0) a += this.getReg(i.index) * BigInt(i.scale);
    if (i.adsize === 4) a &= 0xffffffffn;
    if (i.seg !== 0) a += BigInt(i.seg === 4 ? this.fsBase : this.gsBase);
    return Number(BigInt.asIntN(64, a));
  }

  // ----------------------------------------------------------------- memory (linear addresses)

  /**
   * For compiled code on a TLB miss, before it calls the helper that does the access: whether an access of
   * `size` bytes at `la` (1 to 16, possibly crossing a page) faults. The fault the helper would throw is
   * left in `fault` instead, so the block can return it without a throw; otherwise every page touched is
   * in the TLB. The pages are checked in the helper's order, so the fault is the same one.
   */
  accessFaults(la: number, size: number, access: 0 | 1): boolean {
    const mmu = this.mmu;
    let fault = mmu.check(la, access);
    if (fault === null) {
      const last = Math.floor((la + size - 1) / 4096);
      if (last !== Math.floor(la / 4096)) fault = mmu.check(last * 4096, access);
      if (fault === null) return false;
    }
    this.fault = fault;
    return true;
  }

  /** Physical address for an access that may span pages; checks every page first so faults are atomic. */
  private translateSpan(la: number, size: number, access: 0 | 1 | 2): number {
    const pa = this.mmu.translate(la, access);
    const end = la + size - 1;
    // The part on the next page faults with CR2 at that page's first byte, as on hardware.
    if (Math.floor(end / 4096) !== Math.floor(la / 4096))
      this.mmu.translate(Math.floor(end / 4096) * 4096, access);
    return pa;
  }

  rd8(la: number): number {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.READ) !== 0) {
      return this.bytes[((this.tlbFrame[s] as number) >>> 0) + (la - vpn * 4096)] as number;
    }
    return this.bytes[this.mmu.translate(la, Access.READ)] as number;
  }

  rd16(la: number): number {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.READ) !== 0 && off <= 4094) {
      return this.view.getUint16(((this.tlbFrame[s] as number) >>> 0) + off, true);
    }
    this.translateSpan(la, 2, Access.READ);
    return this.rd8(la) | (this.rd8(la + 1) << 8);
  }

  rd32(la: number): number {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.READ) !== 0 && off <= 4092) {
      return this.view.getInt32(((this.tlbFrame[s] as number) >>> 0) + off, true);
    }
    this.translateSpan(la, 4, Access.READ);
    return this.rd8(la) | (this.rd8(la + 1) << 8) | (this.rd8(la + 2) << 16) | (this.rd8(la + 3) << 24);
  }

  /** Reads 8 bytes: returns the low half and leaves the high half in `hi`. */
  rd64(la: number): number {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.READ) !== 0 && off <= 4088) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      this.hi = this.view.getInt32(pa + 4, true);
      return this.view.getInt32(pa, true);
    }
    this.translateSpan(la, 8, Access.READ);
    const lo = this.rd32(la);
    this.hi = this.rd32(la + 4);
    return lo;
  }

  /** Reads 16 bytes into q0..q3 with one translation when they lie in one page. */
  rd128(la: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.READ) !== 0 && off <= 4080) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      const v = this.view;
      this.q0 = v.getInt32(pa, true);
      this.q1 = v.getInt32(pa + 4, true);
      this.q2 = v.getInt32(pa + 8, true);
      this.q3 = v.getInt32(pa + 12, true);
      return;
    }
    this.q0 = this.rd64(la);
    this.q1 = this.hi;
    this.q2 = this.rd64(la + 8);
    this.q3 = this.hi;
  }

  /** Writes 16 bytes (dwords lowest first); both halves are checked before either is written. */
  wr128(la: number, d0: number, d1: number, d2: number, d3: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0 && off <= 4080) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      const v = this.view;
      v.setInt32(pa, d0, true);
      v.setInt32(pa + 4, d1, true);
      v.setInt32(pa + 8, d2, true);
      v.setInt32(pa + 12, d3, true);
      if (this.codeFrames[pa >>> 12] !== 0) this.memory.noteWrite(pa, 16);
      return;
    }
    this.probeWrite(la, 16);
    this.wr64(la, d0, d1);
    this.wr64(la + 8, d2, d3);
  }

  /** Reads `size` bytes (1, 2, 4, 8); 8-byte reads leave the high half in `hi`. */
  rdMem(la: number, size: number): number {
    switch (size) {
      case 1:
        return this.rd8(la);
      case 2:
        return this.rd16(la);
      case 4:
        return this.rd32(la);
      default:
        return this.rd64(la);
    }
  }

  wr8(la: number, v: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    let pa: number;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0) {
      pa = ((this.tlbFrame[s] as number) >>> 0) + (la - vpn * 4096);
    } else {
      pa = this.mmu.translate(la, Access.WRITE);
    }
    this.bytes[pa] = v;
    if (this.codeFrames[pa >>> 12] !== 0) this.memory.noteWrite(pa, 1);
  }

  wr16(la: number, v: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0 && off <= 4094) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      this.view.setUint16(pa, v, true);
      if (this.codeFrames[pa >>> 12] !== 0) this.memory.noteWrite(pa, 2);
      return;
    }
    this.translateSpan(la, 2, Access.WRITE);
    this.wr8(la, v);
    this.wr8(la + 1, v >> 8);
  }

  wr32(la: number, v: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0 && off <= 4092) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      this.view.setInt32(pa, v, true);
      if (this.codeFrames[pa >>> 12] !== 0) this.memory.noteWrite(pa, 4);
      return;
    }
    this.translateSpan(la, 4, Access.WRITE);
    this.wr8(la, v);
    this.wr8(la + 1, v >> 8);
    this.wr8(la + 2, v >> 16);
    this.wr8(la + 3, v >> 24);
  }

  wr64(la: number, lo: number, hi: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    const off = la - vpn * 4096;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0 && off <= 4088) {
      const pa = ((this.tlbFrame[s] as number) >>> 0) + off;
      this.view.setInt32(pa, lo, true);
      this.view.setInt32(pa + 4, hi, true);
      if (this.codeFrames[pa >>> 12] !== 0) this.memory.noteWrite(pa, 8);
      return;
    }
    this.translateSpan(la, 8, Access.WRITE);
    this.wr32(la, lo);
    this.wr32(la + 4, hi);
  }

  wrMem(la: number, size: number, lo: number, hi: number): void {
    switch (size) {
      case 1:
        this.wr8(la, lo);
        return;
      case 2:
        this.wr16(la, lo);
        return;
      case 4:
        this.wr32(la, lo);
        return;
      default:
        this.wr64(la, lo, hi);
    }
  }

  /** Faults now if a later write of `size` bytes at `la` would fault (read-modify-write atomicity). */
  probeWrite(la: number, size: number): void {
    const vpn = Math.floor(la / 4096);
    const s = vpn & TLB_MASK;
    if (this.tlbTag[s] === vpn && (this.tlbPerm[s] & TlbPerm.WRITE) !== 0 && la - vpn * 4096 <= 4096 - size)
      return;
    this.translateSpan(la, size, Access.WRITE);
  }

  /** Copies bytes out of guest linear memory through the MMU (host helper). */
  readBytes(la: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) out[k] = this.rd8(la + k);
    return out;
  }

  /** Copies bytes into guest linear memory through the MMU with write checks (host helper). */
  writeBytes(la: number, data: Uint8Array): void {
    if (data.length > 0) this.translateSpan(la, data.length, Access.WRITE);
    for (let k = 0; k < data.length; k++) this.wr8(la + k, data[k] as number);
  }

  // ------------------------------------------------------------------ modrm operand helpers

  /** Reads the r/m operand at `size` bytes (register or memory). */
  rdE(i: Insn, size: number): number {
    if (i.mod === 3) return this.getRegSized(size === 1 ? i.rm8 : i.rm, size);
    return this.rdMem(this.ea(i), size);
  }

  /** Writes the r/m operand at `size` bytes (register or memory). */
  wrE(i: Insn, size: number, lo: number, hi: number): void {
    if (i.mod === 3) this.setRegSized(size === 1 ? i.rm8 : i.rm, size, lo, hi);
    else this.wrMem(this.ea(i), size, lo, hi);
  }

  rdG(i: Insn, size: number): number {
    return this.getRegSized(size === 1 ? i.reg8 : i.reg, size);
  }

  wrG(i: Insn, size: number, lo: number, hi: number): void {
    this.setRegSized(size === 1 ? i.reg8 : i.reg, size, lo, hi);
  }

  // ------------------------------------------------------------------ stack

  push64(lo: number, hi: number): void {
    const sp = this.regNum(Reg.RSP) - 8;
    this.wrStack(sp, 8, lo, hi);
    this.setRegNum(Reg.RSP, sp);
  }

  /** Pops 8 bytes: returns the low half, high half in `hi`. */
  pop64(): number {
    const sp = this.regNum(Reg.RSP);
    const lo = this.rdStack(sp, 8);
    const hi = this.hi;
    this.setRegNum(Reg.RSP, sp + 8);
    this.hi = hi;
    return lo;
  }

  /** Stack accesses raise #SS rather than #GP for a non-canonical address. */
  wrStack(la: number, size: number, lo: number, hi: number): void {
    if (!(la >= -CANON && la < CANON - 8)) this.mmu.translate(la, Access.WRITE, true);
    this.wrMem(la, size, lo, hi);
  }

  /** Faults now (#SS or #PF) if a stack write of `size` bytes at `la` would fault. */
  probeStackWrite(la: number, size: number): void {
    if (!(la >= -CANON && la < CANON - 8)) this.mmu.translate(la, Access.WRITE, true);
    this.probeWrite(la, size);
  }

  rdStack(la: number, size: number): number {
    if (!(la >= -CANON && la < CANON - 8)) this.mmu.translate(la, Access.READ, true);
    return this.rdMem(la, size);
  }

  // ------------------------------------------------------------------ control transfer

  /** Jumps to an absolute linear address; a non-canonical target faults at the branch (#GP). */
  jump(target: number): void {
    this.checkBranchTarget(target);
    this.rip = target;
  }

  checkBranchTarget(target: number): void {
    if (!(target >= -CANON && target < CANON)) {
      throw new GuestFault(Vector.GP, 0, 0n, 'branch to a non-canonical address');
    }
  }

  // ------------------------------------------------------------------ host interface

  /**
   * Copies the architectural state into `into` (or a new context) for a context switch; see context.ts.
   * With `{ fpu: false }` the x87, SSE and MXCSR state is left out (for a host that switches it lazily:
   * `fpuUse`, `saveFpuContext`, `loadFpuContext`).
   */
  saveContext(into?: CpuContext, parts?: ContextParts): CpuContext {
    return saveCpuContext(this, into, parts);
  }

  /**
   * Makes `ctx` the architectural state (CR3 and CPL stay as the host set them); see context.ts. With
   * `{ fpu: false }` the x87, SSE and MXCSR state stays as it is. With `{ shareRegisters: true }` the CPU
   * runs on `ctx.regs` itself until the next load, so the context always holds the live general registers
   * and neither this load nor the next save copies them.
   */
  loadContext(ctx: CpuContext, parts?: ContextParts): void {
    loadCpuContext(this, ctx, parts);
  }

  /**
   * @internal Makes `regs` (and its wide view) the register file, or the CPU's own with null. Compiled
   * blocks hold the array they started with, so a change inside one (from a SYSCALL hook) ends the block.
   */
  useRegisterFile(regs: Int32Array | null, regs64: BigInt64Array | null): void {
    const next = regs ?? this.ownRegs;
    if (next === this.regs) return;
    this.regs = next;
    this.regs64 = regs === null ? this.ownRegs64 : regs64;
    this.stop = true;
  }

  /**
   * Ends the current `run` by the time `instret` reaches `instructions` (at the next block boundary): a
   * device that schedules an event during the run (after an OUT, say) calls this through the platform so
   * the event is not overrun.
   */
  endRunBy(instructions: number): void {
    if (instructions < this.runLimit) this.runLimit = instructions;
  }

  /**
   * Moves the end of the current `run` to when `instret` reaches `instructions`, sooner or later than its
   * budget said (checked at the next block boundary). For a host that switches programs inside
   * `syscallHook`: the next program runs on a budget of its own.
   */
  setRunEnd(instructions: number): void {
    this.runLimit = instructions;
  }

  /**
   * Inside `syscallHook`: the instructions retired before the SYSCALL. `instret` itself lags there, as a
   * block counts its instructions when it ends; a host that accounts for time per program at a SYSCALL it
   * serves (switching programs there, say) reads this instead.
   */
  get syscallInstret(): number {
    return this.instret + this.syscallOffset;
  }

  /** Queues a device interrupt; delivered as an `interrupt` exit when RFLAGS.IF is set. */
  raiseInterrupt(vector: number): void {
    this.pendingInterrupts.push(vector);
  }

  /** The next interrupt to deliver now that RFLAGS.IF is set: queued vectors first, then the INTR input. */
  private takeInterrupt(): VcpuExit | null {
    if (this.pendingInterrupts.length > 0)
      return { kind: 'interrupt', vector: this.pendingInterrupts.shift() as number };
    if (!this.intr || this.interruptController === null) return null;
    const vector = this.interruptController.acknowledge();
    return vector === null ? null : { kind: 'interrupt', vector };
  }

  /** The virtual time-stamp counter (advances with retired instructions). */
  get tsc(): bigint {
    if (this.tscSource !== null) return this.tscSource();
    return BigInt(Math.floor(this.instret * this.tscPerInstruction + this.tscOffset));
  }

  /**
   * Runs guest code until something needs the host or `budget` instructions have retired.
   * Never throws for anything the guest does: faults become `exception` exits.
   */
  run(budget: number): VcpuExit {
    this.runLimit = this.instret + Math.max(0, Math.floor(budget));
    try {
      return this.trace === null ? this.runBlocks() : this.runTraced();
    } catch (e) {
      return this.faultExit(e);
    }
  }

  /** The exit for a fault (or an internal error) raised while running the current block. */
  private faultExit(e: unknown): VcpuExit {
    const block = this.blocks.current;
    this.blocks.current = null;
    if (block !== null) {
      // RIP was set to the next address before each instruction ran, which identifies the one that
      // faulted; the ones before it retired.
      const insns = block.insns;
      let k = 0;
      while (k < insns.length - 1 && (insns[k] as Insn).next !== this.rip) k++;
      // Compiled self-loops record the instructions of the passes they completed.
      this.instret += k + this.jitRetired;
      this.jitRetired = 0;
      this.rip = (insns[k] as Insn).addr;
    }
    return this.exceptionExit(e);
  }

  /** The interpreter loop: whole pre-decoded blocks, following chain links between them. */
  private runBlocks(): VcpuExit {
    let prev: Block | null = null;
    const pending = this.pendingInterrupts;
    for (;;) {
      if ((pending.length > 0 || this.intr) && (this.fother & 0x200) !== 0) {
        const exit = this.takeInterrupt();
        if (exit !== null) return exit;
      }
      const remaining = this.runLimit - this.instret;
      if (remaining <= 0) return { kind: 'budget' };
      const block = this.blocks.follow(prev, this.rip);
      if (block.usesFpu && this.fpuUse !== null) this.takeFpu();
      const insns = block.insns;
      let n = insns.length < remaining ? insns.length : remaining;
      let k = 0;
      this.stop = false;
      this.blocks.current = block;
      if (block.compiled === null && ++block.runs === this.compileThreshold && this.jit) {
        block.compiled = compileBlock(block.reach > 0 ? insns.slice(0, block.reach) : insns, block.va);
      }
      if (block.compiled !== null && n === insns.length) {
        this.jitRetired = 0;
        k = block.compiled(this, remaining);
        if (k < 0) {
          const fault = this.fault;
          this.fault = null;
          return this.faultExit(fault);
        }
      } else {
        this.jitRetired = 0; // (what faultExit adds: no compiled passes here)
        this.syscallOffset = 0;
        while (k < n) {
          const ins = insns[k++] as Insn;
          this.rip = ins.next;
          // (Side exits include every SYSCALL; see syscallInstret.)
          if (ins.sideExit) this.syscallOffset = k - 1;
          ins.exec(this, ins);
          if (this.stop || (ins.sideExit && this.rip !== ins.next)) break;
          if (k === insns.length && k < remaining && block.resumeVa >= 0) {
            // Fell through the last side exit decoded so far: the block goes on past it.
            if (!this.blocks.extend(block)) break;
            n = insns.length < remaining ? insns.length : remaining;
            if (block.usesFpu && this.fpuUse !== null) this.takeFpu();
          }
        }
        if (k > block.reach) block.reach = k;
      }
      this.blocks.current = null;
      this.instret += k;
      if (this.pendingExit !== null) {
        const exit = this.pendingExit;
        this.pendingExit = null;
        return exit;
      }
      prev = this.stop ? null : block;
    }
  }

  /** The same loop one instruction at a time, calling the trace hook before each. */
  private runTraced(): VcpuExit {
    // One instruction at a time: `instret` is exact before each.
    this.syscallOffset = 0;
    this.jitRetired = 0;
    for (;;) {
      if ((this.pendingInterrupts.length > 0 || this.intr) && (this.fother & 0x200) !== 0) {
        const exit = this.takeInterrupt();
        if (exit !== null) return exit;
      }
      if (this.runLimit - this.instret <= 0) return { kind: 'budget' };
      const block = this.blocks.lookup(this.rip);
      const ins = block.insns[0] as Insn;
      if (ins.def.fpu && this.fpuUse !== null) this.takeFpu();
      this.stop = false;
      this.blocks.current = block;
      this.trace?.(this, ins);
      this.rip = ins.next;
      ins.exec(this, ins);
      this.blocks.current = null;
      this.instret += 1;
      if (this.pendingExit !== null) {
        const exit = this.pendingExit;
        this.pendingExit = null;
        return exit;
      }
    }
  }

  private takeFpu(): void {
    const use = this.fpuUse as (cpu: Cpu) => void;
    this.fpuUse = null;
    use(this);
  }

  private exceptionExit(e: unknown): VcpuExit {
    if (e instanceof GuestFault) {
      return { kind: 'exception', vector: e.vector, errorCode: e.errorCode, cr2: e.cr2, detail: e.detail };
    }
    // A bug in a handler must not take the host down with it: report it as an exception the host can see.
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      kind: 'exception',
      vector: Vector.UD,
      errorCode: 0,
      cr2: 0n,
      detail: `internal error: ${message}`,
    };
  }
}

function mod32(a: number): number {
  const r = a % TWO32;
  return r < 0 ? r + TWO32 : r;
}
