/**
 * A struct being built: the reader's getters, plus setters for data fields and pointer fields. Offsets
 * are the schema compiler's, as for the reader; setters of fields with a non-zero default take the
 * default's bit pattern as `mask` (the encoding stores value XOR default).
 */
import { ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import { PRIMITIVE_ELEMENT_SIZE, type Primitive } from '../primitive';
import type { ListShape } from '../reader/list-reader';
import type { AnyPointerReader } from '../reader/any-pointer';
import { StructReader, type StructReaderClass } from '../reader/struct-reader';
import { copyAnyPointer, copyPointer } from './copy';
import {
  DataListBuilder,
  PointerListBuilder,
  PrimitiveListBuilder,
  StructListBuilder,
  TextListBuilder,
} from './list-builder';
import type { MessageBuilder } from './message-builder';
import {
  initListAt,
  initStructAt,
  initStructSizedAt,
  setCapabilityAt,
  setDataAt,
  setTextAt,
  structBuilderAt,
  zeroPointerAt,
} from './pointers';

/** A struct builder class: its constructor and the struct size the schema compiler computed. */
export interface StructBuilderClass<T extends StructBuilder> extends StructReaderClass<T> {
  readonly dataWords: number;
  readonly pointerCount: number;
}

const floatBits = new DataView(new ArrayBuffer(8));

export class StructBuilder extends StructReader {
  /** Size of an untyped struct; generated builder classes declare their own. */
  static readonly dataWords: number = 0;
  static readonly pointerCount: number = 0;

  /** An untyped builder class for structs of the given size (for code that works without a schema). */
  static sized(dataWords: number, pointerCount: number): StructBuilderClass<StructBuilder> {
    return class extends StructBuilder {
      static override readonly dataWords = dataWords;
      static override readonly pointerCount = pointerCount;
    };
  }

  protected get _builder(): MessageBuilder {
    return this._arena as MessageBuilder;
  }

  /** Byte offset in the segment of the field at `offset` (in units of its `size` in bytes), checked. */
  private _at(offset: number, size: number): number {
    const byteOffset = offset * size;
    if (!(Number.isInteger(offset) && offset >= 0 && byteOffset + size <= this._dataBytes)) {
      throw new CapnpError(
        'INVALID_ARGUMENT',
        `a ${size}-byte field at offset ${offset} does not fit this struct's ${this._dataBytes}-byte data section`,
      );
    }
    return this._data + byteOffset;
  }

  setBool(bitOffset: number, value: boolean): void {
    if (!Number.isInteger(bitOffset)) this._at(-1, 1);
    const at = this._at(bitOffset >>> 3, 1);
    const view = this._segment.view;
    const bit = 1 << (bitOffset & 7);
    view.setUint8(at, value ? view.getUint8(at) | bit : view.getUint8(at) & ~bit);
  }
  setInt8(offset: number, value: number): void {
    this._segment.view.setInt8(this._at(offset, 1), value);
  }
  setUint8(offset: number, value: number): void {
    this._segment.view.setUint8(this._at(offset, 1), value);
  }
  setInt16(offset: number, value: number): void {
    this._segment.view.setInt16(this._at(offset, 2), value, true);
  }
  setUint16(offset: number, value: number): void {
    this._segment.view.setUint16(this._at(offset, 2), value, true);
  }
  setInt32(offset: number, value: number): void {
    this._segment.view.setInt32(this._at(offset, 4), value, true);
  }
  setUint32(offset: number, value: number): void {
    this._segment.view.setUint32(this._at(offset, 4), value, true);
  }
  setInt64(offset: number, value: bigint): void {
    this._segment.view.setBigInt64(this._at(offset, 8), BigInt.asIntN(64, value), true);
  }
  setUint64(offset: number, value: bigint): void {
    this._segment.view.setBigUint64(this._at(offset, 8), BigInt.asUintN(64, value), true);
  }
  setFloat32(offset: number, value: number, mask = 0): void {
    const at = this._at(offset, 4);
    if (mask === 0) this._segment.view.setFloat32(at, value, true);
    else {
      floatBits.setFloat32(0, value, true);
      this._segment.view.setUint32(at, (floatBits.getUint32(0, true) ^ mask) >>> 0, true);
    }
  }
  setFloat64(offset: number, value: number, mask = 0n): void {
    const at = this._at(offset, 8);
    if (mask === 0n) this._segment.view.setFloat64(at, value, true);
    else {
      floatBits.setFloat64(0, value, true);
      this._segment.view.setBigUint64(at, floatBits.getBigUint64(0, true) ^ mask, true);
    }
  }

  /** Word index of pointer `index`; an index past the pointer section is a programming error. */
  private _slot(index: number): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this._pointerCount)) {
      throw new CapnpError(
        'INVALID_ARGUMENT',
        `pointer ${index} is outside this struct's ${this._pointerCount} pointers`,
      );
    }
    return (this._pointers >>> 3) + index;
  }

  /** Replaces pointer `index` with a new struct of `type` and returns its builder. */
  initStruct<T extends StructBuilder>(index: number, type: StructBuilderClass<T>): T {
    return initStructAt(this._builder, this._segment, this._slot(index), type);
  }

  /** A new struct of the given size at pointer `index`, without a schema. */
  initStructSized(index: number, dataWords: number, pointerCount: number): StructBuilder {
    return initStructSizedAt(
      this._builder,
      this._segment,
      this._slot(index),
      StructBuilder,
      dataWords,
      pointerCount,
    );
  }

  /** The struct at pointer `index` as a builder (created if null, enlarged if written by an older schema). */
  getStructBuilder<T extends StructBuilder>(index: number, type: StructBuilderClass<T>): T {
    return structBuilderAt(this._builder, this._segment, this._slot(index), type, this._nesting);
  }

  setText(index: number, value: string): void {
    setTextAt(this._builder, this._segment, this._slot(index), value);
  }

  setData(index: number, value: Uint8Array): void {
    setDataAt(this._builder, this._segment, this._slot(index), value);
  }

  /** Puts a capability in the message's capability table and points pointer `index` at it (null clears). */
  setCapability(index: number, capability: unknown): void {
    setCapabilityAt(this._builder, this._segment, this._slot(index), capability);
  }

  /** Makes pointer `index` a deep copy of `value` (a struct or list reader from any message, or null). */
  setPointer(index: number, value: StructReader | null): void {
    const word = this._slot(index);
    zeroPointerAt(this._builder, this._segment, word);
    if (value !== null) copyPointer(this._builder, this._segment, word, value);
  }

  /** Makes pointer `index` a deep copy of what an AnyPointer points to (struct, list, capability or null). */
  setAnyPointer(index: number, value: AnyPointerReader): void {
    const word = this._slot(index);
    zeroPointerAt(this._builder, this._segment, word);
    copyAnyPointer(this._builder, this._segment, word, value);
  }

  /** Clears pointer `index`, zeroing what it pointed to. */
  clearPointer(index: number): void {
    zeroPointerAt(this._builder, this._segment, this._slot(index));
  }

  initPrimitiveList<P extends Primitive>(index: number, kind: P, length: number): PrimitiveListBuilder<P> {
    const s = this._initList(index, PRIMITIVE_ELEMENT_SIZE[kind] as ElementSize, length);
    return new PrimitiveListBuilder(this._builder, s, this._nesting, kind);
  }

  initStructList<T extends StructBuilder>(
    index: number,
    type: StructBuilderClass<T>,
    length: number,
  ): StructListBuilder<T> {
    const s = this._initList(index, ElementSize.INLINE_COMPOSITE, length, type.dataWords, type.pointerCount);
    return new StructListBuilder(this._builder, s, this._nesting, type);
  }

  initTextList(index: number, length: number): TextListBuilder {
    return new TextListBuilder(
      this._builder,
      this._initList(index, ElementSize.POINTER, length),
      this._nesting,
    );
  }

  initDataList(index: number, length: number): DataListBuilder {
    return new DataListBuilder(
      this._builder,
      this._initList(index, ElementSize.POINTER, length),
      this._nesting,
    );
  }

  /** A list of pointers (nested lists, capabilities, structs by pointer): see `PointerListBuilder`. */
  initPointerList(index: number, length: number): PointerListBuilder {
    return new PointerListBuilder(
      this._builder,
      this._initList(index, ElementSize.POINTER, length),
      this._nesting,
    );
  }

  private _initList(
    index: number,
    size: ElementSize,
    length: number,
    dataWords = 0,
    pointerCount = 0,
  ): ListShape {
    return initListAt(this._builder, this._segment, this._slot(index), size, length, dataWords, pointerCount);
  }
}
