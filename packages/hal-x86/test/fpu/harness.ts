/**
 * Test harness for the x87 module: compiles test/fpu/oracle.c with the host
 * gcc, feeds it operations in one batch and compares the host CPU's state with
 * what the TypeScript model predicts, in the oracle's own output format.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHostProgram } from '../support/host-program';

const here = dirname(fileURLToPath(import.meta.url));

let compiled: string | null | undefined;
let whyNot = '';

/** Path of the compiled oracle, or null (with `oracleUnavailableReason()`) when it cannot be built. */
export function oraclePath(): string | null {
  if (compiled !== undefined) return compiled;
  const built = buildHostProgram(join(here, 'oracle.c'), 'fpu', 'the host-CPU x87 arithmetic comparison');
  whyNot = built.whyNot;
  compiled = built.path;
  return compiled;
}

export function oracleUnavailableReason(): string {
  return whyNot;
}

/** Run the oracle on a batch of input lines; returns one output line per input line. */
export function runOracle(lines: string[]): string[] {
  const path = oraclePath();
  if (!path) throw new Error(whyNot);
  const res = spawnSync(path, [], { input: `${lines.join('\n')}\n`, maxBuffer: 1 << 28, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`oracle exited with ${res.status}: ${res.stderr}`);
  const out = res.stdout.split('\n');
  if (out[out.length - 1] === '') out.pop();
  if (out.length !== lines.length) throw new Error(`oracle returned ${out.length} lines for ${lines.length}`);
  return out;
}

/** Deterministic PRNG (mulberry32) with helpers. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const hex = (v: bigint, digits: number): string => v.toString(16).toUpperCase().padStart(digits, '0');

export function f80Hex(sign: number, exp: number, sig: bigint): string {
  return hex(BigInt((sign << 15) | exp), 4) + hex(sig & ((1n << 64n) - 1n), 16);
}

/** A 64-bit significand pattern (integer bit not forced). */
export function randSigBits(r: Rng): bigint {
  switch (r.int(8)) {
    case 0: // only the top k bits random (exact results, ties)
      return ((r.u64() >> BigInt(r.range(0, 63))) << BigInt(r.range(0, 63))) & ((1n << 64n) - 1n);
    case 1: // runs of ones
      return ((1n << 64n) - 1n) ^ ((1n << BigInt(r.range(0, 64))) - 1n);
    case 2: // sparse
      return (1n << BigInt(r.int(64))) | (1n << BigInt(r.int(64))) | (r.chance(0.5) ? 1n : 0n);
    case 3: {
      // random with the low bits set near the rounding points of 24/53-bit precision
      const k = r.pick([40, 11, 0, 39, 10, 41, 12]);
      return ((r.u64() >> BigInt(k)) << BigInt(k)) | (r.chance(0.5) ? 1n << BigInt(Math.max(0, k - 1)) : 0n);
    }
    default:
      return r.u64();
  }
}

export interface GenOptions {
  /** Centre exponent for "ordinary" values (biased). */
  centre?: number;
  /** Spread of ordinary exponents around the centre. */
  spread?: number;
}

/** A random 80-bit operand as hex, mixing ordinary values with specials. */
export function randF80(r: Rng, opt: GenOptions = {}): string {
  const centre = opt.centre ?? 0x3fff;
  const spread = opt.spread ?? 20;
  const sign = r.int(2);
  const k = r.int(100);
  const J = 1n << 63n;
  if (k < 45) return f80Hex(sign, clampExp(centre + r.range(-spread, spread)), randSigBits(r) | J);
  if (k < 55) return f80Hex(sign, r.range(1, 0x7ffe), randSigBits(r) | J);
  if (k < 62)
    return f80Hex(sign, r.chance(0.5) ? r.range(1, 80) : r.range(0x7ffe - 80, 0x7ffe), randSigBits(r) | J);
  if (k < 69) {
    let s = randSigBits(r) & (J - 1n);
    s >>= BigInt(r.int(64));
    if (s === 0n) s = 1n;
    return f80Hex(sign, 0, s);
  }
  if (k < 71) return f80Hex(sign, 0, randSigBits(r) | J); // pseudo-denormal
  if (k < 76) return f80Hex(sign, 0, 0n);
  if (k < 81) return f80Hex(sign, 0x7fff, J);
  if (k < 86)
    return f80Hex(sign, 0x7fff, J | (1n << 62n) | (r.chance(0.5) ? 0n : randSigBits(r) & ((1n << 62n) - 1n)));
  if (k < 90) {
    let f = randSigBits(r) & ((1n << 62n) - 1n);
    if (f === 0n) f = 1n;
    return f80Hex(sign, 0x7fff, J | f); // SNaN
  }
  if (k < 92) {
    // unsupported: unnormal / pseudo-NaN / pseudo-infinity
    const w = r.int(3);
    if (w === 0) return f80Hex(sign, r.range(1, 0x7ffe), randSigBits(r) & (J - 1n));
    if (w === 1) return f80Hex(sign, 0x7fff, (randSigBits(r) & (J - 1n)) | 1n);
    return f80Hex(sign, 0x7fff, 0n);
  }
  // small integers and simple values
  const n = BigInt(r.range(1, 1000));
  const L = n.toString(2).length;
  return f80Hex(sign, 0x3fff + L - 1, n << BigInt(64 - L));
}

function clampExp(e: number): number {
  return Math.min(0x7ffe, Math.max(1, e));
}

/** A finite normal operand with a given biased exponent. */
export function randNormal(r: Rng, exp: number, sign = r.int(2)): string {
  return f80Hex(sign, clampExp(exp), randSigBits(r) | (1n << 63n));
}

const PCS = [0, 2, 3, 3, 1];

/** A random control word: all four RC, the three precisions, mostly masked exceptions. */
export function randCW(r: Rng, unmaskedChance = 0.15): number {
  const pc = r.pick(PCS);
  const rc = r.int(4);
  let masks = 0x3f;
  if (r.chance(unmaskedChance)) masks = r.int(64);
  return 0x40 | (pc << 8) | (rc << 10) | masks;
}

export function cwHex(cw: number): string {
  return hex(BigInt(cw), 4);
}

/** Summary of a comparison run. */
export interface CompareStats {
  total: number;
  matches: number;
  mismatches: { input: string; expected: string; got: string }[];
}

export function compareBatch(inputs: string[], model: (line: string) => string, maxKeep = 20): CompareStats {
  const outs = runOracle(inputs);
  const stats: CompareStats = { total: inputs.length, matches: 0, mismatches: [] };
  for (let i = 0; i < inputs.length; i++) {
    const got = model(inputs[i]);
    if (got === outs[i]) stats.matches++;
    else if (stats.mismatches.length < maxKeep)
      stats.mismatches.push({ input: inputs[i], expected: outs[i], got });
  }
  return stats;
}

export function formatMismatches(s: CompareStats): string {
  return s.mismatches.map((m) => `  in:   ${m.input}\n  host: ${m.expected}\n  ours: ${m.got}`).join('\n');
}
