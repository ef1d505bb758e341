/** Control transfer: Jcc, JMP, CALL, RET, LOOP family, JRCXZ. */
import { Reg } from '../../cpu/registers';
import type { Handler } from '../opdef';

/** Jcc Jb/Jz: insn.imm holds the absolute target. */
export const jcc: Handler = (c, i) => {
  if (c.cond(i.sub)) c.jump(i.imm);
};

/** JMP Jb/Jz */
export const jmpRel: Handler = (c, i) => c.jump(i.imm);

/** JMP Ev (near indirect) */
export const jmpE: Handler = (c, i) => {
  const lo = c.rdE(i, 8);
  c.jump(c.hi * 4294967296 + (lo >>> 0));
};

/** CALL Jz */
export const callRel: Handler = (c, i) => {
  const ret = i.next;
  // The hardware checks the stack slot, then the target, and only then stores: either fault leaves
  // memory unchanged, and a bad stack wins over a bad target.
  c.probeStackWrite(c.regNum(Reg.RSP) - 8, 8);
  c.checkBranchTarget(i.imm);
  c.push64(ret | 0, Math.floor(ret / 4294967296) | 0);
  c.jump(i.imm);
};

/** CALL Ev (near indirect); the target is read before anything is pushed. */
export const callE: Handler = (c, i) => {
  const lo = c.rdE(i, 8);
  const target = c.hi * 4294967296 + (lo >>> 0);
  c.probeStackWrite(c.regNum(Reg.RSP) - 8, 8);
  c.checkBranchTarget(target);
  c.push64(i.next | 0, Math.floor(i.next / 4294967296) | 0);
  c.jump(target);
};

/** RET / RET Iw */
export const ret: Handler = (c, i) => {
  const sp = c.regNum(Reg.RSP);
  const lo = c.rdStack(sp, 8);
  const target = c.hi * 4294967296 + (lo >>> 0);
  c.jump(target);
  c.setRegNum(Reg.RSP, sp + 8 + (i.def.operands.length > 0 ? i.imm & 0xffff : 0));
};

function decRcx(c: Parameters<Handler>[0], adsize: number): boolean {
  const g = c.regs;
  if (adsize === 4) {
    g[2] = ((g[2] as number) - 1) | 0;
    g[3] = 0;
    return g[2] !== 0;
  }
  const lo = g[2] as number;
  g[2] = (lo - 1) | 0;
  if (lo === 0) g[3] = ((g[3] as number) - 1) | 0;
  return g[2] !== 0 || g[3] !== 0;
}

/** LOOP (sub 2), LOOPE (sub 1), LOOPNE (sub 0): RCX is decremented without touching flags. */
export const loop: Handler = (c, i) => {
  const nz = decRcx(c, i.adsize);
  const take = i.sub === 2 ? nz : i.sub === 1 ? nz && c.zf : nz && !c.zf;
  if (take) c.jump(i.imm);
};

/** JRCXZ / JECXZ */
export const jrcxz: Handler = (c, i) => {
  const g = c.regs;
  const zero = i.adsize === 4 ? g[2] === 0 : g[2] === 0 && g[3] === 0;
  if (zero) c.jump(i.imm);
};
