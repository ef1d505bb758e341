/**
 * AT&T forms of x87 instructions (escape opcodes D8-DF), from the table's Intel mnemonic:
 * - memory operands get the width suffix objdump uses: flds/fldl/fldt, filds/fildl/fildll;
 * - register forms print %st(i) and %st in AT&T order, one operand for loads, stores, exchanges and
 *   compares against ST(0);
 * - in the DC and DE register forms, AT&T swaps fsub/fsubr and fdiv/fdivr relative to Intel
 *   (DE E9 is Intel's fsubp st(1),st but `fsubrp %st,%st(1)` in AT&T).
 */

import type { Form } from './form';
import type { FormatContext, Operand } from './operands';
import { memory } from './operands';

/** Real-number memory operations: s (32), l (64), t (80). */
const REAL_MEM = new Set([
  'fld',
  'fst',
  'fstp',
  'fadd',
  'fmul',
  'fcom',
  'fcomp',
  'fsub',
  'fsubr',
  'fdiv',
  'fdivr',
]);
/** Integer memory operations: s (16), l (32), ll (64). */
const INT_MEM = new Set([
  'fild',
  'fist',
  'fistp',
  'fisttp',
  'fiadd',
  'fimul',
  'ficom',
  'ficomp',
  'fisub',
  'fisubr',
  'fidiv',
  'fidivr',
]);
/** Intel's waiting spellings of the control instructions the table may use for the no-wait opcodes. */
const NO_WAIT: Record<string, string> = {
  fstcw: 'fnstcw',
  fstsw: 'fnstsw',
  fstenv: 'fnstenv',
  fsave: 'fnsave',
  fclex: 'fnclex',
  finit: 'fninit',
};
/** Register forms with the single operand ST(i). */
const ONE_REG = new Set([
  'fld',
  'fxch',
  'fst',
  'fstp',
  'ffree',
  'ffreep',
  'fucom',
  'fucomp',
  'fcom',
  'fcomp',
]);
/** Register forms written `%st(i),%st` (ST(0) is the destination or the implied first operand). */
const TO_ST0 = new Set([
  'fcmovb',
  'fcmove',
  'fcmovbe',
  'fcmovu',
  'fcmovnb',
  'fcmovne',
  'fcmovnbe',
  'fcmovnu',
  'fucomi',
  'fcomi',
  'fucomip',
  'fcomip',
]);
const ARITH = new Set(['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr']);
const ARITH_POP = new Set(['faddp', 'fmulp', 'fsubp', 'fsubrp', 'fdivp', 'fdivrp']);
const SWAP: Record<string, string> = {
  fsub: 'fsubr',
  fsubr: 'fsub',
  fdiv: 'fdivr',
  fdivr: 'fdiv',
  fsubp: 'fsubrp',
  fsubrp: 'fsubp',
  fdivp: 'fdivrp',
  fdivrp: 'fdivp',
};

export function isX87(ctx: FormatContext): boolean {
  const { def } = ctx.insn;
  return def.map === 0 && def.opcode >= 0xd8 && def.opcode <= 0xdf;
}

/** Width in bits of a memory operand from its size tag ('d', 'q', 't', '80', 'm64'...), if recognisable. */
function tagBits(tag: string): number | undefined {
  const digits = /(\d+)/.exec(tag);
  if (digits) return Number(digits[1]);
  switch (tag.toLowerCase()) {
    case 'w':
      return 16;
    case 'd':
    case 'ss':
      return 32;
    case 'q':
    case 'sd':
      return 64;
    case 't':
      return 80;
    default:
      return undefined;
  }
}

/** The width the opcode itself implies for the real and integer memory forms. */
function opcodeBits(opcode: number, ext: number): number {
  switch (opcode) {
    case 0xd8:
    case 0xd9:
    case 0xda:
      return 32;
    case 0xdb:
      return ext === 5 || ext === 7 ? 80 : 32;
    case 0xdc:
    case 0xdd:
      return 64;
    case 0xde:
      return 16;
    default:
      return ext === 5 || ext === 7 ? 64 : 16;
  }
}

function memorySuffix(name: string, bits: number): string {
  if (REAL_MEM.has(name)) return bits === 32 ? 's' : bits === 64 ? 'l' : bits === 80 ? 't' : '';
  if (INT_MEM.has(name)) return bits === 16 ? 's' : bits === 32 ? 'l' : bits === 64 ? 'll' : '';
  return '';
}

export function x87Form(ctx: FormatContext, ops: Operand[]): Form {
  const { insn } = ctx;
  let name = NO_WAIT[insn.def.mnemonic] ?? insn.def.mnemonic;
  if (insn.mod !== 3) {
    const mem = ops.find((o) => o.kind === 'mem');
    const text = mem?.text ?? memory(ctx);
    const bits = (mem && tagBits(mem.spec.size)) ?? opcodeBits(insn.def.opcode, insn.reg & 7);
    return { name: name + memorySuffix(name, bits), operands: [text] };
  }
  const sti = `%st(${insn.rm & 7})`;
  const op = insn.def.opcode;
  if ((op === 0xdc || op === 0xde) && SWAP[name]) name = SWAP[name] as string;
  if (ONE_REG.has(name)) return { name, operands: [sti] };
  if (TO_ST0.has(name) || (op === 0xd8 && ARITH.has(name))) return { name, operands: [sti, '%st'] };
  if (ARITH.has(name) || ARITH_POP.has(name)) return { name, operands: ['%st', sti] };
  if (name === 'fnstsw') return { name, operands: ['%ax'] };
  return { name, operands: [] };
}
