import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// One entry, the library: ESM with a bundled .d.ts; the workspace packages it builds on stay external.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
  plugins: [constBindings()],
});
