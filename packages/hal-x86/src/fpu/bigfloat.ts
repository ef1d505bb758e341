/**
 * Minimal arbitrary-precision binary floating point on BigInt, used to evaluate
 * the x87 constants and transcendental functions with many guard bits before
 * the final rounding.  Values are m * 2^e with a signed bigint m; operations
 * truncate to a requested precision P (bits) and every elementary function
 * here is accurate to a few units in the P-th bit (callers use P well above 64
 * and check that the rounding is unambiguous).
 */
import { bitLength } from './bigint';

export interface BF {
  m: bigint;
  e: number;
}

export const BF_ZERO: BF = { m: 0n, e: 0 };

export function bf(m: bigint, e = 0): BF {
  return { m, e };
}

/** Truncate toward zero to at most P significant bits. */
export function trunc(x: BF, P: number): BF {
  const L = bitLength(x.m);
  if (L <= P) return x;
  const sh = L - P;
  const neg = x.m < 0n;
  const a = (neg ? -x.m : x.m) >> BigInt(sh);
  return { m: neg ? -a : a, e: x.e + sh };
}

export function neg(x: BF): BF {
  return { m: -x.m, e: x.e };
}

export function abs(x: BF): BF {
  return x.m < 0n ? { m: -x.m, e: x.e } : x;
}

export function isZero(x: BF): boolean {
  return x.m === 0n;
}

export function sign(x: BF): number {
  return x.m < 0n ? -1 : x.m > 0n ? 1 : 0;
}

/** Exponent of the leading bit (value in [2^k, 2^(k+1))) ; -Infinity for zero. */
export function ilog2(x: BF): number {
  if (x.m === 0n) return -Infinity;
  return x.e + bitLength(x.m) - 1;
}

/** Sum, truncated to P bits (exact when P is Infinity and operands are close in scale). */
export function add(x: BF, y: BF, P: number): BF {
  if (x.m === 0n) return trunc(y, P);
  if (y.m === 0n) return trunc(x, P);
  const tx = ilog2(x);
  const ty = ilog2(y);
  // drop an operand that is far below the precision of the other
  if (Number.isFinite(P)) {
    if (ty < tx - P - 4) return addTiny(x, y, P);
    if (tx < ty - P - 4) return addTiny(y, x, P);
  }
  const e = Math.min(x.e, y.e);
  const m = (x.m << BigInt(x.e - e)) + (y.m << BigInt(y.e - e));
  return trunc({ m, e }, P);
}

/** big + tiny where tiny is below big's precision: keep a single guard unit in the tiny's direction. */
function addTiny(big: BF, tiny: BF, P: number): BF {
  const b = trunc(big, P);
  const extra = P + 8 - bitLength(b.m);
  const m = (b.m << BigInt(Math.max(0, extra))) + (tiny.m < 0n ? -1n : 1n);
  return trunc({ m, e: b.e - Math.max(0, extra) }, P);
}

export function sub(x: BF, y: BF, P: number): BF {
  return add(x, neg(y), P);
}

export function mul(x: BF, y: BF, P: number): BF {
  return trunc({ m: x.m * y.m, e: x.e + y.e }, P);
}

/** Multiply by 2^k exactly. */
export function ldexp(x: BF, k: number): BF {
  return { m: x.m, e: x.e + k };
}

/** Quotient to P bits (truncated). */
export function div(x: BF, y: BF, P: number): BF {
  if (y.m === 0n) throw new RangeError('BF division by zero');
  if (x.m === 0n) return BF_ZERO;
  const sh = Math.max(0, P + 2 + bitLength(y.m) - bitLength(x.m));
  const q = (x.m << BigInt(sh)) / y.m;
  return trunc({ m: q, e: x.e - y.e - sh }, P);
}

export function divInt(x: BF, n: bigint, P: number): BF {
  return div(x, { m: n, e: 0 }, P);
}

/** Square root to P bits (x >= 0). */
export function sqrt(x: BF, P: number): BF {
  if (x.m < 0n) throw new RangeError('BF sqrt of a negative number');
  if (x.m === 0n) return BF_ZERO;
  let m = x.m;
  let e = x.e;
  let sh = Math.max(0, 2 * P + 4 - bitLength(m));
  if ((e - sh) & 1) sh++;
  m <<= BigInt(sh);
  e -= sh;
  // integer square root
  let r = 1n << BigInt((bitLength(m) + 1) >> 1);
  for (;;) {
    const n = (r + m / r) >> 1n;
    if (n >= r) break;
    r = n;
  }
  return trunc({ m: r, e: e / 2 }, P);
}

/** Compare |x| with |y|. */
export function cmpAbs(x: BF, y: BF): number {
  const a = abs(x);
  const b = abs(y);
  if (a.m === 0n || b.m === 0n) return a.m === b.m ? 0 : a.m === 0n ? -1 : 1;
  const la = ilog2(a);
  const lb = ilog2(b);
  if (la !== lb) return la > lb ? 1 : -1;
  const e = Math.min(a.e, b.e);
  const va = a.m << BigInt(a.e - e);
  const vb = b.m << BigInt(b.e - e);
  return va > vb ? 1 : va < vb ? -1 : 0;
}

export function toNumber(x: BF): number {
  if (x.m === 0n) return 0;
  const t = trunc(x, 60);
  return Number(t.m) * 2 ** t.e;
}

// ---------------------------------------------------------------------------
// Constants (cached per precision)

const cache = new Map<string, BF>();
function cached(name: string, P: number, f: (P: number) => BF): BF {
  // compute at a precision rounded up to a multiple of 64 so nearby requests share the value
  const Q = Math.ceil((P + 32) / 64) * 64;
  const key = `${name}:${Q}`;
  let v = cache.get(key);
  if (!v) {
    v = f(Q);
    cache.set(key, v);
  }
  return trunc(v, P);
}

/** atan(1/k) for integer k > 1 by its Taylor series, to P bits. */
function atanInv(k: bigint, P: number): BF {
  const W = P + 16;
  const one = 1n << BigInt(W);
  let power = one / k; // 1/k^(2n+1)
  const k2 = k * k;
  let sum = 0n;
  let n = 1n;
  let s = 1n;
  while (power !== 0n) {
    sum += (s * power) / n;
    power /= k2;
    n += 2n;
    s = -s;
  }
  return trunc({ m: sum, e: -W }, P);
}

/** pi to P bits (Machin's formula). */
export function PI(P: number): BF {
  return cached('pi', P, (Q) => {
    const a = atanInv(5n, Q + 8);
    const b = atanInv(239n, Q + 8);
    return trunc(sub(ldexp(a, 4), ldexp(b, 2), Q + 8), Q);
  });
}

/** atanh(1/k) for integer k > 1, to P bits. */
function atanhInv(k: bigint, P: number): BF {
  const W = P + 16;
  const one = 1n << BigInt(W);
  let power = one / k;
  const k2 = k * k;
  let sum = 0n;
  let n = 1n;
  while (power !== 0n) {
    sum += power / n;
    power /= k2;
    n += 2n;
  }
  return trunc({ m: sum, e: -W }, P);
}

/** ln 2 to P bits: 2 atanh(1/3). */
export function LN2(P: number): BF {
  return cached('ln2', P, (Q) => ldexp(atanhInv(3n, Q + 8), 1));
}

/** ln 10 = 3 ln 2 + ln(5/4) = 3 ln2 + 2 atanh(1/9). */
export function LN10(P: number): BF {
  return cached('ln10', P, (Q) => add(mul(LN2(Q + 8), bf(3n), Q + 8), ldexp(atanhInv(9n, Q + 8), 1), Q));
}

// ---------------------------------------------------------------------------
// Elementary functions to P bits (relative error a few units of 2^-P)

/** atanh(z) for |z| <= ~0.2 by its series (relative precision). */
function atanhSeries(z: BF, P: number): BF {
  const W = P + 8;
  const z2 = mul(z, z, W);
  let term = z;
  let sum = z;
  for (let n = 3n; ; n += 2n) {
    term = mul(term, z2, W);
    const t = divInt(term, n, W);
    if (t.m === 0n) break;
    sum = add(sum, t, W);
    if (ilog2(t) < ilog2(sum) - W) break;
  }
  return trunc(sum, P);
}

/** Natural logarithm of x > 0. */
export function ln(x: BF, P: number): BF {
  if (x.m <= 0n) throw new RangeError('BF ln of a non-positive number');
  const W = P + 16;
  // x = f * 2^k with f in [0.75, 1.5)
  let k = ilog2(x);
  let f = ldexp(x, -k); // [1, 2)
  if (cmpAbs(f, bf(3n, -1)) >= 0) {
    f = ldexp(f, -1);
    k += 1;
  }
  const num = add(f, bf(-1n), Infinity); // exact
  const den = add(f, bf(1n), Infinity);
  const lf = num.m === 0n ? BF_ZERO : ldexp(atanhSeries(div(num, den, W), W), 1);
  if (k === 0) return trunc(lf, P);
  return add(mul(LN2(W + 32), bf(BigInt(k)), W), lf, P);
}

/** ln(1 + x) for x > -1, accurate for small |x|. */
export function ln1p(x: BF, P: number): BF {
  const W = P + 16;
  if (x.m === 0n) return BF_ZERO;
  if (ilog2(x) < -2) {
    // 2 atanh(x / (2 + x))
    const z = div(x, add(bf(2n), x, W + 8), W);
    return trunc(ldexp(atanhSeries(z, W), 1), P);
  }
  return ln(add(bf(1n), x, Infinity), P);
}

/** exp(y) - 1 for |y| <= ~1 by its series (relative precision). */
export function expm1(y: BF, P: number): BF {
  const W = P + 8;
  if (y.m === 0n) return BF_ZERO;
  let term = y;
  let sum = y;
  for (let n = 2n; ; n++) {
    term = divInt(mul(term, y, W), n, W);
    if (term.m === 0n) break;
    sum = add(sum, term, W);
    if (ilog2(term) < ilog2(sum) - W) break;
  }
  return trunc(sum, P);
}

/** atan(t) with relative precision. */
export function atan(t: BF, P: number): BF {
  const W = P + 16;
  if (t.m === 0n) return BF_ZERO;
  const s = t.m < 0n ? -1 : 1;
  let a = abs(t);
  let base: BF = BF_ZERO;
  let baseSign = 1;
  if (cmpAbs(a, bf(1n)) > 0) {
    // atan(a) = pi/2 - atan(1/a)
    base = ldexp(PI(W), -1);
    baseSign = -1;
    a = div(bf(1n), a, W);
  }
  // halve the angle three times: atan(a) = 2 atan(a / (1 + sqrt(1 + a^2)))
  let doublings = 0;
  while (ilog2(a) > -4) {
    const r = sqrt(add(bf(1n), mul(a, a, W), W), W);
    a = div(a, add(bf(1n), r, W), W);
    doublings++;
  }
  // series a - a^3/3 + a^5/5 ...
  const a2 = mul(a, a, W);
  let term = a;
  let sum = a;
  for (let n = 3n; ; n += 2n) {
    term = neg(mul(term, a2, W));
    const tt = divInt(term, n, W);
    if (tt.m === 0n) break;
    sum = add(sum, tt, W);
    if (ilog2(tt) < ilog2(sum) - W) break;
  }
  let r = ldexp(sum, doublings);
  if (baseSign < 0) r = sub(base, r, W);
  return trunc(s < 0 ? neg(r) : r, P);
}

/** sin(r) and cos(r) for |r| <= ~pi/4 by their series. */
export function sinCosSmall(r: BF, P: number): { sin: BF; cos: BF } {
  const W = P + 16;
  const r2 = mul(r, r, W);
  // sin
  let term = r;
  let s = r;
  for (let n = 2n; r.m !== 0n; n += 2n) {
    term = neg(divInt(mul(term, r2, W), n * (n + 1n), W));
    if (term.m === 0n) break;
    s = add(s, term, W);
    if (ilog2(term) < ilog2(s) - W) break;
  }
  // cos
  let ct: BF = bf(1n);
  let c: BF = bf(1n);
  for (let n = 1n; r.m !== 0n; n += 2n) {
    ct = neg(divInt(mul(ct, r2, W), n * (n + 1n), W));
    if (ct.m === 0n) break;
    c = add(c, ct, W);
    if (ilog2(ct) < -W) break;
  }
  return { sin: trunc(s, P), cos: trunc(c, P) };
}
