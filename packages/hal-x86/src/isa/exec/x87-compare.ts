/**
 * x87 comparisons and classification: FCOM/FCOMP/FCOMPP and FUCOM/FUCOMP/FUCOMPP (condition codes C3 C2
 * C0), FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF PF CF in RFLAGS; OF SF AF cleared), FTST and FXAM.
 *
 * An empty operand is a stack underflow reported as "unordered" (C3 = C2 = C0 = 1, or ZF = PF = CF = 1).
 * The condition codes and flags are written even when the invalid-operation exception is unmasked; only
 * the pops are then skipped.
 */
import type { Cpu } from '../../cpu/cpu';
import { Flag } from '../../cpu/flags';
import {
  comiFlags,
  fcom,
  fcomi,
  fucom,
  fucomi,
  fxam,
  ftst,
  setCompareCC,
  stackUnderflow,
  SW,
} from '../../fpu';
import type { Insn } from '../insn';
import { readMemOperand } from './x87-arith';
import { begin, commit, commitMem, isEmpty, pop, st } from './x87-stack';

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
  } else if ((i.sub & Cmp.QUIET) !== 0) fucom(e, st(x, 0), st(x, j));
  else fcom(e, st(x, 0), st(x, j));
  if (!e.suppressed) pops(c, i.sub);
  commit(c, i);
}

/** FCOM/FCOMP m32fp/m64fp and FICOM/FICOMP m16int/m32int (`sub` >> 3 is the memory format). */
export function fcomMem(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const la = c.ea(i);
  const m = readMemOperand(c, e, la, i.sub >> 3);
  if (isEmpty(x, 0)) {
    stackUnderflow(e);
    setCompareCC(e, 'unordered');
  } else fcom(e, st(x, 0), m.value, m.denormal);
  if (!e.suppressed) pops(c, i.sub);
  commitMem(c, i, la);
}

/** FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i). */
export function fcomiReg(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  const j = i.rm & 7;
  let f: { zf: boolean; pf: boolean; cf: boolean };
  if (isEmpty(x, 0) || isEmpty(x, j)) {
    stackUnderflow(e);
    f = comiFlags('unordered');
  } else {
    // C1 keeps its value, as on AMD processors (Intel's manual has it cleared); only an underflow clears it
    const c1 = (e.sw & SW.C1) !== 0;
    f = (i.sub & Cmp.QUIET) !== 0 ? fucomi(e, st(x, 0), st(x, j)) : fcomi(e, st(x, 0), st(x, j));
    e.setCC(SW.C1, c1);
  }
  c.setArith((f.zf ? Flag.ZF : 0) | (f.pf ? Flag.PF : 0) | (f.cf ? Flag.CF : 0));
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
  } else ftst(e, st(x, 0));
  commit(c, i);
}

/** FXAM: classifies ST(0) into C3 C2 C0, with its sign in C1 (an empty register's sign bit too). */
export function fxamOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = begin(c);
  fxam(e, st(x, 0), isEmpty(x, 0));
  commit(c, i);
}
