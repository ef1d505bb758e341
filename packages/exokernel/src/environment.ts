/**
 * An environment: the exokernel's unit of protection and execution. It owns a capability space (its
 * names for everything it may touch), a frame quota, a security label, and, once it runs, an address
 * space and a register context. It knows nothing of processes or files: a library OS builds those.
 */
import type { CapSpace, ObjectRef } from '@exov6/caplattice';
import { CpuContext } from '@exov6/hal-x86';
import type { ExoAddressSpace } from './address-space';
import type { CapabilityMappings } from './mapping-record';
import { ExoError } from './errors';
import type { GuestWaiter } from './guest-ipc';
import type { Endpoint, Waiter } from './ipc';
import type { UpcallHandlers } from './upcalls';

/**
 * `new`: created, not started; `runnable`: competes for the CPU; `waiting`: blocked in an IPC primitive;
 * `suspended`: stopped by its manager or out of gas; `dead`: ended (killed, or an event it had no handler for). Only `dead` is final.
 */
export type EnvironmentStatus = 'new' | 'runnable' | 'waiting' | 'suspended' | 'dead';

/** Told to an environment when a capability it held was revoked (visible revocation). */
export interface RevocationNotice {
  readonly capId: number;
  /** The frame, when the capability had authorised mappings (the id alone says nothing once it is gone). */
  readonly object: ObjectRef | null;
  /** Mappings removed because they had been made through this capability. */
  readonly unmapped: number;
}

export class Environment {
  status: EnvironmentStatus = 'new';
  /** Why it died or was suspended, for people. */
  reason = '';
  /** Its registers while it is not on the CPU. */
  readonly context = CpuContext.initial();
  /** Instructions it may still retire; Infinity means no limit. */
  gas = Number.POSITIVE_INFINITY;
  /** Scheduler weight (share of the CPU). */
  weight = 1;
  /** Its library OS's handlers. */
  upcalls: UpcallHandlers = {};
  /** The caller waiting for this environment's reply (set when it receives a call). */
  replyTo: Waiter | null = null;
  /** Its guest code's IPC waiter (see guest-ipc.ts), made at its first IPC primitive. */
  ipcWaiter: GuestWaiter | null = null;
  /**
   * The endpoint capability its IPC last named, as resolved then (cap -1: none yet). While the CapSpace
   * still accepts that id with the right an operation needs, it names the same capability: an id is never
   * issued again (its slot's generation moves on when it is deleted, moved or revoked), and a capability's
   * object and badge never change. So the kernel checks the id and the right, and skips the rest of the
   * lookup (see `Exokernel.ipcEndpoint`).
   */
  readonly lastEndpoint: { cap: number; objectId: number; badge: number | undefined } = {
    cap: -1,
    objectId: 0,
    badge: undefined,
  };
  /** Where this environment's guest code is blocked in IPC, if it is. */
  waitingAt: { endpoint: Endpoint | null; waiter: Waiter } | null = null;
  /** A page-fault handler in guest code (JOS style), registered with the guest primitive. */
  guestPageFault: { entry: number; stackTop: number } | null = null;
  /** Frames this environment may still hold (allocated frames and page tables count). */
  quotaLimit: number;
  quotaUsed = 0;
  /**
   * Mappings made through each capability of this space. A capability's entry may stay, empty, after its
   * last mapping goes (so a map/unmap cycle allocates nothing); it goes with the capability.
   */
  readonly mappingsByCap = new Map<number, CapabilityMappings>();
  /** Revocations not yet collected by the environment. */
  readonly revocations: RevocationNotice[] = [];
  /** Whether a change of its status awaits the end of the current slice to reach the scheduler. */
  unsettled = false;
  /** The address space its context runs in, once set. */
  addressSpace: ExoAddressSpace | null = null;

  constructor(
    readonly id: number,
    readonly space: CapSpace<number>,
    readonly label: number,
    quota: number,
    /** The environment that created it (null for the first one). */
    readonly parent: Environment | null,
  ) {
    this.quotaLimit = quota;
  }

  /** Frames of quota left. */
  get quotaFree(): number {
    return this.quotaLimit - this.quotaUsed;
  }

  /** Takes `frames` of quota, or refuses with E_NOMEM (nothing taken). */
  charge(frames: number): void {
    if (this.quotaUsed + frames > this.quotaLimit) {
      throw new ExoError('E_NOMEM', `environment ${this.id}: frame quota of ${this.quotaLimit} exhausted`);
    }
    this.quotaUsed += frames;
  }

  refund(frames: number): void {
    this.quotaUsed = Math.max(0, this.quotaUsed - frames);
  }
}
