/**
 * The x87 register stack as the instruction handlers see it, and the frame every x87 instruction runs in.
 *
 * ST(i) is physical register (TOP + i) mod 8. Registers are kept as 10-byte images in X87State.data;
 * handlers read them as Float80 values (src/fpu) and write them back with `setSt`, which also updates the
 * tag. Pushing decrements TOP, popping marks ST(0) empty and increments TOP.
 *
 * An instruction runs as: `begin` (a waiting instruction first raises #MF if an unmasked exception is
 * pending, i.e. ES is set), read memory operands, compute against the scratch environment `env`, write
 * memory, update registers, then `commit` (status word back into the state, and for non-control
 * instructions the FPU instruction pointer, opcode and data pointer). Nothing architectural changes before
 * the memory accesses are done, so a #PF leaves the FPU as it was and the instruction can be restarted.
 */
import type { Cpu } from '../../cpu/cpu';
import { GuestFault, Vector } from '../../cpu/fault';
import { type Float80, makeF80, packF80, SW, unpackF80, X87Env } from '../../fpu';
import type { Insn } from '../insn';
import { Tag, tagOfBytes, X87_CODE_SELECTOR, type X87State } from './x87-state';

/** Scratch environment of the instruction being executed (handlers never nest). */
export const env = new X87Env();

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

/** ST(i) as a value (whatever the register holds, even when tagged empty). */
export function st(x: X87State, i: number): Float80 {
  return unpackF80(x.data, ((x.top + i) & 7) * 10);
}

/** Writes ST(i) and tags it from its contents. */
export function setSt(x: X87State, i: number, v: Float80): void {
  const p = (x.top + i) & 7;
  packF80(v, x.data, p * 10);
  x.setTag(p, tagOfBytes(x.data, p * 10));
}

/** Whether a push would overflow: ST(7), the register that becomes ST(0), is in use. */
export function isFull(x: X87State): boolean {
  return x.tag((x.top + 7) & 7) !== Tag.EMPTY;
}

export function push(x: X87State, v: Float80): void {
  x.top = (x.top + 7) & 7;
  setSt(x, 0, v);
}

export function pop(x: X87State): void {
  x.setTag(x.top, Tag.EMPTY);
  x.top = (x.top + 1) & 7;
}

// ------------------------------------------------------------------------------- memory operands

const MASK32 = 0xffffffffn;

/** Reads 8 bytes as an unsigned bigint. */
export function rdU64(c: Cpu, la: number): bigint {
  const lo = c.rd64(la);
  return (BigInt(c.hi >>> 0) << 32n) | BigInt(lo >>> 0);
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

export function f80FromBits(v: bigint): Float80 {
  const se = Number(v >> 64n) & 0xffff;
  return makeF80(se >> 15, se & 0x7fff, v & 0xffffffffffffffffn);
}

export function f80ToBits(v: Float80): bigint {
  return (BigInt(((v.sign & 1) << 15) | (v.exp & 0x7fff)) << 64n) | v.sig;
}
