/**
 * An address space object: a hal-x86 page table (a real PML4 the MMU walks) plus the kernel's record of
 * every mapping in it and of the capability that authorised each one. The record is what lets a revoke
 * of a frame capability find and remove every mapping made through the revoked capabilities.
 *
 * Page-table frames are charged to the quota of the environment that created the space, so an
 * environment cannot exhaust physical memory by mapping sparse addresses.
 */
import { AddressSpace, type FrameAllocator, PAGE_SIZE, type PhysicalMemory } from '@exov6/hal-x86';
import type { Environment } from './environment';

/** Why a page is mapped: the frame, and the capability (in its holder's space) that allowed it. */
export interface Mapping {
  readonly va: number;
  readonly frame: number;
  readonly writable: boolean;
  readonly executable: boolean;
  readonly holder: Environment;
  readonly capId: number;
}

/** Allocates page-table frames from the machine's allocator, charging an environment's quota. */
class QuotaFrames {
  constructor(
    private readonly frames: FrameAllocator,
    private readonly owner: Environment,
  ) {}

  alloc(): number {
    this.owner.charge(1);
    return this.frames.alloc();
  }
}

export class ExoAddressSpace {
  readonly pageTable: AddressSpace;
  readonly mappings = new Map<number, Mapping>();
  /** Environments whose execution context uses this space (their CR3). */
  readonly users = new Set<Environment>();

  constructor(
    readonly id: number,
    memory: PhysicalMemory,
    frames: FrameAllocator,
    readonly owner: Environment,
  ) {
    // AddressSpace only ever calls alloc() on its allocator.
    this.pageTable = new AddressSpace(memory, new QuotaFrames(frames, owner) as unknown as FrameAllocator);
  }

  get root(): number {
    return this.pageTable.root;
  }

  map(mapping: Mapping): void {
    this.pageTable.map(mapping.va, mapping.frame * PAGE_SIZE, {
      writable: mapping.writable,
      executable: mapping.executable,
      user: true,
    });
    this.mappings.set(mapping.va, mapping);
  }

  /** Removes the mapping at `va`; returns it, or undefined if there was none. */
  unmap(va: number): Mapping | undefined {
    const m = this.mappings.get(va);
    if (m === undefined) return undefined;
    this.pageTable.unmap(va);
    this.mappings.delete(va);
    return m;
  }
}
