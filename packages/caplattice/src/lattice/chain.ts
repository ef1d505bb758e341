// A chain: totally ordered named levels, lowest first (UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET).
// A label is the level's index, so every operation is one integer comparison.

import { LatticeError } from '../errors.js';
import type { Lattice } from './lattice.js';
import { indexNames, notALabel } from './names.js';

/** Most levels a chain may have; labels are indices and must stay small integers. */
export const MAX_CHAIN_LEVELS = 65_536;

/** A chain lattice; labels are level indices, 0 = lowest. */
export interface ChainLattice extends Lattice<number> {
  /** Level names, lowest first. */
  readonly levels: readonly string[];
  /** The label of a named level; throws {@link LatticeError} for an unknown name. */
  level(name: string): number;
}

/** Build a chain from level names, lowest first. */
export function chainLattice(levels: readonly string[], name = 'chain'): ChainLattice {
  const index = indexNames(`chain lattice ${name}`, levels);
  const n = levels.length;
  if (n === 0) throw new LatticeError(`chain lattice ${name}: needs at least one level`);
  if (n > MAX_CHAIN_LEVELS)
    throw new LatticeError(`chain lattice ${name}: more than ${MAX_CHAIN_LEVELS} levels`);
  const names = Object.freeze([...levels]);

  const isLabel = (x: unknown): x is number => typeof x === 'number' && x >>> 0 === x && x < n;
  const check = (x: number): number => {
    if (x >>> 0 !== x || x >= n) throw notALabel(name, x);
    return x;
  };
  const level = (text: string): number => {
    const i = typeof text === 'string' ? index.get(text.trim()) : undefined;
    if (i === undefined) {
      throw new LatticeError(
        `lattice ${name}: unknown level ${JSON.stringify(text)} (levels: ${names.join(', ')})`,
      );
    }
    return i;
  };

  return Object.freeze({
    name,
    levels: names,
    top: n - 1,
    bottom: 0,
    leq: (a: number, b: number) => check(a) <= check(b),
    join: (a: number, b: number) => Math.max(check(a), check(b)),
    meet: (a: number, b: number) => Math.min(check(a), check(b)),
    equals: (a: number, b: number) => check(a) === check(b),
    isLabel,
    format: (a: number) => names[check(a)] as string,
    parse: level,
    level,
  });
}
