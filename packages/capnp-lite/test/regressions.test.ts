// Cases that once went wrong, each kept as it was found.
import { describe, expect, test } from 'vitest';
import {
  CapnpError,
  MessageBuilder,
  StructBuilder,
  StructReader,
  canonicalize,
  readFlatMessage,
  readMessage,
} from '../src/index';

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return new Uint8Array(clean.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);
}

describe('regressions', () => {
  test('canonicalising a message where three pointers share one object gives each its own copy, in one segment', () => {
    // The root has three pointers to one 1-word struct: the canonical form (as capnp writes it) is larger
    // than the message.
    const message = hex(
      '0000000005000000 0000000000000300 0800000001000000 0400000001000000 0000000001000000 4433221188776655',
    );
    const canonical = canonicalize(readMessage(message).getRoot());
    expect(Buffer.from(canonical).toString('hex')).toBe(
      '0000000000000300 0800000001000000 0800000001000000 0800000001000000'.replace(/ /g, '') +
        '4433221188776655'.repeat(3),
    );
    const root = readFlatMessage(canonical).getRoot();
    for (let i = 0; i < 3; i++)
      expect(root.getStruct(i, StructReader).getUint64(0)).toBe(0x5566778811223344n);
  });

  test('data setters refuse negative and fractional offsets instead of writing outside the struct', () => {
    const b = new MessageBuilder();
    const r = b.initRoot(StructBuilder.sized(1, 1));
    const before = Buffer.from(b.toBytes()).toString('hex');
    for (const write of [
      () => r.setUint32(-1, 0xdeadbeef),
      () => r.setInt8(-1, 5),
      () => r.setUint16(0.5, 1),
    ]) {
      expect(write).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(Buffer.from(b.toBytes()).toString('hex')).toBe(before);
  });

  test('pointer setters refuse fractional indices', () => {
    const r = new MessageBuilder().initRoot(StructBuilder.sized(1, 1));
    expect(() => r.setText(0.5, 'x')).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('copying a struct into one of its own pointers ends in a typed error, not a stack overflow', () => {
    const r = new MessageBuilder().initRoot(StructBuilder.sized(1, 1));
    let error: unknown;
    try {
      r.setPointer(0, r);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CapnpError);
    expect((error as CapnpError).code).toBe('NESTING_LIMIT');
  });

  test('negative indexes and offsets on a reader read as absent fields, never outside the struct', () => {
    const b = new MessageBuilder();
    const r = b.initRoot(StructBuilder.sized(1, 1));
    r.setUint64(0, 0xffffffffffffffffn);
    r.setText(0, 'text');
    const root = b.asReader().getRoot();
    expect(root.getText(-1)).toBe('');
    expect(root.getInt8(-1)).toBe(0);
    expect(root.getUint32(-1)).toBe(0);
    expect(root.getFloat32(-1)).toBe(0);
    expect(root.hasPointer(-1)).toBe(false);
  });
});
