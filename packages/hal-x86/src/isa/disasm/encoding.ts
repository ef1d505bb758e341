/**
 * The raw shape of an encoded instruction that the decoded Insn does not keep: the legacy prefixes in byte
 * order (duplicates and the segment overrides that 64-bit mode ignores included) and whether a SIB byte was
 * present. The disassembler needs these to print what objdump prints (`cs nopw`, `data16`, `%riz`).
 */
import type { Insn } from '../insn';

export interface Encoding {
  /** Legacy prefix bytes in the order they appear (REX excluded). */
  prefixes: number[];
  /** The REX prefix in effect, 0 if none. */
  rex: number;
  /** A SIB byte follows modrm. */
  hasSib: boolean;
  /** Raw SIB fields (0 when there is no SIB byte). */
  sibScale: number;
  sibBase: number;
}

const LEGACY = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]);

/** Reads prefixes and the modrm/SIB shape from the instruction's bytes (`bytes[pos]` is its first byte). */
export function scanEncoding(insn: Insn, bytes: Uint8Array, pos = 0): Encoding {
  const end = Math.min(bytes.length, pos + insn.len);
  const prefixes: number[] = [];
  let rex = 0;
  let p = pos;
  while (p < end && LEGACY.has(bytes[p] as number)) prefixes.push(bytes[p++] as number);
  while (p < end && ((bytes[p] as number) & 0xf0) === 0x40) rex = bytes[p++] as number;
  const enc: Encoding = { prefixes, rex, hasSib: false, sibScale: 0, sibBase: 0 };
  if (!insn.def.modrm || insn.mod === 3) return enc;
  if (bytes[p] === 0x0f) {
    p++;
    if (bytes[p] === 0x38 || bytes[p] === 0x3a) p++;
  }
  p++; // opcode
  const modrm = bytes[p] ?? 0;
  if ((modrm & 7) === 4 && modrm >> 6 !== 3 && p + 1 < end) {
    const sib = bytes[p + 1] as number;
    enc.hasSib = true;
    enc.sibScale = sib >> 6;
    enc.sibBase = sib & 7;
  }
  return enc;
}

/**
 * Without the bytes, a canonical encoding consistent with the decoded fields: prefixes that mattered,
 * and a SIB byte only where one is required.
 */
export function encodingFromInsn(insn: Insn): Encoding {
  const prefixes: number[] = [];
  if (insn.lock) prefixes.push(0xf0);
  if (insn.osz || insn.def.prefix === 0x66) prefixes.push(0x66);
  if (insn.adsize === 4) prefixes.push(0x67);
  if (insn.seg === 4) prefixes.push(0x64);
  if (insn.seg === 5) prefixes.push(0x65);
  if (insn.def.prefix === 0xf2 || insn.def.prefix === 0xf3) prefixes.push(insn.def.prefix);
  else if (insn.rep !== 0) prefixes.push(insn.rep);
  const mem = insn.def.modrm && insn.mod !== 3 && !insn.ripRelative;
  const hasSib = mem && (insn.index >= 0 || insn.base < 0 || (insn.base & 7) === 4);
  return {
    prefixes,
    rex: insn.rex,
    hasSib,
    sibScale: hasSib ? Math.log2(insn.scale) | 0 : 0,
    sibBase: hasSib ? (insn.base < 0 ? 5 : insn.base & 7) : 0,
  };
}
