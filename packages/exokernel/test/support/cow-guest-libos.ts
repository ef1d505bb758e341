/**
 * Test support: a library OS whose fork(2) shares pages copy-on-write but leaves the copying to the
 * program, as JOS's lib/fork.c does: every process handles its own write faults in guest code
 * (test/guest/cow-handler.c) with frames of its own environment. The library OS registers no TypeScript
 * `pageFault` handler, so the kernel delivers every #PF to the handler the program registered.
 *
 * What the library OS does:
 *
 * - A process is an environment with a quota of its own (`guestQuota` frames, for the copies its handler
 *   makes), an address space, and the library OS's record of the pages it mapped there (`Process.pages`).
 *   The program holds a capability for its own address space (MAP and READ), granted by the library OS.
 * - Two pages of every process are private and never shared: its exception stack, and its process page
 *   (at PROCESS_PAGE, laid out as `ProcessPageOffset` says), where the library OS writes the program's
 *   space capability, the exception stack's top, a scratch address for copies (PFTEMP) and the list of
 *   pages shared copy-on-write, and where the program keeps its count of copies. The program cannot keep
 *   either in .data: after a fork that is shared read-only, and a write would fault again.
 * - fork (57): a new environment and address space; the private pages are fresh frames (the child's
 *   process page names the child's own space capability: the child runs in another space), every other
 *   page is shared, read-only; writable ones are listed as copy-on-write in both process pages and made
 *   read-only in the parent too. The child gets the parent's registers with RAX = 0.
 * - REPORT (1000), a syscall of this library OS's own: the program passes its values in registers, which
 *   the library OS records. It reads no program memory: a page the program copied is mapped to a frame of
 *   the program's environment, which the library OS holds no capability for.
 * - exit (60) records the status; exceptions and faults with no guest handler end the process.
 *
 * The kernel's part: the page's copy is a frame of the program's environment, charged to its quota and
 * returned to the machine (unmapped first) when the environment ends, its unused quota going back to the
 * library OS. PFTEMP and the private pages lie in the 2 MiB region of the stack, so the program's maps
 * never need a page table: each copy costs its environment exactly one frame.
 *
 * Not modelled: a fork after the program has copied a page (the library OS cannot share a frame it does
 * not hold; it refuses such a fork with -ENOSYS), wait, signals, exec.
 */
import { Rights } from '@exov6/caplattice';
import { type CpuContext, PAGE_SIZE, parseElf } from '@exov6/hal-x86';
import { type EnvApi, ExoError, type UpcallHandlers } from '../../src/index';
import { LinuxErrno, LinuxSyscall, STACK_PAGES } from './cow-libos';
import { GUEST_STACK_TOP, copySegments, enterAt, segmentPages } from './guest';

/** The library OS's own syscall: the program's values in RDI RSI RDX R10 R8 R9. */
export const REPORT_SYSCALL = 1000;

/** Where every process finds its process page (PROCESS_PAGE in cow-handler.c). */
export const PROCESS_PAGE = 0x7fff_2000;
/** The exception stack: one page, private to each process. */
export const EXCEPTION_STACK_TOP = 0x7fff_5000;
/** The scratch address the program's handler maps a copy at; in the stack's page table. */
export const PFTEMP = 0x7ffe_0000;
/** Entries of the copy-on-write list in the process page. */
export const COW_PAGES_MAX = 64;

/** Byte offsets in the process page (struct process_page in cow-handler.c). */
export const ProcessPageOffset = {
  SPACE: 0,
  EXCEPTION_STACK_TOP: 8,
  PFTEMP: 16,
  COW_COUNT: 24,
  COW_PAGES: 32,
  /** Written by the program: pages its handler copied. */
  COW_FAULTS: 32 + 8 * COW_PAGES_MAX,
} as const;

/** One virtual page the library OS mapped. */
export interface PageEntry {
  /** The library OS's allocation capability for the frame. */
  readonly frame: number;
  readonly writable: boolean;
  readonly executable: boolean;
  /** Never shared: the process page and the exception stack. */
  readonly private: boolean;
  /** Shared read-only since a fork; the program's handler copies it on its first write. */
  cow: boolean;
}

/** What the program passed to REPORT. */
export interface Report {
  counter: bigint;
  data: string;
  stack: string;
  cowFaults: number;
}

export type ProcessState = 'running' | 'exited' | 'killed' | 'reaped';

export interface Process {
  readonly pid: number;
  readonly parentPid: number | null;
  readonly envCap: number;
  readonly spaceCap: number;
  /** The program's own capability for its space, as it names it (in its environment's capability space). */
  readonly guestSpaceCap: number;
  readonly pages: Map<number, PageEntry>;
  state: ProcessState;
  exitStatus: number | null;
  killReason: string | null;
  readonly reports: Report[];
}

export interface GuestCowLibOsOptions {
  /** Frames of quota each process's environment gets for its own copies. */
  guestQuota: number;
  /** Called when a process exits, before the kernel takes its environment's frames back. */
  onExit?: (proc: Process) => void;
}

export class GuestCowLibOs {
  readonly processes = new Map<number, Process>();
  /** Every report, in the order they were made. */
  readonly reports: { pid: number; report: Report }[] = [];
  readonly stats = { framesAllocated: 0, framesFreed: 0, forks: 0 };
  /** Processes per frame capability. */
  private readonly references = new Map<number, number>();

  constructor(
    readonly os: EnvApi,
    private readonly options: GuestCowLibOsOptions,
  ) {}

  /** Loads a static ELF into a new process and starts it with `argument` in RDI. */
  spawn(elf: Uint8Array, argument = 0): Process {
    const file = parseElf(elf);
    const pages = new Map<number, PageEntry>();
    const page = (writable: boolean, executable: boolean, isPrivate: boolean): PageEntry => ({
      frame: this.allocFrame(),
      writable,
      executable,
      private: isPrivate,
      cow: false,
    });
    for (const [va, perms] of segmentPages(file))
      pages.set(va, page(perms.writable, perms.executable, false));
    copySegments(this.os, elf, file, (va) => (pages.get(va) as PageEntry).frame);
    for (let i = 1; i <= STACK_PAGES; i++)
      pages.set(GUEST_STACK_TOP - i * PAGE_SIZE, page(true, false, false));
    pages.set(PROCESS_PAGE, page(true, false, true));
    pages.set(EXCEPTION_STACK_TOP - PAGE_SIZE, page(true, false, true));

    const envCap = this.os.envCreate({ quota: this.options.guestQuota });
    const spaceCap = this.os.asCreate();
    for (const [va, entry] of pages) {
      this.install(spaceCap, va, entry);
      this.reference(entry.frame);
    }
    const proc = this.newProcess(envCap, spaceCap, pages, null);
    enterAt(this.os, envCap, file.entry, argument);
    this.os.envStart(envCap);
    return proc;
  }

  /**
   * Gives back an ended process's address space (with the page tables it cost) and its references to
   * frames, freeing those no other process maps.
   */
  reap(pid: number): void {
    const proc = this.processes.get(pid);
    if (proc === undefined || (proc.state !== 'exited' && proc.state !== 'killed')) {
      throw new Error(`reap: process ${pid} has not ended`);
    }
    this.os.asDestroy(proc.spaceCap);
    for (const entry of proc.pages.values()) this.release(entry.frame);
    proc.pages.clear();
    proc.state = 'reaped';
  }

  /** Frames the library OS holds (mapped by some process it has not reaped). */
  get liveFrames(): number {
    return this.references.size;
  }

  /** Reads a 64-bit field of a process's process page through the library OS's capability. */
  processPageWord(proc: Process, offset: number): bigint {
    const bytes = this.os.frameRead((proc.pages.get(PROCESS_PAGE) as PageEntry).frame, offset, 8);
    return new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0, true);
  }

  /** The frame number behind one of the library OS's frame capabilities. */
  frameNumber(frameCap: number): number {
    return this.os.capInspect(frameCap).objectId;
  }

  // ------------------------------------------------------------------ processes and system calls

  /**
   * A new process record, its upcalls, and its process page: its environment gets a capability for its
   * own space, and the page tells it that capability and where its exception stack and PFTEMP are.
   */
  private newProcess(
    envCap: number,
    spaceCap: number,
    pages: Map<number, PageEntry>,
    parentPid: number | null,
  ): Process {
    this.os.envSetAddressSpace(envCap, spaceCap);
    const guestSpaceCap = this.os.capGrant(spaceCap, { rights: Rights.MAP | Rights.READ }, envCap);
    const proc: Process = {
      pid: this.os.capInspect(envCap).objectId,
      parentPid,
      envCap,
      spaceCap,
      guestSpaceCap,
      pages,
      state: 'running',
      exitStatus: null,
      killReason: null,
      reports: [],
    };
    this.writeProcessPage(proc, ProcessPageOffset.SPACE, [guestSpaceCap, EXCEPTION_STACK_TOP, PFTEMP]);
    this.processes.set(proc.pid, proc);
    this.os.envSetUpcalls(envCap, this.handlersFor(proc));
    return proc;
  }

  private writeProcessPage(proc: Process, offset: number, words: number[]): void {
    const bytes = new Uint8Array(8 * words.length);
    const view = new DataView(bytes.buffer);
    for (const [i, w] of words.entries()) view.setBigInt64(8 * i, BigInt(w), true);
    this.os.frameWrite((proc.pages.get(PROCESS_PAGE) as PageEntry).frame, offset, bytes);
  }

  /** No `pageFault` handler: page faults go to the program's own. */
  private handlersFor(proc: Process): UpcallHandlers {
    return {
      syscall: (event, ctx) => this.syscall(proc, event.number, ctx),
      exception: (event) => this.kill(proc, `exception ${event.vector}: ${event.detail}`),
    };
  }

  private kill(proc: Process, reason: string): 'kill' {
    proc.state = 'killed';
    proc.killReason = reason;
    return 'kill';
  }

  private syscall(proc: Process, number: number, ctx: CpuContext): 'resume' | 'kill' {
    switch (number) {
      case LinuxSyscall.EXIT:
        proc.state = 'exited';
        proc.exitStatus = Number(BigInt.asIntN(64, ctx.getReg(7)));
        this.options.onExit?.(proc);
        return 'kill';
      case LinuxSyscall.FORK:
        ctx.setReg(0, this.fork(proc));
        return 'resume';
      case REPORT_SYSCALL: {
        const report = {
          counter: BigInt.asIntN(64, ctx.getReg(7)),
          data: text(ctx.getReg(6), ctx.getReg(2)),
          stack: text(ctx.getReg(10), ctx.getReg(8)),
          cowFaults: Number(ctx.getReg(9)),
        };
        proc.reports.push(report);
        this.reports.push({ pid: proc.pid, report });
        ctx.setReg(0, 0);
        return 'resume';
      }
      default:
        ctx.setReg(0, -LinuxErrno.ENOSYS);
        return 'resume';
    }
  }

  /**
   * fork(): the child's space is built first; then the parent's shared writable pages become read-only,
   * and both process pages list them as copy-on-write.
   */
  private fork(parent: Process): number {
    // A page the program copied is mapped to a frame of its own environment: the library OS could not
    // share it with the child.
    for (const [va, entry] of parent.pages) {
      if (this.os.lookup(parent.spaceCap, va) !== this.frameNumber(entry.frame)) return -LinuxErrno.ENOSYS;
    }
    let envCap: number | null = null;
    let spaceCap: number | null = null;
    const pages = new Map<number, PageEntry>();
    try {
      envCap = this.os.envCreate({ quota: this.options.guestQuota });
      spaceCap = this.os.asCreate();
      for (const [va, entry] of parent.pages) {
        const page: PageEntry = entry.private
          ? { ...entry, frame: this.allocFrame() }
          : { ...entry, cow: entry.writable };
        this.install(spaceCap, va, page);
        pages.set(va, page);
      }
    } catch (e) {
      if (!(e instanceof ExoError)) throw e;
      // What the child had: its private frames, its space (with its page tables), its environment.
      for (const page of pages.values()) if (page.private) this.freeFrame(page.frame);
      if (spaceCap !== null) this.os.asDestroy(spaceCap);
      if (envCap !== null) this.os.envKill(envCap);
      return e.code === 'E_NOMEM' ? -LinuxErrno.ENOMEM : -LinuxErrno.ENOSYS;
    }
    for (const page of pages.values()) this.reference(page.frame);
    const cowPages: number[] = [];
    for (const [va, entry] of parent.pages) {
      if (!entry.writable || entry.private) continue;
      if (!entry.cow) {
        this.os.unmap(parent.spaceCap, va);
        entry.cow = true;
        this.install(parent.spaceCap, va, entry);
      }
      cowPages.push(va);
    }
    if (cowPages.length > COW_PAGES_MAX)
      throw new Error('fork: more shared pages than the process page lists');
    const child = this.newProcess(envCap, spaceCap, pages, parent.pid);
    for (const proc of [parent, child]) {
      this.writeProcessPage(proc, ProcessPageOffset.COW_COUNT, [cowPages.length, ...cowPages]);
    }
    const ctx = this.os.envReadContext(parent.envCap);
    ctx.setReg(0, 0);
    this.os.envWriteContext(envCap, ctx);
    this.os.envStart(envCap);
    this.stats.forks++;
    return child.pid;
  }

  // ------------------------------------------------------------------ frames and mappings

  /** Maps `entry` at `va`: writable unless shared copy-on-write. */
  private install(spaceCap: number, va: number, entry: PageEntry): void {
    this.os.map(spaceCap, va, entry.frame, {
      writable: entry.writable && !entry.cow,
      executable: entry.executable,
    });
  }

  private allocFrame(): number {
    const frame = this.os.frameAlloc();
    this.stats.framesAllocated++;
    return frame;
  }

  private freeFrame(frame: number): void {
    this.os.frameFree(frame);
    this.stats.framesFreed++;
  }

  private reference(frame: number): void {
    this.references.set(frame, (this.references.get(frame) ?? 0) + 1);
  }

  private release(frame: number): void {
    const n = (this.references.get(frame) ?? 0) - 1;
    if (n > 0) {
      this.references.set(frame, n);
      return;
    }
    this.references.delete(frame);
    this.freeFrame(frame);
  }
}

/** Up to 16 bytes of text, little-endian in two registers, ending at the first NUL. */
function text(low: bigint, high: bigint): string {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, low), true);
  view.setBigUint64(8, BigInt.asUintN(64, high), true);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? 16 : end));
}
