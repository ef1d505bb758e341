// The versioned binary encoding of sealed tokens (all integers big-endian).
//
//   offset  bytes  field
//   0       2      magic "X6"
//   2       1      format version (1)
//   3       1      kind: 1 = MAC-sealed, 2 = MAC-sealed and ML-DSA-65 signed
//   4       16     key id (names the MAC key the chain starts from)
//   20      4      epoch (for bulk revocation)
//   24      16     nonce (makes every token distinct)
//   40      ...    claims: object type (u8 length, UTF-8), object id (flag, u64 if 1), rights (u32),
//                  label (u16 length, UTF-8 text form in the lattice), badge (flag, u64 if 1)
//   ...     ...    caveats, each a kind byte and a body:
//                    1 rights   u32 mask: the rights are ANDed with it
//                    2 label    u16 length, UTF-8 label: the label is met with it
//                    3 expires  u64 milliseconds since 1970: valid while now < expires
//                    4 target   u64 object id: the token only covers that object
//   end-32  32     tag: HMAC chain over the claims and every caveat
//   (kind 2 only) 3309  ML-DSA-65 signature over every byte before it
//
// The chain is the one of macaroons: t0 = HMAC(key, domain | bytes[0..3) | bytes[4..claimsEnd)), then
// t_i = HMAC(t_(i-1), caveat_i). Anyone holding a token can append a caveat and advance the tag, but no
// one can remove a caveat without the key, since the earlier tags are gone. The kind byte is outside the
// chain so that signing and unsigning a token leave its tag unchanged; it is covered by the signature, and
// a flipped kind never parses (1 and 2 differ in two bits, and other kinds are rejected).
//
// Every field has exactly one encoding (flags are 0 or 1, u64 values below 2^53, no trailing bytes), so
// changing any bit of a token either makes it unparseable or changes the bytes the MAC or signature cover.

import { utf8 } from '../crypto/primitives.js';
import { TokenError } from '../errors.js';
import { ByteReader, ByteWriter, utf8Bytes } from './bytes.js';

export const MAGIC0 = 0x58; // 'X'
export const MAGIC1 = 0x36; // '6'
export const FORMAT_VERSION = 1;
export const KIND_MAC = 1;
export const KIND_SIGNED = 2;
export const HEADER_BYTES = 40;
export const NONCE_BYTES = 16;
export const TAG_BYTES = 32;
export const SIGNATURE_BYTES = 3309;
/** Largest token accepted or produced. */
export const MAX_TOKEN_BYTES = 64 * 1024;
/** Most caveats a token may carry. */
export const MAX_CAVEATS = 256;
/** Longest object type, in UTF-8 bytes. */
export const MAX_TYPE_BYTES = 64;
/** Longest label text, in UTF-8 bytes. */
export const MAX_LABEL_BYTES = 1024;

export const CAVEAT_RIGHTS = 1;
export const CAVEAT_LABEL = 2;
export const CAVEAT_EXPIRES = 3;
export const CAVEAT_TARGET = 4;

/** Domain separation for the first link of the chain. */
export const CHAIN_DOMAIN = utf8('exov6/caplattice/v1 token chain');
/** ML-DSA context string for token signatures (FIPS 204 context). */
export const SIGNATURE_CONTEXT = utf8('exov6/caplattice/v1 token signature');

/** A caveat as parsed from a token (labels still in text form). */
export type RawCaveat =
  | { kind: 'rights'; rights: number; bytes: Uint8Array }
  | { kind: 'label'; label: string; bytes: Uint8Array }
  | { kind: 'expires'; at: number; bytes: Uint8Array }
  | { kind: 'target'; id: number; bytes: Uint8Array };

/** The structure of a token: fields decoded, nothing verified. */
export interface TokenLayout {
  bytes: Uint8Array;
  kind: number;
  keyId: Uint8Array;
  epoch: number;
  nonce: Uint8Array;
  objectType: string;
  objectId: number | undefined;
  rights: number;
  label: string;
  badge: number | undefined;
  /** Offset where the claims end and the caveats begin. */
  claimsEnd: number;
  caveats: RawCaveat[];
  /** Offset of the tag. */
  tagStart: number;
  tag: Uint8Array;
  /** Present for kind 2. */
  signature: Uint8Array | undefined;
}

/** Claims as they go into the encoder (label already in text form). */
export interface EncodedClaims {
  keyId: Uint8Array;
  epoch: number;
  nonce: Uint8Array;
  objectType: string;
  objectId: number | undefined;
  rights: number;
  label: string;
  badge: number | undefined;
}

/** Header and claims: bytes [0, claimsEnd) of a MAC-sealed token. */
export function encodeClaims(c: EncodedClaims): Uint8Array {
  const type = utf8Bytes(c.objectType);
  const label = utf8Bytes(c.label);
  if (type.length < 1 || type.length > MAX_TYPE_BYTES) {
    throw new TokenError('MALFORMED', `token: the object type must be 1..${MAX_TYPE_BYTES} UTF-8 bytes`);
  }
  if (label.length < 1 || label.length > MAX_LABEL_BYTES) {
    throw new TokenError('MALFORMED', `token: the label text must be 1..${MAX_LABEL_BYTES} UTF-8 bytes`);
  }
  const w = new ByteWriter().u8(MAGIC0).u8(MAGIC1).u8(FORMAT_VERSION).u8(KIND_MAC);
  w.bytes(c.keyId).u32(c.epoch).bytes(c.nonce);
  w.u8(type.length).bytes(type);
  if (c.objectId === undefined) w.u8(0);
  else w.u8(1).u64(c.objectId);
  w.u32(c.rights).u16(label.length).bytes(label);
  if (c.badge === undefined) w.u8(0);
  else w.u8(1).u64(c.badge);
  return w.finish();
}

/** The bytes of one caveat. */
export function encodeRawCaveat(
  c:
    | { kind: 'rights'; rights: number }
    | { kind: 'label'; label: string }
    | { kind: 'expires'; at: number }
    | { kind: 'target'; id: number },
): Uint8Array {
  const w = new ByteWriter();
  switch (c.kind) {
    case 'rights':
      w.u8(CAVEAT_RIGHTS).u32(c.rights);
      break;
    case 'label': {
      const text = utf8Bytes(c.label);
      if (text.length < 1 || text.length > MAX_LABEL_BYTES) {
        throw new TokenError('MALFORMED', `token: a label caveat must be 1..${MAX_LABEL_BYTES} UTF-8 bytes`);
      }
      w.u8(CAVEAT_LABEL).u16(text.length).bytes(text);
      break;
    }
    case 'expires':
      w.u8(CAVEAT_EXPIRES).u64(c.at);
      break;
    case 'target':
      w.u8(CAVEAT_TARGET).u64(c.id);
      break;
  }
  return w.finish();
}

/** Decode the structure of a token, or throw a TokenError. Verifies nothing. */
export function parseToken(bytes: unknown): TokenLayout {
  if (!(bytes instanceof Uint8Array)) throw new TokenError('MALFORMED', 'token: expected a Uint8Array');
  if (bytes.length > MAX_TOKEN_BYTES) {
    throw new TokenError(
      'MALFORMED',
      `token: ${bytes.length} bytes is over the ${MAX_TOKEN_BYTES}-byte limit`,
    );
  }
  if (bytes.length < 4) throw new TokenError('TRUNCATED', 'token: shorter than its header');
  if (bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1)
    throw new TokenError('MALFORMED', 'token: not a caplattice token');
  if (bytes[2] !== FORMAT_VERSION) {
    throw new TokenError(
      'UNSUPPORTED_VERSION',
      `token: format version ${bytes[2]} is not supported (expected ${FORMAT_VERSION})`,
    );
  }
  const kind = bytes[3] as number;
  if (kind !== KIND_MAC && kind !== KIND_SIGNED)
    throw new TokenError('MALFORMED', `token: unknown kind ${kind}`);
  const signatureBytes = kind === KIND_SIGNED ? SIGNATURE_BYTES : 0;
  const tagStart = bytes.length - signatureBytes - TAG_BYTES;
  if (tagStart < HEADER_BYTES)
    throw new TokenError('TRUNCATED', 'token: too short to hold its header and tag');

  const r = new ByteReader(bytes, 4, tagStart);
  const keyId = r.bytesOf(16, 'key id');
  const epoch = r.u32('epoch');
  const nonce = r.bytesOf(NONCE_BYTES, 'nonce');
  const typeLength = r.u8('object type length');
  if (typeLength < 1 || typeLength > MAX_TYPE_BYTES) {
    throw new TokenError(
      'MALFORMED',
      `token: object type length ${typeLength} is outside 1..${MAX_TYPE_BYTES}`,
    );
  }
  const objectType = r.text(typeLength, 'object type');
  const objectId = r.flag('object id') ? r.u64('object id') : undefined;
  const rights = r.u32('rights');
  const labelLength = r.u16('label length');
  if (labelLength < 1 || labelLength > MAX_LABEL_BYTES) {
    throw new TokenError('MALFORMED', `token: label length ${labelLength} is outside 1..${MAX_LABEL_BYTES}`);
  }
  const label = r.text(labelLength, 'label');
  const badge = r.flag('badge') ? r.u64('badge') : undefined;
  const claimsEnd = r.pos;

  const caveats: RawCaveat[] = [];
  while (r.remaining > 0) {
    if (caveats.length === MAX_CAVEATS)
      throw new TokenError('MALFORMED', `token: more than ${MAX_CAVEATS} caveats`);
    const start = r.pos;
    const k = r.u8('caveat kind');
    let c: RawCaveat;
    if (k === CAVEAT_RIGHTS) {
      const rights = r.u32('rights caveat');
      c = { kind: 'rights', rights, bytes: bytes.subarray(start, r.pos) };
    } else if (k === CAVEAT_LABEL) {
      const n = r.u16('label caveat length');
      if (n < 1 || n > MAX_LABEL_BYTES)
        throw new TokenError('MALFORMED', `token: label caveat length ${n} is out of range`);
      const text = r.text(n, 'label caveat');
      c = { kind: 'label', label: text, bytes: bytes.subarray(start, r.pos) };
    } else if (k === CAVEAT_EXPIRES) {
      const at = r.u64('expiry caveat');
      c = { kind: 'expires', at, bytes: bytes.subarray(start, r.pos) };
    } else if (k === CAVEAT_TARGET) {
      const id = r.u64('target caveat');
      c = { kind: 'target', id, bytes: bytes.subarray(start, r.pos) };
    } else {
      throw new TokenError('MALFORMED', `token: unknown caveat kind ${k} at byte ${start}`);
    }
    caveats.push(c);
  }
  return {
    bytes,
    kind,
    keyId,
    epoch,
    nonce,
    objectType,
    objectId,
    rights,
    label,
    badge,
    claimsEnd,
    caveats,
    tagStart,
    tag: bytes.subarray(tagStart, tagStart + TAG_BYTES),
    signature: kind === KIND_SIGNED ? bytes.subarray(tagStart + TAG_BYTES) : undefined,
  };
}
