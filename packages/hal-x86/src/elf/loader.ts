/**
 * Loads a parsed static ELF64 executable into an address space, the way Linux's load_elf_binary does
 * for a binary without an interpreter.
 *
 * - ET_EXEC is loaded at its link-time addresses.
 * - ET_DYN without PT_INTERP (static-pie) is loaded at `STATIC_PIE_BASE` (0x555555554000, where Linux puts
 *   PIE executables when address randomisation is off), rounded up to the largest p_align. The loader
 *   applies no relocations: static-pie start-up code (musl's rcrt1.o, glibc's _dl_relocate_static_pie)
 *   relocates the image itself, finding its base through AT_PHDR and its own _DYNAMIC.
 * - Each page gets the union of the permissions of the segments touching it (R/W/X from p_flags; on x86
 *   every present page is readable). Pages are filled like Linux's file mappings: a segment's first page
 *   also holds the file bytes before p_vaddr (that is where the ELF and program headers live in the first
 *   segment), the tail of the last file page after p_filesz is zeroed, and pure-bss pages are zero.
 *   With `lazyBss`, pure-bss pages are left unmapped for the caller to fill on first touch.
 */

import type { AddressSpace } from '../mmu/address-space';
import {
  ELF64_PHDR_SIZE,
  ElfError,
  type ElfFile,
  ET_DYN,
  PF,
  type ProgramHeader,
  USER_ADDRESS_LIMIT,
} from './elf';

export const STATIC_PIE_BASE = 0x555555554000;
const PAGE = 4096;

export interface LoadOptions {
  /** Base address for ET_DYN images (default STATIC_PIE_BASE); rounded up to the image's alignment. */
  base?: number;
  /** Leave pages holding only bss unmapped (the caller maps zero pages on demand). Default false. */
  lazyBss?: boolean;
}

/** A page-granular, non-overlapping part of the image with one set of permissions (p_flags bits). */
export interface LoadedRegion {
  start: number;
  end: number;
  flags: number;
}

export interface LoadedImage {
  /** Added to every p_vaddr: 0 for ET_EXEC. */
  bias: number;
  /** Entry point (bias applied). */
  entry: number;
  /** Address of the program header table in memory (AT_PHDR). */
  phdrAddress: number;
  phnum: number;
  phentsize: number;
  /** Lowest page and highest (exclusive, page-rounded) address of the image. */
  start: number;
  end: number;
  /** Initial program break: the page-aligned end of the highest segment. */
  brk: number;
  regions: LoadedRegion[];
  /** The TLS initialisation image (informational). */
  tls: { address: number; filesz: number; memsz: number; align: number } | null;
  executableStack: boolean;
}

function pageDown(a: number): number {
  return a - (a % PAGE);
}

function pageUp(a: number): number {
  return Math.ceil(a / PAGE) * PAGE;
}

/** The load bias for an image: 0 for ET_EXEC, else the aligned base minus the lowest p_vaddr page. */
export function loadBias(elf: ElfFile, base = STATIC_PIE_BASE): number {
  if (elf.type !== ET_DYN) return 0;
  if (!Number.isInteger(base) || base < 0 || base % PAGE !== 0) {
    throw new RangeError(`load base must be a page-aligned non-negative integer, got ${base}`);
  }
  const align = Math.max(PAGE, elf.maxAlign);
  const aligned = Math.ceil(base / align) * align;
  const bias = aligned - elf.minVaddr;
  if (elf.maxVaddr + bias > USER_ADDRESS_LIMIT) {
    throw new ElfError(
      'ADDRESS_RANGE',
      `image of ${elf.maxVaddr - elf.minVaddr} bytes does not fit at base 0x${aligned.toString(16)}`,
    );
  }
  return bias;
}

/** Where the program header table is in memory (AT_PHDR), even without PT_PHDR. */
export function phdrAddress(elf: ElfFile, bias: number): number {
  if (elf.phdr !== null) return elf.phdr.vaddr + bias;
  const tableEnd = elf.phoff + elf.phnum * ELF64_PHDR_SIZE;
  for (const p of elf.loads) {
    if (elf.phoff >= p.offset && tableEnd <= p.offset + p.filesz)
      return p.vaddr + (elf.phoff - p.offset) + bias;
  }
  // Not inside any segment: Linux reports load_addr + e_phoff all the same (the table is then unmapped).
  const first = elf.loads[0] as ProgramHeader;
  return first.vaddr - first.offset + elf.phoff + bias;
}

/** Page permissions as a union of p_flags over the segments touching each page, coalesced into regions. */
export function imageRegions(elf: ElfFile, bias: number): LoadedRegion[] {
  const pages = new Map<number, number>();
  for (const p of elf.loads) {
    if (p.memsz === 0) continue;
    const end = pageUp(p.vaddr + p.memsz + bias);
    for (let va = pageDown(p.vaddr + bias); va < end; va += PAGE)
      pages.set(va, (pages.get(va) ?? 0) | (p.flags & 7));
  }
  const sorted = [...pages.keys()].sort((a, b) => a - b);
  const regions: LoadedRegion[] = [];
  for (const va of sorted) {
    const flags = pages.get(va) as number;
    const last = regions[regions.length - 1];
    if (last !== undefined && last.end === va && last.flags === flags) last.end = va + PAGE;
    else regions.push({ start: va, end: va + PAGE, flags });
  }
  return regions;
}

/** Maps and fills every PT_LOAD segment of `elf` in `as`. */
export function loadElf(elf: ElfFile, as: AddressSpace, options: LoadOptions = {}): LoadedImage {
  const bias = loadBias(elf, options.base);
  const regions = imageRegions(elf, bias);

  // Pages that receive file bytes are always mapped; bss-only pages only when not lazy.
  const eager = new Set<number>();
  for (const p of elf.loads) {
    if (p.memsz === 0) continue;
    const fileEnd = options.lazyBss ? pageUp(p.vaddr + p.filesz + bias) : pageUp(p.vaddr + p.memsz + bias);
    for (let va = pageDown(p.vaddr + bias); va < fileEnd; va += PAGE) eager.add(va);
  }
  for (const r of regions) {
    if ((r.flags & 7) === 0) continue; // PROT_NONE: reserved, never present
    const perms = { writable: (r.flags & PF.W) !== 0, executable: (r.flags & PF.X) !== 0, user: true };
    for (let va = r.start; va < r.end; va += PAGE) {
      if (eager.has(va) && as.lookup(va) === null) as.map(va, as.frames.alloc(), perms);
    }
  }

  const mapped = (va: number) => as.lookup(va) !== null;
  // 1. File pages as a file mapping shows them: from the page start up to p_vaddr + p_filesz.
  for (const p of elf.loads) {
    if (p.filesz === 0) continue;
    const lead = p.vaddr % PAGE;
    copyToMapped(as, p.vaddr - lead + bias, elf.bytes.subarray(p.offset - lead, p.offset + p.filesz), mapped);
  }
  // 2. bss: zero from p_filesz to p_memsz on every page that is present (the partial page in particular).
  for (const p of elf.loads) {
    if (p.memsz > p.filesz) zeroMapped(as, p.vaddr + p.filesz + bias, p.vaddr + p.memsz + bias, mapped);
  }
  // 3. Exact segment contents win over the neighbouring-page bytes written in step 1.
  for (const p of elf.loads) {
    if (p.filesz > 0)
      copyToMapped(as, p.vaddr + bias, elf.bytes.subarray(p.offset, p.offset + p.filesz), mapped);
  }

  const highest = elf.maxVaddr + bias;
  const tls = elf.tls;
  return {
    bias,
    entry: elf.entry + bias,
    phdrAddress: phdrAddress(elf, bias),
    phnum: elf.phnum,
    phentsize: elf.phentsize,
    start: elf.minVaddr + bias,
    end: pageUp(highest),
    brk: pageUp(highest),
    regions,
    tls:
      tls === null
        ? null
        : { address: tls.vaddr + bias, filesz: tls.filesz, memsz: tls.memsz, align: tls.align },
    executableStack: elf.executableStack,
  };
}

function copyToMapped(as: AddressSpace, va: number, data: Uint8Array, mapped: (va: number) => boolean): void {
  let done = 0;
  while (done < data.length) {
    const at = va + done;
    const n = Math.min(data.length - done, PAGE - (at % PAGE));
    if (mapped(pageDown(at))) as.write(at, data.subarray(done, done + n));
    done += n;
  }
}

function zeroMapped(as: AddressSpace, from: number, to: number, mapped: (va: number) => boolean): void {
  for (let at = from; at < to; ) {
    const n = Math.min(to - at, PAGE - (at % PAGE));
    if (mapped(pageDown(at))) as.memory.fill(as.lookup(at) as number, n, 0);
    at += n;
  }
}
