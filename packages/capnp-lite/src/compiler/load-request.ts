/**
 * Reads a CodeGeneratorRequest (the message `capnp compile` sends its plugins) into the schema model.
 * It reads with the classes this compiler generated from the reference compiler's own schema.capnp
 * (src/schemas/schema.capnp.ts, committed), so the compiler is its own first user.
 */
import { readMessage } from '../reader/message-reader';
import { CodeGeneratorRequest, type Field, type Node, type Type, type Value } from '../schemas/schema.capnp';
import {
  type SchemaField,
  type SchemaNode,
  type SchemaRequest,
  type SchemaType,
  type SchemaValue,
  TYPE_KINDS,
} from './schema-model';

const NODE_KINDS = ['file', 'struct', 'enum', 'interface', 'const', 'annotation'] as const;

function readType(t: Type): SchemaType {
  const kind = TYPE_KINDS[t.which()] ?? 'anyPointer';
  if (kind === 'list') return { kind, element: readType(t.list.elementType) };
  if (kind === 'enum') return { kind, typeId: t.enum.typeId };
  if (kind === 'struct') return { kind, typeId: t.struct.typeId };
  if (kind === 'interface') return { kind, typeId: t.interface.typeId };
  return { kind };
}

function readValue(v: Value): SchemaValue {
  const kind = TYPE_KINDS[v.which()] ?? 'anyPointer';
  const scalars: Partial<Record<string, () => number | bigint | boolean>> = {
    bool: () => v.bool,
    int8: () => v.int8,
    int16: () => v.int16,
    int32: () => v.int32,
    int64: () => v.int64,
    uint8: () => v.uint8,
    uint16: () => v.uint16,
    uint32: () => v.uint32,
    uint64: () => v.uint64,
    float32: () => v.float32,
    float64: () => v.float64,
    enum: () => v.enum,
  };
  const scalar = scalars[kind]?.() ?? 0;
  // Text, Data, List, Struct and AnyPointer values all live in the value's one pointer.
  const pointerKinds = ['text', 'data', 'list', 'struct', 'anyPointer'];
  return { kind, scalar, pointer: pointerKinds.includes(kind) ? v.getAnyPointer(0) : null };
}

function readField(f: Field): SchemaField {
  const isGroup = f.isGroup();
  return {
    name: f.name,
    codeOrder: f.codeOrder,
    discriminantValue: f.discriminantValue,
    slot: isGroup
      ? null
      : {
          offset: f.slot.offset,
          type: readType(f.slot.type),
          defaultValue: f.slot.hasDefaultValue() ? readValue(f.slot.defaultValue) : null,
          hadExplicitDefault: f.slot.hadExplicitDefault,
        },
    groupId: isGroup ? f.group.typeId : null,
  };
}

function readNode(n: Node): SchemaNode {
  const kind = NODE_KINDS[n.which()] ?? 'annotation';
  const node: SchemaNode = {
    id: n.id,
    displayName: n.displayName,
    shortName: n.displayName.slice(n.displayNamePrefixLength),
    scopeId: n.scopeId,
    nested: n.nestedNodes.toArray().map((x) => ({ name: x.name, id: x.id })),
    kind,
  };
  if (kind === 'struct') {
    const s = n.struct;
    node.struct = {
      dataWords: s.dataWordCount,
      pointerCount: s.pointerCount,
      isGroup: s.isGroup,
      discriminantCount: s.discriminantCount,
      discriminantOffset: s.discriminantOffset,
      fields: s.fields.toArray().map(readField),
    };
  } else if (kind === 'enum') {
    node.enumerants = n.enum.enumerants.toArray().map((e) => e.name);
  } else if (kind === 'interface') {
    node.methods = n.interface.methods.toArray().map((m) => ({
      name: m.name,
      codeOrder: m.codeOrder,
      paramStructType: m.paramStructType,
      resultStructType: m.resultStructType,
    }));
  } else if (kind === 'const') {
    node.constant = { type: readType(n.const.type), value: readValue(n.const.value) };
  }
  return node;
}

/** Loads a framed CodeGeneratorRequest. */
export function loadRequest(bytes: Uint8Array): SchemaRequest {
  // Requests for large schemas exceed the default traversal limit; the compiler is trusted input.
  const request = readMessage(bytes, { traversalLimitWords: Number.MAX_SAFE_INTEGER }).getRoot(
    CodeGeneratorRequest,
  );
  const nodes = new Map<bigint, SchemaNode>();
  for (const n of request.nodes) {
    const node = readNode(n);
    nodes.set(node.id, node);
  }
  const requestedFiles = request.requestedFiles.toArray().map((f) => ({
    id: f.id,
    filename: f.filename,
    imports: f.imports.toArray().map((i) => ({ id: i.id, name: i.name })),
  }));
  return { nodes, requestedFiles };
}
