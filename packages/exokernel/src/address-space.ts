/**
 * An address space object: a hal-x86 page table (a real PML4 the MMU walks) plus the kernel's record of
 * every mapping in it and of the capability that authorised each one. The record is what lets a revoke
 * of a frame capability find and remove every mapping made through the revoked capabilities.
 *
 * Page-table frames are charged to a quota: the PML4 to the environment that creates the space, the
 * lower tables to the environment whose `map` needs them (so nobody given MAP on a space can drain its
 * creator's quota). A mapping's tables are counted and charged before anything is written: a map that
 * cannot be paid for changes nothing.
 */
import {
  AddressSpace,
  type FrameAllocator,
  PAGE_SIZE,
  type PagePermissions,
  type PhysicalMemory,
  Pte,
  tableIndex,
} from '@exov6/hal-x86';
import type { Environment } from './environment';
import { ExoError } from './errors';
import type { MappingRecord } from './mapping-record';

export class ExoAddressSpace {
  readonly pageTable: AddressSpace;
  readonly mappings = new Map<number, MappingRecord>();
  /** Environments whose execution context uses this space (their CR3). */
  readonly users = new Set<Environment>();
  /** Who paid for each page-table frame (by physical address), to refund it when the space goes. */
  readonly tablePayers = new Map<number, Environment>();
  /** The kernel's original capability of this space (set by the kernel). */
  rootCap = -1;
  /**
   * The MMU context (PCID) of this space, so a switch back to it finds its translations still cached;
   * 0 when every identifier is in use (then each switch to it flushes, as without contexts).
   */
  pcid = 0;

  constructor(
    readonly id: number,
    private readonly memory: PhysicalMemory,
    private readonly frames: FrameAllocator,
    readonly owner: Environment,
  ) {
    owner.charge(1);
    let root: number;
    try {
      root = frames.alloc();
    } catch {
      owner.refund(1);
      throw new ExoError('E_NOMEM', 'asCreate: physical memory is exhausted');
    }
    // Lower tables are paid for in `map` before the page table asks for them.
    this.pageTable = new AddressSpace(memory, frames, root);
    this.tablePayers.set(root, owner);
  }

  get root(): number {
    return this.pageTable.root;
  }

  /** Maps `mapping`, charging `payer` for the page tables it needs; refuses with E_NOMEM changing nothing. */
  map(mapping: MappingRecord, payer: Environment): void {
    const tables = this.missingTables(mapping.va);
    if (tables > 0) {
      payer.charge(tables);
      if (this.frames.framesFree < tables) {
        payer.refund(tables);
        throw new ExoError('E_NOMEM', 'map: physical memory is exhausted');
      }
    }
    mapping.pte = this.pageTable.map(
      mapping.va,
      mapping.frame * PAGE_SIZE,
      userPermissions(mapping.writable, mapping.executable),
    );
    if (tables > 0)
      for (const table of this.tablesOf(mapping.va))
        if (!this.tablePayers.has(table)) this.tablePayers.set(table, payer);
    this.mappings.set(mapping.va, mapping);
  }

  /** Changes a mapping's permissions in place (the PTE is rewritten; the frame stays). */
  protect(va: number, writable: boolean, executable: boolean): void {
    const m = this.mappings.get(va);
    if (m === undefined) return;
    this.pageTable.protect(va, PAGE_SIZE, userPermissions(writable, executable));
    // (The same record: it is also in its holder's list for the capability, which revocation walks.)
    m.writable = writable;
    m.executable = executable;
  }

  /** The physical addresses of the PDPT, PD and PT that map `va` (those that exist). */
  tablesOf(va: number): number[] {
    const view = this.memory.view;
    const out: number[] = [];
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const ea = table + tableIndex(va, level) * 8;
      const lo = view.getUint32(ea, true);
      if ((lo & Pte.P) === 0) break;
      table = (view.getUint32(ea + 4, true) & 0xfffff) * 2 ** 32 + (lo & 0xfffff000);
      out.push(table);
    }
    return out;
  }

  /** Removes `m`, one of this space's mappings (its entry is found from the record: no walk). */
  unmap(m: MappingRecord): void {
    this.pageTable.unmapEntry(m.pte);
    this.mappings.delete(m.va);
  }

  /** How many page-table frames (PDPT, PD, PT) a 4 KiB mapping at `va` would add: 0 to 3. */
  missingTables(va: number): number {
    const view = this.memory.view;
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const ea = table + tableIndex(va, level) * 8;
      const lo = view.getUint32(ea, true);
      if ((lo & Pte.P) === 0) return 3 - level;
      table = (view.getUint32(ea + 4, true) & 0xfffff) * 2 ** 32 + (lo & 0xfffff000);
    }
    return 0;
  }
}

/** The page permissions of a user mapping, as four shared constants (a map allocates nothing for them). */
const USER_PERMISSIONS: readonly PagePermissions[] = [false, true].flatMap((writable) =>
  [false, true].map((executable) => Object.freeze({ writable, executable, user: true })),
);

function userPermissions(writable: boolean, executable: boolean): PagePermissions {
  return USER_PERMISSIONS[(writable ? 2 : 0) + (executable ? 1 : 0)] as PagePermissions;
}
