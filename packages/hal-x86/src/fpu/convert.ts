/**
 * x87 format conversions: FLD m32/m64 (fromFloat32/fromFloat64), FST/FSTP
 * m32/m64 (toFloat32/toFloat64), FILD (fromInt), FIST/FISTP/FISTTP (toInt),
 * FBLD/FBSTP (packed BCD).  FLD/FSTP m80 copy the 10-byte image (no exceptions).
 *
 * Behaviour verified against the host CPU (test/fpu):
 * - Loads: an SNaN raises #IA (quieted when masked; nothing is loaded when
 *   unmasked); a denormal raises #D but is loaded even when #D is unmasked.
 * - Float stores round per RC only (PC is ignored), never raise #D; masked
 *   underflow flags UE only when inexact; unmasked overflow/underflow raise
 *   OE/UE alone and store nothing (env.suppressed).
 * - Integer stores never raise #D; NaN, infinity, unsupported or out-of-range
 *   values raise #IA and store the integer indefinite (masked) or nothing.
 *
 * Integers are exchanged as signed bigints; float memory images as bigint (64)
 * or number (32) bit patterns.
 */

import { packExact } from './arith';
import { RC, type RoundingMode, SW, X87Env } from './control';
import {
  F80_EXP_BIAS,
  F80_EXP_MAX,
  F80_INT_BIT,
  type Float80,
  f80Exact,
  f80Inf,
  f80Zero,
  isInf80,
  isNaN80,
  isSNaN80,
  isUnsupported,
  isZero80,
  makeF80,
} from './float80';
import { FMT_F32, FMT_F64, type FormatSpec, roundAt, roundToBinary } from './round';

interface BinFormat extends FormatSpec {
  expBits: number;
  fracBits: number;
}
const F32: BinFormat = { ...FMT_F32, expBits: 8, fracBits: 23 };
const F64: BinFormat = { ...FMT_F64, expBits: 11, fracBits: 52 };

/** Widen a binary32/binary64 bit pattern exactly (no exceptions). */
function widen(bits: bigint, f: BinFormat): { value: Float80; snan: boolean; denormal: boolean } {
  const fb = BigInt(f.fracBits);
  const sign = Number((bits >> (fb + BigInt(f.expBits))) & 1n);
  const e = Number((bits >> fb) & ((1n << BigInt(f.expBits)) - 1n));
  const frac = bits & ((1n << fb) - 1n);
  const emaxField = (1 << f.expBits) - 1;
  if (e === emaxField) {
    if (frac === 0n) return { value: f80Inf(sign), snan: false, denormal: false };
    const sig = F80_INT_BIT | (frac << BigInt(63 - f.fracBits));
    const snan = frac >> (fb - 1n) === 0n;
    return { value: makeF80(sign, F80_EXP_MAX, sig), snan, denormal: false };
  }
  if (e === 0) {
    if (frac === 0n) return { value: f80Zero(sign), snan: false, denormal: false };
    return { value: packExact(sign, frac, f.emin - f.fracBits), snan: false, denormal: true };
  }
  return {
    value: makeF80(sign, e - f.emax + F80_EXP_BIAS, F80_INT_BIT | (frac << BigInt(63 - f.fracBits))),
    snan: false,
    denormal: false,
  };
}

/** A float32/float64 operand of an arithmetic or compare instruction, widened without exceptions. */
export interface MemOperand {
  /** The exact 80-bit value; an SNaN stays signalling so the operation raises #IA. */
  value: Float80;
  /** The operand was a denormal in its memory format: the operation raises #D. */
  denormal: boolean;
}

/** Memory operand of FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR/FCOM/FCOMP/FUCOM... m64fp. */
export function widenFloat64(bits: bigint): MemOperand {
  const w = widen(BigInt.asUintN(64, bits), F64);
  return { value: w.value, denormal: w.denormal };
}

/** Memory operand of the m32fp forms. */
export function widenFloat32(bits: number): MemOperand {
  const w = widen(BigInt(bits >>> 0), F32);
  return { value: w.value, denormal: w.denormal };
}

function loadFloat(env: X87Env, bits: bigint, f: BinFormat): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  const w = widen(bits, f);
  if (w.snan) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return makeF80(w.value.sign, w.value.exp, w.value.sig | (1n << 62n));
  }
  if (w.denormal) env.raise(SW.DE); // loaded even when unmasked
  return w.value;
}

/** FLD m64 (bit pattern as bigint). */
export function fromFloat64(env: X87Env, bits: bigint): Float80 {
  return loadFloat(env, BigInt.asUintN(64, bits), F64);
}

/** FLD m32 (bit pattern as number). */
export function fromFloat32(env: X87Env, bits: number): Float80 {
  return loadFloat(env, BigInt(bits >>> 0), F32);
}

/** Exact conversion of a JS number (no exceptions; SNaN patterns are kept as SNaN). */
export function f80FromNumber(x: number): Float80 {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return widen(dv.getBigUint64(0, true), F64).value;
}

function storeFloat(env: X87Env, v: Float80, f: BinFormat): bigint {
  env.begin();
  env.setCC(SW.C1, false);
  const signShift = BigInt(f.expBits + f.fracBits);
  const fb = BigInt(f.fracBits);
  const expAll = (1n << BigInt(f.expBits)) - 1n;
  const signBit = BigInt(v.sign) << signShift;
  const indefinite = (1n << signShift) | (expAll << fb) | (1n << (fb - 1n));
  if (isUnsupported(v)) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return indefinite;
  }
  if (isNaN80(v)) {
    if (isSNaN80(v) && !env.raise(SW.IE)) env.suppressed = true;
    const frac = ((v.sig >> BigInt(63 - f.fracBits)) & ((1n << fb) - 1n)) | (1n << (fb - 1n));
    return signBit | (expAll << fb) | frac;
  }
  if (isInf80(v)) return signBit | (expAll << fb);
  if (isZero80(v)) return signBit;
  const { sig, e2 } = f80Exact(v);
  const r = roundToBinary(v.sign, sig, e2, false, f, env.rc);
  if (r.overflow) {
    if (!env.raise(SW.OE)) {
      env.suppressed = true;
      return 0n;
    }
    env.raise(SW.PE);
  } else if (r.tiny) {
    if (!env.isMasked(SW.UE)) {
      env.raise(SW.UE);
      env.suppressed = true;
      return 0n;
    }
    if (r.inexact) env.raise(SW.UE | SW.PE);
  } else if (r.inexact) env.raise(SW.PE);
  env.setCC(SW.C1, r.up);
  if (r.kind === 'zero') return signBit;
  if (r.kind === 'inf') return signBit | (expAll << fb);
  return signBit | (BigInt(r.biasedExp) << fb) | r.frac;
}

/** FST/FSTP m64: returns the bit pattern (not to be written when env.suppressed). */
export function toFloat64(env: X87Env, v: Float80): bigint {
  return storeFloat(env, v, F64);
}

/** FST/FSTP m32: returns the bit pattern (not to be written when env.suppressed). */
export function toFloat32(env: X87Env, v: Float80): number {
  return Number(storeFloat(env, v, F32));
}

/** Convert to a JS number exactly as FST m64 would with all exceptions masked (no env needed). */
export function f80ToFloat64Number(v: Float80, rc: RoundingMode = RC.NEAREST): number {
  const env = new X87Env(0x037f | (rc << 10));
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, toFloat64(env, v), true);
  return dv.getFloat64(0, true);
}

/** FILD m16/m32/m64: exact. */
export function fromInt(env: X87Env, n: bigint): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  if (n === 0n) return f80Zero(0);
  const sign = n < 0n ? 1 : 0;
  return packExact(sign, sign ? -n : n, 0);
}

export type IntWidth = 16 | 32 | 64;

/** Round a finite value to an integer (bigint) with the given RC; reports inexact/up. */
function roundToInteger(v: Float80, rc: RoundingMode): { n: bigint; inexact: boolean; up: boolean } {
  if (isZero80(v)) return { n: 0n, inexact: false, up: false };
  const { sig, e2 } = f80Exact(v);
  if (e2 >= 0) {
    // guard against absurd shifts: anything this large is out of range anyway
    const m = e2 > 200 ? 1n << 200n : sig << BigInt(e2);
    return { n: v.sign ? -m : m, inexact: false, up: false };
  }
  const r = roundAt(v.sign, sig, e2, false, 0, rc);
  return { n: v.sign ? -r.q : r.q, inexact: r.inexact, up: r.up };
}

/**
 * FIST/FISTP (truncate=false, rounding per RC) and FISTTP (truncate=true).
 * Returns the signed integer to store; integer indefinite (-2^(w-1)) on #IA.
 */
export function toInt(env: X87Env, v: Float80, width: IntWidth, truncate = false): bigint {
  env.begin();
  env.setCC(SW.C1, false);
  const indefinite = -(1n << BigInt(width - 1));
  if (isUnsupported(v) || isNaN80(v) || isInf80(v)) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return indefinite;
  }
  const r = roundToInteger(v, truncate ? RC.ZERO : env.rc);
  const lim = 1n << BigInt(width - 1);
  if (r.n >= lim || r.n < -lim) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return indefinite;
  }
  if (r.inexact) env.raise(SW.PE);
  env.setCC(SW.C1, r.up);
  return r.n;
}

/** Two's-complement bit pattern of an integer of the given width (for writing memory). */
export function intBits(n: bigint, width: IntWidth): bigint {
  return BigInt.asUintN(width, n);
}

/** Signed value of a little-endian integer memory image bit pattern. */
export function intFromBits(bits: bigint, width: IntWidth): bigint {
  return BigInt.asIntN(width, bits);
}

/** The packed-BCD indefinite stored by a masked invalid FBSTP. */
export const BCD_INDEFINITE = 0xffffc000000000000000n;

/** FBLD: 80-bit packed BCD (bit pattern as bigint; 18 digits, sign in bit 79). Exact. */
export function fromBCD(env: X87Env, bcd: bigint): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  let n = 0n;
  for (let i = 17; i >= 0; i--) {
    const d = (bcd >> BigInt(4 * i)) & 0xfn;
    n = n * 10n + d; // invalid digits (A-F) are undefined on hardware; weighted like the 387 here
  }
  const sign = Number((bcd >> 79n) & 1n);
  if (n === 0n) return f80Zero(sign);
  return packExact(sign, n, 0);
}

/** FBSTP: round per RC to an integer and encode as packed BCD (sign kept for zero). */
export function toBCD(env: X87Env, v: Float80): bigint {
  env.begin();
  env.setCC(SW.C1, false);
  if (isUnsupported(v) || isNaN80(v) || isInf80(v)) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return BCD_INDEFINITE;
  }
  const r = roundToInteger(v, env.rc);
  const mag = r.n < 0n ? -r.n : r.n;
  if (mag > 999999999999999999n) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return BCD_INDEFINITE;
  }
  if (r.inexact) env.raise(SW.PE);
  env.setCC(SW.C1, r.up);
  let out = 0n;
  let m = mag;
  for (let i = 0; i < 18; i++) {
    out |= (m % 10n) << BigInt(4 * i);
    m /= 10n;
  }
  return out | (BigInt(v.sign) << 79n);
}
