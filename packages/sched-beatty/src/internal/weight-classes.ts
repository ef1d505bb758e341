/**
 * Contending tasks grouped by weight, each group ordered by (E, tie).
 *
 * Why: the Beatty and EEVDF rules compare tasks by E / w. Inside one weight class the denominator is the
 * same, so the order is just (E, tie), and the class's first task is the only candidate the class can
 * offer (earliest eligible time and earliest deadline at once). A scheduler then chooses among class heads
 * only: O(log C) for C distinct weights instead of O(log n) for n tasks. Real systems use few weights
 * (Linux has 40 nice levels), so C is small; in the worst case C = n and nothing is lost asymptotically.
 *
 * Inside a class, a task charged a full quantum moves behind the others (its E grows past theirs), so the
 * common update is "unlink the first, append at the end". Each class therefore keeps a sorted
 * doubly-linked list (O(1) append and unlink), and an entry that would not go at the end (a partial charge,
 * a join with lag) goes into a small per-class binary heap instead (O(log) per operation). The class head
 * is the smaller of the list's first entry and the heap's top. Links and heap positions are per-slot
 * arrays shared by all classes, so a class costs only a few numbers.
 *
 * Layout: the keys are read from the scheduler's per-slot records (E at 4 * slot, tie at 4 * slot + 1),
 * and a slot's links (next, prev, class, where) sit together in one 16-byte record. Tasks run in rank
 * order, which is scattered over the slots; keeping each slot's hot fields in one or two cache lines
 * instead of one line per array is what keeps large task sets fast. For the same reason a class's list
 * ends, size and heap length sit together in one 16-byte record, and a class's heap array is read only
 * when that length is not zero (with all weights distinct there are as many classes as tasks, and an
 * array object per class read on every decision was a cache miss each time).
 */
import { growFloat64, growInt32 } from './grow.js';

const NONE = 0;
const IN_LIST = 1;
const IN_HEAP = 2;

// Per-slot link record.
const NEXT = 0;
const PREV = 1;
const CLASS = 2;
const WHERE = 3;

// Per-class record.
const FIRST = 0;
const LAST = 1;
const COUNT = 2;
const HEAP_LENGTH = 3;

export class WeightClasses {
  /** The scheduler's per-slot records: E at 4 * slot, tie at 4 * slot + 1 (rebound when it grows them). */
  private keys: Float64Array;

  private link: Int32Array;
  private heapPos: Int32Array;

  private classWeight = new Float64Array(4);
  /** Per-class record: first and last of the list, member count, heap length. */
  private classRec = new Int32Array(4 * 4);
  private readonly heap: number[][] = [];
  private classCount = 0;
  private readonly idOfWeight = new Map<number, number>();
  private readonly freeIds: number[] = [];

  constructor(keys: Float64Array) {
    this.keys = keys;
    const cap = keys.length / 4;
    this.link = newLinks(cap);
    this.heapPos = new Int32Array(cap);
  }

  /** Rebind the key records after the scheduler grew them, and grow the per-slot arrays. */
  bind(keys: Float64Array): void {
    this.keys = keys;
    const cap = keys.length / 4;
    if (4 * cap <= this.link.length) return;
    const link = newLinks(cap);
    link.set(this.link);
    this.link = link;
    this.heapPos = growInt32(this.heapPos, cap);
  }

  classOf(slot: number): number {
    return this.link[4 * slot + CLASS];
  }

  weightOf(cls: number): number {
    return this.classWeight[cls];
  }

  size(cls: number): number {
    return this.classRec[4 * cls + COUNT];
  }

  /** The class's first task by (E, tie). The class must not be empty. */
  head(cls: number): number {
    const a = this.classRec[4 * cls + FIRST];
    if (this.classRec[4 * cls + HEAP_LENGTH] === 0) return a;
    const h = this.heap[cls];
    if (a < 0) return h[0];
    return this.less(h[0], a) ? h[0] : a;
  }

  /** Add a slot (its E and tie already set) to the class of weight w; returns the class id. */
  insert(slot: number, w: number): number {
    let cls = this.idOfWeight.get(w);
    if (cls === undefined) {
      cls = this.freeIds.pop() ?? this.newClassId();
      this.classWeight[cls] = w;
      const o = 4 * cls;
      this.classRec[o + FIRST] = -1;
      this.classRec[o + LAST] = -1;
      this.classRec[o + COUNT] = 0;
      this.classRec[o + HEAP_LENGTH] = 0;
      this.idOfWeight.set(w, cls);
    }
    this.link[4 * slot + CLASS] = cls;
    this.place(cls, slot);
    return cls;
  }

  /** Re-place a slot whose key changed, within its class; returns the class's new head. */
  reinsert(slot: number): number {
    const cls = this.link[4 * slot + CLASS];
    // A class of one (every class, when all weights differ) has nothing to reorder.
    if (this.classRec[4 * cls + COUNT] === 1) return slot;
    this.detach(cls, slot);
    this.place(cls, slot);
    return this.head(cls);
  }

  /** Remove a slot; a class left empty is released (its id may be reused). Returns the class id. */
  remove(slot: number): number {
    const cls = this.link[4 * slot + CLASS];
    this.detach(cls, slot);
    this.link[4 * slot + CLASS] = -1;
    if (this.classRec[4 * cls + COUNT] === 0) {
      this.idOfWeight.delete(this.classWeight[cls]);
      this.freeIds.push(cls);
    }
    return cls;
  }

  /** Every slot in every class. */
  forEachSlot(fn: (slot: number) => void): void {
    for (const cls of this.idOfWeight.values()) {
      for (let s = this.classRec[4 * cls + FIRST]; s >= 0; s = this.link[4 * s + NEXT]) fn(s);
      for (let i = 0; i < this.classRec[4 * cls + HEAP_LENGTH]; i++) fn(this.heap[cls][i]);
    }
  }

  private less(a: number, b: number): boolean {
    const k = this.keys;
    const ea = k[4 * a];
    const eb = k[4 * b];
    return ea < eb || (ea === eb && k[4 * a + 1] < k[4 * b + 1]);
  }

  private newClassId(): number {
    const cls = this.classCount++;
    if (cls >= this.classWeight.length) {
      this.classWeight = growFloat64(this.classWeight, 2 * this.classWeight.length);
      this.classRec = growInt32(this.classRec, 2 * this.classRec.length);
    }
    return cls;
  }

  private place(cls: number, slot: number): void {
    const c = 4 * cls;
    const classRec = this.classRec;
    classRec[c + COUNT]++;
    const link = this.link;
    const o = 4 * slot;
    const tail = classRec[c + LAST];
    if (tail < 0 || this.less(tail, slot)) {
      link[o + WHERE] = IN_LIST;
      link[o + NEXT] = -1;
      link[o + PREV] = tail;
      if (tail < 0) classRec[c + FIRST] = slot;
      else link[4 * tail + NEXT] = slot;
      classRec[c + LAST] = slot;
      return;
    }
    link[o + WHERE] = IN_HEAP;
    let h = this.heap[cls];
    if (h === undefined) {
      h = [];
      this.heap[cls] = h;
    }
    h.push(slot);
    classRec[c + HEAP_LENGTH] = h.length;
    this.heapUp(h, h.length - 1);
  }

  private detach(cls: number, slot: number): void {
    const c = 4 * cls;
    const classRec = this.classRec;
    classRec[c + COUNT]--;
    const link = this.link;
    const o = 4 * slot;
    if (link[o + WHERE] === IN_LIST) {
      const n = link[o + NEXT];
      const p = link[o + PREV];
      if (p < 0) classRec[c + FIRST] = n;
      else link[4 * p + NEXT] = n;
      if (n < 0) classRec[c + LAST] = p;
      else link[4 * n + PREV] = p;
    } else {
      const h = this.heap[cls];
      const i = this.heapPos[slot];
      const moved = h.pop() as number;
      classRec[c + HEAP_LENGTH] = h.length;
      if (moved !== slot) {
        h[i] = moved;
        this.heapPos[moved] = i;
        this.heapUp(h, i);
        this.heapDown(h, this.heapPos[moved]);
      }
    }
    link[o + WHERE] = NONE;
  }

  private heapUp(h: number[], i: number): void {
    const x = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, h[p])) break;
      h[i] = h[p];
      this.heapPos[h[i]] = i;
      i = p;
    }
    h[i] = x;
    this.heapPos[x] = i;
  }

  private heapDown(h: number[], i: number): void {
    const x = h[i];
    const n = h.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(h[c + 1], h[c])) c++;
      if (!this.less(h[c], x)) break;
      h[i] = h[c];
      this.heapPos[h[i]] = i;
      i = c;
    }
    h[i] = x;
    this.heapPos[x] = i;
  }
}

function newLinks(capacity: number): Int32Array<ArrayBuffer> {
  const link = new Int32Array(4 * capacity);
  for (let s = 0; s < capacity; s++) link[4 * s + CLASS] = -1;
  return link;
}
