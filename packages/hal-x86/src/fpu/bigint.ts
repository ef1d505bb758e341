/** Small BigInt helpers shared by the x87 arithmetic (exact integer math only). */

/** Number of significant bits of a non-negative bigint (0 for 0). */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x === 0n) return 0;
  const h = x.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h.charAt(0), 16)));
}

/** floor(sqrt(n)) for n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  const L = bitLength(n);
  // initial guess >= sqrt(n): 2^ceil(L/2)
  let x = 1n << BigInt((L + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Number of trailing zero bits (x != 0). */
export function trailingZeros(x: bigint): number {
  if (x === 0n) return 0;
  let n = 0;
  while ((x & 0xffffffffn) === 0n) {
    x >>= 32n;
    n += 32;
  }
  let lo = Number(x & 0xffffffffn);
  while ((lo & 1) === 0) {
    lo >>>= 1;
    n++;
  }
  return n;
}

/** Shift left for non-negative k, right (floor) for negative k. */
export function shiftBy(x: bigint, k: number): bigint {
  return k >= 0 ? x << BigInt(k) : x >> BigInt(-k);
}
