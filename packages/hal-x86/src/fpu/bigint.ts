/** Small BigInt helpers shared by the x87 arithmetic (exact integer math only). */

/** Powers of two 2^0..2^1024: comparing against them allocates nothing, unlike shifting. */
const POW2: bigint[] = [];
for (let k = 0; k <= 1024; k++) POW2.push(1n << BigInt(k));

/** Scratch for reading a double's exponent field. */
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Number of significant bits of a bigint's magnitude (0 for 0). */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  if (x < (POW2[1023] as bigint)) {
    // the double nearest to x has x's bit length as its exponent + 1, unless rounding carried it up
    // to the next power of two
    f64[0] = Number(x);
    const n = ((f64Words[HIGH_WORD] as number) >>> 20) - 1022;
    return x < (POW2[n - 1] as bigint) ? n - 1 : n;
  }
  const h = x.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(h.charAt(0), 16)));
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
