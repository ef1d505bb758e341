/**
 * x87 arithmetic: FADD FMUL FSUB FSUBR FDIV FDIVR in their register, popping, real-memory and
 * integer-memory forms, and the one- and two-operand register operations FCHS FABS FSQRT FRNDINT FSCALE
 * FPREM FPREM1 FXTRACT. The arithmetic itself is src/fpu; this file picks operands and destinations.
 *
 * The modrm reg field selects the operation in every form, and always with the same meaning in terms of
 * ST(0) and the other operand X (ST(i) or memory), whichever of them is the destination:
 *   /0 ST(0)+X  /1 ST(0)*X  /4 ST(0)-X  /5 X-ST(0)  /6 ST(0)/X  /7 X/ST(0)
 * (so DC E8+i, Intel's FSUB ST(i),ST(0), is /5: ST(i) = ST(i) - ST(0)).
 *
 * Operands are read as words (F80Parts) and first offered to the number-form fast paths of src/fpu
 * (normal and zero operands, normal results); whatever those decline goes to the general bigint
 * operations, which define the behaviour.
 */
import type { Cpu } from '../../cpu/cpu';
import {
  add,
  addParts,
  div,
  divParts,
  F80_INDEFINITE,
  type F80Parts,
  type Float80,
  fabs,
  fchs,
  float32ToParts,
  float64ToParts,
  fprem,
  fprem1,
  frndint,
  fscale,
  fxtract,
  int32ToParts,
  isInf80,
  isNaN80,
  isUnsupported,
  isZero80,
  type MemOperand,
  mul,
  mulParts,
  partsToF80,
  SW,
  sqrt,
  stackOverflow,
  stackUnderflow,
  sub,
  widenFloat32,
  widenFloat64,
  type X87Env,
} from '../../fpu';
import type { Insn } from '../insn';
import {
  begin,
  commit,
  commitMem,
  isEmpty,
  isFull,
  opA,
  opB,
  pop,
  push,
  readSt,
  result,
  setSt,
  st,
  u64,
  writeSt,
} from './x87-stack';

/**
 * Starts an arithmetic instruction. C1 is cleared first: the operations only set it (rounded up), and
 * the hardware clears it as well when an unmasked exception suppresses the result.
 */
function beginArith(c: Cpu): X87Env {
  const e = begin(c);
  e.setCC(SW.C1, false);
  return e;
}

function arith(e: X87Env, op: number, st0: Float80, other: Float80, memDenormal: boolean): Float80 {
  switch (op) {
    case 0:
      return add(e, st0, other, memDenormal);
    case 1:
      return mul(e, st0, other, memDenormal);
    case 4:
      return sub(e, st0, other, memDenormal);
    case 5:
      return sub(e, other, st0, memDenormal);
    case 6:
      return div(e, st0, other, memDenormal);
    default:
      return div(e, other, st0, memDenormal);
  }
}

/** The fast path of `arith` into `out`: false (nothing changed) when the general path is needed. */
function arithParts(e: X87Env, op: number, st0: F80Parts, other: F80Parts, out: F80Parts): boolean {
  switch (op) {
    case 0:
      return addParts(e, st0, other, false, out);
    case 1:
      return mulParts(e, st0, other, out);
    case 4:
      return addParts(e, st0, other, true, out);
    case 5:
      return addParts(e, other, st0, true, out);
    case 6:
      return divParts(e, st0, other, out);
    default:
      return divParts(e, other, st0, out);
  }
}

/**
 * ST(dest) = ST(0) op ST(j), `dest` being 0 or j; false when the instruction must not complete (an
 * unmasked exception suppressed the result), so that a popping form does not pop.
 */
function arithRegisters(c: Cpu, i: Insn, e: X87Env, j: number, dest: number): boolean {
  const x = c.x87;
  if (isEmpty(x, 0) || isEmpty(x, j)) {
    const r = stackUnderflow(e);
    if (!e.suppressed) setSt(x, dest, r);
  } else {
    readSt(x, 0, opA);
    readSt(x, j, opB);
    const op = i.reg & 7;
    if (arithParts(e, op, opA, opB, result)) writeSt(x, dest, result);
    else {
      const r = arith(e, op, partsToF80(opA), partsToF80(opB), false);
      if (!e.suppressed) setSt(x, dest, r);
    }
  }
  return !e.suppressed;
}

/** D8 /r with a register: ST(0) = ST(0) op ST(i). */
export function arithToSt0(c: Cpu, i: Insn): void {
  arithRegisters(c, i, beginArith(c), i.rm & 7, 0);
  commit(c, i);
}

/** DC /r and DE /r with a register: ST(i) = ST(0) op ST(i) in the order above; `sub` 1 = pop (FxxxP). */
export function arithToSti(c: Cpu, i: Insn): void {
  const j = i.rm & 7;
  if (arithRegisters(c, i, beginArith(c), j, j) && i.sub !== 0) pop(c.x87);
  commit(c, i);
}

/** Memory operand formats of the arithmetic rows (`sub`). */
export const MemFmt = { F32: 0, F64: 1, I32: 2, I16: 3 } as const;

/**
 * Reads the memory operand of an arithmetic or compare row. Returns null when it is in `out` (a normal or
 * zero float, or an integer: they widen exactly and raise nothing), otherwise the exact 80-bit value with
 * its denormal flag for the general operations.
 */
export function readMemOperand(c: Cpu, la: number, fmt: number, out: F80Parts): MemOperand | null {
  switch (fmt) {
    case MemFmt.F32: {
      const bits = c.rd32(la);
      return float32ToParts(bits, out) ? null : widenFloat32(bits);
    }
    case MemFmt.F64: {
      const lo = c.rd64(la);
      const hi = c.hi;
      return float64ToParts(lo, hi, out) ? null : widenFloat64(u64(lo, hi));
    }
    case MemFmt.I32:
      int32ToParts(c.rd32(la), out);
      return null;
    default:
      int32ToParts((c.rd16(la) << 16) >> 16, out);
      return null;
  }
}

/** D8/DC (m32fp/m64fp) and DA/DE (m32int/m16int) /r: ST(0) = ST(0) op memory. */
export function arithMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  const la = c.ea(i);
  const m = readMemOperand(c, la, i.sub, opB);
  if (isEmpty(x, 0)) {
    const r = stackUnderflow(e);
    if (!e.suppressed) setSt(x, 0, r);
  } else {
    readSt(x, 0, opA);
    const op = i.reg & 7;
    if (m === null && arithParts(e, op, opA, opB, result)) writeSt(x, 0, result);
    else {
      const r =
        m === null
          ? arith(e, op, partsToF80(opA), partsToF80(opB), false)
          : arith(e, op, partsToF80(opA), m.value, m.denormal);
      if (!e.suppressed) setSt(x, 0, r);
    }
  }
  commitMem(c, i, la);
}

/** One-operand operations on ST(0) (`sub` indexes UNARY): FCHS FABS FSQRT FRNDINT. */
const UNARY: readonly ((e: X87Env, a: Float80) => Float80)[] = [fchs, fabs, sqrt, frndint];
export const Unary = { FCHS: 0, FABS: 1, FSQRT: 2, FRNDINT: 3 } as const;

export function unaryOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  if ((i.sub === Unary.FCHS || i.sub === Unary.FABS) && !isEmpty(x, 0)) {
    // only the sign bit changes, whatever the value (not even an SNaN raises)
    readSt(x, 0, opA);
    opA.signExp = i.sub === Unary.FCHS ? opA.signExp ^ 0x8000 : opA.signExp & 0x7fff;
    writeSt(x, 0, opA);
    commit(c, i);
    return;
  }
  const r = isEmpty(x, 0)
    ? stackUnderflow(e)
    : (UNARY[i.sub] as (e: X87Env, a: Float80) => Float80)(e, st(x, 0));
  if (!e.suppressed) setSt(x, 0, r);
  commit(c, i);
}

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
export function fscaleOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  const r = isEmpty(x, 0) || isEmpty(x, 1) ? stackUnderflow(e) : fscale(e, st(x, 0), st(x, 1));
  if (!e.suppressed) setSt(x, 0, r);
  commit(c, i);
}

/**
 * FPREM (`sub` 0) and FPREM1 (`sub` 1): ST(0) = partial remainder of ST(0) / ST(1), C2 = incomplete and
 * C0 C3 C1 = the low quotient bits. When there is no remainder to report (an empty, NaN or unsupported
 * operand, an infinite dividend, a zero divisor, an unmasked denormal operand) C1 and C2 are cleared
 * and C0, C3 keep their values.
 */
export function fpremOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  let r: Float80;
  if (isEmpty(x, 0) || isEmpty(x, 1)) {
    r = stackUnderflow(e);
    e.setCC(SW.C2, false);
  } else {
    const a = st(x, 0);
    const b = st(x, 1);
    const kept = e.sw & (SW.C0 | SW.C3);
    r = (i.sub === 0 ? fprem : fprem1)(e, a, b).value;
    const none =
      isNaN80(a) || isNaN80(b) || isUnsupported(a) || isUnsupported(b) || isInf80(a) || isZero80(b);
    if (none || e.suppressed) {
      e.sw = (e.sw & ~SW.CC_MASK) | kept;
    }
  }
  if (!e.suppressed) setSt(x, 0, r);
  commit(c, i);
}

/** FXTRACT: ST(0) = exponent of ST(0), then push its significand. */
export function fxtractOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  if (isEmpty(x, 0) || isFull(x)) {
    // both results are the indefinite (C1 tells which fault it was)
    if (isEmpty(x, 0)) stackUnderflow(e);
    else stackOverflow(e);
    if (!e.suppressed) {
      setSt(x, 0, F80_INDEFINITE);
      push(x, F80_INDEFINITE);
    }
  } else {
    const r = fxtract(e, st(x, 0));
    if (!e.suppressed) {
      setSt(x, 0, r.exponent);
      push(x, r.significand);
    }
  }
  commit(c, i);
}
