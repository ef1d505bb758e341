/**
 * A small seeded pseudo-random generator, so lottery scheduling and workload generation are reproducible
 * from a seed on every platform. The generator is xoshiro128** (Blackman and Vigna, "Scrambled linear
 * pseudorandom number generators", 2018): 128 bits of state, 32-bit outputs, all in 32-bit integer
 * operations. Seeds are expanded into the state by a golden-ratio Weyl sequence passed through the
 * MurmurHash3 32-bit finaliser, which maps nearby seeds to unrelated states.
 */
import { checkInteger } from './validate.js';

const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is any safe integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    checkInteger('SeededRandom', 'seed', seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    // Fold the 53-bit seed into two 32-bit words, then step a Weyl sequence by 2^32/phi.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    let w = (lo ^ mix32(hi)) >>> 0;
    const next = () => {
      w = (w + 0x9e3779b9) >>> 0;
      return mix32(w);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // The all-zero state is the one fixed point of the generator.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit output as an integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /**
   * A uniform integer in [0, n) for 1 <= n <= 2^53, without modulo bias: draws that fall in the incomplete
   * last block of the output range are rejected (at most half the draws in the worst case).
   */
  below(n: number): number {
    checkInteger('SeededRandom.below', 'n', n, 1, TWO_53);
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const x = (this.nextUint32() >>> 11) * TWO_32 + this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}
