/**
 * What readers and builders share: the segments of one message, the budget that bounds how much a reader
 * may traverse, the capability table, and pointer following (far and double-far pointers included).
 */
import { CapnpError } from './errors';
import type { Segment } from './segment';

/** Pointer kinds (bits 0-1 of a pointer word). */
export const PointerKind = { STRUCT: 0, LIST: 1, FAR: 2, OTHER: 3 } as const;

/** The words of an object a pointer leads to, found by `Arena.follow`. */
export interface PointerTarget {
  /** The segment holding the object. */
  segment: Segment;
  /** Index of the object's first word in that segment (for a composite list, its tag word). */
  word: number;
  /** The pointer (or landing-pad tag) that describes the object: low and high 32 bits. */
  lo: number;
  hi: number;
}

export class Arena {
  /** Words the reader may still read (Infinity for builders reading their own message). */
  traversalLeft: number;
  /**
   * Capabilities referred to by capability pointers, by index. The message layer only carries the
   * indices; RPC fills this table when a message arrives and reads it when one is sent.
   */
  capTable: unknown[] = [];
  /** The result of the last `follow` (one object, reused: following a pointer allocates nothing). */
  readonly target: PointerTarget;

  constructor(
    readonly segments: Segment[],
    traversalLimitWords: number,
    readonly nestingLimit: number,
  ) {
    this.traversalLeft = traversalLimitWords;
    this.target = { segment: segments[0] as Segment, word: 0, lo: 0, hi: 0 };
  }

  /** Counts `words` against the traversal limit. */
  charge(words: number): void {
    this.traversalLeft -= words;
    if (this.traversalLeft < 0) {
      throw new CapnpError(
        'TRAVERSAL_LIMIT',
        'the message asks the reader to read more words than its traversal limit allows',
      );
    }
  }

  /**
   * Follows the pointer at word `pointerWord` of `segment` through any far pointer to the object it
   * describes, and leaves that in `this.target`. Returns false for a null pointer. Checks that far
   * pointers and landing pads lie inside their segments; the caller checks the object's own extent.
   */
  follow(segment: Segment, pointerWord: number): boolean {
    const view = segment.view;
    const at = pointerWord * 8;
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    const t = this.target;
    if ((lo & 3) !== PointerKind.FAR) {
      if (lo === 0 && hi === 0) return false;
      t.segment = segment;
      t.word = pointerWord + 1 + (lo >> 2);
      t.lo = lo;
      t.hi = hi;
      return true;
    }
    const padSegment = this.segmentFor(hi);
    const pad = lo >>> 3;
    if ((lo & 4) === 0) {
      // Single far: the landing pad is an ordinary pointer, relative to the pad.
      if (pad + 1 > padSegment.used) throw outside('far pointer landing pad', padSegment, pad, 1);
      const padView = padSegment.view;
      const plo = padView.getUint32(pad * 8, true);
      const phi = padView.getUint32(pad * 8 + 4, true);
      if ((plo & 3) === PointerKind.FAR) {
        throw new CapnpError(
          'BAD_POINTER',
          'a far pointer leads to a landing pad that is itself a far pointer',
        );
      }
      if (plo === 0 && phi === 0) return false;
      t.segment = padSegment;
      t.word = pad + 1 + (plo >> 2);
      t.lo = plo;
      t.hi = phi;
      return true;
    }
    // Double far: the pad is a far pointer to the object's first word, then a tag that describes it.
    if (pad + 2 > padSegment.used) throw outside('double-far landing pad', padSegment, pad, 2);
    const padView = padSegment.view;
    const flo = padView.getUint32(pad * 8, true);
    const fhi = padView.getUint32(pad * 8 + 4, true);
    if ((flo & 7) !== PointerKind.FAR) {
      throw new CapnpError(
        'BAD_POINTER',
        'a double-far landing pad does not begin with a single far pointer',
      );
    }
    const tlo = padView.getUint32(pad * 8 + 8, true);
    const thi = padView.getUint32(pad * 8 + 12, true);
    if ((tlo & 3) !== PointerKind.STRUCT && (tlo & 3) !== PointerKind.LIST) {
      throw new CapnpError(
        'BAD_POINTER',
        'the tag of a double-far landing pad is neither a struct nor a list pointer',
      );
    }
    t.segment = this.segmentFor(fhi);
    t.word = flo >>> 3;
    t.lo = tlo;
    t.hi = thi;
    return true;
  }

  private segmentFor(id: number): Segment {
    const segment = this.segments[id];
    if (segment === undefined) {
      throw new CapnpError(
        'OUT_OF_BOUNDS',
        `a far pointer names segment ${id}, but the message has ${this.segments.length} segment(s)`,
      );
    }
    return segment;
  }
}

/** The error for an object or pad that does not lie inside its segment. */
export function outside(what: string, segment: Segment, word: number, words: number): CapnpError {
  return new CapnpError(
    'OUT_OF_BOUNDS',
    `${what} at words [${word}, ${word + words}) lies outside segment ${segment.id} (${segment.used} words)`,
  );
}
