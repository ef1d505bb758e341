// The order dual of a lattice: the same labels with the order turned upside down (join and meet, top and
// bottom swap). Biba integrity is Bell-LaPadula on the dual lattice; the tests check exactly that.

import type { Lattice } from './lattice.js';

/** The dual of `lattice`: `leq(a, b)` iff `lattice.leq(b, a)`. Labels and their text forms are unchanged. */
export function dualLattice<L>(lattice: Lattice<L>, name = `dual(${lattice.name})`): Lattice<L> {
  return Object.freeze({
    name,
    top: lattice.bottom,
    bottom: lattice.top,
    leq: (a: L, b: L) => lattice.leq(b, a),
    join: (a: L, b: L) => lattice.meet(a, b),
    meet: (a: L, b: L) => lattice.join(a, b),
    equals: (a: L, b: L) => lattice.equals(a, b),
    isLabel: (x: unknown): x is L => lattice.isLabel(x),
    format: (a: L) => lattice.format(a),
    parse: (text: string) => lattice.parse(text),
  });
}
