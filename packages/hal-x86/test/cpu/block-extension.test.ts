/**
 * A block is decoded as far as its first side exit and extended when execution first falls through it:
 * code after a branch that is always taken is never decoded, the extended block runs the same as one
 * decoded whole, a write to the page still drops it, and an FPU instruction in the extension still calls
 * `Cpu.fpuUse` before it runs.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Reg } from '../../src/index';

const CODE = 0x400000;

// biome-ignore format: one instruction per line
const PROGRAM = [
  0x85, 0xff, // CODE+0:  test edi, edi
  0x75, 0x0b, // CODE+2:  jnz CODE+15 (side exit)
  0xb8, 0x05, 0x00, 0x00, 0x00, // CODE+4:  mov eax, 5
  0x01, 0xc3, // CODE+9:  add ebx, eax
  0x66, 0x0f, 0x7e, 0xca, // CODE+11: movd edx, xmm1
  0x0f, 0x05, // CODE+15: syscall
];

function machine(jit: boolean) {
  const memory = new PhysicalMemory(4 << 20);
  const space = new AddressSpace(memory, new FrameAllocator(memory, 16));
  space.mapAnonymous(CODE, 4096, { executable: true, writable: true });
  space.write(CODE, Uint8Array.from(PROGRAM));
  // Compiled after 20 runs: the extension happens in the interpreter first, as it would for any block.
  const cpu = new Cpu(memory, { jit, compileThreshold: 20 });
  cpu.mmu.cr3 = space.root;
  return { cpu, space };
}

function runFromStart(cpu: Cpu, takeBranch: boolean): void {
  cpu.rip = CODE;
  cpu.setReg(Reg.RDI, takeBranch ? 1 : 0);
  expect(cpu.run(1000).kind).toBe('syscall');
}

describe.each([true, false])('block extension (compiled tier: %s)', (jit) => {
  it('decodes past a side exit only once execution falls through it', () => {
    const { cpu } = machine(jit);
    let fpuCalls = 0;
    cpu.fpuUse = (c) => {
      fpuCalls++;
      c.xmm32[4] = 77; // XMM1's low dword, as a lazy switch would load it
    };
    cpu.setReg(Reg.RBX, 0);
    for (let i = 0; i < 5; i++) runFromStart(cpu, true);
    // The block at CODE holds test and jnz; the taken branch's target is a block of its own (syscall).
    expect(cpu.blocks.decodedInstructions).toBe(3);
    expect(cpu.getReg(Reg.RBX)).toBe(0n);
    expect(fpuCalls).toBe(0);

    for (let i = 0; i < 5; i++) runFromStart(cpu, false);
    // The fall-through path extended the block (mov, add, movd, syscall); nothing was decoded twice.
    expect(cpu.blocks.decodedInstructions).toBe(7);
    expect(cpu.blocks.decodedBlocks).toBe(2);
    expect(cpu.getReg(Reg.RBX)).toBe(25n);
    expect(cpu.getReg(Reg.RDX)).toBe(77n);
    expect(fpuCalls).toBe(1);

    // Both paths, many times (compiled, in that tier): the same results, nothing decoded again.
    for (let i = 0; i < 40; i++) runFromStart(cpu, i % 2 === 0);
    expect(cpu.getReg(Reg.RBX)).toBe(25n + 20n * 5n);
    expect(cpu.blocks.decodedInstructions).toBe(7);
  });

  it('drops an extended block when its page is written', () => {
    const { cpu, space } = machine(jit);
    cpu.setReg(Reg.RBX, 0);
    runFromStart(cpu, true);
    runFromStart(cpu, false);
    expect(cpu.getReg(Reg.RBX)).toBe(5n);
    space.write(CODE + 5, Uint8Array.of(9)); // mov eax, 9
    runFromStart(cpu, false);
    expect(cpu.getReg(Reg.RBX)).toBe(14n);
  });
});
