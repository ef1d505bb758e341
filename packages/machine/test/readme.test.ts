/**
 * The README's code example: a command run through the programmatic API.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/index';

describe.skipIf(!existsSync('/bin/busybox'))('the README example', () => {
  it('prints 42', () => {
    const machine = new Machine({ memoryMiB: 64, seed: 1 });
    const result = machine.run(['/bin/sh', '-c', 'echo $((6 * 7))']);
    expect([result.stdout, result.status]).toEqual(['42\n', 0]);
    expect(result.instructions).toBeGreaterThan(0);
  });
});
