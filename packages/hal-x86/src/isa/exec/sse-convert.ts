/**
 * SSE/SSE2 conversions between integers, binary32 and binary64.
 *
 * Integer to float rounds per MXCSR.RC. Float to integer either truncates (the CVTT forms) or rounds per
 * RC; NaN and out-of-range values raise invalid and give the "integer indefinite" (the most negative
 * integer). Float to float: widening is exact, narrowing rounds; NaNs keep their sign and the top of their
 * payload, quieted.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import {
  convHi,
  daz32,
  daz64,
  fp,
  fpBegin,
  fpCommit,
  fromInt,
  fromInt64,
  isNaN32,
  isNaN64,
  MX_IE,
  narrow,
  QUIET32,
  QUIET64_HI,
  src32,
  src64,
  toInt,
} from './sse-fp';
import { D, loadW, loadW32, loadW64, S, storeD, T, tToD } from './sse-operands';

// ------------------------------------------------------------------------------ integer -> float

/** CVTSI2SS Vss, Ey. */
export function cvtsi2ss(c: Cpu, i: Insn): void {
  const lo = c.rdE(i, i.opsize);
  const hi = c.hi;
  fpBegin(c);
  const r = i.opsize === 8 ? fromInt64(lo, hi, true) : fromInt(lo, true);
  fpCommit(c);
  c.xmmF32[i.reg << 2] = r;
}

/** CVTSI2SD Vsd, Ey. */
export function cvtsi2sd(c: Cpu, i: Insn): void {
  const lo = c.rdE(i, i.opsize);
  const hi = c.hi;
  fpBegin(c);
  const r = i.opsize === 8 ? fromInt64(lo, hi, false) : fromInt(lo, false);
  fpCommit(c);
  c.xmmF64[i.reg << 1] = r;
}

/** CVTDQ2PS Vps, Wdq. */
export function cvtdq2ps(c: Cpu, i: Insn): void {
  loadW(c, i);
  fpBegin(c);
  for (let k = 0; k < 4; k++) D.f32[k] = fromInt(S.i32[k], true);
  fpCommit(c);
  storeD(c, i.reg);
}

/** CVTDQ2PD Vpd, Wq: exact. */
export function cvtdq2pd(c: Cpu, i: Insn): void {
  loadW64(c, i);
  const a = S.i32[0];
  const b = S.i32[1];
  D.f64[0] = a;
  D.f64[1] = b;
  storeD(c, i.reg);
}

// ------------------------------------------------------------------------------ float -> integer

function int32Of32(bits: number, x: number, truncate: boolean): number {
  if (isNaN32(bits)) {
    fp.flags |= MX_IE;
    return 0x80000000 | 0;
  }
  return toInt(daz32(x), false, truncate);
}

/** CVTSS2SI (sub 0) / CVTTSS2SI (sub 1): Gy, Wss. */
export function cvtss2si(c: Cpu, i: Insn): void {
  loadW32(c, i);
  fpBegin(c);
  const bits = S.i32[0];
  const wide = i.opsize === 8;
  let lo: number;
  let hi = 0;
  if (isNaN32(bits)) {
    fp.flags |= MX_IE;
    lo = wide ? 0 : 0x80000000 | 0;
    hi = wide ? 0x80000000 | 0 : 0;
  } else {
    lo = toInt(daz32(S.f32[0]), wide, i.sub === 1);
    hi = convHi;
  }
  fpCommit(c);
  c.setRegSized(i.reg, i.opsize, lo, hi);
}

/** CVTSD2SI (sub 0) / CVTTSD2SI (sub 1): Gy, Wsd. */
export function cvtsd2si(c: Cpu, i: Insn): void {
  loadW64(c, i);
  fpBegin(c);
  const wide = i.opsize === 8;
  let lo: number;
  let hi = 0;
  if (isNaN64(S.i32[1], S.i32[0])) {
    fp.flags |= MX_IE;
    lo = wide ? 0 : 0x80000000 | 0;
    hi = wide ? 0x80000000 | 0 : 0;
  } else {
    lo = toInt(daz64(S.f64[0]), wide, i.sub === 1);
    hi = convHi;
  }
  fpCommit(c);
  c.setRegSized(i.reg, i.opsize, lo, hi);
}

/** CVTPS2DQ (sub 0) / CVTTPS2DQ (sub 1): Vdq, Wps. */
export function cvtps2dq(c: Cpu, i: Insn): void {
  loadW(c, i);
  fpBegin(c);
  for (let k = 0; k < 4; k++) D.i32[k] = int32Of32(S.i32[k], S.f32[k], i.sub === 1);
  fpCommit(c);
  storeD(c, i.reg);
}

/** CVTPD2DQ (sub 0) / CVTTPD2DQ (sub 1): Vdq, Wpd; the upper half of the destination is zeroed. */
export function cvtpd2dq(c: Cpu, i: Insn): void {
  loadW(c, i);
  fpBegin(c);
  for (let k = 0; k < 2; k++) {
    if (isNaN64(S.i32[2 * k + 1], S.i32[2 * k])) {
      fp.flags |= MX_IE;
      D.i32[k] = 0x80000000 | 0;
    } else {
      D.i32[k] = toInt(daz64(S.f64[k]), false, i.sub === 1);
    }
  }
  D.i32[2] = 0;
  D.i32[3] = 0;
  fpCommit(c);
  storeD(c, i.reg);
}

// -------------------------------------------------------------------------------- float <-> float

/** Widens binary32 element `k` of S into binary64 element `j` of T. */
function widen(k: number, j: number): void {
  const bits = S.i32[k];
  if (isNaN32(bits)) {
    if ((bits & QUIET32) === 0) fp.flags |= MX_IE;
    T.i32[2 * j + 1] = (bits & 0x80000000) | 0x7ff00000 | (((bits | QUIET32) & 0x7fffff) >>> 3);
    T.i32[2 * j] = (bits & 7) << 29;
    return;
  }
  T.f64[j] = src32(S.f32[k]);
}

/** Narrows binary64 element `k` of S into binary32 element `j` of T. */
function narrowElem(k: number, j: number): void {
  const hi = S.i32[2 * k + 1];
  const lo = S.i32[2 * k];
  if (isNaN64(hi, lo)) {
    if ((hi & QUIET64_HI) === 0) fp.flags |= MX_IE;
    T.i32[j] = (hi & 0x80000000) | 0x7fc00000 | ((hi & 0xfffff) << 3) | (lo >>> 29);
    return;
  }
  T.f32[j] = narrow(src64(S.f64[k]));
}

/** CVTSS2SD Vsd, Wss. */
export function cvtss2sd(c: Cpu, i: Insn): void {
  loadW32(c, i);
  fpBegin(c);
  widen(0, 0);
  fpCommit(c);
  c.xmm32[i.reg << 2] = T.i32[0];
  c.xmm32[(i.reg << 2) + 1] = T.i32[1];
}

/** CVTSD2SS Vss, Wsd. */
export function cvtsd2ss(c: Cpu, i: Insn): void {
  loadW64(c, i);
  fpBegin(c);
  narrowElem(0, 0);
  fpCommit(c);
  c.xmm32[i.reg << 2] = T.i32[0];
}

/** CVTPS2PD Vpd, Wq. */
export function cvtps2pd(c: Cpu, i: Insn): void {
  loadW64(c, i);
  fpBegin(c);
  widen(0, 0);
  widen(1, 1);
  fpCommit(c);
  tToD();
  storeD(c, i.reg);
}

/** CVTPD2PS Vps, Wpd; the upper half of the destination is zeroed. */
export function cvtpd2ps(c: Cpu, i: Insn): void {
  loadW(c, i);
  fpBegin(c);
  narrowElem(0, 0);
  narrowElem(1, 1);
  T.i32[2] = 0;
  T.i32[3] = 0;
  fpCommit(c);
  tToD();
  storeD(c, i.reg);
}
