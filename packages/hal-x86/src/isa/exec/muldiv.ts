/**
 * Multiplication and division: MUL/IMUL (one-, two- and three-operand forms) and DIV/IDIV at every size,
 * including the 64x64->128 and 128/64 forms. Small operands take exact double arithmetic; large ones use
 * BigInt (a rare, slow path).
 */
import { Flag, FlagOp, PARITY } from '../../cpu/flags';
import { GuestFault, Vector } from '../../cpu/fault';
import type { Cpu } from '../../cpu/cpu';
import type { Handler } from '../opdef';
import { mulHigh, mulLow64, mulS64, mulU32, mulU64, product } from './wide-multiply';
import * as wm from './wide-multiply';

const TWO32 = 4294967296;

function toBig(lo: number, hi: number, size: number, signed: boolean): bigint {
  if (size === 8) {
    const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return signed ? BigInt.asIntN(64, v) : v;
  }
  const v = BigInt(lo >>> 0) & ((1n << BigInt(size * 8)) - 1n);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

/** Flags after a multiply: CF=OF=overflow; SF/ZF/PF from the low result (architecturally undefined). */
function mulFlags(c: Cpu, overflow: boolean, lowSign: boolean, lowZero: boolean, lowByte: number): void {
  c.setArith(
    (overflow ? Flag.CF | Flag.OF : 0) | (lowSign ? Flag.SF : 0) | (lowZero ? Flag.ZF : 0) | PARITY[lowByte & 0xff]!,
  );
}

/** Signed or unsigned full product of two values at `size`; returns [low, high] as bigints of `size` bits. */
function fullProduct(a: bigint, b: bigint, size: number): [bigint, bigint] {
  const bits = BigInt(size * 8);
  const p = a * b;
  return [BigInt.asUintN(Number(bits), p), BigInt.asUintN(Number(bits), p >> bits)];
}

function setSized(c: Cpu, r: number, size: number, v: bigint): void {
  const lo = Number(v & 0xffffffffn) | 0;
  const hi = Number((v >> 32n) & 0xffffffffn) | 0;
  c.setRegSized(r, size, lo, hi);
}

/** MUL (sub 0) / IMUL (sub 1) one-operand: rDX:rAX = rAX * r/m. */
export const mulOne: Handler = (c, i) => {
  const s = i.opsize;
  const signed = i.sub === 1;
  const blo = c.rdE(i, s);
  const bhi = c.hi;
  const alo = c.getRegSized(0, s);
  const ahi = c.hi;
  if (s === 1) {
    const a = signed ? (alo << 24) >> 24 : alo;
    const b = signed ? (blo << 24) >> 24 : blo;
    const p = a * b;
    c.setRegSized(0, 2, p & 0xffff, 0);
    const over = signed ? p !== (p << 24) >> 24 : (p & 0xff00) !== 0;
    mulFlags(c, over, (p & 0x80) !== 0, (p & 0xff) === 0, p);
    return;
  }
  if (s === 8) {
    if (signed) mulS64(alo, ahi, blo, bhi);
    else mulU64(alo, ahi, blo, bhi);
    const p0 = product[0] as number;
    const p1 = product[1] as number;
    const p2 = product[2] as number;
    const p3 = product[3] as number;
    c.setRegSized(0, 8, p0, p1);
    c.setRegSized(2, 8, p2, p3);
    const over = signed ? !(p2 === p1 >> 31 && p3 === p1 >> 31) : p2 !== 0 || p3 !== 0;
    mulFlags(c, over, p1 < 0, p0 === 0 && p1 === 0, p0);
    return;
  }
  if (s === 4) {
    let lo32 = mulU32(alo, blo);
    let hi32 = mulHigh;
    if (signed) {
      if (alo < 0) hi32 = (hi32 - blo) | 0;
      if (blo < 0) hi32 = (hi32 - alo) | 0;
    }
    lo32 |= 0;
    c.setRegSized(0, 4, lo32, 0);
    c.setRegSized(2, 4, hi32, 0);
    const over = signed ? hi32 !== lo32 >> 31 : hi32 !== 0;
    mulFlags(c, over, lo32 < 0, lo32 === 0, lo32);
    return;
  }
  const A = toBig(alo, ahi, s, signed);
  const B = toBig(blo, bhi, s, signed);
  const [lo, hi] = fullProduct(A, B, s);
  setSized(c, 0, s, lo);
  setSized(c, 2, s, hi);
  const bits = s * 8;
  const over = signed ? BigInt.asIntN(bits, lo) !== A * B : hi !== 0n;
  mulFlags(c, over, (lo >> BigInt(bits - 1)) === 1n, lo === 0n, Number(lo & 0xffn));
};

/**
 * IMUL Gv,Ev (0F AF) and IMUL Gv,Ev,Iz/Is (69/6B): the truncated product, returned as lo with hi in c.hi.
 * CF/OF (did the signed product fit?) are recorded lazily and computed only if something reads them.
 */
function imulTrunc(c: Cpu, s: number, alo: number, ahi: number, blo: number, bhi: number): number {
  let lo: number;
  let hi = 0;
  if (s === 8) {
    lo = mulLow64(alo, ahi, blo, bhi);
    hi = wm.mulHigh;
  } else if (s === 4) {
    lo = Math.imul(alo, blo);
  } else {
    lo = Math.imul(alo, blo) & 0xffff;
  }
  c.setLazy(FlagOp.IMUL, s, lo, hi, alo, ahi, blo, bhi);
  c.hi = hi;
  return lo;
}

export const imulGE: Handler = (c, i) => {
  const s = i.opsize;
  const b = c.rdE(i, s);
  const bh = c.hi;
  const a = c.rdG(i, s);
  const lo = imulTrunc(c, s, a, c.hi, b, bh);
  c.wrG(i, s, lo, c.hi);
};

export const imulGEI: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.rdE(i, s);
  const lo = imulTrunc(c, s, a, c.hi, i.imm, i.immHi);
  c.wrG(i, s, lo, c.hi);
};

/** DIV (sub 0) / IDIV (sub 1): rDX:rAX / r/m -> quotient in rAX, remainder in rDX; #DE on zero or overflow. */
export const divOne: Handler = (c, i) => {
  const s = i.opsize;
  const signed = i.sub === 1;
  const blo = c.rdE(i, s);
  const bhi = c.hi;
  if (s >= 4 && divFast(c, s, signed, blo, bhi)) return;
  const divisor = toBig(blo, bhi, s, signed);
  if (divisor === 0n) throw new GuestFault(Vector.DE, 0, 0n, 'divide by zero');
  const bits = BigInt(s * 8);
  let dividend: bigint;
  if (s === 1) {
    const ax = c.getRegSized(0, 2);
    dividend = signed ? BigInt((ax << 16) >> 16) : BigInt(ax);
  } else {
    const alo = c.getRegSized(0, s);
    const ahi = c.hi;
    const dlo = c.getRegSized(2, s);
    const dhi = c.hi;
    const low = toBig(alo, ahi, s, false);
    const high = toBig(dlo, dhi, s, false);
    const full = (high << bits) | low;
    dividend = signed ? BigInt.asIntN(Number(bits) * 2, full) : full;
  }
  const q = dividend / divisor; // BigInt division truncates toward zero, as IDIV does
  const r = dividend % divisor; // and the remainder takes the dividend's sign
  const fits = signed ? BigInt.asIntN(Number(bits), q) === q : q >> bits === 0n;
  if (!fits) throw new GuestFault(Vector.DE, 0, 0n, 'quotient overflow');
  if (s === 1) {
    c.setRegSized(0, 2, (Number(BigInt.asUintN(8, q)) | (Number(BigInt.asUintN(8, r)) << 8)) & 0xffff, 0);
    return;
  }
  setSized(c, 0, s, BigInt.asUintN(Number(bits), q));
  setSized(c, 2, s, BigInt.asUintN(Number(bits), r));
};

const SAFE = 2 ** 53;

/**
 * Division with doubles when the dividend (rDX:rAX) and divisor are exactly representable (below 2^53 in
 * magnitude); returns false to take the exact BigInt path. Faults are left to that path too.
 */
function divFast(c: Cpu, s: number, signed: boolean, blo: number, bhi: number): boolean {
  const g = c.regs;
  let dividend: number;
  let divisor: number;
  if (s === 4) {
    const eax = g[0] as number;
    const edx = g[4] as number;
    if (signed) {
      if (edx !== eax >> 31) return false;
      dividend = eax;
      divisor = blo | 0;
    } else {
      if (edx !== 0) return false;
      dividend = eax >>> 0;
      divisor = blo >>> 0;
    }
  } else {
    const lo = g[0] as number;
    const hi = g[1] as number;
    if (signed) {
      const sign = hi >> 31;
      if (g[4] !== sign || g[5] !== sign) return false;
      dividend = hi * TWO32 + (lo >>> 0);
      divisor = bhi * TWO32 + (blo >>> 0);
    } else {
      if (g[4] !== 0 || g[5] !== 0 || hi < 0) return false;
      dividend = hi * TWO32 + (lo >>> 0);
      divisor = bhi >= 0 ? bhi * TWO32 + (blo >>> 0) : SAFE;
    }
  }
  if (divisor === 0 || Math.abs(dividend) >= SAFE || Math.abs(divisor) >= SAFE) return false;
  const q = Math.trunc(dividend / divisor);
  // Division of exact integers below 2^53 can round the quotient up by one: correct it.
  let qq = q;
  let r = dividend - qq * divisor;
  if (r !== 0 && Math.sign(r) !== Math.sign(dividend)) {
    qq -= Math.sign(dividend) * Math.sign(divisor);
    r = dividend - qq * divisor;
  }
  if (Math.abs(r) >= Math.abs(divisor)) return false;
  if (s === 4) {
    if (signed ? qq > 0x7fffffff || qq < -0x80000000 : qq > 0xffffffff) return false;
    c.setRegSized(0, 4, qq | 0, 0);
    c.setRegSized(2, 4, r | 0, 0);
  } else {
    c.setRegSized(0, 8, qq % TWO32 | 0, Math.floor(qq / TWO32) | 0);
    c.setRegSized(2, 8, r % TWO32 | 0, Math.floor(r / TWO32) | 0);
  }
  return true;
}
