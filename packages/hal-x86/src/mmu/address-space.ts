/**
 * Host-side construction of x86-64 page tables in guest physical memory.
 *
 * Loaders, tests and (later) the exokernel use this to build the tables that the MMU walks. It writes real
 * hardware-format entries, so whatever it builds the CPU sees exactly as a PC would.
 */
import { type FrameAllocator, PAGE_SIZE, type PhysicalMemory } from '../memory/physical-memory';
import { PTE_ADDR_HI_MASK, PTE_ADDR_LO_MASK, PTE_NX_HI, Pte } from './pte';

export interface PagePermissions {
  writable?: boolean;
  executable?: boolean;
  /** Accessible at CPL 3 (default true: the CPU runs user code). */
  user?: boolean;
  global?: boolean;
  /** Software-available bits 9..11 to store in the leaf entry (for example a copy-on-write marker). */
  avl?: number;
}

export class AddressSpaceError extends Error {
  override readonly name = 'AddressSpaceError';
}

const HALF = 2 ** 47;

/** Page-table indices (PML4, PDPT, PD, PT) of a canonical linear address held as a signed number. */
export function tableIndices(va: number): [number, number, number, number] {
  return [tableIndex(va, 0), tableIndex(va, 1), tableIndex(va, 2), tableIndex(va, 3)];
}

/** One page-table index of `va` (level 0 = PML4 ... 3 = PT), without allocating the four. */
export function tableIndex(va: number, level: number): number {
  const vpn = Math.floor(va / PAGE_SIZE);
  // (Constant divisors: the engine turns division by a power of two into a multiplication.)
  const above =
    level === 0
      ? Math.floor(vpn / 2 ** 27)
      : level === 1
        ? Math.floor(vpn / 2 ** 18)
        : level === 2
          ? Math.floor(vpn / 2 ** 9)
          : vpn;
  const n = above % 512;
  return n < 0 ? n + 512 : n | 0; // (| 0: no -0 from the upper half)
}

export class AddressSpace {
  /** Physical address of the PML4: load it into CR3. */
  readonly root: number;

  constructor(
    readonly memory: PhysicalMemory,
    readonly frames: FrameAllocator,
    root?: number,
  ) {
    this.root = root ?? frames.alloc();
  }

  private checkVa(va: number, align: number): void {
    if (!Number.isInteger(va) || va < -HALF || va >= HALF) {
      throw new AddressSpaceError(`virtual address ${va} is not a canonical 48-bit address`);
    }
    if (((va % align) + align) % align !== 0) {
      throw new AddressSpaceError(`virtual address 0x${va.toString(16)} is not ${align}-byte aligned`);
    }
  }

  /** Returns the physical address of the entry for `va` at `depth` (0 = PML4 ... 3 = PT), creating tables. */
  private entryAddress(va: number, depth: number, create: boolean): number | null {
    const view = this.memory.view;
    let table = this.root;
    for (let level = 0; level < depth; level++) {
      const ea = table + tableIndex(va, level) * 8;
      const lo = view.getUint32(ea, true);
      if ((lo & Pte.P) === 0) {
        if (!create) return null;
        const next = this.frames.alloc();
        // Intermediate levels grant everything; the leaf decides the page's permissions.
        view.setUint32(ea, next | Pte.P | Pte.RW | Pte.US, true);
        view.setUint32(ea + 4, 0, true);
        table = next;
      } else {
        if ((lo & Pte.PS) !== 0) {
          throw new AddressSpaceError(`0x${va.toString(16)} is already covered by a large page`);
        }
        table = (view.getUint32(ea + 4, true) & PTE_ADDR_HI_MASK) * 2 ** 32 + (lo & PTE_ADDR_LO_MASK);
      }
    }
    return table + tableIndex(va, depth) * 8;
  }

  private writeLeaf(ea: number, pa: number, perms: PagePermissions, large: boolean): void {
    let lo = pa % 2 ** 32 & PTE_ADDR_LO_MASK;
    lo |= Pte.P;
    if (perms.writable) lo |= Pte.RW;
    if (perms.user !== false) lo |= Pte.US;
    if (perms.global) lo |= Pte.G;
    if (large) lo |= Pte.PS;
    lo |= ((perms.avl ?? 0) & 7) << 9;
    let hi = Math.floor(pa / 2 ** 32) & PTE_ADDR_HI_MASK;
    if (!perms.executable) hi |= PTE_NX_HI;
    this.memory.view.setUint32(ea, lo >>> 0, true);
    this.memory.view.setUint32(ea + 4, hi >>> 0, true);
  }

  /**
   * Maps one 4 KiB page at `va` to the frame at `pa`. Returns the physical address of the page-table entry
   * it wrote (a host that keeps it can later clear that entry without walking the tables again).
   */
  map(va: number, pa: number, perms: PagePermissions = {}): number {
    this.checkVa(va, PAGE_SIZE);
    this.memory.check(pa, PAGE_SIZE);
    const ea = this.entryAddress(va, 3, true) as number;
    this.writeLeaf(ea, pa, perms, false);
    return ea;
  }

  /** Maps one 2 MiB page; `pa` must be 2 MiB aligned. */
  mapLarge(va: number, pa: number, perms: PagePermissions = {}): void {
    this.checkVa(va, 2 ** 21);
    if (pa % 2 ** 21 !== 0) throw new AddressSpaceError(`2 MiB page frame 0x${pa.toString(16)} is not aligned`);
    this.memory.check(pa, 2 ** 21);
    const ea = this.entryAddress(va, 2, true) as number;
    this.writeLeaf(ea, pa, perms, true);
  }

  /** Allocates zeroed frames and maps [va, va+size) (rounded out to pages). Already-mapped pages are kept. */
  mapAnonymous(va: number, size: number, perms: PagePermissions = {}): void {
    const start = Math.floor(va / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.ceil((va + size) / PAGE_SIZE) * PAGE_SIZE;
    for (let p = start; p < end; p += PAGE_SIZE) {
      if (this.lookup(p) === null) this.map(p, this.frames.alloc(), perms);
    }
  }

  /** Changes the permissions of mapped pages in [va, va+size); unmapped pages are skipped. */
  protect(va: number, size: number, perms: PagePermissions): void {
    const start = Math.floor(va / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.ceil((va + size) / PAGE_SIZE) * PAGE_SIZE;
    for (let p = start; p < end; p += PAGE_SIZE) {
      const ea = this.entryAddress(p, 3, false);
      if (ea === null) continue;
      const lo = this.memory.view.getUint32(ea, true);
      if ((lo & Pte.P) === 0) continue;
      const pa = this.lookup(p) as number;
      this.writeLeaf(ea, pa, perms, false);
    }
  }

  /** Removes the mapping of the 4 KiB page at `va`; returns the frame it mapped, or null. */
  unmap(va: number): number | null {
    this.checkVa(va, PAGE_SIZE);
    const ea = this.entryAddress(va, 3, false);
    if (ea === null) return null;
    const view = this.memory.view;
    const lo = view.getUint32(ea, true);
    if ((lo & Pte.P) === 0) return null;
    const pa = (view.getUint32(ea + 4, true) & PTE_ADDR_HI_MASK) * 2 ** 32 + (lo & PTE_ADDR_LO_MASK);
    view.setUint32(ea, 0, true);
    view.setUint32(ea + 4, 0, true);
    return pa;
  }

  /**
   * Unmaps the page whose entry `map` wrote at `ea`, without walking the tables (they stay until the host
   * frees them, so the address stays valid). Callers must not use an address from before a `mapLarge`
   * replaced that table.
   */
  unmapEntry(ea: number): void {
    this.memory.view.setUint32(ea, 0, true);
    this.memory.view.setUint32(ea + 4, 0, true);
  }

  /** The physical address `va` maps to, or null; walks like the MMU but checks no permissions. */
  lookup(va: number): number | null {
    const view = this.memory.view;
    let table = this.root;
    for (let level = 0; level < 4; level++) {
      const ea = table + tableIndex(va, level) * 8;
      const lo = view.getUint32(ea, true);
      if ((lo & Pte.P) === 0) return null;
      const next = (view.getUint32(ea + 4, true) & PTE_ADDR_HI_MASK) * 2 ** 32 + (lo & PTE_ADDR_LO_MASK);
      if (level === 2 && (lo & Pte.PS) !== 0) {
        return next - (next % 2 ** 21) + (((va % 2 ** 21) + 2 ** 21) % 2 ** 21);
      }
      if (level === 3) return next + (((va % PAGE_SIZE) + PAGE_SIZE) % PAGE_SIZE);
      table = next;
    }
    return null;
  }

  /** Copies bytes into virtual memory (host side, no permission checks); every page must be mapped. */
  write(va: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const pa = this.lookup(va + done);
      if (pa === null) throw new AddressSpaceError(`write to unmapped virtual address 0x${(va + done).toString(16)}`);
      const n = Math.min(data.length - done, PAGE_SIZE - (pa % PAGE_SIZE));
      this.memory.write(pa, data.subarray(done, done + n));
      done += n;
    }
  }

  /** Copies bytes out of virtual memory (host side); every page must be mapped. */
  read(va: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const pa = this.lookup(va + done);
      if (pa === null) throw new AddressSpaceError(`read of unmapped virtual address 0x${(va + done).toString(16)}`);
      const n = Math.min(length - done, PAGE_SIZE - (pa % PAGE_SIZE));
      out.set(this.memory.bytes.subarray(pa, pa + n), done);
      done += n;
    }
    return out;
  }
}
