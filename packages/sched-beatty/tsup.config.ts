import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// One entry, the library: ESM with a bundled .d.ts. The package has no runtime dependencies and uses no
// Node.js API, so it is built for a neutral platform (it also runs in browsers and other runtimes).
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
  plugins: [constBindings()],
});
