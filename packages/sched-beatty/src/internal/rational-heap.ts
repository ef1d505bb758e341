/**
 * An indexed 4-ary min-heap of task slots keyed by an exact rational `num / den` (den > 0) with a tie key.
 *
 * Why rational keys: the virtual times of the proportional-share policies are fractions with the task's
 * weight as denominator (service / weight). Comparing `a/b < c/d` as `a*d < c*b` keeps the order exact
 * without floating-point rounding; callers guarantee |num| * den < 2^53 so both products are exact.
 * Policies whose keys are integers use den = 1.
 *
 * Why a coarse key in front: every entry also stores k = floor(num * 2^scaleBits / den), an integer
 * computed once per insertion. floor is monotone, so k_a < k_b already proves a < b; only entries with
 * equal k need the exact cross-multiplication. Most comparisons are then one load and one compare. With
 * den = 1 and scaleBits = 0, k is the key itself. Callers guarantee |num| * 2^scaleBits < 2^53.
 *
 * Why a tie key: equal keys are common (equal weights joining together) and the order among them is part
 * of a policy's definition (FIFO for stride and CFS, the golden-ratio rank for Beatty). Tie keys must be
 * distinct so that the order is total and the result does not depend on heap layout.
 *
 * Layout: a 4-ary heap (half the depth of a binary one) whose entries are stored inline, four doubles
 * each (k, num, den, tie), so the four children of a node sit in two cache lines. The position of every
 * slot is tracked so that any slot can be removed or re-keyed in O(log n).
 */
import { floorDiv } from './exact.js';

const K = 0;
const NUM = 1;
const DEN = 2;
const TIE = 3;

export class RationalHeap {
  size = 0;
  private readonly scale: number;
  private data: Float64Array;
  private slotAt: Int32Array;
  private posOf: Int32Array;

  constructor(slotCapacity = 16, scaleBits = 0) {
    const cap = Math.max(4, slotCapacity);
    this.scale = 2 ** scaleBits;
    this.data = new Float64Array(4 * cap);
    this.slotAt = new Int32Array(cap);
    this.posOf = new Int32Array(cap).fill(-1);
  }

  /** Make room for slots 0..capacity-1. */
  ensureSlots(capacity: number): void {
    if (capacity <= this.posOf.length) return;
    let cap = this.posOf.length;
    while (cap < capacity) cap *= 2;
    const pos = new Int32Array(cap).fill(-1);
    pos.set(this.posOf);
    this.posOf = pos;
    const slotAt = new Int32Array(cap);
    slotAt.set(this.slotAt);
    this.slotAt = slotAt;
    const data = new Float64Array(4 * cap);
    data.set(this.data);
    this.data = data;
  }

  has(slot: number): boolean {
    return this.posOf[slot] >= 0;
  }

  /** Slot with the smallest key, or -1 when empty. */
  top(): number {
    return this.size > 0 ? this.slotAt[0] : -1;
  }

  /** The coarse key floor(num * 2^scaleBits / den) of the top entry (the heap must not be empty). */
  topCoarse(): number {
    return this.data[K];
  }

  /** The coarse key the heap would give to num / den. */
  coarse(num: number, den: number): number {
    return den === 1 ? num * this.scale : floorDiv(num * this.scale, den);
  }

  insert(slot: number, num: number, den: number, tie: number): void {
    const i = this.size++;
    this.siftUp(i, slot, this.coarse(num, den), num, den, tie);
  }

  /** Change the key of a slot already in the heap. */
  update(slot: number, num: number, den: number, tie: number): void {
    this.reposition(this.posOf[slot], slot, this.coarse(num, den), num, den, tie);
  }

  /** Remove and return the top slot (-1 when empty). */
  pop(): number {
    if (this.size === 0) return -1;
    const slot = this.slotAt[0];
    this.detach(0, slot);
    return slot;
  }

  remove(slot: number): void {
    const i = this.posOf[slot];
    if (i >= 0) this.detach(i, slot);
  }

  /** num -= den * b for every entry: a uniform shift of every key by -b, so the heap order is unchanged. */
  subtractScaled(b: number): void {
    const d = this.data;
    for (let i = 0; i < this.size; i++) {
      const o = 4 * i;
      d[o + NUM] -= d[o + DEN] * b;
      d[o + K] = this.coarse(d[o + NUM], d[o + DEN]);
    }
  }

  /** Slots currently in the heap, in heap order (not sorted). */
  slots(): number[] {
    return Array.from(this.slotAt.subarray(0, this.size));
  }

  private detach(i: number, slot: number): void {
    this.posOf[slot] = -1;
    const last = --this.size;
    if (i === last) return;
    const d = this.data;
    const o = 4 * last;
    this.reposition(i, this.slotAt[last], d[o + K], d[o + NUM], d[o + DEN], d[o + TIE]);
  }

  /** Put an entry at position i, moving it up or down as its key requires. */
  private reposition(i: number, slot: number, k: number, num: number, den: number, tie: number): void {
    if (i > 0) {
      const p = 4 * ((i - 1) >> 2);
      const d = this.data;
      const pk = d[p + K];
      if (k < pk || (k === pk && exactLess(num, den, tie, d[p + NUM], d[p + DEN], d[p + TIE]))) {
        this.siftUp(i, slot, k, num, den, tie);
        return;
      }
    }
    this.siftDown(i, slot, k, num, den, tie);
  }

  private place(i: number, slot: number, k: number, num: number, den: number, tie: number): void {
    const o = 4 * i;
    const d = this.data;
    d[o + K] = k;
    d[o + NUM] = num;
    d[o + DEN] = den;
    d[o + TIE] = tie;
    this.slotAt[i] = slot;
    this.posOf[slot] = i;
  }

  private move(from: number, to: number): void {
    const d = this.data;
    const f = 4 * from;
    const t = 4 * to;
    d[t + K] = d[f + K];
    d[t + NUM] = d[f + NUM];
    d[t + DEN] = d[f + DEN];
    d[t + TIE] = d[f + TIE];
    const slot = this.slotAt[from];
    this.slotAt[to] = slot;
    this.posOf[slot] = to;
  }

  private siftUp(i: number, slot: number, k: number, num: number, den: number, tie: number): void {
    const d = this.data;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const p = 4 * parent;
      const pk = d[p + K];
      if (k > pk || (k === pk && !exactLess(num, den, tie, d[p + NUM], d[p + DEN], d[p + TIE]))) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, slot, k, num, den, tie);
  }

  private siftDown(i: number, slot: number, k: number, num: number, den: number, tie: number): void {
    const d = this.data;
    const size = this.size;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= size) break;
      // Smallest of up to four children.
      let best = first;
      let bo = 4 * first;
      let bk = d[bo + K];
      const end = Math.min(first + 4, size);
      for (let c = first + 1; c < end; c++) {
        const co = 4 * c;
        const ck = d[co + K];
        if (
          ck < bk ||
          (ck === bk &&
            exactLess(d[co + NUM], d[co + DEN], d[co + TIE], d[bo + NUM], d[bo + DEN], d[bo + TIE]))
        ) {
          best = c;
          bo = co;
          bk = ck;
        }
      }
      if (bk > k || (bk === k && !exactLess(d[bo + NUM], d[bo + DEN], d[bo + TIE], num, den, tie))) break;
      this.move(best, i);
      i = best;
    }
    this.place(i, slot, k, num, den, tie);
  }
}

/** a/b < c/d exactly, ties by the tie key. */
function exactLess(a: number, b: number, ta: number, c: number, d: number, tc: number): boolean {
  const left = a * d;
  const right = c * b;
  return left < right || (left === right && ta < tc);
}
