/**
 * SSE/SSE2 floating-point arithmetic: ADD SUB MUL DIV MIN MAX SQRT in their packed (ps, pd) and scalar
 * (ss, sd) forms, the bitwise AND/ANDN/OR/XOR ps/pd, and the RCP/RSQRT approximations.
 *
 * The operation is the row's `sub` (FpOp). Scalar forms change only the low element of the destination.
 * NaN operands: the first source's NaN wins, quieted (min/max instead return the second operand whenever
 * either is a NaN, and signal invalid even for quiet NaNs).
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import {
  daz32,
  daz64,
  fadd,
  fdiv,
  fmul,
  fp,
  fpBegin,
  fpCommit,
  fsqrt,
  INDEF32,
  INDEF64_HI,
  isNaN32,
  isNaN64,
  MIN32,
  MIN64,
  MX_IE,
  nan2x32,
  nan2x64,
  QUIET32,
  QUIET64_HI,
  src32,
  src64,
} from './sse-fp';
import { D, loadD, loadW, loadW32, loadW64, S, storeD, wIndex, wVector } from './sse-operands';

/** Operation codes, in the order of opcodes 0F 58..5F where they come from there. */
export const FpOp = { ADD: 0, MUL: 1, SUB: 4, MIN: 5, DIV: 6, MAX: 7, SQRT: 8 } as const;

/**
 * The operand of a square root: a negative value is invalid, which takes precedence over the denormal
 * check, unless DAZ turns it into -0 first.
 */
function sqrtSrc(x: number, min: number): number {
  if (x < 0 && (x <= -min || !fp.daz)) return x;
  return min === MIN32 ? src32(x) : src64(x);
}

function elem32(op: number, k: number): void {
  const d = D.i32;
  const bi = S.i32[k];
  if (op === FpOp.SQRT) {
    if (isNaN32(bi)) {
      if ((bi & QUIET32) === 0) fp.flags |= MX_IE;
      d[k] = bi | QUIET32;
      return;
    }
    const r = fsqrt(sqrtSrc(S.f32[k], MIN32), true);
    if (Number.isNaN(r)) d[k] = INDEF32;
    else D.f32[k] = r;
    return;
  }
  const ai = d[k];
  if (isNaN32(ai) || isNaN32(bi)) {
    if (op === FpOp.MIN || op === FpOp.MAX) {
      fp.flags |= MX_IE;
      d[k] = bi;
      if (!isNaN32(bi)) D.f32[k] = daz32(S.f32[k]);
    } else {
      d[k] = nan2x32(ai, bi);
    }
    return;
  }
  // A zero divisor makes the division by zero (or 0/0) the reported exception, not a denormal dividend.
  const b = src32(S.f32[k]);
  const a = op === FpOp.DIV && b === 0 ? daz32(D.f32[k]) : src32(D.f32[k]);
  let r: number;
  switch (op) {
    case FpOp.ADD:
      r = fadd(a, b, true);
      break;
    case FpOp.SUB:
      r = fadd(a, -b, true);
      break;
    case FpOp.MUL:
      r = fmul(a, b, true);
      break;
    case FpOp.DIV:
      r = fdiv(a, b, true);
      break;
    case FpOp.MIN:
      // The second operand unless the first is smaller (so equal values and +0 vs -0 give the second);
      // with DAZ the result is the flushed operand.
      // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.min's (equal or signed zeros give b)
      r = a < b ? a : b;
      break;
    default:
      // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.max's
      r = a > b ? a : b;
  }
  if (Number.isNaN(r)) d[k] = INDEF32;
  else D.f32[k] = r;
}

function elem64(op: number, k: number): void {
  const d = D.i32;
  const s = S.i32;
  const j = 2 * k;
  const bh = s[j + 1];
  const bl = s[j];
  if (op === FpOp.SQRT) {
    if (isNaN64(bh, bl)) {
      if ((bh & QUIET64_HI) === 0) fp.flags |= MX_IE;
      d[j] = bl;
      d[j + 1] = bh | QUIET64_HI;
      return;
    }
    const r = fsqrt(sqrtSrc(S.f64[k], MIN64), false);
    if (Number.isNaN(r)) {
      d[j] = 0;
      d[j + 1] = INDEF64_HI;
    } else {
      D.f64[k] = r;
    }
    return;
  }
  if (isNaN64(d[j + 1], d[j]) || isNaN64(bh, bl)) {
    if (op === FpOp.MIN || op === FpOp.MAX) {
      fp.flags |= MX_IE;
      d[j] = bl;
      d[j + 1] = bh;
      if (!isNaN64(bh, bl)) D.f64[k] = daz64(S.f64[k]);
    } else {
      nan2x64(d, j, s, j, d, j);
    }
    return;
  }
  const b = src64(S.f64[k]);
  const a = op === FpOp.DIV && b === 0 ? daz64(D.f64[k]) : src64(D.f64[k]);
  let r: number;
  switch (op) {
    case FpOp.ADD:
      r = fadd(a, b, false);
      break;
    case FpOp.SUB:
      r = fadd(a, -b, false);
      break;
    case FpOp.MUL:
      r = fmul(a, b, false);
      break;
    case FpOp.DIV:
      r = fdiv(a, b, false);
      break;
    case FpOp.MIN:
      // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.min's (equal or signed zeros give b)
      r = a < b ? a : b;
      break;
    default:
      // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.max's
      r = a > b ? a : b;
  }
  if (Number.isNaN(r)) {
    d[j] = 0;
    d[j + 1] = INDEF64_HI;
  } else {
    D.f64[k] = r;
  }
}

export function arithPS(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW(c, i);
  fpBegin(c);
  const op = i.sub;
  elem32(op, 0);
  elem32(op, 1);
  elem32(op, 2);
  elem32(op, 3);
  fpCommit(c);
  storeD(c, i.reg);
}

export function arithSS(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW32(c, i);
  fpBegin(c);
  elem32(i.sub, 0);
  fpCommit(c);
  storeD(c, i.reg);
}

export function arithPD(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW(c, i);
  fpBegin(c);
  elem64(i.sub, 0);
  elem64(i.sub, 1);
  fpCommit(c);
  storeD(c, i.reg);
}

export function arithSD(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW64(c, i);
  fpBegin(c);
  elem64(i.sub, 0);
  fpCommit(c);
  storeD(c, i.reg);
}

// ------------------------------------------------------------------ bitwise logic (ps and pd alike)

export const LogicOp = { AND: 0, ANDN: 1, OR: 2, XOR: 3 } as const;

/** ANDPS/ANDNPS/ORPS/XORPS and their pd twins; also PAND/PANDN/POR/PXOR (same operation on 128 bits). */
export function logic(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const d = i.reg << 2;
  if (i.mod === 3 && i.rm === i.reg && (i.sub === LogicOp.XOR || i.sub === LogicOp.ANDN)) {
    // The zeroing idiom: xorps x, x.
    x[d] = 0;
    x[d + 1] = 0;
    x[d + 2] = 0;
    x[d + 3] = 0;
    return;
  }
  const src = wVector(c, i);
  const s = wIndex(i);
  switch (i.sub) {
    case LogicOp.AND:
      for (let k = 0; k < 4; k++) x[d + k] &= src[s + k];
      break;
    case LogicOp.ANDN:
      for (let k = 0; k < 4; k++) x[d + k] = ~x[d + k] & src[s + k];
      break;
    case LogicOp.OR:
      for (let k = 0; k < 4; k++) x[d + k] |= src[s + k];
      break;
    default:
      for (let k = 0; k < 4; k++) x[d + k] ^= src[s + k];
  }
}

// --------------------------------------------------------------------- reciprocal approximations

/**
 * RCP and RSQRT return approximations whose exact bits differ between processor families (the
 * architecture only bounds the relative error by 1.5 * 2^-12). Here: the correctly rounded value
 * rounded to 12 fraction bits, with the documented special cases (denormal inputs count as zero,
 * tiny reciprocals flush to zero). They raise no exceptions.
 */
function approx(bits: number, rsqrt: boolean): number {
  if (isNaN32(bits)) return bits | QUIET32;
  const neg = bits < 0;
  const mag = bits & 0x7fffffff;
  if (mag < 0x00800000) {
    // Zero or denormal: treated as zero.
    if (rsqrt) return neg ? 0xff800000 | 0 : 0x7f800000;
    return neg ? 0xff800000 | 0 : 0x7f800000;
  }
  if (rsqrt && neg) return INDEF32;
  if (mag === 0x7f800000) return rsqrt ? 0 : bits & 0x80000000;
  fview[0] = 0;
  ibits[0] = bits;
  const x = fview[0];
  const r = Math.fround(rsqrt ? 1 / Math.sqrt(x) : 1 / x);
  fview[0] = r;
  let out = (ibits[0] + 0x400) & 0xfffff800; // 12 fraction bits, rounded
  if ((out & 0x7f800000) === 0) out &= 0x80000000; // tiny results flush to zero
  return out;
}
const fview = new Float32Array(1);
const ibits = new Int32Array(fview.buffer);

function approxOp(c: Cpu, i: Insn, count: number): void {
  loadD(c, i.reg);
  if (count === 4) loadW(c, i);
  else loadW32(c, i);
  const rs = i.sub === 1;
  for (let k = 0; k < count; k++) D.i32[k] = approx(S.i32[k], rs);
  storeD(c, i.reg);
}

export function approxPS(c: Cpu, i: Insn): void {
  approxOp(c, i, 4);
}

export function approxSS(c: Cpu, i: Insn): void {
  approxOp(c, i, 1);
}
