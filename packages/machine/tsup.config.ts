import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// The library and the command line; the workspace packages stay external.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
  plugins: [constBindings()],
});
