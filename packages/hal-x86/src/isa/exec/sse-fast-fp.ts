/**
 * Exact shortcuts for SSE/SSE2 floating-point arithmetic under the default MXCSR controls: round to
 * nearest, every exception masked, no DAZ, no FTZ (MXCSR 0x1f80 apart from the six sticky flags), the
 * state programs almost always run in.
 *
 * Under those controls, an operation on zero or normal operands whose result is finite and not tiny
 * raises no exception except possibly precision (PE), and its result is JavaScript's own: binary64
 * arithmetic is IEEE 754 round-to-nearest-even, and a binary32 result is the binary64 result rounded once
 * more by Math.fround (an innocuous double rounding for + - * / and sqrt, since 53 >= 2 * 24 + 2). The
 * operation functions below return that result, or NaN when the operation is outside those conditions
 * (NaN or infinite operands, denormals, overflow, possible tininess, division by zero, negative square
 * roots). NaN is never a result they can produce, so it is free to mean "ask the exact path"
 * (sse-fp.ts), which decides everything else and is the reference the tests compare with.
 *
 * PE is sticky: once set, nothing more needs to be known about an operation that passed. While it is
 * clear, the `inexact` functions decide it with error-free transformations (TwoSum, and Dekker's product
 * with Veltkamp splitting), which are exact within the ranges they check; outside them they answer
 * UNKNOWN and the caller takes the exact path.
 *
 * The functions are small and separate per operation so that the compiler inlines them into the handlers.
 */
import type { Cpu } from '../../cpu/cpu';
import { HUGE_SAFE, MIN32, MIN64, MX_PE, MX_PM, PROD_SAFE, TINY_SAFE, twoProdErr, twoSumErr } from './sse-fp';

/** MXCSR bits other than the six exception flags: the controls. */
const MXCSR_CONTROLS = 0xffc0;
/** Controls at reset: all exceptions masked, round to nearest, no DAZ or FTZ. */
const MXCSR_DEFAULT_CONTROLS = 0x1f80;

/** Answers of the `inexact` functions (bits, so that the answers for several elements can be or-ed). */
export const EXACT = 0;
export const INEXACT = 1;
export const UNKNOWN = 2;

const NO = Number.NaN;

/** Whether the controls are the default ones (the six sticky flags may be anything). */
export function defaultControls(mxcsr: number): boolean {
  return (mxcsr & MXCSR_CONTROLS) === MXCSR_DEFAULT_CONTROLS;
}

/**
 * Records a precision exception for an operation that raises nothing else: false when PE is unmasked,
 * since the instruction then faults with #XM (whether or not the sticky flag is already set), which the
 * exact path reports.
 */
export function notePrecision(c: Cpu): boolean {
  const m = c.mxcsr;
  if ((m & MX_PM) === 0) return false;
  if ((m & MX_PE) === 0) c.mxcsr = m | MX_PE;
  return true;
}

/**
 * A binary64 operand that raises nothing and is not changed by DAZ: zero, normal or infinite (not NaN,
 * not denormal). Comparisons and widening conversions of such operands behave alike under every MXCSR.
 */
export function ordinary64(x: number): boolean {
  return x === 0 || x >= MIN64 || x <= -MIN64;
}

/** ordinary64 for a binary32 value held as a double. */
export function ordinary32(x: number): boolean {
  return x === 0 || x >= MIN32 || x <= -MIN32;
}

/** A binary64 denormal (false for zero, normals, infinities and NaN). */
function denormal64(x: number): boolean {
  return x !== 0 && x < MIN64 && x > -MIN64;
}

/** A binary32 denormal, for a binary32 value held as a double. */
function denormal32(x: number): boolean {
  return x !== 0 && x < MIN32 && x > -MIN32;
}

// ------------------------------------------------------------------------------------------ binary64

/** a + b (subtraction: a + -b). Sums of normals are exact when tiny, so only overflow and operands matter. */
export function add64(a: number, b: number): number {
  const r = a + b;
  return r - r === 0 && !denormal64(a) && !denormal64(b) ? r : NO;
}

/** a * b. A product of magnitude MIN64 or less may be tiny (x86 detects tininess after rounding). */
export function mul64(a: number, b: number): number {
  const r = a * b;
  return r - r === 0 && !denormal64(a) && !denormal64(b) && (r > MIN64 || r < -MIN64 || a === 0 || b === 0)
    ? r
    : NO;
}

/** a / b. A zero divisor gives an infinite or NaN quotient, rejected with every non-finite result. */
export function div64(a: number, b: number): number {
  const r = a / b;
  return r - r === 0 && !denormal64(a) && !denormal64(b) && (r > MIN64 || r < -MIN64 || a === 0) ? r : NO;
}

/** sqrt(b) (sqrt(-0) = -0). */
export function sqrt64(b: number): number {
  if (b === 0) return b;
  return b >= MIN64 && b < Infinity ? Math.sqrt(b) : NO;
}

/** MIN: the second operand unless the first is smaller, so equal values and +0 vs -0 give the second. */
export function min64(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || denormal64(a) || denormal64(b)) return NO;
  // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.min's
  return a < b ? a : b;
}

export function max64(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || denormal64(a) || denormal64(b)) return NO;
  // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.max's
  return a > b ? a : b;
}

/** Whether r = add64(a, b) was rounded (TwoSum's error term; no overflow since r is finite). */
export function inexactSum64(a: number, b: number, r: number): number {
  return twoSumErr(a, b, r) !== 0 ? INEXACT : EXACT;
}

export function inexactProduct64(a: number, b: number, r: number): number {
  if (a === 0 || b === 0) return EXACT;
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  const ar = Math.abs(r);
  if (aa >= HUGE_SAFE || ab >= HUGE_SAFE || ar < TINY_SAFE || ar >= PROD_SAFE) return UNKNOWN;
  return twoProdErr(a, b, r) !== 0 ? INEXACT : EXACT;
}

/** The quotient r = a / b is exact exactly when r * b gives back a, which Dekker's product checks. */
export function inexactQuotient64(a: number, b: number, r: number): number {
  if (a === 0) return EXACT;
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  const ar = Math.abs(r);
  if (ar < TINY_SAFE || ar >= HUGE_SAFE || ab >= HUGE_SAFE || aa < TINY_SAFE || aa >= PROD_SAFE)
    return UNKNOWN;
  const p = r * b;
  return p !== a || twoProdErr(r, b, p) !== 0 ? INEXACT : EXACT;
}

export function inexactRoot64(b: number, r: number): number {
  if (b === 0) return EXACT;
  if (b < TINY_SAFE || b >= PROD_SAFE) return UNKNOWN;
  const p = r * r;
  return p !== b || twoProdErr(r, r, p) !== 0 ? INEXACT : EXACT;
}

// ------------------------------------------------------------------------------------------ binary32
// Operands and results are binary32 values held as doubles. Every binary32 answer is decidable: when the
// result f equals the binary64 result, it has at most 24 significant bits, so f * b and f * f are exact
// in binary64 and comparing them with the operand decides a quotient or a square root.

export function add32(a: number, b: number): number {
  const f = Math.fround(a + b);
  return f - f === 0 && !denormal32(a) && !denormal32(b) ? f : NO;
}

/** The product of two binary32 values is exact in binary64, so it decides tininess exactly. */
export function mul32(a: number, b: number): number {
  const r = a * b;
  const f = Math.fround(r);
  return f - f === 0 && !denormal32(a) && !denormal32(b) && (r >= MIN32 || r <= -MIN32 || a === 0 || b === 0)
    ? f
    : NO;
}

/**
 * A binary64 quotient of at least MIN32 means an exact quotient that rounds to at least MIN32 in binary32
 * with an unbounded exponent: not tiny.
 */
export function div32(a: number, b: number): number {
  const r = a / b;
  const f = Math.fround(r);
  return f - f === 0 && !denormal32(a) && !denormal32(b) && (r >= MIN32 || r <= -MIN32 || a === 0) ? f : NO;
}

export function sqrt32(b: number): number {
  if (b === 0) return b;
  return b >= MIN32 && b < Infinity ? Math.fround(Math.sqrt(b)) : NO;
}

export function min32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || denormal32(a) || denormal32(b)) return NO;
  // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.min's
  return a < b ? a : b;
}

export function max32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || denormal32(a) || denormal32(b)) return NO;
  // biome-ignore lint/complexity/useMathMinMax: x86 semantics, not Math.max's
  return a > b ? a : b;
}

export function inexactSum32(a: number, b: number, f: number): number {
  const r = a + b;
  return f !== r || twoSumErr(a, b, r) !== 0 ? INEXACT : EXACT;
}

export function inexactProduct32(a: number, b: number, f: number): number {
  return f !== a * b ? INEXACT : EXACT;
}

export function inexactQuotient32(a: number, b: number, f: number): number {
  if (a === 0) return EXACT; // also 0 / infinity, where f * b would be NaN
  return f !== a / b || f * b !== a ? INEXACT : EXACT;
}

export function inexactRoot32(b: number, f: number): number {
  return f !== Math.sqrt(b) || f * f !== b ? INEXACT : EXACT;
}
