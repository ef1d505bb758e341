/**
 * Decoded blocks are cached by address and reused while they are still right: an instruction that crosses
 * a page boundary is re-decoded when either page is written or when its second page is mapped elsewhere,
 * in the interpreter and in the compiled tier alike.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Reg } from '../../src/index';

const PAGE_A = 0x400000;
const PAGE_B = 0x401000;
const START = PAGE_B - 2;

// START:    b8 01 00 00 00   mov eax, 1       (2 bytes on page A, 3 on page B)
// PAGE_B+3: 01 c3            add ebx, eax
// PAGE_B+5: ff c9            dec ecx
// PAGE_B+7: 75 f5            jnz START
// PAGE_B+9: 0f 05            syscall
const HEAD = [0xb8, 0x01];
const TAIL = [0x00, 0x00, 0x00, 0x01, 0xc3, 0xff, 0xc9, 0x75, 0xf5, 0x0f, 0x05];

function machine(jit: boolean) {
  const mem = new PhysicalMemory(4 << 20);
  const frames = new FrameAllocator(mem);
  const as = new AddressSpace(mem, frames);
  as.mapAnonymous(PAGE_A, 2 * 4096, { executable: true, writable: true });
  as.write(START, Uint8Array.from([...HEAD, ...TAIL]));
  const cpu = new Cpu(mem, { jit });
  cpu.mmu.cr3 = as.root;
  return { cpu, as, frames };
}

/** Runs the loop `count` times from START and returns EBX (the sum of the immediates loaded). */
function loop(cpu: Cpu, count: number): bigint {
  cpu.rip = START;
  cpu.setReg(Reg.RCX, count);
  cpu.setReg(Reg.RBX, 0);
  const exit = cpu.run(1_000_000);
  expect(exit.kind).toBe('syscall');
  return cpu.getReg(Reg.RBX);
}

describe.each([true, false])('page-crossing instructions (compiled tier: %s)', (jit) => {
  it('are re-decoded after a write to their second page', () => {
    const { cpu, as } = machine(jit);
    expect(loop(cpu, 200)).toBe(200n);
    as.write(PAGE_B, Uint8Array.of(0x01)); // the immediate becomes 0x101
    expect(loop(cpu, 200)).toBe(200n * 0x101n);
  });

  it('are re-decoded after a write to their first page', () => {
    const { cpu, as } = machine(jit);
    expect(loop(cpu, 200)).toBe(200n);
    as.write(START + 1, Uint8Array.of(0x07));
    expect(loop(cpu, 200)).toBe(200n * 7n);
  });

  it('follow a remapping of their second page', () => {
    const { cpu, as, frames } = machine(jit);
    expect(loop(cpu, 200)).toBe(200n);
    // A fresh frame with the same code but immediate byte 2 set: mov eax, 0x10001.
    const frame = frames.alloc();
    const copy = as.read(PAGE_B, 4096);
    copy[0] = 0x01;
    as.unmap(PAGE_B);
    as.map(PAGE_B, frame, { executable: true, writable: true });
    as.write(PAGE_B, copy);
    cpu.mmu.invlpg(PAGE_B);
    expect(loop(cpu, 200)).toBe(200n * 0x101n);
  });
});
