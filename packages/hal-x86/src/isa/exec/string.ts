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
  return i.adsize === 4 ? (c.regs[2 * r] as number) >>> 0 : c.regNum(r);
}

function advance(c: Cpu, r: number, delta: number, i: Insn): void {
  const g = c.regs;
  if (i.adsize === 4) {
    c.setRegSized(r, 4, ((g[2 * r] as number) + delta) | 0, 0);
    return;
  }
  // Exact 64-bit add of a small delta to the lo/hi pair.
  const lo = g[2 * r] as number;
  const sum = (lo >>> 0) + delta;
  g[2 * r] = sum | 0;
  if (sum > 0xffffffff) g[2 * r + 1] = ((g[2 * r + 1] as number) + 1) | 0;
  else if (sum < 0) g[2 * r + 1] = ((g[2 * r + 1] as number) - 1) | 0;
}

function count(c: Cpu, i: Insn): number {
  if (i.adsize === 4) return (c.regs[2] as number) >>> 0;
  // A 64-bit count is unsigned: 2^63 and above cannot finish before memory runs out, so a saturated
  // value is as good as exact (the loop stops at the first fault).
  const hi = c.regs[3] as number;
  return hi < 0 || hi >= 0x200000 ? 2 ** 53 : c.regNum(Reg.RCX);
}

/** Decrements the count register by one (exactly, whatever its value). */
function decCount(c: Cpu, i: Insn): void {
  const g = c.regs;
  if (i.adsize === 4) {
    g[2] = ((g[2] as number) - 1) | 0;
    g[3] = 0;
    return;
  }
  if (g[2] === 0) g[3] = ((g[3] as number) - 1) | 0;
  g[2] = ((g[2] as number) - 1) | 0;
}

/** Runs `body` once, or under REP up to REP_CHUNK times; `until` ends REPE/REPNE early. */
function repeat(c: Cpu, i: Insn, body: () => void, conditional: boolean): void {
  if (i.rep === 0) {
    body();
    return;
  }
  // RCX is treated as unsigned; values beyond 2^53 cannot complete anyway before memory runs out.
  let n = count(c, i);
  let done = 0;
  while (n > 0 && done < REP_CHUNK) {
    body();
    n--;
    done++;
    decCount(c, i);
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
