/**
 * SSE/SSE2 floating-point comparisons: CMPPS/CMPPD/CMPSS/CMPSD with the eight predicates of imm8[2:0]
 * (EQ LT LE UNORD NEQ NLT NLE ORD; each element becomes all ones or all zeros), and COMISS/COMISD/
 * UCOMISS/UCOMISD, which set ZF PF CF and clear OF SF AF.
 *
 * LT, LE, NLT and NLE, and COMIS, are signalling: a quiet NaN operand raises invalid. The others raise it
 * only for a signalling NaN.
 */
import type { Cpu } from '../../cpu/cpu';
import { Flag } from '../../cpu/flags';
import type { Insn } from '../insn';
import { fp, fpBegin, fpCommit, isNaN32, isNaN64, MX_IE, QUIET32, QUIET64_HI, src32, src64 } from './sse-fp';
import { D, loadD, loadW, loadW32, loadW64, S, storeD } from './sse-operands';

/** The predicate's result for an unordered pair, and whether a quiet NaN signals. */
function unordered(pred: number, snan: boolean): boolean {
  if (snan || pred === 1 || pred === 2 || pred === 5 || pred === 6) fp.flags |= MX_IE;
  return (pred & 4) !== 0 ? pred !== 7 : pred === 3;
}

/** Predicate `pred` (imm8[2:0]) on two ordered (non-NaN) operands. */
export function ordered(pred: number, a: number, b: number): boolean {
  switch (pred) {
    case 0:
      return a === b;
    case 1:
      return a < b;
    case 2:
      return a <= b;
    case 3:
      return false;
    case 4:
      return a !== b;
    case 5:
      return !(a < b);
    case 6:
      return !(a <= b);
    default:
      return true;
  }
}

function cmp32(pred: number, k: number): void {
  const ai = D.i32[k];
  const bi = S.i32[k];
  let r: boolean;
  const an = isNaN32(ai);
  const bn = isNaN32(bi);
  if (an || bn) {
    r = unordered(pred, (an && (ai & QUIET32) === 0) || (bn && (bi & QUIET32) === 0));
  } else {
    r = ordered(pred, src32(D.f32[k]), src32(S.f32[k]));
  }
  D.i32[k] = r ? -1 : 0;
}

function cmp64(pred: number, k: number): void {
  const j = 2 * k;
  const ah = D.i32[j + 1];
  const bh = S.i32[j + 1];
  let r: boolean;
  const an = isNaN64(ah, D.i32[j]);
  const bn = isNaN64(bh, S.i32[j]);
  if (an || bn) {
    r = unordered(pred, (an && (ah & QUIET64_HI) === 0) || (bn && (bh & QUIET64_HI) === 0));
  } else {
    r = ordered(pred, src64(D.f64[k]), src64(S.f64[k]));
  }
  D.i32[j] = r ? -1 : 0;
  D.i32[j + 1] = r ? -1 : 0;
}

export function cmpPS(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW(c, i);
  fpBegin(c);
  const pred = i.imm & 7;
  for (let k = 0; k < 4; k++) cmp32(pred, k);
  fpCommit(c);
  storeD(c, i.reg);
}

export function cmpSS(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW32(c, i);
  fpBegin(c);
  cmp32(i.imm & 7, 0);
  fpCommit(c);
  storeD(c, i.reg);
}

export function cmpPD(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW(c, i);
  fpBegin(c);
  const pred = i.imm & 7;
  cmp64(pred, 0);
  cmp64(pred, 1);
  fpCommit(c);
  storeD(c, i.reg);
}

export function cmpSD(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW64(c, i);
  fpBegin(c);
  cmp64(i.imm & 7, 0);
  fpCommit(c);
  storeD(c, i.reg);
}

const UNORDERED = Flag.ZF | Flag.PF | Flag.CF;

/** COMISS (sub 1) / UCOMISS (sub 0). */
export function comiss(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW32(c, i);
  fpBegin(c);
  const ai = D.i32[0];
  const bi = S.i32[0];
  const an = isNaN32(ai);
  const bn = isNaN32(bi);
  let bits: number;
  if (an || bn) {
    if (i.sub === 1 || (an && (ai & QUIET32) === 0) || (bn && (bi & QUIET32) === 0)) fp.flags |= MX_IE;
    bits = UNORDERED;
  } else {
    const a = src32(D.f32[0]);
    const b = src32(S.f32[0]);
    bits = a < b ? Flag.CF : a > b ? 0 : Flag.ZF;
  }
  fpCommit(c);
  c.setArith(bits);
}

/** COMISD (sub 1) / UCOMISD (sub 0). */
export function comisd(c: Cpu, i: Insn): void {
  loadD(c, i.reg);
  loadW64(c, i);
  fpBegin(c);
  const ah = D.i32[1];
  const bh = S.i32[1];
  const an = isNaN64(ah, D.i32[0]);
  const bn = isNaN64(bh, S.i32[0]);
  let bits: number;
  if (an || bn) {
    if (i.sub === 1 || (an && (ah & QUIET64_HI) === 0) || (bn && (bh & QUIET64_HI) === 0)) fp.flags |= MX_IE;
    bits = UNORDERED;
  } else {
    const a = src64(D.f64[0]);
    const b = src64(S.f64[0]);
    bits = a < b ? Flag.CF : a > b ? 0 : Flag.ZF;
  }
  fpCommit(c);
  c.setArith(bits);
}
