/**
 * Random x87 test cases: a random FPU state (stack depth and TOP, values with specials, rounding and
 * precision control, sometimes unmasked exceptions and flagged exceptions), random data, RFLAGS and RAX,
 * and a short sequence of instructions drawn from one group of templates. Deterministic for a seed.
 *
 * Memory operands are addressed off RBX (disp8 or disp32) or RIP-relative, sometimes behind REX/66/F2/F3
 * prefixes that do not change their meaning. (A redundant SIB byte, e.g. [rbx] encoded with SIB, is left
 * out: the decoder does not keep it, so FOP would name the other encoding.)
 */
import { OPCODE_TABLE } from '../../src/index';
import { fwait } from '../../src/isa/exec/x87-control';
import { f80Hex, type Rng, randCW, randF80, randNormal, randSigBits } from '../fpu/harness';
import { CODE_ADDR, DATA_ADDR, DATA_SIZE, type X87Case } from './native';

/** 20 hex digits (sign/exponent first) to the 10-byte memory image. */
export function f80Bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex').reverse());
}

function randReg(r: Rng): string {
  const k = r.int(10);
  if (k < 6) return randF80(r);
  if (k < 8) return randNormal(r, 0x3fff + r.range(-20, 20));
  // near the limits of the integer and binary formats, and integers
  const e = r.pick([
    15, 16, 31, 32, 63, 64, 127, 128, 1023, 1024, -126, -127, -149, -1022, -1023, -1074, 0, 1, 2,
  ]);
  if (r.chance(0.3)) {
    const n = BigInt(r.range(1, 100000));
    const L = n.toString(2).length;
    return f80Hex(r.int(2), 0x3fff + L - 1, n << BigInt(64 - L));
  }
  return randNormal(r, 0x3fff + e + r.range(-2, 1));
}

export interface StateOptions {
  /** Chance of a control word with some exceptions unmasked. */
  unmasked?: number;
}

/** A random 108-byte FNSAVE image. */
export function randState(r: Rng, opt: StateOptions = {}): Uint8Array {
  const img = new Uint8Array(108);
  const v = new DataView(img.buffer);
  let cw = randCW(r, 0);
  if (r.chance(opt.unmasked ?? 0.12)) cw = (cw & ~0x3f) | r.int(64);
  if (r.chance(0.03)) cw = r.int(0x10000);
  let flags = r.chance(0.6) ? 0 : r.int(64);
  // mostly keep flagged exceptions masked, or every case would start with #MF
  if (!r.chance(0.15)) flags &= cw;
  const sf = flags & 1 && r.chance(0.5) ? 0x40 : 0;
  const cc = (r.int(2) << 8) | (r.int(2) << 9) | (r.int(2) << 10) | (r.int(2) << 14);
  const top = r.int(8);
  const sw = flags | sf | cc | (top << 11) | (r.chance(0.1) ? 0x80 : 0);
  let tags = 0xffff;
  if (r.chance(0.85)) {
    const depth = r.pick([0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8]);
    for (let k = 0; k < depth; k++) tags &= ~(3 << (2 * ((top + k) & 7)));
  } else {
    tags = 0;
    for (let p = 0; p < 8; p++) tags |= (r.chance(0.5) ? 3 : r.int(3)) << (2 * p);
  }
  v.setUint32(0, 0xffff0000 | cw, true);
  v.setUint32(4, 0xffff0000 | sw, true);
  v.setUint32(8, 0xffff0000 | tags, true);
  v.setUint32(12, r.u32(), true);
  v.setUint32(16, (r.int(0x10000) | (r.int(0x800) << 16)) >>> 0, true);
  v.setUint32(20, r.u32(), true);
  v.setUint32(24, 0xffff0000 | r.int(0x10000), true);
  for (let k = 0; k < 8; k++) img.set(f80Bytes(randReg(r)), 28 + 10 * k);
  return img;
}

// ------------------------------------------------------------------------------- operand values

function randBinaryBits(r: Rng, expBits: number, fracBits: number): bigint {
  const emax = (1n << BigInt(expBits)) - 1n;
  let frac = randSigBits(r) & ((1n << BigInt(fracBits)) - 1n);
  let e: bigint;
  const k = r.int(12);
  if (k < 5) e = BigInt(r.range(1, Number(emax) - 1));
  else if (k < 7)
    e = (emax >> 1n) + BigInt(r.range(-10, 10)); // near 1.0
  else if (k < 8)
    e = 0n; // denormal (or zero)
  else if (k < 9) {
    e = 0n;
    frac = 0n;
  } else if (k < 10) {
    e = emax; // infinity, QNaN, SNaN
    if (r.chance(0.3)) frac = 0n;
    else if (frac === 0n) frac = 1n;
  } else e = BigInt(r.chance(0.5) ? r.range(1, 3) : Number(emax) - r.range(1, 3));
  return (BigInt(r.int(2)) << BigInt(expBits + fracBits)) | (e << BigInt(fracBits)) | frac;
}

function randInt(r: Rng, width: number): bigint {
  const k = r.int(8);
  const lim = 1n << BigInt(width - 1);
  if (k < 3) return BigInt(r.range(-1000, 1000));
  if (k < 4) return r.pick([lim - 1n, -lim, -lim + 1n, 0n, -1n, 1n]);
  return BigInt.asIntN(width, r.u64() >> BigInt(r.int(64)));
}

function randBcd(r: Rng): bigint {
  const digits = r.pick([1, 2, 5, 10, 17, 18, 18]);
  let v = 0n;
  for (let d = 0; d < digits; d++) v |= BigInt(r.int(10)) << BigInt(4 * d);
  return v | (r.chance(0.5) ? 1n << 79n : 0n);
}

function leBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let k = 0; k < n; k++) {
    out[k] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Memory operand kinds and their sizes. */
type MemKind = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'cw' | 'env' | 'state' | 'store';

function operandBytes(r: Rng, kind: MemKind, size: number, small: boolean): Uint8Array {
  switch (kind) {
    case 'f32':
      return leBytes(randBinaryBits(r, 8, 23), 4);
    case 'f64':
      return leBytes(randBinaryBits(r, 11, 52), 8);
    case 'f80':
      return f80Bytes(randReg(r));
    case 'i16':
      return leBytes(randInt(r, 16), 2);
    case 'i32':
      return leBytes(randInt(r, 32), 4);
    case 'i64':
      return leBytes(randInt(r, 64), 8);
    case 'bcd':
      return leBytes(randBcd(r), 10);
    case 'cw': {
      let cw = randCW(r, 0.2);
      if (r.chance(0.05)) cw = r.int(0x10000);
      return leBytes(BigInt(cw), 2);
    }
    case 'env':
    case 'state': {
      const full = randState(r, { unmasked: 0.05 });
      if (small) return smallImage(full, kind === 'state');
      const img = kind === 'env' ? full.slice(0, 28) : full;
      // the reserved halves are ignored on load
      if (r.chance(0.3)) for (const o of [2, 6, 10, 26]) img[o] = r.int(256);
      return img;
    }
    default:
      return new Uint8Array(size);
  }
}

/** The 14/94-byte form of a 108-byte image. */
function smallImage(full: Uint8Array, withRegs: boolean): Uint8Array {
  const v = new DataView(full.buffer);
  const out = new Uint8Array(withRegs ? 94 : 14);
  const o = new DataView(out.buffer);
  o.setUint16(0, v.getUint16(0, true), true);
  o.setUint16(2, v.getUint16(4, true), true);
  o.setUint16(4, v.getUint16(8, true), true);
  o.setUint16(6, v.getUint16(12, true), true);
  o.setUint16(8, v.getUint16(16, true), true);
  o.setUint16(10, v.getUint16(20, true), true);
  o.setUint16(12, v.getUint16(24, true), true);
  if (withRegs) out.set(full.subarray(28), 14);
  return out;
}

const KIND_SIZE: Record<MemKind, number> = {
  f32: 4,
  f64: 8,
  f80: 10,
  i16: 2,
  i32: 4,
  i64: 8,
  bcd: 10,
  cw: 2,
  env: 28,
  state: 108,
  store: 10,
};

// ------------------------------------------------------------------------------- code builder

export class Builder {
  readonly code: number[] = [];
  count = 0;
  readonly notes: string[] = [];
  constructor(
    readonly r: Rng,
    readonly data: Uint8Array,
  ) {}

  /** Register form: opcode, modrm 11 ext rm. */
  reg(opcode: number, ext: number, rm: number, note: string): void {
    if (this.r.chance(0.05)) this.code.push(this.r.pick([0x40, 0x41, 0x48, 0x4c, 0x66]));
    this.code.push(opcode, 0xc0 | (ext << 3) | rm);
    this.count++;
    this.notes.push(note);
  }

  raw(bytes: number[], note: string): void {
    this.code.push(...bytes);
    this.count++;
    this.notes.push(note);
  }

  /**
   * Memory form with an operand of `kind` placed at a random offset (stores get a random destination).
   * `small` selects the 16-bit environment layout (66 prefix).
   */
  mem(opcode: number, ext: number, kind: MemKind, note: string, small = false, storeSize = 10): void {
    const r = this.r;
    let size = kind === 'store' ? storeSize : KIND_SIZE[kind];
    if (small && kind === 'env') size = 14;
    if (small && kind === 'state') size = 94;
    const off = r.int(DATA_SIZE - size + 1);
    if (kind !== 'store') this.data.set(operandBytes(r, kind, size, small), off);
    if (small) this.code.push(0x66);
    else if (r.chance(0.08) && kind !== 'env' && kind !== 'state') this.code.push(r.pick([0x66, 0xf2, 0xf3]));
    if (r.chance(0.08)) this.code.push(r.pick([0x40, 0x48]));
    this.code.push(opcode);
    const mode = r.int(10);
    if (mode < 6 && off < 128) {
      this.code.push(0x43 | (ext << 3), off);
    } else if (mode < 8) {
      this.code.push(0x83 | (ext << 3), ...leBytes(BigInt(off), 4));
    } else {
      const end = CODE_ADDR + this.code.length + 5;
      this.code.push(0x05 | (ext << 3), ...leBytes(BigInt(DATA_ADDR + off - end), 4));
    }
    this.count++;
    this.notes.push(`${note}${small ? '(16)' : ''}@${off}`);
  }
}

/** A template appends one instruction. */
export type Template = (b: Builder) => void;

const ARITH_EXT = [0, 1, 4, 5, 6, 7];

export const ARITH_REG: Template[] = [
  (b) => b.reg(0xd8, b.r.pick(ARITH_EXT), b.r.int(8), 'arith st0,sti'),
  (b) => b.reg(0xdc, b.r.pick(ARITH_EXT), b.r.int(8), 'arith sti,st0'),
  (b) => b.reg(0xde, b.r.pick(ARITH_EXT), b.r.int(8), 'arithp sti,st0'),
];

export const ARITH_MEM: Template[] = [
  (b) => b.mem(0xd8, b.r.pick(ARITH_EXT), 'f32', 'arith m32fp'),
  (b) => b.mem(0xdc, b.r.pick(ARITH_EXT), 'f64', 'arith m64fp'),
  (b) => b.mem(0xda, b.r.pick(ARITH_EXT), 'i32', 'arith m32int'),
  (b) => b.mem(0xde, b.r.pick(ARITH_EXT), 'i16', 'arith m16int'),
];

export const COMPARE: Template[] = [
  (b) => b.mem(0xd8, b.r.range(2, 3), 'f32', 'fcom(p) m32fp'),
  (b) => b.mem(0xdc, b.r.range(2, 3), 'f64', 'fcom(p) m64fp'),
  (b) => b.mem(0xda, b.r.range(2, 3), 'i32', 'ficom(p) m32int'),
  (b) => b.mem(0xde, b.r.range(2, 3), 'i16', 'ficom(p) m16int'),
  (b) => b.reg(0xd8, b.r.range(2, 3), b.r.int(8), 'fcom(p) sti'),
  (b) => b.reg(0xdc, b.r.range(2, 3), b.r.int(8), 'fcom2/fcomp3'),
  (b) => b.reg(0xde, 2, b.r.int(8), 'fcomp5'),
  (b) => b.reg(0xde, 3, 1, 'fcompp'),
  (b) => b.reg(0xdd, b.r.range(4, 5), b.r.int(8), 'fucom(p)'),
  (b) => b.reg(0xda, 5, 1, 'fucompp'),
  (b) => b.reg(0xdb, b.r.range(5, 6), b.r.int(8), 'fucomi/fcomi'),
  (b) => b.reg(0xdf, b.r.range(5, 6), b.r.int(8), 'fucomip/fcomip'),
  (b) => b.reg(0xd9, 4, 4, 'ftst'),
  (b) => b.reg(0xd9, 4, 5, 'fxam'),
];

export const LOAD: Template[] = [
  (b) => b.mem(0xd9, 0, 'f32', 'fld m32fp'),
  (b) => b.mem(0xdd, 0, 'f64', 'fld m64fp'),
  (b) => b.mem(0xdb, 5, 'f80', 'fld m80fp'),
  (b) => b.mem(0xdf, 0, 'i16', 'fild m16'),
  (b) => b.mem(0xdb, 0, 'i32', 'fild m32'),
  (b) => b.mem(0xdf, 5, 'i64', 'fild m64'),
  (b) => b.mem(0xdf, 4, 'bcd', 'fbld'),
  (b) => b.reg(0xd9, 0, b.r.int(8), 'fld sti'),
  (b) => b.reg(0xd9, 5, b.r.int(7), 'fldconst'),
];

export const STORE: Template[] = [
  (b) => b.mem(0xd9, b.r.range(2, 3), 'store', 'fst(p) m32fp'),
  (b) => b.mem(0xdd, b.r.range(2, 3), 'store', 'fst(p) m64fp'),
  (b) => b.mem(0xdb, 7, 'store', 'fstp m80fp'),
  (b) => b.mem(0xdf, b.r.range(2, 3), 'store', 'fist(p) m16'),
  (b) => b.mem(0xdb, b.r.range(2, 3), 'store', 'fist(p) m32'),
  (b) => b.mem(0xdf, 7, 'store', 'fistp m64'),
  (b) => b.mem(0xdf, 6, 'store', 'fbstp'),
  (b) => b.reg(0xdd, b.r.range(2, 3), b.r.int(8), 'fst(p) sti'),
  (b) => b.reg(0xd9, 3, b.r.int(8), 'fstp1'),
  (b) => b.reg(0xdf, b.r.range(2, 3), b.r.int(8), 'fstp8/9'),
];

export const STACK: Template[] = [
  (b) => b.reg(0xd9, 1, b.r.int(8), 'fxch'),
  (b) => b.reg(0xdd, 1, b.r.int(8), 'fxch4'),
  (b) => b.reg(0xdf, 1, b.r.int(8), 'fxch7'),
  (b) => b.reg(0xda, b.r.int(4), b.r.int(8), 'fcmovcc'),
  (b) => b.reg(0xdb, b.r.int(4), b.r.int(8), 'fcmovncc'),
  (b) => b.reg(0xdd, 0, b.r.int(8), 'ffree'),
  (b) => b.reg(0xdf, 0, b.r.int(8), 'ffreep'),
  (b) => b.reg(0xd9, 6, b.r.range(6, 7), 'fdecstp/fincstp'),
  (b) => b.reg(0xd9, 2, 0, 'fnop'),
];

export const MISC: Template[] = [
  (b) => b.reg(0xd9, 4, b.r.int(2), 'fchs/fabs'),
  (b) => b.reg(0xd9, 7, 2, 'fsqrt'),
  (b) => b.reg(0xd9, 7, 4, 'frndint'),
  (b) => b.reg(0xd9, 7, 5, 'fscale'),
  (b) => b.reg(0xd9, 7, 0, 'fprem'),
  (b) => b.reg(0xd9, 6, 5, 'fprem1'),
  (b) => b.reg(0xd9, 6, 4, 'fxtract'),
];

export const CONTROL: Template[] = [
  (b) => b.mem(0xd9, 5, 'cw', 'fldcw'),
  (b) => b.mem(0xd9, 7, 'store', 'fnstcw'),
  (b) => b.mem(0xdd, 7, 'store', 'fnstsw m16'),
  (b) => b.raw([0xdf, 0xe0], 'fnstsw ax'),
  (b) => b.raw([0xdb, 0xe2], 'fnclex'),
  (b) => b.raw([0xdb, 0xe3], 'fninit'),
  (b) => b.raw([0xdb, b.r.pick([0xe0, 0xe1, 0xe4])], 'fneni/fndisi/fnsetpm'),
  ...(fwaitWired() ? [(b: Builder) => b.raw([0x9b], 'fwait')] : []),
  (b) => {
    const small = b.r.chance(0.2);
    b.mem(0xd9, 6, 'store', 'fnstenv', small, small ? 14 : 28);
  },
  (b) => b.mem(0xd9, 4, 'env', 'fldenv', b.r.chance(0.2)),
  (b) => {
    const small = b.r.chance(0.2);
    b.mem(0xdd, 6, 'store', 'fnsave', small, small ? 94 : 108);
  },
  (b) => b.mem(0xdd, 4, 'state', 'frstor', b.r.chance(0.2)),
];

/** Whether 9B (in the integer table) runs the x87 FWAIT handler, which raises a pending #MF. */
export function fwaitWired(): boolean {
  return OPCODE_TABLE.some((d) => d.map === 0 && d.opcode === 0x9b && d.exec === fwait);
}

export const TRANSCENDENTAL: Template[] = [
  (b) => b.reg(0xd9, 6, 0, 'f2xm1'),
  (b) => b.reg(0xd9, 6, 1, 'fyl2x'),
  (b) => b.reg(0xd9, 6, 2, 'fptan'),
  (b) => b.reg(0xd9, 6, 3, 'fpatan'),
  (b) => b.reg(0xd9, 7, 1, 'fyl2xp1'),
  (b) => b.reg(0xd9, 7, 3, 'fsincos'),
  (b) => b.reg(0xd9, 7, 6, 'fsin'),
  (b) => b.reg(0xd9, 7, 7, 'fcos'),
];

export const ALL_EXACT: Template[] = [
  ...ARITH_REG,
  ...ARITH_MEM,
  ...COMPARE,
  ...LOAD,
  ...STORE,
  ...STACK,
  ...MISC,
  ...CONTROL,
];

export interface CaseOptions extends StateOptions {
  /** Instructions per case: 1..maxLength. */
  maxLength?: number;
  /** Replace the random stack values by operands suited to the transcendental functions. */
  transcendental?: boolean;
}

export function genCase(r: Rng, templates: readonly Template[], opt: CaseOptions = {}): X87Case {
  const data = new Uint8Array(DATA_SIZE);
  for (let k = 0; k < DATA_SIZE; k++) data[k] = r.int(256);
  const state = randState(r, opt);
  if (opt.transcendental) steerForTranscendental(r, state);
  const b = new Builder(r, data);
  const n = templates.length === 0 ? 0 : r.range(1, opt.maxLength ?? 3);
  for (let k = 0; k < n; k++) (r.pick(templates) as Template)(b);
  const flagBits = [0x1, 0x4, 0x10, 0x40, 0x80, 0x800];
  let rflags = 0x202;
  for (const f of flagBits) if (r.chance(0.5)) rflags |= f;
  return {
    code: new Uint8Array(b.code),
    count: b.count,
    state,
    data,
    rflags,
    rax: r.u64(),
    note: b.notes.join('; '),
  };
}

/** ST(0) and ST(1) in the ranges libm uses (|x| <= 1, moderate angles, positive logarithm arguments). */
function steerForTranscendental(r: Rng, img: Uint8Array): void {
  const v = new DataView(img.buffer);
  const top = (v.getUint16(4, true) >> 11) & 7;
  let tags = v.getUint16(8, true);
  for (let k = 0; k < 2; k++) {
    if (r.chance(0.9)) tags &= ~(3 << (2 * ((top + k) & 7)));
    let hex: string;
    const pick = r.int(10);
    if (pick < 2) hex = randF80(r);
    else if (pick < 6) hex = randNormal(r, 0x3fff + r.range(-8, 0), k === 0 && r.chance(0.5) ? 0 : r.int(2));
    else if (pick < 9) hex = randNormal(r, 0x3fff + r.range(-3, 12), r.int(2));
    else hex = randNormal(r, 0x3fff + r.range(-70, -20));
    img.set(f80Bytes(hex), 28 + 10 * k);
  }
  v.setUint16(8, tags, true);
}
