/**
 * `arithFlags` (all six arithmetic flags at once, what SYSCALL, PUSHF and context reads ask for) takes a
 * short path for pending ADD, SUB, INC, DEC and logic results: it must agree with the six flag getters,
 * which the differential suites check against the host CPU, for every operation, size and operand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flag, FlagOp, LazyFlags } from '../../src/cpu/flags';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/** A pending record as an instruction of `size` bytes leaves it (narrow values masked and unsigned). */
const record = fc
  .record({
    op: fc.constantFrom(
      ...Object.values(FlagOp).filter((op) => op !== FlagOp.CONCRETE && op !== FlagOp.IMUL),
    ),
    size: fc.constantFrom(1, 2, 4, 8),
    res: int32,
    resHi: int32,
    a: int32,
    aHi: int32,
    b: int32,
    bHi: int32,
    cf: fc.constantFrom(0, 1),
  })
  .map((r) => {
    const narrow = (v: number) => (r.size === 1 ? v & 0xff : r.size === 2 ? v & 0xffff : v);
    const isShift = r.op === FlagOp.SHL || r.op === FlagOp.SHR || r.op === FlagOp.SAR;
    const b = isShift ? 1 + (Math.abs(r.b) % (r.size * 8 - 1)) : narrow(r.b);
    const wide = r.size === 8;
    return {
      ...r,
      res: narrow(r.res),
      a: narrow(r.a),
      b,
      resHi: wide ? r.resHi : 0,
      aHi: wide ? r.aHi : 0,
      bHi: wide && !isShift ? r.bHi : 0,
    };
  });

describe('LazyFlags.arithFlags', () => {
  it('equals the six flag getters for every pending operation', () => {
    fc.assert(
      fc.property(record, (r) => {
        const f = new LazyFlags();
        f.setLazy(r.op, r.size, r.res, r.resHi, r.a, r.aHi, r.b, r.bHi);
        f.fcf = r.cf;
        const bySix =
          (f.cf ? Flag.CF : 0) |
          (f.pf ? Flag.PF : 0) |
          (f.af ? Flag.AF : 0) |
          (f.zf ? Flag.ZF : 0) |
          (f.sf ? Flag.SF : 0) |
          (f.of ? Flag.OF : 0);
        expect(f.arithFlags()).toBe(bySix);
      }),
      { numRuns: 20000 },
    );
  });
});
