/**
 * Stores from the register format without bigints: FST/FSTP m32fp/m64fp and FIST/FISTP m16/m32/m64int
 * of normal and zero values whose result is a normal float or an in-range integer. Everything else
 * (NaN, infinity, denormal, unsupported encodings, results that underflow, overflow or are out of range)
 * returns false with env untouched and is left to toFloat32/toFloat64/toInt in convert.ts, which this
 * must match bit for bit: the stores round per RC only (PC is ignored), raise PE when inexact and set C1
 * to "rounded up".
 */
import { RC, SW, type X87Env } from './control';
import { classifyDiscarded, Discarded, roundsUp } from './fast-round';
import { F80_EXP_BIAS } from './float80';
import { EXP_MASK, type F80Parts, isNormalParts, isZeroParts, TWO32, type U64Pair } from './float80-parts';

function finish(env: X87Env, discarded: number, up: boolean): void {
  if (discarded !== Discarded.EXACT) env.raise(SW.PE);
  env.setCC(SW.C1, up);
}

/** FST m64fp: the binary64 image into out (hi, lo). */
export function partsToFloat64(env: X87Env, v: F80Parts, out: U64Pair): boolean {
  const sign = v.signExp >>> 15;
  if (isZeroParts(v)) {
    out.hi = sign * 0x80000000;
    out.lo = 0;
    env.setCC(SW.C1, false);
    return true;
  }
  if (!isNormalParts(v)) return false;
  let exp = (v.signExp & EXP_MASK) - F80_EXP_BIAS;
  // keep significand bits 63..11 (J and 52 fraction bits), discard 10..0
  const discarded = classifyDiscarded(v.lo & 0x7ff, 0x400, false);
  let fracHi = (v.hi >>> 11) & 0xfffff;
  let fracLo = ((v.hi << 21) | (v.lo >>> 11)) >>> 0;
  const up = roundsUp(env.rc, discarded, (fracLo & 1) === 1, sign);
  if (up) {
    fracLo += 1;
    if (fracLo === TWO32) {
      fracLo = 0;
      fracHi += 1;
      if (fracHi === 0x100000) {
        fracHi = 0;
        exp += 1;
      }
    }
  }
  if (exp < -1022 || exp > 1023) return false;
  out.hi = ((sign << 31) | ((exp + 1023) << 20) | fracHi) >>> 0;
  out.lo = fracLo;
  finish(env, discarded, up);
  return true;
}

/** FST m32fp: the binary32 image into out.lo. */
export function partsToFloat32(env: X87Env, v: F80Parts, out: U64Pair): boolean {
  const sign = v.signExp >>> 15;
  out.hi = 0;
  if (isZeroParts(v)) {
    out.lo = sign * 0x80000000;
    env.setCC(SW.C1, false);
    return true;
  }
  if (!isNormalParts(v)) return false;
  let exp = (v.signExp & EXP_MASK) - F80_EXP_BIAS;
  // keep significand bits 63..40 (J and 23 fraction bits)
  const discarded = classifyDiscarded(v.hi & 0xff, 0x80, v.lo !== 0);
  let frac = (v.hi >>> 8) & 0x7fffff;
  const up = roundsUp(env.rc, discarded, (frac & 1) === 1, sign);
  if (up) {
    frac += 1;
    if (frac === 0x800000) {
      frac = 0;
      exp += 1;
    }
  }
  if (exp < -126 || exp > 127) return false;
  out.lo = ((sign << 31) | ((exp + 127) << 23) | frac) >>> 0;
  finish(env, discarded, up);
  return true;
}

/**
 * FIST/FISTP (rounding per RC) or, with `truncate`, FISTTP: the two's-complement integer of `width`
 * bits into out (hi, lo; the caller stores the low `width` bits).
 */
export function partsToInt(
  env: X87Env,
  v: F80Parts,
  width: 16 | 32 | 64,
  truncate: boolean,
  out: U64Pair,
): boolean {
  const sign = v.signExp >>> 15;
  if (isZeroParts(v)) {
    out.hi = 0;
    out.lo = 0;
    env.setCC(SW.C1, false);
    return true;
  }
  if (!isNormalParts(v)) return false;
  const exp = (v.signExp & EXP_MASK) - F80_EXP_BIAS;
  if (exp >= 63) return false; // out of range for every width, but for -2^63 (left to the general path)
  const hi = v.hi;
  const lo = v.lo;
  // integer part intHi:intLo = significand >> (63 - exp), and where the fraction lies
  let intHi: number;
  let intLo: number;
  let discarded: number;
  if (exp < -1) {
    intHi = 0;
    intLo = 0;
    discarded = Discarded.BELOW_HALF; // 0 < |v| < 1/2
  } else {
    const shift = 63 - exp; // 1..64
    if (shift === 64) {
      intHi = 0;
      intLo = 0;
      discarded = classifyDiscarded(hi, 0x80000000, lo !== 0);
    } else if (shift >= 32) {
      const s = shift - 32; // 0..31
      intHi = 0;
      intLo = hi >>> s;
      discarded =
        s === 0
          ? classifyDiscarded(lo, 0x80000000, false)
          : classifyDiscarded(hi & (0xffffffff >>> (32 - s)), 1 << (s - 1), lo !== 0);
    } else {
      intHi = hi >>> shift;
      intLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      discarded = classifyDiscarded(lo & (0xffffffff >>> (32 - shift)), 1 << (shift - 1), false);
    }
  }
  const up = roundsUp(truncate ? RC.ZERO : env.rc, discarded, (intLo & 1) === 1, sign);
  if (up) {
    intLo += 1;
    if (intLo === TWO32) {
      intLo = 0;
      intHi += 1;
    }
  }
  // range: -2^(width-1) .. 2^(width-1) - 1
  if (width === 64) {
    if (intHi > 0x7fffffff && !(sign === 1 && intHi === 0x80000000 && intLo === 0)) return false;
  } else {
    const limit = width === 32 ? 0x80000000 : 0x8000;
    if (intHi !== 0 || intLo > limit || (intLo === limit && sign === 0)) return false;
  }
  if (sign === 1 && (intHi !== 0 || intLo !== 0)) {
    intLo = -intLo >>> 0;
    intHi = (~intHi + (intLo === 0 ? 1 : 0)) >>> 0;
  }
  out.hi = intHi;
  out.lo = intLo;
  finish(env, discarded, up);
  return true;
}
