/**
 * A static schedule of a task graph on P processors, its check, and its metrics.
 *
 * - makespan: the latest finish time.
 * - schedule length ratio (SLR, as in the HEFT paper): makespan divided by the sum of the minimum
 *   computation costs of the tasks on CP_MIN, the critical path when every task takes its minimum cost and
 *   communication is free. That sum is a lower bound on any makespan, so SLR >= 1.
 */
import type { TaskGraph } from './task-graph.js';

export interface ScheduledTask {
  readonly id: string;
  readonly processor: number;
  readonly start: number;
  readonly finish: number;
}

export interface DagSchedule {
  readonly processors: number;
  /** One entry per task, in the graph's task order. */
  readonly tasks: readonly ScheduledTask[];
  readonly makespan: number;
}

/** Build a schedule from per-index placements. */
export function makeSchedule(
  graph: TaskGraph,
  processors: number,
  processor: readonly number[],
  start: readonly number[],
  finish: readonly number[],
): DagSchedule {
  const tasks = graph.ids.map((id, i) =>
    Object.freeze({ id, processor: processor[i], start: start[i], finish: finish[i] }),
  );
  return Object.freeze({
    processors,
    tasks: Object.freeze(tasks),
    makespan: finish.reduce((m, f) => Math.max(m, f), 0),
  });
}

/** Sum of minimum costs along CP_MIN: a lower bound on the makespan. */
export function criticalPathLowerBound(graph: TaskGraph, processors: number): number {
  const longest = new Array<number>(graph.size).fill(0);
  let best = 0;
  for (let k = graph.order.length - 1; k >= 0; k--) {
    const i = graph.order[k];
    let tail = 0;
    for (const { task } of graph.successors[i]) tail = Math.max(tail, longest[task]);
    longest[i] = graph.minCost(i, processors) + tail;
    best = Math.max(best, longest[i]);
  }
  return best;
}

/** Schedule length ratio; NaN when the lower bound is 0 (every task costs nothing). */
export function scheduleLengthRatio(graph: TaskGraph, schedule: DagSchedule): number {
  const bound = criticalPathLowerBound(graph, schedule.processors);
  return bound === 0 ? Number.NaN : schedule.makespan / bound;
}

/**
 * Everything wrong with a schedule, as messages (empty when it is valid): each task placed once on an
 * existing processor for exactly its cost there, after its predecessors' data arrived, and no two tasks
 * overlapping on a processor.
 */
export function checkSchedule(graph: TaskGraph, schedule: DagSchedule): string[] {
  const problems: string[] = [];
  const P = schedule.processors;
  if (schedule.tasks.length !== graph.size) {
    problems.push(`schedule has ${schedule.tasks.length} entries for ${graph.size} tasks`);
    return problems;
  }
  schedule.tasks.forEach((t, i) => {
    if (t.id !== graph.ids[i]) problems.push(`entry ${i} is ${t.id}, expected ${graph.ids[i]}`);
    if (!Number.isInteger(t.processor) || t.processor < 0 || t.processor >= P) {
      problems.push(`${t.id}: processor ${t.processor} is not in [0, ${P})`);
      return;
    }
    const cost = graph.cost(i, t.processor);
    if (t.finish - t.start !== cost) problems.push(`${t.id}: runs ${t.finish - t.start}, costs ${cost}`);
    if (t.start < 0) problems.push(`${t.id}: starts before 0`);
    for (const { task, cost: comm } of graph.predecessors[i]) {
      const p = schedule.tasks[task];
      const ready = p.finish + (p.processor === t.processor ? 0 : comm);
      if (t.start < ready) problems.push(`${t.id}: starts at ${t.start} before data from ${p.id} (${ready})`);
    }
  });
  for (let p = 0; p < P; p++) {
    const on = schedule.tasks
      .filter((t) => t.processor === p && t.finish > t.start)
      .sort((a, b) => a.start - b.start);
    for (let k = 1; k < on.length; k++) {
      if (on[k].start < on[k - 1].finish)
        problems.push(`processor ${p}: ${on[k - 1].id} and ${on[k].id} overlap`);
    }
  }
  return problems;
}
