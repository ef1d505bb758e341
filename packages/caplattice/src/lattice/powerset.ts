// The powerset of a set of named categories, ordered by inclusion: {} at the bottom, every category at the
// top. A label is a bigint bitmask (bit i = category i), so any number of categories works and a label is
// an immutable value; join is OR, meet is AND, a <= b is "a has no bit outside b".

import { LatticeError } from '../errors.js';
import type { Lattice } from './lattice.js';
import { indexNames, notALabel } from './names.js';

/** Most categories a powerset lattice may have. */
export const MAX_CATEGORIES = 4096;

/** A powerset lattice; labels are bigint bitmasks over the categories. */
export interface PowersetLattice extends Lattice<bigint> {
  /** Category names; category i is bit i. */
  readonly categories: readonly string[];
  /** The label holding exactly the named categories. */
  set(...names: string[]): bigint;
}

/** Build the powerset lattice of the named categories. */
export function powersetLattice(categories: readonly string[], name = 'powerset'): PowersetLattice {
  const index = indexNames(`powerset lattice ${name}`, categories);
  const n = categories.length;
  if (n > MAX_CATEGORIES) {
    throw new LatticeError(`powerset lattice ${name}: more than ${MAX_CATEGORIES} categories`);
  }
  const names = Object.freeze([...categories]);
  const top = (1n << BigInt(n)) - 1n;

  const isLabel = (x: unknown): x is bigint => typeof x === 'bigint' && x >= 0n && x <= top;
  const check = (x: bigint): bigint => {
    if (!isLabel(x)) throw notALabel(name, x);
    return x;
  };
  const bitOf = (category: string): bigint => {
    const i = index.get(category);
    if (i === undefined) {
      throw new LatticeError(`lattice ${name}: unknown category ${JSON.stringify(category)}`);
    }
    return 1n << BigInt(i);
  };

  const format = (x: bigint): string => {
    check(x);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) if ((x >> BigInt(i)) & 1n) parts.push(names[i] as string);
    return `{${parts.join(',')}}`;
  };
  const parse = (text: string): bigint => {
    const t = typeof text === 'string' ? text.trim() : '';
    if (!t.startsWith('{') || !t.endsWith('}')) {
      throw new LatticeError(
        `lattice ${name}: expected a category set like {A,B}, got ${JSON.stringify(text)}`,
      );
    }
    const inner = t.slice(1, -1).trim();
    let mask = 0n;
    if (inner !== '') for (const part of inner.split(',')) mask |= bitOf(part.trim());
    return mask;
  };

  return Object.freeze({
    name,
    categories: names,
    top,
    bottom: 0n,
    leq: (a: bigint, b: bigint) => (check(a) & ~check(b)) === 0n,
    join: (a: bigint, b: bigint) => check(a) | check(b),
    meet: (a: bigint, b: bigint) => check(a) & check(b),
    equals: (a: bigint, b: bigint) => check(a) === check(b),
    isLabel,
    format,
    parse,
    set: (...members: string[]) => members.reduce((m, c) => m | bitOf(c), 0n),
  });
}
