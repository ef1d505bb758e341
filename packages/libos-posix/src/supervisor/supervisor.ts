/**
 * A supervisor: a server, in an environment of its own, that starts other servers in environments it
 * creates (so it is their manager, and the kernel tells it when one ends), and starts a crashed one again
 * with backoff (restart-policy.ts). Services name the services they depend on; the dependency graph is a
 * sched-beatty TaskGraph, so a cycle is refused with the cycle named. Services start in the graph's
 * topological order; when one crashes, the services that depend on it, directly or not, are stopped
 * with it and everything is started again in that same order once its restart is due. Power-off stops
 * them in the reverse order.
 *
 * Clients learn whether a service is up by a direct call to the supervisor's endpoint
 * (supervisor-protocol.ts); a restart that is due is made then, so a client inside a system call gets
 * its server back without waiting for the timer.
 *
 * The supervisor keeps what must outlive an incarnation (capabilities the services are given, frames a
 * service keeps its journal in) and grants it to each new incarnation; a dead incarnation's capabilities
 * go with it.
 */
import type { EnvApi, IpcResult } from '@exov6/exokernel';
import { TaskGraph } from '@exov6/sched-beatty';
import { type RestartPolicy, restartDelay, restartPolicy } from './restart-policy';
import { SUPERVISOR_ANSWER, SUPERVISOR_CALL } from './supervisor-protocol';

/** What a service's `start` is given. */
export interface ServiceContext {
  /** The new incarnation's environment API (its own: what it does is checked as its own). */
  readonly api: EnvApi;
  /** The supervisor's API, for what it keeps across incarnations. */
  readonly supervisor: EnvApi;
  /** Grants one of the supervisor's capabilities, with `rights`, to the incarnation (its id there). */
  grant(cap: number, rights: number): number;
  /** 1 for the first start, one more for each restart. */
  readonly incarnation: number;
}

export interface ServiceSpec<T = unknown> {
  readonly name: string;
  /** Services that must run before this one (and whose crash stops and restarts this one). */
  readonly dependsOn?: readonly string[];
  /** Frames the incarnation's environment may allocate (default 64). */
  readonly quota?: number;
  /** Sets up the incarnation in its new environment; an exception is a crash of the incarnation. */
  start(context: ServiceContext): T;
  /** A clean stop (power-off), before the environment is ended. */
  stop?(instance: T): void;
}

export type ServiceStatus = 'stopped' | 'running' | 'restarting' | 'failed';

/** What the supervisor tells about one service. */
export interface ServiceReport {
  readonly name: string;
  readonly status: ServiceStatus;
  readonly incarnation: number;
  /** Crashes since the supervisor started. */
  readonly crashes: number;
  /** When a restart is scheduled (machine ns), while restarting. */
  readonly restartAtNs: number | null;
  /** Why the last incarnation ended, or why the service was given up. */
  readonly lastReason: string;
}

/** One line of the supervisor's log: what happened to which service, when (machine ns). */
export interface SupervisorEvent {
  readonly atNs: number;
  readonly service: string;
  readonly what: 'started' | 'crashed' | 'stopped' | 'scheduled' | 'failed';
  readonly detail: string;
}

export interface SupervisorOptions {
  /** Binds an API to a child environment the supervisor created (the host's loader does this). */
  bind(envCap: number): EnvApi;
  /** A timer capability (TIMER and READ) for delayed restarts and times; without one, restarts are at once. */
  timer?: number;
  /** The receiving end (IPC_RECV) of the endpoint clients ask on. */
  endpoint?: number;
  policy?: Partial<RestartPolicy>;
}

interface ServiceRecord {
  readonly spec: ServiceSpec;
  readonly index: number;
  status: ServiceStatus;
  envCap: number | null;
  envId: number | null;
  instance: unknown;
  incarnation: number;
  crashes: number;
  /** Crash times inside the policy's window. */
  recent: number[];
  restartAtNs: number | null;
  lastReason: string;
}

export class Supervisor {
  readonly policy: RestartPolicy;
  readonly events: SupervisorEvent[] = [];
  private readonly graph: TaskGraph;
  private readonly services: ServiceRecord[];
  private readonly byName = new Map<string, ServiceRecord>();
  /** Incarnations being ended by the supervisor itself (their childEnded is expected). */
  private readonly ending = new Set<number>();

  constructor(
    private readonly api: EnvApi,
    specs: readonly ServiceSpec[],
    private readonly options: SupervisorOptions,
  ) {
    this.policy = restartPolicy(options.policy);
    this.graph = new TaskGraph({
      tasks: specs.map((s) => ({ id: s.name, cost: 1 })),
      edges: specs.flatMap((s) => (s.dependsOn ?? []).map((d) => ({ from: d, to: s.name }))),
    });
    this.services = specs.map((spec, index) => ({
      spec,
      index,
      status: 'stopped',
      envCap: null,
      envId: null,
      instance: undefined,
      incarnation: 0,
      crashes: 0,
      recent: [],
      restartAtNs: null,
      lastReason: '',
    }));
    for (const s of this.services) this.byName.set(s.spec.name, s);
    api.setUpcalls({
      childEnded: (e) => this.childEnded(e.envId, e.reason),
      timer: () => this.restartDue(),
      ipc: (e) => this.asked(e.result),
    });
    if (options.endpoint !== undefined) api.ipcSubmit({ op: 'recv', endpoint: options.endpoint });
  }

  /** The index clients name a service by (in supervisor-protocol calls). */
  indexOf(name: string): number {
    const s = this.byName.get(name);
    if (s === undefined) throw new RangeError(`no service named ${JSON.stringify(name)}`);
    return s.index;
  }

  /** A service's running instance (what its `start` returned), or null when it is not running. */
  instance<T>(name: string): T | null {
    const s = this.record(name);
    return s.status === 'running' ? (s.instance as T) : null;
  }

  report(name: string): ServiceReport {
    const s = this.record(name);
    return {
      name,
      status: s.status,
      incarnation: s.incarnation,
      crashes: s.crashes,
      restartAtNs: s.restartAtNs,
      lastReason: s.lastReason,
    };
  }

  /** The environment capability (the supervisor's) of a service's running incarnation. */
  environmentOf(name: string): number | null {
    return this.record(name).envCap;
  }

  /** The environment number of a service's running incarnation. */
  environmentId(name: string): number | null {
    return this.record(name).envId;
  }

  /**
   * Starts every stopped service in dependency order. A service whose first start throws is not retried:
   * its environment is ended, it is marked failed, and the exception comes out of here (a system that
   * cannot start its services should say why, not retry for ever).
   */
  startAll(): void {
    for (const i of this.graph.order) {
      const s = this.services[i] as ServiceRecord;
      if (s.status === 'stopped') this.start(s, true);
    }
  }

  /** Stops every service, dependents first (power-off); restarts still scheduled are called off. */
  stopAll(): void {
    for (const i of [...this.graph.order].reverse()) {
      const s = this.services[i] as ServiceRecord;
      if (s.status === 'restarting') {
        s.status = 'stopped';
        s.restartAtNs = null;
        this.log(s, 'stopped', 'its restart was called off');
      }
      this.stop(s, 'stopped');
    }
    this.armTimer();
  }

  private record(name: string): ServiceRecord {
    const s = this.byName.get(name);
    if (s === undefined) throw new RangeError(`no service named ${JSON.stringify(name)}`);
    return s;
  }

  private now(): number {
    return this.options.timer === undefined ? 0 : this.api.clockNow(this.options.timer);
  }

  private log(s: ServiceRecord, what: SupervisorEvent['what'], detail: string): void {
    this.events.push({ atNs: this.now(), service: s.spec.name, what, detail });
  }

  private start(s: ServiceRecord, initial = false): void {
    const api = this.api;
    const envCap = api.envCreate({ quota: s.spec.quota ?? 64 });
    s.envCap = envCap;
    s.envId = api.capInspect(envCap).objectId;
    s.incarnation++;
    s.restartAtNs = null;
    const child = this.options.bind(envCap);
    try {
      s.instance = s.spec.start({
        api: child,
        supervisor: api,
        grant: (cap, rights) => api.capGrant(cap, { rights }, envCap),
        incarnation: s.incarnation,
      });
    } catch (e) {
      if (initial) {
        s.status = 'failed';
        s.lastReason = `its start failed: ${e instanceof Error ? e.message : String(e)}`;
        this.ending.add(envCap);
        if (api.envStatus(envCap).status !== 'dead') api.envKill(envCap);
        this.ending.delete(envCap);
        this.forget(s);
        this.log(s, 'failed', s.lastReason);
        throw e;
      }
      // A restart that throws is a crash of that incarnation like any other.
      s.status = 'running';
      this.log(s, 'started', `incarnation ${s.incarnation} (its start failed)`);
      s.lastReason = `its start failed: ${e instanceof Error ? e.message : String(e)}`;
      this.crashed(s, s.lastReason);
      return;
    }
    s.status = 'running';
    this.log(s, 'started', `incarnation ${s.incarnation}`);
  }

  /** Ends a running incarnation on the supervisor's own account (a clean stop, or a dependency's crash). */
  private stop(s: ServiceRecord, status: 'stopped' | 'restarting', reason = 'stopped'): void {
    if (s.status !== 'running' || s.envCap === null) return;
    const envCap = s.envCap;
    s.status = status;
    let detail = reason;
    try {
      s.spec.stop?.(s.instance);
    } catch (e) {
      // A stop that fails (a server whose disk fails as it writes back) ends the incarnation all the same;
      // the failure is reported, and the others are still stopped.
      detail = `${reason}; its stop failed: ${e instanceof Error ? e.message : String(e)}`;
      s.lastReason = detail;
    }
    this.ending.add(envCap);
    if (this.api.envStatus(envCap).status !== 'dead') this.api.envKill(envCap);
    this.ending.delete(envCap);
    this.forget(s);
    this.log(s, 'stopped', detail);
  }

  private forget(s: ServiceRecord): void {
    if (s.envCap !== null) this.api.capDelete(s.envCap);
    s.envCap = null;
    s.envId = null;
    s.instance = undefined;
  }

  private childEnded(envId: number, reason: string): void {
    const s = this.services.find((r) => r.envId === envId);
    if (s === undefined || s.status !== 'running' || (s.envCap !== null && this.ending.has(s.envCap))) return;
    s.lastReason = reason;
    this.crashed(s, reason);
  }

  /** A running service died: it and its dependents are scheduled to start again, or given up. */
  private crashed(s: ServiceRecord, reason: string): void {
    const now = this.now();
    s.crashes++;
    s.recent = [...s.recent.filter((t) => now - t < this.policy.windowNs), now];
    this.log(s, 'crashed', reason);
    if (s.envCap !== null) {
      this.ending.add(s.envCap);
      if (this.api.envStatus(s.envCap).status !== 'dead') this.api.envKill(s.envCap);
      this.ending.delete(s.envCap);
    }
    this.forget(s);
    const affected = this.dependentsOf(s.index);
    for (const d of affected) this.stop(d, 'restarting', `${s.spec.name} crashed`);
    const delay = restartDelay(this.policy, s.recent.length);
    if (delay === null) {
      for (const r of [s, ...affected]) {
        r.status = 'failed';
        r.restartAtNs = null;
        r.lastReason =
          r === s ? `crashed ${s.recent.length} times in the window: given up` : `${s.spec.name} failed`;
        this.log(r, 'failed', r.lastReason);
      }
      return;
    }
    const at = this.options.timer === undefined ? now : now + delay;
    for (const r of [s, ...affected]) {
      // A dependent already waiting out its own backoff keeps the later of the two times.
      const waiting = r !== s && r.status === 'restarting' && r.restartAtNs !== null;
      r.restartAtNs = waiting ? Math.max(r.restartAtNs as number, at) : at;
      if (r.status !== 'failed') r.status = 'restarting';
    }
    this.log(s, 'scheduled', `restart at ${at} ns`);
    if (at <= now) this.restartDue();
    else this.armTimer();
  }

  /** The services that depend on service `index`, directly or not, in start order. */
  private dependentsOf(index: number): ServiceRecord[] {
    const reached = new Set<number>([index]);
    const out: ServiceRecord[] = [];
    for (const i of this.graph.order) {
      if (i === index) continue;
      if (this.graph.predecessors[i]?.some((arc) => reached.has(arc.task))) {
        reached.add(i);
        out.push(this.services[i] as ServiceRecord);
      }
    }
    return out;
  }

  /** Starts, in dependency order, every service whose restart is due and whose dependencies run. */
  private restartDue(): void {
    const now = this.now();
    for (const i of this.graph.order) {
      const s = this.services[i] as ServiceRecord;
      if (s.status !== 'restarting' || s.restartAtNs === null || s.restartAtNs > now) continue;
      const ready = (this.graph.predecessors[i] ?? []).every(
        (arc) => this.services[arc.task]?.status === 'running',
      );
      if (ready) this.start(s);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const timer = this.options.timer;
    if (timer === undefined) return;
    // Only restarts still to come: one that is due but waits for a dependency is made when that starts.
    const now = this.now();
    const pending = this.services
      .filter((s) => s.status === 'restarting' && s.restartAtNs !== null && s.restartAtNs > now)
      .map((s) => s.restartAtNs as number);
    if (pending.length === 0) this.api.timerCancel(timer);
    else this.api.timerSet(timer, Math.min(...pending));
  }

  /** A client's question on the endpoint (supervisor-protocol.ts). */
  private asked(result: IpcResult): void {
    const endpoint = this.options.endpoint;
    if (endpoint === undefined) return;
    if (result.ok && result.message !== null) {
      const [op, index] = result.message.words;
      this.api.ipcReply({ words: this.answer(op, index) });
    }
    this.api.ipcSubmit({ op: 'recv', endpoint });
  }

  private answer(op: bigint | undefined, index: bigint | undefined): bigint[] {
    const s = op === SUPERVISOR_CALL.await && index !== undefined ? this.services[Number(index)] : undefined;
    if (s === undefined) return [SUPERVISOR_ANSWER.unknown];
    if (s.status === 'restarting') this.restartDue();
    switch (s.status) {
      case 'running':
        return [SUPERVISOR_ANSWER.up];
      case 'restarting':
        return [SUPERVISOR_ANSWER.later, BigInt(s.restartAtNs ?? 0)];
      default:
        return [SUPERVISOR_ANSWER.failed];
    }
  }
}
