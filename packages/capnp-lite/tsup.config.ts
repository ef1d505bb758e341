import { constBindings } from '@exov6/build-tools';
import { defineConfig } from 'tsup';

// The library and the compiler (as a library) are ESM entries with bundled .d.ts files. Neither uses a
// Node.js API, so they are built for a neutral platform (they also run in browsers and other runtimes).
// The schema compiler plugin is a bin: it reads the request on stdin and writes files (Node.js).
export default defineConfig([
  {
    entry: { index: 'src/index.ts', compiler: 'src/compiler/index.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    clean: true,
    // Top-level bindings nothing reassigns are declared const again (see @exov6/build-tools).
    plugins: [constBindings()],
  },
  {
    entry: { 'bin/capnpc-lite': 'src/bin/capnpc-lite.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    plugins: [constBindings()],
  },
]);
