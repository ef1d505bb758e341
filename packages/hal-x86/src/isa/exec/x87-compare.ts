/**
 * x87 comparisons and classification: FCOM/FCOMP/FCOMPP and FUCOM/FUCOMP/FUCOMPP (condition codes C3 C2
 * C0), FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF PF CF in RFLAGS; OF SF AF cleared), FTST and FXAM.
 *
 * An empty operand is a stack underflow reported as "unordered" (C3 = C2 = C0 = 1, or ZF = PF = CF = 1).
 * The condition codes and flags are written even when the invalid-operation exception is unmasked; only
 * the pops are then skipped.
 *
 * Normal and zero operands are ordered in word form (orderParts); anything that may raise an exception
 * goes to the general compare of src/fpu.
 */
import type { Cpu } from '../../cpu/cpu';
import { Flag } from '../../cpu/flags';
import {
  type CompareResult,
  F80Parts,
  fcom,
  fcomi,
  ftst,
  fucom,
  fucomi,
  fxam,
  orderParts,
  partsToF80,
  SW,
  setCompareCC,
  stackUnderflow,
} from '../../fpu';
import type { Insn } from '../insn';
import { readMemOperand } from './x87-arith';
import { begin, commit, commitMem, isEmpty, opA, opB, pop, readSt, st } from './x87-stack';

const POSITIVE_ZERO = new F80Parts();

/** ZF, PF and CF as FCOMI sets them for a comparison result. */
function comiBits(r: CompareResult): number {
  if (r === 'unordered') return Flag.ZF | Flag.PF | Flag.CF;
  return r === 'eq' ? Flag.ZF : r === 'lt' ? Flag.CF : 0;
}

/** `sub` bits of the compare rows. */
export const Cmp = { POP: 1, POP2: 2, QUIET: 4 } as const;

function pops(c: Cpu, sub: number): void {
  if ((sub & Cmp.POP2) !== 0) {
    pop(c.x87);
    pop(c.x87);
  } else if ((sub & Cmp.POP) !== 0) pop(c.x87);
}

/** FCOM/FCOMP ST(i) (and FCOM2/FCOMP3/FCOMP5), FCOMPP, FUCOM/FUCOMP ST(i), FUCOMPP. */
export function fcomReg(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  if (isEmpty(x, 0) || isEmpty(x, j)) {
    stackUnderflow(e);
    setCompareCC(e, 'unordered');
  } else {
    const r = orderParts(readSt(x, 0, opA), readSt(x, j, opB));
    if (r !== null) setCompareCC(e, r);
    else if ((i.sub & Cmp.QUIET) !== 0) fucom(e, partsToF80(opA), partsToF80(opB));
    else fcom(e, partsToF80(opA), partsToF80(opB));
  }
  if (!e.suppressed) pops(c, i.sub);
  commit(c, i);
}

/** FCOM/FCOMP m32fp/m64fp and FICOM/FICOMP m16int/m32int (`sub` >> 3 is the memory format). */
export function fcomMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const la = c.ea(i);
  const m = readMemOperand(c, la, i.sub >> 3, opB);
  if (isEmpty(x, 0)) {
    stackUnderflow(e);
    setCompareCC(e, 'unordered');
  } else {
    readSt(x, 0, opA);
    const r = m === null ? orderParts(opA, opB) : null;
    if (r !== null) setCompareCC(e, r);
    else if (m === null) fcom(e, partsToF80(opA), partsToF80(opB));
    else fcom(e, partsToF80(opA), m.value, m.denormal);
  }
  if (!e.suppressed) pops(c, i.sub);
  commitMem(c, i, la);
}

/** FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i). */
export function fcomiReg(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  let flags: number;
  if (isEmpty(x, 0) || isEmpty(x, j)) {
    stackUnderflow(e);
    flags = comiBits('unordered');
  } else {
    // C1 keeps its value, as on AMD processors (Intel's manual has it cleared); only an underflow clears it
    const ordered = orderParts(readSt(x, 0, opA), readSt(x, j, opB));
    if (ordered !== null) flags = comiBits(ordered);
    else {
      const c1 = (e.sw & SW.C1) !== 0;
      const a = partsToF80(opA);
      const b = partsToF80(opB);
      const f = (i.sub & Cmp.QUIET) !== 0 ? fucomi(e, a, b) : fcomi(e, a, b);
      e.setCC(SW.C1, c1);
      flags = (f.zf ? Flag.ZF : 0) | (f.pf ? Flag.PF : 0) | (f.cf ? Flag.CF : 0);
    }
  }
  c.setArith(flags);
  if (!e.suppressed) pops(c, i.sub);
  commit(c, i);
}

/** FTST: compares ST(0) with +0.0. */
export function ftstOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  if (isEmpty(x, 0)) {
    stackUnderflow(e);
    setCompareCC(e, 'unordered');
  } else {
    const r = orderParts(readSt(x, 0, opA), POSITIVE_ZERO);
    if (r !== null) setCompareCC(e, r);
    else ftst(e, partsToF80(opA));
  }
  commit(c, i);
}

/** FXAM: classifies ST(0) into C3 C2 C0, with its sign in C1 (an empty register's sign bit too). */
export function fxamOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  fxam(e, st(x, 0), isEmpty(x, 0));
  commit(c, i);
}
