/**
 * The one error type of the package. Reading untrusted bytes never throws anything else: every malformed
 * message, exceeded limit or misuse is reported as a `CapnpError` whose `code` says which rule was broken.
 */
export type CapnpErrorCode =
  /** The stream framing (segment table) is truncated or inconsistent. */
  | 'BAD_FRAMING'
  /** Packed input ends in the middle of a word or a run. */
  | 'BAD_PACKING'
  /** A pointer's target lies outside its segment, or names a segment that does not exist. */
  | 'OUT_OF_BOUNDS'
  /** A pointer word that cannot be valid where it is (reserved kind, a far pointer in a landing pad...). */
  | 'BAD_POINTER'
  /** The pointer is valid but of another kind than the schema expects (a list where a struct is due...). */
  | 'TYPE_MISMATCH'
  /** The reader has read more words than its traversal limit allows (amplification or a cycle). */
  | 'TRAVERSAL_LIMIT'
  /** Pointers nest deeper than the nesting limit. */
  | 'NESTING_LIMIT'
  /** A Text value that is not NUL-terminated. */
  | 'BAD_TEXT'
  /** A list or message larger than the format can express, or than a configured limit. */
  | 'TOO_LARGE'
  /** A message that cannot be canonicalised (it holds capabilities or spans segments where it may not). */
  | 'NOT_CANONICAL'
  /** An index outside a list, a value outside a field's range, a builder used after its message ended. */
  | 'INVALID_ARGUMENT'
  /** RPC: the peer broke the protocol, or a call failed on the remote side. */
  | 'RPC';

export class CapnpError extends Error {
  override readonly name = 'CapnpError';
  constructor(
    readonly code: CapnpErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
