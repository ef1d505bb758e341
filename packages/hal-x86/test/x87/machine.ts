/**
 * The simulated side of the x87 tests: a tiny machine with the code and data pages at the addresses the
 * native oracle uses, running a case the way oracle.c does (FRSTOR, the code with RBX = data, FNSAVE) and
 * describing the outcome in the oracle's terms.
 */
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, type VcpuExit, Vector } from '../../src/index';
import { CODE_ADDR, DATA_ADDR, DATA_SIZE, type X87Case, type X87Outcome } from './native';

/** Scratch areas in the data page's second half, and the two stubs in the code page's second page. */
const STATE_IN = 0x800;
const STATE_OUT = 0xc00;
const FRSTOR_STUB = CODE_ADDR + 0x1000;
const FNSAVE_STUB = CODE_ADDR + 0x1010;

/**
 * How the compared CPU reports the last-instruction pointers, where implementations differ (see
 * test/support/host-cpu.ts). The simulated CPU always sets FCS (0x33), FOP and FDP on every non-control
 * instruction and keeps the FCS/FDS an FRSTOR or FLDENV loaded; with one of these set, the machine runs
 * a case one instruction at a time and rewrites those fields after each one the way such a CPU would,
 * so that the images FNSTENV/FNSAVE write (and whatever is loaded back from them) can still be compared
 * byte for byte.
 */
export interface PointerReporting {
  /** FCS and FDS read as zero. */
  zeroSelectors: boolean;
  /** FDP changes only when a non-control instruction incurs an unmasked exception. */
  fdpOnUnmaskedOnly: boolean;
  /** FOP likewise. */
  fopOnUnmaskedOnly: boolean;
}

export class X87Machine {
  readonly mem = new PhysicalMemory(1 << 20);
  readonly as: AddressSpace;
  readonly cpu: Cpu;

  constructor(readonly reporting?: PointerReporting) {
    const frames = new FrameAllocator(this.mem);
    this.as = new AddressSpace(this.mem, frames);
    this.as.mapAnonymous(CODE_ADDR, 8192, { executable: true });
    this.as.mapAnonymous(DATA_ADDR, 4096, { writable: true });
    this.cpu = new Cpu(this.mem);
    this.cpu.mmu.cr3 = this.as.root;
    // frstor 0x800(%rbx) ; fnsave 0xc00(%rbx)
    this.as.write(FRSTOR_STUB, new Uint8Array([0xdd, 0xa3, 0x00, 0x08, 0x00, 0x00]));
    this.as.write(FNSAVE_STUB, new Uint8Array([0xdd, 0xb3, 0x00, 0x0c, 0x00, 0x00]));
  }

  /** Loads the case's state, data, RFLAGS and RAX; leaves RIP at the code. */
  prepare(k: X87Case): void {
    const cpu = this.cpu;
    const code = new Uint8Array(k.code.length + 1);
    code.set(k.code);
    code[k.code.length] = 0xc3;
    this.as.write(CODE_ADDR, code);
    const page = new Uint8Array(4096);
    page.set(k.data.subarray(0, DATA_SIZE));
    page.set(k.state, STATE_IN);
    this.as.write(DATA_ADDR, page);
    cpu.x87.reset();
    cpu.setReg(3, BigInt(DATA_ADDR));
    cpu.setReg(0, k.rax);
    cpu.rip = FRSTOR_STUB;
    const exit = cpu.run(1);
    if (exit.kind !== 'budget') throw new Error(`frstor stub: ${JSON.stringify(exit, bigintJson)}`);
    if (this.reporting?.zeroSelectors) {
      cpu.x87.fcs = 0;
      cpu.x87.fds = 0;
    }
    cpu.rflags = k.rflags;
    cpu.rip = CODE_ADDR;
  }

  run(k: X87Case): X87Outcome {
    const cpu = this.cpu;
    this.prepare(k);
    const r = this.reporting;
    const exit =
      r && (r.zeroSelectors || r.fdpOnUnmaskedOnly || r.fopOnUnmaskedOnly)
        ? this.runReporting(k.count, r)
        : cpu.run(k.count);
    let vector = -1;
    let ripOffset = -1;
    if (exit.kind === 'exception') {
      vector = exit.vector === Vector.GP ? Vector.PF : exit.vector;
      ripOffset = cpu.rip - CODE_ADDR;
    } else if (exit.kind !== 'budget' || cpu.rip !== CODE_ADDR + k.code.length) {
      throw new Error(`unexpected exit ${JSON.stringify(exit, bigintJson)} at 0x${cpu.rip.toString(16)}`);
    }
    const rflags = cpu.rflags;
    const rax = BigInt.asUintN(64, cpu.getReg(0));
    const fx = vector >= 0 ? this.fxImage() : new Uint8Array(0);
    cpu.rip = FNSAVE_STUB;
    const saved = cpu.run(1);
    if (saved.kind !== 'budget') throw new Error(`fnsave stub: ${JSON.stringify(saved, bigintJson)}`);
    const page = cpu.readBytes(DATA_ADDR, 4096);
    return {
      kind: vector >= 0 ? 'fault' : 'done',
      vector,
      ripOffset,
      image: vector >= 0 ? new Uint8Array(0) : page.slice(STATE_OUT, STATE_OUT + 108),
      fx,
      rflags,
      rax,
      data: page.slice(0, DATA_SIZE),
    };
  }

  /** Runs `count` instructions one at a time, reporting the pointers as `r` says after each. */
  private runReporting(count: number, r: PointerReporting): VcpuExit {
    const cpu = this.cpu;
    const x = cpu.x87;
    let exit: VcpuExit = { kind: 'budget' };
    for (let n = 0; n < count; n++) {
      const at = cpu.rip;
      const fdp = x.fdp;
      const fop = x.fop;
      exit = cpu.run(1);
      if (exit.kind !== 'budget') break;
      // A non-control instruction sets FIP to its own address; the control instructions leave FIP alone
      // (FNSTENV, FLDCW, ...) or load or clear it (FLDENV, FRSTOR, FNINIT) together with FOP and FDP.
      // After a non-control instruction, ES set means it incurred an unmasked exception (it cannot run
      // with one pending).
      if (x.fip === at && (x.statusWord & 0x80) === 0) {
        if (r.fdpOnUnmaskedOnly) x.fdp = fdp;
        if (r.fopOnUnmaskedOnly) x.fop = fop;
      }
      if (r.zeroSelectors) {
        x.fcs = 0;
        x.fds = 0;
      }
    }
    return exit;
  }

  /** The x87 part of an FXSAVE image of the current state (what the kernel hands a signal handler). */
  fxImage(): Uint8Array {
    const x = this.cpu.x87;
    const fx = new Uint8Array(160);
    const v = new DataView(fx.buffer);
    v.setUint16(0, x.fcw, true);
    v.setUint16(2, x.statusWord, true);
    let abridged = 0;
    for (let r = 0; r < 8; r++) if (x.tag(r) !== 3) abridged |= 1 << r;
    v.setUint16(4, abridged, true);
    v.setUint16(6, x.fop, true);
    v.setBigUint64(8, BigInt.asUintN(64, BigInt(x.fip)), true);
    v.setBigUint64(16, BigInt.asUintN(64, BigInt(x.fdp)), true);
    for (let k = 0; k < 8; k++)
      fx.set(x.data.subarray(((x.top + k) & 7) * 10, ((x.top + k) & 7) * 10 + 10), 32 + 16 * k);
    return fx;
  }
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString(16) : v;
}

// ------------------------------------------------------------------------------------ comparison

const ARITH_FLAGS = 0x8d5;

/**
 * Differences between the host's and the simulated outcome, as readable lines (empty when they agree).
 * In a fault, FIP/FDP/FOP are compared only when ES is set: the host saves them in FXSAVE only then.
 */
export function diffOutcome(host: X87Outcome, sim: X87Outcome): string[] {
  const d: string[] = [];
  if (host.kind !== sim.kind || host.vector !== sim.vector || host.ripOffset !== sim.ripOffset) {
    d.push(`stop: host ${describeStop(host)}, sim ${describeStop(sim)}`);
    return d;
  }
  if (host.kind === 'done') {
    for (const line of diffImage(host.image, sim.image)) d.push(line);
  } else {
    for (const line of diffFx(host.fx, sim.fx)) d.push(line);
  }
  if (((host.rflags ^ sim.rflags) & ARITH_FLAGS) !== 0) {
    d.push(
      `rflags: host ${(host.rflags & ARITH_FLAGS).toString(16)} sim ${(sim.rflags & ARITH_FLAGS).toString(16)}`,
    );
  }
  if (host.rax !== sim.rax) {
    d.push(`rax: host ${host.rax.toString(16)} sim ${sim.rax.toString(16)}`);
  }
  for (let o = 0; o < host.data.length; o += 16) {
    const a = Buffer.from(host.data.subarray(o, o + 16)).toString('hex');
    const b = Buffer.from(sim.data.subarray(o, o + 16)).toString('hex');
    if (a !== b) d.push(`data+${o.toString(16)}: host ${a} sim ${b}`);
  }
  return d;
}

function describeStop(o: X87Outcome): string {
  return o.kind === 'done' ? 'completed' : `vector ${o.vector} at +${o.ripOffset}`;
}

const reg80 = (b: Uint8Array, at: number): string =>
  Buffer.from(b.subarray(at, at + 10))
    .reverse()
    .toString('hex');

function diffImage(h: Uint8Array, s: Uint8Array): string[] {
  const d: string[] = [];
  const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
  const names = ['fcw', 'fsw', 'ftw', 'fip', 'fcs|fop', 'fdp', 'fds'];
  names.forEach((n, k) => {
    const a = u32(h, 4 * k);
    const b = u32(s, 4 * k);
    if (a !== b) d.push(`${n}: host ${a.toString(16)} sim ${b.toString(16)}`);
  });
  for (let k = 0; k < 8; k++) {
    const a = reg80(h, 28 + 10 * k);
    const b = reg80(s, 28 + 10 * k);
    if (a !== b) d.push(`ST(${k}): host ${a} sim ${b}`);
  }
  return d;
}

function diffFx(h: Uint8Array, s: Uint8Array): string[] {
  const d: string[] = [];
  const hv = new DataView(h.buffer, h.byteOffset);
  const sv = new DataView(s.buffer, s.byteOffset);
  const field = (name: string, a: number | bigint, b: number | bigint) => {
    if (a !== b) d.push(`${name}: host ${a.toString(16)} sim ${b.toString(16)}`);
  };
  field('fcw', hv.getUint16(0, true), sv.getUint16(0, true));
  field('fsw', hv.getUint16(2, true), sv.getUint16(2, true));
  field('ftw(abridged)', hv.getUint8(4), sv.getUint8(4));
  if ((hv.getUint16(2, true) & 0x80) !== 0) {
    field('fop', hv.getUint16(6, true), sv.getUint16(6, true));
    field('fip', hv.getBigUint64(8, true), sv.getBigUint64(8, true));
    field('fdp', hv.getBigUint64(16, true), sv.getBigUint64(16, true));
  }
  for (let k = 0; k < 8; k++) {
    const a = reg80(h, 32 + 16 * k);
    const b = reg80(s, 32 + 16 * k);
    if (a !== b) d.push(`ST(${k}): host ${a} sim ${b}`);
  }
  return d;
}
