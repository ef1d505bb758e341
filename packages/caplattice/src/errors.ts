// Every error this package throws on purpose is one of these classes, so callers can tell "you asked for
// something the rules forbid" (a typed error with a code) from a bug (anything else). Messages name the
// operation and the values involved, because the exokernel forwards them to the environment that asked.

/** Base class of every error thrown on purpose by @exov6/caplattice. */
export class CapLatticeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A value passed to a public function is of the wrong type or out of range. */
export class InvalidArgumentError extends CapLatticeError {}

/** A lattice definition is not a lattice, or a label is not a label of the lattice it was given to. */
export class LatticeError extends CapLatticeError {}

/** An information flow forbidden by a flow policy. */
export class FlowError extends CapLatticeError {}

/** Why a capability operation was refused. */
export type CapabilityErrorCode =
  /** The id does not name a capability in this space: never issued, deleted, moved away or revoked. */
  | 'INVALID_ID'
  /** The capability lacks a right the operation needs (GRANT to derive, DUPLICATE to copy, ...). */
  | 'MISSING_RIGHTS'
  /** A derivation asked for rights the parent does not hold. */
  | 'RIGHTS_ESCALATION'
  /** A derivation asked for a label above (or incomparable with) the parent's. */
  | 'LABEL_ESCALATION'
  /** A derivation tried to change a badge that is already set. */
  | 'BADGE_CHANGE'
  /** The capability is the root of a revoke that has not finished. */
  | 'REVOKE_IN_PROGRESS'
  /** The CapSpace has no free slot left. */
  | 'SPACE_FULL';

/** A capability operation refused by the rules of the derivation tree. */
export class CapabilityError extends CapLatticeError {
  readonly code: CapabilityErrorCode;
  constructor(code: CapabilityErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Why a token was rejected. */
export type TokenErrorCode =
  /** Not a token of a version this library reads, or a field out of range. */
  | 'MALFORMED'
  /** The bytes end before the token does. */
  | 'TRUNCATED'
  /** A token format version this library does not know. */
  | 'UNSUPPORTED_VERSION'
  /** No key with the token's key id is registered with the verifier. */
  | 'UNKNOWN_KEY'
  /** The HMAC chain does not match: the token was forged or altered. */
  | 'BAD_MAC'
  /** The ML-DSA signature does not verify. */
  | 'BAD_SIGNATURE'
  /** The token was sealed in an epoch that has since been revoked. */
  | 'REVOKED'
  /** An expiry caveat has passed. */
  | 'EXPIRED'
  /** The request names an object the token does not cover. */
  | 'WRONG_OBJECT'
  /** The request needs rights the token (after its caveats) does not grant. */
  | 'INSUFFICIENT_RIGHTS';

/** A sealed token that was malformed, truncated, tampered with, revoked, expired or insufficient. */
export class TokenError extends CapLatticeError {
  readonly code: TokenErrorCode;
  constructor(code: TokenErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A key exchange whose confirmation tag did not match: the peers do not share the same secret. */
export class KeyConfirmationError extends CapLatticeError {}
