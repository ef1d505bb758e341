/**
 * A library OS's fast path: a `syscall` it can answer at once (no waiting, nothing but its own books
 * and the caller's memory through its frames) is handed to its `fastSyscall` handler inside the vCPU's
 * run loop, on the live registers, as the kernel serves its own simple primitives: no exit from the
 * vCPU, no context saved and loaded. The handler declines (returns false) for anything else, and the
 * call takes the ordinary `syscall` upcall.
 */

/** Argument registers in order: RDI, RSI, RDX, R10, R8, R9. */
const ARG_REGS = [7, 6, 2, 10, 8, 9] as const;

/** The call as the fast handler sees it: number, arguments, and where its result goes. */
export class LiveSyscall {
  /** RAX when the call was made (the call number). */
  number = 0;
  private regs: Int32Array = new Int32Array(32);

  /** Points this view at a vCPU's register file (lo/hi int32 pairs) for one call. */
  attach(regs: Int32Array): this {
    this.regs = regs;
    this.number = (regs[1] as number) === 0 ? (regs[0] as number) : -1;
    return this;
  }

  /** Argument k (0..5) as a signed 64-bit value (exact within +-2^53). */
  arg(k: number): number {
    const r = ARG_REGS[k] as number;
    return (this.regs[2 * r + 1] as number) * 4294967296 + ((this.regs[2 * r] as number) >>> 0);
  }

  /** RAX := value (a safe integer; negative values are errno results). */
  setResult(value: number): void {
    const low = value % 4294967296;
    this.regs[0] = low | 0;
    this.regs[1] = Math.floor(value / 4294967296) | 0;
  }
}
