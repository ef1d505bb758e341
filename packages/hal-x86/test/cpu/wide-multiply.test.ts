import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulHighU32, mulS64, mulU32, mulU64, product } from '../../src/isa/exec/wide-multiply';
import * as wm from '../../src/isa/exec/wide-multiply';

const u64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const words = () => u64(product[0] as number, product[1] as number) | (u64(product[2] as number, product[3] as number) << 64n);
const edge = fc.oneof(fc.integer(), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000));

describe('wide multiplication without BigInt', () => {
  it('mulU32 equals the exact 64-bit product', () => {
    fc.assert(
      fc.property(edge, edge, (a, b) => {
        const lo = mulU32(a, b);
        expect(u64(lo, wm.mulHigh)).toBe(BigInt(a >>> 0) * BigInt(b >>> 0));
      }),
      { numRuns: 20000, seed: 1 },
    );
  });

  it('mulHighU32 is the exact high word of the 64-bit product', () => {
    const high = (a: number, b: number) => Number(BigInt.asIntN(32, (BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n));
    fc.assert(
      fc.property(edge, edge, (a, b) => {
        expect(mulHighU32(a, b)).toBe(high(a, b));
      }),
      { numRuns: 20000, seed: 4 },
    );
    // Products next to multiples of 2^32, where a rounding error would show.
    for (let a = 0xffffffff; a > 0xffffff00; a--) {
      for (let b = 0xffffffff; b > 0xffffff00; b--) expect(mulHighU32(a | 0, b | 0)).toBe(high(a, b));
    }
  });

  it('mulU64 equals the exact 128-bit product', () => {
    fc.assert(
      fc.property(edge, edge, edge, edge, (al, ah, bl, bh) => {
        mulU64(al, ah, bl, bh);
        expect(words()).toBe(u64(al, ah) * u64(bl, bh));
      }),
      { numRuns: 20000, seed: 2 },
    );
  });

  it('mulS64 equals the exact signed 128-bit product', () => {
    fc.assert(
      fc.property(edge, edge, edge, edge, (al, ah, bl, bh) => {
        mulS64(al, ah, bl, bh);
        const exact = BigInt.asIntN(64, u64(al, ah)) * BigInt.asIntN(64, u64(bl, bh));
        expect(words()).toBe(BigInt.asUintN(128, exact));
      }),
      { numRuns: 20000, seed: 3 },
    );
  });
});
