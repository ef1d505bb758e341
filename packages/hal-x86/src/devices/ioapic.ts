/**
 * An I/O APIC in the style of the Intel 82093AA: 24 interrupt input pins, each routed by a 64-bit
 * redirection entry to local APICs over the APIC bus.
 *
 * MMIO window (0x20 bytes, default base 0xFEC00000): IOREGSEL at 0x00 selects a register, IOWIN at 0x10
 * reads or writes it (32-bit accesses; narrower IOWIN writes are dropped, IOREGSEL takes a byte write).
 * Registers:
 *   0x00 ID   bits 27:24 APIC ID (read/write)
 *   0x01 VER  bits 7:0 version (0x11, or 0x20 for the later chipset-integrated parts),
 *             bits 23:16 maximum redirection entry (23)
 *   0x02 ARB  bits 27:24 arbitration ID (read-only; loaded from the ID when the ID is written)
 *   0x10 + 2n / 0x11 + 2n  redirection entry n, low and high dword:
 *        7:0 vector, 10:8 delivery mode (000 fixed, 001 lowest priority, 010 SMI, 100 NMI, 101 INIT,
 *        111 ExtINT), 11 destination mode (0 physical, 1 logical), 12 delivery status (ro: 1 = an
 *        interrupt is waiting to be accepted), 13 polarity (0 active high, 1 active low), 14 Remote IRR
 *        (ro), 15 trigger mode (0 edge, 1 level), 16 mask (1 = masked; the reset state),
 *        63:56 destination.
 *
 * Pin behaviour. `setIrq(pin, level)` gives the wire's electrical level (true = high); the polarity bit says
 * which level is active. An edge-triggered pin fires on the transition into its active level; an edge
 * that arrives while the pin is masked is lost. A level-triggered pin sends its message while active, sets
 * Remote IRR when a local APIC accepts it, and sends nothing more until the EOI for its vector comes back
 * over the bus (`eoi`), after which it fires again if the line is still active. Unmasking a level pin whose
 * line is active fires it. An interrupt no local APIC accepts (none addressed, or all software-disabled)
 * stays pending (delivery status 1) and is sent again when a local APIC is enabled or the entry is
 * rewritten. Setting a pin to edge-triggered clears its Remote IRR, which is how drivers for parts without
 * an EOI register recover a stuck level entry.
 *
 * Not modelled: SMI, NMI, INIT and ExtINT delivery (the CPU model has no inputs for them and there is no
 * 8259; such entries deliver nothing); the version-0x20 EOI register at offset 0x40 and the pin assertion
 * register; edges produced by reprogramming the polarity of a pin whose line is steady; the 82093AA's
 * 4-bit limit on physical destinations (destinations are 8-bit, as on xAPIC systems). A pin no device has
 * driven yet is idle whatever its polarity, as a board's pull resistors hold unused inputs inactive.
 */
import { ApicBus, type ApicBusSource, DeliveryMode } from './apic-bus';
import type { AccessSize, MmioDevice } from './io-bus';
import type { IrqController } from './irq';

/** Default physical base of the I/O APIC window. */
export const IOAPIC_DEFAULT_BASE = 0xfec00000;
/** Size of the I/O APIC window. */
export const IOAPIC_WINDOW_SIZE = 0x20;
/** Number of input pins (redirection entries). */
export const IOAPIC_PINS = 24;

/** Offsets in the MMIO window. */
export const IoApicMmio = { RegisterSelect: 0x00, Window: 0x10 } as const;

/** Indirect register indices (written to IOREGSEL). */
export const IoApicRegister = {
  Id: 0x00,
  Version: 0x01,
  Arbitration: 0x02,
  /** Entry n: low dword at RedirectionTable + 2n, high dword at RedirectionTable + 2n + 1. */
  RedirectionTable: 0x10,
} as const;

/** IoApicRedirection-entry low-dword bits. */
export const IoApicRedirection = {
  DestinationLogical: 1 << 11,
  DeliveryStatus: 1 << 12,
  ActiveLow: 1 << 13,
  RemoteIrr: 1 << 14,
  LevelTriggered: 1 << 15,
  Masked: 1 << 16,
} as const;

export type IoApicVersion = 0x11 | 0x20;

export interface IoApicOptions {
  /** The APIC bus shared with the local APICs (e.g. `localApic.bus`); default: a bus of its own. */
  bus?: ApicBus;
  /** Initial I/O APIC ID, 0..15 (default 0). */
  id?: number;
  /** Value of the version register's low byte (default 0x11, the 82093AA). */
  version?: IoApicVersion;
}

export class IoApicError extends Error {
  override name = 'IoApicError';
}

const LOW_WRITABLE = 0x0001_afff; // vector, delivery mode, dest mode, polarity, trigger, mask
const HIGH_WRITABLE = 0xff00_0000; // destination
const ID_WRITABLE = 0x0f00_0000;

export class IoApic implements IrqController, MmioDevice, ApicBusSource {
  readonly bus: ApicBus;
  readonly version: IoApicVersion;
  private select = 0;
  private id: number;
  private arbitrationId: number;
  private readonly low = new Uint32Array(IOAPIC_PINS).fill(IoApicRedirection.Masked);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  private readonly remoteIrr = new Uint8Array(IOAPIC_PINS);
  /** Edge-triggered pins: an active edge seen while unmasked that no local APIC has accepted yet. */
  private readonly edgePending = new Uint8Array(IOAPIC_PINS);
  /** Wire levels: -1 while no device has driven the pin (it idles), else 0 (low) or 1 (high). */
  private readonly wire = new Int8Array(IOAPIC_PINS).fill(-1);

  constructor(options: IoApicOptions = {}) {
    const id = options.id ?? 0;
    if (!Number.isInteger(id) || id < 0 || id > 15)
      throw new IoApicError(`I/O APIC ID must be 0..15, got ${id}`);
    this.version = options.version ?? 0x11;
    if (this.version !== 0x11 && this.version !== 0x20)
      throw new IoApicError(`I/O APIC version must be 0x11 or 0x20, got ${String(this.version)}`);
    this.id = id;
    this.arbitrationId = id;
    this.bus = options.bus ?? new ApicBus();
    this.bus.attachSource(this);
  }

  // ------------------------------------------------------------------ device side

  /** Drives input `pin` to the electrical `level` (true = high). */
  setIrq(pin: number, level: boolean): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= IOAPIC_PINS)
      throw new IoApicError(`I/O APIC has pins 0..${IOAPIC_PINS - 1}, not ${pin}`);
    const was = this.asserted(pin);
    this.wire[pin] = level ? 1 : 0;
    if (this.levelTriggered(pin)) {
      this.service(pin);
    } else if (this.asserted(pin) && !was && !this.masked(pin)) {
      this.edgePending[pin] = 1;
      this.service(pin);
    }
  }

  // ------------------------------------------------------------------ bus side

  /** EOI broadcast for `vector`: clears Remote IRR of the level entries using it; still-active lines fire again. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      if (this.remoteIrr[pin] === 0 || this.vector(pin) !== (vector & 0xff)) continue;
      this.remoteIrr[pin] = 0;
      this.service(pin);
    }
  }

  /** Sends again whatever is pending because no local APIC accepted it. */
  resend(): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) this.service(pin);
  }

  // ------------------------------------------------------------------ MMIO

  readMmio(offset: number, size: AccessSize): number {
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    if (offset < 4) return ((this.select >>> (8 * offset)) & mask) >>> 0;
    if (offset >= IoApicMmio.Window && offset < IoApicMmio.Window + 4) {
      return ((this.readRegister(this.select) >>> (8 * (offset - IoApicMmio.Window))) & mask) >>> 0;
    }
    return 0;
  }

  writeMmio(offset: number, size: AccessSize, value: number): void {
    if (offset === IoApicMmio.RegisterSelect) {
      this.select = value & 0xff; // IOREGSEL is an 8-bit register; bits 31:8 are reserved
    } else if (offset === IoApicMmio.Window && size === 4) {
      this.writeRegister(this.select, value >>> 0);
    }
  }

  private readRegister(index: number): number {
    if (index === IoApicRegister.Id) return (this.id << 24) >>> 0;
    if (index === IoApicRegister.Version) return ((IOAPIC_PINS - 1) << 16) | this.version;
    if (index === IoApicRegister.Arbitration) return (this.arbitrationId << 24) >>> 0;
    const pin = (index - IoApicRegister.RedirectionTable) >> 1;
    if (index < IoApicRegister.RedirectionTable || pin >= IOAPIC_PINS) return 0; // reserved
    if ((index & 1) === 1) return this.high[pin] as number;
    let v = this.low[pin] as number;
    if (this.remoteIrr[pin] !== 0) v |= IoApicRedirection.RemoteIrr;
    if (this.deliveryPending(pin)) v |= IoApicRedirection.DeliveryStatus;
    return v >>> 0;
  }

  private writeRegister(index: number, value: number): void {
    if (index === IoApicRegister.Id) {
      this.id = (value & ID_WRITABLE) >>> 24;
      this.arbitrationId = this.id;
      return;
    }
    const pin = (index - IoApicRegister.RedirectionTable) >> 1;
    if (index < IoApicRegister.RedirectionTable || pin >= IOAPIC_PINS) return; // read-only or reserved
    if ((index & 1) === 1) {
      this.high[pin] = value & HIGH_WRITABLE;
      return; // a new destination is used from the next message on
    }
    this.low[pin] = value & LOW_WRITABLE;
    if (this.levelTriggered(pin)) this.edgePending[pin] = 0;
    else this.remoteIrr[pin] = 0;
    this.service(pin);
  }

  // ------------------------------------------------------------------ pin logic

  private vector(pin: number): number {
    return (this.low[pin] as number) & 0xff;
  }

  private masked(pin: number): boolean {
    return ((this.low[pin] as number) & IoApicRedirection.Masked) !== 0;
  }

  private levelTriggered(pin: number): boolean {
    return ((this.low[pin] as number) & IoApicRedirection.LevelTriggered) !== 0;
  }

  private deliverable(pin: number): boolean {
    const mode = ((this.low[pin] as number) >> 8) & 7;
    return mode === DeliveryMode.Fixed || mode === DeliveryMode.LowestPriority;
  }

  /** Whether the line is at its active level (a pin no one has driven is idle). */
  private asserted(pin: number): boolean {
    const w = this.wire[pin] as number;
    if (w < 0) return false;
    const activeLow = ((this.low[pin] as number) & IoApicRedirection.ActiveLow) !== 0;
    return (w === 1) !== activeLow;
  }

  /** Delivery status: an interrupt that should be delivered and that no local APIC has accepted. */
  private deliveryPending(pin: number): boolean {
    if (this.masked(pin) || !this.deliverable(pin)) return false;
    if (this.levelTriggered(pin)) return this.asserted(pin) && this.remoteIrr[pin] === 0;
    return this.edgePending[pin] !== 0;
  }

  /** Sends the pin's message if it has one to send, and records the outcome. */
  private service(pin: number): void {
    if (this.masked(pin) || !this.deliverable(pin)) {
      this.edgePending[pin] = 0; // masked (or undeliverable) edges are lost
      return;
    }
    const level = this.levelTriggered(pin);
    if (level ? !this.asserted(pin) || this.remoteIrr[pin] !== 0 : this.edgePending[pin] === 0) return;
    const low = this.low[pin] as number;
    const accepted = this.bus.send({
      vector: low & 0xff,
      deliveryMode: (low >> 8) & 7,
      logical: (low & IoApicRedirection.DestinationLogical) !== 0,
      destination: (this.high[pin] as number) >>> 24,
      levelTriggered: level,
    });
    if (!accepted) return;
    if (level) this.remoteIrr[pin] = 1;
    else this.edgePending[pin] = 0;
  }
}
