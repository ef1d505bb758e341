/**
 * A struct read in place: its data section and pointer section are views of the message's segment.
 *
 * Field getters take the offsets the schema compiler assigned (generated code passes them); a field past
 * the end of the sections, as an older writer leaves it, reads as zero or null, so messages from older
 * and newer schema versions read each other. Defaults are applied by the caller: XOR for data fields
 * (the encoding stores a value XOR its default), and a default object for a null pointer.
 */
import { type Arena, PointerKind, outside } from '../arena';
import { ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import { PRIMITIVE_ELEMENT_SIZE, type Primitive } from '../primitive';
import type { Segment } from '../segment';
import { decodeUtf8 } from '../text';
import { AnyPointerReader } from './any-pointer';
import {
  CapabilityList,
  DataList,
  type ListFactory,
  PointerList,
  PrimitiveList,
  StructList,
  TextList,
  locateList,
  nestingError,
} from './list-reader';

/** A struct reader class: `StructReader` itself, or a class the schema compiler generated. */
export type StructReaderClass<T extends StructReader> = new (
  arena: Arena,
  segment: Segment,
  data: number,
  dataBytes: number,
  pointers: number,
  pointerCount: number,
  nesting: number,
) => T;

export class StructReader {
  constructor(
    /** The message (segments, traversal budget, capability table). */
    readonly _arena: Arena,
    readonly _segment: Segment,
    /** Byte offset of the data section in the segment. */
    readonly _data: number,
    /** Size of the data section in bytes (below 8 only for elements of a primitive list read as structs). */
    readonly _dataBytes: number,
    /** Byte offset of the pointer section. */
    readonly _pointers: number,
    readonly _pointerCount: number,
    /** How many more levels of pointers may be followed from here. */
    readonly _nesting: number,
  ) {}

  // Data fields. Offsets are in units of the field's size, as the schema compiler gives them.

  getBool(bitOffset: number): boolean {
    const byte = bitOffset >>> 3;
    return (
      byte < this._dataBytes &&
      ((this._segment.view.getUint8(this._data + byte) >>> (bitOffset & 7)) & 1) === 1
    );
  }
  getInt8(offset: number): number {
    return offset >>> 0 < this._dataBytes ? this._segment.view.getInt8(this._data + offset) : 0;
  }
  getUint8(offset: number): number {
    return offset >>> 0 < this._dataBytes ? this._segment.view.getUint8(this._data + offset) : 0;
  }
  getInt16(offset: number): number {
    const at = offset * 2;
    return (at >>> 0) + 2 <= this._dataBytes ? this._segment.view.getInt16(this._data + at, true) : 0;
  }
  getUint16(offset: number): number {
    const at = offset * 2;
    return (at >>> 0) + 2 <= this._dataBytes ? this._segment.view.getUint16(this._data + at, true) : 0;
  }
  getInt32(offset: number): number {
    const at = offset * 4;
    return (at >>> 0) + 4 <= this._dataBytes ? this._segment.view.getInt32(this._data + at, true) : 0;
  }
  getUint32(offset: number): number {
    const at = offset * 4;
    return (at >>> 0) + 4 <= this._dataBytes ? this._segment.view.getUint32(this._data + at, true) : 0;
  }
  getInt64(offset: number): bigint {
    const at = offset * 8;
    return (at >>> 0) + 8 <= this._dataBytes ? this._segment.view.getBigInt64(this._data + at, true) : 0n;
  }
  getUint64(offset: number): bigint {
    const at = offset * 8;
    return (at >>> 0) + 8 <= this._dataBytes ? this._segment.view.getBigUint64(this._data + at, true) : 0n;
  }
  /** A Float32 field; `mask` is the default's bit pattern (XOR-encoded like any data field). */
  getFloat32(offset: number, mask = 0): number {
    const at = offset * 4;
    if ((at >>> 0) + 4 > this._dataBytes) return mask === 0 ? 0 : bitsToFloat32(mask);
    if (mask === 0) return this._segment.view.getFloat32(this._data + at, true);
    return bitsToFloat32((this._segment.view.getUint32(this._data + at, true) ^ mask) >>> 0);
  }
  /** A Float64 field; `mask` is the default's bit pattern. */
  getFloat64(offset: number, mask = 0n): number {
    const at = offset * 8;
    if (mask === 0n)
      return (at >>> 0) + 8 <= this._dataBytes ? this._segment.view.getFloat64(this._data + at, true) : 0;
    const bits =
      (at >>> 0) + 8 <= this._dataBytes ? this._segment.view.getBigUint64(this._data + at, true) : 0n;
    return bitsToFloat64(bits ^ mask);
  }

  // Pointer fields.

  /** Whether pointer `index` is non-null. */
  hasPointer(index: number): boolean {
    if (!(index >= 0 && index < this._pointerCount)) return false;
    const at = this._pointers + index * 8;
    const view = this._segment.view;
    return view.getUint32(at, true) !== 0 || view.getUint32(at + 4, true) !== 0;
  }

  /** Word index of pointer `index`, or -1 when the struct has fewer pointers. */
  protected _pointerWord(index: number): number {
    return index >= 0 && index < this._pointerCount ? (this._pointers >>> 3) + index : -1;
  }

  /** The struct at pointer `index`, read as `type`; a null pointer reads as `defaultValue`, or as all defaults. */
  getStruct<T extends StructReader>(index: number, type: StructReaderClass<T>, defaultValue?: T): T {
    const word = this._pointerWord(index);
    if (this._nesting <= 0 && this.hasPointer(index)) throw nestingError();
    const found = word >= 0 ? readStructAt(this._arena, this._segment, word, this._nesting - 1, type) : null;
    return found ?? defaultValue ?? emptyStruct(this._arena, type);
  }

  getText(index: number, defaultValue = ''): string {
    const word = this._pointerWord(index);
    return word < 0 ? defaultValue : readTextAt(this._arena, this._segment, word, defaultValue);
  }

  /** A Data field: a view of the message's bytes, not a copy. */
  getData(index: number, defaultValue: Uint8Array = EMPTY): Uint8Array {
    const word = this._pointerWord(index);
    return word < 0 ? defaultValue : readDataAt(this._arena, this._segment, word, defaultValue);
  }

  /** A list of primitives (`Primitive.UINT32`...); enums are lists of UINT16. */
  getPrimitiveList<P extends Primitive>(
    index: number,
    kind: P,
    defaultValue?: PrimitiveList<P>,
  ): PrimitiveList<P> {
    const s = this._list(index, PRIMITIVE_ELEMENT_SIZE[kind] as ElementSize);
    return s === null && defaultValue !== undefined
      ? defaultValue
      : new PrimitiveList(this._arena, s, this._nesting - 1, kind);
  }

  getStructList<T extends StructReader>(
    index: number,
    type: StructReaderClass<T>,
    defaultValue?: StructList<T>,
  ): StructList<T> {
    const s = this._list(index, ElementSize.INLINE_COMPOSITE);
    return s === null && defaultValue !== undefined
      ? defaultValue
      : new StructList(this._arena, s, this._nesting - 1, type);
  }

  getTextList(index: number, defaultValue?: TextList): TextList {
    const s = this._list(index, ElementSize.POINTER);
    return s === null && defaultValue !== undefined
      ? defaultValue
      : new TextList(this._arena, s, this._nesting - 1);
  }

  getDataList(index: number, defaultValue?: DataList): DataList {
    const s = this._list(index, ElementSize.POINTER);
    return s === null && defaultValue !== undefined
      ? defaultValue
      : new DataList(this._arena, s, this._nesting - 1);
  }

  /** A list of lists (or other pointers): each element read by `readElement` (see `nestedList`). */
  getPointerList<E>(
    index: number,
    readElement: (arena: Arena, segment: Segment, pointerWord: number, nesting: number) => E,
    defaultValue?: PointerList<E>,
  ): PointerList<E> {
    const s = this._list(index, ElementSize.POINTER);
    return s === null && defaultValue !== undefined
      ? defaultValue
      : new PointerList(this._arena, s, this._nesting - 1, readElement);
  }

  getCapabilityList(index: number): CapabilityList {
    return new CapabilityList(this._arena, this._list(index, ElementSize.POINTER), this._nesting - 1);
  }

  /** Any list, viewed through `factory` (used for generic code such as canonicalisation and copying). */
  getList<L>(index: number, expected: ElementSize, factory: ListFactory<L>): L {
    return factory(this._arena, this._list(index, expected), this._nesting - 1);
  }

  /** An AnyPointer field: read it as a struct, list, text, data or capability as the caller decides. */
  getAnyPointer(index: number): AnyPointerReader {
    return new AnyPointerReader(this._arena, this._segment, this._pointerWord(index), this._nesting);
  }

  /** The capability at pointer `index`: the entry of the message's capability table, or null. */
  getCapability(index: number): unknown {
    const word = this._pointerWord(index);
    return word < 0 ? null : readCapabilityAt(this._arena, this._segment, word);
  }

  private _list(index: number, expected: ElementSize) {
    const word = this._pointerWord(index);
    if (word < 0) return null;
    if (this._nesting <= 0 && this.hasPointer(index)) throw nestingError();
    return locateList(this._arena, this._segment, word, expected);
  }
}

const EMPTY = new Uint8Array(0);

const floatBits = new DataView(new ArrayBuffer(8));
export function bitsToFloat32(bits: number): number {
  floatBits.setUint32(0, bits, true);
  return floatBits.getFloat32(0, true);
}
export function bitsToFloat64(bits: bigint): number {
  floatBits.setBigUint64(0, bits, true);
  return floatBits.getFloat64(0, true);
}

/** A struct with no sections: every field reads as its default. */
export function emptyStruct<T extends StructReader>(arena: Arena, type: StructReaderClass<T>): T {
  return new type(arena, arena.segments[0] as Segment, 0, 0, 0, 0, 0);
}

/**
 * Follows the struct pointer at `pointerWord` (null pointer: null), checking its kind and extent and
 * charging its words to the traversal budget.
 */
export function readStructAt<T extends StructReader>(
  arena: Arena,
  segment: Segment,
  pointerWord: number,
  nesting: number,
  type: StructReaderClass<T>,
): T | null {
  if (!arena.follow(segment, pointerWord)) return null;
  const t = arena.target;
  if ((t.lo & 3) !== PointerKind.STRUCT) {
    throw new CapnpError(
      'TYPE_MISMATCH',
      (t.lo & 3) === PointerKind.LIST
        ? 'expected a struct, found a list'
        : 'expected a struct, found a capability',
    );
  }
  const dataWords = t.hi & 0xffff;
  const pointerCount = t.hi >>> 16;
  const words = dataWords + pointerCount;
  if (t.word < 0 || t.word + words > t.segment.used) throw outside('struct', t.segment, t.word, words);
  arena.charge(words);
  const data = t.word * 8;
  return new type(arena, t.segment, data, dataWords * 8, data + dataWords * 8, pointerCount, nesting);
}

/** Reads the Text at `pointerWord`: a byte list ending in NUL (the NUL is not part of the string). */
export function readTextAt(
  arena: Arena,
  segment: Segment,
  pointerWord: number,
  defaultValue: string,
): string {
  const s = locateList(arena, segment, pointerWord, ElementSize.BYTE);
  if (s === null) return defaultValue;
  if (s.elementSize !== ElementSize.BYTE) {
    throw new CapnpError('TYPE_MISMATCH', 'expected Text, found a list that is not a list of bytes');
  }
  if (s.length === 0 || s.segment.bytes[s.start + s.length - 1] !== 0) {
    throw new CapnpError('BAD_TEXT', 'a Text value is not NUL-terminated');
  }
  return decodeUtf8(s.segment.bytes, s.start, s.length - 1);
}

/** Reads the Data at `pointerWord`: a view of its bytes. */
export function readDataAt(
  arena: Arena,
  segment: Segment,
  pointerWord: number,
  defaultValue: Uint8Array,
): Uint8Array {
  const s = locateList(arena, segment, pointerWord, ElementSize.BYTE);
  if (s === null) return defaultValue;
  if (s.elementSize !== ElementSize.BYTE) {
    throw new CapnpError('TYPE_MISMATCH', 'expected Data, found a list that is not a list of bytes');
  }
  return s.segment.bytes.subarray(s.start, s.start + s.length);
}

/** Reads the capability pointer at `pointerWord`: its capability-table entry, or null. */
export function readCapabilityAt(arena: Arena, segment: Segment, pointerWord: number): unknown {
  const view = segment.view;
  const lo = view.getUint32(pointerWord * 8, true);
  const hi = view.getUint32(pointerWord * 8 + 4, true);
  if (lo === 0 && hi === 0) return null;
  if (lo !== PointerKind.OTHER) {
    throw new CapnpError('TYPE_MISMATCH', 'expected a capability, found a struct, list or far pointer');
  }
  const cap = arena.capTable[hi];
  if (cap === undefined) {
    throw new CapnpError(
      'OUT_OF_BOUNDS',
      `capability index ${hi} is outside the message's capability table (${arena.capTable.length})`,
    );
  }
  return cap;
}
