/**
 * Reads a CodeGeneratorRequest (the message `capnp compile` sends its plugins) with capnp-lite itself.
 * The offsets below are those the reference compiler assigns to schema.capnp's fields
 * (`capnp compile -ocapnp /usr/include/capnp/schema.capnp` prints them).
 */
import type { StructList } from '../reader/list-reader';
import { type MessageReader, readMessage } from '../reader/message-reader';
import { StructReader } from '../reader/struct-reader';
import {
  type SchemaField,
  type SchemaMethod,
  type SchemaNode,
  type SchemaRequest,
  type SchemaType,
  type SchemaValue,
  TYPE_KINDS,
} from './schema-model';

const NODE_KINDS = ['file', 'struct', 'enum', 'interface', 'const', 'annotation'] as const;

function structs(r: StructReader, pointer: number): StructList<StructReader> {
  return r.getStructList(pointer, StructReader);
}

function readType(t: StructReader): SchemaType {
  const kind = TYPE_KINDS[t.getUint16(0)] ?? 'anyPointer';
  if (kind === 'list') return { kind, element: readType(t.getStruct(0, StructReader)) };
  if (kind === 'enum' || kind === 'struct' || kind === 'interface') return { kind, typeId: t.getUint64(1) };
  return { kind };
}

function readValue(v: StructReader): SchemaValue {
  const kind = TYPE_KINDS[v.getUint16(0)] ?? 'anyPointer';
  const scalars: Partial<Record<string, () => number | bigint | boolean>> = {
    bool: () => v.getBool(16),
    int8: () => v.getInt8(2),
    int16: () => v.getInt16(1),
    int32: () => v.getInt32(1),
    int64: () => v.getInt64(1),
    uint8: () => v.getUint8(2),
    uint16: () => v.getUint16(1),
    uint32: () => v.getUint32(1),
    uint64: () => v.getUint64(1),
    float32: () => v.getFloat32(1),
    float64: () => v.getFloat64(1),
    enum: () => v.getUint16(1),
  };
  const scalar = scalars[kind]?.() ?? 0;
  const pointerKinds = ['text', 'data', 'list', 'struct', 'anyPointer'];
  return { kind, scalar, pointer: pointerKinds.includes(kind) ? v.getAnyPointer(0) : null };
}

function readField(f: StructReader): SchemaField {
  const isGroup = f.getUint16(4) === 1;
  return {
    name: f.getText(0),
    codeOrder: f.getUint16(0),
    discriminantValue: f.getUint16(1) ^ 0xffff,
    slot: isGroup
      ? null
      : {
          offset: f.getUint32(1),
          type: readType(f.getStruct(2, StructReader)),
          defaultValue: f.hasPointer(3) ? readValue(f.getStruct(3, StructReader)) : null,
          hadExplicitDefault: f.getBool(128),
        },
    groupId: isGroup ? f.getUint64(2) : null,
  };
}

function readNode(n: StructReader): SchemaNode {
  const displayName = n.getText(0);
  const kind = NODE_KINDS[n.getUint16(6)] ?? 'annotation';
  const node: SchemaNode = {
    id: n.getUint64(0),
    displayName,
    shortName: displayName.slice(n.getUint32(2)),
    scopeId: n.getUint64(2),
    nested: structs(n, 1)
      .toArray()
      .map((x) => ({ name: x.getText(0), id: x.getUint64(0) })),
    kind,
  };
  if (kind === 'struct') {
    node.struct = {
      dataWords: n.getUint16(7),
      pointerCount: n.getUint16(12),
      isGroup: n.getBool(224),
      discriminantCount: n.getUint16(15),
      discriminantOffset: n.getUint32(8),
      fields: structs(n, 3).toArray().map(readField),
    };
  } else if (kind === 'enum') {
    node.enumerants = structs(n, 3)
      .toArray()
      .map((e) => e.getText(0));
  } else if (kind === 'interface') {
    node.methods = structs(n, 3)
      .toArray()
      .map(
        (m): SchemaMethod => ({
          name: m.getText(0),
          codeOrder: m.getUint16(0),
          paramStructType: m.getUint64(1),
          resultStructType: m.getUint64(2),
        }),
      );
  } else if (kind === 'const') {
    node.constant = {
      type: readType(n.getStruct(3, StructReader)),
      value: readValue(n.getStruct(4, StructReader)),
    };
  }
  return node;
}

/** Loads a framed CodeGeneratorRequest. */
export function loadRequest(bytes: Uint8Array): SchemaRequest {
  // Requests for large schemas exceed the default traversal limit; the compiler is trusted input.
  const message: MessageReader = readMessage(bytes, { traversalLimitWords: Number.MAX_SAFE_INTEGER });
  const root = message.getRoot();
  const nodes = new Map<bigint, SchemaNode>();
  for (const n of structs(root, 0)) {
    const node = readNode(n);
    nodes.set(node.id, node);
  }
  const requestedFiles = structs(root, 1)
    .toArray()
    .map((f) => ({
      id: f.getUint64(0),
      filename: f.getText(0),
      imports: structs(f, 1)
        .toArray()
        .map((i) => ({ id: i.getUint64(0), name: i.getText(0) })),
    }));
  return { nodes, requestedFiles };
}
