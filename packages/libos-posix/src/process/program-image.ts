/**
 * execve's loading step: a static ELF64 executable (fixed-address or static-PIE) into a fresh
 * `ProcessMemory`, with the initial stack Linux's create_elf_tables builds (argc, argv, envp, auxv) and
 * the registers a new program starts with (all zero but RIP and RSP, RDX included).
 *
 * Parsing, the load bias, page permissions and the stack layout are hal-x86's (the same code x86run
 * uses); what is the library OS's is where the pages come from: frames of its pool, mapped through the
 * exokernel, with bss, heap and stack pages left to appear on first touch.
 */
import {
  CPUID1_EDX,
  type ElfFile,
  ElfError,
  buildInitialStack,
  imageRegions,
  linuxAuxv,
  loadBias,
  PF,
  PROT,
  parseElf,
  phdrAddress,
} from '@exov6/hal-x86';
import { fail } from '../errno';
import type { FramePool } from '../memory/frame-pool';
import { PAGE_SIZE } from '../memory/frame-pool';
import type { PageCache } from '../memory/page-cache';
import { ProcessMemory } from '../memory/process-memory';

/** The top of the initial stack and its size (Linux's default RLIMIT_STACK). */
export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;
/** mmap without a hint places regions below this, top down. */
export const MMAP_TOP = 0x7ffff7fff000;
export const MMAP_BOTTOM = 0x10000;

export interface ExecRequest {
  /** The executable's bytes. */
  bytes: Uint8Array;
  argv: readonly string[];
  env: readonly string[];
  /** The path the program was run as (AT_EXECFN). */
  path: string;
  /** 16 bytes for AT_RANDOM. */
  random: Uint8Array;
  uid: number;
  gid: number;
  /** Shares the image's pages between execs of the same file: with a key naming the file's contents. */
  pageCache?: PageCache;
  /** Names the file and its version (e.g. inode and version), for the page cache. */
  cacheKey?: string;
}

export interface LoadedProgram {
  memory: ProcessMemory;
  entry: number;
  stackPointer: number;
}

/**
 * Builds the new image; nothing of the caller's changes, so a failed exec leaves the old program running.
 * ENOEXEC for a file that is not a static x86-64 executable, E2BIG for arguments that do not fit.
 */
export function loadProgram(pool: FramePool, request: ExecRequest): LoadedProgram {
  let elf: ElfFile;
  try {
    elf = parseElf(request.bytes);
  } catch (e) {
    if (e instanceof ElfError) fail('ENOEXEC', e.message);
    throw e;
  }
  const bias = loadBias(elf);
  const memory = ProcessMemory.create(pool);
  try {
    for (const r of imageRegions(elf, bias)) memory.addArea(r.start, r.end, protOf(r.flags), 'image');
    // Pages holding file bytes are made now (from the page cache when the file has a key); pages of bss
    // alone appear, zero, on first touch.
    for (const page of filePages(elf, bias)) {
      const contents = () => pageContents(elf, request.bytes, bias, page);
      if (request.pageCache !== undefined && request.cacheKey !== undefined) {
        memory.installShared(page, request.pageCache.frame(`${request.cacheKey}:${bias}:${page}`, contents));
      } else {
        memory.fill(page, contents());
      }
    }
    const imageEnd = Math.ceil((elf.maxVaddr + bias) / PAGE_SIZE) * PAGE_SIZE;
    memory.brkStart = imageEnd;
    memory.brk = imageEnd;

    memory.addArea(STACK_TOP - STACK_SIZE, STACK_TOP, PROT.READ | PROT.WRITE, 'stack');
    const stack = buildInitialStack({
      stackTop: STACK_TOP,
      argv: request.argv,
      env: request.env,
      execfn: request.path,
      random: request.random,
      auxv: linuxAuxv({
        phdr: phdrAddress(elf, bias),
        phent: elf.phentsize,
        phnum: elf.phnum,
        entry: elf.entry + bias,
        hwcap: CPUID1_EDX >>> 0,
        uid: request.uid,
        gid: request.gid,
      }),
    });
    memory.write(stack.sp, stack.bytes);
    return { memory, entry: elf.entry + bias, stackPointer: stack.sp };
  } catch (e) {
    memory.destroy();
    if (e instanceof RangeError) fail('E2BIG', e.message);
    throw e;
  }
}

/** The pages of the image that hold bytes of the file (the rest is bss). */
function filePages(elf: ElfFile, bias: number): number[] {
  const pages = new Set<number>();
  for (const p of elf.loads) {
    if (p.filesz === 0) continue;
    const first = p.vaddr + bias - ((p.vaddr + bias) % PAGE_SIZE);
    for (let va = first; va < p.vaddr + p.filesz + bias; va += PAGE_SIZE) pages.add(va);
  }
  return [...pages].sort((a, b) => a - b);
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

function protOf(flags: number): number {
  return (
    ((flags & PF.R) !== 0 ? PROT.READ : 0) |
    ((flags & PF.W) !== 0 ? PROT.WRITE : 0) |
    ((flags & PF.X) !== 0 ? PROT.EXEC : 0)
  );
}
