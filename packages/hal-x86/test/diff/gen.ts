/**
 * Building blocks for the instruction generators: a seeded PRNG, "interesting" operand values, and an
 * encoder for legacy/REX-prefixed instructions with ModRM/SIB memory operands whose effective addresses
 * are solved so that every access lands inside the data page.
 */
import type { Case } from './harness';

/** Fixed layout shared with native-runner.c. */
export const PAGE = 4096;
export const CODE_PAGE = 0x10000000;
export const INSN_ADDR = CODE_PAGE + 0x800;
export const DATA_PAGE = 0x20000000;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const DF = 0x400;
export const OF = 0x800;
/** The six arithmetic flags plus DF: the flags compared by default. */
export const ALL_FLAGS = CF | PF | AF | ZF | SF | OF | DF;

export const RAX = 0;
export const RCX = 1;
export const RDX = 2;
export const RBX = 3;
export const RSP = 4;
export const RBP = 5;
export const RSI = 6;
export const RDI = 7;

const M64 = (1n << 64n) - 1n;
export const u64 = (v: bigint): bigint => v & M64;
export const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
export const sext = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);

/** Deterministic PRNG (xorshift128+ style over two 32-bit words, splitmix-seeded). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }
  u32(): number {
    // xoshiro128** step
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const SPECIAL: bigint[] = [
  0n,
  1n,
  2n,
  3n,
  0x7fn,
  0x80n,
  0x81n,
  0xffn,
  0x100n,
  0x7fffn,
  0x8000n,
  0x8001n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0x80000001n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0x8000000000000001n,
  M64,
  M64 - 1n,
  0x5555555555555555n,
  0xaaaaaaaaaaaaaaaan,
];

/** A 64-bit value biased towards sign and carry boundaries of every operand size. */
export function interesting(r: Rng): bigint {
  const k = r.int(100);
  if (k < 30) return r.u64();
  if (k < 55) {
    // random upper part, boundary value in the low `bits`
    const bits = r.pick([8, 16, 32, 64]);
    let low = r.pick(SPECIAL) & mask(bits);
    if (r.chance(0.3)) low = (low + BigInt(r.range(-2, 2))) & mask(bits);
    const upper = r.pick([0n, M64, r.u64()]) & ~mask(bits) & M64;
    return upper | low;
  }
  if (k < 70) return u64(BigInt(r.range(-300, 300)));
  if (k < 80) return r.pick(SPECIAL);
  if (k < 90) return u64(1n << BigInt(r.int(64))) ^ (r.chance(0.5) ? M64 : 0n);
  // random value at a random width, sign-extended or zero-extended
  const bits = r.pick([8, 16, 32]);
  const v = r.u64() & mask(bits);
  return r.chance(0.5) ? u64(sext(v, bits)) : v;
}

/** A value for an operand of `size` bytes, as the low `size` bytes of interesting(). */
export function interestingSized(r: Rng, size: number): bigint {
  return interesting(r) & mask(size * 8);
}

/** Random arithmetic flags and DF. */
export function randomFlags(r: Rng): number {
  return r.u32() & ALL_FLAGS;
}

// --------------------------------------------------------------------------- case builder

export interface Patch {
  off: number;
  bytes: Uint8Array;
}

/** Data-page fill shared with native-runner.c's fill_data(). */
export function fillData(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE);
  const v = new DataView(p.buffer);
  let s = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < PAGE; i += 4) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    v.setUint32(i, s, true);
  }
  return p;
}

/** Accumulates the state of one test case while an instruction is generated. */
export class CaseBuilder {
  readonly regs: bigint[];
  rflags: number;
  readonly seed: number;
  readonly patches: Patch[] = [];
  /** Registers whose values are fixed by address or count constraints. */
  readonly pinned = new Set<number>();
  flagMask = ALL_FLAGS;
  ignoreRegs = 0;
  ignoreMem: [number, number] | undefined;
  fsBase = 0n;
  gsBase = 0n;
  insnAddr: number | undefined;
  note = '';
  /** Memory operands whose effective address build() re-checks against the final registers. */
  readonly mems: { f: MemForm; size: number }[] = [];
  private dataCache: Uint8Array | null = null;

  constructor(readonly r: Rng) {
    this.regs = Array.from({ length: 16 }, () => interesting(r));
    this.rflags = randomFlags(r);
    this.seed = r.u32();
  }

  pin(reg: number, value: bigint): void {
    this.regs[reg] = u64(value);
    this.pinned.add(reg);
  }

  /** Current initial contents of the data page (fill plus patches so far). */
  data(): Uint8Array {
    if (this.dataCache === null) {
      this.dataCache = fillData(this.seed);
      for (const p of this.patches) this.dataCache.set(p.bytes, p.off);
    }
    return this.dataCache;
  }

  /** Little-endian value of `size` bytes at data-page offset `off`. */
  readData(off: number, size: number): bigint {
    const d = this.data();
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(d[off + k] as number);
    return v;
  }

  /** Sets `size` bytes at `off` to `value` (at most two patches of up to 28 bytes per case). */
  writeData(off: number, size: number, value: bigint): void {
    const bytes = new Uint8Array(size);
    for (let k = 0; k < size; k++) bytes[k] = Number((value >> BigInt(8 * k)) & 0xffn);
    this.patchBytes(off, bytes);
  }

  patchBytes(off: number, bytes: Uint8Array): void {
    if (this.patches.length >= 2 || bytes.length > 28) throw new Error('too many data patches');
    this.patches.push({ off, bytes });
    this.dataCache = null;
  }

  build(code: number[]): Case {
    if (code.length < 1 || code.length > 31)
      throw new Error(`bad instruction length ${code.length}: ${hexBytes(code)}`);
    for (const { f, size } of this.mems) {
      const part = effectiveAddress(f, this.regs);
      if (part !== f.ea)
        throw new Error(
          `generator bug: ${hexBytes(code)} addresses ${part.toString(16)}, meant ${f.ea.toString(16)} (${this.note})`,
        );
      const ea = u64(part + f.segBase);
      const inPage = ea >= BigInt(DATA_PAGE) && ea + BigInt(size) <= BigInt(DATA_PAGE + PAGE);
      if (!inPage && !f.outside)
        throw new Error(`generator bug: ${hexBytes(code)} accesses ${ea.toString(16)} (${this.note})`);
    }
    return {
      code: Uint8Array.from(code),
      regs: this.regs.slice(),
      rflags: this.rflags,
      seed: this.seed,
      patches: this.patches.slice(),
      flagMask: this.flagMask,
      ignoreRegs: this.ignoreRegs,
      ignoreMem: this.ignoreMem,
      fsBase: this.fsBase,
      gsBase: this.gsBase,
      insnAddr: this.insnAddr,
      note: this.note,
    };
  }
}

export function hexBytes(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

// --------------------------------------------------------------------------- operands and encoding

/**
 * Byte-register codes follow REG8_NAMES: 0-15 are the low bytes (4-7 = SPL..DIL, which need REX) and
 * 16-19 are AH, CH, DH, BH (encoded as 4-7 without REX).
 */
export type ByteMode = 'legacy' | 'rex';

export function pickByteMode(r: Rng): ByteMode {
  return r.chance(0.5) ? 'legacy' : 'rex';
}

/** A register operand of `size` bytes; for size 1 a byte-register code (see above). */
export function pickReg(r: Rng, size: number, mode: ByteMode, avoid: readonly number[] = []): number {
  for (;;) {
    let c: number;
    if (size === 1) c = mode === 'legacy' ? r.pick([0, 1, 2, 3, 16, 17, 18, 19]) : r.int(16);
    else c = mode === 'legacy' ? r.int(8) : r.int(16);
    const full = size === 1 && c >= 16 ? c - 16 : c;
    if (!avoid.includes(full)) return c;
  }
}

/** Reads an operand of `size` bytes from a register state (byte codes for size 1). */
export function regValue(regs: readonly bigint[], code: number, size: number): bigint {
  if (size === 1) {
    if (code >= 16) return ((regs[code - 16] as bigint) >> 8n) & 0xffn;
    return (regs[code] as bigint) & 0xffn;
  }
  return (regs[code] as bigint) & mask(size * 8);
}

export interface MemForm {
  kind: 'mem';
  mod: number;
  rm: number; // 0..7
  sib: number | null;
  rexX: boolean;
  rexB: boolean;
  dispSize: 0 | 1 | 4;
  disp: bigint;
  ripRel: boolean;
  /** Offset of the effective address inside the data page. */
  target: number;
  /** The effective address (offset part, before adding a segment base). */
  ea: bigint;
  /** FS/GS base added to `ea` (0 without a segment override). */
  segBase: bigint;
  addr32: boolean;
  /** Registers used for addressing. */
  uses: number[];
  /** The address is deliberately outside the data page. */
  outside?: boolean;
}

/** Effective address of a memory form from register values (independent of the CPU under test). */
export function effectiveAddress(f: MemForm, regs: readonly bigint[]): bigint {
  const am = f.addr32 ? mask(32) : M64;
  if (f.ripRel) return f.ea; // checked by construction in encode()
  let a = f.disp;
  if (f.sib === null) {
    a += regs[f.rm + (f.rexB ? 8 : 0)] as bigint;
  } else {
    const ss = f.sib >> 6;
    const idx = ((f.sib >> 3) & 7) + (f.rexX ? 8 : 0);
    const base = f.sib & 7;
    if (idx !== 4) a += (regs[idx] as bigint) << BigInt(ss);
    if (!(base === 5 && f.mod === 0)) a += regs[base + (f.rexB ? 8 : 0)] as bigint;
  }
  return a & am;
}

export interface RegForm {
  kind: 'reg';
  code: number; // 0..15, or 16..19 for AH..BH
}

export type RmOperand = MemForm | RegForm;

export interface MemOptions {
  /** Restrict base/index to RAX..RDI (no REX available). */
  legacy?: boolean;
  /** Registers that must not be used for addressing. */
  avoid?: readonly number[];
  /** 32-bit address size (0x67 prefix; the caller must emit it). */
  addr32?: boolean;
  /** Offset in the data page; chosen randomly (operand fully inside the page) when absent. */
  target?: number;
  /** Absolute effective address instead of a data-page offset (for fault tests). */
  absolute?: bigint;
  /** Allow RIP-relative forms (default true). */
  ripRel?: boolean;
  /** The caller changes the address registers afterwards (LEA): skip the address check. */
  noCheck?: boolean;
  /** Segment base (FS/GS override): the operand's offset part is solved for target - segBase. */
  segBase?: bigint;
}

/** A random offset for a `size`-byte access fully inside the data page, biased to edges and alignment. */
export function pickOffset(r: Rng, size: number, lo = 0, hi = PAGE): number {
  const max = hi - size;
  const k = r.int(10);
  if (k === 0) return lo + r.int(Math.min(16, max - lo + 1));
  if (k === 1) return max - r.int(Math.min(16, max - lo + 1));
  if (k < 5) return Math.floor(r.range(lo, max) / size) * size;
  return r.range(lo, max);
}

/** Builds a memory operand and pins the address registers so that the effective address is `target`. */
export function memOperand(b: CaseBuilder, size: number, o: MemOptions = {}): MemForm {
  const r = b.r;
  const avoid = new Set<number>([...(o.avoid ?? []), ...b.pinned]);
  const regPool = Array.from({ length: o.legacy ? 8 : 16 }, (_, k) => k).filter((k) => !avoid.has(k));
  const target = o.target ?? pickOffset(r, size);
  const bits = o.addr32 ? 32 : 64;
  const am = mask(bits);
  const segBase = o.segBase ?? 0n;
  const ea = ((o.absolute ?? BigInt(DATA_PAGE) + BigInt(target)) - segBase) & am;
  const upperJunk = (): bigint => (o.addr32 ? r.u64() & ~mask(32) & M64 : 0n);

  const forms: string[] = [];
  if (regPool.length > 0) forms.push('base', 'sib', 'sib', 'noindex');
  if (regPool.some((k) => k !== 4)) forms.push('nobase');
  if (o.addr32 || sext(ea, 64) === sext(ea, 32)) forms.push('abs');
  const ripDist = sext(ea, 64) - BigInt(INSN_ADDR);
  if (o.ripRel !== false && ripDist > -(1n << 30n) && ripDist < 1n << 30n) forms.push('rip');
  if (forms.length === 0) throw new Error('no addressing form can reach the target');
  const form = r.pick(forms);
  const f = memForm(b, r, form, ea, target, regPool, am, upperJunk, o, bits, size);
  f.segBase = segBase;
  if (!o.noCheck) b.mems.push({ f, size });
  f.outside = o.absolute !== undefined;
  return f;
}

function memForm(
  b: CaseBuilder,
  r: Rng,
  form: string,
  ea: bigint,
  target: number,
  regPool: number[],
  am: bigint,
  upperJunk: () => bigint,
  o: MemOptions,
  bits: number,
  size: number,
): MemForm {
  const f: MemForm = {
    kind: 'mem',
    mod: 0,
    rm: 0,
    sib: null,
    rexX: false,
    rexB: false,
    dispSize: 0,
    disp: 0n,
    ripRel: false,
    target,
    ea,
    segBase: 0n,
    addr32: !!o.addr32,
    uses: [],
  };
  const pickDisp = (allowNone: boolean): void => {
    const k = r.int(allowNone ? 3 : 2);
    if (k === 2) {
      f.dispSize = 0;
      f.disp = 0n;
    } else if (k === 0) {
      f.dispSize = 1;
      f.disp = BigInt(r.range(-128, 127));
    } else {
      f.dispSize = 4;
      f.disp = r.chance(0.5) ? BigInt(r.range(-4096, 4096)) : BigInt(r.u32() | 0);
    }
    f.mod = f.dispSize === 0 ? 0 : f.dispSize === 1 ? 1 : 2;
  };
  const setBase = (reg: number): void => {
    f.rexB = reg >= 8;
    f.uses.push(reg);
  };

  switch (form) {
    case 'rip': {
      f.ripRel = true;
      f.mod = 0;
      f.rm = 5;
      f.dispSize = 4;
      return f;
    }
    case 'abs': {
      // SIB with no base and no index: [disp32] (sign-extended; zero-extended with 0x67)
      f.mod = 0;
      f.rm = 4;
      f.sib = (r.int(4) << 6) | (4 << 3) | 5;
      f.dispSize = 4;
      f.disp = o.addr32 ? ea : sext(ea, 64);
      return f;
    }
    case 'base': {
      const base = r.pick(regPool);
      const low = base & 7;
      if (low === 4) {
        // [rsp]/[r12] need a SIB byte: encode with index=100
        pickDisp(true);
        f.rm = 4;
        f.sib = (r.int(4) << 6) | (4 << 3) | 4;
      } else {
        // rm=5 with mod 0 is RIP-relative, so RBP/R13 always carry a displacement
        pickDisp(low !== 5);
        f.rm = low;
      }
      setBase(base);
      b.pin(base, ((ea - f.disp) & am) | upperJunk());
      return f;
    }
    case 'noindex': {
      // SIB with index=100 (no REX.X) and a base: encodes [rsp]/[r12] and redundant forms
      const base = r.pick(regPool);
      pickDisp((base & 7) !== 5);
      f.rm = 4;
      f.sib = (r.int(4) << 6) | (4 << 3) | (base & 7);
      setBase(base);
      b.pin(base, ((ea - f.disp) & am) | upperJunk());
      return f;
    }
    case 'nobase': {
      // [index*scale + disp32]
      const pool = regPool.filter((k) => k !== 4);
      const index = r.pick(pool);
      const ss = r.int(4);
      const scale = 1n << BigInt(ss);
      f.mod = 0;
      f.rm = 4;
      f.sib = (ss << 6) | ((index & 7) << 3) | 5;
      f.rexX = index >= 8;
      f.dispSize = 4;
      let d = BigInt(r.u32() | 0);
      if (r.chance(0.5)) d = BigInt(r.range(-0x10000, 0x10000));
      d += (((ea - d) % scale) + scale) % scale;
      if (d >= 1n << 31n) d -= scale;
      f.disp = d;
      const iv = ((ea - d) / scale) & am;
      f.uses.push(index);
      b.pin(index, iv | upperJunk());
      return f;
    }
    default: {
      // base + index*scale (+ disp)
      const pool = regPool.filter((k) => k !== 4);
      if (pool.length === 0) return memForm(b, r, 'base', ea, target, regPool, am, upperJunk, o, bits, size);
      const base = r.pick(regPool);
      const index = r.chance(0.15) && base !== 4 ? base : r.pick(pool);
      let ss = r.int(4);
      if (index === base && ss === 0) ss = r.range(1, 3);
      const scale = 1n << BigInt(ss);
      pickDisp((base & 7) !== 5);
      f.rm = 4;
      f.sib = (ss << 6) | ((index & 7) << 3) | (base & 7);
      f.rexX = index >= 8;
      setBase(base);
      f.uses.push(index);
      if (index === base) {
        // v * (1 + scale) = ea - disp (mod 2^bits), 1 + scale odd
        const m = 1n + scale;
        const v = ((ea - f.disp) * modInverse(m, 1n << BigInt(bits))) & am;
        b.pin(base, v | upperJunk());
      } else {
        let iv: bigint;
        const k = r.int(4);
        if (k === 0) iv = u64(BigInt(r.range(-64, 64)));
        else if (k === 1) iv = interesting(r);
        else if (k === 2) iv = BigInt(r.range(0, 1024));
        else iv = u64(-BigInt(r.range(0, 1024)));
        iv &= am;
        b.pin(index, iv | upperJunk());
        b.pin(base, ((ea - f.disp - iv * scale) & am) | upperJunk());
      }
      return f;
    }
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  // Newton iteration for odd a modulo a power of two
  let x = a;
  for (let k = 0; k < 7; k++) x = (x * (2n - a * x)) % m;
  return ((x % m) + m) % m;
}

export interface Encoding {
  /** Legacy prefixes in emission order (0x66, 0x67, 0xf0, 0xf2, 0xf3, segment...). */
  prefixes?: number[];
  rexW?: boolean;
  /** Emit REX even when no bit is needed (byte registers SPL..DIL, or to test a redundant REX). */
  rex?: boolean;
  opcode: number[];
  /** ModRM.reg: a register number 0..15 (byte code 0..19 for byte registers) or an opcode extension. */
  reg?: number;
  rm?: RmOperand;
  /** Opcode low-bits register (50+r, b8+r, ...): 0..15 or byte code. */
  opReg?: number;
  /** Which register fields name byte registers (AH..BH/SPL..DIL rules apply). */
  regIsByte?: boolean;
  rmIsByte?: boolean;
  opRegIsByte?: boolean;
  imm?: { size: number; value: bigint };
  /** Extra bytes after the immediate (second immediate of ENTER). */
  imm2?: { size: number; value: bigint };
}

/** Assembles an instruction; throws on impossible REX combinations. */
export function encode(e: Encoding): number[] {
  let rexR = false;
  let rexX = false;
  let rexB = false;
  let needRex = !!e.rex || !!e.rexW;
  let forbidRex = false;
  const regField = (c: number | undefined, byteOp: boolean): number => {
    if (c === undefined) return 0;
    if (byteOp && c >= 16) {
      forbidRex = true;
      return c - 16 + 4;
    }
    if (byteOp && c >= 4 && c <= 7) needRex = true;
    return c;
  };
  const out: number[] = [...(e.prefixes ?? [])];
  const body: number[] = [...e.opcode];
  let ripFix = -1;
  if (e.opReg !== undefined) {
    const c = regField(e.opReg, !!e.opRegIsByte);
    rexB = c >= 8;
    body[body.length - 1] = (body[body.length - 1] as number) + (c & 7);
  }
  if (e.rm !== undefined) {
    const reg = regField(e.reg, !!e.regIsByte);
    rexR = reg >= 8;
    if (e.rm.kind === 'reg') {
      const rm = regField(e.rm.code, !!e.rmIsByte);
      rexB = rm >= 8;
      body.push(0xc0 | ((reg & 7) << 3) | (rm & 7));
    } else {
      const m = e.rm;
      rexB = m.rexB;
      rexX = m.rexX;
      body.push((m.mod << 6) | ((reg & 7) << 3) | m.rm);
      if (m.sib !== null) body.push(m.sib);
      if (m.ripRel) ripFix = body.length;
      pushLE(body, m.disp, m.dispSize);
    }
  }
  if (e.imm) pushLE(body, e.imm.value, e.imm.size);
  if (e.imm2) pushLE(body, e.imm2.value, e.imm2.size);
  if (rexR || rexX || rexB) needRex = true;
  if (needRex && forbidRex) throw new Error('AH..BH cannot be encoded with REX');
  if (needRex) out.push(0x40 | (e.rexW ? 8 : 0) | (rexR ? 4 : 0) | (rexX ? 2 : 0) | (rexB ? 1 : 0));
  out.push(...body);
  if (ripFix >= 0 && e.rm?.kind === 'mem') {
    const m = e.rm;
    const next = BigInt(INSN_ADDR + out.length);
    const at = out.length - body.length + ripFix;
    const disp = (m.addr32 ? m.ea : sext(m.ea, 64)) - next;
    for (let k = 0; k < 4; k++) out[at + k] = Number((u64(disp) >> BigInt(8 * k)) & 0xffn);
    m.disp = disp;
  }
  return out;
}

function pushLE(out: number[], v: bigint, size: number): void {
  const x = u64(v);
  for (let k = 0; k < size; k++) out.push(Number((x >> BigInt(8 * k)) & 0xffn));
}
