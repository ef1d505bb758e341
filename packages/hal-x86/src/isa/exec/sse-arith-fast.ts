/**
 * Specialised handlers for ADD SUB MUL DIV MIN MAX SQRT in their ps, pd, ss and sd forms: one for a
 * register source and one for a memory source, chosen by the decoder through the `specialize` hook of the
 * opcode table. They read and write the xmm registers through the CPU's float views and compute with the
 * default-controls shortcuts of sse-fast-fp.ts. Whatever those cannot decide (other MXCSR controls, NaNs,
 * denormals, overflow, underflow, an undecidable PE) runs the general handler of sse-arith.ts from the
 * start; that is exact because nothing has been written by then. A memory operand is read (and faults)
 * before anything else, as in the general handler.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { arithPD, arithPS, arithSD, arithSS, FpOp } from './sse-arith';
import {
  add32,
  add64,
  defaultControls,
  div32,
  div64,
  EXACT,
  INEXACT,
  inexactProduct32,
  inexactProduct64,
  inexactQuotient32,
  inexactQuotient64,
  inexactRoot32,
  inexactRoot64,
  inexactSum32,
  inexactSum64,
  max32,
  max64,
  min32,
  min64,
  mul32,
  mul64,
  sqrt32,
  sqrt64,
  UNKNOWN,
} from './sse-fast-fp';
import { MX_PE } from './sse-fp';
import { eaAligned, read128, S } from './sse-operands';

/**
 * Results of a packed operation, kept until every element is decided: nothing is written before then.
 * (The element loops below have one call per operation, which keeps the handlers small enough for the
 * compiler to inline the operations.)
 */
const results = new Float64Array(4);

// ---------------------------------------------------------------------------------- packed double

/**
 * Elements d, d + 1 of the binary64 register view op src[s], src[s + 1], if the shortcuts decide them;
 * false when the general path must run. (The other forms below follow the same pattern.)
 */
function packedDouble(c: Cpu, op: number, d: number, src: Float64Array, s: number): boolean {
  const m = c.mxcsr;
  if (!defaultControls(m)) return false;
  const x = c.xmmF64;
  const pe = (m & MX_PE) !== 0;
  let e = EXACT;
  switch (op) {
    case FpOp.ADD:
      for (let k = 0; k < 2; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = add64(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactSum64(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.SUB:
      for (let k = 0; k < 2; k++) {
        const a = x[d + k];
        const b = -src[s + k];
        const r = add64(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactSum64(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.MUL:
      for (let k = 0; k < 2; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = mul64(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactProduct64(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.DIV:
      for (let k = 0; k < 2; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = div64(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactQuotient64(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.SQRT:
      for (let k = 0; k < 2; k++) {
        const b = src[s + k];
        const r = sqrt64(b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactRoot64(b, r);
        results[k] = r;
      }
      break;
    case FpOp.MIN:
      for (let k = 0; k < 2; k++) {
        const r = min64(x[d + k], src[s + k]);
        if (Number.isNaN(r)) return false;
        results[k] = r;
      }
      break;
    default:
      for (let k = 0; k < 2; k++) {
        const r = max64(x[d + k], src[s + k]);
        if (Number.isNaN(r)) return false;
        results[k] = r;
      }
  }
  if (e >= UNKNOWN) return false;
  if (e === INEXACT) c.mxcsr = m | MX_PE;
  x[d] = results[0];
  x[d + 1] = results[1];
  return true;
}

export function arithPDReg(c: Cpu, i: Insn): void {
  if (!packedDouble(c, i.sub, i.reg << 1, c.xmmF64, i.rm << 1)) arithPD(c, i);
}

export function arithPDMem(c: Cpu, i: Insn): void {
  read128(c, eaAligned(c, i), S);
  if (!packedDouble(c, i.sub, i.reg << 1, S.f64, 0)) arithPD(c, i);
}

// ---------------------------------------------------------------------------------- scalar double

function scalarDouble(c: Cpu, op: number, d: number, b: number): boolean {
  const m = c.mxcsr;
  if (!defaultControls(m)) return false;
  const x = c.xmmF64;
  const a = x[d];
  const pe = (m & MX_PE) !== 0;
  let r: number;
  let e = EXACT;
  switch (op) {
    case FpOp.ADD:
      r = add64(a, b);
      if (!pe) e = inexactSum64(a, b, r);
      break;
    case FpOp.SUB:
      r = add64(a, -b);
      if (!pe) e = inexactSum64(a, -b, r);
      break;
    case FpOp.MUL:
      r = mul64(a, b);
      if (!pe) e = inexactProduct64(a, b, r);
      break;
    case FpOp.DIV:
      r = div64(a, b);
      if (!pe) e = inexactQuotient64(a, b, r);
      break;
    case FpOp.SQRT:
      r = sqrt64(b);
      if (!pe) e = inexactRoot64(b, r);
      break;
    case FpOp.MIN:
      r = min64(a, b);
      break;
    default:
      r = max64(a, b);
  }
  if (Number.isNaN(r) || e >= UNKNOWN) return false;
  if (e === INEXACT) c.mxcsr = m | MX_PE;
  x[d] = r;
  return true;
}

export function arithSDReg(c: Cpu, i: Insn): void {
  if (!scalarDouble(c, i.sub, i.reg << 1, c.xmmF64[i.rm << 1])) arithSD(c, i);
}

export function arithSDMem(c: Cpu, i: Insn): void {
  const s = S.i32;
  s[0] = c.rd64(c.ea(i));
  s[1] = c.hi;
  if (!scalarDouble(c, i.sub, i.reg << 1, S.f64[0])) arithSD(c, i);
}

// ---------------------------------------------------------------------------------- packed single

function packedSingle(c: Cpu, op: number, d: number, src: Float32Array, s: number): boolean {
  const m = c.mxcsr;
  if (!defaultControls(m)) return false;
  const x = c.xmmF32;
  const pe = (m & MX_PE) !== 0;
  let e = EXACT;
  switch (op) {
    case FpOp.ADD:
      for (let k = 0; k < 4; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = add32(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactSum32(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.SUB:
      for (let k = 0; k < 4; k++) {
        const a = x[d + k];
        const b = -src[s + k];
        const r = add32(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactSum32(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.MUL:
      for (let k = 0; k < 4; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = mul32(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactProduct32(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.DIV:
      for (let k = 0; k < 4; k++) {
        const a = x[d + k];
        const b = src[s + k];
        const r = div32(a, b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactQuotient32(a, b, r);
        results[k] = r;
      }
      break;
    case FpOp.SQRT:
      for (let k = 0; k < 4; k++) {
        const b = src[s + k];
        const r = sqrt32(b);
        if (Number.isNaN(r)) return false;
        if (!pe) e |= inexactRoot32(b, r);
        results[k] = r;
      }
      break;
    case FpOp.MIN:
      for (let k = 0; k < 4; k++) {
        const r = min32(x[d + k], src[s + k]);
        if (Number.isNaN(r)) return false;
        results[k] = r;
      }
      break;
    default:
      for (let k = 0; k < 4; k++) {
        const r = max32(x[d + k], src[s + k]);
        if (Number.isNaN(r)) return false;
        results[k] = r;
      }
  }
  if (e === INEXACT) c.mxcsr = m | MX_PE;
  x[d] = results[0];
  x[d + 1] = results[1];
  x[d + 2] = results[2];
  x[d + 3] = results[3];
  return true;
}

export function arithPSReg(c: Cpu, i: Insn): void {
  if (!packedSingle(c, i.sub, i.reg << 2, c.xmmF32, i.rm << 2)) arithPS(c, i);
}

export function arithPSMem(c: Cpu, i: Insn): void {
  read128(c, eaAligned(c, i), S);
  if (!packedSingle(c, i.sub, i.reg << 2, S.f32, 0)) arithPS(c, i);
}

// ---------------------------------------------------------------------------------- scalar single

function scalarSingle(c: Cpu, op: number, d: number, b: number): boolean {
  const m = c.mxcsr;
  if (!defaultControls(m)) return false;
  const x = c.xmmF32;
  const a = x[d];
  const pe = (m & MX_PE) !== 0;
  let r: number;
  let e = EXACT;
  switch (op) {
    case FpOp.ADD:
      r = add32(a, b);
      if (!pe) e = inexactSum32(a, b, r);
      break;
    case FpOp.SUB:
      r = add32(a, -b);
      if (!pe) e = inexactSum32(a, -b, r);
      break;
    case FpOp.MUL:
      r = mul32(a, b);
      if (!pe) e = inexactProduct32(a, b, r);
      break;
    case FpOp.DIV:
      r = div32(a, b);
      if (!pe) e = inexactQuotient32(a, b, r);
      break;
    case FpOp.SQRT:
      r = sqrt32(b);
      if (!pe) e = inexactRoot32(b, r);
      break;
    case FpOp.MIN:
      r = min32(a, b);
      break;
    default:
      r = max32(a, b);
  }
  if (Number.isNaN(r)) return false;
  if (e === INEXACT) c.mxcsr = m | MX_PE;
  x[d] = r;
  return true;
}

export function arithSSReg(c: Cpu, i: Insn): void {
  if (!scalarSingle(c, i.sub, i.reg << 2, c.xmmF32[i.rm << 2])) arithSS(c, i);
}

export function arithSSMem(c: Cpu, i: Insn): void {
  S.i32[0] = c.rd32(c.ea(i));
  if (!scalarSingle(c, i.sub, i.reg << 2, S.f32[0])) arithSS(c, i);
}

// ------------------------------------------------------------------------------ decode-time choice

export const specializePS = (i: Insn): Handler => (i.mod === 3 ? arithPSReg : arithPSMem);
export const specializePD = (i: Insn): Handler => (i.mod === 3 ? arithPDReg : arithPDMem);
export const specializeSS = (i: Insn): Handler => (i.mod === 3 ? arithSSReg : arithSSMem);
export const specializeSD = (i: Insn): Handler => (i.mod === 3 ? arithSDReg : arithSDMem);
