/**
 * A Fenwick (binary indexed) tree of non-negative integer ticket counts per slot: O(log n) update and
 * O(log n) "which slot holds ticket number r" by descending the implicit tree. Lottery scheduling draws a
 * ticket uniformly from [0, total) and runs its holder. Counts and the total stay below 2^53 (the lottery
 * policy checks this), so every sum is exact.
 */
export class Fenwick {
  total = 0;
  private tree: Float64Array; // 1-based
  private value: Float64Array;
  private topBit: number;

  constructor(slotCapacity = 16) {
    const cap = Math.max(4, slotCapacity);
    this.tree = new Float64Array(cap + 1);
    this.value = new Float64Array(cap);
    this.topBit = highestPowerOfTwoAtMost(cap);
  }

  ensureSlots(capacity: number): void {
    if (capacity <= this.value.length) return;
    let cap = this.value.length;
    while (cap < capacity) cap *= 2;
    const old = this.value;
    this.value = new Float64Array(cap);
    this.tree = new Float64Array(cap + 1);
    this.topBit = highestPowerOfTwoAtMost(cap);
    this.total = 0;
    // Rebuild in O(n): each node adds itself to its parent once.
    this.value.set(old);
    for (let i = 1; i <= cap; i++) {
      this.tree[i] += this.value[i - 1];
      const parent = i + (i & -i);
      if (parent <= cap) this.tree[parent] += this.tree[i];
    }
    for (let i = 0; i < old.length; i++) this.total += old[i];
  }

  get(slot: number): number {
    return this.value[slot];
  }

  set(slot: number, count: number): void {
    const delta = count - this.value[slot];
    if (delta === 0) return;
    this.value[slot] = count;
    this.total += delta;
    const n = this.value.length;
    for (let i = slot + 1; i <= n; i += i & -i) this.tree[i] += delta;
  }

  /** The slot s with prefix(s) <= r < prefix(s) + value(s), for 0 <= r < total. */
  find(r: number): number {
    let pos = 0;
    let rest = r;
    const n = this.value.length;
    for (let step = this.topBit; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.tree[next] <= rest) {
        pos = next;
        rest -= this.tree[next];
      }
    }
    return pos; // 0-based slot = (1-based index of the last prefix not exceeding r) + 1 - 1
  }
}

function highestPowerOfTwoAtMost(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
