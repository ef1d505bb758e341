// The lattice laws, property-tested for every implementation: associativity, commutativity, absorption
// and idempotence of join and meet; leq consistent with both; top and bottom bounds; text round trips.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasseLattice } from '../../src/index.js';
import { closureSystem, nodeName, subjects } from './arbitraries.js';

const RUNS = { numRuns: 300, seed: 20261121 };

describe.each(subjects.map((s) => [s.name, s] as const))(
  'lattice laws: %s',
  (_name, { lattice: l, label }) => {
    const eq = (a: unknown, b: unknown) => l.equals(a, b);

    it('join and meet are associative', () => {
      fc.assert(
        fc.property(label, label, label, (a, b, c) => {
          expect(eq(l.join(a, l.join(b, c)), l.join(l.join(a, b), c))).toBe(true);
          expect(eq(l.meet(a, l.meet(b, c)), l.meet(l.meet(a, b), c))).toBe(true);
        }),
        RUNS,
      );
    });

    it('join and meet are commutative and idempotent', () => {
      fc.assert(
        fc.property(label, label, (a, b) => {
          expect(eq(l.join(a, b), l.join(b, a))).toBe(true);
          expect(eq(l.meet(a, b), l.meet(b, a))).toBe(true);
          expect(eq(l.join(a, a), a)).toBe(true);
          expect(eq(l.meet(a, a), a)).toBe(true);
        }),
        RUNS,
      );
    });

    it('absorption: a v (a ^ b) = a and a ^ (a v b) = a', () => {
      fc.assert(
        fc.property(label, label, (a, b) => {
          expect(eq(l.join(a, l.meet(a, b)), a)).toBe(true);
          expect(eq(l.meet(a, l.join(a, b)), a)).toBe(true);
        }),
        RUNS,
      );
    });

    it('leq agrees with join and meet, and is a partial order', () => {
      fc.assert(
        fc.property(label, label, label, (a, b, c) => {
          const le = l.leq(a, b);
          expect(le).toBe(eq(l.join(a, b), b));
          expect(le).toBe(eq(l.meet(a, b), a));
          expect(l.leq(a, a)).toBe(true);
          if (le && l.leq(b, a)) expect(eq(a, b)).toBe(true);
          if (le && l.leq(b, c)) expect(l.leq(a, c)).toBe(true);
          // join is an upper bound, meet a lower bound
          expect(l.leq(a, l.join(a, b)) && l.leq(b, l.join(a, b))).toBe(true);
          expect(l.leq(l.meet(a, b), a) && l.leq(l.meet(a, b), b)).toBe(true);
        }),
        RUNS,
      );
    });

    it('top and bottom bound every label', () => {
      fc.assert(
        fc.property(label, (a) => {
          expect(l.leq(a, l.top)).toBe(true);
          expect(l.leq(l.bottom, a)).toBe(true);
          expect(eq(l.join(a, l.bottom), a)).toBe(true);
          expect(eq(l.meet(a, l.top), a)).toBe(true);
        }),
        RUNS,
      );
    });

    it('format and parse round-trip, and results are labels', () => {
      fc.assert(
        fc.property(label, label, (a, b) => {
          expect(eq(l.parse(l.format(a)), a)).toBe(true);
          expect(l.isLabel(l.join(a, b))).toBe(true);
          expect(l.isLabel(l.meet(a, b))).toBe(true);
        }),
        RUNS,
      );
    });
  },
);

describe('lattice laws: random finite lattices from Hasse diagrams', () => {
  // Each run builds a lattice from a generated diagram and checks every pair and triple against the
  // ground truth (set inclusion, intersection, least containing member). Split in two seeds so that no
  // single test runs long.
  for (const seed of [1, 2]) {
    it(`agrees with the closure system it came from (seed ${seed})`, () => {
      fc.assert(
        fc.property(closureSystem, ({ sets, diagram }) => {
          const l = hasseLattice(diagram, 'closure');
          // Plain comparisons (not expect) in the inner loops: there are up to 64^3 triples per run.
          const same = (x: unknown, y: unknown, what: string) => {
            if (x !== y) throw new Error(`${what}: ${String(x)} !== ${String(y)}`);
          };
          const label = (i: number) => l.node(nodeName(i));
          const maskOf = (x: number) => sets[Number((l.nodes[x] as string).slice(1))] as number;
          const byMask = new Map(sets.map((m, i) => [m, i]));
          for (let i = 0; i < sets.length; i++) {
            for (let j = 0; j < sets.length; j++) {
              const a = label(i);
              const b = label(j);
              const A = sets[i] as number;
              const B = sets[j] as number;
              same(l.leq(a, b), (A & B) === A, 'leq is inclusion');
              same(maskOf(l.meet(a, b)), A & B, 'meet is intersection');
              // join: the smallest member containing A | B
              const members = sets.filter((m) => ((A | B) & m) === (A | B));
              const least = members.reduce((x, y) => ((x & y) === x ? x : y));
              same(l.join(a, b), label(byMask.get(least) as number), 'join is the least containing member');
            }
          }
          for (let a = 0; a < l.size; a++) {
            for (let b = 0; b < l.size; b++) {
              for (let c = 0; c < l.size; c++) {
                same(l.join(a, l.join(b, c)), l.join(l.join(a, b), c), 'join associative');
                same(l.meet(a, l.meet(b, c)), l.meet(l.meet(a, b), c), 'meet associative');
              }
              same(l.join(a, l.meet(a, b)), a, 'absorption');
              same(l.meet(a, l.join(a, b)), a, 'absorption');
            }
          }
        }),
        { numRuns: 150, seed },
      );
    });
  }
});
