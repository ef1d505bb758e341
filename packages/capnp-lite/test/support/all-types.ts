/**
 * The AllTypes struct of test/schemas/all-types.capnp as plain JavaScript values, written with the
 * untyped builder, read back with the untyped reader, and rendered as the tool's text. The offsets are
 * those `capnp compile -ocapnp test/schemas/all-types.capnp` prints for each field.
 */
import {
  ElementSize,
  MessageBuilder,
  type BuilderOptions,
  Primitive,
  PrimitiveList,
  StructBuilder,
  StructReader,
  nestedList,
} from '../../src/index';
import {
  type Printed,
  atom,
  dataLiteral,
  formatExact,
  formatFloat32,
  formatFloat64,
  list,
  prettyPrint,
  struct,
  textLiteral,
} from './text-render';

export interface Inner {
  id: number;
  label: string | null;
}

/** Every field of AllTypes; null is a null pointer, `voidList` is the length of the List(Void). */
export interface AllTypes {
  boolField: boolean;
  int8Field: number;
  int16Field: number;
  int32Field: number;
  int64Field: bigint;
  uint8Field: number;
  uint16Field: number;
  uint32Field: number;
  uint64Field: bigint;
  float32Field: number;
  float64Field: number;
  textField: string | null;
  dataField: Uint8Array | null;
  structField: Inner | null;
  enumField: number;
  voidList: number | null;
  boolList: boolean[] | null;
  int8List: number[] | null;
  int16List: number[] | null;
  int32List: number[] | null;
  int64List: bigint[] | null;
  uint8List: number[] | null;
  uint16List: number[] | null;
  uint32List: number[] | null;
  uint64List: bigint[] | null;
  float32List: number[] | null;
  float64List: number[] | null;
  textList: string[] | null;
  dataList: Uint8Array[] | null;
  structList: Inner[] | null;
  enumList: number[] | null;
  listList: number[][] | null;
  self: AllTypes | null;
}

/** An AllTypes with every field at its default (zero, null). */
export function emptyAllTypes(): AllTypes {
  return {
    boolField: false,
    int8Field: 0,
    int16Field: 0,
    int32Field: 0,
    int64Field: 0n,
    uint8Field: 0,
    uint16Field: 0,
    uint32Field: 0,
    uint64Field: 0n,
    float32Field: 0,
    float64Field: 0,
    textField: null,
    dataField: null,
    structField: null,
    enumField: 0,
    voidList: null,
    boolList: null,
    int8List: null,
    int16List: null,
    int32List: null,
    int64List: null,
    uint8List: null,
    uint16List: null,
    uint32List: null,
    uint64List: null,
    float32List: null,
    float64List: null,
    textList: null,
    dataList: null,
    structList: null,
    enumList: null,
    listList: null,
    self: null,
  };
}

/** Struct sizes: AllTypes is 48 bytes and 21 pointers, Inner 8 bytes and 1 pointer. */
export const AllTypesStruct = StructBuilder.sized(6, 21);
export const InnerStruct = StructBuilder.sized(1, 1);

/** Field offsets, in units of the field's size (bits for Bool), and pointer indices. */
export const F = {
  bool: 0,
  int8: 1,
  int16: 1,
  int32: 1,
  int64: 1,
  uint8: 16,
  uint16: 9,
  uint32: 5,
  uint64: 3,
  float32: 8,
  float64: 5,
  enum: 18,
  text: 0,
  data: 1,
  struct: 2,
  voidList: 3,
  boolList: 4,
  int8List: 5,
  int16List: 6,
  int32List: 7,
  int64List: 8,
  uint8List: 9,
  uint16List: 10,
  uint32List: 11,
  uint64List: 12,
  float32List: 13,
  float64List: 14,
  textList: 15,
  dataList: 16,
  structList: 17,
  enumList: 18,
  listList: 19,
  self: 20,
} as const;

export const COLORS = ['red', 'green', 'blue'] as const;

function writeInner(b: StructBuilder, v: Inner): void {
  b.setUint32(0, v.id);
  if (v.label !== null) b.setText(0, v.label);
}

/**
 * Writes `v` into `b`. Pointer fields are written in order and each object is finished before the next
 * begins, so the objects lie in pre-order: the layout the reference implementation's copy produces,
 * which lets the packed bytes of both be compared.
 */
export function writeAllTypes(b: StructBuilder, v: AllTypes): void {
  b.setBool(F.bool, v.boolField);
  b.setInt8(F.int8, v.int8Field);
  b.setInt16(F.int16, v.int16Field);
  b.setInt32(F.int32, v.int32Field);
  b.setInt64(F.int64, v.int64Field);
  b.setUint8(F.uint8, v.uint8Field);
  b.setUint16(F.uint16, v.uint16Field);
  b.setUint32(F.uint32, v.uint32Field);
  b.setUint64(F.uint64, v.uint64Field);
  b.setFloat32(F.float32, v.float32Field);
  b.setFloat64(F.float64, v.float64Field);
  b.setUint16(F.enum, v.enumField);

  if (v.textField !== null) b.setText(F.text, v.textField);
  if (v.dataField !== null) b.setData(F.data, v.dataField);
  if (v.structField !== null) writeInner(b.initStruct(F.struct, InnerStruct), v.structField);
  if (v.voidList !== null) b.initPrimitiveList(F.voidList, Primitive.VOID, v.voidList);
  const primitives = <P extends Primitive>(index: number, kind: P, values: readonly unknown[] | null) => {
    if (values === null) return;
    const l = b.initPrimitiveList(index, kind, values.length);
    for (const [i, x] of values.entries()) l.set(i, x as never);
  };
  primitives(F.boolList, Primitive.BOOL, v.boolList);
  primitives(F.int8List, Primitive.INT8, v.int8List);
  primitives(F.int16List, Primitive.INT16, v.int16List);
  primitives(F.int32List, Primitive.INT32, v.int32List);
  primitives(F.int64List, Primitive.INT64, v.int64List);
  primitives(F.uint8List, Primitive.UINT8, v.uint8List);
  primitives(F.uint16List, Primitive.UINT16, v.uint16List);
  primitives(F.uint32List, Primitive.UINT32, v.uint32List);
  primitives(F.uint64List, Primitive.UINT64, v.uint64List);
  primitives(F.float32List, Primitive.FLOAT32, v.float32List);
  primitives(F.float64List, Primitive.FLOAT64, v.float64List);
  if (v.textList !== null) {
    const l = b.initTextList(F.textList, v.textList.length);
    for (const [i, s] of v.textList.entries()) l.set(i, s);
  }
  if (v.dataList !== null) {
    const l = b.initDataList(F.dataList, v.dataList.length);
    for (const [i, d] of v.dataList.entries()) l.set(i, d);
  }
  if (v.structList !== null) {
    const l = b.initStructList(F.structList, InnerStruct, v.structList.length);
    for (const [i, s] of v.structList.entries()) writeInner(l.get(i), s);
  }
  primitives(F.enumList, Primitive.UINT16, v.enumList);
  if (v.listList !== null) {
    const outer = b.initPointerList(F.listList, v.listList.length);
    for (const [i, values] of v.listList.entries()) {
      const l = outer.initPrimitiveList(i, Primitive.INT32, values.length);
      for (const [j, x] of values.entries()) l.set(j, x);
    }
  }
  if (v.self !== null) writeAllTypes(b.initStruct(F.self, AllTypesStruct), v.self);
}

/** A new message whose root is `v`. */
export function buildAllTypes(v: AllTypes, options?: BuilderOptions): MessageBuilder {
  const m = new MessageBuilder(options);
  writeAllTypes(m.initRoot(AllTypesStruct), v);
  return m;
}

function readInner(r: StructReader): Inner {
  return { id: r.getUint32(0), label: r.hasPointer(0) ? r.getText(0) : null };
}

const int32Lists = nestedList(
  ElementSize.FOUR_BYTES,
  (arena, s, nesting) => new PrimitiveList(arena, s, nesting, Primitive.INT32),
);

/** Reads every field of an AllTypes, telling null pointers from empty objects. */
export function readAllTypes(r: StructReader): AllTypes {
  const has = (index: number) => r.hasPointer(index);
  const primitives = <P extends Primitive>(index: number, kind: P) =>
    has(index) ? r.getPrimitiveList(index, kind).toArray() : null;
  return {
    boolField: r.getBool(F.bool),
    int8Field: r.getInt8(F.int8),
    int16Field: r.getInt16(F.int16),
    int32Field: r.getInt32(F.int32),
    int64Field: r.getInt64(F.int64),
    uint8Field: r.getUint8(F.uint8),
    uint16Field: r.getUint16(F.uint16),
    uint32Field: r.getUint32(F.uint32),
    uint64Field: r.getUint64(F.uint64),
    float32Field: r.getFloat32(F.float32),
    float64Field: r.getFloat64(F.float64),
    textField: has(F.text) ? r.getText(F.text) : null,
    // Copies into plain Uint8Arrays (a view of a Buffer would be a Buffer), so values compare equal
    // whatever buffer the message was read from.
    dataField: has(F.data) ? Uint8Array.from(r.getData(F.data)) : null,
    structField: has(F.struct) ? readInner(r.getStruct(F.struct, StructReader)) : null,
    enumField: r.getUint16(F.enum),
    voidList: has(F.voidList) ? r.getPrimitiveList(F.voidList, Primitive.VOID).length : null,
    boolList: primitives(F.boolList, Primitive.BOOL),
    int8List: primitives(F.int8List, Primitive.INT8),
    int16List: primitives(F.int16List, Primitive.INT16),
    int32List: primitives(F.int32List, Primitive.INT32),
    int64List: primitives(F.int64List, Primitive.INT64),
    uint8List: primitives(F.uint8List, Primitive.UINT8),
    uint16List: primitives(F.uint16List, Primitive.UINT16),
    uint32List: primitives(F.uint32List, Primitive.UINT32),
    uint64List: primitives(F.uint64List, Primitive.UINT64),
    float32List: primitives(F.float32List, Primitive.FLOAT32),
    float64List: primitives(F.float64List, Primitive.FLOAT64),
    textList: has(F.textList) ? r.getTextList(F.textList).toArray() : null,
    dataList: has(F.dataList)
      ? r
          .getDataList(F.dataList)
          .toArray()
          .map((d) => Uint8Array.from(d))
      : null,
    structList: has(F.structList)
      ? r.getStructList(F.structList, StructReader).toArray().map(readInner)
      : null,
    enumList: primitives(F.enumList, Primitive.UINT16),
    listList: has(F.listList)
      ? r
          .getPointerList(F.listList, int32Lists)
          .toArray()
          .map((l) => l.toArray())
      : null,
    self: has(F.self) ? readAllTypes(r.getStruct(F.self, StructReader)) : null,
  };
}

// The tool's text.

const int = (x: number | bigint): Printed => atom(String(x));
const enumerant = (x: number): Printed => atom(COLORS[x] ?? `(${x})`);

function innerPrinted(v: Inner, options: TextOptions): Printed {
  const fields: [string, Printed][] = [['id', int(v.id)]];
  if (v.label !== null) fields.push(['label', atom(textLiteral(v.label, options.parseable))]);
  return struct(fields);
}

export interface TextOptions {
  /**
   * Text meant as the tool's input rather than its output: floats with all their digits (the tool prints
   * a Float32 with at most 8 significant digits, which do not always name the value, and negative zero as
   * `-0`, which its parser reads as the integer zero), and parentheses and `#` in strings escaped (see
   * `textLiteral`).
   */
  parseable?: boolean;
}

/** The printed form of `v`: data fields always, pointer fields only when non-null, in schema order. */
export function allTypesPrinted(v: AllTypes, options: TextOptions = {}): Printed {
  const f32 = (x: number) => atom(options.parseable ? formatExact(x) : formatFloat32(x));
  const f64 = (x: number) => atom(options.parseable ? formatExact(x) : formatFloat64(x));
  const fields: [string, Printed][] = [
    ['voidField', atom('void')],
    ['boolField', atom(String(v.boolField))],
    ['int8Field', int(v.int8Field)],
    ['int16Field', int(v.int16Field)],
    ['int32Field', int(v.int32Field)],
    ['int64Field', int(v.int64Field)],
    ['uint8Field', int(v.uint8Field)],
    ['uint16Field', int(v.uint16Field)],
    ['uint32Field', int(v.uint32Field)],
    ['uint64Field', int(v.uint64Field)],
    ['float32Field', f32(v.float32Field)],
    ['float64Field', f64(v.float64Field)],
  ];
  const add = <T>(name: string, value: T | null, print: (x: T) => Printed) => {
    if (value !== null) fields.push([name, print(value)]);
  };
  const listOf =
    <T>(print: (x: T) => Printed) =>
    (xs: T[]): Printed =>
      list(xs.map(print));
  add('textField', v.textField, (s) => atom(textLiteral(s, options.parseable)));
  add('dataField', v.dataField, (d) => atom(dataLiteral(d, options.parseable)));
  add('structField', v.structField, (x) => innerPrinted(x, options));
  fields.push(['enumField', enumerant(v.enumField)]);
  add('voidList', v.voidList, (n) => list(Array.from({ length: n }, () => atom('void'))));
  add(
    'boolList',
    v.boolList,
    listOf((b) => atom(String(b))),
  );
  add('int8List', v.int8List, listOf(int));
  add('int16List', v.int16List, listOf(int));
  add('int32List', v.int32List, listOf(int));
  add('int64List', v.int64List, listOf(int));
  add('uint8List', v.uint8List, listOf(int));
  add('uint16List', v.uint16List, listOf(int));
  add('uint32List', v.uint32List, listOf(int));
  add('uint64List', v.uint64List, listOf(int));
  add('float32List', v.float32List, listOf(f32));
  add('float64List', v.float64List, listOf(f64));
  add(
    'textList',
    v.textList,
    listOf((s) => atom(textLiteral(s, options.parseable))),
  );
  add(
    'dataList',
    v.dataList,
    listOf((d) => atom(dataLiteral(d, options.parseable))),
  );
  add(
    'structList',
    v.structList,
    listOf((x) => innerPrinted(x, options)),
  );
  add('enumList', v.enumList, listOf(enumerant));
  add('listList', v.listList, listOf(listOf(int)));
  add('self', v.self, (x) => allTypesPrinted(x, options));
  return struct(fields);
}

/** What `capnp convert binary:text` prints for a message whose root is `v` (with the trailing newline). */
export function allTypesText(v: AllTypes, options: TextOptions = {}): string {
  return `${prettyPrint(allTypesPrinted(v, options))}\n`;
}
