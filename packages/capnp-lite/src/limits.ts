/** Limits on what one reader may do with the bytes it was given (see the README, "Reading untrusted messages"). */
export interface ReaderOptions {
  /**
   * How many words the reader may read, summed over every struct and list it follows (a pointer read
   * twice counts twice; a list of zero-sized elements counts one word per element). Default: 8 Mi words,
   * that is 64 MiB. Bounds the work a message can cause, whatever its pointers do.
   */
  traversalLimitWords?: number;
  /** How deeply pointers may nest below the root. Default 64. */
  nestingLimit?: number;
}

export const DEFAULT_TRAVERSAL_LIMIT_WORDS = 8 * 1024 * 1024;
export const DEFAULT_NESTING_LIMIT = 64;
/** The stream framing's cap on segments per message (a larger table is refused before it is read). */
export const MAX_SEGMENTS = 512;
