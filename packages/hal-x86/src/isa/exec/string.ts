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
import { Access } from '../../mmu/mmu';

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

/** One element of a string instruction, reading its operands from the CPU each time. */
type Element = (c: Cpu, i: Insn) => void;

/** Runs `body` once, or under REP up to REP_CHUNK times; `conditional` ends REPE/REPNE early. */
function repeat(c: Cpu, i: Insn, body: Element, conditional: boolean): void {
  if (i.rep === 0) {
    body(c, i);
    return;
  }
  // RCX is treated as unsigned; values beyond 2^53 cannot complete anyway before memory runs out.
  let n = count(c, i);
  let done = 0;
  while (n > 0 && done < REP_CHUNK) {
    body(c, i);
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

function segmentBase(c: Cpu, i: Insn): number {
  return i.seg ? (i.seg === 4 ? c.fsBase : c.gsBase) : 0;
}

/** Whole elements of `size` bytes from `la` to the end of its page (0 if the first one straddles it). */
function elementsInPage(la: number, size: number): number {
  return Math.floor((4096 - (la - Math.floor(la / 4096) * 4096)) / size);
}

/**
 * Forward REP MOVS/STOS with 64-bit addresses, a page-contained run of elements at a time: each run is
 * translated once (source before destination, the order of the element-wise faults) and copied or filled
 * in one go. An element that straddles a page end, and a MOVS run whose destination starts inside its own
 * source (where copying element by element replicates data), take the element-wise path; a fault leaves
 * RCX/RSI/RDI at the element that faulted, as the architecture requires.
 */
function repForward(c: Cpu, i: Insn, element: Element, copy: boolean): void {
  const s = i.opsize;
  const memory = c.memory;
  let n = count(c, i);
  let done = 0;
  while (n > 0 && done < REP_CHUNK) {
    const dst = c.regNum(Reg.RDI);
    const src = copy ? c.regNum(Reg.RSI) + segmentBase(c, i) : 0;
    const run = Math.min(n, REP_CHUNK - done, elementsInPage(dst, s), copy ? elementsInPage(src, s) : n);
    const length = run * s;
    const ps = copy && run > 0 ? c.mmu.translate(src, Access.READ) : 0;
    const pd = run > 0 ? c.mmu.translate(dst, Access.WRITE) : 0;
    if (run === 0 || (copy && pd > ps && pd < ps + length)) {
      element(c, i);
      decCount(c, i);
      n--;
      done++;
      continue;
    }
    if (copy) memory.bytes.copyWithin(pd, ps, ps + length);
    else fill(c, i, pd, length);
    if (memory.codeFrames[pd >>> 12] !== 0) memory.noteWrite(pd, length);
    if (copy) advance(c, Reg.RSI, length, i);
    advance(c, Reg.RDI, length, i);
    advance(c, Reg.RCX, -run, i);
    n -= run;
    done += run;
  }
  if (n > 0) {
    c.rip = i.addr; // continue the same instruction next time
    c.stop = true;
  }
}

/** STOS's run: `length` bytes at physical `pa` filled with AL/AX/EAX/RAX. */
function fill(c: Cpu, i: Insn, pa: number, length: number): void {
  const s = i.opsize;
  const g = c.regs;
  if (s === 1) {
    c.memory.bytes.fill((g[0] as number) & 0xff, pa, pa + length);
    return;
  }
  const view = c.memory.view;
  const lo = g[0] as number;
  const hi = g[1] as number;
  for (let p = pa; p < pa + length; p += s) {
    if (s === 2) view.setUint16(p, lo & 0xffff, true);
    else {
      view.setInt32(p, lo, true);
      if (s === 8) view.setInt32(p + 4, hi, true);
    }
  }
}

/** REP with 64-bit addresses and DF clear: the page-run fast path applies. */
function forwardRep(c: Cpu, i: Insn): boolean {
  return i.rep !== 0 && i.adsize === 8 && (c.fother & Flag.DF) === 0;
}

function movsElement(c: Cpu, i: Insn): void {
  const s = i.opsize;
  const v = c.rdMem(addr(c, Reg.RSI, i) + segmentBase(c, i), s);
  c.wrMem(addr(c, Reg.RDI, i), s, v, c.hi);
  const d = step(c, s);
  advance(c, Reg.RSI, d, i);
  advance(c, Reg.RDI, d, i);
}

export const movs: Handler = (c, i) => {
  if (forwardRep(c, i)) repForward(c, i, movsElement, true);
  else repeat(c, i, movsElement, false);
};

function stosElement(c: Cpu, i: Insn): void {
  const s = i.opsize;
  const v = c.getRegSized(0, s);
  c.wrMem(addr(c, Reg.RDI, i), s, v, c.hi);
  advance(c, Reg.RDI, step(c, s), i);
}

export const stos: Handler = (c, i) => {
  if (forwardRep(c, i)) repForward(c, i, stosElement, false);
  else repeat(c, i, stosElement, false);
};

function lodsElement(c: Cpu, i: Insn): void {
  const s = i.opsize;
  const v = c.rdMem(addr(c, Reg.RSI, i) + segmentBase(c, i), s);
  c.setRegSized(0, s, v, c.hi);
  advance(c, Reg.RSI, step(c, s), i);
}

export const lods: Handler = (c, i) => repeat(c, i, lodsElement, false);

function cmpsElement(c: Cpu, i: Insn): void {
  const s = i.opsize;
  const a = c.rdMem(addr(c, Reg.RSI, i) + segmentBase(c, i), s);
  const ah = c.hi;
  const b = c.rdMem(addr(c, Reg.RDI, i), s);
  alu(c, AluOp.CMP, s, a, ah, b, c.hi);
  const d = step(c, s);
  advance(c, Reg.RSI, d, i);
  advance(c, Reg.RDI, d, i);
}

export const cmps: Handler = (c, i) => repeat(c, i, cmpsElement, true);

function scasElement(c: Cpu, i: Insn): void {
  const s = i.opsize;
  const a = c.getRegSized(0, s);
  const ah = c.hi;
  const b = c.rdMem(addr(c, Reg.RDI, i), s);
  alu(c, AluOp.CMP, s, a, ah, b, c.hi);
  advance(c, Reg.RDI, step(c, s), i);
}

export const scas: Handler = (c, i) => repeat(c, i, scasElement, true);
