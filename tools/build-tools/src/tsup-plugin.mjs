/**
 * The tsup plugin the ExoV6 packages build with: their bundles' never-reassigned top-level bindings are
 * declared `const` (see const-bindings.mjs), and the source map is moved to match.
 */
import { constTopLevelBindings, WIDENED_BY } from './const-bindings.mjs';
import { shiftGeneratedColumns } from './source-map-shift.mjs';

/** @returns a tsup plugin (`plugins: [constBindings()]` in tsup.config.ts). */
export function constBindings() {
  return {
    name: 'const-bindings',
    renderChunk(code, chunk) {
      if (chunk.type !== 'chunk' || !/\.m?js$/.test(chunk.path)) return undefined;
      const { code: rewritten, rewrites } = constTopLevelBindings(code);
      if (rewrites.length === 0) return undefined;
      // The map is moved here rather than returned: tsup would compose a returned map with its own.
      if (chunk.map) chunk.map = shiftGeneratedColumns(chunk.map, rewrites, WIDENED_BY);
      return { code: rewritten };
    },
  };
}
