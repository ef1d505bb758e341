/**
 * IPC endpoints: synchronous rendezvous with register-sized messages, seL4 style.
 *
 * A message is four 64-bit words and at most one capability, which moves from the sender's space to the
 * receiver's (TRANSFER on it; to grant a frame with fewer rights, derive a copy first and send the copy).
 * The receiver learns the badge of the endpoint capability the sender used, so a server can tell its
 * clients apart. `send` meets a waiting receiver, `recv` a waiting sender; whoever comes first waits in the
 * endpoint's queue (FIFO). `call` is a send that then waits for the receiver's `reply`, which goes to the
 * one caller the replier received from (a one-shot reply right; taking another call before replying gives
 * the earlier caller up with E_STATE). Labels: a message may only go from a
 * sender to a receiver the lattice's flow policy allows (`canSend`); a refused delivery fails the sender
 * with E_LABEL and leaves the receiver waiting.
 *
 * Waiting parties are guest environments blocked in a syscall, or asynchronous operations of TypeScript
 * library OSes identified by completion tokens (`submit`, `poll`, `wait`, `cancel`); a TypeScript caller
 * that does not want to wait uses `send`/`recv`, which refuse with E_AGAIN instead of waiting.
 */
import type { Environment } from './environment';
import { ExoError, type ExoErrorCode } from './errors';

/** What a sender passes: up to four words and optionally one of its capabilities (moved). */
export interface IpcMessage {
  readonly words?: readonly bigint[];
  readonly cap?: number;
}

/** What a receiver gets. */
export interface ReceivedMessage {
  readonly words: readonly [bigint, bigint, bigint, bigint];
  /** The badge of the sender's endpoint capability, if it had one. */
  readonly badge: number | undefined;
  /** The moved capability's id in the receiver's space, or null. */
  readonly cap: number | null;
  /** The sender's environment number. */
  readonly sender: number;
}

/** The outcome of an operation: the received message (recv, call) or null (send), or a refusal. */
export type IpcResult =
  | { ok: true; message: ReceivedMessage | null }
  | { ok: false; error: ExoErrorCode; detail: string };

export type IpcOperation = 'send' | 'recv' | 'call';

/** A message the kernel has checked: exactly four words, each already reduced to 64 bits. */
export interface PreparedMessage {
  readonly words: readonly [bigint, bigint, bigint, bigint];
  readonly cap?: number;
}

/** A party waiting at an endpoint (or for a reply). `complete` is called exactly once. */
export interface Waiter {
  readonly env: Environment;
  readonly op: IpcOperation;
  /** A sender's checked message (null for a receiver). */
  readonly message: PreparedMessage | null;
  readonly badge: number | undefined;
  complete(result: IpcResult): void;
  /**
   * Whether this receiver answers inside an upcall handler the kernel can run at once (an asynchronous
   * receive of an environment with an IPC upcall): only such a receiver takes a direct call (`callNow`).
   */
  answersInHandler?(): boolean;
}

/** The kernel services IPC needs. */
export interface IpcKernel {
  /** Moves `cap` from `from`'s space to `to`'s; returns the new id. Throws ExoError if it cannot. */
  moveCapability(from: Environment, cap: number, to: Environment): number;
  canSend(from: Environment, to: Environment): boolean;
}

export class Endpoint {
  readonly senders: Waiter[] = [];
  readonly receivers: Waiter[] = [];
  constructor(readonly id: number) {}
}

const ZERO_WORDS = [0n, 0n, 0n, 0n] as const;

/** Four words from up to four given; more than four, or non-bigint values, are refused with E_INVAL. */
export function messageWords(
  op: string,
  words: readonly bigint[] | undefined,
): [bigint, bigint, bigint, bigint] {
  if (words === undefined) return [...ZERO_WORDS];
  if (!Array.isArray(words) || words.length > 4 || words.some((w) => typeof w !== 'bigint')) {
    throw new ExoError('E_INVAL', `${op}: a message is at most four bigint words`);
  }
  const w = words.map((x) => BigInt.asUintN(64, x));
  while (w.length < 4) w.push(0n);
  return w as [bigint, bigint, bigint, bigint];
}

export class IpcSystem {
  constructor(private readonly kernel: IpcKernel) {}

  /**
   * A sender (send or call) arrives: deliver to the first waiting receiver it may reach, or wait. `direct`:
   * deliver only to a receiver that answers in its handler, and never wait (E_AGAIN otherwise).
   */
  arriveSender(ep: Endpoint, sender: Waiter, mayWait: boolean, direct = false): void {
    const receiver = this.firstReachable(
      ep.receivers,
      (r) => this.kernel.canSend(sender.env, r.env),
      direct ? (r) => r.answersInHandler?.() === true : undefined,
    );
    if (receiver === 'label') {
      sender.complete({
        ok: false,
        error: 'E_LABEL',
        detail: 'no waiting receiver may receive from this sender',
      });
      return;
    }
    if (receiver !== null) {
      this.deliver(sender, receiver);
      return;
    }
    if (!mayWait || direct) {
      const detail = direct ? 'no receiver answering in its handler is waiting' : 'no receiver is waiting';
      sender.complete({ ok: false, error: 'E_AGAIN', detail });
      return;
    }
    ep.senders.push(sender);
  }

  /** A receiver arrives: take the first waiting sender allowed to reach it, or wait. */
  arriveReceiver(ep: Endpoint, receiver: Waiter, mayWait: boolean): void {
    for (;;) {
      const sender = ep.senders[0];
      if (sender === undefined) break;
      ep.senders.shift();
      if (!this.kernel.canSend(sender.env, receiver.env)) {
        sender.complete({
          ok: false,
          error: 'E_LABEL',
          detail: 'the receiver may not receive from this sender',
        });
        continue;
      }
      this.deliver(sender, receiver);
      return;
    }
    if (!mayWait) {
      receiver.complete({ ok: false, error: 'E_AGAIN', detail: 'no sender is waiting' });
      return;
    }
    ep.receivers.push(receiver);
  }

  /** Replies to the caller `replier` last received a call from. */
  reply(replier: Environment, message: IpcMessage, words: [bigint, bigint, bigint, bigint]): void {
    const caller = replier.replyTo;
    if (caller === null)
      throw new ExoError('E_STATE', 'reply: no call is waiting for a reply from this environment');
    if (!this.kernel.canSend(replier, caller.env)) {
      throw new ExoError('E_LABEL', 'reply: the caller may not receive from this environment');
    }
    const cap =
      message.cap === undefined ? null : this.kernel.moveCapability(replier, message.cap, caller.env);
    replier.replyTo = null;
    caller.complete({ ok: true, message: { words, badge: undefined, cap, sender: replier.id } });
  }

  /** Removes a waiter (cancelled, or its environment died); true if it was waiting. */
  withdraw(ep: Endpoint, waiter: Waiter): boolean {
    for (const queue of [ep.senders, ep.receivers]) {
      const i = queue.indexOf(waiter);
      if (i >= 0) {
        queue.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  private firstReachable(
    queue: Waiter[],
    allowed: (w: Waiter) => boolean,
    suitable?: (w: Waiter) => boolean,
  ): Waiter | null | 'label' {
    if (queue.length === 0) return null;
    const i = queue.findIndex(allowed);
    if (i < 0) return 'label';
    // A direct call takes the first receiver it may reach, and only if that one answers in its handler:
    // it never overtakes the queue's order.
    if (suitable !== undefined && !suitable(queue[i] as Waiter)) return null;
    return queue.splice(i, 1)[0] as Waiter;
  }

  private deliver(sender: Waiter, receiver: Waiter): void {
    const message = sender.message ?? { words: ZERO_WORDS };
    let cap: number | null = null;
    if (message.cap !== undefined) {
      try {
        cap = this.kernel.moveCapability(sender.env, message.cap, receiver.env);
      } catch (e) {
        if (!(e instanceof ExoError)) throw e;
        // The capability went away while the sender waited (or the receiver's space is full): the sender
        // learns why, and the receiver is told nothing arrived (E_AGAIN), so it can wait again.
        sender.complete({ ok: false, error: e.code, detail: e.message });
        receiver.complete({ ok: false, error: 'E_AGAIN', detail: 'the sender failed at delivery' });
        return;
      }
    }
    const received: ReceivedMessage = {
      words: [...message.words],
      badge: sender.badge,
      cap,
      sender: sender.env.id,
    };
    if (sender.op === 'call') {
      // One reply right per receiver: a receiver that takes a new call before answering the last one
      // gives that caller up, and the caller is told rather than left waiting for ever.
      const unanswered = receiver.env.replyTo;
      receiver.env.replyTo = sender;
      unanswered?.complete({
        ok: false,
        error: 'E_STATE',
        detail: 'the receiver took another call before replying to this one',
      });
    } else sender.complete({ ok: true, message: null });
    receiver.complete({ ok: true, message: received });
  }
}
