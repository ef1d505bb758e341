/**
 * The assembled PC: guest code at CPL 0 programs the PIT and the UART with OUT/IN, the privileged layer
 * (the test) routes interrupts through the I/O APIC and local APIC over MMIO, and `PcPlatform.run` keeps
 * the devices, the clock and RDTSC in step, skipping idle time on HLT.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Reg } from '../../src/index';
import { PC_LAYOUT, PcPlatform } from '../../src/devices/pc-platform';
import { pitTickTimeNs } from '../../src/devices/pit8254';
import { IoApicDriver, LocalApicDriver } from './apic-driver';

const CODE = 0x400000;
const TIMER_VECTOR = 0x20;

function pc(code: number[]) {
  const memory = new PhysicalMemory(4 << 20);
  const as = new AddressSpace(memory, new FrameAllocator(memory));
  as.mapAnonymous(CODE, 4096, { executable: true, writable: true });
  as.write(CODE, Uint8Array.from(code));
  const cpu = new Cpu(memory, { cpl: 0 });
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;
  const platform = new PcPlatform(memory, cpu);
  const io = new IoApicDriver(platform.mmio);
  const apic = new LocalApicDriver(platform.mmio);
  io.route(PC_LAYOUT.pitPin, { vector: TIMER_VECTOR, level: false });
  apic.enable();
  return { cpu, platform, apic };
}

describe('PcPlatform', () => {
  it('delivers a 1000 Hz PIT tick at the PIT’s own tick times while the guest halts', () => {
    // Program counter 0 in mode 2 with divisor 1193, then halt in a loop.
    // prettier-ignore
    const { cpu, platform, apic } = pc([
      0xb0,
      0x34,
      0xe6,
      0x43, // mov al, 0x34; out 0x43, al   (counter 0, LSB then MSB, mode 2)
      0xb0,
      0xa9,
      0xe6,
      0x40, // mov al, 0xa9; out 0x40, al
      0xb0,
      0x04,
      0xe6,
      0x40, // mov al, 0x04; out 0x40, al   (1193 = 0x04a9)
      0xf4,
      0xeb,
      0xfd, //       hlt; jmp hlt
    ]);
    const times: number[] = [];
    while (platform.clock.nowNs() < 1e9) {
      const exit = platform.run(1_000_000);
      if (exit.kind === 'interrupt') {
        expect(exit.vector).toBe(TIMER_VECTOR);
        times.push(platform.clock.nowNs());
        apic.eoi();
      } else {
        expect(exit.kind).toBe('budget');
      }
    }
    const inFirstSecond = times.filter((t) => t < 1e9);
    expect(inFirstSecond.length).toBe(1000);
    // Every period is 1193 input clocks; the interrupt is taken exactly at the edge because idle time is
    // skipped to the deadline.
    const periodNs = 1193e9 / 1_193_182;
    for (let k = 1; k < times.length; k++) {
      expect(Math.abs((times[k] as number) - (times[k - 1] as number) - periodNs)).toBeLessThanOrEqual(1);
    }
    // Idle time was skipped, not spent: a few instructions per tick.
    expect(cpu.instret).toBeLessThan(10 * times.length);
  });

  it('keeps RDTSC, the PIT and the clock in agreement across an idle HLT', () => {
    // prettier-ignore
    const { cpu, platform, apic } = pc([
      0xfa, //                         cli
      0xb9,
      0xe8,
      0x03,
      0x00,
      0x00, // mov ecx, 1000
      0xff,
      0xc9,
      0x75,
      0xfc, //       loop: dec ecx; jnz loop
      0x0f,
      0x31, //                   rdtsc
      0x89,
      0xc3,
      0x89,
      0xd6, //       mov ebx, eax; mov esi, edx
      0xb0,
      0x30,
      0xe6,
      0x43, //       mov al, 0x30; out 0x43, al   (counter 0, mode 0: one shot)
      0xb0,
      0x9c,
      0xe6,
      0x40, //       mov al, 0x9c; out 0x40, al
      0xb0,
      0x2e,
      0xe6,
      0x40, //       mov al, 0x2e; out 0x40, al   (11932 clocks, about 10 ms)
      0xfb,
      0xf4, //                   sti; hlt
      0x0f,
      0x31, //                   rdtsc
      0xfa,
      0xf4, //                   cli; hlt
    ]);
    const exit = platform.run(1_000_000);
    expect(exit).toEqual({ kind: 'interrupt', vector: TIMER_VECTOR });
    const wokenAt = platform.clock.nowNs();
    apic.eoi();
    // With interrupts disabled and nothing pending, HLT cannot be woken: the platform returns it.
    expect(platform.run(1_000_000)).toEqual({ kind: 'hlt' });

    // The first RDTSC ran after cli, mov and 2000 loop instructions: 2002 ns at 1 ns per instruction.
    expect(Number(cpu.getReg(Reg.RBX))).toBe(2002);
    expect(Number(cpu.getReg(Reg.RSI))).toBe(0);
    // The one-shot was written after 2002 + 2 + 6 instructions; mode 0 raises OUT when the count, loaded
    // on the next input clock, reaches 0.
    const writtenAt = 2010;
    expect(wokenAt).toBeGreaterThanOrEqual(writtenAt + pitTickTimeNs(11932) - pitTickTimeNs(0));
    expect(wokenAt).toBeLessThanOrEqual(writtenAt + pitTickTimeNs(11934));
    // The second RDTSC was the first instruction after the wake-up: it reads the PIT's time exactly.
    expect(Number(cpu.getReg(Reg.RAX))).toBe(wokenAt);
  });

  it('sends a character through COM1 at the programmed line rate', () => {
    // prettier-ignore
    const { platform } = pc([
      0x66,
      0xba,
      0xfb,
      0x03,
      0xb0,
      0x03,
      0xee, // mov dx, 0x3fb (LCR); mov al, 3; out dx, al  (8N1)
      0x66,
      0xba,
      0xfd,
      0x03, // mov dx, 0x3fd (LSR)
      0xec,
      0xa8,
      0x20,
      0x74,
      0xfb, // wait: in al, dx; test al, 0x20 (THRE); jz wait
      0x66,
      0xba,
      0xf8,
      0x03, // mov dx, 0x3f8 (THR)
      0xb0,
      0x68,
      0xee, //       mov al, 'h'; out dx, al
      0x66,
      0xba,
      0xfd,
      0x03, // mov dx, 0x3fd
      0xec,
      0xa8,
      0x40,
      0x74,
      0xfb, // wait: in al, dx; test al, 0x40 (TEMT); jz wait
      0xfa,
      0xf4, //             cli; hlt
    ]);
    expect(platform.run(5_000_000)).toEqual({ kind: 'hlt' });
    expect(new TextDecoder().decode(platform.serial.takeOutput())).toBe('h');
    // Power-up divisor 12: 9600 baud, 10 bits per 8N1 character; the run stopped at the character's end
    // (the event the OUT scheduled cut the slice short) rather than running on to the budget.
    const characterNs = (10 / 9600) * 1e9;
    expect(platform.clock.nowNs()).toBeGreaterThanOrEqual(characterNs);
    expect(platform.clock.nowNs()).toBeLessThan(characterNs + 100_000);
  });
});
