/**
 * Lists read in place. `locateList` checks a list pointer (bounds, traversal budget, whether its element
 * encoding can be read as the element type the schema expects) and the typed lists below view its
 * elements: primitives, structs, Text, Data, nested lists and capabilities.
 *
 * Schema evolution lets a list be read as another element type than it was written with, within the
 * rules of the encoding specification: a list of structs whose first field is a primitive can be read as
 * a list of that primitive, and a primitive or pointer list can be read as a list of structs whose
 * first field it is. Bit lists can be read only as bit lists.
 */
import { type Arena, PointerKind, outside } from '../arena';
import { ELEMENT_BITS, ELEMENT_SIZE_NAMES, ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import { type Primitive, type PrimitiveValue, readPrimitive } from '../primitive';
import type { Segment } from '../segment';
import {
  type StructReader,
  type StructReaderClass,
  readCapabilityAt,
  readDataAt,
  readTextAt,
} from './struct-reader';

/** What `locateList` found: where the elements are and how each is laid out. */
export interface ListShape {
  segment: Segment;
  /** Byte offset of element 0 in the segment. */
  start: number;
  length: number;
  /** Bits from one element to the next. */
  stepBits: number;
  /** Data bits of each element (for a composite list, its data section). */
  dataBits: number;
  /** Pointers of each element. */
  pointerCount: number;
  elementSize: ElementSize;
}

const shape: ListShape = {
  segment: null as unknown as Segment,
  start: 0,
  length: 0,
  stepBits: 0,
  dataBits: 0,
  pointerCount: 0,
  elementSize: ElementSize.VOID,
};

/**
 * Follows the list pointer at `pointerWord` of `segment` and checks it can be read as a list of the
 * `expected` element size (VOID: any list). Returns null for a null pointer, else a shared shape object
 * that is valid until the next call.
 */
export function locateList(
  arena: Arena,
  segment: Segment,
  pointerWord: number,
  expected: ElementSize,
): ListShape | null {
  if (!arena.follow(segment, pointerWord)) return null;
  const t = arena.target;
  if ((t.lo & 3) !== PointerKind.LIST) {
    throw new CapnpError(
      'TYPE_MISMATCH',
      (t.lo & 3) === PointerKind.STRUCT
        ? 'expected a list, found a struct'
        : 'expected a list, found a capability',
    );
  }
  const size = (t.hi & 7) as ElementSize;
  const count = t.hi >>> 3;
  const seg = t.segment;
  shape.segment = seg;
  shape.elementSize = size;
  if (size === ElementSize.INLINE_COMPOSITE) {
    const tagWord = t.word;
    if (tagWord < 0 || tagWord + 1 + count > seg.used)
      throw outside('composite list', seg, tagWord, count + 1);
    const tlo = seg.view.getUint32(tagWord * 8, true);
    const thi = seg.view.getUint32(tagWord * 8 + 4, true);
    if ((tlo & 3) !== PointerKind.STRUCT) {
      throw new CapnpError('BAD_POINTER', 'the tag word of a composite list is not in struct-pointer format');
    }
    const length = tlo >>> 2;
    const dataWords = thi & 0xffff;
    const pointerCount = thi >>> 16;
    const wordsPerElement = dataWords + pointerCount;
    if (length * wordsPerElement > count) {
      throw new CapnpError(
        'OUT_OF_BOUNDS',
        `a composite list of ${length} elements of ${wordsPerElement} words does not fit its ${count} words`,
      );
    }
    // Zero-sized elements still cost one word each, so a short message cannot describe a huge list for free.
    arena.charge(wordsPerElement === 0 ? length + 1 : count + 1);
    shape.start = (tagWord + 1) * 8;
    shape.length = length;
    shape.stepBits = wordsPerElement * 64;
    shape.dataBits = dataWords * 64;
    shape.pointerCount = pointerCount;
    if (expected === ElementSize.BIT) {
      throw new CapnpError('TYPE_MISMATCH', 'expected a list of booleans, found a list of structs');
    }
    if (expected === ElementSize.POINTER && pointerCount === 0) {
      throw new CapnpError('TYPE_MISMATCH', 'expected a list of pointers, found structs without pointers');
    }
    if (
      expected >= ElementSize.BYTE &&
      expected <= ElementSize.EIGHT_BYTES &&
      shape.dataBits < (ELEMENT_BITS[expected] as number)
    ) {
      throw new CapnpError(
        'TYPE_MISMATCH',
        'expected a list of primitives, found structs with a smaller data section',
      );
    }
    return shape;
  }
  const step = ELEMENT_BITS[size] as number;
  const words = Math.ceil((count * step) / 64);
  if (t.word < 0 || t.word + words > seg.used) throw outside('list', seg, t.word, words);
  arena.charge(size === ElementSize.VOID ? count : words);
  shape.start = t.word * 8;
  shape.length = count;
  shape.stepBits = step;
  shape.dataBits = size === ElementSize.POINTER ? 0 : step;
  shape.pointerCount = size === ElementSize.POINTER ? 1 : 0;
  if (expected !== ElementSize.VOID && expected !== size) {
    const ok =
      expected === ElementSize.INLINE_COMPOSITE
        ? size !== ElementSize.BIT
        : expected === ElementSize.POINTER
          ? false
          : expected !== ElementSize.BIT &&
            size !== ElementSize.BIT &&
            size !== ElementSize.POINTER &&
            shape.dataBits >= (ELEMENT_BITS[expected] as number);
    if (!ok) {
      throw new CapnpError(
        'TYPE_MISMATCH',
        `expected a list of ${ELEMENT_SIZE_NAMES[expected]} elements, found a list of ${ELEMENT_SIZE_NAMES[size]} elements`,
      );
    }
  }
  return shape;
}

/** The fields every list reader has; element access is in the subclasses. */
export abstract class ListReader<T> implements Iterable<T> {
  readonly segment: Segment;
  readonly start: number;
  readonly length: number;
  readonly stepBits: number;
  readonly dataBits: number;
  readonly pointerCount: number;
  /** How the elements are encoded (which may differ from the schema's element type, within the evolution rules). */
  readonly elementSize: ElementSize;
  constructor(
    readonly arena: Arena,
    s: ListShape | null,
    /** Nesting depth left for what the elements point to. */
    readonly nesting: number,
  ) {
    if (s === null) {
      this.segment = arena.segments[0] as Segment;
      this.start = 0;
      this.length = 0;
      this.stepBits = 0;
      this.dataBits = 0;
      this.pointerCount = 0;
      this.elementSize = ElementSize.VOID;
    } else {
      this.segment = s.segment;
      this.start = s.start;
      this.length = s.length;
      this.stepBits = s.stepBits;
      this.dataBits = s.dataBits;
      this.pointerCount = s.pointerCount;
      this.elementSize = s.elementSize;
    }
  }

  abstract get(index: number): T;

  protected check(index: number): void {
    if (!(index >= 0 && index < this.length && Number.isInteger(index))) {
      throw new CapnpError('INVALID_ARGUMENT', `index ${index} is outside a list of ${this.length} elements`);
    }
  }

  /** Word index of the first pointer of element `index`. */
  protected pointerWord(index: number): number {
    return Math.floor((this.start + index * (this.stepBits >>> 3) + (this.dataBits >>> 3)) / 8);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  toArray(): T[] {
    const out: T[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return out;
  }
}

/** A list of one primitive type (Void, Bool, integers, floats; enums are UInt16). */
export class PrimitiveList<P extends Primitive> extends ListReader<PrimitiveValue<P>> {
  constructor(
    arena: Arena,
    s: ListShape | null,
    nesting: number,
    readonly kind: P,
  ) {
    super(arena, s, nesting);
  }

  get(index: number): PrimitiveValue<P> {
    this.check(index);
    // A list of structs read as primitives reads each struct's first field (locateList checked it is wide
    // enough).
    const bits = index * this.stepBits;
    return readPrimitive(
      this.segment.view,
      this.kind,
      this.start + Math.floor(bits / 8),
      bits & 7,
    ) as PrimitiveValue<P>;
  }
}

/** A list of structs; each element is read as `type`. */
export class StructList<T extends StructReader> extends ListReader<T> {
  constructor(
    arena: Arena,
    s: ListShape | null,
    nesting: number,
    readonly type: StructReaderClass<T>,
  ) {
    super(arena, s, nesting);
  }

  get(index: number): T {
    this.check(index);
    const data = this.start + index * (this.stepBits >>> 3);
    const dataBytes = this.dataBits >>> 3;
    return new this.type(
      this.arena,
      this.segment,
      data,
      dataBytes,
      data + dataBytes,
      this.pointerCount,
      this.nesting,
    );
  }
}

/** A list of Text. */
export class TextList extends ListReader<string> {
  get(index: number): string {
    this.check(index);
    return readTextAt(this.arena, this.segment, this.pointerWord(index), '');
  }
}

/** A list of Data; elements are views of the message, not copies. */
export class DataList extends ListReader<Uint8Array> {
  get(index: number): Uint8Array {
    this.check(index);
    return readDataAt(this.arena, this.segment, this.pointerWord(index), EMPTY_BYTES);
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** How a nested list's elements are read: one of the typed list constructors, bound to its element type. */
export type ListFactory<L> = (arena: Arena, s: ListShape | null, nesting: number) => L;

/** A list of lists (or of any pointer type read through `readElement`). */
export class PointerList<E> extends ListReader<E> {
  constructor(
    arena: Arena,
    s: ListShape | null,
    nesting: number,
    readonly readElement: (arena: Arena, segment: Segment, pointerWord: number, nesting: number) => E,
  ) {
    super(arena, s, nesting);
  }

  get(index: number): E {
    this.check(index);
    return this.readElement(this.arena, this.segment, this.pointerWord(index), this.nesting);
  }
}

/** Reads a nested list element with `factory`, checking its element size and the nesting limit. */
export function nestedList<L>(expected: ElementSize, factory: ListFactory<L>) {
  return (arena: Arena, segment: Segment, pointerWord: number, nesting: number): L => {
    const s = locateList(arena, segment, pointerWord, expected);
    if (s !== null && nesting <= 0) throw nestingError();
    return factory(arena, s, nesting - 1);
  };
}

/** A list of capabilities (List(SomeInterface)): each element is an entry of the message's capability table. */
export class CapabilityList extends ListReader<unknown> {
  get(index: number): unknown {
    this.check(index);
    return readCapabilityAt(this.arena, this.segment, this.pointerWord(index));
  }
}

export function nestingError(): CapnpError {
  return new CapnpError('NESTING_LIMIT', "pointers nest deeper than the reader's nesting limit");
}
