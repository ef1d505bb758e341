/**
 * The TLB entries of an address-space context that is not current: what a CPU with process-context
 * identifiers (PCIDs) keeps, tagged, across a CR3 write that asks it not to flush (CR3 bit 63).
 *
 * The software TLB is one direct-mapped array that the CPU's fast paths read without looking at any tag,
 * so entries are not tagged in place: when the host switches to another context, the current context's
 * entries are copied out here and cleared (a cost in proportion to the entries the context used, which
 * the flush it replaces paid anyway), and the new context's parked entries are copied back in. A switch
 * back to a context that ran recently then finds its translations, and its block links, still there.
 *
 * Each context also remembers its translation epoch (see `Mmu.epoch`): block links made in it stay valid
 * only if nothing that could change a translation of that context happened while it was parked. Epoch
 * values are never reused across contexts, so a link made in one context never matches in another.
 */
export class ParkedTranslations {
  slots = new Int32Array(16);
  tags = new Float64Array(16);
  frames = new Int32Array(16);
  perms = new Uint8Array(16);
  large = new Uint8Array(16);
  /** Whether each entry served an instruction fetch (see `Mmu.tlbFetched`). */
  fetched = new Uint8Array(16);
  count = 0;
  /** The context's `Mmu.lostFetch` when it was parked. */
  lostFetch = false;
  /** The context's epoch when it was parked, or -1 once something invalidated part of it since. */
  epoch = -1;

  /** Adds one entry (a slot's tag, frame, permissions and page size). */
  push(slot: number, tag: number, frame: number, perm: number, large: number, fetched: number): void {
    if (this.count === this.slots.length) this.grow();
    const k = this.count++;
    this.slots[k] = slot;
    this.tags[k] = tag;
    this.frames[k] = frame;
    this.perms[k] = perm;
    this.large[k] = large;
    this.fetched[k] = fetched;
  }

  /**
   * Drops the entries for the 4 KiB page `vpn`, and those of the 2 MiB page holding it (INVLPG); the
   * context's block links go too if one of them served a fetch (or one that did was lost before).
   */
  invalidatePage(vpn: number): void {
    const largeBase = Math.floor(vpn / 512) * 512;
    let kept = 0;
    let links = this.lostFetch;
    for (let k = 0; k < this.count; k++) {
      const tag = this.tags[k] as number;
      const large = this.large[k] !== 0;
      if (large) links = true;
      const hit = tag === vpn || (large && tag >= largeBase && tag < largeBase + 512);
      if (hit) {
        if (this.fetched[k] !== 0) links = true;
        continue;
      }
      if (kept !== k) this.move(k, kept);
      kept++;
    }
    this.count = kept;
    if (links) this.epoch = -1;
  }

  clear(): void {
    this.count = 0;
    this.epoch = -1;
  }

  private move(from: number, to: number): void {
    this.slots[to] = this.slots[from] as number;
    this.tags[to] = this.tags[from] as number;
    this.frames[to] = this.frames[from] as number;
    this.perms[to] = this.perms[from] as number;
    this.large[to] = this.large[from] as number;
    this.fetched[to] = this.fetched[from] as number;
  }

  private grow(): void {
    const n = this.slots.length * 2;
    const slots = new Int32Array(n);
    slots.set(this.slots);
    const tags = new Float64Array(n);
    tags.set(this.tags);
    const frames = new Int32Array(n);
    frames.set(this.frames);
    const perms = new Uint8Array(n);
    perms.set(this.perms);
    const large = new Uint8Array(n);
    large.set(this.large);
    const fetched = new Uint8Array(n);
    fetched.set(this.fetched);
    this.fetched = fetched;
    this.slots = slots;
    this.tags = tags;
    this.frames = frames;
    this.perms = perms;
    this.large = large;
  }
}
