/**
 * Which prefixes an instruction's text actually made use of. objdump prints every prefix that had no effect
 * by name (`data16`, `rex.W`, `addr32`, `fs`), so formatting records each use as it happens.
 */
export const REX_W = 8;
export const REX_R = 4;
export const REX_X = 2;
export const REX_B = 1;
/** The bare REX byte was needed to name a byte register (spl, bpl, sil, dil). */
export const REX_PRESENT = 0x40;

export class PrefixUsage {
  /** REX bits consumed (REX_W... and REX_PRESENT). */
  rex = 0;
  /** The operand-size prefix (66) changed an operand size or selected the instruction. */
  osz = false;
  /** The address-size prefix (67) changed an address or a count register. */
  asz = false;
  /** An FS/GS override was applied to a memory operand. */
  seg = false;
  /** The last F2/F3 prefix selected the instruction (mandatory prefix, tzcnt, endbr64...). */
  rep = false;

  /** Forgets the uses recorded while formatting operands that end up not being printed. */
  forgetOperands(): void {
    this.rex = 0;
    this.osz = false;
    this.asz = false;
    this.seg = false;
  }
}
