/**
 * A task graph (DAG) for static scheduling: tasks with computation costs, edges with communication costs.
 *
 * Costs are non-negative integers (time units), so ranks, start and finish times are exact. A task's cost
 * is either one number (the same on every processor) or a vector with one entry per processor
 * (heterogeneous processors, as in HEFT); all vectors in a graph have the same length. An edge's cost is
 * the time to move the data between two different processors; on the same processor it is free.
 *
 * The graph is immutable and validated on construction: unique ids, known endpoints, no self-loops or
 * duplicate edges, and no cycles. A cycle is reported by a CycleError that names it, e.g.
 * "task graph has a cycle: b -> c -> d -> b".
 *
 * Tasks are also addressed by index (their position in the spec), which is what the schedulers use.
 */
import { CycleError, GraphError } from '../errors.js';
import { checkInteger } from '../validate.js';

export interface TaskSpec {
  readonly id: string;
  /** Computation cost: one number for every processor, or one per processor. */
  readonly cost: number | readonly number[];
}

export interface EdgeSpec {
  readonly from: string;
  readonly to: string;
  /** Communication cost when the two tasks run on different processors (default 0). */
  readonly cost?: number;
}

export interface TaskGraphSpec {
  readonly tasks: readonly TaskSpec[];
  readonly edges?: readonly EdgeSpec[];
}

/** An edge seen from one endpoint: the other task's index and the communication cost. */
export interface Arc {
  readonly task: number;
  readonly cost: number;
}

const MAX_COST = 2 ** 40;

export class TaskGraph {
  /** Task ids, by index. */
  readonly ids: readonly string[];
  /** Length of the per-processor cost vectors, or undefined when every cost is one number. */
  readonly processorCount: number | undefined;
  /** Outgoing arcs by task index. */
  readonly successors: readonly (readonly Arc[])[];
  /** Incoming arcs by task index. */
  readonly predecessors: readonly (readonly Arc[])[];
  /** A topological order (indices): among the tasks ready at each step, the smallest index first. */
  readonly order: readonly number[];

  private readonly costs: readonly (number | readonly number[])[];
  private readonly indexById: ReadonlyMap<string, number>;

  constructor(spec: TaskGraphSpec) {
    if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.tasks)) {
      throw new GraphError('TaskGraph: spec must be an object with a tasks array');
    }
    const index = new Map<string, number>();
    const costs: (number | readonly number[])[] = [];
    let processors: number | undefined;
    spec.tasks.forEach((task, i) => {
      if (task === null || typeof task !== 'object' || typeof task.id !== 'string' || task.id.length === 0) {
        throw new GraphError(`TaskGraph: task ${i} must have a non-empty string id`);
      }
      if (index.has(task.id)) throw new GraphError(`TaskGraph: duplicate task id ${JSON.stringify(task.id)}`);
      index.set(task.id, i);
      const where = `TaskGraph: task ${JSON.stringify(task.id)}`;
      if (Array.isArray(task.cost)) {
        const vector = task.cost as readonly number[];
        if (vector.length === 0) throw new GraphError(`${where}: cost vector is empty`);
        if (processors !== undefined && vector.length !== processors) {
          throw new GraphError(
            `${where}: cost vector has ${vector.length} entries, other tasks have ${processors} (one per processor)`,
          );
        }
        processors = vector.length;
        for (const [p, c] of vector.entries()) checkCost(`${where} on processor ${p}`, c);
        costs.push(Object.freeze([...vector]));
      } else {
        costs.push(checkCost(where, task.cost));
      }
    });

    const n = costs.length;
    const succ: Arc[][] = Array.from({ length: n }, () => []);
    const pred: Arc[][] = Array.from({ length: n }, () => []);
    const seen = new Set<string>();
    for (const [k, edge] of (spec.edges ?? []).entries()) {
      if (edge === null || typeof edge !== 'object')
        throw new GraphError(`TaskGraph: edge ${k} must be an object`);
      const from = index.get(edge.from);
      const to = index.get(edge.to);
      if (from === undefined)
        throw new GraphError(`TaskGraph: edge ${k} starts at unknown task ${JSON.stringify(edge.from)}`);
      if (to === undefined)
        throw new GraphError(`TaskGraph: edge ${k} ends at unknown task ${JSON.stringify(edge.to)}`);
      if (from === to) throw new CycleError([edge.from, edge.from]);
      const key = `${from}>${to}`;
      if (seen.has(key)) {
        throw new GraphError(
          `TaskGraph: duplicate edge ${JSON.stringify(edge.from)} -> ${JSON.stringify(edge.to)}`,
        );
      }
      seen.add(key);
      const cost = checkCost(`TaskGraph: edge ${edge.from} -> ${edge.to}`, edge.cost ?? 0);
      succ[from].push({ task: to, cost });
      pred[to].push({ task: from, cost });
    }

    this.ids = Object.freeze(spec.tasks.map((t) => t.id));
    this.indexById = index;
    this.costs = costs;
    this.processorCount = processors;
    this.successors = succ;
    this.predecessors = pred;
    this.order = topologicalOrder(n, succ, pred, this.ids);
  }

  get size(): number {
    return this.ids.length;
  }

  indexOf(id: string): number {
    const i = this.indexById.get(id);
    if (i === undefined) throw new GraphError(`TaskGraph: unknown task ${JSON.stringify(id)}`);
    return i;
  }

  /** Cost of task `task` (index) on processor `processor`. */
  cost(task: number, processor: number): number {
    const c = this.costs[task];
    return typeof c === 'number' ? c : c[processor];
  }

  /** Sum of the task's costs over `processors` processors (P times its mean cost, kept integral). */
  costSum(task: number, processors: number): number {
    const c = this.costs[task];
    if (typeof c === 'number') return c * processors;
    let s = 0;
    for (let p = 0; p < processors; p++) s += c[p];
    return s;
  }

  /** Smallest cost of the task over `processors` processors. */
  minCost(task: number, processors: number): number {
    const c = this.costs[task];
    if (typeof c === 'number') return c;
    let m = c[0];
    for (let p = 1; p < processors; p++) m = Math.min(m, c[p]);
    return m;
  }

  /**
   * The processor count to schedule on: `requested` if given (it must match the cost vectors), else the
   * length of the cost vectors.
   */
  resolveProcessors(where: string, requested: number | undefined): number {
    if (requested === undefined) {
      if (this.processorCount === undefined) {
        throw new GraphError(`${where}: the graph has no cost vectors, so options.processors is required`);
      }
      return this.processorCount;
    }
    checkInteger(where, 'processors', requested, 1, 1 << 16);
    if (this.processorCount !== undefined && requested !== this.processorCount) {
      throw new GraphError(
        `${where}: processors is ${requested} but the cost vectors have ${this.processorCount} entries`,
      );
    }
    return requested;
  }
}

function checkCost(where: string, c: unknown): number {
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > MAX_COST) {
    throw new GraphError(`${where}: cost must be an integer in [0, ${MAX_COST}], got ${String(c)}`);
  }
  return c;
}

/**
 * Kahn's algorithm, smallest ready index first (a binary heap of indices). If tasks remain with unmet
 * predecessors, they contain a cycle: from the smallest remaining task, follow remaining predecessors
 * until a task repeats; that loop, reversed, is a cycle in edge direction.
 */
function topologicalOrder(n: number, succ: Arc[][], pred: Arc[][], ids: readonly string[]): number[] {
  const indegree = pred.map((p) => p.length);
  const heap: number[] = [];
  const push = (x: number) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= x) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = x;
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && heap[l + 1] < heap[l] ? l + 1 : l;
        if (heap[c] >= last) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i);
  const order: number[] = [];
  while (heap.length > 0) {
    const v = pop();
    order.push(v);
    for (const { task } of succ[v]) if (--indegree[task] === 0) push(task);
  }
  if (order.length === n) return order;

  const start = indegree.findIndex((d) => d > 0);
  const position = new Map<number, number>();
  const walk: number[] = [];
  let v = start;
  while (!position.has(v)) {
    position.set(v, walk.length);
    walk.push(v);
    v = (pred[v].find((a) => indegree[a.task] > 0) as Arc).task;
  }
  const loop = walk.slice(position.get(v)).reverse();
  // Start at the smallest index so the message does not depend on where the walk began.
  const first = loop.indexOf(Math.min(...loop));
  const cycle = [...loop.slice(first), ...loop.slice(0, first)];
  throw new CycleError([...cycle, cycle[0]].map((i) => ids[i]));
}
