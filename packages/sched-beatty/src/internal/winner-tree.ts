/**
 * A priority queue of slots keyed by an exact rational `num / den` (den > 0) with a tie key, kept as a
 * winner tree (a tournament): the queue under every policy that orders tasks by a virtual time.
 *
 * Why rational keys: the virtual times of the proportional-share policies are fractions with the task's
 * weight as denominator (service / weight). Comparing `a/b < c/d` as `a*d < c*b` keeps the order exact
 * without floating-point rounding; callers guarantee |num| * den < 2^53 so both products are exact.
 * Policies whose keys are integers use den = 1.
 *
 * Why a coarse key in front: every node also stores k = floor(num * 2^scaleBits / den) of its winner, an
 * integer computed exactly once per change (callers guarantee |num| * 2^scaleBits < 2^53). floor is
 * monotone, so k_a < k_b already proves a < b; only equal k need the exact cross-multiplication. With
 * den = 1 and scaleBits = 0, k is the key itself.
 *
 * Why a tie key: equal keys are common (equal weights joining together) and the order among them is part
 * of a policy's definition (FIFO for stride and CFS, the golden-ratio rank for Beatty). Tie keys must be
 * distinct, so the order is total and the top does not depend on the tree's layout or on the order of
 * changes.
 *
 * Why a tournament rather than a heap: the commonest change is "the top entry's key grew" (the task that
 * just ran moves its virtual time on). A heap sinks that entry level by level, choosing the smallest
 * child at each level: several data-dependent branches per level that the processor cannot predict. A
 * winner tree keeps every slot at a fixed leaf, and every inner node holds the smaller of its two
 * children, so a change replays one leaf-to-root path with one comparison per level. For the same
 * sequence of changes on 10 000 keys this took about half the time of a 4-ary heap; the README's
 * benchmark section gives the effect on whole decisions. A change that leaves a node's winner as it was
 * stops there, since nothing above can change either.
 *
 * Size: the tree has a leaf for each slot number below a power of two that covers the largest slot ever
 * inserted (not the capacity announced by `ensureSlots`), so that a few small slot numbers (weight
 * classes are numbered from 0) make a shallow tree. Empty leaves hold +Infinity. Every operation is
 * O(log n) for slot numbers below n; `subtractScaled` and growth are O(n).
 */
import { floorDiv } from './exact.js';
import { growFloat64 } from './grow.js';

const EMPTY = -1;
// Per-slot exact key.
const NUM = 0;
const DEN = 1;
const TIE = 2;

export class WinnerTree {
  size = 0;
  private readonly scale: number;
  /** Leaves: slot s is node leaves + s; node 1 is the root, node i's children are 2i and 2i + 1. */
  private leaves = 1;
  /** Coarse key of each node's winner (+Infinity when its subtree is empty). */
  private key = new Float64Array(2).fill(Number.POSITIVE_INFINITY);
  /** Each node's winning slot (EMPTY when its subtree is empty). */
  private winner = new Int32Array(2).fill(EMPTY);
  /** num, den and tie of each slot in the tree. */
  private exact: Float64Array;

  constructor(slotCapacity = 16, scaleBits = 0) {
    this.scale = 2 ** scaleBits;
    this.exact = new Float64Array(3 * Math.max(1, slotCapacity));
  }

  /** Make room for slots 0..capacity-1 (the tree itself grows with the largest slot inserted). */
  ensureSlots(capacity: number): void {
    if (3 * capacity <= this.exact.length) return;
    let cap = this.exact.length / 3;
    while (cap < capacity) cap *= 2;
    this.exact = growFloat64(this.exact, 3 * cap);
  }

  has(slot: number): boolean {
    return slot < this.leaves && this.winner[this.leaves + slot] !== EMPTY;
  }

  /** Slot with the smallest key, or -1 when empty. */
  top(): number {
    return this.winner[1];
  }

  /** The coarse key floor(num * 2^scaleBits / den) of the top entry (the tree must not be empty). */
  topCoarse(): number {
    return this.key[1];
  }

  /** The coarse key the tree would give to num / den. */
  coarse(num: number, den: number): number {
    return den === 1 ? num * this.scale : floorDiv(num * this.scale, den);
  }

  insert(slot: number, num: number, den: number, tie: number): void {
    if (slot >= this.leaves) this.growTo(slot);
    this.size++;
    this.set(slot, num, den, tie);
  }

  /** Change the key of a slot already in the tree (nothing to do when the key is the same). */
  update(slot: number, num: number, den: number, tie: number): void {
    const o = 3 * slot;
    const exact = this.exact;
    if (exact[o + NUM] === num && exact[o + DEN] === den && exact[o + TIE] === tie) return;
    this.set(slot, num, den, tie);
  }

  /** Remove and return the top slot (-1 when empty). */
  pop(): number {
    const slot = this.winner[1];
    if (slot !== EMPTY) this.remove(slot);
    return slot;
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.size--;
    const leaf = this.leaves + slot;
    this.key[leaf] = Number.POSITIVE_INFINITY;
    this.winner[leaf] = EMPTY;
    this.replay(leaf);
  }

  /** num -= den * b for every entry: a uniform shift of every key by -b, so the order is unchanged. */
  subtractScaled(b: number): void {
    const { exact, key, winner, leaves } = this;
    for (let s = 0; s < leaves; s++) {
      if (winner[leaves + s] === EMPTY) continue;
      exact[3 * s + NUM] -= exact[3 * s + DEN] * b;
      key[leaves + s] = this.coarse(exact[3 * s + NUM], exact[3 * s + DEN]);
    }
    this.rebuild();
  }

  /** Slots currently in the tree, in slot order. */
  slots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.leaves; s++) if (this.winner[this.leaves + s] !== EMPTY) out.push(s);
    return out;
  }

  private set(slot: number, num: number, den: number, tie: number): void {
    const o = 3 * slot;
    const exact = this.exact;
    exact[o + NUM] = num;
    exact[o + DEN] = den;
    exact[o + TIE] = tie;
    const leaf = this.leaves + slot;
    this.key[leaf] = this.coarse(num, den);
    this.winner[leaf] = slot;
    this.replay(leaf);
  }

  /**
   * Recompute the winners on the path from a changed leaf to the root. A node whose winner and coarse key
   * come out as before ends the walk, unless that winner is the changed slot itself: its exact key may
   * have moved within the same coarse key, which can change comparisons further up. When the changed
   * slot was the overall winner, every node on its path had it as winner, so the walk goes to the root
   * without that test (the common case: the task that just ran). The walk is written out twice on
   * purpose: one loop with a flag for the stopping test made a Beatty decision with all weights distinct
   * about 5 % slower (141 against 148 ns, alternating runs), and so did a shared comparison helper.
   */
  private replay(node: number): void {
    const { key, winner } = this;
    const changed = node - this.leaves;
    let i = node;
    let k = key[i];
    let s = winner[i];
    if (winner[1] === changed) {
      while (i > 1) {
        const sibling = i ^ 1;
        const sk = key[sibling];
        if (sk < k || (sk === k && sk !== Number.POSITIVE_INFINITY && this.before(winner[sibling], s))) {
          k = sk;
          s = winner[sibling];
        }
        i >>= 1;
        key[i] = k;
        winner[i] = s;
      }
      return;
    }
    while (i > 1) {
      const sibling = i ^ 1;
      const sk = key[sibling];
      if (sk < k || (sk === k && sk !== Number.POSITIVE_INFINITY && this.before(winner[sibling], s))) {
        k = sk;
        s = winner[sibling];
      }
      i >>= 1;
      if (winner[i] === s && key[i] === k && s !== changed) return;
      key[i] = k;
      winner[i] = s;
    }
  }

  /** Exact order of two slots with equal coarse keys: num / den, then the tie key. */
  private before(a: number, b: number): boolean {
    const e = this.exact;
    const left = e[3 * a + NUM] * e[3 * b + DEN];
    const right = e[3 * b + NUM] * e[3 * a + DEN];
    return left < right || (left === right && e[3 * a + TIE] < e[3 * b + TIE]);
  }

  /** Double the leaves until slot fits, keeping every entry. */
  private growTo(slot: number): void {
    let leaves = this.leaves;
    while (leaves <= slot) leaves *= 2;
    const key = new Float64Array(2 * leaves).fill(Number.POSITIVE_INFINITY);
    const winner = new Int32Array(2 * leaves).fill(EMPTY);
    key.set(this.key.subarray(this.leaves, 2 * this.leaves), leaves);
    winner.set(this.winner.subarray(this.leaves, 2 * this.leaves), leaves);
    this.leaves = leaves;
    this.key = key;
    this.winner = winner;
    this.ensureSlots(leaves);
    this.rebuild();
  }

  /** Recompute every inner node from the leaves. */
  private rebuild(): void {
    const { key, winner } = this;
    for (let i = this.leaves - 1; i >= 1; i--) {
      const l = 2 * i;
      const r = l + 1;
      const takeRight =
        key[r] < key[l] ||
        (key[r] === key[l] && key[r] !== Number.POSITIVE_INFINITY && this.before(winner[r], winner[l]));
      key[i] = takeRight ? key[r] : key[l];
      winner[i] = takeRight ? winner[r] : winner[l];
    }
  }
}
