/**
 * An intrusive doubly-linked FIFO of task slots: O(1) append, unlink, and rotate-to-tail. Used for
 * round-robin order and for the zero-weight (background) tasks every policy keeps.
 */
export class SlotList {
  size = 0;
  private head = -1;
  private next: Int32Array;
  private prev: Int32Array;
  private member: Uint8Array;

  constructor(slotCapacity = 16) {
    const cap = Math.max(4, slotCapacity);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.member = new Uint8Array(cap);
  }

  ensureSlots(capacity: number): void {
    if (capacity <= this.next.length) return;
    let cap = this.next.length;
    while (cap < capacity) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.next);
    this.next = next;
    const prev = new Int32Array(cap);
    prev.set(this.prev);
    this.prev = prev;
    const member = new Uint8Array(cap);
    member.set(this.member);
    this.member = member;
  }

  has(slot: number): boolean {
    return this.member[slot] === 1;
  }

  /** First slot, or -1 when empty. */
  first(): number {
    return this.head;
  }

  /** Append at the tail (the list is circular: the tail is head's predecessor). */
  push(slot: number): void {
    this.member[slot] = 1;
    this.size++;
    if (this.head < 0) {
      this.head = slot;
      this.next[slot] = slot;
      this.prev[slot] = slot;
      return;
    }
    const tail = this.prev[this.head];
    this.next[tail] = slot;
    this.prev[slot] = tail;
    this.next[slot] = this.head;
    this.prev[this.head] = slot;
  }

  remove(slot: number): void {
    if (this.member[slot] !== 1) return;
    this.member[slot] = 0;
    this.size--;
    if (this.size === 0) {
      this.head = -1;
      return;
    }
    const n = this.next[slot];
    const p = this.prev[slot];
    this.next[p] = n;
    this.prev[n] = p;
    if (this.head === slot) this.head = n;
  }

  /** Move a member to the tail. */
  rotateToTail(slot: number): void {
    if (this.head === slot) {
      // Circular list: advancing the head moves the old head to the tail.
      this.head = this.next[slot];
      return;
    }
    this.remove(slot);
    this.push(slot);
  }

  /** Members from head to tail. */
  slots(): number[] {
    const out: number[] = [];
    if (this.head < 0) return out;
    let s = this.head;
    do {
      out.push(s);
      s = this.next[s];
    } while (s !== this.head);
    return out;
  }
}
