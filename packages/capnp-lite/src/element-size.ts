/**
 * The element size of a list pointer (bits 32-34 of the pointer word), as the encoding specification
 * numbers them.
 */
export const ElementSize = {
  VOID: 0,
  BIT: 1,
  BYTE: 2,
  TWO_BYTES: 3,
  FOUR_BYTES: 4,
  EIGHT_BYTES: 5,
  POINTER: 6,
  /** Structs, each element `dataWords + pointerCount` words, after a tag word that describes them. */
  INLINE_COMPOSITE: 7,
} as const;
export type ElementSize = (typeof ElementSize)[keyof typeof ElementSize];

/** Bits per element of each non-composite element size (indexed by `ElementSize`). */
export const ELEMENT_BITS: readonly number[] = [0, 1, 8, 16, 32, 64, 64, 0];

export const ELEMENT_SIZE_NAMES: readonly string[] = [
  'void',
  'bit',
  'byte',
  '2-byte',
  '4-byte',
  '8-byte',
  'pointer',
  'inline composite',
];
