// The Beatty scheduler (and EEVDF, which shares its machinery) against a direct bigint transcription of
// the rule, the proved lag bound, and the degenerate cases listed in the README.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BeattyScheduler, EevdfScheduler, type Scheduler, StrideScheduler } from '../src/index.js';
import { Model, type Op, opArb } from './support/ops.js';
import { VirtualTimeReference } from './support/virtual-time-reference.js';

function make(rule: 'beatty' | 'eevdf', quantum: number): Scheduler<string> {
  return rule === 'beatty'
    ? new BeattyScheduler<string>({ quantum })
    : new EevdfScheduler<string>({ request: quantum });
}

describe.each(['beatty', 'eevdf'] as const)(
  "%s: the implementation makes the rule's decisions exactly",
  (rule) => {
    test('random joins, leaves, blocks, weight changes and charges (including amounts up to 2^20 ticks)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.array(opArb, { minLength: 1, maxLength: 120 }),
          (quantum, ops) => {
            const fast = make(rule, quantum);
            const ref = new VirtualTimeReference(rule, quantum);
            const model = new Model();
            let now = 0;
            for (const op of ops) {
              if (!model.valid(op)) continue;
              applyBoth(fast, ref, op, () => now++);
              model.apply(op);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    test('long static runs with many weights stay identical (exercises classes, queues and rebasing)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 40 }),
          fc.integer({ min: 1, max: 4 }),
          (weights, quantum) => {
            const fast = make(rule, quantum);
            const ref = new VirtualTimeReference(rule, quantum);
            weights.forEach((w, i) => {
              fast.add(`t${i}`, w);
              ref.add(`t${i}`, w);
            });
            for (let t = 0; t < 600; t++) {
              const a = fast.pickNext(t) as string;
              expect(a).toBe(ref.pick());
              // Mostly whole quanta, sometimes less or more: reordering inside a weight class.
              const amount = t % 7 === 3 ? 1 : t % 11 === 5 ? quantum * 3 : quantum;
              fast.charge(a, amount);
              ref.charge(a, amount);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  },
);

function applyBoth(fast: Scheduler<string>, ref: VirtualTimeReference, op: Op, tick: () => number): void {
  switch (op.kind) {
    case 'add':
      fast.add(op.id, op.weight);
      ref.add(op.id, op.weight);
      break;
    case 'remove':
      fast.remove(op.id);
      ref.remove(op.id);
      break;
    case 'block':
      fast.block(op.id);
      ref.block(op.id);
      break;
    case 'unblock':
      fast.unblock(op.id);
      ref.unblock(op.id);
      break;
    case 'setWeight':
      fast.setWeight(op.id, op.weight);
      ref.setWeight(op.id, op.weight);
      break;
    case 'charge':
      fast.charge(op.id, op.amount);
      ref.charge(op.id, op.amount);
      break;
    case 'run': {
      const picked = fast.pickNext(tick());
      expect(picked).toBe(ref.pick());
      if (picked !== undefined) {
        fast.charge(picked, op.amount);
        ref.charge(picked, op.amount);
      }
      break;
    }
  }
}

/**
 * Static set, every task backlogged, every slot charged one quantum: returns the extreme values of
 * W * lag_i(t) = w_i * t - W * S_i(t) (lag in quanta times W, an exact integer) over the run.
 */
function lagExtremes(s: Scheduler<number>, weights: readonly number[], slots: number, quantum: number) {
  const W = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => {
    s.add(i, w);
  });
  const S = weights.map(() => 0);
  let worst = { low: 0, high: 0, lowOk: true, highOk: true };
  for (let t = 1; t <= slots; t++) {
    const i = s.pickNext((t - 1) * quantum) as number;
    s.charge(i, quantum);
    S[i]++;
    for (let j = 0; j < weights.length; j++) {
      const scaled = weights[j] * t - W * S[j];
      if (scaled < worst.low) worst = { ...worst, low: scaled };
      if (scaled > worst.high) worst = { ...worst, high: scaled };
      // The proved bound: -1 < lag_j <= 1 - w_j / W, i.e. -W < scaled <= W - w_j.
      if (!(scaled > -W)) worst.lowOk = false;
      if (!(scaled <= W - weights[j])) worst.highOk = false;
    }
  }
  return { ...worst, W };
}

describe('the lag bound', () => {
  test('Beatty: -1 < lag_i <= 1 - w_i / W quanta for static backlogged sets (proved; checked exactly)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 25 }),
        fc.integer({ min: 1, max: 3 }),
        (weights, quantum) => {
          const r = lagExtremes(new BeattyScheduler<number>({ quantum }), weights, 400, quantum);
          expect(r.lowOk && r.highOk).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('EEVDF: -1 < lag_i < 1 quanta for static backlogged sets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 25 }), (weights) => {
        const r = lagExtremes(new EevdfScheduler<number>(), weights, 400, 1);
        expect(r.low).toBeGreaterThan(-r.W);
        expect(r.high).toBeLessThan(r.W);
      }),
      { numRuns: 100 },
    );
  });

  test('two tasks: Beatty makes exactly the decisions of stride scheduling in exact arithmetic', () => {
    // Stride with exact passes is earliest-deadline-first on the Beatty points k / w_i without any
    // eligibility test. For two tasks the look-ahead test never excludes the earliest deadline (README,
    // "two tasks"), so the schedules coincide; equal deadlines go to the smaller weight (the earlier
    // eligible time), and between equal weights to the smaller golden rank (the first task added).
    // The published stride truncates STRIDE1 / w to an integer, which perturbs the weights slightly; the
    // benchmark measures what that costs.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), (a, b) => {
        const s = new BeattyScheduler<number>();
        s.add(0, a);
        s.add(1, b);
        const w = [BigInt(a), BigInt(b)];
        const served = [0n, 0n];
        for (let t = 0; t < 500; t++) {
          // Next deadlines (served + 1) / w, compared exactly; the tie goes to task 0.
          const left = (served[0] + 1n) * w[1];
          const right = (served[1] + 1n) * w[0];
          const expected = left < right || (left === right && w[0] <= w[1]) ? 0 : 1;
          const got = s.pickNext(t) as number;
          expect(got).toBe(expected);
          s.charge(got, 1);
          served[got]++;
        }
      }),
      { numRuns: 300 },
    );
  });

  test("two tasks: Beatty's max |lag| is at most stride's on exactly representable strides", () => {
    // With power-of-two weights STRIDE1 / w is exact, so the published stride is exact too.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (p, q) => {
        const beatty = lagExtremes(new BeattyScheduler<number>(), [2 ** p, 2 ** q], 300, 1);
        const stride = lagExtremes(new StrideScheduler<number>(), [2 ** p, 2 ** q], 300, 1);
        const worst = (r: { low: number; high: number }) => Math.max(-r.low, r.high);
        expect(worst(beatty)).toBeLessThanOrEqual(worst(stride));
      }),
      { numRuns: 200 },
    );
  });
});

describe('degenerate cases', () => {
  test('nothing runnable: pickNext returns undefined', () => {
    const s = new BeattyScheduler<string>();
    expect(s.pickNext(0)).toBeUndefined();
    s.add('a', 1);
    s.block('a');
    expect(s.pickNext(1)).toBeUndefined();
  });

  test('zero weight: background, FIFO, only when no positive weight is runnable', () => {
    const s = new BeattyScheduler<string>();
    s.add('bg1', 0);
    s.add('bg2', 0);
    const order: string[] = [];
    for (let t = 0; t < 4; t++) {
      const x = s.pickNext(t) as string;
      order.push(x);
      s.charge(x, 1);
    }
    expect(order).toEqual(['bg1', 'bg2', 'bg1', 'bg2']);
    s.add('fg', 1);
    for (let t = 4; t < 20; t++) {
      expect(s.pickNext(t)).toBe('fg');
      s.charge('fg', 1);
    }
    s.block('fg');
    expect(s.pickNext(20)).toBe('bg1');
  });

  test('a single task always runs; its lag is zero by definition', () => {
    const s = new BeattyScheduler<string>({ quantum: 2 });
    s.add('only', 7);
    for (let t = 0; t < 10; t++) {
      expect(s.pickNext(t)).toBe('only');
      s.charge('only', (t % 3) + 1);
    }
  });

  test('ties: tasks of equal weight joined together run in golden-rank order of their join numbers', () => {
    const n = 12;
    const s = new BeattyScheduler<number>();
    for (let k = 0; k < n; k++) s.add(k, 5);
    const rank = (k: number) => (BigInt(k) * 0x9e3779b9n) % 2n ** 32n;
    const expected = [...Array(n).keys()].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    const firstRound: number[] = [];
    for (let t = 0; t < n; t++) {
      const x = s.pickNext(t) as number;
      firstRound.push(x);
      s.charge(x, 1);
    }
    expect(firstRound).toEqual(expected);
    // The order repeats every round: every task is back at the same virtual time with the same rank.
    for (let t = n; t < 2 * n; t++) {
      const x = s.pickNext(t) as number;
      expect(x).toBe(expected[t - n]);
      s.charge(x, 1);
    }
  });

  test('join mid-sequence: lag 0, no credit for the time before it joined', () => {
    const s = new BeattyScheduler<string>();
    s.add('a', 1);
    s.add('b', 1);
    for (let t = 0; t < 101; t++) s.charge(s.pickNext(t) as string, 1);
    s.add('c', 1);
    const count = { a: 0, b: 0, c: 0 };
    for (let t = 101; t < 101 + 300; t++) {
      const x = s.pickNext(t) as 'a' | 'b' | 'c';
      count[x]++;
      s.charge(x, 1);
    }
    expect(Math.abs(count.c - 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(count.a - 100)).toBeLessThanOrEqual(1);
  });

  test('leave: the others share the CPU by their weights from the next decision', () => {
    const s = new BeattyScheduler<string>();
    s.add('a', 1);
    s.add('b', 2);
    s.add('c', 3);
    for (let t = 0; t < 50; t++) s.charge(s.pickNext(t) as string, 1);
    s.remove('c');
    const count = { a: 0, b: 0 };
    for (let t = 50; t < 350; t++) {
      const x = s.pickNext(t) as 'a' | 'b';
      count[x]++;
      s.charge(x, 1);
    }
    expect(Math.abs(count.a - 100)).toBeLessThanOrEqual(2);
  });

  test('block/unblock keeps a debt: a task that ran ahead cannot shed it by sleeping', () => {
    const s = new BeattyScheduler<string>();
    s.add('a', 1);
    s.add('b', 1);
    // Give a three extra quanta (charges without decisions), then let it sleep.
    for (let k = 0; k < 3; k++) s.charge('a', 1);
    s.block('a');
    for (let t = 0; t < 10; t++) s.charge(s.pickNext(t) as string, 1);
    s.unblock('a');
    const seq: string[] = [];
    for (let t = 10; t < 16; t++) {
      const x = s.pickNext(t) as string;
      seq.push(x);
      s.charge(x, 1);
    }
    // a owes 1.5 quanta against b (its lag was -1.5, b's +1.5): b runs until the debt is paid.
    expect(seq.slice(0, 3)).toEqual(['b', 'b', 'b']);
    expect(seq.filter((x) => x === 'a').length).toBeGreaterThanOrEqual(1);
  });

  test('weight change mid-sequence: shares follow the new weights at once', () => {
    const s = new BeattyScheduler<string>();
    s.add('a', 1);
    s.add('b', 1);
    for (let t = 0; t < 100; t++) s.charge(s.pickNext(t) as string, 1);
    s.setWeight('a', 3);
    const count = { a: 0, b: 0 };
    for (let t = 100; t < 500; t++) {
      const x = s.pickNext(t) as 'a' | 'b';
      count[x]++;
      s.charge(x, 1);
    }
    expect(Math.abs(count.a - 300)).toBeLessThanOrEqual(1);
  });

  test('weight 0 -> positive is a fresh join (lag 0); positive -> 0 moves the task to the background', () => {
    const s = new BeattyScheduler<string>();
    s.add('a', 1);
    s.add('z', 0);
    for (let t = 0; t < 10; t++) {
      expect(s.pickNext(t)).toBe('a');
      s.charge('a', 1);
    }
    s.setWeight('z', 1);
    const count = { a: 0, z: 0 };
    for (let t = 10; t < 30; t++) {
      const x = s.pickNext(t) as 'a' | 'z';
      count[x]++;
      s.charge(x, 1);
    }
    expect(count).toEqual({ a: 10, z: 10 });
    s.setWeight('a', 0);
    expect(s.pickNext(30)).toBe('z');
  });
});
