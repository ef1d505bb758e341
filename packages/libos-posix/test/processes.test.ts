/**
 * musl programs exercising the state a program starts in (registers, auxv), processes, pipes, signals,
 * memory and files, each run natively and in the library OS: the output and exit status must be the same.
 */
import { describe, expect, it } from 'vitest';
import { bootSystem, buildProgram, haveMusl, runInLibOs, runNative } from './support/programs';

describe.skipIf(!haveMusl)('programs compared with native runs', () => {
  for (const name of ['entry', 'processes', 'spawn', 'pipes', 'signals', 'jobcontrol', 'memory', 'files']) {
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

describe.skipIf(!haveMusl)('programs compared with native runs, in a system without a timer', () => {
  // Without a timer, a sleep or a timeout makes time jump ahead at once; every program whose output
  // does not depend on another process acting during a timeout must still match.
  for (const name of ['processes', 'signals', 'memory']) {
    it(name, () => {
      const path = buildProgram(name);
      const native = runNative(path);
      const ours = runInLibOs(path, [], '', bootSystem({ withTimer: false }));
      expect(ours.stdout).toBe(native.stdout);
      expect(ours.status).toBe(native.status);
    });
  }
});
