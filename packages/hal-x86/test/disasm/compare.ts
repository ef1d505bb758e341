/**
 * Compares the disassembler with objdump over one section of an ELF file, instruction by instruction at
 * objdump's instruction boundaries.
 */
import { readFileSync } from 'node:fs';
import { Decoder } from '../../src/isa/decoder';
import { disassembleAt } from '../../src/isa/disasm';
import { OPCODE_TABLE } from '../../src/isa/tables';
import { makeSymbolizer, readSections, readSymbols } from './elf-symbols';
import { objdumpSection } from './objdump';

export interface Mismatch {
  address: number;
  bytes: string;
  expected: string;
  actual: string;
}

export interface CompareResult {
  /** Instructions objdump lists. */
  total: number;
  /** Instructions the decoder decodes (not `(bad)` where objdump has an instruction). */
  decoded: number;
  /** Decoded instructions whose text matches (symbol annotations normalised). */
  matched: number;
  mismatches: Mismatch[];
  /** objdump mnemonics of instructions the decoder does not decode yet, with counts. */
  undecoded: Map<string, number>;
  /** Lines whose `<sym+off>` annotations also match, out of the matched lines that carry one. */
  symbolsMatched: number;
  symbolsCompared: number;
  symbolMismatches: Mismatch[];
}

const defaultDecoder = new Decoder(OPCODE_TABLE);

export interface CompareOptions {
  section?: string;
  /** Decoder to use (default: one over OPCODE_TABLE). */
  decoder?: Decoder;
}
const ANNOTATION = / <[^>]*>/g;

/** The first word that is not a prefix: the mnemonic objdump printed. */
export function mnemonicOf(text: string): string {
  const words = text.split(/\s+/);
  const prefixes =
    /^(lock|rep|repz|repnz|data16|addr32|cs|ds|es|ss|fs|gs|rex(\.\w+)?|notrack|bnd|xacquire|xrelease)$/;
  return words.find((w) => !prefixes.test(w)) ?? text;
}

export function compareWithObjdump(path: string, options: CompareOptions = {}): CompareResult {
  const section = options.section ?? '.text';
  const decoder = options.decoder ?? defaultDecoder;
  const file = new Uint8Array(readFileSync(path));
  const sections = readSections(file);
  const sec = sections.find((s) => s.name === section);
  if (!sec) throw new Error(`${path}: no ${section}`);
  const code = file.subarray(sec.offset, sec.offset + sec.size);
  const base = Number(sec.addr);
  const symbolize = makeSymbolizer(readSymbols(file, sections));
  const always = (): string => '?';
  const res: CompareResult = {
    total: 0,
    decoded: 0,
    matched: 0,
    mismatches: [],
    undecoded: new Map(),
    symbolsMatched: 0,
    symbolsCompared: 0,
    symbolMismatches: [],
  };
  for (const o of objdumpSection(path, section)) {
    res.total++;
    const pos = o.address - base;
    const window = code.subarray(0, pos + o.bytes.length);
    const bytesHex = o.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const expected = o.text;
    // objdump writes a bare hex target before a symbol and 0x-prefixed hex when it has none.
    const annotated = expected.includes(' <');
    const got = disassembleAt(window, pos, o.address, { decoder, symbolize: annotated ? always : undefined });
    // Not decodable yet: the decoder rejects it, or decodes only a leading part (an FWAIT before an x87
    // instruction it does not know) and rejects the rest.
    const partial =
      got.length < o.bytes.length &&
      disassembleAt(window, pos + got.length, o.address + got.length, { decoder }).text === '(bad)';
    if (got.text === '(bad)' && expected.startsWith('(bad)')) {
      // Both reject the encoding (objdump may add operand text to its `(bad)`).
      res.decoded++;
      res.matched++;
      continue;
    }
    if (got.text === '(bad)' || partial) {
      const m = mnemonicOf(expected);
      res.undecoded.set(m, (res.undecoded.get(m) ?? 0) + 1);
      continue;
    }
    res.decoded++;
    const a = got.text.replace(ANNOTATION, '');
    const e = expected.replace(ANNOTATION, '');
    if (a !== e || got.length !== o.bytes.length) {
      res.mismatches.push({
        address: o.address,
        bytes: bytesHex,
        expected,
        actual: `${got.text} [len ${got.length}]`,
      });
      continue;
    }
    res.matched++;
    if (annotated) {
      res.symbolsCompared++;
      const withSyms = disassembleAt(window, pos, o.address, { decoder, symbolize }).text;
      if (withSyms === expected) res.symbolsMatched++;
      else res.symbolMismatches.push({ address: o.address, bytes: bytesHex, expected, actual: withSyms });
    }
  }
  return res;
}
