/**
 * The kernel's record of one mapping, and the list of the mappings made through one capability.
 *
 * Each mapping has exactly one record, for as long as the page is mapped: the entry in its address
 * space's `mappings` and a member of its holder's list for the capability that authorised it. Changes
 * (protect's permissions, a transfer's new holder and capability number) are made to that record, so the
 * two never disagree and a revocation finds every page the capability mapped.
 *
 * The list is intrusive (the records are its links): adding and removing cost two pointer writes and
 * allocate nothing. A hash set here cost about a quarter of a map + unmap pair, because the engine shrinks
 * a set's table (a new allocation) whenever its last element goes, which is the common case of a page
 * fault handler mapping a frame and unmapping it later.
 */
import type { ExoAddressSpace } from './address-space';
import type { Environment } from './environment';

/** Why a page is mapped: the frame, and the capability (in its holder's space) that allowed it. */
export interface Mapping {
  readonly va: number;
  readonly frame: number;
  readonly writable: boolean;
  readonly executable: boolean;
  readonly holder: Environment;
  readonly capId: number;
}

export class MappingRecord implements Mapping {
  /** Physical address of the page-table entry that maps the page (set when the mapping is made). */
  pte = -1;
  /** The holder's list for `capId` that holds this record, and the neighbours there. */
  list: CapabilityMappings | null = null;
  previous: MappingRecord | null = null;
  next: MappingRecord | null = null;

  constructor(
    readonly aspace: ExoAddressSpace,
    readonly va: number,
    readonly frame: number,
    public writable: boolean,
    public executable: boolean,
    /** Who holds the capability that authorised the mapping, and its number there. */
    public holder: Environment,
    public capId: number,
  ) {}
}

/** The mappings made through one capability, most recent first. */
export class CapabilityMappings implements Iterable<MappingRecord> {
  private head: MappingRecord | null = null;
  size = 0;

  /** Any one of them (the most recent), or null. */
  get first(): MappingRecord | null {
    return this.head;
  }

  add(m: MappingRecord): void {
    m.list = this;
    m.previous = null;
    m.next = this.head;
    if (this.head !== null) this.head.previous = m;
    this.head = m;
    this.size++;
  }

  /** Removes `m` (nothing happens if it is not in this list). */
  delete(m: MappingRecord): void {
    if (m.list !== this) return;
    if (m.previous === null) this.head = m.next;
    else m.previous.next = m.next;
    if (m.next !== null) m.next.previous = m.previous;
    m.list = null;
    m.previous = null;
    m.next = null;
    this.size--;
  }

  /** The records, copied first, so the loop may remove them. */
  *[Symbol.iterator](): Iterator<MappingRecord> {
    const all: MappingRecord[] = [];
    for (let m = this.head; m !== null; m = m.next) all.push(m);
    yield* all;
  }
}
