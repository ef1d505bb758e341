/**
 * AT&T names for SSE instructions whose objdump spelling differs from the table's mnemonic: compare
 * predicates folded into the name, movd/movq and pextrd/pextrq by REX.W, the l/q suffix of a memory
 * cvtsi2sd source, fxsave64.
 */

import { attOrder, type Form, suffixLetter } from './form';
import type { FormatContext, Operand } from './operands';
import { gpr, operandBits } from './operands';
import { REX_W } from './usage';

const CMP_PREDICATES = ['eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord'];

type Namer = (ctx: FormatContext, ops: Operand[]) => Form;

function withW(ctx: FormatContext): boolean {
  if ((ctx.insn.rex & REX_W) === 0) return false;
  ctx.use.rex |= REX_W;
  return true;
}

/** cmpss/cmpsd/cmpps/cmppd: an immediate predicate below 8 becomes part of the name (cmpltsd). */
const compare: Namer = (ctx, ops) => {
  const imm = ops.find((o) => o.kind === 'imm');
  const pred = ctx.insn.imm & 0xff;
  const name = ctx.insn.def.mnemonic;
  if (!imm || pred >= CMP_PREDICATES.length) return { name, operands: attOrder(ops) };
  return {
    name: `cmp${CMP_PREDICATES[pred]}${name.slice(3)}`,
    operands: attOrder(ops.filter((o) => o !== imm)),
  };
};

/** An integer source in memory has no register to show its width: cvtsi2sdl, cvtsi2sdq. */
const intSource: Namer = (ctx, ops) => {
  const mem = ops.some((o) => o.kind === 'mem');
  const bits = operandBits(ctx);
  return { name: ctx.insn.def.mnemonic + (mem ? suffixLetter(bits) : ''), operands: attOrder(ops) };
};

/** 32-bit forms renamed to their 64-bit spelling under REX.W. */
const wide =
  (narrow: string, wideName: string): Namer =>
  (ctx, ops) => ({ name: withW(ctx) ? wideName : narrow, operands: attOrder(ops) });

const crc32: Namer = (ctx, ops) => {
  const src = ops[1];
  let suffix = '';
  if (src?.kind === 'mem') suffix = src.spec.size === 'b' ? 'b' : suffixLetter(operandBits(ctx));
  else operandBits(ctx);
  return { name: `crc32${suffix}`, operands: attOrder(ops) };
};

/** Mask extraction into a general register: REX.W widens the destination (`movmskpd %xmm0,%rax`). */
const maskMove: Namer = (ctx, ops) => {
  const dst = ops[0];
  if (dst?.spec.method === 'G' && withW(ctx)) {
    const wideDst = { ...dst, text: gpr(ctx, ctx.insn.reg, 64) };
    return { name: ctx.insn.def.mnemonic, operands: attOrder([wideDst, ...ops.slice(1)]) };
  }
  return { name: ctx.insn.def.mnemonic, operands: attOrder(ops) };
};

const NAMERS: Record<string, Namer> = {
  movmskps: maskMove,
  movmskpd: maskMove,
  pmovmskb: maskMove,
  cmpss: compare,
  cmpsd: compare,
  cmpps: compare,
  cmppd: compare,
  cvtsi2sd: intSource,
  cvtsi2ss: intSource,
  movd: wide('movd', 'movq'),
  pextrd: wide('pextrd', 'pextrq'),
  pinsrd: wide('pinsrd', 'pinsrq'),
  fxsave: wide('fxsave', 'fxsave64'),
  fxrstor: wide('fxrstor', 'fxrstor64'),
  crc32,
};

/** The AT&T form of an SSE instruction with a naming rule, or undefined. */
export function sseForm(ctx: FormatContext, ops: Operand[]): Form | undefined {
  return NAMERS[ctx.insn.def.mnemonic]?.(ctx, ops);
}
