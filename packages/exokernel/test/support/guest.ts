/**
 * Test support: builds a guest C program with the host's gcc (static, no libc, the exokernel header on the
 * include path), and loads an ELF into a child environment the way a library OS does, through the
 * exokernel's primitives only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rights } from '@exov6/caplattice';
import { type ElfFile, PAGE_SIZE, PF, PT, parseElf } from '@exov6/hal-x86';
import { EXO_SYSCALL_BASE, type EnvApi } from '../../src/index';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const haveGcc =
  process.arch === 'x64' && spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;

/** Compiles test/guest/NAME.c (cached by modification time) and returns the ELF bytes. */
export function buildGuest(name: string): Uint8Array {
  const src = join(pkg, 'test', 'guest', `${name}.c`);
  const header = join(pkg, 'include', 'exov6.h');
  const outDir = join(pkg, 'test', '.build');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, name);
  const stale =
    !existsSync(out) || statSync(out).mtimeMs < Math.max(statSync(src).mtimeMs, statSync(header).mtimeMs);
  if (stale) {
    execFileSync('gcc', [
      '-static',
      '-nostdlib',
      '-ffreestanding',
      '-fno-pie',
      '-no-pie',
      '-O2',
      '-fno-stack-protector',
      '-fcf-protection=none',
      '-I',
      join(pkg, 'include'),
      '-o',
      out,
      src,
    ]);
  }
  return new Uint8Array(readFileSync(out));
}

export const GUEST_STACK_TOP = 0x7fff_0000;

/** Permissions of a page that PT_LOAD segments cover: the union over the segments that share it. */
export interface SegmentPage {
  writable: boolean;
  executable: boolean;
}

/** Every page a static ELF's PT_LOAD segments cover (by virtual address), with its permissions. */
export function segmentPages(file: ElfFile): Map<number, SegmentPage> {
  const pages = new Map<number, SegmentPage>();
  for (const ph of file.programHeaders) {
    if (ph.type !== PT.LOAD || ph.memsz === 0) continue;
    const first = ph.vaddr - (ph.vaddr % PAGE_SIZE);
    for (let page = first; page < ph.vaddr + ph.memsz; page += PAGE_SIZE) {
      const seen = pages.get(page) ?? { writable: false, executable: false };
      seen.writable ||= (ph.flags & PF.W) !== 0;
      seen.executable ||= (ph.flags & PF.X) !== 0;
      pages.set(page, seen);
    }
  }
  return pages;
}

/**
 * Copies the file bytes of every PT_LOAD segment into the frame `frameOf` gives for each page (after
 * every page has its frame: two segments may share a page). The rest of each frame stays as allocated
 * (zero).
 */
export function copySegments(
  os: EnvApi,
  elf: Uint8Array,
  file: ElfFile,
  frameOf: (page: number) => number,
): void {
  for (const ph of file.programHeaders) {
    if (ph.type !== PT.LOAD) continue;
    for (let at = ph.vaddr; at < ph.vaddr + ph.filesz; ) {
      const page = at - (at % PAGE_SIZE);
      const n = Math.min(page + PAGE_SIZE, ph.vaddr + ph.filesz) - at;
      const offset = ph.offset + (at - ph.vaddr);
      os.frameWrite(frameOf(page), at - page, elf.subarray(offset, offset + n));
      at += n;
    }
  }
}

/** Points an environment at its program: RIP at `entry`, RSP at the stack top, `argument` in RDI. */
export function enterAt(os: EnvApi, env: number, entry: number, argument: number): void {
  const ctx = os.envReadContext(env);
  ctx.rip = entry;
  ctx.setReg(4, GUEST_STACK_TOP);
  ctx.setReg(7, argument);
  os.envWriteContext(env, ctx);
}

/**
 * Loads `elf` into a new child environment: a fresh address space, frames for every PT_LOAD page (file
 * bytes copied, the rest zero), a 16 KiB stack, RIP at the entry. The child receives a capability to its
 * address space (MAP and READ) and gets its id in RDI. Returns the child's environment capability.
 */
export function loadGuest(os: EnvApi, elf: Uint8Array, quota = 64): { child: number; space: number } {
  const file = parseElf(elf);
  const child = os.envCreate({ quota });
  const space = os.asCreate();
  const frames = new Map<number, number>();
  const pages = segmentPages(file);
  for (const page of pages.keys()) frames.set(page, os.frameAlloc());
  copySegments(os, elf, file, (page) => frames.get(page) as number);
  for (const [va, p] of pages) {
    os.map(space, va, frames.get(va) as number, { writable: p.writable, executable: p.executable });
  }
  for (let va = GUEST_STACK_TOP - 4 * PAGE_SIZE; va < GUEST_STACK_TOP; va += PAGE_SIZE) {
    os.map(space, va, os.frameAlloc(), { writable: true });
  }
  os.envSetAddressSpace(child, space);
  enterAt(os, child, file.entry, os.capGrant(space, { rights: Rights.MAP | Rights.READ }, child));
  return { child, space };
}

/** `mov eax, EXO_SYSCALL_BASE + n`: the machine code that selects guest primitive n. */
export function movEaxPrimitive(n: number): number[] {
  const v = EXO_SYSCALL_BASE + n;
  return [0xb8, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** The `syscall` instruction. */
export const SYSCALL = [0x0f, 0x05];

/**
 * A child environment (quota 8) that will run `code` at 0x400000 (read-only, executable) with one writable
 * stack page below 0x7fff0000 (RSP there) and the given registers; not started.
 */
export function startMachineCode(os: EnvApi, code: number[], regs: Record<number, number> = {}): number {
  return machineCodeEnvironment(os, code, regs).child;
}

/** As startMachineCode, also giving the capability of the child's address space. */
export function machineCodeEnvironment(
  os: EnvApi,
  code: number[],
  regs: Record<number, number> = {},
): { child: number; space: number } {
  const child = os.envCreate({ quota: 8 });
  const space = os.asCreate();
  const text = os.frameAlloc();
  os.frameWrite(text, 0, Uint8Array.from(code));
  os.map(space, 0x400000, text, { executable: true });
  os.map(space, 0x7fff0000 - PAGE_SIZE, os.frameAlloc(), { writable: true });
  os.envSetAddressSpace(child, space);
  const ctx = os.envReadContext(child);
  ctx.rip = 0x400000;
  ctx.setReg(4, 0x7fff0000);
  for (const [r, v] of Object.entries(regs)) ctx.setReg(Number(r), v);
  os.envWriteContext(child, ctx);
  return { child, space };
}
