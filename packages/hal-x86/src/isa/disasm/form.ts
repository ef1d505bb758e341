/** The printable shape of an instruction before prefixes: AT&T mnemonic and operands in AT&T order. */
import type { FormatContext, Operand } from './operands';
import { operandBits } from './operands';

export interface Form {
  name: string;
  /** Operand texts in AT&T order (source first). */
  operands: string[];
}

/** `b` `w` `l` `q` for an operand size in bits. */
export function suffixLetter(bits: number): string {
  return bits === 8 ? 'b' : bits === 16 ? 'w' : bits === 32 ? 'l' : 'q';
}

/** Operand texts in AT&T order: the table's Intel order reversed, implicit operands left out. */
export function attOrder(ops: readonly Operand[]): string[] {
  return ops
    .filter((o) => o.kind !== 'implicit')
    .map((o) => o.text)
    .reverse();
}

/** The operation-size suffix, when no register operand already shows the size. */
export function sizeSuffix(ctx: FormatContext, ops: readonly Operand[]): string {
  if (ops.some((o) => o.sizing)) return '';
  return suffixLetter(operandBits(ctx));
}
