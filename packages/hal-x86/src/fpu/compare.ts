/**
 * x87 comparisons and classification: FCOM/FCOMP/FCOMPP/FICOM (signalling on
 * any NaN), FUCOM* (signalling only on SNaN), FCOMI/FUCOMI (EFLAGS), FTST and
 * FXAM (SDM vol. 1, 8.3.7 and tables 8-6, 8-7; vol. 2 FCOM, FCOMI, FTST, FXAM).
 */
import { SW, type X87Env } from './control';
import {
  classifyF80,
  F80_POS_ZERO,
  F80Class,
  type Float80,
  f80Exact,
  isInf80,
  isNaN80,
  isSNaN80,
  isUnsupported,
  isZero80,
} from './float80';
import { checkDenormalMem } from './operands';

export type CompareResult = 'gt' | 'lt' | 'eq' | 'unordered';

function cmpMag(a: Float80, b: Float80): number {
  if (isInf80(a) || isInf80(b)) {
    if (isInf80(a) && isInf80(b)) return 0;
    return isInf80(a) ? 1 : -1;
  }
  const x = f80Exact(a);
  const y = f80Exact(b);
  const e = Math.min(x.e2, y.e2);
  const vx = x.sig << BigInt(x.e2 - e);
  const vy = y.sig << BigInt(y.e2 - e);
  return vx > vy ? 1 : vx < vy ? -1 : 0;
}

/** Order two valid, non-NaN operands (signed zeros compare equal). */
export function orderValues(a: Float80, b: Float80): CompareResult {
  const az = isZero80(a);
  const bz = isZero80(b);
  if (az && bz) return 'eq';
  const sa = az ? 0 : a.sign === 1 ? -1 : 1;
  const sb = bz ? 0 : b.sign === 1 ? -1 : 1;
  if (sa !== sb) return sa > sb ? 'gt' : 'lt';
  const m = cmpMag(a, b) * sa;
  return m > 0 ? 'gt' : m < 0 ? 'lt' : 'eq';
}

/**
 * Compare a (ST(0)) with b.  `quiet` selects FUCOM semantics (QNaN operands do
 * not raise #IA).  Raises #IA / #D.  The host CPU writes the condition codes /
 * EFLAGS even when the exception is unmasked, but then does not pop the stack
 * (FCOMP, FCOMPP, FCOMIP, ...): env.suppressed tells the caller to skip the pop.
 */
export function compare(
  env: X87Env,
  a: Float80,
  b: Float80,
  quiet: boolean,
  memDenormal = false,
): CompareResult {
  env.begin();
  if (isUnsupported(a) || isUnsupported(b)) {
    if (!env.raise(SW.IE)) env.suppressed = true;
    return 'unordered';
  }
  if (isNaN80(a) || isNaN80(b)) {
    const signal = !quiet || isSNaN80(a) || isSNaN80(b);
    if (signal && !env.raise(SW.IE)) env.suppressed = true;
    return 'unordered';
  }
  checkDenormalMem(env, memDenormal, a, b); // the comparison is made even when #D is unmasked
  return orderValues(a, b);
}

/** Condition codes (C3, C2, C0) for a comparison result; C1 is cleared. */
export function setCompareCC(env: X87Env, r: CompareResult): void {
  const c3 = r === 'eq' || r === 'unordered';
  const c2 = r === 'unordered';
  const c0 = r === 'lt' || r === 'unordered';
  env.setCCs(c3, c2, false, c0);
}

/** FCOM family: compare and set C3/C2/C0 (C1 = 0). */
export function fcom(env: X87Env, a: Float80, b: Float80, memDenormal = false): CompareResult {
  const r = compare(env, a, b, false, memDenormal);
  applyCC(env, r);
  return r;
}

/** FUCOM family. */
export function fucom(env: X87Env, a: Float80, b: Float80): CompareResult {
  const r = compare(env, a, b, true);
  applyCC(env, r);
  return r;
}

function applyCC(env: X87Env, r: CompareResult): void {
  setCompareCC(env, r);
}

/** EFLAGS produced by FCOMI/FUCOMI (OF, SF, AF are cleared by the instruction). */
export interface ComiFlags {
  zf: boolean;
  pf: boolean;
  cf: boolean;
}

export function comiFlags(r: CompareResult): ComiFlags {
  return {
    zf: r === 'eq' || r === 'unordered',
    pf: r === 'unordered',
    cf: r === 'lt' || r === 'unordered',
  };
}

/** FCOMI: compare, clear C1 and return the EFLAGS (always written; env.suppressed only skips FCOMIP's pop). */
export function fcomi(env: X87Env, a: Float80, b: Float80): ComiFlags {
  const r = compare(env, a, b, false);
  env.setCC(SW.C1, false);
  return comiFlags(r);
}

/** FUCOMI. */
export function fucomi(env: X87Env, a: Float80, b: Float80): ComiFlags {
  const r = compare(env, a, b, true);
  env.setCC(SW.C1, false);
  return comiFlags(r);
}

/** FTST: compare ST(0) with +0.0 (signalling on NaN, like FCOM). */
export function ftst(env: X87Env, a: Float80): CompareResult {
  return fcom(env, a, F80_POS_ZERO);
}

/** FXAM class codes as (C3 << 2) | (C2 << 1) | C0. */
export const FxamClass = {
  Unsupported: 0b000,
  NaN: 0b001,
  Normal: 0b010,
  Infinity: 0b011,
  Zero: 0b100,
  Empty: 0b101,
  Denormal: 0b110,
} as const;

/** FXAM: classify ST(0) (pass empty=true for an empty register); C1 = sign. Never raises. */
export function fxam(env: X87Env, a: Float80, empty = false): number {
  env.begin();
  let code: number;
  if (empty) code = FxamClass.Empty;
  else {
    switch (classifyF80(a)) {
      case F80Class.Zero:
        code = FxamClass.Zero;
        break;
      case F80Class.Denormal:
      case F80Class.PseudoDenormal:
        code = FxamClass.Denormal;
        break;
      case F80Class.Normal:
        code = FxamClass.Normal;
        break;
      case F80Class.Infinity:
        code = FxamClass.Infinity;
        break;
      case F80Class.QNaN:
      case F80Class.SNaN:
        code = FxamClass.NaN;
        break;
      default:
        code = FxamClass.Unsupported;
    }
  }
  env.setCCs((code & 4) !== 0, (code & 2) !== 0, a.sign === 1, (code & 1) !== 0);
  return code;
}
