/**
 * IEEE 754 arithmetic for SSE/SSE2 as the hardware does it: binary32 and binary64 results rounded per
 * MXCSR.RC, the six exception flags, denormals-are-zero and flush-to-zero, NaN propagation.
 *
 * Fast path: with RC = round-to-nearest, JavaScript's double arithmetic is the hardware's binary64
 * arithmetic. Single precision is computed in double and rounded once more with Math.fround, which is
 * exact for + - * / and sqrt (53 >= 2*24 + 2, so the double rounding is innocuous). Whether a result is
 * inexact comes from error-free transformations (TwoSum, Dekker's product), valid as long as nothing
 * overflows or underflows; such results, and every directed rounding mode, take the slow path.
 *
 * Slow path: the exact result as a BigInt significand and a power of two (plus a sticky bit for division
 * and square root), rounded by `roundExact`, which also decides overflow, tininess (after rounding, as x86
 * does) and inexactness. Slow paths are rare in real programs (fesetround, underflow, overflow).
 */
import type { Cpu } from '../../cpu/cpu';
import { GuestFault, Vector } from '../../cpu/fault';

export const MX_IE = 0x01;
export const MX_DE = 0x02;
export const MX_ZE = 0x04;
export const MX_OE = 0x08;
export const MX_UE = 0x10;
export const MX_PE = 0x20;
export const MX_DAZ = 0x40;
export const MX_OM = 0x400;
export const MX_UM = 0x800;
export const MX_PM = 0x1000;
export const MX_FTZ = 0x8000;
/** Writable MXCSR bits (the MXCSR_MASK that FXSAVE reports). */
export const MXCSR_MASK = 0xffff;

export const MIN64 = 2.2250738585072014e-308; // 2^-1022
export const MIN32 = 1.1754943508222875e-38; // 2^-126
const TWO32 = 4294967296;
const TWO63 = 2 ** 63;
export const TINY_SAFE = 2 ** -900; // below this, Dekker products may lose bits to underflow
export const HUGE_SAFE = 2 ** 995; // above this, Veltkamp splitting may overflow
export const PROD_SAFE = 2 ** 1020; // above this, the partial products of Dekker's algorithm may overflow

/** QNaN floating-point indefinite. */
export const INDEF32 = 0xffc00000 | 0;
export const INDEF64_HI = 0xfff80000 | 0;
export const QUIET32 = 0x00400000;
export const QUIET64_HI = 0x00080000;

/**
 * State of the floating-point instruction being executed: the exception flags it raised so far and the
 * MXCSR controls it runs under. Handlers call `fpBegin`, compute every element, then `fpCommit` before
 * writing their destination.
 */
export const fp = {
  flags: 0,
  /** Rounding control: 0 nearest, 1 down, 2 up, 3 toward zero. */
  rc: 0,
  daz: false,
  ftz: false,
  /** Underflow unmasked: UE is reported for every tiny result, exact or not. */
  ueUnmasked: false,
  oeUnmasked: false,
};

export function fpBegin(c: Cpu): void {
  const m = c.mxcsr;
  fp.flags = 0;
  fp.rc = (m >> 13) & 3;
  fp.daz = (m & MX_DAZ) !== 0;
  fp.ftz = (m & MX_FTZ) !== 0;
  fp.ueUnmasked = (m & MX_UM) === 0;
  fp.oeUnmasked = (m & MX_OM) === 0;
}

/**
 * Merges the instruction's exception flags into MXCSR, or raises #XM (destination not written) if one of
 * them is unmasked. Exceptions detected before computing (invalid, denormal, divide-by-zero) take
 * precedence: when one of those is unmasked, only they are reported.
 */
export function fpCommit(c: Cpu): void {
  const f = fp.flags;
  if (f === 0) return;
  const masks = (c.mxcsr >> 7) & 0x3f;
  if ((f & ~masks) !== 0) {
    const pre = f & (MX_IE | MX_DE | MX_ZE);
    c.mxcsr |= (pre & ~masks) !== 0 ? pre : f;
    throw new GuestFault(Vector.XM, 0, 0n, 'unmasked SIMD floating-point exception');
  }
  c.mxcsr |= f;
}

// ------------------------------------------------------------------------------------------ NaNs

export function isNaN32(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}

export function isNaN64(hi: number, lo: number): boolean {
  const h = hi & 0x7fffffff;
  return h > 0x7ff00000 || (h === 0x7ff00000 && lo !== 0);
}

/** Result bits of a two-operand binary32 operation with a NaN operand: the first NaN, quieted. */
export function nan2x32(a: number, b: number): number {
  const an = isNaN32(a);
  if ((an && (a & QUIET32) === 0) || (isNaN32(b) && (b & QUIET32) === 0)) fp.flags |= MX_IE;
  return (an ? a : b) | QUIET32;
}

/**
 * binary64 counterpart of nan2x32: reads the operands from `a`/`b` at int32 index ia/ib (low word first)
 * and writes the result to `out` at index io.
 */
export function nan2x64(
  a: Int32Array,
  ia: number,
  b: Int32Array,
  ib: number,
  out: Int32Array,
  io: number,
): void {
  const ah = a[ia + 1];
  const bh = b[ib + 1];
  const an = isNaN64(ah, a[ia]);
  if ((an && (ah & QUIET64_HI) === 0) || (isNaN64(bh, b[ib]) && (bh & QUIET64_HI) === 0)) fp.flags |= MX_IE;
  if (an) {
    out[io] = a[ia];
    out[io + 1] = ah | QUIET64_HI;
  } else {
    out[io] = b[ib];
    out[io + 1] = bh | QUIET64_HI;
  }
}

// ------------------------------------------------------------------------------- source operands

/** A binary64 source operand after the denormal check: flushed to zero with DAZ, else flags DE. */
export function src64(x: number): number {
  if (x !== 0 && x < MIN64 && x > -MIN64) {
    if (fp.daz) return x < 0 ? -0 : 0;
    fp.flags |= MX_DE;
  }
  return x;
}

/** A binary32 source operand (held as a double) after the denormal check. */
export function src32(x: number): number {
  if (x !== 0 && x < MIN32 && x > -MIN32) {
    if (fp.daz) return x < 0 ? -0 : 0;
    fp.flags |= MX_DE;
  }
  return x;
}

/** DAZ without the denormal flag, for conversions to integer (which never report DE). */
export function daz32(x: number): number {
  return fp.daz && x < MIN32 && x > -MIN32 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x;
}

export function daz64(x: number): number {
  return fp.daz && x < MIN64 && x > -MIN64 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x;
}

// ------------------------------------------------------------------------- error-free transforms

/** The rounding error of s = fl(a + b): a + b - s exactly (no overflow). */
export function twoSumErr(a: number, b: number, s: number): number {
  const bv = s - a;
  const av = s - bv;
  return a - av + (b - bv);
}

const SPLIT = 134217729; // 2^27 + 1

/** The rounding error of p = fl(a * b): a * b - p exactly (no overflow or underflow in the parts). */
export function twoProdErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

// ---------------------------------------------------------------------------- the four operations

/**
 * a + b rounded to binary32 (`single`) or binary64. Operands are non-NaN, already through src32/src64.
 * Returns NaN for an invalid operation (the caller stores the default NaN).
 */
export function fadd(a: number, b: number, single: boolean): number {
  const r = a + b;
  if (Number.isNaN(r)) {
    fp.flags |= MX_IE;
    return r;
  }
  if (a - a !== 0 || b - b !== 0) return r; // an infinite operand: the infinite result is exact
  if (fp.rc === 0) {
    // Tiny sums are exact (both operands are multiples of the smallest denormal); only FTZ changes them.
    if (single) {
      const f = Math.fround(r);
      if (f - f === 0 && ((!fp.ftz && !fp.ueUnmasked) || r === 0 || Math.abs(r) >= MIN32)) {
        if (f !== r || twoSumErr(a, b, r) !== 0) fp.flags |= MX_PE;
        return f;
      }
    } else if (r - r === 0 && ((!fp.ftz && !fp.ueUnmasked) || r === 0 || Math.abs(r) >= MIN64)) {
      if (twoSumErr(a, b, r) !== 0) fp.flags |= MX_PE;
      return r;
    }
  }
  return slowAdd(a, b, single);
}

export function fmul(a: number, b: number, single: boolean): number {
  const r = a * b;
  if (Number.isNaN(r)) {
    fp.flags |= MX_IE;
    return r;
  }
  if (a - a !== 0 || b - b !== 0 || a === 0 || b === 0) return r;
  if (fp.rc === 0) {
    if (single) {
      // The product of two binary32 values is exact in binary64.
      const f = Math.fround(r);
      if (f - f === 0 && Math.abs(r) >= MIN32) {
        if (f !== r) fp.flags |= MX_PE;
        return f;
      }
    } else {
      const ar = Math.abs(r);
      const aa = Math.abs(a);
      const ab = Math.abs(b);
      if (
        ar >= TINY_SAFE &&
        ar < PROD_SAFE &&
        aa >= MIN64 &&
        ab >= MIN64 &&
        aa < HUGE_SAFE &&
        ab < HUGE_SAFE
      ) {
        if (twoProdErr(a, b, r) !== 0) fp.flags |= MX_PE;
        return r;
      }
    }
  }
  return slowMul(a, b, single);
}

export function fdiv(a: number, b: number, single: boolean): number {
  if (b === 0) {
    if (a === 0) {
      fp.flags |= MX_IE;
      return Number.NaN;
    }
    if (a - a === 0) fp.flags |= MX_ZE;
    return a / b;
  }
  const r = a / b;
  if (Number.isNaN(r)) {
    fp.flags |= MX_IE;
    return r;
  }
  if (a - a !== 0 || b - b !== 0 || a === 0) return r;
  if (fp.rc === 0) {
    const ar = Math.abs(r);
    if (single) {
      const f = Math.fround(r);
      if (f - f === 0 && ar >= MIN32) {
        const p = r * b;
        if (f !== r || p !== a || twoProdErr(r, b, p) !== 0) fp.flags |= MX_PE;
        return f;
      }
    } else {
      const ab = Math.abs(b);
      if (
        ar >= TINY_SAFE &&
        ar < HUGE_SAFE &&
        ab >= MIN64 &&
        ab < HUGE_SAFE &&
        Math.abs(a) >= TINY_SAFE &&
        Math.abs(a) < PROD_SAFE
      ) {
        const p = r * b;
        if (p !== a || twoProdErr(r, b, p) !== 0) fp.flags |= MX_PE;
        return r;
      }
    }
  }
  return slowDiv(a, b, single);
}

export function fsqrt(a: number, single: boolean): number {
  if (a === 0 || a === Infinity) return a; // sqrt(-0) = -0
  if (a < 0) {
    fp.flags |= MX_IE;
    return Number.NaN;
  }
  const r = Math.sqrt(a);
  if (fp.rc === 0) {
    if (single) {
      const f = Math.fround(r);
      const p = r * r;
      if (f !== r || p !== a || twoProdErr(r, r, p) !== 0) fp.flags |= MX_PE;
      return f;
    }
    if (a >= TINY_SAFE && a < PROD_SAFE) {
      const p = r * r;
      if (p !== a || twoProdErr(r, r, p) !== 0) fp.flags |= MX_PE;
      return r;
    }
  }
  return slowSqrt(a, single);
}

/** A binary64 value (non-NaN) rounded to binary32, as CVTSD2SS does. */
export function narrow(a: number): number {
  if (a === 0 || a - a !== 0) return a;
  if (fp.rc === 0) {
    const f = Math.fround(a);
    if (f - f === 0 && Math.abs(a) >= MIN32) {
      if (f !== a) fp.flags |= MX_PE;
      return f;
    }
  }
  const [m, e] = decompose(a);
  return roundExact(a < 0, m, e, false, true);
}

/** A signed integer rounded to binary32 or binary64 (CVTSI2SS/SD, CVTDQ2PS). */
export function fromInt(v: number, single: boolean): number {
  if (fp.rc === 0 || (single ? Math.abs(v) <= 16777216 : true)) {
    // Exact, or a single rounding of an exact double.
    if (!single) return v;
    const f = Math.fround(v);
    if (f !== v) fp.flags |= MX_PE;
    return f;
  }
  return roundExact(v < 0, BigInt(Math.abs(v)), 0, false, single);
}

/** A signed 64-bit integer (lo/hi halves) rounded to binary32 or binary64 (CVTSI2SS/SD with REX.W). */
export function fromInt64(lo: number, hi: number, single: boolean): number {
  if (hi >= -0x200000 && hi < 0x200000) return fromInt(hi * TWO32 + (lo >>> 0), single); // |v| < 2^53
  const big = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const neg = big < 0n;
  return roundExact(neg, neg ? -big : big, 0, false, single);
}

// ---------------------------------------------------------------------------- integer conversions

/** High half of the last 64-bit integer conversion. */
export let convHi = 0;

/**
 * Converts a non-NaN value to a 32- or 64-bit integer, truncating or rounding per MXCSR.RC. Out of range
 * raises IE and gives the integer indefinite (0x80000000 or 0x8000000000000000). Returns the low 32 bits;
 * the high half is left in `convHi`.
 */
export function toInt(x: number, wide: boolean, truncate: boolean): number {
  let v: number;
  switch (truncate ? 3 : fp.rc) {
    case 0: {
      v = Math.round(x);
      if (v - x === 0.5 && v % 2 !== 0) v -= 1;
      break;
    }
    case 1:
      v = Math.floor(x);
      break;
    case 2:
      v = Math.ceil(x);
      break;
    default:
      v = Math.trunc(x);
  }
  if (wide) {
    if (!(v >= -TWO63 && v < TWO63)) {
      fp.flags |= MX_IE;
      convHi = 0x80000000 | 0;
      return 0;
    }
    if (v !== x) fp.flags |= MX_PE;
    const h = Math.floor(v / TWO32);
    convHi = h | 0;
    return (v - h * TWO32) | 0;
  }
  convHi = 0;
  if (!(v >= -2147483648 && v <= 2147483647)) {
    fp.flags |= MX_IE;
    return 0x80000000 | 0;
  }
  if (v !== x) fp.flags |= MX_PE;
  return v | 0;
}

// ------------------------------------------------------------------------------------- slow paths

const dv = new DataView(new ArrayBuffer(8));

/** |x| = m * 2^e for a finite binary64 value (m = 0 for zero). */
function decompose(x: number): [bigint, number] {
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0) & 0x7fffffff;
  const lo = dv.getUint32(4);
  const exp = hi >>> 20;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) return [m, -1074];
  return [m | (1n << 52n), exp - 1075];
}

function bitLength(m: bigint): number {
  return m.toString(2).length;
}

let roundedInexact = false;

/** m * 2^-shift rounded to an integer per RC (shift >= 0 drops bits; `sticky`: more nonzero bits below). */
function roundShift(m: bigint, shift: number, sticky: boolean, neg: boolean): bigint {
  if (shift <= 0) {
    roundedInexact = sticky;
    return m << BigInt(-shift);
  }
  const s = BigInt(shift);
  const q = m >> s;
  const rem = m - (q << s);
  roundedInexact = rem !== 0n || sticky;
  if (!roundedInexact) return q;
  let up: boolean;
  switch (fp.rc) {
    case 0: {
      const half = 1n << (s - 1n);
      up = rem > half || (rem === half && (sticky || (q & 1n) === 1n));
      break;
    }
    case 1:
      up = neg;
      break;
    case 2:
      up = !neg;
      break;
    default:
      up = false;
  }
  return up ? q + 1n : q;
}

/** q * 2^e as a number (q < 2^54, the result representable as a binary64). */
function scale(q: bigint, e: number): number {
  const n = Number(q);
  if (e < -1000) return n * 2 ** (e + 200) * 2 ** -200;
  if (e > 1000) return n * 2 ** (e - 200) * 2 ** 200;
  return n * 2 ** e;
}

/**
 * Rounds the exact value (-1)^neg * (m + sticky) * 2^e (`sticky`: a nonzero fraction below m's last bit;
 * m must then have at least p + 2 bits) to binary32 or binary64 per MXCSR, setting OE, UE and PE.
 */
function roundExact(neg: boolean, m: bigint, e: number, sticky: boolean, single: boolean): number {
  const p = single ? 24 : 53;
  const emin = single ? -126 : -1022;
  const emax = single ? 127 : 1023;
  const n = bitLength(m);
  const lead = e + n - 1; // exponent of the leading bit
  const shift = Math.max(n - p, emin - p + 1 - e);
  const q = roundShift(m, shift, sticky, neg);
  const qe = e + shift;
  const inexact = roundedInexact;
  if (q !== 0n && qe + bitLength(q) - 1 > emax) {
    if (fp.oeUnmasked) {
      // #XM follows and no result is stored; PE reports whether the significand itself was rounded.
      roundShift(m, n - p, sticky, neg);
      fp.flags |= MX_OE | (roundedInexact ? MX_PE : 0);
      return 0;
    }
    fp.flags |= MX_OE | MX_PE;
    const toInf = fp.rc === 0 || (fp.rc === 1 && neg) || (fp.rc === 2 && !neg);
    if (toInf) return neg ? -Infinity : Infinity;
    const max = single ? 3.4028234663852886e38 : Number.MAX_VALUE;
    return neg ? -max : max;
  }
  if (lead < emin) {
    // Tininess after rounding: the result rounded with an unbounded exponent is below the normal range.
    const u = roundShift(m, n - p, sticky, neg);
    const tiny = e + n - p + bitLength(u) - 1 < emin;
    if (tiny) {
      if (fp.ftz && !fp.ueUnmasked) {
        fp.flags |= MX_UE | MX_PE;
        return neg ? -0 : 0;
      }
      if (fp.ueUnmasked) {
        roundShift(m, n - p, sticky, neg);
        fp.flags |= MX_UE | (roundedInexact ? MX_PE : 0);
        return 0;
      }
      if (inexact) fp.flags |= MX_UE | MX_PE;
      const r = q === 0n ? 0 : scale(q, qe);
      return neg ? -r : r;
    }
  }
  if (inexact) fp.flags |= MX_PE;
  const r = scale(q, qe);
  return neg ? -r : r;
}

function signedZeroSum(a: number, b: number): number {
  if (Object.is(a, b)) return a;
  return fp.rc === 1 ? -0 : 0;
}

function slowAdd(a: number, b: number, single: boolean): number {
  if (a === 0 && b === 0) return signedZeroSum(a, b);
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const e = Math.min(ea, eb);
  let x = ma << BigInt(ea - e);
  let y = mb << BigInt(eb - e);
  if (a < 0) x = -x;
  if (b < 0) y = -y;
  const s = x + y;
  if (s === 0n) return fp.rc === 1 ? -0 : 0;
  return roundExact(s < 0n, s < 0n ? -s : s, e, false, single);
}

function slowMul(a: number, b: number, single: boolean): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  return roundExact(a < 0 !== b < 0, ma * mb, ea + eb, false, single);
}

function slowDiv(a: number, b: number, single: boolean): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const p = single ? 24 : 53;
  const k = Math.max(0, p + 3 + bitLength(mb) - bitLength(ma));
  const num = ma << BigInt(k);
  const q = num / mb;
  return roundExact(a < 0 !== b < 0, q, ea - eb - k, q * mb !== num, single);
}

function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

function slowSqrt(a: number, single: boolean): number {
  let [m, e] = decompose(a);
  if ((e & 1) !== 0) {
    m <<= 1n;
    e -= 1;
  }
  const p = single ? 24 : 53;
  const k = Math.max(0, Math.ceil((2 * p + 6 - bitLength(m)) / 2));
  const big = m << BigInt(2 * k);
  const s = isqrt(big);
  return roundExact(false, s, e / 2 - k, s * s !== big, single);
}
