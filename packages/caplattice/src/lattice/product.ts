// The product of two lattices, ordered componentwise: (a1, a2) <= (b1, b2) iff a1 <= b1 and a2 <= b2.
// With a chain of levels and a powerset of categories this is the Bell-LaPadula label (level, categories):
// dominance is "level >= and categories superset", join is (max, union), meet is (min, intersection).

import { LatticeError } from '../errors.js';
import { chainLattice } from './chain.js';
import type { Lattice } from './lattice.js';
import { notALabel, splitTopLevel } from './names.js';
import { powersetLattice } from './powerset.js';

/** A label of a product lattice: one label of each component. */
export type Pair<A, B> = readonly [A, B];

/** The product of two lattices; labels are frozen pairs. */
export interface ProductLattice<A, B> extends Lattice<Pair<A, B>> {
  readonly first: Lattice<A>;
  readonly second: Lattice<B>;
  /** The (frozen) label with the given components; throws if either is not a label. */
  pair(a: A, b: B): Pair<A, B>;
}

/** Build the componentwise product of two lattices. */
export function productLattice<A, B>(
  first: Lattice<A>,
  second: Lattice<B>,
  name = `${first.name} x ${second.name}`,
): ProductLattice<A, B> {
  const isLabel = (x: unknown): x is Pair<A, B> =>
    Array.isArray(x) && x.length === 2 && first.isLabel(x[0]) && second.isLabel(x[1]);
  const check = (x: Pair<A, B>): Pair<A, B> => {
    if (!isLabel(x)) throw notALabel(name, x);
    return x;
  };
  const make = (a: A, b: B): Pair<A, B> => Object.freeze([a, b] as const);
  const pair = (a: A, b: B): Pair<A, B> => check(make(a, b));

  const parse = (text: string): Pair<A, B> => {
    const t = typeof text === 'string' ? text.trim() : '';
    const parts = t.startsWith('(') && t.endsWith(')') ? splitTopLevel(t.slice(1, -1), ',') : null;
    if (parts?.length !== 2) {
      throw new LatticeError(`lattice ${name}: expected a pair like (a, b), got ${JSON.stringify(text)}`);
    }
    return make(first.parse((parts[0] as string).trim()), second.parse((parts[1] as string).trim()));
  };

  return Object.freeze({
    name,
    first,
    second,
    top: make(first.top, second.top),
    bottom: make(first.bottom, second.bottom),
    leq: (a: Pair<A, B>, b: Pair<A, B>) => first.leq(check(a)[0], check(b)[0]) && second.leq(a[1], b[1]),
    join: (a: Pair<A, B>, b: Pair<A, B>) =>
      make(first.join(check(a)[0], check(b)[0]), second.join(a[1], b[1])),
    meet: (a: Pair<A, B>, b: Pair<A, B>) =>
      make(first.meet(check(a)[0], check(b)[0]), second.meet(a[1], b[1])),
    equals: (a: Pair<A, B>, b: Pair<A, B>) =>
      first.equals(check(a)[0], check(b)[0]) && second.equals(a[1], b[1]),
    isLabel,
    format: (a: Pair<A, B>) => `(${first.format(check(a)[0])}, ${second.format(a[1])})`,
    parse,
    pair,
  });
}

/**
 * The Bell-LaPadula label lattice: (level, categories), a chain of levels (lowest first) times the
 * powerset of the categories.
 */
export function securityLattice(
  levels: readonly string[],
  categories: readonly string[],
  name = 'security',
): ProductLattice<number, bigint> {
  return productLattice(
    chainLattice(levels, `${name}.level`),
    powersetLattice(categories, `${name}.categories`),
    name,
  );
}
