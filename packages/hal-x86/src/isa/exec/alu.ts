/**
 * Two-operand integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP (the eight "group 1" operations,
 * numbered as in the opcode encoding), TEST, INC, DEC, NEG, NOT.
 */
import type { Cpu } from '../../cpu/cpu';
import { FlagOp } from '../../cpu/flags';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';

export const AluOp = { ADD: 0, OR: 1, ADC: 2, SBB: 3, AND: 4, SUB: 5, XOR: 6, CMP: 7 } as const;
export const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];

/** Masks a value to an operand size of 1 or 2 bytes; 4- and 8-byte values are int32 halves already. */
export function maskTo(size: number, v: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v | 0;
}

/**
 * Computes `a op b` at `size` bytes, records the flags, and returns the low half of the result (the high
 * half, for size 8, in cpu.hi). Sizes 1 and 2 work on masked unsigned values.
 */
export function alu(c: Cpu, op: number, size: number, a: number, ah: number, b: number, bh: number): number {
  if (size < 4) {
    a &= size === 1 ? 0xff : 0xffff;
    b &= size === 1 ? 0xff : 0xffff;
  }
  let r: number;
  let rh = 0;
  switch (op) {
    case AluOp.ADD:
      if (size === 8) {
        r = (a + b) | 0;
        rh = (ah + bh + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
      } else r = maskTo(size, a + b);
      c.setLazy(FlagOp.ADD, size, r, rh, a, ah, b, bh);
      break;
    case AluOp.ADC: {
      const cin = c.cf ? 1 : 0;
      if (size === 8) {
        const s = (a >>> 0) + (b >>> 0) + cin;
        r = s | 0;
        rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) | 0;
      } else r = maskTo(size, (a >>> 0) + (b >>> 0) + cin);
      c.setLazy(FlagOp.ADC, size, r, rh, a, ah, b, bh);
      c.fcf = cin;
      break;
    }
    case AluOp.SUB:
    case AluOp.CMP:
      if (size === 8) {
        r = (a - b) | 0;
        rh = (ah - bh - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
      } else r = maskTo(size, a - b);
      c.setLazy(FlagOp.SUB, size, r, rh, a, ah, b, bh);
      break;
    case AluOp.SBB: {
      const cin = c.cf ? 1 : 0;
      if (size === 8) {
        const s = (a >>> 0) - (b >>> 0) - cin;
        r = s | 0;
        rh = (ah - bh - (s < 0 ? 1 : 0)) | 0;
      } else r = maskTo(size, (a >>> 0) - (b >>> 0) - cin);
      c.setLazy(FlagOp.SBB, size, r, rh, a, ah, b, bh);
      c.fcf = cin;
      break;
    }
    case AluOp.OR:
      r = a | b;
      rh = ah | bh;
      c.setLazy(FlagOp.LOGIC, size, r, rh, a, ah, b, bh);
      break;
    case AluOp.AND:
      r = a & b;
      rh = ah & bh;
      c.setLazy(FlagOp.LOGIC, size, r, rh, a, ah, b, bh);
      break;
    default:
      r = a ^ b;
      rh = ah ^ bh;
      c.setLazy(FlagOp.LOGIC, size, r, rh, a, ah, b, bh);
  }
  if (size !== 8) rh = 0;
  c.hi = rh;
  return r;
}

/** Applies `op` to the r/m destination with source (b, bh); CMP and TEST only set flags. */
function aluToE(c: Cpu, i: Insn, op: number, b: number, bh: number): void {
  const s = i.opsize;
  const write = op !== AluOp.CMP;
  if (i.mod === 3) {
    const r = s === 1 ? i.rm8 : i.rm;
    const a = c.getRegSized(r, s);
    const res = alu(c, op, s, a, c.hi, b, bh);
    if (write) c.setRegSized(r, s, res, c.hi);
  } else {
    const la = c.ea(i);
    if (write) c.probeWrite(la, s);
    const a = c.rdMem(la, s);
    const res = alu(c, op, s, a, c.hi, b, bh);
    if (write) c.wrMem(la, s, res, c.hi);
  }
}

/** ALU Eb,Gb / Ev,Gv */
export const aluEG: Handler = (c, i) => {
  const b = c.rdG(i, i.opsize);
  aluToE(c, i, i.sub, b, c.hi);
};

/** ALU Gb,Eb / Gv,Ev */
export const aluGE: Handler = (c, i) => {
  const s = i.opsize;
  const b = c.rdE(i, s);
  const bh = c.hi;
  const a = c.rdG(i, s);
  const res = alu(c, i.sub, s, a, c.hi, b, bh);
  if (i.sub !== AluOp.CMP) c.wrG(i, s, res, c.hi);
};

/** ALU AL,Ib / rAX,Iz */
export const aluAI: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.getRegSized(0, s);
  const res = alu(c, i.sub, s, a, c.hi, i.imm, i.immHi);
  if (i.sub !== AluOp.CMP) c.setRegSized(0, s, res, c.hi);
};

/** Group 1: ALU Eb,Ib / Ev,Iz / Ev,Is — the operation is modrm.reg. */
export const aluEI: Handler = (c, i) => {
  aluToE(c, i, i.reg & 7, i.imm, i.immHi);
};

function test(c: Cpu, s: number, a: number, ah: number, b: number, bh: number): void {
  const r = s === 1 ? a & b & 0xff : s === 2 ? a & b & 0xffff : a & b;
  c.setLazy(FlagOp.LOGIC, s, r, s === 8 ? ah & bh : 0, a, ah, b, bh);
}

/** TEST Eb,Gb / Ev,Gv */
export const testEG: Handler = (c, i) => {
  const s = i.opsize;
  const b = c.rdG(i, s);
  const bh = c.hi;
  const a = c.rdE(i, s);
  test(c, s, a, c.hi, b, bh);
};

/** TEST AL,Ib / rAX,Iz */
export const testAI: Handler = (c, i) => {
  const a = c.getRegSized(0, i.opsize);
  test(c, i.opsize, a, c.hi, i.imm, i.immHi);
};

/** TEST Eb,Ib / Ev,Iz (group 3 /0) */
export const testEI: Handler = (c, i) => {
  const a = c.rdE(i, i.opsize);
  test(c, i.opsize, a, c.hi, i.imm, i.immHi);
};

/** Read-modify-write of the r/m operand with a unary function. */
function unaryE(c: Cpu, i: Insn, f: (c: Cpu, s: number, a: number, ah: number) => number): void {
  const s = i.opsize;
  if (i.mod === 3) {
    const r = s === 1 ? i.rm8 : i.rm;
    const a = c.getRegSized(r, s);
    const res = f(c, s, a, c.hi);
    c.setRegSized(r, s, res, c.hi);
  } else {
    const la = c.ea(i);
    c.probeWrite(la, s);
    const a = c.rdMem(la, s);
    const res = f(c, s, a, c.hi);
    c.wrMem(la, s, res, c.hi);
  }
}

function incDec(c: Cpu, s: number, a: number, ah: number, dec: boolean): number {
  const carry = c.cf ? 1 : 0; // INC/DEC preserve CF
  const res = alu(c, dec ? AluOp.SUB : AluOp.ADD, s, a, ah, 1, 0);
  c.fop = dec ? FlagOp.DEC : FlagOp.INC;
  c.fcf = carry;
  return res;
}

const incF = (c: Cpu, s: number, a: number, ah: number): number => incDec(c, s, a, ah, false);
const decF = (c: Cpu, s: number, a: number, ah: number): number => incDec(c, s, a, ah, true);
const negF = (c: Cpu, s: number, a: number, ah: number): number => alu(c, AluOp.SUB, s, 0, 0, a, ah);
const notF = (c: Cpu, s: number, a: number, ah: number): number => {
  c.hi = s === 8 ? ~ah : 0;
  return maskTo(s, ~a);
};

export const incE: Handler = (c, i) => unaryE(c, i, incF);
export const decE: Handler = (c, i) => unaryE(c, i, decF);
export const negE: Handler = (c, i) => unaryE(c, i, negF);
export const notE: Handler = (c, i) => unaryE(c, i, notF);
