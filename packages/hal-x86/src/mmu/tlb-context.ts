/**
 * The TLB of one address-space context (PCID): what a CPU with process-context identifiers keeps, tagged,
 * across a CR3 write that asks it not to flush (CR3 bit 63).
 *
 * The CPU's fast paths read the TLB arrays without looking at any tag, so entries are not tagged in place:
 * each context has arrays of its own, and a switch hands the MMU (and the CPU's fast paths) the new
 * context's arrays. A switch then costs the same whether the contexts used one page or a thousand, and a
 * switch back to a context that ran recently finds its translations, and its block links, still there.
 *
 * Each context also remembers its translation epoch (see `Mmu.epoch`): block links made in it stay valid
 * only if nothing that could change a translation of that context happened while it was away. Epoch
 * values are never reused across contexts, so a link made in one context never matches in another.
 */
export const TLB_SIZE = 4096;
export const TLB_MASK = TLB_SIZE - 1;

export class TlbContext {
  /** Virtual page number cached in each TLB slot (NaN = empty). */
  readonly tag = new Float64Array(TLB_SIZE).fill(Number.NaN);
  /** Physical address of the 4 KiB frame for each slot (as uint32 bits). */
  readonly frame = new Int32Array(TLB_SIZE);
  /** What the current privilege level may do in each slot's page (`TlbPerm` bits). */
  readonly perm = new Uint8Array(TLB_SIZE);
  /** Whether each slot holds a global translation (one every context sees; see `Mmu.switchContext`). */
  readonly global = new Uint8Array(TLB_SIZE);
  /** Whether a 2 MiB page filled each slot (for INVLPG of a 2 MiB page). */
  readonly large = new Uint8Array(TLB_SIZE);
  /**
   * Whether each slot's translation has served an instruction fetch since it was filled. Block links
   * (see `Mmu.epoch`) are derived from fetch translations only, so invalidating a page that no link can
   * have used (a data page: what a page-fault handler unmaps) need not break every link.
   */
  readonly fetched = new Uint8Array(TLB_SIZE);
  /**
   * Slots filled since the last flush (possibly repeated, possibly invalidated since), so a flush clears
   * only those instead of scanning every slot: it costs what the context used, not the TLB's size.
   */
  private readonly filled = new Int32Array(TLB_SIZE);
  private filledCount = 0;
  /**
   * A translation that served a fetch left the TLB (evicted by another page) without a new epoch: links
   * may rest on a page the TLB no longer shows, so the next INVLPG must break them all.
   */
  lostFetch = false;
  /**
   * Whether a slot may hold a 2 MiB page's translation: until one does, INVLPG need not look for the
   * 512 slots a large page can fill (a page-fault handler's unmap then costs one slot, not 512).
   */
  largeFilled = false;
  /** Whether a slot may hold a global translation: until one does, a switch has none to move. */
  globalsFilled = false;
  /** The epoch of this context's block links while it is not current, or -1 once something broke them. */
  epoch = -1;
  /** The PCID these translations belong to, or -1 while the arrays wait to be given to a context. */
  pcid = -1;
  /** When the context was last left (a switch count), to choose which context gives its arrays up. */
  lastUsed = 0;

  /** Records a slot that goes from empty to filled (see `filled`). */
  noteFilled(slot: number): void {
    if (this.filledCount === TLB_SIZE) {
      // Listed entries can repeat (invalidated, then refilled): rebuild the list from the slots in use.
      this.filledCount = 0;
      for (let i = 0; i < TLB_SIZE; i++)
        if (!Number.isNaN(this.tag[i] as number)) this.filled[this.filledCount++] = i;
    }
    this.filled[this.filledCount++] = slot;
  }

  /** Drops the translations, the global ones too with `includeGlobal`; the rest stay listed. */
  flush(includeGlobal: boolean): void {
    let kept = 0;
    let keptLarge = false;
    for (let k = 0; k < this.filledCount; k++) {
      const i = this.filled[k] as number;
      if (Number.isNaN(this.tag[i] as number)) continue; // invalidated already, or listed twice
      if (includeGlobal || this.global[i] === 0) this.tag[i] = Number.NaN;
      else {
        this.filled[kept++] = i;
        if (this.large[i] !== 0) keptLarge = true;
      }
    }
    this.filledCount = kept;
    this.largeFilled = keptLarge;
    this.globalsFilled = kept > 0;
    this.lostFetch = false;
  }

  /** For a context that is not current: drops its translations (as `flush`) and its links' epoch. */
  discard(includeGlobal: boolean): void {
    this.flush(includeGlobal);
    this.epoch = -1;
  }

  /**
   * INVLPG: drops the translation of the 4 KiB page `vpn`, and every slot of a 2 MiB page holding it.
   * Returns what that means for block links: 'none' (no link can rest on what went), 'context' (this
   * context's may), or 'all' (a global page's translation went: links in every context may rest on it).
   */
  invalidatePage(vpn: number): 'none' | 'context' | 'all' {
    const slot = vpn & TLB_MASK;
    // Links must go if this page served a fetch (or may have: one that did left the TLB unnoticed, or a
    // 2 MiB page is cached).
    let links: 'none' | 'context' | 'all' = this.lostFetch || this.largeFilled ? 'context' : 'none';
    if (this.tag[slot] === vpn) {
      if (this.global[slot] !== 0) links = 'all';
      else if (this.fetched[slot] !== 0 && links === 'none') links = 'context';
      this.tag[slot] = Number.NaN;
    }
    if (this.largeFilled) {
      const base = Math.floor(vpn / 512) * 512;
      for (let v = base; v < base + 512; v++) {
        const s = v & TLB_MASK;
        if (this.tag[s] === v && this.large[s] !== 0) this.tag[s] = Number.NaN;
      }
    }
    return links;
  }

  /**
   * Moves this context's global translations into `to` (the context being switched to): they belong to
   * every context, but only the current context's arrays are read. A translation of `to`'s own that a
   * global one displaces is dropped, as a TLB may drop any entry.
   */
  moveGlobalsTo(to: TlbContext): void {
    if (!this.globalsFilled) return;
    this.globalsFilled = false;
    let kept = 0;
    for (let k = 0; k < this.filledCount; k++) {
      const i = this.filled[k] as number;
      const tag = this.tag[i] as number;
      if (Number.isNaN(tag)) continue;
      if (this.global[i] === 0) {
        this.filled[kept++] = i;
        continue;
      }
      if (Number.isNaN(to.tag[i] as number)) to.noteFilled(i);
      else if (to.fetched[i] !== 0) to.lostFetch = true;
      to.tag[i] = tag;
      to.frame[i] = this.frame[i] as number;
      to.perm[i] = this.perm[i] as number;
      to.global[i] = 1;
      to.large[i] = this.large[i] as number;
      to.fetched[i] = this.fetched[i] as number;
      if (this.large[i] !== 0) to.largeFilled = true;
      to.globalsFilled = true;
      this.tag[i] = Number.NaN;
    }
    this.filledCount = kept;
  }
}
