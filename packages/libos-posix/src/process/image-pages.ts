/**
 * The pages of a loaded program image, made on first touch (a `PageSource` for its areas). A page that
 * holds bytes of the file comes from the page cache when the file has a cache key (shared by every exec
 * of the same unchanged file, copy-on-write), or else is filled privately; a page of bss alone is zero.
 */
import type { ElfFile } from '@exov6/hal-x86';
import { type FramePool, PAGE_SIZE } from '../memory/frame-pool';
import type { PageCache } from '../memory/page-cache';
import type { PageSource, SourcedPage } from '../memory/page-source';

export interface ImageCaching {
  pageCache: PageCache;
  /** Names the file and its version (e.g. inode and version). */
  key: string;
}

export class ImagePages implements PageSource {
  /** Page addresses holding bytes of the file. */
  private readonly withFileBytes: Set<number>;

  constructor(
    private readonly pool: FramePool,
    private readonly elf: ElfFile,
    /** The executable's bytes as they were at execve (a snapshot: they do not change under the image). */
    private readonly file: Uint8Array,
    private readonly bias: number,
    private readonly caching: ImageCaching | null,
  ) {
    this.withFileBytes = filePages(elf, bias);
  }

  pageAt(page: number): SourcedPage | null {
    if (!this.withFileBytes.has(page)) return null;
    if (this.caching !== null) {
      const key = `${this.caching.key}:${this.bias}:${page}`;
      return { frame: this.caching.pageCache.frame(key, () => this.contents(page)), shared: true };
    }
    const frame = this.pool.alloc();
    this.pool.os.frameWrite(frame, 0, this.contents(page));
    return { frame, shared: false };
  }

  /** The page's bytes (see pageContents). */
  contents(page: number): Uint8Array {
    return pageContents(this.elf, this.file, this.bias, page);
  }
}

/** The pages of the image that hold bytes of the file (the rest is bss). */
function filePages(elf: ElfFile, bias: number): Set<number> {
  const pages = new Set<number>();
  for (const p of elf.loads) {
    if (p.filesz === 0) continue;
    const first = p.vaddr + bias - ((p.vaddr + bias) % PAGE_SIZE);
    for (let va = first; va < p.vaddr + p.filesz + bias; va += PAGE_SIZE) pages.add(va);
  }
  return pages;
}

/**
 * A page of the image as Linux's file mappings show it: a segment's first page also holds the file bytes
 * before p_vaddr (the ELF and program headers in the first one), bss is zero from p_filesz to p_memsz, and
 * each segment's exact bytes win over what a neighbouring segment's page brought along.
 */
function pageContents(elf: ElfFile, file: Uint8Array, bias: number, page: number): Uint8Array {
  const out = new Uint8Array(PAGE_SIZE);
  /** Copies file[from, to) to the addresses starting at `at`, where they fall inside this page. */
  const copy = (at: number, from: number, to: number) => {
    const start = Math.max(at, page);
    const end = Math.min(at + (to - from), page + PAGE_SIZE);
    if (start < end) out.set(file.subarray(from + (start - at), from + (end - at)), start - page);
  };
  for (const p of elf.loads) {
    if (p.filesz === 0) continue;
    const lead = p.vaddr % PAGE_SIZE;
    copy(p.vaddr - lead + bias, p.offset - lead, p.offset + p.filesz);
  }
  for (const p of elf.loads) {
    const start = Math.max(p.vaddr + p.filesz + bias, page);
    const end = Math.min(p.vaddr + p.memsz + bias, page + PAGE_SIZE);
    if (start < end) out.fill(0, start - page, end - page);
  }
  for (const p of elf.loads) if (p.filesz > 0) copy(p.vaddr + bias, p.offset, p.offset + p.filesz);
  return out;
}
