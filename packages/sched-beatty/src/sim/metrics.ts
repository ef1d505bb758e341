/** Summary statistics used by the simulator and the benchmark. */

/**
 * Jain's fairness index (Jain, Chiu and Hawe, 1984): (sum x)^2 / (n * sum x^2), from 1/n (one task gets
 * everything) to 1 (all equal). Applied to x_i = service_i / fair share_i it measures proportional
 * fairness. Empty input gives 1 (nothing to be unfair to); all zeros give 1 as well.
 */
export function jainIndex(values: readonly number[]): number {
  if (values.length === 0) return 1;
  let sum = 0;
  let squares = 0;
  for (const x of values) {
    sum += x;
    squares += x * x;
  }
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

/** Nearest-rank percentile (p in [0, 100]) of already sorted values; NaN when empty. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}
