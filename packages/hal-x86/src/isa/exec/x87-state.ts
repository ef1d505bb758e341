/**
 * Architectural state of the x87 FPU: eight 80-bit data registers (stored in their 10-byte memory format,
 * indexed physically), the control, status and tag words, and the last-instruction pointers that FSTENV
 * and FXSAVE report.
 *
 * The register bytes are the one copy of the registers: FXSAVE/FXRSTOR and FNSAVE/FRSTOR move them as
 * they are, and the instructions read and write them as words (sign/exponent, significand halves; see
 * F80Parts) through `view`, so that moving a value between registers and memory never converts it.
 */
import type { F80Parts } from '../../fpu';

/** Tag values (two bits per physical register in `ftw`). */
export const Tag = { VALID: 0, ZERO: 1, SPECIAL: 2, EMPTY: 3 } as const;

/**
 * The selector FNSTENV/FNSAVE report for the FPU instruction pointer. The CPU models no segment
 * registers; it behaves as if CS held 0x33, the 64-bit user code selector of the usual x86-64 GDT layout,
 * and DS the null selector (so FDS is always 0).
 */
export const X87_CODE_SELECTOR = 0x33;

export class X87State {
  /** Physical registers R0..R7, 10 bytes each (little-endian extended-precision format). */
  readonly data = new Uint8Array(80);
  /** The same bytes as little-endian words: register r's significand at 10r (low half) and 10r + 4. */
  readonly view = new DataView(this.data.buffer);
  /** Control word: all exceptions masked, 64-bit precision, round to nearest (the FNINIT value). */
  fcw = 0x037f;
  /** Status word without TOP (kept separately in `top`). */
  fsw = 0;
  /** Index of the physical register that is ST(0). */
  top = 0;
  /** Two bits per physical register: 0 valid, 1 zero, 2 special, 3 empty. */
  ftw = 0xffff;
  /** Linear address of the last non-control x87 instruction (first prefix byte included). */
  fip = 0;
  /** Linear address of the memory operand of the last non-control x87 instruction that had one. */
  fdp = 0;
  /** Last non-control opcode: low 3 bits of the escape byte (D8-DF) in bits 8..10, the modrm byte below. */
  fop = 0;
  /** Selectors stored with fip and fdp by FNSTENV/FNSAVE (0 after FNINIT; see X87_CODE_SELECTOR). */
  fcs = 0;
  fds = 0;

  reset(): void {
    this.data.fill(0);
    this.fcw = 0x037f;
    this.fsw = 0;
    this.top = 0;
    this.ftw = 0xffff;
    this.fip = 0;
    this.fdp = 0;
    this.fop = 0;
    this.fcs = 0;
    this.fds = 0;
  }

  /** The status word as FNSTSW stores it (TOP in bits 11..13). */
  get statusWord(): number {
    return (this.fsw & ~0x3800) | ((this.top & 7) << 11);
  }

  /** The tag of physical register `phys`. */
  tag(phys: number): number {
    return (this.ftw >> (2 * phys)) & 3;
  }

  setTag(phys: number, tag: number): void {
    this.ftw = (this.ftw & ~(3 << (2 * phys))) | ((tag & 3) << (2 * phys));
  }

  /**
   * The full tag word as FNSTENV/FNSAVE store it: empty registers stay empty, the others are classified
   * from their contents (the hardware keeps only "empty or not" and derives the rest when it stores).
   */
  fullTagWord(): number {
    let tw = 0;
    for (let r = 0; r < 8; r++) {
      const t = this.tag(r) === Tag.EMPTY ? Tag.EMPTY : tagOfBytes(this.data, r * 10);
      tw |= t << (2 * r);
    }
    return tw;
  }

  /** Reads physical register `phys` as words. */
  readRegister(phys: number, out: F80Parts): void {
    const at = phys * 10;
    const v = this.view;
    out.lo = v.getUint32(at, true);
    out.hi = v.getUint32(at + 4, true);
    out.signExp = v.getUint16(at + 8, true);
  }

  /** Writes physical register `phys` and tags it from its contents (never empty). */
  writeRegister(phys: number, signExp: number, hi: number, lo: number): void {
    const at = phys * 10;
    const v = this.view;
    v.setUint32(at, lo, true);
    v.setUint32(at + 4, hi, true);
    v.setUint16(at + 8, signExp, true);
    this.ftw = (this.ftw & ~(3 << (2 * phys))) | (tagOfParts(signExp, hi, lo) << (2 * phys));
  }

  /** Copies physical register `from` to `to`, tagging the copy from its contents. */
  copyRegister(from: number, to: number): void {
    const v = this.view;
    const src = from * 10;
    this.writeRegister(to, v.getUint16(src + 8, true), v.getUint32(src + 4, true), v.getUint32(src, true));
  }

  /** Exchanges physical registers `p` and `q`, tags included. */
  swapRegisters(p: number, q: number): void {
    const v = this.view;
    const a = p * 10;
    const b = q * 10;
    const lo = v.getUint32(a, true);
    const hi = v.getUint32(a + 4, true);
    const signExp = v.getUint16(a + 8, true);
    v.setUint32(a, v.getUint32(b, true), true);
    v.setUint32(a + 4, v.getUint32(b + 4, true), true);
    v.setUint16(a + 8, v.getUint16(b + 8, true), true);
    v.setUint32(b, lo, true);
    v.setUint32(b + 4, hi, true);
    v.setUint16(b + 8, signExp, true);
    const tp = this.tag(p);
    this.setTag(p, this.tag(q));
    this.setTag(q, tp);
  }

  /** Recomputes the non-empty tags from the register contents (after a state load). */
  retag(): void {
    this.ftw = this.fullTagWord();
  }
}

/** Tag of a 10-byte register image: 1 zero, 2 special (NaN, infinity, denormal, unsupported), else 0. */
export function tagOfBytes(d: Uint8Array, at: number): number {
  const exp = ((d[at + 8] as number) | ((d[at + 9] as number) << 8)) & 0x7fff;
  if (exp === 0x7fff) return Tag.SPECIAL;
  if (exp === 0) {
    for (let b = 0; b < 8; b++) if (d[at + b] !== 0) return Tag.SPECIAL;
    return Tag.ZERO;
  }
  return ((d[at + 7] as number) & 0x80) !== 0 ? Tag.VALID : Tag.SPECIAL;
}

/** Tag of a register value given as words: 1 zero, 2 special (NaN, infinity, denormal, unsupported), else 0. */
export function tagOfParts(signExp: number, hi: number, lo: number): number {
  const exp = signExp & 0x7fff;
  if (exp === 0x7fff) return Tag.SPECIAL;
  if (exp === 0) return hi === 0 && lo === 0 ? Tag.ZERO : Tag.SPECIAL;
  return hi >= 0x80000000 ? Tag.VALID : Tag.SPECIAL;
}
