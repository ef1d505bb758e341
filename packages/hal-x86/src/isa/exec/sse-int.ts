/**
 * SSE2 packed integer arithmetic on xmm registers: add/subtract (wrapping and saturating), multiplies,
 * multiply-add, sum of absolute differences, averages, min/max, compares, and the shifts (by an xmm count
 * or an immediate, including the whole-register byte shifts).
 *
 * Each handler computes on the scratch copy D of the destination with the source operand in S (see
 * sse-operands.ts); every 128-bit memory source must be 16-byte aligned.
 */
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { D, loadD, loadW, S, storeD, T, tToD } from './sse-operands';

/** A handler for `op xmm, xmm/m128` that runs `body` on D and S. */
function binary(body: () => void): Handler {
  return (c: Cpu, i: Insn) => {
    loadD(c, i.reg);
    loadW(c, i);
    body();
    storeD(c, i.reg);
  };
}

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

// ------------------------------------------------------------------------------- add and subtract

export const paddb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = d[k] + s[k];
});
export const paddw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = d[k] + s[k];
});
export const paddd = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k++) d[k] = (d[k] + s[k]) | 0;
});
export const paddq = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k += 2) {
    const lo = (d[k] >>> 0) + (s[k] >>> 0);
    d[k] = lo | 0;
    d[k + 1] = (d[k + 1] + s[k + 1] + (lo > 0xffffffff ? 1 : 0)) | 0;
  }
});
export const psubb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = d[k] - s[k];
});
export const psubw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = d[k] - s[k];
});
export const psubd = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k++) d[k] = (d[k] - s[k]) | 0;
});
export const psubq = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k += 2) {
    const borrow = d[k] >>> 0 < s[k] >>> 0 ? 1 : 0;
    d[k] = (d[k] - s[k]) | 0;
    d[k + 1] = (d[k + 1] - s[k + 1] - borrow) | 0;
  }
});
export const paddsb = binary(() => {
  const d = D.i8;
  const s = S.i8;
  for (let k = 0; k < 16; k++) d[k] = sat8s(d[k] + s[k]);
});
export const paddsw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) d[k] = sat16s(d[k] + s[k]);
});
export const paddusb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = sat8u(d[k] + s[k]);
});
export const paddusw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = sat16u(d[k] + s[k]);
});
export const psubsb = binary(() => {
  const d = D.i8;
  const s = S.i8;
  for (let k = 0; k < 16; k++) d[k] = sat8s(d[k] - s[k]);
});
export const psubsw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) d[k] = sat16s(d[k] - s[k]);
});
export const psubusb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = sat8u(d[k] - s[k]);
});
export const psubusw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = sat16u(d[k] - s[k]);
});

// -------------------------------------------------------------------------------------- multiply

export const pmullw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) d[k] = Math.imul(d[k], s[k]);
});
export const pmulhw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) d[k] = (d[k] * s[k]) >> 16;
});
export const pmulhuw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = (d[k] * s[k]) >>> 16;
});
/** Unsigned 32 x 32 -> 64 of dwords 0 and 2. */
export const pmuludq = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k += 2) {
    const a = d[k] >>> 0;
    const b = s[k] >>> 0;
    const a0 = a & 0xffff;
    const a1 = a >>> 16;
    const b0 = b & 0xffff;
    const b1 = b >>> 16;
    const p00 = a0 * b0;
    const mid = a1 * b0 + a0 * b1 + (p00 >>> 16); // < 2^33 + 2^16, exact in a double
    const midLo = mid % 65536;
    const midHi = Math.floor(mid / 65536);
    d[k] = (midLo << 16) | (p00 & 0xffff) | 0;
    d[k + 1] = (a1 * b1 + midHi) | 0;
  }
});
export const pmaddwd = binary(() => {
  const d16 = D.i16;
  const s16 = S.i16;
  const d = D.i32;
  for (let k = 0; k < 4; k++) {
    const v = d16[2 * k] * s16[2 * k] + d16[2 * k + 1] * s16[2 * k + 1];
    d[k] = v | 0;
  }
});
export const psadbw = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let h = 0; h < 16; h += 8) {
    let sum = 0;
    for (let k = h; k < h + 8; k++) sum += Math.abs(d[k] - s[k]);
    D.i32[h >> 2] = sum;
    D.i32[(h >> 2) + 1] = 0;
  }
});

// ----------------------------------------------------------------------------- average, min, max

export const pavgb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = (d[k] + s[k] + 1) >> 1;
});
export const pavgw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = (d[k] + s[k] + 1) >> 1;
});
export const pminub = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) if (s[k] < d[k]) d[k] = s[k];
});
export const pmaxub = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) if (s[k] > d[k]) d[k] = s[k];
});
export const pminsw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) if (s[k] < d[k]) d[k] = s[k];
});
export const pmaxsw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) if (s[k] > d[k]) d[k] = s[k];
});

// -------------------------------------------------------------------------------------- compares

export const pcmpeqb = binary(() => {
  const d = D.u8;
  const s = S.u8;
  for (let k = 0; k < 16; k++) d[k] = d[k] === s[k] ? 0xff : 0;
});
export const pcmpeqw = binary(() => {
  const d = D.u16;
  const s = S.u16;
  for (let k = 0; k < 8; k++) d[k] = d[k] === s[k] ? 0xffff : 0;
});
export const pcmpeqd = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k++) d[k] = d[k] === s[k] ? -1 : 0;
});
export const pcmpgtb = binary(() => {
  const d = D.i8;
  const s = S.i8;
  for (let k = 0; k < 16; k++) d[k] = d[k] > s[k] ? -1 : 0;
});
export const pcmpgtw = binary(() => {
  const d = D.i16;
  const s = S.i16;
  for (let k = 0; k < 8; k++) d[k] = d[k] > s[k] ? -1 : 0;
});
export const pcmpgtd = binary(() => {
  const d = D.i32;
  const s = S.i32;
  for (let k = 0; k < 4; k++) d[k] = d[k] > s[k] ? -1 : 0;
});

// ----------------------------------------------------------------------------------------- shifts

/** Shift kinds (row `sub`): logical left, logical right, arithmetic right. */
export const ShiftKind = { SLL: 0, SRL: 1, SRA: 2 } as const;

/** Shifts every element of D of `width` bits (16, 32, 64) by `count` (any non-negative number). */
function shiftD(kind: number, width: number, count: number): void {
  if (width === 16) {
    const d = D.i16;
    if (count > 15) {
      if (kind !== ShiftKind.SRA) d.fill(0);
      else for (let k = 0; k < 8; k++) d[k] = d[k] >> 15;
      return;
    }
    for (let k = 0; k < 8; k++) {
      if (kind === ShiftKind.SLL) d[k] = d[k] << count;
      else if (kind === ShiftKind.SRL) d[k] = (d[k] & 0xffff) >>> count;
      else d[k] = d[k] >> count;
    }
    return;
  }
  const d = D.i32;
  if (width === 32) {
    if (count > 31) {
      if (kind !== ShiftKind.SRA) d.fill(0);
      else for (let k = 0; k < 4; k++) d[k] = d[k] >> 31;
      return;
    }
    for (let k = 0; k < 4; k++) {
      if (kind === ShiftKind.SLL) d[k] = d[k] << count;
      else if (kind === ShiftKind.SRL) d[k] = d[k] >>> count;
      else d[k] = d[k] >> count;
    }
    return;
  }
  // 64-bit lanes (logical shifts only).
  if (count > 63) {
    d.fill(0);
    return;
  }
  if (count === 0) return;
  for (let k = 0; k < 4; k += 2) {
    const lo = d[k];
    const hi = d[k + 1];
    if (kind === ShiftKind.SLL) {
      if (count >= 32) {
        d[k + 1] = lo << (count - 32);
        d[k] = 0;
      } else {
        d[k + 1] = (hi << count) | (lo >>> (32 - count));
        d[k] = lo << count;
      }
    } else if (count >= 32) {
      d[k] = hi >>> (count - 32);
      d[k + 1] = 0;
    } else {
      d[k] = (lo >>> count) | (hi << (32 - count));
      d[k + 1] = hi >>> count;
    }
  }
}

/** The shift count from the low quadword of S, saturated (anything above 255 behaves alike). */
function countFromS(): number {
  const hi = S.i32[1];
  const lo = S.i32[0] >>> 0;
  return hi !== 0 || lo > 255 ? 255 : lo;
}

function shiftByXmm(kind: number, width: number): Handler {
  return (c: Cpu, i: Insn) => {
    loadD(c, i.reg);
    loadW(c, i);
    shiftD(kind, width, countFromS());
    storeD(c, i.reg);
  };
}

export const psrlw = shiftByXmm(ShiftKind.SRL, 16);
export const psrld = shiftByXmm(ShiftKind.SRL, 32);
export const psrlq = shiftByXmm(ShiftKind.SRL, 64);
export const psraw = shiftByXmm(ShiftKind.SRA, 16);
export const psrad = shiftByXmm(ShiftKind.SRA, 32);
export const psllw = shiftByXmm(ShiftKind.SLL, 16);
export const pslld = shiftByXmm(ShiftKind.SLL, 32);
export const psllq = shiftByXmm(ShiftKind.SLL, 64);

/** Groups 66 0F 71/72/73 /2 /4 /6: shift the register in modrm.rm by imm8; `sub` = kind, width below. */
function shiftByImm(width: number): Handler {
  return (c: Cpu, i: Insn) => {
    loadD(c, i.rm);
    shiftD(i.sub, width, i.imm & 0xff);
    storeD(c, i.rm);
  };
}

export const shiftImm16 = shiftByImm(16);
export const shiftImm32 = shiftByImm(32);
export const shiftImm64 = shiftByImm(64);

/** PSRLDQ (sub SRL) / PSLLDQ (sub SLL): byte shifts of the whole register by imm8. */
export function byteShift(c: Cpu, i: Insn): void {
  loadD(c, i.rm);
  const n = i.imm & 0xff;
  const d = D.u8;
  const t = T.u8;
  for (let k = 0; k < 16; k++) {
    const from = i.sub === ShiftKind.SLL ? k - n : k + n;
    t[k] = from >= 0 && from < 16 ? d[from] : 0;
  }
  tToD();
  storeD(c, i.rm);
}
