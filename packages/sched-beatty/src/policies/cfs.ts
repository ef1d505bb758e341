/**
 * CFS-style scheduling (Linux's Completely Fair Scheduler before EEVDF replaced it in 6.6).
 *
 * Each task has a load weight (nice 0 = 1024, about x1.25 per nice step: see nice.ts) and a vruntime that
 * grows by ticks * 1024 / weight while it runs. The task with the smallest vruntime runs; equal vruntimes
 * run in FIFO order, like the kernel's red-black tree. min_vruntime follows the smallest vruntime in the
 * queue (re-read after every change to the queue) and never decreases.
 *
 * Placement, as in the kernel's place_entity:
 *   - a new task starts at min_vruntime + vslice (START_DEBIT), where vslice = period * 1024 / W is the
 *     vruntime of one slice of the period: period = max(latency, nr_running * minGranularity);
 *   - a waking task resumes at max(its vruntime, min_vruntime - latency / 2) (GENTLE_FAIR_SLEEPERS), so a
 *     sleeper gets at most half a latency of credit;
 *   - a weight change keeps vruntime.
 * The simulator preempts at every quantum; the slice length itself only matters for placement here.
 *
 * Arithmetic: vruntime is an integer in units of 2^-16 tick of nice-0 time, and the division by the weight
 * keeps its remainder per task, so no rounding accumulates (the kernel truncates, which at nanosecond
 * resolution is negligible; at tick resolution it would not be). Values are shifted down by min_vruntime
 * when it passes 2^50. Complexity: O(log n) per operation.
 */

import { floorDiv } from '../internal/exact.js';
import { growFloat64, growUint8 } from '../internal/grow.js';
import { WinnerTree } from '../internal/winner-tree.js';
import { MAX_AMOUNT } from '../limits.js';
import { NICE_0_WEIGHT } from '../nice.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';
import { booleanOption, checkOptions, integerOption } from '../validate.js';

export interface CfsOptions {
  /** Target latency in ticks (default 24: Linux's 6 ms at 4 ticks per ms). */
  latency?: number;
  /** Minimum granularity in ticks (default 3: Linux's 0.75 ms at 4 ticks per ms). */
  minGranularity?: number;
  /** Start new tasks one vslice behind min_vruntime (default true). */
  startDebit?: boolean;
}

/** vruntime units per tick of nice-0 time. */
const UNIT = 2 ** 16;
const REBASE_AT = 2 ** 50;

export class CfsScheduler<T> extends BaseScheduler<T> {
  readonly policy = 'cfs' as const;
  readonly latency: number;
  readonly minGranularity: number;
  readonly startDebit: boolean;
  private vruntime = new Float64Array(16);
  private remainder = new Float64Array(16);
  private saved = new Float64Array(16);
  private hasSaved = new Uint8Array(16);
  private readonly tree = new WinnerTree(16);
  private minVruntime = 0;
  private seq = 0;

  constructor(options?: CfsOptions) {
    super();
    const opts = checkOptions('CfsScheduler', options);
    this.latency = integerOption('CfsScheduler', opts, 'latency', 24, 1, MAX_AMOUNT);
    this.minGranularity = integerOption('CfsScheduler', opts, 'minGranularity', 3, 1, MAX_AMOUNT);
    this.startDebit = booleanOption('CfsScheduler', opts, 'startDebit', true);
  }

  protected grow(capacity: number): void {
    this.vruntime = growFloat64(this.vruntime, capacity);
    this.remainder = growFloat64(this.remainder, capacity);
    this.saved = growFloat64(this.saved, capacity);
    this.hasSaved = growUint8(this.hasSaved, capacity);
    this.tree.ensureSlots(capacity);
  }

  protected enter(slot: number, reason: EnterReason): void {
    let v: number;
    if (reason !== 'unblock' || this.hasSaved[slot] === 0) {
      const period = Math.max(this.latency, this.contenders * this.minGranularity);
      const vslice = this.startDebit ? floorDiv(period * NICE_0_WEIGHT * UNIT, this.totalWeight) : 0;
      v = this.minVruntime + vslice;
      this.remainder[slot] = 0;
    } else {
      v = Math.max(this.saved[slot], this.minVruntime - (this.latency * UNIT) / 2);
    }
    this.hasSaved[slot] = 0;
    this.vruntime[slot] = v;
    this.tree.insert(slot, v, 1, this.seq++);
    this.advanceMin();
  }

  protected leave(slot: number, reason: LeaveReason): void {
    if (reason === 'block') {
      this.saved[slot] = this.vruntime[slot];
      this.hasSaved[slot] = 1;
    }
    this.tree.remove(slot);
    this.advanceMin();
  }

  protected reweight(slot: number, _oldWeight: number, newWeight: number): void {
    // vruntime is kept; the carried remainder was a fraction of the old weight, clamp it to the new one.
    this.remainder[slot] = Math.min(this.remainder[slot], newWeight - 1);
  }

  protected reweightBlocked(slot: number, _oldWeight: number, newWeight: number): void {
    this.remainder[slot] = Math.min(this.remainder[slot], newWeight - 1);
  }

  protected forget(slot: number): void {
    this.hasSaved[slot] = 0;
  }

  protected pickSlot(_now: number): number {
    return this.tree.top();
  }

  protected chargeSlot(slot: number, amount: number): void {
    const w = this.weight[slot];
    const scaled = amount * NICE_0_WEIGHT * UNIT + this.remainder[slot];
    const delta = floorDiv(scaled, w);
    this.remainder[slot] = scaled - delta * w;
    const v = this.vruntime[slot] + delta;
    this.vruntime[slot] = v;
    this.tree.update(slot, v, 1, this.seq++);
    this.advanceMin();
  }

  private advanceMin(): void {
    const top = this.tree.top();
    if (top >= 0 && this.vruntime[top] > this.minVruntime) this.minVruntime = this.vruntime[top];
    if (this.minVruntime >= REBASE_AT) this.rebase();
  }

  private rebase(): void {
    const B = this.minVruntime;
    for (const s of this.tree.slots()) this.vruntime[s] -= B;
    this.tree.subtractScaled(B);
    for (let s = 0; s < this.hasSaved.length; s++) if (this.hasSaved[s] === 1) this.saved[s] -= B;
    this.minVruntime = 0;
  }
}
