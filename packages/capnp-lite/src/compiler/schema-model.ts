/**
 * The schema as the code generator sees it: plain objects loaded from the reference compiler's
 * CodeGeneratorRequest (see `load-request.ts`), with the offsets and sizes it computed.
 */
import type { AnyPointerReader } from '../reader/any-pointer';

export type TypeKind =
  | 'void'
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'text'
  | 'data'
  | 'list'
  | 'enum'
  | 'struct'
  | 'interface'
  | 'anyPointer';

/** Type.which, in schema.capnp's order. */
export const TYPE_KINDS: readonly TypeKind[] = [
  'void',
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float32',
  'float64',
  'text',
  'data',
  'list',
  'enum',
  'struct',
  'interface',
  'anyPointer',
];

export interface SchemaType {
  kind: TypeKind;
  /** For lists. */
  element?: SchemaType;
  /** For enums, structs and interfaces. */
  typeId?: bigint;
}

export interface SchemaValue {
  kind: TypeKind;
  /** The value of a data type (0, false, 0n... when absent). */
  scalar: number | bigint | boolean;
  /** The pointer of a text, data, list, struct or anyPointer value. */
  pointer: AnyPointerReader | null;
}

export interface SchemaField {
  name: string;
  codeOrder: number;
  /** The union member's discriminant, or 0xffff for a field outside any union. */
  discriminantValue: number;
  /** A slot (a value at an offset) or a group (a struct type sharing its parent's sections). */
  slot: {
    offset: number;
    type: SchemaType;
    defaultValue: SchemaValue | null;
    hadExplicitDefault: boolean;
  } | null;
  groupId: bigint | null;
}

export interface SchemaMethod {
  name: string;
  codeOrder: number;
  paramStructType: bigint;
  resultStructType: bigint;
}

export interface SchemaNode {
  id: bigint;
  displayName: string;
  /** The node's own name: displayName after its prefix. */
  shortName: string;
  scopeId: bigint;
  nested: { name: string; id: bigint }[];
  kind: 'file' | 'struct' | 'enum' | 'interface' | 'const' | 'annotation';
  struct?: {
    dataWords: number;
    pointerCount: number;
    isGroup: boolean;
    discriminantCount: number;
    /** In 16-bit units from the start of the data section. */
    discriminantOffset: number;
    fields: SchemaField[];
  };
  enumerants?: string[];
  methods?: SchemaMethod[];
  constant?: { type: SchemaType; value: SchemaValue };
}

export interface SchemaRequest {
  nodes: Map<bigint, SchemaNode>;
  requestedFiles: { id: bigint; filename: string; imports: { id: bigint; name: string }[] }[];
}
