// Per-peer token keys from an ML-KEM-768 key exchange (FIPS 203), with key confirmation in both
// directions.
//
//   initiator                                        responder (holds an ML-KEM-768 key pair)
//   ct, ss = Encaps(pk)
//   th = SHA-256(domain | context | pk | ct)
//   request = 01 | ct | HMAC(kI, th)       ------>   ss' = Decaps(ct, sk); recompute th, kI; check tag
//                                          <------   response = 01 | HMAC(kR, th)
//   check tag
//   both: prk = HKDF-Extract(salt = th, ss); kI, kR, and the token key are HKDF-Expand(prk, label)
//
// Why confirmation: ML-KEM decapsulation never fails. With the wrong secret key, or a ciphertext altered in
// transit, it returns a different, pseudo-random secret ("implicit rejection"), so without a check the two
// sides would each hold a key and silently disagree. The tags prove that both ended with the same secret
// and the same transcript (public key, ciphertext and context, which should name both parties).

import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { InvalidArgumentError, KeyConfirmationError } from '../errors.js';
import { constantTimeEqual, hkdfExpand, hkdfExtract, hmacSha256, sha256, utf8 } from './primitives.js';
import { type TokenKey, tokenKeyFromPrk } from './token-key.js';

const VERSION = 1;
const TAG_BYTES = 32;
const CIPHERTEXT_BYTES = 1088;
const PUBLIC_KEY_BYTES = 1184;
const SECRET_KEY_BYTES = 2400;
/** Bytes of a handshake request: version, ML-KEM-768 ciphertext, confirmation tag. */
export const HANDSHAKE_REQUEST_BYTES = 1 + CIPHERTEXT_BYTES + TAG_BYTES;
/** Bytes of a handshake response: version, confirmation tag. */
export const HANDSHAKE_RESPONSE_BYTES = 1 + TAG_BYTES;

/** An ML-KEM-768 key pair. */
export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Options of a handshake. */
export interface HandshakeOptions {
  /** Bound into the transcript; both sides must pass the same value (e.g. "kernel-a -> kernel-b"). */
  context?: string;
  /** 32 bytes of encapsulation randomness (for reproducible tests only; default: random). */
  randomness?: Uint8Array;
}

/** The initiator's side of a handshake in progress. */
export interface HandshakeInitiator {
  /** Send this to the responder. */
  readonly request: Uint8Array;
  /** Check the responder's reply and return the shared token key; throws KeyConfirmationError. */
  complete(response: Uint8Array): TokenKey;
}

/** An ML-KEM-768 key pair, from a 64-byte seed (reproducible) or fresh randomness. */
export function kemKeyPair(seed?: Uint8Array): KemKeyPair {
  if (seed !== undefined && (!(seed instanceof Uint8Array) || seed.length !== 64)) {
    throw new InvalidArgumentError('kemKeyPair: the seed must be 64 bytes');
  }
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  return Object.freeze({ publicKey, secretKey });
}

/** Start a handshake with the holder of `peerPublicKey`. */
export function initiateHandshake(
  peerPublicKey: Uint8Array,
  options: HandshakeOptions = {},
): HandshakeInitiator {
  if (!(peerPublicKey instanceof Uint8Array) || peerPublicKey.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(
      `initiateHandshake: an ML-KEM-768 public key is ${PUBLIC_KEY_BYTES} bytes`,
    );
  }
  const context = contextBytes(options.context, 'initiateHandshake');
  const randomness = options.randomness;
  if (randomness !== undefined && (!(randomness instanceof Uint8Array) || randomness.length !== 32)) {
    throw new InvalidArgumentError('initiateHandshake: randomness must be 32 bytes');
  }
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    encapsulated = ml_kem768.encapsulate(peerPublicKey, randomness);
  } catch (e) {
    throw new InvalidArgumentError(
      `initiateHandshake: not a valid ML-KEM-768 public key (${(e as Error).message})`,
    );
  }
  const s = schedule(encapsulated.sharedSecret, peerPublicKey, encapsulated.cipherText, context);
  const request = new Uint8Array(HANDSHAKE_REQUEST_BYTES);
  request[0] = VERSION;
  request.set(encapsulated.cipherText, 1);
  request.set(s.initiatorTag, 1 + CIPHERTEXT_BYTES);
  let used = false;
  return Object.freeze({
    request,
    complete(response: Uint8Array): TokenKey {
      if (used) throw new InvalidArgumentError('HandshakeInitiator.complete: already completed');
      if (
        !(response instanceof Uint8Array) ||
        response.length !== HANDSHAKE_RESPONSE_BYTES ||
        response[0] !== VERSION
      ) {
        throw new KeyConfirmationError(
          `handshake: a response is ${HANDSHAKE_RESPONSE_BYTES} bytes starting with ${VERSION}`,
        );
      }
      if (!constantTimeEqual(response.subarray(1), s.responderTag)) {
        throw new KeyConfirmationError(
          'handshake: the responder did not confirm the key (wrong key or altered message)',
        );
      }
      used = true;
      return s.key;
    },
  });
}

/** Answer a handshake request with the responder's secret key; returns the response and the token key. */
export function acceptHandshake(
  secretKey: Uint8Array,
  request: Uint8Array,
  options: Omit<HandshakeOptions, 'randomness'> = {},
): { response: Uint8Array; key: TokenKey } {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
    throw new InvalidArgumentError(`acceptHandshake: an ML-KEM-768 secret key is ${SECRET_KEY_BYTES} bytes`);
  }
  const context = contextBytes(options.context, 'acceptHandshake');
  if (
    !(request instanceof Uint8Array) ||
    request.length !== HANDSHAKE_REQUEST_BYTES ||
    request[0] !== VERSION
  ) {
    throw new KeyConfirmationError(
      `handshake: a request is ${HANDSHAKE_REQUEST_BYTES} bytes starting with ${VERSION}`,
    );
  }
  const cipherText = request.subarray(1, 1 + CIPHERTEXT_BYTES);
  let publicKey: Uint8Array;
  let sharedSecret: Uint8Array;
  try {
    publicKey = ml_kem768.getPublicKey(secretKey);
    sharedSecret = ml_kem768.decapsulate(cipherText, secretKey);
  } catch (e) {
    throw new InvalidArgumentError(
      `acceptHandshake: not a valid ML-KEM-768 secret key (${(e as Error).message})`,
    );
  }
  const s = schedule(sharedSecret, publicKey, cipherText, context);
  if (!constantTimeEqual(request.subarray(1 + CIPHERTEXT_BYTES), s.initiatorTag)) {
    throw new KeyConfirmationError(
      'handshake: the initiator did not confirm the key (wrong key pair, altered ciphertext, or a different context)',
    );
  }
  const response = new Uint8Array(HANDSHAKE_RESPONSE_BYTES);
  response[0] = VERSION;
  response.set(s.responderTag, 1);
  return { response, key: s.key };
}

function contextBytes(context: unknown, op: string): Uint8Array {
  if (context === undefined) return new Uint8Array(0);
  if (typeof context !== 'string') throw new InvalidArgumentError(`${op}: context must be a string`);
  return utf8(context);
}

/** The key schedule both sides run on their view of the shared secret and the transcript. */
function schedule(
  sharedSecret: Uint8Array,
  publicKey: Uint8Array,
  cipherText: Uint8Array,
  context: Uint8Array,
) {
  const domain = utf8('exov6/caplattice/v1 ML-KEM-768 handshake');
  const transcript = new Uint8Array(
    domain.length + 4 + context.length + publicKey.length + cipherText.length,
  );
  let at = 0;
  transcript.set(domain, at);
  at += domain.length;
  new DataView(transcript.buffer).setUint32(at, context.length);
  at += 4;
  transcript.set(context, at);
  at += context.length;
  transcript.set(publicKey, at);
  at += publicKey.length;
  transcript.set(cipherText, at);
  const th = sha256(transcript);
  const prk = hkdfExtract(sharedSecret, th);
  return {
    initiatorTag: hmacSha256(hkdfExpand(prk, utf8('exov6/caplattice/v1 confirm initiator'), 32), th),
    responderTag: hmacSha256(hkdfExpand(prk, utf8('exov6/caplattice/v1 confirm responder'), 32), th),
    key: tokenKeyFromPrk(prk),
  };
}
