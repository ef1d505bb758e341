/**
 * Interoperability with the reference implementation: messages built here are decoded by `capnp` (0.9.2),
 * messages `capnp` encodes are read here, and packing and canonical form are compared byte for byte.
 * Field offsets come from `capnp compile -ocapnp test/schemas/all-types.capnp` (see support/all-types.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MessageBuilder,
  Primitive,
  StructBuilder,
  StructReader,
  canonicalize,
  pack,
  readFlatMessage,
  readMessage,
  readPackedMessage,
  unpack,
} from '../src/index';
import {
  type AllTypes,
  AllTypesStruct,
  F,
  type Inner,
  allTypesText,
  buildAllTypes,
  emptyAllTypes,
  readAllTypes,
} from './support/all-types';
import {
  convert,
  fromText,
  haveCapnp,
  pointerCensus,
  segmentWords,
  splitStream,
  toText,
} from './support/capnp-tool';

/** Every field type of the schema, with the values most likely to be mishandled. */
const KITCHEN_SINK: AllTypes = {
  boolField: true,
  int8Field: -128,
  int16Field: -1234,
  int32Field: -2147483648,
  int64Field: -(2n ** 40n),
  uint8Field: 255,
  uint16Field: 65535,
  uint32Field: 4000000000,
  uint64Field: 2n ** 63n + 5n,
  float32Field: -1.5,
  float64Field: Math.PI,
  textField: 'héllo wörld ✓ 🎉 "q"\t\\',
  dataField: new Uint8Array([0x00, 0xff, 0x01, 0x7f, 0x80, 0x41, 0x5c, 0x22, 0x0a, 0x00]),
  // Empty text, not a null pointer: printed as "".
  structField: { id: 7, label: '' },
  enumField: 2,
  voidList: 3,
  boolList: [true, false, false, true, true, false, true, false, false, true],
  int8List: [-128, 127, 0, -1],
  int16List: [-32768, 32767],
  int32List: [-2147483648, 2147483647, 0],
  int64List: [-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 40n)],
  uint8List: [0, 255, 128],
  uint16List: [0, 65535],
  uint32List: [4294967295, 1],
  uint64List: [2n ** 64n - 1n, 0n, 2n ** 63n + 5n],
  float32List: [
    0.25,
    -2,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    3.4028234663852886e38,
    1.401298464324817e-45,
  ],
  float64List: [
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    5e-324,
    1.7976931348623157e308,
    0.1,
    1e21,
  ],
  textList: ['a', '', 'ünï ✓'],
  dataList: [
    new Uint8Array(0),
    new Uint8Array([0, 255]),
    new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 1]),
  ],
  // A null label (omitted from the text) next to an empty one.
  structList: [
    { id: 1, label: null },
    { id: 0, label: 'two' },
    { id: 4294967295, label: '' },
  ],
  enumList: [1, 2, 0],
  listList: [[1, -1], [], [2147483647, -2147483648, 0]],
  self: {
    ...emptyAllTypes(),
    int64Field: 2n ** 63n - 1n,
    uint64Field: 2n ** 64n - 1n,
    float32Field: Number.NaN,
    float64Field: -0,
    textField: '',
    dataField: new Uint8Array(0),
    voidList: 0,
    // 65 bits: one past a whole word, so the list's last word holds a single bit.
    boolList: Array.from({ length: 65 }, (_, i) => i % 3 === 0 || i === 64),
    uint8List: [],
    int64List: [],
    textList: [],
    structList: [],
    listList: [],
    self: {
      ...emptyAllTypes(),
      float32Field: Number.POSITIVE_INFINITY,
      float64Field: Number.NEGATIVE_INFINITY,
      // Exactly one word of bits.
      boolList: Array.from({ length: 64 }, (_, i) => i % 2 === 1),
      structField: { id: 0, label: null },
    },
  },
};

/** What `capnp convert binary:text` prints for KITCHEN_SINK. */
const KITCHEN_SINK_TEXT = `${String.raw`( voidField = void,
  boolField = true,
  int8Field = -128,
  int16Field = -1234,
  int32Field = -2147483648,
  int64Field = -1099511627776,
  uint8Field = 255,
  uint16Field = 65535,
  uint32Field = 4000000000,
  uint64Field = 9223372036854775813,
  float32Field = -1.5,
  float64Field = 3.1415926535897931,
  textField = "héllo wörld ✓ 🎉 \"q\"\t\\",
  dataField = "\000\377\001\177\200A\\\"\n\000",
  structField = (id = 7, label = ""),
  enumField = blue,
  voidList = [void, void, void],
  boolList = [true, false, false, true, true, false, true, false, false, true],
  int8List = [-128, 127, 0, -1],
  int16List = [-32768, 32767],
  int32List = [-2147483648, 2147483647, 0],
  int64List = [-9223372036854775808, 9223372036854775807, -1099511627776],
  uint8List = [0, 255, 128],
  uint16List = [0, 65535],
  uint32List = [4294967295, 1],
  uint64List = [18446744073709551615, 0, 9223372036854775813],
  float32List = [0.25, -2, nan, inf, -inf, -0, 3.4028235e38, 1.4012985e-45],
  float64List = [-0, nan, inf, -inf, 4.94065645841247e-324, 1.7976931348623157e308, 0.1, 1e21],
  textList = ["a", "", "ünï ✓"],
  dataList = [
    "",
    "\000\377",
    "\336\255\276\357\000\000\000\000\001" ],
  structList = [
    (id = 1),
    (id = 0, label = "two"),
    (id = 4294967295, label = "") ],
  enumList = [green, blue, red],
  listList = [
    [1, -1],
    [],
    [2147483647, -2147483648, 0] ],
  self = (
    voidField = void,
    boolField = false,
    int8Field = 0,
    int16Field = 0,
    int32Field = 0,
    int64Field = 9223372036854775807,
    uint8Field = 0,
    uint16Field = 0,
    uint32Field = 0,
    uint64Field = 18446744073709551615,
    float32Field = nan,
    float64Field = -0,
    textField = "",
    dataField = "",
    enumField = red,
    voidList = [],
    boolList = [true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, false, false, true, true],
    int64List = [],
    uint8List = [],
    textList = [],
    structList = [],
    listList = [],
    self = (
      voidField = void,
      boolField = false,
      int8Field = 0,
      int16Field = 0,
      int32Field = 0,
      int64Field = 0,
      uint8Field = 0,
      uint16Field = 0,
      uint32Field = 0,
      uint64Field = 0,
      float32Field = inf,
      float64Field = -inf,
      structField = (id = 0),
      enumField = red,
      boolList = [false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, true] ) ) )`}\n`;

/** Segment sizes for multi-segment builds: 1 leaves room for nothing but the root pointer. */
const FIXED_SEGMENT_SIZES = [1, 2, 3, 8, 64] as const;

const bytesOf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** The root struct's data words and pointer count, from the root pointer of a flat (canonical) message. */
function rootShape(flat: Uint8Array): { dataWords: number; pointerCount: number } {
  const view = new DataView(flat.buffer, flat.byteOffset, flat.byteLength);
  const hi = view.getUint32(4, true);
  return { dataWords: hi & 0xffff, pointerCount: hi >>> 16 };
}

/** A message whose AllTypes root is filled in by `fill` (for layouts the model does not describe). */
function messageWith(fill: (root: StructBuilder) => void): Uint8Array {
  const m = new MessageBuilder();
  fill(m.initRoot(AllTypesStruct));
  expect(m.segments).toHaveLength(1);
  return m.toBytes();
}

// Generators for the property tests.

const innerArb: fc.Arbitrary<Inner> = fc.record({
  id: fc.nat({ max: 0xffffffff }),
  label: fc.option(fc.string({ unit: 'binary', maxLength: 12 }), { nil: null }),
});

/**
 * Random AllTypes contents, `self` nested up to `depth` levels. Unknown enumerants print as `(n)`, which
 * the tool cannot parse back, so text meant as its input uses only the schema's enumerants.
 */
function allTypesArb(depth: number, unknownEnums: boolean): fc.Arbitrary<AllTypes> {
  const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 3 });
  const list = <T>(arb: fc.Arbitrary<T>, maxLength = 6) => opt(fc.array(arb, { maxLength }));
  const enumArb = unknownEnums
    ? fc.oneof({ arbitrary: fc.integer({ min: 0, max: 2 }), weight: 4 }, fc.integer({ min: 3, max: 0xffff }))
    : fc.integer({ min: 0, max: 2 });
  const text = fc.string({ unit: 'binary', maxLength: 30 });
  const data = fc.uint8Array({ maxLength: 30 });
  return fc.record({
    boolField: fc.boolean(),
    int8Field: fc.integer({ min: -128, max: 127 }),
    int16Field: fc.integer({ min: -32768, max: 32767 }),
    int32Field: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    int64Field: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    uint8Field: fc.integer({ min: 0, max: 255 }),
    uint16Field: fc.integer({ min: 0, max: 65535 }),
    uint32Field: fc.nat({ max: 0xffffffff }),
    uint64Field: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    float32Field: fc.float(),
    float64Field: fc.double(),
    textField: opt(text),
    dataField: opt(data),
    structField: opt(innerArb),
    enumField: enumArb,
    voidList: opt(fc.nat({ max: 70 })),
    boolList: list(fc.boolean(), 140),
    int8List: list(fc.integer({ min: -128, max: 127 })),
    int16List: list(fc.integer({ min: -32768, max: 32767 })),
    int32List: list(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    int64List: list(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
    uint8List: list(fc.integer({ min: 0, max: 255 }), 20),
    uint16List: list(fc.integer({ min: 0, max: 65535 })),
    uint32List: list(fc.nat({ max: 0xffffffff })),
    uint64List: list(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    float32List: list(fc.float()),
    float64List: list(fc.double()),
    textList: list(text, 4),
    dataList: list(data, 4),
    structList: list(innerArb, 4),
    enumList: list(enumArb),
    listList: list(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }), 4),
    self: depth > 0 ? opt(allTypesArb(depth - 1, unknownEnums)) : fc.constant(null),
  });
}

/** Undefined: the default growing segments; a number: segments of that many words. */
const segmentSizeArb = fc.constantFrom(undefined, 1, 2, 3, 5, 16, 64);

describe.skipIf(!haveCapnp)('interoperability with the reference implementation (capnp 0.9.2)', () => {
  describe('messages built here, decoded by capnp', () => {
    it('the text renderer of the tests predicts the literal text of the fixture', () => {
      expect(allTypesText(KITCHEN_SINK)).toBe(KITCHEN_SINK_TEXT);
    });

    it('decodes a single-segment message holding every field type to the expected text', () => {
      const m = buildAllTypes(KITCHEN_SINK);
      expect(m.segments).toHaveLength(1);
      expect(toText(m.toBytes())).toBe(KITCHEN_SINK_TEXT);
    });

    it('decodes the packed message (pack of toBytes, and toPackedBytes) to the same text', () => {
      const m = buildAllTypes(KITCHEN_SINK);
      expect(toText(pack(m.toBytes()), 'packed')).toBe(KITCHEN_SINK_TEXT);
      expect(toText(m.toPackedBytes(), 'packed')).toBe(KITCHEN_SINK_TEXT);
    });

    it.each(FIXED_SEGMENT_SIZES)(
      'decodes the message built in segments of %i words (far pointers, landing pads in other segments)',
      (words) => {
        const m = buildAllTypes(KITCHEN_SINK, { fixedSegmentWords: words });
        const bytes = m.toBytes();
        expect(m.segments.length).toBeGreaterThan(1);
        expect(segmentWords(bytes).length).toBe(m.segments.length);
        // An object that does not fit in the segment of the pointer to it is reached through a far pointer.
        expect(pointerCensus(bytes).far).toBeGreaterThan(0);
        expect(toText(bytes)).toBe(KITCHEN_SINK_TEXT);
        expect(toText(pack(bytes), 'packed')).toBe(KITCHEN_SINK_TEXT);
        expect(readAllTypes(readMessage(bytes).getRoot())).toEqual(KITCHEN_SINK);
      },
    );

    it('reads the multi-segment message back field by field through far pointers', () => {
      const root = readMessage(buildAllTypes(KITCHEN_SINK, { fixedSegmentWords: 3 }).toBytes()).getRoot();
      expect(root.getBool(F.bool)).toBe(true);
      expect(root.getInt8(F.int8)).toBe(-128);
      expect(root.getInt64(F.int64)).toBe(-(2n ** 40n));
      expect(root.getUint64(F.uint64)).toBe(2n ** 63n + 5n);
      expect(root.getUint32(F.uint32)).toBe(4000000000);
      expect(root.getFloat64(F.float64)).toBe(Math.PI);
      expect(root.getText(F.text)).toBe('héllo wörld ✓ 🎉 "q"\t\\');
      expect([...root.getData(F.data)]).toEqual([0x00, 0xff, 0x01, 0x7f, 0x80, 0x41, 0x5c, 0x22, 0x0a, 0x00]);
      const inner = root.getStruct(F.struct, StructReader);
      expect(inner.getUint32(0)).toBe(7);
      expect(inner.hasPointer(0)).toBe(true);
      expect(inner.getText(0)).toBe('');
      expect(root.getPrimitiveList(F.voidList, Primitive.VOID).length).toBe(3);
      expect(root.getPrimitiveList(F.uint64List, Primitive.UINT64).toArray()).toEqual([
        2n ** 64n - 1n,
        0n,
        2n ** 63n + 5n,
      ]);
      expect(root.getTextList(F.textList).toArray()).toEqual(['a', '', 'ünï ✓']);
      const structs = root.getStructList(F.structList, StructReader);
      expect(structs.get(0).hasPointer(0)).toBe(false);
      expect(structs.get(2).getUint32(0)).toBe(4294967295);
      const self = root.getStruct(F.self, StructReader);
      expect(self.getPrimitiveList(F.boolList, Primitive.BOOL).length).toBe(65);
      expect(self.getPrimitiveList(F.boolList, Primitive.BOOL).get(64)).toBe(true);
      expect(Object.is(self.getFloat64(F.float64), -0)).toBe(true);
      const deepest = self.getStruct(F.self, StructReader);
      expect(deepest.getPrimitiveList(F.boolList, Primitive.BOOL).toArray()).toEqual(
        KITCHEN_SINK.self?.self?.boolList,
      );
    });

    it('prints unknown enumerants as the tool does, as numbers in parentheses', () => {
      const v: AllTypes = { ...emptyAllTypes(), enumField: 7, enumList: [65535, 1] };
      const text = toText(buildAllTypes(v).toBytes());
      expect(text).toContain('enumField = (7)');
      expect(text).toContain('enumList = [(65535), green]');
      expect(text).toBe(allTypesText(v));
    });

    it('moves the pointers of an enlarged struct with double-far pointers when their segment is full', () => {
      // Segments of 6 words: the root pointer, a struct of 1 data word and 2 pointers, its Text and its
      // Data fill segment 0 exactly. Enlarging the root to AllTypes's size moves it to a new segment, and
      // its two pointers can only reach the objects left in the full segment 0 through double-far pointers.
      const m = new MessageBuilder({ fixedSegmentWords: 6 });
      const small = m.initRoot(StructBuilder.sized(1, 2));
      small.setInt32(1, -7);
      small.setText(0, 'hi');
      small.setData(1, new Uint8Array([1, 2, 3]));
      expect(m.segments).toHaveLength(1);
      const root = m.getRoot(AllTypesStruct);
      root.setUint64(F.uint64, 42n);
      const l = root.initPrimitiveList(F.int16List, Primitive.INT16, 2);
      l.set(0, -1);
      l.set(1, 300);

      const bytes = m.toBytes();
      const census = pointerCensus(bytes);
      expect(census.doubleFar).toBe(2);
      expect(census.far).toBeGreaterThan(0);
      const expected: AllTypes = {
        ...emptyAllTypes(),
        int32Field: -7,
        uint64Field: 42n,
        textField: 'hi',
        dataField: new Uint8Array([1, 2, 3]),
        int16List: [-1, 300],
      };
      expect(toText(bytes)).toBe(allTypesText(expected));
      expect(readAllTypes(readMessage(bytes).getRoot())).toEqual(expected);
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
    });
  });

  describe('messages capnp encodes, read here', () => {
    // The fixture as text for the tool's parser: floats with all their digits, negative zero as -0.0.
    const input = allTypesText(KITCHEN_SINK, { parseable: true });

    it('reads a single-segment binary message field by field', () => {
      const bytes = fromText(input, 'binary');
      expect(segmentWords(bytes)).toHaveLength(1);
      const root = readMessage(bytes).getRoot();
      expect(root.getInt32(F.int32)).toBe(-2147483648);
      expect(root.getUint64(F.uint64)).toBe(2n ** 63n + 5n);
      expect(root.getFloat32(F.float32)).toBe(-1.5);
      expect(root.getUint16(F.enum)).toBe(2);
      expect(root.getText(F.text)).toBe(KITCHEN_SINK.textField);
      expect(Number.isNaN(root.getPrimitiveList(F.float32List, Primitive.FLOAT32).get(2))).toBe(true);
      expect(readAllTypes(root)).toEqual(KITCHEN_SINK);
    });

    it.each([1, 2, 4, 8, 32])(
      'reads a message the tool wrote in segments of %i words (far pointers)',
      (segmentSize) => {
        const bytes = fromText(input, 'binary', { segmentSize });
        expect(segmentWords(bytes).length).toBeGreaterThan(1);
        // The tool copies the message into its segments with each landing pad just before its object, so
        // it writes single far pointers (double-far ones come from the enlargement test above).
        expect(pointerCensus(bytes).far).toBeGreaterThan(0);
        expect(readAllTypes(readMessage(bytes).getRoot())).toEqual(KITCHEN_SINK);
      },
    );

    it('reads packed messages, single- and multi-segment', () => {
      const packed = fromText(input, 'packed');
      expect(readAllTypes(readPackedMessage(packed).getRoot())).toEqual(KITCHEN_SINK);
      const packedSegments = fromText(input, 'packed', { segmentSize: 4 });
      const unpacked = unpack(packedSegments);
      expect(segmentWords(unpacked).length).toBeGreaterThan(1);
      expect(readAllTypes(readPackedMessage(packedSegments).getRoot())).toEqual(KITCHEN_SINK);
    });

    it('reads flat and canonical messages (no segment table)', () => {
      expect(readAllTypes(readFlatMessage(fromText(input, 'flat')).getRoot())).toEqual(KITCHEN_SINK);
      expect(readAllTypes(readFlatMessage(fromText(input, 'canonical')).getRoot())).toEqual(KITCHEN_SINK);
    });

    it('reads each message of a stream the tool encodes', () => {
      const second: AllTypes = { ...emptyAllTypes(), textField: 'second', int8List: [1, 2, 3] };
      const stream = fromText(input + allTypesText(second, { parseable: true }), 'binary', {
        segmentSize: 5,
      });
      const messages = splitStream(stream);
      expect(messages).toHaveLength(2);
      expect(readAllTypes(readMessage(messages[0] as Uint8Array).getRoot())).toEqual(KITCHEN_SINK);
      expect(readAllTypes(readMessage(messages[1] as Uint8Array).getRoot())).toEqual(second);
    });
  });

  describe('packing', () => {
    // Words of 8 bytes with exactly one zero byte each, at every position in turn: a raw run continues
    // through them and ends at the first word with two zero bytes.
    const oneZeroByteWords = (n: number) =>
      Uint8Array.from({ length: n * 8 }, (_, i) => (i % 8 === (i >> 3) % 8 ? 0 : ((i * 7) % 255) + 1));

    const cases: [string, () => Uint8Array][] = [
      ['the fixture', () => buildAllTypes(KITCHEN_SINK).toBytes()],
      [
        'a List(UInt64) of 600 zeros (zero runs longer than 255 words)',
        () => messageWith((r) => r.initPrimitiveList(F.uint64List, Primitive.UINT64, 600)),
      ],
      [
        'Data of 3000 0xff bytes (raw runs longer than 255 words)',
        () => messageWith((r) => r.setData(F.data, new Uint8Array(3000).fill(0xff))),
      ],
      [
        'words with exactly one zero byte after an all-non-zero word',
        () =>
          messageWith((r) => {
            const words = new Uint8Array(8 * 300);
            words.fill(0x5a, 0, 8);
            words.set(oneZeroByteWords(299), 8);
            r.setData(F.data, words);
          }),
      ],
      [
        'one-zero-byte runs broken by two-zero-byte words and zero words',
        () =>
          messageWith((r) => {
            const parts = [
              new Uint8Array(8).fill(1),
              oneZeroByteWords(5),
              Uint8Array.of(1, 0, 0, 1, 1, 1, 1, 1),
              new Uint8Array(8).fill(0xff),
              oneZeroByteWords(270),
              new Uint8Array(8 * 3),
              oneZeroByteWords(2),
            ];
            r.setData(F.data, Buffer.concat(parts));
          }),
      ],
    ];

    it.each(cases)('pack equals capnp binary:packed byte for byte: %s', (_, make) => {
      const bytes = make();
      // The tool copies the message before packing it; the builder's layout is the copy's (pre-order).
      expect(bytesOf(bytes)).toEqual(convert(bytes, 'binary', 'binary'));
      expect(bytesOf(pack(bytes))).toEqual(convert(bytes, 'binary', 'packed'));
    });

    it.each(cases)('unpack of capnp packed output equals capnp binary output: %s', (_, make) => {
      const bytes = make();
      for (const segmentSize of [undefined, 16]) {
        const binary = convert(bytes, 'binary', 'binary', { segmentSize });
        const packed = convert(bytes, 'binary', 'packed', { segmentSize });
        expect(bytesOf(unpack(packed))).toEqual(binary);
        expect(bytesOf(pack(binary))).toEqual(packed);
      }
    });

    it('packs and unpacks flat messages as the tool does (flat-packed)', () => {
      const flat = convert(buildAllTypes(KITCHEN_SINK).toBytes(), 'binary', 'flat');
      const flatPacked = convert(buildAllTypes(KITCHEN_SINK).toBytes(), 'binary', 'flat-packed');
      expect(bytesOf(pack(flat))).toEqual(flatPacked);
      expect(bytesOf(unpack(flatPacked))).toEqual(flat);
    });

    it('pack agrees with the tool on random word patterns (zero, all-ones, one zero byte, mixed)', () => {
      const word = fc.oneof(
        fc.constant(new Uint8Array(8)),
        fc.constant(new Uint8Array(8).fill(0xff)),
        fc
          .nat({ max: 7 })
          .map((z) => Uint8Array.from({ length: 8 }, (_, i) => (i === z ? 0 : 0x11 * (i + 1)))),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
      );
      const runs = fc.array(
        fc.tuple(word, fc.integer({ min: 1, max: 300 })).map(([w, n]) => Array.from({ length: n }, () => w)),
        // At most 900 words: the tool copies into a first segment of 1024 words, and a message that
        // fits stays in one segment there too.
        { maxLength: 3 },
      );
      fc.assert(
        fc.property(fc.array(runs, { minLength: 1, maxLength: 4 }), (messages) => {
          const framed = messages.map((parts) =>
            messageWith((r) => r.setData(F.data, Buffer.concat(parts.flat()))),
          );
          // One tool call converts the whole stream; its output is the packed messages one after another.
          const expected = convert(Buffer.concat(framed), 'binary', 'packed');
          expect(Buffer.concat(framed.map((f) => pack(f)))).toEqual(expected);
          expect(unpack(expected)).toEqual(new Uint8Array(Buffer.concat(framed)));
        }),
        { numRuns: 25 },
      );
    });
  });

  describe('canonical form', () => {
    it('canonicalize equals capnp binary:canonical for the single-segment fixture', () => {
      const bytes = buildAllTypes(KITCHEN_SINK).toBytes();
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
      expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(KITCHEN_SINK);
      // The tool reads canonical input only after checking that it is canonical.
      expect(toText(canonical, 'canonical')).toBe(KITCHEN_SINK_TEXT);
    });

    it.each(FIXED_SEGMENT_SIZES)(
      'multi-segment messages built in segments of %i words canonicalize to the same bytes',
      (words) => {
        const single = canonicalize(readMessage(buildAllTypes(KITCHEN_SINK).toBytes()).getRoot());
        const bytes = buildAllTypes(KITCHEN_SINK, { fixedSegmentWords: words }).toBytes();
        const canonical = canonicalize(readMessage(bytes).getRoot());
        expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
        expect(canonical).toEqual(single);
        expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(KITCHEN_SINK);
      },
    );

    it.each([1, 4, 16])('multi-segment messages the tool wrote in segments of %i words', (segmentSize) => {
      const bytes = fromText(allTypesText(KITCHEN_SINK, { parseable: true }), 'binary', { segmentSize });
      expect(segmentWords(bytes).length).toBeGreaterThan(1);
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
      expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(KITCHEN_SINK);
    });

    const trimmed: [string, AllTypes, { dataWords: number; pointerCount: number }][] = [
      [
        'trailing zero data words and trailing null pointers are dropped',
        { ...emptyAllTypes(), boolField: true, textField: 'x' },
        { dataWords: 1, pointerCount: 1 },
      ],
      [
        'zero words before the last non-zero one stay',
        { ...emptyAllTypes(), uint64Field: 1n, dataField: new Uint8Array(0) },
        { dataWords: 4, pointerCount: 2 },
      ],
      ['an all-default struct has no sections at all', emptyAllTypes(), { dataWords: 0, pointerCount: 0 }],
      [
        'null pointers before the last non-null one stay',
        { ...emptyAllTypes(), self: { ...emptyAllTypes(), int8Field: 1 } },
        { dataWords: 0, pointerCount: 21 },
      ],
      [
        'all-default nested structs become zero-sized struct pointers',
        { ...emptyAllTypes(), structField: { id: 0, label: null }, self: emptyAllTypes() },
        { dataWords: 0, pointerCount: 21 },
      ],
    ];

    it.each(trimmed)('%s', (_, v, shape) => {
      const bytes = buildAllTypes(v).toBytes();
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
      expect(rootShape(canonical)).toEqual(shape);
      expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(v);
    });

    it('drops the bits and bytes a foreign writer left past the end of a list', () => {
      // Padding after the last element is not part of the value; a writer may leave anything there, and
      // the canonical form, like the tool's, has zeros.
      const m = new MessageBuilder();
      const root = m.initRoot(AllTypesStruct);
      const bits = root.initPrimitiveList(F.boolList, Primitive.BOOL, 10);
      bits.set(0, true);
      bits.set(9, true);
      bits.segment.bytes[bits.start + 1] |= 0xfc;
      bits.segment.bytes.fill(0xff, bits.start + 2, bits.start + 8);
      const bytes3 = root.initPrimitiveList(F.uint8List, Primitive.UINT8, 3);
      bytes3.set(0, 1);
      bytes3.segment.bytes.fill(0x77, bytes3.start + 3, bytes3.start + 8);
      const bytes = m.toBytes();
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
      const expected: AllTypes = {
        ...emptyAllTypes(),
        boolList: [true, false, false, false, false, false, false, false, false, true],
        uint8List: [1, 0, 0],
      };
      expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(expected);
      expect(toText(bytes)).toBe(allTypesText(expected));
    });

    const structLists: [string, Inner[], { dataBits: number; pointerCount: number }][] = [
      [
        'elements keep the largest data section and pointer section of any element',
        [
          { id: 5, label: null },
          { id: 0, label: 'x' },
        ],
        { dataBits: 64, pointerCount: 1 },
      ],
      [
        'elements without pointers lose the pointer section',
        [
          { id: 0, label: null },
          { id: 9, label: null },
        ],
        { dataBits: 64, pointerCount: 0 },
      ],
      [
        'elements with only pointers lose the data section',
        [
          { id: 0, label: '' },
          { id: 0, label: null },
        ],
        { dataBits: 0, pointerCount: 1 },
      ],
      [
        'all-default elements take no words',
        [
          { id: 0, label: null },
          { id: 0, label: null },
          { id: 0, label: null },
        ],
        { dataBits: 0, pointerCount: 0 },
      ],
    ];

    it.each(structLists)('struct lists: %s', (_, elements, shape) => {
      const v: AllTypes = { ...emptyAllTypes(), structList: elements };
      const bytes = buildAllTypes(v).toBytes();
      const canonical = canonicalize(readMessage(bytes).getRoot());
      expect(bytesOf(canonical)).toEqual(convert(bytes, 'binary', 'canonical'));
      const list = readFlatMessage(canonical).getRoot().getStructList(F.structList, StructReader);
      expect({ dataBits: list.dataBits, pointerCount: list.pointerCount }).toEqual(shape);
      expect(readAllTypes(readFlatMessage(canonical).getRoot())).toEqual(v);
    });
  });

  describe('random messages', () => {
    it('capnp decodes generated AllTypes messages to the text rendered from their values', () => {
      const message = fc.record({ value: allTypesArb(2, true), segmentSize: segmentSizeArb });
      fc.assert(
        fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), (messages) => {
          const built = messages.map(({ value, segmentSize }) =>
            buildAllTypes(value, segmentSize === undefined ? {} : { fixedSegmentWords: segmentSize }),
          );
          const framed = built.map((m) => m.toBytes());
          // The tool converts a stream of messages in one call, printing one text per message.
          const text = toText(Buffer.concat(framed));
          expect(text).toBe(messages.map(({ value }) => allTypesText(value)).join(''));
          const canonical = framed.map((f) => canonicalize(readMessage(f).getRoot()));
          expect(Buffer.concat(canonical)).toEqual(convert(Buffer.concat(framed), 'binary', 'canonical'));
          messages.forEach(({ value }, i) => {
            expect(readAllTypes(readMessage(framed[i] as Uint8Array).getRoot())).toEqual(value);
            expect(readAllTypes(readFlatMessage(canonical[i] as Uint8Array).getRoot())).toEqual(value);
          });
          const single = built.every((m) => m.segments.length === 1);
          if (single) {
            expect(Buffer.concat(framed.map((f) => pack(f)))).toEqual(
              convert(Buffer.concat(framed), 'binary', 'packed'),
            );
          }
        }),
        { numRuns: 25 },
      );
    });

    it('generated messages the tool encodes from text read back as the same values', () => {
      const message = fc.record({
        value: allTypesArb(2, false),
        segmentSize: fc.constantFrom(undefined, 1, 3, 8),
      });
      fc.assert(
        fc.property(message, ({ value, segmentSize }) => {
          const bytes = fromText(allTypesText(value, { parseable: true }), 'binary', { segmentSize });
          expect(readAllTypes(readMessage(bytes).getRoot())).toEqual(value);
        }),
        { numRuns: 25 },
      );
    });
  });
});
