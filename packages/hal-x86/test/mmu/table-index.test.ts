/** Page-table indices: bits 47..39, 38..30, 29..21 and 20..12 of a canonical address, upper half included. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tableIndex, tableIndices } from '../../src/index';

/** The indices read off the 64-bit two's-complement bits of `va`. */
function bits(va: number): number[] {
  const u = BigInt.asUintN(64, BigInt(va));
  return [39n, 30n, 21n, 12n].map((shift) => Number((u >> shift) & 511n));
}

describe('tableIndex', () => {
  it('agrees with the address bits for canonical addresses in both halves', () => {
    const canonical = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 47 - 1 }),
      fc.integer({ min: -(2 ** 47), max: -1 }),
      fc.constantFrom(0, 4095, 4096, 2 ** 47 - 4096, -(2 ** 47), -4096, -1),
    );
    fc.assert(
      fc.property(canonical, (va) => {
        const want = bits(va);
        expect([0, 1, 2, 3].map((level) => tableIndex(va, level))).toEqual(want);
        expect(tableIndices(va)).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });
});
