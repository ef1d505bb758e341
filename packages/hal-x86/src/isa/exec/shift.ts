/**
 * Shifts and rotates (group 2: ROL ROR RCL RCR SHL SHR SAL SAR) and the double shifts SHLD/SHRD.
 *
 * Counts are masked to 5 bits (6 for 64-bit operands); a masked count of zero changes nothing, flags
 * included. OF is architecturally defined only for 1-bit shifts; for larger counts we compute it with the
 * same formula (hardware differs between vendors; differential tests mask it).
 */
import { Flag, FlagOp, PARITY } from '../../cpu/flags';
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';

export const ShiftOp = { ROL: 0, ROR: 1, RCL: 2, RCR: 3, SHL: 4, SHR: 5, SAL: 6, SAR: 7 } as const;

const MASK64 = (1n << 64n) - 1n;

function toBig(lo: number, hi: number, size: number): bigint {
  if (size === 8) return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return BigInt(lo >>> 0) & ((1n << BigInt(size * 8)) - 1n);
}

/**
 * Computes a group-2 operation on an unsigned value of `size` bytes with a masked, non-zero count.
 * Returns the result and sets flags on the CPU.
 */
function shiftBig(c: Cpu, op: number, size: number, v: bigint, count: number): bigint {
  const bits = size * 8;
  const B = BigInt(bits);
  const mask = (1n << B) - 1n;
  const top = (x: bigint) => (x >> (B - 1n)) & 1n;
  let flags = c.materialize();
  let r: bigint;
  let cf: bigint;
  let of: bigint;
  switch (op) {
    case ShiftOp.ROL: {
      const n = BigInt(count % bits);
      r = ((v << n) | (v >> ((B - n) % B))) & mask;
      cf = r & 1n;
      of = top(r) ^ cf;
      flags = (flags & ~(Flag.CF | Flag.OF)) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0);
      c.setArith(flags);
      return r;
    }
    case ShiftOp.ROR: {
      const n = BigInt(count % bits);
      r = ((v >> n) | (v << ((B - n) % B))) & mask;
      cf = top(r);
      of = top(r) ^ ((r >> (B - 2n)) & 1n);
      flags = (flags & ~(Flag.CF | Flag.OF)) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0);
      c.setArith(flags);
      return r;
    }
    case ShiftOp.RCL:
    case ShiftOp.RCR: {
      // Rotate through carry: a (bits+1)-bit rotation of CF:value.
      const n = count % (bits + 1);
      let wide = (BigInt(flags & Flag.CF ? 1 : 0) << B) | v;
      const W = B + 1n;
      const wmask = (1n << W) - 1n;
      const N = BigInt(n);
      if (op === ShiftOp.RCL) wide = ((wide << N) | (wide >> ((W - N) % W))) & wmask;
      else wide = ((wide >> N) | (wide << ((W - N) % W))) & wmask;
      r = wide & mask;
      cf = wide >> B;
      of = op === ShiftOp.RCL ? top(r) ^ cf : top(r) ^ ((r >> (B - 2n)) & 1n);
      flags = (flags & ~(Flag.CF | Flag.OF)) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0);
      c.setArith(flags);
      return r;
    }
    case ShiftOp.SHL:
    case ShiftOp.SAL:
      r = (v << BigInt(count)) & mask;
      cf = count <= bits ? (v >> BigInt(bits - count)) & 1n : 0n;
      of = top(r) ^ cf;
      break;
    case ShiftOp.SHR:
      r = v >> BigInt(count);
      cf = (v >> BigInt(count - 1)) & 1n;
      of = top(v);
      break;
    default: {
      const s = BigInt.asIntN(bits, v);
      r = BigInt.asUintN(bits, s >> BigInt(count));
      cf = BigInt.asUintN(1, s >> BigInt(count - 1));
      of = 0n;
    }
  }
  c.setArith(resultFlags(r, bits) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0) | (flags & Flag.AF));
  return r;
}

function resultFlags(r: bigint, bits: number): number {
  return (
    (r === 0n ? Flag.ZF : 0) | ((r >> BigInt(bits - 1)) & 1n ? Flag.SF : 0) | (PARITY[Number(r & 0xffn)] as number)
  );
}

/**
 * Fast path for SHL/SHR/SAR on 8..32-bit operands with ordinary int32 arithmetic; 64-bit and rotates use
 * the BigInt path above.
 */
function shift32(c: Cpu, op: number, size: number, v: number, count: number): number {
  const bits = size * 8;
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const sign = bits === 32 ? 0x80000000 | 0 : 1 << (bits - 1);
  let r: number;
  let cf: number;
  let of: number;
  if (op === ShiftOp.SHL || op === ShiftOp.SAL) {
    if (count >= 32) {
      r = 0;
      cf = count === bits ? v & 1 : 0;
    } else {
      r = (v << count) & mask;
      cf = count <= bits ? (v >>> (bits - count)) & 1 : 0;
    }
    of = (r & sign ? 1 : 0) ^ cf;
  } else if (op === ShiftOp.SHR) {
    const u = bits === 32 ? v >>> 0 : v & mask;
    r = count >= 32 ? 0 : (u >>> count) & mask;
    cf = (u >>> (count - 1)) & 1;
    if (count - 1 >= 32) cf = 0;
    of = u & sign ? 1 : 0;
  } else {
    const sv = bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
    r = (sv >> Math.min(count, 31)) & mask;
    cf = (sv >> Math.min(count - 1, 31)) & 1;
    of = 0;
  }
  if (bits === 32) {
    // 32-bit results leave their flags lazy, like the compiled tier (AF is undefined after a shift).
    c.setLazy(lazyShiftOp(op), 4, r | 0, 0, v, 0, count, 0);
    return r | 0;
  }
  const prev = c.materialize();
  c.setArith(
    (r === 0 ? Flag.ZF : 0) |
      (r & sign ? Flag.SF : 0) |
      (PARITY[r & 0xff] as number) |
      (cf ? Flag.CF : 0) |
      (of ? Flag.OF : 0) |
      (prev & Flag.AF),
  );
  return r;
}

/** SHL/SHR/SAR on a 64-bit lo/hi pair, count 1..63; result lo returned, hi in c.hi. Flags stay lazy: CF
 * and OF are derived from the operands when asked (see FlagOp.SHL/SHR/SAR). */
function shift64(c: Cpu, op: number, lo: number, hi: number, n: number): number {
  let rlo: number;
  let rhi: number;
  if (op === ShiftOp.SHL || op === ShiftOp.SAL) {
    if (n < 32) {
      rhi = (hi << n) | (lo >>> (32 - n));
      rlo = lo << n;
    } else {
      rhi = lo << (n - 32);
      rlo = 0;
    }
  } else if (n < 32) {
    rlo = (lo >>> n) | (hi << (32 - n));
    rhi = op === ShiftOp.SHR ? hi >>> n : hi >> n;
  } else {
    rlo = op === ShiftOp.SHR ? hi >>> (n - 32) : hi >> (n - 32);
    rhi = op === ShiftOp.SHR ? 0 : hi >> 31;
  }
  rlo |= 0;
  rhi |= 0;
  c.setLazy(lazyShiftOp(op), 8, rlo, rhi, lo, hi, n, 0);
  c.hi = rhi;
  return rlo;
}

/** The lazy-flag record for SHL/SAL, SHR and SAR. */
function lazyShiftOp(op: number): number {
  return op === ShiftOp.SHR ? FlagOp.SHR : op === ShiftOp.SAR ? FlagOp.SAR : FlagOp.SHL;
}

/** ROL/ROR of a 32- or 64-bit value by 1..bits-1; only CF and OF change. */
function rotate(c: Cpu, left: boolean, s: number, lo: number, hi: number, n: number): number {
  let rlo: number;
  let rhi = 0;
  if (s === 4) {
    rlo = left ? (lo << n) | (lo >>> (32 - n)) : (lo >>> n) | (lo << (32 - n));
  } else {
    // Rotating a 64-bit pair: swap halves for amounts of 32 and more, then rotate by the rest.
    let a = lo;
    let b = hi;
    let k = left ? n : 64 - n;
    if (k >= 32) {
      a = hi;
      b = lo;
      k -= 32;
    }
    if (k === 0) {
      rlo = a;
      rhi = b;
    } else {
      rlo = (a << k) | (b >>> (32 - k));
      rhi = (b << k) | (a >>> (32 - k));
    }
  }
  rlo |= 0;
  rhi |= 0;
  const top = s === 4 ? rlo >>> 31 : rhi >>> 31;
  const next = s === 4 ? (rlo >>> 30) & 1 : (rhi >>> 30) & 1;
  const cf = left ? rlo & 1 : top;
  const of = left ? top ^ cf : top ^ next;
  const flags = c.materialize();
  c.setArith((flags & ~(Flag.CF | Flag.OF)) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0));
  c.hi = rhi;
  return rlo;
}

function groupTwo(c: Cpu, i: Insn, count: number): void {
  const s = i.opsize;
  const n = count & (s === 8 ? 63 : 31);
  if (n === 0) {
    // Changes no flags and no value, but still reads memory (and may fault), and a 32-bit register
    // destination is written back, which zero-extends it like any 32-bit write.
    const v = c.rdE(i, s);
    if (s === 4 && i.mod === 3) c.setRegSized(i.rm, 4, v, 0);
    return;
  }
  const op = i.reg & 7;
  const memory = i.mod !== 3;
  const la = memory ? c.ea(i) : 0;
  if (memory) c.probeWrite(la, s);
  const lo = memory ? c.rdMem(la, s) : c.getRegSized(s === 1 ? i.rm8 : i.rm, s);
  const hi = c.hi;
  let rlo: number;
  let rhi = 0;
  if (s !== 8 && op >= ShiftOp.SHL) {
    rlo = shift32(c, op, s, lo, n);
  } else if (s === 8 && op >= ShiftOp.SHL) {
    rlo = shift64(c, op, lo, hi, n);
    rhi = c.hi;
  } else if (s >= 4 && op <= ShiftOp.ROR) {
    rlo = rotate(c, op === ShiftOp.ROL, s, lo, hi, n);
    rhi = c.hi;
  } else {
    const r = shiftBig(c, op, s, toBig(lo, hi, s), n);
    rlo = Number(r & 0xffffffffn) | 0;
    rhi = Number((r >> 32n) & 0xffffffffn) | 0;
  }
  if (memory) c.wrMem(la, s, rlo, rhi);
  else c.setRegSized(s === 1 ? i.rm8 : i.rm, s, rlo, rhi);
}

/** Group 2 with an immediate count (C0/C1). */
export const shiftEI: Handler = (c, i) => groupTwo(c, i, i.imm);
/** Group 2 by one (D0/D1). */
export const shiftE1: Handler = (c, i) => groupTwo(c, i, 1);
/** Group 2 by CL (D2/D3). */
export const shiftECL: Handler = (c, i) => groupTwo(c, i, c.regs[2] as number);

/** SHLD (sub 0) / SHRD (sub 1) Ev,Gv,Ib|CL: shifts bits of Gv into Ev. */
function doubleShift(c: Cpu, i: Insn, count: number): void {
  const s = i.opsize;
  const bits = s * 8;
  const n = count & (s === 8 ? 63 : 31);
  if (n === 0) {
    const v = c.rdE(i, s);
    if (s === 4 && i.mod === 3) c.setRegSized(i.rm, 4, v, 0);
    return;
  }
  const memory = i.mod !== 3;
  const la = memory ? c.ea(i) : 0;
  if (memory) c.probeWrite(la, s);
  const dlo = memory ? c.rdMem(la, s) : c.getRegSized(i.rm, s);
  const dst = toBig(dlo, c.hi, s);
  const slo = c.getRegSized(i.reg, s);
  const src = toBig(slo, c.hi, s);
  const B = BigInt(bits);
  const N = BigInt(n);
  const mask = (1n << B) - 1n;
  let r: bigint;
  let cf: bigint;
  if (i.sub === 0) {
    // 16-bit counts above 16 are undefined; we shift through the 48-bit concatenation like Intel parts.
    const wide = (dst << B) | src;
    r = n <= bits ? (wide >> (B - N)) & mask : ((wide << (N - B)) >> (B)) & mask;
    cf = (dst >> (B - N)) & 1n;
    if (n > bits) cf = (src >> (2n * B - N)) & 1n;
  } else {
    const wide = (src << B) | dst;
    r = (wide >> N) & mask;
    cf = (wide >> (N - 1n)) & 1n;
  }
  const of = ((r ^ dst) >> (B - 1n)) & 1n;
  const prev = c.materialize();
  c.setArith(resultFlags(r, bits) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0) | (prev & Flag.AF));
  const rlo = Number(r & 0xffffffffn) | 0;
  const rhi = Number((r >> 32n) & 0xffffffffn) | 0;
  if (memory) c.wrMem(la, s, rlo, rhi);
  else c.setRegSized(i.rm, s, rlo, rhi);
}

export const shldI: Handler = (c, i) => doubleShift(c, i, i.imm);
export const shldCL: Handler = (c, i) => doubleShift(c, i, c.regs[2] as number);

void MASK64;
