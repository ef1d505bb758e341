/**
 * A guest environment's side of synchronous IPC: the registers a message comes from and goes to.
 *
 * Guest code calls ipc_send, ipc_recv and ipc_call with the endpoint in RDI, the four words in RSI, RDX,
 * R10 and R8, and a capability (or -1) in R9; a receive's result comes back in the same registers, with
 * the badge in RDI and RAX 0 or the error. Words go from one register file to the other as int32 halves,
 * never as bigints. A guest waits for one thing at a time, so each environment has one waiter, reused for
 * each of its primitives.
 */
import { ExoErrno, type ExoErrorCode } from './errors';
import type { Endpoint, WordHalves } from './ipc';
import { Waiter } from './ipc';
import type { Environment } from './environment';

const RAX = 0;
const RDX = 2;
const RSI = 6;
const RDI = 7;
const R8 = 8;
const R9 = 9;
const R10 = 10;

/** Copies the message registers RSI, RDX, R10, R8 of a register file into `into` (word halves). */
export function readMessageRegisters(regs: Int32Array, into: WordHalves): void {
  into[0] = regs[2 * RSI] as number;
  into[1] = regs[2 * RSI + 1] as number;
  into[2] = regs[2 * RDX] as number;
  into[3] = regs[2 * RDX + 1] as number;
  into[4] = regs[2 * R10] as number;
  into[5] = regs[2 * R10 + 1] as number;
  into[6] = regs[2 * R8] as number;
  into[7] = regs[2 * R8 + 1] as number;
}

/** Sets register `r` of a register file to a small signed integer (an errno, an id, -1). */
function setSmall(regs: Int32Array, r: number, value: number): void {
  regs[2 * r] = value | 0;
  regs[2 * r + 1] = value < 0 ? -1 : Math.floor(value / 4294967296) | 0;
}

export class GuestWaiter extends Waiter {
  /**
   * Where the results go: the registers in the CPU while the primitive is being served (it may complete
   * at once), the environment's saved context once it waits.
   */
  regs: Int32Array;
  /** Whether the current primitive has completed. */
  done = false;
  /** The sender's words, copied from its registers when it arrives. */
  override words: WordHalves = new Int32Array(8);
  /** Where the environment waits, while it does (its `waitingAt`). */
  readonly at: { endpoint: Endpoint | null; waiter: Waiter } = { endpoint: null, waiter: this };

  constructor(
    env: Environment,
    /** Makes the environment, blocked in this primitive, runnable again. */
    private readonly wake: (env: Environment) => void,
  ) {
    super(env);
    this.regs = env.context.regs;
  }

  delivered(words: WordHalves, badge: number | undefined, cap: number | null, _sender: number): void {
    const r = this.regs;
    r[2 * RAX] = 0;
    r[2 * RAX + 1] = 0;
    setSmall(r, RDI, badge ?? 0);
    r[2 * RSI] = words[0] as number;
    r[2 * RSI + 1] = words[1] as number;
    r[2 * RDX] = words[2] as number;
    r[2 * RDX + 1] = words[3] as number;
    r[2 * R10] = words[4] as number;
    r[2 * R10 + 1] = words[5] as number;
    r[2 * R8] = words[6] as number;
    r[2 * R8 + 1] = words[7] as number;
    setSmall(r, R9, cap ?? -1);
    this.finish();
  }

  sent(): void {
    this.regs[2 * RAX] = 0;
    this.regs[2 * RAX + 1] = 0;
    this.finish();
  }

  failed(error: ExoErrorCode, _detail: string): void {
    setSmall(this.regs, RAX, ExoErrno[error]);
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (this.env.status === 'waiting') this.wake(this.env);
  }
}
