/**
 * x87 control instructions: FLDCW/FNSTCW, FNSTSW, FNCLEX, FNINIT, FNSTENV/FLDENV, FNSAVE/FRSTOR, FWAIT,
 * and the register-file housekeeping FFREE/FFREEP, FINCSTP/FDECSTP, FNOP.
 *
 * The FN* forms do not wait: they run even with an unmasked exception pending, which is how an #MF
 * handler inspects and clears the state. The others raise #MF first (see x87-stack.ts). Control
 * instructions leave the FPU instruction/data pointers and opcode alone; FFREE, FINCSTP, FDECSTP and FNOP
 * are not control instructions in that sense and record themselves like arithmetic does.
 *
 * Environment layouts (64-bit mode; the 66 prefix selects the 16-bit one), offsets in bytes:
 *   28-byte: 0 FCW, 4 FSW, 8 FTW (each with 0xFFFF in the upper half), 12 FIP[31:0],
 *            16 FCS | FOP << 16, 20 FDP[31:0], 24 FDS | 0xFFFF0000
 *   14-byte: 0 FCW, 2 FSW, 4 FTW, 6 FIP[15:0], 8 FCS, 10 FDP[15:0], 12 FDS (no opcode: loads set FOP = 0)
 * FNSAVE/FRSTOR append ST(0)..ST(7), 10 bytes each (108 or 94 bytes in all).
 */
import type { Cpu } from '../../cpu/cpu';
import { SW } from '../../fpu';
import type { Insn } from '../insn';
import { begin, checkPending, commit } from './x87-stack';
import { Tag, type X87State } from './x87-state';

/** Bits of the control word that exist: bit 6 reads as 1, bits 7 and 13..15 as 0. */
function normalizeCw(v: number): number {
  return (v & 0x1f3f) | 0x40;
}

/** ES and B follow the exception flags and masks whenever either is loaded. */
function updateSummary(x: X87State): void {
  if ((x.fsw & SW.EXC_MASK & ~x.fcw) !== 0) x.fsw |= SW.ES | SW.B;
  else x.fsw &= ~(SW.ES | SW.B);
}

/** FWAIT (9B): raises #MF if an unmasked exception is pending. */
export function fwait(c: Cpu, _i: Insn): void {
  checkPending(c);
}

/** FLDCW m16. */
export function fldcw(c: Cpu, i: Insn): void {
  checkPending(c);
  const v = c.rd16(c.ea(i));
  const x = c.x87;
  x.fcw = normalizeCw(v);
  updateSummary(x);
}

/** FNSTCW m16. */
export function fnstcw(c: Cpu, i: Insn): void {
  c.wr16(c.ea(i), c.x87.fcw);
}

/** FNSTSW m16. */
export function fnstswMem(c: Cpu, i: Insn): void {
  c.wr16(c.ea(i), c.x87.statusWord);
}

/** FNSTSW AX. */
export function fnstswAx(c: Cpu, _i: Insn): void {
  c.setRegSized(0, 2, c.x87.statusWord, 0);
}

/** FNCLEX: clears the exception flags, SF, ES and B. */
export function fnclex(c: Cpu, _i: Insn): void {
  c.x87.fsw &= ~(SW.EXC_MASK | SW.SF | SW.ES | SW.B);
}

/** FNINIT: default control word, empty stack; the register contents stay. */
export function fninit(c: Cpu, _i: Insn): void {
  initialize(c.x87);
}

function initialize(x: X87State): void {
  x.fcw = 0x037f;
  x.fsw = 0;
  x.top = 0;
  x.ftw = 0xffff;
  x.fip = 0;
  x.fdp = 0;
  x.fop = 0;
  x.fcs = 0;
  x.fds = 0;
}

/** The 8087/287 FNENI, FNDISI and FNSETPM (DB E0, E1, E4): no-ops that do not even wait. */
export function legacyNop(_c: Cpu, _i: Insn): void {}

/** FNOP: does nothing, but as a waiting, non-control instruction. */
export function fnop(c: Cpu, i: Insn): void {
  begin(c);
  commit(c, i);
}

/** FFREE ST(i) (`sub` 0) and FFREEP ST(i) (`sub` 1, also pops). */
export function ffree(c: Cpu, i: Insn): void {
  const x = c.x87;
  begin(c).setCC(SW.C1, false);
  x.setTag((x.top + (i.rm & 7)) & 7, Tag.EMPTY);
  if (i.sub !== 0) {
    x.setTag(x.top, Tag.EMPTY);
    x.top = (x.top + 1) & 7;
  }
  commit(c, i);
}

/** FINCSTP (`sub` 1) and FDECSTP (`sub` 7): rotate TOP without touching tags; C1 = 0. */
export function fincdecstp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  e.setCC(SW.C1, false);
  x.top = (x.top + i.sub) & 7;
  commit(c, i);
}

// ------------------------------------------------------------------------------ environment and state

/** The 16-bit layouts need a 66 prefix without REX.W (which makes the operand size 64, i.e. not 16). */
function isSmall(i: Insn): boolean {
  return i.osz && (i.rex & 8) === 0;
}

function envSize(i: Insn): number {
  return isSmall(i) ? 14 : 28;
}

function storeEnvironment(c: Cpu, la: number, small: boolean): void {
  const x = c.x87;
  const tw = x.fullTagWord();
  if (small) {
    c.wr16(la, x.fcw);
    c.wr16(la + 2, x.statusWord);
    c.wr16(la + 4, tw);
    c.wr16(la + 6, x.fip & 0xffff);
    c.wr16(la + 8, x.fcs);
    c.wr16(la + 10, x.fdp & 0xffff);
    c.wr16(la + 12, x.fds);
    return;
  }
  c.wr32(la, 0xffff0000 | x.fcw);
  c.wr32(la + 4, 0xffff0000 | x.statusWord);
  c.wr32(la + 8, 0xffff0000 | tw);
  c.wr32(la + 12, x.fip | 0);
  c.wr32(la + 16, (x.fcs & 0xffff) | ((x.fop & 0x7ff) << 16));
  c.wr32(la + 20, x.fdp | 0);
  c.wr32(la + 24, 0xffff0000 | x.fds);
}

/** An environment read from memory, applied only once everything has been read. */
interface Environment {
  fcw: number;
  fsw: number;
  ftw: number;
  fip: number;
  fcs: number;
  fop: number;
  fdp: number;
  fds: number;
}

function readEnvironment(c: Cpu, la: number, small: boolean): Environment {
  if (small) {
    return {
      fcw: c.rd16(la),
      fsw: c.rd16(la + 2),
      ftw: c.rd16(la + 4),
      fip: c.rd16(la + 6),
      fcs: c.rd16(la + 8),
      fop: 0,
      fdp: c.rd16(la + 10),
      fds: c.rd16(la + 12),
    };
  }
  const csop = c.rd32(la + 16);
  return {
    fcw: c.rd16(la),
    fsw: c.rd16(la + 4),
    ftw: c.rd16(la + 8),
    fip: c.rd32(la + 12) >>> 0,
    fcs: csop & 0xffff,
    fop: (csop >>> 16) & 0x7ff,
    fdp: c.rd32(la + 20) >>> 0,
    fds: c.rd16(la + 24),
  };
}

/** Loads an environment; `regs` (ST(0)..ST(7), 80 bytes) comes with FRSTOR. */
function applyEnvironment(x: X87State, v: Environment, regs: Uint8Array | null): void {
  x.fcw = normalizeCw(v.fcw);
  x.top = (v.fsw >> 11) & 7;
  x.fsw = v.fsw & ~SW.TOP_MASK;
  updateSummary(x);
  if (regs !== null) {
    for (let k = 0; k < 8; k++) x.data.set(regs.subarray(10 * k, 10 * k + 10), ((x.top + k) & 7) * 10);
  }
  // Only "empty or not" is taken from the tag word; the rest follows from the register contents.
  x.ftw = v.ftw & 0xffff;
  x.retag();
  x.fip = v.fip;
  x.fcs = v.fcs;
  x.fop = v.fop;
  x.fdp = v.fdp;
  x.fds = v.fds;
}

/** FNSTENV m14/28byte: stores the environment, then masks all exceptions. */
export function fnstenv(c: Cpu, i: Insn): void {
  const la = c.ea(i);
  c.probeWrite(la, envSize(i));
  storeEnvironment(c, la, isSmall(i));
  const x = c.x87;
  x.fcw |= 0x3f;
  updateSummary(x);
}

/** FLDENV m14/28byte. */
export function fldenv(c: Cpu, i: Insn): void {
  checkPending(c);
  const la = c.ea(i);
  const v = readEnvironment(c, la, isSmall(i));
  applyEnvironment(c.x87, v, null);
}

/** FNSAVE m94/108byte: stores the environment and the registers, then initializes like FNINIT. */
export function fnsave(c: Cpu, i: Insn): void {
  const la = c.ea(i);
  const size = envSize(i);
  c.probeWrite(la, size + 80);
  storeEnvironment(c, la, isSmall(i));
  const x = c.x87;
  for (let k = 0; k < 8; k++) {
    const p = ((x.top + k) & 7) * 10;
    for (let b = 0; b < 10; b++) c.wr8(la + size + 10 * k + b, x.data[p + b] as number);
  }
  initialize(x);
}

/** FRSTOR m94/108byte. */
export function frstor(c: Cpu, i: Insn): void {
  checkPending(c);
  const la = c.ea(i);
  const size = envSize(i);
  const v = readEnvironment(c, la, isSmall(i));
  const regs = c.readBytes(la + size, 80);
  applyEnvironment(c.x87, v, regs);
}
