/**
 * `Mmu.check` is `translate` that returns its fault instead of throwing it (compiled code asks it on a TLB
 * miss so that a page fault costs no stack unwind). For any page tables, privilege level, address and
 * access, it must return exactly the fault `translate` throws (vector, error code, CR2), or null when
 * `translate` succeeds, with the translation then cached as `translate` would have cached it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Access,
  type AccessKind,
  AddressSpace,
  FrameAllocator,
  GuestFault,
  Mmu,
  PhysicalMemory,
} from '../../src/index';

const PAGES = [0x400000, 0x401000, 0x7ffffffff000, -0x800000000000, 0x40000000];

interface PageSetup {
  mapped: boolean;
  writable: boolean;
  user: boolean;
  executable: boolean;
}

function build(pages: PageSetup[], cpl: number) {
  const memory = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = new AddressSpace(memory, frames);
  pages.forEach((p, n) => {
    if (p.mapped) space.map(PAGES[n] as number, frames.alloc(), p);
  });
  const mmu = new Mmu(memory);
  mmu.cr3 = space.root;
  mmu.cpl = cpl;
  return mmu;
}

function outcome(f: () => number | null): unknown {
  try {
    const pa = f();
    return { pa };
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    return { vector: e.vector, errorCode: e.errorCode, cr2: e.cr2 };
  }
}

const page = fc.record({
  mapped: fc.boolean(),
  writable: fc.boolean(),
  user: fc.boolean(),
  executable: fc.boolean(),
});
const address = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: PAGES.length - 1 }), fc.integer({ min: 0, max: 4095 }))
    .map(([n, off]) => (PAGES[n] as number) + off),
  fc.constantFrom(2 ** 47, -(2 ** 47) - 1, 2 ** 52), // non-canonical
);

describe('Mmu.check', () => {
  it('returns the fault translate throws, or null with the same translation cached', () => {
    fc.assert(
      fc.property(
        fc.array(page, { minLength: PAGES.length, maxLength: PAGES.length }),
        fc.constantFrom(0, 3),
        address,
        fc.constantFrom<AccessKind>(Access.READ, Access.WRITE, Access.FETCH),
        (pages, cpl, la, access) => {
          const thrown = outcome(() => build(pages, cpl).translate(la, access));
          const checker = build(pages, cpl);
          const fault = checker.check(la, access);
          if (fault === null) {
            const walks = checker.walks;
            expect(outcome(() => checker.translate(la, access))).toEqual(thrown);
            expect(checker.walks).toBe(walks); // check filled the TLB: translate did not walk again
          } else {
            expect(fault).toBeInstanceOf(GuestFault);
            expect({ vector: fault.vector, errorCode: fault.errorCode, cr2: fault.cr2 }).toEqual(thrown);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('says why a page fault happened without formatting the address', () => {
    const mmu = build(
      [
        { mapped: true, writable: false, user: true, executable: false },
        { mapped: false, writable: false, user: false, executable: false },
        { mapped: true, writable: true, user: false, executable: true },
        { mapped: false, writable: false, user: false, executable: false },
        { mapped: false, writable: false, user: false, executable: false },
      ],
      3,
    );
    expect(mmu.check(0x401000, Access.READ)?.detail).toBe('page fault: page not present');
    expect(mmu.check(0x400000, Access.WRITE)?.detail).toBe(
      'page fault: write to a read-only or supervisor page',
    );
    expect(mmu.check(0x400000, Access.FETCH)?.detail).toBe(
      'page fault: fetch from a no-execute or supervisor page',
    );
    expect(mmu.check(0x7ffffffff000, Access.READ)?.detail).toBe('page fault: read of a supervisor page');
    expect(mmu.check(0x400000, Access.READ)).toBeNull();
  });
});
