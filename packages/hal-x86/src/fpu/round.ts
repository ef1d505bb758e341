/**
 * Exact rounding of an intermediate value to the x87 register format (with the
 * PC-selected precision) or to a smaller binary format, following the SDM's
 * rules for inexact (PE, C1 = rounded up), overflow (OE) and underflow (UE).
 *
 * An intermediate value is  (-1)^sign * (sig + eps) * 2^e2  where sig is a
 * non-negative bigint and eps is 0 when `sticky` is false and some value in
 * (0, 1) otherwise (i.e. there are non-zero bits below sig's last bit).
 *
 * Facts this implements (checked against the host CPU by test/fpu):
 * - Precision control limits the significand to 24/53/64 bits but keeps the
 *   15-bit exponent range; a tiny result is denormalised with its rounding
 *   point fixed at 2^(-16382 - (p - 1)) (i.e. the p-bit field, not the full
 *   64-bit field).
 * - Tininess is detected after rounding (to p bits, unbounded exponent).
 * - Masked underflow flags UE only when the denormalised result is inexact.
 * - Unmasked overflow/underflow deliver the result rounded to p bits with the
 *   exponent adjusted by -/+ 24576 (register destinations).
 */

import { bitLength } from './bigint';
import { RC, type RoundingMode, SW, type X87Env } from './control';
import { F80_EXP_BIAS, type Float80, f80Inf, f80Zero, makeF80 } from './float80';

export interface Rounded {
  /** Rounded magnitude in units of 2^lsb. */
  q: bigint;
  lsb: number;
  inexact: boolean;
  /** Magnitude increased by the rounding. */
  up: boolean;
}

/** Round |value| to a multiple of 2^lsb. */
export function roundAt(
  sign: number,
  sig: bigint,
  e2: number,
  sticky: boolean,
  lsb: number,
  rc: RoundingMode,
): Rounded {
  const shift = lsb - e2;
  let q: bigint;
  let rem = 0n;
  let half = 0n;
  let halfExact = false; // whether discarded part is exactly half (before sticky)
  let above = false; // discarded part > half
  let nonzero = sticky;
  if (shift <= 0) {
    q = sig << BigInt(-shift);
  } else {
    const sh = BigInt(shift);
    q = sig >> sh;
    rem = sig - (q << sh);
    half = 1n << (sh - 1n);
    if (rem !== 0n) nonzero = true;
    if (rem > half) above = true;
    else if (rem === half) {
      if (sticky) above = true;
      else halfExact = true;
    }
  }
  let up = false;
  if (nonzero) {
    switch (rc) {
      case RC.NEAREST:
        up = above || (halfExact && (q & 1n) === 1n);
        break;
      case RC.DOWN:
        up = sign === 1;
        break;
      case RC.UP:
        up = sign === 0;
        break;
      default:
        up = false;
    }
  }
  if (up) q += 1n;
  return { q, lsb, inexact: nonzero, up };
}

export interface FormatSpec {
  /** Significand precision in bits (including the integer bit). */
  p: number;
  /** Unbiased exponent of the smallest normal. */
  emin: number;
  /** Unbiased exponent of the largest finite. */
  emax: number;
}

export const FMT_F32: FormatSpec = { p: 24, emin: -126, emax: 127 };
export const FMT_F64: FormatSpec = { p: 53, emin: -1022, emax: 1023 };
export const F80_EMIN = 1 - F80_EXP_BIAS; // -16382
export const F80_EMAX = F80_EXP_BIAS; // 16383
export const BIAS_ADJUST = 24576;

export type RoundKind = 'normal' | 'tiny' | 'overflow';

export interface RoundOutcome {
  kind: RoundKind;
  /** Rounded to p bits with unbounded exponent (used for normal and bias-adjusted results). */
  r: Rounded;
  /** Unbiased exponent of the rounded value's leading bit (unbounded). */
  e: number;
}

/** Round a non-zero magnitude to p bits with unbounded exponent and classify against [emin, emax]. */
export function roundUnbounded(
  sign: number,
  sig: bigint,
  e2: number,
  sticky: boolean,
  fmt: FormatSpec,
  rc: RoundingMode,
): RoundOutcome {
  const L = bitLength(sig);
  if (L === 0) throw new Error('roundUnbounded: zero significand');
  const E = e2 + L - 1;
  const r = roundAt(sign, sig, e2, sticky, E - fmt.p + 1, rc);
  let e = E;
  if (bitLength(r.q) > fmt.p) {
    // carry out: q == 2^p
    r.q >>= 1n;
    r.lsb += 1;
    e += 1;
  }
  const kind: RoundKind = e < fmt.emin ? 'tiny' : e > fmt.emax ? 'overflow' : 'normal';
  return { kind, r, e };
}

/** The magnitude of the largest finite number with p significant bits (in units of 2^lsb). */
function maxFinite(fmt: FormatSpec): Rounded {
  return { q: (1n << BigInt(fmt.p)) - 1n, lsb: fmt.emax - fmt.p + 1, inexact: true, up: false };
}

/** Masked overflow response: infinity or the largest finite depending on RC and sign. */
export function overflowToInf(sign: number, rc: RoundingMode): boolean {
  return rc === RC.NEAREST || (rc === RC.UP && sign === 0) || (rc === RC.DOWN && sign === 1);
}

/** Assemble an 80-bit value from a p-bit (or smaller, for denormals) rounded magnitude. */
function packRegister(sign: number, r: Rounded): Float80 {
  if (r.q === 0n) return f80Zero(sign);
  const L = bitLength(r.q);
  const e = r.lsb + L - 1;
  if (e >= F80_EMIN) {
    return makeF80(sign, e + F80_EXP_BIAS, r.q << BigInt(64 - L));
  }
  // denormal: field LSB weight is 2^(emin - 63)
  const sh = r.lsb - (F80_EMIN - 63);
  return makeF80(sign, 0, sh >= 0 ? r.q << BigInt(sh) : r.q >> BigInt(-sh));
}

/**
 * Round to the register format with precision p (24/53/64), raising PE/UE/OE and
 * setting C1.  `sig` may be 0 only when `sticky` is false (exact zero; the
 * caller passes the zero's sign).
 */
export function roundToF80(
  env: X87Env,
  sign: number,
  sig: bigint,
  e2: number,
  sticky: boolean,
  p: number,
): Float80 {
  if (sig === 0n && !sticky) {
    env.setCC(SW.C1, false);
    return f80Zero(sign);
  }
  if (sig === 0n) throw new Error('roundToF80: sticky bits without a significand');
  const rc = env.rc;
  const fmt: FormatSpec = { p, emin: F80_EMIN, emax: F80_EMAX };
  const o = roundUnbounded(sign, sig, e2, sticky, fmt, rc);
  if (o.kind === 'normal') {
    if (o.r.inexact) env.raise(SW.PE);
    env.setCC(SW.C1, o.r.up);
    return packRegister(sign, o.r);
  }
  if (o.kind === 'overflow') {
    if (!env.isMasked(SW.OE)) {
      if (o.e - BIAS_ADJUST > F80_EMAX) {
        // beyond the reach of the bias adjustment (only FSCALE gets here): infinity
        env.raise(SW.OE | SW.PE);
        env.setCC(SW.C1, true);
        return f80Inf(sign);
      }
      env.raise(SW.OE);
      if (o.r.inexact) env.raise(SW.PE);
      env.setCC(SW.C1, o.r.up);
      return makeF80(sign, o.e - BIAS_ADJUST + F80_EXP_BIAS, o.r.q << BigInt(64 - bitLength(o.r.q)));
    }
    env.raise(SW.OE | SW.PE);
    if (overflowToInf(sign, rc)) {
      env.setCC(SW.C1, true);
      return f80Inf(sign);
    }
    env.setCC(SW.C1, false);
    return packRegister(sign, maxFinite(fmt));
  }
  // tiny
  if (!env.isMasked(SW.UE)) {
    if (o.e + BIAS_ADJUST < F80_EMIN) {
      env.raise(SW.UE | SW.PE);
      env.setCC(SW.C1, false);
      return f80Zero(sign);
    }
    env.raise(SW.UE);
    if (o.r.inexact) env.raise(SW.PE);
    env.setCC(SW.C1, o.r.up);
    return makeF80(sign, o.e + BIAS_ADJUST + F80_EXP_BIAS, o.r.q << BigInt(64 - bitLength(o.r.q)));
  }
  const d = roundAt(sign, sig, e2, sticky, F80_EMIN - p + 1, rc);
  if (d.inexact) env.raise(SW.UE | SW.PE);
  env.setCC(SW.C1, d.up);
  return packRegister(sign, d);
}

/** Result of rounding into a memory format (float32/float64). */
export interface BinaryRounded {
  kind: 'zero' | 'finite' | 'inf';
  /** Biased exponent field. */
  biasedExp: number;
  /** Fraction field (without hidden bit). */
  frac: bigint;
  inexact: boolean;
  up: boolean;
  tiny: boolean;
  overflow: boolean;
}

/**
 * Round a non-zero magnitude into an IEEE binary interchange format (hidden bit)
 * with masked overflow/underflow responses.  Exceptions are reported in the
 * result, not raised (stores decide how unmasked ones behave).
 */
export function roundToBinary(
  sign: number,
  sig: bigint,
  e2: number,
  sticky: boolean,
  fmt: FormatSpec,
  rc: RoundingMode,
): BinaryRounded {
  const bias = fmt.emax;
  const fracBits = BigInt(fmt.p - 1);
  const o = roundUnbounded(sign, sig, e2, sticky, fmt, rc);
  if (o.kind === 'normal') {
    const q = o.r.q;
    return {
      kind: 'finite',
      biasedExp: o.e + bias,
      frac: q & ((1n << fracBits) - 1n),
      inexact: o.r.inexact,
      up: o.r.up,
      tiny: false,
      overflow: false,
    };
  }
  if (o.kind === 'overflow') {
    if (overflowToInf(sign, rc))
      return {
        kind: 'inf',
        biasedExp: 2 * bias + 1,
        frac: 0n,
        inexact: true,
        up: true,
        tiny: false,
        overflow: true,
      };
    return {
      kind: 'finite',
      biasedExp: 2 * bias,
      frac: (1n << fracBits) - 1n,
      inexact: true,
      up: false,
      tiny: false,
      overflow: true,
    };
  }
  const d = roundAt(sign, sig, e2, sticky, fmt.emin - fmt.p + 1, rc);
  if (d.q === 0n)
    return {
      kind: 'zero',
      biasedExp: 0,
      frac: 0n,
      inexact: d.inexact,
      up: d.up,
      tiny: true,
      overflow: false,
    };
  // d.q < 2^(p-1) is a denormal; == 2^(p-1) is the smallest normal (exp field 1, frac 0)
  const hidden = 1n << fracBits;
  if (d.q >= hidden)
    return {
      kind: 'finite',
      biasedExp: 1,
      frac: d.q - hidden,
      inexact: d.inexact,
      up: d.up,
      tiny: true,
      overflow: false,
    };
  return {
    kind: 'finite',
    biasedExp: 0,
    frac: d.q,
    inexact: d.inexact,
    up: d.up,
    tiny: true,
    overflow: false,
  };
}
