/**
 * A library OS's exec: from inside the environment's own syscall upcall, the handler gives the
 * environment a new address space (new code at the same address), destroys the old one and resumes. The
 * environment must go on in the new space at once, in the same time slice, not in the old page tables.
 */
import { PAGE_SIZE } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Exokernel } from '../src/index';
import { machineCodeEnvironment, SYSCALL } from './support/guest';

// mov eax, 59 (Linux's execve); syscall; then, if still in the old image: mov edi, 1; mov eax, 60; syscall
const OLD_IMAGE = [0xb8, 59, 0, 0, 0, ...SYSCALL, 0xbf, 1, 0, 0, 0, 0xb8, 60, 0, 0, 0, ...SYSCALL];
// The new image: mov edi, 42; mov eax, 60; syscall (exit(42)).
const NEW_IMAGE = [0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, ...SYSCALL];

describe('an upcall that moves its environment to another address space', () => {
  it('resumes the environment in the new space and the old one can be destroyed under it', () => {
    const kernel = new Exokernel({ memoryBytes: 4 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    const { child, space } = machineCodeEnvironment(os, OLD_IMAGE);
    const statuses: number[] = [];
    let execs = 0;
    os.envSetUpcalls(child, {
      syscall: (event, ctx) => {
        if (event.number === 60) {
          statuses.push(Number(ctx.getReg(7)));
          return 'kill';
        }
        execs++;
        const fresh = os.asCreate();
        const text = os.frameAlloc();
        os.frameWrite(text, 0, Uint8Array.from(NEW_IMAGE));
        os.map(fresh, 0x400000, text, { executable: true });
        os.map(fresh, 0x7fff0000 - PAGE_SIZE, os.frameAlloc(), { writable: true });
        os.envSetAddressSpace(child, fresh);
        os.asDestroy(space);
        ctx.rip = 0x400000;
        return 'resume';
      },
    });
    os.envStart(child);
    expect(kernel.run({ maxInstructions: 10_000 }).reason).toBe('idle');
    expect(execs).toBe(1);
    expect(statuses).toEqual([42]);
  });
});
