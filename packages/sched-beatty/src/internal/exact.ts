/**
 * Exact integer division on JavaScript numbers. JavaScript has no integer divide: `a / b` is a double
 * division whose result may round up to the next integer when the true quotient lies just below it. The
 * quotient estimate is therefore corrected with exact integer multiplication and subtraction, so the
 * results are the true floor quotient and remainder for every pair of safe integers whose `q * b` stays
 * below 2^53 (all callers keep their operands far inside that).
 */

/** Floor quotient of a / b for integers a, b with b > 0. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q -= 1;
  else if (r >= b) q += 1;
  return q;
}
