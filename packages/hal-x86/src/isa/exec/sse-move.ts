/**
 * SSE/SSE2 data movement: whole-register moves (aligned and unaligned), scalar moves MOVSS/MOVSD, the
 * half-register moves MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS, MOVD/MOVQ between xmm and general
 * registers or memory, and the non-temporal stores (which behave as ordinary stores here).
 *
 * Upper-bits rules: MOVSS/MOVSD and MOVD/MOVQ loading from memory or a general register zero the rest of
 * the destination; MOVSS/MOVSD between registers replace only the low element.
 */
import type { Cpu } from '../../cpu/cpu';
import { Reg } from '../../cpu/registers';
import type { Insn } from '../insn';
import { eaAligned, write128 } from './sse-operands';

function copyReg(c: Cpu, to: number, from: number): void {
  const x = c.xmm32;
  const t = to << 2;
  const f = from << 2;
  x[t] = x[f];
  x[t + 1] = x[f + 1];
  x[t + 2] = x[f + 2];
  x[t + 3] = x[f + 3];
}

/** Loads 16 bytes at `la` into register r; both halves are read (and may fault) before r changes. */
function loadReg(c: Cpu, r: number, la: number): void {
  const lo0 = c.rd64(la);
  const hi0 = c.hi;
  const lo1 = c.rd64(la + 8);
  const hi1 = c.hi;
  const x = c.xmm32;
  const b = r << 2;
  x[b] = lo0;
  x[b + 1] = hi0;
  x[b + 2] = lo1;
  x[b + 3] = hi1;
}

// ---------------------------------------------------------------------------- whole 128-bit moves

/** MOVAPS/MOVAPD/MOVDQA Vx, Wx (aligned load). */
export function movaLoad(c: Cpu, i: Insn): void {
  if (i.mod === 3) copyReg(c, i.reg, i.rm);
  else loadReg(c, i.reg, eaAligned(c, i));
}

/** MOVUPS/MOVUPD/MOVDQU Vx, Wx. */
export function movuLoad(c: Cpu, i: Insn): void {
  if (i.mod === 3) copyReg(c, i.reg, i.rm);
  else loadReg(c, i.reg, c.ea(i));
}

/** MOVAPS/MOVAPD/MOVDQA Wx, Vx and the non-temporal MOVNTPS/MOVNTPD/MOVNTDQ (aligned store). */
export function movaStore(c: Cpu, i: Insn): void {
  if (i.mod === 3) copyReg(c, i.rm, i.reg);
  else write128(c, eaAligned(c, i), c.xmm32, i.reg << 2);
}

/** MOVUPS/MOVUPD/MOVDQU Wx, Vx. */
export function movuStore(c: Cpu, i: Insn): void {
  if (i.mod === 3) copyReg(c, i.rm, i.reg);
  else write128(c, c.ea(i), c.xmm32, i.reg << 2);
}

// ----------------------------------------------------------------------------------- scalar moves

/** MOVSS Vss, Wss: a memory load zeroes bits 32..127; a register move replaces bits 0..31 only. */
export function movssLoad(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    x[b] = x[i.rm << 2];
    return;
  }
  x[b] = c.rd32(c.ea(i));
  x[b + 1] = 0;
  x[b + 2] = 0;
  x[b + 3] = 0;
}

/** MOVSS Wss, Vss. */
export function movssStore(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  if (i.mod === 3) x[i.rm << 2] = x[i.reg << 2];
  else c.wr32(c.ea(i), x[i.reg << 2]);
}

/** MOVSD Vsd, Wsd: a memory load zeroes bits 64..127; a register move replaces bits 0..63 only. */
export function movsdLoad(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    x[b] = x[i.rm << 2];
    x[b + 1] = x[(i.rm << 2) + 1];
    return;
  }
  x[b] = c.rd64(c.ea(i));
  x[b + 1] = c.hi;
  x[b + 2] = 0;
  x[b + 3] = 0;
}

/** MOVSD Wsd, Vsd. */
export function movsdStore(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    x[i.rm << 2] = x[b];
    x[(i.rm << 2) + 1] = x[b + 1];
  } else {
    c.wr64(c.ea(i), x[b], x[b + 1]);
  }
}

// ------------------------------------------------------------------------------ half-register moves

/** MOVLPS/MOVLPD Vx, Mq (load the low half) and, register form of 0F 12, MOVHLPS (low <- source high). */
export function movlpLoad(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    const f = i.rm << 2;
    x[b] = x[f + 2];
    x[b + 1] = x[f + 3];
    return;
  }
  x[b] = c.rd64(c.ea(i));
  x[b + 1] = c.hi;
}

/** MOVHPS/MOVHPD Vx, Mq (load the high half) and, register form of 0F 16, MOVLHPS (high <- source low). */
export function movhpLoad(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    const f = i.rm << 2;
    x[b + 2] = x[f];
    x[b + 3] = x[f + 1];
    return;
  }
  x[b + 2] = c.rd64(c.ea(i));
  x[b + 3] = c.hi;
}

/** MOVLPS/MOVLPD Mq, Vx. */
export function movlpStore(c: Cpu, i: Insn): void {
  const b = i.reg << 2;
  c.wr64(c.ea(i), c.xmm32[b], c.xmm32[b + 1]);
}

/** MOVHPS/MOVHPD Mq, Vx. */
export function movhpStore(c: Cpu, i: Insn): void {
  const b = i.reg << 2;
  c.wr64(c.ea(i), c.xmm32[b + 2], c.xmm32[b + 3]);
}

// ------------------------------------------------------------------------------------- MOVD / MOVQ

/** MOVD/MOVQ Vx, Ey (66 0F 6E): zero-extended to 128 bits. */
export function movdToXmm(c: Cpu, i: Insn): void {
  const lo = c.rdE(i, i.opsize);
  const hi = i.opsize === 8 ? c.hi : 0;
  const x = c.xmm32;
  const b = i.reg << 2;
  x[b] = lo;
  x[b + 1] = hi;
  x[b + 2] = 0;
  x[b + 3] = 0;
}

/** MOVD/MOVQ Ey, Vx (66 0F 7E). */
export function movdFromXmm(c: Cpu, i: Insn): void {
  const b = i.reg << 2;
  c.wrE(i, i.opsize, c.xmm32[b], c.xmm32[b + 1]);
}

/** MOVQ Vx, Wq (F3 0F 7E): the low quadword, zero-extended. */
export function movqLoad(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  let lo: number;
  let hi: number;
  if (i.mod === 3) {
    lo = x[i.rm << 2];
    hi = x[(i.rm << 2) + 1];
  } else {
    lo = c.rd64(c.ea(i));
    hi = c.hi;
  }
  const b = i.reg << 2;
  x[b] = lo;
  x[b + 1] = hi;
  x[b + 2] = 0;
  x[b + 3] = 0;
}

/** MOVQ Wq, Vx (66 0F D6): to memory, or to a register whose upper half is zeroed. */
export function movqStore(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.reg << 2;
  if (i.mod === 3) {
    const t = i.rm << 2;
    x[t] = x[b];
    x[t + 1] = x[b + 1];
    x[t + 2] = 0;
    x[t + 3] = 0;
    return;
  }
  c.wr64(c.ea(i), x[b], x[b + 1]);
}

// ------------------------------------------------------------------------------ non-temporal stores

/** MOVNTI My, Gy. */
export function movnti(c: Cpu, i: Insn): void {
  const lo = c.getRegSized(i.reg, i.opsize);
  c.wrMem(c.ea(i), i.opsize, lo, c.hi);
}

/** MASKMOVDQU Vdq, Udq: stores the bytes of the first operand whose mask byte has its top bit set at DS:rDI. */
export function maskmovdqu(c: Cpu, i: Insn): void {
  let la = i.adsize === 4 ? c.regs[2 * Reg.RDI] >>> 0 : c.regNum(Reg.RDI);
  if (i.seg !== 0) la += i.seg === 4 ? c.fsBase : c.gsBase;
  const x = c.xmm8;
  const v = i.reg << 4;
  const m = i.rm << 4;
  let any = false;
  for (let k = 0; k < 16; k++) if (x[m + k] & 0x80) any = true;
  if (!any) return;
  c.probeWrite(la, 16);
  for (let k = 0; k < 16; k++) if (x[m + k] & 0x80) c.wr8(la + k, x[v + k]);
}
