// Authenticated export: two kernels agree on a key over ML-KEM-768, kernel A seals a capability into a
// token, a client attenuates it offline, kernel B verifies it; then A revokes every token at once.
import assert from 'node:assert/strict';
import {
  acceptHandshake,
  attenuateToken,
  decodeToken,
  initiateHandshake,
  kemKeyPair,
  EXOV6_LATTICE as L,
  Rights as R,
  signingKeyPair,
  signToken,
  TokenAuthority,
  TokenError,
  verifySignedToken,
} from '@exov6/caplattice';

// Kernel B publishes an ML-KEM-768 public key; kernel A starts a handshake with it.
const b = kemKeyPair();
const context = 'exov6 kernel A -> kernel B';
const handshake = initiateHandshake(b.publicKey, { context });
const { response, key: keyAtB } = acceptHandshake(b.secretKey, handshake.request, { context });
const keyAtA = handshake.complete(response); // both sides confirmed the same key
console.log('request/response bytes:', handshake.request.length, response.length);

const kernelA = new TokenAuthority({ lattice: L, keys: [keyAtA] });
const kernelB = new TokenAuthority({ lattice: L, keys: [keyAtB] });

// A seals read/write access to a file object at label FILE.
const token = kernelA.seal(keyAtA, {
  object: { type: 'file', id: 12 },
  rights: R.READ | R.WRITE,
  label: L.node('FILE'),
});

// A client narrows it offline, without any key: read only, label USER, valid for one minute.
const now = Date.now();
const narrowed = attenuateToken(
  token,
  [
    { kind: 'rights', rights: R.READ },
    { kind: 'label', label: L.node('USER') },
    { kind: 'expires', at: now + 60_000 },
  ],
  L,
);
console.log(
  'caveats carried:',
  decodeToken(narrowed)
    .caveats.map((c) => c.kind)
    .join(', '),
);

// B verifies against the request it is about to serve.
const grant = kernelB.verify(narrowed, { object: { type: 'file', id: 12 }, rights: R.READ });
console.log('B grants', grant.rights === R.READ ? 'READ' : grant.rights, 'at', L.format(grant.label));

// Tampering, or asking for more, is a typed error.
const tampered = narrowed.slice();
tampered[50] ^= 1;
for (const [what, attempt] of [
  ['tampered', () => kernelB.verify(tampered)],
  ['write', () => kernelB.verify(narrowed, { rights: R.WRITE })],
] as const) {
  try {
    attempt();
  } catch (e) {
    assert(e instanceof TokenError);
    console.log(`${what}: ${e.code}`);
  }
}

// Bulk revocation: B moves the key's epoch on, and every earlier token under it is rejected.
kernelB.revokeAll(keyAtB);
try {
  kernelB.verify(narrowed);
} catch (e) {
  assert(e instanceof TokenError);
  console.log('after revokeAll:', e.code);
}

// Publicly verifiable: an ML-DSA-65 signature lets anyone with A's public key check a token.
const signer = signingKeyPair();
const signed = signToken(token, signer.secretKey);
const publicGrant = verifySignedToken(signed, signer.publicKey, { lattice: L });
console.log('signed token bytes:', signed.length, 'grants', L.format(publicGrant.label));
