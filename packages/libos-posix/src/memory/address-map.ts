/**
 * A process's address map: the areas of its virtual address space that may be used (the program image,
 * the heap, the stack, mmap regions), each with the protection the program asked for. Pages inside an
 * area are materialised on first touch (see process-memory.ts); an access outside every area, or one its
 * area forbids, is a segmentation fault. Areas never overlap and are kept sorted by start address.
 */
import { PROT } from '@exov6/hal-x86';
import type { PageSource } from './page-source';

export type AreaKind = 'image' | 'heap' | 'stack' | 'anon' | 'file';

export interface VmArea {
  start: number;
  end: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC bits. */
  prot: number;
  kind: AreaKind;
  /** Where untouched pages come from (a file); without one they are zero. Pieces of a split area share it. */
  source?: PageSource;
}

export class AddressMap {
  private areas: VmArea[] = [];

  /** The areas in address order (copies). */
  list(): VmArea[] {
    return this.areas.map((a) => ({ ...a }));
  }

  /** The area holding `va`, or undefined. */
  find(va: number): VmArea | undefined {
    let lo = 0;
    let hi = this.areas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const a = this.areas[mid] as VmArea;
      if (va < a.start) hi = mid - 1;
      else if (va >= a.end) lo = mid + 1;
      else return a;
    }
    return undefined;
  }

  /** Whether any area overlaps [start, end). */
  overlaps(start: number, end: number): boolean {
    return this.areas.some((a) => a.start < end && start < a.end);
  }

  /** Adds an area over a range no other area touches (remove() the range first when replacing). */
  insert(area: VmArea): void {
    if (area.start >= area.end) throw new RangeError(`empty area [0x${area.start.toString(16)}, ...)`);
    if (this.overlaps(area.start, area.end)) {
      throw new RangeError(
        `area [0x${area.start.toString(16)}, 0x${area.end.toString(16)}) overlaps another`,
      );
    }
    const at = this.areas.findIndex((a) => a.start > area.start);
    this.areas.splice(at < 0 ? this.areas.length : at, 0, { ...area });
  }

  /**
   * Takes [start, end) out of every area, splitting the areas it cuts; returns the removed pieces (so the
   * caller can let go of their pages).
   */
  remove(start: number, end: number): VmArea[] {
    const removed: VmArea[] = [];
    const kept: VmArea[] = [];
    for (const a of this.areas) {
      if (a.end <= start || a.start >= end) {
        kept.push(a);
        continue;
      }
      if (a.start < start) kept.push({ ...a, end: start });
      removed.push({ ...a, start: Math.max(a.start, start), end: Math.min(a.end, end) });
      if (a.end > end) kept.push({ ...a, start: end });
    }
    this.areas = kept;
    return removed;
  }

  /** Sets the protection of [start, end), which must be wholly inside areas; returns the changed pieces. */
  protect(start: number, end: number, prot: number): VmArea[] {
    const pieces = this.remove(start, end);
    for (const p of pieces) {
      p.prot = prot;
      this.insert(p);
    }
    return pieces;
  }

  /** Whether [start, end) is covered by areas with no hole. */
  covers(start: number, end: number): boolean {
    let at = start;
    for (const a of this.areas) {
      if (a.end <= at) continue;
      if (a.start > at) return false;
      at = a.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  /** The highest free range of `length` bytes ending at or below `top` and starting at or above `bottom`. */
  freeRangeBelow(top: number, length: number, bottom: number): number | null {
    let ceiling = top;
    for (let i = this.areas.length - 1; i >= -1; i--) {
      const a = this.areas[i];
      const floor = a === undefined ? bottom : Math.max(bottom, a.end);
      if (a !== undefined && a.start >= ceiling) continue;
      if (ceiling - floor >= length) return ceiling - length;
      if (a === undefined) break;
      ceiling = Math.min(ceiling, a.start);
    }
    return null;
  }

  /** A copy, for fork. */
  clone(): AddressMap {
    const copy = new AddressMap();
    copy.areas = this.list();
    return copy;
  }
}

/** Whether `prot` lets the program touch the page at all (x86 pages that are present are readable). */
export function accessible(prot: number): boolean {
  return (prot & (PROT.READ | PROT.WRITE | PROT.EXEC)) !== 0;
}
