/**
 * `cpu.syscallHook`: a host that serves a SYSCALL on the live registers keeps the guest running in the same
 * `run`; one that declines gets the usual `syscall` exit. Both tiers behave alike. Inside the hook,
 * `syscallInstret` counts the instructions before the SYSCALL exactly, and `setRunEnd` moves the run's end.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory } from '../../src/index';

const CODE = 0x400000;

// top: mov eax, 7 ; syscall ; add rbx, rax ; dec r12 ; jnz top ; mov eax, 60 ; syscall
// (the counter is not RCX: SYSCALL overwrites RCX with the return address)
// biome-ignore format: one instruction per line
const PROGRAM = [
  0xb8, 0x07, 0x00, 0x00, 0x00, // mov eax, 7
  0x0f, 0x05, // syscall
  0x48, 0x01, 0xc3, // add rbx, rax
  0x49, 0xff, 0xcc, // dec r12
  0x75, 0xf1, // jnz top
  0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60
  0x0f, 0x05, // syscall
];

function machine(jit: boolean): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const as = new AddressSpace(mem, new FrameAllocator(mem));
  as.mapAnonymous(CODE, 4096, { executable: true });
  as.write(CODE, Uint8Array.from(PROGRAM));
  const cpu = new Cpu(mem, { jit });
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;
  return cpu;
}

describe('syscall hook', () => {
  for (const jit of [true, false]) {
    it(`serves calls without an exit and declines others (${jit ? 'compiled' : 'interpreted'})`, () => {
      const cpu = machine(jit);
      cpu.setReg(12, 500);
      const seen: number[] = [];
      cpu.syscallHook = (c) => {
        const number = Number(c.getReg(0));
        if (number !== 7) return false;
        // RCX and R11 are already the return address and RFLAGS when the hook runs.
        seen.push(Number(c.getReg(1)) - CODE);
        c.setReg(0, 3n); // the call's result
        return true;
      };
      const exit = cpu.run(1e6);
      // Only the exit call (RAX = 60) reaches the host as an exit.
      expect(exit.kind).toBe('syscall');
      expect(cpu.getReg(0)).toBe(60n);
      expect(seen.length).toBe(500);
      expect(new Set(seen)).toEqual(new Set([7])); // RCX = the address after the SYSCALL
      expect(cpu.getReg(3)).toBe(1500n);
      expect(cpu.instret).toBe(500 * 5 + 2);
      // A SYSCALL does not end its block (it is a side exit): the whole loop body is one block, which the
      // compiled tier runs as a loop while the hook serves the calls.
      const block = cpu.blocks.lookup(CODE);
      expect(block.insns.map((i) => i.def.mnemonic)).toEqual(['mov', 'syscall', 'add', 'dec', 'jne']);
    });
  }

  it('without a hook every SYSCALL exits', () => {
    const cpu = machine(true);
    cpu.setReg(12, 3);
    let exits = 0;
    while (cpu.run(1e6).kind === 'syscall' && cpu.getReg(0) === 7n) {
      exits++;
      cpu.setReg(0, 3n);
    }
    expect(exits).toBe(3);
    expect(cpu.getReg(3)).toBe(9n);
  });

  for (const jit of [true, false]) {
    const tier = jit ? 'compiled' : 'interpreted';
    it(`counts the instructions before each SYSCALL exactly inside the hook (${tier})`, () => {
      const cpu = machine(jit);
      cpu.setReg(12, 200);
      const counts: number[] = [];
      cpu.syscallHook = (c) => {
        if (c.getReg(0) !== 7n) return false;
        counts.push(c.syscallInstret);
        c.setReg(0, 3n);
        return true;
      };
      cpu.run(1e6);
      // Each pass of the loop is five instructions, the SYSCALL the second: k passes and one instruction
      // come before the SYSCALL of pass k. (`instret` itself lags there while a compiled loop runs.)
      expect(counts).toEqual(Array.from({ length: 200 }, (_, k) => 5 * k + 1));
    });

    it(`lets the hook move the end of the run, later as well as sooner (${tier})`, () => {
      const cpu = machine(jit);
      cpu.setReg(12, 1000);
      let calls = 0;
      cpu.syscallHook = (c) => {
        if (c.getReg(0) !== 7n) return false;
        calls++;
        // The first call gives the run 50 instructions from here, more than the 20 it was started with.
        if (calls === 1) c.setRunEnd(c.syscallInstret + 1 + 50);
        return true;
      };
      const exit = cpu.run(20);
      expect(exit.kind).toBe('budget');
      // The run stops at a block boundary at or after the new end, as with its own budget.
      expect(cpu.instret).toBeGreaterThanOrEqual(51);
      expect(cpu.instret).toBeLessThan(51 + 5);
    });
  }
});
