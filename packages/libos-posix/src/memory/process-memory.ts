/**
 * A process's memory as the library OS keeps it: the address map (areas and their protection), its own
 * page table (which frame backs each materialised page, and whether that frame is shared copy-on-write),
 * and the exokernel address space it mirrors. The kernel only holds the mappings; what a page *should* be
 * is decided here:
 *
 * - a page is mapped writable exactly when its area allows writing and it is not shared copy-on-write;
 * - every page is made on first touch (a page fault upcall, or a copy from the library OS): from the file
 *   for a program image's or a file mapping's page (a `PageSource`), else a zero frame;
 * - fork shares every page copy-on-write (JOS's lib/fork.c, done outside the process), and the first write
 *   in either process copies the page, or takes it back writable when nobody else shares it any more;
 * - a touch outside every area, or one its area forbids, is a segmentation fault (`SegvKind`).
 *
 * The library OS reads and writes guest memory through the frames (system-call arguments and results),
 * with the same rules: a copy into a read-only page is EFAULT, as in Linux.
 */
import type { EnvApi } from '@exov6/exokernel';
import { PROT } from '@exov6/hal-x86';
import { fail } from '../errno';
import { AddressMap, accessible, type AreaKind, type VmArea } from './address-map';
import { type FramePool, PAGE_SIZE } from './frame-pool';
import type { PageSource } from './page-source';

/** Bytes of guest memory readCString reads at a time. */
const CSTRING_PIECE = 256;

/** A segmentation fault's si_code: no area there (SEGV_MAPERR) or the area forbids the access (SEGV_ACCERR). */
export type SegvKind = 'maperr' | 'accerr';

export interface PageEntry {
  /** The pool's allocation capability of the frame. */
  frame: number;
  /** Shared with another page table until the first write. */
  cow: boolean;
  /** The kernel has it mapped (a page of a PROT_NONE area is kept but not mapped). */
  mapped: boolean;
}

export interface Access {
  write: boolean;
  fetch: boolean;
}

const pageDown = (va: number) => va - (va % PAGE_SIZE);
const pageUp = (va: number) => Math.ceil(va / PAGE_SIZE) * PAGE_SIZE;

export class ProcessMemory {
  readonly map: AddressMap;
  readonly pages = new Map<number, PageEntry>();
  /** Program break: the heap area is [brkStart, pageUp(brk)). */
  brkStart = 0;
  brk = 0;
  private destroyed = false;

  constructor(
    readonly pool: FramePool,
    readonly spaceCap: number,
    map = new AddressMap(),
  ) {
    this.map = map;
  }

  /** A new, empty address space of the library OS's. */
  static create(pool: FramePool): ProcessMemory {
    return new ProcessMemory(pool, pool.os.asCreate());
  }

  private get os(): EnvApi {
    return this.pool.os;
  }

  // ------------------------------------------------------------------ areas

  /** Adds an area (the range must be free) whose pages appear on first touch, from `source` or zero. */
  addArea(start: number, end: number, prot: number, kind: AreaKind, source?: PageSource): void {
    this.map.insert(source === undefined ? { start, end, prot, kind } : { start, end, prot, kind, source });
  }

  /** Removes [start, end) from the map and lets go of its pages (munmap). */
  removeRange(start: number, end: number): void {
    for (const piece of this.map.remove(start, end)) this.dropPages(piece.start, piece.end);
  }

  /** mprotect: the range must be mapped without holes (else ENOMEM, as Linux says). */
  protect(start: number, end: number, prot: number): void {
    if (!this.map.covers(start, end)) fail('ENOMEM', 'mprotect of a range with unmapped pages');
    this.map.protect(start, end, prot);
    for (const [va, entry] of this.pages) {
      if (va >= start && va < end) this.install(va, entry, prot);
    }
  }

  // ------------------------------------------------------------------ faults

  /**
   * A page fault the program took at `va`: makes the page present (zero fill) or private (copy-on-write)
   * when its area allows the access; otherwise says which kind of segmentation fault it is.
   */
  fault(va: number, access: Access): SegvKind | null {
    const area = this.map.find(va);
    if (area === undefined) return 'maperr';
    if (!allows(area.prot, access)) return 'accerr';
    const page = pageDown(va);
    const entry = this.pages.get(page);
    if (entry === undefined) {
      this.materialise(page, area, access.write);
      return null;
    }
    if (access.write && entry.cow) {
      this.makePrivate(page, entry, area.prot);
      return null;
    }
    // Present and allowed: the kernel's mapping lagged behind (an mprotect that widened the area).
    this.install(page, entry, area.prot);
    return null;
  }

  /** The page at `va` present and, for `write`, private: used by copies into guest memory too. */
  private touch(va: number, write: boolean): PageEntry {
    const area = this.map.find(va);
    if (area === undefined || !allows(area.prot, { write, fetch: false })) {
      fail('EFAULT', `${write ? 'write to' : 'read of'} 0x${va.toString(16)}`);
    }
    const page = pageDown(va);
    let entry = this.pages.get(page);
    if (entry === undefined) entry = this.materialise(page, area, write);
    else if (write && entry.cow) this.makePrivate(page, entry, area.prot);
    return entry;
  }

  /**
   * Maps a page whose frame the caller has a reference for (a page cache's): shared copy-on-write, so a
   * write, where the area allows one, gives the process a copy of its own.
   */
  installShared(page: number, frame: number): void {
    const area = this.map.find(page);
    if (area === undefined) throw new RangeError(`no area at 0x${page.toString(16)}`);
    const old = this.pages.get(page);
    if (old !== undefined) {
      this.unmapPage(page, old);
      this.pool.release(old.frame);
    }
    const entry: PageEntry = { frame, cow: true, mapped: false };
    this.pages.set(page, entry);
    this.install(page, entry, area.prot);
  }

  /**
   * A page's first touch: its frame from the area's source, or a zero one. A first write to a shared
   * source page takes a private copy at once, instead of mapping the shared frame only to copy it.
   */
  private materialise(page: number, area: VmArea, write: boolean): PageEntry {
    const sourced = area.source?.pageAt(page) ?? null;
    let entry: PageEntry;
    if (sourced === null) entry = { frame: this.pool.alloc(), cow: false, mapped: false };
    else if (sourced.shared && write) {
      entry = { frame: this.pool.copyOf(sourced.frame), cow: false, mapped: false };
      this.pool.release(sourced.frame);
    } else entry = { frame: sourced.frame, cow: sourced.shared, mapped: false };
    this.pages.set(page, entry);
    this.install(page, entry, area.prot);
    return entry;
  }

  private makePrivate(page: number, entry: PageEntry, prot: number): void {
    if (this.pool.referencesOf(entry.frame) > 1) {
      const copy = this.pool.copyOf(entry.frame);
      this.pool.release(entry.frame);
      entry.frame = copy;
    }
    entry.cow = false;
    this.install(page, entry, prot);
  }

  /** (Re)maps a page in the kernel as the library OS's table says it should be. */
  private install(va: number, entry: PageEntry, prot: number): void {
    this.unmapPage(va, entry);
    if (!accessible(prot)) return;
    const writable = (prot & PROT.WRITE) !== 0 && !entry.cow;
    this.os.map(this.spaceCap, va, this.pool.mappingCap(entry.frame, writable), {
      writable,
      executable: (prot & PROT.EXEC) !== 0,
    });
    entry.mapped = true;
  }

  private unmapPage(va: number, entry: PageEntry): void {
    if (!entry.mapped) return;
    this.os.unmap(this.spaceCap, va);
    entry.mapped = false;
  }

  /**
   * MADV_DONTNEED: the range's pages go back; touched again, they are zero, or for a file's pages, the
   * file's bytes again (as Linux repopulates a private file mapping).
   */
  discard(start: number, end: number): void {
    this.dropPages(start, end);
  }

  private dropPages(start: number, end: number): void {
    for (let va = start; va < end; va += PAGE_SIZE) {
      const entry = this.pages.get(va);
      if (entry === undefined) continue;
      this.unmapPage(va, entry);
      this.pool.release(entry.frame);
      this.pages.delete(va);
    }
  }

  // ------------------------------------------------------------------ guest memory from the library OS

  /** Copies `length` bytes out of the program's memory (EFAULT where it may not read). */
  read(va: number, length: number): Uint8Array {
    checkRange(va, length);
    let out: Uint8Array | null = null;
    for (let done = 0; done < length; ) {
      const at = va + done;
      const n = Math.min(length - done, PAGE_SIZE - (at % PAGE_SIZE));
      const area = this.map.find(at);
      if (area === undefined || !accessible(area.prot)) fail('EFAULT', `read of 0x${at.toString(16)}`);
      const page = pageDown(at);
      // A page never touched reads as zeros, with nothing allocated for that, unless it comes from a file.
      const entry =
        this.pages.get(page) ?? (area.source !== undefined ? this.materialise(page, area, false) : undefined);
      if (entry !== undefined) {
        const bytes = this.os.frameRead(entry.frame, at % PAGE_SIZE, n);
        // Within one page (most reads): the kernel's copy is the answer.
        if (n === length) return bytes;
        out ??= new Uint8Array(length);
        out.set(bytes, done);
      }
      done += n;
    }
    return out ?? new Uint8Array(length);
  }

  /** Copies `bytes` into the program's memory (EFAULT where it may not write). */
  write(va: number, bytes: Uint8Array): void {
    checkRange(va, bytes.length);
    for (let done = 0; done < bytes.length; ) {
      const at = va + done;
      const n = Math.min(bytes.length - done, PAGE_SIZE - (at % PAGE_SIZE));
      const entry = this.touch(at, true);
      this.os.frameWrite(entry.frame, at % PAGE_SIZE, bytes.subarray(done, done + n));
      done += n;
    }
  }

  /** A NUL-terminated string of at most `max` bytes (ENAMETOOLONG beyond), as UTF-8 text. */
  readCString(va: number, max = 4096): string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (let at = va; ; ) {
      // A short piece at a time (most strings are paths and names), never across a page.
      const n = Math.min(CSTRING_PIECE, PAGE_SIZE - (at % PAGE_SIZE));
      const bytes = this.read(at, n);
      const nul = bytes.indexOf(0);
      const part = nul >= 0 ? bytes.subarray(0, nul) : bytes;
      total += part.length;
      if (total >= max) fail('ENAMETOOLONG', `string at 0x${va.toString(16)} longer than ${max - 1} bytes`);
      chunks.push(part);
      if (nul >= 0) break;
      at += n;
    }
    const whole = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
    return Buffer.from(whole.buffer, whole.byteOffset, whole.length).toString('utf8');
  }

  readU64(va: number): bigint {
    const b = this.read(va, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  /** A NULL-terminated array of string pointers (argv, envp). */
  readStringArray(va: number, maxCount = 4096): string[] {
    const out: string[] = [];
    if (va === 0) return out;
    for (let i = 0; ; i++) {
      if (i >= maxCount) fail('E2BIG', 'argument list too long');
      const p = Number(this.readU64(va + i * 8));
      if (p === 0) return out;
      out.push(this.readCString(p, 128 * 1024));
    }
  }

  // ------------------------------------------------------------------ fork and teardown

  /**
   * fork: a new address space sharing every page copy-on-write. The child's space is complete before the
   * parent's pages change, so a fork the quota refuses leaves the parent as it was.
   */
  fork(): ProcessMemory {
    const child = new ProcessMemory(this.pool, this.os.asCreate(), this.map.clone());
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    try {
      for (const [va, entry] of this.pages) {
        const area = this.map.find(va) as VmArea;
        const shared: PageEntry = {
          frame: entry.frame,
          cow: (area.prot & PROT.WRITE) !== 0 || entry.cow,
          mapped: false,
        };
        this.pool.retain(entry.frame);
        child.pages.set(va, shared);
        child.install(va, shared, area.prot);
      }
    } catch (e) {
      child.destroy();
      throw e;
    }
    for (const [va, entry] of this.pages) {
      const area = this.map.find(va) as VmArea;
      if ((area.prot & PROT.WRITE) !== 0 && !entry.cow) {
        entry.cow = true;
        this.install(va, entry, area.prot);
      }
    }
    return child;
  }

  /** Returns every page and the address space itself (no environment may run in it any more). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.os.asDestroy(this.spaceCap);
    for (const entry of this.pages.values()) this.pool.release(entry.frame);
    this.pages.clear();
  }

  /** The heap after brk(2): grows or shrinks the heap area, page-granular. */
  setBreak(requested: number): number {
    if (requested < this.brkStart) return this.brk;
    const oldEnd = pageUp(this.brk);
    const newEnd = pageUp(requested);
    if (newEnd > oldEnd) {
      if (this.map.overlaps(oldEnd, newEnd)) return this.brk;
      const heap = this.map.find(this.brkStart === oldEnd ? -1 : oldEnd - 1);
      if (heap !== undefined && heap.kind === 'heap') {
        this.map.remove(heap.start, heap.end);
        this.map.insert({ ...heap, end: newEnd });
      } else this.map.insert({ start: oldEnd, end: newEnd, prot: PROT.READ | PROT.WRITE, kind: 'heap' });
    } else if (newEnd < oldEnd) {
      this.removeRange(newEnd, oldEnd);
    }
    this.brk = requested;
    return this.brk;
  }
}

function allows(prot: number, access: Access): boolean {
  if (!accessible(prot)) return false;
  if (access.write && (prot & PROT.WRITE) === 0) return false;
  if (access.fetch && (prot & PROT.EXEC) === 0) return false;
  return true;
}

function checkRange(va: number, length: number): void {
  if (!Number.isSafeInteger(va) || va < 0 || length < 0 || va + length > 2 ** 47) {
    fail('EFAULT', `bad address 0x${va.toString(16)}`);
  }
}
