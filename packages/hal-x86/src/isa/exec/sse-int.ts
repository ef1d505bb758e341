/**
 * SSE2 packed integer arithmetic on xmm registers: add/subtract (wrapping and saturating), multiplies,
 * multiply-add, sum of absolute differences, averages, min/max, compares, and the shifts (by an xmm count
 * or an immediate, including the whole-register byte shifts).
 *
 * Handlers compute in place on the destination register: the source is read where it lies (another xmm
 * register, or S after a memory read; see `wVector`), so a memory fault happens before anything is
 * written, and every lane reads its inputs before writing, so source and destination may be the same
 * register. Byte and word lanes are worked on inside 32-bit elements (SWAR) where that is short; the
 * byte-wise operations that are not go through the byte view. Every 128-bit memory source must be 16-byte
 * aligned.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import { T, wBytes, wIndex, wVector } from './sse-operands';

const TWO32 = 4294967296;

function sat8s(v: number): number {
  return Math.min(127, Math.max(-128, v));
}
function sat8u(v: number): number {
  return Math.min(255, Math.max(0, v));
}
function sat16s(v: number): number {
  return Math.min(32767, Math.max(-32768, v));
}
function sat16u(v: number): number {
  return Math.min(65535, Math.max(0, v));
}

/** A signed byte from a Uint8Array element. */
function s8(v: number): number {
  return (v << 24) >> 24;
}

/** The low and high signed words of a 32-bit element. */
function lo16(v: number): number {
  return (v << 16) >> 16;
}
function hi16(v: number): number {
  return v >> 16;
}

/** A 32-bit element from two words (only their low 16 bits count). */
function words(lo: number, hi: number): number {
  return (hi << 16) | (lo & 0xffff);
}

// ------------------------------------------------------------------------------- add and subtract

// Byte and word sums without carries between lanes: add the low bits of every lane, then set each lane's
// top bit from the two top bits and the carry that reached it.
const B_TOP = 0x80808080 | 0;
const B_LOW = 0x7f7f7f7f;
const W_TOP = 0x80008000 | 0;
const W_LOW = 0x7fff7fff;

export function paddb(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = ((a & B_LOW) + (b & B_LOW)) ^ ((a ^ b) & B_TOP);
  }
}

export function paddw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = ((a & W_LOW) + (b & W_LOW)) ^ ((a ^ b) & W_TOP);
  }
}

export function paddd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) x[d + k] = (x[d + k] + src[s + k]) | 0;
}

export function paddq(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k += 2) {
    const lo = (x[d + k] >>> 0) + (src[s + k] >>> 0);
    const hi = x[d + k + 1] + src[s + k + 1];
    x[d + k] = lo | 0;
    x[d + k + 1] = (hi + (lo > 0xffffffff ? 1 : 0)) | 0;
  }
}

// Differences without borrows between lanes: subtract the low bits from the lane with its top bit set,
// then fix the top bit from the two top bits and whether that borrowed it.
export function psubb(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = ((a | B_TOP) - (b & B_LOW)) ^ (~(a ^ b) & B_TOP);
  }
}

export function psubw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = ((a | W_TOP) - (b & W_LOW)) ^ (~(a ^ b) & W_TOP);
  }
}

export function psubd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) x[d + k] = (x[d + k] - src[s + k]) | 0;
}

export function psubq(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k += 2) {
    const a = x[d + k];
    const b = src[s + k];
    const borrow = a >>> 0 < b >>> 0 ? 1 : 0;
    const hi = x[d + k + 1] - src[s + k + 1] - borrow;
    x[d + k] = (a - b) | 0;
    x[d + k + 1] = hi | 0;
  }
}

export function paddsb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = sat8s(s8(x[d + k]) + s8(src[s + k]));
}

export function paddusb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = sat8u(x[d + k] + src[s + k]);
}

export function psubsb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = sat8s(s8(x[d + k]) - s8(src[s + k]));
}

export function psubusb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = sat8u(x[d + k] - src[s + k]);
}

export function paddsw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(sat16s(lo16(a) + lo16(b)), sat16s(hi16(a) + hi16(b)));
  }
}

export function paddusw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(sat16u((a & 0xffff) + (b & 0xffff)), sat16u((a >>> 16) + (b >>> 16)));
  }
}

export function psubsw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(sat16s(lo16(a) - lo16(b)), sat16s(hi16(a) - hi16(b)));
  }
}

export function psubusw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(sat16u((a & 0xffff) - (b & 0xffff)), sat16u((a >>> 16) - (b >>> 16)));
  }
}

// -------------------------------------------------------------------------------------- multiply

export function pmullw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = (Math.imul(a >>> 16, b >>> 16) << 16) | (Math.imul(a, b) & 0xffff);
  }
}

export function pmulhw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    // Products of two int16 lie within int32.
    x[d + k] = words((lo16(a) * lo16(b)) >> 16, (hi16(a) * hi16(b)) >> 16);
  }
}

export function pmulhuw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(((a & 0xffff) * (b & 0xffff)) >>> 16, ((a >>> 16) * (b >>> 16)) >>> 16);
  }
}

/**
 * Unsigned 32 x 32 -> 64 of dwords 0 and 2. The low half is Math.imul's; the double product is within
 * 2^11 of the exact one, so removing the low half and rounding to a multiple of 2^32 gives the high half.
 */
export function pmuludq(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k += 2) {
    const a = x[d + k] >>> 0;
    const b = src[s + k] >>> 0;
    const lo = Math.imul(a, b);
    x[d + k] = lo;
    x[d + k + 1] = Math.round((a * b - (lo >>> 0)) / TWO32) | 0;
  }
}

export function pmaddwd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    // Only -32768 * -32768 twice reaches 2^31, which wraps as on hardware.
    x[d + k] = (lo16(a) * lo16(b) + hi16(a) * hi16(b)) | 0;
  }
}

export function psadbw(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  let low = 0;
  let high = 0;
  for (let k = 0; k < 8; k++) {
    low += Math.abs(x[d + k] - src[s + k]);
    high += Math.abs(x[d + 8 + k] - src[s + 8 + k]);
  }
  const x32 = c.xmm32;
  const d32 = i.reg << 2;
  x32[d32] = low;
  x32[d32 + 1] = 0;
  x32[d32 + 2] = high;
  x32[d32 + 3] = 0;
}

// ----------------------------------------------------------------------------- average, min, max

export function pavgb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = (x[d + k] + src[s + k] + 1) >> 1;
}

export function pavgw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(((a & 0xffff) + (b & 0xffff) + 1) >> 1, ((a >>> 16) + (b >>> 16) + 1) >> 1);
  }
}

export function pminub(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) if (src[s + k] < x[d + k]) x[d + k] = src[s + k];
}

export function pmaxub(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) if (src[s + k] > x[d + k]) x[d + k] = src[s + k];
}

export function pminsw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(Math.min(lo16(a), lo16(b)), Math.min(hi16(a), hi16(b)));
  }
}

export function pmaxsw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = words(Math.max(lo16(a), lo16(b)), Math.max(hi16(a), hi16(b)));
  }
}

// -------------------------------------------------------------------------------------- compares

/**
 * PCMPEQB on 32-bit elements: a byte of a ^ b is zero exactly when adding 0x7f to its low seven bits
 * leaves its top bit clear and its own top bit is clear; those top bits, moved to bit 0 of each byte,
 * times 255 give the 0xff/0x00 bytes (no carries: every byte is 0 or 1 before the multiplication).
 */
export function pcmpeqb(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const v = x[d + k] ^ src[s + k];
    const nonzero = ((v & B_LOW) + B_LOW) | v;
    x[d + k] = ((~nonzero & B_TOP) >>> 7) * 255;
  }
}

export function pcmpeqw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const v = x[d + k] ^ src[s + k];
    x[d + k] = ((v & 0xffff) === 0 ? 0xffff : 0) | ((v & 0xffff0000) === 0 ? 0xffff0000 : 0);
  }
}

export function pcmpeqd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) x[d + k] = x[d + k] === src[s + k] ? -1 : 0;
}

export function pcmpgtb(c: Cpu, i: Insn): void {
  const src = wBytes(c, i);
  const s = wIndex(i) << 2;
  const x = c.xmm8;
  const d = i.reg << 4;
  for (let k = 0; k < 16; k++) x[d + k] = s8(x[d + k]) > s8(src[s + k]) ? 0xff : 0;
}

export function pcmpgtw(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) {
    const a = x[d + k];
    const b = src[s + k];
    x[d + k] = (lo16(a) > lo16(b) ? 0xffff : 0) | (hi16(a) > hi16(b) ? 0xffff0000 : 0);
  }
}

export function pcmpgtd(c: Cpu, i: Insn): void {
  const src = wVector(c, i);
  const s = wIndex(i);
  const x = c.xmm32;
  const d = i.reg << 2;
  for (let k = 0; k < 4; k++) x[d + k] = x[d + k] > src[s + k] ? -1 : 0;
}

// ----------------------------------------------------------------------------------------- shifts

/** Shift kinds (row `sub`): logical left, logical right, arithmetic right. */
export const ShiftKind = { SLL: 0, SRL: 1, SRA: 2 } as const;

/** Shifts the eight words of the register at x[b..b+3] by `n` (any non-negative count). */
function shiftWords(x: Int32Array, b: number, kind: number, n: number): void {
  for (let k = b; k < b + 4; k++) {
    const v = x[k];
    if (kind === ShiftKind.SRA) {
      const m = Math.min(n, 15);
      x[k] = words(lo16(v) >> m, hi16(v) >> m);
    } else if (n > 15) {
      x[k] = 0;
    } else if (kind === ShiftKind.SLL) {
      x[k] = ((v & 0xffff0000) << n) | ((v << n) & 0xffff);
    } else {
      x[k] = (((v >>> 16) >>> n) << 16) | ((v & 0xffff) >>> n);
    }
  }
}

/** Shifts the four doublewords at x[b..b+3] by `n`. */
function shiftDwords(x: Int32Array, b: number, kind: number, n: number): void {
  for (let k = b; k < b + 4; k++) {
    const v = x[k];
    if (kind === ShiftKind.SRA) x[k] = v >> Math.min(n, 31);
    else if (n > 31) x[k] = 0;
    else if (kind === ShiftKind.SLL) x[k] = v << n;
    else x[k] = v >>> n;
  }
}

/** Shifts the two quadwords at x[b..b+3] left by `n`. */
function shiftQwordsLeft(x: Int32Array, b: number, n: number): void {
  for (let k = b; k < b + 4; k += 2) {
    const lo = x[k];
    const hi = x[k + 1];
    if (n > 63) {
      x[k] = 0;
      x[k + 1] = 0;
    } else if (n >= 32) {
      x[k + 1] = lo << (n - 32);
      x[k] = 0;
    } else if (n > 0) {
      x[k + 1] = (hi << n) | (lo >>> (32 - n));
      x[k] = lo << n;
    }
  }
}

/** Shifts the two quadwords at x[b..b+3] right (logically) by `n`. */
function shiftQwordsRight(x: Int32Array, b: number, n: number): void {
  for (let k = b; k < b + 4; k += 2) {
    const lo = x[k];
    const hi = x[k + 1];
    if (n > 63) {
      x[k] = 0;
      x[k + 1] = 0;
    } else if (n >= 32) {
      x[k] = hi >>> (n - 32);
      x[k + 1] = 0;
    } else if (n > 0) {
      x[k] = (lo >>> n) | (hi << (32 - n));
      x[k + 1] = hi >>> n;
    }
  }
}

/** The shift count in the low quadword of the W operand, saturated (anything above 255 behaves alike). */
function countW(c: Cpu, i: Insn): number {
  const src = wVector(c, i);
  const s = wIndex(i);
  const lo = src[s] >>> 0;
  return src[s + 1] !== 0 || lo > 255 ? 255 : lo;
}

export function psrlw(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.reg << 2, ShiftKind.SRL, countW(c, i));
}
export function psraw(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.reg << 2, ShiftKind.SRA, countW(c, i));
}
export function psllw(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.reg << 2, ShiftKind.SLL, countW(c, i));
}
export function psrld(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.reg << 2, ShiftKind.SRL, countW(c, i));
}
export function psrad(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.reg << 2, ShiftKind.SRA, countW(c, i));
}
export function pslld(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.reg << 2, ShiftKind.SLL, countW(c, i));
}
export function psrlq(c: Cpu, i: Insn): void {
  shiftQwordsRight(c.xmm32, i.reg << 2, countW(c, i));
}
export function psllq(c: Cpu, i: Insn): void {
  shiftQwordsLeft(c.xmm32, i.reg << 2, countW(c, i));
}

// Groups 66 0F 71/72/73 /2 /4 /6: shift the register in modrm.rm by imm8.
export function psrlwImm(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.rm << 2, ShiftKind.SRL, i.imm & 0xff);
}
export function psrawImm(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.rm << 2, ShiftKind.SRA, i.imm & 0xff);
}
export function psllwImm(c: Cpu, i: Insn): void {
  shiftWords(c.xmm32, i.rm << 2, ShiftKind.SLL, i.imm & 0xff);
}
export function psrldImm(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.rm << 2, ShiftKind.SRL, i.imm & 0xff);
}
export function psradImm(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.rm << 2, ShiftKind.SRA, i.imm & 0xff);
}
export function pslldImm(c: Cpu, i: Insn): void {
  shiftDwords(c.xmm32, i.rm << 2, ShiftKind.SLL, i.imm & 0xff);
}
export function psrlqImm(c: Cpu, i: Insn): void {
  shiftQwordsRight(c.xmm32, i.rm << 2, i.imm & 0xff);
}
export function psllqImm(c: Cpu, i: Insn): void {
  shiftQwordsLeft(c.xmm32, i.rm << 2, i.imm & 0xff);
}

/** PSRLDQ (sub SRL) / PSLLDQ (sub SLL): byte shifts of the whole register by imm8. */
export function byteShift(c: Cpu, i: Insn): void {
  const x = c.xmm8;
  const b = i.rm << 4;
  const n = i.imm & 0xff;
  const t = T.u8;
  for (let k = 0; k < 16; k++) t[k] = x[b + k];
  for (let k = 0; k < 16; k++) {
    const from = i.sub === ShiftKind.SLL ? k - n : k + n;
    x[b + k] = from >= 0 && from < 16 ? t[from] : 0;
  }
}
