// The ML-KEM-768 key exchange: ML-KEM itself is @noble/post-quantum's (checked against FIPS 203 there);
// these tests check our key confirmation, key schedule and message encoding.

import { describe, expect, it } from 'vitest';
import {
  acceptHandshake,
  HANDSHAKE_REQUEST_BYTES,
  HANDSHAKE_RESPONSE_BYTES,
  InvalidArgumentError,
  initiateHandshake,
  KeyConfirmationError,
  kemKeyPair,
  keyIdHex,
  tokenKeyFromSecret,
} from '../../src/index.js';

const seed = (v: number, n = 64) => new Uint8Array(n).fill(v);
const responder = kemKeyPair(seed(1));
const stranger = kemKeyPair(seed(2));
const options = { context: 'kernel-a -> kernel-b', randomness: seed(3, 32) };

describe('ML-KEM-768 handshake', () => {
  it('gives both sides the same token key, reproducibly from seeds', () => {
    const init = initiateHandshake(responder.publicKey, options);
    expect(init.request.length).toBe(HANDSHAKE_REQUEST_BYTES);
    const { response, key: theirs } = acceptHandshake(responder.secretKey, init.request, {
      context: options.context,
    });
    expect(response.length).toBe(HANDSHAKE_RESPONSE_BYTES);
    const ours = init.complete(response);
    expect(keyIdHex(ours.id)).toBe(keyIdHex(theirs.id));
    expect(Buffer.from(ours.secret).equals(Buffer.from(theirs.secret))).toBe(true);
    // Same seeds, same everything.
    const again = initiateHandshake(responder.publicKey, options);
    expect(Buffer.from(again.request).equals(Buffer.from(init.request))).toBe(true);
    expect(() => init.complete(response)).toThrow(/already completed/);
  });

  it('different randomness gives a different key', () => {
    const a = initiateHandshake(responder.publicKey, { ...options, randomness: seed(4, 32) });
    const b = initiateHandshake(responder.publicKey, { ...options, randomness: seed(5, 32) });
    const ka = a.complete(acceptHandshake(responder.secretKey, a.request, options).response);
    const kb = b.complete(acceptHandshake(responder.secretKey, b.request, options).response);
    expect(keyIdHex(ka.id)).not.toBe(keyIdHex(kb.id));
  });

  it('the wrong secret key decapsulates to a different secret, which confirmation catches', () => {
    const init = initiateHandshake(responder.publicKey, options);
    expect(() => acceptHandshake(stranger.secretKey, init.request, options)).toThrow(KeyConfirmationError);
  });

  it('a different context on either side is caught', () => {
    const init = initiateHandshake(responder.publicKey, options);
    expect(() =>
      acceptHandshake(responder.secretKey, init.request, { context: 'kernel-c -> kernel-b' }),
    ).toThrow(KeyConfirmationError);
  });

  it('an altered ciphertext or tag is caught by the responder', () => {
    const init = initiateHandshake(responder.publicKey, options);
    for (const at of [1, 500, 1088, 1089, HANDSHAKE_REQUEST_BYTES - 1]) {
      const bad = init.request.slice();
      bad[at] ^= 0x01;
      expect(() => acceptHandshake(responder.secretKey, bad, options), `byte ${at}`).toThrow(
        KeyConfirmationError,
      );
    }
  });

  it('an altered response is caught by the initiator', () => {
    const init = initiateHandshake(responder.publicKey, options);
    const { response } = acceptHandshake(responder.secretKey, init.request, options);
    for (let at = 0; at < response.length; at++) {
      const bad = response.slice();
      bad[at] ^= 0x80;
      expect(() => init.complete(bad), `byte ${at}`).toThrow(KeyConfirmationError);
    }
    expect(() => init.complete(response.subarray(0, 10))).toThrow(KeyConfirmationError);
    expect(init.complete(response).id.length).toBe(16); // the failures did not use it up
  });

  it('rejects malformed inputs with typed errors', () => {
    expect(() => kemKeyPair(seed(1, 32))).toThrow(InvalidArgumentError);
    expect(() => initiateHandshake(new Uint8Array(10))).toThrow(InvalidArgumentError);
    expect(() => initiateHandshake(responder.publicKey, { randomness: seed(1, 16) })).toThrow(
      InvalidArgumentError,
    );
    expect(() => acceptHandshake(new Uint8Array(10), new Uint8Array(HANDSHAKE_REQUEST_BYTES))).toThrow(
      InvalidArgumentError,
    );
    expect(() => acceptHandshake(responder.secretKey, new Uint8Array(100))).toThrow(KeyConfirmationError);
    const v2 = initiateHandshake(responder.publicKey, options).request.slice();
    v2[0] = 2;
    expect(() => acceptHandshake(responder.secretKey, v2, options)).toThrow(KeyConfirmationError);
  });
});

describe('tokenKeyFromSecret', () => {
  it('is deterministic and separated by context', () => {
    const a = tokenKeyFromSecret(seed(9, 32), 'kernel');
    const b = tokenKeyFromSecret(seed(9, 32), 'kernel');
    const c = tokenKeyFromSecret(seed(9, 32), 'other');
    expect(keyIdHex(a.id)).toBe(keyIdHex(b.id));
    expect(keyIdHex(a.id)).not.toBe(keyIdHex(c.id));
    expect(() => tokenKeyFromSecret(seed(9, 16))).toThrow(InvalidArgumentError);
  });
});
