/**
 * Where the pages of a file-backed area come from: a program image's pages and a private file mapping's
 * are made when the program first touches them (or the library OS copies to or from them), as Linux
 * faults them in from the file, rather than all at execve or mmap. A process that touches a few pages
 * of a large program (a shell that is busybox) costs a few pages, and fork has only those to share.
 */
import type { Inode } from '../fs/inode';
import { type FramePool, PAGE_SIZE } from './frame-pool';

/** A page a source made: a frame with a reference for the page table that asked. */
export interface SourcedPage {
  frame: number;
  /** Other page tables may map the frame too (a page cache's): it is mapped copy-on-write. */
  shared: boolean;
}

export interface PageSource {
  /** The page at page-aligned address `page` inside the area, or null for a page of zeros. */
  pageAt(page: number): SourcedPage | null;
}

/**
 * A private file mapping: the file's bytes from `offset` on at the mapping's `start`, as they are when the
 * page is first touched, and zeros past the end of the file. (Linux goes on showing a page the file's
 * later changes until the process writes to it; here a page keeps what it read at its first touch.)
 */
export class FileMappingSource implements PageSource {
  constructor(
    private readonly pool: FramePool,
    private readonly file: Inode,
    private readonly start: number,
    private readonly offset: number,
  ) {}

  pageAt(page: number): SourcedPage | null {
    const from = this.offset + (page - this.start);
    if (from >= this.file.size) return null;
    const frame = this.pool.alloc();
    this.pool.os.frameWrite(frame, 0, this.file.readBytes(from, from + PAGE_SIZE));
    return { frame, shared: false };
  }
}
