import { existsSync } from 'node:fs';
import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// One build, two entries: the library (ESM + bundled .d.ts) and the x86run CLI.
// The CLI entry is optional so the library still builds while the CLI is being written.
const entry: Record<string, string> = { index: 'src/index.ts' };
if (existsSync('src/bin/x86run.ts')) entry['bin/x86run'] = 'src/bin/x86run.ts';

const SHEBANG = '#!/usr/bin/env node\n';

export default defineConfig({
  entry,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  plugins: [
    // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
    constBindings(),
    // A per-entry banner: tsup's `banner` option applies to every entry, only the CLI needs a shebang.
    // The source map is shifted by one line (a leading ';' in `mappings`) to stay accurate.
    {
      name: 'x86run-shebang',
      renderChunk(code, chunk) {
        if (chunk.type !== 'chunk' || !chunk.path.endsWith('/bin/x86run.js') || code.startsWith('#!')) {
          return undefined;
        }
        if (chunk.map) {
          const map = typeof chunk.map === 'string' ? JSON.parse(chunk.map) : chunk.map;
          map.mappings = `;${map.mappings}`;
          chunk.map = map;
        }
        return { code: SHEBANG + code };
      },
    },
  ],
});
