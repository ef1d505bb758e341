// The two-task Beatty scheduler against the Fibonacci word computed directly: position n (1-based) of
// the word belongs to A exactly when n = floor(k * phi) for some k >= 1, and to B when n = floor(k * phi^2).
// floor(k * phi) = floor((k + sqrt(5 k^2)) / 2) is computed with an exact integer square root in bigint.
//
// Integer weights cannot be in the golden ratio, so the scheduler is given consecutive Fibonacci numbers
// (F(m+1), F(m)), the best rational approximations of phi. Their deadlines first coincide at slot F(m+2);
// for even m the tie rule (earlier eligible time first) resolves it the way the word does, and the
// schedule equals the Fibonacci word on its first F(m+4) - 2 slots, differing at slot F(m+4) - 1. With the
// largest such pair under the weight limit, (514229, 317811), that is 2 178 307 slots. (For odd m the
// word takes the other letter at F(m+2) - 1: no integer rule can follow phi on both sides of a tie.)
import { describe, expect, test } from 'vitest';
import { BeattyScheduler, MAX_WEIGHT } from '../src/index.js';

function isqrt(n: bigint): bigint {
  // Newton's method from above; exact for every n >= 0.
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(k * phi), exactly. sqrt(5 k^2) is irrational for k > 0, so flooring it first changes nothing. */
function floorKPhi(k: bigint): bigint {
  return (k + isqrt(5n * k * k)) / 2n;
}

/** The word's letters at positions 1..length: true for A. */
function fibonacciWord(length: number): Uint8Array {
  const word = new Uint8Array(length + 1);
  for (let k = 1n; ; k++) {
    const n = Number(floorKPhi(k));
    if (n > length) break;
    word[n] = 1;
  }
  return word;
}

function fib(i: number): number {
  let a = 0;
  let b = 1;
  for (let k = 0; k < i; k++) [a, b] = [b, a + b];
  return a;
}

/** Run two tasks for `slots` quanta and return the first slot (1-based) that differs from the word, or 0. */
function firstDifference(weightA: number, weightB: number, word: Uint8Array, slots: number): number {
  const s = new BeattyScheduler<string>();
  s.add('A', weightA);
  s.add('B', weightB);
  for (let n = 1; n <= slots; n++) {
    const task = s.pickNext(n - 1) as string;
    s.charge(task, 1);
    if ((task === 'A') !== (word[n] === 1)) return n;
  }
  return 0;
}

describe('two tasks: the Fibonacci word', () => {
  test('the reference computation is right: Wythoff pairs and Beatty complementarity', () => {
    // Lower Wythoff sequence (OEIS A000201) and its complement floor(k * phi^2) = floor(k * phi) + k.
    expect([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map(floorKPhi)).toEqual([1n, 3n, 4n, 6n, 8n, 9n, 11n, 12n]);
    const word = fibonacciWord(10_000);
    const b = new Set<number>();
    for (let k = 1n; floorKPhi(k) + k <= 10_000n; k++) b.add(Number(floorKPhi(k) + k));
    for (let n = 1; n <= 10_000; n++) expect(word[n] === 1).toBe(!b.has(n)); // every slot exactly once
  });

  test('weights (514229, 317811) reproduce the word exactly for 2 178 307 slots', () => {
    const [a, b] = [fib(29), fib(28)];
    expect([a, b]).toEqual([514229, 317811]);
    expect(a).toBeLessThanOrEqual(MAX_WEIGHT);
    const length = fib(32) - 2; // F(m + 4) - 2 with m = 28
    expect(length).toBe(2_178_307);
    const word = fibonacciWord(length + 1);
    expect(firstDifference(a, b, word, length + 1)).toBe(length + 1);
  });

  test.each([4, 6, 8, 10, 12, 14, 16, 18, 20, 22])(
    'weights (F(m + 1), F(m)), m = %i: exact for F(m + 4) - 2 slots',
    (m) => {
      const length = fib(m + 4) - 2;
      const word = fibonacciWord(length + 1);
      expect(firstDifference(fib(m + 1), fib(m), word, length + 1)).toBe(length + 1);
    },
  );

  test('B runs at floor(k * phi^2) = floor(k * phi) + k, checked directly on a long prefix', () => {
    const s = new BeattyScheduler<string>();
    s.add('A', 514229);
    s.add('B', 317811);
    const bSlots: number[] = [];
    for (let n = 1; n <= 200_000; n++) {
      const task = s.pickNext(n - 1) as string;
      s.charge(task, 1);
      if (task === 'B') bSlots.push(n);
    }
    const expected = bSlots.map((_, i) => Number(floorKPhi(BigInt(i + 1)) + BigInt(i + 1)));
    expect(bSlots).toEqual(expected);
  });
});
