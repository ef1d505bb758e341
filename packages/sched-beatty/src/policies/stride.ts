/**
 * Stride scheduling (Waldspurger and Weihl, "Stride Scheduling: Deterministic Proportional-Share Resource
 * Management", MIT/LCS/TM-528, 1995).
 *
 * Each client holds tickets (its weight) and a stride = STRIDE1 / tickets (integer division, as in the
 * paper). The client with the minimum pass runs; running for u ticks advances its pass by stride * u.
 * Equal passes go in FIFO order: a client re-entering the queue goes behind the others with the same pass.
 *
 * Dynamic operation follows the paper: a global pass advances by global_stride = STRIDE1 / total tickets
 * per tick of service; a new client starts with pass = global_pass + stride (its `remain` is one stride);
 * a client that blocks saves remain = pass - global_pass and rejoins at global_pass + remain; a ticket
 * change scales remain by new_stride / old_stride. `remove` drops the client.
 *
 * STRIDE1 = 2^32 makes the truncation of stride at most w / 2^32 relative (at most 2^-12 for the largest
 * weight). Passes stay below 2^53: all passes are shifted down by the global pass when it passes 2^50 (the
 * order is unchanged). Complexity: O(log n) per operation.
 *
 * Known property, reproduced by the benchmark: without eligibility, a heavy client can run several quanta
 * ahead of its share while light clients wait, so the lag of basic stride grows with the number of
 * clients (the paper's hierarchical stride addresses this).
 */
import { CapacityError } from '../errors.js';
import { growFloat64 } from '../internal/grow.js';
import { WinnerTree } from '../internal/winner-tree.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';

export const STRIDE1 = 2 ** 32;
const REBASE_AT = 2 ** 50;

export class StrideScheduler<T> extends BaseScheduler<T> {
  readonly policy = 'stride' as const;
  private pass = new Float64Array(16);
  private stride = new Float64Array(16);
  private remain = new Float64Array(16);
  private readonly queue = new WinnerTree(16);
  private globalPass = 0;
  private seq = 0;

  protected grow(capacity: number): void {
    this.pass = growFloat64(this.pass, capacity);
    this.stride = growFloat64(this.stride, capacity);
    this.remain = growFloat64(this.remain, capacity);
    this.queue.ensureSlots(capacity);
  }

  protected enter(slot: number, reason: EnterReason): void {
    const stride = Math.floor(STRIDE1 / this.weight[slot]);
    this.stride[slot] = stride;
    if (reason !== 'unblock') this.remain[slot] = stride;
    this.pass[slot] = this.globalPass + this.remain[slot];
    this.queue.insert(slot, this.pass[slot], 1, this.seq++);
  }

  protected leave(slot: number, reason: LeaveReason): void {
    if (reason === 'block') this.remain[slot] = this.pass[slot] - this.globalPass;
    this.queue.remove(slot);
  }

  protected reweight(slot: number, oldWeight: number, newWeight: number): void {
    const remain = scaleRemain(this.pass[slot] - this.globalPass, oldWeight, newWeight);
    this.stride[slot] = Math.floor(STRIDE1 / newWeight);
    this.pass[slot] = this.globalPass + remain;
    this.queue.update(slot, this.pass[slot], 1, this.seq++);
  }

  protected reweightBlocked(slot: number, oldWeight: number, newWeight: number): void {
    this.remain[slot] =
      oldWeight === 0
        ? Math.floor(STRIDE1 / newWeight)
        : scaleRemain(this.remain[slot], oldWeight, newWeight);
  }

  protected forget(slot: number): void {
    this.remain[slot] = 0;
  }

  protected pickSlot(_now: number): number {
    return this.queue.top();
  }

  protected chargeSlot(slot: number, amount: number): void {
    const pass = this.pass[slot] + this.stride[slot] * amount;
    if (pass >= Number.MAX_SAFE_INTEGER) {
      throw new CapacityError('stride.charge: pass would exceed 2^53; charge in smaller amounts');
    }
    this.pass[slot] = pass;
    this.queue.update(slot, pass, 1, this.seq++);
    this.globalPass += Math.floor(STRIDE1 / this.totalWeight) * amount;
    if (this.globalPass >= REBASE_AT) this.rebase();
  }

  private rebase(): void {
    const B = this.globalPass;
    for (const s of this.queue.slots()) this.pass[s] -= B;
    this.queue.subtractScaled(B);
    this.globalPass = 0;
  }
}

/** remain * newStride / oldStride, exactly (the product can exceed 2^53, so through bigint: a rare path). */
function scaleRemain(remain: number, oldWeight: number, newWeight: number): number {
  const oldStride = BigInt(Math.floor(STRIDE1 / oldWeight));
  const newStride = BigInt(Math.floor(STRIDE1 / newWeight));
  const r = BigInt(remain);
  const q = (r * newStride) / oldStride; // truncates toward zero
  const floor = r * newStride < q * oldStride ? q - 1n : q;
  return Number(floor);
}
