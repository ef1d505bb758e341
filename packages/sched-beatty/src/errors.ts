/**
 * Typed errors. Every failure at the API edge throws one of these, so callers can tell a bad argument from
 * a task in the wrong state without parsing messages. `code` is stable; the message says what was wrong,
 * which operation rejected it, and what was expected.
 */

export type SchedErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_TASK'
  | 'DUPLICATE_TASK'
  | 'TASK_STATE'
  | 'CAPACITY'
  | 'GRAPH_CYCLE'
  | 'GRAPH'
  | 'WORKLOAD';

/** Base class of every error thrown by this package. */
export class SchedError extends Error {
  readonly code: SchedErrorCode;
  constructor(code: SchedErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument has the wrong type or is out of range (weight, amount, time, option). */
export class InvalidArgumentError extends SchedError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** The task was never added to this scheduler, or has been removed. */
export class UnknownTaskError extends SchedError {
  constructor(message: string) {
    super('UNKNOWN_TASK', message);
  }
}

/** `add` of a task the scheduler already holds. */
export class DuplicateTaskError extends SchedError {
  constructor(message: string) {
    super('DUPLICATE_TASK', message);
  }
}

/** The operation needs the task in another state (for example `block` of a task that is already blocked). */
export class TaskStateError extends SchedError {
  constructor(message: string) {
    super('TASK_STATE', message);
  }
}

/**
 * A limit that keeps the integer arithmetic exact would be exceeded (total weight, clock range). The limits
 * are documented on the constants in `limits.ts`; they are far beyond what a machine schedules in practice.
 */
export class CapacityError extends SchedError {
  constructor(message: string) {
    super('CAPACITY', message);
  }
}

/** A task graph has a cycle. `cycle` lists the task ids along it, first id repeated at the end. */
export class CycleError extends SchedError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super('GRAPH_CYCLE', `task graph has a cycle: ${cycle.join(' -> ')}`);
    this.cycle = cycle;
  }
}

/** A task graph or a DAG schedule is malformed (unknown task in an edge, duplicate id, bad cost vector). */
export class GraphError extends SchedError {
  constructor(message: string) {
    super('GRAPH', message);
  }
}

/** A simulator workload is malformed (unknown or duplicate task id, event outside the run, bad pattern). */
export class WorkloadError extends SchedError {
  constructor(message: string) {
    super('WORKLOAD', message);
  }
}
