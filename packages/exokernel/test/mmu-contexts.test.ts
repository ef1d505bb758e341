/**
 * Each address space runs in its own MMU context (PCID), so its translations survive a switch to another
 * space and back. The kernel must then invalidate what it changes in a space that is not running: a page
 * unmapped or made read-only while its space waits must fault when the space runs again, not reach the
 * frame through a translation kept from the space's last slice.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { Exokernel, ExoSyscall } from '../src/index';
import { PcidPool } from '../src/pcid-pool';
import { SYSCALL, machineCodeEnvironment, movEaxPrimitive } from './support/guest';

const DATA = 0x10000000;
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const prim = (n: number) => [...movEaxPrimitive(n), ...SYSCALL];
// biome-ignore format: one instruction per line
const TOUCH_YIELD_TOUCH = [
  0xbb, ...u32(DATA), // mov ebx, DATA
  0x89, 0x03, // mov [rbx], eax: the translation is cached in the space's context
  ...prim(ExoSyscall.YIELD),
  0x89, 0x03, // mov [rbx], eax: after the change, this must fault
  ...prim(ExoSyscall.EXIT),
];

function world() {
  const kernel = new Exokernel({ memoryBytes: 16 << 20 });
  const os = kernel.bind(kernel.createRootEnvironment());
  const spawn = (code: number[]) => {
    const { child, space } = machineCodeEnvironment(os, code);
    return { env: child, space };
  };
  return { kernel, os, spawn };
}

describe('MMU contexts of address spaces', () => {
  it.each([
    ['unmapped', 'unmap'],
    ['made read-only', 'protect'],
    ['unmapped by revoking the capability that mapped it', 'revoke'],
  ] as const)('a page %s while its space waits faults when the space runs again', (_name, change) => {
    const { kernel, os, spawn } = world();
    const x = spawn(TOUCH_YIELD_TOUCH);
    const frame = os.frameAlloc();
    const copy = os.capDerive(frame, { rights: Rights.READ | Rights.WRITE | Rights.MAP });
    os.map(x.space, DATA, copy, { writable: true });
    const faults: number[] = [];
    os.envSetUpcalls(x.env, {
      pageFault: (e) => {
        faults.push(e.address);
        return 'kill';
      },
    });
    const y = spawn(prim(ExoSyscall.EXIT)); // another space runs in between: X's context is kept aside
    os.envStart(x.env);
    os.envStart(y.env);
    // Slice by slice until X has touched its page and yielded and Y has run (and exited).
    for (let i = 0; i < 10 && os.envStatus(y.env).status !== 'dead'; i++) kernel.run({ maxSlices: 1 });
    expect(os.envStatus(y.env).status).toBe('dead');
    expect(os.envStatus(x.env).status).toBe('runnable');
    expect(kernel.cpu.mmu.pcid).not.toBe(0);
    if (change === 'unmap') os.unmap(x.space, DATA);
    else if (change === 'protect') os.protect(x.space, DATA, { writable: false });
    else os.capRevoke(frame); // removes the derived copy, and the mapping made through it
    kernel.run();
    expect(faults).toEqual([DATA]);
    expect(os.envStatus(x.env).status).toBe('dead');
  });

  it('a space that was not changed keeps its translations: its second write needs no page walk', () => {
    const { kernel, os, spawn } = world();
    const x = spawn(TOUCH_YIELD_TOUCH);
    os.map(x.space, DATA, os.frameAlloc(), { writable: true });
    const y = spawn(prim(ExoSyscall.EXIT));
    os.envStart(x.env);
    os.envStart(y.env);
    for (let i = 0; i < 10 && os.envStatus(y.env).status !== 'dead'; i++) kernel.run({ maxSlices: 1 });
    const walks = kernel.cpu.mmu.walks;
    kernel.run();
    expect(os.envStatus(x.env)).toMatchObject({ status: 'dead', reason: expect.stringMatching(/exit/) });
    // X's code page and data page come back with its context: the rest of its run walks nothing.
    expect(kernel.cpu.mmu.walks).toBe(walks);
  });

  it('a destroyed space leaves nothing in its context for the next space that gets its identifier', () => {
    const { kernel, os, spawn } = world();
    // biome-ignore format: one instruction per line
    const write = (value: number) => [
      0xbb, ...u32(DATA), // mov ebx, DATA
      0xc7, 0x03, ...u32(value), // mov dword [rbx], value
      ...prim(ExoSyscall.EXIT),
    ];
    const x = spawn(write(0x11));
    const xFrame = os.frameAlloc();
    os.map(x.space, DATA, xFrame, { writable: true });
    const y = spawn(prim(ExoSyscall.EXIT));
    os.envStart(x.env);
    os.envStart(y.env);
    kernel.run();
    os.asDestroy(x.space);
    const z = spawn(write(0x77));
    const zFrame = os.frameAlloc();
    os.map(z.space, DATA, zFrame, { writable: true });
    os.envStart(z.env);
    kernel.run();
    expect([...os.frameRead(zFrame, 0, 1)]).toEqual([0x77]);
    expect([...os.frameRead(xFrame, 0, 1)]).toEqual([0x11]);
  });

  it('gives each space its own context identifier, reuses freed ones, and shares 0 beyond 4095', () => {
    const pool = new PcidPool();
    const taken = Array.from({ length: 4095 }, () => pool.take());
    expect(new Set(taken).size).toBe(4095);
    expect(Math.min(...taken)).toBe(1);
    expect(pool.take()).toBe(0);
    pool.give(0); // (0 is shared: never handed out as a free identifier)
    pool.give(17);
    expect(pool.take()).toBe(17);
    expect(pool.take()).toBe(0);
  });
});
