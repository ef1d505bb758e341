/**
 * Copy-on-write done by the program itself, JOS style: the library OS (test/support/cow-guest-libos.ts)
 * forks by sharing pages read-only, and each process's C page-fault handler (test/guest/cow-handler.c),
 * running on its exception stack, copies a shared page on its first write with a frame of its own
 * environment: frame_alloc, map at PFTEMP, copy, unmap, map in place, unmap PFTEMP, pgfault_return. The
 * library OS never sees those faults. Each process keeps its own values; every frame the programs took
 * goes back when they end; the pages the library OS shared still hold the parent's values.
 */
import { PAGE_SIZE } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Exokernel } from '../src/index';
import { pageTableFrames, symbolAddress } from './support/cow-libos';
import {
  GuestCowLibOs,
  PFTEMP,
  type Process,
  ProcessPageOffset,
  type Report,
} from './support/cow-guest-libos';
import { buildGuest, GUEST_STACK_TOP, haveGcc } from './support/guest';

const PARENT_STATUS = 3;
const CHILD_STATUS = 4;
const FAULT_STATUS = 0xfa00;
const MODE_FORK = 0;
const MODE_WRITE_READ_ONLY = 1;
const MODE_READ_UNMAPPED = 2;
/** x86 #PF error code bits. */
const PF_PRESENT = 1;
const PF_WRITE = 2;
const PF_USER = 4;
/** Frames of quota each process's environment gets for its copies. */
const GUEST_QUOTA = 8;

const pageOf = (va: number) => va - (va % PAGE_SIZE);

/** What the test sees of a process at the moment it exits (before the kernel takes its frames back). */
interface AtExit {
  /** Frames charged to its environment. */
  quotaUsed: number;
  /** The frame number mapped at each page of interest. */
  mapped: Map<number, number | null>;
}

function setUp(modeForTheChild: number) {
  const kernel = new Exokernel({ memoryBytes: 8 << 20 });
  const os = kernel.bind(kernel.createRootEnvironment({ quota: 256 }));
  const elf = buildGuest('cow-handler');
  const counterPage = pageOf(symbolAddress(elf, 'counter') as number);
  const dataPage = pageOf(symbolAddress(elf, 'data_buf') as number);
  const stackTopPage = GUEST_STACK_TOP - PAGE_SIZE;
  const watched = [counterPage, dataPage, stackTopPage, PFTEMP];
  const atExit = new Map<number, AtExit>();
  const libos: GuestCowLibOs = new GuestCowLibOs(os, {
    guestQuota: GUEST_QUOTA,
    onExit: (proc) => {
      const env = kernel.snapshot().envs.find((e) => e.id === proc.pid);
      atExit.set(proc.pid, {
        quotaUsed: env?.quotaUsed ?? -1,
        mapped: new Map(watched.map((va) => [va, os.lookup(proc.spaceCap, va)])),
      });
    },
  });
  const framesInUseBefore = kernel.snapshot().framesInUse;
  const quotaBefore = os.quotaFree;
  const parent = libos.spawn(elf, modeForTheChild);
  const original = new Map([...parent.pages].map(([va, e]) => [va, e.frame]));
  expect(kernel.run({ maxInstructions: 2_000_000 }).reason).toBe('idle');
  const others = [...libos.processes.values()].filter((p) => p !== parent);
  expect(others).toHaveLength(1);
  const child = others[0] as Process;
  return {
    kernel,
    os,
    libos,
    parent,
    child,
    original,
    atExit,
    counterPage,
    dataPage,
    stackTopPage,
    framesInUseBefore,
    quotaBefore,
    pageTables: () => pageTableFrames(parent.pages.keys()) + pageTableFrames(child.pages.keys()),
  };
}

describe.skipIf(!haveGcc)('copy-on-write by a page-fault handler in guest C code', () => {
  it('gives each process a copy of each shared page it writes, made by its own handler', () => {
    const t = setUp(MODE_FORK);
    const { kernel, os, libos, parent, child, atExit } = t;
    expect(new Set([t.counterPage, t.dataPage, t.stackTopPage]).size).toBe(3);

    // Copy-on-write faults, one per distinct shared page a process writes after the fork, in that
    // process: the only pages shared writable are the two .data pages (cow-handler.c aligns `counter` and
    // `data_buf` to a page each) and the four stack pages; the process page and exception stack the
    // handler writes are private. Both processes store the fork's result in a volatile on the top stack
    // page right after the fork. The child then writes `counter` and `data_buf` (their pages) and its
    // stack buffer (the top stack page again): 3 copies. The parent only yields and reports, reading
    // `counter` and `data_buf`, which does not fault: 1 copy. The stack stays within its top page.
    const childReport: Report = { counter: 1041n, data: 'child data', stack: 'child stack', cowFaults: 3 };
    const parentReport: Report = { counter: 41n, data: 'parent data', stack: 'parent stack', cowFaults: 1 };
    expect(child.reports).toEqual([childReport]);
    expect(parent.reports).toEqual([parentReport]);
    // The parent yielded after the fork, so the child reported first.
    expect(libos.reports.map((r) => r.pid)).toEqual([child.pid, parent.pid]);
    expect([parent.state, parent.exitStatus]).toEqual(['exited', PARENT_STATUS]);
    expect([child.state, child.exitStatus]).toEqual(['exited', CHILD_STATUS]);
    expect(os.envStatus(parent.envCap).status).toBe('dead');
    expect(os.envStatus(child.envCap).status).toBe('dead');
    expect(libos.stats.forks).toBe(1);
    // The handler's own count, in each process page, read through the library OS's capability.
    expect(libos.processPageWord(child, ProcessPageOffset.COW_FAULTS)).toBe(3n);
    expect(libos.processPageWord(parent, ProcessPageOffset.COW_FAULTS)).toBe(1n);
    // Each process page names that process's own capability for its own space.
    for (const p of [parent, child]) {
      expect(libos.processPageWord(p, ProcessPageOffset.SPACE)).toBe(BigInt(p.guestSpaceCap));
    }

    // At exit, the kernel had charged each environment exactly one frame per copy its handler counted (no
    // page table: PFTEMP lies in the stack's), and each page the process wrote was mapped to one of those
    // frames instead of the library OS's; PFTEMP was unmapped again.
    const frame = (va: number) => libos.frameNumber(t.original.get(va) as number);
    const childAtExit = atExit.get(child.pid) as AtExit;
    const parentAtExit = atExit.get(parent.pid) as AtExit;
    expect(childAtExit.quotaUsed).toBe(3);
    expect(parentAtExit.quotaUsed).toBe(1);
    const written = [t.counterPage, t.dataPage, t.stackTopPage];
    const childFrames = written.map((va) => childAtExit.mapped.get(va));
    for (const [i, va] of written.entries()) {
      expect(childFrames[i]).toEqual(expect.any(Number));
      expect(childFrames[i]).not.toBe(frame(va));
    }
    expect(new Set(childFrames).size).toBe(3);
    expect(parentAtExit.mapped.get(t.counterPage)).toBe(frame(t.counterPage));
    expect(parentAtExit.mapped.get(t.dataPage)).toBe(frame(t.dataPage));
    expect(parentAtExit.mapped.get(t.stackTopPage)).toEqual(expect.any(Number));
    expect(parentAtExit.mapped.get(t.stackTopPage)).not.toBe(frame(t.stackTopPage));
    expect(childFrames).not.toContain(parentAtExit.mapped.get(t.stackTopPage));
    expect(childAtExit.mapped.get(PFTEMP)).toBeNull();
    expect(parentAtExit.mapped.get(PFTEMP)).toBeNull();

    // The library OS's frames still hold the parent's values: it shared them, nobody wrote them.
    const long = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0, true);
    const read = (va: number, offset: number, length: number) =>
      os.frameRead(t.original.get(va) as number, offset, length);
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    expect(long(read(t.counterPage, 0, 8))).toBe(41n);
    expect(text(read(t.dataPage, 0, 12))).toBe('parent data\0');
    const stackPage = text(read(t.stackTopPage, 0, PAGE_SIZE));
    expect(stackPage).toContain('parent stack');
    expect(stackPage).not.toContain('child stack');
    // The pages the programs copied are gone with their environments: nothing of theirs is mapped.
    const mappings = kernel.snapshot().spaces.flatMap((s) => s.mappings);
    expect(mappings.every((m) => m.holder === os.envId)).toBe(true);

    // Every frame the programs allocated is back: what is in use beyond the start is the library OS's
    // frames and the two spaces' page tables, and the library OS got back the programs' whole quotas.
    const libosFrames = libos.stats.framesAllocated - libos.stats.framesFreed;
    expect(libosFrames).toBe(libos.liveFrames);
    expect(t.pageTables()).toBe(12);
    expect(kernel.snapshot().framesInUse - t.framesInUseBefore).toBe(libosFrames + t.pageTables());
    expect(t.quotaBefore - os.quotaFree).toBe(libosFrames + t.pageTables());
    // Reaping both gives back the rest.
    libos.reap(parent.pid);
    libos.reap(child.pid);
    expect(libos.liveFrames).toBe(0);
    expect(libos.stats.framesFreed).toBe(libos.stats.framesAllocated);
    expect(kernel.snapshot().framesInUse).toBe(t.framesInUseBefore);
    expect(os.quotaFree).toBe(t.quotaBefore);
  });

  it.each([
    ['a write to a read-only page that is not shared', MODE_WRITE_READ_ONLY, PF_PRESENT | PF_WRITE | PF_USER],
    ['a read of an unmapped address', MODE_READ_UNMAPPED, PF_USER],
  ])('ends a process whose handler meets %s, with the status it chose', (_, mode, errorCode) => {
    const t = setUp(mode);
    const { kernel, os, libos, parent, child } = t;
    // The child's handler saw a fault that is not copy-on-write and exited with FAULT_STATUS | error code;
    // it reported nothing. The parent went on as before.
    expect([child.state, child.exitStatus]).toEqual(['exited', FAULT_STATUS | errorCode]);
    expect(child.reports).toEqual([]);
    expect(parent.reports).toEqual([
      { counter: 41n, data: 'parent data', stack: 'parent stack', cowFaults: 1 },
    ]);
    expect([parent.state, parent.exitStatus]).toEqual(['exited', PARENT_STATUS]);
    // Its one copy (the top stack page, written before the bad access) went back with its environment.
    expect(t.atExit.get(child.pid)?.quotaUsed).toBe(1);
    const libosFrames = libos.stats.framesAllocated - libos.stats.framesFreed;
    expect(kernel.snapshot().framesInUse - t.framesInUseBefore).toBe(libosFrames + t.pageTables());
    libos.reap(parent.pid);
    libos.reap(child.pid);
    expect(kernel.snapshot().framesInUse).toBe(t.framesInUseBefore);
    expect(os.quotaFree).toBe(t.quotaBefore);
  });
});
