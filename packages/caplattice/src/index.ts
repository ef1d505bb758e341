// @exov6/caplattice: capabilities over a security lattice, with a derivation tree, incremental revocation
// and post-quantum authenticated export. Everything public is exported from here and only from here,
// grouped by module path: cap/ (capabilities), crypto/ (keys), errors, flow/, lattice/, token/.

export { type CapId, generationOf, MAX_GENERATION, MAX_SLOTS, slotOf } from './cap/ids.js';
export { RevokeJob } from './cap/revoke.js';
export { BUILTIN_RIGHTS, defineRights, isRightsMask, Rights, RightsSchema } from './cap/rights.js';
export {
  type Capability,
  type CapabilityFields,
  type CapRef,
  CapSpace,
  type CapSpaceOptions,
  type DeriveRequest,
  type ObjectRef,
} from './cap/space.js';
export { DerivationTree, type DerivationTreeOptions, MAX_NODES, type TreeStats } from './cap/tree.js';
export {
  acceptHandshake,
  HANDSHAKE_REQUEST_BYTES,
  HANDSHAKE_RESPONSE_BYTES,
  type HandshakeInitiator,
  type HandshakeOptions,
  initiateHandshake,
  type KemKeyPair,
  kemKeyPair,
} from './crypto/handshake.js';
export { constantTimeEqual } from './crypto/primitives.js';
export { generateTokenKey, keyIdHex, type TokenKey, tokenKeyFromSecret } from './crypto/token-key.js';
export {
  CapabilityError,
  type CapabilityErrorCode,
  CapLatticeError,
  FlowError,
  InvalidArgumentError,
  KeyConfirmationError,
  LatticeError,
  TokenError,
  type TokenErrorCode,
} from './errors.js';
export {
  type BellLaPadulaOptions,
  bellLaPadulaPolicy,
  bibaPolicy,
  canFlow,
  denningPolicy,
  type FlowPolicy,
} from './flow/policy.js';
export { type ChainLattice, chainLattice, MAX_CHAIN_LEVELS } from './lattice/chain.js';
export { dualLattice } from './lattice/dual.js';
export { EXOV6_HASSE, EXOV6_LATTICE, exov6Lattice } from './lattice/exov6.js';
export { type FiniteLattice, type HasseDiagram, hasseLattice, MAX_FINITE_NODES } from './lattice/finite.js';
export type { Lattice } from './lattice/lattice.js';
export { MAX_CATEGORIES, type PowersetLattice, powersetLattice } from './lattice/powerset.js';
export { type Pair, type ProductLattice, productLattice, securityLattice } from './lattice/product.js';
export { attenuateToken, decodeToken, type TokenInfo } from './token/attenuate.js';
export {
  type SealOptions,
  TokenAuthority,
  type TokenAuthorityOptions,
  type TokenClaims,
} from './token/authority.js';
export type { Caveat } from './token/caveat.js';
export { type SealCapabilityOptions, sealCapability } from './token/export.js';
export { FORMAT_VERSION as TOKEN_FORMAT_VERSION, MAX_CAVEATS, MAX_TOKEN_BYTES } from './token/format.js';
export type { Grant, TokenObject, TokenRequest } from './token/grant.js';
export {
  type SigningKeyPair,
  type SignOptions,
  signingKeyPair,
  signToken,
  unsignToken,
  type VerifySignedOptions,
  verifySignedToken,
} from './token/signed.js';
