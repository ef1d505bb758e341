// The data structures under the policies, against simple reference implementations.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { goldenTieKey } from '../src/golden.js';
import { SeededRandom } from '../src/index.js';
import { floorDiv } from '../src/internal/exact.js';
import { Fenwick } from '../src/internal/fenwick.js';
import { SlotList } from '../src/internal/slot-list.js';
import { WeightClasses } from '../src/internal/weight-classes.js';
import { WinnerTree } from '../src/internal/winner-tree.js';

describe('floorDiv', () => {
  test('equals bigint floor division on safe integers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        fc.integer({ min: 1, max: 2 ** 33 }),
        (a, b) => {
          const q = BigInt(a) / BigInt(b);
          const floor = BigInt(a) < q * BigInt(b) ? q - 1n : q;
          expect(floorDiv(a, b)).toBe(Number(floor));
        },
      ),
      { numRuns: 2000 },
    );
    // Quotients just below an integer, where a double division rounds up.
    expect(floorDiv(2 ** 53 - 2, 2 ** 53 - 1)).toBe(0);
    expect(floorDiv(-1, 2 ** 40)).toBe(-1);
  });
});

type QueueOp =
  | { kind: 'insert' | 'update'; slot: number; num: number; den: number }
  | { kind: 'remove'; slot: number }
  | { kind: 'shift'; by: number }
  | { kind: 'pop' };

// Coarse keys of three resolutions: the key itself (den = 1), floor(num / den) (many distinct fractions
// share a coarse key, so the exact comparison and the tree's stopping rule are exercised), and the
// 2^19 scale of the virtual-time policies.
describe.each([
  { bits: 0, maxDen: 1 },
  { bits: 0, maxDen: 12 },
  { bits: 19, maxDen: 12 },
])('WinnerTree (coarse bits $bits, den up to $maxDen)', ({ bits, maxDen }) => {
  test('its top is the exact (num / den, tie) minimum under random inserts, updates, removals and shifts', () => {
    const op: fc.Arbitrary<QueueOp> = fc.oneof(
      fc.record({
        kind: fc.constantFrom('insert' as const, 'update' as const),
        slot: fc.integer({ min: 0, max: 40 }),
        num: fc.integer({ min: -1000, max: 1000 }),
        den: fc.integer({ min: 1, max: maxDen }),
      }),
      fc.record({ kind: fc.constant('remove' as const), slot: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('shift' as const), by: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    type Key = { num: number; den: number; tie: number };
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const queue = new WinnerTree(4, bits);
        queue.ensureSlots(41);
        const model = new Map<number, Key>();
        let tie = 0;
        const less = (a: Key, b: Key) =>
          a.num * b.den < b.num * a.den || (a.num * b.den === b.num * a.den && a.tie < b.tie);
        const min = () =>
          [...model].reduce<[number, Key] | undefined>(
            (best, e) => (best === undefined || less(e[1], best[1]) ? e : best),
            undefined,
          );
        for (const o of ops) {
          if (o.kind === 'insert' && !model.has(o.slot)) {
            model.set(o.slot, { num: o.num, den: o.den, tie: tie });
            queue.insert(o.slot, o.num, o.den, tie++);
          } else if (o.kind === 'update' && model.has(o.slot)) {
            model.set(o.slot, { num: o.num, den: o.den, tie: tie });
            queue.update(o.slot, o.num, o.den, tie++);
          } else if (o.kind === 'remove') {
            model.delete(o.slot);
            queue.remove(o.slot);
          } else if (o.kind === 'shift') {
            for (const key of model.values()) key.num -= key.den * o.by;
            queue.subtractScaled(o.by);
          } else if (o.kind === 'pop') {
            const m = min();
            expect(queue.pop()).toBe(m === undefined ? -1 : m[0]);
            if (m) model.delete(m[0]);
          }
          expect(queue.size).toBe(model.size);
          const m = min();
          expect(queue.top()).toBe(m?.[0] ?? -1);
          if (m) expect(queue.topCoarse()).toBe(Math.floor((m[1].num * 2 ** bits) / m[1].den));
          expect(queue.slots()).toEqual([...model.keys()].sort((a, b) => a - b));
          for (let s = 0; s <= 40; s++) expect(queue.has(s)).toBe(model.has(s));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a change within one coarse key is carried past nodes whose winner stays the same', () => {
    // 7/4, 6/4 and 13/8 share floor(num / den) = 1 at bits 0 (with den = 1 the coarse key is exact and
    // the case cannot arise). Slots 0 and 1 share a subtree, 2 and 3 the other.
    if (bits !== 0 || maxDen === 1) return;
    const queue = new WinnerTree(4, bits);
    queue.insert(0, 7, 4, 0); // 1.75
    queue.insert(1, 100, 1, 1);
    queue.insert(2, 13, 8, 2); // 1.625
    queue.insert(3, 100, 1, 3);
    expect(queue.top()).toBe(2);
    // Slot 0 still wins its subtree with the same coarse key, but now beats slot 2.
    queue.update(0, 6, 4, 0); // 1.5
    expect(queue.top()).toBe(0);
    // And back: the top itself changes within its coarse key.
    queue.update(0, 7, 4, 0);
    expect(queue.top()).toBe(2);
  });
});

describe('WeightClasses', () => {
  test('the head of each class is its (E, tie) minimum, whatever the order of changes', () => {
    const op = fc.record({
      kind: fc.constantFrom('insert', 'reinsert', 'remove'),
      slot: fc.integer({ min: 0, max: 30 }),
      weight: fc.integer({ min: 1, max: 3 }),
      E: fc.integer({ min: -50, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        // Records of four numbers per slot, as the scheduler keeps them: E first, the tie key second.
        const rec = new Float64Array(4 * 32);
        const E = { get: (s: number) => rec[4 * s], set: (s: number, v: number) => (rec[4 * s] = v) };
        const tieOf = (s: number) => rec[4 * s + 1];
        const classes = new WeightClasses(rec);
        const member = new Map<number, number>(); // slot -> weight
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'insert' && !member.has(o.slot)) {
            E.set(o.slot, o.E);
            rec[4 * o.slot + 1] = next++;
            member.set(o.slot, o.weight);
            classes.insert(o.slot, o.weight);
          } else if (o.kind === 'reinsert' && member.has(o.slot)) {
            E.set(o.slot, o.E);
            classes.reinsert(o.slot);
          } else if (o.kind === 'remove' && member.has(o.slot)) {
            member.delete(o.slot);
            classes.remove(o.slot);
          }
          for (const w of new Set(member.values())) {
            const slots = [...member].filter(([, x]) => x === w).map(([s]) => s);
            const best = slots.reduce((a, b) =>
              E.get(b) < E.get(a) || (E.get(b) === E.get(a) && tieOf(b) < tieOf(a)) ? b : a,
            );
            const cls = classes.classOf(best);
            expect(classes.weightOf(cls)).toBe(w);
            expect(classes.size(cls)).toBe(slots.length);
            expect(classes.head(cls)).toBe(best);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('Fenwick', () => {
  test('find(r) names the holder of ticket r, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 70 }), (counts) => {
        const f = new Fenwick(4);
        f.ensureSlots(counts.length);
        counts.forEach((c, i) => {
          f.set(i, c);
        });
        const total = counts.reduce((a, b) => a + b, 0);
        expect(f.total).toBe(total);
        let r = 0;
        counts.forEach((c, i) => {
          for (let k = 0; k < c; k++) expect(f.find(r++)).toBe(i);
        });
        f.ensureSlots(4 * counts.length);
        expect(f.total).toBe(total);
        if (total > 0)
          expect(f.find(total - 1)).toBe(counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0));
      }),
      { numRuns: 200 },
    );
  });
});

describe('SlotList', () => {
  test('FIFO with unlink and rotate-to-tail', () => {
    const l = new SlotList(2);
    l.ensureSlots(10);
    for (const s of [3, 1, 4, 5]) l.push(s);
    l.rotateToTail(3);
    expect(l.slots()).toEqual([1, 4, 5, 3]);
    l.remove(4);
    l.rotateToTail(5);
    expect(l.slots()).toEqual([1, 3, 5]);
    l.remove(1);
    l.remove(3);
    l.remove(5);
    expect(l.first()).toBe(-1);
    expect(l.size).toBe(0);
  });
});

describe('golden tie keys', () => {
  test('distinct, and consecutive joins spread like the golden-ratio rotation', () => {
    const keys = Array.from({ length: 1000 }, (_, k) => goldenTieKey(k));
    expect(new Set(keys).size).toBe(1000);
    // Three-distance property of k * phi mod 1: the gaps between sorted points take at most three values.
    const sorted = keys.slice(0, 144).sort((a, b) => a - b);
    const gaps = new Set(sorted.slice(1).map((x, i) => Math.round((x - sorted[i]) / 2 ** 16)));
    expect(gaps.size).toBeLessThanOrEqual(3);
    expect(goldenTieKey(2 ** 32)).toBe(2 ** 32); // the rank restarts at 0, the high part keeps keys distinct
  });
});

describe('SeededRandom', () => {
  test('reproducible from its seed; different seeds give different streams', () => {
    const a = new SeededRandom(99);
    const b = new SeededRandom(99);
    const c = new SeededRandom(100);
    const xs = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xs);
    for (const x of xs) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  test('below(n) is in range and uniform (chi-square over 10 cells), also above 2^32', () => {
    const r = new SeededRandom(2026);
    const cells = new Array(10).fill(0);
    for (let k = 0; k < 100_000; k++) cells[r.below(10)]++;
    const chi2 = cells.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.88); // 9 degrees of freedom, P = 0.001
    const big = 3 * 2 ** 40 + 7;
    let high = 0;
    for (let k = 0; k < 1000; k++) {
      const x = r.below(big);
      expect(x >= 0 && x < big && Number.isInteger(x)).toBe(true);
      if (x > big / 2) high++;
    }
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThan(600);
  });
});
