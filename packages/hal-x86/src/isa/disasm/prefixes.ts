/**
 * The prefix words objdump prints before a mnemonic: every prefix byte that did not take effect, by name and
 * in byte order (`data16 cs nopw`, `rex.W ret`, `fs stos`), LOCK and REP-family prefixes (`lock`, `rep`,
 * `repz`, `repnz`, `bnd`, `xacquire`), `notrack` on indirect branches, and the `,pt`/`,pn` branch hints.
 */
import type { Insn } from '../insn';
import type { Encoding } from './encoding';
import { type PrefixUsage, REX_PRESENT } from './usage';

export interface PrefixText {
  /** Words printed before the mnemonic. */
  words: string[];
  /** Appended to the mnemonic (branch hints). */
  hint: string;
}

const SEGMENT_NAMES = new Map([
  [0x26, 'es'],
  [0x2e, 'cs'],
  [0x36, 'ss'],
  [0x3e, 'ds'],
  [0x64, 'fs'],
  [0x65, 'gs'],
]);
const REP_STORE = new Set(['movs', 'stos', 'lods', 'insb', 'insl', 'outsb', 'outsl']);
const REP_COMPARE = new Set(['cmps', 'scas']);

function lastIndex(prefixes: readonly number[], pred: (b: number) => boolean): number {
  for (let i = prefixes.length - 1; i >= 0; i--) if (pred(prefixes[i] as number)) return i;
  return -1;
}

function isConditionalJump(insn: Insn): boolean {
  const m = insn.def.mnemonic;
  return m[0] === 'j' && m !== 'jmp' && m !== 'jrcxz' && insn.def.operands[0]?.method === 'J';
}

function isBranch(insn: Insn): boolean {
  const m = insn.def.mnemonic;
  return m === 'call' || m === 'jmp' || m === 'ret' || isConditionalJump(insn);
}

function isIndirectBranch(insn: Insn): boolean {
  const m = insn.def.mnemonic;
  return (m === 'call' || m === 'jmp') && insn.def.operands[0]?.method !== 'J';
}

function repName(insn: Insn, byte: number, lock: boolean): string {
  const m = insn.def.mnemonic;
  if (lock) return byte === 0xf2 ? 'xacquire' : 'xrelease';
  if (byte === 0xf3) return REP_STORE.has(m) ? 'rep' : 'repz';
  if (REP_STORE.has(m) || REP_COMPARE.has(m)) return 'repnz';
  return isBranch(insn) ? 'bnd' : 'repnz';
}

function rexName(rex: number): string {
  const bits = rex & 0xf;
  if (bits === 0) return 'rex';
  return `rex.${bits & 8 ? 'W' : ''}${bits & 4 ? 'R' : ''}${bits & 2 ? 'X' : ''}${bits & 1 ? 'B' : ''}`;
}

export function prefixText(insn: Insn, enc: Encoding, use: PrefixUsage): PrefixText {
  const { prefixes } = enc;
  const words: string[] = [];
  let hint = '';
  const last66 = lastIndex(prefixes, (b) => b === 0x66);
  const last67 = lastIndex(prefixes, (b) => b === 0x67);
  const lastRep = lastIndex(prefixes, (b) => b === 0xf2 || b === 0xf3);
  const lastSeg = lastIndex(prefixes, (b) => SEGMENT_NAMES.has(b));
  const lock = prefixes.includes(0xf0);
  prefixes.forEach((b, i) => {
    switch (b) {
      case 0x66:
        if (i !== last66 || !use.osz) words.push('data16');
        return;
      case 0x67:
        if (i !== last67 || !use.asz) words.push('addr32');
        return;
      case 0xf0:
        words.push('lock');
        return;
      case 0xf2:
      case 0xf3:
        if (i !== lastRep || !use.rep) words.push(repName(insn, b, lock && i === lastRep));
        return;
      default:
        if (i === lastSeg) {
          if (use.seg) return;
          if ((b === 0x2e || b === 0x3e) && isConditionalJump(insn)) {
            hint = b === 0x2e ? ',pn' : ',pt';
            return;
          }
          if (b === 0x3e && isIndirectBranch(insn)) {
            words.push('notrack');
            return;
          }
        }
        words.push(SEGMENT_NAMES.get(b) as string);
    }
  });
  if (enc.rex !== 0) {
    const bits = enc.rex & 0xf;
    const unused = bits === 0 ? (use.rex & REX_PRESENT) === 0 : (bits & ~use.rex) !== 0;
    if (unused) words.push(rexName(enc.rex));
  }
  return { words, hint };
}
