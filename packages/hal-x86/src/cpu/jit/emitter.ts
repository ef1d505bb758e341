/**
 * The code buffer of one block being compiled, and the operand vocabulary the instruction emitters share:
 * register and memory reads and writes at every operand size, effective addresses, stack pushes and pops,
 * and the deferred flag record.
 *
 * Generated code runs inside `function compiledBlock(c, budget)` with `g = c.regs` (the register file as
 * int32 lo/hi pairs) and `I` (the block's decoded instructions). Values follow the interpreter's
 * conventions: 64-bit values are lo/hi int32 pairs, 32-bit values int32, 8- and 16-bit values masked and
 * unsigned. Every read of a register is copied into a temporary first, so an instruction that writes a
 * register it also reads sees the old value, as in the interpreter.
 *
 * Faults are rare, so compiled code does not keep RIP and the lazy flags exact at every instruction that
 * might fault: it only notes the instruction's index in the local `f`. The function's catch clause then
 * writes the flags as they stood before that instruction and points RIP after it (the run loop's
 * convention for locating the faulting instruction) before rethrowing. The temporaries that clause reads
 * are function-level variables; all others are block-local constants.
 */
import type { Insn } from '../../isa/insn';
import { carryExpression, type PendingFlags } from './conditions';

/** Canonical linear addresses are [-2^47, 2^47); stack accesses check the whole 8-byte slot. */
const CANON = 2 ** 47;

/** An operand value as two JavaScript expressions (the high half is '0' below 64 bits). */
export interface Value {
  lo: string;
  hi: string;
  /** The upper two dwords of a 16-byte value (SSE stores). */
  q2?: string;
  q3?: string;
}

/** Marks a line that declares a temporary (see finish). */
const DECLARE = '\u0001';

export const SIZE_MASK: Record<number, string> = { 1: '255', 2: '65535' };

export class BlockEmitter {
  readonly lines: string[] = [];
  private temps = 0;
  /** The flag producer whose record has not been written to the CPU yet. */
  pending: PendingFlags | null = null;
  /** For each instruction that may fault inline: what the catch clause must do (by instruction index). */
  readonly faultStates = new Map<number, string>();

  constructor(readonly insns: readonly Insn[]) {}

  emit(line: string): void {
    this.lines.push(line);
  }

  fresh(): string {
    return `t${this.temps++}`;
  }

  /** Binds `expr` to a new temporary and returns its name. */
  bind(expr: string): string {
    const t = this.fresh();
    this.emit(`${DECLARE}const ${t} = ${expr};`);
    return t;
  }

  /** Like bind, for a temporary that is assigned again afterwards. */
  bindMutable(expr: string): string {
    const t = this.fresh();
    this.emit(`${DECLARE}let ${t} = ${expr};`);
    return t;
  }

  /**
   * The code lines with their declarations settled: temporaries the catch clause reads are declared once
   * at function level (returned first) and only assigned in the body; every other one stays a block-local
   * constant, which costs nothing on entry.
   */
  finish(): { declarations: string; lines: string[] } {
    const shared = new Set<string>();
    for (const code of this.faultStates.values()) for (const t of code.match(/\bt\d+\b/g) ?? []) shared.add(t);
    const lines = this.lines.map((line) => {
      if (!line.startsWith(DECLARE)) return line;
      const body = line.slice(DECLARE.length);
      const name = body.slice(body.indexOf(' ') + 1, body.indexOf(' = '));
      return shared.has(name) ? body.slice(body.indexOf(' ') + 1) : body;
    });
    return { declarations: shared.size > 0 ? `let ${[...shared].join(', ')};` : '', lines };
  }

  // ------------------------------------------------------------------------------------------ flags

  /** Code that writes the deferred flag record to the CPU ('' when nothing is deferred). */
  flushCode(): string {
    const p = this.pending;
    if (p === null) return '';
    const record = `c.setLazy(${p.op}, ${p.size}, ${p.r}, ${p.rh}, ${p.a}, ${p.ah}, ${p.b}, ${p.bh});`;
    return p.cf !== null ? `${record} c.fcf = ${p.cf};` : record;
  }

  /** Writes the deferred flag record to the CPU (before anything that may observe it). */
  flush(): void {
    const code = this.flushCode();
    if (code !== '') this.emit(code);
    this.pending = null;
  }

  /** Code for leaving the block after instruction k completes early (its store hit this block's code). */
  private stopExit(k: number, ripAfter = (this.insns[k] as Insn).next): string {
    return `if (c.stop) { ${this.flushCode()} c.rip = ${ripAfter}; return n + ${k + 1}; }`;
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
   * Marks instruction k as possibly faulting from here on: if it does, the catch clause writes the flags
   * deferred at this point and sets RIP to the next instruction, the convention that lets the run loop tell
   * which instruction of a block faulted.
   */
  mayFault(k: number): void {
    const i = this.insns[k] as Insn;
    this.faultStates.set(k, `${this.flushCode()} c.rip = ${i.next};`);
    this.emit(`f = ${k};`);
  }

  /** Before a handler call, which keeps RIP and the flags itself: the catch clause must leave them. */
  handlerCall(): void {
    this.emit('f = -1;');
  }

  /** The catch clause's dispatch on `f`. */
  faultRecovery(): string {
    const cases = [...this.faultStates].map(([k, code]) => `case ${k}: ${code} break;`);
    return cases.length === 0 ? '' : `switch (f) { ${cases.join(' ')} }`;
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
    const a = this.bindMutable(`${guards.join(' && ')} ? ${sum} : c.ea(I[${k}])`);
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

  /**
   * Writes memory as instruction k; leaves the block if the write hit this block's code (self-modifying
   * code: the rest must be decoded again).
   */
  writeMem(addr: string, size: number, v: Value, k: number): void {
    switch (size) {
      case 16:
        this.emit(`c.wr128(${addr}, ${v.lo}, ${v.hi}, ${v.q2}, ${v.q3});`);
        break;
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
    this.emit(this.stopExit(k));
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
  push64(v: Value, k: number, ripAfter?: number): void {
    const sp = this.bind(`${this.rspNumber()} - 8`);
    this.emit(
      `if (${sp} >= ${-CANON} && ${sp} < ${CANON - 8}) c.wr64(${sp}, ${v.lo}, ${v.hi}); else c.wrStack(${sp}, 8, ${v.lo}, ${v.hi});`,
    );
    this.setRsp(sp);
    this.emit(this.stopExit(k, ripAfter));
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

