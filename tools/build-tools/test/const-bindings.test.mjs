import { describe, expect, test } from 'vitest';
import { constTopLevelBindings } from '../src/index.mjs';

/** Runs an ES module's text and returns its default export. */
async function evaluate(code) {
  return (await import(`data:text/javascript,${encodeURIComponent(code)}`)).default;
}

describe('constTopLevelBindings', () => {
  test('declares a never-reassigned top-level var const, and the module computes the same', async () => {
    const code = [
      'var SLOT_MASK = 2 ** 24 - 1;',
      'var table = new Int32Array(4);',
      'function slot(id) { table[1] = id & SLOT_MASK; return table[1]; }',
      'export default slot(2 ** 24 + 5);',
    ].join('\n');
    const out = constTopLevelBindings(code);
    expect(out.names).toEqual(['SLOT_MASK', 'table']);
    expect(out.code).toContain('const SLOT_MASK = 2 ** 24 - 1;');
    expect(out.code).toContain('const table = new Int32Array(4);');
    expect(out.rewrites).toEqual([
      { line: 0, column: 0 },
      { line: 1, column: 0 },
    ]);
    expect(await evaluate(out.code)).toBe(await evaluate(code));
  });

  // Each of these writes `x` somewhere: as a const it would throw, so it must stay a var.
  const writes = {
    assignment: 'x = 2;',
    'compound assignment': 'x += 2;',
    'logical assignment ??=': 'x ??= 2;',
    'logical assignment ||=': 'x ||= 2;',
    'logical assignment &&=': 'x &&= 2;',
    'shift assignment': 'x >>>= 1;',
    'prefix increment': '++x;',
    'postfix decrement': 'x--;',
    'array destructuring': '[x] = [2];',
    'array destructuring with a default': '[x = 3] = [];',
    'array rest': '[...x] = [2];',
    'object destructuring': '({ a: x } = { a: 2 });',
    'object shorthand destructuring': '({ x } = { x: 2 });',
    'object rest': '({ ...x } = { a: 2 });',
    'for-of target': 'for (x of [2]) {}',
    'for-in target': 'for (x in { a: 1 }) {}',
    'inside a function called later': 'function later() { x = 2; }',
    'inside a class method': 'class K { m() { x = 2; } }',
    'inside an arrow function': 'const f = () => { x++; };',
  };
  for (const [what, statement] of Object.entries(writes)) {
    test(`keeps a var written by ${what}`, () => {
      const code = `var x = 1;\n${statement}\nexport default x;`;
      const out = constTopLevelBindings(code);
      expect(out.names).toEqual([]);
      expect(out.code).toBe(code);
    });
  }

  test('an assignment to a shadowing local of the same name still keeps the var (no scope analysis)', () => {
    const out = constTopLevelBindings('var x = 1;\nfunction f(x) { x = 2; return x; }\nexport { x, f };');
    expect(out.names).toEqual([]);
  });

  test('writing a property of the value is not writing the binding', () => {
    const out = constTopLevelBindings('var o = { a: 1 };\no.a = 2;\no["b"] = 3;\no.a++;\nexport { o };');
    expect(out.names).toEqual(['o']);
  });

  test('a var without an initializer stays a var (const needs one)', () => {
    const out = constTopLevelBindings('var later;\nvar now = 1;\nexport { later, now };');
    expect(out.names).toEqual(['now']);
    expect(out.code).toContain('var later;');
  });

  test('a declaration of several names is rewritten only when every one of them may be', () => {
    const out = constTopLevelBindings('var a = 1, b = 2;\nvar c = 3, d = 4;\nd = 5;\nexport { a, b, c, d };');
    expect(out.names).toEqual(['a', 'b']);
    expect(out.code).toContain('const a = 1, b = 2;');
    expect(out.code).toContain('var c = 3, d = 4;');
  });

  test('a destructuring declaration is rewritten when none of its names is written', async () => {
    const code = 'var Kind = { A: 1, B: 2 };\nvar { A, B: bee } = Kind;\nexport default A + bee;';
    const out = constTopLevelBindings(code);
    expect(out.names).toEqual(['Kind', 'A', 'bee']);
    expect(out.code).toContain('const { A, B: bee } = Kind;');
    expect(await evaluate(out.code)).toBe(3);
  });

  test('a name declared twice, or also as a function, class or nested var, stays a var', () => {
    const cases = [
      'var x = 1;\nvar x = 2;',
      'var x = 1;\nfunction g() { var x = 3; return x; }',
      'var x = 1;\nfunction h() { function x() {} return x; }',
      'var x = 1;\nfunction k() { class x {} return x; }',
      'var x = 1;\nif (true) { var x = 2; }',
    ];
    for (const code of cases) expect(constTopLevelBindings(code).names, code).toEqual([]);
  });

  test('a var inside a function is not touched', () => {
    const code = 'export function f() { var y = 1; return y; }';
    expect(constTopLevelBindings(code).code).toBe(code);
  });

  test('an exported declaration is rewritten in place', () => {
    const out = constTopLevelBindings('export var LIMIT = 64;');
    expect(out.code).toBe('export const LIMIT = 64;');
    expect(out.rewrites).toEqual([{ line: 0, column: 7 }]);
  });

  test('a file that calls eval is left as it is', () => {
    const code = 'var x = 1;\nexport default eval("x");';
    const out = constTopLevelBindings(code);
    expect(out.code).toBe(code);
    expect(out.names).toEqual([]);
  });

  test('a hashbang line is allowed and counted in the line numbers', () => {
    const out = constTopLevelBindings('#!/usr/bin/env node\nvar x = 1;\nconsole.log(x);');
    expect(out.code).toBe('#!/usr/bin/env node\nconst x = 1;\nconsole.log(x);');
    expect(out.rewrites).toEqual([{ line: 1, column: 0 }]);
  });

  test('columns count UTF-16 code units, as source maps do', () => {
    const out = constTopLevelBindings('/* é😀 */ var x = 1;\nexport { x };');
    expect(out.rewrites).toEqual([{ line: 0, column: '/* é😀 */ '.length }]);
    expect(out.code.startsWith('/* é😀 */ const x = 1;')).toBe(true);
  });

  test('input that is not a module is refused with the parser error', () => {
    expect(() => constTopLevelBindings('var = ;')).toThrow(SyntaxError);
  });
});
