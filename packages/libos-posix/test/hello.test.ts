/**
 * A static musl program in the library OS against the same program run natively: output, stderr and
 * exit status byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram, haveMusl, runInLibOs, runNative } from './support/programs';

describe.skipIf(!haveMusl)('a static musl program', () => {
  it('prints what it prints natively and exits with the same status', () => {
    const path = buildProgram('hello');
    const native = runNative(path, ['one', 'two words']);
    const ours = runInLibOs(path, ['one', 'two words']);
    expect(ours.stdout).toBe(native.stdout);
    expect(ours.stderr).toBe(native.stderr);
    expect(ours.status).toBe(native.status);
    expect(native.status).toBe(5);
  });
});
