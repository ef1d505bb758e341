/**
 * Lottery scheduling (Waldspurger and Weihl, OSDI 1994).
 *
 * Each client holds tickets (its weight). Every decision draws a ticket uniformly at random from all
 * tickets of the runnable clients and runs its holder, so a client wins with probability tickets / total.
 * Draws come from a seeded generator (xoshiro128**), so a run is reproducible from its seed.
 *
 * Compensation tickets, as in the paper: a client that used only a fraction f = used / quantum of its
 * quantum holds tickets / f until it next wins, so clients that yield early (I/O-bound) still receive their
 * share. Switch off with `compensation: false`.
 *
 * Blocking and unblocking keep nothing: a lottery has no memory. Complexity: O(log n) per operation (a
 * Fenwick tree over ticket counts; the draw walks it once). Total tickets stay below 2^52 (weights <= 2^20,
 * total weight <= 2^32, compensation at most x quantum <= 2^20), so draws are exact.
 */
import { Fenwick } from '../internal/fenwick.js';
import { MAX_AMOUNT } from '../limits.js';
import { SeededRandom } from '../random.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';
import { booleanOption, checkOptions, integerOption } from '../validate.js';

export interface LotteryOptions {
  /** Seed of the draws (default 1). */
  seed?: number;
  /** Quantum in ticks, for compensation tickets (default 1). */
  quantum?: number;
  /** Grant compensation tickets to clients that used part of a quantum (default true). */
  compensation?: boolean;
}

export class LotteryScheduler<T> extends BaseScheduler<T> {
  readonly policy = 'lottery' as const;
  readonly seed: number;
  readonly quantum: number;
  readonly compensation: boolean;
  private readonly tickets = new Fenwick(16);
  private readonly random: SeededRandom;

  constructor(options?: LotteryOptions) {
    super();
    const opts = checkOptions('LotteryScheduler', options);
    this.seed = integerOption(
      'LotteryScheduler',
      opts,
      'seed',
      1,
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    );
    this.quantum = integerOption('LotteryScheduler', opts, 'quantum', 1, 1, MAX_AMOUNT);
    this.compensation = booleanOption('LotteryScheduler', opts, 'compensation', true);
    this.random = new SeededRandom(this.seed);
  }

  protected grow(capacity: number): void {
    this.tickets.ensureSlots(capacity);
  }

  protected enter(slot: number, _reason: EnterReason): void {
    this.tickets.set(slot, this.weight[slot]);
  }

  protected leave(slot: number, _reason: LeaveReason): void {
    this.tickets.set(slot, 0);
  }

  protected reweight(slot: number, _oldWeight: number, newWeight: number): void {
    this.tickets.set(slot, newWeight);
  }

  protected reweightBlocked(): void {}

  protected forget(): void {}

  protected pickSlot(_now: number): number {
    const slot = this.tickets.find(this.random.below(this.tickets.total));
    // The winner starts a new quantum: its compensation (if any) ends here.
    const w = this.weight[slot];
    if (this.tickets.get(slot) !== w) this.tickets.set(slot, w);
    return slot;
  }

  protected chargeSlot(slot: number, amount: number): void {
    const w = this.weight[slot];
    const inflated = this.compensation && amount < this.quantum ? Math.floor((w * this.quantum) / amount) : w;
    this.tickets.set(slot, inflated);
  }
}
