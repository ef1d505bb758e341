/**
 * @exov6/sched-beatty: proportional-share scheduling policies (the golden-ratio Beatty scheduler and the
 * classic baselines), DAG scheduling (critical-path list scheduling, HEFT), a deterministic simulator and
 * fairness metrics. Everything public is exported here.
 */

export { createScheduler, optionsForQuantum, POLICY_NAMES, type PolicyOptionsMap } from './create.js';
export { type HeftOptions, heft } from './dag/heft.js';
export { type ListScheduleOptions, listSchedule } from './dag/list-scheduler.js';
export { upwardRanks } from './dag/ranks.js';
export {
  checkSchedule,
  criticalPathLowerBound,
  type DagSchedule,
  type ScheduledTask,
  scheduleLengthRatio,
} from './dag/schedule.js';
export { type Arc, type EdgeSpec, TaskGraph, type TaskGraphSpec, type TaskSpec } from './dag/task-graph.js';
export {
  CapacityError,
  CycleError,
  DuplicateTaskError,
  GraphError,
  InvalidArgumentError,
  SchedError,
  type SchedErrorCode,
  TaskStateError,
  UnknownTaskError,
  WorkloadError,
} from './errors.js';
export { GOLDEN_32 } from './golden.js';
export { MAX_AMOUNT, MAX_TIME, MAX_TOTAL_WEIGHT, MAX_WEIGHT } from './limits.js';
export { NICE_0_WEIGHT, NICE_WEIGHTS, niceToWeight } from './nice.js';
export { type BeattyOptions, BeattyScheduler } from './policies/beatty.js';
export { type CfsOptions, CfsScheduler } from './policies/cfs.js';
export { type EevdfOptions, EevdfScheduler } from './policies/eevdf.js';
export { type LotteryOptions, LotteryScheduler } from './policies/lottery.js';
export { type PriorityOptions, PriorityScheduler } from './policies/priority.js';
export { type RoundRobinOptions, RoundRobinScheduler } from './policies/round-robin.js';
export { STRIDE1, StrideScheduler } from './policies/stride.js';
export { SeededRandom } from './random.js';
export type { PolicyName, Scheduler } from './scheduler.js';
export { jainIndex, type Percentiles, percentileSorted, percentiles } from './sim/metrics.js';
export { type SimulateOptions, type SimulationResult, simulate, type TaskResult } from './sim/simulator.js';
export { validateWorkload, type Workload, type WorkloadTask } from './sim/workload.js';
export { standardWorkloads, twoTaskWorkload } from './sim/workloads.js';
