/**
 * Test support: a minimal library OS that gives Linux-numbered programs fork(2) with copy-on-write, built
 * only from the exokernel's primitives and upcalls. It is the shape the POSIX personality will take.
 *
 * The exokernel knows frames, address spaces, environments and capabilities; it knows nothing of
 * processes, fork or copy-on-write. Everything here is the library OS's policy:
 *
 * - A process is an environment, an address space and the library OS's own page table for it
 *   (`Process.pages`): for every virtual page, the frame, whether the program may write it, and whether it
 *   is copy-on-write. The kernel's mapping of a page is writable exactly when the program may write it and
 *   it is not copy-on-write.
 * - The library OS holds every frame capability. For each frame it also derives one capability without
 *   WRITE, and every read-only mapping (text, and pages shared copy-on-write) is made through that one,
 *   so the kernel itself refuses to make such a mapping writable. Frames are reference-counted by the
 *   number of processes mapping them and freed when the count drops to zero.
 * - fork (57), as JOS's lib/fork.c does it but outside the process: a new environment and address space;
 *   read-only pages shared read-only; writable pages shared read-only in both and marked copy-on-write in
 *   both page tables. The child gets the parent's registers with RAX = 0; the parent gets the child's pid.
 *   Refusals from the kernel (E_NOMEM when the quota runs out) undo what can be undone and become -ENOMEM
 *   for the program; the parent's pages change only once the child's space is complete.
 * - A write fault on a present copy-on-write page copies the frame, and maps the copy writable in the
 *   faulting process only. Any other fault, or no frame left for the copy, ends the process.
 * - getpid (39) is the environment number; write (1) reads the program's buffer through the frames the
 *   library OS mapped (no kernel help needed: it made the mappings) and appends to the process's output;
 *   exit (60) records the status. An exited process keeps its pages until `reap` (there is no wait(2):
 *   the test plays init), so its memory can still be inspected.
 *
 * Not modelled: signals, wait, exec, file descriptors other than 1 and 2, and freeing address spaces and
 * environments (the kernel has no primitive for either; see `pageTableFrames`).
 */
import { Rights } from '@exov6/caplattice';
import { type CpuContext, PAGE_SIZE, parseElf } from '@exov6/hal-x86';
import { type EnvApi, ExoError, type UpcallHandlers } from '../../src/index';
import { GUEST_STACK_TOP, copySegments, enterAt, segmentPages } from './guest';

/** Linux numbers the library OS implements, and the errno values it returns (negated). */
export const LinuxSyscall = { WRITE: 1, GETPID: 39, FORK: 57, EXIT: 60 } as const;
export const LinuxErrno = { EBADF: 9, ENOMEM: 12, EFAULT: 14, ENOSYS: 38 } as const;

/** The stack the library OS gives a new program: 4 pages below GUEST_STACK_TOP. */
export const STACK_PAGES = 4;

/** One virtual page of a process, as the library OS records it (the kernel keeps only the mapping). */
export interface PageEntry {
  /** The library OS's allocation capability for the frame. */
  frame: number;
  /** The program may write the page (a writable ELF segment, or the stack). */
  readonly writable: boolean;
  readonly executable: boolean;
  /** Shared with another process until the first write: mapped read-only. */
  cow: boolean;
}

export type ProcessState = 'running' | 'exited' | 'killed' | 'reaped';

export interface Process {
  readonly pid: number;
  readonly parentPid: number | null;
  /** The library OS's capabilities for the environment and its address space. */
  readonly envCap: number;
  readonly spaceCap: number;
  readonly pages: Map<number, PageEntry>;
  state: ProcessState;
  exitStatus: number | null;
  /** Why the library OS ended it, when it did. */
  killReason: string | null;
  output: string;
  /** Pages whose copy-on-write fault this process took, in order. */
  readonly cowFaults: number[];
}

/** Counts of what the library OS did with frames and forks, for the test's accounting. */
export interface LibOsStats {
  framesAllocated: number;
  framesFreed: number;
  forks: number;
  /** Forks the kernel refused, with the refusal's code. */
  forkFailures: string[];
}

export class CowLibOs {
  readonly processes = new Map<number, Process>();
  /** Every write(2) of every process, in the order they happened. */
  readonly writes: { pid: number; text: string }[] = [];
  readonly stats: LibOsStats = { framesAllocated: 0, framesFreed: 0, forks: 0, forkFailures: [] };
  /** Every virtual page ever mapped in each address space the library OS created, by space capability. */
  readonly mappedPages = new Map<number, Set<number>>();
  /** Processes per frame capability: how many page tables of ours name it. */
  private readonly references = new Map<number, number>();
  /** The read-only capability derived from each frame capability (READ, MAP, EXECUTE; no WRITE). */
  private readonly readOnlyCaps = new Map<number, number>();

  constructor(readonly os: EnvApi) {}

  // ------------------------------------------------------------------ processes

  /**
   * Loads a static ELF into a new process, as test/support/guest.ts's loader does, but recording every
   * page in the library OS's page table; `argument` goes to the program in RDI. The process is started.
   */
  spawn(elf: Uint8Array, argument = 0): Process {
    const file = parseElf(elf);
    const pages = new Map<number, PageEntry>();
    for (const [page, perms] of segmentPages(file))
      pages.set(page, { frame: this.allocFrame(), ...perms, cow: false });
    copySegments(this.os, elf, file, (page) => (pages.get(page) as PageEntry).frame);
    for (let i = 1; i <= STACK_PAGES; i++) {
      pages.set(GUEST_STACK_TOP - i * PAGE_SIZE, {
        frame: this.allocFrame(),
        writable: true,
        executable: false,
        cow: false,
      });
    }
    const envCap = this.os.envCreate({ quota: 0 }); // every frame is the library OS's, charged to it
    const spaceCap = this.newSpace();
    for (const [va, entry] of pages) {
      this.install(spaceCap, va, entry);
      this.reference(entry.frame);
    }
    const proc = this.newProcess(envCap, spaceCap, pages, null);
    this.os.envSetAddressSpace(envCap, spaceCap);
    enterAt(this.os, envCap, file.entry, argument);
    this.os.envStart(envCap);
    return proc;
  }

  /**
   * Returns an ended process's frames: unmaps every page and drops its references, freeing frames no
   * other process maps. Its environment and address space stay (the kernel cannot destroy either).
   */
  reap(pid: number): void {
    const proc = this.processes.get(pid);
    if (proc === undefined || (proc.state !== 'exited' && proc.state !== 'killed')) {
      throw new Error(`reap: process ${pid} has not ended`);
    }
    for (const [va, entry] of proc.pages) {
      this.os.unmap(proc.spaceCap, va);
      this.release(entry.frame);
    }
    proc.pages.clear();
    proc.state = 'reaped';
  }

  /** Frame capabilities the library OS still holds (mapped by some process). */
  get liveFrames(): number {
    return this.references.size;
  }

  private newProcess(
    envCap: number,
    spaceCap: number,
    pages: Map<number, PageEntry>,
    parentPid: number | null,
  ): Process {
    const proc: Process = {
      pid: this.os.capInspect(envCap).objectId,
      parentPid,
      envCap,
      spaceCap,
      pages,
      state: 'running',
      exitStatus: null,
      killReason: null,
      output: '',
      cowFaults: [],
    };
    this.processes.set(proc.pid, proc);
    this.os.envSetUpcalls(envCap, this.handlersFor(proc));
    return proc;
  }

  private handlersFor(proc: Process): UpcallHandlers {
    return {
      syscall: (event, ctx) => this.syscall(proc, event.number, ctx),
      pageFault: (event) => {
        if (event.present && event.write) {
          const page = event.address - (event.address % PAGE_SIZE);
          const entry = proc.pages.get(page);
          if (entry?.cow === true) return this.copyOnWrite(proc, page, entry);
        }
        const what = event.write ? 'write' : event.fetch ? 'fetch' : 'read';
        return this.kill(proc, `page fault: ${what} at 0x${event.address.toString(16)}`);
      },
      exception: (event) => this.kill(proc, `exception ${event.vector}: ${event.detail}`),
    };
  }

  private kill(proc: Process, reason: string): 'kill' {
    proc.state = 'killed';
    proc.killReason = reason;
    return 'kill';
  }

  // ------------------------------------------------------------------ system calls

  private syscall(proc: Process, number: number, ctx: CpuContext): 'resume' | 'kill' {
    const arg = (r: number) => Number(BigInt.asIntN(64, ctx.getReg(r)));
    switch (number) {
      case LinuxSyscall.EXIT:
        proc.state = 'exited';
        proc.exitStatus = arg(7);
        return 'kill';
      case LinuxSyscall.GETPID:
        ctx.setReg(0, proc.pid);
        return 'resume';
      case LinuxSyscall.WRITE:
        ctx.setReg(0, this.write(proc, arg(7), arg(6), arg(2)));
        return 'resume';
      case LinuxSyscall.FORK:
        ctx.setReg(0, this.fork(proc));
        return 'resume';
      default:
        ctx.setReg(0, -LinuxErrno.ENOSYS);
        return 'resume';
    }
  }

  /** write(fd, buf, len): the bytes come straight out of the frames the library OS mapped at buf. */
  private write(proc: Process, fd: number, buf: number, length: number): number {
    if (fd !== 1 && fd !== 2) return -LinuxErrno.EBADF;
    if (length < 0 || buf < 0 || length > 1 << 20) return -LinuxErrno.EFAULT;
    let text = '';
    for (let at = buf; at < buf + length; ) {
      const page = at - (at % PAGE_SIZE);
      const entry = proc.pages.get(page);
      if (entry === undefined) return -LinuxErrno.EFAULT;
      const n = Math.min(page + PAGE_SIZE, buf + length) - at;
      text += String.fromCharCode(...this.os.frameRead(entry.frame, at - page, n));
      at += n;
    }
    proc.output += text;
    this.writes.push({ pid: proc.pid, text });
    return length;
  }

  /**
   * fork(): the child's space is built completely first; only then do the parent's writable pages become
   * copy-on-write, so a refused fork leaves the parent as it was.
   */
  private fork(parent: Process): number {
    let envCap: number | null = null;
    let spaceCap: number | null = null;
    const mapped: number[] = [];
    const pages = new Map<number, PageEntry>();
    try {
      envCap = this.os.envCreate({ quota: 0 });
      spaceCap = this.newSpace();
      for (const [va, entry] of parent.pages) {
        const shared: PageEntry = { ...entry, cow: entry.writable };
        this.install(spaceCap, va, shared);
        mapped.push(va);
        pages.set(va, shared);
      }
    } catch (e) {
      if (!(e instanceof ExoError)) throw e;
      // Undo what can be undone: the child's mappings and its environment. The address space (and the
      // page tables it already has) stays charged to us: the kernel has no primitive to destroy one.
      if (spaceCap !== null) for (const va of mapped) this.os.unmap(spaceCap, va);
      if (envCap !== null) this.os.envKill(envCap);
      this.stats.forkFailures.push(e.code);
      return e.code === 'E_NOMEM' ? -LinuxErrno.ENOMEM : -LinuxErrno.ENOSYS;
    }
    // The parent's writable pages become read-only and copy-on-write. Remapping needs no new page table
    // (the entry's table exists), and the read-only capability was derived above, so this cannot fail.
    for (const [va, entry] of parent.pages) {
      this.reference(entry.frame);
      if (entry.writable && !entry.cow) {
        this.os.unmap(parent.spaceCap, va);
        entry.cow = true;
        this.install(parent.spaceCap, va, entry);
      }
    }
    const child = this.newProcess(envCap, spaceCap, pages, parent.pid);
    const ctx = this.os.envReadContext(parent.envCap);
    ctx.setReg(0, 0);
    this.os.envSetAddressSpace(envCap, spaceCap);
    this.os.envWriteContext(envCap, ctx);
    this.os.envStart(envCap);
    this.stats.forks++;
    return child.pid;
  }

  /**
   * A write to a shared copy-on-write page: copy it into a frame of the faulting process's own and map
   * that writable there; the other processes keep the original. No frame left ends the process.
   */
  private copyOnWrite(proc: Process, va: number, entry: PageEntry): 'resume' | 'kill' {
    let copy: number;
    try {
      copy = this.allocFrame();
    } catch (e) {
      if (!(e instanceof ExoError)) throw e;
      return this.kill(proc, `out of memory for a copy-on-write copy of 0x${va.toString(16)} (${e.code})`);
    }
    this.os.frameCopy(copy, entry.frame);
    this.os.unmap(proc.spaceCap, va);
    this.release(entry.frame);
    entry.frame = copy;
    entry.cow = false;
    this.reference(copy);
    this.install(proc.spaceCap, va, entry);
    proc.cowFaults.push(va);
    return 'resume';
  }

  // ------------------------------------------------------------------ frames and mappings

  private newSpace(): number {
    const spaceCap = this.os.asCreate();
    this.mappedPages.set(spaceCap, new Set());
    return spaceCap;
  }

  /** Maps `entry` at `va`: writable through the frame's own capability, otherwise through the read-only one. */
  private install(spaceCap: number, va: number, entry: PageEntry): void {
    const writable = entry.writable && !entry.cow;
    const cap = writable ? entry.frame : this.readOnly(entry.frame);
    this.mappedPages.get(spaceCap)?.add(va);
    this.os.map(spaceCap, va, cap, { writable, executable: entry.executable });
  }

  private readOnly(frame: number): number {
    let cap = this.readOnlyCaps.get(frame);
    if (cap === undefined) {
      cap = this.os.capDerive(frame, { rights: Rights.READ | Rights.MAP | Rights.EXECUTE });
      this.readOnlyCaps.set(frame, cap);
    }
    return cap;
  }

  private allocFrame(): number {
    const frame = this.os.frameAlloc();
    this.stats.framesAllocated++;
    return frame;
  }

  private reference(frame: number): void {
    this.references.set(frame, (this.references.get(frame) ?? 0) + 1);
  }

  /** Drops one process's reference; the last one frees the frame (which also revokes its read-only copy). */
  private release(frame: number): void {
    const n = (this.references.get(frame) ?? 0) - 1;
    if (n > 0) {
      this.references.set(frame, n);
      return;
    }
    this.references.delete(frame);
    this.readOnlyCaps.delete(frame);
    this.os.frameFree(frame);
    this.stats.framesFreed++;
  }
}

/**
 * Page-table frames an x86-64 address space needs for these pages: the PML4, plus one PDPT per 512 GiB,
 * one page directory per 1 GiB and one page table per 2 MiB that holds a page. The kernel charges them to
 * the space's creator and, having no primitive to destroy a space, never gives them back.
 */
export function pageTableFrames(pages: Iterable<number>): number {
  const pdpts = new Set<number>();
  const directories = new Set<number>();
  const tables = new Set<number>();
  for (const va of pages) {
    pdpts.add(Math.floor(va / 2 ** 39));
    directories.add(Math.floor(va / 2 ** 30));
    tables.add(Math.floor(va / 2 ** 21));
  }
  return 1 + pdpts.size + directories.size + tables.size;
}

/**
 * The address of a named symbol of any kind (data included) in an ELF64 file's .symtab, or null. The
 * test uses it to know which pages the program's globals live in.
 */
export function symbolAddress(elf: Uint8Array, name: string): number | null {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const sectionTable = Number(view.getBigUint64(0x28, true));
  const entrySize = view.getUint16(0x3a, true);
  const count = view.getUint16(0x3c, true);
  const section = (i: number) => {
    const at = sectionTable + i * entrySize;
    return {
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 24, true)),
      size: Number(view.getBigUint64(at + 32, true)),
      link: view.getUint32(at + 40, true),
    };
  };
  const SHT_SYMTAB = 2;
  const SYMBOL_SIZE = 24;
  for (let i = 0; i < count; i++) {
    const symtab = section(i);
    if (symtab.type !== SHT_SYMTAB) continue;
    const strings = section(symtab.link);
    for (let at = symtab.offset; at + SYMBOL_SIZE <= symtab.offset + symtab.size; at += SYMBOL_SIZE) {
      const start = strings.offset + view.getUint32(at, true);
      let end = start;
      while (end < elf.length && elf[end] !== 0) end++;
      if (new TextDecoder().decode(elf.subarray(start, end)) === name) {
        return Number(view.getBigUint64(at + 8, true));
      }
    }
  }
  return null;
}
