/**
 * Specialised handlers for the floating-point comparisons (COMISS/COMISD, UCOMISS/UCOMISD and
 * CMPPS/CMPPD/CMPSS/CMPSD), one for a register source and one for a memory source, chosen by the decoder.
 *
 * A comparison of operands that are neither NaN nor denormal raises no exception and does not depend on
 * MXCSR at all (rounding does not apply, DAZ changes nothing), so it is JavaScript's comparison. Anything
 * else (a NaN, which may signal invalid; a denormal, which raises DE or is flushed by DAZ) runs the general
 * handler of sse-compare.ts, before anything is written. A memory operand is read (and faults) first.
 */
import type { Cpu } from '../../cpu/cpu';
import { Flag } from '../../cpu/flags';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { cmpPD, cmpPS, cmpSD, cmpSS, comisd, comiss, ordered } from './sse-compare';
import { ordinary32, ordinary64 } from './sse-fast-fp';
import { eaAligned, read128, S } from './sse-operands';

// ------------------------------------------------------------------------------ COMIS and UCOMIS

/** Sets ZF PF CF (and clears OF SF AF) for a, b if both are ordinary; false otherwise. */
function compareFlags(c: Cpu, a: number, b: number, ordinary: boolean): boolean {
  if (!ordinary) return false;
  c.setArith(a < b ? Flag.CF : a > b ? 0 : Flag.ZF);
  return true;
}

export function comisdReg(c: Cpu, i: Insn): void {
  const x = c.xmmF64;
  const a = x[i.reg << 1];
  const b = x[i.rm << 1];
  if (!compareFlags(c, a, b, ordinary64(a) && ordinary64(b))) comisd(c, i);
}

export function comisdMem(c: Cpu, i: Insn): void {
  S.i32[0] = c.rd64(c.ea(i));
  S.i32[1] = c.hi;
  const a = c.xmmF64[i.reg << 1];
  const b = S.f64[0];
  if (!compareFlags(c, a, b, ordinary64(a) && ordinary64(b))) comisd(c, i);
}

export function comissReg(c: Cpu, i: Insn): void {
  const x = c.xmmF32;
  const a = x[i.reg << 2];
  const b = x[i.rm << 2];
  if (!compareFlags(c, a, b, ordinary32(a) && ordinary32(b))) comiss(c, i);
}

export function comissMem(c: Cpu, i: Insn): void {
  S.i32[0] = c.rd32(c.ea(i));
  const a = c.xmmF32[i.reg << 2];
  const b = S.f32[0];
  if (!compareFlags(c, a, b, ordinary32(a) && ordinary32(b))) comiss(c, i);
}

// ------------------------------------------------------------------------------------------- CMPxx

/** CMPPD on xmm[d/2] and (b0, b1): each element becomes all ones or all zeros. */
function comparePacked64(c: Cpu, i: Insn, b0: number, b1: number): boolean {
  const f = c.xmmF64;
  const d = i.reg << 1;
  const a0 = f[d];
  const a1 = f[d + 1];
  if (!(ordinary64(a0) && ordinary64(a1) && ordinary64(b0) && ordinary64(b1))) return false;
  const pred = i.imm & 7;
  const m0 = ordered(pred, a0, b0) ? -1 : 0;
  const m1 = ordered(pred, a1, b1) ? -1 : 0;
  const x = c.xmm32;
  const e = i.reg << 2;
  x[e] = m0;
  x[e + 1] = m0;
  x[e + 2] = m1;
  x[e + 3] = m1;
  return true;
}

export function cmpPDReg(c: Cpu, i: Insn): void {
  const f = c.xmmF64;
  const s = i.rm << 1;
  if (!comparePacked64(c, i, f[s], f[s + 1])) cmpPD(c, i);
}

export function cmpPDMem(c: Cpu, i: Insn): void {
  read128(c, eaAligned(c, i), S);
  if (!comparePacked64(c, i, S.f64[0], S.f64[1])) cmpPD(c, i);
}

function compareScalar64(c: Cpu, i: Insn, b: number): boolean {
  const a = c.xmmF64[i.reg << 1];
  if (!(ordinary64(a) && ordinary64(b))) return false;
  const m = ordered(i.imm & 7, a, b) ? -1 : 0;
  const x = c.xmm32;
  x[i.reg << 2] = m;
  x[(i.reg << 2) + 1] = m;
  return true;
}

export function cmpSDReg(c: Cpu, i: Insn): void {
  if (!compareScalar64(c, i, c.xmmF64[i.rm << 1])) cmpSD(c, i);
}

export function cmpSDMem(c: Cpu, i: Insn): void {
  S.i32[0] = c.rd64(c.ea(i));
  S.i32[1] = c.hi;
  if (!compareScalar64(c, i, S.f64[0])) cmpSD(c, i);
}

function comparePacked32(c: Cpu, i: Insn, src: Float32Array, s: number): boolean {
  const f = c.xmmF32;
  const d = i.reg << 2;
  const a0 = f[d];
  const a1 = f[d + 1];
  const a2 = f[d + 2];
  const a3 = f[d + 3];
  const b0 = src[s];
  const b1 = src[s + 1];
  const b2 = src[s + 2];
  const b3 = src[s + 3];
  if (
    !(
      ordinary32(a0) &&
      ordinary32(a1) &&
      ordinary32(a2) &&
      ordinary32(a3) &&
      ordinary32(b0) &&
      ordinary32(b1) &&
      ordinary32(b2) &&
      ordinary32(b3)
    )
  )
    return false;
  const pred = i.imm & 7;
  const x = c.xmm32;
  x[d] = ordered(pred, a0, b0) ? -1 : 0;
  x[d + 1] = ordered(pred, a1, b1) ? -1 : 0;
  x[d + 2] = ordered(pred, a2, b2) ? -1 : 0;
  x[d + 3] = ordered(pred, a3, b3) ? -1 : 0;
  return true;
}

export function cmpPSReg(c: Cpu, i: Insn): void {
  if (!comparePacked32(c, i, c.xmmF32, i.rm << 2)) cmpPS(c, i);
}

export function cmpPSMem(c: Cpu, i: Insn): void {
  read128(c, eaAligned(c, i), S);
  if (!comparePacked32(c, i, S.f32, 0)) cmpPS(c, i);
}

function compareScalar32(c: Cpu, i: Insn, b: number): boolean {
  const a = c.xmmF32[i.reg << 2];
  if (!(ordinary32(a) && ordinary32(b))) return false;
  c.xmm32[i.reg << 2] = ordered(i.imm & 7, a, b) ? -1 : 0;
  return true;
}

export function cmpSSReg(c: Cpu, i: Insn): void {
  if (!compareScalar32(c, i, c.xmmF32[i.rm << 2])) cmpSS(c, i);
}

export function cmpSSMem(c: Cpu, i: Insn): void {
  S.i32[0] = c.rd32(c.ea(i));
  if (!compareScalar32(c, i, S.f32[0])) cmpSS(c, i);
}

// ------------------------------------------------------------------------------ decode-time choice

export const specializeComisd = (i: Insn): Handler => (i.mod === 3 ? comisdReg : comisdMem);
export const specializeComiss = (i: Insn): Handler => (i.mod === 3 ? comissReg : comissMem);
export const specializeCmpPD = (i: Insn): Handler => (i.mod === 3 ? cmpPDReg : cmpPDMem);
export const specializeCmpSD = (i: Insn): Handler => (i.mod === 3 ? cmpSDReg : cmpSDMem);
export const specializeCmpPS = (i: Insn): Handler => (i.mod === 3 ? cmpPSReg : cmpPSMem);
export const specializeCmpSS = (i: Insn): Handler => (i.mod === 3 ? cmpSSReg : cmpSSMem);
