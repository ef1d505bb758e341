/**
 * The order of two normal or zero operands without bigints: what FCOM, FUCOM, FCOMI, FUCOMI and FTST
 * compute when neither operand can raise an exception (no NaN, no unsupported encoding, no denormal).
 */
import type { CompareResult } from './compare';
import { EXP_MASK, type F80Parts, isNormalParts, isZeroParts } from './float80-parts';

/** 'gt', 'lt' or 'eq' for a against b (signed zeros are equal), or null when either needs compare(). */
export function orderParts(a: F80Parts, b: F80Parts): CompareResult | null {
  const aZero = isZeroParts(a);
  const bZero = isZeroParts(b);
  if ((!aZero && !isNormalParts(a)) || (!bZero && !isNormalParts(b))) return null;
  if (aZero && bZero) return 'eq';
  const aNeg = !aZero && a.signExp >= 0x8000;
  const bNeg = !bZero && b.signExp >= 0x8000;
  if (aNeg !== bNeg) return aNeg ? 'lt' : 'gt';
  // same sign: order the magnitudes (a zero has exponent field 0, below every normal)
  const aExp = a.signExp & EXP_MASK;
  const bExp = b.signExp & EXP_MASK;
  let m: number;
  if (aExp !== bExp) m = aExp > bExp ? 1 : -1;
  else if (a.hi !== b.hi) m = a.hi > b.hi ? 1 : -1;
  else if (a.lo !== b.lo) m = a.lo > b.lo ? 1 : -1;
  else return 'eq';
  if (aNeg) m = -m;
  return m > 0 ? 'gt' : 'lt';
}
