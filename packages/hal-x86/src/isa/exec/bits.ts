/** Bit instructions: BT/BTS/BTR/BTC, BSF/BSR, and the atomic exchanges CMPXCHG, XADD, CMPXCHG8B. */
import { Flag } from '../../cpu/flags';
import { GuestFault, Vector } from '../../cpu/fault';
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../insn';
import type { Handler } from '../opdef';
import { AluOp, alu, maskTo } from './alu';

/**
 * Address of the operand that holds a bit selected by a register offset: the effective address plus
 * `delta` bytes, wrapped at the address size before the FS/GS base is added; an RSP/RBP-based address
 * that ends up non-canonical is a stack fault (#SS).
 */
function bitAddress(c: Cpu, i: Insn, delta: number): number {
  const seg = i.seg;
  i.seg = 0;
  let a = c.eaRaw(i);
  i.seg = seg;
  a += delta;
  if (i.adsize === 4) a = ((a % 4294967296) + 4294967296) % 4294967296;
  if (seg !== 0) a += seg === 4 ? c.fsBase : c.gsBase;
  if ((i.base === 4 || i.base === 5) && seg === 0 && !(a >= -(2 ** 47) && a < 2 ** 47)) {
    throw new GuestFault(Vector.SS, 0, 0n, 'non-canonical stack address');
  }
  return a;
}

/** Applies bit operation `which` to bit `bit` (0..size*8-1) of the operand at linear address `la`. */
function bitOpAt(c: Cpu, i: Insn, which: number, la: number, bit: number): void {
  const s = i.opsize;
  if (which !== 0) c.probeWrite(la, s);
  const lo = c.rdMem(la, s);
  let hi = c.hi;
  const word = bit >= 32 ? hi : lo;
  const m = 1 << (bit & 31);
  const flags = c.materialize();
  c.setArith((flags & ~Flag.CF) | ((word & m) !== 0 ? Flag.CF : 0));
  if (which === 0) return;
  const w = which === 1 ? word | m : which === 2 ? word & ~m : word ^ m;
  let nlo = lo;
  if (bit >= 32) hi = w;
  else nlo = w;
  c.wrMem(la, s, maskTo(s, nlo), hi);
}

/** 0 BT, 1 BTS, 2 BTR, 3 BTC: the operation is passed as `which`; the bit offset as a (signed) number. */
function bitOp(c: Cpu, i: Insn, which: number, offset: number, fromRegister: boolean): void {
  const s = i.opsize;
  const bits = s * 8;
  let la = 0;
  let bit: number;
  const memory = i.mod !== 3;
  if (memory) {
    if (fromRegister) {
      // A register bit offset addresses memory beyond the operand: signed, in operand-size units.
      const unit = Math.floor(offset / bits);
      la = bitAddress(c, i, unit * s);
      bit = offset - unit * bits;
    } else {
      la = c.ea(i);
      bit = offset & (bits - 1);
    }
    if (which !== 0) c.probeWrite(la, s);
  } else bit = offset & (bits - 1);
  const lo = memory ? c.rdMem(la, s) : c.getRegSized(i.rm, s);
  let hi = c.hi;
  const word = bit >= 32 ? hi : lo;
  const m = 1 << (bit & 31);
  const set = (word & m) !== 0;
  const flags = c.materialize();
  c.setArith((flags & ~Flag.CF) | (set ? Flag.CF : 0));
  if (which === 0) return;
  let w = word;
  if (which === 1) w |= m;
  else if (which === 2) w &= ~m;
  else w ^= m;
  let nlo = lo;
  if (bit >= 32) hi = w;
  else nlo = w;
  if (memory) c.wrMem(la, s, maskTo(s, nlo), hi);
  else c.setRegSized(i.rm, s, maskTo(s, nlo), hi);
}

/** BT/BTS/BTR/BTC Ev,Gv (sub = operation) */
export const btEG: Handler = (c, i) => {
  const s = i.opsize;
  const lo = c.getRegSized(i.reg, s);
  if (i.mod === 3) {
    // Register destination: only the offset modulo the operand width matters.
    bitOp(c, i, i.sub, lo & (s * 8 - 1), false);
    return;
  }
  let offset: number;
  if (s === 8) {
    const hi = c.hi;
    if (hi >= 0x100000 || hi < -0x100000) {
      // |offset| >= 2^52: split exactly into a byte displacement (a multiple of 8) and a bit index.
      const big = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
      const units = big >> 6n; // floor division by 64
      const la = bitAddress(c, i, Number(units) * 8);
      bitOpAt(c, i, i.sub, la, Number(big - units * 64n));
      return;
    }
    offset = hi * 4294967296 + (lo >>> 0);
  } else offset = s === 4 ? lo : (lo << 16) >> 16;
  bitOp(c, i, i.sub, offset, true);
};

/** Group 8: BT/BTS/BTR/BTC Ev,Ib (operation in modrm.reg 4..7) */
export const btEI: Handler = (c, i) => bitOp(c, i, (i.reg & 7) - 4, i.imm & 0xff, false);

/** BSF (sub 0) / BSR (sub 1): a zero source sets ZF and leaves the destination unchanged. */
export const bsfBsr: Handler = (c, i) => {
  const s = i.opsize;
  const lo = c.rdE(i, s);
  const hi = s === 8 ? c.hi : 0;
  const flags = c.materialize() & ~Flag.ZF;
  if (lo === 0 && hi === 0) {
    c.setArith(flags | Flag.ZF);
    return;
  }
  let index: number;
  if (i.sub === 0) index = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
  else index = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
  c.setArith(flags);
  c.wrG(i, s, index, 0);
};

/** CMPXCHG Eb,Gb / Ev,Gv: compares rAX with the destination. */
export const cmpxchg: Handler = (c, i) => {
  const s = i.opsize;
  const memory = i.mod !== 3;
  const la = memory ? c.ea(i) : 0;
  if (memory) c.probeWrite(la, s);
  const d = memory ? c.rdMem(la, s) : c.getRegSized(s === 1 ? i.rm8 : i.rm, s);
  const dh = c.hi;
  const a = c.getRegSized(0, s);
  const ah = c.hi;
  alu(c, AluOp.CMP, s, a, ah, d, dh);
  if (c.zf) {
    const src = c.rdG(i, s);
    if (memory) c.wrMem(la, s, src, c.hi);
    else c.setRegSized(s === 1 ? i.rm8 : i.rm, s, src, c.hi);
  } else {
    // The destination is written back unchanged (a locked RMW always writes), then rAX is loaded.
    if (memory) c.wrMem(la, s, d, dh);
    c.setRegSized(0, s, d, dh);
  }
};

/** XADD Eb,Gb / Ev,Gv */
export const xadd: Handler = (c, i) => {
  const s = i.opsize;
  const memory = i.mod !== 3;
  const la = memory ? c.ea(i) : 0;
  if (memory) c.probeWrite(la, s);
  const d = memory ? c.rdMem(la, s) : c.getRegSized(s === 1 ? i.rm8 : i.rm, s);
  const dh = c.hi;
  const g = c.rdG(i, s);
  const sum = alu(c, AluOp.ADD, s, d, dh, g, c.hi);
  const sumHi = c.hi;
  c.wrG(i, s, d, dh);
  if (memory) c.wrMem(la, s, sum, sumHi);
  else c.setRegSized(s === 1 ? i.rm8 : i.rm, s, sum, sumHi);
};

/** CMPXCHG8B m64 (0F C7 /1 without REX.W); CMPXCHG16B needs CX16, which the CPU does not advertise. */
export const cmpxchg8b: Handler = (c, i) => {
  const la = c.ea(i);
  c.probeWrite(la, 8);
  const lo = c.rd32(la);
  const hi = c.rd32(la + 4);
  const g = c.regs;
  const flags = c.materialize() & ~Flag.ZF;
  if (lo === g[0] && hi === g[4]) {
    c.wr32(la, g[6] as number);
    c.wr32(la + 4, g[2] as number);
    c.setArith(flags | Flag.ZF);
  } else {
    c.wr32(la, lo);
    c.wr32(la + 4, hi);
    c.setRegSized(0, 4, lo, 0);
    c.setRegSized(2, 4, hi, 0);
    c.setArith(flags);
  }
};
