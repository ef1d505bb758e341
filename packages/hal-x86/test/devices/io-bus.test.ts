/**
 * Port and MMIO dispatch: claims, overlap refusal, widths and masking, what an unclaimed address reads,
 * and IRQ line helpers.
 */
import { describe, expect, it } from 'vitest';
import {
  type AccessSize,
  BusError,
  MmioBus,
  type MmioDevice,
  type PortDevice,
  PortIoBus,
} from '../../src/devices/io-bus';
import { irqLine, pulse } from '../../src/devices/irq';

class Recorder implements PortDevice, MmioDevice {
  readonly log: string[] = [];
  readPort(port: number, size: AccessSize): number {
    this.log.push(`in ${port.toString(16)}/${size}`);
    return 0x12345678;
  }
  writePort(port: number, size: AccessSize, value: number): void {
    this.log.push(`out ${port.toString(16)}/${size}=${value.toString(16)}`);
  }
  readMmio(offset: number, size: AccessSize): number {
    this.log.push(`rd +${offset.toString(16)}/${size}`);
    return -1;
  }
  writeMmio(offset: number, size: AccessSize, value: number): void {
    this.log.push(`wr +${offset.toString(16)}/${size}=${value.toString(16)}`);
  }
}

describe('PortIoBus', () => {
  it('dispatches by port with the absolute port number, masking values to the access width', () => {
    const bus = new PortIoBus();
    const dev = new Recorder();
    bus.register(0x3f8, 8, dev, 'com1');
    expect(bus.inb(0x3fd)).toBe(0x78);
    expect(bus.inw(0x3f8)).toBe(0x5678);
    expect(bus.inl(0x3f8)).toBe(0x12345678);
    bus.outb(0x3f8, 0x1ff);
    bus.outw(0x3f9, 0x12345);
    bus.outl(0x3fa, -1);
    expect(dev.log).toEqual([
      'in 3fd/1',
      'in 3f8/2',
      'in 3f8/4',
      'out 3f8/1=ff',
      'out 3f9/2=2345',
      'out 3fa/4=ffffffff',
    ]);
  });

  it('reads all ones from unclaimed ports and drops writes to them', () => {
    const bus = new PortIoBus();
    expect(bus.inb(0x80)).toBe(0xff);
    expect(bus.inw(0x80)).toBe(0xffff);
    expect(bus.inl(0x80)).toBe(0xffffffff);
    expect(() => bus.outb(0x80, 1)).not.toThrow();
  });

  it('refuses overlapping or out-of-range claims and bad widths with BusError, and unregisters', () => {
    const bus = new PortIoBus();
    const dev = new Recorder();
    bus.register(0x40, 4, dev, 'pit');
    expect(() => bus.register(0x43, 2, new Recorder(), 'other')).toThrow(/overlaps pit/);
    expect(() => bus.register(0xfffe, 4, new Recorder(), 'edge')).toThrow(BusError);
    expect(() => bus.register(0x10, 0, new Recorder(), 'empty')).toThrow(BusError);
    expect(() => bus.read(0x40, 3 as AccessSize)).toThrow(BusError);
    expect(bus.claims()).toEqual([{ base: 0x40, length: 4, name: 'pit' }]);
    bus.unregister(dev);
    expect(bus.inb(0x40)).toBe(0xff);
    bus.register(0x43, 2, new Recorder(), 'now free');
  });
});

describe('MmioBus', () => {
  it('passes offsets relative to the window and returns unsigned values', () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.register(0xfee00000, 0x1000, dev, 'lapic');
    expect(bus.claimed(0xfee00fff)).toBe(true);
    expect(bus.claimed(0xfee01000)).toBe(false);
    expect(bus.read32(0xfee000b0)).toBe(0xffffffff);
    bus.write32(0xfee000b0, -2);
    bus.write(0xfee00010, 1, 0x1234);
    expect(dev.log).toEqual(['rd +b0/4', 'wr +b0/4=fffffffe', 'wr +10/1=34']);
    expect(bus.read(0xfec00000, 4)).toBe(0xffffffff);
    expect(() => bus.register(0xfee00800, 0x10, new Recorder(), 'x')).toThrow(/overlaps lapic/);
  });
});

describe('IRQ lines', () => {
  it('carry levels to a controller pin; pulse makes one edge', () => {
    const seen: string[] = [];
    const line = irqLine({ setIrq: (pin, level) => seen.push(`${pin}:${level}`) }, 4);
    line.set(true);
    pulse(line);
    expect(seen).toEqual(['4:true', '4:true', '4:false']);
  });
});
