/**
 * FADD/FSUB on normal and zero operands without bigints: the exact sum is formed in 96 bits plus a
 * sticky bit and rounded by roundNormal. Anything else (NaN, infinity, denormal, unsupported encodings,
 * a result that is not normal) is left to add/sub in arith.ts, which this must match bit for bit.
 *
 * Why 96 bits and a sticky bit are exact enough: when the operands' exponents differ by 2 or more, the
 * smaller one shifts right past the 64-bit significand into `ext` and the bits that fall off become the
 * sticky fraction; a subtraction then cancels at most one leading bit, so at least 31 bits of `ext` stay
 * below any rounding point. When they differ by 0 or 1 nothing falls off and the sum is exact.
 */
import { RC, SW, type X87Env } from './control';
import { roundNormal } from './fast-round';
import { F80_EXP_BIAS } from './float80';
import { EXP_MASK, type F80Parts, isNormalParts, isZeroParts, TWO32 } from './float80-parts';

/**
 * a + b (negateB false) or a - b (negateB true) into `out`, with PE and C1 as add/sub set them.
 * Returns false, with env and out untouched, when the operands or the result need the general path.
 */
export function addParts(env: X87Env, a: F80Parts, b: F80Parts, negateB: boolean, out: F80Parts): boolean {
  const aZero = isZeroParts(a);
  const bZero = isZeroParts(b);
  if ((!aZero && !isNormalParts(a)) || (!bZero && !isNormalParts(b))) return false;
  const aSign = a.signExp >>> 15;
  const bSign = (b.signExp >>> 15) ^ (negateB ? 1 : 0);
  const p = env.precision;
  if (aZero || bZero) {
    if (aZero && bZero) {
      // (+0) + (-0) is +0, or -0 when rounding down
      const sign = aSign === bSign ? aSign : env.rc === RC.DOWN ? 1 : 0;
      out.set(sign << 15, 0, 0);
      env.setCC(SW.C1, false);
      return true;
    }
    // x + 0 is x rounded to the precision control
    const v = aZero ? b : a;
    const sign = aZero ? bSign : aSign;
    return roundNormal(env, sign, (v.signExp & EXP_MASK) - F80_EXP_BIAS, v.hi, v.lo, 0, false, p, out);
  }
  // order by magnitude: big >= small
  const aExp = a.signExp & EXP_MASK;
  const bExp = b.signExp & EXP_MASK;
  const aBigger = aExp > bExp || (aExp === bExp && (a.hi > b.hi || (a.hi === b.hi && a.lo >= b.lo)));
  const big = aBigger ? a : b;
  const small = aBigger ? b : a;
  const sign = aBigger ? aSign : bSign;
  const bigExp = big.signExp & EXP_MASK;
  // shift the smaller significand right by d into alignedHi:alignedLo:ext, what falls off into sticky
  const d = bigExp - (small.signExp & EXP_MASK);
  const sHi = small.hi;
  const sLo = small.lo;
  let alignedHi = 0;
  let alignedLo = 0;
  let ext = 0;
  let sticky = false;
  if (d === 0) {
    alignedHi = sHi;
    alignedLo = sLo;
  } else if (d < 32) {
    ext = (sLo << (32 - d)) >>> 0;
    alignedLo = ((sLo >>> d) | (sHi << (32 - d))) >>> 0;
    alignedHi = sHi >>> d;
  } else if (d === 32) {
    ext = sLo;
    alignedLo = sHi;
  } else if (d < 64) {
    const k = d - 32;
    ext = ((sLo >>> k) | (sHi << (32 - k))) >>> 0;
    sticky = (sLo & ((1 << k) - 1)) !== 0;
    alignedLo = sHi >>> k;
  } else if (d === 64) {
    ext = sHi;
    sticky = sLo !== 0;
  } else if (d < 96) {
    const k = d - 64;
    ext = sHi >>> k;
    sticky = sLo !== 0 || (sHi & ((1 << k) - 1)) !== 0;
  } else sticky = true; // a non-zero value entirely below the 96 bits
  let exp = bigExp - F80_EXP_BIAS;
  let hi: number;
  let lo: number;
  if (aSign === bSign) {
    lo = big.lo + alignedLo;
    hi = big.hi + alignedHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
    if (hi >= TWO32) {
      // carry out: shift the 97-bit sum right by one
      if ((ext & 1) !== 0) sticky = true;
      ext = ((ext >>> 1) | ((lo & 1) << 31)) >>> 0;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = Math.floor(hi / 2);
      exp += 1;
    }
  } else {
    // big - small; a sticky fraction f of the small one is taken as one unit less plus (1 - f)
    let borrow = 0;
    const below = ext + (sticky ? 1 : 0);
    if (below !== 0) {
      ext = TWO32 - below;
      borrow = 1;
    } else ext = 0;
    lo = big.lo - alignedLo - borrow;
    borrow = 0;
    if (lo < 0) {
      lo += TWO32;
      borrow = 1;
    }
    hi = big.hi - alignedHi - borrow;
    if (hi === 0 && lo === 0 && ext === 0 && !sticky) {
      // exact cancellation: +0, or -0 when rounding down
      out.set(env.rc === RC.DOWN ? 0x8000 : 0, 0, 0);
      env.setCC(SW.C1, false);
      return true;
    }
    while (hi === 0) {
      hi = lo;
      lo = ext;
      ext = 0;
      exp -= 32;
    }
    const lz = Math.clz32(hi);
    if (lz !== 0) {
      hi = ((hi << lz) | (lo >>> (32 - lz))) >>> 0;
      lo = ((lo << lz) | (ext >>> (32 - lz))) >>> 0;
      ext = (ext << lz) >>> 0;
      exp -= lz;
    }
  }
  return roundNormal(env, sign, exp, hi, lo, ext, sticky, p, out);
}
