// The one interface every security lattice in this package implements. A lattice is a partial order in
// which every two labels have a least upper bound (join) and a greatest lower bound (meet); the finite
// ones here also have a top and a bottom. Labels are plain immutable values (numbers, bigints, tuples), so
// they can be stored in a capability table and compared without allocation.

/** A bounded lattice of security labels of type `L`. */
export interface Lattice<L> {
  /** Human-readable name, used in error messages. */
  readonly name: string;
  /** The greatest label: every label flows to it. */
  readonly top: L;
  /** The least label: it flows to every label. */
  readonly bottom: L;
  /** The partial order: `a <= b`, "a may flow to b", "b dominates a". */
  leq(a: L, b: L): boolean;
  /** Least upper bound. */
  join(a: L, b: L): L;
  /** Greatest lower bound. */
  meet(a: L, b: L): L;
  /** Label equality (labels that are tuples are compared by content). */
  equals(a: L, b: L): boolean;
  /** Whether a value is a label of this lattice. Every other method throws on non-labels. */
  isLabel(value: unknown): value is L;
  /** Text form of a label; `parse(format(x))` equals `x`. */
  format(label: L): string;
  /** Parse the text form of a label; throws {@link LatticeError} on anything else. */
  parse(text: string): L;
}
