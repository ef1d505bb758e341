/**
 * The user address space of one emulated Linux process: a list of areas (like the kernel's VMAs) over an
 * AddressSpace, with pages materialised on first touch.
 *
 * An area records what the process asked for (range and PROT_* bits); a page gets a frame only when the
 * guest touches it (the run loop turns the resulting #PF into `fault()`) or when a system call copies
 * data into it. So a large bss, an 8 MiB stack or a 1 GiB anonymous mmap costs nothing until used.
 *
 * x86 cannot express a present but inaccessible page, so PROT_NONE pages are kept off the page tables;
 * their frames stay in `frames` so that a later mprotect brings their contents back.
 *
 * Address layout (as Linux 6.x with address randomisation off):
 *   image (ET_EXEC at its link address, static-pie at 0x555555554000), heap right after it,
 *   mmap areas allocated top-down below MMAP_TOP, the stack's 8 MiB area just below STACK_TOP.
 */

import { PhysicalMemoryError } from '../memory/physical-memory';
import type { AddressSpace } from '../mmu/address-space';
import { MAP, MREMAP, PROT } from './linux';

const PAGE = 4096;
export const STACK_TOP = 0x7ffffffff000;
export const STACK_LIMIT = 8 * 1024 * 1024;
/** Top of the mmap area: the stack's 8 MiB plus Linux's minimum 128 MiB gap below STACK_TOP. */
export const MMAP_TOP = 0x7ffff7fff000;
/** vm.mmap_min_addr */
export const MMAP_MIN = 0x10000;
export const USER_TOP = 2 ** 47;

export type AreaKind = 'image' | 'heap' | 'stack' | 'mmap';

export interface Area {
  start: number;
  end: number;
  prot: number;
  kind: AreaKind;
}

/** The guest used more frames than physical memory holds. */
export class GuestOutOfMemory extends Error {
  override readonly name = 'GuestOutOfMemory';
}

/** An errno result from a memory system call (negative numbers are returned to the guest as they are). */
export type SysResult = number;

const pageDown = (a: number) => a - (a % PAGE);
const pageUp = (a: number) => Math.ceil(a / PAGE) * PAGE;

function protToPerms(prot: number) {
  return { writable: (prot & PROT.WRITE) !== 0, executable: (prot & PROT.EXEC) !== 0, user: true };
}

export class ProcessMemory {
  /** Sorted, non-overlapping. */
  readonly areas: Area[] = [];
  /** Every materialised page (present or PROT_NONE-hidden): page address -> physical address. */
  readonly frames = new Map<number, number>();
  brkStart = 0;
  brk = 0;
  /** Called after a page's translation changed or went away (the CPU must drop it from its TLB). */
  invalidate: (va: number) => void = () => {};

  constructor(readonly as: AddressSpace) {}

  // ------------------------------------------------------------------------------- areas

  find(va: number): Area | null {
    const a = this.areas;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = a[mid] as Area;
      if (va < m.start) hi = mid - 1;
      else if (va >= m.end) lo = mid + 1;
      else return m;
    }
    return null;
  }

  /** True when no area intersects [start, end). */
  isFree(start: number, end: number): boolean {
    for (const a of this.areas) if (a.start < end && a.end > start) return false;
    return true;
  }

  /** Adds an area over a free range, merging with equal neighbours. */
  addArea(start: number, end: number, prot: number, kind: AreaKind): void {
    let k = 0;
    while (k < this.areas.length && (this.areas[k] as Area).start < start) k++;
    this.areas.splice(k, 0, { start, end, prot, kind });
    this.mergeAround(k);
  }

  private mergeAround(k: number): void {
    const a = this.areas;
    const cur = a[k] as Area;
    const next = a[k + 1];
    if (next && next.start === cur.end && next.prot === cur.prot && next.kind === cur.kind) {
      cur.end = next.end;
      a.splice(k + 1, 1);
    }
    const prev = a[k - 1];
    if (prev && prev.end === cur.start && prev.prot === cur.prot && prev.kind === cur.kind) {
      prev.end = cur.end;
      a.splice(k, 1);
    }
  }

  /** Splits areas so that `at` is an area boundary (if it falls inside one). */
  private split(at: number): void {
    const k = this.areas.findIndex((a) => a.start < at && a.end > at);
    if (k < 0) return;
    const a = this.areas[k] as Area;
    this.areas.splice(k + 1, 0, { start: at, end: a.end, prot: a.prot, kind: a.kind });
    a.end = at;
  }

  /** Forgets [start, end): areas are cut and every frame in the range is released. */
  removeRange(start: number, end: number, releaseFrames = true): void {
    this.split(start);
    this.split(end);
    for (let k = this.areas.length - 1; k >= 0; k--) {
      const a = this.areas[k] as Area;
      if (a.start >= start && a.end <= end) this.areas.splice(k, 1);
    }
    if (releaseFrames) this.dropPages(start, end);
  }

  /** Releases the frames of [start, end) (the pages read as zero when touched again). */
  dropPages(start: number, end: number): void {
    for (const va of this.pagesIn(start, end)) {
      const pa = this.frames.get(va) as number;
      this.frames.delete(va);
      this.as.unmap(va);
      this.invalidate(va);
      this.as.frames.release(pa);
    }
  }

  /** Materialised pages in [start, end), iterating whichever is smaller: the range or the page map. */
  private pagesIn(start: number, end: number): number[] {
    const out: number[] = [];
    if ((end - start) / PAGE <= this.frames.size) {
      for (let va = start; va < end; va += PAGE) if (this.frames.has(va)) out.push(va);
    } else {
      for (const va of this.frames.keys()) if (va >= start && va < end) out.push(va);
    }
    return out;
  }

  /** Highest free gap of `len` bytes below `top` (and above MMAP_MIN), or null. */
  findFree(len: number, top = MMAP_TOP): number | null {
    let hi = top;
    for (let k = this.areas.length - 1; k >= 0; k--) {
      const a = this.areas[k] as Area;
      if (a.start >= hi) continue;
      if (a.end <= hi && hi - a.end >= len) return hi - len;
      hi = Math.min(hi, a.start);
    }
    return hi - MMAP_MIN >= len ? hi - len : null;
  }

  // ------------------------------------------------------------------------------- pages

  /** Records pages that a loader mapped directly in the AddressSpace. */
  adoptMapped(start: number, end: number): void {
    for (let va = start; va < end; va += PAGE) {
      const pa = this.as.lookup(va);
      if (pa !== null) this.frames.set(va, pa);
    }
  }

  private materialise(va: number, prot: number): void {
    let pa: number;
    try {
      pa = this.as.frames.alloc();
      if ((prot & 7) !== 0) this.as.map(va, pa, protToPerms(prot));
    } catch (e) {
      if (e instanceof PhysicalMemoryError) throw new GuestOutOfMemory(e.message);
      throw e;
    }
    this.frames.set(va, pa);
  }

  /**
   * Resolves a page fault at `va`: maps a zero page if an area allows the access and the page is not
   * there yet. False means the access is invalid (the process gets SIGSEGV).
   */
  fault(va: number, write: boolean, fetch: boolean): boolean {
    const area = this.find(va);
    if (area === null || !this.allows(area.prot, write, fetch)) return false;
    const page = pageDown(va);
    if (this.frames.has(page)) return false; // present yet faulting: a real protection violation
    this.materialise(page, area.prot);
    return true;
  }

  private allows(prot: number, write: boolean, fetch: boolean): boolean {
    if ((prot & 7) === 0) return false;
    if (write && (prot & PROT.WRITE) === 0) return false;
    if (fetch && (prot & PROT.EXEC) === 0) return false;
    return true;
  }

  /** Makes [va, va+len) accessible for a host copy with the guest's permissions; false = EFAULT. */
  ensure(va: number, len: number, write: boolean): boolean {
    if (len === 0) return true;
    if (!Number.isFinite(va) || va < 0 || len < 0 || va + len > USER_TOP) return false;
    for (let page = pageDown(va); page < va + len; page += PAGE) {
      const area = this.find(page);
      if (area === null || !this.allows(area.prot, write, false)) return false;
      if (!this.frames.has(page)) this.materialise(page, area.prot);
    }
    return true;
  }

  /** Guest memory -> host, or null for EFAULT. */
  copyIn(va: number, len: number): Uint8Array | null {
    if (!this.ensure(va, len, false)) return null;
    return this.as.read(va, len);
  }

  /** Host -> guest memory; false for EFAULT. */
  copyOut(va: number, data: Uint8Array): boolean {
    if (!this.ensure(va, data.length, true)) return false;
    this.as.write(va, data);
    return true;
  }

  /** A NUL-terminated string of at most `max` bytes, or null (EFAULT or unterminated). */
  readCString(va: number, max = 4096): Uint8Array | null {
    const parts: number[] = [];
    for (let at = va; at < va + max; ) {
      const n = Math.min(PAGE - (at % PAGE), va + max - at);
      const chunk = this.copyIn(at, n);
      if (chunk === null) return null;
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        for (let k = 0; k < nul; k++) parts.push(chunk[k] as number);
        return Uint8Array.from(parts);
      }
      for (const b of chunk) parts.push(b);
      at += n;
    }
    return null;
  }

  // ------------------------------------------------------------------------------- system calls

  /** brk(2): returns the new break, or the old one if the request cannot be met. */
  setBrk(addr: number): number {
    if (!Number.isFinite(addr) || addr < this.brkStart || addr >= MMAP_TOP) return this.brk;
    const oldEnd = pageUp(this.brk);
    const newEnd = pageUp(addr);
    if (newEnd > oldEnd) {
      if (!this.isFree(oldEnd, newEnd)) return this.brk;
      this.addArea(oldEnd, newEnd, PROT.READ | PROT.WRITE, 'heap');
    } else if (newEnd < oldEnd) {
      this.removeRange(newEnd, oldEnd);
    }
    this.brk = addr;
    return addr;
  }

  mmap(
    addr: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
    isStdFd: (fd: number) => boolean,
  ): SysResult {
    const EINVAL = -22;
    if (length <= 0 || !Number.isFinite(length)) return EINVAL;
    if (offset < 0 || offset % PAGE !== 0) return EINVAL;
    const type = flags & MAP.TYPE;
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) return EINVAL;
    if ((prot & ~7 & ~0x03000000) !== 0) return EINVAL;
    if ((flags & MAP.ANONYMOUS) === 0)
      return isStdFd(fd) ? -19 /* ENODEV: pipes cannot be mapped */ : -9; /* EBADF */
    const len = pageUp(length);
    if (len > USER_TOP) return -12;
    const fixed = (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0;
    let start: number;
    if (fixed) {
      if (addr % PAGE !== 0) return EINVAL;
      if (addr < MMAP_MIN) return -1; // EPERM, as below vm.mmap_min_addr
      if (addr + len > USER_TOP) return -12;
      if ((flags & MAP.FIXED) === 0 && !this.isFree(addr, addr + len)) return -17; // EEXIST
      this.removeRange(addr, addr + len);
      start = addr;
    } else {
      const hint = pageDown(addr);
      if (addr > 0 && hint >= MMAP_MIN && hint + len <= MMAP_TOP && this.isFree(hint, hint + len))
        start = hint;
      else {
        const found = this.findFree(len);
        if (found === null) return -12;
        start = found;
      }
    }
    this.addArea(start, start + len, prot & 7, 'mmap');
    if ((flags & MAP.POPULATE) !== 0 && (prot & 7) !== 0) this.ensure(start, len, false);
    return start;
  }

  munmap(addr: number, length: number): SysResult {
    if (addr % PAGE !== 0 || length <= 0 || addr < 0 || addr + length > USER_TOP) return -22;
    this.removeRange(addr, addr + pageUp(length));
    return 0;
  }

  /** Whether [start, end) is covered by areas without holes. */
  private covered(start: number, end: number): boolean {
    let at = start;
    for (const a of this.areas) {
      if (a.end <= at) continue;
      if (a.start > at) return false;
      at = a.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  mprotect(addr: number, length: number, prot: number): SysResult {
    if (addr % PAGE !== 0 || addr < 0 || length < 0) return -22;
    if ((prot & ~7 & ~0x03000000) !== 0) return -22;
    if (length === 0) return 0;
    const end = addr + pageUp(length);
    if (end > USER_TOP || !this.covered(addr, end)) return -12;
    this.split(addr);
    this.split(end);
    for (const a of this.areas) if (a.start >= addr && a.end <= end) a.prot = prot & 7;
    for (const va of this.pagesIn(addr, end)) {
      const pa = this.frames.get(va) as number;
      if ((prot & 7) === 0) this.as.unmap(va);
      else this.as.map(va, pa, protToPerms(prot));
      this.invalidate(va);
    }
    for (let k = this.areas.length - 1; k >= 0; k--) if (k < this.areas.length) this.mergeAround(k);
    return 0;
  }

  mremap(old: number, oldLength: number, newLength: number, flags: number, newAddr: number): SysResult {
    if (old % PAGE !== 0 || newLength <= 0 || (flags & ~7) !== 0) return -22;
    if ((flags & (MREMAP.FIXED | MREMAP.DONTUNMAP)) !== 0 && (flags & MREMAP.MAYMOVE) === 0) return -22;
    if ((flags & MREMAP.DONTUNMAP) !== 0) return -22; // not modelled
    const oldLen = pageUp(oldLength);
    const newLen = pageUp(newLength);
    if (newLen > USER_TOP) return -12;
    const area = this.find(old);
    if (area === null || old + oldLen > area.end || oldLen === 0) return -14; // EFAULT
    const { prot, kind } = area;
    let dest: number;
    if ((flags & MREMAP.FIXED) !== 0) {
      if (newAddr % PAGE !== 0 || newAddr < MMAP_MIN || newAddr + newLen > USER_TOP) return -22;
      if (newAddr < old + oldLen && newAddr + newLen > old) return -22;
      this.removeRange(newAddr, newAddr + newLen);
      dest = newAddr;
    } else {
      if (newLen <= oldLen) {
        this.removeRange(old + newLen, old + oldLen);
        return old;
      }
      if (old + newLen <= USER_TOP && this.isFree(old + oldLen, old + newLen)) {
        this.addArea(old + oldLen, old + newLen, prot, kind);
        return old;
      }
      if ((flags & MREMAP.MAYMOVE) === 0) return -12;
      const found = this.findFree(newLen);
      if (found === null) return -12;
      dest = found;
    }
    // Move the pages (frames keep their contents; only the translations change).
    const keep = Math.min(oldLen, newLen);
    const moved: [number, number][] = [];
    for (const va of this.pagesIn(old, old + keep)) {
      moved.push([va - old + dest, this.frames.get(va) as number]);
      this.frames.delete(va);
      this.as.unmap(va);
      this.invalidate(va);
    }
    this.removeRange(old, old + oldLen);
    this.addArea(dest, dest + newLen, prot, kind === 'image' || kind === 'stack' ? 'mmap' : kind);
    for (const [va, pa] of moved) {
      if ((prot & 7) !== 0) this.as.map(va, pa, protToPerms(prot));
      this.frames.set(va, pa);
    }
    return dest;
  }

  /** MADV_DONTNEED / MADV_FREE: the pages read back as zero. Other advice is accepted and ignored. */
  madvise(addr: number, length: number, advice: number): SysResult {
    if (addr % PAGE !== 0 || length < 0) return -22;
    const end = addr + pageUp(length);
    if (advice === 4 || advice === 8) {
      if (!this.covered(addr, end)) return -12;
      this.dropPages(addr, end);
    }
    return 0;
  }

  /** Total bytes of materialised pages (resident set). */
  get residentBytes(): number {
    return this.frames.size * PAGE;
  }
}
