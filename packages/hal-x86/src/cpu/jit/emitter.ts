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
 * Guest registers read by the block are cached in function-level locals (`r<slot>` for `g[slot]`), loaded
 * at first use; writes go to both the local and the register file, so the register file is exact at every
 * exit, handler call and fault without any write-back code. After a handler call (which may change any
 * register) the locals are loaded again. Values in the locals are always int32, as the register file
 * stores them.
 *
 * Faults are rare, so compiled code does not keep RIP and the lazy flags exact at every instruction that
 * might fault: it only notes the instruction's index in the local `f`. A fault reaches the function's
 * recovery code in one of two ways: a handler's throw, caught, or, for a load or store that misses the
 * TLB, a `break` out of the block labelled FAULT_LABEL after `cpu.accessFaults` found (without throwing)
 * that the access would fault. The recovery code writes the flags as they stood before that instruction
 * and points RIP after it (the run loop's convention for locating the faulting instruction), then hands
 * the fault back as the function's result (-1, the fault in `cpu.fault`) rather than rethrowing it. The
 * temporaries the recovery code reads are function-level variables; all others are block-local constants.
 */
import type { Insn } from '../../isa/insn';
import { Access, TLB_MASK, TlbPerm } from '../../mmu/mmu';
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

/** Loads and stores below 8 bytes at physical address `p` (bytes through `B`, the rest through `V`). */
const LOAD_AT: Record<number, (p: string) => string> = {
  1: (p) => `B[${p}]`,
  2: (p) => `V.getUint16(${p}, true)`,
  4: (p) => `V.getInt32(${p}, true)`,
};
const STORE_AT: Record<number, (p: string, v: string) => string> = {
  1: (p, v) => `B[${p}] = ${v};`,
  2: (p, v) => `V.setUint16(${p}, ${v}, true);`,
  4: (p, v) => `V.setInt32(${p}, ${v}, true);`,
};

export class BlockEmitter {
  readonly lines: string[] = [];
  private temps = 0;
  /** The flag producer whose record has not been written to the CPU yet. */
  pending: PendingFlags | null = null;
  /** For each instruction that may fault inline: what the recovery code must do (by instruction index). */
  readonly faultStates = new Map<number, string>();
  /** Register-file slots whose current value is in their local. */
  private readonly loaded = new Set<number>();
  /** Every slot that has a local (declared at function level). */
  private readonly slotsUsed = new Set<number>();
  /** A constant holding RSP as a number, while RSP has not changed since (consecutive pushes and pops). */
  private rspValue: string | null = null;

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
   * The code lines with their declarations settled: temporaries the recovery code reads are declared once
   * at function level (returned first) and only assigned in the body; every other one stays a block-local
   * constant, which costs nothing on entry.
   */
  finish(): { declarations: string; lines: string[] } {
    const shared = new Set<string>();
    for (const code of this.faultStates.values())
      for (const t of code.match(/\bt\d+\b/g) ?? []) shared.add(t);
    const lines = this.lines.map((line) => {
      if (!line.startsWith(DECLARE)) return line;
      const body = line.slice(DECLARE.length);
      const name = body.slice(body.indexOf(' ') + 1, body.indexOf(' = '));
      return shared.has(name) ? body.slice(body.indexOf(' ') + 1) : body;
    });
    const names = [...shared, ...[...this.slotsUsed].map((s) => `r${s} = 0`)];
    return { declarations: names.length > 0 ? `let ${names.join(', ')};` : '', lines };
  }

  // ------------------------------------------------------------------------------ register locals

  /** The local holding register-file slot `s` (an int32), loaded from the register file at first use. */
  slot(s: number): string {
    if (!this.loaded.has(s)) {
      this.emit(`r${s} = g[${s}];`);
      this.loaded.add(s);
      this.slotsUsed.add(s);
    }
    return `r${s}`;
  }

  /** Assigns slot `s` in its local and in the register file (converted to int32, as the file stores it). */
  setSlot(s: number, expr: string): void {
    const literal = /^-?\d+$/.test(expr);
    this.emit(`g[${s}] = r${s} = ${literal ? String(Number(expr) | 0) : `(${expr}) | 0`};`);
    this.loaded.add(s);
    this.slotsUsed.add(s);
    if (s === 8 || s === 9) this.rspValue = null;
  }

  /** After code that may change any register (a handler): every local must be loaded again. */
  private forgetRegisters(): void {
    this.loaded.clear();
    this.rspValue = null;
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
      case 8: {
        const lo = this.bind(this.slot(2 * r));
        return { lo, hi: this.bind(this.slot(2 * r + 1)) };
      }
      case 4:
        return { lo: this.bind(this.slot(2 * r)), hi: '0' };
      case 2:
        return { lo: this.bind(`${this.slot(2 * r)} & 65535`), hi: '0' };
      default:
        return r < 16
          ? { lo: this.bind(`${this.slot(2 * r)} & 255`), hi: '0' }
          : { lo: this.bind(`(${this.slot(2 * (r - 16))} >> 8) & 255`), hi: '0' };
    }
  }

  /** Writes register `r` with x86-64 rules: 32-bit writes zero the upper half, 8/16-bit writes merge. */
  writeReg(r: number, size: number, v: Value): void {
    switch (size) {
      case 8:
        this.setSlot(2 * r, v.lo);
        this.setSlot(2 * r + 1, v.hi);
        return;
      case 4:
        this.setSlot(2 * r, v.lo);
        this.setSlot(2 * r + 1, '0');
        return;
      case 2: {
        const old = this.slot(2 * r);
        this.setSlot(2 * r, `(${old} & -65536) | (${v.lo} & 65535)`);
        return;
      }
      default:
        if (r < 16) {
          const old = this.slot(2 * r);
          this.setSlot(2 * r, `(${old} & -256) | (${v.lo} & 255)`);
        } else {
          const old = this.slot(2 * (r - 16));
          this.setSlot(2 * (r - 16), `(${old} & -65281) | ((${v.lo} & 255) << 8)`);
        }
    }
  }

  /**
   * CMOVcc's write at 32/64 bits: the register takes `v` if `taken`; a 32-bit CMOV clears the upper half
   * either way.
   */
  writeRegIf(taken: string, r: number, size: 4 | 8, v: Value): void {
    const lo = this.slot(2 * r);
    const hi = this.slot(2 * r + 1);
    if (size === 8)
      this.emit(`if (${taken}) { g[${2 * r}] = ${lo} = ${v.lo}; g[${2 * r + 1}] = ${hi} = ${v.hi}; }`);
    else this.emit(`if (${taken}) g[${2 * r}] = ${lo} = ${v.lo};`);
    if (r === 4) this.rspValue = null;
    if (size === 4) this.setSlot(2 * r + 1, '0');
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
   * Marks instruction k as possibly faulting from here on: if it does, the recovery code writes the flags
   * deferred at this point and sets RIP to the next instruction, the convention that lets the run loop tell
   * which instruction of a block faulted.
   */
  mayFault(k: number): void {
    const i = this.insns[k] as Insn;
    this.faultStates.set(k, `${this.flushCode()} c.rip = ${i.next};`);
    this.emit(`f = ${k};`);
  }

  /**
   * Before a handler call, which reads and writes the CPU itself and keeps RIP and the flags right if it
   * faults: the register locals must be loaded again after it.
   */
  handlerCall(): void {
    this.forgetRegisters();
    this.emit('f = -1;');
  }

  /** The recovery code's dispatch on `f`. */
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
    if (i.base === 4 && i.index < 0 && this.rspValue !== null) {
      // RSP's value as a number is at hand (after a push or pop) and canonical, or the push would have faulted.
      const a = this.bindMutable(`${this.rspValue} + ${i.disp}`);
      this.emit(`if (!(${a} >= ${-CANON} && ${a} < ${CANON})) ${a} = c.ea(I[${k}]);`);
      return a;
    }
    const guards: string[] = [];
    const terms: string[] = [];
    if (i.base >= 0) {
      const lo = this.slot(2 * i.base);
      const hi = this.slot(2 * i.base + 1);
      guards.push(`${hi} >= -262144 && ${hi} < 262144`);
      terms.push(`${hi} * 4294967296 + (${lo} >>> 0)`);
    }
    if (i.index >= 0) {
      const lo = this.slot(2 * i.index);
      const hi = this.slot(2 * i.index + 1);
      guards.push(`${hi} >= -32768 && ${hi} < 32768`);
      const idx = `(${hi} * 4294967296 + (${lo} >>> 0))`;
      terms.push(i.scale === 1 ? idx : `${idx} * ${i.scale}`);
    }
    if (i.disp !== 0 || terms.length === 0) terms.push(String(i.disp));
    const sum = terms.join(' + ');
    if (guards.length === 0) return this.bind(sum);
    const a = this.bindMutable(`${guards.join(' && ')} ? ${sum} : c.ea(I[${k}])`);
    if (i.base === 4 || i.base === 5)
      this.emit(`if (!(${a} >= ${-CANON} && ${a} < ${CANON})) ${a} = c.ea(I[${k}]);`);
    return a;
  }

  /**
   * The TLB hit test of an access of `size` bytes at `addr` that stays within its page, and the physical
   * address on a hit (the CPU's rd32/rd64/wr32/wr64 fast path, inline: a call would box every address above
   * 2^31, such as the stack's, as a heap number). `T`, `P`, `F` are the MMU's TLB arrays, `B` and `V` physical memory as bytes and as a DataView.
   */
  private tlbHit(addr: string, size: number, perm: number): { hit: string; pa: string } {
    const vpn = this.bind(`Math.floor(${addr} / 4096)`);
    const slot = this.bind(`${vpn} & ${TLB_MASK}`);
    const off = this.bind(`(${addr} - ${vpn} * 4096) | 0`);
    return {
      hit: `T[${slot}] === ${vpn} && (P[${slot}] & ${perm}) !== 0 && ${off} <= ${4096 - size}`,
      pa: `(F[${slot}] >>> 0) + ${off}`,
    };
  }

  /** A load of 1, 2, 4 or 8 bytes with the TLB lookup inline and the CPU's helper on a miss. */
  readMem(addr: string, size: number): Value {
    const { hit, pa } = this.tlbHit(addr, size, TlbPerm.READ);
    const lo = this.bindMutable('0');
    if (size !== 8) {
      const load = LOAD_AT[size] as (p: string) => string;
      this.emit(
        `if (${hit}) ${lo} = ${load(pa)}; else ${faultsOnMiss(addr, size, Access.READ)} else ${lo} = c.rd${8 * size}(${addr});`,
      );
      return { lo, hi: '0' };
    }
    const hi = this.bindMutable('0');
    this.emit(
      `if (${hit}) { const p = ${pa}; ${lo} = V.getInt32(p, true); ${hi} = V.getInt32(p + 4, true); } else ${faultsOnMiss(addr, 8, Access.READ)} else { ${lo} = c.rd64(${addr}); ${hi} = c.hi; }`,
    );
    return { lo, hi };
  }

  /** A 16-byte load into four int32 constants (lowest dword first). */
  read128(addr: string): [string, string, string, string] {
    const { hit, pa } = this.tlbHit(addr, 16, TlbPerm.READ);
    const d = [
      this.bindMutable('0'),
      this.bindMutable('0'),
      this.bindMutable('0'),
      this.bindMutable('0'),
    ] as const;
    const fast = d.map((t, j) => `${t} = V.getInt32(p${j === 0 ? '' : ` + ${4 * j}`}, true);`).join(' ');
    const slow = `c.rd128(${addr}); ${d.map((t, j) => `${t} = c.q${j};`).join(' ')}`;
    this.emit(
      `if (${hit}) { const p = ${pa}; ${fast} } else ${faultsOnMiss(addr, 16, Access.READ)} else { ${slow} }`,
    );
    return [...d];
  }

  /**
   * A store of 1, 2, 4, 8 or 16 bytes with the TLB lookup inline (code frames noted as the CPU's helper
   * does); on a miss, the CPU's helper, or `miss` when given.
   */
  private storeCode(addr: string, size: number, v: Value, miss?: string): string {
    const { hit, pa } = this.tlbHit(addr, size, TlbPerm.WRITE);
    let stores: string;
    let slow: string;
    if (size >= 8) {
      const dwords = size === 16 ? [v.lo, v.hi, v.q2, v.q3] : [v.lo, v.hi];
      stores = dwords.map((d, j) => `V.setInt32(p${j === 0 ? '' : ` + ${4 * j}`}, ${d}, true);`).join(' ');
      slow = size === 16 ? `c.wr128(${addr}, ${dwords.join(', ')})` : `c.wr64(${addr}, ${v.lo}, ${v.hi})`;
    } else {
      stores = (STORE_AT[size] as (p: string, v: string) => string)('p', v.lo);
      slow = `c.wr${8 * size}(${addr}, ${v.lo})`;
    }
    const onMiss = miss ?? `${faultsOnMiss(addr, size, Access.WRITE)} else ${slow}`;
    return `if (${hit}) { const p = ${pa}; ${stores} if (CF[p >>> 12] !== 0) c.memory.noteWrite(p, ${size}); } else ${onMiss};`;
  }

  /**
   * Writes memory as instruction k (then emits `then`, the rest of the instruction); leaves the block if
   * the write hit this block's code (self-modifying code: the rest must be decoded again).
   */
  writeMem(addr: string, size: number, v: Value, k: number, then?: () => void): void {
    this.emit(this.storeCode(addr, size, v));
    then?.(); // the rest of the instruction, which must be done before leaving
    this.emit(this.stopExit(k));
  }

  /** Faults now if a later write of `size` bytes would (read-modify-write instructions are atomic). */
  probeWrite(addr: string, size: number): void {
    const { hit } = this.tlbHit(addr, size, TlbPerm.WRITE);
    this.emit(`if (!(${hit}) && c.accessFaults(${addr}, ${size}, ${Access.WRITE})) break ${FAULT_LABEL};`);
  }

  // ------------------------------------------------------------------------------------------- stack

  /** RSP as a number (exact while canonical; a huge value fails the canonical checks below anyway). */
  rspNumber(): string {
    if (this.rspValue !== null) return this.rspValue;
    const lo = this.slot(8);
    const hi = this.slot(9);
    return `${hi} * 4294967296 + (${lo} >>> 0)`;
  }

  /** Sets RSP to the number `sp` (a canonical address, or one the caller has checked). */
  setRsp(sp: string): void {
    const value = /^t\d+$/.test(sp) ? sp : this.bind(sp);
    this.setSlot(8, value);
    this.setSlot(9, `Math.floor(${value} / 4294967296)`);
    this.rspValue = value;
  }

  /** Pushes an 8-byte value (read beforehand, so PUSH RSP stores the old RSP); #SS/#PF leave RSP as it was. */
  push64(v: Value, k: number, ripAfter?: number): void {
    const sp = this.bind(`${this.rspNumber()} - 8`);
    // A TLB hit implies a canonical slot (only canonical pages are ever cached), so the check that makes a
    // non-canonical push raise #SS is needed on the miss path only.
    const canonical = `${sp} >= ${-CANON} && ${sp} < ${CANON - 8}`;
    const miss = `if (${canonical}) { ${faultsOnMiss(sp, 8, Access.WRITE)} c.wr64(${sp}, ${v.lo}, ${v.hi}); } else c.wrStack(${sp}, 8, ${v.lo}, ${v.hi})`;
    this.emit(this.storeCode(sp, 8, v, `{ ${miss}; }`));
    this.setRsp(sp);
    this.emit(this.stopExit(k, ripAfter));
  }

  /**
   * Reads the 8-byte stack slot at RSP into constants without moving RSP yet (so a fault, or a later check
   * that fails, leaves RSP as it was); `popDone` then moves RSP past it.
   */
  peek64(): { value: Value; sp: string } {
    const sp = this.bind(this.rspNumber());
    const { hit, pa } = this.tlbHit(sp, 8, TlbPerm.READ);
    const lo = this.bindMutable('0');
    const hi = this.bindMutable('0');
    // (a non-canonical slot misses the TLB and reaches rdStack, which raises #SS)
    this.emit(
      `if (${hit}) { const p = ${pa}; ${lo} = V.getInt32(p, true); ${hi} = V.getInt32(p + 4, true); } else { if (${sp} >= ${-CANON} && ${sp} < ${CANON - 8}) { ${faultsOnMiss(sp, 8, Access.READ)} ${lo} = c.rd64(${sp}); } else ${lo} = c.rdStack(${sp}, 8); ${hi} = c.hi; }`,
    );
    return { value: { lo, hi }, sp };
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

/**
 * The label of the block that encloses a compiled block's loop: `break`ing out of it is how an access that
 * faults on a TLB miss leaves, with the fault in `c.fault` (see `Cpu.accessFaults` and block-compiler.ts).
 */
export const FAULT_LABEL = 'faulted';

/** The statement that leaves the block when an access about to be done on a TLB miss would fault. */
function faultsOnMiss(addr: string, size: number, access: 0 | 1): string {
  return `if (c.accessFaults(${addr}, ${size}, ${access})) break ${FAULT_LABEL};`;
}
