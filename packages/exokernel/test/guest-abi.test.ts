/**
 * The guest calling convention: a C program built against include/exov6.h calls the kernel's primitives
 * with `syscall`, handles its own page faults on an exception stack (JOS style), and reaches its library
 * OS with the syscall numbers that are not the kernel's. The header's numbers must match the kernel's.
 */
import { readFileSync } from 'node:fs';
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { EXO_SYSCALL_BASE, ExoErrno, ExoSyscall, Exokernel, UTRAPFRAME_SIZE } from '../src/index';
import { buildGuest, haveGcc, loadGuest } from './support/guest';

function defines(): Map<string, number> {
  const text = readFileSync(new URL('../include/exov6.h', import.meta.url), 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/#define (EXO_\w+) \(?(-?\w+)\)?/g)) {
    const value = m[2] as string;
    out.set(m[1] as string, value.startsWith('0x') ? Number.parseInt(value, 16) : Number(value));
  }
  for (const m of text.matchAll(/#define (EXO_RIGHT_\w+) \(1u << (\d+)\)/g))
    out.set(m[1] as string, 1 << Number(m[2]));
  return out;
}

describe('include/exov6.h', () => {
  it('agrees with the kernel on every number', () => {
    const d = defines();
    expect(d.get('EXO_SYSCALL_BASE')).toBe(EXO_SYSCALL_BASE);
    for (const [name, n] of Object.entries(ExoSyscall)) expect(d.get(`EXO_SYS_${name}`), name).toBe(n);
    for (const [name, n] of Object.entries(ExoErrno)) expect(d.get(`EXO_${name}`), name).toBe(n);
    for (const name of [
      'READ',
      'WRITE',
      'EXECUTE',
      'MAP',
      'GRANT',
      'REVOKE',
      'TRANSFER',
      'IPC_SEND',
      'IPC_RECV',
    ] as const) {
      expect(d.get(`EXO_RIGHT_${name}`), name).toBe(Rights[name]);
    }
    const header = readFileSync(new URL('../include/exov6.h', import.meta.url), 'utf8');
    expect(header).toContain(`(${UTRAPFRAME_SIZE} bytes)`);
  });
});

describe.skipIf(!haveGcc)('a guest C program', () => {
  it('handles its own page faults through guest primitives, then exits through its library OS', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 256 }));
    const { child } = loadGuest(os, buildGuest('pgfault'));
    const exits: number[] = [];
    os.envSetUpcalls(child, {
      syscall: (event, ctx) => {
        if (event.number === 60) exits.push(Number(BigInt.asIntN(64, ctx.getReg(7))));
        return 'kill';
      },
    });
    os.envStart(child);
    const before = os.quotaFree;
    expect(kernel.run({ maxInstructions: 1_000_000 }).reason).toBe('idle');
    // sum 1+2+3+4 = 10, four faults, and the forged map refused: 10*1000 + 4*10 + 1
    expect(exits).toEqual([10_041]);
    expect(os.envStatus(child).reason).toBe('syscall handler ended the environment');
    // The four frames and the page table the region at 0x10000000 needed were charged to the child's
    // quota (the environment whose map needed the table pays for it). When the child ended, its frames
    // went back to the machine and the 63 frames of quota it no longer used to the library OS; the page
    // table stays charged until the address space is destroyed.
    expect(os.quotaFree - before).toBe(63);
  });
});
