/**
 * Condition codes evaluated at compile time from the operands of the flag producer that precedes them in
 * the block, so that `cmp; jcc` or `test; cmov` never goes through the lazy-flag record. Each function
 * returns null when the condition cannot be expressed directly; the caller then writes the record and asks
 * the CPU (`c.cond`), which always gives the exact answer.
 */
import { FlagOp } from '../flags';

/**
 * A flag producer whose lazy record has not been written yet: the operation (FlagOp), the operand size and
 * the names of constants holding the result and operands (as the interpreter would record them), plus the
 * carry-in of ADC/SBB or the preserved CF of INC/DEC.
 */
export interface PendingFlags {
  op: number;
  size: number;
  r: string;
  rh: string;
  a: string;
  ah: string;
  b: string;
  bh: string;
  cf: string | null;
}

function zero(p: PendingFlags): string {
  return p.size === 8 ? `(${p.r} === 0 && ${p.rh} === 0)` : `(${p.r} === 0)`;
}

function sign(p: PendingFlags): string {
  switch (p.size) {
    case 8:
      return `(${p.rh} < 0)`;
    case 4:
      return `(${p.r} < 0)`;
    case 2:
      return `((${p.r} & 32768) !== 0)`;
    default:
      return `((${p.r} & 128) !== 0)`;
  }
}

/** Unsigned x < y at the producer's size (8/16-bit values are masked and unsigned already). */
function below(p: PendingFlags, x: string, xh: string, y: string, yh: string): string {
  if (p.size === 8) return `((${xh} >>> 0) < (${yh} >>> 0) || (${xh} === ${yh} && (${x} >>> 0) < (${y} >>> 0)))`;
  if (p.size === 4) return `((${x} >>> 0) < (${y} >>> 0))`;
  return `(${x} < ${y})`;
}

function signedValue(size: number, x: string): string {
  return size === 4 ? `(${x} | 0)` : size === 2 ? `((${x} << 16) >> 16)` : `((${x} << 24) >> 24)`;
}

/** CF as a boolean expression, or null. */
export function carryExpression(p: PendingFlags): string | null {
  switch (p.op) {
    case FlagOp.SUB:
      return below(p, p.a, p.ah, p.b, p.bh);
    case FlagOp.ADD:
      return below(p, p.r, p.rh, p.a, p.ah);
    case FlagOp.LOGIC:
      return 'false';
    case FlagOp.INC:
    case FlagOp.DEC:
      return `(${p.cf} !== 0)`;
    default:
      return null;
  }
}

/** Condition `cc` (the low nibble of Jcc/SETcc/CMOVcc) as a boolean expression, or null. */
export function directCondition(p: PendingFlags, cc: number): string | null {
  let base: string | null = null;
  const c = cc >> 1;
  if (p.op === FlagOp.SUB) {
    const eq = p.size === 8 ? `(${p.a} === ${p.b} && ${p.ah} === ${p.bh})` : `((${p.a} ^ ${p.b}) === 0)`;
    const slt =
      p.size === 8
        ? `(${p.ah} < ${p.bh} || (${p.ah} === ${p.bh} && (${p.a} >>> 0) < (${p.b} >>> 0)))`
        : `(${signedValue(p.size, p.a)} < ${signedValue(p.size, p.b)})`;
    const ult = below(p, p.a, p.ah, p.b, p.bh);
    switch (c) {
      case 1:
        base = ult;
        break;
      case 2:
        base = eq;
        break;
      case 3:
        base = `(${ult} || ${eq})`;
        break;
      case 4:
        base = sign(p);
        break;
      case 6:
        base = slt;
        break;
      case 7:
        base = `(${slt} || ${eq})`;
        break;
    }
  } else if (p.op === FlagOp.LOGIC) {
    // CF = OF = 0: B never, BE = ZF, L = SF, LE = ZF || SF.
    switch (c) {
      case 0:
      case 1:
        base = 'false';
        break;
      case 2:
      case 3:
        base = zero(p);
        break;
      case 4:
      case 6:
        base = sign(p);
        break;
      case 7:
        base = `(${zero(p)} || ${sign(p)})`;
        break;
    }
  } else {
    // Every other producer computes ZF and SF from the result; ADD and INC/DEC also know CF.
    if (c === 2) base = zero(p);
    else if (c === 4) base = sign(p);
    else if (c === 1 || c === 3) {
      const cf = carryExpression(p);
      if (cf !== null) base = c === 1 ? cf : `(${cf} || ${zero(p)})`;
    }
  }
  if (base === null) return null;
  return (cc & 1) !== 0 ? `!${base}` : base;
}
