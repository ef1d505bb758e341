/**
 * The README's example, step by step: busybox's shell in a library OS on a bare exokernel.
 */
import { readFileSync } from 'node:fs';
import { Exokernel } from '@exov6/exokernel';
import { describe, expect, it } from 'vitest';
import { HostStdio, PosixSystem } from '../src/index';
import { haveBusybox } from './support/busybox';

describe.skipIf(!haveBusybox)('the README example', () => {
  it('runs a shell pipeline and prints 42', () => {
    const kernel = new Exokernel({ memoryBytes: 64 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 16000 }));
    const system = new PosixSystem(os, { seed: 1 });
    system.fs.writeFile('/bin/busybox', readFileSync('/bin/busybox'), 0o755);
    system.fs.symlink('busybox', '/bin/sh', '/');
    const stdio = new HostStdio();
    stdio.input.end();
    const shell = system.spawn('/bin/sh', {
      argv: ['sh', '-c', 'echo $((6 * 7)) | cat'],
      env: ['PATH=/bin'],
      stdio: stdio.files,
    });
    kernel.run();
    expect([stdio.stdout, shell.waitStatus]).toEqual(['42\n', 0]);
  });
});
