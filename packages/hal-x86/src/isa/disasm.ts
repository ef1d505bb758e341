/**
 * Disassembler: AT&T syntax text for decoded instructions, matching GNU `objdump -d` for everything the
 * opcode table decodes. The text is derived from the same table rows the decoder and the CPU use (mnemonic,
 * Intel-order operand specs, size rule, suffix hint); AT&T spellings the table does not state are derived
 * in ./disasm/*: size suffixes and special names (integer-names.ts, sse.ts, x87.ts), operands
 * (operands.ts) and prefix words (prefixes.ts).
 */
import { Decoder, NeedMoreBytes } from './decoder';
import { type Encoding, encodingFromInsn, scanEncoding } from './disasm/encoding';
import type { Form } from './disasm/form';
import { defaultForm, integerForm } from './disasm/integer-names';
import { type FormatContext, formatOperands, type Symbolizer } from './disasm/operands';
import { prefixText } from './disasm/prefixes';
import { sseForm } from './disasm/sse';
import { PrefixUsage } from './disasm/usage';
import { isX87, x87Form } from './disasm/x87';
import type { Insn } from './insn';
import { OPCODE_TABLE } from './tables';

export type { Symbolizer } from './disasm/operands';

export interface DisasmOptions {
  /** Names an address for `<sym+0x10>` annotations of branch targets and RIP-relative operands. */
  symbolize?: Symbolizer;
  /**
   * The instruction's bytes, starting at its first byte. Without them prefixes that the decoder drops
   * (duplicate 66, CS/DS/ES/SS overrides) and redundant SIB bytes cannot be shown.
   */
  bytes?: Uint8Array;
}

/** Options for decoding and disassembling a buffer. */
export interface DisasmBufferOptions {
  symbolize?: Symbolizer;
  /** Decoder to use (default: one over the full OPCODE_TABLE). */
  decoder?: Decoder;
}

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  text: string;
}

/** objdump's column: mnemonic (with its prefix words) padded to 6, then a space, then the operands. */
const MNEMONIC_WIDTH = 6;
/** The gap before a `# target` comment. */
const COMMENT_GAP = '        ';

function isBad(insn: Insn): boolean {
  return insn.def.mnemonic === '(bad)';
}

function attForm(ctx: FormatContext): Form | undefined {
  const ops = formatOperands(ctx);
  if (ops.some((o) => o.text === '(bad)')) return undefined;
  if (isX87(ctx)) return x87Form(ctx, ops);
  return integerForm(ctx, ops) ?? sseForm(ctx, ops) ?? defaultForm(ctx, ops);
}

/** AT&T text of one decoded instruction, e.g. `mov    %rsp,%rbp` or `lea    0x2edc(%rip),%rax        # 404010 <x>`. */
export function disassemble(insn: Insn, options: DisasmOptions = {}): string {
  if (isBad(insn)) return '(bad)';
  const enc: Encoding = options.bytes ? scanEncoding(insn, options.bytes) : encodingFromInsn(insn);
  const use = new PrefixUsage();
  const ctx: FormatContext = { insn, enc, use, symbolize: options.symbolize, comment: '' };
  const form = attForm(ctx);
  if (!form) return '(bad)';
  // A mandatory prefix that selected the row is part of the opcode.
  const { prefix } = insn.def;
  if (prefix === 0x66) use.osz = true;
  if (prefix === 0xf2 || prefix === 0xf3) use.rep = true;
  const pre = prefixText(insn, enc, use);
  const head = [...pre.words, form.name + pre.hint].join(' ');
  let text = form.operands.length > 0 ? `${head.padEnd(MNEMONIC_WIDTH)} ${form.operands.join(',')}` : head;
  if (ctx.comment) text += COMMENT_GAP + ctx.comment;
  return text;
}

let sharedDecoder: Decoder | undefined;

function defaultDecoder(): Decoder {
  sharedDecoder ??= new Decoder(OPCODE_TABLE);
  return sharedDecoder;
}

/** x87 control instructions that FWAIT turns into their waiting form (fnstcw -> fstcw). */
const WAITING_FORMS = new Set(['fnstcw', 'fnstsw', 'fnstenv', 'fnsave', 'fnclex', 'fninit']);

/**
 * Disassembles the instruction at `bytes[pos]` (linear address `address`): its length and text. An FWAIT
 * followed by a no-wait x87 control instruction is one line, as objdump prints it (`fstcw`).
 */
export function disassembleAt(
  bytes: Uint8Array,
  pos: number,
  address: number,
  options: DisasmBufferOptions = {},
): { length: number; text: string; insn: Insn | undefined } {
  const decoder = options.decoder ?? defaultDecoder();
  const avail = bytes.length - pos;
  let insn: Insn;
  try {
    insn = decoder.decode(bytes, pos, avail, address);
  } catch (e) {
    if (e instanceof NeedMoreBytes) return { length: avail, text: '(bad)', insn: undefined };
    throw e;
  }
  const text = disassemble(insn, {
    symbolize: options.symbolize,
    bytes: bytes.subarray(pos, pos + insn.len),
  });
  if (insn.def.mnemonic === 'fwait' && insn.len === 1 && pos + 1 < bytes.length) {
    const next = disassembleAt(bytes, pos + 1, address + 1, { ...options, decoder });
    const m = /^(\S+)(.*)$/s.exec(next.text);
    if (next.insn && m && WAITING_FORMS.has(m[1] as string)) {
      const name = `f${(m[1] as string).slice(2)}`;
      const rest = (m[2] as string).trimStart();
      return { length: 1 + next.length, text: rest ? `${name.padEnd(MNEMONIC_WIDTH)} ${rest}` : name, insn };
    }
  }
  return { length: insn.len, text, insn };
}

/** Disassembles a buffer of code whose first byte is at `address`, one entry per instruction. */
export function disassembleBytes(
  bytes: Uint8Array,
  address: number,
  options: DisasmBufferOptions = {},
): DisasmLine[] {
  const out: DisasmLine[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const r = disassembleAt(bytes, pos, address + pos, options);
    const length = Math.max(1, r.length);
    out.push({ address: address + pos, bytes: bytes.subarray(pos, pos + length), text: r.text });
    pos += length;
  }
  return out;
}
