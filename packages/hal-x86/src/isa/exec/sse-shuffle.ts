/**
 * SSE/SSE2 data rearrangement: unpacks (interleaves) of bytes to quadwords and of ps/pd elements, packs
 * with saturation, the shuffles PSHUFD/PSHUFLW/PSHUFHW/SHUFPS/SHUFPD, PEXTRW/PINSRW, and the sign-mask
 * extractions MOVMSKPS/MOVMSKPD/PMOVMSKB.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { D, loadD, loadW, S, storeD, T, tToD } from './sse-operands';

/** A handler for `op xmm, xmm/m128` whose `body` assembles T from D and S; T becomes the result. */
function assemble(body: (i: Insn) => void): Handler {
  return (c: Cpu, i: Insn) => {
    loadD(c, i.reg);
    loadW(c, i);
    body(i);
    tToD();
    storeD(c, i.reg);
  };
}

// ----------------------------------------------------------------------------------------- unpacks

/**
 * Interleaves elements of `size` bytes from the low (high = false) or high half of D and S:
 * d0 s0 d1 s1 ... (PUNPCKL/H BW WD DQ QDQ, UNPCKL/H PS PD).
 */
function interleave(size: number, high: boolean): Handler {
  return assemble(() => {
    const d = D.u8;
    const s = S.u8;
    const t = T.u8;
    const base = high ? 8 : 0;
    for (let k = 0; k < 8; k += size) {
      for (let b = 0; b < size; b++) {
        t[2 * k + b] = d[base + k + b];
        t[2 * k + size + b] = s[base + k + b];
      }
    }
  });
}

export const punpcklbw = interleave(1, false);
export const punpcklwd = interleave(2, false);
export const punpckldq = interleave(4, false);
export const punpcklqdq = interleave(8, false);
export const punpckhbw = interleave(1, true);
export const punpckhwd = interleave(2, true);
export const punpckhdq = interleave(4, true);
export const punpckhqdq = interleave(8, true);

// ------------------------------------------------------------------------------------------- packs

export const packsswb = assemble(() => {
  const t = T.i8;
  for (let k = 0; k < 8; k++) {
    const a = D.i16[k];
    const b = S.i16[k];
    t[k] = Math.min(127, Math.max(-128, a));
    t[k + 8] = Math.min(127, Math.max(-128, b));
  }
});

export const packuswb = assemble(() => {
  const t = T.u8;
  for (let k = 0; k < 8; k++) {
    const a = D.i16[k];
    const b = S.i16[k];
    t[k] = Math.min(255, Math.max(0, a));
    t[k + 8] = Math.min(255, Math.max(0, b));
  }
});

export const packssdw = assemble(() => {
  const t = T.i16;
  for (let k = 0; k < 4; k++) {
    const a = D.i32[k];
    const b = S.i32[k];
    t[k] = Math.min(32767, Math.max(-32768, a));
    t[k + 4] = Math.min(32767, Math.max(-32768, b));
  }
});

// ---------------------------------------------------------------------------------------- shuffles

/** PSHUFD Vdq, Wdq, Ib. */
export function pshufd(c: Cpu, i: Insn): void {
  loadW(c, i);
  const n = i.imm;
  const s = S.i32;
  const d = D.i32;
  d[0] = s[n & 3];
  d[1] = s[(n >> 2) & 3];
  d[2] = s[(n >> 4) & 3];
  d[3] = s[(n >> 6) & 3];
  storeD(c, i.reg);
}

/** PSHUFLW (sub 0) / PSHUFHW (sub 1): shuffles the words of one half, copies the other. */
export function pshufw(c: Cpu, i: Insn): void {
  loadW(c, i);
  const n = i.imm;
  const s = S.u16;
  const d = D.u16;
  const base = i.sub === 0 ? 0 : 4;
  const keep = 4 - base;
  for (let k = 0; k < 4; k++) {
    d[keep + k] = s[keep + k];
    d[base + k] = s[base + ((n >> (2 * k)) & 3)];
  }
  storeD(c, i.reg);
}

/** SHUFPS Vps, Wps, Ib: two elements from the destination, two from the source. */
export const shufps = assemble((i) => {
  const n = i.imm;
  const t = T.i32;
  t[0] = D.i32[n & 3];
  t[1] = D.i32[(n >> 2) & 3];
  t[2] = S.i32[(n >> 4) & 3];
  t[3] = S.i32[(n >> 6) & 3];
});

/** SHUFPD Vpd, Wpd, Ib. */
export const shufpd = assemble((i) => {
  const n = i.imm;
  const t = T.i32;
  const a = (n & 1) * 2;
  const b = ((n >> 1) & 1) * 2;
  t[0] = D.i32[a];
  t[1] = D.i32[a + 1];
  t[2] = S.i32[b];
  t[3] = S.i32[b + 1];
});

// ------------------------------------------------------------------------------ word insert/extract

/** PEXTRW Gd, Udq, Ib: the word zero-extended into the full 64-bit register. */
export function pextrw(c: Cpu, i: Insn): void {
  const v = c.xmm8[(i.rm << 4) + 2 * (i.imm & 7)] | (c.xmm8[(i.rm << 4) + 2 * (i.imm & 7) + 1] << 8);
  c.setRegSized(i.reg, 8, v, 0);
}

/** PINSRW Vdq, Ry/Mw, Ib. */
export function pinsrw(c: Cpu, i: Insn): void {
  const v = i.mod === 3 ? c.getRegSized(i.rm, 4) : c.rd16(c.ea(i));
  const at = (i.reg << 4) + 2 * (i.imm & 7);
  c.xmm8[at] = v;
  c.xmm8[at + 1] = v >> 8;
}

// -------------------------------------------------------------------------------------- sign masks

/** MOVMSKPS Gd, Ups. */
export function movmskps(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.rm << 2;
  const m = (x[b] >>> 31) | ((x[b + 1] >>> 31) << 1) | ((x[b + 2] >>> 31) << 2) | ((x[b + 3] >>> 31) << 3);
  c.setRegSized(i.reg, 8, m, 0);
}

/** MOVMSKPD Gd, Upd. */
export function movmskpd(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.rm << 2;
  c.setRegSized(i.reg, 8, (x[b + 1] >>> 31) | ((x[b + 3] >>> 31) << 1), 0);
}

/** PMOVMSKB Gd, Udq. */
export function pmovmskb(c: Cpu, i: Insn): void {
  const x = c.xmm8;
  const b = i.rm << 4;
  let m = 0;
  for (let k = 15; k >= 0; k--) m = (m << 1) | (x[b + k] >> 7);
  c.setRegSized(i.reg, 8, m, 0);
}
