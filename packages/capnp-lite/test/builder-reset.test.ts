/**
 * MessageBuilder.reset: a builder emptied and used for the next message writes exactly the bytes a new
 * builder would, whatever the previous message left in its buffers (more segments, far pointers, bytes
 * past what the next message uses, capabilities).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MessageBuilder, StructBuilder, readMessage } from '../src/index';

/** A message: a root with a few data words and pointers to texts, byte blobs and a nested struct. */
interface Shape {
  words: bigint[];
  texts: string[];
  blobs: Uint8Array[];
  nested: bigint | null;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  words: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 4 }),
  texts: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
  blobs: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 3 }),
  nested: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
});

const Root = StructBuilder.sized(4, 7);

function build(message: MessageBuilder, shape: Shape): Uint8Array {
  const root = message.initRoot(Root);
  for (const [i, w] of shape.words.entries()) root.setUint64(i, w);
  for (const [i, t] of shape.texts.entries()) root.setText(i, t);
  for (const [i, b] of shape.blobs.entries()) root.setData(3 + i, b);
  if (shape.nested !== null) root.initStructSized(6, 1, 0).setUint64(0, shape.nested);
  return message.toBytes();
}

describe('MessageBuilder.reset', () => {
  test('the next message is byte for byte what a new builder gives, over any previous message', () => {
    fc.assert(
      fc.property(shapeArb, shapeArb, fc.constantFrom(2, 8, 64, 1024), (first, second, words) => {
        const reused = new MessageBuilder({ firstSegmentWords: words });
        build(reused, first);
        reused.reset();
        const again = build(reused, second);
        expect(again).toEqual(build(new MessageBuilder({ firstSegmentWords: words }), second));
      }),
      { seed: 20261122, numRuns: 300 },
    );
  });

  test('keeps the first segment and drops the others', () => {
    const message = new MessageBuilder({ firstSegmentWords: 4 });
    build(message, {
      words: [1n],
      texts: ['a long enough text to need its own segment'],
      blobs: [],
      nested: null,
    });
    expect(message.getSegments().length).toBeGreaterThan(1);
    const first = message.rootSegment.bytes;
    message.reset();
    expect(message.getSegments().length).toBe(1);
    expect(message.rootSegment.bytes).toBe(first);
    expect(message.totalWords).toBe(1);
    expect([...first]).toEqual(new Array(first.length).fill(0));
  });

  test('drops the capability table of the previous message', () => {
    const message = new MessageBuilder();
    message.initRoot(StructBuilder.sized(0, 1)).setCapability(0, { name: 'a capability' });
    expect(message.capTable.length).toBe(1);
    message.reset();
    expect(message.capTable).toEqual([]);
    const root = readMessage(build(message, { words: [7n], texts: [], blobs: [], nested: null })).getRoot();
    expect(root.getUint64(0)).toBe(7n);
  });
});
