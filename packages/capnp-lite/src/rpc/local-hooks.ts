/**
 * Hooks that live in this vat: an object served here, a promise of a capability (pipelining), and a
 * broken capability. Remote hooks (imports, promised answers) are in remote-hooks.ts.
 */
import { MessageBuilder } from '../builder/message-builder';
import type { AnyPointerReader } from '../reader/any-pointer';
import { type CallResult, CapHook, deferred, quiet } from './cap-hook';
import { Capability, capabilityAt, contentOf, releaseCapTable } from './capability';
import { RpcError, asRpcError } from './rpc-error';

/** An object implemented in this vat: what `serve` wraps. */
export interface Server {
  /**
   * Handles one call: reads `params` (the params struct's content) and builds the results in `results`
   * (initialise its root). Throw, or reject, to fail the call (an `RpcError` keeps its type; anything else
   * is `failed`).
   */
  dispatch(
    interfaceId: bigint,
    methodId: number,
    params: AnyPointerReader,
    results: MessageBuilder,
  ): void | Promise<void>;
  /** Called once no capability refers to the object any more. */
  release?(): void;
}

export class LocalHook extends CapHook {
  constructor(private readonly server: Server) {
    super();
  }

  call(interfaceId: bigint, methodId: number, params: AnyPointerReader): CallResult {
    const results = new MessageBuilder();
    const done = deferred<AnyPointerReader>();
    // A call on its way holds the object: it is not told it is released while calls to it are queued.
    this.addRef();
    // Delivered from the microtask queue: in call order, and never inside the caller's own stack.
    queueMicrotask(() => {
      let handled: void | Promise<void>;
      try {
        handled = this.server.dispatch(interfaceId, methodId, params, results);
      } catch (e) {
        handled = Promise.reject(e);
      }
      Promise.resolve(handled).then(
        () => {
          releaseCapTable(params.arena);
          done.resolve(contentOf(results));
          this.release();
        },
        (e: unknown) => {
          releaseCapTable(params.arena);
          releaseCapTable(results);
          done.reject(asRpcError(e));
          this.release();
        },
      );
    });
    return pendingResult(done.promise);
  }

  protected override dispose(): void {
    this.server.release?.();
  }
}

/** A capability whose every call fails with the same error. */
export class BrokenHook extends CapHook {
  constructor(private readonly error: RpcError) {
    super();
  }

  call(_interfaceId: bigint, _methodId: number, params: AnyPointerReader): CallResult {
    releaseCapTable(params.arena);
    return failedResult(this.error);
  }

  override brokenWith(): RpcError {
    return this.error;
  }
}

interface QueuedCall {
  interfaceId: bigint;
  methodId: number;
  params: AnyPointerReader;
  forwarded: (result: CallResult) => void;
}

/**
 * A capability that will be another one: calls made before it settles wait in order and are forwarded
 * when it does, so the order of calls on the capability is kept (E-order).
 */
export class PromiseHook extends CapHook {
  private target: CapHook | null = null;
  private readonly queue: QueuedCall[] = [];
  private disposed = false;
  private readonly settled = deferred<void>();

  call(interfaceId: bigint, methodId: number, params: AnyPointerReader): CallResult {
    if (this.target !== null) return this.target.call(interfaceId, methodId, params);
    const later = deferred<CallResult>();
    this.queue.push({ interfaceId, methodId, params, forwarded: later.resolve });
    return forwardedResult(later.promise);
  }

  /** Settles the promise: queued calls go to `target`, in order, before anything else can call it. */
  resolve(target: CapHook): void {
    if (this.target !== null) return;
    this.target = target.addRef();
    for (const c of this.queue.splice(0)) c.forwarded(target.call(c.interfaceId, c.methodId, c.params));
    this.settled.resolve();
    if (this.disposed) this.target.release();
  }

  /** Settles the promise as broken. */
  reject(error: RpcError): void {
    this.resolve(new BrokenHook(error));
  }

  override resolved(): CapHook {
    return this.target === null ? this : this.target.resolved();
  }

  override whenResolved(): Promise<void> {
    return this.settled.promise;
  }

  override brokenWith(): RpcError | null {
    return this.target === null ? null : this.target.brokenWith();
  }

  protected override dispose(): void {
    // Calls already queued are still forwarded when the promise settles.
    this.disposed = true;
    if (this.target !== null) this.target.release();
  }
}

/** A call that has failed. */
export function failedResult(error: RpcError): CallResult {
  const response = quiet(Promise.reject(error));
  return { response, pipeline: () => new BrokenHook(error) };
}

/** A call whose results come as `response`: pipelined capabilities settle when it does. */
export function pendingResult(response: Promise<AnyPointerReader>): CallResult {
  return {
    response,
    pipeline(ops) {
      const promise = new PromiseHook();
      response.then(
        (content) => promise.resolve(hookAt(content, ops)),
        (e: unknown) => promise.reject(asRpcError(e)),
      );
      return promise;
    },
  };
}

/** The hook of the capability at `ops` in `content` (a broken one where there is none). */
export function hookAt(content: AnyPointerReader, ops: readonly number[]): CapHook {
  try {
    const cap = capabilityAt(content, ops);
    if (cap === null) return new BrokenHook(new RpcError('failed', 'the results hold no capability there'));
    return cap.released
      ? new BrokenHook(new RpcError('failed', 'that capability was released'))
      : hookOfCap(cap);
  } catch (e) {
    return new BrokenHook(asRpcError(e));
  }
}

/** A call queued on a promise: its results once it has been forwarded. */
function forwardedResult(later: Promise<CallResult>): CallResult {
  return {
    response: quiet(later.then((r) => r.response)),
    pipeline(ops) {
      const promise = new PromiseHook();
      later.then((r) => promise.resolve(r.pipeline(ops)));
      return promise;
    },
  };
}

function hookOfCap(cap: Capability): CapHook {
  return Capability.hookOf(cap).resolved();
}
