/**
 * execve's loading step: a static ELF64 executable (fixed-address or static-PIE) into a fresh
 * `ProcessMemory`, with the initial stack Linux's create_elf_tables builds (argc, argv, envp, auxv) and
 * the registers a new program starts with (all zero but RIP and RSP, RDX included).
 *
 * Parsing, the load bias, page permissions and the stack layout are hal-x86's (the same code x86run
 * uses); what is the library OS's is where the pages come from: frames of its pool, mapped through the
 * exokernel when first touched (image pages from the file, bss, heap and stack pages zero).
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
import { ImagePages } from './image-pages';

/** The top of the initial stack and its size (Linux's default RLIMIT_STACK). */
export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;
/** mmap without a hint places regions below this, top down. */
export const MMAP_TOP = 0x7ffff7fff000;
export const MMAP_BOTTOM = 0x10000;

export interface ExecRequest {
  /** The executable's bytes; they must not change while the program runs (`Inode.snapshot`). */
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
    // The image's pages appear on first touch: from the file (through the page cache when the file has a
    // key), or zero for bss alone.
    const caching =
      request.pageCache !== undefined && request.cacheKey !== undefined
        ? { pageCache: request.pageCache, key: request.cacheKey }
        : null;
    const source = new ImagePages(pool, elf, request.bytes, bias, caching);
    for (const r of imageRegions(elf, bias)) memory.addArea(r.start, r.end, protOf(r.flags), 'image', source);
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

function protOf(flags: number): number {
  return (
    ((flags & PF.R) !== 0 ? PROT.READ : 0) |
    ((flags & PF.W) !== 0 ? PROT.WRITE : 0) |
    ((flags & PF.X) !== 0 ? PROT.EXEC : 0)
  );
}
