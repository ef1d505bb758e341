/**
 * The software TLB keeps translations the way the hardware's does: stale after a page-table change until
 * INVLPG or a CR3 write drops them. INVLPG of any address in a 2 MiB page drops every slot the page filled,
 * CR3 writes keep global entries, and the shortcut that skips the 2 MiB search when no large page has
 * been cached must not miss one.
 */
import { describe, expect, it } from 'vitest';
import { Access, AddressSpace, FrameAllocator, Mmu, PhysicalMemory } from '../../src/index';

const MIB2 = 2 ** 21;

function setup() {
  const memory = new PhysicalMemory(32 << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = new AddressSpace(memory, frames);
  const mmu = new Mmu(memory);
  mmu.cr3 = space.root;
  return { space, mmu };
}

describe('TLB invalidation', () => {
  it('a 4 KiB translation stays cached after a page-table change until INVLPG', () => {
    const { space, mmu } = setup();
    space.map(0x400000, 0x200000, { writable: true });
    expect(mmu.translate(0x400010, Access.READ)).toBe(0x200010);
    space.map(0x400000, 0x300000, { writable: true });
    expect(mmu.translate(0x400010, Access.READ)).toBe(0x200010); // stale, as on hardware
    mmu.invlpg(0x400fff);
    expect(mmu.translate(0x400010, Access.READ)).toBe(0x300010);
  });

  it('INVLPG of one address in a 2 MiB page drops every slot the page filled', () => {
    const { space, mmu } = setup();
    space.mapLarge(0x40000000, 4 * MIB2);
    expect(mmu.translate(0x40000000 + 0x1234, Access.READ)).toBe(4 * MIB2 + 0x1234);
    expect(mmu.translate(0x40000000 + 0x1ff000, Access.READ)).toBe(4 * MIB2 + 0x1ff000);
    space.mapLarge(0x40000000, 6 * MIB2);
    mmu.invlpg(0x40000000 + 0x80000); // a third page of the same 2 MiB page
    expect(mmu.translate(0x40000000 + 0x1234, Access.READ)).toBe(6 * MIB2 + 0x1234);
    expect(mmu.translate(0x40000000 + 0x1ff000, Access.READ)).toBe(6 * MIB2 + 0x1ff000);
  });

  it('finds 2 MiB entries cached after a CR3 write, and global ones that survived it', () => {
    const { space, mmu } = setup();
    space.map(0x400000, 0x200000);
    space.mapLarge(0x40000000, 4 * MIB2);
    space.mapLarge(0x80000000, 8 * MIB2, { global: true });
    mmu.translate(0x40000000 + 0x5000, Access.READ);
    mmu.translate(0x80000000 + 0x5000, Access.READ);
    mmu.cr3 = space.root; // drops the non-global large page, keeps the global one
    mmu.translate(0x400000, Access.READ);
    space.mapLarge(0x80000000, 10 * MIB2, { global: true });
    mmu.invlpg(0x80000000);
    expect(mmu.translate(0x80000000 + 0x5000, Access.READ)).toBe(10 * MIB2 + 0x5000);
    // A large page cached again after the flush is found too.
    mmu.translate(0x40000000 + 0x7000, Access.READ);
    space.mapLarge(0x40000000, 6 * MIB2);
    mmu.invlpg(0x40000000);
    expect(mmu.translate(0x40000000 + 0x7000, Access.READ)).toBe(6 * MIB2 + 0x7000);
  });

  it('a CR3 write drops non-global 4 KiB entries and keeps global ones', () => {
    const { space, mmu } = setup();
    space.map(0x400000, 0x200000);
    space.map(0x401000, 0x210000, { global: true });
    mmu.translate(0x400000, Access.READ);
    mmu.translate(0x401000, Access.READ);
    space.map(0x400000, 0x300000);
    space.map(0x401000, 0x310000, { global: true });
    mmu.cr3 = space.root;
    expect(mmu.translate(0x400000, Access.READ)).toBe(0x300000);
    expect(mmu.translate(0x401000, Access.READ)).toBe(0x210000); // global: still the old one
  });
});
