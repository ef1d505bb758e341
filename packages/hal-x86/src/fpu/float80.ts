/**
 * The x87 80-bit extended-real value type, its memory packing and its
 * classification (Intel SDM vol. 1, 4.2.2 and 8.2.2; table 8-3).
 *
 * Layout of the 10-byte little-endian memory image:
 *   bytes 0..7  significand (bit 63 is the explicit integer bit J)
 *   bytes 8..9  bit 15 sign, bits 14..0 biased exponent (bias 16383)
 */
import { bitLength } from './bigint';

export const F80_EXP_BIAS = 16383;
export const F80_EXP_MAX = 0x7fff;
export const F80_INT_BIT = 1n << 63n;
export const F80_QUIET_BIT = 1n << 62n;
export const F80_SIG_MASK = (1n << 64n) - 1n;

/** An 80-bit extended real. Immutable by convention. */
export interface Float80 {
  /** 0 = positive, 1 = negative. */
  readonly sign: 0 | 1;
  /** Biased exponent, 15 bits (0..0x7fff). */
  readonly exp: number;
  /** 64-bit significand including the explicit integer bit (bit 63). */
  readonly sig: bigint;
}

export function makeF80(sign: 0 | 1 | number, exp: number, sig: bigint): Float80 {
  return { sign: sign ? 1 : 0, exp: exp & 0x7fff, sig: sig & F80_SIG_MASK };
}

export const F80_POS_ZERO: Float80 = makeF80(0, 0, 0n);
export const F80_NEG_ZERO: Float80 = makeF80(1, 0, 0n);
export const F80_ONE: Float80 = makeF80(0, F80_EXP_BIAS, F80_INT_BIT);
export const F80_POS_INF: Float80 = makeF80(0, F80_EXP_MAX, F80_INT_BIT);
export const F80_NEG_INF: Float80 = makeF80(1, F80_EXP_MAX, F80_INT_BIT);
/** The default QNaN ("real indefinite") delivered by masked invalid operations. */
export const F80_INDEFINITE: Float80 = makeF80(1, F80_EXP_MAX, 0xc000000000000000n);

export function f80Zero(sign: 0 | 1 | number): Float80 {
  return sign ? F80_NEG_ZERO : F80_POS_ZERO;
}

export function f80Inf(sign: 0 | 1 | number): Float80 {
  return sign ? F80_NEG_INF : F80_POS_INF;
}

/** Pack into the 10-byte little-endian memory format. */
export function packF80(v: Float80, out: Uint8Array = new Uint8Array(10), offset = 0): Uint8Array {
  let s = v.sig & F80_SIG_MASK;
  for (let i = 0; i < 8; i++) {
    out[offset + i] = Number(s & 0xffn);
    s >>= 8n;
  }
  const se = ((v.sign & 1) << 15) | (v.exp & 0x7fff);
  out[offset + 8] = se & 0xff;
  out[offset + 9] = se >> 8;
  return out;
}

/** Unpack from the 10-byte little-endian memory format. */
export function unpackF80(bytes: ArrayLike<number>, offset = 0): Float80 {
  let s = 0n;
  for (let i = 7; i >= 0; i--) s = (s << 8n) | BigInt(bytes[offset + i] & 0xff);
  const se = (bytes[offset + 8] & 0xff) | ((bytes[offset + 9] & 0xff) << 8);
  return makeF80(se >> 15, se & 0x7fff, s);
}

/** 20 hex digits, sign/exponent first (the way the value reads as a big-endian number). */
export function f80ToHex(v: Float80): string {
  const se = ((v.sign & 1) << 15) | (v.exp & 0x7fff);
  return se.toString(16).toUpperCase().padStart(4, '0') + v.sig.toString(16).toUpperCase().padStart(16, '0');
}

export function f80FromHex(hex: string): Float80 {
  if (!/^[0-9a-fA-F]{20}$/.test(hex)) throw new Error(`bad 80-bit hex value: ${hex}`);
  const se = parseInt(hex.slice(0, 4), 16);
  return makeF80(se >> 15, se & 0x7fff, BigInt(`0x${hex.slice(4)}`));
}

export function f80Equal(a: Float80, b: Float80): boolean {
  return a.sign === b.sign && a.exp === b.exp && a.sig === b.sig;
}

/** Classes of 80-bit encodings (SDM vol. 1 table 8-3). */
export const F80Class = {
  Zero: 'zero',
  /** exponent 0, J = 0, fraction != 0 */
  Denormal: 'denormal',
  /** exponent 0, J = 1: accepted as an operand, treated like a denormal */
  PseudoDenormal: 'pseudo-denormal',
  Normal: 'normal',
  Infinity: 'infinity',
  QNaN: 'qnan',
  SNaN: 'snan',
  /** exponent 1..0x7ffe with J = 0: invalid operand since the 387 */
  Unnormal: 'unnormal',
  /** exponent 0x7fff, J = 0, fraction != 0: invalid operand */
  PseudoNaN: 'pseudo-nan',
  /** exponent 0x7fff, J = 0, fraction = 0: invalid operand */
  PseudoInfinity: 'pseudo-infinity',
} as const;
export type F80Class = (typeof F80Class)[keyof typeof F80Class];

export function classifyF80(v: Float80): F80Class {
  const j = (v.sig & F80_INT_BIT) !== 0n;
  if (v.exp === 0) {
    if (v.sig === 0n) return F80Class.Zero;
    return j ? F80Class.PseudoDenormal : F80Class.Denormal;
  }
  if (v.exp === F80_EXP_MAX) {
    const frac = v.sig & ~F80_INT_BIT & F80_SIG_MASK;
    if (!j) return frac === 0n ? F80Class.PseudoInfinity : F80Class.PseudoNaN;
    if (frac === 0n) return F80Class.Infinity;
    return (v.sig & F80_QUIET_BIT) !== 0n ? F80Class.QNaN : F80Class.SNaN;
  }
  return j ? F80Class.Normal : F80Class.Unnormal;
}

/** Unnormals, pseudo-NaNs and pseudo-infinities raise #IA as operands on the 387 and later. */
export function isUnsupported(v: Float80): boolean {
  if (v.exp === 0) return false;
  return (v.sig & F80_INT_BIT) === 0n;
}

export function isNaN80(v: Float80): boolean {
  return (
    v.exp === F80_EXP_MAX && (v.sig & F80_INT_BIT) !== 0n && (v.sig & ~F80_INT_BIT & F80_SIG_MASK) !== 0n
  );
}

export function isSNaN80(v: Float80): boolean {
  return isNaN80(v) && (v.sig & F80_QUIET_BIT) === 0n;
}

export function isQNaN80(v: Float80): boolean {
  return isNaN80(v) && (v.sig & F80_QUIET_BIT) !== 0n;
}

export function isInf80(v: Float80): boolean {
  return v.exp === F80_EXP_MAX && v.sig === F80_INT_BIT;
}

export function isZero80(v: Float80): boolean {
  return v.exp === 0 && v.sig === 0n;
}

/** Denormal or pseudo-denormal (raises #D as an arithmetic operand). */
export function isDenormal80(v: Float80): boolean {
  return v.exp === 0 && v.sig !== 0n;
}

/** Finite non-zero value that is a valid operand (normal, denormal or pseudo-denormal). */
export function isFiniteNonZero80(v: Float80): boolean {
  if (v.exp === 0) return v.sig !== 0n;
  return v.exp !== F80_EXP_MAX && (v.sig & F80_INT_BIT) !== 0n;
}

export function quietNaN80(v: Float80): Float80 {
  return makeF80(v.sign, v.exp, v.sig | F80_QUIET_BIT);
}

export function negF80(v: Float80): Float80 {
  return makeF80(v.sign ^ 1, v.exp, v.sig);
}

export function absF80(v: Float80): Float80 {
  return makeF80(0, v.exp, v.sig);
}

/**
 * Exact value of a finite valid operand as sig * 2^e2 (sig >= 0).  Denormals and
 * pseudo-denormals use the minimum exponent (field 0 behaves as field 1).
 */
export function f80Exact(v: Float80): { sig: bigint; e2: number } {
  const e = v.exp === 0 ? 1 : v.exp;
  return { sig: v.sig, e2: e - F80_EXP_BIAS - 63 };
}

/**
 * Approximate conversion to a JS number for debugging and test messages (may
 * double-round in the float64 subnormal range; use toFloat64 for the x87 conversion).
 */
export function f80ToNumber(v: Float80): number {
  const c = classifyF80(v);
  if (c === F80Class.Zero) return v.sign ? -0 : 0;
  if (c === F80Class.Infinity) return v.sign ? -Infinity : Infinity;
  if (c === F80Class.QNaN || c === F80Class.SNaN || isUnsupported(v)) return NaN;
  const { sig, e2 } = f80Exact(v);
  // use the top 53 bits with round-half-even via the Number constructor on a scaled bigint
  const l = bitLength(sig);
  const sh = Math.max(0, l - 64);
  let m = Number(sig >> BigInt(sh));
  let e = e2 + sh;
  // scale in steps to avoid intermediate overflow
  while (e > 0) {
    const s = Math.min(e, 1000);
    m *= 2 ** s;
    e -= s;
  }
  while (e < 0) {
    const s = Math.max(e, -1000);
    m *= 2 ** s;
    e -= s;
  }
  return v.sign ? -m : m;
}
