// Caveats restrict what a token grants; a holder adds them offline (attenuate.ts) and a verifier applies
// all of them (grant.ts). Each kind only ever narrows: rights are ANDed, labels met, expiries take the
// earliest, targets pin the object. So the order of caveats does not matter, and no caveat can widen a
// token.

import { assertRightsMask } from '../cap/rights.js';
import { InvalidArgumentError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import { encodeRawCaveat } from './format.js';

/** A restriction a holder adds to a token. */
export type Caveat<L> =
  /** Keep only these rights. */
  | { readonly kind: 'rights'; readonly rights: number }
  /** Lower the label: the token's label becomes its meet with this one. */
  | { readonly kind: 'label'; readonly label: L }
  /** Valid only while the verifier's clock (ms since 1970) is before `at`. */
  | { readonly kind: 'expires'; readonly at: number }
  /** Valid only for the object with this id (of the token's object type). */
  | { readonly kind: 'target'; readonly id: number };

/** Check a caveat at the API edge and encode it. */
export function encodeCaveat<L>(caveat: Caveat<L>, lattice: Lattice<L> | undefined): Uint8Array {
  if (typeof caveat !== 'object' || caveat === null) {
    throw new InvalidArgumentError('caveat: expected { kind, ... }');
  }
  switch (caveat.kind) {
    case 'rights':
      return encodeRawCaveat({ kind: 'rights', rights: assertRightsMask(caveat.rights, 'rights caveat') });
    case 'label': {
      if (!lattice) throw new InvalidArgumentError('label caveat: pass the lattice the label belongs to');
      if (!lattice.isLabel(caveat.label)) {
        throw new InvalidArgumentError(`label caveat: not a label of lattice ${lattice.name}`);
      }
      return encodeRawCaveat({ kind: 'label', label: lattice.format(caveat.label) });
    }
    case 'expires':
      if (!Number.isSafeInteger(caveat.at) || caveat.at < 0) {
        throw new InvalidArgumentError('expiry caveat: `at` must be a non-negative integer (ms since 1970)');
      }
      return encodeRawCaveat({ kind: 'expires', at: caveat.at });
    case 'target':
      if (!Number.isSafeInteger(caveat.id) || caveat.id < 0) {
        throw new InvalidArgumentError('target caveat: `id` must be a non-negative safe integer');
      }
      return encodeRawCaveat({ kind: 'target', id: caveat.id });
    default:
      throw new InvalidArgumentError(
        `caveat: unknown kind ${JSON.stringify((caveat as { kind: unknown }).kind)} (rights, label, expires, target)`,
      );
  }
}
