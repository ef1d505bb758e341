/**
 * Operand screening shared by the x87 operations: unsupported encodings, NaN
 * propagation (SDM vol. 1 table 4-7, x87 column) and the denormal-operand
 * exception.
 *
 * Rules as the host CPU applies them (verified by test/fpu):
 * - An unsupported operand (unnormal, pseudo-NaN, pseudo-infinity) makes the
 *   operation invalid (#IA) and delivers the real indefinite, even if the other
 *   operand is a NaN.
 * - Any SNaN operand raises #IA; the result is a NaN operand, quieted.
 * - With two NaNs the one with the larger significand wins (so a QNaN beats an
 *   SNaN); equal significands: the positive one.
 * - NaN operands take priority over #D: no denormal exception is flagged.
 */
import { SW, type X87Env } from './control';
import {
  F80_INDEFINITE,
  type Float80,
  isDenormal80,
  isNaN80,
  isSNaN80,
  isUnsupported,
  quietNaN80,
} from './float80';

/** Masked response to an invalid operation: real indefinite; unmasked: suppress the result. */
export function invalidResult(env: X87Env): Float80 {
  if (!env.raise(SW.IE)) env.suppressed = true;
  return F80_INDEFINITE;
}

/** Pick the NaN result for two operands of which at least one is a NaN. */
export function propagateNaN(a: Float80, b: Float80): Float80 {
  const an = isNaN80(a);
  const bn = isNaN80(b);
  if (an && bn) {
    if (a.sig > b.sig) return quietNaN80(a);
    if (b.sig > a.sig) return quietNaN80(b);
    return quietNaN80(a.sign <= b.sign ? a : b);
  }
  return quietNaN80(an ? a : b);
}

/**
 * Screen the operands of an arithmetic operation.  Returns the result to deliver
 * when an operand is unsupported or a NaN (raising #IA as required), otherwise
 * null.  Clears C1 when it returns a result.
 */
export function screenOperands(env: X87Env, ...ops: Float80[]): Float80 | null {
  for (const v of ops) {
    if (isUnsupported(v)) {
      env.setCC(SW.C1, false);
      return invalidResult(env);
    }
  }
  let nan: Float80 | null = null;
  let snan = false;
  for (const v of ops) {
    if (isNaN80(v)) {
      if (isSNaN80(v)) snan = true;
      nan = nan === null ? v : propagateNaN(nan, v);
    }
  }
  if (nan === null) return null;
  env.setCC(SW.C1, false);
  if (snan && !env.raise(SW.IE)) env.suppressed = true;
  return quietNaN80(nan);
}

/**
 * Flag #D when any operand is denormal.  Returns false when the exception is
 * unmasked (the operation must not deliver a result).
 */
export function checkDenormal(env: X87Env, ...ops: Float80[]): boolean {
  return checkDenormalMem(env, false, ...ops);
}

/**
 * checkDenormal for instructions with a float32/float64 memory operand: `mem`
 * is true when that operand was a denormal in its memory format (it is normal
 * once widened, but still raises #D).
 */
export function checkDenormalMem(env: X87Env, mem: boolean, ...ops: Float80[]): boolean {
  if (mem) {
    if (!env.raise(SW.DE)) {
      env.suppressed = true;
      return false;
    }
    return true;
  }
  for (const v of ops) {
    if (isDenormal80(v)) {
      if (!env.raise(SW.DE)) {
        env.suppressed = true;
        return false;
      }
      return true;
    }
  }
  return true;
}

/**
 * Stack underflow (#IS: an operand register is empty): IE and SF, C1 = 0.
 * Masked: the real indefinite is the result; unmasked: env.suppressed (no
 * register or TOP change).
 */
export function stackUnderflow(env: X87Env): Float80 {
  env.begin();
  env.setCC(SW.C1, false);
  if (!env.raise(SW.IE | SW.SF)) env.suppressed = true;
  return F80_INDEFINITE;
}

/**
 * Stack overflow (#IS: pushing onto a full stack): IE and SF, C1 = 1.
 * Masked: the real indefinite is pushed; unmasked: env.suppressed.
 */
export function stackOverflow(env: X87Env): Float80 {
  env.begin();
  env.setCC(SW.C1, true);
  if (!env.raise(SW.IE | SW.SF)) env.suppressed = true;
  return F80_INDEFINITE;
}
