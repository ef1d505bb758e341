/**
 * A message being built. Objects are allocated at the end of a segment, never moved; when the segment a
 * pointer lives in is full, the object goes to another segment behind a far pointer (with its landing
 * pad right before it), so building never copies what is already written.
 */
import { Arena } from '../arena';
import { CapnpError } from '../errors';
import { frame } from '../framing';
import type { ReaderOptions } from '../limits';
import { pack } from '../packing';
import { MessageReader } from '../reader/message-reader';
import type { StructReader } from '../reader/struct-reader';
import { Segment } from '../segment';
import { copyPointer } from './copy';
import type { StructBuilder, StructBuilderClass } from './struct-builder';
import { initStructAt, structBuilderAt, zeroPointerAt } from './pointers';

export interface BuilderOptions {
  /** Size of the first segment in words (default 1024, 8 KiB); later ones grow with the message. */
  firstSegmentWords?: number;
  /**
   * Every segment exactly this many words (objects larger than that get a segment of their own). For
   * tests of multi-segment messages and far pointers.
   */
  fixedSegmentWords?: number;
}

const BUILDER_NESTING_LIMIT = 1000;

/** The largest object the format can describe: a list's word count has 29 bits. */
const MAX_OBJECT_WORDS = 2 ** 29 - 1;

export class MessageBuilder extends Arena {
  private readonly fixed: number;
  private nextSize: number;
  /** Where the last `allocate` put the object. */
  allocSegment: Segment;
  allocWord = 0;

  constructor(options: BuilderOptions = {}) {
    const fixed = options.fixedSegmentWords ?? 0;
    const first = fixed > 0 ? fixed : Math.max(1, options.firstSegmentWords ?? 1024);
    const segment = new Segment(0, new Uint8Array(first * 8), 1); // word 0: the root pointer
    // Builders trust their own content, but a copy still follows pointers: copying a struct into one of
    // its own pointers would otherwise never end. 1000 levels is deeper than any real message.
    super([segment], Number.POSITIVE_INFINITY, BUILDER_NESTING_LIMIT);
    this.fixed = fixed;
    this.nextSize = first;
    this.allocSegment = segment;
  }

  /**
   * Allocates `words` zeroed words, in `prefer` if it has room, else in the newest segment or a new one.
   * The result is in `allocSegment`/`allocWord`.
   */
  allocate(prefer: Segment, words: number): void {
    if (words > MAX_OBJECT_WORDS) {
      throw new CapnpError('TOO_LARGE', `an object of ${words} words is larger than the format allows`);
    }
    let seg = prefer;
    if (seg.used + words > seg.capacity) {
      seg = this.segments[this.segments.length - 1] as Segment;
      if (seg.used + words > seg.capacity) seg = this.newSegment(words);
    }
    this.allocSegment = seg;
    this.allocWord = seg.used;
    seg.used += words;
  }

  /**
   * Empties the builder for the next message, keeping the first segment's buffer (zeroed where it was
   * used) and dropping the others: a stream of messages built one after another then allocates nothing
   * per message but its output. Builders and readers of the old message must not be used afterwards.
   */
  reset(): void {
    const first = this.rootSegment;
    first.bytes.fill(0, 0, first.used * 8);
    first.used = 1;
    this.segments.length = 1;
    this.allocSegment = first;
    this.allocWord = 0;
    this.nextSize = first.capacity;
    this.capTable = [];
    this.traversalLeft = Number.POSITIVE_INFINITY;
  }

  private newSegment(minimum: number): Segment {
    let size: number;
    if (this.fixed > 0) size = Math.max(this.fixed, minimum);
    else {
      // Grow with the message, like the reference implementation's heuristic: each new segment about
      // as large as the message so far, so the segment count stays logarithmic in the size.
      size = Math.max(minimum, this.nextSize);
      this.nextSize = Math.min(size * 2, 1 << 26);
    }
    const segment = new Segment(this.segments.length, new Uint8Array(size * 8), 0);
    this.segments.push(segment);
    return segment;
  }

  /** The root segment and word: the root pointer is word 0 of segment 0. */
  get rootSegment(): Segment {
    return this.segments[0] as Segment;
  }

  /** Makes the root a new struct of `type` (anything the root held before is zeroed). */
  initRoot<T extends StructBuilder>(type: StructBuilderClass<T>): T {
    zeroPointerAt(this, this.rootSegment, 0);
    return initStructAt(this, this.rootSegment, 0, type);
  }

  /** The root as `type`; a missing root is created, a smaller one (older schema) is enlarged. */
  getRoot<T extends StructBuilder>(type: StructBuilderClass<T>): T {
    return structBuilderAt(this, this.rootSegment, 0, type, this.nestingLimit);
  }

  /** Makes the root a deep copy of `value` (from any message). */
  setRoot(value: StructReader): void {
    zeroPointerAt(this, this.rootSegment, 0);
    copyPointer(this, this.rootSegment, 0, value);
  }

  /** The segments in use (views of the builder's buffers: they change if the message is built further). */
  getSegments(): Uint8Array[] {
    return this.segments.map((s) => s.contents());
  }

  /** The message in the stream framing (segment table, segments): what `readMessage` and `capnp` read. */
  toBytes(): Uint8Array {
    return frame(this.getSegments());
  }

  /** The framed message, packed. */
  toPackedBytes(): Uint8Array {
    return pack(this.toBytes());
  }

  /** A reader over the message as it is now (sharing its buffers). */
  asReader(options?: ReaderOptions): MessageReader {
    return new MessageReader(this.getSegments(), options);
  }

  /** Words allocated over all segments. */
  get totalWords(): number {
    let n = 0;
    for (const s of this.segments) n += s.used;
    return n;
  }
}
