/**
 * Round-robin: runnable tasks in FIFO order; the task at the head runs until it has been charged a full
 * quantum, then moves to the tail. A task that blocks loses the rest of its quantum and rejoins at the
 * tail. Weights are ignored (every runnable task of positive weight gets equal turns): round-robin is the
 * baseline that is not proportional-share. Complexity: O(1) per operation.
 */
import { growFloat64 } from '../internal/grow.js';
import { SlotList } from '../internal/slot-list.js';
import { MAX_AMOUNT } from '../limits.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';
import { checkOptions, integerOption } from '../validate.js';

export interface RoundRobinOptions {
  /** Quantum in ticks (default 1). */
  quantum?: number;
}

export class RoundRobinScheduler<T> extends BaseScheduler<T> {
  readonly policy = 'round-robin' as const;
  readonly quantum: number;
  private readonly queue = new SlotList(16);
  private used = new Float64Array(16);

  constructor(options?: RoundRobinOptions) {
    super();
    const opts = checkOptions('RoundRobinScheduler', options);
    this.quantum = integerOption('RoundRobinScheduler', opts, 'quantum', 1, 1, MAX_AMOUNT);
  }

  protected grow(capacity: number): void {
    this.queue.ensureSlots(capacity);
    this.used = growFloat64(this.used, capacity);
  }

  protected enter(slot: number, _reason: EnterReason): void {
    this.used[slot] = 0;
    this.queue.push(slot);
  }

  protected leave(slot: number, _reason: LeaveReason): void {
    this.queue.remove(slot);
  }

  protected reweight(): void {}

  protected reweightBlocked(): void {}

  protected forget(): void {}

  protected pickSlot(_now: number): number {
    return this.queue.first();
  }

  protected chargeSlot(slot: number, amount: number): void {
    const used = this.used[slot] + amount;
    if (used >= this.quantum) {
      this.used[slot] = 0;
      this.queue.rotateToTail(slot);
    } else {
      this.used[slot] = used;
    }
  }
}
