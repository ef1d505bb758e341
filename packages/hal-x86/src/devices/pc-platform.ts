/**
 * The PC around the CPU: one machine clock, the port and MMIO buses, an I/O APIC and a local APIC, and
 * the standard devices wired to them as on a PC, with a run loop that keeps the devices' time and the
 * CPU's in step.
 *
 * Interrupt routing (the choice of an I/O APIC + local APIC over an 8259 pair: it is what x86-64 systems
 * use, it has per-pin trigger modes, and the local APIC brings the APIC timer):
 *
 *   | source            | ports / MMIO                  | I/O APIC pin (ISA IRQ)                         |
 *   | 8254 PIT, OUT0    | 0x40-0x43, 0x61               | 2 (IRQ 0, rerouted as PC firmware reports it)  |
 *   | 16550A COM1       | 0x3F8-0x3FF                   | 4 (IRQ 4)                                      |
 *   | CMOS RTC          | 0x70-0x71                     | 8 (IRQ 8)                                      |
 *   | virtio-blk        | MMIO 0xFEB00000, 0x200 bytes  | 16 (level, active high)                        |
 *   | I/O APIC          | MMIO 0xFEC00000               |                                                |
 *   | local APIC        | MMIO 0xFEE00000 (timer: LVT)  |                                                |
 *
 * Pins start masked, as after reset: the privileged layer programs the redirection entries (vector,
 * trigger, polarity) and the local APIC exactly as an OS would, through `mmio`.
 *
 * Time: the clock counts the CPU's retired instructions (virtual mode, the default) and RDTSC reads it,
 * so the PIT, the APIC timer, the RTC and the TSC agree. `run(budget)` gives the CPU slices that end at
 * the next device deadline, fires the due device events between slices, and on HLT with interrupts
 * enabled skips idle virtual time to the next deadline (the CPU then takes the interrupt that wakes it).
 */
import type { Cpu } from '../cpu/cpu';
import type { VcpuExit } from '../cpu/exit';
import type { PhysicalMemory } from '../memory/physical-memory';
import type { BlockBackend } from './block-backend';
import { CmosRtc, type CmosRtcOptions } from './cmos-rtc';
import { IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, IoApic } from './ioapic';
import { MmioBus, PortIoBus } from './io-bus';
import { irqLine } from './irq';
import { LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, LocalApic } from './local-apic';
import { type ClockMode, MachineClock } from './machine-clock';
import { Pit8254 } from './pit8254';
import { SystemControlPortB } from './port61';
import { SerialHost, type SerialHostOptions } from './serial-host';
import { COM_PORTS, UART_REGISTER_COUNT, Uart16550 } from './uart16550';
import { VirtioBlockDevice, type VirtioBlockOptions } from './virtio-blk';
import { VIRTIO_MMIO_WINDOW_SIZE, VirtioMmioDevice } from './virtio-mmio';

/** Where the platform puts things; see the table in the file header. */
export const PC_LAYOUT = {
  pitPin: 2,
  com1Pin: 4,
  rtcPin: 8,
  virtioBlkPin: 16,
  virtioBlkBase: 0xfeb0_0000,
  ioApicBase: IOAPIC_DEFAULT_BASE,
  localApicBase: LOCAL_APIC_DEFAULT_BASE,
} as const;

const RFLAGS_IF = 0x200;

export interface PcPlatformOptions {
  /** 'virtual' (deterministic, default) or 'host' time; see MachineClock. */
  clockMode?: ClockMode;
  /** Virtual nanoseconds per retired instruction (default 1). */
  nsPerInstruction?: number;
  /** The COM1 terminal (streams or in-memory; default in-memory). */
  serial?: SerialHostOptions;
  /** RTC options (its start date). */
  rtc?: CmosRtcOptions;
  /** A disk: attaches a virtio-blk device with this image. */
  disk?: BlockBackend;
  diskOptions?: VirtioBlockOptions;
}

export class PcPlatform {
  readonly clock: MachineClock;
  readonly ports = new PortIoBus();
  readonly mmio = new MmioBus();
  readonly localApic: LocalApic;
  readonly ioApic: IoApic;
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly com1: Uart16550;
  readonly serial: SerialHost;
  /** The virtio-blk transport, when a disk was given. */
  readonly disk: VirtioMmioDevice | null = null;

  constructor(
    readonly memory: PhysicalMemory,
    readonly cpu: Cpu,
    options: PcPlatformOptions = {},
  ) {
    this.clock = new MachineClock({
      mode: options.clockMode,
      nsPerInstruction: options.nsPerInstruction,
      instructions: () => cpu.instret,
    });
    cpu.tscSource = () => this.clock.tsc();
    // An event scheduled during a run (a UART character started by an OUT, a timer armed by the guest)
    // ends the run at its deadline instead of after the whole slice.
    if (this.clock.mode === 'virtual') {
      this.clock.onEarlierDeadline = (atNs) => cpu.endRunBy(cpu.instret + this.clock.instructionsUntil(atNs));
    }
    cpu.ports = this.ports;

    this.localApic = new LocalApic({ cpu, clock: this.clock });
    this.ioApic = new IoApic({ bus: this.localApic.bus });
    cpu.interruptController = this.localApic;
    this.mmio.register(PC_LAYOUT.localApicBase, LOCAL_APIC_WINDOW_SIZE, this.localApic, 'local APIC');
    this.mmio.register(PC_LAYOUT.ioApicBase, IOAPIC_WINDOW_SIZE, this.ioApic, 'I/O APIC');

    this.pit = new Pit8254(this.clock, { irq0: irqLine(this.ioApic, PC_LAYOUT.pitPin) });
    this.ports.register(0x40, 4, this.pit, '8254 PIT');
    this.ports.register(0x61, 1, new SystemControlPortB(this.pit), 'system control port B');

    this.rtc = new CmosRtc(this.clock, { ...options.rtc, irq8: irqLine(this.ioApic, PC_LAYOUT.rtcPin) });
    this.ports.register(0x70, 2, this.rtc, 'CMOS RTC');

    const com1 = COM_PORTS[0];
    this.com1 = new Uart16550({
      base: com1.base,
      clock: this.clock,
      irq: irqLine(this.ioApic, PC_LAYOUT.com1Pin),
    });
    this.ports.register(com1.base, UART_REGISTER_COUNT, this.com1, com1.name);
    this.serial = new SerialHost(this.com1, options.serial);

    if (options.disk !== undefined) {
      this.disk = new VirtioMmioDevice(new VirtioBlockDevice(options.disk, options.diskOptions), {
        memory,
        clock: this.clock,
        irq: irqLine(this.ioApic, PC_LAYOUT.virtioBlkPin),
      });
      this.mmio.register(PC_LAYOUT.virtioBlkBase, VIRTIO_MMIO_WINDOW_SIZE, this.disk, 'virtio-blk');
    }
  }

  /**
   * Runs the CPU for up to `budget` instructions with the devices in step. Returns the CPU's exit:
   * `interrupt` (an interrupt was acknowledged; deliver it and resume), `syscall`, `exception`, `budget`,
   * or `hlt` when nothing can wake the CPU (interrupts disabled, or no device event pending in virtual
   * time; in host time, HLT is returned for the caller to wait).
   */
  run(budget: number): VcpuExit {
    const end = this.cpu.instret + Math.max(0, Math.floor(budget));
    for (;;) {
      this.clock.runDue();
      const left = end - this.cpu.instret;
      if (left <= 0) return { kind: 'budget' };
      const exit = this.cpu.run(this.clock.instructionsUntilNextEvent(left));
      if (exit.kind === 'budget') continue;
      if (exit.kind === 'hlt') {
        if (this.cpu.intr && (this.cpu.rflags & RFLAGS_IF) !== 0) continue; // already woken
        const next = this.clock.nextDeadlineNs();
        const canWake = (this.cpu.rflags & RFLAGS_IF) !== 0 && next !== Number.POSITIVE_INFINITY;
        if (!canWake || this.clock.mode === 'host') return exit;
        this.clock.idleUntil(next);
        continue;
      }
      return exit;
    }
  }
}
