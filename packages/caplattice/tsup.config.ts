import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// One entry: the library as ESM with a bundled .d.ts. The @noble packages stay external dependencies.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // Fields and helpers marked @internal are shared between modules but are not part of the API.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
  plugins: [constBindings()],
});
