/**
 * The local APIC timer: a 32-bit down-counter clocked by the APIC's timer input (the processor's bus or
 * core crystal clock) through a divider, with three modes selected by LVT timer bits 18:17:
 *
 * - one-shot (00): writing the initial-count register starts the count; it reaches zero once, the timer
 *   expires once, and the current count stays 0;
 * - periodic (01): at zero the count reloads from the initial count and counting goes on, so the timer
 *   expires every `initial count × divisor` input clocks;
 * - TSC-deadline (10): the counter is unused; the timer expires when the time-stamp counter reaches the
 *   value written to IA32_TSC_DEADLINE (`writeTscDeadline`), which is then cleared.
 *
 * The count is not stepped: it is computed from the MachineClock whenever it is read, and expiries are
 * scheduled on that clock at the exact time the count reaches zero. Periodic expiries sit at
 * `origin + k × period` for whole k, computed afresh each time rather than accumulated, so they do not
 * drift over any number of periods. The timer input frequency is a constructor option (default 100 MHz,
 * i.e. 10 ns per input clock at divide-by-1); it is derived from the same clock as RDTSC, the PIT and the
 * RTC, so all of them agree.
 *
 * Modelled: divide configuration (1..128), writing initial count 0 to stop, one-shot/periodic switching
 * while counting (the count carries on under the new mode), entering or leaving TSC-deadline mode disarms
 * the timer. The LVT mask is not the timer's business: the timer keeps counting and expiring while
 * masked, and the local APIC decides whether an expiry becomes an interrupt.
 *
 * Not modelled: the phase within the current input clock is lost when the divider changes mid-count (the
 * count restarts its current tick from that moment). Expiries that pass while nobody calls the clock's
 * `runDue` (a host that stops running the machine) are merged into one, as the IRR would merge them.
 */
import type { MachineClock, TimerId } from './machine-clock';

/** Timer mode, as encoded in LVT timer bits 18:17. */
export const ApicTimerMode = { OneShot: 0, Periodic: 1, TscDeadline: 2 } as const;
export type ApicTimerMode = (typeof ApicTimerMode)[keyof typeof ApicTimerMode];

/** Default timer input frequency: 100 MHz, one count every 10 ns at divide-by-1. */
export const APIC_TIMER_DEFAULT_HZ = 100_000_000;

export interface ApicTimerOptions {
  clock: MachineClock;
  /** Called each time the timer expires (count reached zero, or the TSC deadline passed). */
  onExpire: () => void;
  /** Timer input frequency in Hz (default APIC_TIMER_DEFAULT_HZ). */
  frequencyHz?: number;
}

export class ApicTimerError extends Error {
  override name = 'ApicTimerError';
}

/** Divide-configuration bits 3,1:0 (bit 2 reserved) → divisor: 000 = 2, 001 = 4, ..., 110 = 128, 111 = 1. */
function divisorOf(config: number): number {
  const code = ((config >> 1) & 4) | (config & 3);
  return code === 7 ? 1 : 2 << code;
}

export class ApicTimer {
  readonly frequencyHz: number;
  private readonly clock: MachineClock;
  private readonly onExpire: () => void;

  private timerMode: ApicTimerMode = ApicTimerMode.OneShot;
  private divideConfig = 0;
  private divisor = 2;
  private initial = 0;
  /** Whether the counter is counting (one-shot before zero, periodic with a non-zero initial count). */
  private counting = false;
  /** Machine time at which the count held `originCount`; tick j of the count happens at originNs + j·tickNs. */
  private originNs = 0;
  private originCount = 0;
  private scheduled: TimerId | null = null;
  private deadline = 0n;

  constructor(options: ApicTimerOptions) {
    this.clock = options.clock;
    this.onExpire = options.onExpire;
    this.frequencyHz = options.frequencyHz ?? APIC_TIMER_DEFAULT_HZ;
    if (!(this.frequencyHz > 0) || !Number.isFinite(this.frequencyHz)) {
      throw new ApicTimerError(`timer frequency must be a positive number of Hz, got ${this.frequencyHz}`);
    }
  }

  get mode(): ApicTimerMode {
    return this.timerMode;
  }

  /** The divide-configuration register as software reads it (bits 3, 1 and 0). */
  get divideConfiguration(): number {
    return this.divideConfig;
  }

  get initialCount(): number {
    return this.initial;
  }

  /** Nanoseconds per count at the current divisor. */
  get nsPerCount(): number {
    return (this.divisor * 1e9) / this.frequencyHz;
  }

  /** Whether an expiry is pending (counting, or a TSC deadline armed). */
  get armed(): boolean {
    return this.scheduled !== null;
  }

  /** LVT timer bits 18:17 changed. Switching into or out of TSC-deadline mode disarms the timer. */
  setMode(mode: ApicTimerMode): void {
    if (mode === this.timerMode) return;
    const deadlineSwitch = mode === ApicTimerMode.TscDeadline || this.timerMode === ApicTimerMode.TscDeadline;
    if (deadlineSwitch) {
      this.stop();
      this.initial = 0;
      this.deadline = 0n;
      this.timerMode = mode;
      return;
    }
    // One-shot <-> periodic: the count carries on from where it is, under the new rule at zero.
    const remaining = this.currentCount();
    this.timerMode = mode;
    if (this.counting && remaining > 0) this.restartFrom(remaining);
  }

  /** Writes the divide-configuration register; a running count continues at the new rate. */
  writeDivideConfiguration(value: number): void {
    const remaining = this.currentCount();
    this.divideConfig = value & 0b1011;
    this.divisor = divisorOf(this.divideConfig);
    if (this.counting && remaining > 0) this.restartFrom(remaining);
  }

  /** Writes the initial-count register: starts counting from `value`, or stops the timer when it is 0. */
  writeInitialCount(value: number): void {
    if (this.timerMode === ApicTimerMode.TscDeadline) return; // ignored in TSC-deadline mode (SDM)
    this.initial = value >>> 0;
    this.stop();
    if (this.initial !== 0) this.restartFrom(this.initial);
  }

  /** The current-count register, computed from the machine clock. */
  currentCount(): number {
    if (!this.counting) return 0;
    const ticks = this.ticksAt(this.clock.nowNs());
    if (ticks < this.originCount) return this.originCount - ticks;
    if (this.timerMode === ApicTimerMode.Periodic)
      return this.initial - ((ticks - this.originCount) % this.initial);
    return 0;
  }

  /** IA32_TSC_DEADLINE as software reads it: 0 outside TSC-deadline mode and after the timer fired. */
  readTscDeadline(): bigint {
    return this.timerMode === ApicTimerMode.TscDeadline ? this.deadline : 0n;
  }

  /**
   * A write to IA32_TSC_DEADLINE (ignored outside TSC-deadline mode). 0 disarms; a deadline already
   * passed expires at once.
   */
  writeTscDeadline(value: bigint): void {
    if (this.timerMode !== ApicTimerMode.TscDeadline) return;
    this.stop();
    this.deadline = BigInt.asUintN(64, value);
    if (this.deadline === 0n) return;
    if (this.clock.tsc() >= this.deadline) {
      this.deadline = 0n;
      this.onExpire();
      return;
    }
    this.scheduleDeadline();
  }

  private scheduleDeadline(): void {
    // The first instant at which floor(now · tscHz / 1e9) >= deadline.
    const atNs = (Number(this.deadline) * 1e9) / this.clock.tscHz;
    this.scheduled = this.clock.schedule(atNs, () => {
      this.scheduled = null;
      if (this.clock.tsc() < this.deadline) {
        this.scheduleDeadline(); // rounding put the deadline a fraction early: wait for the TSC
        return;
      }
      this.deadline = 0n;
      this.onExpire();
    });
  }

  private stop(): void {
    if (this.scheduled !== null) this.clock.cancel(this.scheduled);
    this.scheduled = null;
    this.counting = false;
  }

  /** Starts a count of `count` now; the first expiry is `count` ticks away. */
  private restartFrom(count: number): void {
    if (this.scheduled !== null) this.clock.cancel(this.scheduled);
    this.originNs = this.clock.nowNs();
    this.originCount = count;
    this.counting = true;
    this.scheduleExpiryAtTick(count);
  }

  private tickTime(tick: number): number {
    return this.originNs + tick * this.nsPerCount;
  }

  /** The number of whole ticks since the origin at time `now` (exact at tick boundaries). */
  private ticksAt(now: number): number {
    let j = Math.max(0, Math.floor((now - this.originNs) / this.nsPerCount));
    // The division can land one off at an exact boundary; the tick times themselves decide.
    while (this.tickTime(j + 1) <= now) j++;
    while (j > 0 && this.tickTime(j) > now) j--;
    return j;
  }

  private scheduleExpiryAtTick(tick: number): void {
    this.scheduled = this.clock.schedule(this.tickTime(tick), (now) => this.expire(now));
  }

  private expire(now: number): void {
    this.scheduled = null;
    if (this.timerMode === ApicTimerMode.Periodic) {
      // The next zero after `now`: whole periods past the first zero, so expiries never drift.
      const sinceFirst = this.ticksAt(now) - this.originCount;
      const periods = Math.floor(sinceFirst / this.initial) + 1;
      this.scheduleExpiryAtTick(this.originCount + periods * this.initial);
    } else {
      this.counting = false;
    }
    this.onExpire();
  }
}
