/**
 * x87 basic arithmetic, bit-exact: FADD/FSUB/FMUL/FDIV/FSQRT (rounded per PC
 * and RC), FPREM/FPREM1, FRNDINT, FSCALE, FXTRACT, FABS, FCHS.
 *
 * Conventions: every function takes the environment first, resets
 * `env.suppressed`, ORs exception flags into `env.sw`, sets C1 (round-up
 * indication, 0 when exact) and returns the value to write to the destination.
 * When `env.suppressed` is true afterwards (unmasked #IA/#D/#Z) the destination
 * must be left unchanged.  The register-reversed forms (FSUBR, FDIVR) are the
 * same functions with the operands swapped: sub(env, b, a).
 */
import { bitLength, isqrt } from './bigint';
import { RC, SW, type X87Env } from './control';
import { F80_EXP_BIAS, type Float80, f80Exact, f80Inf, f80Zero, isInf80, isZero80, makeF80 } from './float80';
import { checkDenormal, checkDenormalMem, invalidResult, screenOperands } from './operands';
import { F80_EMIN, roundAt, roundToF80 } from './round';

/** Exact finite signed value: (-1)^sign * sig * 2^e2. */
interface Exact {
  sign: number;
  sig: bigint;
  e2: number;
}

function exactOf(v: Float80): Exact {
  const { sig, e2 } = f80Exact(v);
  return { sign: v.sign, sig, e2 };
}

/** Pack a normalised exact (non-zero) magnitude that is known to be representable without rounding. */
export function packExact(sign: number, sig: bigint, e2: number): Float80 {
  if (sig === 0n) return f80Zero(sign);
  const L = bitLength(sig);
  const e = e2 + L - 1;
  if (e >= F80_EMIN) {
    const s = L <= 64 ? sig << BigInt(64 - L) : sig >> BigInt(L - 64);
    return makeF80(sign, e + F80_EXP_BIAS, s);
  }
  const sh = e2 - (F80_EMIN - 63);
  return makeF80(sign, 0, sh >= 0 ? sig << BigInt(sh) : sig >> BigInt(-sh));
}

/** Exact sum of two finite values with the small one folded into sticky when far apart. */
function exactSum(a: Exact, b: Exact): { sign: number; sig: bigint; e2: number; sticky: boolean } | null {
  // order by magnitude exponent of the leading bit
  const ea = a.e2 + bitLength(a.sig);
  const eb = b.e2 + bitLength(b.sig);
  let big = a;
  let small = b;
  if (
    eb > ea ||
    (eb === ea && b.sig << BigInt(Math.max(0, b.e2 - a.e2)) > a.sig << BigInt(Math.max(0, a.e2 - b.e2)))
  ) {
    big = b;
    small = a;
  }
  const topBig = big.e2 + bitLength(big.sig);
  const topSmall = small.e2 + bitLength(small.sig);
  const GUARD = 70;
  if (small.sig !== 0n && topBig - topSmall > 64 + GUARD) {
    // |small| < half an ulp of big at 64+GUARD bits: keep it as a signed sticky contribution
    const shiftBig = Math.max(0, 64 + GUARD - bitLength(big.sig));
    let sig = big.sig << BigInt(shiftBig);
    const e2 = big.e2 - shiftBig;
    if (small.sign !== big.sign) sig -= 1n;
    return { sign: big.sign, sig, e2, sticky: true };
  }
  const e2 = Math.min(a.e2, b.e2);
  const va = (a.sig << BigInt(a.e2 - e2)) * (a.sign ? -1n : 1n);
  const vb = (b.sig << BigInt(b.e2 - e2)) * (b.sign ? -1n : 1n);
  const s = va + vb;
  if (s === 0n) return null;
  return { sign: s < 0n ? 1 : 0, sig: s < 0n ? -s : s, e2, sticky: false };
}

function addCore(env: X87Env, a: Float80, b: Float80, negB: boolean, memDenormal: boolean): Float80 {
  env.begin();
  const nan = screenOperands(env, a, b);
  if (nan) return nan;
  const bs = (b.sign ^ (negB ? 1 : 0)) as 0 | 1;
  const aInf = isInf80(a);
  const bInf = isInf80(b);
  if (aInf && bInf && a.sign !== bs) {
    env.setCC(SW.C1, false);
    return invalidResult(env);
  }
  if (!checkDenormalMem(env, memDenormal, a, b)) return a;
  if (aInf || bInf) {
    env.setCC(SW.C1, false);
    return aInf ? a : f80Inf(bs);
  }
  const p = env.precision;
  const ea = exactOf(a);
  const eb = exactOf(b);
  eb.sign = bs;
  if (ea.sig === 0n && eb.sig === 0n) {
    env.setCC(SW.C1, false);
    if (ea.sign === eb.sign) return f80Zero(ea.sign);
    return f80Zero(env.rc === RC.DOWN ? 1 : 0);
  }
  const s = exactSum(ea, eb);
  if (!s) {
    env.setCC(SW.C1, false);
    return f80Zero(env.rc === RC.DOWN ? 1 : 0);
  }
  return roundToF80(env, s.sign, s.sig, s.e2, s.sticky, p);
}

/**
 * FADD: a + b.  For the memory forms (FADD m32fp/m64fp) widen the operand with
 * widenFloat32/widenFloat64 and pass its `denormal` flag as memDenormal; for
 * FIADD pass the exact integer value (fromInt).
 */
export function add(env: X87Env, a: Float80, b: Float80, memDenormal = false): Float80 {
  return addCore(env, a, b, false, memDenormal);
}

/** FSUB: a - b (FSUBR is sub(env, b, a)). */
export function sub(env: X87Env, a: Float80, b: Float80, memDenormal = false): Float80 {
  return addCore(env, a, b, true, memDenormal);
}

/** FMUL: a * b. */
export function mul(env: X87Env, a: Float80, b: Float80, memDenormal = false): Float80 {
  env.begin();
  const nan = screenOperands(env, a, b);
  if (nan) return nan;
  const sign = a.sign ^ b.sign;
  const aInf = isInf80(a);
  const bInf = isInf80(b);
  if ((aInf && isZero80(b)) || (bInf && isZero80(a))) {
    env.setCC(SW.C1, false);
    return invalidResult(env);
  }
  if (!checkDenormalMem(env, memDenormal, a, b)) return a;
  env.setCC(SW.C1, false);
  if (aInf || bInf) return f80Inf(sign);
  if (isZero80(a) || isZero80(b)) return f80Zero(sign);
  const ea = exactOf(a);
  const eb = exactOf(b);
  return roundToF80(env, sign, ea.sig * eb.sig, ea.e2 + eb.e2, false, env.precision);
}

/** Quotient of two positive significands with at least `bits` significant bits plus sticky. */
function divSig(na: bigint, nb: bigint, bits: number): { q: bigint; shift: number; sticky: boolean } {
  const shift = Math.max(0, bits + bitLength(nb) - bitLength(na) + 1);
  const num = na << BigInt(shift);
  const q = num / nb;
  return { q, shift, sticky: q * nb !== num };
}

/** FDIV: a / b (FDIVR is div(env, b, a)). */
export function div(env: X87Env, a: Float80, b: Float80, memDenormal = false): Float80 {
  env.begin();
  const nan = screenOperands(env, a, b);
  if (nan) return nan;
  const sign = a.sign ^ b.sign;
  const aInf = isInf80(a);
  const bInf = isInf80(b);
  const aZero = isZero80(a);
  const bZero = isZero80(b);
  if ((aInf && bInf) || (aZero && bZero)) {
    env.setCC(SW.C1, false);
    return invalidResult(env);
  }
  env.setCC(SW.C1, false);
  if (bZero && !aInf) {
    // divide by zero takes priority over a denormal dividend (no #D)
    if (!env.raise(SW.ZE)) {
      env.suppressed = true;
      return a;
    }
    return f80Inf(sign);
  }
  if (!checkDenormalMem(env, memDenormal, a, b)) return a;
  if (aInf) return f80Inf(sign);
  if (bInf) return f80Zero(sign);
  if (aZero) return f80Zero(sign);
  const ea = exactOf(a);
  const eb = exactOf(b);
  const d = divSig(ea.sig, eb.sig, 68);
  return roundToF80(env, sign, d.q, ea.e2 - eb.e2 - d.shift, d.sticky, env.precision);
}

/** Exact square root helper: sqrt(sig * 2^e2) as root * 2^e with sticky. */
export function sqrtExact(
  sig: bigint,
  e2: number,
  bits: number,
): { root: bigint; e2: number; sticky: boolean } {
  if ((e2 & 1) !== 0) {
    sig <<= 1n;
    e2 -= 1;
  }
  const want = 2 * bits + 2;
  let k = Math.max(0, want - bitLength(sig));
  if (k & 1) k++;
  const n = sig << BigInt(k);
  const root = isqrt(n);
  return { root, e2: (e2 - k) / 2, sticky: root * root !== n };
}

/** FSQRT. */
export function sqrt(env: X87Env, a: Float80): Float80 {
  env.begin();
  const nan = screenOperands(env, a);
  if (nan) return nan;
  if (isZero80(a)) {
    env.setCC(SW.C1, false);
    return a;
  }
  if (a.sign === 1) {
    env.setCC(SW.C1, false);
    return invalidResult(env);
  }
  if (!checkDenormal(env, a)) return a;
  if (isInf80(a)) {
    env.setCC(SW.C1, false);
    return a;
  }
  const ea = exactOf(a);
  const r = sqrtExact(ea.sig, ea.e2, 68);
  return roundToF80(env, 0, r.root, r.e2, r.sticky, env.precision);
}

/** FABS: clears the sign, never raises (not even for SNaN); C1 cleared. */
export function fabs(env: X87Env, a: Float80): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  return makeF80(0, a.exp, a.sig);
}

/** FCHS: flips the sign, never raises; C1 cleared. */
export function fchs(env: X87Env, a: Float80): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  return makeF80(a.sign ^ 1, a.exp, a.sig);
}

/** FRNDINT: round to an integer per RC (PC is ignored). */
export function frndint(env: X87Env, a: Float80): Float80 {
  env.begin();
  const nan = screenOperands(env, a);
  if (nan) return nan;
  if (!checkDenormal(env, a)) return a;
  env.setCC(SW.C1, false);
  if (isInf80(a) || isZero80(a)) return a;
  const ea = exactOf(a);
  if (ea.e2 >= 0) return a;
  const r = roundAt(a.sign, ea.sig, ea.e2, false, 0, env.rc);
  if (r.inexact) env.raise(SW.PE);
  env.setCC(SW.C1, r.up);
  return packExact(a.sign, r.q, 0);
}

/** Truncate a finite value toward zero to a bigint (used by FSCALE). */
function truncToBigInt(v: Float80): bigint {
  const e = exactOf(v);
  const m = e.e2 >= 0 ? e.sig << BigInt(e.e2) : e.sig >> BigInt(-e.e2);
  return v.sign ? -m : m;
}

/** FSCALE: a * 2^trunc(b) (a = ST(0), b = ST(1)). */
export function fscale(env: X87Env, a: Float80, b: Float80): Float80 {
  env.begin();
  const nan = screenOperands(env, a, b);
  if (nan) return nan;
  const aInf = isInf80(a);
  const bInf = isInf80(b);
  const aZero = isZero80(a);
  if (bInf) {
    // +inf scale: 0 * inf is invalid; -inf scale: inf * 0 is invalid
    if ((b.sign === 0 && aZero) || (b.sign === 1 && aInf)) {
      env.setCC(SW.C1, false);
      return invalidResult(env);
    }
    if (!checkDenormal(env, a, b)) return a;
    env.setCC(SW.C1, false);
    if (aInf || aZero) return a;
    return b.sign === 0 ? f80Inf(a.sign) : f80Zero(a.sign);
  }
  if (!checkDenormal(env, a, b)) return a;
  env.setCC(SW.C1, false);
  if (aInf || aZero) return a;
  let n = truncToBigInt(b);
  const LIMIT = 1n << 20n;
  if (n > LIMIT) n = LIMIT;
  if (n < -LIMIT) n = -LIMIT;
  const ea = exactOf(a);
  return roundToF80(env, a.sign, ea.sig, ea.e2 + Number(n), false, 64);
}

/** FXTRACT result: ST(1) receives `exponent`, ST(0) receives `significand`. */
export interface FxtractResult {
  exponent: Float80;
  significand: Float80;
}

/** FXTRACT: split into the unbiased exponent (as a real) and the significand in [1, 2). */
export function fxtract(env: X87Env, a: Float80): FxtractResult {
  env.begin();
  const nan = screenOperands(env, a);
  if (nan) return { exponent: nan, significand: nan };
  env.setCC(SW.C1, false);
  if (isZero80(a)) {
    if (!env.raise(SW.ZE)) env.suppressed = true;
    return { exponent: f80Inf(1), significand: a };
  }
  if (!checkDenormal(env, a)) return { exponent: a, significand: a };
  if (isInf80(a)) return { exponent: f80Inf(0), significand: a };
  const ea = exactOf(a);
  const L = bitLength(ea.sig);
  const e = ea.e2 + L - 1;
  const significand = makeF80(a.sign, F80_EXP_BIAS, ea.sig << BigInt(64 - L));
  const exponent = e === 0 ? f80Zero(0) : packExact(e < 0 ? 1 : 0, BigInt(Math.abs(e)), 0);
  return { exponent, significand };
}

/** FPREM/FPREM1 condition codes: quotient bits and completion. */
export interface PremResult {
  /** New ST(0). */
  value: Float80;
  /** C2: reduction incomplete (exponent difference was >= 64). */
  incomplete: boolean;
  /** Three least significant quotient bits (Q2 -> C0, Q1 -> C3, Q0 -> C1) when complete. */
  q: number;
}

function premCore(env: X87Env, a: Float80, b: Float80, ieee: boolean): PremResult {
  env.begin();
  const setCC = (r: PremResult): PremResult => {
    if (!env.suppressed) {
      const q = r.q;
      env.setCCs((q & 2) !== 0, r.incomplete, (q & 1) !== 0, (q & 4) !== 0);
    }
    return r;
  };
  const nan = screenOperands(env, a, b);
  if (nan) return setCC({ value: nan, incomplete: false, q: 0 });
  if (isInf80(a) || isZero80(b)) return setCC({ value: invalidResult(env), incomplete: false, q: 0 });
  if (!checkDenormal(env, a, b)) return { value: a, incomplete: false, q: 0 };
  if (isZero80(a)) return setCC({ value: a, incomplete: false, q: 0 });
  if (isInf80(b)) {
    // the dividend comes back through the normal result path (denormals may signal underflow)
    const x = exactOf(a);
    return setCC({ value: remainderResult(env, a.sign, x.sig, x.e2), incomplete: false, q: 0 });
  }
  const ea = exactOf(a);
  const eb = exactOf(b);
  const topA = ea.e2 + bitLength(ea.sig) - 1;
  const topB = eb.e2 + bitLength(eb.sig) - 1;
  const d = topA - topB;
  const va = ea.sig;
  if (d < 64) {
    // full remainder: a - q*b with q = trunc (FPREM) or round-to-nearest-even (FPREM1)
    const e2 = Math.min(ea.e2, eb.e2);
    const na = va << BigInt(ea.e2 - e2);
    const nb = eb.sig << BigInt(eb.e2 - e2);
    let q = na / nb;
    let r = na - q * nb;
    let sign = a.sign;
    if (ieee) {
      const twice = r * 2n;
      if (twice > nb || (twice === nb && (q & 1n) === 1n)) {
        q += 1n;
        r = nb - r;
        sign ^= 1;
      }
    }
    const qbits = Number(q & 7n);
    if (r === 0n) return setCC({ value: f80Zero(a.sign), incomplete: false, q: qbits });
    return setCC({ value: remainderResult(env, sign, r, e2), incomplete: false, q: qbits });
  }
  // partial reduction: reduce the exponent difference to d - n, n = 32 + (d mod 32)
  const n = 32 + (d % 32);
  const scale = d - n;
  // a - b * trunc(a / (b * 2^scale)) * 2^scale
  const e2 = Math.min(ea.e2, eb.e2 + scale);
  const na = va << BigInt(ea.e2 - e2);
  const nb = eb.sig << BigInt(eb.e2 + scale - e2);
  const q = na / nb;
  const r = na - q * nb;
  if (r === 0n) return setCC({ value: f80Zero(a.sign), incomplete: true, q: 0 });
  return setCC({ value: remainderResult(env, a.sign, r, e2), incomplete: true, q: 0 });
}

/** The remainder is exact; only a tiny result can signal (underflow). */
function remainderResult(env: X87Env, sign: number, r: bigint, e2: number): Float80 {
  const v = roundToF80(env, sign, r, e2, false, 64);
  return v;
}

/** FPREM: partial remainder with truncated quotient (ST(0) = a, ST(1) = b). */
export function fprem(env: X87Env, a: Float80, b: Float80): PremResult {
  return premCore(env, a, b, false);
}

/** FPREM1: IEEE partial remainder (quotient rounded to nearest even). */
export function fprem1(env: X87Env, a: Float80, b: Float80): PremResult {
  return premCore(env, a, b, true);
}
