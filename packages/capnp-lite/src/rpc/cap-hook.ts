/**
 * What stands behind a capability: a local object, a promise of one, an object in another vat, or an
 * error. `Capability` handles point at hooks; a hook counts the handles (and table entries) that hold it
 * and is disposed when the last one lets go (a remote import then sends Release, a local object is told
 * it is no longer referenced).
 *
 * Params and results travel as an AnyPointerReader (the content) over a message whose capability table
 * holds `Capability` handles. Whoever receives such a message owns those handles and releases them.
 */
import type { AnyPointerReader } from '../reader/any-pointer';
import type { RpcError } from './rpc-error';

/** A call in progress, as the hook that took it reports it. */
export interface CallResult {
  /** The results' content (the results struct; for a bootstrap request, the capability itself). */
  readonly response: Promise<AnyPointerReader>;
  /** The capability at pointer path `ops` in the results, usable before they arrive (pipelining). */
  pipeline(ops: readonly number[]): CapHook;
}

export abstract class CapHook {
  private refs = 0;

  addRef(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs === 0) this.dispose();
  }

  /** Delivers a call. The hook takes ownership of the capabilities in `params`. */
  abstract call(interfaceId: bigint, methodId: number, params: AnyPointerReader): CallResult;

  /** The hook this one forwards to now (for a settled promise, its resolution), or this hook. */
  resolved(): CapHook {
    return this;
  }

  /** Settles when the hook is no longer a promise (at once for most hooks). */
  whenResolved(): Promise<void> {
    return Promise.resolve();
  }

  /** The error every call fails with, for a broken capability; null otherwise. */
  brokenWith(): RpcError | null {
    return null;
  }

  /** Called when the last reference goes. */
  protected dispose(): void {}
}

/** Marks a promise as handled (its rejection is observed elsewhere, or deliberately not at all). */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = quiet(
    new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    }),
  );
  return { promise, resolve, reject };
}
