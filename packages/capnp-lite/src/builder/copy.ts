/**
 * Deep copies from any message into a builder, following the source's pointers with the source's
 * checks and limits. The same walk, with `canonical` set, writes the canonical form: data sections
 * without trailing zero words, pointer sections without trailing null pointers (for a struct list, the
 * largest over its elements), objects in pre-order, and no capabilities.
 */
import { type Arena, PointerKind } from '../arena';
import { ELEMENT_BITS, ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import type { AnyPointerReader } from '../reader/any-pointer';
import { type ListReader, type ListShape, locateList, nestingError } from '../reader/list-reader';
import { StructReader, readCapabilityAt, readStructAt } from '../reader/struct-reader';
import type { Segment } from '../segment';
import type { MessageBuilder } from './message-builder';
import { allocateObject, allocateStruct, setCapabilityAt, setWord, structHi } from './pointers';

/** Writes a deep copy of `value` (a struct or a list, from any message) at the empty slot (`segment`, `word`). */
export function copyPointer(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  value: StructReader | ListReader<unknown>,
  canonical = false,
): void {
  if (value instanceof StructReader) {
    copyStruct(b, segment, word, value, canonical);
    return;
  }
  copyList(
    b,
    segment,
    word,
    value.arena,
    {
      segment: value.segment,
      start: value.start,
      length: value.length,
      stepBits: value.stepBits,
      dataBits: value.dataBits,
      pointerCount: value.pointerCount,
      elementSize: value.elementSize,
    },
    value.nesting,
    canonical,
  );
}

/**
 * Writes a deep copy of whatever `value` points to (struct, list, capability or null) at the empty slot
 * (`segment`, `word`). Capabilities keep their table entries: the object is appended to the builder's table.
 */
export function copyAnyPointer(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  value: AnyPointerReader,
): void {
  if (value.word < 0) return;
  copyFrom(b, segment, word, value.arena, value.segment, value.word, value.nesting, false);
}

function copyStruct(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  s: StructReader,
  canonical: boolean,
): void {
  const src = s._segment;
  let dataBytes = s._dataBytes;
  let pointerCount = s._pointerCount;
  if (canonical) {
    dataBytes = significantDataBytes(src, s._data, dataBytes);
    pointerCount = significantPointers(src, s._pointers >>> 3, pointerCount);
  }
  const dataWords = Math.ceil(dataBytes / 8);
  if (!allocateStruct(b, segment, word, dataWords, pointerCount)) return;
  const to = b.allocSegment;
  const at = b.allocWord;
  to.bytes.set(src.bytes.subarray(s._data, s._data + dataBytes), at * 8);
  for (let i = 0; i < pointerCount; i++) {
    copyFrom(b, to, at + dataWords + i, s._arena, src, (s._pointers >>> 3) + i, s._nesting, canonical);
  }
}

/** The data section's length without trailing zero words (in bytes, a whole number of words unless shorter). */
function significantDataBytes(segment: Segment, data: number, dataBytes: number): number {
  let end = dataBytes;
  while (end > 0) {
    const wordStart = (end - 1) & ~7;
    let zero = true;
    for (let i = wordStart; i < end; i++) if (segment.bytes[data + i] !== 0) zero = false;
    if (!zero) break;
    end = wordStart;
  }
  return end;
}

function significantPointers(segment: Segment, firstWord: number, count: number): number {
  let n = count;
  const view = segment.view;
  while (
    n > 0 &&
    view.getUint32((firstWord + n - 1) * 8, true) === 0 &&
    view.getUint32((firstWord + n - 1) * 8 + 4, true) === 0
  )
    n--;
  return n;
}

/** Copies what the source pointer at (`src`, `srcWord`) points to into the empty slot (`segment`, `word`). */
function copyFrom(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  arena: Arena,
  src: Segment,
  srcWord: number,
  nesting: number,
  canonical: boolean,
): void {
  const view = src.view;
  const lo = view.getUint32(srcWord * 8, true);
  const hi = view.getUint32(srcWord * 8 + 4, true);
  if (lo === 0 && hi === 0) return;
  if ((lo & 3) === PointerKind.OTHER) {
    if (canonical)
      throw new CapnpError('NOT_CANONICAL', 'a message holding capabilities has no canonical form');
    setCapabilityAt(b, segment, word, readCapabilityAt(arena, src, srcWord));
    return;
  }
  if (nesting <= 0) throw nestingError();
  if (!arena.follow(src, srcWord)) return;
  if ((arena.target.lo & 3) === PointerKind.STRUCT) {
    const s = readStructAt(arena, src, srcWord, nesting - 1, StructReader) as StructReader;
    copyStruct(b, segment, word, s, canonical);
    return;
  }
  const shape = locateList(arena, src, srcWord, ElementSize.VOID);
  if (shape === null) return;
  copyList(b, segment, word, arena, { ...shape }, nesting - 1, canonical);
}

function copyList(
  b: MessageBuilder,
  segment: Segment,
  word: number,
  arena: Arena,
  s: ListShape,
  nesting: number,
  canonical: boolean,
): void {
  const n = s.length;
  const src = s.segment;
  if (s.elementSize === ElementSize.INLINE_COMPOSITE) {
    const srcDataBytes = s.dataBits >>> 3;
    const srcStep = s.stepBits >>> 3;
    let dataWords = srcDataBytes >>> 3;
    let pointerCount = s.pointerCount;
    if (canonical) {
      dataWords = 0;
      pointerCount = 0;
      for (let e = 0; e < n; e++) {
        const base = s.start + e * srcStep;
        dataWords = Math.max(dataWords, significantDataBytes(src, base, srcDataBytes) >>> 3);
        pointerCount = Math.max(
          pointerCount,
          significantPointers(src, (base + srcDataBytes) >>> 3, s.pointerCount),
        );
      }
    }
    const step = dataWords + pointerCount;
    allocateObject(
      b,
      segment,
      word,
      n * step + 1,
      PointerKind.LIST,
      ElementSize.INLINE_COMPOSITE + n * step * 8,
    );
    const to = b.allocSegment;
    const tag = b.allocWord;
    setWord(to, tag, n << 2, structHi(dataWords, pointerCount));
    for (let e = 0; e < n; e++) {
      const base = s.start + e * srcStep;
      const dst = tag + 1 + e * step;
      to.bytes.set(src.bytes.subarray(base, base + dataWords * 8), dst * 8);
      for (let i = 0; i < pointerCount; i++) {
        copyFrom(
          b,
          to,
          dst + dataWords + i,
          arena,
          src,
          ((base + srcDataBytes) >>> 3) + i,
          nesting,
          canonical,
        );
      }
    }
    return;
  }
  if (s.elementSize === ElementSize.POINTER) {
    allocateObject(b, segment, word, n, PointerKind.LIST, ElementSize.POINTER + n * 8);
    const to = b.allocSegment;
    const at = b.allocWord;
    for (let i = 0; i < n; i++) copyFrom(b, to, at + i, arena, src, (s.start >>> 3) + i, nesting, canonical);
    return;
  }
  const bits = n * (ELEMENT_BITS[s.elementSize] as number);
  allocateObject(b, segment, word, Math.ceil(bits / 64), PointerKind.LIST, s.elementSize + n * 8);
  const to = b.allocSegment.bytes;
  const at = b.allocWord * 8;
  const bytes = Math.ceil(bits / 8);
  to.set(src.bytes.subarray(s.start, s.start + bytes), at);
  // Bits past the last element of a bit list are padding, and padding is zero.
  if (bits % 8 !== 0) to[at + bytes - 1] = (to[at + bytes - 1] as number) & ((1 << (bits % 8)) - 1);
}
