/**
 * Address-space contexts (PCIDs): a CR3 write that asks to keep translations (`switchContext(root,
 * pcid, true)`) finds the ones a context had when it was left, including the epoch its block links were
 * made in; a plain CR3 write, an invalidation of that context while it was away, or a code write that
 * breaks links makes them go, and a CPU running two address spaces with different code at one address
 * never follows the other's links.
 */
import { describe, expect, it } from 'vitest';
import { Access, AddressSpace, Cpu, FrameAllocator, Mmu, PhysicalMemory } from '../../src/index';

const VA = 0x400000;

function setup() {
  const memory = new PhysicalMemory(8 << 20);
  const frames = new FrameAllocator(memory, 16);
  const a = new AddressSpace(memory, frames);
  const b = new AddressSpace(memory, frames);
  a.map(VA, 0x200000, { writable: true, executable: true });
  b.map(VA, 0x300000, { writable: true, executable: true });
  const mmu = new Mmu(memory);
  return { memory, frames, a, b, mmu };
}

describe('switchContext', () => {
  it('keeps a context translations and epoch across a switch away and back', () => {
    const { a, b, mmu } = setup();
    mmu.switchContext(a.root, 1, false);
    expect(mmu.translate(VA + 8, Access.READ)).toBe(0x200008);
    const epochA = mmu.epoch;
    const walks = mmu.walks;
    mmu.switchContext(b.root, 2, true);
    expect(mmu.pcid).toBe(2);
    expect(mmu.epoch).not.toBe(epochA);
    expect(mmu.translate(VA + 8, Access.READ)).toBe(0x300008); // B's own translation, walked
    expect(mmu.walks).toBe(walks + 1);
    mmu.switchContext(a.root, 1, true);
    expect(mmu.epoch).toBe(epochA);
    expect(mmu.translate(VA + 8, Access.READ)).toBe(0x200008);
    expect(mmu.walks).toBe(walks + 1); // A's came back: no walk
  });

  it('keeps stale translations, as hardware does, until the context is invalidated', () => {
    const { a, b, mmu } = setup();
    mmu.switchContext(a.root, 1, false);
    mmu.translate(VA, Access.READ);
    mmu.switchContext(b.root, 2, true);
    a.map(VA, 0x280000, { writable: true }); // A's page tables change while A is away
    mmu.switchContext(a.root, 1, true);
    expect(mmu.translate(VA, Access.READ)).toBe(0x200000); // stale, not yet invalidated
    mmu.switchContext(b.root, 2, true);
    mmu.invalidatePage(1, VA + 0x10); // INVPCID of A's page, from B
    const epochB = mmu.epoch;
    mmu.switchContext(a.root, 1, true);
    expect(mmu.translate(VA, Access.READ)).toBe(0x280000);
    expect(mmu.epoch).not.toBe(epochB);
  });

  it('drops the kept translations on a switch without keep, a flushContext, or an unmapped page', () => {
    const { a, b, mmu } = setup();
    for (const drop of ['no-keep', 'flushContext'] as const) {
      mmu.switchContext(a.root, 1, false);
      mmu.translate(VA, Access.READ);
      mmu.switchContext(b.root, 2, true);
      if (drop === 'flushContext') mmu.flushContext(1);
      const walks = mmu.walks;
      mmu.switchContext(a.root, 1, drop !== 'no-keep');
      mmu.translate(VA, Access.READ);
      expect(mmu.walks).toBe(walks + 1);
    }
    // An unmap in a context that is away, then its invalidation: the page faults when it comes back.
    mmu.switchContext(b.root, 2, true);
    a.unmap(VA);
    mmu.invalidatePage(1, VA);
    mmu.switchContext(a.root, 1, true);
    expect(mmu.check(VA, Access.READ)?.vector).toBe(14);
  });

  it('keeps no epoch for a context whose links a code write broke, and global translations stay put', () => {
    const { a, b, mmu } = setup();
    a.map(0x800000, 0x500000, { global: true });
    mmu.switchContext(a.root, 1, false);
    mmu.translate(VA, Access.READ);
    mmu.translate(0x800000, Access.READ);
    const epochA = mmu.epoch;
    mmu.switchContext(b.root, 2, true);
    expect(mmu.translate(0x800000, Access.READ)).toBe(0x500000); // the global entry, though B does not map it
    mmu.breakLinks();
    mmu.switchContext(a.root, 1, true);
    expect(mmu.epoch).not.toBe(epochA);
    const walks = mmu.walks;
    expect(mmu.translate(VA, Access.READ)).toBe(0x200000); // the translation itself is still kept
    expect(mmu.walks).toBe(walks);
  });

  it('a CPU switching between two spaces with different code at one address runs each one code', () => {
    const { memory, a, b } = setup();
    // Each space: a loop at VA adding 1 (A) or 2 (B) to RAX 1000 times, then SYSCALL.
    // biome-ignore format: one instruction per line
    const code = (k: number) => [
      0xb9, 0xe8, 0x03, 0x00, 0x00, // mov ecx, 1000
      0x48, 0x83, 0xc0, k, // add rax, k
      0xff, 0xc9, // dec ecx
      0x75, 0xf8, // jnz back to the add
      0x0f, 0x05, // syscall
    ];
    a.write(VA, Uint8Array.from(code(1)));
    b.write(VA, Uint8Array.from(code(2)));
    const cpu = new Cpu(memory, { jit: true, compileThreshold: 2 });
    for (let round = 0; round < 6; round++) {
      for (const [space, pcid, k] of [
        [a, 1, 1n],
        [b, 2, 2n],
      ] as const) {
        cpu.mmu.switchContext(space.root, pcid, true);
        cpu.rip = VA;
        cpu.setReg(0, 0n);
        expect(cpu.run(1_000_000).kind).toBe('syscall');
        expect(cpu.getReg(0)).toBe(1000n * k);
      }
    }
  });
});
