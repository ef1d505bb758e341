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
import { PAGE_SIZE, PF, PT, parseElf } from '@exov6/hal-x86';
import type { EnvApi } from '../../src/index';

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

/**
 * Loads `elf` into a new child environment: a fresh address space, frames for every PT_LOAD page (file
 * bytes copied, the rest zero), a 16 KiB stack, RIP at the entry. The child receives a capability to its
 * address space (MAP and READ) and gets its id in RDI. Returns the child's environment capability.
 */
export function loadGuest(os: EnvApi, elf: Uint8Array, quota = 64): { child: number; space: number } {
  const file = parseElf(elf);
  const child = os.envCreate({ quota });
  const space = os.asCreate();
  const pages = new Map<number, { frame: number; writable: boolean; executable: boolean }>();
  for (const ph of file.programHeaders) {
    if (ph.type !== PT.LOAD || ph.memsz === 0) continue;
    const first = ph.vaddr - (ph.vaddr % PAGE_SIZE);
    for (let page = first; page < ph.vaddr + ph.memsz; page += PAGE_SIZE) {
      let p = pages.get(page);
      if (p === undefined) {
        p = { frame: os.frameAlloc(), writable: false, executable: false };
        pages.set(page, p);
      }
      p.writable ||= (ph.flags & PF.W) !== 0;
      p.executable ||= (ph.flags & PF.X) !== 0;
      const from = Math.max(page, ph.vaddr);
      const to = Math.min(page + PAGE_SIZE, ph.vaddr + ph.filesz);
      if (to > from) {
        const offset = ph.offset + (from - ph.vaddr);
        os.frameWrite(p.frame, from - page, elf.subarray(offset, offset + (to - from)));
      }
    }
  }
  for (const [va, p] of pages) os.map(space, va, p.frame, { writable: p.writable, executable: p.executable });
  for (let va = GUEST_STACK_TOP - 4 * PAGE_SIZE; va < GUEST_STACK_TOP; va += PAGE_SIZE) {
    os.map(space, va, os.frameAlloc(), { writable: true });
  }
  os.envSetAddressSpace(child, space);
  const spaceForChild = os.capGrant(space, { rights: Rights.MAP | Rights.READ }, child);
  const ctx = os.envReadContext(child);
  ctx.rip = file.entry;
  ctx.setReg(4, GUEST_STACK_TOP);
  ctx.setReg(7, spaceForChild);
  os.envWriteContext(child, ctx);
  return { child, space };
}
