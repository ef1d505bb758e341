/**
 * Specialised handlers for the frequent conversions: CVTSI2SD/CVTSI2SS, CVTTSD2SI/CVTTSS2SI,
 * CVTSS2SD/CVTSD2SS, CVTPS2PD/CVTPD2PS, CVTDQ2PS and CVTTPS2DQ/CVTTPD2DQ, chosen by the decoder.
 *
 * They decide the common cases directly and run the general handler of sse-convert.ts (before writing
 * anything) otherwise:
 * - An exact result of an ordinary operand (not NaN, not denormal) raises nothing under any MXCSR.
 * - An inexact result raises only PE: truncating conversions are independent of the rounding control,
 *   so they need only PE masked or already set (`notePrecision`); rounding ones need the default
 *   controls (round to nearest, so JavaScript's rounding is the hardware's).
 * - NaNs, denormals, overflow, out-of-range integers and tiny results take the general path.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import {
  cvtdq2ps,
  cvtpd2dq,
  cvtpd2ps,
  cvtps2dq,
  cvtps2pd,
  cvtsd2si,
  cvtsd2ss,
  cvtsi2sd,
  cvtsi2ss,
  cvtss2sd,
  cvtss2si,
} from './sse-convert';
import { defaultControls, notePrecision, ordinary32, ordinary64 } from './sse-fast-fp';
import { MIN32 } from './sse-fp';
import { eaAligned, read128, S } from './sse-operands';

const TWO32 = 4294967296;
const TWO63 = 2 ** 63;

/** Records PE for an inexact rounding to nearest: false when the controls are not the default ones. */
function noteRounding(c: Cpu): boolean {
  return defaultControls(c.mxcsr) && notePrecision(c);
}

// ------------------------------------------------------------------------------ integer -> float

/**
 * The Ey operand of CVTSI2SS/SD as an exact number, or NaN for a 64-bit value of 2^53 or more in
 * magnitude (which may round even to binary64).
 */
function integerSource(c: Cpu, i: Insn): number {
  const lo = c.rdE(i, i.opsize);
  if (i.opsize !== 8) return lo;
  const hi = c.hi;
  return hi >= -0x200000 && hi < 0x200000 ? hi * TWO32 + (lo >>> 0) : Number.NaN;
}

/** CVTSI2SD Vsd, Ey: every integer below 2^53 is a binary64, so the conversion is exact. */
export function cvtsi2sdFast(c: Cpu, i: Insn): void {
  const v = integerSource(c, i);
  if (!Number.isNaN(v)) c.xmmF64[i.reg << 1] = v;
  else cvtsi2sd(c, i);
}

/** CVTSI2SS Vss, Ey: an integer below 2^53 is an exact double, so Math.fround rounds it once, correctly. */
export function cvtsi2ssFast(c: Cpu, i: Insn): void {
  const v = integerSource(c, i);
  const f = Math.fround(v);
  if (!Number.isNaN(v) && (f === v || noteRounding(c))) c.xmmF32[i.reg << 2] = f;
  else cvtsi2ss(c, i);
}

/** CVTDQ2PS Vps, Wdq. */
export function cvtdq2psFast(c: Cpu, i: Insn): void {
  let src: Int32Array;
  let s: number;
  if (i.mod === 3) {
    src = c.xmm32;
    s = i.rm << 2;
  } else {
    read128(c, eaAligned(c, i), S);
    src = S.i32;
    s = 0;
  }
  const v0 = src[s];
  const v1 = src[s + 1];
  const v2 = src[s + 2];
  const v3 = src[s + 3];
  const f0 = Math.fround(v0);
  const f1 = Math.fround(v1);
  const f2 = Math.fround(v2);
  const f3 = Math.fround(v3);
  if ((f0 !== v0 || f1 !== v1 || f2 !== v2 || f3 !== v3) && !noteRounding(c)) {
    cvtdq2ps(c, i);
    return;
  }
  const x = c.xmmF32;
  const d = i.reg << 2;
  x[d] = f0;
  x[d + 1] = f1;
  x[d + 2] = f2;
  x[d + 3] = f3;
}

// ------------------------------------------------------------------------------ float -> integer

/**
 * The integer that truncating x gives, if x is ordinary and the integer fits in `wide` ? 64 : 32 bits;
 * NaN otherwise. The result is inexact (PE) when it differs from x.
 *
 * Callers decide every element before recording PE: if one then needs the general path, PE must not have
 * been set already, since an unmasked invalid operation reports only itself.
 */
function truncated(x: number, ordinary: boolean, wide: boolean): number {
  if (!ordinary) return Number.NaN;
  const v = Math.trunc(x);
  if (wide ? !(v >= -TWO63 && v < TWO63) : !(v >= -2147483648 && v <= 2147483647)) return Number.NaN;
  return v;
}

/** Writes an integer-valued v to Gy (zero-extending a 32-bit result). */
function setIntegerReg(c: Cpu, i: Insn, v: number): void {
  if (i.opsize !== 8) {
    c.setRegSized(i.reg, 4, v | 0, 0);
    return;
  }
  const h = Math.floor(v / TWO32);
  c.setRegSized(i.reg, 8, (v - h * TWO32) | 0, h | 0);
}

/** CVTTSD2SI Gy, Wsd. */
export function cvttsd2siFast(c: Cpu, i: Insn): void {
  let x: number;
  if (i.mod === 3) {
    x = c.xmmF64[i.rm << 1];
  } else {
    S.i32[0] = c.rd64(c.ea(i));
    S.i32[1] = c.hi;
    x = S.f64[0];
  }
  const v = truncated(x, ordinary64(x), i.opsize === 8);
  if (!Number.isNaN(v) && (v === x || notePrecision(c))) setIntegerReg(c, i, v);
  else cvtsd2si(c, i);
}

/** CVTTSS2SI Gy, Wss. */
export function cvttss2siFast(c: Cpu, i: Insn): void {
  let x: number;
  if (i.mod === 3) {
    x = c.xmmF32[i.rm << 2];
  } else {
    S.i32[0] = c.rd32(c.ea(i));
    x = S.f32[0];
  }
  const v = truncated(x, ordinary32(x), i.opsize === 8);
  if (!Number.isNaN(v) && (v === x || notePrecision(c))) setIntegerReg(c, i, v);
  else cvtss2si(c, i);
}

/** CVTTPS2DQ Vdq, Wps. */
export function cvttps2dqFast(c: Cpu, i: Insn): void {
  let src: Float32Array;
  let s: number;
  if (i.mod === 3) {
    src = c.xmmF32;
    s = i.rm << 2;
  } else {
    read128(c, eaAligned(c, i), S);
    src = S.f32;
    s = 0;
  }
  const x0 = src[s];
  const x1 = src[s + 1];
  const x2 = src[s + 2];
  const x3 = src[s + 3];
  const v0 = truncated(x0, ordinary32(x0), false);
  const v1 = truncated(x1, ordinary32(x1), false);
  const v2 = truncated(x2, ordinary32(x2), false);
  const v3 = truncated(x3, ordinary32(x3), false);
  if (
    Number.isNaN(v0) ||
    Number.isNaN(v1) ||
    Number.isNaN(v2) ||
    Number.isNaN(v3) ||
    ((v0 !== x0 || v1 !== x1 || v2 !== x2 || v3 !== x3) && !notePrecision(c))
  ) {
    cvtps2dq(c, i);
    return;
  }
  const x = c.xmm32;
  const d = i.reg << 2;
  x[d] = v0;
  x[d + 1] = v1;
  x[d + 2] = v2;
  x[d + 3] = v3;
}

/** CVTTPD2DQ Vdq, Wpd: the upper half of the destination is zeroed. */
export function cvttpd2dqFast(c: Cpu, i: Insn): void {
  let x0: number;
  let x1: number;
  if (i.mod === 3) {
    x0 = c.xmmF64[i.rm << 1];
    x1 = c.xmmF64[(i.rm << 1) + 1];
  } else {
    read128(c, eaAligned(c, i), S);
    x0 = S.f64[0];
    x1 = S.f64[1];
  }
  const v0 = truncated(x0, ordinary64(x0), false);
  const v1 = truncated(x1, ordinary64(x1), false);
  if (Number.isNaN(v0) || Number.isNaN(v1) || ((v0 !== x0 || v1 !== x1) && !notePrecision(c))) {
    cvtpd2dq(c, i);
    return;
  }
  const x = c.xmm32;
  const d = i.reg << 2;
  x[d] = v0;
  x[d + 1] = v1;
  x[d + 2] = 0;
  x[d + 3] = 0;
}

// -------------------------------------------------------------------------------- float <-> float

/** CVTSS2SD Vsd, Wss: widening an ordinary value is exact. */
export function cvtss2sdFast(c: Cpu, i: Insn): void {
  let x: number;
  if (i.mod === 3) {
    x = c.xmmF32[i.rm << 2];
  } else {
    S.i32[0] = c.rd32(c.ea(i));
    x = S.f32[0];
  }
  if (ordinary32(x)) c.xmmF64[i.reg << 1] = x;
  else cvtss2sd(c, i);
}

/** CVTPS2PD Vpd, Wq. */
export function cvtps2pdFast(c: Cpu, i: Insn): void {
  let x0: number;
  let x1: number;
  if (i.mod === 3) {
    x0 = c.xmmF32[i.rm << 2];
    x1 = c.xmmF32[(i.rm << 2) + 1];
  } else {
    S.i32[0] = c.rd64(c.ea(i));
    S.i32[1] = c.hi;
    x0 = S.f32[0];
    x1 = S.f32[1];
  }
  if (!(ordinary32(x0) && ordinary32(x1))) {
    cvtps2pd(c, i);
    return;
  }
  const d = i.reg << 1;
  c.xmmF64[d] = x0;
  c.xmmF64[d + 1] = x1;
}

/**
 * x (binary64) rounded to nearest binary32, or NaN when that may raise more than PE: NaN, denormal and
 * tiny values (which may underflow), overflow. The result is exact when it equals x (infinities
 * included); otherwise it is right only under the default controls, and raises PE.
 */
function narrowed(x: number): number {
  if (!(x === 0 || x >= MIN32 || x <= -MIN32)) return Number.NaN;
  const f = Math.fround(x);
  return f === x || f - f === 0 ? f : Number.NaN;
}

/** CVTSD2SS Vss, Wsd. */
export function cvtsd2ssFast(c: Cpu, i: Insn): void {
  let x: number;
  if (i.mod === 3) {
    x = c.xmmF64[i.rm << 1];
  } else {
    S.i32[0] = c.rd64(c.ea(i));
    S.i32[1] = c.hi;
    x = S.f64[0];
  }
  const f = narrowed(x);
  if (!Number.isNaN(f) && (f === x || noteRounding(c))) c.xmmF32[i.reg << 2] = f;
  else cvtsd2ss(c, i);
}

/** CVTPD2PS Vps, Wpd: the upper half of the destination is zeroed. */
export function cvtpd2psFast(c: Cpu, i: Insn): void {
  let x0: number;
  let x1: number;
  if (i.mod === 3) {
    x0 = c.xmmF64[i.rm << 1];
    x1 = c.xmmF64[(i.rm << 1) + 1];
  } else {
    read128(c, eaAligned(c, i), S);
    x0 = S.f64[0];
    x1 = S.f64[1];
  }
  const f0 = narrowed(x0);
  const f1 = narrowed(x1);
  if (Number.isNaN(f0) || Number.isNaN(f1) || ((f0 !== x0 || f1 !== x1) && !noteRounding(c))) {
    cvtpd2ps(c, i);
    return;
  }
  const d = i.reg << 2;
  c.xmmF32[d] = f0;
  c.xmmF32[d + 1] = f1;
  c.xmm32[d + 2] = 0;
  c.xmm32[d + 3] = 0;
}

// ------------------------------------------------------------------------------ decode-time choice

/** Only the truncating forms (sub 1) of CVTSD2SI/CVTSS2SI, CVTPS2DQ and CVTPD2DQ are specialised. */
export function specializeCvttsd2si(i: Insn): Handler | undefined {
  return i.sub === 1 ? cvttsd2siFast : undefined;
}
export function specializeCvttss2si(i: Insn): Handler | undefined {
  return i.sub === 1 ? cvttss2siFast : undefined;
}
export function specializeCvttps2dq(i: Insn): Handler | undefined {
  return i.sub === 1 ? cvttps2dqFast : undefined;
}
export function specializeCvttpd2dq(i: Insn): Handler | undefined {
  return i.sub === 1 ? cvttpd2dqFast : undefined;
}
