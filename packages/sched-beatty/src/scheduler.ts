/**
 * The common scheduler interface, and the bookkeeping every policy shares: the task <-> slot table, task
 * states, argument checks, and the zero-weight (background) tasks.
 *
 * A task is any value except `undefined` (objects, strings, numbers); the scheduler refers to it by a small
 * integer slot internally so the policies can keep their state in typed arrays.
 *
 * Shared semantics, the same for every policy:
 * - `add` makes a task runnable; `remove` forgets it (runnable or blocked).
 * - `block`/`unblock` take a runnable task out of contention and bring it back; what a policy remembers
 *   across a block (lag, pass, vruntime) is stated in the policy's file.
 * - `pickNext(now)` names the task to run next without running it; `now` is the caller's clock in ticks
 *   and must not go backwards. It returns `undefined` when nothing is runnable.
 * - `charge(task, amount)` accounts `amount` ticks of service to a runnable task (normally the one just
 *   picked; charge before blocking a task that ran). Charging 0 is a no-op.
 * - Weight 0 means background: such a task runs only when no runnable task has a positive weight, and the
 *   background tasks take turns in FIFO order, one charge each. This rule is implemented here, once, so all
 *   policies agree on it; a policy only ever sees tasks of positive weight.
 */
import {
  CapacityError,
  DuplicateTaskError,
  InvalidArgumentError,
  TaskStateError,
  UnknownTaskError,
} from './errors.js';
import { growFloat64, growUint8 } from './internal/grow.js';
import { SlotList } from './internal/slot-list.js';
import { wideFields } from './internal/wide-fields.js';
import { MAX_AMOUNT, MAX_TIME, MAX_TOTAL_WEIGHT, MAX_WEIGHT } from './limits.js';
import { checkInteger } from './validate.js';

export type PolicyName = 'beatty' | 'eevdf' | 'stride' | 'lottery' | 'cfs' | 'round-robin' | 'priority';

export interface Scheduler<T> {
  /** Which policy this is. */
  readonly policy: PolicyName;
  /** Number of tasks held, runnable or blocked. */
  readonly size: number;
  /** Number of runnable tasks. */
  readonly runnableCount: number;
  has(task: T): boolean;
  isRunnable(task: T): boolean;
  weightOf(task: T): number;
  /** Tasks held, in slot order. */
  tasks(): T[];
  add(task: T, weight: number): void;
  remove(task: T): void;
  setWeight(task: T, weight: number): void;
  block(task: T): void;
  unblock(task: T): void;
  pickNext(now: number): T | undefined;
  charge(task: T, amount: number): void;
}

const FREE = 0;
const RUNNABLE = 1;
const BLOCKED = 2;

/**
 * Why a task enters or leaves contention: `add`/`remove`, `unblock`/`block`, or `reweight` when a runnable
 * task's weight changes from 0 to positive (enter, with a fresh start like `add`) or from positive to 0
 * (leave, forgetting its state like `remove`). Policies keep state across block/unblock only.
 */
export type EnterReason = 'add' | 'unblock' | 'reweight';
export type LeaveReason = 'remove' | 'block' | 'reweight';

export abstract class BaseScheduler<T> implements Scheduler<T> {
  abstract readonly policy: PolicyName;

  runnableCount = 0;
  /** The clock and the total weight (see internal/wide-fields.ts for why they are not plain fields). */
  private readonly wide = wideFields(2);
  /** Clock of the latest pickNext. */
  protected get clock(): number {
    return this.wide[0] as number;
  }
  protected set clock(value: number) {
    this.wide[0] = value;
  }
  /** Weight per slot (0 for free slots and background tasks). */
  protected weight = new Float64Array(16);
  /** Sum of the weights of the runnable tasks. */
  protected get totalWeight(): number {
    return this.wide[1] as number;
  }
  protected set totalWeight(value: number) {
    this.wide[1] = value;
  }
  /** Runnable tasks of positive weight. */
  protected contenders = 0;
  protected capacity = 16;

  private readonly slotOf = new Map<T, number>();
  private taskAt: (T | undefined)[] = [];
  private state = new Uint8Array(16);
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly background = new SlotList(16);
  // pickNext is normally followed by charge of the same task: skip the map lookup then.
  private lastTask: T | undefined = undefined;
  private lastSlot = -1;

  get size(): number {
    return this.slotOf.size;
  }

  has(task: T): boolean {
    return this.slotOf.has(task);
  }

  isRunnable(task: T): boolean {
    return this.state[this.slotFor('isRunnable', task)] === RUNNABLE;
  }

  weightOf(task: T): number {
    return this.weight[this.slotFor('weightOf', task)];
  }

  tasks(): T[] {
    const out: T[] = [];
    for (let s = 0; s < this.nextSlot; s++) if (this.state[s] !== FREE) out.push(this.taskAt[s] as T);
    return out;
  }

  add(task: T, weight: number): void {
    const where = `${this.policy}.add`;
    if (task === undefined) throw new InvalidArgumentError(`${where}: task must not be undefined`);
    if (this.slotOf.has(task)) throw new DuplicateTaskError(`${where}: task ${label(task)} is already added`);
    checkInteger(where, 'weight', weight, 0, MAX_WEIGHT);
    this.checkTotal(where, weight);
    const slot = this.allocate(task);
    this.state[slot] = RUNNABLE;
    this.weight[slot] = weight;
    this.runnableCount++;
    this.admit(slot);
    this.contend(slot, weight, 'add');
  }

  remove(task: T): void {
    const slot = this.slotFor(`${this.policy}.remove`, task);
    const w = this.weight[slot];
    if (this.state[slot] === RUNNABLE) {
      this.runnableCount--;
      if (w === 0) this.background.remove(slot);
      else this.withdraw(slot, w, 'remove');
    } else {
      this.forget(slot);
    }
    this.state[slot] = FREE;
    this.weight[slot] = 0;
    this.slotOf.delete(task);
    this.taskAt[slot] = undefined;
    this.freeSlots.push(slot);
    if (this.lastSlot === slot) {
      this.lastSlot = -1;
      this.lastTask = undefined;
    }
  }

  setWeight(task: T, weight: number): void {
    const where = `${this.policy}.setWeight`;
    const slot = this.slotFor(where, task);
    checkInteger(where, 'weight', weight, 0, MAX_WEIGHT);
    const old = this.weight[slot];
    if (old === weight) return;
    if (this.state[slot] === BLOCKED) {
      this.weight[slot] = weight;
      if (weight > 0) this.reweightBlocked(slot, old, weight);
      return;
    }
    this.checkTotal(where, weight - old);
    if (old > 0 && weight > 0) {
      this.totalWeight += weight - old;
      this.weight[slot] = weight;
      this.reweight(slot, old, weight);
    } else if (old > 0) {
      this.withdraw(slot, old, 'reweight');
      this.weight[slot] = 0;
      this.background.push(slot);
    } else {
      this.background.remove(slot);
      this.weight[slot] = weight;
      this.contend(slot, weight, 'reweight');
    }
  }

  block(task: T): void {
    const where = `${this.policy}.block`;
    const slot = this.slotFor(where, task);
    if (this.state[slot] !== RUNNABLE)
      throw new TaskStateError(`${where}: task ${label(task)} is already blocked`);
    const w = this.weight[slot];
    if (w === 0) this.background.remove(slot);
    else this.withdraw(slot, w, 'block');
    this.state[slot] = BLOCKED;
    this.runnableCount--;
  }

  unblock(task: T): void {
    const where = `${this.policy}.unblock`;
    const slot = this.slotFor(where, task);
    if (this.state[slot] !== BLOCKED)
      throw new TaskStateError(`${where}: task ${label(task)} is not blocked`);
    const w = this.weight[slot];
    this.checkTotal(where, w);
    this.state[slot] = RUNNABLE;
    this.runnableCount++;
    this.contend(slot, w, 'unblock');
  }

  pickNext(now: number): T | undefined {
    // One comparison chain on the hot path; anything unusual (not a number, fractional, NaN, too large,
    // before the clock) falls through to the error.
    if (!(now >= this.clock && now <= MAX_TIME && Number.isInteger(now))) this.badNow(now);
    this.clock = now;
    const slot = this.contenders > 0 ? this.pickSlot(now) : this.background.first();
    if (slot < 0) return undefined;
    const task = this.taskAt[slot] as T;
    this.lastTask = task;
    this.lastSlot = slot;
    return task;
  }

  charge(task: T, amount: number): void {
    const slot =
      task === this.lastTask && this.lastSlot >= 0
        ? this.lastSlot
        : this.slotFor(`${this.policy}.charge`, task);
    if (!(amount >= 0 && amount <= MAX_AMOUNT && Number.isInteger(amount))) {
      checkInteger(`${this.policy}.charge`, 'amount', amount, 0, MAX_AMOUNT);
    }
    if (this.state[slot] !== RUNNABLE) {
      throw new TaskStateError(
        `${this.policy}.charge: task ${label(task)} is blocked (charge before blocking)`,
      );
    }
    if (amount === 0) return;
    if (this.weight[slot] === 0) this.background.rotateToTail(slot);
    else this.chargeSlot(slot, amount);
  }

  private badNow(now: unknown): never {
    throw new InvalidArgumentError(
      `${this.policy}.pickNext: now must be an integer tick in [${this.clock}, ${MAX_TIME}] (the clock may not go backwards), got ${String(now)}`,
    );
  }

  // ---- hooks for the policies (positive-weight tasks only) ----

  /** Make room for slots 0..capacity-1 in the policy's arrays. */
  protected abstract grow(capacity: number): void;
  /** A task was added (any weight, before it contends): set up per-task identity such as tie keys. */
  protected admit(_slot: number): void {}
  /** A task of positive weight becomes runnable (totalWeight already includes it). */
  protected abstract enter(slot: number, reason: EnterReason): void;
  /** A runnable task of positive weight stops contending (totalWeight no longer includes it). */
  protected abstract leave(slot: number, reason: LeaveReason): void;
  /** A runnable task's weight changes between two positive values (weight[] and totalWeight updated). */
  protected abstract reweight(slot: number, oldWeight: number, newWeight: number): void;
  /** A blocked task's weight becomes newWeight > 0; oldWeight may be 0 (then nothing was remembered). */
  protected abstract reweightBlocked(slot: number, oldWeight: number, newWeight: number): void;
  /** A blocked task is removed: drop what was remembered for it. */
  protected abstract forget(slot: number): void;
  /** Choose among the contenders (there is at least one). */
  protected abstract pickSlot(now: number): number;
  /** Account amount > 0 ticks to a runnable contender. */
  protected abstract chargeSlot(slot: number, amount: number): void;

  // ---- internals ----

  private contend(slot: number, w: number, reason: EnterReason): void {
    if (w === 0) {
      this.background.push(slot);
      return;
    }
    this.totalWeight += w;
    this.contenders++;
    this.enter(slot, reason);
  }

  private withdraw(slot: number, w: number, reason: LeaveReason): void {
    this.totalWeight -= w;
    this.contenders--;
    this.leave(slot, reason);
  }

  private checkTotal(where: string, extra: number): void {
    if (this.totalWeight + extra > MAX_TOTAL_WEIGHT) {
      throw new CapacityError(
        `${where}: total runnable weight would be ${this.totalWeight + extra}, above the limit ${MAX_TOTAL_WEIGHT}`,
      );
    }
  }

  private slotFor(where: string, task: T): number {
    const slot = this.slotOf.get(task);
    if (slot === undefined)
      throw new UnknownTaskError(`${where}: task ${label(task)} is not in this scheduler`);
    return slot;
  }

  private allocate(task: T): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.nextSlot++;
      if (slot >= this.capacity) {
        let cap = this.capacity;
        while (cap <= slot) cap *= 2;
        this.capacity = cap;
        this.state = growUint8(this.state, cap);
        this.weight = growFloat64(this.weight, cap);
        this.background.ensureSlots(cap);
        this.grow(cap);
      }
    }
    this.slotOf.set(task, slot);
    this.taskAt[slot] = task;
    return slot;
  }
}

/** A short printable name for a task in error messages. */
export function label(task: unknown): string {
  if (typeof task === 'string') return JSON.stringify(task);
  if (typeof task === 'number' || typeof task === 'bigint' || typeof task === 'boolean') return String(task);
  if (task === null) return 'null';
  if (typeof task === 'object' && 'id' in task) return `{id: ${label((task as { id: unknown }).id)}}`;
  return typeof task;
}
