import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  // Tests run against the sources of the workspace packages; the image comes from the build (dist/image).
  resolve: {
    alias: {
      '@exov6/libos-posix': source('libos-posix'),
      '@exov6/exokernel': source('exokernel'),
      '@exov6/hal-x86': source('hal-x86'),
      '@exov6/caplattice': source('caplattice'),
      '@exov6/sched-beatty': source('sched-beatty'),
      '@exov6/capnp-lite': source('capnp-lite'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
