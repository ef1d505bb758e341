/**
 * A schema-less walk over a whole message through the low-level reader API: every struct's data bytes,
 * every pointer (followed through far pointers), every list element of every element size, Text and
 * Data. Tests use it to drive the reader over arbitrary bytes: a CapnpError is recorded and the walk goes
 * on with the next pointer (so one bad pointer does not hide the rest of the message), any other
 * exception escapes. It also counts what it read, so tests can check the work stayed within the
 * traversal limit, and can record which words belong to live objects.
 */
import {
  type Arena,
  CapnpError,
  ElementSize,
  type ListShape,
  type MessageReader,
  PointerKind,
  Primitive,
  PrimitiveList,
  type Segment,
  StructList,
  StructReader,
  nestedList,
} from '../../src/index';

export interface WalkOptions {
  /** Record the words of every object reached (structs, lists and their tags, landing pads, the root pointer). */
  markLive?: boolean;
  /**
   * Also read each pointer through every typed getter (Text, Data, struct, lists of each primitive
   * type, of structs, Text, Data, lists and capabilities), as schemas might; they charge the traversal
   * budget again, and most of them fail with TYPE_MISMATCH, which is the point.
   */
  typed?: boolean;
}

export interface WalkResult {
  /**
   * Words read by the generic walk, counted as the traversal budget counts them (struct sections, list
   * words plus the tag of a composite list, one word per element of a Void list or of a list of zero-sized
   * structs). Every one was charged, so this never exceeds the reader's traversal limit.
   */
  words: number;
  /** Values read: data bytes, pointers, list elements, strings. Linear in the words charged. */
  steps: number;
  errors: CapnpError[];
  /** With `markLive`: per segment, 1 for each word the walk found in use. */
  live: Uint8Array[];
}

/** Primitive kinds a list of each element size can be read as (the unsigned one first). */
const KINDS_BY_SIZE: readonly (readonly Primitive[])[] = [
  [Primitive.VOID],
  [Primitive.BOOL],
  [Primitive.UINT8, Primitive.INT8],
  [Primitive.UINT16, Primitive.INT16],
  [Primitive.UINT32, Primitive.INT32, Primitive.FLOAT32],
  [Primitive.UINT64, Primitive.INT64, Primitive.FLOAT64],
];

const ALL_KINDS: readonly Primitive[] = Object.values(Primitive);

interface FoundList {
  shape: ListShape;
  nesting: number;
  /** The count field of the list pointer (words, for a composite list). */
  count: number;
}

export function walkMessage(reader: MessageReader, options: WalkOptions = {}): WalkResult {
  const result: WalkResult = {
    words: 0,
    steps: 0,
    errors: [],
    live: options.markLive ? reader.segments.map((s) => new Uint8Array(s.used)) : [],
  };
  const markLive = options.markLive === true;

  const guard = (read: () => void): void => {
    try {
      read();
    } catch (e) {
      if (!(e instanceof CapnpError)) throw e;
      result.errors.push(e);
    }
  };

  const mark = (segment: Segment, from: number, words: number): void => {
    if (!markLive) return;
    const live = result.live[segment.id] as Uint8Array;
    for (let w = Math.max(0, from); w < Math.min(from + words, live.length); w++) live[w] = 1;
  };

  /** Marks the landing pad a far pointer leads to (the pointer itself is inside an object already marked). */
  const markPad = (arena: Arena, segment: Segment, word: number): void => {
    if (!markLive) return;
    const lo = segment.view.getUint32(word * 8, true);
    if ((lo & 3) !== PointerKind.FAR) return;
    const padSegment = arena.segments[segment.view.getUint32(word * 8 + 4, true)];
    if (padSegment !== undefined) mark(padSegment, lo >>> 3, (lo & 4) !== 0 ? 2 : 1);
  };

  const readData = (s: StructReader): void => {
    for (let b = 0; b < s._dataBytes; b++) s.getUint8(b);
    for (let w = 0; w * 8 < s._dataBytes; w++) {
      s.getInt64(w);
      s.getFloat64(w);
      s.getFloat32(w * 2);
      s.getUint16(w * 4);
    }
    result.steps += s._dataBytes;
  };

  /** `own`: the struct was reached through a pointer (not an element of a composite list). */
  const visitStruct = (s: StructReader, own: boolean): void => {
    if (own) {
      const words = Math.ceil(s._dataBytes / 8) + s._pointerCount;
      result.words += words;
      mark(s._segment, s._data >>> 3, words);
    }
    readData(s);
    for (let i = 0; i < s._pointerCount; i++) guard(() => visitPointer(s, i));
  };

  const visitPointer = (s: StructReader, i: number): void => {
    const segment = s._segment;
    const arena = s._arena;
    const word = (s._pointers >>> 3) + i;
    const lo = segment.view.getUint32(word * 8, true);
    const hi = segment.view.getUint32(word * 8 + 4, true);
    if (lo === 0 && hi === 0) return;
    result.steps++;
    markPad(arena, segment, word);
    if ((lo & 3) === PointerKind.OTHER) {
      s.getCapability(i);
      return;
    }
    // Far pointers are resolved first so the walk knows which kind of object it is about to read.
    if (!arena.follow(segment, word)) return;
    const kind = arena.target.lo & 3;
    if (kind === PointerKind.STRUCT) {
      visitStruct(s.getStruct(i, StructReader), true);
    } else if (kind === PointerKind.LIST) {
      const found = s.getList(i, ElementSize.VOID, (a, shape, nesting): FoundList | null =>
        shape === null ? null : { shape: { ...shape }, nesting, count: a.target.hi >>> 3 },
      );
      if (found === null) return;
      visitList(arena, found);
      if (found.shape.elementSize === ElementSize.BYTE) {
        // Bytes may be Data or Text: read them as both (Text only when it ends in the NUL it needs).
        result.steps += s.getData(i).length;
        const { segment: seg, start, length } = found.shape;
        if (length > 0 && seg.bytes[start + length - 1] === 0) result.steps += s.getText(i).length;
      }
    } else {
      // A landing pad holding a capability pointer: not a valid object, the typed read must refuse it.
      s.getStruct(i, StructReader);
    }
    if (options.typed) typedReads(s, i);
  };

  const visitList = (arena: Arena, { shape, nesting, count }: FoundList): void => {
    const size = shape.elementSize;
    const tagWord = (shape.start >>> 3) - (size === ElementSize.INLINE_COMPOSITE ? 1 : 0);
    if (size === ElementSize.INLINE_COMPOSITE) {
      result.words += shape.stepBits === 0 ? shape.length + 1 : count + 1;
      mark(shape.segment, tagWord, count + 1);
      const list = new StructList(arena, shape, nesting, StructReader);
      for (let e = 0; e < list.length; e++) {
        result.steps++;
        visitStruct(list.get(e), false);
      }
      return;
    }
    const words = Math.ceil((shape.length * shape.stepBits) / 64);
    result.words += size === ElementSize.VOID ? shape.length : words;
    mark(shape.segment, tagWord, words);
    if (size === ElementSize.POINTER) {
      for (let e = 0; e < shape.length; e++) {
        // Element e read as the only pointer of a struct with no data: the same checks and nesting as a
        // list of lists or of structs by pointer.
        const at = shape.start + e * 8;
        guard(() => visitPointer(new StructReader(arena, shape.segment, at, 0, at, 1, nesting), 0));
      }
      return;
    }
    for (const kind of KINDS_BY_SIZE[size] as readonly Primitive[]) {
      const list = new PrimitiveList(arena, shape, nesting, kind);
      for (let e = 0; e < list.length; e++) list.get(e);
      result.steps += list.length;
    }
  };

  /** Every typed getter on pointer `i`, each allowed to fail on its own. */
  const typedReads = (s: StructReader, i: number): void => {
    guard(() => {
      result.steps += s.getText(i).length;
    });
    guard(() => {
      result.steps += s.getData(i).length;
    });
    guard(() => {
      const child = s.getStruct(i, StructReader);
      child.getUint64(0);
      child.hasPointer(0);
    });
    for (const kind of ALL_KINDS) {
      guard(() => {
        const list = s.getPrimitiveList(i, kind);
        for (let e = 0; e < list.length; e++) list.get(e);
        result.steps += list.length;
      });
    }
    guard(() => {
      const list = s.getStructList(i, StructReader);
      for (const e of list) {
        e.getUint8(0);
        e.hasPointer(0);
        result.steps++;
      }
    });
    guard(() => {
      result.steps += s.getTextList(i).toArray().length;
    });
    guard(() => {
      result.steps += s.getDataList(i).toArray().length;
    });
    guard(() => {
      const lists = s.getPointerList(
        i,
        nestedList(ElementSize.VOID, (a, shape, n) => new PrimitiveList(a, shape, n, Primitive.VOID)),
      );
      for (const l of lists) result.steps += 1 + l.length;
    });
    guard(() => {
      for (const _ of s.getCapabilityList(i)) result.steps++;
    });
  };

  guard(() => {
    const root = reader.getRoot();
    mark(reader.segments[0] as Segment, 0, 1);
    markPad(reader, reader.segments[0] as Segment, 0);
    visitStruct(root, true);
  });
  return result;
}

/** Indices of words that are non-zero although the walk found no live object there. */
export function strayWords(reader: MessageReader, live: readonly Uint8Array[]): string[] {
  const stray: string[] = [];
  for (const segment of reader.segments) {
    const marks = live[segment.id] as Uint8Array;
    for (let w = 0; w < segment.used; w++) {
      if (marks[w] === 1) continue;
      if (segment.view.getUint32(w * 8, true) !== 0 || segment.view.getUint32(w * 8 + 4, true) !== 0)
        stray.push(`${segment.id}:${w}`);
    }
  }
  return stray;
}
