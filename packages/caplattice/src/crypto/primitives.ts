// The symmetric primitives, in one place so that the wiring to @noble/hashes is checked once, against the
// RFC 4231 (HMAC-SHA-256) and RFC 5869 (HKDF-SHA-256) test vectors. Everything else calls these.

import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 of `message` under `key` (32 bytes). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, message);
}

/** HMAC-SHA-256 of the concatenation of `parts`, without building the concatenation. */
export function hmacSha256Parts(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = hmac.create(nobleSha256, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** HKDF-SHA-256 extract step: a pseudo-random key from input keying material and a salt. */
export function hkdfExtract(ikm: Uint8Array, salt: Uint8Array): Uint8Array {
  return extract(nobleSha256, ikm, salt);
}

/** HKDF-SHA-256 expand step: `length` bytes of output keying material bound to `info`. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(nobleSha256, prk, info, length);
}

/** HKDF-SHA-256 (extract then expand), RFC 5869. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpand(hkdfExtract(ikm, salt), info, length);
}

/**
 * Byte equality whose running time depends only on the lengths, never on where the first difference is:
 * a MAC compared with an early exit would tell an attacker how many leading bytes of a forgery are right.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Cryptographically secure random bytes. */
export function randomBytes(length: number): Uint8Array {
  return nobleRandomBytes(length);
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a domain-separation string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
