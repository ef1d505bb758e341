import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  // Tests run against the sources of this package and of the workspace packages it builds on.
  resolve: {
    alias: {
      '@exov6/libos-posix': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      '@exov6/exokernel': source('exokernel'),
      '@exov6/hal-x86': source('hal-x86'),
      '@exov6/caplattice': source('caplattice'),
      '@exov6/sched-beatty': source('sched-beatty'),
      '@exov6/capnp-lite': source('capnp-lite'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/.build/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
