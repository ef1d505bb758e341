/**
 * The specialised SSE handlers (the `specialize` hooks of the SSE opcode table: arithmetic, compares and
 * conversions) against the general handlers they stand in for, and the SSE instructions that compute in
 * place against the host CPU where source and destination are the same register.
 *
 * Fast against general runs in the emulator alone: each case decodes one instruction, gives two machines
 * the same random state, runs the specialised handler (insn.exec) on one and the general one
 * (insn.def.exec) on the other, and compares everything: the 16 xmm registers, the general registers,
 * RFLAGS, MXCSR, memory and the fault. States mix the default MXCSR (with and without the sticky flags)
 * with every other control setting (rounding modes, DAZ, FTZ, unmasked exceptions), and operands mix
 * NaNs, infinities, denormals, values at the edges of the shortcuts' safe ranges and exact/inexact pairs.
 * Memory operands are sometimes misaligned, unmapped, partly unmapped or non-canonical; a fault must
 * leave every register as it was.
 */
import { describe, expect, it } from 'vitest';
import {
  Decoder,
  GuestFault,
  type Insn,
  OPCODE_TABLE,
  type OpDef,
  PfError,
  Reg,
  Vector,
} from '../../src/index';
import { fp } from '../../src/isa/exec/sse-fp';
import { SSE_OPS } from '../../src/isa/tables/sse';
import {
  baseCase,
  type Case,
  DATA_VA,
  differential,
  type Machine,
  makeMachine,
  oracleUnavailable,
  Rng,
  rand32,
  rand64,
  randMxcsr,
  vec32,
  vec64,
} from './harness';

const decoder = new Decoder(OPCODE_TABLE);

// ----------------------------------------------------------------------------------- operand values

/** Binary64 exponents at the edges of the fast paths' ranges (normal range, Dekker's safe ranges). */
const EDGE_EXP64 = [
  -1023, -1022, -1021, -1000, -901, -900, -899, -537, -511, -60, -1, 0, 1, 26, 27, 52, 53, 511, 512, 994, 995,
  996, 1019, 1020, 1021, 1022, 1023,
];
const EDGE_EXP32 = [-127, -126, -125, -100, -64, -63, -1, 0, 1, 23, 24, 63, 64, 100, 126, 127];

/** A binary64 with an edge exponent; its significand often has few bits, so products and quotients are often exact. */
function edge64(r: Rng): bigint {
  const e = r.pick(EDGE_EXP64) + 1023;
  const short = r.chance(0.5);
  const frac = short ? BigInt(r.int(8)) << 49n : (BigInt(r.u32() & 0xfffff) << 32n) | BigInt(r.u32());
  const sign = r.chance(0.5) ? 1n << 63n : 0n;
  return sign | (BigInt(Math.max(e, 0)) << 52n) | frac;
}

function edge32(r: Rng): number {
  const e = r.pick(EDGE_EXP32) + 127;
  const frac = r.chance(0.5) ? r.int(8) << 20 : r.u32() & 0x7fffff;
  return ((r.chance(0.5) ? 0x80000000 : 0) | (Math.max(e, 0) << 23) | frac) >>> 0;
}

/** A small integer-valued or simple double: the values ordinary programs compute with. */
function plain64(r: Rng): bigint {
  const v = (r.int(20001) - 10000) / r.pick([1, 2, 4, 8, 10, 3, 1024]);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v, true);
  return view.getBigUint64(0, true);
}

function plain32(r: Rng): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, (r.int(20001) - 10000) / r.pick([1, 2, 4, 8, 10, 3, 1024]), true);
  return view.getUint32(0, true);
}

/** 16 bytes holding doubles, floats or integers of every kind. */
function vector(r: Rng): Uint8Array {
  switch (r.int(6)) {
    case 0:
      return vec64([rand64(r), rand64(r)]);
    case 1:
      return vec64([edge64(r), r.chance(0.5) ? edge64(r) : plain64(r)]);
    case 2:
      return vec64([plain64(r), plain64(r)]);
    case 3:
      return vec32([rand32(r), rand32(r), edge32(r), plain32(r)].sort(() => r.int(3) - 1));
    case 4:
      return vec32([plain32(r), plain32(r), plain32(r), plain32(r)]);
    default:
      return r.bytes(16);
  }
}

/** Mostly the default controls (the fast paths' domain), with or without sticky flags; else anything. */
function mxcsr(r: Rng): number {
  const k = r.int(10);
  if (k < 3) return 0x1f80;
  if (k < 5) return 0x1f80 | 0x20;
  if (k < 7) return 0x1f80 | r.int(64);
  return randMxcsr(r, 0.3) | (r.chance(0.3) ? 0x20 : 0);
}

// ------------------------------------------------------------------------------------- instructions

/** Where the memory operand points: a good place, or one that faults in a particular way. */
type Place = 'aligned' | 'misaligned' | 'unmapped' | 'straddle' | 'noncanonical' | 'stack-noncanonical';

interface Built {
  bytes: number[];
  place: Place | null;
  /** Value for the base register (RDX, or RSP for the stack case). */
  base: number;
}

/** Encodes one instance of row `d`: register form with random registers, or memory through RDX/RSP. */
function build(r: Rng, d: OpDef, mem: boolean): Built {
  const out: number[] = [];
  if (d.prefix !== 'none' && d.prefix !== 'any') out.push(d.prefix);
  const ext = d.ext >= 0;
  const reg = ext ? d.ext : r.int(16);
  let rex = 0x40 | (reg > 7 && !ext ? 4 : 0) | (r.chance(0.3) ? 8 : 0); // REX.W matters to cvt*si*
  let modrm: number;
  let sib: number | null = null;
  let place: Place | null = null;
  let base = 0;
  if (!mem) {
    const rm = r.chance(0.25) ? reg : r.int(16);
    if (rm > 7) rex |= 1;
    modrm = 0xc0 | ((reg & 7) << 3) | (rm & 7);
  } else {
    place = r.pick<Place>([
      'aligned',
      'aligned',
      'aligned',
      'aligned',
      'misaligned',
      'unmapped',
      'straddle',
      'noncanonical',
      'stack-noncanonical',
    ]);
    if (place === 'stack-noncanonical') {
      modrm = ((reg & 7) << 3) | 4; // [rsp]
      sib = 0x24;
      base = 2 ** 47 + 64;
    } else {
      modrm = ((reg & 7) << 3) | 2; // [rdx]
      base = {
        aligned: DATA_VA + 0x100 + 16 * r.int(8),
        misaligned: DATA_VA + 0x100 + 1 + r.int(15),
        unmapped: DATA_VA + 0x2000 + 16 * r.int(4),
        straddle: DATA_VA + 0x2000 - 4 * (1 + r.int(3)),
        noncanonical: 2 ** 47 + 32,
      }[place];
    }
  }
  if (rex !== 0x40) out.push(rex);
  out.push(0x0f, d.opcode, modrm);
  if (sib !== null) out.push(sib);
  if (d.operands.some((o) => o.method === 'I')) out.push(r.int(256));
  return { bytes: out, place, base };
}

function decodeOne(bytes: number[]): Insn {
  return decoder.decode(new Uint8Array(bytes), 0, bytes.length, 0x400000);
}

// ----------------------------------------------------------------------------------------- machines

interface State {
  xmm: Uint8Array;
  regs: Int32Array;
  mxcsr: number;
  rflags: number;
  /** The two data windows that operands use: MEMORY_WINDOWS[k] holds memory[k]. */
  memory: Uint8Array[];
}

/** Data reached by the operands built above: around DATA_VA + 0x100, and the last bytes before the unmapped page. */
const MEMORY_WINDOWS = [DATA_VA + 0x100, DATA_VA + 0x1f00];
const WINDOW = 0x100;

interface Outcome {
  state: State;
  fault: string | null;
}

function snapshot(m: Machine): State {
  return {
    xmm: m.cpu.xmm8.slice(),
    regs: m.cpu.regs.slice(),
    mxcsr: m.cpu.mxcsr,
    rflags: m.cpu.rflags,
    memory: MEMORY_WINDOWS.map((va) => m.as.read(va, WINDOW)),
  };
}

function load(m: Machine, s: State): void {
  m.cpu.xmm8.set(s.xmm);
  m.cpu.regs.set(s.regs);
  m.cpu.mxcsr = s.mxcsr;
  m.cpu.rflags = s.rflags;
  MEMORY_WINDOWS.forEach((va, k) => {
    m.as.write(va, s.memory[k] as Uint8Array);
  });
}

function randomState(r: Rng, built: Built, stackBase: boolean): State {
  const xmm = new Uint8Array(256);
  for (let k = 0; k < 16; k++) xmm.set(vector(r), 16 * k);
  const regs = new Int32Array(32);
  for (let k = 0; k < 32; k++) regs[k] = r.u32() | 0;
  // Integer sources of cvtsi2ss/sd: sometimes small, sometimes above 2^53.
  for (let k = 0; k < 16; k++)
    if (r.chance(0.5)) regs[2 * k + 1] = r.chance(0.5) ? 0 : r.int(0x400000) - 0x200000;
  const setReg = (n: number, v: number) => {
    regs[2 * n] = Number(BigInt.asUintN(32, BigInt(v))) | 0;
    regs[2 * n + 1] = Number(BigInt.asUintN(32, BigInt(v) >> 32n)) | 0;
  };
  setReg(stackBase ? Reg.RSP : Reg.RDX, built.base);
  const memory = MEMORY_WINDOWS.map(() => {
    const w = new Uint8Array(WINDOW);
    for (let k = 0; k < WINDOW; k += 16) w.set(vector(r), k);
    return w;
  });
  return { xmm, regs, mxcsr: mxcsr(r), rflags: 0x202 | (r.u32() & 0x8d5), memory };
}

function run(m: Machine, s: State, insn: Insn, handler: (cpu: Machine['cpu'], i: Insn) => void): Outcome {
  load(m, s);
  m.cpu.rip = insn.next;
  let fault: string | null = null;
  try {
    handler(m.cpu, insn);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    fault = `vector ${e.vector} error ${e.errorCode} cr2 ${e.cr2.toString(16)}`;
  }
  return { state: snapshot(m), fault };
}

function hexOf(bytes: Uint8Array | Int32Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The differences between two outcomes, as readable lines (empty when equal). */
function differences(a: Outcome, b: Outcome): string[] {
  const out: string[] = [];
  if (a.fault !== b.fault) out.push(`fault: ${a.fault} vs ${b.fault}`);
  for (let k = 0; k < 16; k++) {
    const x = hexOf(a.state.xmm.subarray(16 * k, 16 * k + 16));
    const y = hexOf(b.state.xmm.subarray(16 * k, 16 * k + 16));
    if (x !== y) out.push(`xmm${k}: ${x} vs ${y}`);
  }
  if (hexOf(a.state.regs) !== hexOf(b.state.regs)) out.push('general registers differ');
  if (a.state.mxcsr !== b.state.mxcsr)
    out.push(`mxcsr: ${a.state.mxcsr.toString(16)} vs ${b.state.mxcsr.toString(16)}`);
  if (a.state.rflags !== b.state.rflags)
    out.push(`rflags: ${a.state.rflags.toString(16)} vs ${b.state.rflags.toString(16)}`);
  if (a.state.memory.some((w, k) => hexOf(w) !== hexOf(b.state.memory[k] as Uint8Array)))
    out.push('memory differs');
  return out;
}

/**
 * Whether a faulting instruction left the state as it was. #XM is the one fault that changes something:
 * it records the exception flags in MXCSR (and nothing else).
 */
function unchangedByFault(before: State, after: Outcome): boolean {
  const a = after.state;
  return (
    hexOf(a.xmm) === hexOf(before.xmm) &&
    hexOf(a.regs) === hexOf(before.regs) &&
    (a.mxcsr === before.mxcsr || after.fault?.startsWith(`vector ${Vector.XM} `) === true) &&
    a.rflags === before.rflags &&
    a.memory.every((w, k) => hexOf(w) === hexOf(before.memory[k] as Uint8Array))
  );
}

/**
 * Fault expected for a memory operand at `place` (null: none from the address itself). Where the access
 * may not reach the faulting page (a narrow access ending before it), the operation's own #XM, or no
 * fault, is also right.
 */
function expectedFault(place: Place, base: number, store: boolean): RegExp | null {
  const code = PfError.USER | (store ? PfError.WRITE : 0);
  const unmappedPage = Math.floor(base / 4096).toString(16);
  switch (place) {
    case 'unmapped':
      // (FXRSTOR reads its MXCSR image first, 24 bytes in, so only the page is certain.)
      return new RegExp(`^vector ${Vector.PF} error ${code} cr2 ${unmappedPage}[0-9a-f]{3}$`);
    case 'straddle':
      // An access reaching the next page faults at its first byte; aligned 16-byte forms fault on
      // alignment first.
      return new RegExp(
        `^(vector ${Vector.PF} error ${code} cr2 ${(DATA_VA + 0x2000).toString(16)}|vector ${Vector.GP} error 0 .*|vector ${Vector.XM} .*)$`,
      );
    case 'noncanonical':
      return new RegExp(`^vector ${Vector.GP} error 0 `);
    case 'stack-noncanonical':
      return new RegExp(`^vector ${Vector.SS} error 0 `);
    default:
      return null;
  }
}

// -------------------------------------------------------------------------- specialised vs general

/** Rows with a specialised handler for some of their forms (the rounding CVT*2SI/CVT*2DQ have none). */
const SPECIALISED = SSE_OPS.filter((d) => {
  if (d.specialize === null) return false;
  const r = new Rng(1);
  for (let t = 0; t < 8; t++)
    if (decodeOne(build(r, d, t % 2 === 1 && d.form !== 'reg').bytes).exec !== d.exec) return true;
  return false;
});

interface Comparison {
  cases: number;
  /** Cases the specialised handler finished without running the general one. */
  fast: number;
  /** Cases under the default controls (where the fast paths apply), and how many of them were fast. */
  defaultCases: number;
  defaultFast: number;
  failures: string[];
}

/**
 * Runs `n` random cases of row `d` both ways. `fast` counts the cases where the specialised handler
 * decided alone: the general handlers all start with fpBegin, which clears fp.flags, so a marker left in
 * fp.flags survives only a fast path.
 */
function compareRow(
  d: OpDef,
  n: number,
  seed: number,
  mutate?: (h: (c: Machine['cpu'], i: Insn) => void) => (c: Machine['cpu'], i: Insn) => void,
): Comparison {
  const r = new Rng(seed);
  const a = makeMachine();
  const b = makeMachine();
  const result: Comparison = { cases: 0, fast: 0, defaultCases: 0, defaultFast: 0, failures: [] };
  for (let t = 0; t < n; t++) {
    const mem = d.form === 'mem' || (d.form !== 'reg' && r.chance(0.4));
    const built = build(r, d, mem);
    const insn = decodeOne(built.bytes);
    if (insn.def !== d) throw new Error(`${d.mnemonic}: ${built.bytes} decoded as ${insn.def.mnemonic}`);
    if (insn.exec === d.exec) continue; // this form is not specialised (e.g. the rounding cvt*2si)
    const state = randomState(r, built, built.place === 'stack-noncanonical');
    const fastHandler = mutate ? mutate(insn.exec) : insn.exec;
    fp.flags = -1;
    const got = run(a, state, insn, fastHandler);
    const decidedAlone = fp.flags === -1;
    const want = run(b, state, insn, d.exec);
    result.cases++;
    const isDefault = (state.mxcsr & 0xffc0) === 0x1f80;
    if (decidedAlone) result.fast++;
    if (isDefault) result.defaultCases++;
    if (isDefault && decidedAlone) result.defaultFast++;
    const diff = differences(got, want);
    if (want.fault !== null && !unchangedByFault(state, want))
      diff.push('the general handler changed state before faulting');
    if (got.fault !== null && !unchangedByFault(state, got))
      diff.push('the specialised handler changed state before faulting');
    // (A straddling access narrower than the distance to the page end does not fault.)
    const expected = built.place ? expectedFault(built.place, built.base, false) : null;
    if (expected && !(got.fault === null ? built.place === 'straddle' : expected.test(got.fault)))
      diff.push(`expected fault ${expected}, got ${got.fault}`);
    if (diff.length > 0 && result.failures.length < 5) {
      const bytes = built.bytes.map((x) => x.toString(16).padStart(2, '0')).join(' ');
      result.failures.push(
        `${d.mnemonic} [${bytes}] mxcsr ${state.mxcsr.toString(16)}:\n  ${diff.join('\n  ')}`,
      );
    }
  }
  return result;
}

describe('specialised SSE handlers agree with the general ones', () => {
  const scale = Number(process.env.SSE_TEST_SCALE ?? 1);
  const seed = Number(process.env.SSE_TEST_SEED ?? 0xfa57);

  it('every arithmetic, compare and frequent conversion row has a specialised form', () => {
    const names = SPECIALISED.map((d) => d.mnemonic);
    for (const op of ['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt'])
      for (const k of ['ps', 'pd', 'ss', 'sd']) expect(names).toContain(`${op}${k}`);
    for (const m of [
      'comisd',
      'ucomiss',
      'cmppd',
      'cmpss',
      'cvtsi2sd',
      'cvttsd2si',
      'cvtss2sd',
      'cvtsd2ss',
      'cvtdq2ps',
    ])
      expect(names).toContain(m);
  });

  for (const d of SPECIALISED) {
    const label = `${d.mnemonic} (${d.prefix === 'none' ? '' : `${d.prefix.toString(16)} `}0f ${d.opcode.toString(16)})`;
    it(`${label}: same registers, flags, MXCSR, memory and faults`, () => {
      const res = compareRow(
        d,
        700 * scale,
        seed + d.opcode * 7 + (typeof d.prefix === 'number' ? d.prefix : 0),
      );
      expect(res.failures.join('\n')).toBe('');
      expect(res.cases).toBeGreaterThan(300 * scale);
      // The comparison must exercise the fast paths, not only their fallbacks.
      expect(res.defaultFast).toBeGreaterThan(res.defaultCases / 5);
    });
  }

  it('the comparison notices a handler that gets the sticky precision flag wrong', () => {
    const addpd = SPECIALISED.find((d) => d.mnemonic === 'addpd') as OpDef;
    const res = compareRow(addpd, 300, seed, (h) => (c, i) => {
      h(c, i);
      c.mxcsr &= ~0x20;
    });
    expect(res.failures.length).toBeGreaterThan(0);
  });

  it('the comparison notices a handler that rounds a last bit differently', () => {
    const mulsd = SPECIALISED.find((d) => d.mnemonic === 'mulsd') as OpDef;
    const res = compareRow(mulsd, 300, seed, (h) => (c, i) => {
      h(c, i);
      c.xmm32[i.reg << 2] ^= 1;
    });
    expect(res.failures.length).toBeGreaterThan(0);
  });
});

// ----------------------------------------------------------------------- faults leave state intact

/** Whether the row's memory operand is written (first operand in memory, or a store of state). */
function isStore(d: OpDef): boolean {
  if (d.mnemonic === 'fxsave' || d.mnemonic === 'stmxcsr') return true;
  if (d.operands.length < 2) return false;
  return ['W', 'M', 'E'].includes((d.operands[0] as { method: string }).method);
}

describe('SSE memory operands that fault leave every register unchanged', () => {
  const rows = SSE_OPS.filter(
    (d) => d.form !== 'reg' && d.modrm && d.mnemonic !== 'clflush' && d.operands.length > 0,
  );
  const places: Place[] = ['unmapped', 'straddle', 'noncanonical', 'stack-noncanonical'];
  for (const d of rows) {
    it(`${d.mnemonic} (0f ${d.opcode.toString(16)}${d.prefix === 'none' ? '' : ` prefix ${d.prefix.toString(16)}`})`, () => {
      const r = new Rng(d.opcode * 131 + d.ext + 1);
      const m = makeMachine();
      const msgs: string[] = [];
      for (const place of places) {
        for (let t = 0; t < 6; t++) {
          let built: Built;
          do built = build(r, d, true);
          while (built.place !== place);
          const insn = decodeOne(built.bytes);
          const state = randomState(r, built, place === 'stack-noncanonical');
          for (const [name, handler] of [
            ['specialised', insn.exec],
            ['general', d.exec],
          ] as const) {
            const out = run(m, state, insn, handler);
            const expected = expectedFault(place, built.base, isStore(d));
            // A straddling access narrower than the distance to the page end does not fault.
            if (out.fault === null && place === 'straddle') continue;
            if (out.fault === null || (expected && !expected.test(out.fault)))
              msgs.push(`${name} at ${place}: fault ${out.fault}, expected ${expected}`);
            else if (!unchangedByFault(state, out))
              msgs.push(`${name} at ${place}: state changed by a faulting instruction`);
          }
        }
      }
      expect(msgs.join('\n')).toBe('');
    });
  }
});

// --------------------------------------------------------------------------- host CPU: in place

const unavailable = oracleUnavailable();

/** `[prefix] [REX] 0F op modrm [imm]` with the same register as destination and source. */
function selfForm(prefix: number | null, op: number, reg: number, imm: number | null): number[] {
  const out: number[] = [];
  if (prefix !== null) out.push(prefix);
  if (reg > 7) out.push(0x45);
  out.push(0x0f, op, 0xc0 | ((reg & 7) << 3) | (reg & 7));
  if (imm !== null) out.push(imm);
  return out;
}

describe.skipIf(unavailable !== '')(
  'SSE instructions with the same register as source and destination, vs the host CPU',
  () => {
    const r = new Rng(0x5e1f);
    const cases: Case[] = [];
    const INTEGER = [
      0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x74, 0x75, 0x76,
      0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3,
      0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8,
      0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0x14, 0x15, 0x70, 0xc6,
    ];
    for (const op of INTEGER) {
      for (let t = 0; t < 12; t++) {
        const reg = r.pick([0, 1, 8, 9]);
        const imm = op === 0x70 || op === 0xc6 ? r.int(256) : null;
        const c = baseCase(r, `self-66-${op.toString(16)}`, selfForm(0x66, op, reg, imm));
        const v = vector(r);
        c.x0 = v;
        c.x1 = vector(r);
        c.x8 = vector(r);
        c.x9 = v;
        cases.push(c);
      }
    }
    const FLOAT = [
      0x51, 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f, 0x14, 0x15, 0xc6, 0xc2, 0x2e, 0x2f, 0x5a, 0x5b, 0xe6,
    ];
    for (const op of FLOAT) {
      for (const prefix of [null, 0x66, 0xf3, 0xf2]) {
        if ((op === 0x2e || op === 0x2f) && prefix !== null && prefix !== 0x66) continue;
        if ((op === 0x14 || op === 0x15 || op === 0xc6) && prefix !== null && prefix !== 0x66) continue;
        if (op === 0xe6 && prefix === null) continue;
        if (op === 0x5b && prefix === 0xf2) continue;
        for (let t = 0; t < 25; t++) {
          const reg = r.pick([0, 1, 8, 9]);
          const imm = op === 0xc2 ? r.int(8) : op === 0xc6 ? r.int(256) : null;
          const c = baseCase(
            r,
            `self-${prefix?.toString(16) ?? 'np'}-${op.toString(16)}`,
            selfForm(prefix, op, reg, imm),
          );
          for (const k of ['x0', 'x1', 'x8', 'x9'] as const) c[k] = vector(r);
          c.mxcsr = mxcsr(r);
          cases.push(c);
        }
      }
    }

    it(`${cases.length} cases match bit for bit`, () => {
      const report = differential(cases);
      const msgs: string[] = [];
      for (const [family, list] of report.failures)
        msgs.push(`${family}: ${list.length} differ\n${list.slice(0, 3).join('\n')}`);
      expect(msgs.join('\n\n')).toBe('');
    });
  },
);

// ------------------------------------------------------------ host CPU: the default-controls shortcuts

describe.skipIf(unavailable !== '')(
  'SSE arithmetic at the edges of the default-controls shortcuts, vs the host CPU',
  () => {
    const r = new Rng(0xed9e);
    const cases: Case[] = [];
    const ops = [0x58, 0x59, 0x5c, 0x5e, 0x51, 0x5d, 0x5f];
    const KINDS = [
      { prefix: null, wide: false, name: 'ps' },
      { prefix: 0x66, wide: true, name: 'pd' },
      { prefix: 0xf3, wide: false, name: 'ss' },
      { prefix: 0xf2, wide: true, name: 'sd' },
    ];
    for (const op of ops) {
      for (const k of KINDS) {
        for (let t = 0; t < 150; t++) {
          const mem = r.chance(0.3);
          const code = [...(k.prefix === null ? [] : [k.prefix]), 0x0f, op, mem ? 0x02 : 0xc1];
          const c = baseCase(r, `edge-default-${op.toString(16)}${k.name}`, code);
          const value = () =>
            k.wide ? (r.chance(0.7) ? edge64(r) : plain64(r)) : r.chance(0.7) ? edge32(r) : plain32(r);
          const make = () =>
            k.wide
              ? vec64([value() as bigint, value() as bigint])
              : vec32([0, 1, 2, 3].map(() => value() as number));
          c.x0 = make();
          if (mem) c.mem = make();
          else c.x1 = make();
          // Default controls with and without sticky flags; PE unmasked with PE already set must still fault.
          c.mxcsr = r.pick([0x1f80, 0x1fa0, 0x1f80 | r.int(64), 0x0fa0, 0x0f80]);
          cases.push(c);
        }
      }
    }
    // Results that round to the smallest normal from below: tiny after rounding with an unbounded exponent,
    // so they raise UE as well as PE, although the stored result is normal.
    const TRICKY: [number, number[], Uint8Array, Uint8Array][] = [
      [0xf2, [0x59], vec64([0x3fefffffffffffffn, 0n]), vec64([0x0010000000000000n, 0n])],
      [0xf2, [0x59], vec64([0xbfefffffffffffffn, 0n]), vec64([0x0010000000000000n, 0n])],
      [0xf2, [0x59], vec64([0x3fe0000000000000n, 0n]), vec64([0x0020000000000000n, 0n])],
      [0xf2, [0x5e], vec64([0x000fffffffffffffn + 1n, 0n]), vec64([0x3ff0000000000001n, 0n])],
      [0xf3, [0x59], vec32([0x3f7fffff, 0, 0, 0]), vec32([0x00800000, 0, 0, 0])],
      [0xf3, [0x5e], vec32([0x00800000, 0, 0, 0]), vec32([0x3f800001, 0, 0, 0])],
      [
        0x66,
        [0x59],
        vec64([0x3fefffffffffffffn, 0x3ff0000000000000n]),
        vec64([0x0010000000000000n, 0x3ff0000000000000n]),
      ],
    ];
    for (const [prefix, op, a, b] of TRICKY) {
      for (const mx of [0x1f80, 0x1fa0, 0x1fb0, 0x1780, 0x1f80 | 0x8000]) {
        const c = baseCase(r, `edge-default-round-to-min-${prefix.toString(16)}-${op[0]?.toString(16)}`, [
          prefix,
          0x0f,
          ...op,
          0xc1,
        ]);
        c.x0 = a;
        c.x1 = b;
        c.mxcsr = mx;
        cases.push(c);
      }
    }
    // Truncating and rounding conversions with PE unmasked, the flag already set or not.
    const CONVERT: [number, number[], boolean][] = [
      [0xf2, [0x2c], true],
      [0xf3, [0x2c], false],
      [0xf3, [0x5b], false],
      [0x66, [0xe6], true],
      [0x66, [0x5a], true],
      [0xf2, [0x5a], true],
      [0xf3, [0x5a], false],
    ];
    for (const [prefix, op, wide] of CONVERT) {
      for (let t = 0; t < 150; t++) {
        const c = baseCase(r, `edge-default-cvt-${prefix.toString(16)}-${op[0]?.toString(16)}`, [
          prefix,
          ...(r.chance(0.5) ? [0x48] : []),
          0x0f,
          ...op,
          0xc1,
        ]);
        const value = () =>
          wide ? (r.chance(0.5) ? edge64(r) : plain64(r)) : r.chance(0.5) ? edge32(r) : plain32(r);
        c.x1 = wide
          ? vec64([value() as bigint, value() as bigint])
          : vec32([0, 1, 2, 3].map(() => value() as number));
        c.mxcsr = r.pick([0x1f80, 0x1fa0, 0x0fa0, 0x0f80, 0x1f80 | r.int(64)]);
        cases.push(c);
      }
    }

    it(`${cases.length} cases match bit for bit`, () => {
      const report = differential(cases);
      const msgs: string[] = [];
      for (const [family, list] of report.failures)
        msgs.push(`${family}: ${list.length} differ\n${list.slice(0, 3).join('\n')}`);
      expect(msgs.join('\n\n')).toBe('');
    });
  },
);
