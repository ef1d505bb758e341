/**
 * HEFT: Heterogeneous Earliest Finish Time (Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002).
 *
 * 1. Prioritise: order the tasks by decreasing upward rank (ranks.ts); equal ranks keep topological order.
 * 2. Select: take the tasks in that order; place each on the processor where it finishes earliest, using
 *    the insertion-based policy: it may go into the earliest idle gap between two tasks already on that
 *    processor if the gap starts after its data is ready and is long enough, otherwise after the last one.
 *    Data from a predecessor on another processor arrives after the edge's communication cost; on the same
 *    processor at once. Equal finish times go to the lower-numbered processor.
 *
 * Complexity O(e * p + v^2 * p) for v tasks, e edges and p processors (the gap search is linear in the
 * number of tasks already on a processor), as in the paper.
 */
import { byDecreasingRank, scaledUpwardRanks } from './ranks.js';
import { type DagSchedule, makeSchedule } from './schedule.js';
import type { TaskGraph } from './task-graph.js';

export interface HeftOptions {
  /** Processor count; required unless the graph has per-processor cost vectors (then it must match). */
  processors?: number;
}

export function heft(graph: TaskGraph, options: HeftOptions = {}): DagSchedule {
  const P = graph.resolveProcessors('heft', options.processors);
  const n = graph.size;
  const rank = scaledUpwardRanks(graph, P);
  const processor = new Array<number>(n).fill(-1);
  const start = new Array<number>(n).fill(0);
  const finish = new Array<number>(n).fill(0);
  // Busy intervals per processor, sorted by start.
  const busy: { start: number; finish: number }[][] = Array.from({ length: P }, () => []);

  for (const i of byDecreasingRank(graph, rank)) {
    let bestP = -1;
    let bestStart = 0;
    let bestFinish = Number.POSITIVE_INFINITY;
    for (let p = 0; p < P; p++) {
      let ready = 0;
      for (const { task, cost } of graph.predecessors[i]) {
        ready = Math.max(ready, finish[task] + (processor[task] === p ? 0 : cost));
      }
      const duration = graph.cost(i, p);
      const s = earliestGap(busy[p], ready, duration);
      if (s + duration < bestFinish) {
        bestP = p;
        bestStart = s;
        bestFinish = s + duration;
      }
    }
    processor[i] = bestP;
    start[i] = bestStart;
    finish[i] = bestFinish;
    insertInterval(busy[bestP], bestStart, bestFinish);
  }
  return makeSchedule(graph, P, processor, start, finish);
}

/** Earliest start >= ready of an idle interval of length `duration` on a processor (insertion policy). */
function earliestGap(
  intervals: readonly { start: number; finish: number }[],
  ready: number,
  duration: number,
): number {
  let previousEnd = 0;
  for (const slot of intervals) {
    const s = Math.max(previousEnd, ready);
    if (s + duration <= slot.start) return s;
    previousEnd = Math.max(previousEnd, slot.finish);
  }
  return Math.max(previousEnd, ready);
}

function insertInterval(intervals: { start: number; finish: number }[], start: number, finish: number): void {
  let k = intervals.length;
  while (k > 0 && intervals[k - 1].start > start) k--;
  intervals.splice(k, 0, { start, finish });
}
