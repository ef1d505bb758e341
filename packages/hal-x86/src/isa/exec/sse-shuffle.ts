/**
 * SSE/SSE2 data rearrangement: unpacks (interleaves) of bytes to quadwords and of ps/pd elements, packs
 * with saturation, the shuffles PSHUFD/PSHUFLW/PSHUFHW/SHUFPS/SHUFPD, PEXTRW/PINSRW, and the sign-mask
 * extractions MOVMSKPS/MOVMSKPD/PMOVMSKB.
 *
 * Results depend on elements other than their own, so each handler reads every source element it needs
 * into locals before writing the destination (which may also be the source register); the source is
 * read where it lies (see `wVector`), after any memory fault.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import { wIndex, wVector } from './sse-operands';

// ----------------------------------------------------------------------------------------- unpacks

/** Bytes a0 b0 a1 b1 from the low two bytes of a and b. */
function zipBytes(a: number, b: number): number {
  return (a & 0xff) | ((b & 0xff) << 8) | ((a & 0xff00) << 8) | ((b & 0xff00) << 16);
}

/**
 * Interleaves elements of `size` bytes (1, 2, 4, 8) from the low (half 0) or high (half 2) quadword of
 * destination and source: d0 s0 d1 s1 ... (PUNPCKL/H BW WD DQ QDQ, UNPCKL/H PS PD).
 */
function unpack(c: Cpu, i: Insn, size: number, half: number): void {
  const src = wVector(c, i);
  const s = wIndex(i) + half;
  const x = c.xmm32;
  const d = i.reg << 2;
  const d0 = x[d + half];
  const d1 = x[d + half + 1];
  const s0 = src[s];
  const s1 = src[s + 1];
  switch (size) {
    case 1:
      x[d] = zipBytes(d0, s0);
      x[d + 1] = zipBytes(d0 >>> 16, s0 >>> 16);
      x[d + 2] = zipBytes(d1, s1);
      x[d + 3] = zipBytes(d1 >>> 16, s1 >>> 16);
      break;
    case 2:
      x[d] = (d0 & 0xffff) | (s0 << 16);
      x[d + 1] = (d0 >>> 16) | (s0 & 0xffff0000);
      x[d + 2] = (d1 & 0xffff) | (s1 << 16);
      x[d + 3] = (d1 >>> 16) | (s1 & 0xffff0000);
      break;
    case 4:
      x[d] = d0;
      x[d + 1] = s0;
      x[d + 2] = d1;
      x[d + 3] = s1;
      break;
    default:
      x[d] = d0;
      x[d + 1] = d1;
      x[d + 2] = s0;
      x[d + 3] = s1;
  }
}

export function punpcklbw(c: Cpu, i: Insn): void {
  unpack(c, i, 1, 0);
}
export function punpcklwd(c: Cpu, i: Insn): void {
  unpack(c, i, 2, 0);
}
export function punpckldq(c: Cpu, i: Insn): void {
  unpack(c, i, 4, 0);
}
export function punpcklqdq(c: Cpu, i: Insn): void {
  unpack(c, i, 8, 0);
}
export function punpckhbw(c: Cpu, i: Insn): void {
  unpack(c, i, 1, 2);
}
export function punpckhwd(c: Cpu, i: Insn): void {
  unpack(c, i, 2, 2);
}
export function punpckhdq(c: Cpu, i: Insn): void {
  unpack(c, i, 4, 2);
}
export function punpckhqdq(c: Cpu, i: Insn): void {
  unpack(c, i, 8, 2);
}

// ------------------------------------------------------------------------------------------- packs

function sat8s(v: number): number {
  return Math.min(127, Math.max(-128, v)) & 0xff;
}
function sat8u(v: number): number {
  return Math.min(255, Math.max(0, v));
}
function sat16s(v: number): number {
  return Math.min(32767, Math.max(-32768, v)) & 0xffff;
}

/** Four signed-saturated bytes from the four signed words of two 32-bit elements. */
function packSignedBytes(a: number, b: number): number {
  return (
    sat8s((a << 16) >> 16) | (sat8s(a >> 16) << 8) | (sat8s((b << 16) >> 16) << 16) | (sat8s(b >> 16) << 24)
  );
}

/** Four unsigned-saturated bytes from the four signed words of two 32-bit elements. */
function packUnsignedBytes(a: number, b: number): number {
  return (
    sat8u((a << 16) >> 16) | (sat8u(a >> 16) << 8) | (sat8u((b << 16) >> 16) << 16) | (sat8u(b >> 16) << 24)
  );
}

export function packsswb(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  const r0 = packSignedBytes(x[d], x[d + 1]);
  const r1 = packSignedBytes(x[d + 2], x[d + 3]);
  const r2 = packSignedBytes(src[s], src[s + 1]);
  const r3 = packSignedBytes(src[s + 2], src[s + 3]);
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

export function packuswb(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  const r0 = packUnsignedBytes(x[d], x[d + 1]);
  const r1 = packUnsignedBytes(x[d + 2], x[d + 3]);
  const r2 = packUnsignedBytes(src[s], src[s + 1]);
  const r3 = packUnsignedBytes(src[s + 2], src[s + 3]);
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

export function packssdw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  const r0 = sat16s(x[d]) | (sat16s(x[d + 1]) << 16);
  const r1 = sat16s(x[d + 2]) | (sat16s(x[d + 3]) << 16);
  const r2 = sat16s(src[s]) | (sat16s(src[s + 1]) << 16);
  const r3 = sat16s(src[s + 2]) | (sat16s(src[s + 3]) << 16);
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

// ---------------------------------------------------------------------------------------- shuffles

/** PSHUFD Vdq, Wdq, Ib. */
export function pshufd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const n = i.imm;
  const r0 = src[s + (n & 3)];
  const r1 = src[s + ((n >> 2) & 3)];
  const r2 = src[s + ((n >> 4) & 3)];
  const r3 = src[s + ((n >> 6) & 3)];
  const x = c.xmm32;
  const d = i.reg << 2;
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

/** The word of a four-word group (two 32-bit elements lo, hi) selected by the two bits `sel`. */
function wordOf(lo: number, hi: number, sel: number): number {
  const v = sel < 2 ? lo : hi;
  return (sel & 1) === 0 ? v & 0xffff : v >>> 16;
}

/** PSHUFLW (sub 0) / PSHUFHW (sub 1): shuffles the words of one half, copies the other. */
export function pshufw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const n = i.imm;
  const e0 = src[s];
  const e1 = src[s + 1];
  const e2 = src[s + 2];
  const e3 = src[s + 3];
  const x = c.xmm32;
  const d = i.reg << 2;
  if (i.sub === 0) {
    x[d] = wordOf(e0, e1, n & 3) | (wordOf(e0, e1, (n >> 2) & 3) << 16);
    x[d + 1] = wordOf(e0, e1, (n >> 4) & 3) | (wordOf(e0, e1, (n >> 6) & 3) << 16);
    x[d + 2] = e2;
    x[d + 3] = e3;
  } else {
    x[d] = e0;
    x[d + 1] = e1;
    x[d + 2] = wordOf(e2, e3, n & 3) | (wordOf(e2, e3, (n >> 2) & 3) << 16);
    x[d + 3] = wordOf(e2, e3, (n >> 4) & 3) | (wordOf(e2, e3, (n >> 6) & 3) << 16);
  }
}

/** SHUFPS Vps, Wps, Ib: two elements from the destination, two from the source. */
export function shufps(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const n = i.imm;
  const x = c.xmm32;
  const d = i.reg << 2;
  const r0 = x[d + (n & 3)];
  const r1 = x[d + ((n >> 2) & 3)];
  const r2 = src[s + ((n >> 4) & 3)];
  const r3 = src[s + ((n >> 6) & 3)];
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

/** SHUFPD Vpd, Wpd, Ib. */
export function shufpd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i) + ((i.imm >> 1) & 1) * 2;
  const x = c.xmm32;
  const d = i.reg << 2;
  const a = d + (i.imm & 1) * 2;
  const r0 = x[a];
  const r1 = x[a + 1];
  const r2 = src[s];
  const r3 = src[s + 1];
  x[d] = r0;
  x[d + 1] = r1;
  x[d + 2] = r2;
  x[d + 3] = r3;
}

// ------------------------------------------------------------------------------ word insert/extract

/** PEXTRW Gd, Udq, Ib: the word zero-extended into the full 64-bit register. */
export function pextrw(c: Cpu, i: Insn): void {
  const at = (i.rm << 4) + 2 * (i.imm & 7);
  c.setRegSized(i.reg, 8, c.xmm8[at] | (c.xmm8[at + 1] << 8), 0);
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

/**
 * The top bits of the four bytes of v as four bits. Moved to bit 0 of each byte and multiplied by
 * 1 + 2^7 + 2^14 + 2^21, they land on bits 21..24 without carries (every partial product has its own
 * bit position, the product stays below 2^53).
 */
function byteSigns(v: number): number {
  return Math.floor((((v & 0x80808080) >>> 7) * 0x204081) / 0x200000) & 0xf;
}

/** PMOVMSKB Gd, Udq. */
export function pmovmskb(c: Cpu, i: Insn): void {
  const x = c.xmm32;
  const b = i.rm << 2;
  const m =
    byteSigns(x[b]) | (byteSigns(x[b + 1]) << 4) | (byteSigns(x[b + 2]) << 8) | (byteSigns(x[b + 3]) << 12);
  c.setRegSized(i.reg, 8, m, 0);
}
