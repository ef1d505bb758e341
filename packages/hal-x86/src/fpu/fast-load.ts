/**
 * Exact widening into the register format without bigints, for FLD m32fp/m64fp, FILD and the memory
 * operands of the arithmetic and compare instructions. A normal or zero float and every integer widen
 * exactly and raise nothing; denormals (#D), infinities and NaNs (#IA for an SNaN) return false and are
 * left to fromFloat32/fromFloat64/widenFloat32/widenFloat64 in convert.ts, which this must match.
 */
import { F80_EXP_BIAS } from './float80';
import type { F80Parts } from './float80-parts';

/** A binary64 image (halves as rd64 returns them, signed or not); false for denormal, infinity, NaN. */
export function float64ToParts(lo: number, hi: number, out: F80Parts): boolean {
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const fracHi = hi & 0xfffff;
  const fracLo = lo >>> 0;
  if (e === 0) {
    if (fracHi !== 0 || fracLo !== 0) return false;
    out.set(sign << 15, 0, 0);
    return true;
  }
  if (e === 0x7ff) return false;
  out.set(
    (sign << 15) | (e - 1023 + F80_EXP_BIAS),
    (0x80000000 | (fracHi << 11) | (fracLo >>> 21)) >>> 0,
    (fracLo << 11) >>> 0,
  );
  return true;
}

/** A binary32 image; false for denormal, infinity, NaN. */
export function float32ToParts(bits: number, out: F80Parts): boolean {
  const sign = bits >>> 31;
  const e = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (e === 0) {
    if (frac !== 0) return false;
    out.set(sign << 15, 0, 0);
    return true;
  }
  if (e === 0xff) return false;
  out.set((sign << 15) | (e - 127 + F80_EXP_BIAS), (0x80000000 | (frac << 8)) >>> 0, 0);
  return true;
}

/** A signed 16- or 32-bit integer (always exact; 0 is +0). */
export function int32ToParts(n: number, out: F80Parts): void {
  if (n === 0) {
    out.set(0, 0, 0);
    return;
  }
  const sign = n < 0 ? 1 : 0;
  const mag = sign ? -n : n; // up to 2^31, which `<< 0` turns into the right bits too
  const lz = Math.clz32(mag);
  out.set((sign << 15) | (F80_EXP_BIAS + 31 - lz), (mag << lz) >>> 0, 0);
}

/** A signed 64-bit integer given as its two's-complement halves (always exact; 0 is +0). */
export function int64ToParts(lo: number, hi: number, out: F80Parts): void {
  lo >>>= 0;
  hi >>>= 0;
  const sign = hi >>> 31;
  if (sign) {
    // magnitude of the two's complement (2^63 for the most negative value)
    lo = -lo >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  if (hi === 0 && lo === 0) {
    out.set(0, 0, 0);
    return;
  }
  let exp = F80_EXP_BIAS + 63;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    exp -= 32;
  }
  const lz = Math.clz32(hi);
  if (lz !== 0) {
    hi = ((hi << lz) | (lo >>> (32 - lz))) >>> 0;
    lo = (lo << lz) >>> 0;
  }
  out.set((sign << 15) | (exp - lz), hi, lo);
}
