import { describe, expect, it } from 'vitest';
import { FrameAllocator, PhysicalMemory } from '../../src/memory/physical-memory';
import { AddressSpace } from '../../src/mmu/address-space';
import { GuestOutOfMemory, MMAP_TOP, ProcessMemory } from '../../src/x86run/vm';

const RW = 3;
const ANON_PRIVATE = 0x22;
const FIXED = 0x10;
const M = 1024 * 1024;

function vm(bytes = 16 * M) {
  const memory = new PhysicalMemory(bytes);
  const frames = new FrameAllocator(memory);
  const v = new ProcessMemory(new AddressSpace(memory, frames));
  const invalidated: number[] = [];
  v.invalidate = (va) => invalidated.push(va);
  return { v, frames, invalidated };
}

const noStd = () => false;
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('ProcessMemory: mmap and munmap', () => {
  it('allocates top-down below MMAP_TOP, lazily', () => {
    const { v, frames } = vm();
    const used = frames.framesInUse;
    const a = v.mmap(0, 3 * 4096, RW, ANON_PRIVATE, -1, 0, noStd);
    const b = v.mmap(0, 5000, RW, ANON_PRIVATE, -1, 0, noStd);
    expect(a).toBe(MMAP_TOP - 3 * 4096);
    expect(b).toBe(a - 2 * 4096);
    expect(frames.framesInUse).toBe(used); // nothing touched yet
    expect(v.copyIn(a, 4)).toEqual(bytes(0, 0, 0, 0));
    expect(v.residentBytes).toBe(4096);
  });

  it('honours a free hint and MAP_FIXED, and refuses bad requests', () => {
    const { v } = vm();
    expect(v.mmap(0x20000000, 4096, RW, ANON_PRIVATE, -1, 0, noStd)).toBe(0x20000000);
    expect(v.mmap(0x20000000, 4096, RW, ANON_PRIVATE, -1, 0, noStd)).not.toBe(0x20000000); // taken: elsewhere
    expect(v.copyOut(0x20000000, bytes(9))).toBe(true);
    expect(v.mmap(0x20000000, 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd)).toBe(0x20000000);
    expect(v.copyIn(0x20000000, 1)).toEqual(bytes(0)); // replaced by a fresh zero page
    expect(v.mmap(0x20000000, 4096, RW, ANON_PRIVATE | 0x100000, -1, 0, noStd)).toBe(-17); // NOREPLACE: EEXIST
    expect(v.mmap(0x20000001, 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd)).toBe(-22);
    expect(v.mmap(0, 0, RW, ANON_PRIVATE, -1, 0, noStd)).toBe(-22);
    expect(v.mmap(0, 4096, RW, 0x20, -1, 0, noStd)).toBe(-22); // neither shared nor private
    expect(v.mmap(0, 4096, RW, 0x02, 3, 0, noStd)).toBe(-9); // file mapping of a bad fd: EBADF
    expect(v.mmap(0, 4096, RW, 0x02, 0, 0, () => true)).toBe(-19); // of stdin (a pipe): ENODEV
    expect(v.mmap(0x1000, 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd)).toBe(-1); // below mmap_min_addr
  });

  it('munmap splits areas and releases frames', () => {
    const { v, frames, invalidated } = vm();
    const a = v.mmap(0, 4 * 4096, RW, ANON_PRIVATE, -1, 0, noStd);
    v.ensure(a, 4 * 4096, true);
    const used = frames.framesInUse;
    expect(v.munmap(a + 4096, 2 * 4096)).toBe(0);
    expect(frames.framesInUse).toBe(used - 2);
    expect(invalidated).toEqual([a + 4096, a + 2 * 4096]);
    expect(v.areas.filter((x) => x.kind === 'mmap').map((x) => [x.start - a, x.end - a])).toEqual([
      [0, 4096],
      [3 * 4096, 4 * 4096],
    ]);
    expect(v.copyIn(a + 4096, 1)).toBeNull();
    expect(v.fault(a + 4096, false, false)).toBe(false);
    expect(v.munmap(a + 1, 10)).toBe(-22);
  });
});

describe('ProcessMemory: permissions', () => {
  it('mprotect changes access and PROT_NONE keeps the contents', () => {
    const { v } = vm();
    const a = v.mmap(0, 2 * 4096, RW, ANON_PRIVATE, -1, 0, noStd);
    expect(v.copyOut(a, bytes(1, 2, 3))).toBe(true);
    expect(v.mprotect(a, 4096, 1)).toBe(0);
    expect(v.copyOut(a, bytes(4))).toBe(false); // read-only now
    expect(v.fault(a, true, false)).toBe(false);
    expect(v.mprotect(a, 4096, 0)).toBe(0);
    expect(v.copyIn(a, 1)).toBeNull();
    expect(v.as.lookup(a)).toBeNull(); // not present in the page tables
    expect(v.mprotect(a, 8192, RW)).toBe(0);
    expect(v.copyIn(a, 3)).toEqual(bytes(1, 2, 3));
    expect(v.mprotect(a, 3 * 4096, RW)).toBe(-12); // the third page is not mapped
    expect(v.mprotect(a + 1, 4096, RW)).toBe(-22);
  });

  it('fault() maps pages only for allowed accesses', () => {
    const { v } = vm();
    const ro = v.mmap(0, 4096, 1, ANON_PRIVATE, -1, 0, noStd);
    expect(v.fault(ro, true, false)).toBe(false);
    expect(v.fault(ro, false, true)).toBe(false); // not executable
    expect(v.fault(ro + 8, false, false)).toBe(true);
    expect(v.fault(ro + 8, false, false)).toBe(false); // already present: a real violation
    const rx = v.mmap(0, 4096, 5, ANON_PRIVATE, -1, 0, noStd);
    expect(v.fault(rx, false, true)).toBe(true);
  });
});

describe('ProcessMemory: brk, mremap, madvise', () => {
  it('grows and shrinks the heap; regrown pages are zero', () => {
    const { v } = vm();
    v.brkStart = v.brk = 0x600000;
    expect(v.setBrk(0)).toBe(0x600000);
    expect(v.setBrk(0x600010)).toBe(0x600010);
    expect(v.copyOut(0x600000, bytes(5))).toBe(true);
    expect(v.setBrk(0x623456)).toBe(0x623456);
    expect(v.copyOut(0x623000, bytes(6))).toBe(true);
    expect(v.setBrk(0x600000)).toBe(0x600000);
    expect(v.copyIn(0x600000, 1)).toBeNull();
    expect(v.setBrk(0x601000)).toBe(0x601000);
    expect(v.copyIn(0x600000, 1)).toEqual(bytes(0));
    expect(v.setBrk(0x500000)).toBe(0x601000); // below the start: unchanged
    v.mmap(0x700000, 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd);
    expect(v.setBrk(0x800000)).toBe(0x601000); // would run into a mapping
  });

  it('mremap shrinks, grows in place, and moves with contents', () => {
    const { v } = vm();
    const a = v.mmap(0x30000000, 2 * 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd);
    v.copyOut(a, bytes(1, 2));
    v.copyOut(a + 4096, bytes(3));
    expect(v.mremap(a, 8192, 3 * 4096, 0, 0)).toBe(a); // grows in place
    v.mmap(a + 3 * 4096, 4096, RW, ANON_PRIVATE | FIXED, -1, 0, noStd); // block further growth
    expect(v.mremap(a, 3 * 4096, 8 * 4096, 0, 0)).toBe(-12);
    const b = v.mremap(a, 3 * 4096, 8 * 4096, 1, 0);
    expect(b).not.toBe(a);
    expect(v.copyIn(b, 2)).toEqual(bytes(1, 2));
    expect(v.copyIn(b + 4096, 1)).toEqual(bytes(3));
    expect(v.copyIn(a, 1)).toBeNull();
    expect(v.mremap(b, 8 * 4096, 4096, 0, 0)).toBe(b);
    expect(v.copyIn(b + 4096, 1)).toBeNull();
    expect(v.mremap(0x50000000, 4096, 8192, 1, 0)).toBe(-14);
  });

  it('MADV_DONTNEED drops the pages: they read back as zero', () => {
    const { v } = vm();
    const a = v.mmap(0, 4096, RW, ANON_PRIVATE, -1, 0, noStd);
    v.copyOut(a, bytes(7));
    expect(v.madvise(a, 4096, 4)).toBe(0);
    expect(v.copyIn(a, 1)).toEqual(bytes(0));
    expect(v.madvise(a, 4096, 0)).toBe(0);
  });

  it('signals exhaustion of physical memory with GuestOutOfMemory', () => {
    const { v } = vm(4 * M);
    const a = v.mmap(0, 8 * M, RW, ANON_PRIVATE, -1, 0, noStd);
    expect(() => v.ensure(a, 8 * M, true)).toThrow(GuestOutOfMemory);
  });

  it('reads NUL-terminated strings across pages', () => {
    const { v } = vm();
    const a = v.mmap(0, 2 * 4096, RW, ANON_PRIVATE, -1, 0, noStd);
    v.copyOut(a + 4094, new TextEncoder().encode('abcd\0'));
    expect(new TextDecoder().decode(v.readCString(a + 4094) as Uint8Array)).toBe('abcd');
    v.copyOut(a + 4096, new Uint8Array(4096).fill(0x41));
    expect(v.readCString(a + 4096)).toBeNull(); // runs off the mapping
  });
});
