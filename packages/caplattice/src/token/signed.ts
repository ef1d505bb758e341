// Publicly verifiable tokens: an ML-DSA-65 signature (FIPS 204) over the whole MAC-sealed token, so a
// verifier holding only the signer's public key can check it, with no shared secret.
//
// Why the signature covers everything, caveats included: a holder who attenuates a signed token changes
// its bytes, so the signature no longer applies. attenuateToken therefore drops the signature and returns
// a plain MAC token, which the MAC key holders still verify. Letting arbitrary holders extend a
// signed chain offline would need each holder to sign, or different cryptography; a public verifier
// that accepted unsigned caveat suffixes could not tell an attenuated token from a stripped one.

import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { RightsSchema } from '../cap/rights.js';
import { InvalidArgumentError, TokenError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import {
  KIND_MAC,
  KIND_SIGNED,
  parseToken,
  SIGNATURE_BYTES,
  SIGNATURE_CONTEXT,
  TAG_BYTES,
  type TokenLayout,
} from './format.js';
import { checkRequest, evaluate, type Grant, type TokenRequest } from './grant.js';

const PUBLIC_KEY_BYTES = 1952;
const SECRET_KEY_BYTES = 4032;

/** An ML-DSA-65 key pair for signing tokens. */
export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** An ML-DSA-65 key pair, from a 32-byte seed (reproducible) or fresh randomness. */
export function signingKeyPair(seed?: Uint8Array): SigningKeyPair {
  if (seed !== undefined && (!(seed instanceof Uint8Array) || seed.length !== 32)) {
    throw new InvalidArgumentError('signingKeyPair: the seed must be 32 bytes');
  }
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return Object.freeze({ publicKey, secretKey });
}

/** @internal */
export function assertPublicKey(key: unknown, op: string): void {
  if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(`${op}: an ML-DSA-65 public key is ${PUBLIC_KEY_BYTES} bytes`);
  }
}

/** @internal Does the signature of a kind-2 token verify under `publicKey`? */
export function signatureValid(layout: TokenLayout, publicKey: Uint8Array): boolean {
  const signed = layout.bytes.subarray(0, layout.tagStart + TAG_BYTES);
  try {
    return ml_dsa65.verify(layout.signature as Uint8Array, signed, publicKey, { context: SIGNATURE_CONTEXT });
  } catch {
    return false;
  }
}

/** Options of {@link signToken}. */
export interface SignOptions {
  /** 32 bytes of signing randomness (for reproducible tests only; default: hedged with fresh randomness). */
  randomness?: Uint8Array;
}

/** Sign a token (replacing any earlier signature) with an ML-DSA-65 secret key. */
export function signToken(token: Uint8Array, secretKey: Uint8Array, options: SignOptions = {}): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
    throw new InvalidArgumentError(`signToken: an ML-DSA-65 secret key is ${SECRET_KEY_BYTES} bytes`);
  }
  const randomness = options.randomness;
  if (randomness !== undefined && (!(randomness instanceof Uint8Array) || randomness.length !== 32)) {
    throw new InvalidArgumentError('signToken: randomness must be 32 bytes');
  }
  const layout = parseToken(token);
  const end = layout.tagStart + TAG_BYTES;
  const out = new Uint8Array(end + SIGNATURE_BYTES);
  out.set(layout.bytes.subarray(0, end));
  out[3] = KIND_SIGNED;
  const signature = ml_dsa65.sign(out.subarray(0, end), secretKey, {
    context: SIGNATURE_CONTEXT,
    ...(randomness ? { extraEntropy: randomness } : {}),
  });
  out.set(signature, end);
  return out;
}

/** The plain MAC token inside a signed token (unchanged if it is not signed). */
export function unsignToken(token: Uint8Array): Uint8Array {
  const layout = parseToken(token);
  const out = layout.bytes.slice(0, layout.tagStart + TAG_BYTES);
  out[3] = KIND_MAC;
  return out;
}

/** Options of {@link verifySignedToken}. */
export interface VerifySignedOptions<L> {
  /** The lattice of the token's labels. */
  lattice: Lattice<L>;
  /** Names of the rights bits, for messages (default: the built-in rights). */
  rights?: RightsSchema;
  /** Reject tokens sealed before this epoch (default 0). */
  minEpoch?: number;
  /** What to check the token against. */
  request?: TokenRequest;
}

/**
 * Verify a signed token with the signer's public key alone and return what it grants; throws
 * TokenError. The MAC is not checked (the verifier has no key), the signature covers it.
 */
export function verifySignedToken<L>(
  token: Uint8Array,
  publicKey: Uint8Array,
  options: VerifySignedOptions<L>,
): Grant<L> {
  assertPublicKey(publicKey, 'verifySignedToken');
  const lattice = options?.lattice;
  if (typeof lattice !== 'object' || lattice === null || typeof lattice.parse !== 'function') {
    throw new InvalidArgumentError('verifySignedToken: options.lattice must be a Lattice');
  }
  const request = options.request ?? {};
  const now = checkRequest(request, 'verifySignedToken') ?? Date.now();
  const minEpoch = options.minEpoch ?? 0;
  if (!Number.isInteger(minEpoch) || minEpoch < 0)
    throw new InvalidArgumentError('verifySignedToken: minEpoch must be a non-negative integer');
  const layout = parseToken(token);
  if (layout.kind !== KIND_SIGNED) throw new TokenError('BAD_SIGNATURE', 'token: it is not signed');
  if (!signatureValid(layout, publicKey))
    throw new TokenError('BAD_SIGNATURE', 'token: the ML-DSA-65 signature does not verify');
  if (layout.epoch < minEpoch) {
    throw new TokenError(
      'REVOKED',
      `token: sealed in epoch ${layout.epoch}, every token before epoch ${minEpoch} is revoked`,
    );
  }
  return evaluate(lattice, options.rights ?? RightsSchema.builtin, layout, request, now);
}
