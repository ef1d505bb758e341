/**
 * x87 transcendental instructions: F2XM1 FSIN FCOS (ST(0) in place), FPTAN and FSINCOS (replace ST(0) and
 * push a second result), FYL2X FYL2XP1 FPATAN (combine ST(0) and ST(1) into ST(1), then pop). The values
 * come from src/fpu/transcendental.ts; see its notes for how closely they follow the hardware.
 *
 * FSIN, FCOS, FPTAN and FSINCOS leave an operand with |x| >= 2^63 unchanged and set C2 (nothing pushed).
 * FPTAN and FSINCOS treat an empty ST(0) or a full stack alike: ST(0) and the pushed register both become
 * the real indefinite (masked response).
 */
import type { Cpu } from '../../cpu/cpu';
import {
  F80_INDEFINITE,
  type Float80,
  f2xm1,
  fcos,
  fpatan,
  fptan,
  fsin,
  fsincos,
  fyl2x,
  fyl2xp1,
  stackOverflow,
  stackUnderflow,
  SW,
  type X87Env,
} from '../../fpu';
import type { Insn } from '../insn';
import { begin, commit, isEmpty, isFull, pop, push, setSt, st } from './x87-stack';

/** Starts a transcendental instruction; C1 is cleared first, as for arithmetic. */
function beginTrans(c: Cpu): X87Env {
  const e = begin(c);
  e.setCC(SW.C1, false);
  return e;
}

export const Trans = { F2XM1: 0, FSIN: 1, FCOS: 2 } as const;

/** F2XM1, FSIN, FCOS (`sub` = Trans). */
export function transUnary(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginTrans(c);
  let r: Float80;
  if (isEmpty(x, 0)) {
    r = stackUnderflow(e);
    if (i.sub !== Trans.F2XM1) e.setCC(SW.C2, false);
  } else if (i.sub === Trans.F2XM1) r = f2xm1(e, st(x, 0));
  else r = (i.sub === Trans.FSIN ? fsin : fcos)(e, st(x, 0)).value;
  if (!e.suppressed) setSt(x, 0, r);
  commit(c, i);
}

/** Masked response of FPTAN/FSINCOS to an empty ST(0) or a full stack; false when unmasked. */
function pushFault(x: Cpu['x87'], e: X87Env): boolean {
  if (isEmpty(x, 0)) stackUnderflow(e);
  else stackOverflow(e);
  e.setCC(SW.C2, false);
  if (e.suppressed) return false;
  setSt(x, 0, F80_INDEFINITE);
  push(x, F80_INDEFINITE);
  return true;
}

/** FPTAN: ST(0) = tan ST(0), then push 1.0. */
export function fptanOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginTrans(c);
  if (isEmpty(x, 0) || isFull(x)) pushFault(x, e);
  else {
    const r = fptan(e, st(x, 0));
    if (!e.suppressed && !r.outOfRange) {
      setSt(x, 0, r.value);
      push(x, r.one);
    }
  }
  commit(c, i);
}

/** FSINCOS: ST(0) = sin ST(0), then push cos. */
export function fsincosOp(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginTrans(c);
  if (isEmpty(x, 0) || isFull(x)) pushFault(x, e);
  else {
    const r = fsincos(e, st(x, 0));
    if (!e.suppressed && !r.outOfRange) {
      setSt(x, 0, r.sin);
      push(x, r.cos);
    }
  }
  commit(c, i);
}

export const Trans2 = { FYL2X: 0, FYL2XP1: 1, FPATAN: 2 } as const;
const BINARY: readonly ((e: X87Env, x: Float80, y: Float80) => Float80)[] = [fyl2x, fyl2xp1, fpatan];

/** FYL2X, FYL2XP1, FPATAN (`sub` = Trans2): ST(1) = f(x = ST(0), y = ST(1)), then pop. */
export function transBinary(c: Cpu, i: Insn): void {
  const x = c.x87;
  const e = beginTrans(c);
  const r =
    isEmpty(x, 0) || isEmpty(x, 1)
      ? stackUnderflow(e)
      : (BINARY[i.sub] as (e: X87Env, x: Float80, y: Float80) => Float80)(e, st(x, 0), st(x, 1));
  if (!e.suppressed) {
    setSt(x, 1, r);
    pop(x);
  }
  commit(c, i);
}
