/**
 * Device resources as capabilities: secure bindings to the machine's devices (hal-x86's `PcPlatform`), so a
 * library OS drives hardware itself while the kernel only checks that it may.
 *
 * - I/O port ranges (`'ioport'`, id = first port): COM1 0x3F8-0x3FF, the PIT 0x40-0x43, the RTC 0x70-0x71,
 *   port 0x61. `portIn`/`portOut` need READ/WRITE and stay inside the range: the library OS programs the
 *   16550A or the 8254 register by register, as a driver written from the datasheet would.
 * - Interrupt lines (`'irq'`, id = I/O APIC pin): `irqAttach` (IRQ right) routes the pin to the calling
 *   environment; each interrupt becomes an `interrupt` upcall to its library OS, after which the kernel
 *   writes the EOI. The kernel owns the I/O APIC and local APIC: pins stay masked until attached.
 * - The timer (`'timer'`): `timerSet(deadlineNs)` (TIMER right) schedules a `timer` upcall at that machine
 *   time (one pending deadline per environment; a new one replaces it); `clockNow` reads the machine clock.
 * - Block-device extents (`'blkext'`, id = extent number): a range of 512-byte sectors of the virtio-blk
 *   disk. `blkRead`/`blkWrite` (READ/WRITE on the extent) move sectors between the disk and a frame the
 *   caller holds, by DMA the kernel sets up only after checking the frame capability: DMA and WRITE for
 *   reads (the device writes the frame), DMA and READ for writes; `blkSplit` (GRANT) makes a capability
 *   to a sub-range (a new extent object, so a holder of part of a disk can never reach the rest).
 */
import type { Cpu } from '@exov6/hal-x86';
import {
  PAGE_SIZE,
  PC_LAYOUT,
  PcPlatform,
  type PcPlatformOptions,
  type PhysicalMemory,
  type FrameAllocator,
} from '@exov6/hal-x86';
import { Rights } from '@exov6/caplattice';
import type { Environment } from './environment';
import { checkInteger, ExoError } from './errors';
import { VirtioBlkDriver } from './virtio-blk-driver';

/** Kernel-chosen vectors: pin p interrupts with vector IRQ_VECTOR_BASE + p. */
export const IRQ_VECTOR_BASE = 0x20;
const SECTOR = 512;

/** The port ranges handed out as capabilities, by first port. */
export const PORT_RANGES: ReadonlyMap<number, { length: number; name: string }> = new Map([
  [0x3f8, { length: 8, name: 'COM1' }],
  [0x40, { length: 4, name: '8254 PIT' }],
  [0x61, { length: 1, name: 'port 0x61' }],
  [0x70, { length: 2, name: 'CMOS RTC' }],
]);

/** The interrupt lines handed out as capabilities (I/O APIC pins). */
export const IRQ_PINS: ReadonlyMap<number, string> = new Map([
  [PC_LAYOUT.pitPin, 'PIT'],
  [PC_LAYOUT.com1Pin, 'COM1'],
  [PC_LAYOUT.rtcPin, 'RTC'],
  [PC_LAYOUT.virtioBlkPin, 'virtio-blk'],
]);

export interface Extent {
  readonly start: number;
  readonly count: number;
  /**
   * For a split: the capability it was split from (holder and id). The split is usable only while that
   * capability (and, up the chain, its own source) still resolves, so revoking an extent also cuts off
   * every split made from what was revoked.
   */
  readonly source?: { readonly env: Environment; readonly capId: number };
}

export class DeviceLayer {
  readonly platform: PcPlatform;
  readonly disk: VirtioBlkDriver | null = null;
  readonly extents = new Map<number, Extent>();
  private nextExtent = 1;
  /** Which environment each attached pin interrupts. */
  readonly irqOwners = new Map<number, Environment>();
  /** The capability each attached line was attached through: revoking it detaches the line. */
  private readonly irqAuthority = new Map<number, number>();
  /** Pending timer events, by environment. */
  private readonly timers = new Map<Environment, number>();
  /** The timer capability each pending deadline was set through: revoked, the deadline is dropped. */
  private readonly timerAuthority = new Map<Environment, number>();
  /** Timer upcalls that fell due, delivered by the run loop (the environment's handler runs there). */
  readonly dueTimers: { env: Environment; now: number }[] = [];

  constructor(memory: PhysicalMemory, cpu: Cpu, frames: FrameAllocator, options: PcPlatformOptions) {
    this.platform = new PcPlatform(memory, cpu, options);
    // The kernel owns the interrupt controllers: the local APIC is enabled (spurious vector 0xFF) and every
    // pin stays masked until an environment attaches it.
    this.platform.mmio.write32(PC_LAYOUT.localApicBase + 0xf0, 0x1ff);
    if (options.disk !== undefined) {
      const driver = new VirtioBlkDriver(this.platform.mmio, PC_LAYOUT.virtioBlkBase, memory, frames);
      driver.init();
      this.disk = driver;
    }
  }

  /** A new extent object covering [start, start + count) sectors; returns its number. */
  newExtent(start: number, count: number, source?: { env: Environment; capId: number }): number {
    const id = this.nextExtent++;
    this.extents.set(id, source === undefined ? { start, count } : { start, count, source });
    return id;
  }

  portIn(base: number, offset: number, size: number): number {
    this.checkPort('portIn', base, offset, size);
    return this.platform.ports.read(base + offset, size as 1 | 2 | 4);
  }

  portOut(base: number, offset: number, size: number, value: number): void {
    this.checkPort('portOut', base, offset, size);
    checkInteger('portOut', 'value', value, 0, 2 ** (8 * size) - 1);
    this.platform.ports.write(base + offset, size as 1 | 2 | 4, value);
  }

  private checkPort(op: string, base: number, offset: number, size: number): void {
    const range = PORT_RANGES.get(base) as { length: number };
    if (size !== 1 && size !== 2 && size !== 4)
      throw new ExoError('E_INVAL', `${op}: size must be 1, 2 or 4`);
    checkInteger(op, 'offset', offset, 0, range.length - size);
  }

  /** Routes `pin` to `env` (edge or level as the device needs, active high) and unmasks it. */
  irqAttach(env: Environment, pin: number, capId: number): void {
    const owner = this.irqOwners.get(pin);
    if (owner !== undefined && !this.irqHeld(pin)) this.release(pin);
    else if (owner !== undefined && owner !== env && owner.status !== 'dead') {
      throw new ExoError('E_STATE', `irqAttach: line ${pin} is attached to environment ${owner.id}`);
    }
    this.irqOwners.set(pin, env);
    this.irqAuthority.set(pin, capId);
    const level = pin === PC_LAYOUT.virtioBlkPin;
    this.redirect(pin, IRQ_VECTOR_BASE + pin, level, false);
  }

  irqDetach(env: Environment, pin: number): void {
    if (this.irqOwners.get(pin) !== env)
      throw new ExoError('E_STATE', `irqDetach: line ${pin} is not attached to the caller`);
    this.release(pin);
  }

  /** Whether the line's owner still holds the capability it attached it through. */
  private irqHeld(pin: number): boolean {
    const owner = this.irqOwners.get(pin);
    const cap = this.irqAuthority.get(pin);
    return (
      owner !== undefined &&
      cap !== undefined &&
      owner.status !== 'dead' &&
      owner.space.check(cap, Rights.IRQ)
    );
  }

  private release(pin: number): void {
    this.irqOwners.delete(pin);
    this.irqAuthority.delete(pin);
    this.redirect(pin, IRQ_VECTOR_BASE + pin, false, true);
  }

  private redirect(pin: number, vector: number, level: boolean, masked: boolean): void {
    const mmio = this.platform.mmio;
    const base = PC_LAYOUT.ioApicBase;
    mmio.write32(base, 0x10 + 2 * pin + 1);
    mmio.write32(base + 0x10, 0); // destination: APIC 0
    mmio.write32(base, 0x10 + 2 * pin);
    mmio.write32(base + 0x10, vector | (level ? 1 << 15 : 0) | (masked ? 1 << 16 : 0));
  }

  /** The environment an interrupt vector belongs to (and acknowledges it at the local APIC). */
  takeInterrupt(vector: number): { env: Environment | undefined; irq: number } {
    const irq = vector - IRQ_VECTOR_BASE;
    this.platform.mmio.write32(PC_LAYOUT.localApicBase + 0xb0, 0); // EOI
    if (this.irqOwners.has(irq) && !this.irqHeld(irq)) this.release(irq); // its capability was revoked
    return { env: this.irqOwners.get(irq), irq };
  }

  timerSet(env: Environment, deadlineNs: number, capId: number): void {
    checkInteger('timerSet', 'deadlineNs', deadlineNs, 0, Number.MAX_SAFE_INTEGER);
    const clock = this.platform.clock;
    const old = this.timers.get(env);
    if (old !== undefined) clock.cancel(old);
    const id = clock.schedule(deadlineNs, (now) => {
      this.timers.delete(env);
      const held = env.space.check(this.timerAuthority.get(env) as number, Rights.TIMER);
      this.timerAuthority.delete(env);
      if (env.status !== 'dead' && held) this.dueTimers.push({ env, now });
    });
    this.timers.set(env, id);
    this.timerAuthority.set(env, capId);
  }

  timerCancel(env: Environment): void {
    const id = this.timers.get(env);
    if (id !== undefined) this.platform.clock.cancel(id);
    this.timers.delete(env);
    this.timerAuthority.delete(env);
  }

  /** Whether anything is scheduled on the machine clock (a timer an environment waits for). */
  get timersPending(): boolean {
    return this.timers.size > 0;
  }

  /** Forgets an ended environment's timer and interrupt lines. */
  forget(env: Environment): void {
    this.timerCancel(env);
    for (const [pin, owner] of [...this.irqOwners]) if (owner === env) this.irqDetach(env, pin);
  }

  /**
   * Moves `count` sectors at `sector` of an extent to or from `frame` (byte `offset` of it) by DMA; the
   * caller has checked the capabilities. Returns normally on success, refuses with E_INVAL for a range
   * outside the extent or the frame, and reports a device error as E_STATE.
   */
  blockIo(
    op: 'blkRead' | 'blkWrite',
    extent: Extent,
    sector: number,
    count: number,
    frame: number,
    offset: number,
  ): void {
    const disk = this.disk;
    if (disk === null) throw new ExoError('E_STATE', `${op}: the machine has no disk`);
    checkInteger(op, 'count', count, 1, PAGE_SIZE / SECTOR);
    checkInteger(op, 'sector', sector, 0, extent.count - count);
    checkInteger(op, 'offset', offset, 0, PAGE_SIZE - count * SECTOR);
    if (offset % SECTOR !== 0) throw new ExoError('E_INVAL', `${op}: offset must be a multiple of 512`);
    const pa = frame * PAGE_SIZE + offset;
    const status =
      op === 'blkRead'
        ? disk.read(extent.start + sector, count, pa)
        : disk.write(extent.start + sector, count, pa);
    if (status !== 0) throw new ExoError('E_STATE', `${op}: the device answered status ${status}`);
  }

  blockFlush(): void {
    const disk = this.disk;
    if (disk === null) throw new ExoError('E_STATE', 'blkFlush: the machine has no disk');
    const status = disk.flush();
    if (status !== 0) throw new ExoError('E_STATE', `blkFlush: the device answered status ${status}`);
  }
}
