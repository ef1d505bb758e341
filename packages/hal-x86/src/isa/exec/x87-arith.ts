/**
 * x87 arithmetic: FADD FMUL FSUB FSUBR FDIV FDIVR in their register, popping, real-memory and
 * integer-memory forms, and the one- and two-operand register operations FCHS FABS FSQRT FRNDINT FSCALE
 * FPREM FPREM1 FXTRACT. The arithmetic itself is src/fpu; this file picks operands and destinations.
 *
 * The modrm reg field selects the operation in every form, and always with the same meaning in terms of
 * ST(0) and the other operand X (ST(i) or memory), whichever of them is the destination:
 *   /0 ST(0)+X  /1 ST(0)*X  /4 ST(0)-X  /5 X-ST(0)  /6 ST(0)/X  /7 X/ST(0)
 * (so DC E8+i, Intel's FSUB ST(i),ST(0), is /5: ST(i) = ST(i) - ST(0)).
 */
import type { Cpu } from '../../cpu/cpu';
import {
  add,
  div,
  F80_INDEFINITE,
  type Float80,
  fabs,
  fchs,
  fprem,
  fprem1,
  frndint,
  fromInt,
  fscale,
  fxtract,
  isInf80,
  isNaN80,
  isUnsupported,
  isZero80,
  mul,
  type MemOperand,
  sqrt,
  stackOverflow,
  stackUnderflow,
  sub,
  SW,
  type X87Env,
  widenFloat32,
  widenFloat64,
} from '../../fpu';
import type { Insn } from '../insn';
import { begin, commit, commitMem, isEmpty, isFull, pop, push, rdU64, setSt, st } from './x87-stack';

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

/** D8 /r with a register: ST(0) = ST(0) op ST(i). */
export function arithToSt0(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  const j = i.rm & 7;
  const r =
    isEmpty(x, 0) || isEmpty(x, j) ? stackUnderflow(e) : arith(e, i.reg & 7, st(x, 0), st(x, j), false);
  if (!e.suppressed) setSt(x, 0, r);
  commit(c, i);
}

/** DC /r and DE /r with a register: ST(i) = ST(0) op ST(i) in the order above; `sub` 1 = pop (FxxxP). */
export function arithToSti(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  const j = i.rm & 7;
  const r =
    isEmpty(x, 0) || isEmpty(x, j) ? stackUnderflow(e) : arith(e, i.reg & 7, st(x, 0), st(x, j), false);
  if (!e.suppressed) {
    setSt(x, j, r);
    if (i.sub !== 0) pop(x);
  }
  commit(c, i);
}

/** Memory operand formats of the arithmetic rows (`sub`). */
export const MemFmt = { F32: 0, F64: 1, I32: 2, I16: 3 } as const;

/** Reads the memory operand of an arithmetic or compare row as an exact 80-bit value. */
export function readMemOperand(c: Cpu, e: X87Env, la: number, fmt: number): MemOperand {
  switch (fmt) {
    case MemFmt.F32:
      return widenFloat32(c.rd32(la));
    case MemFmt.F64:
      return widenFloat64(rdU64(c, la));
    case MemFmt.I32:
      return { value: fromInt(e, BigInt(c.rd32(la))), denormal: false };
    default:
      return { value: fromInt(e, BigInt((c.rd16(la) << 16) >> 16)), denormal: false };
  }
}

/** D8/DC (m32fp/m64fp) and DA/DE (m32int/m16int) /r: ST(0) = ST(0) op memory. */
export function arithMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
  const la = c.ea(i);
  const m = readMemOperand(c, e, la, i.sub);
  const r = isEmpty(x, 0) ? stackUnderflow(e) : arith(e, i.reg & 7, st(x, 0), m.value, m.denormal);
  if (!e.suppressed) setSt(x, 0, r);
  commitMem(c, i, la);
}

/** One-operand operations on ST(0) (`sub` indexes UNARY): FCHS FABS FSQRT FRNDINT. */
const UNARY: readonly ((e: X87Env, a: Float80) => Float80)[] = [fchs, fabs, sqrt, frndint];
export const Unary = { FCHS: 0, FABS: 1, FSQRT: 2, FRNDINT: 3 } as const;

export function unaryOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginArith(c);
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
