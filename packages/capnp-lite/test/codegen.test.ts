// The schema compiler plugin, end to end: `capnp compile` runs it on the test schemas, the generated
// modules are imported, and what they build and read is checked against the reference tool.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { MessageBuilder, type MessageReader, readMessage } from '../src/index';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemas = join(root, 'test', 'schemas');
const out = join(root, 'test', '.build', 'codegen');
const plugin = join(root, 'dist', 'bin', 'capnpc-lite.js');

function capnp(args: string[], input?: Uint8Array): Buffer {
  return execFileSync('capnp', args, {
    input,
    cwd: schemas,
    env: { ...process.env, PWD: schemas },
    maxBuffer: 64 << 20,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the generated modules are imported at run time
let all: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
let features: any;

beforeAll(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The generated code imports the runtime by the package's name; vitest maps that name to src/.
  capnp(['compile', `-o${plugin}:${out}`, 'all-types.capnp', 'features.capnp']);
  all = await import(join(out, 'all-types.capnp.ts'));
  features = await import(join(out, 'features.capnp.ts'));
});

// The generated classes are known only at run time, so their instances are typed loosely here.
// biome-ignore lint/suspicious/noExplicitAny: see above
const initRoot = (m: MessageBuilder, type: unknown): any => m.initRoot(type as never);
// biome-ignore lint/suspicious/noExplicitAny: see above
const getRoot = (r: MessageReader, type: unknown): any => r.getRoot(type as never);

function asText(bytes: Uint8Array, schema: string, type: string): string {
  return capnp(['convert', 'binary:text', '--short', schema, type], bytes).toString().trim();
}

describe('generated code for every field type', () => {
  test('a message built with the generated builder decodes with capnp to the expected text', () => {
    const m = new MessageBuilder();
    const r = initRoot(m, all.AllTypesBuilder);
    r.boolField = true;
    r.int8Field = -128;
    r.int16Field = 32767;
    r.int32Field = -2147483648;
    r.int64Field = -(2n ** 63n);
    r.uint8Field = 255;
    r.uint16Field = 65535;
    r.uint32Field = 4294967295;
    r.uint64Field = 2n ** 64n - 1n;
    r.float32Field = 0.5;
    r.float64Field = -1e300;
    r.textField = 'zwölf';
    r.dataField = new Uint8Array([0, 255]);
    const inner = r.initStructField();
    inner.id = 3;
    inner.label = 'in';
    r.enumField = all.Color.blue;
    r.initVoidList(2);
    const bools = r.initBoolList(3);
    bools.set(1, true);
    r.initInt64List(1).set(0, 5n);
    // Generated names that would hide a base-class method get a trailing underscore.
    const texts = r.initTextList_(2);
    texts.set(0, 'x');
    texts.set(1, 'y');
    const structs = r.initStructList_(2);
    structs.get(1).id = 8;
    const enums = r.initEnumList(2);
    enums.set(0, all.Color.green);
    const lists = r.initListList(2);
    lists.initPrimitiveList(0, 6, 1).set(0, -9);
    r.initSelf().textField = 'inside';
    const text = asText(m.toBytes(), 'all-types.capnp', 'AllTypes');
    expect(text).toBe(
      '(voidField = void, boolField = true, int8Field = -128, int16Field = 32767, int32Field = -2147483648, ' +
        'int64Field = -9223372036854775808, uint8Field = 255, uint16Field = 65535, uint32Field = 4294967295, ' +
        'uint64Field = 18446744073709551615, float32Field = 0.5, float64Field = -1e300, textField = "zwölf", ' +
        'dataField = "\\000\\377", structField = (id = 3, label = "in"), enumField = blue, voidList = [void, void], ' +
        'boolList = [false, true, false], int64List = [5], textList = ["x", "y"], ' +
        'structList = [(id = 0), (id = 8)], enumList = [green, red], listList = [[-9], []], ' +
        'self = (voidField = void, boolField = false, int8Field = 0, int16Field = 0, int32Field = 0, int64Field = 0, ' +
        'uint8Field = 0, uint16Field = 0, uint32Field = 0, uint64Field = 0, float32Field = 0, float64Field = 0, ' +
        'textField = "inside", enumField = red))',
    );
  });

  test('a message capnp encodes from text reads back through the generated reader', () => {
    const text =
      '(boolField = true, int8Field = -5, int64Field = -42, uint64Field = 18446744073709551615, float32Field = 1.25, ' +
      'textField = "from capnp", dataField = "ab", structField = (id = 77, label = "deep"), enumField = green, ' +
      'boolList = [true, false, true], float64List = [0.5, -2], textList = ["p", "q"], ' +
      'structList = [(id = 1, label = "one"), (id = 2)], enumList = [blue], listList = [[1, 2], [3]], ' +
      'self = (int32Field = 99))';
    const bytes = capnp(['convert', 'text:binary', 'all-types.capnp', 'AllTypes'], Buffer.from(text));
    const r = getRoot(readMessage(bytes), all.AllTypes);
    expect(r.boolField).toBe(true);
    expect(r.int8Field).toBe(-5);
    expect(r.int64Field).toBe(-42n);
    expect(r.uint64Field).toBe(2n ** 64n - 1n);
    expect(r.float32Field).toBe(1.25);
    expect(r.textField).toBe('from capnp');
    expect([...r.dataField]).toEqual([97, 98]);
    expect(r.structField.id).toBe(77);
    expect(r.structField.label).toBe('deep');
    expect(r.enumField).toBe(all.Color.green);
    expect(r.boolList.toArray()).toEqual([true, false, true]);
    expect(r.float64List.toArray()).toEqual([0.5, -2]);
    expect(r.textList.toArray()).toEqual(['p', 'q']);
    expect(r.structList.toArray().map((s: { id: number; label: string }) => [s.id, s.label])).toEqual([
      [1, 'one'],
      [2, ''],
    ]);
    expect(r.enumList.toArray()).toEqual([all.Color.blue]);
    expect(r.listList.toArray().map((l: { toArray(): number[] }) => l.toArray())).toEqual([[1, 2], [3]]);
    expect(r.self.int32Field).toBe(99);
    expect(r.hasSelf()).toBe(true);
    expect(r.hasDataList()).toBe(false);
  });
});

describe('unions, groups, defaults, constants, interfaces', () => {
  test('an empty struct reads as the schema defaults, pointer defaults included', () => {
    const m = new MessageBuilder();
    initRoot(m, features.ShapeBuilder);
    const s = getRoot(m.asReader(), features.Shape);
    expect(s.name).toBe('unnamed');
    expect(s.area).toBe(1.5);
    expect(s.count).toBe(-7);
    expect(s.flag).toBe(true);
    expect(s.big).toBe(12345678901234567890n);
    expect(s.color).toBe(features.Shape_Color.green);
    expect(s.small).toBe(-3);
    expect(s.ratio).toBe(-0.5);
    expect(s.origin.y).toBe(3);
    expect(s.tags.toArray()).toEqual(['a', 'b']);
    expect(s.inner.id).toBe(9);
    expect(s.inner.label).toBe('default inner');
    expect([...s.bytes]).toEqual([1, 2]);
    expect(s.matrix.toArray().map((l: { toArray(): number[] }) => l.toArray())).toEqual([[1, 2], [3]]);
    expect(s.which()).toBe(features.Shape.Which.circle);
    // capnp prints data fields (defaults included) and leaves out null pointers.
    expect(asText(m.toBytes(), 'features.capnp', 'Shape')).toBe(
      '(area = 1.5, count = -7, flag = true, big = 12345678901234567890, color = green, circle = 0, ' +
        'origin = (x = 0, y = 3), small = -3, ratio = -0.5)',
    );
  });

  test('values written over non-zero defaults are XOR-encoded as capnp expects', () => {
    const m = new MessageBuilder();
    const s = initRoot(m, features.ShapeBuilder);
    s.name = 'tri';
    s.area = 0;
    s.count = 0;
    s.flag = false;
    s.big = 0n;
    s.color = features.Shape_Color.red;
    s.small = 100;
    s.ratio = 8;
    const poly = s.initPolygon();
    poly.sides = 3;
    poly.length = 2.5;
    s.origin.x = -1;
    s.origin.y = 0;
    expect(asText(m.toBytes(), 'features.capnp', 'Shape')).toBe(
      '(name = "tri", area = 0, count = 0, flag = false, big = 0, color = red, polygon = (sides = 3, length = 2.5), ' +
        'origin = (x = -1, y = 0), small = 100, ratio = 8)',
    );
    const r = getRoot(m.asReader(), features.Shape);
    expect(r.which()).toBe(features.Shape.Which.polygon);
    expect(r.isPolygon()).toBe(true);
    expect(r.polygon.sides).toBe(3);
    expect(r.small).toBe(100);
    expect(r.ratio).toBe(8);
  });

  test('setting a union member sets the discriminant', () => {
    const m = new MessageBuilder();
    const s = initRoot(m, features.ShapeBuilder);
    s.square = 4;
    expect(s.which()).toBe(features.Shape.Which.square);
    s.setNone();
    expect(s.which()).toBe(features.Shape.Which.none);
    expect(asText(m.toBytes(), 'features.capnp', 'Shape')).toContain('none = void');
  });

  test('constants, and an interface descriptor with its method types', () => {
    expect(features.answer).toBe(42);
    expect(features.greeting).toBe('hello');
    expect(features.bigNumber).toBe(2n ** 64n - 1n);
    expect(features.shapeConst.name).toBe('constant shape');
    expect(features.shapeConst.which()).toBe(features.Shape.Which.square);
    expect(features.shapeConst.square).toBe(2);
    expect(features.primes.toArray()).toEqual([2, 3, 5, 7]);
    const calc = features.Calculator;
    expect(calc.interfaceId).toBeTypeOf('bigint');
    expect(calc.methods.add.ordinal).toBe(0);
    expect(calc.methods.negate.ordinal).toBe(1);
    const m = new MessageBuilder();
    const params = initRoot(m, calc.methods.add.ParamsBuilder);
    params.a = 2;
    params.b = 40;
    const read = getRoot(m.asReader(), calc.methods.add.Params);
    expect(read.a + read.b).toBe(42);
  });

  test('the generated modules type-check', () => {
    const config = join(out, 'tsconfig.json');
    const base = join(root, '..', '..', 'tsconfig.base.json');
    const src = join(root, 'src', 'index.ts');
    // Written here rather than committed: the directory is regenerated by every run.
    execFileSync('node', [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(config)}, JSON.stringify({ extends: ${JSON.stringify(base)}, compilerOptions: { noEmit: true, paths: { '@exov6/capnp-lite': [${JSON.stringify(src)}] } }, include: ['*.ts'] }))`,
    ]);
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    expect(() => execFileSync(tsc, ['-p', config], { encoding: 'utf8' })).not.toThrow();
    expect(readFileSync(join(out, 'all-types.capnp.ts'), 'utf8')).toContain('Generated by capnp-lite');
  });
});

describe('committed generated code is what the plugin generates', () => {
  // The package's own schemas (the compiler reads its input with the first; RPC speaks the second) and
  // the RPC tests' schema.
  test.each([
    ['src/schemas/schema.capnp.ts', '/usr/include/capnp', 'schema.capnp', '../index'],
    ['src/schemas/rpc.capnp.ts', '/usr/include/capnp', 'rpc.capnp', '../index'],
    ['test/schemas/rpc-test.capnp.ts', schemas, 'rpc-test.capnp', '../../src/index'],
  ])('%s', (committedPath, prefix, schema, runtime) => {
    const dir = join(out, 'self', schema);
    mkdirSync(dir, { recursive: true });
    execFileSync('capnp', ['compile', `-o${plugin}:${dir}`, `--src-prefix=${prefix}`, join(prefix, schema)], {
      env: { ...process.env, CAPNP_LITE_RUNTIME_IMPORT: runtime },
    });
    const committed = readFileSync(join(root, committedPath), 'utf8');
    expect(readFileSync(join(dir, `${schema}.ts`), 'utf8')).toBe(committed);
  });
});
