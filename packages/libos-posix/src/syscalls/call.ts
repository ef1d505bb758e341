/**
 * One system call as its handler sees it: the calling process, the registers (number in RAX, arguments
 * in RDI RSI RDX R10 R8 R9), typed accessors for the arguments, and the system it runs in.
 *
 * A handler returns the result for RAX (negative errno values are thrown as `SyscallError` instead), a
 * `Blocked` when the call must wait (the process is parked and the call restarted later), or
 * `NO_RETURN` when it set the registers itself (execve) or the process is gone (exit).
 */
import type { CpuContext } from '@exov6/hal-x86';
import type { Blocked } from '../files/open-file';
import type { Process } from '../process/process';
import type { PosixSystem } from '../posix-system';

export const NO_RETURN = Symbol('no return');

export type SyscallResult = number | Blocked | typeof NO_RETURN;

export type SyscallHandler = (call: Call) => SyscallResult;

/** Argument registers in order: RDI, RSI, RDX, R10, R8, R9. */
const ARG_REGS = [7, 6, 2, 10, 8, 9] as const;

export class Call {
  constructor(
    readonly system: PosixSystem,
    readonly process: Process,
    readonly regs: CpuContext,
    readonly number: number,
  ) {}

  /** Argument `k` as a signed 64-bit value (exact below 2^53, which covers addresses and sizes). */
  arg(k: number): number {
    return Number(BigInt.asIntN(64, this.regs.getReg(ARG_REGS[k] as number)));
  }

  /** Argument `k` as a C int (the low 32 bits, signed): fds, flags, modes. */
  int(k: number): number {
    return Number(BigInt.asIntN(32, this.regs.getReg(ARG_REGS[k] as number)));
  }

  /** Argument `k` as an unsigned 32-bit value. */
  u32(k: number): number {
    return Number(BigInt.asUintN(32, this.regs.getReg(ARG_REGS[k] as number)));
  }

  /** Argument `k` as a raw 64-bit value. */
  raw(k: number): bigint {
    return BigInt.asUintN(64, this.regs.getReg(ARG_REGS[k] as number));
  }

  get memory() {
    return this.process.memory;
  }

  /** A path argument (NUL-terminated string in guest memory). */
  path(k: number): string {
    return this.memory.readCString(this.arg(k), 4096);
  }
}
