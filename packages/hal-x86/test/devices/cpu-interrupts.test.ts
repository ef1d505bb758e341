/**
 * The whole interrupt path with a real CPU: guest code at CPL 0 talks to a port device with OUT/IN, the
 * device drives an I/O APIC pin, the I/O APIC messages the local APIC, the local APIC asserts INTR, and
 * `cpu.run()` exits with `{ kind: 'interrupt', vector }` only where RFLAGS.IF allows (CLI ... STI). The
 * host plays the part of the IDT: it takes the exit, runs a handler, and writes EOI. At CPL 3 the same
 * instructions are #GP exits. The APIC timer drives interrupts at exact virtual times through `run`.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Reg, Vector } from '../../src/index';
import { type AccessSize, MmioBus, type PortDevice, PortIoBus } from '../../src/devices/io-bus';
import { IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, IoApic } from '../../src/devices/ioapic';
import { type IrqLine, irqLine } from '../../src/devices/irq';
import { LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, LocalApic } from '../../src/devices/local-apic';
import { MachineClock } from '../../src/devices/machine-clock';
import { IoApicDriver, LocalApicDriver } from './apic-driver';

const CODE = 0x400000;
const HANDLER = 0x400800;
const IF = 1 << 9;
const DEVICE_PORT = 0x80;
const DEVICE_PIN = 2;
const DEVICE_VECTOR = 0x30;

/**
 * A device at ports 0x80-0x81. Writing 0x80 latches a byte and raises the interrupt: an edge (pulse), or
 * a level held until the driver reads 0x81, which returns the latched byte + 1 and acknowledges.
 */
class DemoDevice implements PortDevice {
  latched = 0;
  readonly accesses: string[] = [];
  constructor(
    private readonly line: IrqLine,
    private readonly level: boolean,
  ) {}

  writePort(port: number, _size: AccessSize, value: number): void {
    this.accesses.push(`out ${port.toString(16)}`);
    if (port !== DEVICE_PORT) return;
    this.latched = value & 0xff;
    this.line.set(true);
    if (!this.level) this.line.set(false);
  }

  readPort(port: number): number {
    this.accesses.push(`in ${port.toString(16)}`);
    if (port !== DEVICE_PORT + 1) return 0xff;
    if (this.level) this.line.set(false);
    return (this.latched + 1) & 0xff;
  }
}

function machine(code: number[], options: { cpl?: 0 | 3; level?: boolean; handler?: number[] } = {}) {
  const memory = new PhysicalMemory(4 << 20);
  const as = new AddressSpace(memory, new FrameAllocator(memory));
  as.mapAnonymous(CODE, 4096, { executable: true, writable: true });
  as.write(CODE, Uint8Array.from(code));
  if (options.handler) as.write(HANDLER, Uint8Array.from(options.handler));
  const cpu = new Cpu(memory, { cpl: options.cpl ?? 0 });
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;

  const clock = new MachineClock({ instructions: () => cpu.instret });
  cpu.tscSource = () => clock.tsc();
  const lapic = new LocalApic({ cpu, clock });
  const ioapic = new IoApic({ bus: lapic.bus });
  cpu.interruptController = lapic;
  const mmio = new MmioBus();
  mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, ioapic, 'ioapic');
  mmio.register(LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, lapic, 'lapic');
  const ports = new PortIoBus();
  const device = new DemoDevice(irqLine(ioapic, DEVICE_PIN), options.level ?? false);
  ports.register(DEVICE_PORT, 2, device, 'demo');
  cpu.ports = ports;

  // The kernel's side: route the device's pin and enable the local APIC.
  const io = new IoApicDriver(mmio);
  const apic = new LocalApicDriver(mmio);
  io.route(DEVICE_PIN, { vector: DEVICE_VECTOR, level: options.level ?? false });
  apic.enable();
  return { cpu, clock, lapic, ioapic, io, apic, device };
}

// The guest program of the first tests (IN and OUT end a block, so the CPU looks for interrupts right
// after each of them, the next instruction boundary, as on hardware):
//   +0  fa        cli
//   +1  b0 41     mov al, 0x41
//   +3  e6 80     out 0x80, al     ; the device raises its interrupt here
//   +5  e4 81     in al, 0x81
//   +7  88 c3     mov bl, al
//   +9  fb        sti
//   +10 eb fe     jmp $
const GUARDED = [0xfa, 0xb0, 0x41, 0xe6, 0x80, 0xe4, 0x81, 0x88, 0xc3, 0xfb, 0xeb, 0xfe];

describe('device interrupt through the I/O APIC and local APIC to the CPU', () => {
  it('is held while IF is clear and delivered right after STI', () => {
    const { cpu, apic, device } = machine(GUARDED);
    expect(cpu.rflags & IF).not.toBe(0);
    const exit = cpu.run(10_000);
    expect(exit).toEqual({ kind: 'interrupt', vector: DEVICE_VECTOR });
    expect(cpu.rip).toBe(CODE + 10); // after STI, before the loop
    expect(cpu.instret).toBe(6);
    expect(Number(cpu.getReg(Reg.RBX) & 0xffn)).toBe(0x42);
    expect(device.accesses).toEqual(['out 80', 'in 81']);
    expect(apic.isr(DEVICE_VECTOR)).toBe(true);
    expect(cpu.intr).toBe(false);
    apic.eoi();
    expect(apic.isr(DEVICE_VECTOR)).toBe(false);
    expect(cpu.run(1_000)).toEqual({ kind: 'budget' });
  });

  it('is delivered at the boundary right after the OUT when IF is set (no CLI)', () => {
    const code = [...GUARDED];
    code[0] = 0x90; // nop instead of cli
    const { cpu } = machine(code);
    expect(cpu.run(10_000)).toEqual({ kind: 'interrupt', vector: DEVICE_VECTOR });
    expect(cpu.rip).toBe(CODE + 5); // after OUT, before IN
    expect(cpu.instret).toBe(3);
    expect(Number(cpu.getReg(Reg.RBX) & 0xffn)).toBe(0);
  });

  it('stays pending across HLT while IF is clear', () => {
    // cli; out 0x80, al; hlt
    const { cpu, apic } = machine([0xfa, 0xe6, 0x80, 0xf4]);
    expect(cpu.run(1_000)).toEqual({ kind: 'hlt' });
    expect(cpu.intr).toBe(true);
    expect(apic.irr(DEVICE_VECTOR)).toBe(true);
    expect(apic.isr(DEVICE_VECTOR)).toBe(false);
  });

  it('delivers a level-triggered interrupt once per handler, and again if EOI comes before the device is serviced', () => {
    // Main: out 0x80, al; jmp $.  Handler: in al, 0x81 (acknowledges the device); hlt.
    const { cpu, apic, io } = machine([0xe6, 0x80, 0xeb, 0xfe], { level: true, handler: [0xe4, 0x81, 0xf4] });
    expect(cpu.run(1_000)).toEqual({ kind: 'interrupt', vector: DEVICE_VECTOR });
    expect(io.remoteIrr(DEVICE_PIN)).toBe(true);

    // A handler that EOIs without servicing the device gets the interrupt straight back.
    apic.eoi();
    expect(cpu.intr).toBe(true);
    expect(cpu.run(1_000)).toEqual({ kind: 'interrupt', vector: DEVICE_VECTOR });

    // The host dispatches as an interrupt gate would: IF cleared, handler runs, then EOI and return.
    const resume = cpu.rip;
    cpu.rflags &= ~IF;
    cpu.rip = HANDLER;
    expect(cpu.run(1_000)).toEqual({ kind: 'hlt' });
    apic.eoi();
    expect(io.remoteIrr(DEVICE_PIN)).toBe(false);
    expect(cpu.intr).toBe(false);
    cpu.rip = resume;
    cpu.rflags |= IF;
    expect(cpu.run(1_000)).toEqual({ kind: 'budget' });
  });
});

describe('APIC timer interrupts through cpu.run', () => {
  it('arrive at exact virtual times, with the run loop budgeted to the next clock deadline', () => {
    // sti; jmp $
    const { cpu, clock, apic } = machine([0xfb, 0xeb, 0xfe]);
    apic.write(0x3e0, 0b1011); // divide by 1: 10 ns per count at 100 MHz
    apic.write(0x320, (1 << 17) | 0x20); // periodic, vector 0x20
    apic.write(0x380, 250); // 2.5 µs = 2500 instructions at 1 ns each
    const times: number[] = [];
    while (times.length < 200) {
      const exit = cpu.run(clock.instructionsUntilNextEvent(1_000_000));
      clock.runDue();
      if (exit.kind === 'interrupt') {
        expect(exit.vector).toBe(0x20);
        times.push(clock.nowNs());
        apic.eoi();
      } else {
        expect(exit.kind).toBe('budget');
      }
    }
    expect(times).toEqual(Array.from({ length: 200 }, (_, k) => 2_500 * (k + 1)));
    expect(cpu.tsc).toBe(BigInt(2_500 * 200));
  });
});

describe('port I/O and interrupt-flag instructions at CPL 3', () => {
  const cases: [string, number[]][] = [
    ['in al, 0x81', [0xe4, 0x81]],
    ['out 0x80, al', [0xe6, 0x80]],
    ['in al, dx', [0xec]],
    ['out dx, eax', [0xef]],
    ['cli', [0xfa]],
    ['sti', [0xfb]],
  ];
  it.each(cases)('%s is a #GP(0) exception exit that leaves the devices alone', (_name, code) => {
    const { cpu, device } = machine([...code, 0xeb, 0xfe], { cpl: 3 });
    cpu.setReg(Reg.RDX, DEVICE_PORT);
    const flags = cpu.rflags;
    const exit = cpu.run(100);
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.GP, errorCode: 0 });
    expect(cpu.rip).toBe(CODE);
    expect(cpu.rflags).toBe(flags);
    expect(device.accesses).toEqual([]);
    expect(cpu.intr).toBe(false);
  });
});
