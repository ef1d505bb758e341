/**
 * A library OS's fast path: calls its `fastSyscall` handler answers are served inside the vCPU's run loop
 * (no `syscall` upcall, RAX set), the ones it declines take the ordinary upcall, and a handler that throws
 * ends only its environment.
 */
import { describe, expect, it } from 'vitest';
import { Exokernel } from '../src/index';
import { machineCodeEnvironment, SYSCALL } from './support/guest';

// rbx = 1000; loop: mov eax, 39; mov edi, 7; syscall; add r12, rax; dec rbx; jnz loop;
// mov eax, 60; mov rdi, r12; syscall
// biome-ignore format: one instruction per line
const LOOP = [
  0xbb, 0xe8, 0x03, 0, 0,
  0xb8, 39, 0, 0, 0,
  0xbf, 7, 0, 0, 0,
  ...SYSCALL,
  0x49, 0x01, 0xc4,
  0x48, 0xff, 0xcb,
  0x75, 0xec,
  0xb8, 60, 0, 0, 0,
  0x4c, 0x89, 0xe7,
  ...SYSCALL,
];

describe('fastSyscall', () => {
  it('answers in the run loop what it accepts, and the rest goes to the syscall upcall', () => {
    const kernel = new Exokernel({ memoryBytes: 4 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    const { child } = machineCodeEnvironment(os, LOOP);
    let fast = 0;
    const slow: number[] = [];
    let status = -1;
    os.envSetUpcalls(child, {
      fastSyscall: (call) => {
        if (call.number !== 39) return false;
        fast++;
        call.setResult(call.arg(0) * 6); // 42 from RDI = 7
        return true;
      },
      syscall: (event, ctx) => {
        slow.push(event.number);
        status = Number(ctx.getReg(7));
        return 'kill';
      },
    });
    os.envStart(child);
    expect(kernel.run({ maxInstructions: 100_000 }).reason).toBe('idle');
    expect(fast).toBe(1000);
    expect(slow).toEqual([60]);
    expect(status).toBe(42 * 1000);
  });

  it('ends the environment whose handler throws, and nothing else', () => {
    const kernel = new Exokernel({ memoryBytes: 4 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    const { child } = machineCodeEnvironment(os, LOOP);
    os.envSetUpcalls(child, {
      fastSyscall: () => {
        throw new Error('broken fast path');
      },
    });
    os.envStart(child);
    expect(kernel.run({ maxInstructions: 100_000 }).reason).toBe('idle');
    expect(os.envStatus(child)).toMatchObject({
      status: 'dead',
      reason: 'fastSyscall handler threw: broken fast path',
    });
  });
});
