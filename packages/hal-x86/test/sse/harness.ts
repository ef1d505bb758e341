/**
 * Differential testing of SSE/SSE2 instructions: each case is one instruction with its input state,
 * executed both by the host CPU (test/sse/oracle.c, built with the host gcc) and by the emulator; the
 * resulting states are compared in the oracle's text format.
 *
 * Operand conventions shared with the oracle: xmm0, xmm1, xmm8, xmm9, rax and rcx carry inputs and are
 * compared afterwards; rdx points at a memory buffer (64-byte aligned plus `memOff`).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHostProgram } from '../support/host-program';
import {
  AddressSpace,
  Cpu,
  FrameAllocator,
  PhysicalMemory,
  Reg,
  type VcpuExit,
  Vector,
} from '../../src/index';

const here = dirname(fileURLToPath(import.meta.url));

export interface Case {
  family: string;
  code: number[];
  x0: Uint8Array;
  x1: Uint8Array;
  x8: Uint8Array;
  x9: Uint8Array;
  rax: bigint;
  rcx: bigint;
  mxcsr: number;
  rflags: number;
  memOff: number;
  mem: Uint8Array;
}

// ------------------------------------------------------------------------------------------- hex

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.length === 0 ? '-' : s;
}

function le(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let k = 0; k < n; k++) {
    out[k] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function caseLine(c: Case): string {
  return [
    c.code.map((b) => b.toString(16).padStart(2, '0')).join(''),
    hex(c.x0),
    hex(c.x1),
    hex(c.x8),
    hex(c.x9),
    hex(le(c.rax, 8)),
    hex(le(c.rcx, 8)),
    hex(le(BigInt(c.mxcsr), 4)),
    hex(le(BigInt(c.rflags), 8)),
    String(c.memOff),
    hex(c.mem),
  ].join(' ');
}

// ---------------------------------------------------------------------------------------- oracle

let oracleBin: string | null | undefined;
let whyNot = '';

/** Path of the compiled oracle, or null when the host cannot run it (see `oracleUnavailable`). */
export function oraclePath(): string | null {
  if (oracleBin !== undefined) return oracleBin;
  const built = buildHostProgram(join(here, 'oracle.c'), 'sse', 'the SSE comparison with the host CPU');
  whyNot = built.whyNot;
  oracleBin = built.path;
  return oracleBin;
}

export function oracleUnavailable(): string {
  oraclePath();
  return whyNot;
}

/** Runs every case on the host CPU; one result line per case. */
export function runOracle(cases: Case[]): string[] {
  const bin = oraclePath();
  if (bin === null) throw new Error(whyNot);
  const input = `${cases.map(caseLine).join('\n')}\n`;
  const res = spawnSync(bin, [], { input, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`oracle exited with ${res.status}: ${res.stderr}`);
  const lines = res.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== cases.length)
    throw new Error(`oracle gave ${lines.length} lines for ${cases.length} cases`);
  return lines;
}

// -------------------------------------------------------------------------------------- emulator

export const CODE_VA = 0x400000;
export const DATA_VA = 0x600000;
/** rdx = DATA_VA + MEM_BASE + memOff, mirroring the oracle's 64-byte aligned buffer. */
export const MEM_BASE = 0x40;

export interface Machine {
  cpu: Cpu;
  as: AddressSpace;
}

/**
 * Which execution tier runs the cases: the interpreter, or the block compiler with every block compiled
 * before its first execution (so the instruction under test runs as generated code).
 */
export type Tier = 'interpreter' | 'compiled';

export function makeMachine(tier: Tier = 'interpreter'): Machine {
  const mem = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(mem);
  const as = new AddressSpace(mem, frames);
  as.mapAnonymous(CODE_VA, 4096, { executable: true });
  as.mapAnonymous(DATA_VA, 8192, { writable: true });
  const cpu = new Cpu(mem, tier === 'compiled' ? { jit: true, compileThreshold: 1 } : { jit: false });
  cpu.mmu.cr3 = as.root;
  return { cpu, as };
}

const SIGNAL_OF: Record<number, number> = {
  [Vector.UD]: 4,
  [Vector.XM]: 8,
  [Vector.GP]: 11,
  [Vector.PF]: 11,
  [Vector.SS]: 11,
};

const ZERO_PAGE = new Uint8Array(2048);

/**
 * Runs the instruction through the compiled tier. A block is compiled only when it runs whole: the
 * instruction and the HLT after it, which faults at CPL 3 (#GP); that fault, at the HLT, means the
 * instruction completed, reported as the interpreter's budget exit.
 */
function runCompiled(cpu: Cpu, hltAddress: number): VcpuExit {
  const exit = cpu.run(2);
  if (exit.kind === 'exception' && exit.vector === Vector.GP && cpu.rip === hltAddress)
    return { kind: 'budget' };
  return exit;
}

/** Runs one case on the emulator and formats the result like the oracle. */
export function runEmulator(m: Machine, c: Case): string {
  const { cpu, as } = m;
  as.write(CODE_VA, new Uint8Array([...c.code, 0xf4]));
  as.write(DATA_VA, ZERO_PAGE);
  as.write(DATA_VA + MEM_BASE + c.memOff, c.mem);
  cpu.xmm8.fill(0);
  cpu.xmm8.set(c.x0, 0);
  cpu.xmm8.set(c.x1, 16);
  cpu.xmm8.set(c.x8, 128);
  cpu.xmm8.set(c.x9, 144);
  cpu.regs.fill(0);
  cpu.setReg(Reg.RAX, c.rax);
  cpu.setReg(Reg.RCX, c.rcx);
  cpu.setReg(Reg.RDX, BigInt(DATA_VA + MEM_BASE + c.memOff));
  cpu.mxcsr = c.mxcsr;
  cpu.rflags = c.rflags;
  cpu.rip = CODE_VA;
  const exit = cpu.jit ? runCompiled(cpu, CODE_VA + c.code.length) : cpu.run(1);
  let sig = 0;
  if (exit.kind === 'exception') {
    sig = SIGNAL_OF[exit.vector] ?? 100 + exit.vector;
  } else if (exit.kind !== 'budget') {
    sig = 200;
  }
  const regs = {
    x0: cpu.xmm8.slice(0, 16),
    x1: cpu.xmm8.slice(16, 32),
    x8: cpu.xmm8.slice(128, 144),
    x9: cpu.xmm8.slice(144, 160),
    rax: cpu.getReg(Reg.RAX),
    rcx: cpu.getReg(Reg.RCX),
  };
  return [
    hex(regs.x0),
    hex(regs.x1),
    hex(regs.x8),
    hex(regs.x9),
    hex(le(regs.rax, 8)),
    hex(le(regs.rcx, 8)),
    hex(le(BigInt(cpu.mxcsr >>> 0), 4)),
    hex(le(BigInt(cpu.rflags), 8)),
    hex(c.mem.length === 0 ? new Uint8Array(0) : as.read(DATA_VA + MEM_BASE + c.memOff, c.mem.length)),
    String(sig),
  ].join(' ');
}

const FIELDS = ['xmm0', 'xmm1', 'xmm8', 'xmm9', 'rax', 'rcx', 'mxcsr', 'rflags', 'mem', 'signal'];

/** A readable account of how two result lines differ. */
export function describeMismatch(c: Case, want: string, got: string): string {
  const w = want.split(' ');
  const g = got.split(' ');
  const diffs: string[] = [];
  for (let k = 0; k < FIELDS.length; k++) {
    if (w[k] !== g[k]) diffs.push(`  ${FIELDS[k]}: host ${w[k]} emu ${g[k]}`);
  }
  return `${c.family} [${caseLine(c)}]\n${diffs.join('\n')}`;
}

export interface DiffReport {
  total: number;
  failures: Map<string, string[]>;
  perFamily: Map<string, number>;
}

/** Runs all cases on both sides; failures are grouped per family. */
export function differential(cases: Case[]): DiffReport {
  const want = runOracle(cases);
  const failures = new Map<string, string[]>();
  const perFamily = new Map<string, number>();
  for (const c of cases) perFamily.set(c.family, (perFamily.get(c.family) ?? 0) + 1);
  // Every case runs in both execution tiers; a failure names the tier.
  for (const tier of ['interpreter', 'compiled'] as const) {
    const m = makeMachine(tier);
    cases.forEach((c, k) => {
      const got = runEmulator(m, c);
      if (got !== want[k]) {
        const list = failures.get(c.family) ?? [];
        list.push(`[${tier}] ${describeMismatch(c, want[k] as string, got)}`);
        failures.set(c.family, list);
      }
    });
  }
  return { total: cases.length, failures, perFamily };
}

// --------------------------------------------------------------------------------- random inputs

/** Deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = this.u32() & 0xff;
    return out;
  }
}

const f32buf = new DataView(new ArrayBuffer(4));
const f64buf = new DataView(new ArrayBuffer(8));

export function f32bits(x: number): number {
  f32buf.setFloat32(0, x, true);
  return f32buf.getUint32(0, true);
}

export function f64bits(x: number): bigint {
  f64buf.setFloat64(0, x, true);
  return f64buf.getBigUint64(0, true);
}

/** Interesting binary32 bit patterns. */
const SPECIAL32 = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001, 0xffa00000,
  0x7fbfffff, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff,
  0xff7fffff, 0x3f800000, 0xbf800000, 0x3f000000, 0x4f000000, 0xcf000000, 0x4effffff, 0xcf000001, 0x5f000000,
  0xdf000000, 0x5effffff, 0x3fc00000, 0x40200000, 0x00000003, 0x34000000, 0x0c800000, 0x73800000,
];

/** Interesting binary64 bit patterns. */
const SPECIAL64 = [
  0x0000000000000000n,
  0x8000000000000000n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0xfff8000000000000n,
  0x7ff8000012345678n,
  0x7ff0000000000001n,
  0xfff4000000000000n,
  0x7ff7ffffffffffffn,
  0x0000000000000001n,
  0x8000000000000001n,
  0x000fffffffffffffn,
  0x800fffffffffffffn,
  0x0010000000000000n,
  0x8010000000000000n,
  0x7fefffffffffffffn,
  0xffefffffffffffffn,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x3fe0000000000000n,
  0x41e0000000000000n,
  0xc1e0000000000000n,
  0x41dfffffffffffffn,
  0xc1e0000000200000n,
  0xc1e0000000100000n,
  0x41dfffffffe00000n,
  0x43e0000000000000n,
  0xc3e0000000000000n,
  0x43dfffffffffffffn,
  0x3ff8000000000000n,
  0x4004000000000000n,
  0x47efffffe0000000n,
  0x47efffffefffffffn,
  0x36a0000000000000n,
  0x3690000000000000n,
  0x380fffffe0000000n,
  0x3810000000000000n,
  0x0000000000000003n,
  0x7fe0000000000000n,
];

/** A random binary32 bit pattern weighted toward edge cases. */
export function rand32(r: Rng): number {
  const k = r.int(10);
  if (k < 2) return r.pick(SPECIAL32) >>> 0;
  if (k < 3) return r.u32(); // anything, including NaNs and denormals
  if (k < 4) return (r.u32() & 0x807fffff) >>> 0; // denormal
  if (k < 6) {
    // small integers and halves: exact results, rounding ties
    const v = (r.int(64) - 32) / (r.chance(0.5) ? 2 : 1);
    return f32bits(v);
  }
  // normal with exponent spread around 1 or near the extremes
  const e = r.chance(0.7) ? 127 + r.int(40) - 20 : r.chance(0.5) ? 1 + r.int(24) : 230 + r.int(24);
  return ((r.u32() & 0x807fffff) | (e << 23)) >>> 0;
}

/** A random binary64 bit pattern weighted toward edge cases. */
export function rand64(r: Rng): bigint {
  const k = r.int(10);
  if (k < 2) return r.pick(SPECIAL64);
  const rnd = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
  if (k < 3) return rnd;
  if (k < 4) return rnd & 0x800fffffffffffffn;
  if (k < 6) {
    const v = (r.int(64) - 32) / (r.chance(0.5) ? 2 : 1);
    return f64bits(v);
  }
  const e = r.chance(0.7) ? 1023 + r.int(80) - 40 : r.chance(0.5) ? 1 + r.int(60) : 1990 + r.int(56);
  return (rnd & 0x800fffffffffffffn) | (BigInt(e) << 52n);
}

/** A binary32 pattern close to `a` (for cancellation) or scaled from it (for overflow/underflow). */
export function near32(r: Rng, a: number): number {
  if (r.chance(0.5)) return ((a ^ 0x80000000) + r.int(8) - 4) >>> 0;
  return (a + r.int(8) - 4) >>> 0;
}

export function near64(r: Rng, a: bigint): bigint {
  const d = BigInt(r.int(8) - 4);
  if (r.chance(0.5)) return BigInt.asUintN(64, (a ^ 0x8000000000000000n) + d);
  return BigInt.asUintN(64, a + d);
}

export function vec32(xs: number[]): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  xs.forEach((x, k) => {
    v.setUint32(4 * k, x >>> 0, true);
  });
  return out;
}

export function vec64(xs: bigint[]): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  xs.forEach((x, k) => {
    v.setBigUint64(8 * k, BigInt.asUintN(64, x), true);
  });
  return out;
}

/** A random MXCSR: any rounding mode, DAZ/FTZ sometimes, sticky flags sometimes, all exceptions masked. */
export function randMxcsr(r: Rng, unmaskedChance = 0): number {
  const forced = process.env.SSE_TEST_UNMASKED;
  if (forced !== undefined && unmaskedChance > 0) unmaskedChance = Number(forced);
  let m = 0x1f80 | (r.int(4) << 13);
  if (r.chance(0.2)) m |= 0x40;
  if (r.chance(0.2)) m |= 0x8000;
  if (r.chance(0.1)) m |= r.int(64);
  if (r.chance(unmaskedChance)) m &= ~(1 << (7 + r.int(6)));
  return m;
}

/** Arithmetic flags and IF, as loaded before each instruction. */
export function randFlags(r: Rng): number {
  return 0x202 | (r.u32() & 0x8d5);
}

/** A case with default state; the caller fills in what matters. */
export function baseCase(r: Rng, family: string, code: number[]): Case {
  return {
    family,
    code,
    x0: r.bytes(16),
    x1: r.bytes(16),
    x8: r.bytes(16),
    x9: r.bytes(16),
    rax: (BigInt(r.u32()) << 32n) | BigInt(r.u32()),
    rcx: (BigInt(r.u32()) << 32n) | BigInt(r.u32()),
    mxcsr: 0x1f80,
    rflags: randFlags(r),
    memOff: 0,
    mem: r.bytes(16),
  };
}

/**
 * Encodes `[prefix] [REX] 0F op modrm [imm]` with one of the standard operand forms:
 * 'rr' xmm0 <- xmm1, 'm' xmm0 <- [rdx], 'rr8' xmm8 <- xmm9 (REX.RB), 'r9' xmm0 <- xmm9 (REX.B),
 * 'r8m' xmm8 <- [rdx] (REX.R).
 */
export type Form = 'rr' | 'm' | 'rr8' | 'r9' | 'r8m';

export function encode(
  prefix: number | null,
  op: number[],
  form: Form,
  imm: number | null = null,
  rexW = false,
): number[] {
  const out: number[] = [];
  if (prefix !== null) out.push(prefix);
  let rex = rexW ? 0x48 : 0;
  let modrm: number;
  switch (form) {
    case 'rr':
      modrm = 0xc1;
      break;
    case 'm':
      modrm = 0x02;
      break;
    case 'rr8':
      rex |= 0x45;
      modrm = 0xc1;
      break;
    case 'r9':
      rex |= 0x41;
      modrm = 0xc1;
      break;
    default:
      rex |= 0x44;
      modrm = 0x02;
  }
  if (rex !== 0) out.push(rex | 0x40);
  out.push(0x0f, ...op, modrm);
  if (imm !== null) out.push(imm & 0xff);
  return out;
}

/** Places a case's source operand: xmm1 / xmm9 for register forms, memory for 'm' forms. */
export function setSource(c: Case, form: Form, src: Uint8Array): void {
  if (form === 'rr') c.x1 = src;
  else if (form === 'rr8' || form === 'r9') c.x9 = src;
  else c.mem = src;
}

export function setDest(c: Case, form: Form, dst: Uint8Array): void {
  if (form === 'rr8' || form === 'r8m') c.x8 = dst;
  else c.x0 = dst;
}
