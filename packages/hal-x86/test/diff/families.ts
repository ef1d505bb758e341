/**
 * Instruction-family generators for the differential tests. Each generator turns a PRNG into one test
 * case: random register and flag state, an encoding (operand size, register/memory form, prefixes) and
 * the set of architecturally defined results to compare. Flags and results that the Intel SDM or the
 * AMD APM leave undefined are masked per case, so the comparison holds on either vendor's CPUs.
 */

import { fuzzFamily } from './fuzz';
import {
  AF,
  ALL_FLAGS,
  CaseBuilder as Builder,
  type ByteMode,
  type CaseBuilder,
  CF,
  CODE_PAGE,
  DATA_PAGE,
  DF,
  encode,
  INSN_ADDR,
  interesting,
  interestingSized,
  type MemForm,
  type MemOptions,
  mask,
  memOperand,
  OF,
  PAGE,
  pickByteMode,
  pickOffset,
  pickReg,
  RAX,
  RBX,
  RCX,
  RDI,
  RDX,
  type RegForm,
  type RmOperand,
  type Rng,
  RSI,
  RSP,
  regValue,
  sext,
  u64,
  ZF,
} from './gen';
import type { Case } from './harness';

export type Family = (r: Rng) => Case;

const SIZE_NAME: Record<number, string> = { 1: '8', 2: '16', 4: '32', 8: '64' };

// ------------------------------------------------------------------------------- shared encoders

interface EG {
  code: number[];
  /** ModRM.reg register (byte code for size-1 G operands), or -1 when reg is an opcode extension. */
  g: number;
  rm: RmOperand;
  form: string;
}

interface EGSpec {
  /** Operand size selecting 66/REX.W (1: none). */
  size: number;
  opcode: number[];
  /** Opcode extension in ModRM.reg instead of a G register. */
  ext?: number;
  /** Size of the G register (default `size`). */
  gSize?: number;
  /** Size of the r/m operand (default `size`). */
  eSize?: number;
  form?: 'reg' | 'mem' | 'any';
  imm?: { size: number; value: bigint };
  /** Legacy prefixes placed before the operand-size prefix. */
  prefixes?: number[];
  /** Allow a LOCK prefix on memory forms (and, rarely, on register forms, which must #UD). */
  lockable?: boolean;
  /** Never add a LOCK prefix. */
  noLock?: boolean;
  mem?: MemOptions;
  gAvoid?: number[];
  eAvoid?: number[];
  /** REX.W (default: size === 8). */
  rexW?: boolean;
  /** Use this register as the G operand. */
  gReg?: number;
}

/** Encodes an instruction with a ModRM operand; picks registers, memory form and optional prefixes. */
function eg(b: CaseBuilder, s: EGSpec): EG {
  const r = b.r;
  const eSize = s.eSize ?? s.size;
  const gSize = s.gSize ?? s.size;
  const rexW = s.rexW ?? s.size === 8;
  const byteOp = eSize === 1 || (s.ext === undefined && gSize === 1);
  const mode: ByteMode = byteOp && !rexW ? pickByteMode(r) : rexW ? 'rex' : r.chance(0.3) ? 'legacy' : 'rex';
  const g = s.ext === undefined ? (s.gReg ?? pickReg(r, gSize, mode, s.gAvoid)) : -1;
  const prefixes = [...(s.prefixes ?? [])];
  let useMem = s.form === 'mem' || (s.form !== 'reg' && r.chance(0.5));
  const addr32 = useMem && (s.mem?.addr32 ?? r.chance(0.15));
  let lock = false;
  if (!s.noLock && s.lockable && useMem && r.chance(0.25)) lock = true;
  if (!s.noLock && !useMem && r.chance(0.01)) lock = true; // LOCK on a register operand: #UD
  if (!s.noLock && !s.lockable && r.chance(0.01)) lock = true; // LOCK on a non-lockable instruction: #UD
  let rm: RmOperand;
  if (useMem) {
    rm = memOperand(b, eSize, { ...s.mem, legacy: mode === 'legacy', addr32 });
  } else {
    useMem = false;
    rm = { kind: 'reg', code: pickReg(r, eSize, mode, s.eAvoid) } as RegForm;
  }
  if (lock) prefixes.unshift(0xf0);
  if (addr32 && rm.kind === 'mem') prefixes.push(0x67);
  if (s.size === 2) prefixes.push(0x66);
  if (r.chance(0.2) && prefixes.length > 1) shuffle(r, prefixes);
  const code = encode({
    prefixes,
    rexW,
    rex: mode === 'rex' && (byteOp || r.chance(0.15)),
    opcode: s.opcode,
    reg: s.ext ?? g,
    rm,
    imm: s.imm,
    regIsByte: s.ext === undefined && gSize === 1,
    rmIsByte: eSize === 1,
  });
  const form = `${rm.kind === 'mem' ? 'mem' : 'reg'}${addr32 ? ' a32' : ''}${lock ? ' lock' : ''}`;
  return { code, g, rm, form };
}

function shuffle<T>(r: Rng, xs: T[]): void {
  for (let k = xs.length - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [xs[k], xs[j]] = [xs[j] as T, xs[k] as T];
  }
}

/** Value of an r/m operand at `size` bytes from the case's initial state. */
function rmValue(b: CaseBuilder, rm: RmOperand, size: number): bigint {
  if (rm.kind === 'reg') return regValue(b.regs, rm.code, size);
  return b.readData(rm.target, size);
}

/** Sets the value of an r/m operand (register or memory) in the case's initial state. */
function setRm(b: CaseBuilder, rm: RmOperand, size: number, v: bigint): void {
  if (rm.kind === 'reg') setRegOperand(b, rm.code, size, v);
  else b.writeData(rm.target, size, v);
}

function setRegOperand(b: CaseBuilder, code: number, size: number, v: bigint): void {
  if (size === 1 && code >= 16) {
    const home = code - 16;
    b.regs[home] = ((b.regs[home] as bigint) & ~0xff00n) | ((v & 0xffn) << 8n);
  } else {
    b.regs[code] = u64(((b.regs[code] as bigint) & ~mask(size * 8)) | (v & mask(size * 8)));
  }
}

const pickSize = (r: Rng, sizes: readonly number[]): number => r.pick(sizes);

/** A biased shift/rotate count (8 bits as stored in CL or an imm8). */
function pickCount(r: Rng, size: number): number {
  const k = r.int(10);
  if (k === 0) return 0;
  if (k === 1) return 1;
  if (k < 4) return r.range(2, 9);
  if (k < 6) return r.pick([size * 8 - 1, size * 8, size * 8 + 1, 31, 32, 33, 63, 64, 65, 9, 17, 16, 8, 7]);
  if (k < 9) return r.range(0, 70);
  return r.int(256);
}

// ------------------------------------------------------------------------------- ALU

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const LOGICAL = new Set([1, 4, 6]);

/** ADD OR ADC SBB AND SUB XOR CMP in all nine encodings (plus 82, which is invalid in 64-bit mode). */
export const aluFamily: Family = (r) => {
  const b = new Builder(r);
  const op = r.int(8);
  const enc = r.int(100) < 2 ? 9 : r.int(9);
  const byteEnc = [0, 2, 4, 6].includes(enc);
  const size = byteEnc ? 1 : pickSize(r, [2, 4, 8]);
  const lockable = op !== 7;
  let code: number[];
  let form: string;
  switch (enc) {
    case 0:
    case 1: {
      const e = eg(b, { size, opcode: [op * 8 + enc], lockable });
      code = e.code;
      form = `E${SIZE_NAME[size]},G ${e.form}`;
      break;
    }
    case 2:
    case 3: {
      const e = eg(b, { size, opcode: [op * 8 + enc] });
      code = e.code;
      form = `G,E${SIZE_NAME[size]} ${e.form}`;
      break;
    }
    case 4:
    case 5: {
      const immSize = size === 1 ? 1 : size === 2 ? 2 : 4;
      const pre = size === 2 ? [0x66] : [];
      code = encode({
        prefixes: pre,
        rexW: size === 8,
        rex: r.chance(0.1),
        opcode: [op * 8 + enc],
        imm: { size: immSize, value: interestingSized(r, immSize) },
      });
      form = `A${SIZE_NAME[size]},I`;
      break;
    }
    case 6:
    case 7:
    case 8: {
      const opc = enc === 6 ? 0x80 : enc === 7 ? 0x81 : 0x83;
      const immSize = opc === 0x81 ? (size === 2 ? 2 : 4) : 1;
      const e = eg(b, {
        size,
        opcode: [opc],
        ext: op,
        lockable,
        imm: { size: immSize, value: interestingSized(r, immSize) },
      });
      code = e.code;
      form = `${opc.toString(16)} E${SIZE_NAME[size]},I ${e.form}`;
      break;
    }
    default: {
      const e = eg(b, {
        size: 1,
        opcode: [0x82],
        ext: op,
        imm: { size: 1, value: BigInt(r.int(256)) },
        noLock: true,
      });
      code = e.code;
      form = `82 (invalid) ${e.form}`;
    }
  }
  if (LOGICAL.has(op)) b.flagMask = ALL_FLAGS & ~AF;
  b.note = `${ALU[op]} ${form}`;
  return b.build(code);
};

/** TEST in its encodings (84, 85, A8, A9, F6/0, F6/1, F7/0, F7/1). */
export const testFamily: Family = (r) => {
  const b = new Builder(r);
  const enc = r.int(4);
  const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
  const w = size === 1 ? 0 : 1;
  let code: number[];
  let form: string;
  const immSize = size === 1 ? 1 : size === 2 ? 2 : 4;
  if (enc === 0) {
    const e = eg(b, { size, opcode: [0x84 + w] });
    code = e.code;
    form = `84 ${e.form}`;
  } else if (enc === 1) {
    code = encode({
      prefixes: size === 2 ? [0x66] : [],
      rexW: size === 8,
      opcode: [0xa8 + w],
      imm: { size: immSize, value: interestingSized(r, immSize) },
    });
    form = 'A8 A,I';
  } else {
    const ext = enc === 2 ? 0 : 1;
    const e = eg(b, {
      size,
      opcode: [0xf6 + w],
      ext,
      imm: { size: immSize, value: interestingSized(r, immSize) },
    });
    code = e.code;
    form = `F6/${ext} ${e.form}`;
  }
  b.flagMask = ALL_FLAGS & ~AF;
  b.note = `test${SIZE_NAME[size]} ${form}`;
  return b.build(code);
};

/** INC DEC (FE/FF /0 /1) NOT NEG (F6/F7 /2 /3). */
export const incDecNegNotFamily: Family = (r) => {
  const b = new Builder(r);
  const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
  const w = size === 1 ? 0 : 1;
  const which = r.int(4);
  const names = ['inc', 'dec', 'not', 'neg'];
  const e =
    which < 2
      ? eg(b, { size, opcode: [0xfe + w], ext: which, lockable: true })
      : eg(b, { size, opcode: [0xf6 + w], ext: which, lockable: true });
  if (r.chance(0.3)) {
    // neg/inc/dec boundary values
    setRm(b, e.rm, size, r.pick([0n, 1n, mask(size * 8), 1n << BigInt(size * 8 - 1), mask(size * 8 - 1)]));
  }
  b.note = `${names[which]}${SIZE_NAME[size]} ${e.form}`;
  return b.build(e.code);
};

// ------------------------------------------------------------------------------- shifts and rotates

const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal(/6)', 'sar'];

/** ROL ROR RCL RCR SHL SHR SAL SAR by 1, imm8 and CL at all sizes. */
export const shiftFamily: Family = (r) => {
  const b = new Builder(r);
  const op = r.int(8);
  const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
  const w = size === 1 ? 0 : 1;
  const how = r.int(3); // 0: by 1, 1: imm8, 2: CL
  let count: number;
  let e: EG;
  if (how === 0) {
    count = 1;
    e = eg(b, { size, opcode: [0xd0 + w], ext: op });
  } else if (how === 1) {
    count = pickCount(r, size);
    e = eg(b, { size, opcode: [0xc0 + w], ext: op, imm: { size: 1, value: BigInt(count) } });
  } else {
    count = pickCount(r, size);
    b.pin(RCX, ((b.regs[RCX] as bigint) & ~0xffn) | BigInt(count));
    e = eg(b, { size, opcode: [0xd2 + w], ext: op });
    count = Number((b.regs[RCX] as bigint) & 0xffn); // the operand may itself be CL
  }
  const bits = size * 8;
  const mc = count & (size === 8 ? 63 : 31);
  let m = ALL_FLAGS;
  if (mc !== 0) {
    if (mc !== 1) m &= ~OF;
    if (op >= 4) m &= ~AF;
    if ((op === 4 || op === 5 || op === 6) && mc >= bits) m &= ~CF;
  }
  b.flagMask = m;
  b.note = `${SHIFT[op]}${SIZE_NAME[size]} ${['1', 'imm', 'cl'][how]} ${mc === 0 ? 'count0' : mc === 1 ? 'count1' : mc >= bits ? 'count>=size' : 'count>1'} ${e.form}`;
  return b.build(e.code);
};

/** SHLD/SHRD with imm8 and CL at 16/32/64 bits. */
export const shldFamily: Family = (r) => {
  const b = new Builder(r);
  const right = r.chance(0.5);
  const size = pickSize(r, [2, 4, 8]);
  const byCl = r.chance(0.5);
  let count = pickCount(r, size);
  let e: EG;
  const opc = (right ? 0xac : 0xa4) + (byCl ? 1 : 0);
  if (byCl) {
    b.pin(RCX, ((b.regs[RCX] as bigint) & ~0xffn) | BigInt(count));
    e = eg(b, { size, opcode: [0x0f, opc] });
    count = Number((b.regs[RCX] as bigint) & 0xffn);
  } else {
    e = eg(b, { size, opcode: [0x0f, opc], imm: { size: 1, value: BigInt(count) } });
  }
  const bits = size * 8;
  const mc = count & (size === 8 ? 63 : 31);
  let m = ALL_FLAGS;
  let cls = mc === 0 ? 'count0' : mc === 1 ? 'count1' : 'count>1';
  if (mc !== 0) {
    m &= ~AF;
    if (mc !== 1) m &= ~OF;
    if (mc > bits) {
      // result and flags undefined
      m = DF;
      cls = 'count>size';
      if (e.rm.kind === 'reg') b.ignoreRegs |= 1 << e.rm.code;
      else b.ignoreMem = [e.rm.target, size];
    }
  }
  b.flagMask = m;
  b.note = `${right ? 'shrd' : 'shld'}${SIZE_NAME[size]} ${byCl ? 'cl' : 'imm'} ${cls} ${e.form}`;
  return b.build(e.code);
};

// ------------------------------------------------------------------------------- multiply and divide

/** MUL/IMUL one-operand (F6/F7 /4 /5), IMUL Gv,Ev (0F AF), IMUL Gv,Ev,Iz/Ib (69/6B). */
export const mulFamily: Family = (r) => {
  const b = new Builder(r);
  const kind = r.int(4);
  let e: EG;
  let note: string;
  if (kind < 2) {
    const size = r.chance(0.25) ? 1 : pickSize(r, [2, 4, 8]);
    const ext = r.chance(0.5) ? 4 : 5;
    e = eg(b, { size, opcode: [size === 1 ? 0xf6 : 0xf7], ext });
    note = `${ext === 4 ? 'mul' : 'imul'}${SIZE_NAME[size]} ${e.form}`;
  } else if (kind === 2) {
    const size = pickSize(r, [2, 4, 8]);
    e = eg(b, { size, opcode: [0x0f, 0xaf] });
    note = `imul${SIZE_NAME[size]} G,E ${e.form}`;
  } else {
    const size = pickSize(r, [2, 4, 8]);
    const short = r.chance(0.5);
    const immSize = short ? 1 : size === 2 ? 2 : 4;
    e = eg(b, {
      size,
      opcode: [short ? 0x6b : 0x69],
      imm: { size: immSize, value: interestingSized(r, immSize) },
    });
    note = `imul${SIZE_NAME[size]} G,E,${short ? 'Ib' : 'Iz'} ${e.form}`;
  }
  b.flagMask = CF | OF | DF;
  b.note = note;
  return b.build(e.code);
};

/** DIV/IDIV at all sizes, including divide-by-zero and quotient-overflow #DE. */
export const divFamily: Family = (r) => {
  const b = new Builder(r);
  const size = r.chance(0.25) ? 1 : pickSize(r, [2, 4, 8]);
  const signed = r.chance(0.5);
  const bits = BigInt(size * 8);
  // Pin the dividend registers so that memory operands do not use them for addressing.
  b.pin(RAX, b.regs[RAX] as bigint);
  if (size > 1) b.pin(RDX, b.regs[RDX] as bigint);
  const avoidDividend = r.chance(0.9);
  const e = eg(b, {
    size,
    opcode: [size === 1 ? 0xf6 : 0xf7],
    ext: signed ? 7 : 6,
    eAvoid: avoidDividend ? [RAX, RDX] : [],
  });
  const k = r.int(100);
  let cls: string;
  // divisor
  let d: bigint;
  if (k < 8) {
    d = 0n;
    cls = 'zero';
  } else {
    d = interestingSized(r, size);
    if (d === 0n) d = 1n;
    cls = 'random';
  }
  if (!(e.rm.kind === 'reg' && !avoidDividend)) setRm(b, e.rm, size, d);
  d = rmValue(b, e.rm, size);
  // dividend: high part chosen so that the quotient usually fits
  const lowMask = mask(size * 8);
  if (k >= 8 && k < 70 && d !== 0n) {
    cls = 'fits';
    if (!signed) {
      const hi = u64(r.u64()) % d;
      const lo = r.u64() & lowMask;
      setDividend(b, size, hi, lo);
    } else {
      const lo = r.u64() & lowMask;
      const negative = (lo >> (bits - 1n)) & 1n;
      const hi = negative ? lowMask : 0n;
      setDividend(b, size, hi, lo);
    }
  } else if (k >= 70 && k < 80 && signed) {
    // most negative dividend by -1, and quotients at the edges of the signed range
    cls = 'edge';
    if (e.rm.kind === 'mem' || avoidDividend) {
      const dv = r.pick([mask(size * 8), 1n, 2n, mask(size * 8) - 1n]);
      setRm(b, e.rm, size, dv);
    }
    const dd = sext(rmValue(b, e.rm, size), size * 8);
    const q = r.pick([
      -(1n << (bits - 1n)),
      (1n << (bits - 1n)) - 1n,
      1n << (bits - 1n),
      -(1n << (bits - 1n)) - 1n,
    ]);
    const rem = dd === 0n ? 0n : BigInt(r.range(0, 3)) % (dd < 0n ? -dd : dd);
    const dividend = q * dd + (q < 0n ? -rem : rem);
    const full = dividend & mask(size * 16);
    setDividend(b, size, full >> bits, full & lowMask);
  }
  b.flagMask = DF;
  b.note = `${signed ? 'idiv' : 'div'}${SIZE_NAME[size]} ${cls} ${e.form}`;
  return b.build(e.code);
};

function setDividend(b: CaseBuilder, size: number, hi: bigint, lo: bigint): void {
  if (size === 1) {
    const ax = ((hi & 0xffn) << 8n) | (lo & 0xffn);
    b.regs[RAX] = ((b.regs[RAX] as bigint) & ~0xffffn) | ax;
  } else {
    setRegOperand(b, RAX, size, lo);
    setRegOperand(b, RDX, size, hi);
  }
}

// ------------------------------------------------------------------------------- bit instructions

/** ZF after BT*: unaffected per the Intel SDM, undefined per the AMD APM; compared while the host agrees. */
const BT_COMPARE_ZF = true;

/** BT BTS BTR BTC with register and immediate bit offsets, register and memory operands. */
export const btFamily: Family = (r) => {
  const b = new Builder(r);
  const size = pickSize(r, [2, 4, 8]);
  const bits = size * 8;
  const op = r.int(4); // bt bts btr btc
  const names = ['bt', 'bts', 'btr', 'btc'];
  const useImm = r.chance(0.4);
  const useMem = r.chance(0.55);
  let e: EG;
  if (r.chance(0.05)) return btWrapCase(b, op);
  if (useImm) {
    const imm = r.chance(0.5) ? r.int(bits) : r.int(256);
    e = eg(b, {
      size,
      opcode: [0x0f, 0xba],
      ext: 4 + op,
      form: useMem ? 'mem' : 'reg',
      lockable: op !== 0,
      imm: { size: 1, value: BigInt(imm) },
    });
  } else if (!useMem) {
    e = eg(b, {
      size,
      opcode: [0x0f, [0xa3, 0xab, 0xb3, 0xbb][op] as number],
      form: 'reg',
      lockable: op !== 0,
    });
  } else {
    // Memory operand with a register bit offset: pin the offset register first, then place the base so
    // that the addressed unit stays inside the page.
    const off = r.range(512, PAGE - 512);
    const gReg = pickReg(r, size, 'rex', [RSP]);
    const minBit = -(off - 8) * 8;
    const maxBit = (PAGE - off - 16) * 8;
    let bit: number;
    const k = r.int(4);
    if (k === 0) bit = r.range(0, bits - 1);
    else if (k === 1) bit = r.range(-bits, -1);
    else
      bit = r.range(
        Math.max(minBit, size === 2 ? -32768 : minBit),
        Math.min(maxBit, size === 2 ? 32767 : maxBit),
      );
    const upper = size === 8 ? 0n : r.u64() & ~mask(bits) & mask(64);
    b.pin(gReg, upper | (u64(BigInt(bit)) & mask(bits)));
    e = eg(b, {
      size,
      opcode: [0x0f, [0xa3, 0xab, 0xb3, 0xbb][op] as number],
      form: 'mem',
      lockable: op !== 0,
      mem: { target: off },
      gReg,
    });
  }
  b.flagMask = CF | DF | (BT_COMPARE_ZF ? ZF : 0);
  let tag = '';
  if (!useImm && size === 8) {
    const off = sext(b.regs[e.g] as bigint, 64);
    if (off >= 1n << 53n || off < -(1n << 53n)) tag = ' (|offset| >= 2^53)';
  }
  b.note = `${names[op]}${SIZE_NAME[size]} ${useImm ? 'imm' : 'reg'}-offset ${e.form}${tag}`;
  return b.build(e.code);
};

/**
 * BT* m64, r64 with 0x67: the operand address is EA32 + 8 * (offset >> 6), truncated to 32 bits like
 * the effective address itself. EA32 is near 4 GiB and the offset reaches past it into the data page.
 */
function btWrapCase(b: CaseBuilder, op: number): Case {
  const r = b.r;
  const ea32 = 0xf0000000 + r.int(0x1000) * 8;
  const target = r.range(0x100, PAGE - 0x100) & ~7;
  const bytes = BigInt(DATA_PAGE + target) + (1n << 32n) - BigInt(ea32);
  const bit = bytes * 8n + BigInt(r.int(64));
  b.pin(RDX, bit);
  b.pin(RBX, (r.u64() & ~mask(32) & mask(64)) | BigInt(ea32));
  const code = [0x67, 0x48, 0x0f, [0xa3, 0xab, 0xb3, 0xbb][op] as number, 0x13]; // bt* [ebx], rdx
  b.flagMask = CF | DF | (BT_COMPARE_ZF ? ZF : 0);
  b.note = `${['bt', 'bts', 'btr', 'btc'][op]}64 [ebx], rdx a32 (address wraps at 4 GiB)`;
  return b.build(code);
}

/** Number of legacy+REX prefix bytes at the start of an encoding. */
function prefixLength(code: number[]): number {
  let k = 0;
  while (
    k < code.length &&
    [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36].includes(code[k] as number)
  )
    k++;
  if (k < code.length && ((code[k] as number) & 0xf0) === 0x40) k++;
  return k;
}

/** BSF/BSR at 16/32/64 bits, with zero sources (destination undefined on Intel, unchanged on AMD). */
export const bsfFamily: Family = (r) => {
  const b = new Builder(r);
  const size = pickSize(r, [2, 4, 8]);
  const rev = r.chance(0.5);
  const e = eg(b, { size, opcode: [0x0f, rev ? 0xbd : 0xbc] });
  const k = r.int(10);
  if (k < 2) setRm(b, e.rm, size, 0n);
  else if (k < 5) setRm(b, e.rm, size, 1n << BigInt(r.int(size * 8)));
  const src = rmValue(b, e.rm, size);
  b.flagMask = ZF | DF;
  if (src === 0n) b.ignoreRegs |= 1 << e.g;
  b.note = `${rev ? 'bsr' : 'bsf'}${SIZE_NAME[size]} ${src === 0n ? 'zero' : 'nonzero'} ${e.form}`;
  return b.build(e.code);
};

// ------------------------------------------------------------------------------- conditional ops

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

export const cmovFamily: Family = (r) => {
  const b = new Builder(r);
  const size = pickSize(r, [2, 4, 8]);
  const cc = r.int(16);
  const e = eg(b, { size, opcode: [0x0f, 0x40 + cc] });
  b.note = `cmov${CC[cc]}${SIZE_NAME[size]} ${e.form}`;
  return b.build(e.code);
};

export const setccFamily: Family = (r) => {
  const b = new Builder(r);
  const cc = r.int(16);
  // ModRM.reg is ignored by SETcc; mostly 0
  const e = eg(b, { size: 1, opcode: [0x0f, 0x90 + cc], ext: r.chance(0.8) ? 0 : r.int(8) });
  b.note = `set${CC[cc]} ${e.form}`;
  return b.build(e.code);
};

/** A branch displacement whose target lies in the code page and outside the instruction itself. */
function branchDisp(r: Rng, len: number, width: 1 | 4): bigint {
  for (;;) {
    const d =
      width === 1 ? r.range(-128, 127) : r.chance(0.5) ? r.range(-0x7f0, 0x7f0) : r.range(-2000, 2000);
    const target = INSN_ADDR + len + d;
    if (target >= INSN_ADDR && target < INSN_ADDR + len) continue;
    if (target < INSN_ADDR - 0x800 || target >= INSN_ADDR + 0x800 - 16) continue;
    return BigInt(d);
  }
}

/** Jcc rel8/rel32, JMP rel8/rel32, JRCXZ/JECXZ, LOOP/LOOPE/LOOPNE (64- and 32-bit counters). */
export const jccFamily: Family = (r) => {
  const b = new Builder(r);
  const kind = r.int(10);
  let code: number[];
  if (kind < 4) {
    const cc = r.int(16);
    code = [0x70 + cc, 0];
    code[1] = Number(u64(branchDisp(r, 2, 1)) & 0xffn);
    b.note = `j${CC[cc]} rel8`;
  } else if (kind < 7) {
    const cc = r.int(16);
    code = encode({ opcode: [0x0f, 0x80 + cc], imm: { size: 4, value: branchDisp(r, 6, 4) } });
    b.note = `j${CC[cc]} rel32`;
  } else if (kind === 7) {
    const short = r.chance(0.5);
    code = short
      ? encode({ opcode: [0xeb], imm: { size: 1, value: branchDisp(r, 2, 1) } })
      : encode({ opcode: [0xe9], imm: { size: 4, value: branchDisp(r, 5, 4) } });
    b.note = `jmp ${short ? 'rel8' : 'rel32'}`;
  } else {
    const op = r.pick([0xe0, 0xe1, 0xe2, 0xe3]);
    const a32 = r.chance(0.4);
    const c = r.int(4);
    const rcx =
      c === 0
        ? 0n
        : c === 1
          ? 1n
          : c === 2
            ? (r.u64() & ~mask(32) & mask(64)) | BigInt(r.int(2))
            : interesting(r);
    b.regs[RCX] = rcx;
    const len = a32 ? 3 : 2;
    code = encode({
      prefixes: a32 ? [0x67] : [],
      opcode: [op],
      imm: { size: 1, value: branchDisp(r, len, 1) },
    });
    b.note = `${['loopne', 'loope', 'loop', 'jrcxz'][op - 0xe0]}${a32 ? ' a32' : ''}`;
  }
  return b.build(code);
};

// ------------------------------------------------------------------------------- data movement

/** MOVZX/MOVSX (0F B6 B7 BE BF) and MOVSXD (63). */
export const movxFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(5);
  let e: EG;
  if (k < 4) {
    const srcSize = k % 2 === 0 ? 1 : 2;
    const signed = k >= 2;
    const size = pickSize(r, [2, 4, 8]);
    e = eg(b, { size, eSize: srcSize, opcode: [0x0f, (signed ? 0xbe : 0xb6) + (srcSize - 1)] });
    b.note = `${signed ? 'movsx' : 'movzx'} ${SIZE_NAME[size]}<-${SIZE_NAME[srcSize]} ${e.form}`;
  } else {
    const w = r.chance(0.8);
    e = eg(b, { size: w ? 8 : 4, eSize: 4, opcode: [0x63] });
    b.note = `movsxd ${w ? 'q<-d' : 'd<-d (no REX.W)'} ${e.form}`;
  }
  return b.build(e.code);
};

/** LEA in every addressing form, operand sizes 16/32/64, address sizes 64/32; LEA with mod=3 is #UD. */
export const leaFamily: Family = (r) => {
  const b = new Builder(r);
  const size = pickSize(r, [2, 4, 8]);
  if (r.chance(0.01)) {
    const e = eg(b, { size, opcode: [0x8d], form: 'reg', noLock: true });
    b.note = 'lea reg (invalid)';
    return b.build(e.code);
  }
  const e = eg(b, { size, opcode: [0x8d], form: 'mem', noLock: true, mem: { noCheck: true } });
  const m = e.rm as MemForm;
  // No memory access: address registers may hold anything.
  if (r.chance(0.6)) for (const reg of m.uses) b.regs[reg] = interesting(r);
  b.note = `lea${SIZE_NAME[size]} ${m.ripRel ? 'rip' : m.sib === null ? 'modrm' : (m.sib & 7) === 5 && m.mod === 0 ? 'sib-nobase' : 'sib'}${m.addr32 ? ' a32' : ''}`;
  return b.build(e.code);
};

/** MOV in its register/memory/immediate/moffs encodings. */
export const movFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(6);
  const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
  const w = size === 1 ? 0 : 1;
  let code: number[];
  if (k === 0) {
    const e = eg(b, { size, opcode: [0x88 + w], noLock: true });
    code = e.code;
    b.note = `mov E${SIZE_NAME[size]},G ${e.form}`;
  } else if (k === 1) {
    const e = eg(b, { size, opcode: [0x8a + w], noLock: true });
    code = e.code;
    b.note = `mov G,E${SIZE_NAME[size]} ${e.form}`;
  } else if (k === 2) {
    const immSize = size === 1 ? 1 : size === 2 ? 2 : 4;
    const e = eg(b, {
      size,
      opcode: [0xc6 + w],
      ext: 0,
      noLock: true,
      imm: { size: immSize, value: interestingSized(r, immSize) },
    });
    code = e.code;
    b.note = `mov E${SIZE_NAME[size]},I ${e.form}`;
  } else if (k === 3) {
    const mode = size === 1 ? pickByteMode(r) : 'rex';
    const reg = pickReg(r, size, mode);
    code = encode({
      prefixes: size === 2 ? [0x66] : [],
      rexW: size === 8,
      rex: mode === 'rex' && size === 1,
      opcode: [size === 1 ? 0xb0 : 0xb8],
      opReg: reg,
      opRegIsByte: size === 1,
      imm: { size, value: interestingSized(r, size) },
    });
    b.note = `mov Z${SIZE_NAME[size]},I${size === 8 ? ' (movabs)' : ''}`;
  } else {
    // moffs: A0-A3 with a 64-bit (or, with 0x67, 32-bit) absolute address
    const store = k === 5;
    const a32 = r.chance(0.3);
    const off = pickOffset(r, size);
    const pre = [...(a32 ? [0x67] : []), ...(size === 2 ? [0x66] : [])];
    code = encode({
      prefixes: pre,
      rexW: size === 8,
      opcode: [(store ? 0xa2 : 0xa0) + w],
      imm: { size: a32 ? 4 : 8, value: BigInt(DATA_PAGE + off) },
    });
    b.note = `mov moffs ${store ? 'store' : 'load'}${SIZE_NAME[size]}${a32 ? ' a32' : ''}`;
  }
  return b.build(code);
};

/** XCHG (86/87 and 90+r), XADD, CMPXCHG (both outcomes), CMPXCHG8B (both outcomes). */
export const exchangeFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(5);
  const size = r.chance(0.3) && k < 3 ? 1 : pickSize(r, [2, 4, 8]);
  const w = size === 1 ? 0 : 1;
  let code: number[];
  if (k === 0) {
    const e = eg(b, { size, opcode: [0x86 + w], lockable: true });
    code = e.code;
    b.note = `xchg${SIZE_NAME[size]} ${e.form}`;
  } else if (k === 1) {
    const e = eg(b, { size, opcode: [0x0f, 0xc0 + w], lockable: true });
    code = e.code;
    b.note = `xadd${SIZE_NAME[size]} ${e.form}`;
  } else if (k === 2) {
    b.pin(RAX, b.regs[RAX] as bigint);
    const e = eg(b, { size, opcode: [0x0f, 0xb0 + w], lockable: true });
    const equal = r.chance(0.5);
    if (equal) setRegOperand(b, RAX, size, rmValue(b, e.rm, size));
    code = e.code;
    b.note = `cmpxchg${SIZE_NAME[size]} ${rmValue(b, e.rm, size) === regValue(b.regs, RAX, size) ? 'equal' : 'differ'} ${e.form}`;
  } else if (k === 3) {
    const reg = r.int(16);
    const sz = pickSize(r, [2, 4, 8]);
    // F3 90 is PAUSE only without REX.B; with REX.B it is XCHG r8, rAX on AMD and PAUSE on Intel (vendor.ts)
    const f3 = r.chance(0.2);
    code = encode({
      prefixes: [...(f3 ? [0xf3] : []), ...(sz === 2 ? [0x66] : [])],
      rexW: sz === 8,
      opcode: [0x90],
      opReg: reg,
    });
    b.note = `${f3 ? 'f3 ' : ''}xchg${SIZE_NAME[sz]} ${reg === 0 ? '90 (nop/pause)' : 'Z,A'}${reg >= 8 ? ' (REX.B)' : ''}`;
  } else {
    for (const reg of [RAX, RDX, RBX, RCX]) b.pin(reg, b.regs[reg] as bigint);
    const m = memOperand(b, 8, { target: pickOffset(r, 8), addr32: r.chance(0.1) });
    const equal = r.chance(0.5);
    if (equal) {
      const v = b.readData(m.target, 8);
      b.regs[RAX] = ((b.regs[RAX] as bigint) & ~mask(32)) | (v & mask(32));
      b.regs[RDX] = ((b.regs[RDX] as bigint) & ~mask(32)) | (v >> 32n);
    }
    const lock = r.chance(0.3);
    code = encode({
      prefixes: [...(lock ? [0xf0] : []), ...(m.addr32 ? [0x67] : [])],
      opcode: [0x0f, 0xc7],
      reg: 1,
      rm: m,
      rex: r.chance(0.1),
    });
    b.note = `cmpxchg8b ${equal ? 'equal' : 'differ'}${lock ? ' lock' : ''}`;
  }
  return b.build(code);
};

/** BSWAP 32/64, CBW/CWDE/CDQE, CWD/CDQ/CQO. */
export const convertFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(3);
  let code: number[];
  if (k === 0) {
    const size = r.chance(0.5) ? 4 : 8;
    const reg = r.int(16);
    code = encode({ rexW: size === 8, opcode: [0x0f, 0xc8], opReg: reg });
    b.note = `bswap${SIZE_NAME[size]}`;
  } else {
    const size = pickSize(r, [2, 4, 8]);
    code = encode({ prefixes: size === 2 ? [0x66] : [], rexW: size === 8, opcode: [k === 1 ? 0x98 : 0x99] });
    b.note =
      k === 1
        ? (({ 2: 'cbw', 4: 'cwde', 8: 'cdqe' } as Record<number, string>)[size] as string)
        : (({ 2: 'cwd', 4: 'cdq', 8: 'cqo' } as Record<number, string>)[size] as string);
  }
  return b.build(code);
};

/** CLC STC CMC CLD STD LAHF SAHF. */
export const flagOpsFamily: Family = (r) => {
  const b = new Builder(r);
  const ops: [number, string][] = [
    [0xf8, 'clc'],
    [0xf9, 'stc'],
    [0xf5, 'cmc'],
    [0xfc, 'cld'],
    [0xfd, 'std'],
    [0x9f, 'lahf'],
    [0x9e, 'sahf'],
  ];
  const [op, name] = r.pick(ops);
  b.note = name;
  return b.build(r.chance(0.1) ? [0x48, op] : [op]);
};

// ------------------------------------------------------------------------------- stack

/** An RSP inside the data page with room for pushes and pops. */
function pinStack(b: CaseBuilder, aligned = true): number {
  const r = b.r;
  let off = r.range(0x200, PAGE - 0x200);
  if (aligned || r.chance(0.7)) off &= ~7;
  b.pin(RSP, BigInt(DATA_PAGE + off));
  return off;
}

/** PUSH/POP in register, memory (incl. RSP-relative) and immediate forms, 64- and 16-bit. */
export const pushPopFamily: Family = (r) => {
  const b = new Builder(r);
  let sp = pinStack(b, false);
  let edge = '';
  if (r.chance(0.06)) {
    // RSP at the edges of the data page: pushes or pops that fault must leave RSP unchanged
    sp = r.pick([0, 2, 4, 8, PAGE - 8, PAGE - 4, PAGE - 2, PAGE]);
    b.pin(RSP, BigInt(DATA_PAGE + sp));
    edge = ' (rsp at page edge)';
  }
  const k = r.int(9);
  // 66 selects 16-bit operands unless REX.W is also present (REX.W wins)
  const has66 = r.chance(0.25);
  const rexW = has66 ? r.chance(0.3) : r.chance(0.1);
  const o16 = has66 && !rexW;
  const pre = has66 ? [0x66] : [];
  const sz = `${o16 ? '16' : '64'}${has66 && rexW ? ' (66+REX.W)' : ''}`;
  let code: number[];
  switch (k) {
    case 0:
    case 1: {
      const reg = r.int(16);
      code = encode({ prefixes: pre, opcode: [k === 0 ? 0x50 : 0x58], opReg: reg, rex: r.chance(0.1), rexW });
      b.note = `${k === 0 ? 'push' : 'pop'}${sz} ${reg === RSP ? 'rsp' : 'reg'}`;
      break;
    }
    case 2: {
      const e = eg(b, {
        size: has66 ? 2 : 8,
        eSize: o16 ? 2 : 8,
        opcode: [0xff],
        ext: 6,
        noLock: true,
        rexW,
      });
      code = e.code;
      b.note = `push${sz} E ${e.form}`;
      break;
    }
    case 3: {
      const e = eg(b, {
        size: has66 ? 2 : 8,
        eSize: o16 ? 2 : 8,
        opcode: [0x8f],
        ext: 0,
        noLock: true,
        rexW,
      });
      code = e.code;
      b.note = `pop${sz} E ${e.form}`;
      break;
    }
    case 4:
    case 5: {
      // [rsp + disp8]: for POP the address is computed with the incremented RSP
      const pop = k === 5;
      const step = o16 ? 2 : 8;
      const width = o16 ? 2 : 8;
      const base = sp + (pop ? step : 0);
      const want = edge
        ? Math.max(0, Math.min(PAGE - width, base))
        : pickOffset(r, width, Math.max(0, base - 128), Math.min(PAGE, base + 127 + width));
      const disp = want - base;
      const m: MemForm = {
        kind: 'mem',
        mod: 1,
        rm: 4,
        sib: 0x24,
        rexX: false,
        rexB: false,
        dispSize: 1,
        disp: BigInt(disp),
        ripRel: false,
        target: want,
        ea: BigInt(DATA_PAGE + want),
        segBase: 0n,
        addr32: false,
        uses: [RSP],
      };
      code = encode({ prefixes: pre, rexW, opcode: [pop ? 0x8f : 0xff], reg: pop ? 0 : 6, rm: m });
      b.note = `${pop ? 'pop' : 'push'}${sz} [rsp+disp8]`;
      break;
    }
    case 6: {
      const short = r.chance(0.5);
      const immSize = short ? 1 : o16 ? 2 : 4;
      code = encode({
        prefixes: pre,
        rexW,
        opcode: [short ? 0x6a : 0x68],
        imm: { size: immSize, value: interestingSized(r, immSize) },
      });
      b.note = `push${sz} ${short ? 'Ib' : 'Iz'}`;
      break;
    }
    case 7: {
      code = encode({ prefixes: pre, rexW, opcode: [0x9c] });
      b.note = `pushf${sz}`;
      break;
    }
    default: {
      // POPF: random flags except TF; IF/IOPL/VM are not writable at CPL 3 and keep their values
      const v = r.u64() & ~0x100n & mask(64) & (r.chance(0.5) ? 0x2c7fd5n : mask(64));
      const width = o16 ? 2 : 8;
      if (sp + width <= PAGE) b.writeData(sp, width, v);
      const popped = sp + width <= PAGE ? b.readData(sp, width) : 0n;
      code = encode({ prefixes: pre, rexW, opcode: [0x9d] });
      b.flagMask = ALL_FLAGS | 0x4000 | 0x40000 | 0x200000;
      b.note = `popf${sz}${popped & 0x4000n ? ' NT=1' : ''}`;
    }
  }
  const pops = k === 1 || k === 3 || k === 5 || k === 8;
  const width = o16 ? 2 : 8;
  if (edge && pops && sp < PAGE && sp + width > PAGE) edge = ' (rsp at page edge, pop crosses page end)';
  b.note += edge;
  return b.build(code);
};

/** CALL rel32 / CALL r/m / RET / RET imm16 / JMP r/m / LEAVE / ENTER. */
export const callRetFamily: Family = (r) => {
  const b = new Builder(r);
  let sp = pinStack(b);
  let edge = '';
  if (r.chance(0.05)) {
    // a CALL whose push faults must not branch; a RET whose pop faults must not move RSP
    sp = r.pick([0, 4, PAGE - 4, PAGE]);
    b.pin(RSP, BigInt(DATA_PAGE + sp));
    edge = ' (rsp at page edge)';
  }
  const k = r.int(7);
  let code: number[];
  const nonCanonical = r.chance(0.05);
  const codeTarget = (): bigint => {
    if (nonCanonical) return r.pick([0x800000000000n, 0xffff7ffffffff000n, 0x1234000000000000n]);
    for (;;) {
      const t = INSN_ADDR + r.range(-0x7f0, 0x7f0);
      if (t >= INSN_ADDR && t < INSN_ADDR + 16) continue;
      return BigInt(t);
    }
  };
  switch (k) {
    case 0: {
      const bnd = r.chance(0.2);
      code = encode({
        prefixes: bnd ? [0xf2] : [],
        opcode: [0xe8],
        imm: { size: 4, value: branchDisp(r, bnd ? 6 : 5, 4) },
      });
      b.note = bnd ? 'bnd call rel32' : 'call rel32';
      break;
    }
    case 1:
    case 2: {
      const jmp = k === 2;
      const t = codeTarget();
      const e = eg(b, {
        size: 8,
        rexW: r.chance(0.2),
        opcode: [0xff],
        ext: jmp ? 4 : 2,
        noLock: true,
        eAvoid: [RSP],
      });
      setRm(b, e.rm, 8, t);
      code = e.code;
      b.note = `${jmp ? 'jmp' : 'call'} E ${e.form}`;
      break;
    }
    case 3:
    case 4: {
      const imm = k === 4;
      if (sp + 8 <= PAGE) b.writeData(sp, 8, codeTarget());
      code = imm
        ? encode({
            opcode: [0xc2],
            imm: { size: 2, value: BigInt(r.chance(0.5) ? r.int(64) * 8 : r.int(256)) },
          })
        : [0xc3];
      b.note = imm ? 'ret imm16' : 'ret';
      if (r.chance(0.2)) {
        // "rep ret" (an old AMD branch-predictor idiom) and "bnd ret": the prefix is ignored
        const p = r.pick([0xf3, 0xf2]);
        code = [p, ...code];
        b.note = `${p === 0xf3 ? 'rep' : 'bnd'} ${b.note}`;
      }
      break;
    }
    case 5: {
      // LEAVE: RSP = RBP, pop RBP
      const fp = r.range(0x100, PAGE - 0x100) & ~(r.chance(0.8) ? 7 : 0);
      b.pin(5, BigInt(DATA_PAGE + fp));
      const o16 = r.chance(0.2);
      code = o16 ? [0x66, 0xc9] : [0xc9];
      b.note = `leave${o16 ? 'w' : ''}`;
      break;
    }
    default: {
      // ENTER size, level: level 0 and 1 (higher levels copy frame pointers from [rbp-8*k])
      const level = r.pick([0, 0, 1, 2, 3, r.int(32), r.int(256)]);
      const fp = r.range(0x100, PAGE - 0x100) & ~7;
      // level 0 never reads through RBP: it may hold anything (it is pushed, then replaced)
      if ((level & 31) !== 0 || r.chance(0.3)) b.pin(5, BigInt(DATA_PAGE + fp));
      else b.pin(5, interesting(r));
      code = encode({
        opcode: [0xc8],
        imm: { size: 2, value: BigInt(r.int(0x100)) },
        imm2: { size: 1, value: BigInt(level) },
      });
      const lv = level & 31;
      const rbp = sext(b.regs[5] as bigint, 64);
      const huge = rbp >= 1n << 53n || rbp < -(1n << 53n);
      b.note = `enter level ${lv > 3 ? '4..31' : lv}${huge ? ' (|rbp| >= 2^53)' : ''}`;
    }
  }
  if (edge && (k === 3 || k === 4) && sp < PAGE && sp + 8 > PAGE)
    edge = ' (rsp at page edge, pop crosses page end)';
  b.note += edge;
  if (nonCanonical && k >= 1 && k <= 4) b.note += ' (non-canonical target)';
  return b.build(code);
};

// ------------------------------------------------------------------------------- string instructions

const STR: [number, string, number][] = [
  // opcode (byte form), name, uses: 1 src, 2 dst
  [0xa4, 'movs', 3],
  [0xa6, 'cmps', 3],
  [0xaa, 'stos', 2],
  [0xac, 'lods', 1],
  [0xae, 'scas', 2],
];

/** MOVS CMPS STOS LODS SCAS at all sizes, with REP/REPE/REPNE, both directions, 64/32-bit addressing. */
export const stringFamily: Family = (r) => {
  const b = new Builder(r);
  const [opc, name, uses] = r.pick(STR);
  const size = r.pick([1, 2, 4, 8]);
  const cmp = name === 'cmps' || name === 'scas';
  const rep = r.int(3); // 0 none, 1 F3, 2 F2 (only for cmps/scas)
  const prefix = rep === 0 ? null : rep === 1 || !cmp ? 0xf3 : 0xf2;
  const a32 = r.chance(0.2);
  const down = r.chance(0.5);
  b.rflags = (b.rflags & ~DF) | (down ? DF : 0);
  const n = prefix === null ? 1 : r.chance(0.1) ? 0 : r.range(1, r.chance(0.7) ? 8 : 40);
  const count = prefix === null ? interesting(r) : BigInt(n);
  // With 0x67 the upper halves of RCX/RSI/RDI are ignored: fill them with small or arbitrary junk.
  const bigJunk = a32 && r.chance(0.5);
  const junk = (): bigint =>
    !a32 ? 0n : bigJunk ? r.u64() & ~mask(32) & mask(64) : BigInt(r.int(0x100000)) << 32n;
  const upper = junk();
  b.pin(RCX, prefix === null ? count : upper | count);
  const span = Math.max(n, 1) * size;
  // choose regions [lo, lo+span) for source and destination
  const region = (): number => {
    const lo = r.range(0, PAGE - span);
    return down ? lo + span - size : lo;
  };
  const si = region();
  let di =
    r.chance(0.3) && (uses & 1) !== 0
      ? clampRegion(si + r.range(-3, 3) * size + r.range(-2, 2), span, size, down)
      : region();
  b.pin(RSI, upper | BigInt(DATA_PAGE + si));
  b.pin(RDI, junk() | BigInt(DATA_PAGE + di));
  const lo = (p: number) => (down ? p - span + size : p);
  if (name === 'cmps' && r.chance(0.6)) {
    // make the destination equal to the source over up to 28 bytes, maybe with one difference
    const len = Math.min(span, 28);
    const src = b.data().slice(lo(si), lo(si) + len);
    if (r.chance(0.5)) src[r.int(len)] ^= 1 << r.int(8);
    di = lo(di);
    b.patchBytes(di, src);
  } else if (name === 'scas') {
    const acc = b.regs[RAX] as bigint;
    const len = Math.min(span, 28);
    const fill = new Uint8Array(len);
    for (let k = 0; k < len; k++) fill[k] = Number((acc >> BigInt(8 * (k % size))) & 0xffn);
    if (r.chance(0.6)) fill[r.int(len)] ^= 1 << r.int(8);
    if (r.chance(0.7)) b.patchBytes(lo(di), fill);
  }
  const pre: number[] = [];
  if (prefix !== null) pre.push(prefix);
  if (a32) pre.push(0x67);
  if (size === 2) pre.push(0x66);
  if (pre.length > 1 && r.chance(0.3)) shuffle(r, pre);
  const code = encode({ prefixes: pre, rexW: size === 8, opcode: [opc + (size === 1 ? 0 : 1)] });
  const pname = prefix === null ? '' : cmp ? (prefix === 0xf3 ? 'repe ' : 'repne ') : 'rep ';
  b.note = `${pname}${name}${SIZE_NAME[size]}${down ? ' std' : ''}${a32 ? (bigJunk ? ' a32 (regs >= 2^53)' : ' a32') : ''}${prefix !== null && n === 0 ? ' rcx=0' : ''}`;
  return b.build(code);
};

function clampRegion(p: number, span: number, size: number, down: boolean): number {
  const lo = down ? span - size : 0;
  const hi = down ? PAGE - size : PAGE - span;
  return Math.max(lo, Math.min(hi, p));
}

/** REP MOVS/STOS running into the unmapped page next to the data page: partial progress, then #PF. */
export const stringFaultFamily: Family = (r) => {
  if (r.chance(0.3)) return compareStringFault(r);
  const b = new Builder(r);
  const movs = r.chance(0.5);
  const size = r.pick([1, 2, 4, 8]);
  const down = r.chance(0.5);
  b.rflags = (b.rflags & ~DF) | (down ? DF : 0);
  const n = r.range(2, 30);
  b.pin(RCX, BigInt(n));
  const before = r.range(0, n - 1); // elements that fit before the page edge
  const mis = size > 1 && r.chance(0.3) ? r.range(1, size - 1) : 0;
  const di = down ? before * size + mis : PAGE - (before + 1) * size + mis;
  b.pin(RDI, BigInt(DATA_PAGE + di));
  b.pin(RSI, BigInt(DATA_PAGE + r.range(0x400, 0xc00)));
  const code = encode({
    prefixes: [0xf3, ...(size === 2 ? [0x66] : [])],
    rexW: size === 8,
    opcode: [(movs ? 0xa4 : 0xaa) + (size === 1 ? 0 : 1)],
  });
  b.note = `rep ${movs ? 'movs' : 'stos'}${SIZE_NAME[size]}${down ? ' std' : ''} faulting${mis && !down ? ' (element crosses page end)' : mis ? ' (element crosses page start)' : ''}`;
  return b.build(code);
};

/**
 * REPE SCAS / REPE CMPS over equal data that runs into the unmapped page (ascending): the iterations
 * before the page end complete, then #PF with RCX/RDI (and RSI) at the faulting element.
 */
function compareStringFault(r: Rng): Case {
  const b = new Builder(r);
  const scas = r.chance(0.5);
  const size = r.pick([1, 2, 4, 8]);
  b.rflags &= ~DF;
  const before = r.range(0, Math.floor(24 / size)); // whole elements left before the page end
  const n = before + r.range(1, 8);
  b.pin(RCX, BigInt(n));
  const di = PAGE - before * size;
  b.pin(RDI, BigInt(DATA_PAGE + di));
  const acc = b.regs[RAX] as bigint;
  if (scas) {
    if (before > 0) {
      const fill = new Uint8Array(before * size);
      for (let k = 0; k < fill.length; k++) fill[k] = Number((acc >> BigInt(8 * (k % size))) & 0xffn);
      b.patchBytes(di, fill);
    }
  } else {
    const si = r.range(0x400, 0xc00);
    b.pin(RSI, BigInt(DATA_PAGE + si));
    if (before > 0) b.patchBytes(di, b.data().slice(si, si + before * size));
  }
  const code = encode({
    prefixes: [0xf3, ...(size === 2 ? [0x66] : [])],
    rexW: size === 8,
    opcode: [(scas ? 0xae : 0xa6) + (size === 1 ? 0 : 1)],
  });
  b.note = `repe ${scas ? 'scas' : 'cmps'}${SIZE_NAME[size]} faulting`;
  return b.build(code);
}

// ------------------------------------------------------------------------------- prefixes and faults

/** Prefix combinations around ALU instructions: redundant/ignored segment prefixes, REX placement. */
export const prefixFamily: Family = (r) => {
  const b = new Builder(r);
  const op = r.int(8);
  const size = pickSize(r, [2, 4, 8]);
  // no RIP-relative forms: inserted prefixes would move the displacement's reference point
  const e = eg(b, { size, opcode: [op * 8 + 1], noLock: true, mem: { ripRel: false } });
  const code = e.code.slice();
  const k = r.int(6);
  const n = prefixLength(code);
  const rexAt = n > 0 && ((code[n - 1] as number) & 0xf0) === 0x40 ? n - 1 : -1;
  if (k === 0) {
    // ignored segment overrides (CS DS ES SS)
    code.splice(0, 0, ...Array.from({ length: r.range(1, 3) }, () => r.pick([0x2e, 0x3e, 0x26, 0x36])));
    b.note = 'segment prefixes';
  } else if (k === 1) {
    // a REX followed by a legacy prefix is ignored
    code.splice(rexAt >= 0 ? rexAt : n, 0, 0x40 | r.int(16), r.pick([0x2e, 0x3e, 0x26, 0x36]));
    b.note = 'REX before legacy prefix (ignored)';
  } else if (k === 2) {
    // two REX prefixes: only the last counts
    if (rexAt >= 0) code.splice(rexAt, 0, 0x40 | r.int(16));
    else code.splice(n, 0, 0x40 | r.int(16), 0x40);
    b.note = 'two REX prefixes';
  } else if (k === 3) {
    // repeated 66
    code.splice(0, 0, 0x66);
    b.note = 'repeated or extra 66';
  } else if (k === 4) {
    // F2/F3 on a non-string instruction are ignored
    code.splice(0, 0, r.pick([0xf2, 0xf3]));
    b.note = 'ignored F2/F3';
  } else {
    // pad with ignored segment prefixes up to the 15-byte limit, or beyond it (#GP)
    const want = r.chance(0.5) ? 15 : r.range(16, 20);
    if (code.length >= want) return prefixFamily(r);
    code.splice(0, 0, ...Array.from({ length: want - code.length }, () => r.pick([0x2e, 0x3e, 0x26, 0x36])));
    b.note = want === 15 ? 'padded to 15 bytes' : 'longer than 15 bytes (#GP)';
  }
  if (code.length > 15 && !b.note.startsWith('longer')) return prefixFamily(r);
  if (op === 1 || op === 4 || op === 6) b.flagMask = ALL_FLAGS & ~AF;
  b.note = `${ALU[op]} ${b.note}`;
  return b.build(code);
};

/** Memory operands just outside the data page (#PF), crossing its end, non-canonical addresses (#GP). */
export const memFaultFamily: Family = (r) => {
  const b = new Builder(r);
  if (r.chance(0.25)) return noAccessFamily(r);
  if (r.chance(0.08)) {
    // a 32-bit moffs (0x67 A0-A3) is zero-extended: an address >= 2^31 is unmapped here, CR2 shows it
    const size = r.pick([1, 2, 4, 8]);
    const store = r.chance(0.5);
    const moffs = BigInt(r.range(0x80000000, 0xffffffff));
    const code = encode({
      prefixes: [0x67, ...(size === 2 ? [0x66] : [])],
      rexW: size === 8,
      opcode: [(store ? 0xa2 : 0xa0) + (size === 1 ? 0 : 1)],
      imm: { size: 4, value: moffs },
    });
    b.note = `mov moffs32 ${store ? 'store' : 'load'}${SIZE_NAME[size]} >= 2^31`;
    return b.build(code);
  }
  const size = r.pick([1, 2, 4, 8]);
  const k = r.int(3);
  let opts: MemOptions;
  let cls: string;
  if (k === 0) {
    opts = { absolute: BigInt(DATA_PAGE + PAGE - r.range(1, size - 1 || 1)), addr32: false };
    cls = 'crossing page end';
    if (size === 1) opts = { absolute: BigInt(DATA_PAGE + PAGE + r.int(64)), addr32: false };
  } else if (k === 1) {
    opts = { absolute: BigInt(DATA_PAGE - r.range(1, 64)), addr32: false };
    cls = 'below page';
  } else {
    opts = {
      absolute: r.pick([0x800000000000n, 0xffff7fffffffff00n, 0x1234567800000000n]),
      ripRel: false,
      addr32: false,
    };
    cls = 'non-canonical';
  }
  const w = size === 1 ? 0 : 1;
  const store = r.chance(0.5);
  const e = eg(b, { size, opcode: [store ? 0x88 + w : 0x8a + w], form: 'mem', noLock: true, mem: opts });
  const stackBase = e.rm.kind === 'mem' && k === 2 && usesStackBase(e.rm);
  b.note = `mov ${store ? 'store' : 'load'}${SIZE_NAME[size]} ${cls}${stackBase ? ' (rsp/rbp base)' : ''}${e.rm.kind === 'mem' && e.rm.addr32 ? ' a32' : ''}`;
  return b.build(e.code);
};

/** True when RSP or RBP is the base register (SS-relative unless a segment override applies). */
function usesStackBase(m: MemForm): boolean {
  const baseField = m.sib === null ? m.rm : m.sib & 7;
  const hasBase = !(m.sib !== null && baseField === 5 && m.mod === 0) && !m.ripRel;
  return hasBase && (baseField === 4 || baseField === 5) && !m.rexB;
}

/**
 * Operands that do or do not access memory when their address is unmapped: CMOVcc reads its source even
 * when the condition is false; NOP Ev, LEA and PREFETCH never access memory.
 */
function noAccessFamily(r: Rng): Case {
  const b = new Builder(r);
  const addr = r.chance(0.5) ? BigInt(DATA_PAGE + PAGE + r.range(0, 64)) : BigInt(DATA_PAGE - r.range(1, 64));
  const k = r.int(4);
  let e: EG;
  const size = pickSize(r, [2, 4, 8]);
  const mem: MemOptions = { absolute: addr, addr32: false };
  if (k === 0) {
    const cc = r.int(16);
    e = eg(b, { size, opcode: [0x0f, 0x40 + cc], form: 'mem', noLock: true, mem });
    b.note = `cmov${CC[cc]} from unmapped memory`;
  } else if (k === 1) {
    e = eg(b, { size, opcode: [0x0f, 0x1f], ext: 0, form: 'mem', noLock: true, mem });
    b.note = 'nop Ev on unmapped memory';
  } else if (k === 2) {
    e = eg(b, { size, opcode: [0x8d], form: 'mem', noLock: true, mem });
    b.note = 'lea of unmapped memory';
  } else {
    const hint = r.int(4);
    e = eg(b, { size: 4, opcode: [0x0f, 0x18], ext: hint, form: 'mem', noLock: true, mem });
    b.note = `prefetch/${hint} of unmapped memory`;
  }
  return b.build(e.code);
}

/** XLAT, NOP forms, PAUSE, fences, CLFLUSH. */
export const miscFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(7);
  let code: number[];
  if (k < 2) {
    // XLAT: AL = [rBX + AL] (EBX with 0x67)
    const a32 = r.chance(0.3);
    const tableOff = r.range(0, PAGE - 256);
    b.pin(RBX, (a32 ? r.u64() & ~mask(32) & mask(64) : 0n) | BigInt(DATA_PAGE + tableOff));
    const pre = a32 ? [0x67] : [];
    const rexw = r.chance(0.2);
    code = [...pre, ...(rexw ? [0x48] : []), 0xd7];
    b.note = `xlat${a32 ? ' a32' : ''}`;
  } else if (k === 2) {
    const size = pickSize(r, [2, 4, 8]);
    const e = eg(b, { size, opcode: [0x0f, 0x1f], ext: 0, noLock: true });
    code = e.code;
    b.note = `nop Ev ${e.form}`;
  } else if (k === 3) {
    const forms: [number[], string][] = [
      [[0x90], 'nop'],
      [[0x66, 0x90], '66 nop'],
      [[0xf3, 0x90], 'pause'],
      [[0x0f, 0xae, 0xe8], 'lfence'],
      [[0x0f, 0xae, 0xf0], 'mfence'],
      [[0x0f, 0xae, 0xf8], 'sfence'],
    ];
    const [c, n] = r.pick(forms);
    code = c;
    b.note = n;
  } else if (k === 4) {
    const m = memOperand(b, 1, {});
    code = encode({ opcode: [0x0f, 0xae], reg: 7, rm: m });
    b.note = 'clflush';
  } else if (k === 5) {
    // CMC/CLC/STC with redundant prefixes
    code = [r.pick([0x66, 0x2e, 0x3e, 0x40]), r.pick([0xf5, 0xf8, 0xf9])];
    b.note = 'flag op with ignored prefix';
  } else {
    // encodings compilers and libc emit as padding or hints
    const forms: [number[], string][] = [
      [[0x0f, 0x1f, 0x00], 'nopl (%rax)'],
      [[0x0f, 0x1f, 0x40, 0x00], 'nopl 0(%rax)'],
      [[0x0f, 0x1f, 0x44, 0x00, 0x00], 'nopl 0(%rax,%rax)'],
      [[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00], 'nopw 0(%rax,%rax)'],
      [[0x0f, 0x1f, 0x80, 0, 0, 0, 0], 'nopl 0L(%rax)'],
      [[0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0], 'nopl 0L(%rax,%rax)'],
      [[0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0], 'nopw %cs:0L(%rax,%rax)'],
      [[0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0], 'data16 nopw %cs:0L(%rax,%rax)'],
      [[0x66, 0x66, 0x66, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0], '5x data16 nopw'],
      [[0xf3, 0x0f, 0x1e, 0xfa], 'endbr64'],
      [[0xf3, 0x0f, 0x1e, 0xfb], 'endbr32'],
      [[0x0f, 0x0d, 0x08], 'prefetchw (%rax)'],
      [[0x0f, 0x18, 0x00], 'prefetchnta (%rax)'],
      [[0x0f, 0xb9, 0xc0], 'ud1 (#UD)'],
    ];
    const [c, n] = r.pick(forms);
    code = c;
    b.note = n;
  }
  return b.build(code);
};

/** FS/GS segment overrides with arbitrary segment bases; a non-canonical linear address is #GP. */
export const segmentFamily: Family = (r) => {
  const b = new Builder(r);
  const fs = r.chance(0.5);
  const a32 = r.chance(0.25);
  const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
  const target = pickOffset(r, size);
  const linear = BigInt(DATA_PAGE + target);
  let base: bigint;
  let cls: string;
  if (r.chance(0.1) && !a32) {
    // linear address beyond the canonical range
    base = 0x7fffffff0000n + BigInt(r.int(0x8000));
    cls = 'non-canonical';
  } else if (a32) {
    base = linear - BigInt(r.range(0, Number(linear)));
    cls = 'a32';
  } else {
    base = r.chance(0.5)
      ? (BigInt(r.range(1, 0x7fff)) << 32n) | BigInt(r.u32())
      : BigInt(r.range(0x1000, DATA_PAGE));
    cls = 'base+offset';
  }
  if (base === 0n) base = 0x1000n;
  if (fs) b.fsBase = base;
  else b.gsBase = base;
  const mem: MemOptions = {
    target,
    segBase: cls === 'non-canonical' ? 0n : base,
    addr32: a32,
    ripRel: r.chance(0.5),
  };
  if (cls === 'non-canonical') mem.absolute = linear;
  const w = size === 1 ? 0 : 1;
  const seg = fs ? 0x64 : 0x65;
  const special = r.int(10);
  if (special < 4 && cls !== 'non-canonical') return segmentSpecial(b, special, seg, size, target, base, a32);
  const k = r.int(3);
  const opcode = k === 0 ? [0x8a + w] : k === 1 ? [0x88 + w] : [0x00 + w + 8 * r.int(8)];
  const e = eg(b, { size, opcode, form: 'mem', noLock: true, prefixes: [seg], mem });
  b.flagMask = ALL_FLAGS & ~AF;
  const stackBase = e.rm.kind === 'mem' && usesStackBase(e.rm);
  b.note = `${fs ? 'fs' : 'gs'}: ${k === 0 ? 'load' : k === 1 ? 'store' : 'alu'}${SIZE_NAME[size]} ${cls}${stackBase ? ' (rsp/rbp base)' : ''}${e.rm.kind === 'mem' && e.rm.ripRel ? ' rip' : ''}`;
  return b.build(e.code);
};

/**
 * Instructions placed at the end of the code page: either they fit exactly (the next fetch faults, which
 * the comparison treats as completion) or their tail lies in the unmapped page (#PF on the fetch, with
 * CR2 at the next page and no architectural effect).
 */
export const fetchFaultFamily: Family = (r) => {
  const b = new Builder(r);
  const k = r.int(4);
  let code: number[];
  if (k === 0) {
    const size = r.chance(0.3) ? 1 : pickSize(r, [2, 4, 8]);
    const op = r.int(8);
    const e = eg(b, { size, opcode: [(size === 1 ? 0 : 1) + 8 * op], noLock: true, mem: { ripRel: false } });
    code = e.code;
    if (LOGICAL.has(op)) b.flagMask = ALL_FLAGS & ~AF;
    b.note = `${ALU[op]}${SIZE_NAME[size]} ${e.form}`;
  } else if (k === 1) {
    code = encode({ rexW: true, opcode: [0xb8], opReg: r.int(16), imm: { size: 8, value: r.u64() } });
    b.note = 'movabs r64, imm64';
  } else if (k === 2) {
    const e = eg(b, {
      size: 4,
      opcode: [0x69],
      noLock: true,
      mem: { ripRel: false },
      imm: { size: 4, value: interestingSized(r, 4) },
    });
    code = e.code;
    b.flagMask = CF | OF | DF;
    b.note = `imul32 G,E,Iz ${e.form}`;
  } else {
    code = [0x0f, 0x80 + r.int(16), 0, 0, 0, 0];
    b.note = 'jcc rel32';
  }
  const inPage = r.chance(0.3) ? code.length : r.range(1, code.length);
  b.insnAddr = CODE_PAGE + PAGE - inPage;
  if (k === 3) {
    const target = CODE_PAGE + r.range(0x100, PAGE - 0x100);
    const disp = BigInt(target - (b.insnAddr + code.length));
    for (let j = 0; j < 4; j++) code[2 + j] = Number((u64(disp) >> BigInt(8 * j)) & 0xffn);
  }
  b.note += inPage === code.length ? ' (ends at page end)' : ' (crosses page end)';
  return b.build(code);
};

/** Segment overrides on LEA (ignored), XLAT, string sources (overridable) and destinations (not), moffs. */
function segmentSpecial(
  b: CaseBuilder,
  which: number,
  seg: number,
  size: number,
  target: number,
  base: bigint,
  a32: boolean,
): Case {
  const r = b.r;
  const name = seg === 0x64 ? 'fs' : 'gs';
  const a32p = a32 ? [0x67] : [];
  const am = a32 ? mask(32) : mask(64);
  const part = (BigInt(DATA_PAGE + target) - base) & am; // offset that reaches the data page through the base
  let code: number[];
  if (which === 0) {
    // LEA computes the offset only: the segment base is not added
    const e = eg(b, {
      size: pickSize(r, [2, 4, 8]),
      opcode: [0x8d],
      form: 'mem',
      noLock: true,
      prefixes: [seg],
      mem: { noCheck: true },
    });
    code = e.code;
    b.note = `${name}: lea (override ignored)`;
  } else if (which === 1) {
    // XLAT reads seg:[rBX + AL]
    const al = r.int(256);
    const tableOff = r.range(0, PAGE - 256);
    const tablePart = (BigInt(DATA_PAGE + tableOff) - base) & am;
    b.pin(RBX, (a32 ? r.u64() & ~mask(32) & mask(64) : 0n) | tablePart);
    b.regs[RAX] = ((b.regs[RAX] as bigint) & ~0xffn) | BigInt(al);
    code = [seg, ...a32p, 0xd7];
    b.note = `${name}: xlat${a32 ? ' a32' : ''}`;
  } else if (which === 2) {
    // MOVS/LODS/CMPS read seg:[rSI]; the destination ES:[rDI] cannot be overridden
    const [opc, n] = r.pick([
      [0xa4, 'movs'],
      [0xac, 'lods'],
      [0xa6, 'cmps'],
      [0xaa, 'stos'],
    ] as [number, string][]);
    const sz = r.pick([1, 2, 4, 8]);
    const down = r.chance(0.5);
    b.rflags = (b.rflags & ~DF) | (down ? DF : 0);
    const rep = r.chance(0.4);
    const count = rep ? r.range(0, 6) : 1;
    b.pin(RCX, BigInt(count));
    const span = Math.max(count, 1) * sz;
    const srcOff = r.range(down ? span : 0, PAGE - (down ? sz : span));
    const dstOff = r.range(down ? span : 0, PAGE - (down ? sz : span));
    const srcPart = (BigInt(DATA_PAGE + srcOff) - base) & am;
    b.pin(RSI, srcPart);
    b.pin(RDI, BigInt(DATA_PAGE + dstOff));
    const pre = [seg, ...(rep ? [0xf3] : []), ...a32p, ...(sz === 2 ? [0x66] : [])];
    code = encode({ prefixes: pre, rexW: sz === 8, opcode: [opc + (sz === 1 ? 0 : 1)] });
    if (n === 'stos') b.pin(RSI, r.u64());
    b.note = `${name}: ${rep ? 'rep ' : ''}${n}${SIZE_NAME[sz]}${a32 ? ' a32' : ''}`;
  } else {
    // MOV moffs with a segment override
    const w = size === 1 ? 0 : 1;
    const store = r.chance(0.5);
    const pre = [seg, ...a32p, ...(size === 2 ? [0x66] : [])];
    code = encode({
      prefixes: pre,
      rexW: size === 8,
      opcode: [(store ? 0xa2 : 0xa0) + w],
      imm: { size: a32 ? 4 : 8, value: part },
    });
    b.note = `${name}: mov moffs ${store ? 'store' : 'load'}${SIZE_NAME[size]}${a32 ? ' a32' : ''}`;
  }
  if (a32 && which === 2) {
    // 32-bit addressing needs the offsets below 2^32: keep RSI's upper half as junk, the emulator must ignore it
    b.regs[RSI] = ((b.regs[RSI] as bigint) & mask(32)) | (r.u64() & ~mask(32) & mask(64));
  }
  return b.build(code);
}

/** Opcodes that are invalid in 64-bit mode or at CPL 3 must fault identically. */
export const invalidFamily: Family = (r) => {
  const b = new Builder(r);
  const list: [number[], string][] = [
    [[0x06], 'push es'],
    [[0x07], 'pop es'],
    [[0x0e], 'push cs'],
    [[0x16], 'push ss'],
    [[0x1e], 'push ds'],
    [[0x27], 'daa'],
    [[0x2f], 'das'],
    [[0x37], 'aaa'],
    [[0x3f], 'aas'],
    [[0x60], 'pusha'],
    [[0x61], 'popa'],
    [[0xce], 'into'],
    [[0xd4, 0x0a], 'aam'],
    [[0xd5, 0x0a], 'aad'],
    [[0xd6], 'salc'],
    [[0x0f, 0x0b], 'ud2'],
    [[0xf4], 'hlt'],
    [[0xfa], 'cli'],
    [[0xfb], 'sti'],
    [[0xec], 'in al,dx'],
    [[0xee], 'out dx,al'],
    [[0xe4, 0x80], 'in al,imm'],
    [[0xf0, 0x90], 'lock nop'],
    [[0xf0, 0x01, 0xd8], 'lock add reg'],
    [[0xf0, 0x0f, 0xa3, 0x03], 'lock bt mem'],
    [[0x0f, 0xff], '0f ff'],
  ];
  const [code, name] = r.pick(list);
  if (name === 'lock bt mem') b.pin(RBX, BigInt(DATA_PAGE + 0x100));
  b.note = name;
  return b.build(code);
};

export const FAMILIES = {
  alu: aluFamily,
  test: testFamily,
  incDecNegNot: incDecNegNotFamily,
  shift: shiftFamily,
  shld: shldFamily,
  mul: mulFamily,
  div: divFamily,
  bt: btFamily,
  bsf: bsfFamily,
  cmov: cmovFamily,
  setcc: setccFamily,
  jcc: jccFamily,
  movx: movxFamily,
  lea: leaFamily,
  mov: movFamily,
  exchange: exchangeFamily,
  convert: convertFamily,
  flagOps: flagOpsFamily,
  pushPop: pushPopFamily,
  callRet: callRetFamily,
  string: stringFamily,
  stringFault: stringFaultFamily,
  prefix: prefixFamily,
  memFault: memFaultFamily,
  invalid: invalidFamily,
  misc: miscFamily,
  segment: segmentFamily,
  fetchFault: fetchFaultFamily,
  fuzz: fuzzFamily,
} satisfies Record<string, Family>;
