/**
 * Static priority with optional aging. The weight is the priority: larger runs first. Tasks of equal
 * priority take turns: a task that has been charged a full quantum goes behind the others of its level.
 *
 * Aging (option `aging` = A ticks per level, 0 = off): a waiting task's effective priority is
 * p + (now - t) / A, where t is when it last stopped running (or became runnable). The comparison
 * p_i + (now - t_i) / A > p_j + (now - t_j) / A does not depend on `now`, so the queue is keyed by
 * t - p * A and needs no re-sorting as time passes: O(log n) per operation. With aging every waiting task
 * eventually overtakes any fixed priority, so nothing starves; without it, a low-priority task starves
 * while a higher one is runnable (that is the policy, and the tests check it).
 *
 * Weight 0 is background, as for every policy (see scheduler.ts): below priority 1 and never aged.
 */
import { growFloat64 } from '../internal/grow.js';
import { WinnerTree } from '../internal/winner-tree.js';
import { MAX_AMOUNT } from '../limits.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';
import { checkOptions, integerOption } from '../validate.js';

export interface PriorityOptions {
  /** Ticks of waiting per priority level gained; 0 (default) disables aging. */
  aging?: number;
  /** Quantum in ticks for turns within a level (default 1). */
  quantum?: number;
}

export class PriorityScheduler<T> extends BaseScheduler<T> {
  readonly policy = 'priority' as const;
  readonly aging: number;
  readonly quantum: number;
  private readonly queue = new WinnerTree(16);
  private since = new Float64Array(16);
  private used = new Float64Array(16);
  private seq = 0;

  constructor(options?: PriorityOptions) {
    super();
    const opts = checkOptions('PriorityScheduler', options);
    this.aging = integerOption('PriorityScheduler', opts, 'aging', 0, 0, MAX_AMOUNT);
    this.quantum = integerOption('PriorityScheduler', opts, 'quantum', 1, 1, MAX_AMOUNT);
  }

  protected grow(capacity: number): void {
    this.queue.ensureSlots(capacity);
    this.since = growFloat64(this.since, capacity);
    this.used = growFloat64(this.used, capacity);
  }

  protected enter(slot: number, _reason: EnterReason): void {
    this.since[slot] = this.clock;
    this.used[slot] = 0;
    this.queue.insert(slot, this.key(slot), 1, this.seq++);
  }

  protected leave(slot: number, _reason: LeaveReason): void {
    this.queue.remove(slot);
  }

  protected reweight(slot: number): void {
    this.queue.update(slot, this.key(slot), 1, this.seq++);
  }

  protected reweightBlocked(): void {}

  protected forget(): void {}

  protected pickSlot(_now: number): number {
    return this.queue.top();
  }

  protected chargeSlot(slot: number, amount: number): void {
    if (this.aging > 0) {
      // It ran from the clock of the last decision for `amount` ticks; it waits from then on.
      this.since[slot] = this.clock + amount;
      this.queue.update(slot, this.key(slot), 1, this.seq++);
      return;
    }
    const used = this.used[slot] + amount;
    if (used >= this.quantum) {
      this.used[slot] = 0;
      this.queue.update(slot, this.key(slot), 1, this.seq++);
    } else {
      this.used[slot] = used;
    }
  }

  private key(slot: number): number {
    return this.aging > 0 ? this.since[slot] - this.weight[slot] * this.aging : -this.weight[slot];
  }
}
