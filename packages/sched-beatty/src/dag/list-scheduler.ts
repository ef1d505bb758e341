/**
 * Critical-path list scheduling: the task graph executed from a ready queue on P processors.
 *
 * The ready queue holds the tasks whose predecessors have all finished, highest critical-path priority
 * first (upward rank, ranks.ts; equal ranks in topological order). Time moves from event to event (task
 * completions). At each event, every idle processor, lowest number first, takes the head of the ready
 * queue; the task starts once its input data is on that processor (a predecessor's data arrives after
 * the edge's communication cost unless it ran on the same processor), so the processor may wait for it.
 * This is the classic non-insertion list scheduler (Graham's list scheduling with the critical-path
 * priority of HLFET, extended with communication delays); HEFT is its insertion-based, processor-choosing
 * refinement.
 *
 * Complexity O((v + e) log v + v * p) for v tasks, e edges and p processors.
 */
import { byDecreasingRank, scaledUpwardRanks } from './ranks.js';
import { type DagSchedule, makeSchedule } from './schedule.js';
import type { TaskGraph } from './task-graph.js';

export interface ListScheduleOptions {
  /** Processor count; required unless the graph has per-processor cost vectors (then it must match). */
  processors?: number;
}

export function listSchedule(graph: TaskGraph, options: ListScheduleOptions = {}): DagSchedule {
  const P = graph.resolveProcessors('listSchedule', options.processors);
  const n = graph.size;
  const rank = scaledUpwardRanks(graph, P);
  // Priority position: smaller is more urgent.
  const priority = new Array<number>(n);
  byDecreasingRank(graph, rank).forEach((task, k) => {
    priority[task] = k;
  });

  const processor = new Array<number>(n).fill(-1);
  const start = new Array<number>(n).fill(0);
  const finish = new Array<number>(n).fill(0);
  const waiting = graph.predecessors.map((p) => p.length);
  const free = new Array<number>(P).fill(0);
  const ready = new PriorityQueue((a, b) => priority[a] - priority[b]);
  // Completions not yet processed, earliest first.
  const running = new PriorityQueue((a, b) => finish[a] - finish[b] || priority[a] - priority[b]);
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);

  let now = 0;
  let placed = 0;
  while (placed < n || running.size > 0) {
    // Complete everything that has finished by now; that may make successors ready.
    while (running.size > 0 && finish[running.peek()] <= now) {
      const done = running.pop();
      for (const { task } of graph.successors[done]) if (--waiting[task] === 0) ready.push(task);
    }
    let progressed = false;
    for (let p = 0; p < P && ready.size > 0; p++) {
      if (free[p] > now) continue;
      const i = ready.pop();
      let dataReady = now;
      for (const { task, cost } of graph.predecessors[i]) {
        dataReady = Math.max(dataReady, finish[task] + (processor[task] === p ? 0 : cost));
      }
      processor[i] = p;
      start[i] = dataReady;
      finish[i] = dataReady + graph.cost(i, p);
      free[p] = finish[i];
      running.push(i);
      placed++;
      progressed = true;
    }
    if (progressed) continue;
    // Nothing to do now: jump to the next completion or the next processor becoming free.
    let next = Number.POSITIVE_INFINITY;
    if (running.size > 0) next = finish[running.peek()];
    if (ready.size > 0) for (const f of free) if (f > now) next = Math.min(next, f);
    if (next === Number.POSITIVE_INFINITY) break;
    now = next;
  }
  return makeSchedule(graph, P, processor, start, finish);
}

/** A binary heap of task indices under a comparator. */
class PriorityQueue {
  private readonly items: number[] = [];
  constructor(private readonly before: (a: number, b: number) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0];
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.before(a[p], x) <= 0) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && this.before(a[l + 1], a[l]) < 0 ? l + 1 : l;
        if (this.before(a[c], last) >= 0) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
