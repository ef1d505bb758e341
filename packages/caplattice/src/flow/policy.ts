// Information-flow policies over a lattice of labels, shaped for a kernel that checks one on every IPC
// send: `canSend(from, to)` is a couple of lattice comparisons and allocates nothing; `checkSend` throws a
// FlowError that names both labels, for the path that reports the refusal.
//
// - Denning: information may flow from a to b iff a <= b.
// - Bell-LaPadula (confidentiality): a subject reads an object only at or below its label ("no read up")
//   and writes only at or above it ("no write down"); the strong *-property writes only at its own label.
// - Biba (integrity, the dual): reads only at or above ("no read down"), writes only at or below ("no
//   write up"); information flows from higher to lower integrity. Biba on L is Bell-LaPadula on dual(L).

import { FlowError, InvalidArgumentError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';

/** A flow policy the exokernel can call on every access and every IPC send. */
export interface FlowPolicy<L> {
  readonly name: string;
  readonly lattice: Lattice<L>;
  /** May a subject labelled `subject` read an object labelled `object`? */
  canRead(subject: L, object: L): boolean;
  /** May a subject labelled `subject` write an object labelled `object`? */
  canWrite(subject: L, object: L): boolean;
  /** May a message travel from a sender labelled `from` to a receiver labelled `to`? */
  canSend(from: L, to: L): boolean;
  /** Like {@link canSend}, but throws {@link FlowError} explaining the refusal. */
  checkSend(from: L, to: L): void;
}

/** Denning's flow relation: information may flow from `a` to `b` iff `a <= b`. */
export function canFlow<L>(lattice: Lattice<L>, a: L, b: L): boolean {
  return lattice.leq(a, b);
}

function assertLattice(lattice: unknown, what: string): void {
  if (
    typeof lattice !== 'object' ||
    lattice === null ||
    typeof (lattice as Lattice<unknown>).leq !== 'function'
  ) {
    throw new InvalidArgumentError(`${what}: expected a Lattice`);
  }
}

function policy<L>(
  name: string,
  lattice: Lattice<L>,
  canRead: (s: L, o: L) => boolean,
  canWrite: (s: L, o: L) => boolean,
  canSend: (a: L, b: L) => boolean,
  rule: string,
): FlowPolicy<L> {
  return Object.freeze({
    name,
    lattice,
    canRead,
    canWrite,
    canSend,
    checkSend(from: L, to: L): void {
      if (!canSend(from, to)) {
        throw new FlowError(
          `${name}: a message may not flow from ${lattice.format(from)} to ${lattice.format(to)} (${rule})`,
        );
      }
    },
  });
}

/** Denning's lattice model: read down, write up, send up. */
export function denningPolicy<L>(lattice: Lattice<L>): FlowPolicy<L> {
  assertLattice(lattice, 'denningPolicy');
  return policy(
    'denning',
    lattice,
    (s, o) => lattice.leq(o, s),
    (s, o) => lattice.leq(s, o),
    (a, b) => lattice.leq(a, b),
    'the sender label must be <= the receiver label',
  );
}

/** Options of {@link bellLaPadulaPolicy}. */
export interface BellLaPadulaOptions {
  /** Strong *-property: write only at exactly the subject's label (default false: at or above). */
  strongStar?: boolean;
}

/** Bell-LaPadula confidentiality: no read up, no write down. */
export function bellLaPadulaPolicy<L>(lattice: Lattice<L>, options: BellLaPadulaOptions = {}): FlowPolicy<L> {
  assertLattice(lattice, 'bellLaPadulaPolicy');
  const strong = options.strongStar === true;
  const write = strong ? (s: L, o: L) => lattice.equals(s, o) : (s: L, o: L) => lattice.leq(s, o);
  return policy(
    strong ? 'bell-lapadula (strong *-property)' : 'bell-lapadula',
    lattice,
    (s, o) => lattice.leq(o, s),
    write,
    // Sending is the sender writing into the receiver.
    (a, b) => write(a, b),
    strong ? 'strong *-property: only at the same label' : '*-property: no write down',
  );
}

/** Biba integrity: no read down, no write up. */
export function bibaPolicy<L>(lattice: Lattice<L>): FlowPolicy<L> {
  assertLattice(lattice, 'bibaPolicy');
  return policy(
    'biba',
    lattice,
    (s, o) => lattice.leq(s, o),
    (s, o) => lattice.leq(o, s),
    (a, b) => lattice.leq(b, a),
    'no write up: the receiver label must be <= the sender label',
  );
}
