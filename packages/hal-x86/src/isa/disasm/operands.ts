/**
 * AT&T operand text for the table's Intel-notation operand specs (method letter + size, see opdef.ts):
 * registers, memory references, immediates and branch targets, as GNU objdump writes them.
 */
import { REG8_NAMES, REG16_NAMES, REG32_NAMES, REG64_NAMES } from '../../cpu/registers';
import type { Insn } from '../insn';
import type { OperandSpec } from '../opdef';
import type { Encoding } from './encoding';
import { hexBare, hexS, hexU, u64 } from './hex';
import { type PrefixUsage, REX_B, REX_PRESENT, REX_R, REX_W, REX_X } from './usage';

export type Symbolizer = (addr: bigint) => string | undefined;

export type OperandKind = 'reg' | 'mem' | 'imm' | 'target' | 'implicit';

export interface Operand {
  spec: OperandSpec;
  kind: OperandKind;
  text: string;
  /** A register whose name fixes the operation size (so no mnemonic suffix is needed); %cl counts do not. */
  sizing: boolean;
}

/** Everything operand formatting reads and records for one instruction. */
export interface FormatContext {
  insn: Insn;
  enc: Encoding;
  use: PrefixUsage;
  symbolize?: Symbolizer;
  /** The `# target` comment of a RIP-relative operand (without the leading spaces). */
  comment: string;
}

/** An address as objdump writes a resolved target: `401461 <fib+0x461>`, or `0x401461` with no symbol. */
export function formatTarget(addr: number | bigint, symbolize?: Symbolizer): string {
  const a = BigInt.asUintN(64, typeof addr === 'bigint' ? addr : BigInt(addr));
  const sym = symbolize?.(a);
  return sym === undefined ? hexU(a) : `${hexBare(a)} <${sym}>`;
}

/** The operand size in bits, recording the REX.W / 66 prefixes that produced it. */
export function operandBits(ctx: FormatContext): number {
  const { insn, use } = ctx;
  const rule = insn.def.size;
  const rexW = (insn.rex & REX_W) !== 0;
  if ((rule === 'v' || rule === 'x') && rexW) use.rex |= REX_W;
  if ((rule === 'v' || rule === 'd64') && insn.opsize === 2 && !rexW) use.osz = true;
  return insn.opsize * 8;
}

function sizeBits(ctx: FormatContext, size: string): number {
  switch (size) {
    case 'b':
      return 8;
    case 'w':
      return 16;
    case 'd':
      return 32;
    case 'q':
      return 64;
    case 'y':
      return operandBits(ctx) === 64 ? 64 : 32;
    default:
      return operandBits(ctx);
  }
}

/** General-purpose register `n` (or byte-register code for 8 bits) at the given width. */
export function gpr(ctx: FormatContext, n: number, bits: number): string {
  switch (bits) {
    case 8:
      if (n >= 4 && n < 8) ctx.use.rex |= REX_PRESENT;
      return `%${REG8_NAMES[n]}`;
    case 16:
      return `%${REG16_NAMES[n]}`;
    case 32:
      return `%${REG32_NAMES[n]}`;
    default:
      return `%${REG64_NAMES[n]}`;
  }
}

function regOperand(spec: OperandSpec, text: string, sizing = true): Operand {
  return { spec, kind: 'reg', text, sizing };
}

/** The modrm.reg register (G, Z use their own fields) as a general-purpose register. */
function fieldReg(ctx: FormatContext, spec: OperandSpec, n: number, n8: number, rexBit: number): Operand {
  ctx.use.rex |= rexBit;
  const bits = sizeBits(ctx, spec.size);
  return regOperand(spec, gpr(ctx, bits === 8 ? n8 : n, bits));
}

/** A modrm memory operand: `%fs:-0x8(%rbp,%rax,4)`, `0x10(%rip)`, `0x28(,%riz,2)`... */
export function memory(ctx: FormatContext): string {
  const { insn, enc, use } = ctx;
  const a32 = insn.adsize === 4;
  if (a32) use.asz = true;
  let text = '';
  if (insn.seg !== 0) {
    text = insn.seg === 4 ? '%fs:' : '%gs:';
    use.seg = true;
  }
  if (insn.ripRelative) {
    const raw = a32 ? (insn.disp - (insn.next >>> 0)) | 0 : insn.disp - insn.next;
    ctx.comment = `# ${formatTarget(insn.disp, ctx.symbolize)}`;
    return `${text}${hexS(raw)}(${a32 ? '%eip' : '%rip'})`;
  }
  const names = a32 ? REG32_NAMES : REG64_NAMES;
  const haveBase = insn.base >= 0;
  const haveIndex = insn.index >= 0;
  if (haveBase) use.rex |= REX_B;
  if (haveIndex) use.rex |= REX_X;
  const sib = enc.hasSib;
  // Without base or index, a 32-bit address needs an explicit %eiz to differ from a 64-bit one.
  const needIndex = sib && !haveBase && !haveIndex && a32;
  const disp = needIndex ? insn.disp >>> 0 : insn.disp;
  const parens = haveBase || needIndex || (sib && (haveIndex || enc.sibScale !== 0));
  if (insn.mod !== 0 || !haveBase) text += parens ? hexS(disp) : hexU(disp);
  if (parens) {
    text += '(';
    if (haveBase) text += `%${names[insn.base]}`;
    if (sib && (haveIndex || needIndex || enc.sibScale !== 0 || (haveBase && enc.sibBase !== 4))) {
      const index = haveIndex ? `%${names[insn.index]}` : a32 ? '%eiz' : '%riz';
      text += `,${index},${1 << enc.sibScale}`;
    }
    text += ')';
  }
  return text;
}

function immediate(ctx: FormatContext, spec: OperandSpec, second: boolean): string {
  const { insn } = ctx;
  if (second) return hexU(insn.imm2 & (spec.size === 'w' ? 0xffff : 0xff));
  switch (spec.size) {
    case 'b':
      return hexU(insn.imm & 0xff);
    case 'w':
      return hexU(insn.imm & 0xffff);
    case 'd':
      return hexU(insn.imm >>> 0);
    case 'q':
      return hexU(u64(insn.imm, insn.immHi));
    default:
      return hexU(u64(insn.imm, insn.immHi), operandBits(ctx));
  }
}

function xmm(n: number): string {
  return `%xmm${n}`;
}

/** Formats one operand spec; operands objdump does not print (shift count 1, flags) are 'implicit'. */
export function formatOperand(ctx: FormatContext, spec: OperandSpec, immIndex: number): Operand {
  const { insn, use } = ctx;
  const m = spec.method;
  switch (m) {
    case 'G':
      return fieldReg(ctx, spec, insn.reg, insn.reg8, REX_R);
    case 'Z':
      return fieldReg(ctx, spec, insn.reg, insn.reg8, REX_B);
    case 'E':
    case 'R':
    case 'M':
      if (insn.mod === 3) {
        if (m === 'M') return { spec, kind: 'reg', text: '(bad)', sizing: true };
        return fieldReg(ctx, spec, insn.rm, insn.rm8, REX_B);
      }
      return { spec, kind: 'mem', text: memory(ctx), sizing: false };
    case 'V':
      use.rex |= REX_R;
      return regOperand(spec, xmm(insn.reg));
    case 'U':
      use.rex |= REX_B;
      return regOperand(spec, xmm(insn.rm));
    case 'W':
      if (insn.mod === 3) {
        use.rex |= REX_B;
        return regOperand(spec, xmm(insn.rm));
      }
      return { spec, kind: 'mem', text: memory(ctx), sizing: false };
    case 'P':
      return regOperand(spec, `%mm${insn.reg & 7}`);
    case 'N':
      return regOperand(spec, `%mm${insn.rm & 7}`);
    case 'Q':
      if (insn.mod === 3) return regOperand(spec, `%mm${insn.rm & 7}`);
      return { spec, kind: 'mem', text: memory(ctx), sizing: false };
    case 'S':
      return regOperand(spec, `%st(${insn.rm & 7})`);
    case 'T':
      return regOperand(spec, '%st');
    case 'A':
      return regOperand(spec, gpr(ctx, 0, sizeBits(ctx, spec.size)));
    case 'C':
      return regOperand(spec, '%cl', false);
    case 'I':
      return { spec, kind: 'imm', text: `$${immediate(ctx, spec, immIndex > 0)}`, sizing: false };
    case 'J':
      return { spec, kind: 'target', text: formatTarget(insn.imm, ctx.symbolize), sizing: false };
    case 'O': {
      let seg = '';
      if (insn.seg !== 0) {
        seg = insn.seg === 4 ? '%fs:' : '%gs:';
        use.seg = true;
      }
      // objdump leaves a 67 prefix on a moffs operand unclaimed (`addr32 mov 0x4030201,%eax`).
      return {
        spec,
        kind: 'mem',
        text: seg + hexU(u64(insn.imm, insn.immHi), insn.adsize * 8),
        sizing: false,
      };
    }
    case 'X': {
      let seg = '%ds:';
      if (insn.seg !== 0) {
        seg = insn.seg === 4 ? '%fs:' : '%gs:';
        use.seg = true;
      }
      if (insn.adsize === 4) use.asz = true;
      return { spec, kind: 'mem', text: `${seg}(${insn.adsize === 4 ? '%esi' : '%rsi'})`, sizing: false };
    }
    case 'Y':
      if (insn.adsize === 4) use.asz = true;
      return { spec, kind: 'mem', text: `%es:(${insn.adsize === 4 ? '%edi' : '%rdi'})`, sizing: false };
    default:
      // '1' (shift by one), 'F' (flags) and anything else implicit: objdump prints nothing.
      return { spec, kind: 'implicit', text: '', sizing: false };
  }
}

/** All operands of the instruction, in the table's (Intel) order. */
export function formatOperands(ctx: FormatContext): Operand[] {
  let imms = 0;
  return ctx.insn.def.operands.map((spec) => {
    const op = formatOperand(ctx, spec, spec.method === 'I' ? imms : 0);
    if (spec.method === 'I' || spec.method === 'J' || spec.method === 'O') imms++;
    return op;
  });
}
