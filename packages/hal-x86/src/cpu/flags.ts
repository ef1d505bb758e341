/**
 * RFLAGS with lazily evaluated arithmetic flags.
 *
 * Most instructions that write CF/PF/AF/ZF/SF/OF have their flags overwritten before anyone reads them, so
 * ALU operations only record the operation, operand size, operands and result; the six flags are computed
 * when a Jcc/SETcc/CMOVcc, PUSHF or similar asks. Values of 8- and 16-bit operations are kept masked and
 * unsigned, 32-bit ones as int32, and 64-bit ones as int32 lo/hi pairs.
 */
export const Flag = {
  CF: 1 << 0,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  NT: 1 << 14,
  AC: 1 << 18,
  ID: 1 << 21,
} as const;

export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;
/** Flags a CPL-3 POPF may change (IOPL, IF, VM, RF... are kept). */
export const USER_WRITABLE_FLAGS = ARITH_FLAGS | Flag.TF | Flag.DF | Flag.NT | Flag.AC | Flag.ID;

/** What the lazy-flag record describes. */
export const FlagOp = {
  CONCRETE: 0, // `fval` holds the six flags
  ADD: 1,
  ADC: 2,
  SUB: 3, // also CMP and NEG (as 0 - x)
  SBB: 4,
  LOGIC: 5, // AND/OR/XOR/TEST: CF=OF=0
  INC: 6, // like ADD with b=1, CF preserved in fcf
  DEC: 7, // like SUB with b=1, CF preserved in fcf
  IMUL: 8, // truncating signed multiply: CF=OF=the product did not fit; computed only when asked
  // 32/64-bit shifts by a count of 1..size-1 (fa = the value shifted, fb = the count). AF is undefined
  // after a shift and reads as 0; OF follows the 1-bit formula for every count (vendors differ there).
  SHL: 9,
  SHR: 10,
  SAR: 11,
} as const;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b; b >>= 1) bits += b & 1;
  PARITY[i] = bits % 2 === 0 ? Flag.PF : 0;
}
export { PARITY };

export class LazyFlags {
  fop: number = FlagOp.CONCRETE;
  fsz = 4;
  fres = 0;
  fresHi = 0;
  fa = 0;
  faHi = 0;
  fb = 0;
  fbHi = 0;
  /** Carry-in of ADC/SBB, or the preserved CF of INC/DEC. */
  fcf = 0;
  /** The six arithmetic flags when fop is CONCRETE. */
  fval = 0;
  /** Every non-arithmetic RFLAGS bit (bit 1 always set; IF set for user mode). */
  fother = 0x202;

  /** Records a flag-setting operation; b is the second operand. */
  setLazy(
    op: number,
    size: number,
    res: number,
    resHi: number,
    a: number,
    aHi: number,
    b: number,
    bHi: number,
  ): void {
    this.fop = op;
    this.fsz = size;
    this.fres = res;
    this.fresHi = resHi;
    this.fa = a;
    this.faHi = aHi;
    this.fb = b;
    this.fbHi = bHi;
  }

  /** Sets the six arithmetic flags to explicit values. */
  setArith(bits: number): void {
    this.fop = FlagOp.CONCRETE;
    this.fval = bits & ARITH_FLAGS;
  }

  private signOf(lo: number, hi: number): boolean {
    switch (this.fsz) {
      case 1:
        return (lo & 0x80) !== 0;
      case 2:
        return (lo & 0x8000) !== 0;
      case 4:
        return lo < 0;
      default:
        return hi < 0;
    }
  }

  /** Unsigned a < b at the recorded size. */
  private below(a: number, aHi: number, b: number, bHi: number): boolean {
    if (this.fsz === 8) {
      const ah = aHi >>> 0;
      const bh = bHi >>> 0;
      return ah < bh || (ah === bh && a >>> 0 < b >>> 0);
    }
    return a >>> 0 < b >>> 0;
  }

  private eq(a: number, aHi: number, b: number, bHi: number): boolean {
    return this.fsz === 8 ? a === b && aHi === bHi : a >>> 0 === b >>> 0;
  }

  get cf(): boolean {
    switch (this.fop) {
      case FlagOp.CONCRETE:
        return (this.fval & Flag.CF) !== 0;
      case FlagOp.ADD:
        return this.below(this.fres, this.fresHi, this.fa, this.faHi);
      case FlagOp.ADC:
        return this.fcf
          ? !this.below(this.fa, this.faHi, this.fres, this.fresHi) // res <= a
          : this.below(this.fres, this.fresHi, this.fa, this.faHi);
      case FlagOp.SUB:
        return this.below(this.fa, this.faHi, this.fb, this.fbHi);
      case FlagOp.SBB:
        return this.fcf
          ? !this.below(this.fb, this.fbHi, this.fa, this.faHi) // a <= b
          : this.below(this.fa, this.faHi, this.fb, this.fbHi);
      case FlagOp.LOGIC:
        return false;
      case FlagOp.IMUL:
        return this.imulOverflow();
      case FlagOp.SHL:
        return this.bitOfA(this.fsz * 8 - this.fb);
      case FlagOp.SHR:
      case FlagOp.SAR:
        return this.bitOfA(this.fb - 1);
      default:
        return this.fcf !== 0; // INC/DEC
    }
  }

  /** Bit k of the recorded first operand (a 32-bit value or a 64-bit lo/hi pair). */
  private bitOfA(k: number): boolean {
    return (k >= 32 ? (this.faHi >>> (k - 32)) & 1 : (this.fa >>> k) & 1) !== 0;
  }

  /** Whether the recorded signed product a*b overflowed the operand size (a rare question: BigInt). */
  private imulOverflow(): boolean {
    const bits = this.fsz * 8;
    const a = BigInt.asIntN(bits, (BigInt(this.faHi) << 32n) | BigInt(this.fa >>> 0));
    const b = BigInt.asIntN(bits, (BigInt(this.fbHi) << 32n) | BigInt(this.fb >>> 0));
    const p = a * b;
    return BigInt.asIntN(bits, p) !== p;
  }

  get zf(): boolean {
    if (this.fop === FlagOp.CONCRETE) return (this.fval & Flag.ZF) !== 0;
    return this.fsz === 8 ? this.fres === 0 && this.fresHi === 0 : this.fres === 0;
  }

  get sf(): boolean {
    if (this.fop === FlagOp.CONCRETE) return (this.fval & Flag.SF) !== 0;
    return this.signOf(this.fres, this.fresHi);
  }

  get pf(): boolean {
    if (this.fop === FlagOp.CONCRETE) return (this.fval & Flag.PF) !== 0;
    return PARITY[this.fres & 0xff] !== 0;
  }

  get af(): boolean {
    switch (this.fop) {
      case FlagOp.CONCRETE:
        return (this.fval & Flag.AF) !== 0;
      case FlagOp.LOGIC:
      case FlagOp.IMUL:
      case FlagOp.SHL:
      case FlagOp.SHR:
      case FlagOp.SAR:
        return false;
      default:
        return ((this.fa ^ this.fb ^ this.fres) & 0x10) !== 0;
    }
  }

  get of(): boolean {
    switch (this.fop) {
      case FlagOp.CONCRETE:
        return (this.fval & Flag.OF) !== 0;
      case FlagOp.ADD:
      case FlagOp.ADC:
      case FlagOp.INC:
        return this.addOverflow();
      case FlagOp.SUB:
      case FlagOp.SBB:
      case FlagOp.DEC:
        return this.subOverflow();
      case FlagOp.IMUL:
        return this.imulOverflow();
      case FlagOp.SHL:
        return this.signOf(this.fres, this.fresHi) !== this.cf;
      case FlagOp.SHR:
        return this.signOf(this.fa, this.faHi);
      default:
        return false; // LOGIC, SAR
    }
  }

  /** The six arithmetic flags as RFLAGS bits. */
  arithFlags(): number {
    const op = this.fop;
    if (op === FlagOp.CONCRETE) return this.fval;
    // The operations most often pending when all six are asked for (SYSCALL copies RFLAGS into R11 on
    // every system call): ZF, SF and PF from the result, CF, AF and OF by one test each, not six getters.
    if (op === FlagOp.LOGIC) return this.resultFlags();
    const add = op === FlagOp.ADD || op === FlagOp.INC;
    if (add || op === FlagOp.SUB || op === FlagOp.DEC) {
      // (INC and DEC keep the carry they found; ADD and SUB produce one. AF as in the `af` getter.)
      const carry =
        op === FlagOp.ADD
          ? this.below(this.fres, this.fresHi, this.fa, this.faHi)
          : op === FlagOp.SUB
            ? this.below(this.fa, this.faHi, this.fb, this.fbHi)
            : this.fcf !== 0;
      return (
        this.resultFlags() |
        (carry ? Flag.CF : 0) |
        (((this.fa ^ this.fb ^ this.fres) & 0x10) !== 0 ? Flag.AF : 0) |
        ((add ? this.addOverflow() : this.subOverflow()) ? Flag.OF : 0)
      );
    }
    return (
      (this.cf ? Flag.CF : 0) |
      (this.pf ? Flag.PF : 0) |
      (this.af ? Flag.AF : 0) |
      (this.zf ? Flag.ZF : 0) |
      (this.sf ? Flag.SF : 0) |
      (this.of ? Flag.OF : 0)
    );
  }

  /** OF of a pending ADD, ADC or INC: the operands had one sign and the result has the other. */
  private addOverflow(): boolean {
    return this.signOf(
      (this.fa ^ this.fres) & (this.fb ^ this.fres),
      (this.faHi ^ this.fresHi) & (this.fbHi ^ this.fresHi),
    );
  }

  /** OF of a pending SUB, SBB or DEC: the operands' signs differed and the result's is the subtrahend's. */
  private subOverflow(): boolean {
    return this.signOf(
      (this.fa ^ this.fb) & (this.fa ^ this.fres),
      (this.faHi ^ this.fbHi) & (this.faHi ^ this.fresHi),
    );
  }

  /** ZF, SF and PF of the recorded result (pending operations only). */
  private resultFlags(): number {
    const zero = this.fsz === 8 ? this.fres === 0 && this.fresHi === 0 : this.fres === 0;
    return (
      (PARITY[this.fres & 0xff] as number) |
      (zero ? Flag.ZF : 0) |
      (this.signOf(this.fres, this.fresHi) ? Flag.SF : 0)
    );
  }

  /** Turns the lazy record into explicit bits, for instructions that change only some flags. */
  materialize(): number {
    const bits = this.arithFlags();
    this.fop = FlagOp.CONCRETE;
    this.fval = bits;
    return bits;
  }

  get rflags(): number {
    return (this.fother | this.arithFlags() | 2) >>> 0;
  }

  set rflags(value: number) {
    this.fop = FlagOp.CONCRETE;
    this.fval = value & ARITH_FLAGS;
    this.fother = ((value & ~ARITH_FLAGS) | 2) >>> 0;
  }

  /**
   * Evaluates condition code `cc` (0..15: O NO B AE E NE BE A S NS P NP L GE LE G), the low nibble of
   * Jcc/SETcc/CMOVcc opcodes. CMP/SUB results take a direct path that avoids computing unused flags.
   */
  cond(cc: number): boolean {
    let r: boolean;
    if (this.fop === FlagOp.SUB && cc >= 2) {
      switch (cc >> 1) {
        case 1:
          r = this.below(this.fa, this.faHi, this.fb, this.fbHi);
          break;
        case 2:
          r = this.eq(this.fa, this.faHi, this.fb, this.fbHi);
          break;
        case 3:
          r =
            this.below(this.fa, this.faHi, this.fb, this.fbHi) ||
            this.eq(this.fa, this.faHi, this.fb, this.fbHi);
          break;
        case 6:
          r = this.sf !== this.of;
          break;
        case 7:
          r = this.zf || this.sf !== this.of;
          break;
        default:
          r = this.condSlow(cc >> 1);
      }
    } else {
      r = this.condSlow(cc >> 1);
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  private condSlow(c: number): boolean {
    switch (c) {
      case 0:
        return this.of;
      case 1:
        return this.cf;
      case 2:
        return this.zf;
      case 3:
        return this.cf || this.zf;
      case 4:
        return this.sf;
      case 5:
        return this.pf;
      case 6:
        return this.sf !== this.of;
      default:
        return this.zf || this.sf !== this.of;
    }
  }
}
