/**
 * Instructions that talk to the host or describe the machine: SYSCALL, CPUID, RDTSC, HLT, INT3/INT n,
 * flag manipulation (CLC STC CMC CLD STD LAHF SAHF), fences and hints (NOP, PAUSE, PREFETCH, LFENCE...).
 */
import { Flag } from '../../cpu/flags';
import { GuestFault, Vector } from '../../cpu/fault';
import type { Handler } from '../opdef';
import { cpuidLeaf } from '../../cpu/cpuid';

export const nop: Handler = () => {};

/**
 * SYSCALL: RCX = return RIP, R11 = RFLAGS (as the hardware does), then exit to the host, unless the host's
 * `syscallHook` handles the call on the live registers (execution then goes on at the next instruction).
 */
export const syscall: Handler = (c) => {
  c.setRegNum(1, c.rip);
  c.setRegSized(11, 8, c.rflags, 0);
  if (c.syscallHook !== null && c.syscallHook(c)) return;
  c.pendingExit = SYSCALL_EXIT;
  c.stop = true;
};
const SYSCALL_EXIT = { kind: 'syscall' } as const;

export const cpuid: Handler = (c) => {
  const g = c.regs;
  const [a, b, cc, d] = cpuidLeaf(g[0] as number, g[2] as number);
  c.setRegSized(0, 4, a, 0);
  c.setRegSized(3, 4, b, 0);
  c.setRegSized(1, 4, cc, 0);
  c.setRegSized(2, 4, d, 0);
};

/** RDTSC: the virtual time-stamp counter, which advances with retired instructions. */
export const rdtsc: Handler = (c) => {
  const t = c.tsc;
  c.setRegSized(0, 4, Number(t & 0xffffffffn) | 0, 0);
  c.setRegSized(2, 4, Number((t >> 32n) & 0xffffffffn) | 0, 0);
};

/** HLT: privileged. At CPL 3 it is #GP(0); at CPL 0 the vCPU exits with `hlt`. */
export const hlt: Handler = (c) => {
  if (c.cpl !== 0) throw new GuestFault(Vector.GP, 0, 0n, 'hlt at CPL 3');
  c.pendingExit = { kind: 'hlt' };
  c.stop = true;
};

/** Privileged instructions (INS, OUTS, and CLI/STI/IN/OUT at CPL 3) raise #GP(0). */
export const privileged: Handler = (c, i) => {
  if (c.cpl !== 0) throw new GuestFault(Vector.GP, 0, 0n, `${i.def.mnemonic} is privileged`);
  throw new GuestFault(Vector.UD, 0, 0n, `${i.def.mnemonic} is not modelled at CPL 0`);
};

/** INT3 and INT n are traps: reported after the instruction, with RIP pointing past it. */
export const int3: Handler = (c) => {
  c.pendingExit = { kind: 'exception', vector: Vector.BP, errorCode: 0, cr2: 0n, detail: 'int3' };
  c.stop = true;
};

export const intN: Handler = (c, i) => {
  // With no IDT to consult, a user-mode INT n is a #GP on the IDT gate (error code: vector*8+2).
  const v = i.imm & 0xff;
  throw new GuestFault(Vector.GP, v * 8 + 2, 0n, `int 0x${v.toString(16)}`);
};

export const clc: Handler = (c) => c.setArith(c.materialize() & ~Flag.CF);
export const stc: Handler = (c) => c.setArith(c.materialize() | Flag.CF);
export const cmc: Handler = (c) => c.setArith(c.materialize() ^ Flag.CF);
export const cld: Handler = (c) => {
  c.fother &= ~Flag.DF;
};
export const std: Handler = (c) => {
  c.fother |= Flag.DF;
};

/** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF */
export const lahf: Handler = (c) => {
  const f = (c.arithFlags() & 0xd5) | 2;
  c.setRegSized(16, 1, f, 0);
};

/** SAHF: loads SF ZF AF PF CF from AH */
export const sahf: Handler = (c) => {
  const ah = c.getRegSized(16, 1);
  c.setArith((c.materialize() & ~0xd5) | (ah & 0xd5));
};

function requireCpl0(c: Parameters<Handler>[0], mnemonic: string): void {
  if (c.cpl !== 0) throw new GuestFault(Vector.GP, 0, 0n, `${mnemonic} is privileged`);
}

/** Width of IN/OUT: byte for the even opcodes, else 16 or 32 bits (REX.W does not widen port I/O). */
function portWidth(i: Parameters<Handler>[1]): 1 | 2 | 4 {
  return (i.def.opcode & 1) === 0 ? 1 : i.osz ? 2 : 4;
}

/** The port: an immediate byte (E4-E7) or DX (EC-EF). */
function portNumber(c: Parameters<Handler>[0], i: Parameters<Handler>[1]): number {
  // DX is the low half of RDX: register r is the int32 pair regs[2r], regs[2r + 1].
  return i.def.opcode < 0xe8 ? i.imm & 0xff : (c.regs[4] as number) & 0xffff;
}

/** IN: at CPL 0 reads a device register through the CPU's port bus (all ones when none is attached). */
export const portIn: Handler = (c, i) => {
  requireCpl0(c, 'in');
  const width = portWidth(i);
  const value = c.ports === null ? 0xffffffff : c.ports.read(portNumber(c, i), width);
  // IN AL/AX keep the rest of RAX; IN EAX zero-extends like any 32-bit write.
  c.setRegSized(0, width, width === 4 ? value | 0 : value, 0);
};

/** OUT: at CPL 0 writes a device register through the CPU's port bus. */
export const portOut: Handler = (c, i) => {
  requireCpl0(c, 'out');
  const width = portWidth(i);
  const mask = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  c.ports?.write(portNumber(c, i), width, ((c.regs[0] as number) & mask) >>> 0);
};

/** CLI/STI at CPL 0. STI's one-instruction interrupt shadow is not modelled: delivery waits for a block end. */
export const cli: Handler = (c) => {
  requireCpl0(c, 'cli');
  c.fother &= ~Flag.IF;
};

export const sti: Handler = (c) => {
  requireCpl0(c, 'sti');
  c.fother |= Flag.IF;
  // End the block so a pending interrupt is seen at once.
  c.stop = true;
};
