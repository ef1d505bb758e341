import { describe, expect, it } from 'vitest';
import {
  attenuateToken,
  DerivationTree,
  decodeToken,
  InvalidArgumentError,
  EXOV6_LATTICE as L,
  MAX_CAVEATS,
  Rights as R,
  sealCapability,
  signingKeyPair,
  signToken,
  TokenAuthority,
  TokenError,
  type TokenErrorCode,
  tokenKeyFromSecret,
  unsignToken,
  verifySignedToken,
} from '../../src/index.js';

const NOW = Date.UTC(2026, 10, 21);
const key = tokenKeyFromSecret(new Uint8Array(32).fill(7), 'test');
const nonce = new Uint8Array(16).fill(1);
const n = (name: string) => L.node(name);
const frame = { type: 'frame', id: 42 };

function authority() {
  return new TokenAuthority({ lattice: L, keys: [key], now: () => NOW });
}

function codeOf(f: () => unknown): TokenErrorCode | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TokenError) return e.code;
    throw e;
  }
  return undefined;
}

describe('seal and verify', () => {
  it('round-trips the claims', () => {
    const auth = authority();
    const t = auth.seal(
      key,
      { object: frame, rights: R.READ | R.WRITE, label: n('FILE'), badge: 9 },
      { nonce },
    );
    const g = auth.verify(t, { object: frame, rights: R.READ });
    expect(g.object).toEqual(frame);
    expect(g.rights).toBe(R.READ | R.WRITE);
    expect(L.format(g.label)).toBe('FILE');
    expect(g.badge).toBe(9);
    expect(g.epoch).toBe(0);
    expect(g.caveats).toBe(0);
    expect(g.nonce).toBe('01'.repeat(16));
  });

  it('is deterministic given the nonce, and unique otherwise', () => {
    const auth = authority();
    const claims = { object: frame, rights: R.READ, label: n('USER') };
    expect(auth.seal(key, claims, { nonce })).toEqual(auth.seal(key, claims, { nonce }));
    expect(auth.seal(key, claims)).not.toEqual(auth.seal(key, claims));
  });

  it('checks the request: object and rights', () => {
    const auth = authority();
    const t = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    expect(codeOf(() => auth.verify(t, { rights: R.WRITE }))).toBe('INSUFFICIENT_RIGHTS');
    expect(() => auth.verify(t, { rights: R.WRITE })).toThrow('token: grants READ, the request needs WRITE');
    expect(codeOf(() => auth.verify(t, { object: { type: 'frame', id: 43 } }))).toBe('WRONG_OBJECT');
    expect(codeOf(() => auth.verify(t, { object: { type: 'port', id: 42 } }))).toBe('WRONG_OBJECT');
  });

  it('a token for every object of a type, pinned by a target caveat', () => {
    const auth = authority();
    const any = auth.seal(key, { object: { type: 'frame' }, rights: R.READ, label: n('USER') });
    expect(auth.verify(any, { object: { type: 'frame', id: 5 } }).object).toEqual({ type: 'frame' });
    const pinned = attenuateToken(any, { kind: 'target', id: 6 });
    expect(auth.verify(pinned, { object: { type: 'frame', id: 6 } }).object).toEqual({
      type: 'frame',
      id: 6,
    });
    expect(codeOf(() => auth.verify(pinned, { object: { type: 'frame', id: 5 } }))).toBe('WRONG_OBJECT');
    const twice = attenuateToken(pinned, { kind: 'target', id: 7 });
    expect(codeOf(() => auth.verify(twice))).toBe('WRONG_OBJECT');
  });

  it('rejects an unknown key and validates its inputs', () => {
    const auth = authority();
    const other = new TokenAuthority({ lattice: L, keys: [tokenKeyFromSecret(new Uint8Array(32).fill(8))] });
    const t = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    expect(codeOf(() => other.verify(t))).toBe('UNKNOWN_KEY');
    expect(() =>
      auth.seal(tokenKeyFromSecret(new Uint8Array(32)), { object: frame, rights: 1, label: 0 }),
    ).toThrow(/is not held/);
    expect(() => auth.seal(key, { object: frame, rights: 1, label: 99 })).toThrow(InvalidArgumentError);
    expect(() => auth.seal(key, { object: { type: '' }, rights: 1, label: 0 })).toThrow(InvalidArgumentError);
    expect(() => auth.seal(key, { object: frame, rights: -1, label: 0 })).toThrow(InvalidArgumentError);
    expect(() =>
      auth.seal(key, { object: frame, rights: 1, label: 0 }, { nonce: new Uint8Array(3) }),
    ).toThrow(InvalidArgumentError);
    expect(() => auth.verify(t, { rights: 0.5 })).toThrow(InvalidArgumentError);
    expect(() => auth.addKey(key)).toThrow(/already held/);
    expect(codeOf(() => auth.verify('token' as never))).toBe('MALFORMED');
  });
});

describe('attenuation (macaroon-style caveats)', () => {
  const auth = authority();
  const root = auth.seal(
    key,
    { object: frame, rights: R.READ | R.WRITE | R.MAP, label: n('SYSTEM') },
    { nonce },
  );

  it('narrows rights, lowers the label, adds an expiry, offline', () => {
    const t = attenuateToken(
      root,
      [
        { kind: 'rights', rights: R.READ | R.MAP },
        { kind: 'label', label: n('FILE') },
        { kind: 'expires', at: NOW + 60_000 },
        { kind: 'rights', rights: R.READ | R.WRITE },
      ],
      L,
    );
    const g = auth.verify(t);
    expect(g.rights).toBe(R.READ);
    expect(L.format(g.label)).toBe('FILE');
    expect(g.expiresAt).toBe(NOW + 60_000);
    expect(g.caveats).toBe(4);
  });

  it('meets labels rather than replacing them: a caveat cannot raise the label', () => {
    const t = attenuateToken(root, { kind: 'label', label: n('ROOT') }, L);
    expect(L.format(auth.verify(t).label)).toBe('SYSTEM');
    const t2 = attenuateToken(
      attenuateToken(root, { kind: 'label', label: n('FILE') }, L),
      { kind: 'label', label: n('MEM') },
      L,
    );
    expect(L.format(auth.verify(t2).label)).toBe('USER');
  });

  it('expires', () => {
    const t = attenuateToken(root, { kind: 'expires', at: NOW });
    expect(codeOf(() => auth.verify(t))).toBe('EXPIRED');
    expect(auth.verify(t, { now: NOW - 1 }).rights).toBe(R.READ | R.WRITE | R.MAP);
    const earliest = attenuateToken(t, { kind: 'expires', at: NOW + 1_000_000 });
    expect(codeOf(() => auth.verify(earliest))).toBe('EXPIRED');
  });

  it('a caveat cannot be removed: dropping or reordering breaks the chain', () => {
    const one = attenuateToken(root, { kind: 'rights', rights: R.READ });
    const two = attenuateToken(one, { kind: 'expires', at: NOW + 10 });
    // Strip the last caveat (an expiry caveat is 9 bytes) but keep the newest tag.
    const stripped = new Uint8Array(two.length - 9);
    stripped.set(two.subarray(0, one.length - 32));
    stripped.set(two.subarray(two.length - 32), one.length - 32);
    expect(codeOf(() => auth.verify(stripped))).toBe('BAD_MAC');
    // Swap the two caveats (the rights caveat is 5 bytes).
    const c1 = two.subarray(one.length - 32 - 5, one.length - 32);
    const c2 = two.subarray(one.length - 32, two.length - 32);
    const swapped = two.slice();
    swapped.set(c2, one.length - 32 - 5);
    swapped.set(c1, one.length - 32 - 5 + c2.length);
    expect(codeOf(() => auth.verify(swapped))).toBe('BAD_MAC');
  });

  it('validates caveats and limits their number', () => {
    expect(() => attenuateToken(root, { kind: 'label', label: n('FILE') })).toThrow(/pass the lattice/);
    expect(() => attenuateToken(root, { kind: 'label', label: 42 }, L)).toThrow(InvalidArgumentError);
    expect(() => attenuateToken(root, { kind: 'rights', rights: -1 })).toThrow(InvalidArgumentError);
    expect(() => attenuateToken(root, { kind: 'expires', at: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => attenuateToken(root, { kind: 'nope' } as never)).toThrow(/unknown kind "nope"/);
    expect(() => attenuateToken(root, [])).toThrow(/no caveat/);
    const many = Array.from({ length: MAX_CAVEATS }, () => ({ kind: 'rights' as const, rights: R.READ }));
    const full = attenuateToken(root, many);
    expect(auth.verify(full).rights).toBe(R.READ);
    expect(codeOf(() => attenuateToken(full, { kind: 'rights', rights: 0 }))).toBe('MALFORMED');
  });

  it('decodeToken shows what a token claims without verifying it', () => {
    const t = attenuateToken(
      root,
      [
        { kind: 'target', id: 42 },
        { kind: 'label', label: n('MEM') },
      ],
      L,
    );
    const info = decodeToken(t);
    expect(info.signed).toBe(false);
    expect(info.object).toEqual(frame);
    expect(info.label).toBe('SYSTEM');
    expect(info.caveats).toEqual([
      { kind: 'target', id: 42 },
      { kind: 'label', label: 'MEM' },
    ]);
    expect(info.keyId).toBe(Buffer.from(key.id).toString('hex'));
  });
});

describe('epochs: bulk revocation', () => {
  it('revokeAll rejects every token sealed before, and new tokens verify', () => {
    const auth = authority();
    const old = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    const attenuated = attenuateToken(old, { kind: 'rights', rights: R.READ });
    expect(auth.revokeAll(key)).toBe(1);
    expect(codeOf(() => auth.verify(old))).toBe('REVOKED');
    expect(codeOf(() => auth.verify(attenuated))).toBe('REVOKED');
    const fresh = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    expect(auth.verify(fresh).epoch).toBe(1);
    expect(auth.epoch(key)).toBe(1);
  });

  it('the epoch is covered by the MAC: rewriting it does not help', () => {
    const auth = authority();
    const old = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    auth.revokeAll(key);
    const bumped = old.slice();
    new DataView(bumped.buffer).setUint32(20, 1);
    expect(codeOf(() => auth.verify(bumped))).toBe('BAD_MAC');
  });

  it('forgetting a key rejects its tokens', () => {
    const auth = authority();
    const t = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') });
    expect(auth.removeKey(key)).toBe(true);
    expect(auth.hasKey(key.id)).toBe(false);
    expect(codeOf(() => auth.verify(t))).toBe('UNKNOWN_KEY');
  });
});

describe('encoding', () => {
  const auth = authority();
  const t = auth.seal(key, { object: frame, rights: R.READ, label: n('USER') }, { nonce });

  it('is versioned', () => {
    expect(Array.from(t.subarray(0, 4))).toEqual([0x58, 0x36, 1, 1]);
    const v2 = t.slice();
    v2[2] = 2;
    expect(codeOf(() => auth.verify(v2))).toBe('UNSUPPORTED_VERSION');
  });

  it('rejects every truncation and any trailing byte with a TokenError', () => {
    for (let len = 0; len < t.length; len++) {
      expect(
        codeOf(() => auth.verify(t.subarray(0, len))),
        `length ${len}`,
      ).toBeDefined();
    }
    const longer = new Uint8Array(t.length + 1);
    longer.set(t);
    expect(codeOf(() => auth.verify(longer))).toBeDefined();
  });
});

describe('signed tokens (ML-DSA-65)', () => {
  const signer = signingKeyPair(new Uint8Array(32).fill(5));
  const auth = authority();
  const t = auth.seal(key, { object: frame, rights: R.READ | R.WRITE, label: n('FILE') }, { nonce });
  const signed = signToken(attenuateToken(t, { kind: 'rights', rights: R.READ }), signer.secretKey, {
    randomness: new Uint8Array(32),
  });

  it('verify with the public key alone', () => {
    const g = verifySignedToken(signed, signer.publicKey, {
      lattice: L,
      request: { object: frame, rights: R.READ },
    });
    expect(g.rights).toBe(R.READ);
    expect(decodeToken(signed).signed).toBe(true);
    expect(
      codeOf(() =>
        verifySignedToken(signed, signingKeyPair(new Uint8Array(32).fill(6)).publicKey, { lattice: L }),
      ),
    ).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifySignedToken(t, signer.publicKey, { lattice: L }))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifySignedToken(signed, signer.publicKey, { lattice: L, minEpoch: 1 }))).toBe(
      'REVOKED',
    );
  });

  it('the MAC authority accepts them only when it can check the signature too', () => {
    expect(codeOf(() => auth.verify(signed))).toBe('BAD_SIGNATURE');
    const withSigner = new TokenAuthority({
      lattice: L,
      keys: [key],
      now: () => NOW,
      signerPublicKey: signer.publicKey,
    });
    expect(withSigner.verify(signed).rights).toBe(R.READ);
    // Without the signature it is an ordinary MAC token again.
    expect(auth.verify(unsignToken(signed)).rights).toBe(R.READ);
  });

  it('attenuating a signed token drops the signature and keeps the MAC chain', () => {
    const narrower = attenuateToken(signed, { kind: 'expires', at: NOW + 5 });
    expect(decodeToken(narrower).signed).toBe(false);
    expect(narrower.length).toBeLessThan(signed.length);
    expect(auth.verify(narrower).expiresAt).toBe(NOW + 5);
    expect(codeOf(() => verifySignedToken(narrower, signer.publicKey, { lattice: L }))).toBe('BAD_SIGNATURE');
  });
});

describe('sealCapability', () => {
  it('exports a capability that holds TRANSFER, with at most its rights', () => {
    const tree = new DerivationTree({ lattice: L });
    const space = tree.createSpace('env');
    const cap = space.create(frame, R.READ | R.WRITE | R.TRANSFER, n('MEM'), { badge: 4 });
    const auth = authority();
    const t = sealCapability(auth, key, space, cap, { rights: R.READ });
    const g = auth.verify(t, { object: frame });
    expect(g.rights).toBe(R.READ);
    expect(L.format(g.label)).toBe('MEM');
    expect(g.badge).toBe(4);
    expect(() => sealCapability(auth, key, space, cap, { rights: R.MAP })).toThrow(/lacks MAP/);
    const stuck = space.create(frame, R.READ, n('MEM'));
    expect(() => sealCapability(auth, key, space, stuck)).toThrow(/lacks TRANSFER/);
  });
});
