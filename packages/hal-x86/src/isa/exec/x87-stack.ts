/**
 * The x87 register stack as the instruction handlers see it, and the frame every x87 instruction runs in.
 *
 * ST(i) is physical register (TOP + i) mod 8. Registers are kept as 10-byte images in X87State.data;
 * handlers read them as words (F80Parts) with `readSt` for the fast paths of src/fpu, or as Float80 values
 * with `st` for the general ones, and write them back with `writeSt` / `setSt`, which also update the tag.
 * Pushing decrements TOP, popping marks ST(0) empty and increments TOP.
 *
 * An instruction runs as: `begin` (a waiting instruction first raises #MF if an unmasked exception is
 * pending, i.e. ES is set), read memory operands, compute against the scratch environment `env`, write
 * memory, update registers, then `commit` (status word back into the state, and for non-control
 * instructions the FPU instruction pointer, opcode and data pointer). Nothing architectural changes before
 * the memory accesses are done, so a #PF leaves the FPU as it was and the instruction can be restarted.
 */
import type { Cpu } from '../../cpu/cpu';
import { GuestFault, Vector } from '../../cpu/fault';
import { F80Parts, type Float80, f80ToParts, partsToF80, SW, U64Pair, X87Env } from '../../fpu';
import type { Insn } from '../insn';
import { Tag, X87_CODE_SELECTOR, type X87State } from './x87-state';

/** Scratch environment of the instruction being executed (handlers never nest). */
export const env = new X87Env();

/** Scratch operands and result of the instruction being executed, in word form. */
export const opA = new F80Parts();
export const opB = new F80Parts();
export const result = new F80Parts();
/** Scratch 64-bit memory image of a fast store. */
export const stored = new U64Pair();

/** #MF when an unmasked exception is pending: what every waiting x87 instruction (and FWAIT) checks first. */
export function checkPending(c: Cpu): void {
  if ((c.x87.fsw & SW.ES) !== 0) throw new GuestFault(Vector.MF, 0, 0n, 'pending unmasked x87 exception');
}

/** Starts a waiting instruction: checks for #MF and loads the scratch environment. */
export function begin(c: Cpu): X87Env {
  const x = c.x87;
  if ((x.fsw & SW.ES) !== 0) throw new GuestFault(Vector.MF, 0, 0n, 'pending unmasked x87 exception');
  env.cw = x.fcw;
  env.sw = x.fsw;
  env.suppressed = false;
  return env;
}

/** The modrm byte of the instruction (for FOP); memory forms are reconstructed from the decoded operand. */
function modrmByte(i: Insn): number {
  let rm: number;
  if (i.mod === 3) rm = i.rm & 7;
  else if (i.ripRelative) rm = 5;
  else if (i.index >= 0 || i.base < 0 || (i.base & 7) === 4)
    rm = 4; // a SIB byte follows
  else rm = i.base & 7;
  return (i.mod << 6) | ((i.reg & 7) << 3) | rm;
}

/** Ends a non-control instruction without a memory operand. */
export function commit(c: Cpu, i: Insn): void {
  const x = c.x87;
  x.fsw = env.sw & ~SW.TOP_MASK;
  x.fip = i.addr;
  x.fcs = X87_CODE_SELECTOR;
  x.fop = ((i.def.opcode & 7) << 8) | modrmByte(i);
}

/** Ends a non-control instruction whose memory operand was at linear address `la`. */
export function commitMem(c: Cpu, i: Insn, la: number): void {
  commit(c, i);
  c.x87.fdp = la;
  c.x87.fds = 0;
}

// ------------------------------------------------------------------------------- register stack

export function isEmpty(x: X87State, i: number): boolean {
  return x.tag((x.top + i) & 7) === Tag.EMPTY;
}

/** Reads ST(i) as words into `out` (whatever the register holds, even when tagged empty). */
export function readSt(x: X87State, i: number, out: F80Parts): F80Parts {
  x.readRegister((x.top + i) & 7, out);
  return out;
}

/** Writes ST(i) from words and tags it from its contents. */
export function writeSt(x: X87State, i: number, v: F80Parts): void {
  x.writeRegister((x.top + i) & 7, v.signExp, v.hi, v.lo);
}

const stScratch = new F80Parts();

/** ST(i) as a value (whatever the register holds, even when tagged empty). */
export function st(x: X87State, i: number): Float80 {
  return partsToF80(readSt(x, i, stScratch));
}

/** Writes ST(i) and tags it from its contents. */
export function setSt(x: X87State, i: number, v: Float80): void {
  writeSt(x, i, f80ToParts(v, stScratch));
}

/** Whether a push would overflow: ST(7), the register that becomes ST(0), is in use. */
export function isFull(x: X87State): boolean {
  return x.tag((x.top + 7) & 7) !== Tag.EMPTY;
}

export function push(x: X87State, v: Float80): void {
  x.top = (x.top + 7) & 7;
  setSt(x, 0, v);
}

/** Pushes a value given as words. */
export function pushParts(x: X87State, v: F80Parts): void {
  x.top = (x.top + 7) & 7;
  writeSt(x, 0, v);
}

export function pop(x: X87State): void {
  x.setTag(x.top, Tag.EMPTY);
  x.top = (x.top + 1) & 7;
}

// ------------------------------------------------------------------------------- memory operands

const MASK32 = 0xffffffffn;

/** The unsigned 64-bit value of two 32-bit halves (signed or not, as rd64 returns them). */
export function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Reads 8 bytes as an unsigned bigint. */
export function rdU64(c: Cpu, la: number): bigint {
  const lo = c.rd64(la);
  return u64(lo, c.hi);
}

export function wrU64(c: Cpu, la: number, v: bigint): void {
  c.wr64(la, Number(v & MASK32) | 0, Number((v >> 32n) & MASK32) | 0);
}

/** Reads a 10-byte extended real (or packed BCD) as its 80-bit pattern: significand | sign/exponent << 64. */
export function rdU80(c: Cpu, la: number): bigint {
  const lo = rdU64(c, la);
  return lo | (BigInt(c.rd16(la + 8)) << 64n);
}

/** Writes a 10-byte pattern; checks both pages first so a fault cannot leave half of it written. */
export function wrU80(c: Cpu, la: number, v: bigint): void {
  c.probeWrite(la, 10);
  wrU64(c, la, v & 0xffffffffffffffffn);
  c.wr16(la + 8, Number(v >> 64n) & 0xffff);
}

export function f80ToBits(v: Float80): bigint {
  return (BigInt(((v.sign & 1) << 15) | (v.exp & 0x7fff)) << 64n) | v.sig;
}
