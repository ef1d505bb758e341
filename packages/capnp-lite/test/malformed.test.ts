// Messages no correct writer produces, made word by word: the reader must refuse each with a CapnpError
// whose code names the broken rule, and never fail any other way (a RangeError from a DataView, a hang,
// an allocation the size of a claimed length). Builder misuse is refused the same way.
import { describe, expect, it } from 'vitest';
import {
  type Arena,
  type CapnpErrorCode,
  DEFAULT_NESTING_LIMIT,
  DEFAULT_TRAVERSAL_LIMIT_WORDS,
  ElementSize,
  MessageBuilder,
  MessageReader,
  PointerList,
  Primitive,
  PrimitiveList,
  type ReaderOptions,
  type Segment,
  StructBuilder,
  StructReader,
  nestedList,
  readFlatMessage,
  readMessage,
  readPackedMessage,
  unpack,
} from '../src/index';
import { codeOf } from './support/error-code';
import { walkMessage } from './support/walk';
import {
  NULL,
  Size,
  type Word,
  capPtr,
  compositeTag,
  data,
  farPtr,
  framed,
  framedRaw,
  listPtr,
  segmentBytes,
  structPtr,
  textWords,
} from './support/words';

function rootOf(bytes: Uint8Array, options?: ReaderOptions): StructReader {
  return readMessage(bytes, options).getRoot();
}

/** A message whose root struct has no data and one pointer, `pointer`; `rest` follows from word 2. */
function withPointer(pointer: Word, ...rest: Word[]): Uint8Array {
  return framed([structPtr(0, 0, 1), pointer, ...rest]);
}

/** The codes of the errors a full walk of `bytes` records (it goes on past each). */
function walkCodes(bytes: Uint8Array, options?: ReaderOptions): CapnpErrorCode[] {
  const reader = readMessage(bytes, options);
  reader.capTable = ['cap0'];
  return walkMessage(reader).errors.map((e) => e.code);
}

const anyList = (_a: unknown, s: unknown) => s;

/** A list of lists of lists...: the element type of a list that may contain itself. */
interface Nested extends PointerList<Nested> {}

describe('segment table', () => {
  it('refuses fewer than 8 bytes', () => {
    for (let n = 0; n < 8; n++) expect(codeOf(() => readMessage(new Uint8Array(n)))).toBe('BAD_FRAMING');
  });

  it('refuses a table cut short of the sizes it announces', () => {
    for (let count = 2; count <= 9; count++) {
      const full = framedRaw(
        Array.from({ length: count }, () => 0),
        [],
      );
      expect(codeOf(() => rootOf(full))).toBe('OUT_OF_BOUNDS'); // complete, but segment 0 is empty
      for (let cut = 8; cut < full.length; cut += 4) {
        expect(codeOf(() => readMessage(full.subarray(0, cut)))).toBe('BAD_FRAMING');
      }
    }
  });

  it('refuses more than 512 segments before reading the table', () => {
    const tooMany = framedRaw(
      Array.from({ length: 513 }, () => 0),
      [],
    );
    expect(codeOf(() => readMessage(tooMany))).toBe('BAD_FRAMING');
    // A count of 2^32 (0xffffffff + 1) in an 8-byte message: refused without looking further.
    expect(codeOf(() => readMessage(framedRaw([0], [], 0)))).toBe('BAD_FRAMING');
    // 512 segments is the most the framing allows.
    const sizes = Array.from({ length: 512 }, (_, i) => (i === 0 ? 1 : 0));
    const most = framedRaw(sizes, [segmentBytes([NULL])]);
    expect(readMessage(most).segments.length).toBe(512);
    expect(readMessage(most).getRoot()._pointerCount).toBe(0);
  });

  it('refuses segment sizes that run past the end of the bytes', () => {
    const word = segmentBytes([structPtr(0, 1, 0), data(7)]);
    expect(codeOf(() => readMessage(framedRaw([3], [word])))).toBe('BAD_FRAMING');
    expect(codeOf(() => readMessage(framedRaw([2, 1], [word])))).toBe('BAD_FRAMING');
    expect(codeOf(() => readMessage(framedRaw([0xffffffff], [word])))).toBe('BAD_FRAMING');
    expect(codeOf(() => readMessage(framedRaw([1, 0xffffffff, 0xffffffff], [word])))).toBe('BAD_FRAMING');
    // Each byte short of the last segment is refused.
    const whole = framed([structPtr(0, 1, 0), data(7)], [data(1), data(2)]);
    for (let cut = 0; cut < whole.length; cut++) {
      expect(codeOf(() => readMessage(whole.subarray(0, cut)))).toBe('BAD_FRAMING');
    }
    expect(rootOf(whole).getUint32(0)).toBe(7);
  });

  it('refuses segments that are not whole words, and a message with none', () => {
    expect(codeOf(() => readFlatMessage(new Uint8Array(12)))).toBe('BAD_FRAMING');
    expect(codeOf(() => new MessageReader([new Uint8Array(8), new Uint8Array(3)]))).toBe('BAD_FRAMING');
    expect(codeOf(() => new MessageReader([]))).toBe('BAD_FRAMING');
    expect(codeOf(() => readFlatMessage(new Uint8Array(0)).getRoot())).toBe('OUT_OF_BOUNDS');
  });
});

describe('struct pointers', () => {
  it('refuses a struct that ends past its segment', () => {
    expect(codeOf(() => rootOf(framed([structPtr(0, 2, 0), data(1)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([structPtr(0, 0, 3), NULL, NULL])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([structPtr(5, 1, 0), data(1)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([structPtr(2 ** 29 - 1, 1, 0)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([structPtr(0, 0xffff, 0xffff)])))).toBe('OUT_OF_BOUNDS');
    // Exactly at the end is fine.
    expect(rootOf(framed([structPtr(0, 1, 1), data(9), NULL])).getUint32(0)).toBe(9);
  });

  it('refuses a struct that starts before its segment (negative offsets)', () => {
    expect(codeOf(() => rootOf(framed([structPtr(-2, 1, 0), data(1)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([structPtr(-(2 ** 29), 1, 0)])))).toBe('OUT_OF_BOUNDS');
    // A child pointer at word 1 with offset -3 lands at word -1.
    const child = withPointer(structPtr(-3, 1, 0));
    expect(codeOf(() => rootOf(child).getStruct(0, StructReader))).toBe('OUT_OF_BOUNDS');
    // A zero-sized struct has no words to be out of bounds, wherever it points inside the segment.
    const empty = withPointer(structPtr(-1, 0, 0));
    expect(rootOf(empty).getStruct(0, StructReader)._dataBytes).toBe(0);
  });

  it('checks structs in other segments against their own segment', () => {
    // Root: a far pointer to a pad in segment 1 whose struct claims 2 words where the segment has 1.
    const bytes = framed([farPtr(0, 1)], [structPtr(0, 2, 0), data(1)]);
    expect(codeOf(() => rootOf(bytes))).toBe('OUT_OF_BOUNDS');
  });
});

describe('list pointers', () => {
  // Per element size: a primitive kind to read it as, and how many elements fit in one word.
  const cases = [
    { size: Size.BIT, perWord: 64, read: (r: StructReader) => r.getPrimitiveList(0, Primitive.BOOL) },
    { size: Size.BYTE, perWord: 8, read: (r: StructReader) => r.getData(0) },
    { size: Size.TWO, perWord: 4, read: (r: StructReader) => r.getPrimitiveList(0, Primitive.UINT16) },
    { size: Size.FOUR, perWord: 2, read: (r: StructReader) => r.getPrimitiveList(0, Primitive.FLOAT32) },
    { size: Size.EIGHT, perWord: 1, read: (r: StructReader) => r.getPrimitiveList(0, Primitive.INT64) },
    { size: Size.POINTER, perWord: 1, read: (r: StructReader) => r.getTextList(0) },
  ];

  it.each(cases)('refuses a list of element size $size that runs past the end', ({ size, perWord, read }) => {
    for (const words of [0, 1, 3]) {
      const body = Array.from({ length: words }, () => NULL);
      const fits = withPointer(listPtr(0, size, words * perWord), ...body);
      expect(codeOf(() => read(rootOf(fits)))).toBe('no error');
      const over = withPointer(listPtr(0, size, words * perWord + 1), ...body);
      expect(codeOf(() => read(rootOf(over)))).toBe('OUT_OF_BOUNDS');
      const huge = withPointer(listPtr(0, size, 2 ** 29 - 1), ...body);
      expect(codeOf(() => read(rootOf(huge)))).toBe('OUT_OF_BOUNDS');
      const after = withPointer(listPtr(words + 1, size, 1), ...body);
      expect(codeOf(() => read(rootOf(after)))).toBe('OUT_OF_BOUNDS');
      const before = withPointer(listPtr(-3, size, 1), ...body);
      expect(codeOf(() => read(rootOf(before)))).toBe('OUT_OF_BOUNDS');
      expect(codeOf(() => rootOf(over).getList(0, ElementSize.VOID, anyList))).toBe('OUT_OF_BOUNDS');
    }
  });

  it('refuses a Void list whose (empty) extent starts outside the segment', () => {
    const read = (r: StructReader) => r.getPrimitiveList(0, Primitive.VOID);
    expect(read(rootOf(withPointer(listPtr(0, Size.VOID, 1000)))).length).toBe(1000);
    expect(codeOf(() => read(rootOf(withPointer(listPtr(1, Size.VOID, 1)))))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => read(rootOf(withPointer(listPtr(-3, Size.VOID, 1)))))).toBe('OUT_OF_BOUNDS');
  });

  describe('composite lists', () => {
    const read = (r: StructReader) => r.getStructList(0, StructReader);

    it('reads a well-formed one', () => {
      const ok = withPointer(
        listPtr(0, Size.COMPOSITE, 4),
        compositeTag(2, 1, 1),
        data(5),
        NULL,
        data(6),
        NULL,
      );
      expect(
        read(rootOf(ok))
          .toArray()
          .map((s) => s.getUint32(0)),
      ).toEqual([5, 6]);
    });

    it('refuses a word count past the end of the segment', () => {
      const bytes = withPointer(
        listPtr(0, Size.COMPOSITE, 5),
        compositeTag(2, 1, 1),
        data(5),
        NULL,
        data(6),
        NULL,
      );
      expect(codeOf(() => read(rootOf(bytes)))).toBe('OUT_OF_BOUNDS');
      // No room even for the tag.
      expect(codeOf(() => read(rootOf(withPointer(listPtr(0, Size.COMPOSITE, 0)))))).toBe('OUT_OF_BOUNDS');
      expect(codeOf(() => read(rootOf(withPointer(listPtr(-3, Size.COMPOSITE, 0), NULL))))).toBe(
        'OUT_OF_BOUNDS',
      );
    });

    it('refuses a tag that is not in struct-pointer format', () => {
      for (const tag of [listPtr(2, Size.BYTE, 1), farPtr(0, 0), capPtr(0), farPtr(0, 0, true)]) {
        const bytes = withPointer(listPtr(0, Size.COMPOSITE, 2), tag, data(5), data(6));
        expect(codeOf(() => read(rootOf(bytes)))).toBe('BAD_POINTER');
      }
    });

    it('refuses elements that need more words than the list has', () => {
      const cases: [number, number, number, number][] = [
        // [word count, elements, data words, pointers]
        [3, 2, 1, 1],
        [4, 5, 1, 0],
        [1, 1, 0, 2],
        [2, 2 ** 30 - 1, 1, 0],
        [2, 2, 0xffff, 0xffff],
      ];
      for (const [count, elements, dataWords, pointers] of cases) {
        const body = Array.from({ length: count }, () => NULL);
        const bytes = withPointer(
          listPtr(0, Size.COMPOSITE, count),
          compositeTag(elements, dataWords, pointers),
          ...body,
        );
        expect(codeOf(() => read(rootOf(bytes)))).toBe('OUT_OF_BOUNDS');
      }
    });
  });
});

describe('far pointers', () => {
  it('follows a single far pointer and a double-far pointer to their objects', () => {
    const single = framed([farPtr(1, 1)], [data(0xdead), structPtr(0, 1, 0), data(42)]);
    expect(rootOf(single).getUint32(0)).toBe(42);
    // Double far: pad (in segment 1) = far pointer to word 0 of segment 2, then the tag.
    const double = framed([farPtr(0, 1, true)], [farPtr(0, 2), structPtr(0, 1, 0)], [data(43)]);
    expect(rootOf(double).getUint32(0)).toBe(43);
    const text = framed(
      [structPtr(0, 0, 1), farPtr(0, 1, true)],
      [farPtr(0, 2), listPtr(0, Size.BYTE, 3)],
      textWords('hi'),
    );
    expect(rootOf(text).getText(0)).toBe('hi');
    // A far pointer may lead to a pad in its own segment.
    const near = withPointer(farPtr(2, 0), structPtr(0, 1, 0), data(44));
    expect(rootOf(near).getStruct(0, StructReader).getUint32(0)).toBe(44);
  });

  it('refuses far pointers to segments the message does not have', () => {
    expect(codeOf(() => rootOf(framed([farPtr(0, 1)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([farPtr(0, 0xffffffff)])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([farPtr(0, 7, true)], [NULL])))).toBe('OUT_OF_BOUNDS');
    // The far pointer inside a double-far pad names a missing segment.
    expect(codeOf(() => rootOf(framed([farPtr(0, 1, true)], [farPtr(0, 5), structPtr(0, 1, 0)])))).toBe(
      'OUT_OF_BOUNDS',
    );
  });

  it('refuses landing pads past the end of their segment', () => {
    expect(codeOf(() => rootOf(framed([farPtr(2, 1)], [NULL, NULL])))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => rootOf(framed([farPtr(2 ** 29 - 1, 1)], [NULL])))).toBe('OUT_OF_BOUNDS');
    // A double-far pad needs two words.
    expect(codeOf(() => rootOf(framed([farPtr(1, 1, true)], [NULL, farPtr(0, 0)])))).toBe('OUT_OF_BOUNDS');
    // Through a child pointer, and in the segment of the pointer itself.
    expect(codeOf(() => rootOf(withPointer(farPtr(3, 0))).getStruct(0, StructReader))).toBe('OUT_OF_BOUNDS');
  });

  it('refuses a landing pad that is itself a far pointer', () => {
    for (const pad of [farPtr(1, 1), farPtr(0, 0), farPtr(0, 1, true)]) {
      const bytes = framed([farPtr(0, 1)], [pad, structPtr(0, 1, 0), data(1)]);
      expect(codeOf(() => rootOf(bytes))).toBe('BAD_POINTER');
    }
  });

  it('refuses a double-far pad that does not begin with a single far pointer', () => {
    for (const first of [structPtr(0, 1, 0), listPtr(0, Size.BYTE, 8), capPtr(0), farPtr(0, 2, true), NULL]) {
      const bytes = framed([farPtr(0, 1, true)], [first, structPtr(0, 1, 0)], [data(43)]);
      expect(codeOf(() => rootOf(bytes))).toBe('BAD_POINTER');
    }
  });

  it('refuses a double-far tag that is neither a struct nor a list pointer', () => {
    for (const tag of [farPtr(0, 2), capPtr(0)]) {
      const bytes = framed([farPtr(0, 1, true)], [farPtr(0, 2), tag], [data(43)]);
      expect(codeOf(() => rootOf(bytes))).toBe('BAD_POINTER');
    }
  });

  it('checks the object a double-far pad describes against its segment', () => {
    const struct = framed([farPtr(0, 1, true)], [farPtr(0, 2), structPtr(0, 2, 0)], [data(43)]);
    expect(codeOf(() => rootOf(struct))).toBe('OUT_OF_BOUNDS');
    const bytes = framed(
      [structPtr(0, 0, 1), farPtr(0, 1, true)],
      [farPtr(1, 2), listPtr(0, Size.EIGHT, 2)],
      [data(1), data(2)],
    );
    expect(codeOf(() => rootOf(bytes).getPrimitiveList(0, Primitive.UINT64))).toBe('OUT_OF_BOUNDS');
  });

  it('refuses a capability in a landing pad where a struct or list is expected', () => {
    const capPad = framed([structPtr(0, 0, 1), farPtr(0, 1)], [capPtr(0)]);
    expect(codeOf(() => rootOf(capPad).getStruct(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => rootOf(capPad).getText(0))).toBe('TYPE_MISMATCH');
    // Capabilities are never reached through a far pointer.
    const reader = readMessage(capPad);
    reader.capTable = ['cap'];
    expect(codeOf(() => reader.getRoot().getCapability(0))).toBe('TYPE_MISMATCH');
  });
});

describe('Text', () => {
  it('refuses Text without its NUL', () => {
    const read = (pointer: Word, ...body: Word[]) => rootOf(withPointer(pointer, ...body)).getText(0);
    expect(read(listPtr(0, Size.BYTE, 3), ...textWords('hi'))).toBe('hi');
    expect(codeOf(() => read(listPtr(0, Size.BYTE, 2), ...textWords('hi')))).toBe('BAD_TEXT');
    expect(codeOf(() => read(listPtr(0, Size.BYTE, 3), ...textWords('abc', false)))).toBe('BAD_TEXT');
    expect(codeOf(() => read(listPtr(0, Size.BYTE, 0)))).toBe('BAD_TEXT');
    expect(codeOf(() => read(listPtr(0, Size.BYTE, 8), ...textWords('a\0bcdefgh', false)))).toBe('BAD_TEXT');
    // The same bytes are fine as Data.
    const data2 = rootOf(withPointer(listPtr(0, Size.BYTE, 3), ...textWords('abc', false))).getData(0);
    expect([...data2]).toEqual([97, 98, 99]);
  });

  it('refuses an element of a Text list without its NUL', () => {
    const bytes = withPointer(
      listPtr(0, Size.POINTER, 2),
      listPtr(1, Size.BYTE, 2),
      listPtr(1, Size.BYTE, 2),
      ...textWords('a'),
      ...textWords('bc', false),
    );
    const list = rootOf(bytes).getTextList(0);
    expect(list.get(0)).toBe('a');
    expect(codeOf(() => list.get(1))).toBe('BAD_TEXT');
  });

  it('refuses Text that is not a list of bytes', () => {
    const read = (p: Word, ...rest: Word[]) => codeOf(() => rootOf(withPointer(p, ...rest)).getText(0));
    expect(read(listPtr(0, Size.TWO, 2), data(0x61))).toBe('TYPE_MISMATCH');
    expect(read(listPtr(0, Size.BIT, 8), data(0x61))).toBe('TYPE_MISMATCH');
    expect(read(listPtr(0, Size.COMPOSITE, 1), compositeTag(1, 1, 0), data(0x61))).toBe('TYPE_MISMATCH');
    expect(read(structPtr(0, 1, 0), data(0x61))).toBe('TYPE_MISMATCH');
    expect(
      codeOf(() =>
        rootOf(withPointer(listPtr(0, Size.COMPOSITE, 1), compositeTag(1, 1, 0), data(1))).getData(0),
      ),
    ).toBe('TYPE_MISMATCH');
  });
});

describe('capabilities', () => {
  it('refuses an index outside the capability table', () => {
    const reader = (index: number, table: unknown[]) => {
      const r = readMessage(withPointer(capPtr(index)));
      r.capTable = table;
      return r.getRoot();
    };
    expect(reader(0, ['a']).getCapability(0)).toBe('a');
    expect(codeOf(() => reader(0, []).getCapability(0))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => reader(1, ['a']).getCapability(0))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => reader(0xffffffff, ['a']).getCapability(0))).toBe('OUT_OF_BOUNDS');
    const list = readMessage(withPointer(listPtr(0, Size.POINTER, 2), capPtr(0), capPtr(2)));
    list.capTable = ['a', 'b'];
    const caps = list.getRoot().getCapabilityList(0);
    expect(caps.get(0)).toBe('a');
    expect(codeOf(() => caps.get(1))).toBe('OUT_OF_BOUNDS');
  });

  it('refuses a capability where another kind is expected, and the reverse', () => {
    const cap = readMessage(withPointer(capPtr(0)));
    cap.capTable = ['a'];
    const root = cap.getRoot();
    expect(codeOf(() => root.getStruct(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => root.getText(0))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => root.getStructList(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => rootOf(withPointer(structPtr(0, 1, 0), data(1))).getCapability(0))).toBe(
      'TYPE_MISMATCH',
    );
    // Bits 2-31 of a capability pointer are reserved.
    expect(codeOf(() => rootOf(withPointer([7, 0])).getCapability(0))).toBe('TYPE_MISMATCH');
  });
});

describe('kind mismatches', () => {
  const struct = withPointer(structPtr(0, 1, 1), data(1), NULL);
  const bytes = withPointer(listPtr(0, Size.BYTE, 4), data(0x00636261));

  it('refuses a struct where a list is expected', () => {
    const r = rootOf(struct);
    expect(codeOf(() => r.getPrimitiveList(0, Primitive.UINT8))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getStructList(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getTextList(0))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getDataList(0))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getData(0))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getList(0, ElementSize.VOID, anyList))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => r.getPointerList(0, nestedList(ElementSize.VOID, anyList)))).toBe('TYPE_MISMATCH');
  });

  it('refuses a list where a struct is expected', () => {
    expect(codeOf(() => rootOf(bytes).getStruct(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => rootOf(framed([listPtr(0, Size.BYTE, 0)])))).toBe('TYPE_MISMATCH');
    // A list element that should be a list but is a struct.
    const nested = withPointer(listPtr(0, Size.POINTER, 1), structPtr(0, 1, 0), data(1));
    const lists = rootOf(nested).getPointerList(
      0,
      nestedList(ElementSize.BYTE, (a, s, n) => new PrimitiveList(a, s, n, Primitive.UINT8)),
    );
    expect(codeOf(() => lists.get(0))).toBe('TYPE_MISMATCH');
  });

  it('refuses element encodings the expected type cannot be read from', () => {
    const bits = rootOf(withPointer(listPtr(0, Size.BIT, 3), data(5)));
    expect(codeOf(() => bits.getStructList(0, StructReader))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => bits.getPrimitiveList(0, Primitive.UINT8))).toBe('TYPE_MISMATCH');
    expect(bits.getPrimitiveList(0, Primitive.BOOL).toArray()).toEqual([true, false, true]);
    expect(codeOf(() => rootOf(bytes).getPrimitiveList(0, Primitive.UINT32))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => rootOf(bytes).getPrimitiveList(0, Primitive.BOOL))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => rootOf(bytes).getTextList(0))).toBe('TYPE_MISMATCH');
    const structs = rootOf(withPointer(listPtr(0, Size.COMPOSITE, 1), compositeTag(1, 1, 0), data(9)));
    expect(codeOf(() => structs.getPrimitiveList(0, Primitive.BOOL))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => structs.getTextList(0))).toBe('TYPE_MISMATCH');
    expect(structs.getPrimitiveList(0, Primitive.UINT64).toArray()).toEqual([9n]);
    const pointers = rootOf(withPointer(listPtr(0, Size.POINTER, 1), NULL));
    expect(codeOf(() => pointers.getPrimitiveList(0, Primitive.UINT64))).toBe('TYPE_MISMATCH');
  });
});

describe('amplification', () => {
  const LIMIT = DEFAULT_TRAVERSAL_LIMIT_WORDS;

  /** Runs `read` and checks it finished within `ms` (the attacks here would take minutes or gigabytes). */
  function quick<T>(ms: number, read: () => T): T {
    const start = performance.now();
    const value = read();
    expect(performance.now() - start).toBeLessThan(ms);
    return value;
  }

  it('charges a List(Void) one word per element', () => {
    const voids = withPointer(listPtr(0, Size.VOID, 2 ** 29 - 1));
    expect(quick(500, () => codeOf(() => rootOf(voids).getPrimitiveList(0, Primitive.VOID)))).toBe(
      'TRAVERSAL_LIMIT',
    );
    expect(quick(500, () => codeOf(() => rootOf(voids).getStructList(0, StructReader)))).toBe(
      'TRAVERSAL_LIMIT',
    );
    expect(quick(500, () => walkCodes(voids))).toContain('TRAVERSAL_LIMIT');
    // With a small limit: the root struct costs 1 word, so 99 elements fit in 100 words and 100 do not.
    const small = { traversalLimitWords: 100 };
    expect(
      rootOf(withPointer(listPtr(0, Size.VOID, 99)), small).getPrimitiveList(0, Primitive.VOID).length,
    ).toBe(99);
    expect(
      codeOf(() =>
        rootOf(withPointer(listPtr(0, Size.VOID, 100)), small).getPrimitiveList(0, Primitive.VOID),
      ),
    ).toBe('TRAVERSAL_LIMIT');
  });

  it('charges a list of zero-sized structs one word per element', () => {
    const empties = withPointer(listPtr(0, Size.COMPOSITE, 0), compositeTag(2 ** 30 - 1, 0, 0));
    expect(quick(500, () => codeOf(() => rootOf(empties).getStructList(0, StructReader)))).toBe(
      'TRAVERSAL_LIMIT',
    );
    expect(quick(500, () => walkCodes(empties))).toContain('TRAVERSAL_LIMIT');
    // Root struct 1 word, the tag 1 word: 98 elements fit in 100 words, 99 do not.
    const small = { traversalLimitWords: 100 };
    const fits = withPointer(listPtr(0, Size.COMPOSITE, 0), compositeTag(98, 0, 0));
    expect(rootOf(fits, small).getStructList(0, StructReader).length).toBe(98);
    const over = withPointer(listPtr(0, Size.COMPOSITE, 0), compositeTag(99, 0, 0));
    expect(codeOf(() => rootOf(over, small).getStructList(0, StructReader))).toBe('TRAVERSAL_LIMIT');
  });

  // A list of 2000 pointers, all to one struct of 8000 data words: 10 002 words that read as 16 M.
  const SHARED_WORDS = 8000;
  const POINTERS = 2000;
  const shared = withPointer(
    listPtr(0, Size.POINTER, POINTERS),
    ...Array.from({ length: POINTERS }, (_, i) => structPtr(POINTERS - i - 1, SHARED_WORDS, 0)),
    ...Array.from({ length: SHARED_WORDS }, (_, i) => data(i + 1)),
  );
  const sharedList = (r: StructReader) =>
    r.getPointerList(0, (arena, segment, word, nesting) =>
      new StructReader(arena, segment, word * 8, 0, word * 8, 1, nesting).getStruct(0, StructReader),
    );

  it('charges every read of an object many pointers share', () => {
    for (const [options, reads] of [
      [{}, Math.floor((LIMIT - 1 - POINTERS) / SHARED_WORDS)],
      [{ traversalLimitWords: 30_000 }, 3],
    ] as const) {
      const list = sharedList(rootOf(shared, options));
      let done = 0;
      const code = quick(2000, () =>
        codeOf(() => {
          for (const s of list) {
            expect(s.getUint32(2 * 17)).toBe(18);
            done++;
          }
        }),
      );
      expect(code).toBe('TRAVERSAL_LIMIT');
      expect(done).toBe(reads);
    }
    const walked = quick(2000, () => walkMessage(readMessage(shared), {}));
    expect(walked.errors.map((e) => e.code)).toContain('TRAVERSAL_LIMIT');
    expect(walked.words).toBeLessThanOrEqual(LIMIT);
  });

  it('charges every read of one pointer read again and again', () => {
    const one = withPointer(
      structPtr(0, SHARED_WORDS, 0),
      ...Array.from({ length: SHARED_WORDS }, () => data(1)),
    );
    for (const limit of [LIMIT, 50_000]) {
      const root = rootOf(one, { traversalLimitWords: limit });
      let reads = 0;
      const code = quick(2000, () =>
        codeOf(() => {
          for (;;) {
            root.getStruct(0, StructReader);
            reads++;
          }
        }),
      );
      expect(code).toBe('TRAVERSAL_LIMIT');
      expect(reads).toBe(Math.floor((limit - 1) / SHARED_WORDS));
    }
  });

  it('refuses packed input that unpacks past its limit before allocating it', () => {
    // Each two bytes [0, 255] unpack to 256 zero words: 64 KiB of them claim 64 MiB.
    const zeros = new Uint8Array(1 << 16);
    for (let i = 1; i < zeros.length; i += 2) zeros[i] = 255;
    expect(quick(500, () => codeOf(() => unpack(zeros, 1 << 20)))).toBe('TOO_LARGE');
    expect(quick(500, () => codeOf(() => readPackedMessage(zeros, { traversalLimitWords: 1000 })))).toBe(
      'TOO_LARGE',
    );
    expect(unpack(zeros.subarray(0, 8), 1 << 20).length).toBe(4 * 256 * 8);
  });
});

describe('cycles', () => {
  // Word 1: a struct with one pointer, which points at word 1 again (offset -1).
  const selfLoop = framed([structPtr(0, 0, 1), structPtr(-1, 0, 1)]);
  // Words 1 and 2: two structs that point at each other.
  const twoLoop = framed([structPtr(0, 0, 1), structPtr(0, 0, 1), structPtr(-2, 0, 1)]);
  // A struct in segment 0 and one in segment 1 that point at each other through far pointers.
  const farLoop = framed([structPtr(0, 0, 1), farPtr(0, 1)], [structPtr(0, 0, 1), farPtr(0, 0)]);
  // A list of pointers whose only element points back at the list.
  const listLoop = withPointer(listPtr(0, Size.POINTER, 1), listPtr(-1, Size.POINTER, 1));

  /** Follows pointer 0 until the reader refuses; returns the code and how many structs were read. */
  function descend(bytes: Uint8Array, options?: ReaderOptions): [CapnpErrorCode | 'no error', number] {
    let s = rootOf(bytes, options);
    let depth = 0;
    const code = codeOf(() => {
      for (;;) {
        s = s.getStruct(0, StructReader);
        depth++;
      }
    });
    return [code, depth];
  }

  it.each([
    ['a struct pointing at itself', selfLoop],
    ['two structs pointing at each other', twoLoop],
    ['a cycle through far pointers', farLoop],
  ])('ends %s with NESTING_LIMIT, or TRAVERSAL_LIMIT when nesting is unbounded', (_, bytes) => {
    expect(descend(bytes)).toEqual(['NESTING_LIMIT', DEFAULT_NESTING_LIMIT]);
    expect(descend(bytes, { nestingLimit: 5 })).toEqual(['NESTING_LIMIT', 5]);
    // Each struct is one word: after the root, 999 more fit in a budget of 1000.
    expect(descend(bytes, { nestingLimit: 1e9, traversalLimitWords: 1000 })).toEqual([
      'TRAVERSAL_LIMIT',
      999,
    ]);
    expect(walkCodes(bytes)).toEqual(['NESTING_LIMIT']);
    // (A small budget: the walk recurses once per level.)
    expect(walkCodes(bytes, { nestingLimit: 1e9, traversalLimitWords: 300 })).toEqual(['TRAVERSAL_LIMIT']);
  });

  it('ends a list that contains itself', () => {
    const element: (arena: Arena, segment: Segment, word: number, nesting: number) => Nested = nestedList(
      ElementSize.POINTER,
      (a, s, n) => new PointerList(a, s, n, element),
    );
    const read = (r: StructReader) => {
      let list = r.getPointerList(0, element);
      for (;;) list = list.get(0);
    };
    expect(codeOf(() => read(rootOf(listLoop)))).toBe('NESTING_LIMIT');
    expect(codeOf(() => read(rootOf(listLoop, { nestingLimit: 1e9, traversalLimitWords: 5000 })))).toBe(
      'TRAVERSAL_LIMIT',
    );
    expect(walkCodes(listLoop)).toEqual(['NESTING_LIMIT']);
  });
});

describe('nesting limit', () => {
  /** A chain of `depth` structs below the root, each holding its depth and a pointer to the next. */
  function chain(depth: number): Uint8Array {
    const b = new MessageBuilder();
    const Link = StructBuilder.sized(1, 1);
    let s = b.initRoot(Link);
    for (let d = 1; d <= depth; d++) {
      s = s.initStruct(0, Link);
      s.setUint32(0, d);
    }
    return b.toBytes();
  }

  function deepest(bytes: Uint8Array, options?: ReaderOptions): [CapnpErrorCode | 'no error', number] {
    let s = rootOf(bytes, options);
    let depth = 0;
    const code = codeOf(() => {
      while (s.hasPointer(0)) {
        s = s.getStruct(0, StructReader);
        depth++;
        expect(s.getUint32(0)).toBe(depth);
      }
    });
    return [code, depth];
  }

  it('reads 64 levels below the root by default and refuses the 65th', () => {
    expect(deepest(chain(64))).toEqual(['no error', 64]);
    expect(deepest(chain(70))).toEqual(['NESTING_LIMIT', 64]);
    expect(walkCodes(chain(64))).toEqual([]);
    expect(walkCodes(chain(70))).toEqual(['NESTING_LIMIT']);
  });

  it('applies a custom nesting limit', () => {
    expect(deepest(chain(70), { nestingLimit: 10 })).toEqual(['NESTING_LIMIT', 10]);
    expect(deepest(chain(10), { nestingLimit: 10 })).toEqual(['no error', 10]);
    expect(deepest(chain(70), { nestingLimit: 70 })).toEqual(['no error', 70]);
    expect(deepest(chain(70), { nestingLimit: 0 })).toEqual(['NESTING_LIMIT', 0]);
  });

  it('counts lists as levels too', () => {
    // Lists of lists, 70 deep, the innermost a List(UInt8).
    const b = new MessageBuilder();
    const root = b.initRoot(StructBuilder.sized(0, 1));
    let list = root.initPointerList(0, 1);
    for (let d = 1; d < 70; d++) list = list.initPointerList(0, 1);
    list.initPrimitiveList(0, Primitive.UINT8, 1);
    const bytes = b.toBytes();
    for (const [limit, code] of [
      [100, 'no error'],
      [30, 'NESTING_LIMIT'],
    ] as const) {
      const reader = readMessage(bytes, { nestingLimit: limit });
      expect(walkMessage(reader).errors.map((e) => e.code)).toEqual(code === 'no error' ? [] : [code]);
    }
  });
});

describe('builder misuse', () => {
  const Sized = StructBuilder.sized(1, 1);

  it('refuses data fields past the data section', () => {
    const s = new MessageBuilder().initRoot(Sized);
    const last: [string, () => void, () => void][] = [
      ['bool', () => s.setBool(63, true), () => s.setBool(64, true)],
      ['int8', () => s.setInt8(7, 1), () => s.setInt8(8, 1)],
      ['uint8', () => s.setUint8(7, 1), () => s.setUint8(8, 1)],
      ['int16', () => s.setInt16(3, 1), () => s.setInt16(4, 1)],
      ['uint16', () => s.setUint16(3, 1), () => s.setUint16(4, 1)],
      ['int32', () => s.setInt32(1, 1), () => s.setInt32(2, 1)],
      ['uint32', () => s.setUint32(1, 1), () => s.setUint32(2, 1)],
      ['float32', () => s.setFloat32(1, 1), () => s.setFloat32(2, 1)],
      ['int64', () => s.setInt64(0, 1n), () => s.setInt64(1, 1n)],
      ['uint64', () => s.setUint64(0, 1n), () => s.setUint64(1, 1n)],
      ['float64', () => s.setFloat64(0, 1), () => s.setFloat64(1, 1)],
    ];
    for (const [name, fits, past] of last) {
      expect(codeOf(fits), name).toBe('no error');
      expect(codeOf(past), name).toBe('INVALID_ARGUMENT');
    }
    const empty = new MessageBuilder().initRoot(StructBuilder.sized(0, 0));
    expect(codeOf(() => empty.setBool(0, true))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => empty.setUint64(1e9, 1n))).toBe('INVALID_ARGUMENT');
  });

  it('refuses pointer indices outside the pointer section', () => {
    const b = new MessageBuilder();
    const s = b.initRoot(Sized);
    const other = readMessage(withPointer(NULL)).getRoot();
    const setters: ((i: number) => unknown)[] = [
      (i) => s.setText(i, 'x'),
      (i) => s.setData(i, new Uint8Array(1)),
      (i) => s.setCapability(i, {}),
      (i) => s.setPointer(i, other),
      (i) => s.clearPointer(i),
      (i) => s.initStruct(i, Sized),
      (i) => s.initStructSized(i, 1, 0),
      (i) => s.getStructBuilder(i, Sized),
      (i) => s.initPrimitiveList(i, Primitive.UINT8, 1),
      (i) => s.initStructList(i, Sized, 1),
      (i) => s.initTextList(i, 1),
      (i) => s.initDataList(i, 1),
      (i) => s.initPointerList(i, 1),
    ];
    for (const set of setters) {
      for (const index of [1, 2, -1, 2 ** 32, Number.NaN])
        expect(codeOf(() => set(index))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => set(0))).toBe('no error');
    }
  });

  it('refuses list lengths that are negative, fractional or too large', () => {
    const s = new MessageBuilder().initRoot(StructBuilder.sized(0, 1));
    const inits: ((n: number) => unknown)[] = [
      (n) => s.initPrimitiveList(0, Primitive.UINT32, n),
      (n) => s.initPrimitiveList(0, Primitive.VOID, n),
      (n) => s.initStructList(0, Sized, n),
      (n) => s.initTextList(0, n),
      (n) => s.initDataList(0, n),
      (n) => s.initPointerList(0, n),
      (n) => s.initPointerList(0, 1).initPrimitiveList(0, Primitive.BOOL, n),
      (n) => s.initPointerList(0, 1).initStructList(0, Sized, n),
    ];
    for (const init of inits) {
      for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 29, 2 ** 32]) {
        expect(codeOf(() => init(n))).toBe('INVALID_ARGUMENT');
      }
      expect(codeOf(() => init(3))).toBe('no error');
    }
    // A length the format can express, of elements whose words it cannot.
    expect(codeOf(() => s.initStructList(0, Sized, 2 ** 28))).toBe('TOO_LARGE');
    // The largest Void list costs nothing to build.
    expect(s.initPrimitiveList(0, Primitive.VOID, 2 ** 29 - 1).length).toBe(2 ** 29 - 1);
  });

  it('refuses list element indices outside the list', () => {
    const s = new MessageBuilder().initRoot(StructBuilder.sized(0, 1));
    const list = s.initPrimitiveList(0, Primitive.UINT16, 3);
    for (const i of [3, -1, 0.5, Number.NaN]) {
      expect(codeOf(() => list.set(i, 1))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => list.get(i))).toBe('INVALID_ARGUMENT');
    }
    const texts = s.initTextList(0, 2);
    expect(codeOf(() => texts.set(2, 'x'))).toBe('INVALID_ARGUMENT');
    const pointers = s.initPointerList(0, 2);
    expect(codeOf(() => pointers.setText(2, 'x'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses to read a struct builder from a list pointer', () => {
    const s = new MessageBuilder().initRoot(StructBuilder.sized(0, 1));
    s.initPrimitiveList(0, Primitive.UINT8, 3);
    expect(codeOf(() => s.getStructBuilder(0, Sized))).toBe('TYPE_MISMATCH');
  });
});
