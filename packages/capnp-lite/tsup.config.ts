import { defineConfig } from 'tsup';

// The library is one ESM entry with a bundled .d.ts. It uses no Node.js API, so it is built for a neutral
// platform (it also runs in browsers and other runtimes). The schema compiler plugin is a second entry:
// a bin that reads a CodeGeneratorRequest on stdin (it uses Node.js).
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    clean: true,
  },
]);
