// Packing as a property (it round-trips, it stays within its size bound, a cut inside a word is refused)
// and the builder as one: whatever values, shapes and segment sizes a message is built with, it reads back
// the same through every reader, copies between messages unchanged, survives a struct being enlarged, and
// leaves no trace of the objects its pointers were overwritten from.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ElementSize,
  MessageBuilder,
  type MessageReader,
  Primitive,
  PrimitiveList,
  StructBuilder,
  StructReader,
  canonicalize,
  nestedList,
  pack,
  readFlatMessage,
  readMessage,
  readPackedMessage,
  unpack,
} from '../src/index';
import { codeOf } from './support/error-code';
import { strayWords, walkMessage } from './support/walk';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// ---------------------------------------------------------------------------------------------------
// Packing

/** Bytes of one word, biased towards what packing treats specially: zero bytes, 0xff, one zero byte. */
const byteArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constant(0xff) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const wordArb: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<number[]>([0, 0, 0, 0, 0, 0, 0, 0]) },
  { weight: 1, arbitrary: fc.constant<number[]>([255, 255, 255, 255, 255, 255, 255, 255]) },
  { weight: 4, arbitrary: fc.array(byteArb, { minLength: 8, maxLength: 8 }) },
  {
    // Exactly one zero byte: the words a raw run of the reference packer goes on through.
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 8, maxLength: 8 }), fc.nat(7))
      .map(([w, z]) => w.map((b, i) => (i === z ? 0 : b))),
  },
);
/** Runs of one word, some long enough to cross the 255-word limit of zero and raw runs. */
const wordsArb = fc
  .array(
    fc.tuple(
      wordArb,
      fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 250, max: 600 })),
    ),
    { maxLength: 12 },
  )
  .map((runs) => Uint8Array.from(runs.flatMap(([w, n]) => Array.from({ length: n }, () => w).flat())));

/** Where each packed element (tag, its bytes, and a run count and raw words) starts and ends. */
function elementBoundaries(packed: Uint8Array): Set<number> {
  const ends = new Set([0]);
  let i = 0;
  while (i < packed.length) {
    const tag = packed[i] as number;
    let bits = 0;
    for (let b = 0; b < 8; b++) bits += (tag >>> b) & 1;
    i += 1 + bits;
    if (tag === 0) i += 1;
    else if (tag === 0xff) i += 1 + 8 * (packed[i] as number);
    ends.add(i);
  }
  return ends;
}

describe('packing', () => {
  it('packs the reference implementation test vectors', () => {
    const vectors: [number[], number[]][] = [
      [[], []],
      [
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0],
      ],
      [
        [0, 0, 12, 0, 0, 34, 0, 0],
        [0x24, 12, 34],
      ],
      [
        [1, 3, 2, 4, 5, 7, 6, 8],
        [0xff, 1, 3, 2, 4, 5, 7, 6, 8, 0],
      ],
      [
        [0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 2, 4, 5, 7, 6, 8],
        [0, 0, 0xff, 1, 3, 2, 4, 5, 7, 6, 8, 0],
      ],
      [
        [0, 0, 12, 0, 0, 34, 0, 0, 1, 3, 2, 4, 5, 7, 6, 8],
        [0x24, 12, 34, 0xff, 1, 3, 2, 4, 5, 7, 6, 8, 0],
      ],
      [
        [1, 3, 2, 4, 5, 7, 6, 8, 8, 6, 7, 4, 5, 2, 3, 1],
        [0xff, 1, 3, 2, 4, 5, 7, 6, 8, 1, 8, 6, 7, 4, 5, 2, 3, 1],
      ],
      [
        [
          1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0,
          2, 4, 0, 9, 0, 5, 1,
        ],
        [
          0xff, 1, 2, 3, 4, 5, 6, 7, 8, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6,
          7, 8, 0xd6, 2, 4, 9, 5, 1,
        ],
      ],
      [
        [
          1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 6, 2, 4, 3, 9, 0, 5, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0,
          2, 4, 0, 9, 0, 5, 1,
        ],
        [
          0xff, 1, 2, 3, 4, 5, 6, 7, 8, 3, 1, 2, 3, 4, 5, 6, 7, 8, 6, 2, 4, 3, 9, 0, 5, 1, 1, 2, 3, 4, 5, 6,
          7, 8, 0xd6, 2, 4, 9, 5, 1,
        ],
      ],
      [
        [
          8, 0, 100, 6, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          0, 1, 0, 2, 0, 3, 1,
        ],
        [0xed, 8, 100, 6, 1, 1, 2, 0, 2, 0xd4, 1, 2, 3, 1],
      ],
    ];
    for (const [words, packed] of vectors) {
      expect([...pack(Uint8Array.from(words))]).toEqual(packed);
      expect([...unpack(Uint8Array.from(packed))]).toEqual(words);
    }
  });

  it('round-trips any words and stays within the size bound', () => {
    fc.assert(
      fc.property(wordsArb, (bytes) => {
        const packed = pack(bytes);
        expect(hex(unpack(packed))).toBe(hex(bytes));
        expect(hex(unpack(packed, bytes.length))).toBe(hex(bytes));
        // Only a word of eight non-zero bytes grows (a tag and a run count: +2), and two such words are
        // either one run or apart by a word that packs to at most 7 bytes: at most half a byte a word.
        const n = bytes.length / 8;
        expect(packed.length).toBeLessThanOrEqual(bytes.length + Math.ceil(n / 2) + 1);
      }),
      { numRuns: 400 },
    );
  });

  it('packs runs of zero words to two bytes per 256 words', () => {
    for (const n of [1, 2, 255, 256, 257, 511, 512, 513, 1000]) {
      const packed = pack(new Uint8Array(n * 8));
      expect(packed.length).toBe(2 * Math.ceil(n / 256));
      expect(unpack(packed).length).toBe(n * 8);
    }
  });

  it('refuses input that does not hold whole words', () => {
    for (const n of [1, 7, 9, 15]) expect(codeOf(() => pack(new Uint8Array(n)))).toBe('INVALID_ARGUMENT');
  });

  it('refuses packed input cut inside an element, and reads a cut between elements as a prefix', () => {
    fc.assert(
      fc.property(
        wordsArb.filter((b) => b.length > 0),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 24 }),
        (bytes, fractions) => {
          const packed = pack(bytes);
          const boundaries = elementBoundaries(packed);
          const cuts = new Set(fractions.map((f) => Math.floor(f * packed.length)));
          // Every cut inside the first and the last element too.
          for (let k = 1; k < Math.min(packed.length, 12); k++) cuts.add(k).add(packed.length - k);
          for (const cut of cuts) {
            if (cut >= packed.length) continue;
            const prefix = packed.subarray(0, cut);
            if (boundaries.has(cut)) {
              const out = unpack(prefix);
              expect(hex(out)).toBe(hex(bytes.subarray(0, out.length)));
            } else {
              expect(codeOf(() => unpack(prefix))).toBe('BAD_PACKING');
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a packed message cut anywhere', () => {
    const b = new MessageBuilder({ fixedSegmentWords: 6 });
    const root = b.initRoot(StructBuilder.sized(2, 3));
    root.setUint64(0, 0x0102030405060708n);
    root.setText(0, 'some text, packed');
    root.initPrimitiveList(1, Primitive.UINT64, 300).set(299, -1n);
    root.initStructSized(2, 1, 0).setUint32(1, 0xffffffff);
    const packed = b.toPackedBytes();
    expect(readPackedMessage(packed).getRoot().getText(0)).toBe('some text, packed');
    for (let cut = 0; cut < packed.length; cut++) {
      expect(['BAD_PACKING', 'BAD_FRAMING']).toContain(
        codeOf(() => readPackedMessage(packed.subarray(0, cut))),
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// A model of message contents: built with the builder, then compared with what the readers read.

type FieldKind =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'float32'
  | 'int64'
  | 'uint64'
  | 'float64';

interface Field {
  kind: FieldKind;
  /** In units of the field's size, as generated code passes it. */
  offset: number;
  /** The data word the field is in. */
  word: number;
  value: number | bigint | boolean;
}

interface StructModel {
  dataWords: number;
  pointerCount: number;
  fields: Field[];
  pointers: PointerModel[];
}

type PointerModel =
  | { t: 'null' }
  | { t: 'text'; value: string }
  | { t: 'data'; value: Uint8Array }
  | { t: 'list'; kind: Primitive; values: unknown[] }
  | { t: 'struct'; value: StructModel }
  | { t: 'structs'; dataWords: number; pointerCount: number; items: StructModel[] }
  | { t: 'texts'; values: string[] }
  | { t: 'datas'; values: Uint8Array[] }
  | { t: 'lists'; kind: Primitive; values: unknown[][] };

const WIDTH_KINDS: Record<number, FieldKind[]> = {
  1: ['bool'],
  8: ['int8', 'uint8'],
  16: ['int16', 'uint16'],
  32: ['int32', 'uint32', 'float32'],
  64: ['int64', 'uint64', 'float64'],
};

function fieldValueArb(kind: FieldKind): fc.Arbitrary<number | bigint | boolean> {
  switch (kind) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'uint8':
      return fc.integer({ min: 0, max: 255 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'float32':
      return fc.float();
    case 'int64':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case 'uint64':
      return fc.bigInt(0n, 2n ** 64n - 1n);
    default:
      return fc.double();
  }
}

/** Fields filling data word `word`: all of one width, each of a random kind of that width. */
function wordFieldsArb(word: number): fc.Arbitrary<Field[]> {
  return fc
    .constantFrom(1, 8, 16, 32, 64)
    .chain((width) =>
      fc.tuple(
        ...Array.from({ length: 64 / width }, (_, slot) =>
          fc
            .constantFrom(...(WIDTH_KINDS[width] as FieldKind[]))
            .chain((kind) =>
              fieldValueArb(kind).map(
                (value): Field => ({ kind, offset: (word * 64) / width + slot, word, value }),
              ),
            ),
        ),
      ),
    );
}

function fieldsArb(dataWords: number): fc.Arbitrary<Field[]> {
  return fc.tuple(...Array.from({ length: dataWords }, (_, w) => wordFieldsArb(w))).map((f) => f.flat());
}

function primitiveValueArb(kind: Primitive): fc.Arbitrary<unknown> {
  switch (kind) {
    case Primitive.VOID:
      return fc.constant(undefined);
    case Primitive.BOOL:
      return fc.boolean();
    case Primitive.INT8:
      return fieldValueArb('int8');
    case Primitive.UINT8:
      return fieldValueArb('uint8');
    case Primitive.INT16:
      return fieldValueArb('int16');
    case Primitive.UINT16:
      return fieldValueArb('uint16');
    case Primitive.INT32:
      return fieldValueArb('int32');
    case Primitive.UINT32:
      return fieldValueArb('uint32');
    case Primitive.INT64:
      return fieldValueArb('int64');
    case Primitive.UINT64:
      return fieldValueArb('uint64');
    case Primitive.FLOAT32:
      return fieldValueArb('float32');
    default:
      return fieldValueArb('float64');
  }
}

/** Strings with any code point, NULs, and unpaired surrogates (which UTF-8 turns into U+FFFD). */
const textArb = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.constantFrom('\ud800', '\udfff', '\0', 'x'.repeat(30)) },
  ),
  maxLength: 12,
});
const bytesArb = fc.uint8Array({ maxLength: 20 });
const kindArb = fc.constantFrom(...(Object.values(Primitive) as Primitive[]));
const listArb = kindArb.chain((kind) =>
  fc.array(primitiveValueArb(kind), { maxLength: 70 }).map((values) => ({ kind, values })),
);

function structArb(depth: number, dataWords: number, pointerCount: number): fc.Arbitrary<StructModel> {
  return fc
    .tuple(
      fieldsArb(dataWords),
      fc.array(pointerArb(depth), { minLength: pointerCount, maxLength: pointerCount }),
    )
    .map(([fields, pointers]) => ({ dataWords, pointerCount, fields, pointers }));
}

const sizeArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }));

function anyStructArb(depth: number): fc.Arbitrary<StructModel> {
  return sizeArb.chain(([d, p]) => structArb(depth, d, p));
}

function pointerArb(depth: number): fc.Arbitrary<PointerModel> {
  const leaves: fc.Arbitrary<PointerModel>[] = [
    fc.constant({ t: 'null' as const }),
    textArb.map((value) => ({ t: 'text' as const, value })),
    bytesArb.map((value) => ({ t: 'data' as const, value })),
    listArb.map((l) => ({ t: 'list' as const, ...l })),
    fc.array(textArb, { maxLength: 4 }).map((values) => ({ t: 'texts' as const, values })),
    fc.array(bytesArb, { maxLength: 4 }).map((values) => ({ t: 'datas' as const, values })),
    kindArb.chain((kind) =>
      fc
        .array(fc.array(primitiveValueArb(kind), { maxLength: 9 }), { maxLength: 3 })
        .map((values) => ({ t: 'lists' as const, kind, values })),
    ),
  ];
  if (depth === 0) return fc.oneof(...leaves);
  return fc.oneof(
    ...leaves,
    anyStructArb(depth - 1).map((value) => ({ t: 'struct' as const, value })),
    sizeArb.chain(([d, p]) =>
      fc
        .array(structArb(depth - 1, d, p), { maxLength: 4 })
        .map((items) => ({ t: 'structs' as const, dataWords: d, pointerCount: p, items })),
    ),
  );
}

/** Fixed segment sizes from one word (every object behind a far pointer) up, or the default growth. */
const segmentsArb = fc.constantFrom<number | undefined>(undefined, 1, 2, 3, 4, 5, 8, 16, 64);

function newBuilder(fixedSegmentWords: number | undefined): MessageBuilder {
  return new MessageBuilder(fixedSegmentWords === undefined ? {} : { fixedSegmentWords });
}

function setField(s: StructBuilder, f: Field): void {
  const o = f.offset;
  const v = f.value;
  switch (f.kind) {
    case 'bool':
      s.setBool(o, v as boolean);
      return;
    case 'int8':
      s.setInt8(o, v as number);
      return;
    case 'uint8':
      s.setUint8(o, v as number);
      return;
    case 'int16':
      s.setInt16(o, v as number);
      return;
    case 'uint16':
      s.setUint16(o, v as number);
      return;
    case 'int32':
      s.setInt32(o, v as number);
      return;
    case 'uint32':
      s.setUint32(o, v as number);
      return;
    case 'float32':
      s.setFloat32(o, v as number);
      return;
    case 'int64':
      s.setInt64(o, v as bigint);
      return;
    case 'uint64':
      s.setUint64(o, v as bigint);
      return;
    default:
      s.setFloat64(o, v as number);
      return;
  }
}

function getField(s: StructReader, f: Field): unknown {
  const o = f.offset;
  switch (f.kind) {
    case 'bool':
      return s.getBool(o);
    case 'int8':
      return s.getInt8(o);
    case 'uint8':
      return s.getUint8(o);
    case 'int16':
      return s.getInt16(o);
    case 'uint16':
      return s.getUint16(o);
    case 'int32':
      return s.getInt32(o);
    case 'uint32':
      return s.getUint32(o);
    case 'float32':
      return s.getFloat32(o);
    case 'int64':
      return s.getInt64(o);
    case 'uint64':
      return s.getUint64(o);
    default:
      return s.getFloat64(o);
  }
}

function writeStruct(s: StructBuilder, m: StructModel, fromWord = 0, fromPointer = 0): void {
  for (const f of m.fields) if (f.word >= fromWord) setField(s, f);
  m.pointers.forEach((p, i) => {
    if (i >= fromPointer) writePointer(s, i, p);
  });
}

function writePointer(s: StructBuilder, i: number, p: PointerModel): void {
  switch (p.t) {
    case 'null':
      s.clearPointer(i);
      return;
    case 'text':
      s.setText(i, p.value);
      return;
    case 'data':
      s.setData(i, p.value);
      return;
    case 'list': {
      const list = s.initPrimitiveList(i, p.kind, p.values.length);
      p.values.forEach((v, j) => {
        list.set(j, v as never);
      });
      return;
    }
    case 'struct':
      writeStruct(s.initStructSized(i, p.value.dataWords, p.value.pointerCount), p.value);
      return;
    case 'structs': {
      const list = s.initStructList(i, StructBuilder.sized(p.dataWords, p.pointerCount), p.items.length);
      p.items.forEach((item, j) => {
        writeStruct(list.get(j), item);
      });
      return;
    }
    case 'texts': {
      const list = s.initTextList(i, p.values.length);
      p.values.forEach((v, j) => {
        list.set(j, v);
      });
      return;
    }
    case 'datas': {
      const list = s.initDataList(i, p.values.length);
      p.values.forEach((v, j) => {
        list.set(j, v);
      });
      return;
    }
    case 'lists': {
      const outer = s.initPointerList(i, p.values.length);
      p.values.forEach((values, j) => {
        const inner = outer.initPrimitiveList(j, p.kind, values.length);
        values.forEach((v, k) => {
          inner.set(k, v as never);
        });
      });
    }
  }
}

/** What the reader returns for a string written as Text: its UTF-8, decoded. */
const asUtf8 = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

const ELEMENT_SIZE_OF: readonly ElementSize[] = [
  ElementSize.VOID,
  ElementSize.BIT,
  ElementSize.BYTE,
  ElementSize.BYTE,
  ElementSize.TWO_BYTES,
  ElementSize.TWO_BYTES,
  ElementSize.FOUR_BYTES,
  ElementSize.FOUR_BYTES,
  ElementSize.EIGHT_BYTES,
  ElementSize.EIGHT_BYTES,
  ElementSize.FOUR_BYTES,
  ElementSize.EIGHT_BYTES,
];

/** Reads `r` as model `m` says it was written, and compares. */
function checkStruct(r: StructReader, m: StructModel, path = 'root'): void {
  for (const f of m.fields) expect(getField(r, f), `${path} ${f.kind} @${f.offset}`).toEqual(f.value);
  m.pointers.forEach((p, i) => {
    checkPointer(r, i, p, `${path}.${i}`);
  });
}

function checkPointer(r: StructReader, i: number, p: PointerModel, path: string): void {
  switch (p.t) {
    case 'null':
      expect(r.hasPointer(i), path).toBe(false);
      return;
    case 'text':
      expect(r.getText(i), path).toBe(asUtf8(p.value));
      return;
    case 'data':
      expect(hex(r.getData(i)), path).toBe(hex(p.value));
      return;
    case 'list':
      expect(r.getPrimitiveList(i, p.kind).toArray(), path).toEqual(p.values);
      return;
    case 'struct':
      checkStruct(r.getStruct(i, StructReader), p.value, path);
      return;
    case 'structs': {
      const list = r.getStructList(i, StructReader);
      expect(list.length, path).toBe(p.items.length);
      p.items.forEach((item, j) => {
        checkStruct(list.get(j), item, `${path}[${j}]`);
      });
      return;
    }
    case 'texts':
      expect(r.getTextList(i).toArray(), path).toEqual(p.values.map(asUtf8));
      return;
    case 'datas':
      expect(r.getDataList(i).toArray().map(hex), path).toEqual(p.values.map(hex));
      return;
    case 'lists': {
      const expected = ELEMENT_SIZE_OF[p.kind] as ElementSize;
      const lists = r.getPointerList(
        i,
        nestedList(expected, (a, s, n) => new PrimitiveList(a, s, n, p.kind)),
      );
      expect(
        lists.toArray().map((l) => l.toArray()),
        path,
      ).toEqual(p.values);
    }
  }
}

function build(m: StructModel, segments: number | undefined): MessageBuilder {
  const b = newBuilder(segments);
  writeStruct(b.initRoot(StructBuilder.sized(m.dataWords, m.pointerCount)), m);
  return b;
}

/** A full walk finds no error and no non-zero word outside the objects it reached. */
function expectClean(reader: MessageReader): void {
  const walked = walkMessage(reader, { markLive: true });
  expect(walked.errors).toEqual([]);
  expect(strayWords(reader, walked.live)).toEqual([]);
}

describe('builder round trips', () => {
  it('reads back every value written, through every reader and canonical form', () => {
    fc.assert(
      fc.property(anyStructArb(3), segmentsArb, (m, segments) => {
        const b = build(m, segments);
        const bytes = b.toBytes();
        checkStruct(readMessage(bytes).getRoot(), m);
        checkStruct(readPackedMessage(b.toPackedBytes()).getRoot(), m);
        checkStruct(b.asReader().getRoot(), m);
        checkStruct(b.getRoot(StructBuilder.sized(m.dataWords, m.pointerCount)), m);
        expectClean(readMessage(bytes));
        const canonical = canonicalize(readMessage(bytes).getRoot());
        checkStruct(readFlatMessage(canonical).getRoot(), m);
        expect(hex(canonicalize(readFlatMessage(canonical).getRoot()))).toBe(hex(canonical));
        // However it was split into segments, the content is the same.
        expect(hex(canonicalize(build(m, undefined).asReader().getRoot()))).toBe(hex(canonical));
      }),
      { numRuns: 150 },
    );
  });

  it('deep-copies a struct between messages with setPointer and setRoot', () => {
    fc.assert(
      fc.property(anyStructArb(3), segmentsArb, segmentsArb, (m, from, to) => {
        const source = readMessage(build(m, from).toBytes()).getRoot();
        const b = newBuilder(to);
        const root = b.initRoot(StructBuilder.sized(1, 2));
        root.setUint64(0, 77n);
        root.setText(1, 'before');
        root.setPointer(0, source);
        root.setPointer(1, source); // replaces the Text, which must leave no trace
        const copy = readMessage(b.toBytes()).getRoot();
        expect(copy.getUint64(0)).toBe(77n);
        checkStruct(copy.getStruct(0, StructReader), m);
        checkStruct(copy.getStruct(1, StructReader), m);
        expectClean(readMessage(b.toBytes()));
        const canonical = hex(canonicalize(source));
        expect(hex(canonicalize(copy.getStruct(1, StructReader)))).toBe(canonical);

        const again = newBuilder(to);
        again.setRoot(source);
        again.setRoot(copy.getStruct(0, StructReader));
        checkStruct(readMessage(again.toBytes()).getRoot(), m);
        expectClean(again.asReader());
        expect(hex(canonicalize(again.asReader().getRoot()))).toBe(canonical);
      }),
      { numRuns: 100 },
    );
  });

  it('enlarges a struct written with a smaller size, keeping its contents', () => {
    const growth = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }));
    fc.assert(
      fc.property(
        sizeArb.chain(([d, p]) =>
          fc.tuple(
            structArb(1, d, p),
            growth.filter(([gd, gp]) => gd + gp > 0).chain(([gd, gp]) => structArb(1, d + gd, p + gp)),
          ),
        ),
        segmentsArb,
        fc.boolean(),
        ([small, large], segments, atRoot) => {
          const b = newBuilder(segments);
          const Large = StructBuilder.sized(large.dataWords, large.pointerCount);
          let grown: StructBuilder;
          if (atRoot) {
            writeStruct(b.initRoot(StructBuilder.sized(small.dataWords, small.pointerCount)), small);
            grown = b.getRoot(Large);
          } else {
            const root = b.initRoot(StructBuilder.sized(0, 2));
            root.setText(1, 'after');
            writeStruct(root.initStructSized(0, small.dataWords, small.pointerCount), small);
            grown = root.getStructBuilder(0, Large);
          }
          expect(grown._dataBytes).toBe(large.dataWords * 8);
          expect(grown._pointerCount).toBe(large.pointerCount);
          // The old contents are there, the new fields and pointers are zero and null...
          checkStruct(grown, small);
          for (let i = small.pointerCount; i < large.pointerCount; i++)
            expect(grown.hasPointer(i)).toBe(false);
          for (let w = small.dataWords; w < large.dataWords; w++) expect(grown.getUint64(w)).toBe(0n);
          // ...and can be written.
          writeStruct(grown, large, small.dataWords, small.pointerCount);
          const expected: StructModel = {
            ...large,
            fields: [...small.fields, ...large.fields.filter((f) => f.word >= small.dataWords)],
            pointers: [...small.pointers, ...large.pointers.slice(small.pointerCount)],
          };
          const reader = readMessage(b.toBytes());
          const read = atRoot ? reader.getRoot() : reader.getRoot().getStruct(0, StructReader);
          checkStruct(read, expected);
          if (!atRoot) expect(reader.getRoot().getText(1)).toBe('after');
          // The struct's old words were cleared when it moved.
          expectClean(readMessage(b.toBytes()));
          // A second request for the same size finds it large enough and does not move it again.
          const words = b.totalWords;
          (atRoot
            ? b.getRoot(Large)
            : b.getRoot(StructBuilder.sized(0, 2)).getStructBuilder(0, Large)
          ).getUint8(0);
          expect(b.totalWords).toBe(words);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('overwriting pointers', () => {
  it('leaves no trace of what a pointer held before', () => {
    const SLOTS = 4;
    const opArb = fc.tuple(fc.nat(SLOTS - 1), pointerArb(2));
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), segmentsArb, (ops, segments) => {
        const b = newBuilder(segments);
        const root = b.initRoot(StructBuilder.sized(1, SLOTS));
        root.setUint64(0, 0x5555n);
        const final: PointerModel[] = Array.from({ length: SLOTS }, () => ({ t: 'null' }));
        for (const [slot, value] of ops) {
          writePointer(root, slot, value);
          final[slot] = value;
        }
        const expected: StructModel = {
          dataWords: 1,
          pointerCount: SLOTS,
          fields: [{ kind: 'uint64', offset: 0, word: 0, value: 0x5555n }],
          pointers: final,
        };
        const bytes = b.toBytes();
        checkStruct(readMessage(bytes).getRoot(), expected);
        expectClean(readMessage(bytes));
        // The same content, written once: the same canonical form, and (both in one segment, so without
        // landing pads) as many non-zero words, since every overwritten object was zeroed.
        const fresh = build(expected, segments);
        expect(hex(canonicalize(readMessage(bytes).getRoot()))).toBe(
          hex(canonicalize(fresh.asReader().getRoot())),
        );
        if (b.segments.length === 1 && fresh.segments.length === 1) {
          expect(nonZeroWords(bytes)).toBe(nonZeroWords(fresh.toBytes()));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('leaves no trace of overwritten list elements, list of lists included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3), textArb, bytesArb, listArb), { minLength: 1, maxLength: 30 }),
        segmentsArb,
        (ops, segments) => {
          const b = newBuilder(segments);
          const root = b.initRoot(StructBuilder.sized(0, 3));
          const texts = root.initTextList(0, 4);
          const datas = root.initDataList(1, 4);
          const lists = root.initPointerList(2, 4);
          const model: PointerModel[] = [
            { t: 'texts', values: ['', '', '', ''] },
            { t: 'datas', values: Array.from({ length: 4 }, () => new Uint8Array(0)) },
          ];
          const listValues: { kind: Primitive; values: unknown[] }[] = [];
          for (const [j, text, data, list] of ops) {
            texts.set(j, text);
            datas.set(j, data);
            const inner = lists.initPrimitiveList(j, list.kind, list.values.length);
            list.values.forEach((v, k) => {
              inner.set(k, v as never);
            });
            (model[0] as { values: string[] }).values[j] = text;
            (model[1] as { values: Uint8Array[] }).values[j] = data;
            listValues[j] = list;
          }
          const reader = readMessage(b.toBytes());
          checkStruct(reader.getRoot(), { dataWords: 0, pointerCount: 2, fields: [], pointers: model });
          // Each element read as the one pointer of a struct without data, so checkPointer can read it.
          const elements = reader
            .getRoot()
            .getPointerList(
              2,
              (arena, segment, word, nesting) =>
                new StructReader(arena, segment, word * 8, 0, word * 8, 1, nesting),
            );
          listValues.forEach((l, j) => {
            if (l !== undefined) checkPointer(elements.get(j), 0, { t: 'list', ...l }, `lists[${j}]`);
          });
          expectClean(readMessage(b.toBytes()));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('zeroes a cleared tree of structs in every segment', () => {
    fc.assert(
      fc.property(anyStructArb(3), segmentsArb, (m, segments) => {
        const b = newBuilder(segments);
        const root = b.initRoot(StructBuilder.sized(0, 1));
        writeStruct(root.initStructSized(0, m.dataWords, m.pointerCount), m);
        root.clearPointer(0);
        // Only the root pointer (and its landing pad, when the root struct is in another segment) is left:
        // the root struct's one pointer is null and everything it led to is zero.
        const rootIsFar = ((b.segments[0]?.view.getUint32(0, true) ?? 0) & 3) === 2;
        expect(nonZeroWords(b.toBytes())).toBe(rootIsFar ? 2 : 1);
        expectClean(b.asReader());
      }),
      { numRuns: 100 },
    );
  });
});

/** Non-zero words in a framed message's segments (the segment table not counted). */
function nonZeroWords(framed: Uint8Array): number {
  const reader = readMessage(framed);
  let n = 0;
  for (const s of reader.segments) {
    for (let w = 0; w < s.used; w++) {
      if (s.view.getUint32(w * 8, true) !== 0 || s.view.getUint32(w * 8 + 4, true) !== 0) n++;
    }
  }
  return n;
}
