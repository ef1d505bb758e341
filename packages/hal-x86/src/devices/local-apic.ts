/**
 * A local APIC in xAPIC mode: the per-CPU interrupt controller, reached through a 4 KiB MMIO window
 * (default physical base 0xFEE00000), following the Intel SDM vol. 3 chapter "Advanced Programmable
 * Interrupt Controller (APIC)".
 *
 * Interrupts arrive from the APIC bus (I/O APIC redirection entries, IPIs), from the LINT0/LINT1 pins,
 * from the timer and from the error logic. Each accepted vector sets its IRR bit (and its TMR bit when
 * level-triggered). Priority follows the SDM: PPR is TPR when TPR's class is at least the class of the
 * highest in-service vector, else that class; the highest IRR vector whose class (vector[7:4]) exceeds
 * PPR's class is deliverable, and while one is the CPU's INTR input is asserted. The CPU's acknowledge
 * cycle moves that vector from IRR to ISR; if nothing is deliverable any more (TPR was raised after INTR
 * was sampled) the acknowledge returns the spurious vector from the SVR and sets no ISR bit. A write to EOI
 * clears the highest ISR bit and, when its TMR bit is set, broadcasts the EOI on the APIC bus so I/O APICs
 * can clear Remote IRR.
 *
 * Register map (offsets in the window; every register is 32 bits at a 16-byte-aligned offset):
 *   0x020 ID (bits 31:24)            0x030 version (0x14, max LVT 5)   0x080 TPR
 *   0x090 APR (ro)                   0x0A0 PPR (ro)                    0x0B0 EOI (wo)
 *   0x0C0 RRD (reads 0)              0x0D0 LDR (bits 31:24)            0x0E0 DFR (bits 31:28)
 *   0x0F0 SVR (vector, bit 8 APIC software enable, bit 9 focus check)
 *   0x100-0x170 ISR, 0x180-0x1F0 TMR, 0x200-0x270 IRR (ro, 32 vectors per register)
 *   0x280 ESR (write to latch)       0x300/0x310 ICR low/high
 *   0x320 LVT timer, 0x330 LVT thermal, 0x340 LVT performance counters, 0x350 LVT LINT0,
 *   0x360 LVT LINT1, 0x370 LVT error
 *   0x380 timer initial count, 0x390 timer current count (ro), 0x3E0 timer divide configuration
 *
 * Software disable (SVR bit 8 clear, the reset state) masks every LVT entry and keeps the mask bits set;
 * fixed and lowest-priority messages are refused (what is already in IRR is still delivered). Accesses to
 * reserved offsets set ESR bit 7 (illegal register address). Registers must be written with aligned 32-bit
 * stores, as the SDM requires; narrower or misaligned writes are dropped. Narrow reads return the bytes
 * addressed.
 *
 * LINT0/LINT1 are this device's two input pins (`setIrq(0 | 1, level)`), honouring the LVT polarity; fixed
 * delivery is modelled, edge- and (LINT0 only, as on hardware) level-triggered with Remote IRR.
 *
 * Not modelled: x2APIC mode and the IA32_APIC_BASE MSR (the window is where the host maps it; the APIC is
 * always hardware-enabled); NMI, SMI, INIT, start-up and ExtINT delivery (from LVT entries or the ICR:
 * the CPU model has no such inputs, so they are dropped); thermal and performance-counter events (their LVT
 * registers are storage only); the CMCI LVT; directed EOI (EOI-broadcast suppression, version bit 24 = 0);
 * the focus-processor rule of lowest-priority arbitration; remote read.
 */
import { ApicBus, type ApicBusAgent, DeliveryMode, type InterruptMessage } from './apic-bus';
import { ApicTimer, ApicTimerMode } from './apic-timer';
import type { InterruptAcknowledge } from '../cpu/cpu';
import type { AccessSize, MmioDevice } from './io-bus';
import type { IrqController } from './irq';
import type { MachineClock } from './machine-clock';

/** Default physical base of the local APIC window. */
export const LOCAL_APIC_DEFAULT_BASE = 0xfee00000;
/** Size of the local APIC window. */
export const LOCAL_APIC_WINDOW_SIZE = 0x1000;

/** Register offsets in the window. */
export const LocalApicRegister = {
  Id: 0x020,
  Version: 0x030,
  Tpr: 0x080,
  Apr: 0x090,
  Ppr: 0x0a0,
  Eoi: 0x0b0,
  Rrd: 0x0c0,
  Ldr: 0x0d0,
  Dfr: 0x0e0,
  Svr: 0x0f0,
  Isr: 0x100,
  Tmr: 0x180,
  Irr: 0x200,
  Esr: 0x280,
  IcrLow: 0x300,
  IcrHigh: 0x310,
  LvtTimer: 0x320,
  LvtThermal: 0x330,
  LvtPerformance: 0x340,
  LvtLint0: 0x350,
  LvtLint1: 0x360,
  LvtError: 0x370,
  TimerInitialCount: 0x380,
  TimerCurrentCount: 0x390,
  TimerDivide: 0x3e0,
} as const;

/** ESR bits (the error status register). */
export const ApicErrorStatus = {
  SendChecksum: 1 << 0,
  ReceiveChecksum: 1 << 1,
  SendAccept: 1 << 2,
  ReceiveAccept: 1 << 3,
  RedirectableIpi: 1 << 4,
  SendIllegalVector: 1 << 5,
  ReceivedIllegalVector: 1 << 6,
  IllegalRegisterAddress: 1 << 7,
} as const;

/** Version 0x14 (an integrated xAPIC), max LVT entry 5 (timer, thermal, perf, LINT0, LINT1, error). */
const VERSION = 0x0005_0014;
const SVR_ENABLE = 1 << 8;
const SVR_WRITABLE = 0x3ff; // vector, software enable, focus-processor checking
const LVT_MASK = 1 << 16;
const LVT_REMOTE_IRR = 1 << 14;
const LVT_LEVEL = 1 << 15;
const LVT_LOW_ACTIVE = 1 << 13;
const ICR_LOW_WRITABLE = 0x000c_cfff; // vector, mode, dest mode, level, trigger, shorthand
const ICR_SELF = 1;
const ICR_ALL = 2;
const ICR_ALL_BUT_SELF = 3;

/** Writable bits of each LVT register (delivery status and Remote IRR are read-only). */
const LVT_WRITABLE = {
  timer: 0x0007_00ff, // vector, mask, mode 18:17
  thermal: 0x0001_07ff, // vector, delivery mode, mask
  performance: 0x0001_07ff,
  lint0: 0x0001_a7ff, // vector, delivery mode, polarity, trigger, mask
  lint1: 0x0001_a7ff,
  error: 0x0001_00ff, // vector, mask
} as const;
type LvtName = keyof typeof LVT_WRITABLE;

const LVT_BY_OFFSET: Record<number, LvtName> = {
  [LocalApicRegister.LvtTimer]: 'timer',
  [LocalApicRegister.LvtThermal]: 'thermal',
  [LocalApicRegister.LvtPerformance]: 'performance',
  [LocalApicRegister.LvtLint0]: 'lint0',
  [LocalApicRegister.LvtLint1]: 'lint1',
  [LocalApicRegister.LvtError]: 'error',
};

/** Anything with an INTR input: the real `Cpu`, or a plain object in tests. */
export interface InterruptTarget {
  intr: boolean;
}

export interface LocalApicOptions {
  /** Whose INTR input this APIC drives. */
  cpu: InterruptTarget;
  /** The machine clock the timer counts on. */
  clock: MachineClock;
  /** The APIC bus to join (default: a new bus of its own; pass it to the I/O APIC). */
  bus?: ApicBus;
  /** Initial APIC ID, 0..255 (default 0). */
  id?: number;
  /** Timer input frequency in Hz (default 100 MHz; see apic-timer.ts). */
  timerHz?: number;
}

export class LocalApicError extends Error {
  override name = 'LocalApicError';
}

/** Highest set bit of a 256-bit vector set, or -1. */
function highest(bits: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    const word = bits[w] as number;
    if (word !== 0) return w * 32 + 31 - Math.clz32(word);
  }
  return -1;
}

function testBit(bits: Uint32Array, v: number): boolean {
  return (((bits[v >> 5] as number) >>> (v & 31)) & 1) !== 0;
}

function setBit(bits: Uint32Array, v: number, on: boolean): void {
  const w = v >> 5;
  const m = 1 << (v & 31);
  bits[w] = on ? (bits[w] as number) | m : (bits[w] as number) & ~m;
}

export class LocalApic implements MmioDevice, InterruptAcknowledge, IrqController, ApicBusAgent {
  readonly bus: ApicBus;
  readonly timer: ApicTimer;
  private readonly cpu: InterruptTarget;

  private id: number;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  /** Errors seen since the last ESR write, and what the last write latched for reading. */
  private errorsPending = 0;
  private errorsLatched = 0;
  private reportingError = false;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt: Record<LvtName, number> = {
    timer: LVT_MASK,
    thermal: LVT_MASK,
    performance: LVT_MASK,
    lint0: LVT_MASK,
    lint1: LVT_MASK,
    error: LVT_MASK,
  };
  /** LINT0/LINT1 wire levels: -1 while no one has driven the pin (it idles), else 0/1. */
  private readonly lintWire = new Int8Array([-1, -1]);
  /** Remote IRR of a level-triggered LINT0: set on acceptance, cleared by the EOI for its vector. */
  private lint0RemoteIrr = false;

  constructor(options: LocalApicOptions) {
    this.cpu = options.cpu;
    const id = options.id ?? 0;
    if (!Number.isInteger(id) || id < 0 || id > 0xff)
      throw new LocalApicError(`APIC ID must be 0..255, got ${id}`);
    this.id = id;
    this.bus = options.bus ?? new ApicBus();
    this.timer = new ApicTimer({
      clock: options.clock,
      frequencyHz: options.timerHz,
      onExpire: () => this.raiseLocal('timer'),
    });
    this.bus.attachLocalApic(this);
    this.updateIntr();
  }

  /** The APIC ID (ID register bits 31:24). */
  get apicId(): number {
    return this.id;
  }

  /** SVR bit 8: whether software has enabled the APIC. */
  get softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  // ------------------------------------------------------------------ CPU side

  /** The CPU's acknowledge cycle: the highest deliverable vector moves from IRR to ISR. */
  acknowledge(): number {
    const v = this.deliverableVector();
    if (v < 0) return this.svr & 0xff; // the request vanished: spurious vector, no ISR bit
    setBit(this.irr, v, false);
    setBit(this.isr, v, true);
    this.updateIntr();
    return v;
  }

  // ------------------------------------------------------------------ bus side (ApicBusAgent)

  isAddressedBy(logical: boolean, destination: number): boolean {
    const dest = destination & 0xff;
    if (!logical) return dest === 0xff || dest === this.id;
    const ldr = this.ldr >>> 24;
    if (this.dfr >>> 28 === 0xf) return (ldr & dest) !== 0; // flat model: one bit per APIC
    // Cluster model: high nibble selects the cluster, low nibble the members; 0xFF reaches everyone.
    return dest === 0xff || (ldr >> 4 === dest >> 4 && (ldr & dest & 0xf) !== 0);
  }

  acceptsInterrupts(): boolean {
    return this.softwareEnabled;
  }

  arbitrationPriority(): number {
    const tpr = this.tpr;
    const isrClass = Math.max(0, highest(this.isr)) >> 4;
    const irrClass = Math.max(0, highest(this.irr)) >> 4;
    const tprClass = tpr >> 4;
    if (tprClass >= irrClass && tprClass > isrClass) return tpr;
    return Math.max(tprClass, isrClass, irrClass) << 4;
  }

  acceptInterrupt(vector: number, levelTriggered: boolean): boolean {
    if (!this.softwareEnabled) return false;
    return this.accept(vector, levelTriggered);
  }

  // ------------------------------------------------------------------ LINT pins (IrqController)

  /** Drives LINT0 (pin 0) or LINT1 (pin 1) to the electrical `level` (true = high). */
  setIrq(pin: number, level: boolean): void {
    if (pin !== 0 && pin !== 1) throw new LocalApicError(`a local APIC has LINT0 and LINT1, not pin ${pin}`);
    const name: LvtName = pin === 0 ? 'lint0' : 'lint1';
    const was = this.lintAsserted(pin);
    this.lintWire[pin] = level ? 1 : 0;
    const now = this.lintAsserted(pin);
    if (this.lintLevelTriggered(pin)) this.serviceLint0Level();
    else if (now && !was) this.raiseLocal(name);
  }

  // ------------------------------------------------------------------ MMIO

  readMmio(offset: number, size: AccessSize): number {
    const slot = offset & 0xff0;
    const byte = offset & 0xf;
    const value = this.readRegister(slot);
    if (byte >= 4) return 0;
    const shifted = value >>> (8 * byte);
    return size === 4 ? shifted >>> 0 : shifted & (size === 1 ? 0xff : 0xffff);
  }

  writeMmio(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0) return; // the SDM requires aligned 32-bit stores
    this.writeRegister(offset & 0xff0, value >>> 0);
  }

  private readRegister(slot: number): number {
    const R = LocalApicRegister;
    if (slot >= R.Isr && slot < R.Isr + 0x80) return (this.isr[(slot - R.Isr) >> 4] as number) >>> 0;
    if (slot >= R.Tmr && slot < R.Tmr + 0x80) return (this.tmr[(slot - R.Tmr) >> 4] as number) >>> 0;
    if (slot >= R.Irr && slot < R.Irr + 0x80) return (this.irr[(slot - R.Irr) >> 4] as number) >>> 0;
    const lvt = LVT_BY_OFFSET[slot];
    if (lvt !== undefined) return this.readLvt(lvt);
    switch (slot) {
      case R.Id:
        return (this.id << 24) >>> 0;
      case R.Version:
        return VERSION;
      case R.Tpr:
        return this.tpr;
      case R.Apr:
        return this.arbitrationPriority();
      case R.Ppr:
        return this.processorPriority();
      case R.Eoi:
      case R.Rrd:
        return 0;
      case R.Ldr:
        return this.ldr;
      case R.Dfr:
        return this.dfr;
      case R.Svr:
        return this.svr;
      case R.Esr:
        return this.errorsLatched;
      case R.IcrLow:
        return this.icrLow; // delivery status (bit 12) is always idle: delivery is instantaneous
      case R.IcrHigh:
        return this.icrHigh;
      case R.TimerInitialCount:
        return this.timer.initialCount;
      case R.TimerCurrentCount:
        return this.timer.currentCount();
      case R.TimerDivide:
        return this.timer.divideConfiguration;
      default:
        this.reportError(ApicErrorStatus.IllegalRegisterAddress);
        return 0;
    }
  }

  private writeRegister(slot: number, value: number): void {
    const R = LocalApicRegister;
    if (slot >= R.Isr && slot < R.Irr + 0x80) return; // ISR, TMR, IRR are read-only
    const lvt = LVT_BY_OFFSET[slot];
    if (lvt !== undefined) {
      this.writeLvt(lvt, value);
      return;
    }
    switch (slot) {
      case R.Id:
        this.id = value >>> 24;
        return;
      case R.Tpr:
        this.tpr = value & 0xff;
        this.updateIntr();
        return;
      case R.Eoi:
        this.endOfInterrupt();
        return;
      case R.Ldr:
        this.ldr = (value & 0xff000000) >>> 0;
        return;
      case R.Dfr:
        this.dfr = ((value & 0xf0000000) | 0x0fffffff) >>> 0;
        return;
      case R.Svr:
        this.writeSvr(value);
        return;
      case R.Esr:
        // A write latches the errors seen since the previous write and starts collecting afresh.
        this.errorsLatched = this.errorsPending;
        this.errorsPending = 0;
        return;
      case R.IcrHigh:
        this.icrHigh = (value & 0xff000000) >>> 0;
        return;
      case R.IcrLow:
        this.icrLow = value & ICR_LOW_WRITABLE;
        this.sendIpi();
        return;
      case R.TimerInitialCount:
        this.timer.writeInitialCount(value);
        return;
      case R.TimerDivide:
        this.timer.writeDivideConfiguration(value);
        return;
      case R.Version:
      case R.Apr:
      case R.Ppr:
      case R.Rrd:
      case R.TimerCurrentCount:
        return; // read-only
      default:
        this.reportError(ApicErrorStatus.IllegalRegisterAddress);
    }
  }

  private readLvt(name: LvtName): number {
    let v = this.lvt[name];
    if (name === 'lint0' && this.lint0RemoteIrr) v |= LVT_REMOTE_IRR;
    return v >>> 0;
  }

  private writeLvt(name: LvtName, value: number): void {
    let v = value & LVT_WRITABLE[name];
    if (!this.softwareEnabled) v |= LVT_MASK; // mask bits stay set while software-disabled (SDM)
    this.lvt[name] = v;
    if (name === 'timer') this.timer.setMode(this.timerModeOf(v));
    if (name === 'lint0') {
      if ((v & LVT_LEVEL) === 0) this.lint0RemoteIrr = false;
      this.serviceLint0Level();
    }
  }

  private timerModeOf(lvtTimer: number): ApicTimerMode {
    const bits = (lvtTimer >> 17) & 3;
    // 11 is reserved; it behaves as one-shot here.
    return bits === 1
      ? ApicTimerMode.Periodic
      : bits === 2
        ? ApicTimerMode.TscDeadline
        : ApicTimerMode.OneShot;
  }

  private writeSvr(value: number): void {
    const wasEnabled = this.softwareEnabled;
    this.svr = value & SVR_WRITABLE;
    if (!this.softwareEnabled) {
      for (const name of Object.keys(this.lvt) as LvtName[]) this.lvt[name] |= LVT_MASK;
    } else if (!wasEnabled) {
      this.bus.requestResend();
    }
    this.updateIntr();
  }

  // ------------------------------------------------------------------ priority and delivery

  /** PPR: TPR if its class is at least the in-service class, else the in-service class. */
  processorPriority(): number {
    const isrv = Math.max(0, highest(this.isr));
    return this.tpr >> 4 >= isrv >> 4 ? this.tpr : isrv & 0xf0;
  }

  /** The vector the next acknowledge would return (not the spurious one), or -1. */
  private deliverableVector(): number {
    const irrv = highest(this.irr);
    if (irrv < 0) return -1;
    return irrv >> 4 > this.processorPriority() >> 4 ? irrv : -1;
  }

  private updateIntr(): void {
    this.cpu.intr = this.deliverableVector() >= 0;
  }

  /** Puts `vector` into IRR (or reports it as illegal); true when it went in. */
  private accept(vector: number, levelTriggered: boolean): boolean {
    const v = vector & 0xff;
    if (v < 16) {
      this.reportError(ApicErrorStatus.ReceivedIllegalVector);
      return false;
    }
    setBit(this.irr, v, true);
    setBit(this.tmr, v, levelTriggered);
    this.updateIntr();
    return true;
  }

  /** An interrupt from a local source through its LVT entry: fixed delivery unless masked. */
  private raiseLocal(name: LvtName): boolean {
    const entry = this.lvt[name];
    if ((entry & LVT_MASK) !== 0) return false;
    // Timer and error entries have no delivery-mode field; the others deliver only fixed here.
    if (name !== 'timer' && name !== 'error' && ((entry >> 8) & 7) !== DeliveryMode.Fixed) return false;
    const level = name === 'lint0' && (entry & LVT_LEVEL) !== 0;
    return this.accept(entry & 0xff, level);
  }

  private endOfInterrupt(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    setBit(this.isr, v, false);
    if (testBit(this.tmr, v)) {
      if (this.lint0RemoteIrr && (this.lvt.lint0 & 0xff) === v) {
        this.lint0RemoteIrr = false;
        this.serviceLint0Level();
      }
      this.bus.broadcastEoi(v);
    }
    this.updateIntr();
  }

  private reportError(bit: number): void {
    this.errorsPending |= bit;
    if (this.reportingError) return; // an illegal error vector must not recurse
    this.reportingError = true;
    this.raiseLocal('error');
    this.reportingError = false;
  }

  // ------------------------------------------------------------------ LINT pins

  private lintAsserted(pin: 0 | 1): boolean {
    const wire = this.lintWire[pin] as number;
    if (wire < 0) return false; // never driven: held at its inactive level
    const lowActive = ((pin === 0 ? this.lvt.lint0 : this.lvt.lint1) & LVT_LOW_ACTIVE) !== 0;
    return (wire === 1) !== lowActive;
  }

  /** LINT1 is always edge-sensitive; LINT0 follows its trigger-mode bit. */
  private lintLevelTriggered(pin: 0 | 1): boolean {
    return pin === 0 && (this.lvt.lint0 & LVT_LEVEL) !== 0;
  }

  /** A level-triggered LINT0 interrupts while asserted, once per EOI (Remote IRR). */
  private serviceLint0Level(): void {
    if (!this.lintLevelTriggered(0) || this.lint0RemoteIrr || !this.lintAsserted(0)) return;
    if (this.raiseLocal('lint0')) this.lint0RemoteIrr = true;
  }

  // ------------------------------------------------------------------ IPIs

  private sendIpi(): void {
    const mode = (this.icrLow >> 8) & 7;
    const vector = this.icrLow & 0xff;
    if (mode !== DeliveryMode.Fixed && mode !== DeliveryMode.LowestPriority) return; // not modelled
    if (vector < 16) {
      this.reportError(ApicErrorStatus.SendIllegalVector);
      return;
    }
    const message: InterruptMessage = {
      vector,
      deliveryMode: mode,
      logical: (this.icrLow & (1 << 11)) !== 0,
      destination: this.icrHigh >>> 24,
      levelTriggered: false, // the ICR trigger mode only matters for INIT level de-assert
    };
    switch ((this.icrLow >> 18) & 3) {
      case ICR_SELF:
        this.acceptInterrupt(vector, false);
        return;
      case ICR_ALL:
        this.bus.sendToAll(message, null);
        return;
      case ICR_ALL_BUT_SELF:
        this.bus.sendToAll(message, this);
        return;
      default:
        this.bus.send(message);
    }
  }
}
