/**
 * Inline code for the integer instructions compiled code executes most: moves, zero/sign extension, LEA,
 * the ALU group with every operand form and size, TEST, INC/DEC/NEG/NOT, shifts and rotates by a
 * constant, IMUL, CMOVcc, SETcc, PUSH/POP, and the control transfers that end a block (Jcc, JMP, CALL, RET).
 *
 * Instructions are recognised by the generic handler of their opcode-table row (`insn.def.exec`), so the
 * table stays the single source of truth. Each emitter reproduces its handler exactly, including which
 * faults can happen and in what order; it returns false to leave an unusual form (LOCK, 16-bit IMUL, a
 * zero shift count...) to the handler.
 */
import type { Insn } from '../../isa/insn';
import * as A from '../../isa/exec/alu';
import * as B from '../../isa/exec/branch';
import * as D from '../../isa/exec/data';
import * as M from '../../isa/exec/muldiv';
import * as Sh from '../../isa/exec/shift';
import * as St from '../../isa/exec/stack';
import * as Str from '../../isa/exec/string';
import * as Sys from '../../isa/exec/system';
import type { Handler } from '../../isa/opdef';
import { Flag, FlagOp } from '../flags';
import { directCondition } from './conditions';
import { BlockEmitter, SIZE_MASK, type Value } from './emitter';

const { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP } = A.AluOp;

/** Emits instruction k inline; false leaves it to its handler. */
export type FormEmitter = (e: BlockEmitter, k: number, i: Insn) => boolean;

const ZERO: Value = { lo: '0', hi: '0' };
const ONE: Value = { lo: '1', hi: '0' };

/** An immediate at `size` bytes as the interpreter's ALU sees it (masked below 32 bits). */
function immediate(i: Insn, size: number): Value {
  if (size === 8) return { lo: String(i.imm), hi: String(i.immHi) };
  if (size === 4) return { lo: String(i.imm | 0), hi: '0' };
  return { lo: String(i.imm & (size === 1 ? 0xff : 0xffff)), hi: '0' };
}

/** Reads the r/m operand (register or memory at `addr`). */
function readE(e: BlockEmitter, i: Insn, size: number, addr: string | null): Value {
  return addr === null ? e.readReg(e.rmReg(i, size), size) : e.readMem(addr, size);
}

function writeE(e: BlockEmitter, i: Insn, size: number, addr: string | null, v: Value, k: number): void {
  if (addr === null) e.writeReg(e.rmReg(i, size), size, v);
  else e.writeMem(addr, size, v, k);
}

/** The memory operand's address (marking the instruction as one that may fault), or null for a register. */
function operandAddress(e: BlockEmitter, k: number, i: Insn): string | null {
  if (i.mod === 3) return null;
  e.mayFault(k);
  return e.address(k);
}

/** Masks an 8/16-bit result; 32-bit results become int32. */
function sized(size: number, expr: string): string {
  return size === 8 || size === 4 ? `(${expr}) | 0` : `(${expr}) & ${SIZE_MASK[size]}`;
}

/**
 * `a op b` at `size` for the eight ALU operations; records the flags and returns the result. ADC and SBB
 * take the carry-in from the flags before the instruction.
 */
function aluOp(e: BlockEmitter, op: number, size: number, a: Value, b: Value): Value {
  const w = size === 8;
  switch (op) {
    case ADD: {
      const r = e.bind(sized(size, `${a.lo} + ${b.lo}`));
      const rh = w ? e.bind(`(${a.hi} + ${b.hi} + ((${r} >>> 0) < (${a.lo} >>> 0) ? 1 : 0)) | 0`) : '0';
      e.setFlags(BlockEmitter.flags(FlagOp.ADD, size, { lo: r, hi: rh }, a, b));
      return { lo: r, hi: rh };
    }
    case SUB:
    case CMP: {
      const r = e.bind(sized(size, `${a.lo} - ${b.lo}`));
      const rh = w ? e.bind(`(${a.hi} - ${b.hi} - ((${a.lo} >>> 0) < (${b.lo} >>> 0) ? 1 : 0)) | 0`) : '0';
      e.setFlags(BlockEmitter.flags(FlagOp.SUB, size, { lo: r, hi: rh }, a, b));
      return { lo: r, hi: rh };
    }
    case ADC:
    case SBB: {
      const cin = e.carry();
      const sign = op === ADC ? '+' : '-';
      let r: string;
      let rh = '0';
      if (w) {
        const s = e.bind(`(${a.lo} >>> 0) ${sign} (${b.lo} >>> 0) ${sign} ${cin}`);
        r = e.bind(`${s} | 0`);
        rh =
          op === ADC
            ? e.bind(`(${a.hi} + ${b.hi} + (${s} > 4294967295 ? 1 : 0)) | 0`)
            : e.bind(`(${a.hi} - ${b.hi} - (${s} < 0 ? 1 : 0)) | 0`);
      } else {
        r = e.bind(sized(size, `(${a.lo} >>> 0) ${sign} (${b.lo} >>> 0) ${sign} ${cin}`));
      }
      const fop = op === ADC ? FlagOp.ADC : FlagOp.SBB;
      e.setFlags(BlockEmitter.flags(fop, size, { lo: r, hi: rh }, a, b, cin));
      return { lo: r, hi: rh };
    }
    default: {
      const sym = op === AND ? '&' : op === OR ? '|' : '^';
      const r = e.bind(`${a.lo} ${sym} ${b.lo}`);
      const rh = w ? e.bind(`${a.hi} ${sym} ${b.hi}`) : '0';
      e.setFlags(BlockEmitter.flags(FlagOp.LOGIC, size, { lo: r, hi: rh }, a, b));
      return { lo: r, hi: rh };
    }
  }
}

/** ALU with the r/m operand as destination (Ev,Gv and Ev,Ib forms): read-modify-write unless CMP. */
function aluToE(e: BlockEmitter, k: number, i: Insn, op: number, source: (size: number) => Value): boolean {
  if (i.lock) return false;
  const s = i.opsize;
  const write = op !== CMP;
  const addr = operandAddress(e, k, i);
  if (addr !== null && write) e.probeWrite(addr, s);
  const b = source(s);
  const a = readE(e, i, s, addr);
  const r = aluOp(e, op, s, a, b);
  if (write) writeE(e, i, s, addr, r, k);
  return true;
}

const aluEG: FormEmitter = (e, k, i) => aluToE(e, k, i, i.sub, (s) => e.readReg(e.regReg(i, s), s));
const aluEI: FormEmitter = (e, k, i) => aluToE(e, k, i, i.reg & 7, (s) => immediate(i, s));

const aluGE: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  const addr = operandAddress(e, k, i);
  const b = readE(e, i, s, addr);
  const a = e.readReg(e.regReg(i, s), s);
  const r = aluOp(e, i.sub, s, a, b);
  if (i.sub !== CMP) e.writeReg(e.regReg(i, s), s, r);
  return true;
};

const aluAI: FormEmitter = (e, _k, i) => {
  const s = i.opsize;
  const a = e.readReg(0, s);
  const r = aluOp(e, i.sub, s, a, immediate(i, s));
  if (i.sub !== CMP) e.writeReg(0, s, r);
  return true;
};

function test(e: BlockEmitter, s: number, a: Value, b: Value): void {
  const r = e.bind(`${a.lo} & ${b.lo}`);
  const rh = s === 8 ? e.bind(`${a.hi} & ${b.hi}`) : '0';
  e.setFlags(BlockEmitter.flags(FlagOp.LOGIC, s, { lo: r, hi: rh }, a, b));
}

const testEG: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  const b = e.readReg(e.regReg(i, s), s);
  const addr = operandAddress(e, k, i);
  test(e, s, readE(e, i, s, addr), b);
  return true;
};
const testEI: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  const addr = operandAddress(e, k, i);
  test(e, s, readE(e, i, s, addr), immediate(i, s));
  return true;
};
const testAI: FormEmitter = (e, _k, i) => {
  test(e, i.opsize, e.readReg(0, i.opsize), immediate(i, i.opsize));
  return true;
};

/** INC, DEC, NEG, NOT on a register or memory. */
function unary(kind: 'inc' | 'dec' | 'neg' | 'not'): FormEmitter {
  return (e, k, i) => {
    if (i.lock) return false;
    const s = i.opsize;
    const addr = operandAddress(e, k, i);
    if (addr !== null) e.probeWrite(addr, s);
    const a = readE(e, i, s, addr);
    let r: Value;
    if (kind === 'not') {
      r = {
        lo: e.bind(s === 8 || s === 4 ? `~${a.lo}` : `~${a.lo} & ${SIZE_MASK[s]}`),
        hi: s === 8 ? e.bind(`~${a.hi}`) : '0',
      };
    } else if (kind === 'neg') {
      r = aluOp(e, SUB, s, ZERO, a);
    } else {
      const cf = e.carry(); // INC and DEC keep CF
      r = aluOp(e, kind === 'inc' ? ADD : SUB, s, a, ONE);
      e.setFlags(BlockEmitter.flags(kind === 'inc' ? FlagOp.INC : FlagOp.DEC, s, r, a, ONE, cf));
    }
    writeE(e, i, s, addr, r, k);
    return true;
  };
}

/** SHL/SHR/SAR/ROL/ROR of a 32/64-bit operand by a constant; other cases go to the handler. */
function shiftBy(countOf: (i: Insn) => number): FormEmitter {
  return (e, k, i) => {
    const s = i.opsize;
    const op = i.reg & 7;
    if (s < 4 || op === Sh.ShiftOp.RCL || op === Sh.ShiftOp.RCR) return false;
    const n = countOf(i) & (s === 8 ? 63 : 31);
    if (n === 0) return false;
    const addr = operandAddress(e, k, i);
    if (addr !== null) e.probeWrite(addr, s);
    const a = readE(e, i, s, addr);
    const r = op <= Sh.ShiftOp.ROR ? rotate(e, op === Sh.ShiftOp.ROL, s, a, n) : shift(e, op, s, a, n);
    writeE(e, i, s, addr, r, k);
    return true;
  };
}

/**
 * SHL/SAL/SHR/SAR of a 32/64-bit register by CL. The count is only known at run time: a zero count
 * changes no flags and leaves the value (a 32-bit destination is still written back, zero-extending it,
 * as the handler does), so the flags are written to the CPU first and the new record only when the count
 * is not zero.
 */
const shiftByCl: FormEmitter = (e, _k, i) => {
  const s = i.opsize;
  const op = i.reg & 7;
  if (s < 4 || i.mod !== 3 || op < Sh.ShiftOp.SHL) return false;
  const n = e.bind(`${e.readReg(1, 1).lo} & ${s === 8 ? 63 : 31}`);
  const a = e.readReg(i.rm, s);
  const left = op === Sh.ShiftOp.SHL || op === Sh.ShiftOp.SAL;
  const right = op === Sh.ShiftOp.SHR ? '>>>' : '>>';
  let r: Value;
  if (s === 4) {
    r = {
      lo: e.bind(`${n} === 0 ? ${a.lo} : ${left ? `${a.lo} << ${n}` : `(${a.lo} ${right} ${n}) | 0`}`),
      hi: '0',
    };
  } else if (left) {
    r = {
      lo: e.bind(`${n} === 0 ? ${a.lo} : ${n} < 32 ? ${a.lo} << ${n} : 0`),
      hi: e.bind(
        `${n} === 0 ? ${a.hi} : ${n} < 32 ? (${a.hi} << ${n}) | (${a.lo} >>> (32 - ${n})) : ${a.lo} << (${n} - 32)`,
      ),
    };
  } else {
    const top = op === Sh.ShiftOp.SHR ? '0' : `${a.hi} >> 31`;
    r = {
      lo: e.bind(
        `${n} === 0 ? ${a.lo} : ${n} < 32 ? (${a.lo} >>> ${n}) | (${a.hi} << (32 - ${n})) : (${a.hi} ${right} (${n} - 32)) | 0`,
      ),
      hi: e.bind(`${n} === 0 ? ${a.hi} : ${n} < 32 ? (${a.hi} ${right} ${n}) | 0 : ${top}`),
    };
  }
  const fop = left ? FlagOp.SHL : op === Sh.ShiftOp.SHR ? FlagOp.SHR : FlagOp.SAR;
  e.flush();
  e.emit(`if (${n} !== 0) c.setLazy(${fop}, ${s}, ${r.lo}, ${r.hi}, ${a.lo}, ${a.hi}, ${n}, 0);`);
  e.writeReg(i.rm, s, r);
  return true;
};

function shift(e: BlockEmitter, op: number, s: number, a: Value, n: number): Value {
  const left = op === Sh.ShiftOp.SHL || op === Sh.ShiftOp.SAL;
  const right = op === Sh.ShiftOp.SHR ? '>>>' : '>>';
  let r: Value;
  if (s === 4) {
    r = { lo: e.bind(left ? `${a.lo} << ${n}` : `(${a.lo} ${right} ${n}) | 0`), hi: '0' };
  } else if (left) {
    r =
      n < 32
        ? { lo: e.bind(`${a.lo} << ${n}`), hi: e.bind(`(${a.hi} << ${n}) | (${a.lo} >>> ${32 - n})`) }
        : { lo: '0', hi: e.bind(`${a.lo} << ${n - 32}`) };
  } else if (n < 32) {
    r = {
      lo: e.bind(`(${a.lo} >>> ${n}) | (${a.hi} << ${32 - n})`),
      hi: e.bind(`(${a.hi} ${right} ${n}) | 0`),
    };
  } else {
    r = {
      lo: e.bind(`(${a.hi} ${right} ${n - 32}) | 0`),
      hi: op === Sh.ShiftOp.SHR ? '0' : e.bind(`${a.hi} >> 31`),
    };
  }
  const fop = left ? FlagOp.SHL : op === Sh.ShiftOp.SHR ? FlagOp.SHR : FlagOp.SAR;
  e.setFlags(BlockEmitter.flags(fop, s, r, a, { lo: String(n), hi: '0' }));
  return r;
}

/** ROL/ROR change only CF and OF: the other flags are made concrete first. */
function rotate(e: BlockEmitter, left: boolean, s: number, a: Value, n: number): Value {
  let r: Value;
  if (s === 4) {
    r = {
      lo: e.bind(
        left ? `(${a.lo} << ${n}) | (${a.lo} >>> ${32 - n})` : `(${a.lo} >>> ${n}) | (${a.lo} << ${32 - n})`,
      ),
      hi: '0',
    };
  } else {
    // A 64-bit rotation: swap the halves for amounts of 32 and more, then rotate by the rest.
    let x = a.lo;
    let y = a.hi;
    let m = left ? n : 64 - n;
    if (m >= 32) {
      [x, y] = [y, x];
      m -= 32;
    }
    r =
      m === 0
        ? { lo: x, hi: y }
        : {
            lo: e.bind(`(${x} << ${m}) | (${y} >>> ${32 - m})`),
            hi: e.bind(`(${y} << ${m}) | (${x} >>> ${32 - m})`),
          };
  }
  const top = s === 4 ? `(${r.lo} >>> 31)` : `(${r.hi} >>> 31)`;
  const next = s === 4 ? `((${r.lo} >>> 30) & 1)` : `((${r.hi} >>> 30) & 1)`;
  const cf = e.bind(left ? `${r.lo} & 1` : top);
  const of = left ? `${top} ^ ${cf}` : `${top} ^ ${next}`;
  e.flush();
  e.emit(`c.setArith((c.materialize() & ${~(Flag.CF | Flag.OF)}) | ${cf} | ((${of}) << 11));`);
  return r;
}

/** IMUL Gv,Ev and Gv,Ev,Iz at 32/64 bits: the truncated product, flags lazily from the operands. */
function imul(withImmediate: boolean): FormEmitter {
  return (e, k, i) => {
    const s = i.opsize;
    if (s < 4) return false;
    const addr = operandAddress(e, k, i);
    const eOperand = readE(e, i, s, addr);
    const [a, b] = withImmediate ? [eOperand, immediate(i, s)] : [e.readReg(i.reg, s), eOperand];
    const lo = e.bind(`Math.imul(${a.lo}, ${b.lo})`);
    const hi =
      s === 8
        ? e.bind(
            `(H.mulHighU32(${a.lo}, ${b.lo}) + Math.imul(${a.lo}, ${b.hi}) + Math.imul(${a.hi}, ${b.lo})) | 0`,
          )
        : '0';
    const r = { lo, hi };
    e.setFlags(BlockEmitter.flags(FlagOp.IMUL, s, r, a, b));
    e.writeReg(i.reg, s, r);
    return true;
  };
}

/**
 * One-operand MUL/IMUL at 64 bits: RDX:RAX = RAX * operand (the 128-bit product from the shared helper);
 * CF and OF tell whether the high half is more than the low half's extension, and the other arithmetic
 * flags are set from the low half as the handler sets them.
 */
const mulWide: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  const signed = i.sub === 1;
  const addr = operandAddress(e, k, i);
  const b = readE(e, i, 8, addr);
  const a = e.readReg(0, 8);
  e.emit(`H.${signed ? 'mulS64' : 'mulU64'}(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi});`);
  const [p0, p1, p2, p3] = [0, 1, 2, 3].map((j) => e.bind(`H.product[${j}]`)) as [
    string,
    string,
    string,
    string,
  ];
  e.writeReg(0, 8, { lo: p0, hi: p1 });
  e.writeReg(2, 8, { lo: p2, hi: p3 });
  const over = signed ? `!(${p2} === ${p1} >> 31 && ${p3} === ${p1} >> 31)` : `${p2} !== 0 || ${p3} !== 0`;
  // Every arithmetic flag is replaced: a deferred record is not needed any more.
  e.pending = null;
  e.emit(
    `c.setArith((${over} ? ${Flag.CF | Flag.OF} : 0) | (${p1} < 0 ? ${Flag.SF} : 0) | (${p0} === 0 && ${p1} === 0 ? ${Flag.ZF} : 0) | H.PARITY[${p0} & 255]);`,
  );
  return true;
};

/** The condition `cc` from the pending flag producer, or from the CPU's flags. */
function condition(e: BlockEmitter, cc: number): string {
  const direct = e.pending !== null ? directCondition(e.pending, cc) : null;
  if (direct !== null) return e.bind(direct);
  e.flush();
  return e.bind(`c.cond(${cc})`);
}

const cmov: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  if (s < 4) return false;
  const addr = operandAddress(e, k, i);
  const v = readE(e, i, s, addr); // read (and possibly fault) whatever the condition
  const taken = condition(e, i.sub);
  e.writeRegIf(taken, i.reg, s as 4 | 8, v);
  return true;
};

const setcc: FormEmitter = (e, k, i) => {
  const taken = condition(e, i.sub);
  const addr = operandAddress(e, k, i);
  writeE(e, i, 1, addr, { lo: `(${taken} ? 1 : 0)`, hi: '0' }, k);
  return true;
};

// ------------------------------------------------------------------------------------------- moves

const movEG: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  const v = e.readReg(e.regReg(i, s), s);
  writeE(e, i, s, operandAddress(e, k, i), v, k);
  return true;
};

const movGE: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  e.writeReg(e.regReg(i, s), s, readE(e, i, s, operandAddress(e, k, i)));
  return true;
};

const movEI: FormEmitter = (e, k, i) => {
  const s = i.opsize;
  writeE(e, i, s, operandAddress(e, k, i), immediate(i, s), k);
  return true;
};

const movZI: FormEmitter = (e, _k, i) => {
  const s = i.opsize;
  e.writeReg(e.regReg(i, s), s, s === 8 ? { lo: String(i.imm), hi: String(i.immHi) } : immediate(i, s));
  return true;
};

const movzx: FormEmitter = (e, k, i) => {
  const v = readE(e, i, i.sub, operandAddress(e, k, i));
  e.writeReg(i.reg, i.opsize, { lo: v.lo, hi: '0' });
  return true;
};

const movsx: FormEmitter = (e, k, i) => {
  const v = readE(e, i, i.sub, operandAddress(e, k, i));
  const x = e.bind(i.sub === 1 ? `(${v.lo} << 24) >> 24` : `(${v.lo} << 16) >> 16`);
  const s = i.opsize;
  e.writeReg(i.reg, s, { lo: s === 2 ? `${x} & 65535` : x, hi: `${x} >> 31` });
  return true;
};

const movsxd: FormEmitter = (e, k, i) => {
  const v = readE(e, i, 4, operandAddress(e, k, i));
  const s = i.opsize;
  e.writeReg(i.reg, s, { lo: s === 2 ? `${v.lo} & 65535` : v.lo, hi: s === 8 ? `${v.lo} >> 31` : '0' });
  return true;
};

/**
 * LEA: the address arithmetic alone, modulo 2^64 (compilers use it for plain arithmetic), in int32 halves
 * so it is exact for any register values.
 */
const lea: FormEmitter = (e, _k, i) => {
  if (i.adsize !== 8 || i.seg !== 0 || i.opsize < 4) return false;
  const shift = [1, 2, 4, 8].indexOf(i.scale);
  const disp = i.disp;
  const dispLo = (disp % 4294967296) | 0;
  const dispHi = Math.floor(disp / 4294967296) | 0;
  const loTerms: string[] = [];
  const hiTerms: string[] = [];
  if (i.base >= 0) {
    const base = e.readReg(i.base, 8);
    loTerms.push(`(${base.lo} >>> 0)`);
    hiTerms.push(base.hi);
  }
  if (i.index >= 0) {
    const x = e.readReg(i.index, 8);
    // (index * scale) as halves: the low half's bits shifted out go to the high half.
    loTerms.push(shift === 0 ? `(${x.lo} >>> 0)` : `((${x.lo} << ${shift}) >>> 0)`);
    hiTerms.push(shift === 0 ? x.hi : `((${x.hi} << ${shift}) | (${x.lo} >>> ${32 - shift}))`);
  }
  if (dispLo !== 0) loTerms.push(String(dispLo >>> 0));
  if (dispHi !== 0) hiTerms.push(String(dispHi));
  if (loTerms.length === 0) loTerms.push('0');
  if (i.opsize === 4) {
    e.writeReg(i.reg, 4, { lo: e.bind(`(${loTerms.join(' + ')}) | 0`), hi: '0' });
    return true;
  }
  const sum = e.bind(loTerms.join(' + ')); // < 3 * 2^32: exact
  const carry = `Math.floor(${sum} / 4294967296)`;
  const hi = e.bind(`(${[...hiTerms, carry].join(' + ')}) | 0`);
  e.writeReg(i.reg, 8, { lo: `${sum} | 0`, hi });
  return true;
};

/** CDQE (sign-extends EAX into RAX) and CWDE (AX into EAX). */
const cbw: FormEmitter = (e, _k, i) => {
  if (i.opsize === 8) {
    const a = e.readReg(0, 4);
    e.writeReg(0, 8, { lo: a.lo, hi: `${a.lo} >> 31` });
  } else if (i.opsize === 4) {
    const a = e.readReg(0, 4);
    e.writeReg(0, 4, { lo: `(${a.lo} << 16) >> 16`, hi: '0' });
  } else return false;
  return true;
};

/** CQO (RAX's sign into RDX) and CDQ (EAX's sign into EDX). */
const cwd: FormEmitter = (e, _k, i) => {
  if (i.opsize === 8) {
    const sign = e.bind(`${e.readReg(0, 8).hi} >> 31`);
    e.writeReg(2, 8, { lo: sign, hi: sign });
  } else if (i.opsize === 4) {
    e.writeReg(2, 4, { lo: `${e.readReg(0, 4).lo} >> 31`, hi: '0' });
  } else return false;
  return true;
};

// ------------------------------------------------------------------------------------------- stack

const pushZ: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  const v = e.readReg(i.reg, 8);
  e.mayFault(k);
  e.push64(v, k);
  return true;
};

/** PUSH Ev: the operand is read (its address computed with RSP before the push), then pushed. */
const pushE: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  const addr = operandAddress(e, k, i);
  const v = readE(e, i, 8, addr);
  e.mayFault(k);
  e.push64(v, k);
  return true;
};

const pushI: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  e.mayFault(k);
  e.push64({ lo: String(i.imm), hi: String(i.immHi) }, k);
  return true;
};

const popZ: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  e.mayFault(k);
  const { value, sp } = e.peek64();
  e.popDone(sp);
  e.writeReg(i.reg, 8, value);
  return true;
};

/** LEAVE: RSP = RBP + 8 and RBP = [RBP], with RSP unchanged if the read faults. */
const leave: FormEmitter = (e, k, i) => {
  if (i.opsize !== 8) return false;
  e.mayFault(k);
  const rbp = e.readReg(5, 8);
  const bp = e.bind(`${rbp.hi} * 4294967296 + (${rbp.lo} >>> 0)`);
  const lo = e.bind(`${bp} >= ${-(2 ** 47)} && ${bp} < ${2 ** 47 - 8} ? c.rd64(${bp}) : c.rdStack(${bp}, 8)`);
  const hi = e.bind('c.hi');
  e.setRsp(`(${bp} + 8)`);
  e.writeReg(5, 8, { lo, hi });
  return true;
};

// ------------------------------------------------------------------------------------ no-ops, MOVS

/** NOP (and multi-byte NOP and PREFETCH, which access no memory): nothing to do. */
const nop: FormEmitter = () => true;

/** 90 is NOP unless REX.B makes it XCHG r8, rAX (left to the handler). */
const nopOrXchg: FormEmitter = (_e, _k, i) => i.reg === 0;

/** Adds the small constant or expression `delta` to a 64-bit register exactly (the string-pointer step). */
function step64(e: BlockEmitter, r: number, delta: string): void {
  const v = e.readReg(r, 8);
  const sum = e.bind(`(${v.lo} >>> 0) + ${delta}`);
  e.writeReg(r, 8, { lo: sum, hi: `${v.hi} + (${sum} > 4294967295 ? 1 : ${sum} < 0 ? -1 : 0)` });
}

/**
 * MOVS without REP, 64-bit addressing and no segment override: [RDI] = [RSI], then both move by the
 * element size, backwards when DF is set. A fault on either access leaves RSI and RDI as they were.
 */
const movs: FormEmitter = (e, k, i) => {
  if (i.rep !== 0 || i.adsize !== 8 || i.seg !== 0) return false;
  const s = i.opsize;
  e.mayFault(k);
  const rsi = e.readReg(6, 8);
  const rdi = e.readReg(7, 8);
  const v = e.readMem(e.bind(`${rsi.hi} * 4294967296 + (${rsi.lo} >>> 0)`), s);
  e.writeMem(e.bind(`${rdi.hi} * 4294967296 + (${rdi.lo} >>> 0)`), s, v, k, () => {
    const delta = e.bind(`(c.fother & ${Flag.DF}) !== 0 ? ${-s} : ${s}`);
    step64(e, 6, delta);
    step64(e, 7, delta);
  });
  return true;
};

// ---------------------------------------------------------------------------- control transfers

/** A canonical constant target needs no check at run time; a non-canonical one is left to the handler. */
function canonical(target: number): boolean {
  return target >= -(2 ** 47) && target < 2 ** 47;
}

const jmpRel: FormEmitter = (e, k, i) => {
  if (!canonical(i.imm)) return false;
  // Inside a block the jump was followed at decode time: the target's code comes next.
  if (k < e.insns.length - 1) return true;
  e.flush();
  e.emit(`c.rip = ${i.imm};`);
  return true;
};

const callRel: FormEmitter = (e, k, i) => {
  if (!canonical(i.imm)) return false;
  e.mayFault(k);
  e.push64({ lo: String(i.next | 0), hi: String(Math.floor(i.next / 4294967296) | 0) }, k, i.imm);
  e.emit(`c.rip = ${i.imm};`);
  return true;
};

const ret: FormEmitter = (e, k, i) => {
  const extra = i.def.operands.length > 0 ? i.imm & 0xffff : 0;
  e.mayFault(k);
  const { value, sp } = e.peek64();
  const target = e.bind(`${value.hi} * 4294967296 + (${value.lo} >>> 0)`);
  e.emit(`if (!(${target} >= ${-(2 ** 47)} && ${target} < ${2 ** 47})) c.checkBranchTarget(${target});`);
  e.emit(`c.rip = ${target};`);
  e.popDone(sp, 8 + extra);
  return true;
};

/** Handlers recognised by the compiler, by the generic handler of the opcode-table row. */
export const INTEGER_FORMS = new Map<Handler, FormEmitter>([
  [A.aluEG, aluEG],
  [A.aluGE, aluGE],
  [A.aluAI, aluAI],
  [A.aluEI, aluEI],
  [A.testEG, testEG],
  [A.testEI, testEI],
  [A.testAI, testAI],
  [A.incE, unary('inc')],
  [A.decE, unary('dec')],
  [A.negE, unary('neg')],
  [A.notE, unary('not')],
  [Sh.shiftEI, shiftBy((i) => i.imm)],
  [Sh.shiftECL, shiftByCl],
  [Sh.shiftE1, shiftBy(() => 1)],
  [M.imulGE, imul(false)],
  [M.mulOne, mulWide],
  [M.imulGEI, imul(true)],
  [D.cmov, cmov],
  [D.setcc, setcc],
  [D.movEG, movEG],
  [D.movGE, movGE],
  [D.movEI, movEI],
  [D.movZI, movZI],
  [D.movzx, movzx],
  [D.movsx, movsx],
  [D.movsxd, movsxd],
  [D.lea, lea],
  [D.cbw, cbw],
  [D.cwd, cwd],
  [St.pushZ, pushZ],
  [St.pushI, pushI],
  [St.pushE, pushE],
  [St.popZ, popZ],
  [St.leave, leave],
  [Sys.nop, nop],
  [D.nopOrXchg, nopOrXchg],
  [Str.movs, movs],
  [B.jmpRel, jmpRel],
  [B.callRel, callRel],
  [B.ret, ret],
]);

export { condition };
