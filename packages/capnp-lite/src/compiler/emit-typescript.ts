/**
 * Emits TypeScript for the files of a CodeGeneratorRequest: for each struct a reader class (extending
 * StructReader) and a builder class (extending StructBuilder) whose accessors use the offsets the
 * reference compiler computed; enums as constant objects; unions as `which()` plus a discriminant table;
 * groups as classes over their parent's sections; constants; and interface descriptors (ids, method
 * ordinals, parameter and result types) for RPC.
 */
import { copyPointer } from '../builder/copy';
import { MessageBuilder } from '../builder/message-builder';
import { StructBuilder } from '../builder/struct-builder';
import { canonicalize } from '../canonicalize';
import { ElementSize } from '../element-size';
import { CapnpError } from '../errors';
import { DataList } from '../reader/list-reader';
import { StructReader } from '../reader/struct-reader';
import type { Segment } from '../segment';
import type { SchemaField, SchemaNode, SchemaRequest, SchemaType, SchemaValue } from './schema-model';

export interface EmitOptions {
  /** Module the generated code imports the runtime from (default '@exov6/capnp-lite'). */
  runtimeImport?: string;
}

export interface GeneratedFile {
  /** The schema file's name with `.ts` appended (`foo.capnp` -> `foo.capnp.ts`). */
  filename: string;
  source: string;
}

/** Members of the base classes, which generated accessors must not shadow. */
const RESERVED = new Set([
  'constructor',
  'which',
  ...Object.getOwnPropertyNames(StructReader.prototype),
  ...Object.getOwnPropertyNames(StructBuilder.prototype),
]);

const PRIMITIVE_NAMES: Partial<Record<SchemaType['kind'], string>> = {
  void: 'VOID',
  bool: 'BOOL',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float32: 'FLOAT32',
  float64: 'FLOAT64',
  enum: 'UINT16',
};

const ACCESSOR: Partial<Record<SchemaType['kind'], string>> = {
  int8: 'Int8',
  int16: 'Int16',
  int32: 'Int32',
  int64: 'Int64',
  uint8: 'Uint8',
  uint16: 'Uint16',
  uint32: 'Uint32',
  uint64: 'Uint64',
  float32: 'Float32',
  float64: 'Float64',
  enum: 'Uint16',
};

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function memberName(name: string): string {
  return RESERVED.has(name) ? `${name}_` : name;
}

export function emitTypeScript(request: SchemaRequest, options: EmitOptions = {}): GeneratedFile[] {
  return request.requestedFiles.map((file) =>
    new FileEmitter(request, file.id, file.filename, options).emit(),
  );
}

class FileEmitter {
  private readonly names = new Map<bigint, string>();
  private readonly order: SchemaNode[] = [];
  private readonly imports = new Map<string, Set<string>>();
  private readonly runtime = new Set<string>();
  private readonly helpers: string[] = [];
  /** Nested-list element readers already emitted, by element type. */
  private readonly helperFor = new Map<string, { helper: string; type: string }>();
  private helperCount = 0;
  private readonly defaults: SchemaValue[] = [];

  constructor(
    private readonly request: SchemaRequest,
    private readonly fileId: bigint,
    private readonly filename: string,
    private readonly options: EmitOptions,
  ) {}

  private node(id: bigint): SchemaNode {
    const n = this.request.nodes.get(id);
    if (n === undefined)
      throw new CapnpError('INVALID_ARGUMENT', `the request has no node ${id.toString(16)}`);
    return n;
  }

  /** Names every node of the file (nested types, groups, method parameter and result structs). */
  private collect(id: bigint, name: string): void {
    const n = this.node(id);
    if (n.kind !== 'file') {
      this.names.set(id, name);
      this.order.push(n);
    }
    const prefix = n.kind === 'file' ? '' : `${name}_`;
    for (const nested of n.nested) this.collect(nested.id, `${prefix}${nested.name}`);
    for (const f of n.struct?.fields ?? [])
      if (f.groupId !== null) this.collect(f.groupId, `${prefix}${f.name}`);
    for (const m of n.methods ?? []) {
      for (const [id2, suffix] of [
        [m.paramStructType, 'Params'],
        [m.resultStructType, 'Results'],
      ] as const) {
        const s = this.request.nodes.get(id2);
        // Implicit parameter structs belong to no scope; named ones are emitted where they are declared.
        if (s !== undefined && s.scopeId === 0n && !this.names.has(id2))
          this.collect(id2, `${prefix}${m.name}_${suffix}`);
      }
    }
  }

  /** The TypeScript name of a type defined anywhere in the request, importing it when it is in another file. */
  private ref(id: bigint, builder = false): string {
    const local = this.names.get(id);
    const suffix = builder ? 'Builder' : '';
    if (local !== undefined) return `${local}${suffix}`;
    // Another file: find the file node that scopes it, and import the name it has there.
    const path: string[] = [];
    let n = this.node(id);
    while (n.kind !== 'file') {
      path.unshift(n.shortName);
      n = this.node(n.scopeId);
    }
    const name = `${path.join('_')}${suffix}`;
    const file = this.request.requestedFiles
      .find((f) => f.id === this.fileId)
      ?.imports.find((i) => i.id === n.id);
    const from = `${(file?.name ?? n.displayName).replace(/^\//, '')}.js`;
    const spec = from.startsWith('.') ? from : `./${from}`;
    if (!this.imports.has(spec)) this.imports.set(spec, new Set());
    this.imports.get(spec)?.add(name);
    return name;
  }

  private rt(name: string): string {
    this.runtime.add(name);
    return name;
  }

  /** A runtime name used only as a type (imported with `type`, as isolated modules require). */
  private typeOnly(name: string): string {
    this.runtime.add(`type ${name}`);
    return name;
  }

  emit(): GeneratedFile {
    this.collect(this.fileId, '');
    const body: string[] = [];
    for (const n of this.order) {
      if (n.kind === 'enum') body.push(this.emitEnum(n));
    }
    for (const n of this.order) {
      if (n.kind === 'struct') body.push(this.emitStruct(n, false), this.emitStruct(n, true));
    }
    for (const n of this.order) {
      if (n.kind === 'const') body.push(this.emitConst(n));
      if (n.kind === 'interface') body.push(this.emitInterface(n));
    }
    if (this.defaults.length > 0) this.helpers.push(this.emitDefaults());
    const head = [
      `// Generated by capnp-lite from ${this.filename}. Do not edit: change the schema and generate again.`,
      '/* eslint-disable */',
      `import { ${[...this.runtime].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', ''))).join(', ')} } from '${this.options.runtimeImport ?? '@exov6/capnp-lite'}';`,
      ...[...this.imports].map(
        ([spec, names]) => `import { ${[...names].sort().join(', ')} } from '${spec}';`,
      ),
    ];
    const source = `${[...head, ...this.helpers, ...body].join('\n\n').replace(/\n{3,}/g, '\n\n')}\n`;
    return { filename: `${this.filename}.ts`, source };
  }

  private emitEnum(n: SchemaNode): string {
    const name = this.names.get(n.id) as string;
    const members = (n.enumerants ?? []).map((e, i) => `  ${e}: ${i},`).join('\n');
    return `/** Enum ${n.displayName} (@0x${n.id.toString(16)}). */\nexport const ${name} = {\n${members}\n} as const;\nexport type ${name} = (typeof ${name})[keyof typeof ${name}];`;
  }

  private emitStruct(n: SchemaNode, builder: boolean): string {
    const s = n.struct;
    if (s === undefined) return '';
    const name = this.names.get(n.id) as string;
    const cls = builder ? `${name}Builder` : name;
    const base = this.rt(builder ? 'StructBuilder' : 'StructReader');
    const lines: string[] = [];
    const doc = `/** ${builder ? 'Builder for' : 'Struct'} ${n.displayName} (@0x${n.id.toString(16)}${s.isGroup ? ', a group' : ''}). */`;
    lines.push(doc, `export class ${cls} extends ${base} {`);
    lines.push(`  static readonly typeId = 0x${n.id.toString(16)}n;`);
    if (builder || !s.isGroup) {
      // The builder base class declares the sizes (untyped builders have none); the reader base does not.
      const override = builder ? ' override' : '';
      lines.push(`  static${override} readonly dataWords: number = ${s.dataWords};`);
      lines.push(`  static${override} readonly pointerCount: number = ${s.pointerCount};`);
    }
    if (s.discriminantCount > 0) {
      const table = s.fields
        .filter((f) => f.discriminantValue !== 0xffff)
        .map((f) => `${f.name}: ${f.discriminantValue}`)
        .join(', ');
      lines.push(`  static readonly Which = { ${table} } as const;`);
      lines.push(`  /** Which union member is set (see \`${cls}.Which\`). */`);
      lines.push(`  which(): number {\n    return this.getUint16(${s.discriminantOffset});\n  }`);
    }
    for (const f of s.fields) lines.push(...this.emitField(n, f, builder));
    lines.push('}');
    return lines.join('\n');
  }

  private emitField(n: SchemaNode, f: SchemaField, builder: boolean): string[] {
    const s = n.struct as NonNullable<SchemaNode['struct']>;
    const name = memberName(f.name);
    const cap = capitalize(f.name);
    const out: string[] = [];
    const inUnion = f.discriminantValue !== 0xffff;
    const setDisc = inUnion ? `this.setUint16(${s.discriminantOffset}, ${f.discriminantValue}); ` : '';
    if (inUnion) {
      out.push(
        `  ${memberName(`is${cap}`)}(): boolean {\n    return this.getUint16(${s.discriminantOffset}) === ${f.discriminantValue};\n  }`,
      );
    }
    if (f.groupId !== null) {
      const group = this.ref(f.groupId, builder);
      const make = `new ${group}(this._arena, this._segment, this._data, this._dataBytes, this._pointers, this._pointerCount, this._nesting)`;
      out.push(`  get ${name}(): ${group} {\n    return ${make};\n  }`);
      if (builder && inUnion)
        out.push(
          `  ${memberName(`init${cap}`)}(): ${group} {\n    ${setDisc}\n    return this.${name};\n  }`,
        );
      return out;
    }
    const slot = f.slot as NonNullable<SchemaField['slot']>;
    const t = slot.type;
    const o = slot.offset;
    const dv = slot.defaultValue;
    switch (t.kind) {
      case 'void':
        out.push(`  get ${name}(): undefined {\n    return undefined;\n  }`);
        if (builder && inUnion) out.push(`  ${memberName(`set${cap}`)}(): void {\n    ${setDisc}\n  }`);
        return out;
      case 'bool': {
        const d = dv?.scalar === true;
        out.push(`  get ${name}(): boolean {\n    return this.getBool(${o})${d ? ' !== true' : ''};\n  }`);
        if (builder)
          out.push(
            `  set ${name}(value: boolean) {\n    ${setDisc}this.setBool(${o}, value${d ? ' !== true' : ''});\n  }`,
          );
        return out;
      }
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint8':
      case 'uint16':
      case 'uint32':
      case 'enum': {
        const acc = ACCESSOR[t.kind] as string;
        const d = Number(dv?.scalar ?? 0);
        const type = t.kind === 'enum' ? this.ref(t.typeId as bigint) : 'number';
        let read = `this.get${acc}(${o})`;
        if (d !== 0) read = t.kind === 'uint32' ? `(${read} ^ ${d}) >>> 0` : `${read} ^ ${d}`;
        if (t.kind === 'enum') read = `(${read}) as ${type}`;
        out.push(`  get ${name}(): ${type} {\n    return ${read};\n  }`);
        if (builder)
          out.push(
            `  set ${name}(value: ${type}) {\n    ${setDisc}this.set${acc}(${o}, value${d !== 0 ? ` ^ ${d}` : ''});\n  }`,
          );
        return out;
      }
      case 'int64':
      case 'uint64': {
        const acc = ACCESSOR[t.kind] as string;
        const d = BigInt(dv?.scalar ?? 0);
        const x = d !== 0n ? ` ^ ${d}n` : '';
        out.push(`  get ${name}(): bigint {\n    return this.get${acc}(${o})${x};\n  }`);
        if (builder)
          out.push(`  set ${name}(value: bigint) {\n    ${setDisc}this.set${acc}(${o}, value${x});\n  }`);
        return out;
      }
      case 'float32':
      case 'float64': {
        const acc = ACCESSOR[t.kind] as string;
        const mask = floatMask(t.kind, Number(dv?.scalar ?? 0));
        const m = mask === '0' || mask === '0n' ? '' : `, ${mask}`;
        out.push(`  get ${name}(): number {\n    return this.get${acc}(${o}${m});\n  }`);
        if (builder)
          out.push(`  set ${name}(value: number) {\n    ${setDisc}this.set${acc}(${o}, value${m});\n  }`);
        return out;
      }
      default:
        return [...out, ...this.emitPointerField(f, t, o, builder, setDisc)];
    }
  }

  private emitPointerField(
    f: SchemaField,
    t: SchemaType,
    p: number,
    builder: boolean,
    setDisc: string,
  ): string[] {
    const name = memberName(f.name);
    const cap = capitalize(f.name);
    const out: string[] = [];
    const dv = f.slot?.hadExplicitDefault ? (f.slot.defaultValue ?? null) : null;
    const hasDefault = dv !== null && dv.pointer !== null && !dv.pointer.isNull();
    out.push(`  ${memberName(`has${cap}`)}(): boolean {\n    return this.hasPointer(${p});\n  }`);
    switch (t.kind) {
      case 'text': {
        const d = hasDefault ? `, ${JSON.stringify(dv?.pointer?.getText() ?? '')}` : '';
        out.push(`  get ${name}(): string {\n    return this.getText(${p}${d});\n  }`);
        if (builder)
          out.push(`  set ${name}(value: string) {\n    ${setDisc}this.setText(${p}, value);\n  }`);
        return out;
      }
      case 'data': {
        const d = hasDefault ? `, new Uint8Array([${[...(dv?.pointer?.getData() ?? [])].join(', ')}])` : '';
        out.push(`  get ${name}(): Uint8Array {\n    return this.getData(${p}${d});\n  }`);
        if (builder)
          out.push(`  set ${name}(value: Uint8Array) {\n    ${setDisc}this.setData(${p}, value);\n  }`);
        return out;
      }
      case 'struct': {
        const reader = this.ref(t.typeId as bigint);
        const d = hasDefault ? `, ${this.defaultRef(dv as SchemaValue)}.getStruct(0, ${reader})` : '';
        if (builder) {
          const b = this.ref(t.typeId as bigint, true);
          out.push(`  get ${name}(): ${b} {\n    ${setDisc}return this.getStructBuilder(${p}, ${b});\n  }`);
          out.push(`  set ${name}(value: ${reader}) {\n    ${setDisc}this.setPointer(${p}, value);\n  }`);
          out.push(
            `  ${memberName(`init${cap}`)}(): ${b} {\n    ${setDisc}return this.initStruct(${p}, ${b});\n  }`,
          );
        } else {
          out.push(`  get ${name}(): ${reader} {\n    return this.getStruct(${p}, ${reader}${d});\n  }`);
        }
        return out;
      }
      case 'list': {
        const { type, read, init } = this.listAccess(t.element as SchemaType, p);
        const d = hasDefault ? this.listDefault(dv as SchemaValue, t.element as SchemaType) : '';
        out.push(`  get ${name}(): ${type} {\n    return ${read(d)};\n  }`);
        if (builder) {
          out.push(
            `  ${memberName(`init${cap}`)}(length: number): ${init.type} {\n    ${setDisc}return ${init.call};\n  }`,
          );
        }
        return out;
      }
      case 'interface': {
        // A capability handle, as the RPC layer puts in the message's capability table.
        const cap = `${this.typeOnly('Capability')} | null`;
        out.push(`  get ${name}(): ${cap} {\n    return this.getCapability(${p}) as ${cap};\n  }`);
        if (builder)
          out.push(
            `  set ${name}(capability: ${cap}) {\n    ${setDisc}this.setCapability(${p}, capability);\n  }`,
          );
        return out;
      }
      default: {
        const any = this.rt('AnyPointerReader');
        out.push(`  get ${name}(): ${any} {\n    return this.getAnyPointer(${p});\n  }`);
        if (builder) {
          const sr = this.rt('StructReader');
          out.push(`  set ${name}(value: ${sr} | null) {\n    ${setDisc}this.setPointer(${p}, value);\n  }`);
        }
        return out;
      }
    }
  }

  /** Reader type, getter call and builder initialiser for a list field of `element`s at pointer `p`. */
  private listAccess(
    element: SchemaType,
    p: number,
  ): { type: string; read: (d: string) => string; init: { type: string; call: string } } {
    const prim = PRIMITIVE_NAMES[element.kind];
    if (prim !== undefined) {
      const P = `${this.rt('Primitive')}.${prim}`;
      return {
        type: `${this.rt('PrimitiveList')}<typeof ${P}>`,
        read: (d) => `this.getPrimitiveList(${p}, ${P}${d})`,
        init: {
          type: `${this.rt('PrimitiveListBuilder')}<typeof ${P}>`,
          call: `this.initPrimitiveList(${p}, ${P}, length)`,
        },
      };
    }
    switch (element.kind) {
      case 'text':
        return {
          type: this.rt('TextList'),
          read: (d) => `this.getTextList(${p}${d})`,
          init: { type: this.rt('TextListBuilder'), call: `this.initTextList(${p}, length)` },
        };
      case 'data':
        return {
          type: this.rt('DataList'),
          read: (d) => `this.getDataList(${p}${d})`,
          init: { type: this.rt('DataListBuilder'), call: `this.initDataList(${p}, length)` },
        };
      case 'struct': {
        const r = this.ref(element.typeId as bigint);
        const b = this.ref(element.typeId as bigint, true);
        return {
          type: `${this.rt('StructList')}<${r}>`,
          read: (d) => `this.getStructList(${p}, ${r}${d})`,
          init: {
            type: `${this.rt('StructListBuilder')}<${b}>`,
            call: `this.initStructList(${p}, ${b}, length)`,
          },
        };
      }
      case 'interface':
        return {
          type: this.rt('CapabilityList'),
          read: () => `this.getCapabilityList(${p})`,
          init: { type: this.rt('PointerListBuilder'), call: `this.initPointerList(${p}, length)` },
        };
      default: {
        const { helper, type } = this.nestedReader(element);
        return {
          type: `${this.rt('PointerList')}<${type}>`,
          read: (d) => `this.getPointerList(${p}, ${helper}${d})`,
          init: { type: this.rt('PointerListBuilder'), call: `this.initPointerList(${p}, length)` },
        };
      }
    }
  }

  /** A module-level function reading one element of a list of `element` (a list, or an AnyPointer). */
  private nestedReader(element: SchemaType): { helper: string; type: string } {
    const key = JSON.stringify(element, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const known = this.helperFor.get(key);
    if (known !== undefined) return known;
    const made = this.makeNestedReader(element);
    this.helperFor.set(key, made);
    return made;
  }

  private makeNestedReader(element: SchemaType): { helper: string; type: string } {
    const helper = `$read${this.helperCount++}`;
    if (element.kind === 'anyPointer') {
      const any = this.rt('AnyPointerReader');
      this.helpers.push(
        `const ${helper} = (arena: ${this.rt('Arena')}, segment: ${this.rt('Segment')}, word: number, nesting: number) => new ${any}(arena, segment, word, nesting);`,
      );
      return { helper, type: any };
    }
    const inner = element.element as SchemaType;
    const prim = PRIMITIVE_NAMES[inner.kind];
    let size: string;
    let make: string;
    let type: string;
    const ES = this.rt('ElementSize');
    if (prim !== undefined) {
      const P = `${this.rt('Primitive')}.${prim}`;
      make = `new ${this.rt('PrimitiveList')}(a, s, n, ${P})`;
      type = `${this.rt('PrimitiveList')}<typeof ${P}>`;
      size = `${ES}.${elementSizeName(inner)}`;
    } else if (inner.kind === 'text' || inner.kind === 'data') {
      const L = this.rt(inner.kind === 'text' ? 'TextList' : 'DataList');
      size = `${ES}.POINTER`;
      make = `new ${L}(a, s, n)`;
      type = L;
    } else if (inner.kind === 'struct') {
      const r = this.ref(inner.typeId as bigint);
      size = `${ES}.INLINE_COMPOSITE`;
      make = `new ${this.rt('StructList')}(a, s, n, ${r})`;
      type = `${this.rt('StructList')}<${r}>`;
    } else {
      const deeper = this.nestedReader(inner);
      size = `${ES}.POINTER`;
      make = `new ${this.rt('PointerList')}(a, s, n, ${deeper.helper})`;
      type = `${this.rt('PointerList')}<${deeper.type}>`;
    }
    this.helpers.push(
      `const ${helper} = ${this.rt('nestedList')}(${size}, (a: ${this.rt('Arena')}, s: ${this.typeOnly('ListShape')} | null, n: number) => ${make});`,
    );
    return { helper, type };
  }

  private listDefault(value: SchemaValue, element: SchemaType): string {
    const ref = this.defaultRef(value);
    const { read } = this.listAccess(element, 0);
    return `, ${read('').replace('this.', `${ref}.`)}`;
  }

  /** Registers a pointer default (or constant) and returns the expression of the struct that holds it at pointer 0. */
  private defaultRef(value: SchemaValue): string {
    this.defaults.push(value);
    return `$default(${this.defaults.length - 1})`;
  }

  /**
   * Pointer defaults and constants travel in one canonical message embedded in the module: one holder
   * struct per value (its pointer 0), read lazily and without a traversal limit (the bytes are ours).
   */
  private emitDefaults(): string {
    const b = new MessageBuilder();
    const root = b.initRoot(StructBuilder.sized(0, 1));
    const list = root.initStructList(0, StructBuilder.sized(0, 1), this.defaults.length);
    this.defaults.forEach((v, i) => {
      const holder = list.get(i);
      const ptr = v.pointer;
      if (ptr === null || ptr.isNull()) return;
      const seg = holder._segment as Segment;
      const word = holder._pointers >>> 3;
      if (ptr.kind() === 'struct') copyPointer(b, seg, word, ptr.getStruct(StructReader));
      else
        copyPointer(
          b,
          seg,
          word,
          ptr.getList(ElementSize.VOID, (a, s, n) => new DataList(a, s, n)),
        );
    });
    const bytes = canonicalize(b.asReader().getRoot());
    const R = this.rt('readFlatMessage');
    const S = this.rt('StructReader');
    return [
      `const $defaultBytes = new Uint8Array([${[...bytes].join(', ')}]);`,
      `let $defaultHolders: ${S}[] | undefined;`,
      `function $default(index: number): ${S} {`,
      `  $defaultHolders ??= ${R}($defaultBytes, { traversalLimitWords: Number.POSITIVE_INFINITY }).getRoot().getStructList(0, ${S}).toArray();`,
      `  return $defaultHolders[index] as ${S};`,
      '}',
    ].join('\n');
  }

  private emitConst(n: SchemaNode): string {
    const c = n.constant as NonNullable<SchemaNode['constant']>;
    const name = this.names.get(n.id) as string;
    const doc = `/** Constant ${n.displayName} (@0x${n.id.toString(16)}). */`;
    const v = c.value;
    switch (c.type.kind) {
      case 'void':
        return `${doc}\nexport const ${name} = undefined;`;
      case 'int64':
      case 'uint64':
        return `${doc}\nexport const ${name} = ${BigInt(v.scalar)}n;`;
      case 'bool':
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint8':
      case 'uint16':
      case 'uint32':
      case 'enum':
        return `${doc}\nexport const ${name} = ${String(v.scalar)};`;
      case 'float32':
      case 'float64':
        return `${doc}\nexport const ${name} = ${numberLiteral(Number(v.scalar))};`;
      case 'text':
        return `${doc}\nexport const ${name} = ${JSON.stringify(v.pointer?.getText() ?? '')};`;
      case 'data':
        return `${doc}\nexport const ${name} = new Uint8Array([${[...(v.pointer?.getData() ?? [])].join(', ')}]);`;
      case 'struct':
        return `${doc}\nexport const ${name} = ${this.defaultRef(v)}.getStruct(0, ${this.ref(c.type.typeId as bigint)});`;
      case 'list':
        return `${doc}\nexport const ${name} = ${this.listDefault(v, c.type.element as SchemaType).slice(2)};`;
      default:
        return `${doc}\nexport const ${name} = ${this.defaultRef(v)}.getAnyPointer(0);`;
    }
  }

  private emitInterface(n: SchemaNode): string {
    const name = this.names.get(n.id) as string;
    const methods = (n.methods ?? [])
      .map(
        (m, i) =>
          `    ${m.name}: { ordinal: ${i}, Params: ${this.ref(m.paramStructType)}, ParamsBuilder: ${this.ref(m.paramStructType, true)}, Results: ${this.ref(m.resultStructType)}, ResultsBuilder: ${this.ref(m.resultStructType, true)} },`,
      )
      .join('\n');
    return `/** Interface ${n.displayName} (@0x${n.id.toString(16)}): its id and methods, for RPC. */\nexport const ${name} = {\n  interfaceId: 0x${n.id.toString(16)}n,\n  methods: {\n${methods}\n  },\n} as const;`;
  }
}

function elementSizeName(t: SchemaType): string {
  switch (t.kind) {
    case 'void':
      return 'VOID';
    case 'bool':
      return 'BIT';
    case 'int8':
    case 'uint8':
      return 'BYTE';
    case 'int16':
    case 'uint16':
    case 'enum':
      return 'TWO_BYTES';
    case 'int32':
    case 'uint32':
    case 'float32':
      return 'FOUR_BYTES';
    default:
      return 'EIGHT_BYTES';
  }
}

function floatMask(kind: 'float32' | 'float64', value: number): string {
  const v = new DataView(new ArrayBuffer(8));
  if (kind === 'float32') {
    v.setFloat32(0, value, true);
    return String(v.getUint32(0, true));
  }
  v.setFloat64(0, value, true);
  return `${v.getBigUint64(0, true)}n`;
}

function numberLiteral(x: number): string {
  if (Number.isNaN(x)) return 'Number.NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Number.POSITIVE_INFINITY';
  if (x === Number.NEGATIVE_INFINITY) return 'Number.NEGATIVE_INFINITY';
  return Object.is(x, -0) ? '-0' : String(x);
}
