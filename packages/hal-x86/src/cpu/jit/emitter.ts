/**
 * The code buffer of one block being compiled, and the operand vocabulary the instruction emitters share:
 * register and memory reads and writes at every operand size, effective addresses, stack pushes and pops,
 * and the deferred flag record.
 *
 * Generated code runs inside `function compiledBlock(c, budget)` with `g = c.regs` (the register file as
 * int32 lo/hi pairs) and `I` (the block's decoded instructions). Values follow the interpreter's
 * conventions: 64-bit values are lo/hi int32 pairs, 32-bit values int32, 8- and 16-bit values masked and
 * unsigned. Every read of a register is copied into a constant first, so an instruction that writes a
 * register it also reads sees the old value, as in the interpreter.
 */
import type { Insn } from '../../isa/insn';
import { carryExpression, type PendingFlags } from './conditions';

/** Canonical linear addresses are [-2^47, 2^47); stack accesses check the whole 8-byte slot. */
const CANON = 2 ** 47;

/** An operand value as two JavaScript expressions (the high half is '0' below 64 bits). */
export interface Value {
  lo: string;
  hi: string;
}

export const SIZE_MASK: Record<number, string> = { 1: '255', 2: '65535' };

export class BlockEmitter {
  readonly lines: string[] = [];
  private temps = 0;
  /** The flag producer whose record has not been written to the CPU yet. */
  pending: PendingFlags | null = null;

  constructor(readonly insns: readonly Insn[]) {}

  emit(line: string): void {
    this.lines.push(line);
  }

  fresh(): string {
    return `t${this.temps++}`;
  }

  /** Binds `expr` to a new constant and returns its name. */
  bind(expr: string): string {
    const t = this.fresh();
    this.emit(`const ${t} = ${expr};`);
    return t;
  }

  // ------------------------------------------------------------------------------------------ flags

  /** Writes the deferred flag record to the CPU (before anything that may observe or fault). */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.emit(`c.setLazy(${p.op}, ${p.size}, ${p.r}, ${p.rh}, ${p.a}, ${p.ah}, ${p.b}, ${p.bh});`);
    if (p.cf !== null) this.emit(`c.fcf = ${p.cf};`);
    this.pending = null;
  }

  /** Records a flag producer; nothing is written until something needs it. */
  setFlags(p: PendingFlags): void {
    this.pending = p;
  }

  /** CF before the current instruction, as a 0/1 expression bound to a constant. */
  carry(): string {
    const direct = this.pending !== null ? carryExpression(this.pending) : null;
    if (direct !== null) return this.bind(`${direct} ? 1 : 0`);
    this.flush();
    return this.bind('c.cf ? 1 : 0');
  }

  // -------------------------------------------------------------------------------------- registers

  /**
   * Reads register `r` at `size` bytes into constants. For size 1, `r` is a byte-register code (16-19 are
   * AH, CH, DH, BH).
   */
  readReg(r: number, size: number): Value {
    switch (size) {
      case 8:
        return { lo: this.bind(`g[${2 * r}]`), hi: this.bind(`g[${2 * r + 1}]`) };
      case 4:
        return { lo: this.bind(`g[${2 * r}]`), hi: '0' };
      case 2:
        return { lo: this.bind(`g[${2 * r}] & 65535`), hi: '0' };
      default:
        return r < 16
          ? { lo: this.bind(`g[${2 * r}] & 255`), hi: '0' }
          : { lo: this.bind(`(g[${2 * (r - 16)}] >> 8) & 255`), hi: '0' };
    }
  }

  /** Writes register `r` with x86-64 rules: 32-bit writes zero the upper half, 8/16-bit writes merge. */
  writeReg(r: number, size: number, v: Value): void {
    switch (size) {
      case 8:
        this.emit(`g[${2 * r}] = ${v.lo}; g[${2 * r + 1}] = ${v.hi};`);
        return;
      case 4:
        this.emit(`g[${2 * r}] = ${v.lo}; g[${2 * r + 1}] = 0;`);
        return;
      case 2:
        this.emit(`g[${2 * r}] = (g[${2 * r}] & -65536) | (${v.lo} & 65535);`);
        return;
      default:
        if (r < 16) this.emit(`g[${2 * r}] = (g[${2 * r}] & -256) | (${v.lo} & 255);`);
        else this.emit(`g[${2 * (r - 16)}] = (g[${2 * (r - 16)}] & -65281) | ((${v.lo} & 255) << 8);`);
    }
  }

  /** The r/m register operand of `i` at `size` (byte-register code for size 1). */
  rmReg(i: Insn, size: number): number {
    return size === 1 ? i.rm8 : i.rm;
  }

  regReg(i: Insn, size: number): number {
    return size === 1 ? i.reg8 : i.reg;
  }

  // ------------------------------------------------------------------------------------------ memory

  /**
   * Sets RIP to the next instruction, the convention that lets the run loop tell which instruction of a
   * block faulted, and writes the flags, which must be exact when a fault leaves the block.
   */
  mayFault(i: Insn): void {
    this.flush();
    this.emit(`c.rip = ${i.next};`);
  }

  /**
   * The linear address of instruction k's memory operand, bound to a constant. The common case (64-bit
   * addressing, no FS/GS override, register values small enough for exact double arithmetic) is computed
   * inline; anything else, and a non-canonical RSP/RBP-based address (#SS), goes through `c.ea`.
   */
  address(k: number): string {
    const i = this.insns[k] as Insn;
    if (i.adsize !== 8 || i.seg !== 0) return this.bind(`c.ea(I[${k}])`);
    const guards: string[] = [];
    const terms: string[] = [];
    if (i.base >= 0) {
      guards.push(`g[${2 * i.base + 1}] >= -262144 && g[${2 * i.base + 1}] < 262144`);
      terms.push(`g[${2 * i.base + 1}] * 4294967296 + (g[${2 * i.base}] >>> 0)`);
    }
    if (i.index >= 0) {
      guards.push(`g[${2 * i.index + 1}] >= -32768 && g[${2 * i.index + 1}] < 32768`);
      const idx = `(g[${2 * i.index + 1}] * 4294967296 + (g[${2 * i.index}] >>> 0))`;
      terms.push(i.scale === 1 ? idx : `${idx} * ${i.scale}`);
    }
    if (i.disp !== 0 || terms.length === 0) terms.push(String(i.disp));
    const sum = terms.join(' + ');
    if (guards.length === 0) return this.bind(sum);
    const a = this.fresh();
    this.emit(`let ${a} = ${guards.join(' && ')} ? ${sum} : c.ea(I[${k}]);`);
    if (i.base === 4 || i.base === 5) this.emit(`if (!(${a} >= ${-CANON} && ${a} < ${CANON})) ${a} = c.ea(I[${k}]);`);
    return a;
  }

  readMem(addr: string, size: number): Value {
    switch (size) {
      case 8: {
        const lo = this.bind(`c.rd64(${addr})`);
        return { lo, hi: this.bind('c.hi') };
      }
      case 4:
        return { lo: this.bind(`c.rd32(${addr})`), hi: '0' };
      case 2:
        return { lo: this.bind(`c.rd16(${addr})`), hi: '0' };
      default:
        return { lo: this.bind(`c.rd8(${addr})`), hi: '0' };
    }
  }

  /** Writes memory; returns from the block if the write hit this block's code (self-modifying code). */
  writeMem(addr: string, size: number, v: Value, retired: number): void {
    switch (size) {
      case 8:
        this.emit(`c.wr64(${addr}, ${v.lo}, ${v.hi});`);
        break;
      case 4:
        this.emit(`c.wr32(${addr}, ${v.lo});`);
        break;
      case 2:
        this.emit(`c.wr16(${addr}, ${v.lo});`);
        break;
      default:
        this.emit(`c.wr8(${addr}, ${v.lo});`);
    }
    this.emit(`if (c.stop) return n + ${retired};`);
  }

  /** Faults now if a later write of `size` bytes would (read-modify-write instructions are atomic). */
  probeWrite(addr: string, size: number): void {
    this.emit(`c.probeWrite(${addr}, ${size});`);
  }

  // ------------------------------------------------------------------------------------------- stack

  /** RSP as a number (exact while canonical; a huge value fails the canonical checks below anyway). */
  rspNumber(): string {
    return 'g[9] * 4294967296 + (g[8] >>> 0)';
  }

  setRsp(sp: string): void {
    this.emit(`g[8] = ${sp} | 0; g[9] = Math.floor(${sp} / 4294967296) | 0;`);
  }

  /** Pushes an 8-byte value (read beforehand, so PUSH RSP stores the old RSP); #SS/#PF leave RSP as it was. */
  push64(v: Value, retired: number): void {
    const sp = this.bind(`${this.rspNumber()} - 8`);
    this.emit(
      `if (${sp} >= ${-CANON} && ${sp} < ${CANON - 8}) c.wr64(${sp}, ${v.lo}, ${v.hi}); else c.wrStack(${sp}, 8, ${v.lo}, ${v.hi});`,
    );
    this.setRsp(sp);
    this.emit(`if (c.stop) return n + ${retired};`);
  }

  /**
   * Reads the 8-byte stack slot at RSP into constants without moving RSP yet (so a fault, or a later check
   * that fails, leaves RSP as it was); `popDone` then moves RSP past it.
   */
  peek64(): { value: Value; sp: string } {
    const sp = this.bind(this.rspNumber());
    const lo = this.bind(`${sp} >= ${-CANON} && ${sp} < ${CANON - 8} ? c.rd64(${sp}) : c.rdStack(${sp}, 8)`);
    return { value: { lo, hi: this.bind('c.hi') }, sp };
  }

  popDone(sp: string, bytes = 8): void {
    this.setRsp(`(${sp} + ${bytes})`);
  }

  /** Flag record shorthand. */
  static flags(
    op: number,
    size: number,
    r: Value,
    a: Value,
    b: Value,
    cf: string | null = null,
  ): PendingFlags {
    return { op, size, r: r.lo, rh: r.hi, a: a.lo, ah: a.hi, b: b.lo, bh: b.hi, cf };
  }
}

