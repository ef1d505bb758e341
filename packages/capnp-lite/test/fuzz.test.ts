// The reader on bytes nobody vouches for: random bytes, and valid messages damaged in every way a
// stream can damage them, read through every entry point and then walked in full. Whatever the bytes,
// the only exception is a CapnpError, each case ends quickly with its work bounded by the traversal
// limit, and nothing allocates in proportion to a size the input merely claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CapnpError,
  MessageBuilder,
  type MessageReader,
  Primitive,
  type ReaderOptions,
  StructBuilder,
  canonicalize,
  pack,
  readFlatMessage,
  readMessage,
  readPackedMessage,
  unpack,
} from '../src/index';
import { walkMessage } from './support/walk';
import {
  NULL,
  type Word,
  capPtr,
  compositeTag,
  farPtr,
  framedRaw,
  listPtr,
  segmentBytes,
  structPtr,
} from './support/words';

/** Rethrows anything but a CapnpError: an exception of any other type fails the property. */
function onlyCapnpErrors(e: unknown): void {
  if (!(e instanceof CapnpError)) throw e;
}

/** A case this slow means a loop the limits should have cut short (the slowest take a few milliseconds). */
const CASE_MS = 2000;

const optionsArb: fc.Arbitrary<ReaderOptions> = fc.oneof(
  fc.constant({ traversalLimitWords: 1 << 14 }),
  fc.record({
    traversalLimitWords: fc.integer({ min: 0, max: 4096 }),
    nestingLimit: fc.integer({ min: 0, max: 40 }),
  }),
);

/**
 * Reads the message `open` returns through everything a caller might use: the root, a full walk (with
 * and without the typed getters, each on a reader of its own so each gets the whole budget), and
 * canonical form.
 */
function exercise(open: () => MessageReader, options: ReaderOptions): void {
  const limit = options.traversalLimitWords ?? 1 << 23;
  const start = performance.now();
  for (const typed of [false, true]) {
    let reader: MessageReader;
    try {
      reader = open();
    } catch (e) {
      onlyCapnpErrors(e);
      return;
    }
    reader.capTable = ['cap 0', 'cap 1', 'cap 2'];
    const walked = walkMessage(reader, { typed });
    // Each word the walk counts was charged first, so a walk that got further than its budget would show.
    expect(walked.words).toBeLessThanOrEqual(limit);
    expect(walked.steps).toBeLessThanOrEqual(100 * limit + 100);
  }
  try {
    canonicalize(open().getRoot());
  } catch (e) {
    onlyCapnpErrors(e);
  }
  expect(performance.now() - start).toBeLessThan(CASE_MS);
}

/** Every way in for `bytes`: framed, flat, packed, and unpacked on its own. */
function exerciseBytes(bytes: Uint8Array, options: ReaderOptions): void {
  exercise(() => readMessage(bytes, options), options);
  exercise(() => readFlatMessage(bytes.subarray(0, bytes.length & ~7), options), options);
  exercise(() => readPackedMessage(bytes, options), options);
  try {
    expect(unpack(bytes, 4096).length).toBeLessThanOrEqual(4096);
  } catch (e) {
    onlyCapnpErrors(e);
  }
}

// ---------------------------------------------------------------------------------------------------
// Valid messages to start from

const AllTypes = StructBuilder.sized(6, 21);
const Inner = StructBuilder.sized(1, 1);

/** A struct with a field of every type, every list element size, nested structs and lists of lists. */
function allTypes(fixedSegmentWords?: number): Uint8Array {
  const b = new MessageBuilder(fixedSegmentWords ? { fixedSegmentWords } : {});
  const r = b.initRoot(AllTypes);
  r.setBool(0, true);
  r.setInt8(1, -5);
  r.setInt16(1, -1234);
  r.setInt32(1, -100000);
  r.setInt64(1, -(2n ** 40n));
  r.setUint8(16, 200);
  r.setUint16(9, 60000);
  r.setUint32(5, 4000000000);
  r.setUint64(3, 2n ** 63n + 5n);
  r.setFloat32(8, 1.5);
  r.setFloat64(5, Math.PI);
  r.setText(0, 'héllo wörld');
  r.setData(1, new Uint8Array([1, 2, 3, 255]));
  const inner = r.initStruct(2, Inner);
  inner.setUint32(0, 7);
  inner.setText(0, 'inner');
  r.initPrimitiveList(3, Primitive.VOID, 3);
  const bools = r.initPrimitiveList(4, Primitive.BOOL, 10);
  for (let i = 0; i < 10; i++) bools.set(i, i % 3 === 0);
  const bytes = r.initPrimitiveList(5, Primitive.UINT8, 5);
  for (let i = 0; i < 5; i++) bytes.set(i, i * 50);
  const i64 = r.initPrimitiveList(8, Primitive.INT64, 2);
  i64.set(0, -1n);
  i64.set(1, 12345678901234n);
  const f32 = r.initPrimitiveList(13, Primitive.FLOAT32, 2);
  f32.set(0, 0.25);
  f32.set(1, -2);
  const texts = r.initTextList(15, 3);
  texts.set(0, 'a');
  texts.set(1, '');
  texts.set(2, 'ccc');
  r.initDataList(16, 1).set(0, new Uint8Array([9, 8]));
  const structs = r.initStructList(17, Inner, 2);
  structs.get(0).setUint32(0, 1);
  structs.get(1).setText(0, 'two');
  const u16 = r.initPrimitiveList(18, Primitive.UINT16, 2);
  u16.set(0, 1);
  u16.set(1, 2);
  const lists = r.initPointerList(19, 2);
  const first = lists.initPrimitiveList(0, Primitive.INT32, 2);
  first.set(0, 1);
  first.set(1, -1);
  lists.initPrimitiveList(1, Primitive.INT32, 0);
  r.initStruct(20, AllTypes).setText(0, 'nested');
  return b.toBytes();
}

/** A chain of structs, each with a Text and the next link. */
function chain(depth: number, fixedSegmentWords?: number): Uint8Array {
  const b = new MessageBuilder(fixedSegmentWords ? { fixedSegmentWords } : {});
  let s = b.initRoot(StructBuilder.sized(1, 2));
  for (let d = 0; d < depth; d++) {
    s.setUint64(0, BigInt(d));
    s.setText(1, `link ${d}`);
    s = s.initStruct(0, StructBuilder.sized(1, 2));
  }
  return b.toBytes();
}

/** Structs enlarged after their segment filled up: their pointers are moved through double-far pointers. */
function enlarged(): Uint8Array {
  const b = new MessageBuilder({ fixedSegmentWords: 3 });
  const root = b.initRoot(StructBuilder.sized(0, 2));
  const small = root.initStructSized(0, 1, 2);
  small.setUint64(0, 99n);
  small.setText(0, 'moved');
  small.initPrimitiveList(1, Primitive.UINT32, 3).set(2, 3);
  root.setText(1, 'fills the segment');
  root.getStructBuilder(0, StructBuilder.sized(2, 3)).setText(2, 'added');
  return b.toBytes();
}

/** Capability pointers, in a field and in a list. */
function capabilities(): Uint8Array {
  const b = new MessageBuilder();
  const root = b.initRoot(StructBuilder.sized(0, 2));
  root.setCapability(0, 'cap 0');
  const caps = root.initPointerList(1, 3);
  caps.setCapability(0, 'cap 1');
  caps.setCapability(2, 'cap 0');
  return b.toBytes();
}

const VALID: readonly Uint8Array[] = [
  allTypes(),
  allTypes(4),
  allTypes(1),
  allTypes(7),
  chain(12),
  chain(6, 2),
  enlarged(),
  capabilities(),
  new MessageBuilder().toBytes(),
];

// ---------------------------------------------------------------------------------------------------
// Damage

/** Pointer words with plausible fields (small offsets, counts and segment ids), so that damage reaches
 * the pointer checks instead of stopping at the first bounds check. */
const pointerWordArb: fc.Arbitrary<Word> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: -6, max: 12 }), fc.nat(3), fc.nat(3))
      .map(([offset, dataWords, pointers]) => structPtr(offset, dataWords, pointers)),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.integer({ min: -6, max: 12 }),
        fc.nat(7),
        fc.oneof({ weight: 4, arbitrary: fc.nat(16) }, fc.constant(2 ** 29 - 1), fc.nat(2 ** 29 - 1)),
      )
      .map(([offset, size, count]) => listPtr(offset, size, count)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.nat(6) }, fc.nat(2 ** 30 - 1)),
        fc.nat(3),
        fc.oneof(fc.nat(3), fc.constant(0xffff)),
      )
      .map(([elements, dataWords, pointers]) => compositeTag(elements, dataWords, pointers)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(24), fc.oneof({ weight: 4, arbitrary: fc.nat(4) }, fc.nat(0xffffffff)), fc.boolean())
      .map(([pad, segment, double]) => farPtr(pad, segment, double)),
  },
  { weight: 1, arbitrary: fc.oneof(fc.nat(4), fc.nat(0xffffffff)).map(capPtr) },
  // Data: zero words (null pointers, NULs of Text), small values, anything.
  { weight: 2, arbitrary: fc.constant(NULL) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(0x7f7f7f7f), fc.nat(255)).map(([lo, hi]): Word => [lo, hi]) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map(([lo, hi]): Word => [lo, hi]),
  },
);

/** A root pointer to a struct right after it, with pointers to follow. */
const rootWordArb: fc.Arbitrary<Word> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(fc.nat(1), fc.integer({ min: 1, max: 4 })).map(([d, p]) => structPtr(0, d, p)),
  },
  pointerWordArb,
);

type Mutation =
  | { t: 'flip'; at: number; bit: number }
  | { t: 'byte'; at: number; value: number }
  | { t: 'truncate'; at: number }
  | { t: 'duplicate'; at: number }
  | { t: 'pointer'; at: number; word: Word }
  | { t: 'table'; entry: number; value: number };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('flip' as const), at: fraction, bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('byte' as const), at: fraction, value: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('truncate' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('duplicate' as const), at: fraction }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('pointer' as const), at: fraction, word: pointerWordArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('table' as const),
      entry: fc.nat(4),
      value: fc.oneof(fc.nat(8), fc.constant(512), fc.constant(0xffffffff), fc.nat(0xffffffff)),
    }),
  },
);

/** Applies one mutation; word-sized ones act on whole (aligned) words. */
function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const words = bytes.length >>> 3;
  switch (m.t) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      const at = Math.floor(m.at * bytes.length);
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case 'byte': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[Math.floor(m.at * bytes.length)] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, Math.floor(m.at * bytes.length));
    case 'duplicate': {
      if (words === 0) return bytes;
      const at = Math.floor(m.at * words) * 8;
      const out = new Uint8Array(bytes.length + 8);
      out.set(bytes.subarray(0, at + 8));
      out.set(bytes.subarray(at), at + 8);
      return out;
    }
    case 'pointer': {
      if (words === 0) return bytes;
      const out = bytes.slice();
      out.set(segmentBytes([m.word]), Math.floor(m.at * words) * 8);
      return out;
    }
    case 'table': {
      // Entry 0 is the segment count - 1, entry i the size of segment i - 1.
      if (bytes.length < 4 * m.entry + 4) return bytes;
      const out = bytes.slice();
      new DataView(out.buffer).setUint32(4 * m.entry, m.value, true);
      return out;
    }
  }
}

const damagedArb = fc
  .tuple(fc.constantFrom(...VALID), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([bytes, mutations]) => mutations.reduce(mutate, bytes));

/** Messages made of pointer-like words under a segment table that is true, or nearly. */
const synthesizedArb = fc
  .tuple(
    rootWordArb,
    fc.array(fc.array(pointerWordArb, { minLength: 0, maxLength: 24 }), { minLength: 1, maxLength: 4 }),
  )
  .map(([root, segments]) => [[root, ...(segments[0] as Word[])], ...segments.slice(1)])
  .chain((segments) =>
    fc.tuple(
      fc.constant(segments),
      fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -2, max: 2 })), {
        minLength: segments.length,
        maxLength: segments.length,
      }),
    ),
  )
  .map(([segments, skew]) =>
    framedRaw(
      segments.map((s, i) => Math.max(0, s.length + (skew[i] as number))),
      segments.map((s) => segmentBytes(s)),
    ),
  );

// ---------------------------------------------------------------------------------------------------

describe('valid messages', () => {
  it('walk without an error, through every entry point', () => {
    for (const bytes of VALID) {
      for (const reader of [readMessage(bytes), readPackedMessage(pack(bytes))]) {
        reader.capTable = ['cap 0', 'cap 1', 'cap 2'];
        expect(walkMessage(reader).errors).toEqual([]);
      }
    }
  });
});

describe('fuzzing the reader', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), optionsArb, (bytes, options) =>
        exerciseBytes(bytes, options),
      ),
      { numRuns: 1500 },
    );
  });

  it('random bytes under a valid segment table', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 96 }), { minLength: 1, maxLength: 3 }),
        optionsArb,
        (segments, options) => {
          const bodies = segments.map((s) => s.subarray(0, s.length & ~7));
          exerciseBytes(
            framedRaw(
              bodies.map((b) => b.length / 8),
              bodies,
            ),
            options,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('messages made of pointer words', () => {
    fc.assert(
      fc.property(synthesizedArb, optionsArb, (bytes, options) => exerciseBytes(bytes, options)),
      { numRuns: 2000 },
    );
  });

  it('valid messages, damaged', () => {
    fc.assert(
      fc.property(damagedArb, optionsArb, (bytes, options) => exerciseBytes(bytes, options)),
      { numRuns: 3000 },
    );
  });

  it('valid messages, packed, then damaged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID).map(pack),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        optionsArb,
        (packed, mutations, options) => {
          const damaged = mutations.reduce(mutate, packed);
          exercise(() => readPackedMessage(damaged, options), options);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('memory', () => {
  /** The largest length any `new Uint8Array(n)` asked for while `run` ran. */
  function largestAllocation(run: () => void): number {
    const Original = globalThis.Uint8Array;
    let largest = 0;
    globalThis.Uint8Array = new Proxy(Original, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') largest = Math.max(largest, args[0]);
        return Reflect.construct(target, args, newTarget);
      },
    });
    try {
      run();
    } catch (e) {
      onlyCapnpErrors(e);
    } finally {
      globalThis.Uint8Array = Original;
    }
    return largest;
  }

  /** Packed input as runs: zero runs claim up to 2 KiB for two bytes, raw runs up to 2 KiB for 2 KiB. */
  const packedArb = fc
    .array(
      fc.oneof(
        fc.nat(255).map((n) => [0, n]),
        fc
          .tuple(fc.nat(255), fc.uint8Array({ maxLength: 64 }))
          .map(([n, raw]) => [0xff, 1, 2, 3, 4, 5, 6, 7, 8, n, ...raw]),
        fc.uint8Array({ minLength: 1, maxLength: 9 }).map((b) => [...b]),
      ),
      { maxLength: 60 },
    )
    .map((tokens) => Uint8Array.from(tokens.flat()));

  it('unpack allocates at most maxBytes, whatever the input claims', () => {
    fc.assert(
      fc.property(packedArb, fc.nat(20_000), (packed, maxBytes) => {
        expect(largestAllocation(() => unpack(packed, maxBytes))).toBeLessThanOrEqual(maxBytes);
      }),
      { numRuns: 500 },
    );
    // 200 000 bytes of [0, 255] claim 200 MB.
    const claim = new Uint8Array(200_000);
    for (let i = 1; i < claim.length; i += 2) claim[i] = 255;
    expect(largestAllocation(() => unpack(claim, 1 << 20))).toBe(0);
  });

  it('readPackedMessage allocates no more than its traversal limit allows', () => {
    fc.assert(
      fc.property(packedArb, fc.nat(2000), (packed, words) => {
        const largest = largestAllocation(() => readPackedMessage(packed, { traversalLimitWords: words }));
        expect(largest).toBeLessThanOrEqual(words * 8 + 8 * 520);
      }),
      { numRuns: 500 },
    );
  });
});
