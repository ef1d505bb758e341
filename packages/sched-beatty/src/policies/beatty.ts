/**
 * The Beatty scheduler: golden-ratio proportional share.
 *
 * Two tasks, irrational shares. Beatty's theorem: if alpha, beta > 1 are irrational with
 * 1/alpha + 1/beta = 1, the sequences floor(n * alpha) and floor(n * beta) (n = 1, 2, ...) partition the
 * positive integers. With alpha = phi and beta = phi^2 the slots of task A are floor(n * phi) and those of B
 * floor(n * phi^2): the Fibonacci word, the most evenly spread two-letter sequence there is.
 *
 * N tasks. Task i of weight w_i (W the total) gets share w_i / W; its n-th quantum belongs at the n-th term
 * n * (W / w_i) of its own Beatty sequence. For three or more tasks these sequences cannot partition the
 * slots (Uspensky, 1927), so a rule must decide who goes first when they collide. The rule, with q the
 * quantum, V the GPS virtual time and, for each contending task, e_i its virtual eligible time (the
 * virtual time at which its service equals its fluid share), is:
 *
 *   1. Eligible: the tasks with e_i < V + q / W, i.e. those still owed service by the end of the next
 *      quantum of fluid time (the ones not already ahead of their share after it).
 *   2. Among them, the earliest virtual deadline d_i = e_i + q / w_i: the next term of the task's Beatty
 *      sequence, measured in virtual time.
 *   3. Equal deadlines (compared exactly) go to the earlier eligible time, which for equal deadlines is
 *      the smaller weight (the task owed more); between equal weights, to the smallest golden rank
 *      (k * 0x9E3779B9 mod 2^32, k = the task's join number), so tasks that joined in a row are interleaved.
 *
 * With every task backlogged and charged exactly q per slot, two consequences follow (proofs in the
 * README):
 *   - the lag of task i (fluid share minus service, in quanta) stays in (-1, 1 - w_i / W];
 *   - with two tasks it coincides with earliest-deadline-first on the Beatty points, so with shares 1/phi
 *     and 1/phi^2 (approximated by consecutive Fibonacci weights) it produces the Fibonacci word.
 *
 * Degenerate cases and dynamics (all checked by tests):
 *   - weight 0: background (see scheduler.ts), outside the rule;
 *   - one task: it always runs (its lag is 0 by definition);
 *   - join (`add`): lag 0, that is e_i = V, and the next join number for its golden rank;
 *   - leave (`remove`): the task's lag is dropped and V moves by lag / (remaining weight), which keeps the
 *     lags of the others summing to zero (EEVDF's leave rule);
 *   - `block`/`unblock`: the task leaves as above but its lag is remembered and restored on return, in
 *     both signs: a task cannot shed a debt by sleeping, nor lose a credit of under one quantum;
 *   - `setWeight` between positive weights: lag and V are unchanged, e_i and d_i are recomputed with the
 *     new weight; from 0 to positive the task joins afresh (lag 0, same rank); from positive to 0 it
 *     leaves (lag dropped) and becomes background;
 *   - charges other than q: e_i advances by the amount charged / w_i; the bound above is then not proved,
 *     and the README gives the measured values.
 *
 * Arithmetic: integer fixed point throughout (see internal/virtual-time.ts); no floating-point value takes
 * part in a decision. Complexity: pickNext and charge O(log C) amortised for C distinct weights (tasks are
 * grouped by weight), every operation O(log n).
 */
import { goldenTieKey } from '../golden.js';
import { VirtualTimeScheduler } from '../internal/virtual-time.js';
import { MAX_AMOUNT } from '../limits.js';
import { checkOptions, integerOption } from '../validate.js';

export interface BeattyOptions {
  /** Quantum q in ticks (default 1): the request size that sets deadlines and the eligibility look-ahead. */
  quantum?: number;
}

export class BeattyScheduler<T> extends VirtualTimeScheduler<T> {
  readonly policy = 'beatty' as const;
  readonly quantum: number;
  private joins = 0;

  constructor(options?: BeattyOptions) {
    const opts = checkOptions('BeattyScheduler', options);
    const quantum = integerOption('BeattyScheduler', opts, 'quantum', 1, 1, MAX_AMOUNT);
    super(quantum, true);
    this.quantum = quantum;
  }

  protected tieKeyForAdd(_slot: number): number {
    return goldenTieKey(this.joins++);
  }

  protected headTie(_tie: number, weight: number): number {
    // Equal deadlines: the earlier eligible time first. With d = e + q / w equal, that is the smaller
    // weight. The heads compared here belong to different weight classes, so the weight alone decides
    // (within a class, equal weights have equal e and the golden rank, the tie key, decides). A class's
    // key therefore stays the same when its next head has the same eligible time as the last one, the
    // common case of a round through the class, and the queue has nothing to do.
    return weight;
  }
}
