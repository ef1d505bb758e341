// A token key: the 32-byte secret that starts a token's HMAC chain, and a 16-byte public id that names it
// inside tokens so a verifier holding many keys (one per peer) knows which one to use. Both halves come
// out of HKDF, so the two ends of a key exchange derive the same id without another message.

import { InvalidArgumentError } from '../errors.js';
import { hkdfExpand, hkdfExtract, randomBytes, utf8 } from './primitives.js';

/** Length of a token key's secret. */
export const TOKEN_KEY_BYTES = 32;
/** Length of a token key's id. */
export const KEY_ID_BYTES = 16;

/** A MAC key for sealing and verifying tokens. */
export interface TokenKey {
  /** Public name of the key, carried in every token sealed with it. */
  readonly id: Uint8Array;
  /** The HMAC-SHA-256 key. Keep it secret. */
  readonly secret: Uint8Array;
}

const SALT = utf8('exov6/caplattice/v1/token-key');

/**
 * @internal The token key expanded from a pseudo-random key `prk` (HKDF-Extract output): every user of
 * this function must feed it a prk from a different salt or input, which the handshake and
 * tokenKeyFromSecret do.
 */
export function tokenKeyFromPrk(prk: Uint8Array): TokenKey {
  return Object.freeze({
    id: hkdfExpand(prk, utf8('exov6/caplattice/v1 token key id'), KEY_ID_BYTES),
    secret: hkdfExpand(prk, utf8('exov6/caplattice/v1 token mac key'), TOKEN_KEY_BYTES),
  });
}

/**
 * The token key derived from a secret of at least 32 bytes and a context string (for example the
 * kernel's own root secret and "exov6 kernel tokens"): the same inputs always give the same key.
 */
export function tokenKeyFromSecret(secret: Uint8Array, context = ''): TokenKey {
  if (!(secret instanceof Uint8Array) || secret.length < 32) {
    throw new InvalidArgumentError(
      'tokenKeyFromSecret: the secret must be a Uint8Array of at least 32 bytes',
    );
  }
  if (typeof context !== 'string')
    throw new InvalidArgumentError('tokenKeyFromSecret: context must be a string');
  return tokenKeyFromPrk(hkdfExtract(secret, new Uint8Array([...SALT, 0, ...utf8(context)])));
}

/** A fresh random token key. */
export function generateTokenKey(): TokenKey {
  return tokenKeyFromSecret(randomBytes(32), 'random');
}

/** Hex text of a key id, as used in maps and messages. */
export function keyIdHex(id: Uint8Array): string {
  let s = '';
  for (const b of id) s += b.toString(16).padStart(2, '0');
  return s;
}
