// Exporting a capability: sealing what a CapSpace capability grants into a token, for use outside the
// kernel that holds it. Leaving the kernel is a transfer, so the capability must hold TRANSFER, as it
// must to move to another CapSpace.

import type { CapId } from '../cap/ids.js';
import { Rights } from '../cap/rights.js';
import type { CapSpace } from '../cap/space.js';
import type { TokenKey } from '../crypto/token-key.js';
import type { SealOptions, TokenAuthority } from './authority.js';

/** Options of {@link sealCapability}. */
export interface SealCapabilityOptions extends SealOptions {
  /** Export only these rights (default: all the capability holds, TRANSFER included). */
  rights?: number;
}

/**
 * Seal the capability `id` of `space` into a token under `key`. Needs TRANSFER on the capability; the
 * exported rights must be a subset of the capability's, and its label and badge go along unchanged.
 */
export function sealCapability<L>(
  authority: TokenAuthority<L>,
  key: TokenKey | Uint8Array,
  space: CapSpace<L>,
  id: CapId,
  options: SealCapabilityOptions = {},
): Uint8Array {
  space.require(id, Rights.TRANSFER);
  const cap = space.inspect(id);
  const rights = options.rights ?? cap.rights;
  // require() on the subset gives the same message a derivation would.
  space.require(id, rights);
  return authority.seal(
    key,
    { object: cap.object, rights, label: cap.label, badge: cap.badge },
    options.nonce ? { nonce: options.nonce } : {},
  );
}
