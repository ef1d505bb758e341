/**
 * Exact 32x32->64 and 64x64->128-bit multiplication on int32 halves with double arithmetic (no BigInt):
 * every partial product is kept below 2^53 so that it is exact.
 */

const TWO32 = 4294967296;

/** Scratch result: [w0, w1, w2, w3] little-endian 32-bit words (as int32) of the last product. */
export const product = new Int32Array(4);

/** Unsigned 32x32 product; returns the low word (int32) and leaves the high word in `mulHigh`. */
export let mulHigh = 0;
export function mulU32(a: number, b: number): number {
  // Four 16x16 partial products, each below 2^32, combined with integer shifts only.
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mulHigh = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  return Math.imul(a, b);
}

/**
 * High word (int32) of the unsigned 32x32 product of a and b. The double product is within 2^11 of the
 * exact one and so is the difference with the exact low word, so dividing by 2^32 and rounding to the
 * nearest integer gives the high word exactly.
 */
export function mulHighU32(a: number, b: number): number {
  return Math.round(((a >>> 0) * (b >>> 0) - (Math.imul(a, b) >>> 0)) / TWO32) | 0;
}

/** Low 64 bits of a 64x64 product (signed and unsigned agree), lo returned, hi in `mulHigh`. */
export function mulLow64(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = mulU32(alo, blo);
  mulHigh = (mulHigh + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  return lo;
}

/** Unsigned 64x64 -> 128 product of (alo, ahi) and (blo, bhi), into `product`. */
export function mulU64(alo: number, ahi: number, blo: number, bhi: number): void {
  const p00 = mulU32(alo, blo);
  const p00h = mulHigh >>> 0;
  const p01 = mulU32(alo, bhi) >>> 0;
  const p01h = mulHigh >>> 0;
  const p10 = mulU32(ahi, blo) >>> 0;
  const p10h = mulHigh >>> 0;
  const p11 = mulU32(ahi, bhi) >>> 0;
  const p11h = mulHigh >>> 0;
  // Column sums (each < 2^35, exact).
  const c1 = p00h + p01 + p10;
  const c2 = p01h + p10h + p11 + Math.floor(c1 / TWO32);
  const c3 = p11h + Math.floor(c2 / TWO32);
  product[0] = p00;
  product[1] = c1 % TWO32 | 0;
  product[2] = c2 % TWO32 | 0;
  product[3] = c3 % TWO32 | 0;
}

/**
 * Signed 64x64 -> 128 product into `product`: the unsigned product with the high half corrected by the
 * operands' signs (high -= b if a < 0; high -= a if b < 0).
 */
export function mulS64(alo: number, ahi: number, blo: number, bhi: number): void {
  mulU64(alo, ahi, blo, bhi);
  if (ahi < 0) subHigh(blo, bhi);
  if (bhi < 0) subHigh(alo, ahi);
}

function subHigh(lo: number, hi: number): void {
  const l = (product[2] as number) >>> 0;
  const borrow = l < lo >>> 0 ? 1 : 0;
  product[2] = (l - (lo >>> 0)) | 0;
  product[3] = ((product[3] as number) - hi - borrow) | 0;
}
