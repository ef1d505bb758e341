/**
 * Hand-made message words for tests that feed the reader bytes no builder would write: every pointer
 * kind encoded field by field as the encoding specification lays it out, and the stream framing around
 * segments made of such words.
 */

/** One 64-bit word as its low and high 32 bits (both unsigned). */
export type Word = readonly [lo: number, hi: number];

export const NULL: Word = [0, 0];

/** Element sizes of list pointers (bits 32-34). */
export const Size = {
  VOID: 0,
  BIT: 1,
  BYTE: 2,
  TWO: 3,
  FOUR: 4,
  EIGHT: 5,
  POINTER: 6,
  COMPOSITE: 7,
} as const;

/** A struct pointer: signed word offset from the end of the pointer, data words, pointer count. */
export function structPtr(offset: number, dataWords: number, pointerCount: number): Word {
  return [(offset << 2) >>> 0, (dataWords | (pointerCount << 16)) >>> 0];
}

/** A list pointer: signed word offset, element size, element count (word count for a composite list). */
export function listPtr(offset: number, size: number, count: number): Word {
  return [((offset << 2) | 1) >>> 0, (size | (count << 3)) >>> 0];
}

/** The tag word of a composite list: struct-pointer format with the element count in the offset field. */
export function compositeTag(elements: number, dataWords: number, pointerCount: number): Word {
  return [(elements << 2) >>> 0, (dataWords | (pointerCount << 16)) >>> 0];
}

/** A far pointer to the landing pad at word `pad` of segment `segment`; `double` for a two-word pad. */
export function farPtr(pad: number, segment: number, double = false): Word {
  return [((pad << 3) | (double ? 4 : 0) | 2) >>> 0, segment >>> 0];
}

/** A capability pointer (kind 3) to entry `index` of the capability table. */
export function capPtr(index: number): Word {
  return [3, index >>> 0];
}

/** A data word from two 32-bit halves. */
export function data(lo: number, hi = 0): Word {
  return [lo >>> 0, hi >>> 0];
}

/** Bytes as words, zero-padded to a whole word (for Text and Data contents). */
export function bytesToWords(bytes: ArrayLike<number>): Word[] {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(Array.from(bytes));
  const view = new DataView(padded.buffer);
  const out: Word[] = [];
  for (let at = 0; at < padded.length; at += 8)
    out.push([view.getUint32(at, true), view.getUint32(at + 4, true)]);
  return out;
}

/** UTF-8 of `s` as words; `nul` adds the terminating NUL a Text value needs. */
export function textWords(s: string, nul = true): Word[] {
  const utf8 = new TextEncoder().encode(s);
  return bytesToWords(nul ? [...utf8, 0] : utf8);
}

/** The bytes of a segment made of `words`. */
export function segmentBytes(words: readonly Word[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach(([lo, hi], i) => {
    view.setUint32(i * 8, lo, true);
    view.setUint32(i * 8 + 4, hi, true);
  });
  return out;
}

/** A framed message: the segment table (count - 1, each segment's size, padding), then the segments. */
export function framed(...segments: readonly (readonly Word[])[]): Uint8Array {
  return framedRaw(
    segments.map((s) => s.length),
    segments.map((s) => segmentBytes(s)),
  );
}

/**
 * A framed message whose segment table says whatever `sizes` says (and `count`, the number of segments
 * the table announces, defaults to `sizes.length`), followed by `bodies` as they are: for tables that
 * lie about the segments.
 */
export function framedRaw(
  sizes: readonly number[],
  bodies: readonly Uint8Array[],
  count = sizes.length,
): Uint8Array {
  const tableBytes = (4 + sizes.length * 4 + 7) & ~7;
  let total = tableBytes;
  for (const b of bodies) total += b.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, (count - 1) >>> 0, true);
  sizes.forEach((s, i) => {
    view.setUint32(4 + i * 4, s >>> 0, true);
  });
  let at = tableBytes;
  for (const b of bodies) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/** A single-segment message whose root pointer is `root`, followed by `rest`. */
export function oneSegment(root: Word, ...rest: Word[]): Uint8Array {
  return framed([root, ...rest]);
}
