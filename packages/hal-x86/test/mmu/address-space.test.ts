/**
 * `AddressSpace.map` returns the physical address of the page-table entry it wrote, and `unmapEntry`
 * clears that entry without a walk: the same effect as `unmap(va)`, for hosts that keep the address.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, FrameAllocator, PhysicalMemory, Pte } from '../../src/index';

describe('AddressSpace.map and unmapEntry', () => {
  it('map returns the leaf entry it wrote; unmapEntry removes exactly that page', () => {
    const memory = new PhysicalMemory(4 << 20);
    const space = new AddressSpace(memory, new FrameAllocator(memory, 16));
    const pages = [0x400000, 0x401000, 0x7fff_ffff_f000, -0x8000_0000_0000];
    const entries = pages.map((va, k) => space.map(va, 0x100000 + k * 0x1000, { writable: true }));
    pages.forEach((va, k) => {
      const ea = entries[k] as number;
      expect(memory.view.getUint32(ea, true) & Pte.P).toBe(Pte.P);
      expect(memory.view.getUint32(ea, true) & 0xfffff000).toBe(0x100000 + k * 0x1000);
      expect(space.lookup(va)).toBe(0x100000 + k * 0x1000);
    });
    space.unmapEntry(entries[1] as number);
    expect(space.lookup(0x401000)).toBeNull();
    expect(space.lookup(0x400000)).toBe(0x100000);
    expect(space.lookup(0x7fff_ffff_f000)).toBe(0x102000);
    // The same page mapped again gets the same entry.
    expect(space.map(0x401000, 0x180000)).toBe(entries[1]);
  });
});
