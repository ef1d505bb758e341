/**
 * Keeps a source map true after text is inserted into the file it maps: each insertion moves the
 * generated columns after it, on its own line, to the right.
 */
import { decode, encode } from '@jridgewell/sourcemap-codec';

/**
 * The map `map` (an object or its JSON) for the file after `width` characters were inserted just after
 * each of `points` (0-based line and column of the generated file, as before the insertions). A mapping at
 * a point itself stays where it is: it marks the start of the text that grew.
 * @param {string | { mappings: string }} map
 * @param {{ line: number, column: number }[]} points
 * @param {number} width
 * @returns {object} a new map object (the input is not changed)
 */
export function shiftGeneratedColumns(map, points, width) {
  const parsed = typeof map === 'string' ? JSON.parse(map) : map;
  const lines = decode(parsed.mappings);
  const byLine = new Map();
  for (const p of points) {
    const columns = byLine.get(p.line) ?? [];
    columns.push(p.column);
    byLine.set(p.line, columns);
  }
  for (const [line, columns] of byLine) {
    const segments = lines[line];
    if (segments === undefined) continue;
    for (const segment of segments) {
      let before = 0;
      for (const column of columns) if (column < segment[0]) before++;
      segment[0] += before * width;
    }
  }
  return { ...parsed, mappings: encode(lines) };
}
