/**
 * Policies by name: one place that lists them, so the simulator, the benchmark and property tests can
 * iterate over every policy.
 */
import { InvalidArgumentError } from './errors.js';
import { MAX_AMOUNT } from './limits.js';
import { type BeattyOptions, BeattyScheduler } from './policies/beatty.js';
import { type CfsOptions, CfsScheduler } from './policies/cfs.js';
import { type EevdfOptions, EevdfScheduler } from './policies/eevdf.js';
import { type LotteryOptions, LotteryScheduler } from './policies/lottery.js';
import { type PriorityOptions, PriorityScheduler } from './policies/priority.js';
import { type RoundRobinOptions, RoundRobinScheduler } from './policies/round-robin.js';
import { StrideScheduler } from './policies/stride.js';
import type { PolicyName, Scheduler } from './scheduler.js';
import { checkInteger } from './validate.js';

export interface PolicyOptionsMap {
  beatty: BeattyOptions;
  eevdf: EevdfOptions;
  stride: Record<string, never>;
  lottery: LotteryOptions;
  cfs: CfsOptions;
  'round-robin': RoundRobinOptions;
  priority: PriorityOptions;
}

/** Every policy, the Beatty scheduler first. */
export const POLICY_NAMES: readonly PolicyName[] = Object.freeze([
  'beatty',
  'eevdf',
  'stride',
  'lottery',
  'cfs',
  'round-robin',
  'priority',
] as const);

/** A new, empty scheduler of the named policy. */
export function createScheduler<T, P extends PolicyName = PolicyName>(
  policy: P,
  options?: PolicyOptionsMap[P],
): Scheduler<T> {
  switch (policy) {
    case 'beatty':
      return new BeattyScheduler<T>(options as BeattyOptions);
    case 'eevdf':
      return new EevdfScheduler<T>(options as EevdfOptions);
    case 'stride':
      if (options !== undefined && Object.keys(options).length > 0) {
        throw new InvalidArgumentError('createScheduler: stride takes no options');
      }
      return new StrideScheduler<T>();
    case 'lottery':
      return new LotteryScheduler<T>(options as LotteryOptions);
    case 'cfs':
      return new CfsScheduler<T>(options as CfsOptions);
    case 'round-robin':
      return new RoundRobinScheduler<T>(options as RoundRobinOptions);
    case 'priority':
      return new PriorityScheduler<T>(options as PriorityOptions);
    default:
      throw new InvalidArgumentError(
        `createScheduler: unknown policy ${JSON.stringify(policy)}; expected one of ${POLICY_NAMES.join(', ')}`,
      );
  }
}

/**
 * Options that give a policy the quantum q the caller will charge per decision: Beatty's quantum, EEVDF's
 * request size, the turn length of lottery (compensation), round-robin and priority. Stride and CFS have no
 * quantum parameter (their accounting is per tick charged).
 */
export function optionsForQuantum<P extends PolicyName>(policy: P, quantum: number): PolicyOptionsMap[P] {
  checkInteger('optionsForQuantum', 'quantum', quantum, 1, MAX_AMOUNT);
  switch (policy) {
    case 'eevdf':
      return { request: quantum } as PolicyOptionsMap[P];
    case 'stride':
    case 'cfs':
      return {} as PolicyOptionsMap[P];
    case 'beatty':
    case 'lottery':
    case 'round-robin':
    case 'priority':
      return { quantum } as PolicyOptionsMap[P];
    default:
      throw new InvalidArgumentError(`optionsForQuantum: unknown policy ${JSON.stringify(policy)}`);
  }
}
