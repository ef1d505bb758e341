/**
 * The library OS's frames. Every frame a process uses is allocated by the library OS's own environment
 * and stays its capability: processes are environments with no quota of their own, so a process that
 * exits, or a parent that exits before its copy-on-write child, takes no page from anyone else.
 *
 * A frame shared by several page tables (fork's copy-on-write, read-only text) is reference-counted and
 * returned to the kernel when the last one lets go. For each shared frame the pool also derives one
 * capability without WRITE, and every read-only mapping goes through that one, so the kernel itself
 * refuses to make such a page writable: a library-OS bug cannot let one process write another's page.
 */
import { Rights } from '@exov6/caplattice';
import { type EnvApi, ExoError } from '@exov6/exokernel';
import { fail } from '../errno';

export const PAGE_SIZE = 4096;

export class FramePool {
  /** Page tables naming each frame (by the frame's allocation capability). */
  private readonly references = new Map<number, number>();
  private readonly readOnlyCaps = new Map<number, number>();
  allocated = 0;
  freed = 0;

  constructor(readonly os: EnvApi) {}

  /** Caches that can give frames back when the quota runs out (each returns whether it freed any). */
  readonly reclaimers: (() => boolean)[] = [];

  /** A zeroed frame with one reference; ENOMEM when the library OS's quota is spent. */
  alloc(): number {
    let frame: number | null = null;
    while (frame === null) {
      try {
        frame = this.os.frameAlloc();
      } catch (e) {
        if (!(e instanceof ExoError && e.code === 'E_NOMEM')) throw e;
        // Shared caches let go of pages nobody maps any more, then the allocation is tried again.
        if (!this.reclaimers.some((reclaim) => reclaim())) fail('ENOMEM', 'no frame left in the quota');
      }
    }
    this.allocated++;
    this.references.set(frame, 1);
    return frame;
  }

  /** A private copy of `frame`'s contents (for copy-on-write), with one reference. */
  copyOf(frame: number): number {
    const copy = this.alloc();
    this.os.frameCopy(copy, frame);
    return copy;
  }

  retain(frame: number): void {
    this.references.set(frame, this.referencesOf(frame) + 1);
  }

  /** Drops one reference; the last one frees the frame (which also revokes its read-only copy). */
  release(frame: number): void {
    const n = this.referencesOf(frame) - 1;
    if (n > 0) {
      this.references.set(frame, n);
      return;
    }
    this.references.delete(frame);
    this.readOnlyCaps.delete(frame);
    this.os.frameFree(frame);
    this.freed++;
  }

  referencesOf(frame: number): number {
    const n = this.references.get(frame);
    if (n === undefined) throw new Error(`frame capability ${frame} is not in the pool`);
    return n;
  }

  /** The capability to map `frame` through: the frame's own when writable, else its read-only copy. */
  mappingCap(frame: number, writable: boolean): number {
    if (writable) return frame;
    let cap = this.readOnlyCaps.get(frame);
    if (cap === undefined) {
      cap = this.os.capDerive(frame, { rights: Rights.READ | Rights.MAP | Rights.EXECUTE });
      this.readOnlyCaps.set(frame, cap);
    }
    return cap;
  }

  /** Frames the pool holds now. */
  get live(): number {
    return this.references.size;
  }
}
