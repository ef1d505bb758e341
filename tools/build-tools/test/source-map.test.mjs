import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { build } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { constBindings, constTopLevelBindings, shiftGeneratedColumns, WIDENED_BY } from '../src/index.mjs';

const dir = mkdtempSync(join(tmpdir(), 'build-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A two-module program bundled as the packages are (ESM, one file, an external source map). */
async function bundle() {
  writeFileSync(
    join(dir, 'sizes.js'),
    [
      'export const WIDTH = 3, HEIGHT = 4;',
      'export const table = { a: 1 };',
      'export let counter = 0;',
      'export function area(h) { counter++; return WIDTH * h + table.a + HEIGHT; }',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'main.js'),
    [
      "import { area, table, counter } from './sizes.js';",
      'export const doubled = area(2) * 2, again = area(1);',
      'export function probe() { return [table, counter]; }',
    ].join('\n'),
  );
  const result = await build({
    entryPoints: [join(dir, 'main.js')],
    bundle: true,
    format: 'esm',
    sourcemap: 'external',
    write: false,
    outfile: join(dir, 'out.js'),
  });
  const file = (ext) => result.outputFiles.find((f) => f.path.endsWith(ext)).text;
  return { code: file('.js'), map: JSON.parse(file('.js.map')) };
}

/** The generated line's segments (column and original position), as a comparable list. */
function traced(map, line, column) {
  const p = originalPositionFor(new TraceMap(map), { line: line + 1, column });
  return `${p.source}:${p.line}:${p.column}`;
}

describe('source maps after the rewrite', () => {
  test('every mapped token of a rewritten line maps to the same original place, at its new column', async () => {
    const { code, map } = await bundle();
    // (The bundler declared the modules' top-level bindings with var, as it does.)
    expect(code).toMatch(/^var WIDTH = 3/m);
    const out = constTopLevelBindings(code);
    expect(out.names).toEqual(expect.arrayContaining(['WIDTH', 'HEIGHT', 'table', 'doubled', 'again']));
    expect(out.names).not.toContain('counter');
    const shifted = shiftGeneratedColumns(map, out.rewrites, WIDENED_BY);
    const oldLines = code.split('\n');
    const newLines = out.code.split('\n');
    const decoded = decode(map.mappings);
    let checked = 0;
    for (const { line } of out.rewrites) {
      for (const [column] of decoded[line] ?? []) {
        const moved =
          column === out.rewrites.find((r) => r.line === line).column ? column : column + WIDENED_BY;
        // The same text starts there, and it traces back to the same original position.
        const token = oldLines[line].slice(column, column + 3);
        if (column > 0 || token !== 'var') expect(newLines[line].slice(moved, moved + 3)).toBe(token);
        expect(traced(shifted, line, moved)).toBe(traced(map, line, column));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(out.rewrites.length); // more than the keywords alone were checked
  });

  test('lines without a rewrite keep their mappings unchanged, and the input map is not modified', async () => {
    const { code, map } = await bundle();
    const before = JSON.stringify(map);
    const out = constTopLevelBindings(code);
    const shifted = shiftGeneratedColumns(JSON.stringify(map), out.rewrites, WIDENED_BY);
    expect(JSON.stringify(map)).toBe(before);
    const rewritten = new Set(out.rewrites.map((r) => r.line));
    const a = decode(map.mappings);
    const b = decode(shifted.mappings);
    expect(b.length).toBe(a.length);
    for (let line = 0; line < a.length; line++) {
      if (!rewritten.has(line)) expect(b[line]).toEqual(a[line]);
    }
  });

  test('the tsup plugin rewrites a chunk and moves its map, and leaves other outputs alone', async () => {
    const { code, map } = await bundle();
    const plugin = constBindings();
    const chunk = { type: 'chunk', path: join(dir, 'out.js'), map };
    const result = plugin.renderChunk(code, chunk);
    expect(result.code).toBe(constTopLevelBindings(code).code);
    expect(chunk.map).not.toBe(map);
    expect(chunk.map.mappings).toBe(
      shiftGeneratedColumns(map, constTopLevelBindings(code).rewrites, WIDENED_BY).mappings,
    );
    expect(plugin.renderChunk(code, { type: 'asset', path: join(dir, 'out.css') })).toBeUndefined();
    expect(plugin.renderChunk('export const x = 1;\n', { type: 'chunk', path: join(dir, 'c.js') })).toBe(
      undefined,
    );
    // The rewritten bundle behaves as the original.
    const run = async (text) => {
      const m = await import(`data:text/javascript,${encodeURIComponent(text)}`);
      return [m.doubled, m.again, JSON.stringify(m.probe())];
    };
    expect(await run(result.code)).toEqual(await run(code));
  });
});
