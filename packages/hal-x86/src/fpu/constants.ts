/**
 * x87 constant loads: FLD1, FLDZ, FLDPI, FLDL2E, FLDL2T, FLDLG2, FLDLN2.
 *
 * The irrational constants are held internally with more than 64 bits and are
 * rounded to 64 bits according to RC (PC is ignored); the loads raise no
 * exception and clear C1 (checked against the host CPU by test/fpu).
 */

import { type BF, div, LN2, LN10, PI, trunc } from './bigfloat';
import { bitLength } from './bigint';
import { type RoundingMode, SW, type X87Env } from './control';
import { F80_EXP_BIAS, F80_ONE, F80_POS_ZERO, type Float80, makeF80 } from './float80';
import { roundAt } from './round';

export type ConstantName = 'one' | 'zero' | 'pi' | 'l2e' | 'l2t' | 'lg2' | 'ln2';

const P = 192;
let exactValues: Record<'pi' | 'l2e' | 'l2t' | 'lg2' | 'ln2', BF> | undefined;

function values(): Record<'pi' | 'l2e' | 'l2t' | 'lg2' | 'ln2', BF> {
  if (!exactValues) {
    const ln2 = LN2(P + 16);
    const ln10 = LN10(P + 16);
    exactValues = {
      pi: trunc(PI(P + 16), P),
      l2e: div({ m: 1n, e: 0 }, ln2, P),
      l2t: div(ln10, ln2, P),
      lg2: div(ln2, ln10, P),
      ln2: trunc(ln2, P),
    };
  }
  return exactValues;
}

/** A positive irrational constant rounded to 64 bits with the given RC. */
export function roundConstant(v: BF, rc: RoundingMode): Float80 {
  const L = bitLength(v.m);
  const r = roundAt(0, v.m, v.e, true, v.e + L - 64, rc);
  let q = r.q;
  let top = v.e + L - 1;
  if (bitLength(q) > 64) {
    q >>= 1n;
    top += 1;
  }
  return makeF80(0, top + F80_EXP_BIAS, q);
}

/** The value FLDxx loads under the given rounding mode. */
export function constantValue(name: ConstantName, rc: RoundingMode): Float80 {
  if (name === 'one') return F80_ONE;
  if (name === 'zero') return F80_POS_ZERO;
  return roundConstant(values()[name], rc);
}

/** Execute a constant load: returns the value to push; no exceptions, C1 cleared. */
export function loadConstant(env: X87Env, name: ConstantName): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  return constantValue(name, env.rc);
}
