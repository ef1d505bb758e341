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
/** Fields of one kept entry, at `PARKED_ENTRY * k + field` of `entries`. */
export const Parked = { SLOT: 0, TAG: 1, FRAME: 2, PERM: 3, LARGE: 4, FETCHED: 5 } as const;
/** Numbers per kept entry. */
export const PARKED_ENTRY = 6;

export class ParkedTranslations {
  /**
   * The kept entries, one record of six numbers each (see `Parked`): the TLB slot, its tag (virtual page
   * number), frame, permissions, whether a 2 MiB page filled it, and whether it served an instruction
   * fetch (see `Mmu.tlbFetched`).
   */
  entries = new Float64Array(16 * PARKED_ENTRY);
  count = 0;
  /** The context's `Mmu.lostFetch` when it was parked. */
  lostFetch = false;
  /** The context's epoch when it was parked, or -1 once something invalidated part of it since. */
  epoch = -1;

  /** Adds one entry. */
  push(slot: number, tag: number, frame: number, perm: number, large: number, fetched: number): void {
    if ((this.count + 1) * PARKED_ENTRY > this.entries.length) {
      const grown = new Float64Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    const e = this.entries;
    const o = PARKED_ENTRY * this.count++;
    e[o + Parked.SLOT] = slot;
    e[o + Parked.TAG] = tag;
    e[o + Parked.FRAME] = frame;
    e[o + Parked.PERM] = perm;
    e[o + Parked.LARGE] = large;
    e[o + Parked.FETCHED] = fetched;
  }

  /**
   * Drops the entries for the 4 KiB page `vpn`, and those of the 2 MiB page holding it (INVLPG); the
   * context's block links go too if one of them served a fetch (or one that did was lost before).
   */
  invalidatePage(vpn: number): void {
    const largeBase = Math.floor(vpn / 512) * 512;
    const e = this.entries;
    let kept = 0;
    let links = this.lostFetch;
    for (let k = 0; k < this.count; k++) {
      const o = PARKED_ENTRY * k;
      const tag = e[o + Parked.TAG] as number;
      const large = e[o + Parked.LARGE] !== 0;
      if (large) links = true;
      if (tag === vpn || (large && tag >= largeBase && tag < largeBase + 512)) {
        if (e[o + Parked.FETCHED] !== 0) links = true;
        continue;
      }
      if (kept !== k) e.copyWithin(PARKED_ENTRY * kept, o, o + PARKED_ENTRY);
      kept++;
    }
    this.count = kept;
    if (links) this.epoch = -1;
  }

  clear(): void {
    this.count = 0;
    this.epoch = -1;
  }
}
