/** A message received as bytes, read in place. */
import { Arena } from '../arena';
import { CapnpError } from '../errors';
import { splitFramed } from '../framing';
import {
  DEFAULT_NESTING_LIMIT,
  DEFAULT_TRAVERSAL_LIMIT_WORDS,
  MAX_SEGMENTS,
  type ReaderOptions,
} from '../limits';
import { unpack } from '../packing';
import { Segment } from '../segment';
import { StructReader, type StructReaderClass, emptyStruct, readStructAt } from './struct-reader';

export class MessageReader extends Arena {
  /**
   * A message over the given segments (each a whole number of words; views, not copies). Most callers
   * use `readMessage` (framed bytes) or `readPackedMessage`.
   */
  constructor(segments: readonly Uint8Array[], options: ReaderOptions = {}) {
    if (segments.length === 0) throw new CapnpError('BAD_FRAMING', 'a message has at least one segment');
    const segs = segments.map((bytes, id) => {
      if (bytes.byteLength % 8 !== 0) {
        throw new CapnpError(
          'BAD_FRAMING',
          `segment ${id} is ${bytes.byteLength} bytes, not a whole number of words`,
        );
      }
      return new Segment(id, bytes, bytes.byteLength >>> 3);
    });
    super(
      segs,
      options.traversalLimitWords ?? DEFAULT_TRAVERSAL_LIMIT_WORDS,
      options.nestingLimit ?? DEFAULT_NESTING_LIMIT,
    );
  }

  /** The root struct, read as `type` (generated classes; `StructReader` for untyped access). */
  getRoot<T extends StructReader>(type: StructReaderClass<T>): T;
  getRoot(): StructReader;
  getRoot<T extends StructReader>(type?: StructReaderClass<T>): T | StructReader {
    const cls = (type ?? StructReader) as StructReaderClass<T>;
    const first = this.segments[0] as Segment;
    if (first.used < 1)
      throw new CapnpError('OUT_OF_BOUNDS', 'the first segment is empty: there is no root pointer');
    return readStructAt(this, first, 0, this.nestingLimit, cls) ?? emptyStruct(this, cls);
  }
}

/** Reads a framed message (segment table, then segments). The bytes are viewed, not copied. */
export function readMessage(bytes: Uint8Array | ArrayBuffer, options?: ReaderOptions): MessageReader {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return new MessageReader(splitFramed(view).segments, options);
}

/** Reads a packed, framed message (as `capnp convert binary:packed` writes). */
export function readPackedMessage(bytes: Uint8Array | ArrayBuffer, options?: ReaderOptions): MessageReader {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // Unpacked, a message is at most its segments (bounded by the traversal limit) plus the largest segment table.
  const limit = (options?.traversalLimitWords ?? DEFAULT_TRAVERSAL_LIMIT_WORDS) * 8 + 8 + MAX_SEGMENTS * 4;
  return readMessage(unpack(view, limit), options);
}

/** Reads a single-segment message without a segment table ("flat", as canonical form is written). */
export function readFlatMessage(bytes: Uint8Array | ArrayBuffer, options?: ReaderOptions): MessageReader {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return new MessageReader([view], options);
}
