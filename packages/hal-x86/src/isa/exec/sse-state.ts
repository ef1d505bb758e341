/**
 * SSE state management (group 0F AE): LDMXCSR/STMXCSR, FXSAVE/FXRSTOR of the x87 + SSE state, and the
 * fences and CLFLUSH, which have nothing to order or flush in this single-CPU model and execute as no-ops.
 *
 * FXSAVE area (512 bytes, 16-byte aligned), as written in 64-bit mode:
 *   0 FCW  2 FSW  4 abridged FTW (1 bit per physical register: 1 = not empty)  6 FOP
 *   8 FIP (64 bits with REX.W; else 32-bit offset + 16-bit selector)  16 FDP (likewise)
 *   24 MXCSR  28 MXCSR_MASK  32 ST0..ST7 (10 bytes + 6 reserved zero bytes each)  160 XMM0..XMM15
 *   416..511 reserved and available to software: neither written nor read.
 */
import type { Cpu } from '../../cpu/cpu';
import { GuestFault, Vector } from '../../cpu/fault';
import type { Insn } from '../insn';
import { MXCSR_MASK } from './sse-fp';

const TWO32 = 4294967296;

function checkMxcsr(value: number, what: string): void {
  if ((value & ~MXCSR_MASK) !== 0) throw new GuestFault(Vector.GP, 0, 0n, `${what}: reserved MXCSR bits set`);
}

/** LDMXCSR Md. */
export function ldmxcsr(c: Cpu, i: Insn): void {
  const v = c.rd32(c.ea(i));
  checkMxcsr(v, 'ldmxcsr');
  c.mxcsr = v >>> 0;
}

/** STMXCSR Md. */
export function stmxcsr(c: Cpu, i: Insn): void {
  c.wr32(c.ea(i), c.mxcsr);
}

/** Fences, CLFLUSH. */
export function fence(_c: Cpu, _i: Insn): void {}

function fxArea(c: Cpu, i: Insn): number {
  const la = c.ea(i);
  if ((la & 15) !== 0) throw new GuestFault(Vector.GP, 0, 0n, `${i.def.mnemonic}: misaligned save area`);
  return la;
}

/** FXSAVE M512 (FXSAVE64 with REX.W). */
export function fxsave(c: Cpu, i: Insn): void {
  const la = fxArea(c, i);
  c.probeWrite(la, 416);
  const x = c.x87;
  let abridged = 0;
  for (let r = 0; r < 8; r++) if (((x.ftw >> (2 * r)) & 3) !== 3) abridged |= 1 << r;
  c.wr16(la, x.fcw);
  c.wr16(la + 2, x.statusWord);
  c.wr16(la + 4, abridged);
  c.wr16(la + 6, x.fop & 0x7ff);
  if (i.opsize === 8) {
    c.wr64(la + 8, x.fip | 0, Math.floor(x.fip / TWO32) | 0);
    c.wr64(la + 16, x.fdp | 0, Math.floor(x.fdp / TWO32) | 0);
  } else {
    c.wr64(la + 8, x.fip | 0, 0);
    c.wr64(la + 16, x.fdp | 0, 0);
  }
  c.wr32(la + 24, c.mxcsr);
  c.wr32(la + 28, MXCSR_MASK);
  for (let st = 0; st < 8; st++) {
    const phys = (x.top + st) & 7;
    const at = la + 32 + 16 * st;
    for (let b = 0; b < 10; b++) c.wr8(at + b, x.data[phys * 10 + b]);
    for (let b = 10; b < 16; b++) c.wr8(at + b, 0);
  }
  const xmm = c.xmm32;
  for (let r = 0; r < 16; r++) {
    c.wr64(la + 160 + 16 * r, xmm[4 * r], xmm[4 * r + 1]);
    c.wr64(la + 168 + 16 * r, xmm[4 * r + 2], xmm[4 * r + 3]);
  }
}

/** The full two-bit tag of an 80-bit register value: 0 valid, 1 zero, 2 special (NaN, inf, denormal, unnormal). */
function tagOf(d: Uint8Array, at: number): number {
  const exp = (d[at + 8] | (d[at + 9] << 8)) & 0x7fff;
  let mantZero = true;
  for (let b = 0; b < 8; b++) if (d[at + b] !== 0) mantZero = false;
  if (exp === 0) return mantZero ? 1 : 2;
  if (exp === 0x7fff) return 2;
  return (d[at + 7] & 0x80) !== 0 ? 0 : 2;
}

/** FXRSTOR M512 (FXRSTOR64 with REX.W). */
export function fxrstor(c: Cpu, i: Insn): void {
  const la = fxArea(c, i);
  // Read everything first, so that a fault or a bad MXCSR leaves the state untouched.
  const mx = c.rd32(la + 24);
  checkMxcsr(mx, 'fxrstor');
  const bytes = c.readBytes(la, 416);
  const u16 = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  const u32 = (o: number) =>
    (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
  const x = c.x87;
  x.fcw = u16(0);
  const fsw = u16(2);
  x.top = (fsw >> 11) & 7;
  x.fsw = fsw & ~0x3800;
  x.fop = u16(6) & 0x7ff;
  if (i.opsize === 8) {
    x.fip = u32(12) * TWO32 + u32(8);
    x.fdp = u32(20) * TWO32 + u32(16);
  } else {
    x.fip = u32(8);
    x.fdp = u32(16);
  }
  for (let st = 0; st < 8; st++) {
    const phys = (x.top + st) & 7;
    for (let b = 0; b < 10; b++) x.data[phys * 10 + b] = bytes[32 + 16 * st + b];
  }
  const abridged = bytes[4];
  let ftw = 0;
  for (let r = 0; r < 8; r++) ftw |= ((abridged >> r) & 1 ? tagOf(x.data, r * 10) : 3) << (2 * r);
  x.ftw = ftw;
  c.mxcsr = mx >>> 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (let r = 0; r < 64; r++) c.xmm32[r] = view.getInt32(160 + 4 * r, true);
}
