/**
 * The number-form fast paths of src/fpu (fast-*.ts) against the bigint operations they stand in for.
 * Each property runs both on the same operands, control word and status word: when the fast path takes
 * a case, the result and the whole status word (flags, ES/B for unmasked precision exceptions, C1) must
 * be the reference's bit for bit; when it declines, it must have changed nothing. Every property also
 * checks that the fast path took a fair share of the cases, so that it cannot pass by declining them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  addParts,
  bitLength,
  compare,
  div,
  divParts,
  F80Parts,
  type Float80,
  f80ToHex,
  f80ToParts,
  float32ToParts,
  float64ToParts,
  fromFloat32,
  fromFloat64,
  fromInt,
  int32ToParts,
  int64ToParts,
  intBits,
  makeF80,
  mul,
  mulParts,
  orderParts,
  packF80,
  partsToF80,
  partsToFloat32,
  partsToFloat64,
  partsToInt,
  roundNormal,
  roundToF80,
  SW,
  sub,
  toFloat32,
  toFloat64,
  toInt,
  U64Pair,
  unpackF80,
  widenFloat32,
  widenFloat64,
  X87Env,
} from '../../src/fpu/index';
import { Tag, tagOfBytes, tagOfParts, X87State } from '../../src/isa/exec/x87-state';

const RUNS = 20_000;
const J = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

// ------------------------------------------------------------------------------------- generators

/** 64-bit significand patterns that reach the interesting rounding cases (ties, carries, exact). */
const sigBits = fc.oneof(
  fc.bigInt({ min: 0n, max: MASK64 }),
  // only the top bits set: exact results and ties
  fc
    .tuple(fc.bigInt({ min: 0n, max: MASK64 }), fc.integer({ min: 0, max: 63 }))
    .map(([s, k]) => (s >> BigInt(k)) << BigInt(k)),
  // runs of ones (carry out of the significand when rounding up)
  fc.integer({ min: 0, max: 64 }).map((k) => MASK64 ^ ((1n << BigInt(k)) - 1n)),
  // around the 24/53-bit rounding points
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: MASK64 }),
      fc.constantFrom(39, 40, 41, 10, 11, 12),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([s, k, low]) => ((s >> BigInt(k)) << BigInt(k)) | (BigInt(low) << BigInt(k - 2))),
  // small integers
  fc.integer({ min: 1, max: 1 << 30 }).map((n) => {
    const b = BigInt(n);
    return b << BigInt(64 - b.toString(2).length);
  }),
);

/** Biased exponents: near 1.0, the float32/float64/integer limits, the extended limits, anywhere. */
const exponent = fc.oneof(
  fc.integer({ min: 0x3fff - 70, max: 0x3fff + 70 }),
  fc.integer({ min: 1, max: 0x7ffe }),
  fc.integer({ min: 1, max: 80 }),
  fc.integer({ min: 0x7ffe - 80, max: 0x7ffe }),
  fc
    .constantFrom(-1022, -1023, 1023, 1024, -126, -127, 127, 128, 15, 31, 62, 63, 64, -1, -2)
    .chain((e) => fc.integer({ min: 0x3fff + e - 2, max: 0x3fff + e + 2 })),
);

/** Mostly normal values, some zeros and some of every special class. */
const f80 = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.tuple(fc.boolean(), exponent, sigBits).map(([s, e, m]) => makeF80(s ? 1 : 0, e, m | J)),
  },
  { weight: 2, arbitrary: fc.boolean().map((s) => makeF80(s ? 1 : 0, 0, 0n)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.boolean(), fc.constantFrom(0, 0x7fff), fc.integer({ min: 0, max: 0x7ffe }), sigBits)
      .map(([s, special, e, m]) => makeF80(s ? 1 : 0, special || (m & J ? 0 : e), m)),
  },
);

/** A second operand near the first (same or neighbouring exponent, close significand): cancellation. */
const nearPair = fc
  .tuple(f80, fc.integer({ min: -3, max: 3 }), fc.bigInt({ min: -1000n, max: 1000n }), fc.boolean())
  .map(([a, de, ds, flip]): [Float80, Float80] => {
    const exp = Math.min(0x7ffe, Math.max(1, a.exp + de));
    const sig = ((a.sig + ds) & MASK64) | J;
    return [a, makeF80(flip ? a.sign ^ 1 : a.sign, a.exp === 0 ? 0 : exp, a.exp === 0 ? a.sig : sig)];
  });

const pair = fc.oneof(fc.tuple(f80, f80), nearPair);

/** Control words: every PC (1 is reserved: 64 bits) and RC, mostly masked exceptions. */
const controlWord = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 3 }),
    fc.oneof(fc.constant(0x3f), fc.integer({ min: 0, max: 0x3f })),
  )
  .map(([pc, rc, masks]) => 0x40 | (pc << 8) | (rc << 10) | masks);

/** Status words before the operation (C1 and flags set or not). */
const statusWord = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 0xffff }).map((w) => w & ~0x3800),
);

// ------------------------------------------------------------------------------------- helpers

function parts(v: Float80): F80Parts {
  return f80ToParts(v, new F80Parts());
}

const hex = (v: Float80) => f80ToHex(v);

/** Counts how often the fast path took a case, and asserts it was a fair share. */
class Coverage {
  taken = 0;
  total = 0;
  note(taken: boolean): void {
    this.total++;
    if (taken) this.taken++;
  }
  expectAtLeast(share: number): void {
    expect(this.taken / this.total, `fast path took ${this.taken}/${this.total}`).toBeGreaterThan(share);
    if (process.env.X87_COVERAGE) console.log(`fast path took ${this.taken}/${this.total}`);
  }
}

type Binary = (e: X87Env, a: Float80, b: Float80) => Float80;
type FastBinary = (e: X87Env, a: F80Parts, b: F80Parts, out: F80Parts) => boolean;

function checkBinary(
  slow: Binary,
  fast: FastBinary,
  a: Float80,
  b: Float80,
  cw: number,
  sw: number,
): boolean {
  const ref = new X87Env(cw, sw);
  const want = slow(ref, a, b);
  const env = new X87Env(cw, sw);
  const out = new F80Parts();
  out.set(0x1234, 0x5678, 0x9abc);
  const taken = fast(env, parts(a), parts(b), out);
  const what = `${hex(a)} ${hex(b)} cw ${cw.toString(16)} sw ${sw.toString(16)}`;
  if (taken) {
    expect(ref.suppressed, what).toBe(false);
    expect(hex(partsToF80(out)), what).toBe(hex(want));
    expect(env.sw.toString(16), what).toBe(ref.sw.toString(16));
  } else {
    expect(env.sw, what).toBe(sw);
  }
  return taken;
}

function binaryProperty(slow: Binary, fast: FastBinary, seed: number, share: number): void {
  const cov = new Coverage();
  fc.assert(
    fc.property(pair, controlWord, statusWord, ([a, b], cw, sw) => {
      cov.note(checkBinary(slow, fast, a, b, cw, sw));
    }),
    { numRuns: RUNS, seed },
  );
  cov.expectAtLeast(share);
}

// ------------------------------------------------------------------------------------- properties

describe('x87 fast paths match the bigint reference', () => {
  it('FADD', () => {
    binaryProperty(add, (e, a, b, out) => addParts(e, a, b, false, out), 11, 0.5);
  });

  it('FSUB (and the reversed form)', () => {
    binaryProperty(sub, (e, a, b, out) => addParts(e, a, b, true, out), 12, 0.5);
    binaryProperty(
      (e, a, b) => sub(e, b, a),
      (e, a, b, out) => addParts(e, b, a, true, out),
      13,
      0.5,
    );
  });

  it('FMUL', () => {
    binaryProperty(mul, mulParts, 14, 0.4);
  });

  it('FDIV (and the reversed form)', () => {
    binaryProperty(div, divParts, 15, 0.4);
    binaryProperty(
      (e, a, b) => div(e, b, a),
      (e, a, b, out) => divParts(e, b, a, out),
      16,
      0.4,
    );
  });

  it('sparse operands: single bits landing on every rounding, guard and sticky position', () => {
    // (2^63 + 2^i) * (2^63 + 2^j) has bits at 126, 63 + i, 63 + j and i + j: every product bit that
    // matters for rounding gets exercised alone, which random significands almost never do.
    const BITS = [0, 1, 2, 9, 10, 11, 12, 20, 30, 31, 32, 33, 38, 39, 40, 41, 50, 61, 62, 63];
    const modes: number[] = [];
    for (const pc of [0, 2, 3]) for (let rc = 0; rc < 4; rc++) modes.push(0x7f | (pc << 8) | (rc << 10));
    const cov = new Coverage();
    for (const i of BITS) {
      for (const j of BITS) {
        for (const cw of modes) {
          for (const [ea, eb] of [
            [0x3fff, 0x3fff],
            [0x3fff, 0x3ffe],
            [0x4010, 0x3fff - 40],
            [0x3fff, 0x3fff - 63],
            [0x3fff, 0x3fff - 64],
            [0x3fff, 0x3fff - 65],
            [0x3fff, 0x3fff - 95],
            [0x3fff, 0x3fff - 97],
          ] as const) {
            const a = makeF80(0, ea, J | (1n << BigInt(i)));
            const b = makeF80(1, eb, J | (1n << BigInt(j)));
            cov.note(checkBinary(mul, mulParts, a, b, cw, 0));
            cov.note(checkBinary(div, divParts, a, b, cw, 0));
            cov.note(checkBinary(add, (e, x, y, out) => addParts(e, x, y, false, out), a, b, cw, 0));
            cov.note(checkBinary(sub, (e, x, y, out) => addParts(e, x, y, true, out), a, b, cw, 0));
          }
        }
      }
    }
    cov.expectAtLeast(0.99);
  });

  it('sums at every exponent difference, with carries out of the significand', () => {
    // a significand of ones carries out when anything is added; the smaller operand's lowest bit
    // passes through every position of the 96-bit alignment window and past it
    const bigs = [MASK64, MASK64 ^ 1n, MASK64 ^ (1n << 31n), J | 1n, J];
    const smalls = [J, J | 1n, J | (1n << 31n), J | (1n << 32n), MASK64, J | 3n, (MASK64 >> 1n) | J];
    const modes: number[] = [];
    for (const pc of [2, 3]) for (let rc = 0; rc < 4; rc++) modes.push(0x7f | (pc << 8) | (rc << 10));
    const cov = new Coverage();
    for (const big of bigs) {
      for (const small of smalls) {
        for (let d = 0; d <= 100; d++) {
          for (const cw of modes) {
            const a = makeF80(0, 0x3fff, big);
            const b = makeF80(0, 0x3fff - d, small);
            cov.note(checkBinary(add, (e, x, y, out) => addParts(e, x, y, false, out), a, b, cw, 0));
            cov.note(checkBinary(sub, (e, x, y, out) => addParts(e, x, y, true, out), a, b, cw, 0));
          }
        }
      }
    }
    cov.expectAtLeast(0.99);
  });

  it('rounding of a 96-bit intermediate with sticky bits', () => {
    const cov = new Coverage();
    const intermediate = fc.tuple(
      fc.boolean(),
      fc.oneof(
        fc.integer({ min: -16390, max: -16370 }),
        fc.integer({ min: -200, max: 200 }),
        fc.integer({ min: 16370, max: 16390 }),
      ),
      sigBits,
      fc.oneof(fc.constant(0), fc.constant(0x80000000), fc.integer({ min: 0, max: 0xffffffff })),
      fc.boolean(),
    );
    fc.assert(
      fc.property(intermediate, controlWord, statusWord, ([neg, exp, sig, ext, sticky], cw, sw) => {
        const s = sig | J;
        const ref = new X87Env(cw, sw);
        const want = roundToF80(ref, neg ? 1 : 0, (s << 32n) | BigInt(ext), exp - 95, sticky, ref.precision);
        const env = new X87Env(cw, sw);
        const out = new F80Parts();
        const hi = Number(s >> 32n);
        const lo = Number(s & 0xffffffffn);
        const taken = roundNormal(env, neg ? 1 : 0, exp, hi, lo, ext, sticky, env.precision, out);
        cov.note(taken);
        if (taken) {
          expect(hex(partsToF80(out))).toBe(hex(want));
          expect(env.sw).toBe(ref.sw);
        } else expect(env.sw).toBe(sw);
      }),
      { numRuns: RUNS, seed: 17 },
    );
    cov.expectAtLeast(0.6);
  });

  it('FCOM ordering of normal and zero operands', () => {
    const cov = new Coverage();
    fc.assert(
      fc.property(pair, controlWord, statusWord, ([a, b], cw, sw) => {
        const r = orderParts(parts(a), parts(b));
        cov.note(r !== null);
        if (r === null) return;
        const ref = new X87Env(cw, sw);
        expect(compare(ref, a, b, false)).toBe(r);
        expect(ref.sw).toBe(sw); // nothing to raise
      }),
      { numRuns: RUNS, seed: 18 },
    );
    cov.expectAtLeast(0.5);
  });
});

describe('x87 fast loads and stores match the bigint reference', () => {
  const u32 = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x7f800000, 0xff800000, 0x00800000, 0x007fffff),
  );

  it('FLD m64fp', () => {
    const cov = new Coverage();
    fc.assert(
      fc.property(u32, u32, statusWord, (lo, hi, sw) => {
        const bits = (BigInt(hi) << 32n) | BigInt(lo);
        const out = new F80Parts();
        const taken = float64ToParts(lo | 0, hi | 0, out);
        cov.note(taken);
        if (!taken) return;
        const ref = new X87Env(0x37f, sw);
        expect(hex(partsToF80(out))).toBe(hex(fromFloat64(ref, bits)));
        expect(ref.sw).toBe(sw & ~SW.C1);
        expect(widenFloat64(bits).denormal).toBe(false);
      }),
      { numRuns: RUNS, seed: 21 },
    );
    cov.expectAtLeast(0.5);
  });

  it('FLD m32fp', () => {
    const cov = new Coverage();
    fc.assert(
      fc.property(u32, statusWord, (bits, sw) => {
        const out = new F80Parts();
        const taken = float32ToParts(bits | 0, out);
        cov.note(taken);
        if (!taken) return;
        const ref = new X87Env(0x37f, sw);
        expect(hex(partsToF80(out))).toBe(hex(fromFloat32(ref, bits)));
        expect(ref.sw).toBe(sw & ~SW.C1);
        expect(widenFloat32(bits).denormal).toBe(false);
      }),
      { numRuns: RUNS, seed: 22 },
    );
    cov.expectAtLeast(0.5);
  });

  it('FILD m16/m32/m64', () => {
    fc.assert(
      fc.property(u32, u32, (lo, hi) => {
        const out = new F80Parts();
        int32ToParts(lo | 0, out);
        expect(hex(partsToF80(out))).toBe(hex(fromInt(new X87Env(), BigInt(lo | 0))));
        int32ToParts((lo << 16) >> 16, out);
        expect(hex(partsToF80(out))).toBe(hex(fromInt(new X87Env(), BigInt((lo << 16) >> 16))));
        int64ToParts(lo | 0, hi | 0, out);
        const n = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
        expect(hex(partsToF80(out))).toBe(hex(fromInt(new X87Env(), n)));
      }),
      { numRuns: RUNS, seed: 23 },
    );
  });

  it('FST m64fp / m32fp', () => {
    const cov64 = new Coverage();
    const cov32 = new Coverage();
    fc.assert(
      fc.property(f80, controlWord, statusWord, (v, cw, sw) => {
        const out = new U64Pair();
        let env = new X87Env(cw, sw);
        let ref = new X87Env(cw, sw);
        let taken = partsToFloat64(env, parts(v), out);
        cov64.note(taken);
        if (taken) {
          const want = toFloat64(ref, v);
          expect(ref.suppressed).toBe(false);
          expect(((BigInt(out.hi) << 32n) | BigInt(out.lo)).toString(16)).toBe(want.toString(16));
          expect(env.sw).toBe(ref.sw);
        } else expect(env.sw).toBe(sw);
        env = new X87Env(cw, sw);
        ref = new X87Env(cw, sw);
        taken = partsToFloat32(env, parts(v), out);
        cov32.note(taken);
        if (taken) {
          const want = toFloat32(ref, v);
          expect(ref.suppressed).toBe(false);
          expect(out.lo.toString(16)).toBe((want >>> 0).toString(16));
          expect(env.sw).toBe(ref.sw);
        } else expect(env.sw).toBe(sw);
      }),
      { numRuns: RUNS, seed: 24 },
    );
    cov64.expectAtLeast(0.2);
    cov32.expectAtLeast(0.05);
  });

  it('FIST/FISTP m16/m32/m64 and the truncating form', () => {
    const cov = new Coverage();
    const nearIntegers = fc
      .tuple(fc.boolean(), fc.integer({ min: 0x3fff - 3, max: 0x3fff + 64 }), sigBits)
      .map(([s, e, m]) => makeF80(s ? 1 : 0, e, m | J));
    fc.assert(
      fc.property(
        fc.oneof(f80, nearIntegers),
        fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>,
        fc.boolean(),
        controlWord,
        statusWord,
        (v, width, truncate, cw, sw) => {
          const out = new U64Pair();
          const env = new X87Env(cw, sw);
          const taken = partsToInt(env, parts(v), width, truncate, out);
          cov.note(taken);
          if (!taken) {
            expect(env.sw).toBe(sw);
            return;
          }
          const ref = new X87Env(cw, sw);
          const want = intBits(toInt(ref, v, width, truncate), width);
          expect(ref.suppressed).toBe(false);
          const got = ((BigInt(out.hi) << 32n) | BigInt(out.lo)) & ((1n << BigInt(width)) - 1n);
          expect(got.toString(16)).toBe(want.toString(16));
          expect(env.sw).toBe(ref.sw);
        },
      ),
      { numRuns: RUNS, seed: 25 },
    );
    cov.expectAtLeast(0.3);
  });
});

describe('bitLength', () => {
  it('counts the bits of any magnitude, around every power of two and at random', () => {
    const ref = (x: bigint) => (x < 0n ? -x : x).toString(2).replace(/^0$/, '').length;
    for (let k = 0; k <= 1100; k++) {
      for (const d of [-1n, 0n, 1n]) {
        const x = (1n << BigInt(k)) + d;
        expect(bitLength(x), `2^${k} + ${d}`).toBe(ref(x));
        expect(bitLength(-x), `-(2^${k} + ${d})`).toBe(ref(x));
      }
    }
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 1100n), max: 1n << 1100n }),
        fc.integer({ min: 0, max: 1100 }),
        (x, k) => {
          const y = x >> BigInt(k);
          expect(bitLength(y)).toBe(ref(y));
        },
      ),
      { numRuns: 20_000, seed: 41 },
    );
  });
});

describe('x87 register file in word form', () => {
  it('reads and writes the 10-byte images and tags them like tagOfBytes', () => {
    fc.assert(
      fc.property(f80, fc.integer({ min: 0, max: 7 }), (v, phys) => {
        const x = new X87State();
        const p = parts(v);
        x.writeRegister(phys, p.signExp, p.hi, p.lo);
        expect(Array.from(x.data.subarray(phys * 10, phys * 10 + 10))).toEqual(Array.from(packF80(v)));
        expect(x.tag(phys)).toBe(tagOfBytes(x.data, phys * 10));
        expect(x.tag(phys)).toBe(tagOfParts(p.signExp, p.hi, p.lo));
        expect(x.tag(phys)).not.toBe(Tag.EMPTY);
        const back = new F80Parts();
        x.readRegister(phys, back);
        expect(hex(partsToF80(back))).toBe(hex(unpackF80(x.data, phys * 10)));
      }),
      { numRuns: 5000, seed: 31 },
    );
  });
});
