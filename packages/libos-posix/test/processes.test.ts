/**
 * musl programs exercising processes, pipes, signals, memory and files, each run natively and in the
 * library OS: the output and exit status must be the same.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram, haveMusl, runInLibOs, runNative } from './support/programs';

describe.skipIf(!haveMusl)('programs compared with native runs', () => {
  for (const name of ['processes', 'spawn', 'pipes', 'signals', 'jobcontrol', 'memory', 'files']) {
    it(name, () => {
      const path = buildProgram(name);
      const native = runNative(path);
      const ours = runInLibOs(path);
      expect(ours.stdout).toBe(native.stdout);
      expect(ours.stderr).toBe(native.stderr);
      expect(ours.status).toBe(native.status);
    });
  }
});
