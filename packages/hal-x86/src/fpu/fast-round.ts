/**
 * Rounding of an exact intermediate held in numbers to the register format, for results that stay in
 * the normal range: the number-form counterpart of roundToF80 (round.ts), which stays the reference for
 * everything else (tiny results, overflow, the bias-adjusted unmasked responses).
 *
 * The intermediate is a positive magnitude given by a 96-bit significand hi:lo:ext (hi's bit 31 set,
 * weighing 2^exp) and a `sticky` flag: false when the magnitude is exactly hi:lo:ext, true when it lies
 * strictly between hi:lo:ext and hi:lo:ext + 2^k units of ext's last place, the k lowest bits of ext
 * being zero (k = 0 for most callers; 1 after the normalising shift of a subtraction; 15 or 16 for a
 * quotient). Whatever the precision, every halfway and rounding point is a multiple of 2^31 such units,
 * so no such point lies inside that interval and the magnitude rounds exactly like hi:lo:ext plus
 * "something non-zero".
 */
import { RC, SW, type X87Env } from './control';
import { F80_EXP_BIAS } from './float80';
import type { F80Parts } from './float80-parts';
import { TWO32 } from './float80-parts';
import { F80_EMAX, F80_EMIN } from './round';

/** Where the discarded part lies: nothing, below half a unit in the last place, exactly half, above. */
export const Discarded = { EXACT: 0, BELOW_HALF: 1, HALF: 2, ABOVE_HALF: 3 } as const;

/**
 * Classifies a discarded part from its leading bits `part` (compared with `half`, their value for
 * exactly half a unit) and whether anything below them is non-zero (`rest`).
 */
export function classifyDiscarded(part: number, half: number, rest: boolean): number {
  if (part > half || (part === half && rest)) return Discarded.ABOVE_HALF;
  if (part === half) return Discarded.HALF;
  return part !== 0 || rest ? Discarded.BELOW_HALF : Discarded.EXACT;
}

/** Whether rounding control `rc` increments the magnitude, given the discarded part and the kept LSB. */
export function roundsUp(rc: number, discarded: number, lsbOdd: boolean, sign: number): boolean {
  switch (rc) {
    case RC.NEAREST:
      return discarded === Discarded.ABOVE_HALF || (discarded === Discarded.HALF && lsbOdd);
    case RC.DOWN:
      return discarded !== Discarded.EXACT && sign === 1;
    case RC.UP:
      return discarded !== Discarded.EXACT && sign === 0;
    default:
      return false;
  }
}

/**
 * Rounds to p bits (24, 53 or 64) under env's rounding control and writes the register value to `out`,
 * raising PE when inexact and setting C1 to "rounded up", exactly as roundToF80 does for a normal result.
 * Returns false, having changed nothing (env and out untouched), when the rounded value is not normal.
 */
export function roundNormal(
  env: X87Env,
  sign: number,
  exp: number,
  hi: number,
  lo: number,
  ext: number,
  sticky: boolean,
  p: number,
  out: F80Parts,
): boolean {
  let discarded: number;
  let odd: number;
  if (p === 64) {
    discarded = classifyDiscarded(ext, 0x80000000, sticky);
    odd = lo & 1;
  } else if (p === 53) {
    discarded = classifyDiscarded(lo & 0x7ff, 0x400, ext !== 0 || sticky);
    odd = (lo >>> 11) & 1;
    lo = (lo & 0xfffff800) >>> 0;
  } else {
    discarded = classifyDiscarded(hi & 0xff, 0x80, lo !== 0 || ext !== 0 || sticky);
    odd = (hi >>> 8) & 1;
    hi = (hi & 0xffffff00) >>> 0;
    lo = 0;
  }
  const up = roundsUp(env.rc, discarded, odd === 1, sign);
  if (up) {
    if (p === 24) hi += 0x100;
    else {
      lo += p === 64 ? 1 : 0x800;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
    }
    if (hi >= TWO32) {
      // carried out of the significand: 1.000... at the next exponent
      hi = 0x80000000;
      exp += 1;
    }
  }
  if (exp < F80_EMIN || exp > F80_EMAX) return false;
  out.signExp = (sign << 15) | (exp + F80_EXP_BIAS);
  out.hi = hi;
  out.lo = lo;
  if (discarded !== Discarded.EXACT) env.raise(SW.PE);
  env.setCC(SW.C1, up);
  return true;
}
