/**
 * An Intel 8254 programmable interval timer, as on every PC: three 16-bit down-counters clocked at
 * 1 193 182 Hz, at ports 0x40-0x43.
 *
 *   0x40  counter 0 (OUT0 drives IRQ0)     0x42  counter 2 (GATE2 and OUT2 via port 0x61, the speaker)
 *   0x41  counter 1 (unconnected)          0x43  control word (write only; reads float to 0xFF)
 *
 * Modelled from the datasheet:
 * - Control word: counter select 0-2 or read-back (11); access mode counter-latch (00), LSB only, MSB only,
 *   LSB then MSB; modes 0-5 (6 and 7 act as 2 and 3, the status byte reports the bits as written); binary
 *   or BCD counting. Writing a control word resets the counter's logic: no count is loaded, NULL COUNT is
 *   set, OUT goes low in mode 0 and high in the other modes, and pending latches are dropped.
 * - Counter latch and read-back commands (status byte: OUTPUT, NULL COUNT, RW, M2-M0, BCD; a count or
 *   status latched again before it has been read is ignored; a latched status is read before a latched
 *   count). Separate read and write byte toggles in LSB-then-MSB mode; an unlatched read samples the count
 *   as it is at the moment of each byte, as on the part.
 * - A count of 0 means 65536 (10000 in BCD). The count is loaded on the first input clock after it is
 *   written (modes 0, 2, 3, 4) or after a gate trigger (modes 1, 5); NULL COUNT stays set until then.
 * - The output waveforms: mode 0 low until terminal count (writing a count, even its first byte, drives
 *   it low and the first byte stops counting); mode 1 low from the trigger for N clocks; mode 2 low for
 *   the last clock of every period of N; mode 3 high for ceil(N/2) and low for floor(N/2) clocks, the count
 *   going down by two (odd counts as the datasheet describes); modes 4 and 5 low for one clock at terminal
 *   count. A new count written while modes 2 and 3 are running takes effect at the end of the current
 *   period (mode 2) or half-period (mode 3); in mode 4 on the next clock; in modes 1 and 5 at the next
 *   trigger.
 * - Gate behaviour: modes 0 and 4 pause while GATE is low; modes 1 and 5 start (and restart) on a rising
 *   edge; modes 2 and 3 stop with OUT forced high while GATE is low and reload on a rising edge. GATE0 and
 *   GATE1 are tied high as on a PC; GATE2 comes from port 0x61 (see port61.ts) through `setGate`.
 *
 * Timing: nothing ticks. The counters are anchored at the input-clock tick where their count was loaded,
 * and every read computes the count and OUT from the current time of the `MachineClock`. Tick k of the
 * input clock happens at k / 1 193 182 s, computed in exact integer arithmetic, so interrupts never drift
 * however long the machine runs. OUT0 is delivered to IRQ0 as one pulse per rising edge (the 8259/IO APIC
 * input is edge-triggered): each edge is a clock event at the exact tick time, including edges that a
 * control word causes (for example OUT0 low in mode 0, then a mode 2 control word raising it).
 *
 * Choices where the datasheet says "undefined": at power-up every counter is in mode 0 with LSB-then-MSB
 * access and no count, with OUT high and the count reading 0. Counts of 1 in modes 2 and 3 (illegal per
 * the datasheet) hold OUT low (mode 2) or high (mode 3) instead of producing an edge per clock. Invalid
 * BCD digits count with their binary weight. Pausing a mode 4 or 5 counter during its one-clock low pulse
 * ends the pulse.
 *
 * Not modelled: the input-clock phase within a nanosecond (ticks are rounded up to the next whole
 * nanosecond), OUT1 (it drove DRAM refresh and has no effect on a modern PC), and bus timing.
 */

import type { AccessSize, PortDevice } from './io-bus';
import { type IrqLine, pulse } from './irq';
import type { MachineClock, TimerId } from './machine-clock';

/** Frequency of the PIT's input clock on a PC (a third of the 3.579545 MHz NTSC colour-burst crystal). */
export const PIT_INPUT_HZ = 1_193_182;
/** First port of the PIT (counter 0); the four ports are `PIT_BASE_PORT` to `PIT_BASE_PORT + 3`. */
export const PIT_BASE_PORT = 0x40;
/** Number of ports the PIT decodes. */
export const PIT_PORT_COUNT = 4;

const NS_PER_SECOND = 1_000_000_000;

/**
 * Number of input-clock ticks that have happened in (0, ns]: floor(ns × 1 193 182 / 10^9), in exact
 * integer arithmetic (whole seconds and the remainder separately, so no intermediate exceeds 2^53).
 */
export function pitTicksAt(ns: number): number {
  const whole = Math.floor(ns);
  const seconds = Math.floor(whole / NS_PER_SECOND);
  const rest = whole - seconds * NS_PER_SECOND;
  const scaled = rest * PIT_INPUT_HZ;
  let ticks = Math.floor(scaled / NS_PER_SECOND);
  // The division is correctly rounded; these guard the floor against any off-by-one at exact multiples.
  if (ticks * NS_PER_SECOND > scaled) ticks--;
  else if ((ticks + 1) * NS_PER_SECOND <= scaled) ticks++;
  return seconds * PIT_INPUT_HZ + ticks;
}

/** The first whole nanosecond at which input-clock tick `tick` has happened: ceil(tick × 10^9 / 1 193 182). */
export function pitTickTimeNs(tick: number): number {
  const seconds = Math.floor(tick / PIT_INPUT_HZ);
  const rest = tick - seconds * PIT_INPUT_HZ;
  const scaled = rest * NS_PER_SECOND;
  let ns = Math.floor(scaled / PIT_INPUT_HZ);
  if (ns * PIT_INPUT_HZ > scaled) ns--;
  if (ns * PIT_INPUT_HZ < scaled) ns++;
  return seconds * NS_PER_SECOND + ns;
}

/** Host-side misuse of the PIT object (not guest programming, which never throws). */
export class PitError extends Error {
  override name = 'PitError';
}

/** A snapshot of one counter, for diagnostics and for the speaker port. */
export interface PitChannelState {
  /** Effective mode 0-5 (6 and 7 already folded onto 2 and 3). */
  readonly mode: number;
  /** Access mode from the control word: 1 LSB, 2 MSB, 3 LSB then MSB. */
  readonly access: number;
  readonly bcd: boolean;
  /** The last complete count written, as a number of input clocks (1-65536, or 1-10000 in BCD). */
  readonly reload: number | null;
  /** The counting element as a guest read would see it (BCD-encoded in BCD mode). */
  readonly count: number;
  readonly out: boolean;
  readonly gate: boolean;
  readonly nullCount: boolean;
}

/**
 * One stretch of counting from a load, reload or resume. The counter's trajectory is a pure function of
 * the segment and the current tick.
 */
interface Segment {
  /** Tick at which the counting element holds `count` (and counting proceeds from the next tick). */
  anchor: number;
  /**
   * Modes 0, 1, 4, 5: the counting element's value at `anchor`, where the modulus (65536 or 10000) stands
   * for a freshly loaded count of 0. Modes 2 and 3: the period N.
   */
  count: number;
  /** Modes 0, 1, 4, 5: terminal count was already reached at or before `anchor`. */
  tcDone: boolean;
  /** Mode 3: the segment begins with the low half (a reload at the high-to-low boundary). */
  startLow: boolean;
  /** OUT from the write that created the segment until `anchor`. */
  outBefore: boolean;
}

const READ_BACK = 3;

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function toBcd(value: number): number {
  let out = 0;
  for (let shift = 0, v = value; shift < 16; shift += 4, v = Math.floor(v / 10)) out |= (v % 10) << shift;
  return out;
}

function fromBcd(raw: number): number {
  return ((raw >> 12) & 15) * 1000 + ((raw >> 8) & 15) * 100 + ((raw >> 4) & 15) * 10 + (raw & 15);
}

/** One of the three down-counters. Every method takes the current input-clock tick. */
class PitCounter {
  /** Mode bits as written (0-7), reported by the read-back status. */
  private modeBits = 0;
  mode = 0;
  access = 3;
  bcd = false;
  gate: boolean;

  /** Next count byte written is the MSB (LSB-then-MSB access). */
  private writeHigh = false;
  private pendingLsb = 0;
  /** The count register: the last complete count, as a number of clocks (1..modulus). */
  private reload = 0;
  /** A complete count has been written since the control word. */
  private reloadValid = false;
  /** NULL COUNT is set until this tick (Infinity: until a trigger or a further write). */
  private transferTick = Number.POSITIVE_INFINITY;

  /** Next byte read is the MSB (LSB-then-MSB access). */
  private readHigh = false;
  private latchedCount: number | null = null;
  private latchedBytesLeft = 0;
  private latchedStatus: number | null = null;

  /** The counting element's trajectory; null when no count is loaded since the control word. */
  seg: Segment | null = null;
  /** A reload due at a period (mode 2) or half-period (mode 3) boundary; starts at `pending.anchor`. */
  pending: Segment | null = null;
  /** Counting is enabled (gate permitting); when false the counting element shows `held`. */
  running = false;
  /** Counting-element value shown before a segment's anchor and while paused (a plain number). */
  private held = 0;
  /** OUT while paused in modes 0 and 4. */
  private heldOut = true;
  /** OUT while no count is loaded (set by the control word and, in mode 0, by a count write). */
  private idleOut = true;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  get modulus(): number {
    return this.bcd ? 10_000 : 65_536;
  }

  /** Commits a pending reload whose boundary has passed. */
  settle(t: number): void {
    if (this.pending !== null && t >= this.pending.anchor) {
      this.seg = this.pending;
      this.pending = null;
    }
  }

  /** The counting element at tick t, as a plain number 0..modulus-1. */
  value(t: number): number {
    this.settle(t);
    const seg = this.seg;
    if (seg === null || !this.running || t < seg.anchor) return this.held;
    const m = this.modulus;
    const d = t - seg.anchor;
    switch (this.mode) {
      case 2:
        return (seg.count - (d % seg.count)) % m;
      case 3:
        return squareWaveValue(seg, d) % m;
      default:
        return mod(seg.count - d, m);
    }
  }

  /** The count as the guest reads it: BCD-encoded in BCD mode. */
  rawValue(t: number): number {
    const v = this.value(t);
    return this.bcd ? toBcd(v) : v;
  }

  /** The OUT pin at tick t. */
  out(t: number): boolean {
    this.settle(t);
    const seg = this.seg;
    if (seg === null) return this.idleOut;
    if (!this.running) return this.mode === 2 || this.mode === 3 ? true : this.heldOut;
    if (t < seg.anchor) return seg.outBefore;
    const d = t - seg.anchor;
    switch (this.mode) {
      case 0:
        return seg.tcDone || d >= seg.count;
      case 1:
        return seg.tcDone || d >= seg.count;
      case 2:
        return d % seg.count !== seg.count - 1;
      case 3:
        return squareWavePosition(seg, d) < Math.ceil(seg.count / 2);
      default:
        // Modes 4 and 5: one clock low at terminal count.
        return seg.tcDone || d !== seg.count;
    }
  }

  nullCount(t: number): boolean {
    return t < this.transferTick;
  }

  /** The first tick after `after` at which OUT rises, or null if it never does without a new write. */
  nextRiseAfter(after: number): number | null {
    if (this.seg === null || !this.running) return null;
    const pending = this.pending;
    const r = segmentRise(this.mode, this.seg, after);
    if (pending === null) return r;
    if (r !== null && r <= pending.anchor) return r;
    return segmentRise(this.mode, pending, Math.max(after, pending.anchor));
  }

  /** A control word selecting this counter with a non-zero access mode. */
  program(t: number, modeBits: number, access: number, bcd: boolean): void {
    this.held = this.value(t);
    this.modeBits = modeBits;
    this.mode = modeBits > 5 ? modeBits - 4 : modeBits;
    this.access = access;
    this.bcd = bcd;
    this.seg = null;
    this.pending = null;
    this.running = false;
    this.idleOut = this.mode !== 0;
    this.writeHigh = false;
    this.readHigh = false;
    this.latchedCount = null;
    this.latchedStatus = null;
    this.reloadValid = false;
    this.transferTick = Number.POSITIVE_INFINITY;
  }

  latchCount(t: number): void {
    if (this.latchedCount !== null) return;
    this.latchedCount = this.rawValue(t);
    this.latchedBytesLeft = this.access === 3 ? 2 : 1;
  }

  latchStatus(t: number): void {
    if (this.latchedStatus !== null) return;
    this.latchedStatus =
      (this.out(t) ? 0x80 : 0) |
      (this.nullCount(t) ? 0x40 : 0) |
      (this.access << 4) |
      (this.modeBits << 1) |
      (this.bcd ? 1 : 0);
  }

  readByte(t: number): number {
    if (this.latchedStatus !== null) {
      const status = this.latchedStatus;
      this.latchedStatus = null;
      return status;
    }
    let value: number;
    if (this.latchedCount !== null) {
      value = this.latchedCount;
      if (--this.latchedBytesLeft === 0) this.latchedCount = null;
    } else {
      value = this.rawValue(t);
    }
    return this.pickByte(value);
  }

  private pickByte(value: number): number {
    if (this.access === 1) return value & 0xff;
    if (this.access === 2) return (value >> 8) & 0xff;
    const high = this.readHigh;
    this.readHigh = !high;
    return high ? (value >> 8) & 0xff : value & 0xff;
  }

  writeByte(t: number, byte: number): void {
    if (this.access !== 3) {
      this.loadCount(t, this.access === 1 ? byte : byte << 8);
      return;
    }
    if (!this.writeHigh) {
      this.writeHigh = true;
      this.pendingLsb = byte;
      if (this.mode === 0) {
        // Mode 0: the first byte stops counting and drives OUT low at once.
        this.held = this.value(t);
        this.seg = null;
        this.pending = null;
        this.running = false;
        this.idleOut = false;
      }
      return;
    }
    this.writeHigh = false;
    this.loadCount(t, this.pendingLsb | (byte << 8));
  }

  /** A complete count was written to the count register. */
  private loadCount(t: number, raw: number): void {
    const m = this.modulus;
    const n = mod(this.bcd ? fromBcd(raw) : raw, m) || m;
    this.reload = n;
    this.reloadValid = true;
    switch (this.mode) {
      case 0:
      case 4: {
        const outBefore = this.mode === 0 ? false : this.out(t);
        this.held = this.value(t);
        this.pending = null;
        this.seg = { anchor: t + 1, count: n, tcDone: false, startLow: false, outBefore };
        this.transferTick = t + 1;
        this.running = this.gate;
        if (!this.gate) {
          this.held = n % m;
          this.heldOut = outBefore;
        }
        return;
      }
      case 1:
      case 5:
        // Takes effect at the next trigger.
        this.transferTick = Number.POSITIVE_INFINITY;
        return;
      default:
        this.loadPeriodicCount(t, n);
        return;
    }
  }

  /** Modes 2 and 3: a first count starts counting; a later one waits for the end of the (half-)period. */
  private loadPeriodicCount(t: number, n: number): void {
    this.settle(t);
    const seg = this.seg;
    if (seg !== null && t < seg.anchor) {
      // Rewritten before the previous count was even loaded: that load takes the new value.
      seg.count = n;
      return;
    }
    if (seg !== null && this.running) {
      const d = t - seg.anchor;
      let boundary: number;
      let startLow = false;
      if (this.mode === 2) {
        boundary = t + (seg.count - (d % seg.count));
      } else {
        const half = Math.ceil(seg.count / 2);
        const p = squareWavePosition(seg, d);
        if (p < half) {
          boundary = t + (half - p);
          startLow = true;
        } else {
          boundary = t + (seg.count - p);
        }
      }
      this.pending = { anchor: boundary, count: n, tcDone: false, startLow, outBefore: true };
      this.transferTick = boundary;
      return;
    }
    if (seg !== null) {
      // Gate low: the next rising edge of the gate reloads from the count register.
      this.transferTick = Number.POSITIVE_INFINITY;
      return;
    }
    this.held = this.value(t);
    this.seg = { anchor: t + 1, count: n, tcDone: false, startLow: false, outBefore: true };
    this.transferTick = t + 1;
    this.running = this.gate;
    if (!this.gate) this.held = n % this.modulus;
  }

  setGate(t: number, level: boolean): void {
    if (level === this.gate) return;
    this.settle(t);
    this.gate = level;
    const seg = this.seg;
    if (level) {
      switch (this.mode) {
        case 0:
        case 4:
          if (seg !== null && !this.running) {
            // Counting resumes from the held value; a count not yet loaded still loads on its own tick.
            seg.anchor = Math.max(seg.anchor, t);
            seg.outBefore = this.heldOut;
            this.running = true;
          }
          return;
        default:
          // Modes 1, 2, 3, 5: a rising edge (re)loads the count register on the next clock.
          if (!this.reloadValid) return;
          this.restartFromReload(t);
          return;
      }
    }
    switch (this.mode) {
      case 0:
      case 4:
        if (seg !== null && this.running) this.pause(t, seg);
        return;
      case 2:
      case 3:
        if (seg !== null) {
          this.held = this.value(t);
          this.running = false;
          if (this.pending !== null) {
            this.pending = null;
            this.transferTick = Number.POSITIVE_INFINITY;
          }
        }
        return;
      default:
        return;
    }
  }

  private restartFromReload(t: number): void {
    const outBefore = this.mode === 2 || this.mode === 3 ? true : this.out(t);
    this.held = this.value(t);
    this.seg = { anchor: t + 1, count: this.reload, tcDone: false, startLow: false, outBefore };
    this.pending = null;
    this.running = true;
    if (this.transferTick > t + 1) this.transferTick = t + 1;
  }

  /** Modes 0 and 4 with GATE going low: the counting element holds its value until GATE rises. */
  private pause(t: number, seg: Segment): void {
    const m = this.modulus;
    this.heldOut = this.out(t);
    if (t >= seg.anchor) {
      const left = seg.count - (t - seg.anchor);
      if (seg.tcDone) {
        seg.count = mod(left, m);
      } else if (left <= 0) {
        seg.tcDone = true;
        seg.count = mod(left, m);
        // A mode 4 pulse in progress ends with the pause (mode 0 is already high here).
        this.heldOut = true;
      } else {
        seg.count = left;
      }
    }
    this.held = seg.count % m;
    this.running = false;
  }

  describe(t: number): PitChannelState {
    return {
      mode: this.mode,
      access: this.access,
      bcd: this.bcd,
      reload: this.reloadValid ? this.reload : null,
      count: this.rawValue(t),
      out: this.out(t),
      gate: this.gate,
      nullCount: this.nullCount(t),
    };
  }
}

/** Mode 3: position within the period of N, where 0..ceil(N/2)-1 is the high half. */
function squareWavePosition(seg: Segment, d: number): number {
  const offset = seg.startLow ? Math.ceil(seg.count / 2) : 0;
  return (d + offset) % seg.count;
}

/**
 * Mode 3 counting-element value: N is loaded at each half-period boundary and counts down by two; with an
 * odd N the first clock of the high half takes one off and the first of the low half three (datasheet).
 */
function squareWaveValue(seg: Segment, d: number): number {
  const n = seg.count;
  const half = Math.ceil(n / 2);
  const odd = n % 2 === 1;
  const p = squareWavePosition(seg, d);
  if (p < half) return p === 0 ? n : n - 2 * p + (odd ? 1 : 0);
  const q = p - half;
  return q === 0 ? n : n - 2 * q - (odd ? 1 : 0);
}

/** The first rising edge of OUT at a tick after `after` within `seg` (ignoring later writes). */
function segmentRise(mode: number, seg: Segment, after: number): number | null {
  const n = seg.count;
  switch (mode) {
    case 0:
    case 1: {
      if (seg.tcDone) return null;
      const r = seg.anchor + n;
      return r > after ? r : null;
    }
    case 4:
    case 5: {
      if (seg.tcDone) return null;
      const r = seg.anchor + n + 1;
      return r > after ? r : null;
    }
    case 2: {
      if (n < 2) return null;
      const k = after < seg.anchor ? 1 : Math.floor((after - seg.anchor) / n) + 1;
      return seg.anchor + k * n;
    }
    default: {
      if (n < 2) return null;
      // Rising edges where the position wraps to 0: anchor - offset + k·N for k >= 1.
      const offset = seg.startLow ? Math.ceil(n / 2) : 0;
      const base = seg.anchor - offset;
      const k = Math.max(1, Math.floor((after - base) / n) + 1);
      return base + k * n;
    }
  }
}

export interface Pit8254Options {
  /** Where OUT0 goes: IRQ0 of the interrupt controller. Default: nowhere (no events are scheduled). */
  irq0?: IrqLine;
}

/** The 8254 as a port device at 0x40-0x43. */
export class Pit8254 implements PortDevice {
  private readonly counters: [PitCounter, PitCounter, PitCounter];
  private readonly irq0: IrqLine | null;
  /** Tick of the next OUT0 rising edge still to be delivered to IRQ0. */
  private nextEdgeTick: number | null = null;
  private timer: TimerId | null = null;

  constructor(
    private readonly clock: MachineClock,
    options: Pit8254Options = {},
  ) {
    // GATE0 and GATE1 are tied high on a PC; GATE2 starts low (port 0x61 bit 0 clear after reset).
    this.counters = [new PitCounter(true), new PitCounter(true), new PitCounter(false)];
    this.irq0 = options.irq0 ?? null;
  }

  /** Input-clock ticks since machine time 0. */
  ticksNow(): number {
    return pitTicksAt(this.clock.nowNs());
  }

  readPort(port: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(port + i) << (8 * i);
    return value >>> 0;
  }

  writePort(port: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte(port + i, (value >>> (8 * i)) & 0xff);
  }

  /** Drives GATE of a counter (only GATE2 is wired to anything on a PC: port 0x61 bit 0). */
  setGate(channel: number, level: boolean): void {
    const counter = this.counter(channel);
    this.mutate(channel, (t) => counter.setGate(t, level));
  }

  gateLevel(channel: number): boolean {
    return this.counter(channel).gate;
  }

  /** The OUT pin of a counter now. */
  outputLevel(channel: number): boolean {
    const t = this.ticksNow();
    if (channel === 0) this.deliverEdges(t);
    return this.counter(channel).out(t);
  }

  /** A snapshot of one counter now. */
  describe(channel: number): PitChannelState {
    const t = this.ticksNow();
    if (channel === 0) this.deliverEdges(t);
    return this.counter(channel).describe(t);
  }

  private counter(channel: number): PitCounter {
    const c = Number.isInteger(channel) ? this.counters[channel] : undefined;
    if (c === undefined) throw new PitError(`PIT channel ${channel} does not exist (0-2)`);
    return c;
  }

  private readByte(port: number): number {
    const index = port - PIT_BASE_PORT;
    if (index < 0 || index > 2) return 0xff;
    const t = this.ticksNow();
    if (index === 0) this.deliverEdges(t);
    return this.counters[index as 0 | 1 | 2].readByte(t);
  }

  private writeByte(port: number, byte: number): void {
    const index = port - PIT_BASE_PORT;
    if (index === 3) {
      this.writeControl(byte);
      return;
    }
    if (index < 0 || index > 2) return;
    const counter = this.counters[index as 0 | 1 | 2];
    this.mutate(index, (t) => counter.writeByte(t, byte));
  }

  private writeControl(byte: number): void {
    const select = byte >> 6;
    const t = this.ticksNow();
    this.deliverEdges(t);
    if (select === READ_BACK) {
      const latchCount = (byte & 0x20) === 0;
      const latchStatus = (byte & 0x10) === 0;
      for (let i = 0; i < 3; i++) {
        if ((byte & (2 << i)) === 0) continue;
        const counter = this.counters[i as 0 | 1 | 2];
        // Status first so that it reports the state before any count latch (they are simultaneous).
        if (latchStatus) counter.latchStatus(t);
        if (latchCount) counter.latchCount(t);
      }
      return;
    }
    const counter = this.counters[select as 0 | 1 | 2];
    const access = (byte >> 4) & 3;
    if (access === 0) {
      counter.latchCount(t);
      return;
    }
    this.mutate(select, (now) => counter.program(now, (byte >> 1) & 7, access, (byte & 1) === 1));
  }

  /**
   * Applies a change to a counter. For counter 0, edges already due are delivered first, a rise of OUT0
   * caused by the change itself is delivered as an edge, and the next edge is rescheduled.
   */
  private mutate(channel: number, change: (t: number) => void): void {
    const t = this.ticksNow();
    const counter = this.counter(channel);
    if (channel !== 0 || this.irq0 === null) {
      change(t);
      return;
    }
    this.deliverEdges(t);
    const before = counter.out(t);
    change(t);
    counter.settle(t);
    if (!before && counter.out(t)) pulse(this.irq0);
    this.nextEdgeTick = counter.nextRiseAfter(t);
    this.arm();
  }

  /** Delivers every OUT0 rising edge at or before tick t that has not been delivered yet. */
  private deliverEdges(t: number): void {
    const line = this.irq0;
    if (line === null) return;
    const counter = this.counters[0];
    while (this.nextEdgeTick !== null && this.nextEdgeTick <= t) {
      pulse(line);
      this.nextEdgeTick = counter.nextRiseAfter(this.nextEdgeTick);
    }
    counter.settle(t);
  }

  private arm(): void {
    if (this.timer !== null) {
      this.clock.cancel(this.timer);
      this.timer = null;
    }
    if (this.nextEdgeTick === null) return;
    this.timer = this.clock.schedule(pitTickTimeNs(this.nextEdgeTick), (nowNs) => {
      this.timer = null;
      this.deliverEdges(pitTicksAt(nowNs));
      this.arm();
    });
  }
}
