/**
 * FDIV on normal operands (and a zero dividend) without bigints: schoolbook long division in base 2^16
 * (Knuth's algorithm D, TAOCP vol. 2, 4.3.1) of the dividend's significand times 2^80 by the divisor's,
 * giving a 80- or 81-bit quotient and an exact "remainder is not zero" for the sticky bit; roundNormal
 * rounds it. Everything else (zero divisor, NaN, infinity, denormal, unsupported, a result that is not
 * normal) is left to div in arith.ts.
 *
 * Limbs and quotient digits are below 2^16 (held in Int32Arrays); the products and sums formed from
 * them stay below 2^53, so plain numbers are exact.
 */
import { SW, type X87Env } from './control';
import { roundNormal } from './fast-round';
import { EXP_MASK, type F80Parts, isNormalParts, isZeroParts } from './float80-parts';

const BASE = 65536;
/** Quotient digits beyond the leading one: the dividend is shifted left by 16 * EXTRA_DIGITS bits. */
const EXTRA_DIGITS = 5;

/** Dividend / running remainder, least significant limb first (5 zero limbs, 4 significand limbs, 1 spare). */
const u = new Int32Array(10);
/** Divisor limbs, least significant first. */
const v = new Int32Array(4);
/** Quotient digits, least significant first. */
const q = new Int32Array(EXTRA_DIGITS + 1);

/**
 * a / b into `out`, with PE and C1 as div sets them. Returns false, with env and out untouched, when
 * the operands or the result need the general path.
 */
export function divParts(env: X87Env, a: F80Parts, b: F80Parts, out: F80Parts): boolean {
  if (!isNormalParts(b)) return false;
  const sign = (a.signExp ^ b.signExp) >>> 15;
  if (isZeroParts(a)) {
    out.set(sign << 15, 0, 0);
    env.setCC(SW.C1, false);
    return true;
  }
  if (!isNormalParts(a)) return false;
  u[0] = 0;
  u[1] = 0;
  u[2] = 0;
  u[3] = 0;
  u[4] = 0;
  u[5] = a.lo & 0xffff;
  u[6] = a.lo >>> 16;
  u[7] = a.hi & 0xffff;
  u[8] = a.hi >>> 16;
  u[9] = 0;
  v[0] = b.lo & 0xffff;
  v[1] = b.lo >>> 16;
  v[2] = b.hi & 0xffff;
  v[3] = b.hi >>> 16; // >= 2^15: the divisor is normalised as algorithm D requires
  const v3 = v[3] as number;
  const v2 = v[2] as number;
  for (let j = EXTRA_DIGITS; j >= 0; j--) {
    // estimate the digit from the top two limbs, then correct it with the next one (at most 2 too big)
    const top = (u[j + 4] as number) * BASE + (u[j + 3] as number);
    let qhat = Math.floor(top / v3);
    let rhat = top - qhat * v3;
    while (qhat >= BASE || qhat * v2 > rhat * BASE + (u[j + 2] as number)) {
      qhat -= 1;
      rhat += v3;
      if (rhat >= BASE) break;
    }
    // u[j..j+4] -= qhat * v
    let borrow = 0;
    let carry = 0;
    for (let k = 0; k < 4; k++) {
      const prod = qhat * (v[k] as number) + carry;
      const prodLo = prod & 0xffff; // prod < 2^33: ToInt32 keeps its low bits
      carry = (prod - prodLo) / BASE;
      let d = (u[j + k] as number) - prodLo - borrow;
      borrow = 0;
      if (d < 0) {
        d += BASE;
        borrow = 1;
      }
      u[j + k] = d;
    }
    let d = (u[j + 4] as number) - carry - borrow;
    if (d < 0) {
      // qhat was one too big (rare): add the divisor back
      qhat -= 1;
      let c = 0;
      for (let k = 0; k < 4; k++) {
        const s = (u[j + k] as number) + (v[k] as number) + c;
        c = s >= BASE ? 1 : 0;
        u[j + k] = s - c * BASE;
      }
      d += c; // the carry out of the addition cancels the borrow: d is 0 again
    }
    u[j + 4] = d;
    q[j] = qhat;
  }
  const remainder = (u[0] as number) + (u[1] as number) + (u[2] as number) + (u[3] as number);
  // quotient q5..q0 = 96 bits with q5 <= 1, leading bit at 80 (a >= b) or 79
  let hi = (q[5] as number) * BASE + (q[4] as number);
  let lo = (q[3] as number) * BASE + (q[2] as number);
  let ext = (q[1] as number) * BASE + (q[0] as number);
  const lz = Math.clz32(hi);
  hi = ((hi << lz) | (lo >>> (32 - lz))) >>> 0;
  lo = ((lo << lz) | (ext >>> (32 - lz))) >>> 0;
  ext = (ext << lz) >>> 0;
  const exp = (a.signExp & EXP_MASK) - (b.signExp & EXP_MASK) + 15 - lz;
  return roundNormal(env, sign, exp, hi, lo, ext, remainder !== 0, env.precision, out);
}
