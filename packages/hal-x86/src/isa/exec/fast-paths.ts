/**
 * Specialised handlers for the most frequent instruction forms (register-register and register-memory moves
 * and ALU operations at 32 and 64 bits, register push/pop). The decoder picks one of these instead of the
 * generic handler when an instruction matches, which avoids the size and operand-kind dispatch of the
 * generic path. Each must behave exactly like the generic handler it replaces; the differential tests run
 * both paths.
 */
import { FlagOp } from '../../cpu/flags';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { AluOp } from './alu';

export const movRR64: Handler = (c, i) => {
  const g = c.regs;
  g[2 * i.rm] = g[2 * i.reg] as number;
  g[2 * i.rm + 1] = g[2 * i.reg + 1] as number;
};
export const movRR32: Handler = (c, i) => {
  const g = c.regs;
  g[2 * i.rm] = g[2 * i.reg] as number;
  g[2 * i.rm + 1] = 0;
};
/** MOV Gv,Ev register form: the operands are the other way round. */
export const movRR64Rev: Handler = (c, i) => {
  const g = c.regs;
  g[2 * i.reg] = g[2 * i.rm] as number;
  g[2 * i.reg + 1] = g[2 * i.rm + 1] as number;
};
export const movRR32Rev: Handler = (c, i) => {
  const g = c.regs;
  g[2 * i.reg] = g[2 * i.rm] as number;
  g[2 * i.reg + 1] = 0;
};
export const load64: Handler = (c, i) => {
  const lo = c.rd64(c.ea(i));
  const g = c.regs;
  g[2 * i.reg] = lo;
  g[2 * i.reg + 1] = c.hi;
};
export const load32: Handler = (c, i) => {
  const v = c.rd32(c.ea(i));
  const g = c.regs;
  g[2 * i.reg] = v;
  g[2 * i.reg + 1] = 0;
};
export const store64: Handler = (c, i) => {
  const g = c.regs;
  c.wr64(c.ea(i), g[2 * i.reg] as number, g[2 * i.reg + 1] as number);
};
export const store32: Handler = (c, i) => {
  c.wr32(c.ea(i), c.regs[2 * i.reg] as number);
};

export const push64: Handler = (c, i) => {
  const g = c.regs;
  c.push64(g[2 * i.reg] as number, g[2 * i.reg + 1] as number);
};
export const pop64: Handler = (c, i) => {
  const lo = c.pop64();
  const g = c.regs;
  g[2 * i.reg] = lo;
  g[2 * i.reg + 1] = c.hi;
};

/** 64-bit ALU operation on lo/hi pairs for ADD SUB CMP AND OR XOR; writes flags, returns lo (hi in c.hi). */
function alu64(c: Parameters<Handler>[0], op: number, a: number, ah: number, b: number, bh: number): number {
  let r: number;
  let rh: number;
  switch (op) {
    case AluOp.ADD:
      r = (a + b) | 0;
      rh = (ah + bh + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
      c.setLazy(FlagOp.ADD, 8, r, rh, a, ah, b, bh);
      break;
    case AluOp.SUB:
    case AluOp.CMP:
      r = (a - b) | 0;
      rh = (ah - bh - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
      c.setLazy(FlagOp.SUB, 8, r, rh, a, ah, b, bh);
      break;
    case AluOp.AND:
      r = a & b;
      rh = ah & bh;
      c.setLazy(FlagOp.LOGIC, 8, r, rh, a, ah, b, bh);
      break;
    case AluOp.OR:
      r = a | b;
      rh = ah | bh;
      c.setLazy(FlagOp.LOGIC, 8, r, rh, a, ah, b, bh);
      break;
    default:
      r = a ^ b;
      rh = ah ^ bh;
      c.setLazy(FlagOp.LOGIC, 8, r, rh, a, ah, b, bh);
  }
  c.hi = rh;
  return r;
}

function alu32(c: Parameters<Handler>[0], op: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case AluOp.ADD:
      r = (a + b) | 0;
      c.setLazy(FlagOp.ADD, 4, r, 0, a, 0, b, 0);
      break;
    case AluOp.SUB:
    case AluOp.CMP:
      r = (a - b) | 0;
      c.setLazy(FlagOp.SUB, 4, r, 0, a, 0, b, 0);
      break;
    case AluOp.AND:
      r = a & b;
      c.setLazy(FlagOp.LOGIC, 4, r, 0, a, 0, b, 0);
      break;
    case AluOp.OR:
      r = a | b;
      c.setLazy(FlagOp.LOGIC, 4, r, 0, a, 0, b, 0);
      break;
    default:
      r = a ^ b;
      c.setLazy(FlagOp.LOGIC, 4, r, 0, a, 0, b, 0);
  }
  return r;
}

/** ALU Ev,Gv register form: rm op= reg */
const aluRR64: Handler = (c, i) => {
  const g = c.regs;
  const r = alu64(c, i.sub, g[2 * i.rm] as number, g[2 * i.rm + 1] as number, g[2 * i.reg] as number, g[2 * i.reg + 1] as number);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.rm] = r;
    g[2 * i.rm + 1] = c.hi;
  }
};
const aluRR32: Handler = (c, i) => {
  const g = c.regs;
  const r = alu32(c, i.sub, g[2 * i.rm] as number, g[2 * i.reg] as number);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.rm] = r;
    g[2 * i.rm + 1] = 0;
  }
};
/** ALU Gv,Ev register form: reg op= rm */
const aluRR64Rev: Handler = (c, i) => {
  const g = c.regs;
  const r = alu64(c, i.sub, g[2 * i.reg] as number, g[2 * i.reg + 1] as number, g[2 * i.rm] as number, g[2 * i.rm + 1] as number);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.reg] = r;
    g[2 * i.reg + 1] = c.hi;
  }
};
const aluRR32Rev: Handler = (c, i) => {
  const g = c.regs;
  const r = alu32(c, i.sub, g[2 * i.reg] as number, g[2 * i.rm] as number);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.reg] = r;
    g[2 * i.reg + 1] = 0;
  }
};
/** ALU Gv,Ev memory form */
const aluRM64: Handler = (c, i) => {
  const b = c.rd64(c.ea(i));
  const g = c.regs;
  const r = alu64(c, i.sub, g[2 * i.reg] as number, g[2 * i.reg + 1] as number, b, c.hi);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.reg] = r;
    g[2 * i.reg + 1] = c.hi;
  }
};
const aluRM32: Handler = (c, i) => {
  const b = c.rd32(c.ea(i));
  const g = c.regs;
  const r = alu32(c, i.sub, g[2 * i.reg] as number, b);
  if (i.sub !== AluOp.CMP) {
    g[2 * i.reg] = r;
    g[2 * i.reg + 1] = 0;
  }
};
/** Group 1 register form with an immediate: the operation is modrm.reg. */
const aluRI64: Handler = (c, i) => {
  const g = c.regs;
  const op = i.reg & 7;
  const r = alu64(c, op, g[2 * i.rm] as number, g[2 * i.rm + 1] as number, i.imm, i.immHi);
  if (op !== AluOp.CMP) {
    g[2 * i.rm] = r;
    g[2 * i.rm + 1] = c.hi;
  }
};
const aluRI32: Handler = (c, i) => {
  const g = c.regs;
  const op = i.reg & 7;
  const r = alu32(c, op, g[2 * i.rm] as number, i.imm);
  if (op !== AluOp.CMP) {
    g[2 * i.rm] = r;
    g[2 * i.rm + 1] = 0;
  }
};
const testRR64: Handler = (c, i) => {
  const g = c.regs;
  const a = g[2 * i.rm] as number;
  const ah = g[2 * i.rm + 1] as number;
  const b = g[2 * i.reg] as number;
  const bh = g[2 * i.reg + 1] as number;
  c.setLazy(FlagOp.LOGIC, 8, a & b, ah & bh, a, ah, b, bh);
};
const testRR32: Handler = (c, i) => {
  const g = c.regs;
  const a = g[2 * i.rm] as number;
  const b = g[2 * i.reg] as number;
  c.setLazy(FlagOp.LOGIC, 4, a & b, 0, a, 0, b, 0);
};

/** ADC and SBB need the carry-in, which the generic handler handles; only these ops are specialised. */
const FAST_OPS = new Set<number>([AluOp.ADD, AluOp.SUB, AluOp.CMP, AluOp.AND, AluOp.OR, AluOp.XOR]);

/** Picks a specialised handler for an ALU instruction, or undefined to keep the generic one. */
export function specializeAlu(form: 'EG' | 'GE' | 'EI'): (i: Insn) => Handler | undefined {
  return (i) => {
    const op = form === 'EI' ? i.reg & 7 : i.sub;
    if (!FAST_OPS.has(op) || i.lock) return undefined;
    const s = i.opsize;
    if (s !== 4 && s !== 8) return undefined;
    if (form === 'EG') return i.mod === 3 ? (s === 8 ? aluRR64 : aluRR32) : s === 8 ? aluMemReg64 : aluMemReg32;
    if (form === 'GE') return i.mod === 3 ? (s === 8 ? aluRR64Rev : aluRR32Rev) : s === 8 ? aluRM64 : aluRM32;
    return i.mod === 3 ? (s === 8 ? aluRI64 : aluRI32) : s === 8 ? aluMemImm64 : aluMemImm32;
  };
}

export function specializeTest(i: Insn): Handler | undefined {
  if (i.mod !== 3) return undefined;
  return i.opsize === 8 ? testRR64 : i.opsize === 4 ? testRR32 : undefined;
}

export function specializeMovEG(i: Insn): Handler | undefined {
  if (i.opsize === 8) return i.mod === 3 ? movRR64 : store64;
  if (i.opsize === 4) return i.mod === 3 ? movRR32 : store32;
  return undefined;
}

export function specializeMovGE(i: Insn): Handler | undefined {
  if (i.opsize === 8) return i.mod === 3 ? movRR64Rev : load64;
  if (i.opsize === 4) return i.mod === 3 ? movRR32Rev : load32;
  return undefined;
}

export function specializePushPop(push: boolean): (i: Insn) => Handler | undefined {
  return (i) => (i.opsize === 8 ? (push ? push64 : pop64) : undefined);
}

/** MOV r/m, imm: memory stores at 1, 4 and 8 bytes; register forms at 4 and 8 bytes. */
const movMemImm8: Handler = (c, i) => c.wr8(c.ea(i), i.imm);
const movMemImm32: Handler = (c, i) => c.wr32(c.ea(i), i.imm);
const movMemImm64: Handler = (c, i) => c.wr64(c.ea(i), i.imm, i.immHi);
const movRegImm32: Handler = (c, i) => {
  c.regs[2 * i.rm] = i.imm;
  c.regs[2 * i.rm + 1] = 0;
};
const movRegImm64: Handler = (c, i) => {
  c.regs[2 * i.rm] = i.imm;
  c.regs[2 * i.rm + 1] = i.immHi;
};

export function specializeMovEI(i: Insn): Handler | undefined {
  if (i.mod === 3) return i.opsize === 8 ? movRegImm64 : i.opsize === 4 ? movRegImm32 : undefined;
  return i.opsize === 1 ? movMemImm8 : i.opsize === 4 ? movMemImm32 : i.opsize === 8 ? movMemImm64 : undefined;
}

/** ALU rAX, imm at 32 and 64 bits. */
const aluAccImm64: Handler = (c, i) => {
  const g = c.regs;
  const r = alu64(c, i.sub, g[0] as number, g[1] as number, i.imm, i.immHi);
  if (i.sub !== AluOp.CMP) {
    g[0] = r;
    g[1] = c.hi;
  }
};
const aluAccImm32: Handler = (c, i) => {
  const g = c.regs;
  const r = alu32(c, i.sub, g[0] as number, i.imm);
  if (i.sub !== AluOp.CMP) {
    g[0] = r;
    g[1] = 0;
  }
};

export function specializeAluAI(i: Insn): Handler | undefined {
  if (!FAST_OPS.has(i.sub)) return undefined;
  return i.opsize === 8 ? aluAccImm64 : i.opsize === 4 ? aluAccImm32 : undefined;
}

/** CMP/ALU [mem], imm and [mem], reg at 32 and 64 bits (read-modify-write unless CMP). */
const aluMemImm64: Handler = (c, i) => {
  const op = i.reg & 7;
  const la = c.ea(i);
  if (op !== AluOp.CMP) c.probeWrite(la, 8);
  const a = c.rd64(la);
  const r = alu64(c, op, a, c.hi, i.imm, i.immHi);
  if (op !== AluOp.CMP) c.wr64(la, r, c.hi);
};
const aluMemImm32: Handler = (c, i) => {
  const op = i.reg & 7;
  const la = c.ea(i);
  if (op !== AluOp.CMP) c.probeWrite(la, 4);
  const r = alu32(c, op, c.rd32(la), i.imm);
  if (op !== AluOp.CMP) c.wr32(la, r);
};
const aluMemReg64: Handler = (c, i) => {
  const g = c.regs;
  const la = c.ea(i);
  if (i.sub !== AluOp.CMP) c.probeWrite(la, 8);
  const a = c.rd64(la);
  const r = alu64(c, i.sub, a, c.hi, g[2 * i.reg] as number, g[2 * i.reg + 1] as number);
  if (i.sub !== AluOp.CMP) c.wr64(la, r, c.hi);
};
const aluMemReg32: Handler = (c, i) => {
  const la = c.ea(i);
  if (i.sub !== AluOp.CMP) c.probeWrite(la, 4);
  const r = alu32(c, i.sub, c.rd32(la), c.regs[2 * i.reg] as number);
  if (i.sub !== AluOp.CMP) c.wr32(la, r);
};

/**
 * Jcc with the condition evaluated straight from a recorded CMP/SUB when possible (the common case), one
 * handler per condition code so each is a small monomorphic function.
 */
function makeJcc(cc: number): Handler {
  return (c, i) => {
    if (c.cond(cc)) c.jump(i.imm);
  };
}
const JCC: Handler[] = Array.from({ length: 16 }, (_, cc) => makeJcc(cc));
export function specializeJcc(i: Insn): Handler | undefined {
  return JCC[i.sub];
}
