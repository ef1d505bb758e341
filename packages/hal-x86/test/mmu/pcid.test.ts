/**
 * Address-space contexts (PCIDs): a CR3 write that asks to keep translations (`switchContext(root,
 * pcid, true)`) finds the ones a context had when it was left, including the epoch its block links were
 * made in; a plain CR3 write, an invalidation of that context while it was away, or a code write that
 * breaks links makes them go, and a CPU running two address spaces with different code at one address
 * never follows the other's links.
 */
import { describe, expect, it } from 'vitest';
import {
  Access,
  AddressSpace,
  Cpu,
  FrameAllocator,
  KEPT_TLB_CONTEXTS,
  Mmu,
  PhysicalMemory,
} from '../../src/index';

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

  it('gives a new context the arrays of the one left longest ago once KEPT_TLB_CONTEXTS keep theirs', () => {
    const { a, b, mmu } = setup();
    // Contexts 1..KEPT+1, all on A (the page tables do not matter here), each translating VA once. PCID 0
    // (where the MMU started) and then context 1 are the ones left longest ago when arrays run out.
    for (let pcid = 1; pcid <= KEPT_TLB_CONTEXTS + 1; pcid++) {
      mmu.switchContext(a.root, pcid, true);
      mmu.translate(VA, Access.READ);
    }
    let walks = mmu.walks;
    mmu.switchContext(a.root, 2, true);
    expect(mmu.translate(VA, Access.READ)).toBe(0x200000);
    expect(mmu.walks).toBe(walks); // still kept
    // Context 1 lost its arrays (to context KEPT+1): it comes back empty, with no old epoch, and walks
    // its own tables, here B's.
    const epochs = new Set<number>();
    for (let pcid = 2; pcid <= KEPT_TLB_CONTEXTS + 1; pcid++) {
      mmu.switchContext(a.root, pcid, true);
      epochs.add(mmu.epoch);
    }
    walks = mmu.walks;
    mmu.switchContext(b.root, 1, true);
    expect(epochs.has(mmu.epoch)).toBe(false);
    expect(mmu.translate(VA, Access.READ)).toBe(0x300000);
    expect(mmu.walks).toBe(walks + 1);
  });

  it('shows a global translation in every context until an INVLPG of it in any one', () => {
    const { a, b, mmu } = setup();
    a.map(0x800000, 0x500000, { global: true });
    // B maps a page on the global page's TLB slot (4096 pages further), which the global one displaces.
    const SAME_SLOT = 0x800000 + 4096 * 4096;
    b.map(SAME_SLOT, 0x600000, {});
    mmu.switchContext(b.root, 2, false);
    mmu.translate(SAME_SLOT, Access.READ);
    mmu.switchContext(a.root, 1, false);
    mmu.translate(0x800000, Access.READ);
    let walks = mmu.walks;
    mmu.switchContext(b.root, 2, true);
    expect(mmu.translate(0x800000, Access.READ)).toBe(0x500000); // B does not map it: the global entry
    expect(mmu.walks).toBe(walks);
    expect(mmu.translate(SAME_SLOT, Access.READ)).toBe(0x600000); // displaced: walked again
    expect(mmu.walks).toBe(walks + 1);
    // That walk evicted the global entry in turn; a fresh one is made in A and invalidated from C.
    mmu.switchContext(a.root, 1, true);
    mmu.translate(0x800000, Access.READ);
    mmu.switchContext(a.root, 3, true);
    walks = mmu.walks;
    expect(mmu.translate(0x800000, Access.READ)).toBe(0x500000);
    expect(mmu.walks).toBe(walks);
    const epoch3 = mmu.epoch;
    mmu.invlpg(0x800000);
    expect(mmu.epoch).not.toBe(epoch3);
    a.map(0x800000, 0x580000, { global: true });
    mmu.switchContext(a.root, 1, true);
    expect(mmu.translate(0x800000, Access.READ)).toBe(0x580000); // gone from every context: walked
    expect(mmu.walks).toBe(walks + 1);
  });

  for (const jit of [true, false]) {
    it(`a host switching address spaces inside its SYSCALL hook gets the new space's translations (jit ${jit})`, () => {
      const { memory, a, b } = setup();
      const DATA = 0x600000;
      a.map(DATA, 0x210000, {});
      b.map(DATA, 0x310000, {});
      a.write(DATA, Uint8Array.of(1));
      b.write(DATA, Uint8Array.of(2));
      // The same loop in both spaces: syscall; rbx += [DATA]; again. (The load follows the SYSCALL in
      // one block, so a compiled block must not go on with the arrays it started with.)
      // biome-ignore format: one instruction per line
      const code = Uint8Array.of(
        0x0f, 0x05, // syscall
        0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, // mov rax, [0x600000]
        0x48, 0x01, 0xc3, // add rbx, rax
        0xeb, 0xf1, // jmp back to the syscall
      );
      a.write(VA, code);
      b.write(VA, code);
      const cpu = new Cpu(memory, { jit, compileThreshold: 2 });
      cpu.mmu.switchContext(a.root, 1, false);
      cpu.rip = VA;
      let calls = 0;
      // Each SYSCALL is served by switching to the other space, which goes on at the same address.
      cpu.syscallHook = (c) => {
        calls++;
        if (calls === 200) return false;
        if (calls % 2 === 1) c.mmu.switchContext(b.root, 2, true);
        else c.mmu.switchContext(a.root, 1, true);
        return true;
      };
      expect(cpu.run(1_000_000).kind).toBe('syscall');
      expect(calls).toBe(200);
      // Loads alternate between B's 2 (after odd calls) and A's 1: 100 and 99 of them.
      expect(cpu.getReg(3)).toBe(100n * 2n + 99n * 1n);
    });
  }
});
