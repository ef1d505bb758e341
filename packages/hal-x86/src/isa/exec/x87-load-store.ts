/**
 * x87 data transfer: FLD/FILD/FBLD and the constant loads push; FST/FSTP/FIST/FISTP/FBSTP store (and
 * pop); FXCH exchanges; FCMOVcc moves under an RFLAGS condition.
 *
 * Stack faults (SDM vol. 1, 8.5.1.1): pushing onto a full stack (ST(7) in use) is an overflow and reading
 * an empty register an underflow; both flag IE and SF (C1 = 1 for overflow, 0 for underflow). The masked
 * response stores the real indefinite (or the integer / BCD indefinite in memory) where the result would
 * have gone and carries on with the push or pop; the unmasked response changes nothing but the status word.
 */
import type { Cpu } from '../../cpu/cpu';
import {
  BCD_INDEFINITE,
  type ConstantName,
  F80_INDEFINITE,
  type Float80,
  float32ToParts,
  float64ToParts,
  fromBCD,
  fromFloat32,
  fromFloat64,
  type IntWidth,
  int32ToParts,
  int64ToParts,
  intBits,
  loadConstant,
  partsToF80,
  partsToFloat32,
  partsToFloat64,
  partsToInt,
  SW,
  stackOverflow,
  stackUnderflow,
  toBCD,
  toFloat32,
  toFloat64,
  toInt,
} from '../../fpu';
import type { Insn } from '../insn';
import {
  begin,
  commit,
  commitMem,
  f80ToBits,
  isEmpty,
  isFull,
  opA,
  pop,
  push,
  pushParts,
  rdU80,
  readSt,
  setSt,
  st,
  stored,
  u64,
  wrU64,
  wrU80,
} from './x87-stack';

/** Memory formats, as the `sub` of load and store rows. */
export const Fmt = { F32: 0, F64: 1, F80: 2, I16: 3, I32: 4, I64: 5, BCD: 6 } as const;
/** Added to a store format's `sub`: the instruction pops. */
export const POP = 8;

const F32_INDEFINITE = 0xffc00000 | 0;
const F64_INDEFINITE = 0xfff8000000000000n;
const INT_WIDTH: Record<number, IntWidth> = { [Fmt.I16]: 16, [Fmt.I32]: 32, [Fmt.I64]: 64 };

/**
 * FLD m32fp / m64fp / m80fp, FILD m16int / m32int / m64int, FBLD m80bcd. The value goes through `opA`
 * when its widening needs no exception check (normal and zero floats, every integer, any 80-bit image),
 * through the general conversions of src/fpu otherwise.
 */
export function fldMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const la = c.ea(i);
  const full = isFull(x);
  let v: Float80 | null = null; // null: the value is in opA
  switch (i.sub) {
    case Fmt.F32: {
      const bits = c.rd32(la);
      if (full) v = stackOverflow(e);
      else if (!float32ToParts(bits, opA)) v = fromFloat32(e, bits);
      break;
    }
    case Fmt.F64: {
      const lo = c.rd64(la);
      const hi = c.hi;
      if (full) v = stackOverflow(e);
      else if (!float64ToParts(lo, hi, opA)) v = fromFloat64(e, u64(lo, hi));
      break;
    }
    case Fmt.F80: {
      // no conversion, no exception (not even for an SNaN)
      const lo = c.rd64(la);
      const hi = c.hi;
      const signExp = c.rd16(la + 8);
      if (full) v = stackOverflow(e);
      else opA.set(signExp, hi >>> 0, lo >>> 0);
      break;
    }
    case Fmt.I16: {
      const n = (c.rd16(la) << 16) >> 16;
      if (full) v = stackOverflow(e);
      else int32ToParts(n, opA);
      break;
    }
    case Fmt.I32: {
      const n = c.rd32(la);
      if (full) v = stackOverflow(e);
      else int32ToParts(n, opA);
      break;
    }
    case Fmt.I64: {
      const lo = c.rd64(la);
      const hi = c.hi;
      if (full) v = stackOverflow(e);
      else int64ToParts(lo, hi, opA);
      break;
    }
    default: {
      const bcd = rdU80(c, la);
      v = full ? stackOverflow(e) : fromBCD(e, bcd);
    }
  }
  if (v === null) {
    e.setCC(SW.C1, false);
    pushParts(x, opA);
  } else if (!e.suppressed) push(x, v);
  commitMem(c, i, la);
}

/** FLD ST(i): pushes a copy of ST(i) (read before the push, so FLD ST(0) duplicates the top). */
export function fldReg(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  if (isEmpty(x, j)) {
    // reported as an underflow even when the stack is also full
    const v = stackUnderflow(e);
    if (!e.suppressed) push(x, v);
  } else if (isFull(x)) {
    const v = stackOverflow(e);
    if (!e.suppressed) push(x, v);
  } else {
    e.setCC(SW.C1, false);
    const from = (x.top + j) & 7;
    x.top = (x.top + 7) & 7;
    x.copyRegister(from, x.top);
  }
  commit(c, i);
}

/** The constant loads, `sub` indexing CONSTANTS: FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ. */
export const CONSTANTS: readonly ConstantName[] = ['one', 'l2t', 'l2e', 'pi', 'lg2', 'ln2', 'zero'];

export function fldConst(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const name = CONSTANTS[i.sub] as ConstantName;
  if (!isFull(x) && (name === 'one' || name === 'zero')) {
    // exact whatever the rounding control
    e.setCC(SW.C1, false);
    if (name === 'one') opA.set(0x3fff, 0x80000000, 0);
    else opA.set(0, 0, 0);
    pushParts(x, opA);
  } else {
    const v = isFull(x) ? stackOverflow(e) : loadConstant(e, name);
    if (!e.suppressed) push(x, v);
  }
  commit(c, i);
}

/** FST/FSTP m32fp / m64fp / m80fp, FIST/FISTP m16int / m32int / m64int, FBSTP m80bcd (`sub` = Fmt + POP). */
export function fstMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const la = c.ea(i);
  const fmt = i.sub & 7;
  const empty = isEmpty(x, 0);
  let v: Float80 = F80_INDEFINITE;
  if (empty) stackUnderflow(e);
  else readSt(x, 0, opA);
  switch (fmt) {
    case Fmt.F32: {
      if (!empty && partsToFloat32(e, opA, stored)) {
        c.wr32(la, stored.lo | 0);
        break;
      }
      const bits = empty ? F32_INDEFINITE : toFloat32(e, partsToF80(opA));
      if (!e.suppressed) c.wr32(la, bits | 0);
      break;
    }
    case Fmt.F64: {
      if (!empty && partsToFloat64(e, opA, stored)) {
        c.wr64(la, stored.lo | 0, stored.hi | 0);
        break;
      }
      const bits = empty ? F64_INDEFINITE : toFloat64(e, partsToF80(opA));
      if (!e.suppressed) wrU64(c, la, bits);
      break;
    }
    case Fmt.F80:
      if (!empty) {
        e.setCC(SW.C1, false);
        c.probeWrite(la, 10);
        c.wr64(la, opA.lo | 0, opA.hi | 0);
        c.wr16(la + 8, opA.signExp);
      } else if (!e.suppressed) wrU80(c, la, f80ToBits(v));
      break;
    case Fmt.BCD: {
      const bits = empty ? BCD_INDEFINITE : toBCD(e, partsToF80(opA));
      if (!e.suppressed) wrU80(c, la, bits);
      break;
    }
    default: {
      const width = INT_WIDTH[fmt] as IntWidth;
      if (!empty && partsToInt(e, opA, width, false, stored)) {
        if (width === 16) c.wr16(la, stored.lo & 0xffff);
        else if (width === 32) c.wr32(la, stored.lo | 0);
        else c.wr64(la, stored.lo | 0, stored.hi | 0);
        break;
      }
      if (!empty) v = partsToF80(opA);
      const n = empty ? -(1n << BigInt(width - 1)) : toInt(e, v, width);
      if (!e.suppressed) {
        const bits = intBits(n, width);
        if (width === 16) c.wr16(la, Number(bits));
        else if (width === 32) c.wr32(la, Number(bits) | 0);
        else wrU64(c, la, bits);
      }
    }
  }
  if (!e.suppressed && (i.sub & POP) !== 0) pop(x);
  commitMem(c, i, la);
}

/**
 * FST ST(i) / FSTP ST(i) and the FSTP8/FSTP9 aliases: copies ST(0) unchanged (`sub` 1 = pop). FSTP1
 * (`sub` 2) differs on AMD processors, which this follows: an empty ST(0) is no stack fault; nothing is
 * stored and the stack just pops.
 */
export function fstReg(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  let v: Float80;
  if (i.sub === 2 && isEmpty(x, 0)) {
    e.setCC(SW.C1, false);
    pop(x);
    commit(c, i);
    return;
  }
  if (isEmpty(x, 0)) {
    v = stackUnderflow(e);
    if (!e.suppressed) setSt(x, i.rm & 7, v);
  } else {
    e.setCC(SW.C1, false);
    x.copyRegister(x.top, (x.top + (i.rm & 7)) & 7);
  }
  if (!e.suppressed && i.sub !== 0) pop(x);
  commit(c, i);
}

/** FXCH ST(i) (and the FXCH4/FXCH7 aliases). An empty operand takes part as the real indefinite. */
export function fxch(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  const e0 = isEmpty(x, 0);
  const ej = isEmpty(x, j);
  if (e0 || ej) {
    const ind = stackUnderflow(e);
    const a = e0 ? ind : st(x, 0);
    const b = ej ? ind : st(x, j);
    if (!e.suppressed) {
      setSt(x, 0, b);
      setSt(x, j, a);
    }
  } else {
    e.setCC(SW.C1, false);
    x.swapRegisters(x.top, (x.top + j) & 7);
  }
  commit(c, i);
}

/**
 * FCMOVcc ST(0), ST(i): `sub` is the condition code (B E BE U and their negations, as in Jcc). An empty
 * operand is a stack underflow whether or not the condition holds.
 */
export function fcmov(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  if (isEmpty(x, 0) || isEmpty(x, j)) {
    const ind = stackUnderflow(e);
    if (!e.suppressed) setSt(x, 0, ind);
  } else if (c.cond(i.sub)) {
    x.copyRegister((x.top + j) & 7, x.top);
  }
  commit(c, i);
}
