/**
 * x87 control word, status word and the environment object every operation
 * works against (SDM vol. 1, 8.1.3, 8.1.5, 8.5).
 *
 * Operations read `env.cw` (precision control, rounding control, exception
 * masks) and OR exception flags into `env.sw`.  An exception whose mask bit is
 * clear additionally sets ES and B in `env.sw` (the "pending" summary that makes
 * the next waiting x87 instruction raise #MF) and, where the SDM says the
 * operation then leaves its destination unchanged (invalid operation, denormal
 * operand, divide by zero; overflow/underflow of a store to memory), sets
 * `env.suppressed` so the CPU knows not to write the returned value and not to
 * adjust the stack.  Unmasked overflow/underflow on register results deliver the
 * exponent-bias-adjusted value as the SDM specifies.
 */

/** Control-word bits. */
export const CW = {
  IM: 0x0001,
  DM: 0x0002,
  ZM: 0x0004,
  OM: 0x0008,
  UM: 0x0010,
  PM: 0x0020,
  /** All six exception masks. */
  MASK_ALL: 0x003f,
  PC_MASK: 0x0300,
  PC_SHIFT: 8,
  RC_MASK: 0x0c00,
  RC_SHIFT: 10,
  /** Infinity control (ignored since the 387, kept for FSTCW round-trips). */
  X: 0x1000,
  /** FNINIT value. */
  DEFAULT: 0x037f,
} as const;

/** Status-word bits. */
export const SW = {
  IE: 0x0001,
  DE: 0x0002,
  ZE: 0x0004,
  OE: 0x0008,
  UE: 0x0010,
  PE: 0x0020,
  SF: 0x0040,
  ES: 0x0080,
  C0: 0x0100,
  C1: 0x0200,
  C2: 0x0400,
  TOP_MASK: 0x3800,
  TOP_SHIFT: 11,
  C3: 0x4000,
  B: 0x8000,
  /** The six exception flags. */
  EXC_MASK: 0x003f,
  /** C0..C3. */
  CC_MASK: 0x4700,
} as const;

/** Rounding-control values (CW bits 11:10). */
export const RC = { NEAREST: 0, DOWN: 1, UP: 2, ZERO: 3 } as const;
export type RoundingMode = 0 | 1 | 2 | 3;

/** Precision-control values (CW bits 9:8). 1 is reserved; the host CPU treats it as 64 bits. */
export const PC = { SINGLE: 0, RESERVED: 1, DOUBLE: 2, EXTENDED: 3 } as const;

export type PrecisionBits = 24 | 53 | 64;

export function roundingMode(cw: number): RoundingMode {
  return ((cw >> CW.RC_SHIFT) & 3) as RoundingMode;
}

/** Significand precision selected by the PC field. */
export function precisionBits(cw: number): PrecisionBits {
  const pc = (cw >> CW.PC_SHIFT) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

export class X87Env {
  /** Control word (FNINIT: 0x037f). */
  cw: number;
  /** Status word: sticky exception flags, SF, ES, condition codes, TOP, B. */
  sw: number;
  /**
   * Set by the most recent operation when an unmasked exception means the
   * destination must not be written (and the stack must not be popped/pushed).
   * Every operation resets it on entry.
   */
  suppressed = false;

  constructor(cw: number = CW.DEFAULT, sw = 0) {
    this.cw = cw & 0xffff;
    this.sw = sw & 0xffff;
  }

  get rc(): RoundingMode {
    return roundingMode(this.cw);
  }

  get precision(): PrecisionBits {
    return precisionBits(this.cw);
  }

  /** Exceptions flags (IE..PE) currently set. */
  get flags(): number {
    return this.sw & SW.EXC_MASK;
  }

  /** True when an unmasked exception is pending (ES set): the next waiting x87 instruction raises #MF. */
  get pending(): boolean {
    return (this.sw & SW.ES) !== 0;
  }

  isMasked(flag: number): boolean {
    return (this.cw & flag & CW.MASK_ALL) !== 0;
  }

  /** Start of an operation. */
  begin(): void {
    this.suppressed = false;
  }

  /**
   * Record exception flag(s).  Returns true when every raised flag is masked.
   * Unmasked ones set ES/B.
   */
  raise(flags: number): boolean {
    flags &= SW.EXC_MASK | SW.SF;
    this.sw |= flags;
    const unmasked = flags & SW.EXC_MASK & ~this.cw;
    if (unmasked) {
      this.sw |= SW.ES | SW.B;
      return false;
    }
    return true;
  }

  /** Set or clear one condition-code bit (C0, C1, C2, C3). */
  setCC(bit: number, on: boolean): void {
    if (on) this.sw |= bit;
    else this.sw &= ~bit;
  }

  /** Set C3, C2, C1, C0 at once from booleans. */
  setCCs(c3: boolean, c2: boolean, c1: boolean, c0: boolean): void {
    this.sw =
      (this.sw & ~SW.CC_MASK) | (c3 ? SW.C3 : 0) | (c2 ? SW.C2 : 0) | (c1 ? SW.C1 : 0) | (c0 ? SW.C0 : 0);
  }

  /** FNCLEX. */
  clearExceptions(): void {
    this.sw &= ~(SW.EXC_MASK | SW.SF | SW.ES | SW.B);
  }

  /**
   * FLDCW: loading a control word that unmasks an already-flagged exception makes
   * it pending (ES/B are recomputed from flags and masks).
   */
  loadControlWord(cw: number): void {
    this.cw = cw & 0xffff;
    this.recomputeSummary();
  }

  /** Recompute ES/B from the flags and masks (FLDCW, FLDENV, FRSTOR). */
  recomputeSummary(): void {
    if (this.sw & SW.EXC_MASK & ~this.cw) this.sw |= SW.ES | SW.B;
    else this.sw &= ~(SW.ES | SW.B);
  }

  /** FNINIT (without the tag word, which belongs to the register stack). */
  reset(): void {
    this.cw = CW.DEFAULT;
    this.sw = 0;
    this.suppressed = false;
  }
}
