/**
 * Linux nice levels and their CFS load weights (the kernel's sched_prio_to_weight table): nice 0 is 1024
 * and each step changes the weight by about 1.25x, so one nice step is worth about 10% of CPU against a
 * task at the neighbouring level.
 */
import { checkInteger } from './validate.js';

/** Weight of nice 0. */
export const NICE_0_WEIGHT = 1024;

/** Load weights for nice -20 .. 19, in that order. */
export const NICE_WEIGHTS: readonly number[] = Object.freeze([
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121,
  2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23,
  18, 15,
]);

/** CFS load weight of a nice level in [-20, 19]. */
export function niceToWeight(nice: number): number {
  checkInteger('niceToWeight', 'nice', nice, -20, 19);
  return NICE_WEIGHTS[nice + 20];
}
