/**
 * Operand access shared by the SSE/SSE2 handlers.
 *
 * The general floating-point handlers work on two 16-byte scratch vectors: D, a copy of the destination
 * register, and S, the source (an xmm register or memory). They compute into D and commit it with
 * `storeD`; an instruction that faults part way (#XM, #GP) therefore leaves the destination untouched, as
 * the architecture requires. Every scratch vector has one view per element type, so handlers index
 * elements without conversions.
 *
 * Handlers that cannot fault once their operands are read (integer, shuffles, and the specialised
 * floating-point handlers once they have decided) skip the copies: they read the source where it lies
 * (`wVector`: the register file, or S after the memory read) and write the destination register directly.
 *
 * Data moves through the integer views only: reading a float32 signalling NaN through a Float32Array
 * quiets it (the host converts it to a double), so float views are for arithmetic, never for copying.
 */
import type { Cpu } from '../../cpu/cpu';
import { GuestFault, Vector } from '../../cpu/fault';
import type { Insn } from '../insn';

export class Vec128 {
  readonly buf = new ArrayBuffer(16);
  readonly u8 = new Uint8Array(this.buf);
  readonly i8 = new Int8Array(this.buf);
  readonly u16 = new Uint16Array(this.buf);
  readonly i16 = new Int16Array(this.buf);
  readonly i32 = new Int32Array(this.buf);
  readonly u32 = new Uint32Array(this.buf);
  readonly f32 = new Float32Array(this.buf);
  readonly f64 = new Float64Array(this.buf);
}

/** Destination copy and source operand of the instruction being executed. */
export const D = new Vec128();
export const S = new Vec128();

/** Copies xmm register `r` into D. */
export function loadD(c: Cpu, r: number): void {
  const x = c.xmm32;
  const d = D.i32;
  const b = r << 2;
  d[0] = x[b];
  d[1] = x[b + 1];
  d[2] = x[b + 2];
  d[3] = x[b + 3];
}

/** Copies D into xmm register `r`. */
export function storeD(c: Cpu, r: number): void {
  const x = c.xmm32;
  const d = D.i32;
  const b = r << 2;
  x[b] = d[0];
  x[b + 1] = d[1];
  x[b + 2] = d[2];
  x[b + 3] = d[3];
}

/** Copies xmm register `r` into S. */
export function loadSReg(c: Cpu, r: number): void {
  const x = c.xmm32;
  const s = S.i32;
  const b = r << 2;
  s[0] = x[b];
  s[1] = x[b + 1];
  s[2] = x[b + 2];
  s[3] = x[b + 3];
}

/** Effective address of a 16-byte operand that must be 16-byte aligned (#GP(0) otherwise). */
export function eaAligned(c: Cpu, i: Insn): number {
  const la = c.ea(i);
  if ((la & 15) !== 0)
    throw new GuestFault(Vector.GP, 0, 0n, `${i.def.mnemonic}: misaligned 16-byte operand`);
  return la;
}

/** Reads 16 bytes at `la` into S. */
export function read128(c: Cpu, la: number, v: Vec128): void {
  const s = v.i32;
  s[0] = c.rd64(la);
  s[1] = c.hi;
  s[2] = c.rd64(la + 8);
  s[3] = c.hi;
}

/** Writes 16 bytes from `v` at `la`; both halves are checked before either is written. */
export function write128(c: Cpu, la: number, v: Int32Array, base: number): void {
  c.probeWrite(la, 16);
  c.wr64(la, v[base], v[base + 1]);
  c.wr64(la + 8, v[base + 2], v[base + 3]);
}

/** Loads the full 128-bit W operand into S; memory operands must be 16-byte aligned. */
export function loadW(c: Cpu, i: Insn): void {
  if (i.mod === 3) loadSReg(c, i.rm);
  else read128(c, eaAligned(c, i), S);
}

/** Loads the full 128-bit W operand into S without an alignment requirement (movups, movdqu). */
export function loadWu(c: Cpu, i: Insn): void {
  if (i.mod === 3) loadSReg(c, i.rm);
  else read128(c, c.ea(i), S);
}

/** Loads the low 64 bits of the W operand into S (a register source is copied whole). */
export function loadW64(c: Cpu, i: Insn): void {
  if (i.mod === 3) {
    loadSReg(c, i.rm);
  } else {
    const s = S.i32;
    s[0] = c.rd64(c.ea(i));
    s[1] = c.hi;
  }
}

/** Loads the low 32 bits of the W operand into S (a register source is copied whole). */
export function loadW32(c: Cpu, i: Insn): void {
  if (i.mod === 3) loadSReg(c, i.rm);
  else S.i32[0] = c.rd32(c.ea(i));
}

/**
 * The full 128-bit W operand as int32 elements, without copying a register source: the array that holds
 * it (the xmm register file, or S after an aligned memory read); `wIndex` gives its first element there.
 * Handlers that compute in place must read every source element they need before writing the destination,
 * which may be the same register.
 */
export function wVector(c: Cpu, i: Insn): Int32Array {
  if (i.mod === 3) return c.xmm32;
  read128(c, eaAligned(c, i), S);
  return S.i32;
}

export function wIndex(i: Insn): number {
  return i.mod === 3 ? i.rm << 2 : 0;
}

/** wVector as bytes (xmm8 or S.u8); the operand starts at byte `wIndex(i) * 4`. */
export function wBytes(c: Cpu, i: Insn): Uint8Array {
  if (i.mod === 3) return c.xmm8;
  read128(c, eaAligned(c, i), S);
  return S.u8;
}

/** A third scratch vector for results that are assembled from both D and S (shuffles, packs, unpacks). */
export const T = new Vec128();

/** Copies T into D. */
export function tToD(): void {
  const d = D.i32;
  const t = T.i32;
  d[0] = t[0];
  d[1] = t[1];
  d[2] = t[2];
  d[3] = t[3];
}
