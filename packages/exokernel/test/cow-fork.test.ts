/**
 * fork(2) with copy-on-write, done entirely by a TypeScript library OS (test/support/cow-libos.ts) on the
 * exokernel's primitives and upcalls; the kernel knows nothing of processes or copy-on-write. A C program
 * (test/guest/fork.c) forks; each process changes what it likes, the other keeps its own values; every
 * frame the library OS took comes back. A fork bomb runs into the kernel's quota inside the library OS's
 * fork, which hands the program ENOMEM; everything ends, and a neighbour library OS is unaffected.
 */
import { Rights } from '@exov6/caplattice';
import { PAGE_SIZE } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { type EnvApi, Exokernel } from '../src/index';
import { CowLibOs, pageTableFrames, type Process, symbolAddress } from './support/cow-libos';
import { buildGuest, GUEST_STACK_TOP, haveGcc } from './support/guest';

const PARENT_STATUS = 3;
const CHILD_STATUS = 4;
const FORK_ONCE = 0;
const FORK_BOMB = 1;

const pageOf = (va: number) => va - (va % PAGE_SIZE);

/** The only other process of `libos` besides `proc`. */
function otherProcess(libos: CowLibOs, proc: Process): Process {
  const others = [...libos.processes.values()].filter((p) => p !== proc);
  expect(others).toHaveLength(1);
  return others[0] as Process;
}

/** A library OS in an environment of its own, with `quota` frames taken from the root's. */
function libraryOs(kernel: Exokernel, root: EnvApi, quota: number): CowLibOs {
  const rootEnv = kernel.environment(root.envId);
  if (rootEnv === undefined) throw new Error('no root environment');
  return new CowLibOs(kernel.bind(kernel.environmentOf(rootEnv, root.envCreate({ quota }))));
}

describe.skipIf(!haveGcc)('fork with copy-on-write in a library OS', () => {
  it('gives parent and child their own copy of every page either writes, and returns every frame', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 256 }));
    const libos = new CowLibOs(os);
    const elf = buildGuest('fork');
    const quotaBefore = os.quotaFree;
    const framesInUseBefore = kernel.snapshot().framesInUse;

    const parent = libos.spawn(elf, FORK_ONCE);
    const loadedPages = [...parent.pages.keys()];
    const original = new Map([...parent.pages].map(([va, e]) => [va, e.frame]));
    expect(kernel.run({ maxInstructions: 2_000_000 }).reason).toBe('idle');
    const child = otherProcess(libos, parent);

    // Pids are environment numbers: 1 is the library OS's, 2 the program's, 3 its child.
    expect([parent.pid, child.pid, child.parentPid]).toEqual([2, 3, 2]);
    expect(child.output).toBe('child pid=3 fork=0 x=1041 data=child data stack=child stack\n');
    expect(parent.output).toBe('parent pid=2 fork=3 x=41 data=parent data stack=parent stack\n');
    // The parent yielded after the fork, so it reported its (unchanged) values after the child wrote.
    expect(libos.writes.map((w) => w.pid)).toEqual([child.pid, parent.pid]);
    expect([parent.state, parent.exitStatus]).toEqual(['exited', PARENT_STATUS]);
    expect([child.state, child.exitStatus]).toEqual(['exited', CHILD_STATUS]);
    expect(os.envStatus(parent.envCap).status).toBe('dead');
    expect(os.envStatus(child.envCap).status).toBe('dead');

    // Copy-on-write faults: one per distinct writable page a process wrote after the fork, in that
    // process. After the fork both processes hold all six writable pages (the two .data pages and four
    // stack pages) read-only. The child writes `x` (its page), `data_buf` (the other .data page: fork.c
    // aligns each to a page of its own) and its stack buffer and report() line (the top stack page): three
    // faults. The parent only yields and reports: report()'s call and line write the top stack page, its
    // reads of x and data_buf do not fault: one fault. A second write to a page already copied does not
    // fault again.
    const xAddress = symbolAddress(elf, 'x') as number;
    const dataAddress = symbolAddress(elf, 'data_buf') as number;
    const xPage = pageOf(xAddress);
    const dataPage = pageOf(dataAddress);
    const stackTopPage = GUEST_STACK_TOP - PAGE_SIZE;
    expect(new Set([xPage, dataPage, stackTopPage]).size).toBe(3);
    const sorted = (pages: number[]) => [...pages].sort((a, b) => a - b);
    expect(sorted(parent.cowFaults)).toEqual([stackTopPage]);
    expect(sorted(child.cowFaults)).toEqual(sorted([xPage, dataPage, stackTopPage]));
    expect(libos.stats).toMatchObject({ forks: 1, forkFailures: [] });

    // The parent's pages after the child wrote: untouched, still the frames it was loaded with, still
    // shared copy-on-write (no write of its own ever copied them); the child's are fresh copies.
    const read = (proc: Process, va: number, length: number) =>
      os.frameRead((proc.pages.get(pageOf(va)) as { frame: number }).frame, va % PAGE_SIZE, length);
    const long = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0, true);
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
    expect(long(read(parent, xAddress, 8))).toBe(41n);
    expect(text(read(parent, dataAddress, 32))).toBe('parent data');
    expect(long(read(child, xAddress, 8))).toBe(1041n);
    expect(text(read(child, dataAddress, 32))).toBe('child data');
    expect(parent.pages.get(xPage)).toMatchObject({ frame: original.get(xPage), cow: true });
    expect(parent.pages.get(dataPage)).toMatchObject({ frame: original.get(dataPage), cow: true });
    expect(child.pages.get(xPage)?.frame).not.toBe(original.get(xPage));
    expect(child.pages.get(xPage)?.cow).toBe(false);
    // A stack page neither wrote is still one frame shared by both.
    expect(child.pages.get(stackTopPage - PAGE_SIZE)?.frame).toBe(
      parent.pages.get(stackTopPage - PAGE_SIZE)?.frame,
    );

    // What the kernel sees: a frame mapped writable is mapped nowhere else, and every read-only mapping
    // was made through a capability without WRITE.
    const mappings = kernel.snapshot().spaces.flatMap((s) => s.mappings);
    for (const m of mappings) {
      const sameFrame = mappings.filter((n) => n.frame === m.frame);
      if (m.writable) expect(sameFrame).toHaveLength(1);
      else expect(os.capInspect(m.capId).rights & Rights.WRITE).toBe(0);
    }

    // Frames: the loaded pages plus one copy per fault, every one freed once both are reaped, each while
    // nothing mapped it any more (the revocation notices frameFree leaves report nothing unmapped).
    os.takeRevocations();
    libos.reap(parent.pid);
    libos.reap(child.pid);
    expect(libos.stats.framesAllocated).toBe(
      loadedPages.length + parent.cowFaults.length + child.cowFaults.length,
    );
    expect(libos.stats.framesFreed).toBe(libos.stats.framesAllocated);
    expect(libos.liveFrames).toBe(0);
    // The library OS freed them itself, so it is not told of its own revocations.
    expect(os.takeRevocations()).toEqual([]);
    expect(kernel.snapshot().spaces.every((s) => s.mappings.length === 0)).toBe(true);
    // Until the address spaces go, their page tables stay charged: per space a PML4, a PDPT, two page
    // directories (below and above 1 GiB) and two page tables (the program at 4 MiB, the stack under 2 GiB).
    const pageTables = 2 * pageTableFrames(loadedPages);
    expect(pageTables).toBe(12);
    expect(quotaBefore - os.quotaFree).toBe(pageTables);
    expect(kernel.snapshot().framesInUse - framesInUseBefore).toBe(pageTables);
    // Destroying them returns every page-table frame to the machine and to the quota that paid for it.
    os.asDestroy(parent.spaceCap);
    os.asDestroy(child.spaceCap);
    expect(quotaBefore - os.quotaFree).toBe(0);
    expect(kernel.snapshot().framesInUse).toBe(framesInUseBefore);
  });

  it('turns the quota running out in a fork bomb into ENOMEM for the program; the machine goes on', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const root = kernel.bind(kernel.createRootEnvironment({ quota: 512 }));
    const bomb = libraryOs(kernel, root, 100);
    const neighbour = libraryOs(kernel, root, 64);
    const elf = buildGuest('fork');
    const framesInUseBefore = kernel.snapshot().framesInUse;
    const bombQuota = bomb.os.quotaFree;

    const first = bomb.spawn(elf, FORK_BOMB);
    const demo = neighbour.spawn(elf, FORK_ONCE);
    const programPages = [...first.pages.keys()];
    const summary = kernel.run({ maxInstructions: 5_000_000 });
    expect(summary.reason).toBe('idle');

    // Every process of the bomb forked until the kernel refused (E_NOMEM inside the library OS's fork),
    // saw -ENOMEM (an exit status of 255 would mean another error) and exited with its number of
    // children, so the statuses add up to the forks that succeeded. Children forked too.
    const bombers = [...bomb.processes.values()];
    expect(bombers.length).toBeGreaterThan(5);
    expect(bomb.stats.forks).toBe(bombers.length - 1);
    expect(bomb.stats.forkFailures).toEqual(bombers.map(() => 'E_NOMEM'));
    for (const p of bombers) {
      expect(p.state).toBe('exited');
      expect(p.exitStatus).not.toBe(255);
      expect(bomb.os.envStatus(p.envCap).status).toBe('dead');
    }
    expect(bombers.reduce((sum, p) => sum + (p.exitStatus as number), 0)).toBe(bomb.stats.forks);
    expect(bombers.some((p) => p.parentPid !== null && p.parentPid !== first.pid)).toBe(true);
    // The bomb keeps its state in registers: no page was copied, only address spaces were spent, until
    // what was left could not pay for another one.
    expect(bombers.every((p) => p.cowFaults.length === 0)).toBe(true);
    const spaceTables = pageTableFrames(programPages);
    const quotaLeft = bomb.os.quotaFree;
    expect(quotaLeft).toBeLessThan(spaceTables);

    // The neighbour library OS, on the same machine at the same time, was not affected.
    const demoChild = otherProcess(neighbour, demo);
    expect(demoChild.output).toBe(
      `child pid=${demoChild.pid} fork=0 x=1041 data=child data stack=child stack\n`,
    );
    expect(demo.output).toBe(
      `parent pid=${demo.pid} fork=${demoChild.pid} x=41 data=parent data stack=parent stack\n`,
    );
    expect([demo.exitStatus, demoChild.exitStatus]).toEqual([PARENT_STATUS, CHILD_STATUS]);

    // Reaping every process returns every frame: the bomb's library OS gets back exactly the frames the
    // program was loaded into. What stays charged to it is page tables of the address spaces it made, which
    // the kernel cannot free: six for each complete one, fewer than six for the one a refused fork left
    // unfinished.
    for (const p of bombers) bomb.reap(p.pid);
    neighbour.reap(demo.pid);
    neighbour.reap(demoChild.pid);
    for (const libos of [bomb, neighbour]) {
      expect(libos.liveFrames).toBe(0);
      expect(libos.stats.framesFreed).toBe(libos.stats.framesAllocated);
    }
    expect(kernel.snapshot().spaces.every((s) => s.mappings.length === 0)).toBe(true);
    expect(bomb.os.quotaFree).toBe(quotaLeft + programPages.length);
    const stranded = bombQuota - bomb.os.quotaFree;
    expect(stranded - bombers.length * spaceTables).toBeGreaterThanOrEqual(0);
    expect(stranded - bombers.length * spaceTables).toBeLessThan(spaceTables);
    // Nothing else is in use on the machine: those, and the neighbour's two spaces' page tables.
    expect(kernel.snapshot().framesInUse - framesInUseBefore).toBe(stranded + 2 * spaceTables);
  });
});
