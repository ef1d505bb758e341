/**
 * The I/O APIC as the 82093AA datasheet describes it, driven through IOREGSEL/IOWIN: identification
 * registers, redirection-entry layout, edge and level pins with polarity, masking, Remote IRR and the EOI
 * broadcast from the local APIC, routing by destination, and interrupts that wait for a local APIC.
 */
import { describe, expect, it } from 'vitest';
import { ApicBus } from '../../src/devices/apic-bus';
import { MmioBus } from '../../src/devices/io-bus';
import {
  IOAPIC_DEFAULT_BASE,
  IOAPIC_WINDOW_SIZE,
  IoApic,
  IoApicError,
  type IoApicOptions,
} from '../../src/devices/ioapic';
import { irqLine, pulse } from '../../src/devices/irq';
import { LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, LocalApic } from '../../src/devices/local-apic';
import { MachineClock } from '../../src/devices/machine-clock';
import { IoApicDriver, LocalApicDriver } from './apic-driver';

function machine(options: IoApicOptions = {}) {
  const clock = new MachineClock();
  const cpu = { intr: false };
  const lapic = new LocalApic({ cpu, clock });
  const ioapic = new IoApic({ bus: lapic.bus, ...options });
  const mmio = new MmioBus();
  mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, ioapic, 'ioapic');
  mmio.register(LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, lapic, 'lapic');
  const io = new IoApicDriver(mmio);
  const local = new LocalApicDriver(mmio);
  return { clock, cpu, lapic, ioapic, mmio, io, local };
}

describe('I/O APIC registers', () => {
  it('identifies itself: ID, version 0x11 with 24 entries, arbitration ID loaded from the ID', () => {
    const { io } = machine({ id: 2 });
    expect(io.read(0x00)).toBe(0x0200_0000);
    expect(io.read(0x01)).toBe(0x0017_0011);
    expect(io.read(0x02)).toBe(0x0200_0000);
    io.write(0x00, 0xffff_ffff); // only bits 27:24 hold the ID
    expect(io.read(0x00)).toBe(0x0f00_0000);
    expect(io.read(0x02)).toBe(0x0f00_0000);
    io.write(0x01, 0); // version is read-only
    io.write(0x02, 0x0300_0000); // so is arbitration
    expect(io.read(0x01)).toBe(0x0017_0011);
    expect(io.read(0x02)).toBe(0x0f00_0000);
  });

  it('reports version 0x20 when built as a later part', () => {
    expect(machine({ version: 0x20 }).io.read(0x01)).toBe(0x0017_0020);
  });

  it('resets every redirection entry masked and exposes only the defined bits', () => {
    const { io } = machine();
    for (let pin = 0; pin < 24; pin++) {
      expect(io.read(0x10 + 2 * pin)).toBe(0x0001_0000);
      expect(io.read(0x11 + 2 * pin)).toBe(0);
    }
    io.write(0x10 + 2 * 5, 0xffff_ffff);
    io.write(0x11 + 2 * 5, 0xffff_ffff);
    // Delivery status (12) and Remote IRR (14) are read-only, bits 31:17 reserved; destination is 63:56.
    expect(io.read(0x10 + 2 * 5)).toBe(0x0001_afff);
    expect(io.read(0x11 + 2 * 5)).toBe(0xff00_0000);
    // Indices past entry 23 and between ARB and the table are reserved.
    io.write(0x40, 0x1234);
    expect(io.read(0x40)).toBe(0);
    expect(io.read(0x03)).toBe(0);
    expect(io.read(0x0f)).toBe(0);
  });

  it('decodes IOREGSEL as a byte register and IOWIN bytes in little-endian order', () => {
    const { mmio, io } = machine({ id: 7 });
    mmio.write(IOAPIC_DEFAULT_BASE, 1, 0x01);
    expect(mmio.read(IOAPIC_DEFAULT_BASE, 1)).toBe(0x01);
    expect(mmio.read(IOAPIC_DEFAULT_BASE + 0x10, 1)).toBe(0x11);
    expect(mmio.read(IOAPIC_DEFAULT_BASE + 0x12, 1)).toBe(0x17);
    expect(mmio.read(IOAPIC_DEFAULT_BASE + 0x12, 2)).toBe(0x0017);
    mmio.write32(IOAPIC_DEFAULT_BASE, 0xabcd_0012); // upper bits of IOREGSEL are reserved
    expect(mmio.read32(IOAPIC_DEFAULT_BASE)).toBe(0x12);
    // A narrow IOWIN write is dropped; the entry stays as it was.
    mmio.write(IOAPIC_DEFAULT_BASE + 0x10, 1, 0x55);
    expect(io.read(0x12)).toBe(0x0001_0000);
    expect(mmio.read32(IOAPIC_DEFAULT_BASE + 0x08)).toBe(0);
  });

  it('refuses host-side misuse with IoApicError', () => {
    const { ioapic } = machine();
    expect(() => ioapic.setIrq(24, true)).toThrow(IoApicError);
    expect(() => ioapic.setIrq(-1, true)).toThrow(IoApicError);
    expect(() => new IoApic({ id: 16 })).toThrow(IoApicError);
    expect(() => new IoApic({ version: 0x13 as 0x11 })).toThrow(IoApicError);
  });
});

describe('edge-triggered pins', () => {
  it('delivers a pulse on pin 2 as vector 0x30 through the local APIC', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(2, { vector: 0x30 });
    local.enable();
    pulse(irqLine(ioapic, 2));
    expect(cpu.intr).toBe(true);
    expect(local.irr(0x30)).toBe(true);
    expect(lapic.acknowledge()).toBe(0x30);
    expect(cpu.intr).toBe(false);
    expect(local.isr(0x30)).toBe(true);
    expect(local.irr(0x30)).toBe(false);
    local.eoi();
    expect(local.isr(0x30)).toBe(false);
    expect(cpu.intr).toBe(false);
  });

  it('fires once per rising edge, not while the line stays high', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(4, { vector: 0x34 });
    local.enable();
    ioapic.setIrq(4, true);
    expect(lapic.acknowledge()).toBe(0x34);
    local.eoi();
    ioapic.setIrq(4, true); // still high: no edge
    expect(cpu.intr).toBe(false);
    ioapic.setIrq(4, false);
    expect(cpu.intr).toBe(false);
    ioapic.setIrq(4, true);
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x34);
  });

  it('honours active-low polarity: the falling edge is the active one', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(6, { vector: 0x36, activeLow: true });
    local.enable();
    ioapic.setIrq(6, true); // idle level of an active-low wire
    expect(cpu.intr).toBe(false);
    ioapic.setIrq(6, false);
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x36);
    local.eoi();
    ioapic.setIrq(6, true);
    expect(cpu.intr).toBe(false);
  });

  it('loses an edge that arrives while the pin is masked', () => {
    const { cpu, ioapic, io, local } = machine();
    io.route(3, { vector: 0x33, masked: true });
    local.enable();
    pulse(irqLine(ioapic, 3));
    expect(io.deliveryPending(3)).toBe(false);
    io.setMask(3, false);
    expect(cpu.intr).toBe(false);
    expect(local.irr(0x33)).toBe(false);
    pulse(irqLine(ioapic, 3));
    expect(local.irr(0x33)).toBe(true);
  });

  it('coalesces edges that arrive while the vector is still pending in IRR', () => {
    const { lapic, ioapic, io, local } = machine();
    io.route(1, { vector: 0x41 });
    local.enable();
    const line = irqLine(ioapic, 1);
    pulse(line);
    pulse(line);
    pulse(line);
    expect(lapic.acknowledge()).toBe(0x41);
    local.eoi();
    expect(lapic.acknowledge()).toBe(0xff); // nothing left: the spurious vector
  });
});

describe('level-triggered pins', () => {
  it('set Remote IRR and fire again after the EOI while the line is still asserted', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(9, { vector: 0x49, level: true });
    local.enable();
    ioapic.setIrq(9, true);
    expect(cpu.intr).toBe(true);
    expect(io.remoteIrr(9)).toBe(true);
    expect(local.tmr(0x49)).toBe(true);
    expect(lapic.acknowledge()).toBe(0x49);
    // Still asserted, but Remote IRR holds further messages back until the EOI.
    ioapic.setIrq(9, true);
    expect(local.irr(0x49)).toBe(false);
    local.eoi();
    expect(local.irr(0x49)).toBe(true);
    expect(io.remoteIrr(9)).toBe(true);
    expect(lapic.acknowledge()).toBe(0x49);
    // The device is serviced: the line drops before the EOI, so nothing fires again.
    ioapic.setIrq(9, false);
    local.eoi();
    expect(io.remoteIrr(9)).toBe(false);
    expect(cpu.intr).toBe(false);
    expect(local.irr(0x49)).toBe(false);
  });

  it('honour active-low polarity', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(16, { vector: 0x50, level: true, activeLow: true });
    local.enable();
    ioapic.setIrq(16, true); // deasserted
    expect(cpu.intr).toBe(false);
    ioapic.setIrq(16, false); // asserted
    expect(lapic.acknowledge()).toBe(0x50);
    ioapic.setIrq(16, true);
    local.eoi();
    expect(cpu.intr).toBe(false);
    expect(io.remoteIrr(16)).toBe(false);
  });

  it('fire when unmasked with the line still asserted', () => {
    const { cpu, ioapic, io, local } = machine();
    io.route(10, { vector: 0x4a, level: true, masked: true });
    local.enable();
    ioapic.setIrq(10, true);
    expect(cpu.intr).toBe(false);
    expect(io.remoteIrr(10)).toBe(false);
    io.setMask(10, false);
    expect(cpu.intr).toBe(true);
    expect(io.remoteIrr(10)).toBe(true);
  });

  it('clear a stuck Remote IRR when switched to edge-triggered and back (masked meanwhile)', () => {
    const { lapic, ioapic, io, local } = machine();
    io.route(11, { vector: 0x4b, level: true });
    local.enable();
    ioapic.setIrq(11, true);
    expect(lapic.acknowledge()).toBe(0x4b);
    expect(io.remoteIrr(11)).toBe(true);
    io.route(11, { vector: 0x4b, masked: true });
    expect(io.remoteIrr(11)).toBe(false);
    ioapic.setIrq(11, false);
    io.route(11, { vector: 0x4b, level: true });
    expect(io.remoteIrr(11)).toBe(false);
    expect(local.irr(0x4b)).toBe(false);
  });

  it('ignore EOIs for other vectors', () => {
    const { lapic, ioapic, io, local } = machine();
    io.route(12, { vector: 0x4c, level: true });
    io.route(13, { vector: 0x6d, level: true });
    local.enable();
    ioapic.setIrq(12, true);
    ioapic.setIrq(13, true);
    expect(lapic.acknowledge()).toBe(0x6d);
    local.eoi(); // completes 0x6d only
    expect(io.remoteIrr(12)).toBe(true);
    expect(io.remoteIrr(13)).toBe(true); // 0x6d re-fired: its line is still high
    expect(local.irr(0x6d)).toBe(true);
    ioapic.eoi(0x99); // a broadcast for a vector no entry uses
    expect(io.remoteIrr(12)).toBe(true);
  });
});

describe('delivery', () => {
  it('holds an interrupt no local APIC accepts (delivery status) and sends it once one is enabled', () => {
    const { cpu, lapic, ioapic, io, local } = machine();
    io.route(5, { vector: 0x35 });
    io.route(7, { vector: 0x37, level: true });
    pulse(irqLine(ioapic, 5)); // the local APIC is still software-disabled
    ioapic.setIrq(7, true);
    expect(cpu.intr).toBe(false);
    expect(io.deliveryPending(5)).toBe(true);
    expect(io.deliveryPending(7)).toBe(true);
    expect(io.remoteIrr(7)).toBe(false);
    local.enable();
    expect(io.deliveryPending(5)).toBe(false);
    expect(io.deliveryPending(7)).toBe(false);
    expect(io.remoteIrr(7)).toBe(true);
    expect(lapic.acknowledge()).toBe(0x37);
    ioapic.setIrq(7, false); // the handler services the device, then EOIs
    expect(cpu.intr).toBe(false); // 0x35 is in the same priority class as 0x37 in service
    local.eoi();
    expect(lapic.acknowledge()).toBe(0x35);
  });

  it('routes by physical destination among several local APICs', () => {
    const clock = new MachineClock();
    const bus = new ApicBus();
    const cpus = [{ intr: false }, { intr: false }];
    const lapics = cpus.map((cpu, id) => new LocalApic({ cpu, clock, bus, id }));
    const ioapic = new IoApic({ bus });
    const mmio = new MmioBus();
    mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, ioapic, 'ioapic');
    const drivers = lapics.map((l, i) => {
      mmio.register(0x1000_0000 + i * 0x1000, 0x1000, l, `lapic${i}`);
      const d = new LocalApicDriver(mmio, 0x1000_0000 + i * 0x1000);
      d.enable();
      return d;
    });
    const io = new IoApicDriver(mmio);
    io.route(1, { vector: 0x51, destination: 1 });
    pulse(irqLine(ioapic, 1));
    expect(cpus.map((c) => c.intr)).toEqual([false, true]);
    expect(lapics[1]?.acknowledge()).toBe(0x51);
    drivers[1]?.eoi();
    io.route(2, { vector: 0x52, destination: 0xff }); // physical broadcast
    pulse(irqLine(ioapic, 2));
    expect(cpus.map((c) => c.intr)).toEqual([true, true]);
    io.route(3, { vector: 0x53, destination: 9 }); // nobody
    pulse(irqLine(ioapic, 3));
    expect(io.deliveryPending(3)).toBe(true);
  });

  it('routes logical destinations (flat and cluster models) and arbitrates lowest priority by TPR', () => {
    const clock = new MachineClock();
    const bus = new ApicBus();
    const cpus = [{ intr: false }, { intr: false }];
    const lapics = cpus.map((cpu, id) => new LocalApic({ cpu, clock, bus, id }));
    const ioapic = new IoApic({ bus });
    const mmio = new MmioBus();
    mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE, ioapic, 'ioapic');
    const drivers = lapics.map((l, i) => {
      mmio.register(0x1000_0000 + i * 0x1000, 0x1000, l, `lapic${i}`);
      const d = new LocalApicDriver(mmio, 0x1000_0000 + i * 0x1000);
      d.enable();
      d.write(0xd0, (1 << i) << 24); // flat model: one LDR bit per CPU
      return d;
    });
    const io = new IoApicDriver(mmio);
    const clear = () => {
      for (const [i, l] of lapics.entries()) {
        while ((cpus[i] as { intr: boolean }).intr) {
          l.acknowledge();
          drivers[i]?.eoi();
        }
      }
    };

    io.route(1, { vector: 0x61, logical: true, destination: 0x02 });
    pulse(irqLine(ioapic, 1));
    expect(cpus.map((c) => c.intr)).toEqual([false, true]);
    clear();

    io.route(2, { vector: 0x62, logical: true, destination: 0x03 });
    pulse(irqLine(ioapic, 2));
    expect(cpus.map((c) => c.intr)).toEqual([true, true]);
    clear();

    // Lowest priority among both: CPU 0 is busier (TPR 0x20), so CPU 1 takes it; then the other way round.
    drivers[0]?.write(0x80, 0x20);
    io.route(3, { vector: 0x73, logical: true, destination: 0x03, mode: 1 });
    pulse(irqLine(ioapic, 3));
    expect(cpus.map((c) => c.intr)).toEqual([false, true]);
    clear();
    drivers[0]?.write(0x80, 0x00);
    drivers[1]?.write(0x80, 0x30);
    pulse(irqLine(ioapic, 3));
    expect(cpus.map((c) => c.intr)).toEqual([true, false]);
    clear();

    // Cluster model: cluster 2, members 1 and 2.
    for (const [i, d] of drivers.entries()) {
      d.write(0xe0, 0x0fff_ffff);
      expect(d.read(0xe0)).toBe(0x0fff_ffff);
      d.write(0xd0, (0x20 | (1 << i)) << 24);
      d.write(0x80, 0);
    }
    io.route(4, { vector: 0x74, logical: true, destination: 0x22 });
    pulse(irqLine(ioapic, 4));
    expect(cpus.map((c) => c.intr)).toEqual([false, true]);
    clear();
    io.route(5, { vector: 0x75, logical: true, destination: 0x12 }); // cluster 1: nobody there
    pulse(irqLine(ioapic, 5));
    expect(cpus.map((c) => c.intr)).toEqual([false, false]);
  });

  it('delivers nothing for delivery modes this machine has no receiver for (NMI, ExtINT)', () => {
    const { cpu, ioapic, io, local } = machine();
    local.enable();
    io.route(0, { vector: 0x20, mode: 4 });
    io.route(1, { vector: 0x21, mode: 7 });
    pulse(irqLine(ioapic, 0));
    pulse(irqLine(ioapic, 1));
    expect(cpu.intr).toBe(false);
    expect(local.vectors(0x200)).toEqual([]);
    expect(io.deliveryPending(0)).toBe(false);
  });

  it('lets an illegal vector through to the local APIC, which reports it in its ESR', () => {
    const { cpu, ioapic, io, local } = machine();
    local.enable();
    io.route(8, { vector: 0x05 });
    pulse(irqLine(ioapic, 8));
    expect(cpu.intr).toBe(false);
    expect(local.errors()).toBe(1 << 6);
  });
});
