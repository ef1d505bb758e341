/** The primitive element types of lists, and how each is stored. */
import { ElementSize } from './element-size';

export const Primitive = {
  VOID: 0,
  BOOL: 1,
  INT8: 2,
  UINT8: 3,
  INT16: 4,
  UINT16: 5,
  INT32: 6,
  UINT32: 7,
  INT64: 8,
  UINT64: 9,
  FLOAT32: 10,
  FLOAT64: 11,
} as const;
export type Primitive = (typeof Primitive)[keyof typeof Primitive];

/** The JavaScript type a primitive reads as. */
export type PrimitiveValue<P extends Primitive> = P extends 0
  ? undefined
  : P extends 1
    ? boolean
    : P extends 8 | 9
      ? bigint
      : number;

export const PRIMITIVE_BITS: readonly number[] = [0, 1, 8, 8, 16, 16, 32, 32, 64, 64, 32, 64];
export const PRIMITIVE_ELEMENT_SIZE: readonly ElementSize[] = [
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

/** Reads a primitive stored at byte `at` (for BOOL: the bit `bit` of that byte). */
export function readPrimitive(view: DataView, kind: Primitive, at: number, bit: number): unknown {
  switch (kind) {
    case Primitive.VOID:
      return undefined;
    case Primitive.BOOL:
      return ((view.getUint8(at) >>> bit) & 1) === 1;
    case Primitive.INT8:
      return view.getInt8(at);
    case Primitive.UINT8:
      return view.getUint8(at);
    case Primitive.INT16:
      return view.getInt16(at, true);
    case Primitive.UINT16:
      return view.getUint16(at, true);
    case Primitive.INT32:
      return view.getInt32(at, true);
    case Primitive.UINT32:
      return view.getUint32(at, true);
    case Primitive.INT64:
      return view.getBigInt64(at, true);
    case Primitive.UINT64:
      return view.getBigUint64(at, true);
    case Primitive.FLOAT32:
      return view.getFloat32(at, true);
    default:
      return view.getFloat64(at, true);
  }
}

/** Writes a primitive at byte `at` (for BOOL: bit `bit` of that byte). */
export function writePrimitive(
  view: DataView,
  kind: Primitive,
  at: number,
  bit: number,
  value: unknown,
): void {
  switch (kind) {
    case Primitive.VOID:
      return;
    case Primitive.BOOL: {
      const old = view.getUint8(at);
      view.setUint8(at, value ? old | (1 << bit) : old & ~(1 << bit));
      return;
    }
    case Primitive.INT8:
    case Primitive.UINT8:
      view.setUint8(at, Number(value));
      return;
    case Primitive.INT16:
    case Primitive.UINT16:
      view.setUint16(at, Number(value), true);
      return;
    case Primitive.INT32:
    case Primitive.UINT32:
      view.setUint32(at, Number(value), true);
      return;
    case Primitive.INT64:
    case Primitive.UINT64:
      view.setBigUint64(at, BigInt.asUintN(64, BigInt(value as bigint)), true);
      return;
    case Primitive.FLOAT32:
      view.setFloat32(at, Number(value), true);
      return;
    default:
      view.setFloat64(at, Number(value), true);
  }
}
