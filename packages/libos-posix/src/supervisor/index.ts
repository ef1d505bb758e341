/** A supervisor that starts servers in dependency order and restarts crashed ones with backoff. */
export { Supervisor } from './supervisor';
export type {
  ServiceContext,
  ServiceSpec,
  ServiceStatus,
  ServiceReport,
  SupervisorEvent,
  SupervisorOptions,
} from './supervisor';
export { DEFAULT_RESTART_POLICY, restartDelay, restartPolicy } from './restart-policy';
export type { RestartPolicy } from './restart-policy';
export { awaitService, SUPERVISOR_CALL, SUPERVISOR_ANSWER } from './supervisor-protocol';
export type { ServiceState } from './supervisor-protocol';
