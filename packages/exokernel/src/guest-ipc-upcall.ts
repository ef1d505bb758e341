/**
 * IPC upcalls for guest code: a server environment has messages on an endpoint delivered at an entry point
 * of its own, the way the page-fault upcall delivers faults, instead of blocking in `ipc_recv`.
 *
 * `ipc_listen(ep, entry, stack_top)` (IPC_RECV on the endpoint) makes the environment a standing receiver
 * on the endpoint. When a sender arrives, the message is kept until the environment next runs; then the
 * kernel saves its registers in an `exo_utrapframe` just below `stack_top` (fault_va and err 0), writes the
 * message (`struct exo_msg`) below that, points RSP under it with a zero return address as a call would,
 * RDI at the frame, RSI at the message, RDX to the sender's environment number, and RIP at `entry`. The
 * handler answers a call with `ipc_reply` as usual and ends with `ipc_upcall_return(frame)`, which restores
 * the saved registers and accepts the next message: one message at a time, in the endpoint's FIFO order,
 * senders waiting in the endpoint's queue meanwhile. `upcall_wait()` blocks until a message is there (a
 * server with nothing else to do loops on it). The listening right is checked again each time the
 * environment accepts a message, and when the capability is revoked, deleted or transferred the
 * environment stops listening at once (a message already delivered or due is still handled, and an
 * `upcall_wait` with nothing due fails with E_STATE).
 * `ipc_listen(-1, ...)` stops listening. A handler must have its own stack (not the page-fault
 * upcall's), and an exception stack that is not mapped writable ends the environment.
 */
import type { CpuContext } from '@exov6/hal-x86';
import type { Environment } from './environment';
import { ExoErrno, ExoError } from './errors';
import { type Endpoint, type IpcResult, type ReceivedMessage, ResultWaiter, type Waiter } from './ipc';
import { UTRAPFRAME_SIZE, alignDown16, utrapframe } from './guest-abi';

/** Bytes of `struct exo_msg`: four words, the capability (-1 for none) and the badge. */
export const EXO_MSG_SIZE = 48;

/** An environment's standing receive on one endpoint. */
export interface IpcListener {
  readonly endpointCap: number;
  readonly endpoint: Endpoint;
  readonly entry: number;
  readonly stackTop: number;
  readonly waiter: Waiter;
  /** The waiter is in the endpoint's receive queue. */
  armed: boolean;
  /** A message received and not yet delivered. */
  pending: ReceivedMessage | null;
  /** From delivery until ipc_upcall_return. */
  inHandler: boolean;
  /** Blocked in upcall_wait. */
  waiting: boolean;
  /** Listening stopped; the record stays until a message already taken has been handled. */
  closed: boolean;
}

/** The kernel services the listeners need. */
export interface ListenerKernel {
  /** The endpoint `cap` names with IPC_RECV in `env`'s space; throws ExoError if it does not. */
  receiveEndpoint(env: Environment, cap: number, op: string): Endpoint;
  arriveReceiver(endpoint: Endpoint, waiter: Waiter): void;
  withdraw(endpoint: Endpoint, waiter: Waiter): void;
  /** Makes an environment blocked in upcall_wait runnable again, with `result` in RAX. */
  wake(env: Environment, result: number): void;
  /** Blocks a running environment (it leaves the scheduler until `wake`). */
  block(env: Environment): void;
  writeGuest(env: Environment, va: number, data: Uint8Array): boolean;
  kill(env: Environment, reason: string): void;
}

export class GuestIpcUpcalls {
  private readonly listeners = new Map<Environment, IpcListener>();

  constructor(private readonly k: ListenerKernel) {}

  /** ipc_listen: starts (or, with a negative endpoint, stops) listening. */
  listen(env: Environment, endpointCap: number, entry: number, stackTop: number): void {
    if (endpointCap < 0) {
      this.stop(env);
      return;
    }
    const endpoint = this.k.receiveEndpoint(env, endpointCap, 'ipc_listen');
    const current = this.listeners.get(env);
    if (current !== undefined && (current.inHandler || current.pending !== null)) {
      throw new ExoError('E_STATE', 'ipc_listen: a message is being handled; finish it first');
    }
    this.stop(env);
    const listener: IpcListener = {
      endpointCap,
      endpoint,
      entry,
      stackTop,
      armed: false,
      pending: null,
      inHandler: false,
      waiting: false,
      closed: false,
      waiter: new ResultWaiter(env, 'recv', (result) => this.received(listener, result)),
    };
    this.listeners.set(env, listener);
    this.arm(listener);
  }

  /** upcall_wait: 'resume' when a message is there to deliver, 'stopped' when the environment now waits. */
  wait(env: Environment): 'resume' | 'stopped' {
    const listener = this.listeners.get(env);
    if (listener === undefined || (listener.closed && listener.pending === null)) {
      throw new ExoError('E_STATE', 'upcall_wait: the environment is not listening');
    }
    if (listener.pending !== null) return 'resume';
    listener.waiting = true;
    this.k.block(env);
    return 'stopped';
  }

  /** ipc_upcall_return: the handler is done; accept the next message. The caller restores the registers. */
  handlerDone(env: Environment): void {
    const listener = this.listeners.get(env);
    if (listener === undefined || !listener.inHandler) {
      throw new ExoError('E_STATE', 'ipc_upcall_return: no IPC upcall is running');
    }
    listener.inHandler = false;
    this.arm(listener);
  }

  /**
   * Delivers a received message if the environment is free to take it: called with the environment's
   * context just before it runs (or goes on running after a primitive).
   */
  deliver(env: Environment, ctx: CpuContext): void {
    // (Called before every time slice: most machines have no listener at all.)
    if (this.listeners.size === 0) return;
    const listener = this.listeners.get(env);
    if (listener === undefined || listener.pending === null || listener.inHandler) return;
    const message = listener.pending;
    listener.pending = null;
    const frameVa = alignDown16(listener.stackTop - UTRAPFRAME_SIZE);
    const msgVa = frameVa - EXO_MSG_SIZE;
    const returnSlot = msgVa - 8;
    if (
      !this.k.writeGuest(env, frameVa, utrapframe(ctx, 0, 0)) ||
      !this.k.writeGuest(env, msgVa, encodeMessage(message)) ||
      !this.k.writeGuest(env, returnSlot, new Uint8Array(8))
    ) {
      this.k.kill(env, 'IPC upcall: the exception stack is not mapped writable');
      return;
    }
    listener.inHandler = true;
    ctx.setReg(4, BigInt(returnSlot));
    ctx.setReg(7, BigInt(frameVa));
    ctx.setReg(6, BigInt(msgVa));
    ctx.setReg(2, BigInt(message.sender));
    ctx.rip = listener.entry;
  }

  /** The environment no longer holds capability `capId`: if it was the one it listens through, stop. */
  capabilityGone(env: Environment, capId: number): void {
    if (this.listeners.get(env)?.endpointCap === capId) this.stop(env);
  }

  /**
   * Stops listening: the receive leaves the endpoint's queue; a message already taken is still delivered
   * and handled.
   */
  stop(env: Environment): void {
    const listener = this.listeners.get(env);
    if (listener === undefined) return;
    listener.closed = true;
    if (listener.armed) this.k.withdraw(listener.endpoint, listener.waiter);
    listener.armed = false;
    this.release(listener);
    if (listener.waiting && listener.pending === null) {
      // Nothing will come: upcall_wait fails instead of waiting for ever.
      listener.waiting = false;
      this.k.wake(env, ExoErrno.E_STATE);
    }
  }

  /** The environment ended: nothing of its listening remains. */
  forget(env: Environment): void {
    this.stop(env);
    this.listeners.delete(env);
  }

  /** Drops a closed listener once nothing taken is left to handle. */
  private release(listener: IpcListener): void {
    const env = listener.waiter.env;
    if (
      listener.closed &&
      !listener.inHandler &&
      listener.pending === null &&
      this.listeners.get(env) === listener
    ) {
      this.listeners.delete(env);
    }
  }

  private arm(listener: IpcListener): void {
    const env = listener.waiter.env;
    if (listener.closed) {
      this.release(listener);
      return;
    }
    if (listener.armed || listener.pending !== null || listener.inHandler) return;
    try {
      // The right to listen is the capability's: checked again for every message.
      this.k.receiveEndpoint(env, listener.endpointCap, 'ipc_listen');
    } catch (e) {
      if (!(e instanceof ExoError)) throw e;
      listener.closed = true;
      this.release(listener);
      return;
    }
    listener.armed = true;
    this.k.arriveReceiver(listener.endpoint, listener.waiter);
  }

  private received(listener: IpcListener, result: IpcResult): void {
    listener.armed = false;
    if (!result.ok || result.message === null) {
      // Nothing arrived after all (the sender failed at delivery): keep listening.
      this.arm(listener);
      return;
    }
    listener.pending = result.message;
    if (listener.waiting) {
      listener.waiting = false;
      this.k.wake(listener.waiter.env, 0);
    }
  }
}

function encodeMessage(m: ReceivedMessage): Uint8Array {
  const bytes = new Uint8Array(EXO_MSG_SIZE);
  const view = new DataView(bytes.buffer);
  for (const [i, w] of m.words.entries()) view.setBigUint64(8 * i, w, true);
  view.setBigInt64(32, BigInt(m.cap ?? -1), true);
  view.setBigUint64(40, BigInt(m.badge ?? 0), true);
  return bytes;
}
