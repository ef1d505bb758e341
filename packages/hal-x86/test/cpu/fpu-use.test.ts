/**
 * `Cpu.fpuUse` is called once, before the first instruction that reads or writes the x87, SSE or MXCSR
 * state, so a host can switch that state lazily: the value the hook loads is the one the instruction
 * sees, and code without such instructions never calls it (compiled, interpreted and traced alike).
 */
import { describe, expect, it } from 'vitest';
import { INTEGER_OPS } from '../../src/isa/tables/integer';
import { SSE_OPS } from '../../src/isa/tables/sse';
import { X87_OPS } from '../../src/isa/tables/x87';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory } from '../../src/index';

const CODE = 0x400000;
const STACK = 0x7fff0000;

function machine(code: number[], mode: 'compiled' | 'interpreted' | 'traced') {
  const memory = new PhysicalMemory(4 << 20);
  const space = new AddressSpace(memory, new FrameAllocator(memory, 16));
  space.mapAnonymous(CODE, 4096, { executable: true });
  space.mapAnonymous(STACK - 4096, 4096, { writable: true });
  space.write(CODE, Uint8Array.from(code));
  const cpu = new Cpu(memory, {
    jit: mode === 'compiled',
    compileThreshold: 1,
    trace: mode === 'traced' ? () => {} : undefined,
  });
  cpu.mmu.cr3 = space.root;
  return cpu;
}

const MODES = ['compiled', 'interpreted', 'traced'] as const;

describe('Cpu.fpuUse', () => {
  it.each(MODES)('is called once, before an SSE read, and the read sees what it loaded (%s)', (mode) => {
    // A loop of 10: movd eax, xmm1 ; dec ecx ; jnz ; then syscall
    // biome-ignore format: one instruction per line
    const code = [
      0xb9, 0x0a, 0x00, 0x00, 0x00, // mov ecx, 10
      0x66, 0x0f, 0x7e, 0xc8, // movd eax, xmm1
      0xff, 0xc9, // dec ecx
      0x75, 0xf8, // jnz back to the movd
      0x0f, 0x05, // syscall
    ];
    const cpu = machine(code, mode);
    let calls = 0;
    cpu.fpuUse = (c) => {
      calls++;
      c.xmm32[4] = 0x1234; // XMM1's low dword, as a lazy switch would load it
    };
    for (let round = 0; round < 3; round++) {
      cpu.rip = CODE;
      expect(cpu.run(1000).kind).toBe('syscall');
    }
    expect(calls).toBe(1);
    expect(cpu.fpuUse).toBeNull();
    expect(Number(cpu.getReg(0))).toBe(0x1234);
  });

  it.each(MODES)('is called for x87 instructions and FWAIT too, and not for integer code (%s)', (mode) => {
    const cases: [number[], number][] = [
      [[0xb8, 1, 0, 0, 0], 0], // mov eax, 1
      [[0xd9, 0xe8], 1], // fld1
      [[0x9b], 1], // fwait
      [[0x0f, 0xae, 0x5c, 0x24, 0xf8], 1], // stmxcsr [rsp-8]
    ];
    for (const [insn, expected] of cases) {
      const cpu = machine([...insn, 0x0f, 0x05], mode);
      let calls = 0;
      cpu.fpuUse = () => {
        calls++;
      };
      cpu.setReg(4, BigInt(STACK)); // STMXCSR stores below it
      cpu.rip = CODE;
      const exit = cpu.run(100);
      expect(
        exit.kind,
        JSON.stringify(exit, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBe('syscall');
      expect(calls, insn.map((b) => b.toString(16)).join(' ')).toBe(expected);
    }
  });

  it('marks every x87 and SSE instruction, and of the integer ones only FWAIT', () => {
    expect([...SSE_OPS, ...X87_OPS].every((d) => d.fpu)).toBe(true);
    expect(INTEGER_OPS.filter((d) => d.fpu).map((d) => d.mnemonic)).toEqual(['fwait']);
  });
});
