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
    for (const p of elf.loads) {
      if (p.filesz === 0) continue;
      // As a file mapping shows it: the segment's first page also holds the file bytes before p_vaddr.
      const lead = p.vaddr % PAGE_SIZE;
      memory.fill(p.vaddr - lead + bias, request.bytes.subarray(p.offset - lead, p.offset + p.filesz));
      // The rest of the page after p_filesz belongs to bss when memsz says so: zero it.
      const end = p.vaddr + p.filesz + bias;
      const pageEnd = Math.ceil(end / PAGE_SIZE) * PAGE_SIZE;
      if (p.memsz > p.filesz && pageEnd > end)
        memory.fill(end, new Uint8Array(Math.min(pageEnd, p.vaddr + p.memsz + bias) - end));
    }
    // Exact segment contents win over bytes a neighbouring segment's page brought along.
    for (const p of elf.loads) {
      if (p.filesz > 0) memory.fill(p.vaddr + bias, request.bytes.subarray(p.offset, p.offset + p.filesz));
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

function protOf(flags: number): number {
  return (
    ((flags & PF.R) !== 0 ? PROT.READ : 0) |
    ((flags & PF.W) !== 0 ? PROT.WRITE : 0) |
    ((flags & PF.X) !== 0 ? PROT.EXEC : 0)
  );
}
