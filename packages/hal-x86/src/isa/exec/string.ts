/**
 * String instructions MOVS STOS LODS CMPS SCAS with REP/REPE/REPNE, at every element size.
 *
 * A REP instruction runs at most REP_CHUNK iterations per execution and then restarts itself (RIP stays on
 * it), so long copies stay interruptible and a fault in the middle leaves RCX/RSI/RDI exactly where the
 * architecture says: pointing at the element that faulted.
 */
import { Reg } from '../../cpu/registers';
import { Flag } from '../../cpu/flags';
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { AluOp, alu } from './alu';

export const REP_CHUNK = 1 << 16;

function step(c: Cpu, size: number): number {
  return (c.fother & Flag.DF) !== 0 ? -size : size;
}

function addr(c: Cpu, r: number, i: Insn): number {
  const v = c.regNum(r);
  return i.adsize === 4 ? v % 4294967296 >>> 0 : v;
}

function advance(c: Cpu, r: number, delta: number, i: Insn): void {
  if (i.adsize === 4) c.setRegSized(r, 4, (c.regs[2 * r] as number) + delta, 0);
  else c.setRegNum(r, c.regNum(r) + delta);
}

function count(c: Cpu, i: Insn): number {
  return i.adsize === 4 ? (c.regs[2] as number) >>> 0 : c.regNum(Reg.RCX);
}

function setCount(c: Cpu, i: Insn, n: number): void {
  if (i.adsize === 4) c.setRegSized(Reg.RCX, 4, n | 0, 0);
  else c.setRegNum(Reg.RCX, n);
}

/** Runs `body` once, or under REP up to REP_CHUNK times; `until` ends REPE/REPNE early. */
function repeat(c: Cpu, i: Insn, body: () => void, conditional: boolean): void {
  if (i.rep === 0) {
    body();
    return;
  }
  // RCX is treated as unsigned; values beyond 2^53 cannot complete anyway before memory runs out.
  let n = count(c, i);
  if (n < 0) n += 2 ** 64;
  let done = 0;
  while (n > 0 && done < REP_CHUNK) {
    body();
    n--;
    done++;
    setCount(c, i, n);
    if (conditional) {
      const zf = c.zf;
      if ((i.rep === 0xf3 && !zf) || (i.rep === 0xf2 && zf)) return;
    }
  }
  if (n > 0) {
    c.rip = i.addr; // continue the same instruction next time
    c.stop = true;
  }
}

export const movs: Handler = (c, i) => {
  const s = i.opsize;
  repeat(
    c,
    i,
    () => {
      const src = addr(c, Reg.RSI, i) + (i.seg ? (i.seg === 4 ? c.fsBase : c.gsBase) : 0);
      const v = c.rdMem(src, s);
      c.wrMem(addr(c, Reg.RDI, i), s, v, c.hi);
      const d = step(c, s);
      advance(c, Reg.RSI, d, i);
      advance(c, Reg.RDI, d, i);
    },
    false,
  );
};

export const stos: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.getRegSized(0, s);
  const vh = c.hi;
  repeat(
    c,
    i,
    () => {
      c.wrMem(addr(c, Reg.RDI, i), s, v, vh);
      advance(c, Reg.RDI, step(c, s), i);
    },
    false,
  );
};

export const lods: Handler = (c, i) => {
  const s = i.opsize;
  repeat(
    c,
    i,
    () => {
      const src = addr(c, Reg.RSI, i) + (i.seg ? (i.seg === 4 ? c.fsBase : c.gsBase) : 0);
      const v = c.rdMem(src, s);
      c.setRegSized(0, s, v, c.hi);
      advance(c, Reg.RSI, step(c, s), i);
    },
    false,
  );
};

export const cmps: Handler = (c, i) => {
  const s = i.opsize;
  repeat(
    c,
    i,
    () => {
      const src = addr(c, Reg.RSI, i) + (i.seg ? (i.seg === 4 ? c.fsBase : c.gsBase) : 0);
      const a = c.rdMem(src, s);
      const ah = c.hi;
      const b = c.rdMem(addr(c, Reg.RDI, i), s);
      alu(c, AluOp.CMP, s, a, ah, b, c.hi);
      const d = step(c, s);
      advance(c, Reg.RSI, d, i);
      advance(c, Reg.RDI, d, i);
    },
    true,
  );
};

export const scas: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.getRegSized(0, s);
  const ah = c.hi;
  repeat(
    c,
    i,
    () => {
      const b = c.rdMem(addr(c, Reg.RDI, i), s);
      alu(c, AluOp.CMP, s, a, ah, b, c.hi);
      advance(c, Reg.RDI, step(c, s), i);
    },
    true,
  );
};
