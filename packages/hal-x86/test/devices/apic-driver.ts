/**
 * Minimal I/O APIC and local APIC drivers, written from the datasheet/SDM register descriptions the way an
 * OS writes them: every access goes through the MMIO bus at the device's physical address.
 */
import type { MmioBus } from '../../src/devices/io-bus';
import { IOAPIC_DEFAULT_BASE } from '../../src/devices/ioapic';
import { LOCAL_APIC_DEFAULT_BASE } from '../../src/devices/local-apic';

export interface RouteOptions {
  vector: number;
  level?: boolean;
  activeLow?: boolean;
  masked?: boolean;
  logical?: boolean;
  /** Delivery mode bits 10:8 (default 0, fixed). */
  mode?: number;
  destination?: number;
}

export class IoApicDriver {
  constructor(
    readonly mmio: MmioBus,
    readonly base = IOAPIC_DEFAULT_BASE,
  ) {}

  read(index: number): number {
    this.mmio.write32(this.base, index);
    return this.mmio.read32(this.base + 0x10);
  }

  write(index: number, value: number): void {
    this.mmio.write32(this.base, index);
    this.mmio.write32(this.base + 0x10, value >>> 0);
  }

  /** Programs redirection entry `pin`, high dword first so the entry is never live with a stale destination. */
  route(pin: number, o: RouteOptions): void {
    const low =
      (o.vector & 0xff) |
      ((o.mode ?? 0) << 8) |
      (o.logical ? 1 << 11 : 0) |
      (o.activeLow ? 1 << 13 : 0) |
      (o.level ? 1 << 15 : 0) |
      (o.masked ? 1 << 16 : 0);
    this.write(0x11 + 2 * pin, ((o.destination ?? 0) & 0xff) << 24);
    this.write(0x10 + 2 * pin, low);
  }

  low(pin: number): number {
    return this.read(0x10 + 2 * pin);
  }

  setMask(pin: number, masked: boolean): void {
    const v = this.low(pin);
    this.write(0x10 + 2 * pin, masked ? v | (1 << 16) : v & ~(1 << 16));
  }

  remoteIrr(pin: number): boolean {
    return (this.low(pin) & (1 << 14)) !== 0;
  }

  deliveryPending(pin: number): boolean {
    return (this.low(pin) & (1 << 12)) !== 0;
  }
}

export class LocalApicDriver {
  constructor(
    readonly mmio: MmioBus,
    readonly base = LOCAL_APIC_DEFAULT_BASE,
  ) {}

  read(offset: number): number {
    return this.mmio.read32(this.base + offset);
  }

  write(offset: number, value: number): void {
    this.mmio.write32(this.base + offset, value >>> 0);
  }

  /** Software-enables the APIC with spurious vector `spurious`. */
  enable(spurious = 0xff): void {
    this.write(0xf0, 0x100 | spurious);
  }

  eoi(): void {
    this.write(0xb0, 0);
  }

  private bit(base: number, vector: number): boolean {
    return ((this.read(base + 0x10 * (vector >> 5)) >>> (vector & 31)) & 1) === 1;
  }

  irr(vector: number): boolean {
    return this.bit(0x200, vector);
  }

  isr(vector: number): boolean {
    return this.bit(0x100, vector);
  }

  tmr(vector: number): boolean {
    return this.bit(0x180, vector);
  }

  /** Every vector set in the 256-bit register starting at `base` (ISR 0x100, TMR 0x180, IRR 0x200). */
  vectors(base: number): number[] {
    const out: number[] = [];
    for (let v = 0; v < 256; v++) if (this.bit(base, v)) out.push(v);
    return out;
  }

  /** Reads the ESR the documented way: write to latch, then read. */
  errors(): number {
    this.write(0x280, 0);
    return this.read(0x280);
  }

  /** A fixed IPI to self through the ICR shorthand. */
  selfIpi(vector: number): void {
    this.write(0x300, (1 << 18) | vector);
  }
}
