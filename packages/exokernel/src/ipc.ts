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

/**
 * A message's four 64-bit words in flight, as eight int32 halves, word i's low half at 2i and its high
 * half at 2i + 1: the layout of a register file (hal-x86's `regs`), so a guest's words go from its
 * registers to its partner's without becoming bigints.
 */
export type WordHalves = Int32Array;

/** The words of a message that has none (never written). */
export const NO_WORDS: WordHalves = new Int32Array(8);

/**
 * A party waiting at an endpoint (or for a reply). Exactly one of `delivered`, `sent` or `failed` is called
 * for each arrival. A sender's `words`, `cap` and `badge` are set before it arrives.
 */
export abstract class Waiter {
  op: IpcOperation = 'recv';
  /** A sender's words (read when it is delivered: they must stay unchanged until then). */
  words: WordHalves = NO_WORDS;
  /** A sender's capability to move, or -1. */
  cap = -1;
  /** The badge of the endpoint capability it arrived through. */
  badge: number | undefined = undefined;

  constructor(readonly env: Environment) {}

  /** A message arrived: a receive's, or the reply to a call. `cap` is the moved capability's new id. */
  abstract delivered(words: WordHalves, badge: number | undefined, cap: number | null, sender: number): void;
  /** A send (not a call) was delivered. */
  abstract sent(): void;
  abstract failed(error: ExoErrorCode, detail: string): void;

  /**
   * Whether this receiver answers inside an upcall handler the kernel can run at once (an asynchronous
   * receive of an environment with an IPC upcall): only such a receiver takes a direct call (`callNow`).
   */
  answersInHandler(): boolean {
    return false;
  }
}

/** A waiter whose outcome is an `IpcResult`, the words as bigints: TypeScript callers and listeners. */
export class ResultWaiter extends Waiter {
  constructor(
    env: Environment,
    op: IpcOperation,
    private readonly onResult: (result: IpcResult) => void,
    private readonly inHandler: (() => boolean) | null = null,
  ) {
    super(env);
    this.op = op;
  }

  override answersInHandler(): boolean {
    return this.inHandler?.() === true;
  }

  delivered(words: WordHalves, badge: number | undefined, cap: number | null, sender: number): void {
    this.onResult({ ok: true, message: { words: wordsOf(words), badge, cap, sender } });
  }

  sent(): void {
    this.onResult({ ok: true, message: null });
  }

  failed(error: ExoErrorCode, detail: string): void {
    this.onResult({ ok: false, error, detail });
  }
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

/**
 * Up to four words as halves (zeros for the missing ones); more than four, or non-bigint values, are
 * refused with E_INVAL. Each word is taken modulo 2^64.
 */
export function messageWords(op: string, words: readonly bigint[] | undefined): WordHalves {
  const halves = new Int32Array(8);
  if (words === undefined) return halves;
  if (!Array.isArray(words) || words.length > 4 || words.some((w) => typeof w !== 'bigint')) {
    throw new ExoError('E_INVAL', `${op}: a message is at most four bigint words`);
  }
  for (let i = 0; i < words.length; i++) {
    const w = BigInt.asUintN(64, words[i] as bigint);
    halves[2 * i] = Number(w & 0xffffffffn) | 0;
    halves[2 * i + 1] = Number(w >> 32n) | 0;
  }
  return halves;
}

/** The four words of `halves` as unsigned 64-bit bigints. */
export function wordsOf(halves: WordHalves): [bigint, bigint, bigint, bigint] {
  const word = (i: number) =>
    (BigInt((halves[2 * i + 1] as number) >>> 0) << 32n) | BigInt((halves[2 * i] as number) >>> 0);
  return [word(0), word(1), word(2), word(3)];
}

export class IpcSystem {
  constructor(private readonly kernel: IpcKernel) {}

  /**
   * A sender (send or call) arrives: deliver to the first waiting receiver it may reach, or wait. `direct`:
   * deliver only to a receiver that answers in its handler, and never wait (E_AGAIN otherwise).
   */
  arriveSender(ep: Endpoint, sender: Waiter, mayWait: boolean, direct = false): void {
    const receivers = ep.receivers;
    if (receivers.length > 0) {
      const i = this.firstReachable(receivers, sender.env);
      if (i < 0) {
        sender.failed('E_LABEL', 'no waiting receiver may receive from this sender');
        return;
      }
      // A direct call takes the first receiver it may reach, and only if that one answers in its handler:
      // it never overtakes the queue's order.
      if (!direct || (receivers[i] as Waiter).answersInHandler()) {
        const receiver = i === 0 ? (receivers.shift() as Waiter) : (receivers.splice(i, 1)[0] as Waiter);
        this.deliver(sender, receiver);
        return;
      }
    }
    if (!mayWait || direct) {
      const detail = direct ? 'no receiver answering in its handler is waiting' : 'no receiver is waiting';
      sender.failed('E_AGAIN', detail);
      return;
    }
    ep.senders.push(sender);
  }

  /** A receiver arrives: take the first waiting sender allowed to reach it, or wait. */
  arriveReceiver(ep: Endpoint, receiver: Waiter, mayWait: boolean): void {
    for (;;) {
      const sender = ep.senders.shift();
      if (sender === undefined) break;
      if (!this.kernel.canSend(sender.env, receiver.env)) {
        sender.failed('E_LABEL', 'the receiver may not receive from this sender');
        continue;
      }
      this.deliver(sender, receiver);
      return;
    }
    if (!mayWait) {
      receiver.failed('E_AGAIN', 'no sender is waiting');
      return;
    }
    ep.receivers.push(receiver);
  }

  /**
   * Replies to the caller `replier` last received a call from, with `words` and, if `cap` is not -1, that
   * capability of the replier's (moved).
   */
  reply(replier: Environment, words: WordHalves, cap: number): void {
    const caller = replier.replyTo;
    if (caller === null)
      throw new ExoError('E_STATE', 'reply: no call is waiting for a reply from this environment');
    if (!this.kernel.canSend(replier, caller.env)) {
      throw new ExoError('E_LABEL', 'reply: the caller may not receive from this environment');
    }
    const moved = cap < 0 ? null : this.kernel.moveCapability(replier, cap, caller.env);
    replier.replyTo = null;
    caller.delivered(words, undefined, moved, replier.id);
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

  /** The index of the first receiver in `queue` that `from` may send to, or -1. */
  private firstReachable(queue: readonly Waiter[], from: Environment): number {
    for (let i = 0; i < queue.length; i++) {
      if (this.kernel.canSend(from, (queue[i] as Waiter).env)) return i;
    }
    return -1;
  }

  private deliver(sender: Waiter, receiver: Waiter): void {
    let cap: number | null = null;
    if (sender.cap >= 0) {
      try {
        cap = this.kernel.moveCapability(sender.env, sender.cap, receiver.env);
      } catch (e) {
        if (!(e instanceof ExoError)) throw e;
        // The capability went away while the sender waited (or the receiver's space is full): the sender
        // learns why, and the receiver is told nothing arrived (E_AGAIN), so it can wait again.
        sender.failed(e.code, e.message);
        receiver.failed('E_AGAIN', 'the sender failed at delivery');
        return;
      }
    }
    if (sender.op === 'call') {
      // One reply right per receiver: a receiver that takes a new call before answering the last one
      // gives that caller up, and the caller is told rather than left waiting for ever.
      const unanswered = receiver.env.replyTo;
      receiver.env.replyTo = sender;
      unanswered?.failed('E_STATE', 'the receiver took another call before replying to this one');
    } else sender.sent();
    receiver.delivered(sender.words, sender.badge, cap, sender.env.id);
  }
}
