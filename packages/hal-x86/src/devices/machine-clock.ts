/**
 * The one clock of the machine. Every timer device (PIT, local APIC timer, RTC) and RDTSC reads its time
 * here, so they always agree.
 *
 * Virtual mode (the default) is deterministic: time is the number of retired guest instructions times
 * `nsPerInstruction` (1 ns by default, i.e. a 1 GHz machine that retires one instruction per cycle), plus
 * whatever idle time was skipped while the CPU was halted (`idleUntil`). The same program with the same
 * inputs sees the same times on every run and every host.
 *
 * Host mode reads the host's monotonic clock instead, for interactive use where guest timers should follow
 * the wall clock.
 *
 * Devices schedule callbacks at absolute deadlines; whoever runs the vCPU asks `instructionsUntilNextEvent()`
 * for a run budget that stops at the next deadline and then calls `runDue()`.
 */

export type ClockMode = 'virtual' | 'host';

export interface MachineClockOptions {
  /** 'virtual' (deterministic, default) or 'host' (monotonic host time). */
  mode?: ClockMode;
  /** Virtual nanoseconds per retired instruction (default 1). */
  nsPerInstruction?: number;
  /** Reads the retired-instruction count (normally `() => cpu.instret`); default: the clock's own counter. */
  instructions?: () => number;
  /** Host mode only: monotonic host time in ns (default `performance.now()`). */
  hostNowNs?: () => number;
  /** Frequency of the time-stamp counter in Hz (default 1 GHz, so one TSC tick per virtual ns). */
  tscHz?: number;
}

/** The handle `schedule` returns; pass it to `cancel`. */
export type TimerId = number;

interface TimerEvent {
  readonly at: number;
  readonly seq: number;
  readonly id: TimerId;
  readonly fire: (nowNs: number) => void;
}

export class ClockError extends Error {
  override name = 'ClockError';
}

export class MachineClock {
  readonly mode: ClockMode;
  readonly nsPerInstruction: number;
  readonly tscHz: number;
  private readonly instructions: () => number;
  private readonly hostNowNs: () => number;
  private readonly hostStart: number;
  /** Virtual mode: ns added by idle skips. */
  private skippedNs = 0;
  /** Own instruction counter, when no CPU counter was given. */
  private ownInstructions = 0;
  private readonly heap: TimerEvent[] = [];
  private readonly live = new Set<TimerId>();
  private nextSeq = 0;
  /**
   * Called when `schedule` makes the next deadline earlier, so whoever runs the vCPU can cut short a run
   * whose budget was computed before the event existed (see PcPlatform).
   */
  onEarlierDeadline: ((atNs: number) => void) | null = null;

  constructor(options: MachineClockOptions = {}) {
    this.mode = options.mode ?? 'virtual';
    if (this.mode !== 'virtual' && this.mode !== 'host')
      throw new ClockError(`unknown clock mode ${String(this.mode)}`);
    this.nsPerInstruction = options.nsPerInstruction ?? 1;
    if (!(this.nsPerInstruction > 0) || !Number.isFinite(this.nsPerInstruction)) {
      throw new ClockError(`nsPerInstruction must be a positive number, got ${this.nsPerInstruction}`);
    }
    this.tscHz = options.tscHz ?? 1e9;
    if (!(this.tscHz > 0) || !Number.isFinite(this.tscHz))
      throw new ClockError(`tscHz must be positive, got ${this.tscHz}`);
    this.instructions = options.instructions ?? (() => this.ownInstructions);
    this.hostNowNs = options.hostNowNs ?? (() => performance.now() * 1e6);
    this.hostStart = this.hostNowNs();
  }

  /** Machine time in nanoseconds since the clock was created. */
  nowNs(): number {
    if (this.mode === 'host') return this.hostNowNs() - this.hostStart;
    return this.instructions() * this.nsPerInstruction + this.skippedNs;
  }

  /** The time-stamp counter RDTSC returns: nowNs scaled to `tscHz`. */
  tsc(): bigint {
    return BigInt(Math.floor((this.nowNs() * this.tscHz) / 1e9));
  }

  /** Advances the clock's own instruction counter (when it was created without a CPU counter). */
  advanceInstructions(count: number): void {
    this.ownInstructions += count;
  }

  /**
   * Idle time: the CPU is halted until `ns`. Virtual time jumps forward (never backward); host time simply
   * passes on its own, so this is a no-op there.
   */
  idleUntil(ns: number): void {
    if (this.mode === 'virtual') {
      const now = this.nowNs();
      if (ns > now) this.skippedNs += ns - now;
    }
  }

  /** Calls `fire(nowNs)` once machine time reaches `atNs` (from the next `runDue`). */
  schedule(atNs: number, fire: (nowNs: number) => void): TimerId {
    if (Number.isNaN(atNs)) throw new ClockError('timer deadline is NaN');
    const earlier = this.onEarlierDeadline !== null && atNs < this.nextDeadlineNs();
    const id = this.nextSeq++;
    this.push({ at: atNs, seq: id, id, fire });
    this.live.add(id);
    if (earlier) this.onEarlierDeadline?.(atNs);
    return id;
  }

  /** Cancels a scheduled callback; cancelling one that already fired or was cancelled does nothing. */
  cancel(id: TimerId): void {
    this.live.delete(id);
  }

  /** The earliest pending deadline, or Infinity when nothing is scheduled. */
  nextDeadlineNs(): number {
    this.dropCancelled();
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : (this.heap[0] as TimerEvent).at;
  }

  /**
   * How many instructions the vCPU may retire before the next deadline (at least 1), or `max` when nothing
   * is due sooner. In host mode the answer is `hostSlice` (the host clock does not follow instructions).
   */
  instructionsUntilNextEvent(max: number, hostSlice = 100_000): number {
    if (this.mode === 'host') return Math.max(1, Math.min(max, hostSlice));
    return Math.max(1, Math.min(max, this.instructionsUntil(this.nextDeadlineNs())));
  }

  /** Virtual mode: instructions to retire before machine time reaches `ns` (Infinity for Infinity). */
  instructionsUntil(ns: number): number {
    const dt = ns - this.nowNs();
    if (dt === Number.POSITIVE_INFINITY) return dt;
    return Math.max(0, Math.ceil(dt / this.nsPerInstruction));
  }

  /** Fires every callback whose deadline has passed, earliest first (ties in scheduling order). */
  runDue(): number {
    let fired = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined) return fired;
      const now = this.nowNs();
      if (top.at > now) return fired;
      this.pop();
      this.live.delete(top.id);
      top.fire(now);
      fired++;
    }
  }

  /** Number of scheduled, uncancelled callbacks. */
  get pending(): number {
    return this.live.size;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.live.has((this.heap[0] as TimerEvent).id)) this.pop();
  }

  private static before(a: TimerEvent, b: TimerEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: TimerEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!MachineClock.before(h[i] as TimerEvent, h[parent] as TimerEvent)) break;
      [h[i], h[parent]] = [h[parent] as TimerEvent, h[i] as TimerEvent];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as TimerEvent;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && MachineClock.before(h[l] as TimerEvent, h[m] as TimerEvent)) m = l;
      if (r < h.length && MachineClock.before(h[r] as TimerEvent, h[m] as TimerEvent)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as TimerEvent, h[i] as TimerEvent];
      i = m;
    }
  }
}
