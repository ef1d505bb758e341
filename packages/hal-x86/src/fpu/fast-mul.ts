/**
 * FMUL on normal and zero operands without bigints: the exact 128-bit product of the significands is
 * formed from 16-bit limbs (every partial product and column sum stays below 2^53, so plain numbers
 * are exact, and `& 0xffff` takes the low limb of any of them, ToInt32 being modulo 2^32) and rounded
 * by roundNormal. Everything else is left to mul in arith.ts.
 */
import { SW, type X87Env } from './control';
import { roundNormal } from './fast-round';
import { F80_EXP_BIAS } from './float80';
import { EXP_MASK, type F80Parts, isNormalParts, isZeroParts } from './float80-parts';

const LIMB = 65536;

/**
 * a * b into `out`, with PE and C1 as mul sets them. Returns false, with env and out untouched, when
 * the operands or the result need the general path.
 */
export function mulParts(env: X87Env, a: F80Parts, b: F80Parts, out: F80Parts): boolean {
  const aZero = isZeroParts(a);
  const bZero = isZeroParts(b);
  if ((!aZero && !isNormalParts(a)) || (!bZero && !isNormalParts(b))) return false;
  const sign = (a.signExp ^ b.signExp) >>> 15;
  if (aZero || bZero) {
    out.set(sign << 15, 0, 0);
    env.setCC(SW.C1, false);
    return true;
  }
  const a3 = a.hi >>> 16;
  const a2 = a.hi & 0xffff;
  const a1 = a.lo >>> 16;
  const a0 = a.lo & 0xffff;
  const b3 = b.hi >>> 16;
  const b2 = b.hi & 0xffff;
  const b1 = b.lo >>> 16;
  const b0 = b.lo & 0xffff;
  // column sums (each < 4 * 2^32), then carries into 16-bit limbs r0..r7
  let t = a0 * b0;
  const r0 = t & 0xffff;
  t = (t - r0) / LIMB + a1 * b0 + a0 * b1;
  const r1 = t & 0xffff;
  t = (t - r1) / LIMB + a2 * b0 + a1 * b1 + a0 * b2;
  const r2 = t & 0xffff;
  t = (t - r2) / LIMB + a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3;
  const r3 = t & 0xffff;
  t = (t - r3) / LIMB + a3 * b1 + a2 * b2 + a1 * b3;
  const r4 = t & 0xffff;
  t = (t - r4) / LIMB + a3 * b2 + a2 * b3;
  const r5 = t & 0xffff;
  t = (t - r5) / LIMB + a3 * b3;
  const r6 = t & 0xffff;
  const r7 = (t - r6) / LIMB;
  let hi = r7 * LIMB + r6;
  let lo = r5 * LIMB + r4;
  let ext = r3 * LIMB + r2;
  let low = r1 * LIMB + r0;
  // both significands are in [2^63, 2^64): the product is in [2^126, 2^128)
  let exp = (a.signExp & EXP_MASK) + (b.signExp & EXP_MASK) - 2 * F80_EXP_BIAS + 1;
  if (hi < 0x80000000) {
    hi = ((hi << 1) | (lo >>> 31)) >>> 0;
    lo = ((lo << 1) | (ext >>> 31)) >>> 0;
    ext = ((ext << 1) | (low >>> 31)) >>> 0;
    low = (low << 1) >>> 0;
    exp -= 1;
  }
  return roundNormal(env, sign, exp, hi, lo, ext, low !== 0, env.precision, out);
}
