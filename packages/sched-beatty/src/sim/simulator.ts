/**
 * A deterministic discrete-event simulator: runs any Scheduler over a Workload and measures it.
 *
 * The loop, at simulated tick t (starting at 0):
 *   1. apply every event due at or before t (departures, weight changes, arrivals, wake-ups; see
 *      workload.ts for the order);
 *   2. if nothing is runnable, jump to the next event (idle time);
 *   3. otherwise ask `pickNext(t)`, run that task for min(quantum, rest of its burst, rest of the run)
 *      ticks, `charge` it, and advance t. A task whose burst is done blocks and wakes `sleep` ticks later.
 * Events falling inside a run take effect at the next decision: the simulated CPU is preempted only at
 * decisions, and the fluid reference sees the same runnable set as the scheduler.
 *
 * Measurements (fluid.ts defines lag):
 *   - per task: service, ideal (GPS) service, most positive and most negative lag;
 *   - max |lag| over all tasks and times. A waiting task's lag only grows and a running task's only
 *     shrinks, so the extremes occur at the start and end of its runs, at blocking and departure, and at
 *     the end; the simulator evaluates exactly there, which makes the maximum exact, not sampled;
 *   - group lag: for each group, the sum of its members' lags, evaluated at every decision;
 *   - Jain's index of service / ideal over the tasks whose ideal service is at least one quantum (below
 *     that the ratio is noise);
 *   - response times: from a task becoming runnable (arrival or wake-up) to its first run after that;
 *   - context switches: decisions that run a different task than the previous decision;
 *   - a time series of max |lag| (for plots), one point per `sampleEvery` ticks.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Scheduler } from '../scheduler.js';
import { FluidReference } from './fluid.js';
import { jainIndex, type Percentiles, percentiles } from './metrics.js';
import { validateWorkload, type Workload } from './workload.js';

export interface TaskResult {
  readonly id: string;
  readonly group: string | undefined;
  /** Weight at the end of the run. */
  readonly weight: number;
  /** Ticks of CPU received. */
  readonly service: number;
  /** Ticks the ideal fluid (GPS) schedule would have given. */
  readonly ideal: number;
  /** Largest lag (behind the fluid share), ticks. */
  readonly maxLag: number;
  /** Smallest lag (negative: ahead of the fluid share), ticks. */
  readonly minLag: number;
  readonly response: Percentiles;
}

export interface SimulationResult {
  readonly policy: string;
  readonly workload: string;
  readonly duration: number;
  readonly quantum: number;
  readonly tasks: readonly TaskResult[];
  /** Max over tasks and time of |lag|, ticks. */
  readonly maxAbsLag: number;
  /** Max over groups and decisions of |group lag|, ticks (0 without groups). */
  readonly maxGroupLag: number;
  readonly groups: readonly { readonly group: string; readonly maxAbsLag: number }[];
  readonly jain: number;
  readonly contextSwitches: number;
  readonly decisions: number;
  readonly idleTicks: number;
  /** Response times over all tasks, ticks. */
  readonly response: Percentiles;
  /** Max |lag| per window of `sampleEvery` ticks, at the end of each window. */
  readonly series: { readonly time: readonly number[]; readonly maxAbsLag: readonly number[] };
  /** Task ids in decision order (only with `trace: true`). */
  readonly trace?: readonly string[];
}

export interface SimulateOptions {
  /** Ticks per point of the lag time series (default: duration / 200, at least 1). */
  sampleEvery?: number;
  /** Record the sequence of picked tasks. */
  trace?: boolean;
}

const DEPART = 0;
const REWEIGHT = 1;
const ARRIVE = 2;

interface StaticEvent {
  readonly at: number;
  readonly kind: number;
  readonly task: number;
  readonly weight: number;
}

export function simulate(
  scheduler: Scheduler<string>,
  workload: Workload,
  options: SimulateOptions = {},
): SimulationResult {
  validateWorkload(workload);
  if (scheduler.size !== 0) throw new InvalidArgumentError('simulate: the scheduler must be empty');
  const { duration, quantum } = workload;
  const sampleEvery = options.sampleEvery ?? Math.max(1, Math.floor(duration / 200));
  if (!Number.isInteger(sampleEvery) || sampleEvery < 1) {
    throw new InvalidArgumentError(
      `simulate: sampleEvery must be a positive integer, got ${String(sampleEvery)}`,
    );
  }
  const tasks = workload.tasks;
  const n = tasks.length;
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const groupNames = [...new Set(tasks.map((t) => t.group).filter((g): g is string => g !== undefined))];
  const groupOf = tasks.map((t) => (t.group === undefined ? -1 : groupNames.indexOf(t.group)));
  const fluid = new FluidReference(n, groupOf, groupNames.length);

  const events: StaticEvent[] = [];
  tasks.forEach((t, i) => {
    events.push({ at: t.arrival ?? 0, kind: ARRIVE, task: i, weight: t.weight });
    if (t.departure !== undefined) events.push({ at: t.departure, kind: DEPART, task: i, weight: 0 });
    for (const c of t.weightChanges ?? [])
      events.push({ at: c.at, kind: REWEIGHT, task: i, weight: c.weight });
  });
  events.sort((a, b) => a.at - b.at || a.kind - b.kind || a.task - b.task);
  let nextEvent = 0;
  const wakes = new WakeQueue();

  const present = new Array<boolean>(n).fill(false);
  const blocked = new Array<boolean>(n).fill(false);
  const burstLeft = tasks.map((t) => t.pattern?.run ?? Number.POSITIVE_INFINITY);
  const waitingSince = new Array<number>(n).fill(-1);
  const responses: number[][] = tasks.map(() => []);
  const maxLag = new Array<number>(n).fill(0);
  const minLag = new Array<number>(n).fill(0);
  const groupMax = new Array<number>(groupNames.length).fill(0);
  const trace: string[] | undefined = options.trace ? [] : undefined;
  const seriesTime: number[] = [];
  const seriesLag: number[] = [];
  let windowMax = 0;
  let nextSample = sampleEvery;
  let decisions = 0;
  let switches = 0;
  let idle = 0;
  let previous = -1;

  const observe = (i: number) => {
    const lag = fluid.lag(i);
    if (lag > maxLag[i]) maxLag[i] = lag;
    if (lag < minLag[i]) minLag[i] = lag;
    const abs = Math.abs(lag);
    if (abs > windowMax) windowMax = abs;
  };
  const observeGroups = () => {
    for (let g = 0; g < groupNames.length; g++) {
      const abs = Math.abs(fluid.groupLag(g));
      if (abs > groupMax[g]) groupMax[g] = abs;
    }
  };
  const sample = (t: number) => {
    for (let i = 0; i < n; i++) if (present[i]) observe(i);
    seriesTime.push(t);
    seriesLag.push(windowMax);
    windowMax = 0;
  };

  const applyEvents = (t: number) => {
    while (nextEvent < events.length && events[nextEvent].at <= t) {
      const e = events[nextEvent++];
      const id = tasks[e.task].id;
      if (e.kind === ARRIVE) {
        present[e.task] = true;
        scheduler.add(id, e.weight);
        fluid.arrive(e.task, e.weight);
        waitingSince[e.task] = t;
      } else if (!present[e.task]) {
        // The task has already left (a departure at or before this event); nothing to do.
      } else if (e.kind === DEPART) {
        observe(e.task);
        scheduler.remove(id);
        fluid.depart(e.task);
        present[e.task] = false;
        wakes.cancel(e.task);
      } else {
        observe(e.task);
        scheduler.setWeight(id, e.weight);
        fluid.setWeight(e.task, e.weight);
      }
    }
    while (wakes.size > 0 && wakes.peekTime() <= t) {
      const i = wakes.pop();
      blocked[i] = false;
      burstLeft[i] = tasks[i].pattern?.run ?? Number.POSITIVE_INFINITY;
      scheduler.unblock(tasks[i].id);
      fluid.setRunnable(i, true);
      waitingSince[i] = t;
    }
  };

  let t = 0;
  while (t < duration) {
    applyEvents(t);
    while (t >= nextSample) {
      sample(nextSample);
      nextSample += sampleEvery;
    }
    if (scheduler.runnableCount === 0) {
      let next = duration;
      if (nextEvent < events.length) next = Math.min(next, events[nextEvent].at);
      if (wakes.size > 0) next = Math.min(next, wakes.peekTime());
      idle += next - t;
      t = next;
      continue;
    }
    const id = scheduler.pickNext(t) as string;
    const i = index.get(id) as number;
    decisions++;
    if (previous >= 0 && previous !== i) switches++;
    previous = i;
    trace?.push(id);
    if (waitingSince[i] >= 0) {
      responses[i].push(t - waitingSince[i]);
      waitingSince[i] = -1;
    }
    const run = Math.min(quantum, duration - t, burstLeft[i]);
    observe(i);
    fluid.serve(i, run);
    scheduler.charge(id, run);
    t += run;
    observe(i);
    observeGroups();
    if (tasks[i].pattern) {
      burstLeft[i] -= run;
      if (burstLeft[i] === 0) {
        scheduler.block(id);
        fluid.setRunnable(i, false);
        blocked[i] = true;
        wakes.push(i, t + tasks[i].pattern.sleep);
      }
    }
  }
  while (nextSample <= duration) {
    sample(nextSample);
    nextSample += sampleEvery;
  }
  for (let i = 0; i < n; i++) if (present[i]) observe(i);

  const results: TaskResult[] = tasks.map((task, i) => ({
    id: task.id,
    group: task.group,
    weight: present[i] ? scheduler.weightOf(task.id) : lastWeight(task),
    service: fluid.service(i),
    ideal: fluid.ideal(i),
    maxLag: maxLag[i],
    minLag: minLag[i],
    response: percentiles(responses[i]),
  }));
  const fair = results.filter((r) => r.ideal >= quantum).map((r) => r.service / r.ideal);
  return {
    policy: scheduler.policy,
    workload: workload.name,
    duration,
    quantum,
    tasks: results,
    maxAbsLag: maxLag.reduce((m, x, i) => Math.max(m, x, -minLag[i]), 0),
    maxGroupLag: groupMax.reduce((m, x) => Math.max(m, x), 0),
    groups: groupNames.map((group, g) => ({ group, maxAbsLag: groupMax[g] })),
    jain: jainIndex(fair),
    contextSwitches: switches,
    decisions,
    idleTicks: idle,
    response: percentiles(responses.flat()),
    series: { time: seriesTime, maxAbsLag: seriesLag },
    ...(trace ? { trace } : {}),
  };
}

function lastWeight(task: Workload['tasks'][number]): number {
  const changes = task.weightChanges ?? [];
  return changes.length ? changes[changes.length - 1].weight : task.weight;
}

/** Pending wake-ups, earliest first (ties by task index), with cancellation for departing tasks. */
class WakeQueue {
  private readonly items: { at: number; task: number }[] = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0].at;
  }

  push(task: number, at: number): void {
    const items = this.items;
    let k = items.length;
    while (k > 0 && (items[k - 1].at > at || (items[k - 1].at === at && items[k - 1].task > task))) k--;
    items.splice(k, 0, { at, task });
  }

  pop(): number {
    return (this.items.shift() as { task: number }).task;
  }

  cancel(task: number): void {
    const k = this.items.findIndex((x) => x.task === task);
    if (k >= 0) this.items.splice(k, 1);
  }
}
