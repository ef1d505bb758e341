// Offline attenuation, the holder's side of macaroons: append a caveat and advance the tag with
// HMAC(old tag, caveat). It needs no key and no contact with the authority, and the result grants at
// most what the original granted. The old tag is not in the new token, so the caveat cannot be taken off.

import { keyIdHex } from '../crypto/token-key.js';
import { InvalidArgumentError, TokenError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import { type Caveat, encodeCaveat } from './caveat.js';
import { chainNext } from './chain.js';
import { KIND_MAC, KIND_SIGNED, MAX_CAVEATS, MAX_TOKEN_BYTES, parseToken, TAG_BYTES } from './format.js';
import type { TokenObject } from './grant.js';

/**
 * Add caveats to a token. `lattice` is needed only for label caveats. A signed token comes back as a
 * plain MAC token: the signature covered the old bytes (see signed.ts).
 */
export function attenuateToken<L>(
  token: Uint8Array,
  caveats: Caveat<L> | readonly Caveat<L>[],
  lattice?: Lattice<L>,
): Uint8Array {
  const list = Array.isArray(caveats) ? caveats : [caveats as Caveat<L>];
  if (list.length === 0) throw new InvalidArgumentError('attenuateToken: no caveat given');
  const encoded = list.map((c) => encodeCaveat(c, lattice));
  const layout = parseToken(token);
  if (layout.caveats.length + encoded.length > MAX_CAVEATS) {
    throw new TokenError('MALFORMED', `attenuateToken: a token carries at most ${MAX_CAVEATS} caveats`);
  }
  const body = layout.tagStart + encoded.reduce((n, c) => n + c.length, 0);
  if (body + TAG_BYTES > MAX_TOKEN_BYTES) {
    throw new TokenError('MALFORMED', `attenuateToken: the token would exceed ${MAX_TOKEN_BYTES} bytes`);
  }
  const out = new Uint8Array(body + TAG_BYTES);
  out.set(layout.bytes.subarray(0, layout.tagStart));
  out[3] = KIND_MAC;
  let at = layout.tagStart;
  let tag = layout.tag;
  for (const c of encoded) {
    out.set(c, at);
    at += c.length;
    tag = chainNext(tag, c);
  }
  out.set(tag, at);
  return out;
}

/** What a token claims, as read by anyone holding it. Nothing here is verified. */
export interface TokenInfo {
  readonly signed: boolean;
  readonly keyId: string;
  readonly epoch: number;
  readonly nonce: string;
  readonly object: TokenObject;
  readonly rights: number;
  /** Label text (in the lattice's text form). */
  readonly label: string;
  readonly badge: number | undefined;
  readonly caveats: readonly (
    | { readonly kind: 'rights'; readonly rights: number }
    | { readonly kind: 'label'; readonly label: string }
    | { readonly kind: 'expires'; readonly at: number }
    | { readonly kind: 'target'; readonly id: number }
  )[];
  readonly bytes: number;
}

/** Decode a token for display or debugging; throws TokenError if it does not parse. Verifies nothing. */
export function decodeToken(token: Uint8Array): TokenInfo {
  const t = parseToken(token);
  return Object.freeze({
    signed: t.kind === KIND_SIGNED,
    keyId: keyIdHex(t.keyId),
    epoch: t.epoch,
    nonce: keyIdHex(t.nonce),
    object: Object.freeze(
      t.objectId === undefined ? { type: t.objectType } : { type: t.objectType, id: t.objectId },
    ),
    rights: t.rights,
    label: t.label,
    badge: t.badge,
    caveats: Object.freeze(t.caveats.map(({ bytes: _, ...c }) => Object.freeze(c))),
    bytes: t.bytes.length,
  });
}
