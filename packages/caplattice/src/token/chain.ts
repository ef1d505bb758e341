// The HMAC chain of a token (see format.ts): the first link covers the header and claims, each further
// link one caveat, keyed by the link before it.

import { hmacSha256, hmacSha256Parts } from '../crypto/primitives.js';
import { CHAIN_DOMAIN, type TokenLayout } from './format.js';

/** The first link: HMAC over the domain, magic and version, and bytes [4, claimsEnd) (the kind is left out). */
export function chainStart(secret: Uint8Array, claims: Uint8Array, claimsEnd: number): Uint8Array {
  return hmacSha256Parts(secret, CHAIN_DOMAIN, claims.subarray(0, 3), claims.subarray(4, claimsEnd));
}

/** The next link after `tag`, for one encoded caveat. */
export function chainNext(tag: Uint8Array, caveat: Uint8Array): Uint8Array {
  return hmacSha256(tag, caveat);
}

/** The tag a token should carry if it was sealed with `secret`. */
export function expectedTag(secret: Uint8Array, layout: TokenLayout): Uint8Array {
  let tag = chainStart(secret, layout.bytes, layout.claimsEnd);
  for (const caveat of layout.caveats) tag = chainNext(tag, caveat.bytes);
  return tag;
}
