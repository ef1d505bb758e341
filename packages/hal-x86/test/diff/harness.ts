/**
 * Differential testing of the integer instruction set: each case (instruction bytes, 16 GPRs, RFLAGS and
 * a data page) runs once natively on the host CPU through native-runner.c and once on the simulated CPU,
 * and the final architectural states are compared field by field.
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
  REG64_NAMES,
  VECTOR_NAMES,
  Vector,
  type VcpuExit,
} from '../../src/index';
import { ALL_FLAGS, CODE_PAGE, DATA_PAGE, fillData, hexBytes, INSN_ADDR, PAGE, type Patch } from './gen';
import { asModelled, HOST_VENDOR, nativeCase } from './vendor';

export { CODE_PAGE, DATA_PAGE, INSN_ADDR, PAGE };

export interface Case {
  /** Instruction bytes (1..31; longer than 15 only to test the length limit). */
  code: Uint8Array;
  /** Initial RAX..R15 (modrm numbering), unsigned 64-bit. */
  regs: bigint[];
  /** Initial arithmetic flags and DF (other bits are ignored). */
  rflags: number;
  /** Data-page fill seed (see fillData) ... */
  seed: number;
  /** ... followed by these patches. */
  patches: Patch[];
  /** RFLAGS bits compared (the architecturally defined ones for this case). */
  flagMask: number;
  /** Bit n set: register n is undefined after this case and not compared. */
  ignoreRegs: number;
  /** Data-page bytes [off, off+len) undefined after this case. */
  ignoreMem: [number, number] | undefined;
  /** Where the instruction is placed (default INSN_ADDR); it may run past the code page's end. */
  insnAddr?: number;
  /**
   * FS/GS base while the instruction runs. 0 leaves the host's own base in place natively (for FS that
   * is the thread pointer, which the emulator does not have), so FS overrides need a non-zero fsBase.
   */
  fsBase: bigint;
  gsBase: bigint;
  /** Human-readable description (mnemonic and form), also used to group mismatches. */
  note: string;
}

export interface Outcome {
  /** -1 when the instruction completed, else the exception vector. */
  vector: number;
  /** Address execution stopped at: the next instruction, or the faulting instruction. */
  rip: bigint;
  regs: bigint[];
  rflags: number;
  /** Fault address for #PF. */
  addr: bigint;
  errorCode: number;
  /** Data-page bytes that changed: offset -> new value. */
  mem: Map<number, number>;
  detail?: string;
}

// ----------------------------------------------------------------------------- native side

const here = dirname(fileURLToPath(import.meta.url));
/** The flags native-runner.c has always been built with. */
const FLAGS = ['-O1', '-Wall', '-fno-stack-protector'];
let runnerPath: string | null | undefined;
let whyNot = '';

/** Compiles native-runner.c (cached by content hash in test/.build); null when that is impossible. */
export function nativeRunner(): string | null {
  if (runnerPath !== undefined) return runnerPath;
  const built = buildHostProgram(
    join(here, 'native-runner.c'),
    'diff',
    'the differential tests against the host CPU',
    FLAGS,
  );
  whyNot = built.whyNot;
  runnerPath = built.path;
  return runnerPath;
}

export function nativeUnavailableReason(): string {
  return whyNot;
}

const IN_SIZE = 256;
const OUT_SIZE = 176;

export function runNative(cases: readonly Case[]): Outcome[] {
  const path = nativeRunner();
  if (!path) throw new Error(whyNot);
  const input = Buffer.alloc(8 + IN_SIZE * cases.length);
  input.writeUInt32LE(0x31464944, 0);
  input.writeUInt32LE(cases.length, 4);
  cases.forEach((given, n) => {
    const c = nativeCase(given);
    const o = 8 + n * IN_SIZE;
    input.writeUInt8(c.code.length, o);
    input.set(c.code, o + 1);
    for (let r = 0; r < 16; r++) input.writeBigUInt64LE(c.regs[r] as bigint, o + 32 + 8 * r);
    input.writeBigUInt64LE(BigInt(c.rflags >>> 0), o + 160);
    input.writeUInt32LE(c.seed >>> 0, o + 168);
    input.writeUInt16LE(c.patches.length, o + 172);
    input.writeUInt16LE(c.insnAddr === undefined ? 0 : c.insnAddr - CODE_PAGE, o + 174);
    c.patches.forEach((p, k) => {
      const po = o + 176 + 32 * k;
      input.writeUInt16LE(p.off, po);
      input.writeUInt16LE(p.bytes.length, po + 2);
      input.set(p.bytes, po + 4);
    });
    input.writeBigUInt64LE(c.fsBase, o + 240);
    input.writeBigUInt64LE(c.gsBase, o + 248);
  });
  const res = spawnSync(path, [], { input, maxBuffer: 1 << 30, timeout: 120_000 });
  if (res.status !== 0) {
    throw new Error(
      `native runner failed (status ${res.status}, signal ${res.signal}): ${res.stderr?.toString()}`,
    );
  }
  const buf = res.stdout;
  const outs: Outcome[] = [];
  let o = 0;
  for (let n = 0; n < cases.length; n++) {
    const c = cases[n] as Case;
    const trapno = buf.readUInt32LE(o);
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(buf.readBigUInt64LE(o + 32 + 8 * r));
    const ndiff = buf.readUInt32LE(o + 168);
    const mem = new Map<number, number>();
    for (let k = 0; k < ndiff; k++) {
      const e = buf.readUInt32LE(o + OUT_SIZE + 4 * k);
      mem.set(e & 0xffff, (e >>> 16) & 0xff);
    }
    outs.push({
      vector: trapno === 3 ? -1 : trapno,
      errorCode: Number(buf.readBigUInt64LE(o + 8)),
      addr: buf.readBigUInt64LE(o + 16),
      rip: buf.readBigUInt64LE(o + 24),
      regs,
      rflags: Number(buf.readBigUInt64LE(o + 160) & 0xffffffffn),
      mem,
      detail: nativeCase(c) === c ? undefined : 'run with 3E in place of F3 (the XCHG, not PAUSE)',
    });
    o += OUT_SIZE + 4 * ndiff;
  }
  if (o !== buf.length) throw new Error(`native runner output has ${buf.length - o} stray bytes`);
  return outs;
}

// ----------------------------------------------------------------------------- emulator side

/**
 * Which execution tier runs the case: the interpreter, or the block compiler (every block compiled before
 * its first execution, so the single instruction under test runs as generated code).
 */
export type Tier = 'interpreter' | 'compiled';

export class Emulator {
  readonly mem = new PhysicalMemory(4 << 20);
  readonly frames = new FrameAllocator(this.mem);
  readonly as = new AddressSpace(this.mem, this.frames);
  readonly cpu: Cpu;
  private readonly pad = new Uint8Array(32);
  /** The data page's frame, written and read directly (it never holds code). */
  private readonly dataFrame: Uint8Array;
  private readonly dataWords: Int32Array;

  constructor(readonly tier: Tier = 'interpreter') {
    this.cpu = new Cpu(this.mem, tier === 'compiled' ? { jit: true, compileThreshold: 1 } : { jit: false });
    this.as.mapAnonymous(CODE_PAGE, PAGE, { executable: true });
    this.as.mapAnonymous(DATA_PAGE, PAGE, { writable: true });
    this.as.write(CODE_PAGE, new Uint8Array(PAGE).fill(0xcc));
    this.cpu.mmu.cr3 = this.as.root;
    const pa = this.as.lookup(DATA_PAGE) as number;
    this.dataFrame = this.mem.bytes.subarray(pa, pa + PAGE);
    this.dataWords = new Int32Array(this.mem.bytes.buffer, this.mem.bytes.byteOffset + pa, PAGE / 4);
  }

  /**
   * Runs the instruction through the compiled tier. A block is compiled only when it runs whole, so the
   * run goes on to the INT3 filler after the instruction (or, for a branch, at its target); reaching that
   * trap means the instruction retired, which is reported as the interpreter's budget exit at the filler.
   */
  private runCompiled(): VcpuExit {
    const exit = this.cpu.run(64);
    if (exit.kind === 'exception' && exit.vector === Vector.BP && exit.detail === 'int3') {
      this.cpu.rip -= 1;
      return { kind: 'budget' };
    }
    return exit;
  }

  run(c: Case): Outcome {
    const { cpu, as } = this;
    const at = c.insnAddr ?? INSN_ADDR;
    const room = Math.min(this.pad.length, CODE_PAGE + PAGE - at);
    this.pad.fill(0xcc);
    this.pad.set(c.code.subarray(0, room));
    // code goes through PhysicalMemory.write so that stale decoded blocks are dropped
    as.write(at, this.pad.subarray(0, room));
    const before = initialData(c);
    const beforeWords = new Int32Array(before.buffer, before.byteOffset, PAGE / 4);
    this.dataFrame.set(before);
    for (let r = 0; r < 16; r++) cpu.setReg(r, c.regs[r] as bigint);
    cpu.rflags = (c.rflags & ALL_FLAGS) | 0x202;
    cpu.rip = at;
    cpu.fsBase = Number(c.fsBase);
    cpu.gsBase = Number(c.gsBase);
    const exit = this.tier === 'compiled' ? this.runCompiled() : cpu.run(1);
    // restore the int3 filler
    this.pad.fill(0xcc);
    as.write(at, this.pad.subarray(0, room));
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(BigInt.asUintN(64, cpu.getReg(r)));
    const mem = new Map<number, number>();
    const words = this.dataWords;
    const after = this.dataFrame;
    for (let w = 0; w < PAGE / 4; w++) {
      if (words[w] === beforeWords[w]) continue;
      for (let k = 4 * w; k < 4 * w + 4; k++) if (after[k] !== before[k]) mem.set(k, after[k] as number);
    }
    let vector = -1;
    let addr = 0n;
    let errorCode = 0;
    let detail: string | undefined;
    if (exit.kind === 'exception') {
      vector = exit.vector;
      addr = BigInt.asUintN(64, exit.cr2);
      errorCode = exit.errorCode;
      detail = exit.detail;
    } else if (exit.kind !== 'budget') {
      vector = 1000;
      detail = `unexpected exit ${exit.kind}`;
    }
    return {
      vector,
      rip: BigInt.asUintN(64, BigInt(cpu.rip)),
      regs,
      rflags: cpu.rflags,
      addr,
      errorCode,
      mem,
      detail,
    };
  }
}

// ----------------------------------------------------------------------------- comparison

const FLAG_NAMES: [number, string][] = [
  [0x1, 'CF'],
  [0x4, 'PF'],
  [0x10, 'AF'],
  [0x40, 'ZF'],
  [0x80, 'SF'],
  [0x400, 'DF'],
  [0x800, 'OF'],
  [0x4000, 'NT'],
  [0x40000, 'AC'],
  [0x200000, 'ID'],
];

export function flagString(f: number): string {
  const on = FLAG_NAMES.filter(([b]) => (f & b) !== 0).map(([, n]) => n);
  return `${f.toString(16)}[${on.join(' ')}]`;
}

/** Trap number the native runner reports when its watchdog abandons an instruction. */
const TIMEOUT = 0x100;

const vecName = (v: number): string => (v < 0 ? 'completed' : (VECTOR_NAMES[v] ?? `vector ${v}`));
const h64 = (v: bigint): string => v.toString(16).padStart(16, '0');

export interface Mismatch {
  index: number;
  c: Case;
  native: Outcome;
  emu: Outcome;
  fields: string[];
}

/** Differences between the native and emulated outcomes of one case (empty when they agree). */
export function compare(c: Case, native: Outcome, e: Outcome): string[] {
  // where the vendors differ by design, the host's outcome is taken as the AMD one (vendor.ts)
  let n = asModelled(c, native);
  const d: string[] = [];
  if (n.vector === TIMEOUT) {
    // the host never reached a trap (a branch to itself): only random encodings may do that
    return c.note.startsWith('fuzz ') ? [] : ['native: the instruction did not finish (watchdog)'];
  }
  if (n.vector === 14 && e.vector === -1 && n.rip === e.rip && n.addr === n.rip) {
    // The instruction completed and the host then faulted fetching the next one (past the code page):
    // the emulator ran exactly one instruction and stopped there.
    n = { ...n, vector: -1 };
  }
  if (n.vector !== e.vector) {
    d.push(
      `outcome: native ${vecName(n.vector)}, emu ${vecName(e.vector)}${e.detail ? ` (${e.detail})` : ''}`,
    );
  }
  if (n.rip !== e.rip) d.push(`rip: native ${n.rip.toString(16)}, emu ${e.rip.toString(16)}`);
  if (n.vector === 14 && e.vector === 14 && n.addr !== e.addr && !withinSlack(c, n.addr, e.addr)) {
    d.push(`cr2: native ${n.addr.toString(16)}, emu ${e.addr.toString(16)}`);
  }
  for (let r = 0; r < 16; r++) {
    if ((c.ignoreRegs >> r) & 1) continue;
    if (n.regs[r] !== e.regs[r])
      d.push(`${REG64_NAMES[r]}: native ${h64(n.regs[r] as bigint)}, emu ${h64(e.regs[r] as bigint)}`);
  }
  const fm = c.flagMask;
  if ((n.rflags & fm) !== (e.rflags & fm)) {
    const diff = (n.rflags ^ e.rflags) & fm;
    d.push(
      `rflags: native ${flagString(n.rflags & fm)}, emu ${flagString(e.rflags & fm)}, differ in ${flagString(diff)}`,
    );
  }
  const ign = c.ignoreMem;
  const inIgn = (k: number) => ign !== undefined && k >= ign[0] && k < ign[0] + ign[1];
  const memDiffs: string[] = [];
  const keys = new Set<number>([...n.mem.keys(), ...e.mem.keys()]);
  const before = keys.size > 0 ? initialData(c) : null;
  for (const k of [...keys].sort((a, b) => a - b)) {
    if (inIgn(k)) continue;
    const nv = n.mem.get(k) ?? (before?.[k] as number);
    const ev = e.mem.get(k) ?? (before?.[k] as number);
    if (nv !== ev) memDiffs.push(`+${k.toString(16)}: native ${nv.toString(16)}, emu ${ev.toString(16)}`);
  }
  if (memDiffs.length > 0) {
    d.push(
      `memory (${memDiffs.length} bytes): ${memDiffs.slice(0, 8).join('; ')}${memDiffs.length > 8 ? ' ...' : ''}`,
    );
  }
  if (d.length > 0 && n.detail !== undefined) {
    d.push(`native outcome taken as the AMD one (${HOST_VENDOR} host): ${n.detail}`);
  }
  return d;
}

export function initialData(c: Case): Uint8Array {
  const d = fillData(c.seed);
  for (const p of c.patches) d.set(p.bytes, p.off);
  return d;
}

export function formatMismatch(m: Mismatch): string {
  const c = m.c;
  const regs = c.regs.map((v, r) => `${REG64_NAMES[r]}=${v.toString(16)}`).join(' ');
  const lines = [
    `case ${m.index}: ${hexBytes(c.code)}  (${c.note})`,
    `  in:  ${regs} rflags=${flagString(c.rflags)}`,
    `  native: ${vecName(m.native.vector)} at ${m.native.rip.toString(16)}; emu: ${vecName(m.emu.vector)} at ${m.emu.rip.toString(16)}`,
    ...m.fields.map((f) => `  ${f}`),
  ];
  return lines.join('\n');
}

export interface DiffReport {
  cases: number;
  mismatches: Mismatch[];
  /** Mismatch counts per case note. */
  byNote: Map<string, number>;
  summary: string;
  /** The native outcomes the emulator was compared with, by case index. */
  native: readonly Outcome[];
}

const emulators = new Map<Tier, Emulator>();

/**
 * Runs every case natively and on the emulator (in the given tier) and collects the mismatches. Native
 * outcomes can be passed in to compare several tiers against one native run.
 */
export function diff(
  cases: readonly Case[],
  show = 6,
  tier: Tier = 'interpreter',
  nativeOutcomes?: readonly Outcome[],
): DiffReport {
  const native = nativeOutcomes ?? runNative(cases);
  let emulator = emulators.get(tier);
  if (emulator === undefined) {
    emulator = new Emulator(tier);
    emulators.set(tier, emulator);
  }
  const mismatches: Mismatch[] = [];
  const byNote = new Map<string, number>();
  cases.forEach((c, index) => {
    const emu = (emulator as Emulator).run(c);
    const fields = compare(c, native[index] as Outcome, emu);
    if (fields.length > 0) {
      mismatches.push({ index, c, native: native[index] as Outcome, emu, fields });
      byNote.set(c.note, (byNote.get(c.note) ?? 0) + 1);
    }
  });
  let summary = `${mismatches.length} of ${cases.length} cases differ`;
  if (mismatches.length > 0) {
    const classes = [...byNote.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
    summary += `\nby form:\n${classes.map(([k, v]) => `  ${v}\t${k}`).join('\n')}`;
    // first mismatch of each form, then the first few overall
    const seen = new Set<string>();
    const shown: Mismatch[] = [];
    for (const m of mismatches) {
      if (!seen.has(m.c.note) && shown.length < show) {
        seen.add(m.c.note);
        shown.push(m);
      }
    }
    summary += `\n\n${shown.map(formatMismatch).join('\n\n')}`;
  }
  return { cases: cases.length, mismatches, byNote, summary, native };
}

/** Generates `count` cases with `gen` from a fixed seed. */
export function generate(count: number, gen: (k: number) => Case): Case[] {
  const out: Case[] = [];
  for (let k = 0; k < count; k++) out.push(gen(k));
  return out;
}

/**
 * BT/BTS/BTR/BTC on memory with a register bit offset touch an implementation-defined span around the
 * selected bit (this AMD host: the byte holding it; Intel documents an aligned word or doubleword), so
 * when that access faults, CR2 may differ by up to 7 bytes within the operand.
 */
function withinSlack(c: Case, a: bigint, b: bigint): boolean {
  if (!/\bbt[src]?\b/.test(c.note)) return false;
  const d = a > b ? a - b : b - a;
  return d <= 7n;
}
