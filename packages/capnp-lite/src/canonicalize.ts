/**
 * Canonical form (the encoding specification's "canonicalization"): one segment, no segment table, the
 * root pointer first and every object in pre-order, sections without trailing zeros. Two messages with
 * the same content have the same canonical bytes, whatever their writers did, so the result can be
 * hashed or signed. The same bytes as `capnp convert binary:canonical`.
 */
import { copyPointer } from './builder/copy';
import { MessageBuilder } from './builder/message-builder';
import type { StructReader } from './reader/struct-reader';
import type { Segment } from './segment';

export function canonicalize(root: StructReader): Uint8Array {
  // Usually the canonical form is no larger than the message it comes from. It can be larger when
  // several pointers lead to one object (each gets its own copy); then the builder spills into more
  // segments, and a second attempt with room for all it allocated (landing pads included) fits in one.
  let words = 1;
  for (const s of root._arena.segments) words += s.used;
  for (;;) {
    const b = new MessageBuilder({ firstSegmentWords: words });
    copyPointer(b, b.segments[0] as Segment, 0, root, true);
    if (b.segments.length === 1) return (b.segments[0] as Segment).contents().slice();
    words = b.totalWords;
  }
}
