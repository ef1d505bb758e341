/**
 * A decoded instruction. The decoder fills every field once; handlers read them on every execution, so
 * the object has one fixed shape (all fields initialised here) to keep property access monomorphic.
 */
import type { Handler, OpDef } from './opdef';

export class Insn {
  /** Linear address of the first byte (signed canonical form). */
  addr = 0;
  /** Address of the next instruction. */
  next = 0;
  len = 0;
  exec: Handler;
  def: OpDef;

  /** Operand size in bytes (1, 2, 4, 8). */
  opsize = 4;
  /** Address size in bytes (8, or 4 with the 67 prefix). */
  adsize = 8;

  /** modrm fields, with REX extensions applied. For mod == 3, rm names a register. */
  mod = 0;
  reg = 0;
  rm = 0;
  /** Byte-register codes for reg and rm: 0-15 low bytes, 16-19 AH CH DH BH (no REX present). */
  reg8 = 0;
  rm8 = 0;

  /** Memory operand: base and index registers (-1 = none), scale as a multiplier, displacement. */
  base = -1;
  index = -1;
  scale = 1;
  /** Displacement; for RIP-relative operands the absolute target, already resolved. */
  disp = 0;
  ripRelative = false;
  /** Segment override with a base in 64-bit mode: 0 none, 4 FS, 5 GS. */
  seg = 0;

  /** First immediate (sign-extended to 64 bits as lo/hi), second immediate (ENTER). */
  imm = 0;
  immHi = 0;
  imm2 = 0;

  /** Prefix state. */
  rex = 0;
  /** 0 none, 0xf3 REP/REPE, 0xf2 REPNE. */
  rep = 0;
  lock = false;
  /** The 66 prefix was present (as operand size or mandatory prefix). */
  osz = false;

  /** Copy of def.sub for quick access. */
  sub = 0;

  /**
   * A conditional branch in the middle of a pre-decoded block: when taken, the block is left there (the
   * block goes on with the fall-through path). Set by the block cache.
   */
  sideExit = false;

  constructor(def: OpDef) {
    this.def = def;
    this.exec = def.exec;
  }
}
