/** The instruction tracer on a running CPU. */
import { describe, expect, it } from 'vitest';
import {
  AddressSpace,
  Cpu,
  type CpuOptions,
  createTracer,
  FrameAllocator,
  PhysicalMemory,
} from '../../src/index';

const CODE = 0x400000;

function machine(code: number[], options?: CpuOptions): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const as = new AddressSpace(mem, new FrameAllocator(mem));
  as.mapAnonymous(CODE, 4096, { executable: true });
  as.write(CODE, new Uint8Array(code));
  const cpu = new Cpu(mem, options);
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;
  return cpu;
}

// mov $2,%ecx; xor %eax,%eax; 1: add %ecx,%eax; dec %ecx; jne 1b; hlt
const LOOP = [0xb9, 0x02, 0, 0, 0, 0x31, 0xc0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xf4];

describe('createTracer', () => {
  it('prints each executed instruction and the registers it changed', () => {
    const lines: string[] = [];
    const trace = createTracer((l) => lines.push(l));
    const cpu = machine(LOOP);
    cpu.trace = trace;
    cpu.run(100);
    trace.flush();
    expect(lines).toEqual([
      '  400000  mov    $0x2,%ecx',
      '          rcx=0x2',
      '  400005  xor    %eax,%eax',
      '  400007  add    %ecx,%eax',
      '          rax=0x2',
      '  400009  dec    %ecx',
      '          rcx=0x1',
      '  40000b  jne    0x400007',
      '  400007  add    %ecx,%eax',
      '          rax=0x3',
      '  400009  dec    %ecx',
      '          rcx=0x0',
      '  40000b  jne    0x400007',
      '  40000d  hlt',
    ]);
  });

  it('can show flags, symbol headers and exact bytes', () => {
    const lines: string[] = [];
    const symbolize = (a: bigint): string | undefined =>
      a >= 0x40000cn ? `loop+0x${(a - 0x40000cn).toString(16)}` : `start+0x${(a - 0x400000n).toString(16)}`;
    const trace = createTracer((l) => lines.push(l), { flags: true, symbolize, bytes: true });
    // cs nopw 0x0(%rax,%rax,1) (the CS prefix is visible only in the bytes), then the loop.
    const cpu = machine([0x2e, 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, ...LOOP.slice(5)], { trace });
    cpu.rflags = 0x202;
    cpu.setReg(1, 5n);
    cpu.run(3);
    trace.flush();
    expect(lines).toEqual([
      '<start>:',
      '  400000  cs nopw 0x0(%rax,%rax,1)',
      '  40000a  xor    %eax,%eax',
      '          rflags=0x246',
      '<loop>:',
      '  40000c  add    %ecx,%eax',
      '          rax=0x5 rflags=0x206',
    ]);
  });
});
