/** Lists being built: the typed list readers plus element setters. */
import { ElementSize } from '../element-size';
import { type Primitive, type PrimitiveValue, PRIMITIVE_ELEMENT_SIZE, writePrimitive } from '../primitive';
import { DataList, ListReader, PrimitiveList, StructList, TextList } from '../reader/list-reader';
import type { StructReader } from '../reader/struct-reader';
import { copyPointer } from './copy';
import type { MessageBuilder } from './message-builder';
import { initListAt, initStructAt, setCapabilityAt, setDataAt, setTextAt, zeroPointerAt } from './pointers';
import type { StructBuilder, StructBuilderClass } from './struct-builder';

export class PrimitiveListBuilder<P extends Primitive> extends PrimitiveList<P> {
  set(index: number, value: PrimitiveValue<P>): void {
    this.check(index);
    const bits = index * this.stepBits;
    writePrimitive(this.segment.view, this.kind, this.start + Math.floor(bits / 8), bits & 7, value);
  }
}

/** A list of structs; `get(i)` returns a builder of element i. */
export class StructListBuilder<T extends StructBuilder> extends StructList<T> {}

export class TextListBuilder extends TextList {
  set(index: number, value: string): void {
    this.check(index);
    setTextAt(this.arena as MessageBuilder, this.segment, this.pointerWord(index), value);
  }
}

export class DataListBuilder extends DataList {
  set(index: number, value: Uint8Array): void {
    this.check(index);
    setDataAt(this.arena as MessageBuilder, this.segment, this.pointerWord(index), value);
  }
}

/** A list of pointers whose elements are set one kind at a time: nested lists, structs, capabilities. */
export class PointerListBuilder extends ListReader<number> {
  /** The word index of element `index`'s pointer (for the low-level functions). */
  get(index: number): number {
    this.check(index);
    return this.pointerWord(index);
  }

  private get b(): MessageBuilder {
    return this.arena as MessageBuilder;
  }

  setText(index: number, value: string): void {
    setTextAt(this.b, this.segment, this.get(index), value);
  }
  setData(index: number, value: Uint8Array): void {
    setDataAt(this.b, this.segment, this.get(index), value);
  }
  setCapability(index: number, capability: unknown): void {
    setCapabilityAt(this.b, this.segment, this.get(index), capability);
  }
  initStruct<T extends StructBuilder>(index: number, type: StructBuilderClass<T>): T {
    return initStructAt(this.b, this.segment, this.get(index), type);
  }
  initPrimitiveList<Q extends Primitive>(index: number, kind: Q, length: number): PrimitiveListBuilder<Q> {
    const s = initListAt(
      this.b,
      this.segment,
      this.get(index),
      PRIMITIVE_ELEMENT_SIZE[kind] as ElementSize,
      length,
    );
    return new PrimitiveListBuilder(this.b, s, this.nesting, kind);
  }
  initStructList<T extends StructBuilder>(
    index: number,
    type: StructBuilderClass<T>,
    length: number,
  ): StructListBuilder<T> {
    const s = initListAt(
      this.b,
      this.segment,
      this.get(index),
      ElementSize.INLINE_COMPOSITE,
      length,
      type.dataWords,
      type.pointerCount,
    );
    return new StructListBuilder(this.b, s, this.nesting, type);
  }
  initTextList(index: number, length: number): TextListBuilder {
    return new TextListBuilder(
      this.b,
      initListAt(this.b, this.segment, this.get(index), ElementSize.POINTER, length),
      this.nesting,
    );
  }
  initDataList(index: number, length: number): DataListBuilder {
    return new DataListBuilder(
      this.b,
      initListAt(this.b, this.segment, this.get(index), ElementSize.POINTER, length),
      this.nesting,
    );
  }
  initPointerList(index: number, length: number): PointerListBuilder {
    return new PointerListBuilder(
      this.b,
      initListAt(this.b, this.segment, this.get(index), ElementSize.POINTER, length),
      this.nesting,
    );
  }
  /** Element `index` becomes a deep copy of `value`. */
  setPointer(index: number, value: StructReader | null): void {
    const word = this.get(index);
    zeroPointerAt(this.b, this.segment, word);
    if (value !== null) copyPointer(this.b, this.segment, word, value);
  }
}
