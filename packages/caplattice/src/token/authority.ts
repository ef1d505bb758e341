// A token authority seals and verifies tokens with the MAC keys it holds (its own, and one per peer from
// a key exchange), and keeps an epoch per key for bulk revocation: revokeAll(key) moves the key's epoch
// on, and every token sealed under that key in an earlier epoch is rejected from then on. Verification
// checks, in this order: structure, key, tag (constant-time), epoch, then the caveats against the request.

import { assertRightsMask, RightsSchema } from '../cap/rights.js';
import { constantTimeEqual, randomBytes } from '../crypto/primitives.js';
import { KEY_ID_BYTES, keyIdHex, TOKEN_KEY_BYTES, type TokenKey } from '../crypto/token-key.js';
import { InvalidArgumentError, TokenError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import { chainStart, expectedTag } from './chain.js';
import { encodeClaims, KIND_SIGNED, MAX_TYPE_BYTES, NONCE_BYTES, parseToken } from './format.js';
import { checkRequest, evaluate, type Grant, type TokenObject, type TokenRequest } from './grant.js';
import { assertPublicKey, signatureValid } from './signed.js';

/** What a sealed token grants before any caveat. A `Capability` snapshot fits as is. */
export interface TokenClaims<L> {
  readonly object: TokenObject;
  readonly rights: number;
  readonly label: L;
  readonly badge?: number | undefined;
}

/** Options of {@link TokenAuthority}. */
export interface TokenAuthorityOptions<L> {
  /** The lattice of token labels. */
  lattice: Lattice<L>;
  /** Keys to hold from the start (epoch 0). */
  keys?: readonly TokenKey[];
  /** Clock for expiry caveats, ms since 1970 (default Date.now). */
  now?: () => number;
  /** Names of the rights bits, for messages (default: the built-in rights). */
  rights?: RightsSchema;
  /** ML-DSA-65 public key whose signatures this authority accepts on signed tokens (usually its own). */
  signerPublicKey?: Uint8Array;
}

/** Options of {@link TokenAuthority.seal}. */
export interface SealOptions {
  /** 16 bytes that make the token unique (default: random). Pass fixed bytes only for reproducible tests. */
  nonce?: Uint8Array;
}

interface HeldKey {
  key: TokenKey;
  epoch: number;
}

/** Seals and verifies MAC tokens; see the module comment. */
export class TokenAuthority<L> {
  readonly lattice: Lattice<L>;
  readonly rights: RightsSchema;
  private readonly clock: () => number;
  private readonly signer: Uint8Array | undefined;
  private readonly keys = new Map<string, HeldKey>();

  constructor(options: TokenAuthorityOptions<L>) {
    const lattice = options?.lattice;
    if (typeof lattice !== 'object' || lattice === null || typeof lattice.parse !== 'function') {
      throw new InvalidArgumentError('TokenAuthority: options.lattice must be a Lattice');
    }
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new InvalidArgumentError('TokenAuthority: options.now must be a function');
    }
    this.lattice = lattice;
    this.rights = options.rights ?? RightsSchema.builtin;
    if (!(this.rights instanceof RightsSchema)) {
      throw new InvalidArgumentError('TokenAuthority: options.rights must come from defineRights()');
    }
    this.clock = options.now ?? Date.now;
    if (options.signerPublicKey !== undefined) assertPublicKey(options.signerPublicKey, 'TokenAuthority');
    this.signer = options.signerPublicKey?.slice();
    for (const key of options.keys ?? []) this.addKey(key);
  }

  /** Hold `key` (at epoch 0, or the given epoch). Adding a key already held is an error. */
  addKey(key: TokenKey, options: { epoch?: number } = {}): void {
    assertKey(key, 'addKey');
    const epoch = options.epoch ?? 0;
    assertEpoch(epoch, 'addKey');
    const hex = keyIdHex(key.id);
    if (this.keys.has(hex)) throw new InvalidArgumentError(`addKey: key ${hex} is already held`);
    this.keys.set(hex, { key: Object.freeze({ id: key.id.slice(), secret: key.secret.slice() }), epoch });
  }

  /** Forget a key: tokens sealed with it no longer verify here. */
  removeKey(key: TokenKey | Uint8Array): boolean {
    return this.keys.delete(keyIdHex(idOf(key, 'removeKey')));
  }

  /** Whether a key with this id is held. */
  hasKey(key: TokenKey | Uint8Array): boolean {
    return this.keys.has(keyIdHex(idOf(key, 'hasKey')));
  }

  /** The current epoch of a key: tokens sealed now carry it, and older epochs are rejected. */
  epoch(key: TokenKey | Uint8Array): number {
    return this.held(key, 'epoch').epoch;
  }

  /** Bulk revocation: reject every token sealed so far under `key`. Returns the new epoch. */
  revokeAll(key: TokenKey | Uint8Array): number {
    const held = this.held(key, 'revokeAll');
    if (held.epoch === 0xffff_ffff) {
      throw new InvalidArgumentError(
        'revokeAll: the epoch counter of this key is exhausted; replace the key',
      );
    }
    held.epoch++;
    return held.epoch;
  }

  /** Seal `claims` into a token under `key` (which must be held), at the key's current epoch. */
  seal(key: TokenKey | Uint8Array, claims: TokenClaims<L>, options: SealOptions = {}): Uint8Array {
    const held = this.held(key, 'seal');
    if (typeof claims !== 'object' || claims === null) {
      throw new InvalidArgumentError('seal: claims must be { object, rights, label, badge? }');
    }
    const object = claims.object;
    if (typeof object !== 'object' || object === null || typeof object.type !== 'string') {
      throw new InvalidArgumentError('seal: claims.object must be { type, id? }');
    }
    if (object.type.length === 0 || new TextEncoder().encode(object.type).length > MAX_TYPE_BYTES) {
      throw new InvalidArgumentError(`seal: the object type must be 1..${MAX_TYPE_BYTES} UTF-8 bytes`);
    }
    if (object.id !== undefined && (!Number.isSafeInteger(object.id) || object.id < 0)) {
      throw new InvalidArgumentError('seal: the object id must be a non-negative safe integer');
    }
    const rights = assertRightsMask(claims.rights, 'seal');
    if (!this.lattice.isLabel(claims.label)) {
      throw new InvalidArgumentError(`seal: the label is not a label of lattice ${this.lattice.name}`);
    }
    const badge = claims.badge;
    if (badge !== undefined && (!Number.isSafeInteger(badge) || badge < 0)) {
      throw new InvalidArgumentError('seal: a badge must be a non-negative safe integer');
    }
    const nonce = options.nonce ?? randomBytes(NONCE_BYTES);
    if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
      throw new InvalidArgumentError(`seal: the nonce must be ${NONCE_BYTES} bytes`);
    }
    const head = encodeClaims({
      keyId: held.key.id,
      epoch: held.epoch,
      nonce,
      objectType: object.type,
      objectId: object.id,
      rights,
      label: this.lattice.format(claims.label),
      badge,
    });
    const tag = chainStart(held.key.secret, head, head.length);
    const token = new Uint8Array(head.length + tag.length);
    token.set(head);
    token.set(tag, head.length);
    return token;
  }

  /**
   * Verify a token and return what it grants, checked against `request`; throws TokenError. A signed
   * token is accepted only if its signature also verifies under `signerPublicKey`: every byte of a token
   * must be checked by something, or flipping an unchecked bit would go unnoticed.
   */
  verify(token: Uint8Array, request: TokenRequest = {}): Grant<L> {
    const now = checkRequest(request, 'verify') ?? this.clock();
    const layout = parseToken(token);
    const held = this.keys.get(keyIdHex(layout.keyId));
    if (!held)
      throw new TokenError(
        'UNKNOWN_KEY',
        `token: sealed with key ${keyIdHex(layout.keyId)}, which is not held`,
      );
    if (!constantTimeEqual(expectedTag(held.key.secret, layout), layout.tag)) {
      throw new TokenError(
        'BAD_MAC',
        'token: the HMAC chain does not match; the token was forged or altered',
      );
    }
    if (layout.kind === KIND_SIGNED) {
      if (!this.signer) {
        throw new TokenError(
          'BAD_SIGNATURE',
          'token: it is signed but this authority has no signerPublicKey; strip it with unsignToken or verify it with verifySignedToken',
        );
      }
      if (!signatureValid(layout, this.signer))
        throw new TokenError('BAD_SIGNATURE', 'token: the ML-DSA-65 signature does not verify');
    }
    if (layout.epoch < held.epoch) {
      throw new TokenError(
        'REVOKED',
        `token: sealed in epoch ${layout.epoch}, every token before epoch ${held.epoch} is revoked`,
      );
    }
    return evaluate(this.lattice, this.rights, layout, request, now);
  }

  private held(key: TokenKey | Uint8Array, op: string): HeldKey {
    const hex = keyIdHex(idOf(key, op));
    const held = this.keys.get(hex);
    if (!held) throw new InvalidArgumentError(`${op}: key ${hex} is not held (addKey it first)`);
    return held;
  }
}

/** The id of a key given as a key or as its id. */
function idOf(key: TokenKey | Uint8Array, op: string): Uint8Array {
  const id = key instanceof Uint8Array ? key : (key as TokenKey | undefined)?.id;
  if (!(id instanceof Uint8Array) || id.length !== KEY_ID_BYTES) {
    throw new InvalidArgumentError(`${op}: expected a TokenKey or a ${KEY_ID_BYTES}-byte key id`);
  }
  return id;
}

function assertKey(key: TokenKey, op: string): void {
  if (
    typeof key !== 'object' ||
    key === null ||
    !(key.id instanceof Uint8Array) ||
    key.id.length !== KEY_ID_BYTES ||
    !(key.secret instanceof Uint8Array) ||
    key.secret.length !== TOKEN_KEY_BYTES
  ) {
    throw new InvalidArgumentError(
      `${op}: a TokenKey is { id: ${KEY_ID_BYTES} bytes, secret: ${TOKEN_KEY_BYTES} bytes }`,
    );
  }
}

function assertEpoch(epoch: unknown, op: string): void {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff_ffff) {
    throw new InvalidArgumentError(`${op}: an epoch is an integer in [0, 2^32)`);
  }
}
