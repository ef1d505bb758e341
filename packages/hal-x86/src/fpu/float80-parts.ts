/**
 * An 80-bit extended real held in three plain numbers instead of a bigint: the form the x87 register file
 * stores and the form the fast paths (fast-*.ts) compute on, so that the common cases need no bigint at
 * all. The fields are the 10-byte memory image read as little-endian words:
 *
 *   signExp  bytes 8..9: bit 15 sign, bits 14..0 biased exponent
 *   hi       bytes 4..7: significand bits 63..32 (bit 31 is the explicit integer bit J), unsigned
 *   lo       bytes 0..3: significand bits 31..0, unsigned
 *
 * Instances are mutable scratch records: the fast paths write their result into one the caller owns.
 */
import { F80_EXP_BIAS, type Float80, makeF80 } from './float80';

export class F80Parts {
  signExp = 0;
  hi = 0;
  lo = 0;

  set(signExp: number, hi: number, lo: number): void {
    this.signExp = signExp;
    this.hi = hi;
    this.lo = lo;
  }
}

/** A 64-bit memory image as two unsigned 32-bit halves (what the fast stores produce). */
export class U64Pair {
  lo = 0;
  hi = 0;
}

export const TWO32 = 4294967296;
/** The explicit integer bit J, as a bit of `hi`. */
export const J_BIT = 0x80000000;
export const EXP_MASK = 0x7fff;

/** Normal finite: exponent field 1..0x7ffe with J set (what the fast paths accept besides zero). */
export function isNormalParts(p: F80Parts): boolean {
  const exp = p.signExp & EXP_MASK;
  return exp !== 0 && exp !== EXP_MASK && p.hi >= J_BIT;
}

/** +0 or -0. */
export function isZeroParts(p: F80Parts): boolean {
  return (p.signExp & EXP_MASK) === 0 && p.hi === 0 && p.lo === 0;
}

/** The bigint form, for the general (slow) paths. */
export function partsToF80(p: F80Parts): Float80 {
  return makeF80(p.signExp >>> 15, p.signExp & EXP_MASK, (BigInt(p.hi) << 32n) | BigInt(p.lo));
}

export function f80ToParts(v: Float80, out: F80Parts): F80Parts {
  out.signExp = ((v.sign & 1) << 15) | (v.exp & EXP_MASK);
  out.hi = Number((v.sig >> 32n) & 0xffffffffn);
  out.lo = Number(v.sig & 0xffffffffn);
  return out;
}

/** Unbiased exponent of a normal value (the weight of J). */
export function unbiasedExp(p: F80Parts): number {
  return (p.signExp & EXP_MASK) - F80_EXP_BIAS;
}
