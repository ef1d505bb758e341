/**
 * Limits of the integer arithmetic. Every quantity on a scheduling decision path is an integer; JavaScript
 * numbers hold integers exactly up to 2^53, so these bounds are chosen such that no sum or product the
 * policies form can reach 2^53 (each policy file states the products it forms). Inputs beyond them are
 * rejected with a typed error instead of silently losing precision.
 */

/** Largest weight (tickets, load weight, priority level). Linux's largest nice weight is 88761. */
export const MAX_WEIGHT = 2 ** 20;

/** Largest total weight of the runnable tasks of one scheduler (100 000 tasks of weight 42 949, say). */
export const MAX_TOTAL_WEIGHT = 2 ** 32;

/** Largest amount for one `charge`, and largest quantum option, in ticks. */
export const MAX_AMOUNT = 2 ** 20;

/** Largest value of the `now` clock passed to `pickNext` (and of simulated time). */
export const MAX_TIME = Number.MAX_SAFE_INTEGER;
