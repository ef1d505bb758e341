/**
 * The local APIC as the Intel SDM describes it, programmed through its MMIO window: reset state, software
 * enable, priority (TPR/PPR/APR, priority classes, nesting), acknowledge and EOI, spurious vectors, the
 * EOI broadcast for level-triggered vectors, self-IPIs through the ICR, the ESR, and the LINT pins.
 */
import { describe, expect, it } from 'vitest';
import type { ApicBusSource } from '../../src/devices/apic-bus';
import { MmioBus } from '../../src/devices/io-bus';
import { irqLine, pulse } from '../../src/devices/irq';
import {
  LOCAL_APIC_DEFAULT_BASE,
  LOCAL_APIC_WINDOW_SIZE,
  LocalApic,
  LocalApicError,
  type LocalApicOptions,
} from '../../src/devices/local-apic';
import { MachineClock } from '../../src/devices/machine-clock';
import { LocalApicDriver } from './apic-driver';

function machine(options: Partial<LocalApicOptions> = {}) {
  const clock = new MachineClock();
  const cpu = { intr: false };
  const lapic = new LocalApic({ cpu, clock, ...options });
  const mmio = new MmioBus();
  mmio.register(LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, lapic, 'lapic');
  const apic = new LocalApicDriver(mmio);
  return { clock, cpu, lapic, mmio, apic };
}

/** Records the EOI broadcasts an I/O APIC would see. */
function eoiRecorder(lapic: LocalApic): number[] {
  const seen: number[] = [];
  const source: ApicBusSource = { eoi: (v) => seen.push(v), resend: () => {} };
  lapic.bus.attachSource(source);
  return seen;
}

/** An interrupt from the bus, as an I/O APIC would send it. */
function busInterrupt(lapic: LocalApic, vector: number, levelTriggered = false): boolean {
  return lapic.bus.send({
    vector,
    deliveryMode: 0,
    logical: false,
    destination: lapic.apicId,
    levelTriggered,
  });
}

describe('reset state and identification', () => {
  it('reads as the SDM specifies after power-up', () => {
    const { apic } = machine({ id: 3 });
    expect(apic.read(0x020)).toBe(0x0300_0000);
    expect(apic.read(0x030)).toBe(0x0005_0014); // version 0x14, max LVT entry 5
    expect(apic.read(0x080)).toBe(0);
    expect(apic.read(0x0a0)).toBe(0);
    expect(apic.read(0x0d0)).toBe(0);
    expect(apic.read(0x0e0)).toBe(0xffff_ffff);
    expect(apic.read(0x0f0)).toBe(0x0000_00ff);
    for (const lvt of [0x320, 0x330, 0x340, 0x350, 0x360, 0x370]) expect(apic.read(lvt)).toBe(0x0001_0000);
    for (const base of [0x100, 0x180, 0x200]) expect(apic.vectors(base)).toEqual([]);
    expect(apic.read(0x380)).toBe(0);
    expect(apic.read(0x390)).toBe(0);
    expect(apic.read(0x3e0)).toBe(0);
  });

  it('keeps read-only registers and reserved bits as they are', () => {
    const { apic } = machine();
    apic.write(0x030, 0);
    apic.write(0x0a0, 0xff);
    apic.write(0x200, 0xffff_ffff);
    expect(apic.read(0x030)).toBe(0x0005_0014);
    expect(apic.read(0x0a0)).toBe(0);
    expect(apic.vectors(0x200)).toEqual([]);
    apic.write(0x020, 0x0700_00ff);
    expect(apic.read(0x020)).toBe(0x0700_0000);
    apic.write(0x0d0, 0xffff_ffff);
    expect(apic.read(0x0d0)).toBe(0xff00_0000);
    apic.write(0x0e0, 0);
    expect(apic.read(0x0e0)).toBe(0x0fff_ffff);
    apic.write(0x080, 0x1ff);
    expect(apic.read(0x080)).toBe(0xff);
    apic.write(0x0f0, 0xffff_ffff);
    expect(apic.read(0x0f0)).toBe(0x3ff); // no EOI-broadcast suppression (bit 12): version bit 24 is 0
  });

  it('drops narrow or misaligned writes and returns the addressed bytes of narrow reads', () => {
    const { mmio, apic } = machine({ id: 0x12 });
    mmio.write(LOCAL_APIC_DEFAULT_BASE + 0x80, 1, 0x40);
    mmio.write32(LOCAL_APIC_DEFAULT_BASE + 0x84, 0x40);
    expect(apic.read(0x080)).toBe(0);
    expect(mmio.read(LOCAL_APIC_DEFAULT_BASE + 0x23, 1)).toBe(0x12);
    expect(mmio.read(LOCAL_APIC_DEFAULT_BASE + 0x32, 2)).toBe(0x0005);
    expect(mmio.read32(LOCAL_APIC_DEFAULT_BASE + 0x34)).toBe(0);
  });

  it('refuses host-side misuse with LocalApicError', () => {
    const { lapic } = machine();
    expect(() => lapic.setIrq(2, true)).toThrow(LocalApicError);
    expect(() => machine({ id: 256 })).toThrow(LocalApicError);
  });
});

describe('software enable (SVR bit 8)', () => {
  it('refuses interrupts while disabled and accepts them once enabled', () => {
    const { cpu, lapic, apic } = machine();
    expect(busInterrupt(lapic, 0x40)).toBe(false);
    apic.selfIpi(0x41);
    expect(apic.vectors(0x200)).toEqual([]);
    apic.enable();
    expect(busInterrupt(lapic, 0x40)).toBe(true);
    apic.selfIpi(0x41);
    expect(apic.vectors(0x200)).toEqual([0x40, 0x41]);
    expect(cpu.intr).toBe(true);
  });

  it('keeps every LVT mask bit set while disabled, and sets them all when disabled', () => {
    const { apic } = machine();
    apic.write(0x350, 0x0000_0031);
    expect(apic.read(0x350)).toBe(0x0001_0031);
    apic.enable();
    apic.write(0x350, 0x0000_0031);
    apic.write(0x320, 0x0002_0032);
    expect(apic.read(0x350)).toBe(0x0000_0031);
    apic.write(0x0f0, 0xff); // disable
    expect(apic.read(0x350)).toBe(0x0001_0031);
    expect(apic.read(0x320)).toBe(0x0003_0032);
  });

  it('still delivers what was already in IRR when software disables it', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable();
    apic.selfIpi(0x44);
    apic.write(0x0f0, 0xff);
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x44);
  });
});

describe('priority, acknowledge and EOI', () => {
  it('delivers the highest vector first and nests only higher priority classes', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable();
    apic.selfIpi(0x31);
    expect(lapic.acknowledge()).toBe(0x31);
    expect(apic.read(0x0a0)).toBe(0x30); // PPR: the in-service class
    apic.selfIpi(0x35); // same class as 0x31: must wait
    expect(cpu.intr).toBe(false);
    apic.selfIpi(0x45); // higher class: nests
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x45);
    expect(apic.vectors(0x100)).toEqual([0x31, 0x45]);
    expect(apic.read(0x0a0)).toBe(0x40);
    apic.eoi(); // ends 0x45, the highest in service
    expect(apic.vectors(0x100)).toEqual([0x31]);
    expect(cpu.intr).toBe(false);
    apic.eoi();
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x35);
    apic.eoi();
    expect(apic.vectors(0x100)).toEqual([]);
    apic.eoi(); // nothing in service: no effect
    expect(cpu.intr).toBe(false);
  });

  it('holds back classes at or below the TPR and computes PPR and APR as the SDM does', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable();
    apic.write(0x080, 0x52);
    expect(apic.read(0x0a0)).toBe(0x52); // nothing in service: PPR = TPR
    apic.selfIpi(0x45);
    apic.selfIpi(0x5f);
    expect(cpu.intr).toBe(false);
    expect(apic.read(0x090)).toBe(0x52); // TPR class >= IRR class: APR = TPR
    apic.selfIpi(0x61);
    expect(apic.read(0x090)).toBe(0x60); // IRR class above TPR class: APR = that class
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x61);
    expect(apic.read(0x0a0)).toBe(0x60);
    apic.eoi();
    apic.write(0x080, 0x40);
    expect(lapic.acknowledge()).toBe(0x5f);
    apic.write(0x080, 0x70); // TPR above the in-service class: PPR = TPR
    expect(apic.read(0x0a0)).toBe(0x70);
  });

  it('returns the spurious vector (and sets no ISR bit) when the request vanished before acknowledge', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable(0x3f);
    apic.selfIpi(0x45);
    expect(cpu.intr).toBe(true);
    apic.write(0x080, 0x40); // raised after the CPU sampled INTR
    expect(cpu.intr).toBe(false);
    expect(lapic.acknowledge()).toBe(0x3f);
    expect(apic.vectors(0x100)).toEqual([]);
    expect(apic.vectors(0x200)).toEqual([0x45]);
  });

  it('records the trigger mode in TMR and broadcasts EOIs of level-triggered vectors only', () => {
    const { lapic, apic } = machine();
    const eois = eoiRecorder(lapic);
    apic.enable();
    busInterrupt(lapic, 0x50, true);
    busInterrupt(lapic, 0x61, false);
    expect(apic.vectors(0x180)).toEqual([0x50]);
    expect(lapic.acknowledge()).toBe(0x61);
    apic.eoi();
    expect(eois).toEqual([]);
    expect(lapic.acknowledge()).toBe(0x50);
    apic.eoi();
    expect(eois).toEqual([0x50]);
  });
});

describe('ICR', () => {
  it('sends fixed IPIs to itself by shorthand or by its own physical or logical destination', () => {
    const { lapic, apic } = machine({ id: 5 });
    apic.enable();
    apic.selfIpi(0x80);
    apic.write(0x310, 5 << 24);
    apic.write(0x300, 0x81); // no shorthand, physical destination 5
    apic.write(0x310, 6 << 24);
    apic.write(0x300, 0x82); // someone else
    apic.write(0x0d0, 0x10 << 24);
    apic.write(0x310, 0x10 << 24);
    apic.write(0x300, (1 << 11) | 0x83); // logical, flat model, our LDR bit
    apic.write(0x300, (2 << 18) | 0x84); // all including self
    apic.write(0x300, (3 << 18) | 0x85); // all excluding self
    apic.write(0x300, (1 << 18) | (4 << 8) | 0x86); // NMI: not delivered here
    expect(apic.vectors(0x200)).toEqual([0x80, 0x81, 0x83, 0x84]);
    expect(apic.vectors(0x180)).toEqual([]);
    expect(apic.read(0x300) & (1 << 12)).toBe(0); // delivery status idle
    expect(apic.read(0x310)).toBe(0x1000_0000);
    expect(lapic.acknowledge()).toBe(0x84);
  });

  it('refuses an illegal vector with "send illegal vector" in the ESR', () => {
    const { cpu, apic } = machine();
    apic.enable();
    apic.selfIpi(0x0e);
    expect(cpu.intr).toBe(false);
    expect(apic.errors()).toBe(1 << 5);
  });
});

describe('ESR and the LVT error entry', () => {
  it('latches errors on an ESR write, clears them on the next one, and raises the error vector', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable();
    apic.write(0x280, 0);
    expect(apic.read(0x280)).toBe(0);
    apic.read(0x040); // reserved: illegal register address
    expect(apic.read(0x280)).toBe(0); // not visible until the next write
    expect(apic.errors()).toBe(1 << 7);
    expect(apic.errors()).toBe(0);
    apic.write(0x370, 0xee);
    busInterrupt(lapic, 0x03);
    expect(apic.errors()).toBe(1 << 6);
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0xee);
  });

  it('does not loop when the error vector itself is illegal', () => {
    const { cpu, apic } = machine();
    apic.enable();
    apic.write(0x370, 0x02);
    apic.write(0x3f0, 1); // reserved
    expect(cpu.intr).toBe(false);
    expect(apic.errors()).toBe((1 << 7) | (1 << 6));
  });
});

describe('LINT pins', () => {
  it('deliver an edge on LINT0 and LINT1 through fixed LVT entries, honouring polarity and mask', () => {
    const { cpu, lapic, apic } = machine();
    apic.enable();
    apic.write(0x350, 0x60);
    apic.write(0x360, (1 << 13) | 0x61); // active low
    lapic.setIrq(1, true); // idle
    pulse(irqLine(lapic, 0));
    expect(apic.vectors(0x200)).toEqual([0x60]);
    lapic.setIrq(1, false);
    expect(apic.vectors(0x200)).toEqual([0x60, 0x61]);
    expect(lapic.acknowledge()).toBe(0x61);
    apic.eoi();
    expect(lapic.acknowledge()).toBe(0x60);
    apic.eoi();
    apic.write(0x350, (1 << 16) | 0x60);
    pulse(irqLine(lapic, 0));
    expect(cpu.intr).toBe(false);
    apic.write(0x350, (4 << 8) | 0x60); // NMI delivery: not modelled, nothing in IRR
    pulse(irqLine(lapic, 0));
    expect(cpu.intr).toBe(false);
  });

  it('treat a level-triggered LINT0 with Remote IRR, cleared and re-fired by the EOI', () => {
    const { cpu, lapic, apic } = machine();
    const eois = eoiRecorder(lapic);
    apic.enable();
    apic.write(0x350, (1 << 15) | 0x70);
    lapic.setIrq(0, true);
    expect(apic.read(0x350) & (1 << 14)).not.toBe(0);
    expect(apic.vectors(0x180)).toEqual([0x70]);
    expect(lapic.acknowledge()).toBe(0x70);
    apic.eoi();
    expect(eois).toEqual([0x70]);
    expect(cpu.intr).toBe(true); // still asserted: again
    expect(lapic.acknowledge()).toBe(0x70);
    lapic.setIrq(0, false);
    apic.eoi();
    expect(apic.read(0x350) & (1 << 14)).toBe(0);
    expect(cpu.intr).toBe(false);
  });

  it('keep LINT1 edge-sensitive even with the trigger bit set', () => {
    const { lapic, apic } = machine();
    apic.enable();
    apic.write(0x360, (1 << 15) | 0x71);
    lapic.setIrq(1, true);
    expect(lapic.acknowledge()).toBe(0x71);
    apic.eoi();
    expect(apic.vectors(0x200)).toEqual([]);
    expect(apic.vectors(0x180)).toEqual([]);
  });
});
