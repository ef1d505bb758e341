/**
 * Upward rank (Topcuoglu, Hariri and Wu, "Performance-effective and low-complexity task scheduling for
 * heterogeneous computing", IEEE TPDS 13(3), 2002):
 *
 *     rank_u(i) = mean cost of i + max over successors j of (c(i, j) + rank_u(j)),
 *
 * the length of the critical path from i to an exit task with mean computation costs. It is the priority
 * of both HEFT and the critical-path list scheduler. Means are fractions (sum / P); the ranks are kept
 * multiplied by P so they are exact integers and ties are real ties.
 */
import type { TaskGraph } from './task-graph.js';

/** P * rank_u for every task (by index). */
export function scaledUpwardRanks(graph: TaskGraph, processors: number): number[] {
  const rank = new Array<number>(graph.size).fill(0);
  for (let k = graph.order.length - 1; k >= 0; k--) {
    const i = graph.order[k];
    let tail = 0;
    for (const { task, cost } of graph.successors[i]) tail = Math.max(tail, processors * cost + rank[task]);
    rank[i] = graph.costSum(i, processors) + tail;
  }
  return rank;
}

/** rank_u for every task id (mean costs; a fraction with denominator P in general). */
export function upwardRanks(graph: TaskGraph, processors: number): Map<string, number> {
  const P = graph.resolveProcessors('upwardRanks', processors);
  const scaled = scaledUpwardRanks(graph, P);
  return new Map(graph.ids.map((id, i) => [id, scaled[i] / P]));
}

/**
 * Task indices by decreasing rank; equal ranks keep topological order, so a task never comes before its
 * predecessor even when zero costs make their ranks equal.
 */
export function byDecreasingRank(graph: TaskGraph, scaledRank: readonly number[]): number[] {
  const position = new Array<number>(graph.size);
  graph.order.forEach((task, k) => {
    position[task] = k;
  });
  return [...graph.order].sort((a, b) => scaledRank[b] - scaledRank[a] || position[a] - position[b]);
}
