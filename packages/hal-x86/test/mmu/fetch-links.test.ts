/**
 * Block links rest on fetch translations only, so INVLPG of a page that never served a fetch keeps the
 * translation epoch (a page-fault handler's unmap of a data page then costs no block lookups), while
 * INVLPG of a code page, or of any page after a fetched translation left the TLB unnoticed, changes it.
 * The CPU must run the new code after a code page is remapped and invalidated.
 */
import { describe, expect, it } from 'vitest';
import { Access, AddressSpace, Cpu, FrameAllocator, Mmu, PhysicalMemory, TLB_SIZE } from '../../src/index';

const CODE = 0x400000;
const DATA = 0x600000;

function setup() {
  const memory = new PhysicalMemory(16 << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = new AddressSpace(memory, frames);
  space.map(CODE, 0x200000, { executable: true });
  space.map(DATA, 0x300000, { writable: true });
  // The page TLB_SIZE pages above DATA uses DATA's slot (the TLB is direct-mapped).
  space.map(DATA + TLB_SIZE * 4096, 0x310000, { writable: true });
  space.map(CODE + TLB_SIZE * 4096, 0x210000, { executable: true });
  const mmu = new Mmu(memory);
  mmu.switchContext(space.root, 1, false);
  return { memory, frames, space, mmu };
}

describe('INVLPG and block links', () => {
  it('keeps the epoch for a page used only for data, even after a write refilled it', () => {
    const { mmu } = setup();
    mmu.translate(CODE, Access.FETCH);
    mmu.translate(DATA, Access.READ);
    mmu.translate(DATA, Access.WRITE); // refills the slot to set D
    const epoch = mmu.epoch;
    mmu.invlpg(DATA);
    expect(mmu.epoch).toBe(epoch);
    expect(mmu.check(DATA, Access.READ)).toBeNull(); // (walked again: the translation did go)
  });

  it('changes the epoch for a page that served a fetch, on a hit or a fill, and after a write refill', () => {
    const MIXED = 0x700000; // writable and executable
    for (const how of ['fill', 'hit', 'refill'] as const) {
      const { space, mmu } = setup();
      space.map(MIXED, 0x380000, { writable: true, executable: true });
      if (how === 'hit') {
        mmu.translate(MIXED, Access.READ);
        mmu.translate(MIXED, Access.FETCH); // a hit on the read's translation
      } else mmu.translate(MIXED, Access.FETCH);
      if (how === 'refill') mmu.translate(MIXED, Access.WRITE); // walks again to set D
      const epoch = mmu.epoch;
      mmu.invlpg(MIXED + 0x123);
      expect(mmu.epoch, how).not.toBe(epoch);
    }
  });

  it('changes the epoch for any page once a translation that served a fetch was evicted', () => {
    const { mmu } = setup();
    mmu.translate(CODE, Access.FETCH);
    mmu.translate(CODE + TLB_SIZE * 4096, Access.READ); // same slot: evicts the fetched translation
    const epoch = mmu.epoch;
    mmu.invlpg(DATA); // a data page: only the lost fetch makes this break the links
    expect(mmu.epoch).not.toBe(epoch);
    const next = mmu.epoch;
    mmu.invlpg(DATA + TLB_SIZE * 4096);
    expect(mmu.epoch).toBe(next); // the new epoch has no links resting on the lost page
  });

  it('keeps a waiting context its epoch when one of its data pages is invalidated, not a code page', () => {
    const { space, mmu } = setup();
    const other = new AddressSpace(space.memory, space.frames);
    mmu.translate(CODE, Access.FETCH);
    mmu.translate(DATA, Access.WRITE);
    const epoch = mmu.epoch;
    mmu.switchContext(other.root, 2, true);
    mmu.invalidatePage(1, DATA);
    mmu.switchContext(space.root, 1, true);
    expect(mmu.epoch).toBe(epoch);
    mmu.switchContext(other.root, 2, true);
    mmu.invalidatePage(1, CODE);
    mmu.switchContext(space.root, 1, true);
    expect(mmu.epoch).not.toBe(epoch);
  });

  it('the CPU runs the new code after its page is remapped and invalidated, and not before', () => {
    const { memory, space } = setup();
    const cpu = new Cpu(memory, { jit: true, compileThreshold: 1 });
    cpu.mmu.switchContext(space.root, 1, false);
    // mov eax, K ; mov [DATA], eax... kept simple: mov eax, K ; syscall, at CODE in two frames
    const program = (k: number) => Uint8Array.of(0xb8, k, 0, 0, 0, 0x0f, 0x05);
    memory.write(0x200000, program(1));
    memory.write(0x280000, program(2));
    const runOnce = () => {
      cpu.rip = CODE;
      expect(cpu.run(100).kind).toBe('syscall');
      return Number(cpu.getReg(0));
    };
    expect(runOnce()).toBe(1);
    expect(runOnce()).toBe(1);
    space.map(CODE, 0x280000, { executable: true });
    expect(runOnce()).toBe(1); // stale until invalidated, as on hardware
    cpu.mmu.invlpg(CODE);
    expect(runOnce()).toBe(2);
  });
});
