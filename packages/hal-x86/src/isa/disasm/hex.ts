/** Number formatting in the style of GNU objdump's AT&T output: lower-case hex with a 0x prefix. */

/** A 64-bit value from the decoder's lo/hi int32 pair, as an unsigned bigint. */
export function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** `0x…` of a value reduced modulo 2^bits. */
export function hexU(value: number | bigint, bits = 64): string {
  const v = BigInt.asUintN(bits, typeof value === 'bigint' ? value : BigInt(value));
  return `0x${v.toString(16)}`;
}

/** Bare hex (no 0x) of an address reduced modulo 2^64, as objdump prints branch targets next to a symbol. */
export function hexBare(value: number | bigint): string {
  return BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(value)).toString(16);
}

/** Signed displacement: `-0x8`, `0x10`. */
export function hexS(value: number): string {
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}
