/**
 * Workloads for the simulator: which tasks exist, when they arrive and leave, their weights over time, and
 * how they use the CPU. All times are integer ticks.
 *
 * A task without a `pattern` is CPU-bound: always runnable while present. A task with
 * `pattern: { run, sleep }` runs for `run` ticks of service, then blocks for `sleep` ticks, and repeats;
 * its first burst starts at arrival. Events at the same tick apply in this order: departures, weight
 * changes, arrivals, wake-ups (each group in task order).
 */
import { WorkloadError } from '../errors.js';
import { MAX_AMOUNT, MAX_WEIGHT } from '../limits.js';

export interface WorkloadTask {
  readonly id: string;
  /** Weight at arrival (tickets, load weight or priority, depending on the policy). */
  readonly weight: number;
  /** Tick at which the task is added (default 0). */
  readonly arrival?: number;
  /** Tick at which the task is removed (default: never). Must be after the arrival. */
  readonly departure?: number;
  /** Group label for aggregate (group) lag, e.g. the environment owning the task. */
  readonly group?: string;
  /** Run `run` ticks, then sleep `sleep` ticks, repeatedly; absent means CPU-bound. */
  readonly pattern?: { readonly run: number; readonly sleep: number };
  /** Weight changes while the task is present, at increasing ticks. */
  readonly weightChanges?: readonly { readonly at: number; readonly weight: number }[];
}

export interface Workload {
  readonly name: string;
  readonly description?: string;
  /** Ticks to simulate. */
  readonly duration: number;
  /** Longest run between two decisions, in ticks. */
  readonly quantum: number;
  readonly tasks: readonly WorkloadTask[];
}

const MAX_DURATION = 2 ** 40;

function tick(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WorkloadError(`${where}: ${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Throws a WorkloadError describing the first problem found. */
export function validateWorkload(workload: Workload): void {
  if (workload === null || typeof workload !== 'object')
    throw new WorkloadError('workload must be an object');
  const name = typeof workload.name === 'string' && workload.name ? workload.name : '';
  if (!name) throw new WorkloadError('workload: name must be a non-empty string');
  const where = `workload ${JSON.stringify(name)}`;
  const duration = tick(where, 'duration', workload.duration, 1, MAX_DURATION);
  tick(where, 'quantum', workload.quantum, 1, MAX_AMOUNT);
  if (!Array.isArray(workload.tasks)) throw new WorkloadError(`${where}: tasks must be an array`);
  const ids = new Set<string>();
  for (const task of workload.tasks) {
    if (task === null || typeof task !== 'object' || typeof task.id !== 'string' || !task.id) {
      throw new WorkloadError(`${where}: every task needs a non-empty string id`);
    }
    const at = `${where}, task ${JSON.stringify(task.id)}`;
    if (ids.has(task.id)) throw new WorkloadError(`${where}: duplicate task id ${JSON.stringify(task.id)}`);
    ids.add(task.id);
    tick(at, 'weight', task.weight, 0, MAX_WEIGHT);
    const arrival = tick(at, 'arrival', task.arrival ?? 0, 0, duration);
    const departure =
      task.departure === undefined
        ? Number.POSITIVE_INFINITY
        : tick(at, 'departure', task.departure, arrival + 1, MAX_DURATION);
    if (task.group !== undefined && (typeof task.group !== 'string' || !task.group)) {
      throw new WorkloadError(`${at}: group must be a non-empty string`);
    }
    if (task.pattern !== undefined) {
      tick(at, 'pattern.run', task.pattern?.run, 1, MAX_DURATION);
      tick(at, 'pattern.sleep', task.pattern?.sleep, 0, MAX_DURATION);
    }
    let last = arrival;
    for (const change of task.weightChanges ?? []) {
      tick(at, 'weight change time', change?.at, last + 1, MAX_DURATION);
      if (change.at >= departure)
        throw new WorkloadError(`${at}: weight change at ${change.at} is not before the departure`);
      tick(at, `weight at ${change.at}`, change.weight, 0, MAX_WEIGHT);
      last = change.at;
    }
  }
}
