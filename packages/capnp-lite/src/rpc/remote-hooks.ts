/**
 * Hooks for capabilities on the other side of a connection: an import (an object the peer exported to
 * us, possibly a promise the peer resolves later) and a pipelined capability (a capability in the results
 * of a question not answered yet). Calls on them become Call messages; once a promise settles, calls go
 * to what it settled to. When that is an object in this vat, calls already sent along the old path must
 * arrive first, so new calls wait (an embargo) until a Disembargo sent along the old path comes back.
 */
import type { AnyPointerReader } from '../reader/any-pointer';
import { type CallResult, CapHook, deferred } from './cap-hook';
import { PromiseHook } from './local-hooks';

/** Where a Call is addressed: an import, or a capability in the answer to a question. */
export type CallTarget = { importId: number } | { questionId: number; ops: readonly number[] };

/** What remote hooks need from their connection. */
export interface RemoteSide {
  sendCall(target: CallTarget, interfaceId: bigint, methodId: number, params: AnyPointerReader): CallResult;
  /** Sends a Disembargo along `target` and calls `lifted` when it comes back. */
  disembargo(target: CallTarget, lifted: () => void): void;
  /** Whether `hook` is on the other side of this connection (no embargo is needed to reach it). */
  isRemote(hook: CapHook): boolean;
  /** The import's last reference went. */
  importReleased(hook: ImportHook): void;
}

/** Calls go over the wire until the hook settles; then through a local promise to the resolution. */
abstract class RemotePromiseHook extends CapHook {
  private local: PromiseHook | null = null;
  /** Whether calls were sent along the remote path (only then can a later call overtake one). */
  private sentCalls = false;
  private readonly settledSignal = deferred<void>();

  constructor(readonly side: RemoteSide) {
    super();
  }

  protected abstract get target(): CallTarget;

  call(interfaceId: bigint, methodId: number, params: AnyPointerReader): CallResult {
    if (this.local !== null) return this.local.call(interfaceId, methodId, params);
    this.sentCalls = true;
    return this.side.sendCall(this.target, interfaceId, methodId, params);
  }

  /** Whether the promise has settled (calls no longer go to the old target). */
  get settled(): boolean {
    return this.local !== null;
  }

  /** The promise settled to `resolution`; embargoes calls if they would overtake earlier ones. */
  settle(resolution: CapHook): void {
    if (this.local !== null) return;
    const local = new PromiseHook().addRef();
    this.local = local;
    // Held while an embargo delays the resolution (the caller may drop its reference meanwhile).
    resolution.addRef();
    const lift = () => {
      local.resolve(resolution);
      resolution.release();
      this.settledSignal.resolve();
    };
    // A broken resolution fails every call the same way, so order does not matter there.
    const target = resolution.resolved();
    if (this.sentCalls && target.brokenWith() === null && !this.side.isRemote(target)) {
      this.side.disembargo(this.target, lift);
    } else {
      lift();
    }
  }

  override resolved(): CapHook {
    return this.local === null ? this : this.local.resolved();
  }

  override whenResolved(): Promise<void> {
    return this.settledSignal.promise;
  }

  override brokenWith() {
    return this.local === null ? null : this.local.brokenWith();
  }

  protected override dispose(): void {
    this.local?.release();
  }
}

/** An object the peer exported to us (an entry of the imports table). */
export class ImportHook extends RemotePromiseHook {
  /** How many times the peer has sent us this export: what a Release must give back. */
  remoteRefs = 0;
  /** Set once Release was sent (early, after the promise resolved, or when the last reference went). */
  releasedRemotely = false;

  constructor(
    side: RemoteSide,
    readonly importId: number,
    /** A promise (senderPromise): the peer will send Resolve. */
    readonly isPromise: boolean,
  ) {
    super(side);
  }

  protected get target(): CallTarget {
    return { importId: this.importId };
  }

  override whenResolved(): Promise<void> {
    return this.isPromise ? super.whenResolved() : Promise.resolve();
  }

  protected override dispose(): void {
    super.dispose();
    this.side.importReleased(this);
  }
}

/** A capability in the answer to one of our questions, before the answer arrives. */
export class PipelineHook extends RemotePromiseHook {
  constructor(
    side: RemoteSide,
    readonly questionId: number,
    readonly ops: readonly number[],
  ) {
    super(side);
  }

  protected get target(): CallTarget {
    return { questionId: this.questionId, ops: this.ops };
  }
}
