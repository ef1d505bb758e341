/**
 * Architectural exceptions raised while executing guest code.
 *
 * Handlers throw a GuestFault; the run loop catches it, rewinds RIP to the faulting instruction and returns
 * an `exception` exit, so the host can fix the cause and resume with the instruction restarted.
 */
export const Vector = {
  DE: 0, // divide error
  DB: 1,
  BP: 3, // int3
  OF: 4,
  BR: 5,
  UD: 6, // invalid opcode
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12, // stack-segment fault (non-canonical stack address)
  GP: 13, // general protection
  PF: 14, // page fault
  MF: 16, // x87 floating-point error
  AC: 17,
  MC: 18,
  XM: 19, // SIMD floating-point exception
} as const;

export const VECTOR_NAMES: Record<number, string> = {
  0: '#DE',
  1: '#DB',
  3: '#BP',
  4: '#OF',
  5: '#BR',
  6: '#UD',
  7: '#NM',
  8: '#DF',
  10: '#TS',
  11: '#NP',
  12: '#SS',
  13: '#GP',
  14: '#PF',
  16: '#MF',
  17: '#AC',
  18: '#MC',
  19: '#XM',
};

/** Page-fault error code bits (Intel SDM vol. 3, 4.7). */
export const PfError = {
  PRESENT: 1, // 0: not present; 1: protection violation
  WRITE: 2,
  USER: 4,
  RSVD: 8, // a reserved bit was set in a paging entry (or the frame lies outside physical memory)
  FETCH: 16, // instruction fetch
} as const;

export class GuestFault {
  constructor(
    readonly vector: number,
    readonly errorCode = 0,
    /** Faulting linear address for #PF (as a bigint so upper-half addresses are exact). */
    readonly cr2: bigint = 0n,
    /** Why, for people reading traces: never parsed. */
    readonly detail = '',
  ) {}

  toString(): string {
    const name = VECTOR_NAMES[this.vector] ?? `vector ${this.vector}`;
    const extra = this.vector === Vector.PF ? ` at 0x${this.cr2.toString(16)}` : '';
    return `${name}(${this.errorCode})${extra}${this.detail ? `: ${this.detail}` : ''}`;
  }
}

/** Converts a linear address held as a signed double (canonical range) to its unsigned 64-bit value. */
export function linearToBigInt(la: number): bigint {
  return BigInt.asUintN(64, BigInt(la));
}
