/**
 * Writing pointer slots (a struct's pointer field or a pointer-list element): allocating the object,
 * linking it with a near or far pointer, and zeroing whatever the slot pointed to before, as the
 * reference implementation does (so no stale data survives in a message, and it packs well).
 */
import { PointerKind } from '../arena';
import { ELEMENT_BITS, ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import type { ListShape } from '../reader/list-reader';
import type { Segment } from '../segment';
import { encodeUtf8Into, utf8Length } from '../text';
import type { MessageBuilder } from './message-builder';
import type { StructBuilder, StructBuilderClass } from './struct-builder';

/** Writes one pointer word; `lo` may be negative (a backwards offset), it is stored as 32 bits. */
export function setWord(segment: Segment, word: number, lo: number, hi: number): void {
  segment.view.setUint32(word * 8, lo >>> 0, true);
  segment.view.setUint32(word * 8 + 4, hi >>> 0, true);
}

/** Zero-sized structs are encoded with offset -1, so that the pointer is not null. */
const EMPTY_STRUCT_LO = 0xfffffffc;

/**
 * Makes the slot at (`segment`, `word`) point to an object at (`target`, `targetWord`) described by
 * `kind`/`hi`: a near pointer in the same segment, else a far pointer to a landing pad in the target's
 * segment, else (no room there) a double-far pointer to a two-word pad anywhere.
 */
export function linkPointer(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  target: Segment,
  targetWord: number,
  kind: number,
  hi: number,
): void {
  if (target === segment) {
    setWord(segment, word, ((targetWord - word - 1) << 2) | kind, hi);
    return;
  }
  if (target.used < target.capacity) {
    const pad = target.used++;
    setWord(target, pad, ((targetWord - pad - 1) << 2) | kind, hi);
    setWord(segment, word, pad * 8 + PointerKind.FAR, target.id);
    return;
  }
  b.allocate(b.segments[b.segments.length - 1] as Segment, 2);
  const padSegment = b.allocSegment;
  const pad = b.allocWord;
  setWord(padSegment, pad, targetWord * 8 + PointerKind.FAR, target.id);
  setWord(padSegment, pad + 1, kind, hi);
  setWord(segment, word, pad * 8 + 4 + PointerKind.FAR, padSegment.id);
}

/**
 * Allocates `words` for an object the slot will point to, and writes the pointer. In the slot's segment
 * when it has room; else in another segment, with the landing pad just before the object.
 * The object is at `b.allocSegment`/`b.allocWord` afterwards.
 */
export function allocateObject(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  words: number,
  kind: number,
  hi: number,
): void {
  if (segment.used + words <= segment.capacity) {
    const at = segment.used;
    segment.used += words;
    setWord(segment, word, ((at - word - 1) << 2) | kind, hi);
    b.allocSegment = segment;
    b.allocWord = at;
    return;
  }
  b.allocate(segment, words + 1);
  const s = b.allocSegment;
  const pad = b.allocWord;
  setWord(s, pad, kind, hi);
  setWord(segment, word, pad * 8 + PointerKind.FAR, s.id);
  b.allocWord = pad + 1;
}

/** The `hi` word of a struct pointer. */
export function structHi(dataWords: number, pointerCount: number): number {
  return dataWords + pointerCount * 0x10000;
}

/**
 * Allocates a struct of the given size for the empty slot and points the slot at it (at
 * `b.allocSegment`/`b.allocWord`). A zero-sized struct needs no words: the slot gets the empty-struct
 * pointer and the result is false.
 */
export function allocateStruct(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  dataWords: number,
  pointerCount: number,
): boolean {
  if (dataWords + pointerCount === 0) {
    setWord(segment, word, EMPTY_STRUCT_LO, 0);
    return false;
  }
  allocateObject(
    b,
    segment,
    word,
    dataWords + pointerCount,
    PointerKind.STRUCT,
    structHi(dataWords, pointerCount),
  );
  return true;
}

/** Replaces the slot's object with a new struct of `type`'s size. */
export function initStructAt<T extends StructBuilder>(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  type: StructBuilderClass<T>,
): T {
  return initStructSizedAt(b, segment, word, type, type.dataWords, type.pointerCount);
}

export function initStructSizedAt<T extends StructBuilder>(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  type: StructBuilderClass<T>,
  dataWords: number,
  pointerCount: number,
): T {
  zeroPointerAt(b, segment, word);
  if (!allocateStruct(b, segment, word, dataWords, pointerCount))
    return new type(b, segment, 0, 0, 0, 0, b.nestingLimit);
  const at = b.allocWord * 8;
  return new type(b, b.allocSegment, at, dataWords * 8, at + dataWords * 8, pointerCount, b.nestingLimit);
}

/**
 * The struct the slot points to, as a builder of `type`. A null slot gets a new struct; a struct smaller
 * than `type` (written with an older schema) is moved to a new one of the full size first.
 */
export function structBuilderAt<T extends StructBuilder>(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  type: StructBuilderClass<T>,
  nesting: number,
): T {
  if (!b.follow(segment, word)) return initStructAt(b, segment, word, type);
  const t = b.target;
  if ((t.lo & 3) !== PointerKind.STRUCT)
    throw new CapnpError('TYPE_MISMATCH', 'expected a struct, found another kind of pointer');
  const oldSegment = t.segment;
  const oldWord = t.word;
  const dataWords = t.hi & 0xffff;
  const pointerCount = t.hi >>> 16;
  if (dataWords >= type.dataWords && pointerCount >= type.pointerCount) {
    const at = oldWord * 8;
    return new type(b, oldSegment, at, dataWords * 8, at + dataWords * 8, pointerCount, nesting);
  }
  // Enlarge: copy the data section, move each pointer (re-linking near ones), then clear the old words.
  const newData = Math.max(dataWords, type.dataWords);
  const newPointers = Math.max(pointerCount, type.pointerCount);
  zeroLandingPad(segment, word, b);
  allocateObject(b, segment, word, newData + newPointers, PointerKind.STRUCT, structHi(newData, newPointers));
  const s = b.allocSegment;
  const w = b.allocWord;
  s.bytes.set(oldSegment.bytes.subarray(oldWord * 8, (oldWord + dataWords) * 8), w * 8);
  for (let i = 0; i < pointerCount; i++)
    transferPointer(b, oldSegment, oldWord + dataWords + i, s, w + newData + i);
  oldSegment.bytes.fill(0, oldWord * 8, (oldWord + dataWords + pointerCount) * 8);
  return new type(b, s, w * 8, newData * 8, (w + newData) * 8, newPointers, nesting);
}

/** Clears the landing pad a far pointer in the slot leads to (the slot itself is about to be rewritten). */
function zeroLandingPad(segment: Segment, word: number, b: MessageBuilder): void {
  const lo = segment.view.getUint32(word * 8, true);
  if ((lo & 3) !== PointerKind.FAR) return;
  const padSegment = b.segments[segment.view.getUint32(word * 8 + 4, true)] as Segment;
  const pad = lo >>> 3;
  padSegment.bytes.fill(0, pad * 8, (pad + ((lo & 4) !== 0 ? 2 : 1)) * 8);
}

/** Moves the pointer at `from` to `to` (same object, re-encoded for its new position), clearing `from`. */
export function transferPointer(
  b: MessageBuilder,
  from: Segment,
  fromWord: number,
  to: Segment,
  toWord: number,
): void {
  const lo = from.view.getUint32(fromWord * 8, true);
  const hi = from.view.getUint32(fromWord * 8 + 4, true);
  setWord(from, fromWord, 0, 0);
  if (lo === 0 && hi === 0) return;
  const kind = lo & 3;
  if (kind === PointerKind.FAR || kind === PointerKind.OTHER || (kind === PointerKind.STRUCT && hi === 0)) {
    // Far and capability pointers are absolute; an empty struct has no object.
    setWord(to, toWord, kind === PointerKind.STRUCT ? EMPTY_STRUCT_LO : lo, hi);
    return;
  }
  linkPointer(b, to, toWord, from, fromWord + 1 + (lo >> 2), kind, hi);
}

/** Clears the slot and zeroes the object it points to, recursively (landing pads included). */
export function zeroPointerAt(b: MessageBuilder, segment: Segment, word: number): void {
  const view = segment.view;
  const lo = view.getUint32(word * 8, true);
  const hi = view.getUint32(word * 8 + 4, true);
  if (lo === 0 && hi === 0) return;
  setWord(segment, word, 0, 0);
  const kind = lo & 3;
  if (kind === PointerKind.OTHER) return;
  if (kind !== PointerKind.FAR) {
    if (kind === PointerKind.STRUCT && hi === 0) return;
    zeroObject(b, segment, word + 1 + (lo >> 2), lo, hi);
    return;
  }
  const padSegment = b.segments[hi] as Segment;
  const pad = lo >>> 3;
  if ((lo & 4) === 0) {
    zeroPointerAt(b, padSegment, pad);
    return;
  }
  const pv = padSegment.view;
  const flo = pv.getUint32(pad * 8, true);
  const fhi = pv.getUint32(pad * 8 + 4, true);
  const tlo = pv.getUint32(pad * 8 + 8, true);
  const thi = pv.getUint32(pad * 8 + 12, true);
  padSegment.bytes.fill(0, pad * 8, pad * 8 + 16);
  zeroObject(b, b.segments[fhi] as Segment, flo >>> 3, tlo, thi);
}

function zeroObject(b: MessageBuilder, segment: Segment, at: number, lo: number, hi: number): void {
  if ((lo & 3) === PointerKind.STRUCT) {
    const dataWords = hi & 0xffff;
    const pointerCount = hi >>> 16;
    for (let i = 0; i < pointerCount; i++) zeroPointerAt(b, segment, at + dataWords + i);
    segment.bytes.fill(0, at * 8, (at + dataWords + pointerCount) * 8);
    return;
  }
  const size = hi & 7;
  const count = hi >>> 3;
  if (size === ElementSize.POINTER) {
    for (let i = 0; i < count; i++) zeroPointerAt(b, segment, at + i);
    segment.bytes.fill(0, at * 8, (at + count) * 8);
  } else if (size === ElementSize.INLINE_COMPOSITE) {
    const tlo = segment.view.getUint32(at * 8, true);
    const thi = segment.view.getUint32(at * 8 + 4, true);
    const elements = tlo >>> 2;
    const dataWords = thi & 0xffff;
    const pointerCount = thi >>> 16;
    for (let e = 0; e < elements; e++) {
      const base = at + 1 + e * (dataWords + pointerCount) + dataWords;
      for (let i = 0; i < pointerCount; i++) zeroPointerAt(b, segment, base + i);
    }
    segment.bytes.fill(0, at * 8, (at + 1 + count) * 8);
  } else {
    segment.bytes.fill(0, at * 8, at * 8 + Math.ceil((count * (ELEMENT_BITS[size] as number)) / 64) * 8);
  }
}

/** Replaces the slot's object with `value` as Text (UTF-8 and a NUL). */
export function setTextAt(b: MessageBuilder, segment: Segment, word: number, value: string): void {
  zeroPointerAt(b, segment, word);
  const length = utf8Length(value);
  const bytes = length + 1;
  allocateObject(b, segment, word, Math.ceil(bytes / 8), PointerKind.LIST, ElementSize.BYTE + bytes * 8);
  encodeUtf8Into(value, b.allocSegment.bytes, b.allocWord * 8, length);
}

/** Replaces the slot's object with a copy of `value` as Data. */
export function setDataAt(b: MessageBuilder, segment: Segment, word: number, value: Uint8Array): void {
  zeroPointerAt(b, segment, word);
  allocateObject(
    b,
    segment,
    word,
    Math.ceil(value.byteLength / 8),
    PointerKind.LIST,
    ElementSize.BYTE + value.byteLength * 8,
  );
  b.allocSegment.bytes.set(value, b.allocWord * 8);
}

/** Replaces the slot's object with a capability pointer to a new entry of the capability table. */
export function setCapabilityAt(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  capability: unknown,
): void {
  zeroPointerAt(b, segment, word);
  if (capability === null || capability === undefined) return;
  const index = b.capTable.push(capability) - 1;
  setWord(segment, word, PointerKind.OTHER, index);
}

const MAX_LIST_LENGTH = 2 ** 29 - 1;

/**
 * Replaces the slot's object with a new list of `length` elements of `size` (for INLINE_COMPOSITE,
 * structs of `dataWords` + `pointerCount` words) and returns where its elements are.
 */
export function initListAt(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  size: ElementSize,
  length: number,
  dataWords = 0,
  pointerCount = 0,
): ListShape {
  if (!(Number.isInteger(length) && length >= 0 && length <= MAX_LIST_LENGTH)) {
    throw new CapnpError(
      'INVALID_ARGUMENT',
      `a list length must be an integer from 0 to ${MAX_LIST_LENGTH}, not ${length}`,
    );
  }
  zeroPointerAt(b, segment, word);
  if (size === ElementSize.INLINE_COMPOSITE) {
    const words = length * (dataWords + pointerCount);
    if (words > MAX_LIST_LENGTH)
      throw new CapnpError('TOO_LARGE', `a struct list of ${words} words is larger than the format allows`);
    allocateObject(b, segment, word, words + 1, PointerKind.LIST, ElementSize.INLINE_COMPOSITE + words * 8);
    setWord(b.allocSegment, b.allocWord, length << 2, structHi(dataWords, pointerCount));
    return {
      segment: b.allocSegment,
      start: (b.allocWord + 1) * 8,
      length,
      stepBits: (dataWords + pointerCount) * 64,
      dataBits: dataWords * 64,
      pointerCount,
      elementSize: size,
    };
  }
  const bits = ELEMENT_BITS[size] as number;
  allocateObject(b, segment, word, Math.ceil((length * bits) / 64), PointerKind.LIST, size + length * 8);
  return {
    segment: b.allocSegment,
    start: b.allocWord * 8,
    length,
    stepBits: bits,
    dataBits: size === ElementSize.POINTER ? 0 : bits,
    pointerCount: size === ElementSize.POINTER ? 1 : 0,
    elementSize: size,
  };
}
