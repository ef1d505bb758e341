/** Data movement: MOV forms, MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, BSWAP, CBW/CWD families. */
import { maskTo } from './alu';
import type { Handler } from '../opdef';

/** MOV Eb,Gb / Ev,Gv */
export const movEG: Handler = (c, i) => {
  const v = c.rdG(i, i.opsize);
  c.wrE(i, i.opsize, v, c.hi);
};

/** MOV Gb,Eb / Gv,Ev */
export const movGE: Handler = (c, i) => {
  const v = c.rdE(i, i.opsize);
  c.wrG(i, i.opsize, v, c.hi);
};

/** MOV Eb,Ib / Ev,Iz (the 32-bit immediate is sign-extended for 64-bit operands) */
export const movEI: Handler = (c, i) => {
  c.wrE(i, i.opsize, i.imm, i.immHi);
};

/** MOV Zb,Ib / Zv,Iv (B0-BF; with REX.W a full 64-bit immediate) */
export const movZI: Handler = (c, i) => {
  c.setRegSized(i.opsize === 1 ? i.reg8 : i.reg, i.opsize, i.imm, i.immHi);
};

/** The absolute address of a moffs operand (A0-A3): 64 bits, or 32 bits zero-extended with 67, plus
 * an FS/GS base, all modulo 2^64. */
function moffsAddress(c: Parameters<Handler>[0], i: Parameters<Handler>[1]): number {
  let a = (BigInt(i.immHi >>> 0) << 32n) | BigInt(i.imm >>> 0);
  if (i.seg !== 0) a += BigInt(i.seg === 4 ? c.fsBase : c.gsBase);
  return Number(BigInt.asIntN(64, a));
}

/** MOV AL/rAX,Ob and Ob/rAX,AL (A0-A3) */
export const movAO: Handler = (c, i) => {
  const v = c.rdMem(moffsAddress(c, i), i.opsize);
  c.setRegSized(0, i.opsize, v, c.hi);
};
export const movOA: Handler = (c, i) => {
  const v = c.getRegSized(0, i.opsize);
  c.wrMem(moffsAddress(c, i), i.opsize, v, c.hi);
};

/** MOVZX Gv,Eb (sub=1) / Gv,Ew (sub=2) */
export const movzx: Handler = (c, i) => {
  const v = c.rdE(i, i.sub);
  c.wrG(i, i.opsize, v, 0);
};

/** MOVSX Gv,Eb (sub=1) / Gv,Ew (sub=2) */
export const movsx: Handler = (c, i) => {
  let v = c.rdE(i, i.sub);
  v = i.sub === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
  c.wrG(i, i.opsize, maskTo(i.opsize, v), v >> 31);
};

/** MOVSXD Gv,Ed (63): sign-extends with REX.W; without it, a plain 32-bit move. */
export const movsxd: Handler = (c, i) => {
  const v = c.rdE(i, 4);
  if (i.opsize === 8) c.wrG(i, 8, v, v >> 31);
  else c.wrG(i, i.opsize, maskTo(i.opsize, v), 0);
};

/** LEA Gv,M: the address computation without the memory access (and without segment bases). Compilers
 * use LEA for plain arithmetic, so the result must be exact for any register values. */
export const lea: Handler = (c, i) => {
  if (fitsFastPath(c.regs, i.base, i.index)) {
    const seg = i.seg;
    i.seg = 0;
    const a = c.eaRaw(i);
    i.seg = seg;
    c.wrG(i, i.opsize, maskTo(i.opsize, a % 4294967296 | 0), Math.floor(a / 4294967296) | 0);
    return;
  }
  let a = BigInt(i.disp);
  if (i.base >= 0) a += c.getReg(i.base);
  if (i.index >= 0) a += c.getReg(i.index) * BigInt(i.scale);
  if (i.adsize === 4) a &= 0xffffffffn;
  c.wrG(i, i.opsize, maskTo(i.opsize, Number(BigInt.asIntN(32, a))), Number(BigInt.asIntN(32, a >> 32n)));
};

function fitsFastPath(g: Int32Array, base: number, index: number): boolean {
  if (base >= 0) {
    const h = g[2 * base + 1] as number;
    if (h >= 0x40000 || h < -0x40000) return false;
  }
  if (index >= 0) {
    const h = g[2 * index + 1] as number;
    if (h >= 0x8000 || h < -0x8000) return false;
  }
  return true;
}

/** XCHG Eb,Gb / Ev,Gv (a memory operand is implicitly locked; there is one CPU, so plain accesses suffice) */
export const xchgEG: Handler = (c, i) => {
  const s = i.opsize;
  const g = c.rdG(i, s);
  const gh = c.hi;
  if (i.mod === 3) {
    const r = s === 1 ? i.rm8 : i.rm;
    const e = c.getRegSized(r, s);
    const eh = c.hi;
    c.setRegSized(r, s, g, gh);
    c.wrG(i, s, e, eh);
  } else {
    const la = c.ea(i);
    c.probeWrite(la, s);
    const e = c.rdMem(la, s);
    const eh = c.hi;
    c.wrMem(la, s, g, gh);
    c.wrG(i, s, e, eh);
  }
};

/** XCHG rAX,Zv (91-97, and 90 with REX.B) */
export const xchgAZ: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.getRegSized(0, s);
  const ah = c.hi;
  const z = c.getRegSized(i.reg, s);
  c.setRegSized(0, s, z, c.hi);
  c.setRegSized(i.reg, s, a, ah);
};

/** XLAT: AL = [rBX + zero-extended AL] (EBX with the 67 prefix; FS/GS overrides apply). */
export const xlat: Handler = (c, i) => {
  const g = c.regs;
  const al = (g[0] as number) & 0xff;
  let la = i.adsize === 4 ? ((((g[6] as number) + al) | 0) >>> 0) : c.regNum(3) + al;
  if (i.seg !== 0) la += i.seg === 4 ? c.fsBase : c.gsBase;
  c.setRegSized(0, 1, c.rd8(la), 0);
};

/** CMOVcc Gv,Ev: the source is read (and may fault) even when the condition is false; a 32-bit
 * destination is zero-extended either way. */
export const cmov: Handler = (c, i) => {
  const v = c.rdE(i, i.opsize);
  const vh = c.hi;
  if (c.cond(i.sub)) c.wrG(i, i.opsize, v, vh);
  else if (i.opsize === 4) c.wrG(i, 4, c.rdG(i, 4), 0);
};

/** SETcc Eb */
export const setcc: Handler = (c, i) => {
  c.wrE(i, 1, c.cond(i.sub) ? 1 : 0, 0);
};

/** BSWAP Zv (a 16-bit BSWAP is undefined; hardware zeroes the register half, we do the same) */
export const bswap: Handler = (c, i) => {
  const g = c.regs;
  const r = i.reg;
  const sw = (v: number) => ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  if (i.opsize === 8) {
    const lo = g[2 * r] as number;
    g[2 * r] = sw(g[2 * r + 1] as number);
    g[2 * r + 1] = sw(lo);
  } else if (i.opsize === 4) {
    g[2 * r] = sw(g[2 * r] as number);
    g[2 * r + 1] = 0;
  } else {
    g[2 * r] = (g[2 * r] as number) & ~0xffff;
  }
};

/** CBW / CWDE / CDQE (98): sign-extends the lower half of rAX into rAX. */
export const cbw: Handler = (c, i) => {
  const g = c.regs;
  if (i.opsize === 8) g[1] = (g[0] as number) >> 31;
  else if (i.opsize === 4) {
    g[0] = ((g[0] as number) << 16) >> 16;
    g[1] = 0;
  } else g[0] = ((g[0] as number) & ~0xffff) | ((((g[0] as number) << 24) >> 24) & 0xffff);
};

/** CWD / CDQ / CQO (99): sign of rAX into rDX. */
export const cwd: Handler = (c, i) => {
  const g = c.regs;
  if (i.opsize === 8) {
    const s = (g[1] as number) >> 31;
    g[4] = s;
    g[5] = s;
  } else if (i.opsize === 4) {
    g[4] = (g[0] as number) >> 31;
    g[5] = 0;
  } else {
    g[4] = ((g[4] as number) & ~0xffff) | ((((g[0] as number) << 16) >> 31) & 0xffff);
  }
};

/** 90 is NOP unless REX.B makes it XCHG r8,rAX; F3 90 is PAUSE, again only without REX.B. */
export const nopOrXchg: Handler = (c, i) => (i.reg === 0 ? undefined : xchgAZ(c, i));
