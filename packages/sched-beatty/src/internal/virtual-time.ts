/**
 * Exact GPS virtual time and "earliest deadline among eligible tasks" selection, shared by the Beatty and
 * EEVDF policies (they differ only in the eligibility threshold and the tie rule, see their files).
 *
 * Representation. Time is counted in sub-ticks (SUBTICKS per tick: 10 fractional bits of fixed point, so a
 * join or weight change rounds by at most 1/1024 tick). Each contending task i of weight w_i holds an
 * integer E_i; its virtual eligible time is e_i = E_i / w_i and charging it a sub-ticks adds a to E_i, so
 * e_i advances by a / w_i as in GPS. The system virtual time is the weighted mean
 *
 *     V = (sum of E_i) / (sum of w_i) = SE / W,
 *
 * so the lags l_i = w_i * (V - e_i) = w_i * V - E_i (in sub-ticks of service owed to the task) always sum
 * to exactly zero. Charging any task a sub-ticks advances V by a / W, which is GPS virtual time. A task
 * that leaves with lag l shifts V by l / (W - w_i), which is EEVDF's leave rule; keeping V as a mean gets it
 * for free and without rounding.
 *
 * Every rational is compared exactly by cross-multiplying integers. Bounds that keep the products exact
 * (below 2^53) with w <= 2^20, W <= 2^32 and a request R <= 2^30 sub-ticks: every E_i is shifted down by
 * w_i * B, B the integer part of V, once 2^32 sub-ticks (2^22 ticks) have been charged since the last shift
 * (a "rebase": a uniform shift of every virtual time, so no order changes). In between, E_i stays within
 * w_i / W * 2^32 <= 2^32 of w_i * B plus the task's lag (a few quanta), so |E_i| < 2^33 - 2^31, |E_i + R|
 * < 2^33 and (E_i + R) * w < 2^53; SE, the sum, stays below 2^32 + 2^31 and w * SE below 2^53. A task
 * whose lag would break these bounds (lags of 2^31 sub-ticks) is rejected with a CapacityError rather
 * than mis-scheduled. Quotients come from `floorDiv`, which is exact.
 *
 * Data structures. Tasks are grouped by weight (weight-classes.ts); within a class the order by e, by
 * deadline and by tie key coincide, so only each class's head competes. Class heads live in two priority
 * queues (winner-tree.ts): `ready` holds the heads known to have been eligible, keyed by virtual deadline
 * (E + R) / w; `pending` holds the others, keyed by eligible time E / w. pickNext moves the newly eligible
 * heads from pending to ready and returns ready's top. A ready head that is no longer eligible (its task
 * was charged, or V moved backwards when a task left owing service) stays in ready until it reaches the
 * top, and is sent back to pending then. With many classes its deadline is far behind the top and V
 * passes its eligible time first, so a decision is most often one re-keying in `ready`. The result is
 * exactly the eligible task with the earliest deadline, ties by the policy's rule (`headTie` between
 * classes, the tie key within one). Cost per operation: O(log C) for C distinct weights, plus O(1) in a
 * class when tasks are charged whole quanta and O(log) otherwise.
 */
import { CapacityError } from '../errors.js';
import { BaseScheduler, type EnterReason, type LeaveReason } from '../scheduler.js';
import { floorDiv } from './exact.js';
import { growFloat64 } from './grow.js';
import { WinnerTree } from './winner-tree.js';
import { WeightClasses } from './weight-classes.js';
import { wideFields } from './wide-fields.js';

/** Fixed-point resolution: sub-ticks per tick. */
export const SUBTICKS = 1024;
const REBASE_AFTER = 2 ** 32;
const MAGNITUDE_LIMIT = 2 ** 33 - 2 ** 31;
// Queue coarse keys floor(x * 2^19 / w): |x| < 2^33 keeps x * 2^19 below 2^53.
const COARSE_BITS = 19;
const COARSE = 2 ** COARSE_BITS;
// Fields of the per-slot record (see `rec`).
const E_AT = 0;
const TIE_AT = 1;
const HEAD_AT = 2;
const LAG_AT = 3;

export abstract class VirtualTimeScheduler<T> extends BaseScheduler<T> {
  /** Request size R in sub-ticks: the deadline is one request past the eligible time. */
  protected readonly request: number;
  /** Eligibility threshold is V + lookahead / W (Beatty: one request; EEVDF: 0). */
  protected readonly lookahead: number;
  /** Eligible when e < threshold (strict) or e <= threshold. */
  protected readonly strict: boolean;

  /**
   * Per-slot record of four numbers, together so that one task's fields share a cache line: E, the tie
   * key, the head tie key (headTie(tie, weight), kept current when the weight changes, off the hot path)
   * and the lag saved while blocked.
   */
  private rec = new Float64Array(4 * 16);
  /** SE, W and the sub-ticks charged since the last rebase (see wide-fields.ts for why not fields). */
  private readonly sums = wideFields(3);
  private get sumE(): number {
    return this.sums[0] as number;
  }
  private set sumE(value: number) {
    this.sums[0] = value;
  }
  private get W(): number {
    return this.sums[1] as number;
  }
  private set W(value: number) {
    this.sums[1] = value;
  }
  private get sinceRebase(): number {
    return this.sums[2] as number;
  }
  private set sinceRebase(value: number) {
    this.sums[2] = value;
  }
  private readonly classes = new WeightClasses(this.rec);
  private readonly ready = new WinnerTree(16, COARSE_BITS);
  private readonly pending = new WinnerTree(16, COARSE_BITS);

  protected constructor(requestTicks: number, lookahead: boolean) {
    super();
    this.request = requestTicks * SUBTICKS;
    this.lookahead = lookahead ? this.request : 0;
    this.strict = lookahead;
  }

  /** Tie key of a task being added (distinct per add); orders tasks of equal weight and equal keys. */
  protected abstract tieKeyForAdd(slot: number): number;

  /**
   * Tie key of a class head in the queues (heads of different classes have different weights). Only
   * consulted when two heads' deadlines (or eligible times) are exactly equal.
   */
  protected abstract headTie(tie: number, weight: number): number;

  protected admit(slot: number): void {
    this.rec[4 * slot + TIE_AT] = this.tieKeyForAdd(slot);
  }

  protected grow(capacity: number): void {
    this.rec = growFloat64(this.rec, 4 * capacity);
    this.classes.bind(this.rec);
    this.ready.ensureSlots(capacity);
    this.pending.ensureSlots(capacity);
  }

  protected enter(slot: number, reason: EnterReason): void {
    const w = this.weight[slot];
    if (reason !== 'unblock') this.rec[4 * slot + LAG_AT] = 0;
    const lag = this.rec[4 * slot + LAG_AT];
    // Choose E so that the task's lag right after joining is `lag` (a fresh task: 0). With V' the mean
    // after the join, w * V' - E = lag solves to E = w * (SE - lag) / W - lag (W, SE before the join);
    // rounding E down rounds the lag up by less than one sub-tick. A task alone has lag 0 by definition.
    const E = this.W > 0 ? floorDiv(w * (this.sumE - lag), this.W) - lag : 0;
    this.rec[4 * slot + E_AT] = E;
    this.sumE += E;
    this.W += w;
    this.join(slot, w);
    this.checkMagnitude(slot);
  }

  protected leave(slot: number, reason: LeaveReason): void {
    const w = this.weight[slot];
    const E = this.rec[4 * slot + E_AT];
    if (reason === 'block') {
      // Lag now, w * SE / W - E, rounded down (towards owing) to a whole sub-tick.
      this.rec[4 * slot + LAG_AT] = floorDiv(w * this.sumE, this.W) - E;
    }
    this.sumE -= E;
    this.W -= w;
    if (this.W === 0) {
      this.sumE = 0;
      this.sinceRebase = 0;
    }
    this.part(slot);
  }

  protected reweight(slot: number, oldWeight: number, newWeight: number): void {
    // Keep the task's lag and V unchanged: E' = w' * V - lag, with lag = w * V - E.
    const lag = floorDiv(oldWeight * this.sumE, this.W) - this.rec[4 * slot + E_AT];
    const E = floorDiv(newWeight * this.sumE, this.W) - lag;
    this.part(slot);
    this.sumE += E - this.rec[4 * slot + E_AT];
    this.W += newWeight - oldWeight;
    this.rec[4 * slot + E_AT] = E;
    this.join(slot, newWeight);
    this.checkMagnitude(slot);
  }

  protected reweightBlocked(slot: number, oldWeight: number, _newWeight: number): void {
    // Lag is service in sub-ticks, independent of the weight; a task that was background had none.
    if (oldWeight === 0) this.rec[4 * slot + LAG_AT] = 0;
  }

  protected forget(slot: number): void {
    this.rec[4 * slot + LAG_AT] = 0;
  }

  protected pickSlot(_now: number): number {
    const W = this.W;
    const x = this.sumE + this.lookahead;
    const { pending, ready, classes, rec } = this;
    // Eligibility threshold V_end = x / W, as the coarse integer floor(x * 2^19 / W) (the queues' coarse
    // scale). A candidate's e = E / w compares against it by one multiplication: E * 2^19 < thr * w means
    // floor(e * 2^19) < thr, so e < V_end; E * 2^19 >= (thr + 1) * w means e > V_end. Only the band in
    // between needs the exact test.
    const thr = pending.coarse(x, W);
    while (pending.size > 0) {
      const top = pending.topCoarse();
      if (top > thr) break;
      const c = pending.top();
      const o = 4 * classes.head(c);
      const w = classes.weightOf(c);
      if (top === thr && !this.eligibleExact(rec[o + E_AT], w, x, W)) break;
      pending.pop();
      ready.insert(c, rec[o + E_AT] + this.request, w, rec[o + HEAD_AT]);
    }
    for (;;) {
      const c = ready.top();
      const h = classes.head(c);
      const w = classes.weightOf(c);
      const E = rec[4 * h + E_AT];
      const scaled = E * COARSE;
      if (scaled < thr * w) return h;
      if (scaled < (thr + 1) * w && this.eligibleExact(E, w, x, W)) return h;
      // Ineligible after a membership change moved V back: return the class to pending.
      ready.pop();
      pending.insert(c, E, w, rec[4 * h + HEAD_AT]);
    }
  }

  protected chargeSlot(slot: number, amount: number): void {
    const a = amount * SUBTICKS;
    const classes = this.classes;
    const c = classes.classOf(slot);
    const oldHead = classes.head(c);
    const E = this.rec[4 * slot + E_AT] + a;
    this.rec[4 * slot + E_AT] = E;
    this.sumE += a;
    // The class's candidate changes if the charged task was it, or (a charge of another member that lands
    // in the class heap cannot overtake the head, since its key only grew) never otherwise.
    if (classes.reinsert(slot) !== oldHead || oldHead === slot) this.refresh(c);
    this.sinceRebase += a;
    if (this.sinceRebase >= REBASE_AFTER) this.rebase();
    if (E >= MAGNITUDE_LIMIT || this.sumE >= MAGNITUDE_LIMIT) this.checkMagnitude(slot);
  }

  /** Add a contending slot (E set) to its class and the class to the queues. */
  private join(slot: number, w: number): void {
    this.rec[4 * slot + HEAD_AT] = this.headTie(this.rec[4 * slot + TIE_AT], w);
    const c = this.classes.insert(slot, w);
    if (this.classes.size(c) === 1) {
      this.pending.insert(c, this.rec[4 * slot + E_AT], w, this.rec[4 * slot + HEAD_AT]);
    } else if (this.classes.head(c) === slot) {
      this.refresh(c);
    }
  }

  /** Take a slot out of its class; drop the class from the queues if it empties. */
  private part(slot: number): void {
    const c = this.classes.classOf(slot);
    const wasHead = this.classes.head(c) === slot;
    this.classes.remove(slot);
    if (this.classes.size(c) === 0) {
      this.ready.remove(c);
      this.pending.remove(c);
    } else if (wasHead) {
      this.refresh(c);
    }
  }

  /**
   * A class's head changed: re-key it where it is. A ready class whose new head is not eligible stays in
   * ready for now; pickNext checks the ready top and moves it to pending when it gets there.
   */
  private refresh(c: number): void {
    const h = this.classes.head(c);
    const w = this.classes.weightOf(c);
    const key = this.rec[4 * h + HEAD_AT];
    if (this.ready.has(c)) this.ready.update(c, this.rec[4 * h + E_AT] + this.request, w, key);
    else this.pending.update(c, this.rec[4 * h + E_AT], w, key);
  }

  /**
   * Exactly whether e = E / w is below the threshold x / W (or at most, for a non-strict rule): compare
   * the integer parts, then the fractions er / w and vr / W by cross-multiplication (er < w <= 2^20 and
   * vr < W <= 2^32, so the products are below 2^53).
   */
  private eligibleExact(E: number, w: number, x: number, W: number): boolean {
    const eq = floorDiv(E, w);
    const vq = floorDiv(x, W);
    if (eq !== vq) return eq < vq;
    const left = (E - eq * w) * W;
    const right = (x - vq * W) * w;
    return this.strict ? left < right : left <= right;
  }

  /** Subtract the integer part of V from every virtual time; keys shift uniformly, so no order changes. */
  private rebase(): void {
    const B = floorDiv(this.sumE, this.W);
    this.sinceRebase = 0;
    if (B === 0) return;
    this.classes.forEachSlot((s) => {
      this.rec[4 * s + E_AT] -= this.weight[s] * B;
    });
    this.ready.subtractScaled(B);
    this.pending.subtractScaled(B);
    this.sumE -= this.W * B;
  }

  private checkMagnitude(slot: number): void {
    if (Math.abs(this.rec[4 * slot + E_AT]) < MAGNITUDE_LIMIT && Math.abs(this.sumE) < MAGNITUDE_LIMIT)
      return;
    this.rebase();
    if (Math.abs(this.rec[4 * slot + E_AT]) >= MAGNITUDE_LIMIT || Math.abs(this.sumE) >= MAGNITUDE_LIMIT) {
      throw new CapacityError(
        `${this.policy}: a task's lag exceeds 2^31 sub-ticks (2^21 ticks); exact arithmetic cannot continue`,
      );
    }
  }
}
