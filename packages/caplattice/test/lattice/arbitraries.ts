// fast-check generators of labels for each lattice under test, and of random finite lattices.

import fc from 'fast-check';
import {
  chainLattice,
  dualLattice,
  EXOV6_LATTICE,
  type FiniteLattice,
  type Lattice,
  powersetLattice,
  securityLattice,
} from '../../src/index.js';

/** A lattice under test with a generator of its labels. */
export interface Subject<L> {
  name: string;
  lattice: Lattice<L>;
  label: fc.Arbitrary<L>;
}

const chain = chainLattice(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET'], 'clearance');
// More than 64 categories, so labels cross every word boundary a 64-bit mask would have.
const categories = Array.from({ length: 70 }, (_, i) => `C${i}`);
const powerset = powersetLattice(categories, 'compartments');
const blp = securityLattice(['LOW', 'MEDIUM', 'HIGH'], categories, 'blp');

const finiteLabel = (l: FiniteLattice) => fc.integer({ min: 0, max: l.size - 1 });
const powersetLabel = fc.bigInt({ min: 0n, max: powerset.top });

export const subjects: Subject<unknown>[] = [
  { name: 'chain', lattice: chain, label: fc.integer({ min: 0, max: 3 }) },
  { name: 'powerset (70 categories)', lattice: powerset, label: powersetLabel },
  {
    name: 'product (Bell-LaPadula)',
    lattice: blp,
    label: fc.tuple(fc.integer({ min: 0, max: 2 }), powersetLabel).map(([a, b]) => blp.pair(a, b)),
  },
  { name: 'finite (ExoV6 Hasse diagram)', lattice: EXOV6_LATTICE, label: finiteLabel(EXOV6_LATTICE) },
  { name: 'dual (ExoV6)', lattice: dualLattice(EXOV6_LATTICE), label: finiteLabel(EXOV6_LATTICE) },
  {
    name: 'dual (Bell-LaPadula)',
    lattice: dualLattice(blp),
    label: fc.tuple(fc.integer({ min: 0, max: 2 }), powersetLabel).map(([a, b]) => blp.pair(a, b)),
  },
] as Subject<unknown>[];

/**
 * A random finite lattice with its ground truth: a family of subsets of {0..k-1} closed under
 * intersection and containing the full set (a closure system). Ordered by inclusion it is a lattice:
 * meet is intersection, join is the smallest member containing the union.
 */
export interface ClosureSystem {
  sets: number[]; // bitmasks, distinct
  diagram: Record<string, string[]>;
}

export const closureSystem: fc.Arbitrary<ClosureSystem> = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(63), { maxLength: 14 }))
  .map(([k, seeds]) => {
    const full = (1 << k) - 1;
    const family = new Set<number>([full]);
    for (const s of seeds) family.add(s & full);
    // Close under intersection.
    let grew = true;
    while (grew) {
      grew = false;
      for (const a of [...family]) {
        for (const b of [...family]) {
          if (!family.has(a & b)) {
            family.add(a & b);
            grew = true;
          }
        }
      }
    }
    const sets = [...family];
    return { sets, diagram: hasseOf(sets, (a, b) => (a & b) === a && a !== b) };
  });

/** Name of the i-th element of a generated order. */
export const nodeName = (i: number) => `N${i}`;

/** The Hasse diagram (covering edges) of a strict order `lt` on `items`. */
export function hasseOf<T>(items: readonly T[], lt: (a: T, b: T) => boolean): Record<string, string[]> {
  const diagram: Record<string, string[]> = {};
  items.forEach((u, i) => {
    diagram[nodeName(i)] = [];
    items.forEach((v, j) => {
      if (!lt(v, u)) return;
      const between = items.some((w) => lt(v, w) && lt(w, u));
      if (!between) (diagram[nodeName(i)] as string[]).push(nodeName(j));
    });
  });
  return diagram;
}
