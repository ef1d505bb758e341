/**
 * The MMU: a 4-level x86-64 page walk over guest physical memory and a software TLB.
 *
 * The walk reads the page tables that the host (or guest-visible code) wrote into physical memory in the
 * hardware format, sets Accessed and Dirty bits as the hardware does, and reports violations as #PF with
 * the architectural error code. Linear addresses are JavaScript numbers holding the *signed* 64-bit value,
 * so the canonical range is exactly [-2^47, 2^47) and every canonical address is exact.
 *
 * The TLB is direct-mapped over 4 KiB virtual page numbers. Each entry caches the frame and what the
 * current privilege level may do there (read, write with D already set, execute); the CPU's memory fast
 * path reads these arrays directly. A 2 MiB page fills 4 KiB entries on demand. Each address-space
 * context (PCID) has arrays of its own (see TlbContext).
 */
import { GuestFault, PfError, Vector, linearToBigInt } from '../cpu/fault';
import type { PhysicalMemory } from '../memory/physical-memory';
import { tableIndex } from './address-space';
import { PTE_NX_HI, Pte } from './pte';
import { TLB_MASK, TlbContext } from './tlb-context';

export { TLB_MASK, TLB_SIZE } from './tlb-context';

export const Access = { READ: 0, WRITE: 1, FETCH: 2 } as const;
export type AccessKind = (typeof Access)[keyof typeof Access];

/** TLB permission bits. */
export const TlbPerm = { READ: 1, WRITE: 2, EXEC: 4 } as const;

const CANONICAL_LIMIT = 2 ** 47;

/** What reads the current context's TLB arrays besides the MMU (the CPU; see `Mmu.tlbReader`). */
export interface TlbReader {
  tlbTag: Float64Array;
  tlbFrame: Int32Array;
  tlbPerm: Uint8Array;
  /** Set on a switch: the block being run holds the arrays it started with. */
  stop: boolean;
}

/**
 * How many contexts keep TLB arrays of their own (about 90 KB each). Switching to one more takes the
 * arrays of the context left longest ago, whose translations are dropped, as a TLB may drop any entry;
 * hardware keeps far fewer (a handful of PCIDs' worth of entries).
 */
export const KEPT_TLB_CONTEXTS = 64;

export class Mmu {
  // The current context's TLB arrays (see TlbContext), which the CPU's memory fast paths read too. They
  // are replaced, not copied, when the context changes (and given to `tlbReader`).
  /** Virtual page number cached in each TLB slot (NaN = empty). */
  tlbTag!: Float64Array;
  /** Physical address of the 4 KiB frame for each slot (as uint32 bits). */
  tlbFrame!: Int32Array;
  tlbPerm!: Uint8Array;
  tlbGlobal!: Uint8Array;
  /** Size of the page that filled each slot (for INVLPG of a 2 MiB page). */
  tlbLarge!: Uint8Array;
  /** Whether each slot's translation has served an instruction fetch (see TlbContext.fetched). */
  private tlbFetched!: Uint8Array;
  /** The current context's TLB. */
  private ctx!: TlbContext;
  /**
   * Who else reads the TLB arrays (the CPU's memory fast paths and compiled blocks): given the new
   * arrays on a switch, and told to stop its current block, which holds the old ones. Fields rather than
   * a callback: a switch is on every IPC's path.
   */
  tlbReader: TlbReader | null = null;

  /** Physical address of the PML4 (CR3 bits 12..51). */
  private cr3Value = 0;
  /** The current process-context identifier (CR3 bits 0..11 with CR4.PCIDE; 0 for plain CR3 writes). */
  private pcidValue = 0;
  /** The contexts that keep translations, by PCID (an array, not a map: a switch looks one up). */
  private readonly contexts: (TlbContext | undefined)[] = new Array(4096).fill(undefined);
  /** Every TlbContext made, at most KEPT_TLB_CONTEXTS, the current one included. */
  private readonly kept: TlbContext[] = [];
  /** Switches so far, to tell which context was left longest ago. */
  private switches = 0;
  /** The last epoch value handed out: epochs are never reused, in any context. */
  private epochSeq = 0;
  /** Current privilege level for permission checks: 3 = user, 0 = supervisor. */
  private cplValue = 3;
  /** CR0.WP: supervisor writes honour read-only pages. */
  writeProtect = true;

  walks = 0;
  /**
   * Changes whenever cached translations may have become stale (flush, INVLPG, CR3 or CPL change), so
   * structures that remember translations derived from the TLB (block chaining) can tell. A context that
   * comes back through `switchContext` untouched gets its old value back; no value is ever used twice.
   */
  epoch = 0;

  constructor(readonly memory: PhysicalMemory) {
    const first = new TlbContext();
    first.pcid = 0;
    this.contexts[0] = first;
    this.kept.push(first);
    this.makeCurrent(first);
  }

  get cr3(): number {
    return this.cr3Value;
  }

  /**
   * Writing CR3 switches address space and flushes every non-global TLB entry, as on hardware (PCID 0;
   * the translations of other contexts, see `switchContext`, stay kept).
   */
  set cr3(pa: number) {
    this.switchContext(pa, 0, false);
  }

  /** The current process-context identifier (0 unless `switchContext` chose another). */
  get pcid(): number {
    return this.pcidValue;
  }

  /**
   * A CR3 write with a process-context identifier (CR4.PCIDE = 1): `root` is the PML4, `pcid` 0..4095.
   * The translations of the context being left are kept under its PCID; with `keep` (CR3 bit 63) those
   * kept for `pcid` come back, else they are dropped, as such a CR3 write drops them. A host that keeps
   * contexts must tell the MMU when it changes the page tables of one that is not current
   * (`invalidatePage` and `flushContext` with its PCID, as an OS uses INVPCID), or stale translations of
   * that context come back with it, exactly as on hardware. Global translations stay, in every context.
   */
  switchContext(root: number, pcid: number, keep: boolean): void {
    // (A multiple of 4096 in range is an integer; NaN fails every comparison.)
    if (!(root >= 0 && root < this.memory.size && root % 4096 === 0)) {
      throw new RangeError(
        `CR3 must be a 4 KiB-aligned physical address inside memory, got 0x${root.toString(16)}`,
      );
    }
    if (!(pcid >= 0 && pcid <= 4095 && (pcid | 0) === pcid)) {
      throw new RangeError(`a PCID is 0..4095, got ${pcid}`);
    }
    this.cr3Value = root;
    if (pcid === this.pcidValue) {
      if (!keep) this.flush(false);
      return;
    }
    const from = this.ctx;
    from.epoch = this.epoch;
    from.lastUsed = ++this.switches;
    const to = this.contexts[pcid] ?? this.giveArrays(pcid);
    if (!keep) to.flush(false);
    if (from.globalsFilled) from.moveGlobalsTo(to); // (rare: most hosts map no global page)
    this.pcidValue = pcid;
    this.makeCurrent(to);
    if (keep && to.epoch >= 0) this.epoch = to.epoch;
    else this.freshEpoch();
    const reader = this.tlbReader;
    if (reader !== null) {
      reader.tlbTag = to.tag;
      reader.tlbFrame = to.frame;
      reader.tlbPerm = to.perm;
      reader.stop = true;
    }
  }

  /** Makes `ctx` the current context, its arrays the ones the MMU's own paths read (see `tlbReader`). */
  private makeCurrent(ctx: TlbContext): void {
    this.ctx = ctx;
    this.tlbTag = ctx.tag;
    this.tlbFrame = ctx.frame;
    this.tlbPerm = ctx.perm;
    this.tlbGlobal = ctx.global;
    this.tlbLarge = ctx.large;
    this.tlbFetched = ctx.fetched;
  }

  /**
   * TLB arrays for the context `pcid`: new ones while fewer than KEPT_TLB_CONTEXTS exist, else those of
   * the context left longest ago, emptied (that context's translations are dropped).
   */
  private giveArrays(pcid: number): TlbContext {
    let ctx: TlbContext | null = null;
    if (this.kept.length < KEPT_TLB_CONTEXTS) {
      ctx = new TlbContext();
      this.kept.push(ctx);
    } else {
      for (const c of this.kept) if (c !== this.ctx && (ctx === null || c.lastUsed < ctx.lastUsed)) ctx = c;
      ctx = ctx as TlbContext; // (KEPT_TLB_CONTEXTS > 1: some context is not current)
      this.contexts[ctx.pcid] = undefined;
      ctx.discard(true);
    }
    ctx.pcid = pcid;
    this.contexts[pcid] = ctx;
    return ctx;
  }

  /**
   * INVLPG for the context `pcid`, current or not (INVPCID's individual-address form): drops its
   * translation of the page holding `la`, including every slot of a 2 MiB page.
   */
  invalidatePage(pcid: number, la: number): void {
    if (pcid === this.pcidValue) {
      this.invlpg(la);
      return;
    }
    const ctx = this.contexts[pcid];
    if (ctx === undefined) return;
    const links = ctx.invalidatePage(Math.floor(la / 4096));
    if (links === 'all') this.breakLinks();
    else if (links === 'context') ctx.epoch = -1;
  }

  /** Drops every non-global translation of the context `pcid`, current or not (INVPCID's single-context form). */
  flushContext(pcid: number): void {
    if (pcid === this.pcidValue) {
      this.flush(false);
      return;
    }
    this.contexts[pcid]?.discard(false);
  }

  /**
   * Something other than a translation changed what block links may rest on (code was written): every
   * context's links become invalid, its translations stay.
   */
  breakLinks(): void {
    this.freshEpoch();
    for (const c of this.kept) if (c !== this.ctx) c.epoch = -1;
  }

  private freshEpoch(): void {
    this.epoch = ++this.epochSeq;
    this.ctx.lostFetch = false; // no link made before this epoch is followed any more
  }

  get cpl(): number {
    return this.cplValue;
  }

  set cpl(level: number) {
    if (level !== 0 && level !== 3) throw new RangeError(`CPL must be 0 or 3, got ${level}`);
    if (level !== this.cplValue) {
      this.cplValue = level;
      this.flush(true); // cached permissions depend on the privilege level, in every context
    }
  }

  /**
   * Drops cached translations: all of them, in every context, or the current context's non-global ones.
   */
  flush(includeGlobal: boolean): void {
    if (includeGlobal) {
      for (const c of this.kept) if (c !== this.ctx) c.discard(true);
    }
    this.ctx.flush(includeGlobal);
    this.freshEpoch();
  }

  /** INVLPG: drops the translation for the page holding `la`, including every slot of a 2 MiB page. */
  invlpg(la: number): void {
    const links = this.ctx.invalidatePage(Math.floor(la / 4096));
    // Block links rest on fetch translations; a global page's rest in every context.
    if (links === 'all') this.breakLinks();
    else if (links === 'context') this.freshEpoch();
  }

  /**
   * Translates a linear address for an access, filling the TLB. Throws GuestFault (#GP for a
   * non-canonical address — #SS when `stack` — and #PF for paging violations).
   */
  translate(la: number, access: AccessKind, stack = false): number {
    if (!(la >= -CANONICAL_LIMIT && la < CANONICAL_LIMIT)) throw nonCanonical(la, stack);
    const fault = this.cached(la, access);
    if (fault !== null) throw fault;
    const vpn = Math.floor(la / 4096);
    return ((this.tlbFrame[vpn & TLB_MASK] as number) >>> 0) + (la - vpn * 4096);
  }

  /**
   * What `translate` would throw for this access, returned instead (null when the access is allowed; its
   * translation is then in the TLB). Throwing costs the engine a stack unwind, several times the cost of
   * the walk itself, so callers on a page fault's path (compiled code's TLB misses) ask first.
   */
  check(la: number, access: AccessKind): GuestFault | null {
    if (!(la >= -CANONICAL_LIMIT && la < CANONICAL_LIMIT)) return nonCanonical(la, false);
    return this.cached(la, access);
  }

  /** For a canonical `la`: null when the TLB allows the access (marking a fetch), else the walk's result. */
  private cached(la: number, access: AccessKind): GuestFault | null {
    const vpn = Math.floor(la / 4096);
    const slot = vpn & TLB_MASK;
    const need =
      access === Access.WRITE ? TlbPerm.WRITE : access === Access.FETCH ? TlbPerm.EXEC : TlbPerm.READ;
    if (this.tlbTag[slot] === vpn && (this.tlbPerm[slot] & need) !== 0) {
      if (access === Access.FETCH) this.tlbFetched[slot] = 1;
      return null;
    }
    return this.fill(la, access);
  }

  /**
   * Walks the four levels for `la`, checks the access, sets A/D bits, and fills the TLB slot.
   * Returns nothing: the result is in the TLB. Throws the #PF of a violation.
   */
  walk(la: number, access: AccessKind): void {
    const fault = this.fill(la, access);
    if (fault !== null) throw fault;
  }

  /** The walk itself: fills the TLB slot for `la` and returns null, or returns the #PF (nothing changed but A bits). */
  private fill(la: number, access: AccessKind): GuestFault | null {
    this.walks++;
    const mem = this.memory;
    const view = mem.view;
    const user = this.cplValue === 3;
    const vpn = Math.floor(la / 4096);
    let table = this.cr3Value;
    let userOk = true;
    let writeOk = true;
    let execOk = true;
    // The entries visited (at most four; locals rather than an array: nothing is allocated per walk).
    let e0 = -1;
    let e1 = -1;
    let e2 = -1;
    let frame = 0;
    let large = false;
    let global = false;
    let leafAddr = 0;
    for (let level = 0; level < 4; level++) {
      // Index bits 47..39, 38..30, 29..21, 20..12 of the (possibly negative) linear address.
      const ea = table + tableIndex(la, level) * 8;
      const lo = view.getUint32(ea, true);
      const hi = view.getUint32(ea + 4, true);
      if ((lo & Pte.P) === 0) return this.pageFault(la, access, false, false);
      const physHi = hi & 0x000fffff;
      // Bits 52..62 are ignored/protection-key bits, so only the address must fit our memory.
      const next = physHi * 2 ** 32 + (lo & 0xfffff000);
      userOk &&= (lo & Pte.US) !== 0;
      writeOk &&= (lo & Pte.RW) !== 0;
      execOk &&= (hi & PTE_NX_HI) === 0;
      if ((lo & Pte.PS) !== 0 && level === 1) {
        // 1 GiB pages are not advertised by CPUID (no PDPE1GB), so PS in a PDPTE is a reserved bit.
        return this.pageFault(la, access, true, true);
      }
      if (level === 3 || ((lo & Pte.PS) !== 0 && level === 2)) {
        leafAddr = ea;
        global = (lo & Pte.G) !== 0;
        if (level === 2) {
          // 2 MiB page: bits 13..20 of the address field are reserved (must be zero).
          if ((lo & 0x001fe000) !== 0) return this.pageFault(la, access, true, true);
          large = true;
          frame = next - (next % 2 ** 21) + tableIndex(la, 3) * 4096;
        } else {
          frame = next;
        }
        break;
      }
      if (level === 0) e0 = ea;
      else if (level === 1) e1 = ea;
      else e2 = ea;
      if (next + 4096 > mem.size) return this.pageFault(la, access, true, true);
      table = next;
    }
    if (frame + 4096 > mem.size) return this.pageFault(la, access, true, true);
    if (user && !userOk) return this.pageFault(la, access, true, false);
    const writable = writeOk || (!user && !this.writeProtect);
    if (access === Access.WRITE && !writable) return this.pageFault(la, access, true, false);
    if (access === Access.FETCH && !execOk) return this.pageFault(la, access, true, false);
    // Accessed bits on every level, Dirty on the leaf for writes.
    setAccessed(view, e0);
    setAccessed(view, e1);
    setAccessed(view, e2);
    const leafLo = view.getUint32(leafAddr, true) | Pte.A;
    const dirty = access === Access.WRITE || (leafLo & Pte.D) !== 0;
    view.setUint32(leafAddr, access === Access.WRITE ? leafLo | Pte.D : leafLo, true);
    const slot = vpn & TLB_MASK;
    // (A refill of the same page, to set D on a first write, keeps its fetch mark; another page's evicts it.)
    const samePage = this.tlbTag[slot] === vpn;
    const ctx = this.ctx;
    if (Number.isNaN(this.tlbTag[slot] as number)) ctx.noteFilled(slot);
    else if (!samePage && this.tlbFetched[slot] !== 0) ctx.lostFetch = true;
    this.tlbFetched[slot] =
      (samePage ? (this.tlbFetched[slot] as number) : 0) | (access === Access.FETCH ? 1 : 0);
    this.tlbTag[slot] = vpn;
    this.tlbFrame[slot] = frame | 0;
    // Write permission is cached only once D is set, so the first write still walks and sets it.
    this.tlbPerm[slot] = TlbPerm.READ | (writable && dirty ? TlbPerm.WRITE : 0) | (execOk ? TlbPerm.EXEC : 0);
    this.tlbGlobal[slot] = global ? 1 : 0;
    this.tlbLarge[slot] = large ? 1 : 0;
    if (large) ctx.largeFilled = true;
    if (global) ctx.globalsFilled = true;
    return null;
  }

  private pageFault(la: number, access: AccessKind, present: boolean, reserved: boolean): GuestFault {
    let code = 0;
    if (present) code |= PfError.PRESENT;
    if (reserved) code |= PfError.RSVD | PfError.PRESENT;
    if (access === Access.WRITE) code |= PfError.WRITE;
    if (access === Access.FETCH) code |= PfError.FETCH;
    if (this.cplValue === 3) code |= PfError.USER;
    // (The address is in CR2; the text is a constant, so a fault formats nothing.)
    const detail = reserved
      ? 'page fault: reserved bit set in a paging entry'
      : !present
        ? 'page fault: page not present'
        : access === Access.WRITE
          ? 'page fault: write to a read-only or supervisor page'
          : access === Access.FETCH
            ? 'page fault: fetch from a no-execute or supervisor page'
            : 'page fault: read of a supervisor page';
    return new GuestFault(Vector.PF, code, linearToBigInt(la), detail);
  }

  /** Non-faulting translation for hosts and debuggers: the physical address, or null if not mapped. */
  probe(la: number, access: AccessKind = Access.READ): number | null {
    try {
      return this.translate(la, access);
    } catch (e) {
      if (e instanceof GuestFault) return null;
      throw e;
    }
  }
}

function setAccessed(view: DataView, ea: number): void {
  if (ea >= 0) view.setUint32(ea, view.getUint32(ea, true) | Pte.A, true);
}

function nonCanonical(la: number, stack: boolean): GuestFault {
  return new GuestFault(stack ? Vector.SS : Vector.GP, 0, 0n, `non-canonical address ${describe(la)}`);
}

function describe(la: number): string {
  // (A lower-half address formats as a number; only the upper half needs its 64-bit two's complement.)
  if (la >= 0 && la < 2 ** 53) return `0x${Math.trunc(la).toString(16)}`;
  return `0x${linearToBigInt(Number.isFinite(la) ? Math.trunc(la) : 0).toString(16)}`;
}
