// Every single-bit flip of a sealed token is rejected, with a TokenError and never another exception.
// MAC tokens: every bit of randomly generated tokens (random claims, random caveat chains). Signed
// tokens: every bit before the signature, by both verifiers; and in the 3309-byte signature, one seeded
// bit of every byte (each check there is a full ML-DSA-65 verification, a few milliseconds: all 26 472
// bits would take over a minute, while one bit per byte reaches every field of the signature, its
// challenge hash, every packed coefficient of z and the hint encoding, at every position).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attenuateToken,
  type Caveat,
  decodeToken,
  EXOV6_LATTICE as L,
  signingKeyPair,
  signToken,
  TokenAuthority,
  TokenError,
  tokenKeyFromSecret,
  unsignToken,
  verifySignedToken,
} from '../../src/index.js';

const NOW = Date.UTC(2026, 10, 21);
const key = tokenKeyFromSecret(new Uint8Array(32).fill(3), 'bitflip');
const signer = signingKeyPair(new Uint8Array(32).fill(4));
const auth = new TokenAuthority({
  lattice: L,
  keys: [key],
  now: () => NOW,
  signerPublicKey: signer.publicKey,
});

const label = fc.integer({ min: 0, max: L.size - 1 });
const caveat: fc.Arbitrary<Caveat<number>> = fc.oneof(
  fc.record({ kind: fc.constant('rights' as const), rights: fc.nat(0x3fff) }),
  fc.record({ kind: fc.constant('label' as const), label }),
  fc.record({ kind: fc.constant('expires' as const), at: fc.integer({ min: NOW + 1, max: NOW + 1e9 }) }),
  fc.record({ kind: fc.constant('target' as const), id: fc.constant(7) }),
);
const token = fc
  .record({
    type: fc.constantFrom('frame', 'port', 'endpoint', 'irq-line'),
    id: fc.option(fc.constant(7), { nil: undefined }),
    rights: fc.nat(0x3fff),
    label,
    badge: fc.option(fc.nat(2 ** 40), { nil: undefined }),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    caveats: fc.array(caveat, { maxLength: 6 }),
  })
  .map((t) => {
    const sealed = auth.seal(
      key,
      {
        object: t.id === undefined ? { type: t.type } : { type: t.type, id: t.id },
        rights: t.rights,
        label: t.label,
        badge: t.badge,
      },
      { nonce: t.nonce },
    );
    return t.caveats.length ? attenuateToken(sealed, t.caveats, L) : sealed;
  });

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >>> 3] ^= 1 << (bit & 7);
  return out;
}

/** Verification must throw a TokenError; anything else (a grant, or another exception) fails. */
function rejected(verify: () => unknown): boolean {
  try {
    verify();
  } catch (e) {
    if (e instanceof TokenError) return true;
    throw e;
  }
  return false;
}

describe('single-bit flips of MAC-sealed tokens', () => {
  for (const seed of [1, 2, 3]) {
    it(`every bit of random tokens (seed ${seed})`, () => {
      fc.assert(
        fc.property(token, (t) => {
          auth.verify(t); // the original verifies
          for (let bit = 0; bit < t.length * 8; bit++) {
            if (!rejected(() => auth.verify(flip(t, bit))))
              throw new Error(`flipping bit ${bit} was accepted`);
          }
        }),
        { numRuns: 30, seed },
      );
    });
  }
});

describe('single-bit flips of signed tokens', () => {
  const t = attenuateToken(
    auth.seal(
      key,
      { object: { type: 'frame', id: 7 }, rights: 0x3fff, label: 5, badge: 12 },
      { nonce: new Uint8Array(16) },
    ),
    [
      { kind: 'rights', rights: 3 },
      { kind: 'label', label: 1 },
    ],
    L,
  );
  const signed = signToken(t, signer.secretKey, { randomness: new Uint8Array(32).fill(9) });
  const body = t.length * 8; // bits before the signature
  const publicVerify = (bytes: Uint8Array) => () =>
    verifySignedToken(bytes, signer.publicKey, { lattice: L, request: { now: NOW } });

  it('the originals verify both ways', () => {
    expect(auth.verify(signed).rights).toBe(3);
    expect(publicVerify(signed)().rights).toBe(3);
  });

  it('every bit before the signature, MAC authority', () => {
    for (let bit = 0; bit < body; bit++)
      expect(
        rejected(() => auth.verify(flip(signed, bit))),
        `bit ${bit}`,
      ).toBe(true);
  });

  // The public verifier checks the signature on each of these: split so no test runs long.
  const chunk = Math.ceil(body / 4);
  for (let part = 0; part < 4; part++) {
    it(`every bit before the signature, public verifier (part ${part + 1} of 4)`, () => {
      for (let bit = part * chunk; bit < Math.min(body, (part + 1) * chunk); bit++) {
        expect(rejected(publicVerify(flip(signed, bit))), `bit ${bit}`).toBe(true);
      }
    });
  }

  // One seeded bit in every byte of the signature; even bytes go to the MAC authority (which checks the
  // signature once the MAC matches), odd bytes to the public verifier, so both see every region. Split in
  // six tests so that none runs long.
  const signatureStart = t.length;
  const signatureBytes = signed.length - signatureStart;
  if (signatureBytes !== 3309) throw new Error(`an ML-DSA-65 signature is 3309 bytes, got ${signatureBytes}`);
  const bitInByte = fc.sample(fc.integer({ min: 0, max: 7 }), { numRuns: signatureBytes, seed: 42 });
  const PARTS = 6;
  const per = Math.ceil(signatureBytes / PARTS);
  for (let part = 0; part < PARTS; part++) {
    it(`one bit of every signature byte (part ${part + 1} of ${PARTS})`, () => {
      for (let k = part * per; k < Math.min(signatureBytes, (part + 1) * per); k++) {
        const bit = (signatureStart + k) * 8 + (bitInByte[k] as number);
        const bad = flip(signed, bit);
        const verify = k % 2 === 0 ? () => auth.verify(bad) : publicVerify(bad);
        expect(rejected(verify), `signature byte ${k}, bit ${bit}`).toBe(true);
      }
    });
  }
});

describe('malformed input never escapes as another exception', () => {
  it('random bytes, and random bytes behind a valid header', () => {
    const header = Uint8Array.from([0x58, 0x36, 1, 1]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (junk, withHeader) => {
        const bytes = withHeader ? new Uint8Array([...header, ...junk]) : junk;
        expect(rejected(() => auth.verify(bytes))).toBe(true);
        expect(rejected(publicVerify(bytes))).toBe(true);
        // Every other function that reads a token either parses it or throws a TokenError.
        for (const read of [
          () => decodeToken(bytes),
          () => attenuateToken(bytes, { kind: 'rights', rights: 1 }),
          () => unsignToken(bytes),
        ]) {
          try {
            read();
          } catch (e) {
            if (!(e instanceof TokenError)) throw e;
          }
        }
      }),
      { numRuns: 2000, seed: 5 },
    );
    function publicVerify(bytes: Uint8Array) {
      return () => verifySignedToken(bytes, signer.publicKey, { lattice: L });
    }
  });
});
