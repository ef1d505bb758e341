/**
 * The x87 instructions against the host CPU on the values the fast paths of src/fpu handle: register
 * stacks of normal numbers that are close to each other (same or neighbouring exponents, significands a
 * few units apart, so sums cancel and round at every position), integers, values that are exact doubles
 * or floats (ties when stored), and zeros, under every precision and rounding control. Sequences mix
 * arithmetic, loads, stores, integer conversions, compares and register moves, so a value produced by a
 * fast path is consumed by the next instruction. Everything is compared bit for bit, as in
 * differential.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { f80Hex, Rng, randNormal, randSigBits } from '../fpu/harness';
import { ARITH_MEM, ARITH_REG, COMPARE, f80Bytes, genCase, LOAD, STACK, STORE, type Template } from './gen';
import { compareWithHost } from './host-compare';
import { nativeOracle, oracleUnavailableReason, type X87Case } from './native';

const available = nativeOracle() !== null;
if (!available) console.warn(`[x87] host oracle unavailable, skipping: ${oracleUnavailableReason()}`);

const J = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

/** A register value related to `base` (biased exponent, significand), or a simple one. */
function relatedValue(r: Rng, baseExp: number, baseSig: bigint): string {
  const sign = r.int(2);
  const k = r.int(20);
  if (k < 8) {
    // near the base: cancellation and carries
    const exp = baseExp + r.range(-3, 3);
    const delta = BigInt(r.range(-2000, 2000)) << BigInt(r.pick([0, 0, 11, 40, 20]));
    return f80Hex(sign, exp, ((baseSig + delta) & MASK64) | J);
  }
  if (k < 11) {
    // integers (FIST/FISTP and FILD round trips, exact sums)
    const n = r.chance(0.5) ? BigInt(r.range(1, 1 << 20)) : r.u64() >> BigInt(r.range(0, 63));
    if (n === 0n) return f80Hex(sign, 0, 0n);
    const L = n.toString(2).length;
    return f80Hex(sign, 0x3fff + L - 1, n << BigInt(64 - L));
  }
  if (k < 14) {
    // exact doubles and floats: the low 11 or 40 significand bits clear
    const low = BigInt(r.pick([11, 40]));
    return f80Hex(sign, baseExp + r.range(-40, 40), ((randSigBits(r) >> low) << low) | J);
  }
  if (k < 15) return f80Hex(sign, 0, 0n);
  if (k < 17) {
    // halfway between two doubles/floats/integers: ties for the stores and FIST
    const at = BigInt(r.pick([10, 39]));
    return f80Hex(
      sign,
      baseExp + r.range(-5, 5),
      ((randSigBits(r) >> (at + 1n)) << (at + 1n)) | (1n << at) | J,
    );
  }
  return randNormal(r, baseExp + r.range(-70, 70), sign);
}

/** Replaces the eight register images of a random FNSAVE image by related values. */
function steerForFastPaths(r: Rng, state: Uint8Array): void {
  // near 1.0 mostly, sometimes at the edges of the float, double and integer formats
  const edge = r.pick([-1022, 1023, -126, 127, 15, 31, 62, 63]);
  const baseExp = 0x3fff + (r.chance(0.7) ? r.range(-40, 40) : edge + r.range(-3, 3));
  const baseSig = randSigBits(r) | J;
  for (let k = 0; k < 8; k++) state.set(f80Bytes(relatedValue(r, baseExp, baseSig)), 28 + 10 * k);
  // mostly all exceptions masked, so that sequences run to their end
  if (r.chance(0.85)) state[0] = (state[0] as number) | 0x3f;
}

const TEMPLATES: readonly Template[] = [
  ...ARITH_REG,
  ...ARITH_REG,
  ...ARITH_MEM,
  ...COMPARE,
  ...LOAD,
  ...STORE,
  ...STACK,
];

function runCases(seed: number, n: number, maxLength: number): string[] {
  const r = new Rng(seed);
  const cases: X87Case[] = [];
  for (let k = 0; k < n; k++) {
    const c = genCase(r, TEMPLATES, { maxLength });
    steerForFastPaths(r, c.state);
    cases.push(c);
  }
  return compareWithHost(cases).map(
    ({ c, lines }) => `  ${c.note}\n    code ${Buffer.from(c.code).toString('hex')}\n    ${lines.join('\n    ')}`,
  );
}

describe.skipIf(!available)('x87 fast-path values against the host CPU', () => {
  it('single instructions', () => {
    const bad = runCases(0x87fa, 5000, 1);
    expect(bad.length, `${bad.length} cases differ:\n${bad.slice(0, 8).join('\n')}`).toBe(0);
  });

  it('sequences', () => {
    const bad = runCases(0x87fb, 5000, 6);
    expect(bad.length, `${bad.length} cases differ:\n${bad.slice(0, 8).join('\n')}`).toBe(0);
  });
});
