/**
 * The documented workload set the benchmark compares the policies on. Each is deterministic (the random
 * ones draw from a fixed seed), CPU time is in ticks, and the quantum is one tick unless stated, so lag in
 * ticks is lag in quanta.
 */
import { niceToWeight } from '../nice.js';
import { SeededRandom } from '../random.js';
import type { Workload, WorkloadTask } from './workload.js';

const DURATION = 20_000;

function cpuBound(prefix: string, weights: readonly number[], group?: string): WorkloadTask[] {
  return weights.map((weight, i) => ({ id: `${prefix}${i}`, weight, ...(group ? { group } : {}) }));
}

/** Two CPU-bound tasks with the given weights. */
export function twoTaskWorkload(name: string, a: number, b: number, duration = DURATION): Workload {
  return {
    name,
    description: `two CPU-bound tasks, weights ${a} and ${b}`,
    duration,
    quantum: 1,
    tasks: cpuBound('t', [a, b]),
  };
}

export function standardWorkloads(): Workload[] {
  const random = new SeededRandom(2026);
  const niceMix = Array.from({ length: 50 }, () => niceToWeight(random.below(21) - 10));

  const churn: WorkloadTask[] = [];
  for (let i = 0; i < 40; i++) {
    const arrival = i < 10 ? 0 : random.below(DURATION / 2);
    const stays = random.below(2) === 0;
    const departure = stays ? undefined : arrival + 1 + random.below(DURATION / 2);
    const weight = 1 + random.below(16);
    const change = random.below(3) === 0 ? arrival + 1 + random.below(1000) : undefined;
    const departsBeforeChange = departure !== undefined && change !== undefined && change >= departure;
    churn.push({
      id: `c${i}`,
      weight,
      arrival,
      ...(departure !== undefined ? { departure } : {}),
      ...(change !== undefined && !departsBeforeChange
        ? { weightChanges: [{ at: change, weight: 1 + random.below(16) }] }
        : {}),
    });
  }

  return [
    twoTaskWorkload('two-equal', 1, 1),
    twoTaskWorkload('two-nice', niceToWeight(0), niceToWeight(5)),
    twoTaskWorkload('two-golden', 514229, 317811),
    {
      name: 'five-weights',
      description: 'five CPU-bound tasks of weights 1, 2, 3, 4, 5',
      duration: DURATION,
      quantum: 1,
      tasks: cpuBound('w', [1, 2, 3, 4, 5]),
    },
    {
      name: 'skewed-100',
      description:
        'one task of weight 100 and 99 of weight 1, all CPU-bound (the heavy task is owed half the CPU)',
      duration: DURATION,
      quantum: 1,
      tasks: [{ id: 'heavy', weight: 100 }, ...cpuBound('light', new Array(99).fill(1))],
    },
    {
      name: 'nice-mix-50',
      description: '50 CPU-bound tasks with nice levels drawn uniformly from -10..10 (CFS load weights)',
      duration: DURATION,
      quantum: 1,
      tasks: cpuBound('n', niceMix),
    },
    {
      name: 'churn',
      description:
        '40 CPU-bound tasks of weight 1..16: 10 present from the start, 30 arriving during the first half; about half leave again, a third change weight once',
      duration: DURATION,
      quantum: 1,
      tasks: churn,
    },
    {
      name: 'interactive',
      description:
        '8 CPU-bound tasks and 8 interactive ones (run 1 tick, sleep 20), all weight 1024, quantum 4',
      duration: DURATION,
      quantum: 4,
      tasks: [
        ...cpuBound('batch', new Array(8).fill(1024)),
        ...Array.from({ length: 8 }, (_, i) => ({
          id: `ui${i}`,
          weight: 1024,
          pattern: { run: 1, sleep: 20 },
        })),
      ],
    },
    {
      name: 'groups',
      description:
        'two environments of 32 equal-weight CPU-bound threads each, added one environment after the other',
      duration: DURATION,
      quantum: 1,
      tasks: [
        ...cpuBound('a', new Array(32).fill(1), 'env-a'),
        ...cpuBound('b', new Array(32).fill(1), 'env-b'),
      ],
    },
    {
      name: 'background',
      description:
        'three bursty tasks of weights 1, 2, 3 (run 2, sleep 8) and two zero-weight background tasks',
      duration: DURATION,
      quantum: 1,
      tasks: [
        ...[1, 2, 3].map((weight, i) => ({ id: `fg${i}`, weight, pattern: { run: 2, sleep: 8 } })),
        ...cpuBound('bg', [0, 0]),
      ],
    },
  ];
}
