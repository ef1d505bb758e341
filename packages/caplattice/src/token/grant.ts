// What a verified token grants: its claims narrowed by every caveat, checked against a request. Shared by
// MAC verification (authority.ts) and signature verification (signed.ts); it runs only after the tag or
// signature has been checked, so lattice parsers never see unauthenticated text.

import { assertRightsMask, type RightsSchema } from '../cap/rights.js';
import { keyIdHex } from '../crypto/token-key.js';
import { InvalidArgumentError, LatticeError, TokenError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import type { TokenLayout } from './format.js';

/** The object a token covers: a type, and an id unless it covers every object of the type. */
export interface TokenObject {
  readonly type: string;
  readonly id?: number;
}

/** What a verifier is asked to allow. */
export interface TokenRequest {
  /** The object to be used: must be covered by the token. */
  object?: { readonly type: string; readonly id: number };
  /** Rights needed: must all be granted. */
  rights?: number;
  /** The verifier's clock, ms since 1970 (default: the verifier's clock). */
  now?: number;
}

/** The authority a verified token carries, after its caveats. */
export interface Grant<L> {
  readonly object: TokenObject;
  readonly rights: number;
  readonly label: L;
  readonly badge: number | undefined;
  /** Earliest expiry among the caveats, if any (ms since 1970). */
  readonly expiresAt: number | undefined;
  readonly epoch: number;
  /** Hex id of the MAC key the token was sealed with. */
  readonly keyId: string;
  /** Hex nonce: a unique name for the token as sealed. */
  readonly nonce: string;
  /** Number of caveats applied. */
  readonly caveats: number;
}

function parseLabel<L>(lattice: Lattice<L>, text: string, what: string): L {
  try {
    return lattice.parse(text);
  } catch (e) {
    if (e instanceof LatticeError) {
      throw new TokenError(
        'MALFORMED',
        `token: ${what} ${JSON.stringify(text)} is not a label of lattice ${lattice.name}`,
      );
    }
    throw e;
  }
}

/** Apply the caveats of an authenticated token and check `request` against the result. */
export function evaluate<L>(
  lattice: Lattice<L>,
  names: RightsSchema,
  layout: TokenLayout,
  request: TokenRequest,
  now: number,
): Grant<L> {
  let rights = layout.rights;
  let label = parseLabel(lattice, layout.label, 'label');
  let expiresAt: number | undefined;
  let objectId = layout.objectId;
  let conflict = false; // two target caveats, or a target outside the sealed object
  for (const c of layout.caveats) {
    switch (c.kind) {
      case 'rights':
        rights = (rights & c.rights) >>> 0;
        break;
      case 'label':
        label = lattice.meet(label, parseLabel(lattice, c.label, 'label caveat'));
        break;
      case 'expires':
        expiresAt = expiresAt === undefined ? c.at : Math.min(expiresAt, c.at);
        break;
      case 'target':
        if (objectId !== undefined && objectId !== c.id) conflict = true;
        objectId = c.id;
        break;
    }
  }
  if (expiresAt !== undefined && now >= expiresAt) {
    throw new TokenError('EXPIRED', `token: expired at ${new Date(expiresAt).toISOString()}`);
  }
  const object: TokenObject = Object.freeze(
    objectId === undefined ? { type: layout.objectType } : { type: layout.objectType, id: objectId },
  );
  if (conflict)
    throw new TokenError(
      'WRONG_OBJECT',
      'token: its target caveats contradict each other; it covers no object',
    );
  if (request.object !== undefined) {
    const want = request.object;
    if (want.type !== object.type || (object.id !== undefined && want.id !== object.id)) {
      const covered = object.id === undefined ? `every ${object.type}` : `${object.type} ${object.id}`;
      throw new TokenError('WRONG_OBJECT', `token: covers ${covered}, not ${want.type} ${want.id}`);
    }
  }
  if (request.rights !== undefined && (request.rights & ~rights) >>> 0 !== 0) {
    throw new TokenError(
      'INSUFFICIENT_RIGHTS',
      `token: grants ${names.format(rights)}, the request needs ${names.format(request.rights)}`,
    );
  }
  return Object.freeze({
    object,
    rights,
    label,
    badge: layout.badge,
    expiresAt,
    epoch: layout.epoch,
    keyId: keyIdHex(layout.keyId),
    nonce: keyIdHex(layout.nonce),
    caveats: layout.caveats.length,
  });
}

/** @internal Validate a request at the API edge; returns its `now`, if given. */
export function checkRequest(request: TokenRequest, op: string): number | undefined {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidArgumentError(`${op}: the request must be { object?, rights?, now? }`);
  }
  const { object, rights, now } = request;
  if (object !== undefined) {
    if (typeof object !== 'object' || object === null || typeof object.type !== 'string') {
      throw new InvalidArgumentError(`${op}: request.object must be { type, id }`);
    }
    if (!Number.isSafeInteger(object.id) || object.id < 0) {
      throw new InvalidArgumentError(`${op}: request.object.id must be a non-negative safe integer`);
    }
  }
  if (rights !== undefined) assertRightsMask(rights, op);
  if (now !== undefined && (typeof now !== 'number' || !Number.isFinite(now))) {
    throw new InvalidArgumentError(`${op}: request.now must be a finite number of ms since 1970`);
  }
  return now;
}
