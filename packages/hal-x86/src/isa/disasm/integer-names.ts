/**
 * AT&T names for the general-purpose instructions, derived from the table's mnemonic, operand specs and the
 * decoded sizes: size suffixes, movzbl/movslq/cltq families, movabs, string forms, nop forms and the
 * indirect-branch `*`.
 */

import { attOrder, type Form, sizeSuffix, suffixLetter } from './form';
import { hexU } from './hex';
import type { FormatContext, Operand } from './operands';
import { gpr, operandBits } from './operands';
import { REX_B, REX_W } from './usage';

type Namer = (ctx: FormatContext, ops: Operand[]) => Form;

const plain = (name: string, ops: Operand[]): Form => ({ name, operands: attOrder(ops) });

/** A form without the table's operands (which then did not use any prefix). */
function bare(ctx: FormatContext, name: string): Form {
  ctx.use.forgetOperands();
  return { name, operands: [] };
}

/** cbw / cwd rows: one opcode each, named by operand size (16, 32, 64). */
const WIDEN_ACC = ['cbtw', 'cwtl', 'cltq'] as const;
const SPLIT_ACC = ['cwtd', 'cltd', 'cqto'] as const;

function byBits(ctx: FormatContext, names: readonly string[]): string {
  const bits = operandBits(ctx);
  return names[bits === 16 ? 0 : bits === 32 ? 1 : 2] as string;
}

/** movzx/movsx: source size letter (from the E operand spec) and destination size letter. */
const extend =
  (stem: 'movz' | 'movs'): Namer =>
  (ctx, ops) => {
    const src = ops[1]?.spec.size === 'w' ? 'w' : 'b';
    return plain(`${stem}${src}${suffixLetter(operandBits(ctx))}`, ops);
  };

/** The multi-byte NOP (0F 1F and the other hint-NOP opcodes): `nopl 0x0(%rax)`, `nop %eax`. */
function hintNop(ctx: FormatContext, ops: Operand[]): Form {
  const { insn } = ctx;
  if (insn.rep === 0xf3 && insn.def.opcode === 0x1e && insn.mod === 3) {
    // F3 0F 1E in register form: CET's endbr64/endbr32 (/7) and rdsspd/rdsspq (/1).
    const reg = insn.reg & 7;
    const rm = insn.rm & 7;
    if (reg === 7 && (rm === 2 || rm === 3)) {
      ctx.use.rep = true;
      return bare(ctx, rm === 2 ? 'endbr64' : 'endbr32');
    }
    if (reg === 1) {
      ctx.use.forgetOperands();
      ctx.use.rep = true;
      const wide = (insn.rex & REX_W) !== 0;
      if (wide) ctx.use.rex |= REX_W;
      ctx.use.rex |= REX_B;
      return { name: wide ? 'rdsspq' : 'rdsspd', operands: [gpr(ctx, insn.rm, wide ? 64 : 32)] };
    }
  }
  const op = ops[0];
  if (!op) return { name: 'nop', operands: [] };
  return { name: `nop${sizeSuffix(ctx, ops)}`, operands: [op.text] };
}

const PREFETCH_HINTS = ['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'];

const NAMERS: Record<string, Namer> = {
  cbw: (ctx) => ({ name: byBits(ctx, WIDEN_ACC), operands: [] }),
  cwd: (ctx) => ({ name: byBits(ctx, SPLIT_ACC), operands: [] }),
  cwde: (ctx) => ({ name: byBits(ctx, WIDEN_ACC), operands: [] }),
  cdqe: (ctx) => ({ name: byBits(ctx, WIDEN_ACC), operands: [] }),
  cdq: (ctx) => ({ name: byBits(ctx, SPLIT_ACC), operands: [] }),
  cqo: (ctx) => ({ name: byBits(ctx, SPLIT_ACC), operands: [] }),
  movzb: extend('movz'),
  movzw: extend('movz'),
  movzx: extend('movz'),
  movsb: (ctx, ops) => (ctx.insn.def.map === 0 ? stringOp(ctx, ops) : extend('movs')(ctx, ops)),
  movsw: (ctx, ops) => (ctx.insn.def.map === 0 ? stringOp(ctx, ops) : extend('movs')(ctx, ops)),
  movsx: extend('movs'),
  movslq: (ctx, ops) => plain(operandBits(ctx) === 64 ? 'movslq' : 'movsxd', ops),
  movsxd: (ctx, ops) => plain(operandBits(ctx) === 64 ? 'movslq' : 'movsxd', ops),
  movabs: (ctx, ops) => moffs(ctx, ops),
  mov: (ctx, ops) => {
    const { def } = ctx.insn;
    // B8+r with a 64-bit immediate is the only mov with an 8-byte immediate.
    if (def.map === 0 && def.opcode >= 0xb8 && def.opcode <= 0xbf && operandBits(ctx) === 64)
      return plain('movabs', ops);
    if (def.map === 0 && def.opcode >= 0xa0 && def.opcode <= 0xa3) return moffs(ctx, ops);
    return plain(`mov${sizeSuffixIf(ctx, ops)}`, ops);
  },
  nop: (ctx, ops) => {
    const { insn } = ctx;
    if (insn.def.map !== 0) return hintNop(ctx, ops);
    // 90: NOP, unless an operand-size prefix or REX.B turns it into a real exchange with rAX.
    if (insn.reg === 0 && insn.opsize !== 2) return bare(ctx, 'nop');
    return plain('xchg', ops);
  },
  // F3 90: PAUSE, unless REX.B makes it an exchange with rAX (the F3 is then an unused prefix).
  pause: (ctx, ops) => (ctx.insn.reg === 0 ? bare(ctx, 'pause') : plain('xchg', ops)),
  prefetch: (ctx, ops) => {
    const hint = ctx.insn.reg & 7;
    if (ctx.insn.mod !== 3 && hint < 4)
      return { name: PREFETCH_HINTS[hint] as string, operands: attOrder(ops) };
    return hintNop(ctx, ops);
  },
  prefetchw: (ctx, ops) => {
    const hint = ctx.insn.reg & 7;
    return plain(hint === 1 ? 'prefetchw' : hint === 2 ? 'prefetchwt1' : 'prefetch', ops);
  },
  sal: (ctx, ops) => plain(`shl${sizeSuffixIf(ctx, ops)}`, ops),
  bsf: (ctx, ops) => bitScan(ctx, ops, 'bsf', 'tzcnt'),
  bsr: (ctx, ops) => bitScan(ctx, ops, 'bsr', 'lzcnt'),
  cmpxchg8b: (ctx, ops) => {
    if ((ctx.insn.rex & REX_W) !== 0) {
      ctx.use.rex |= REX_W;
      return plain('cmpxchg16b', ops);
    }
    return plain('cmpxchg8b', ops);
  },
  pushf: (ctx) => ({ name: operandBits(ctx) === 16 ? 'pushfw' : 'pushf', operands: [] }),
  popf: (ctx) => ({ name: operandBits(ctx) === 16 ? 'popfw' : 'popf', operands: [] }),
  leave: (ctx) => ({ name: operandBits(ctx) === 16 ? 'leavew' : 'leave', operands: [] }),
  ret: (ctx, ops) => {
    if (ctx.insn.osz) {
      ctx.use.osz = true;
      return plain('retw', ops);
    }
    return plain('ret', ops);
  },
  movs: (ctx, ops) => stringOp(ctx, ops),
  cmps: (ctx, ops) => stringOp(ctx, ops),
  insb: (ctx) => portString(ctx, 'ins', 'b'),
  insl: (ctx) => portString(ctx, 'ins', 'l'),
  outsb: (ctx) => portString(ctx, 'outs', 'b'),
  outsl: (ctx) => portString(ctx, 'outs', 'l'),
  in: (ctx) => port(ctx),
  out: (ctx) => port(ctx),
  jrcxz: (ctx, ops) => {
    if (ctx.insn.adsize === 4) {
      ctx.use.asz = true;
      return plain('jecxz', ops);
    }
    return plain('jrcxz', ops);
  },
  loop: (ctx, ops) => countedLoop(ctx, ops, 'loop'),
  loope: (ctx, ops) => countedLoop(ctx, ops, 'loope'),
  loopne: (ctx, ops) => countedLoop(ctx, ops, 'loopne'),
  call: (ctx, ops) => branch(ctx, ops, 'call'),
  jmp: (ctx, ops) => branch(ctx, ops, 'jmp'),
  enter: (_ctx, ops) => ({ name: 'enter', operands: ops.map((o) => o.text) }),
};

/** The suffix, for rows the table marks as needing one when no register fixes the size. */
function sizeSuffixIf(ctx: FormatContext, ops: Operand[]): string {
  return ctx.insn.def.suffix ? sizeSuffix(ctx, ops) : '';
}

function bitScan(ctx: FormatContext, ops: Operand[], name: string, f3name: string): Form {
  if (ctx.insn.rep === 0xf3) {
    ctx.use.rep = true;
    return plain(f3name, ops);
  }
  return plain(name, ops);
}

/** movs and cmps take both operands in memory, so objdump always spells the size: movsb, cmpsq. */
function stringOp(ctx: FormatContext, ops: Operand[]): Form {
  const stem = ctx.insn.def.mnemonic.slice(0, 4);
  return plain(stem + suffixLetter(operandBits(ctx)), ops);
}

function portString(ctx: FormatContext, stem: 'ins' | 'outs', width: 'b' | 'l'): Form {
  const { insn } = ctx;
  let w: string = width;
  if (width === 'l' && insn.osz) {
    ctx.use.osz = true;
    w = 'w';
  }
  if (insn.adsize === 4) ctx.use.asz = true;
  if (stem === 'ins')
    return { name: `ins${w}`, operands: ['(%dx)', `%es:(${insn.adsize === 4 ? '%edi' : '%rdi'})`] };
  let seg = '%ds:';
  if (insn.seg !== 0) {
    seg = insn.seg === 4 ? '%fs:' : '%gs:';
    ctx.use.seg = true;
  }
  return { name: `outs${w}`, operands: [`${seg}(${insn.adsize === 4 ? '%esi' : '%rsi'})`, '(%dx)'] };
}

/** IN/OUT: the port is an immediate (E4-E7) or DX (EC-EF); the width comes from the opcode's low bit. */
function port(ctx: FormatContext): Form {
  const { insn } = ctx;
  const op = insn.def.opcode;
  let acc = '%al';
  if (op & 1) {
    if (insn.osz) ctx.use.osz = true;
    acc = insn.osz ? '%ax' : '%eax';
  }
  const where = op < 0xe8 ? `$${hexU(insn.imm & 0xff)}` : '(%dx)';
  return op & 2 ? { name: 'out', operands: [acc, where] } : { name: 'in', operands: [where, acc] };
}

/** A0-A3: a 64-bit moffs is `movabs`; with 67 it is a 32-bit offset that objdump writes `addr32 mov`. */
function moffs(ctx: FormatContext, ops: Operand[]): Form {
  return plain(ctx.insn.adsize === 4 ? 'mov' : 'movabs', ops);
}

function countedLoop(ctx: FormatContext, ops: Operand[], name: string): Form {
  if (ctx.insn.adsize === 4) {
    ctx.use.asz = true;
    return plain(`${name}l`, ops);
  }
  return plain(name, ops);
}

/**
 * Near call/jmp: an r/m operand is an indirect target, written with a `*`. objdump reads a 66 prefix on it
 * as a 16-bit target (`call *%ax`, `callw *(%rax)`).
 */
function branch(ctx: FormatContext, ops: Operand[], name: string): Form {
  const op = ops[0];
  const { insn } = ctx;
  if (!op || (op.spec.method !== 'E' && op.spec.method !== 'M')) return plain(name, ops);
  if (!insn.osz) return { name, operands: [`*${op.text}`] };
  ctx.use.osz = true;
  if (insn.mod === 3) return { name, operands: [`*${gpr(ctx, insn.rm, 16)}`] };
  return { name: `${name}w`, operands: [`*${op.text}`] };
}

/** The AT&T form of a general-purpose instruction, or undefined when the mnemonic has no special rule. */
export function integerForm(ctx: FormatContext, ops: Operand[]): Form | undefined {
  const namer = NAMERS[ctx.insn.def.mnemonic];
  return namer?.(ctx, ops);
}

/** Default rule: the table's mnemonic, a size suffix where the table asks for one, operands reversed. */
export function defaultForm(ctx: FormatContext, ops: Operand[]): Form {
  const { def } = ctx.insn;
  let suffix = '';
  if (def.suffix) {
    if (def.size === 'd64') suffix = operandBits(ctx) === 16 ? 'w' : '';
    else suffix = sizeSuffix(ctx, ops);
  }
  return { name: def.mnemonic + suffix, operands: attOrder(ops) };
}
