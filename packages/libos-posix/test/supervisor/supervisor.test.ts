/**
 * The supervisor: services start in dependency order, a dependency cycle is refused, a crashed service is
 * started again (at once the first time, later with backoff, not at all past the policy's limit) with the
 * services that depend on it, clients learn a service's state through the status protocol, power-off
 * stops services dependents first without counting crashes, and the restart policy's pure rules.
 */
import { Rights } from '@exov6/caplattice';
import { type BootCapabilities, type EnvApi, type Environment, Exokernel } from '@exov6/exokernel';
import { describe, expect, it } from 'vitest';
import {
  awaitService,
  DEFAULT_RESTART_POLICY,
  type RestartPolicy,
  restartDelay,
  restartPolicy,
  type ServiceSpec,
  Supervisor,
} from '../../src/index';

/** A fake service answers PING with its incarnation, and throws on CRASH (its environment ends). */
const PING = 1n;
const CRASH = 99n;

interface Harness {
  kernel: Exokernel;
  /** The root environment's API: the client, and the one that crashes services from outside. */
  api: EnvApi;
  caps: BootCapabilities;
  supervisorEnvironment: Environment;
  supervisorCap: number;
  supervisorApi: EnvApi;
  /** The supervisor's receive end of its endpoint, and its timer (TIMER and READ). */
  supervisorRecv: number;
  supervisorTimer: number;
  /** The root's send end of the supervisor's endpoint. */
  ask: number;
  /** What the fake services did, in order ("start a#1", "stop b#2"). */
  log: string[];
  /** Every environment the supervisor created, in creation order, with the service it was for. */
  environments: { name: string; environment: Environment }[];
  /** The root's send end of each fake service's endpoint. */
  sends: Map<string, number>;
}

function boot(): Harness {
  const kernel = new Exokernel({ memoryBytes: 16 << 20, platform: {} });
  const root = kernel.createRootEnvironment({ quota: 1024 });
  const api = kernel.bind(root);
  const caps = api.bootCapabilities() as BootCapabilities;
  const supervisorCap = api.envCreate({ quota: 512 });
  const supervisorEnvironment = kernel.environmentOf(root, supervisorCap);
  const endpoint = api.endpointCreate();
  return {
    kernel,
    api,
    caps,
    supervisorEnvironment,
    supervisorCap,
    supervisorApi: kernel.bind(supervisorEnvironment),
    supervisorRecv: api.capGrant(endpoint, { rights: Rights.IPC_RECV }, supervisorCap),
    supervisorTimer: api.capGrant(caps.timer, { rights: Rights.TIMER | Rights.READ }, supervisorCap),
    ask: api.capDerive(endpoint, { rights: Rights.IPC_SEND }),
    log: [],
    environments: [],
    sends: new Map(),
  };
}

interface FakeOptions {
  dependsOn?: string[];
  /** The start of these incarnations throws. */
  failStartOn?: number[];
}

/**
 * A fake server: each incarnation receives on an endpoint the supervisor keeps (granted to it anew) and
 * answers PING with its incarnation; CRASH makes its upcall throw, which ends its environment.
 */
function fake(h: Harness, name: string, options: FakeOptions = {}): ServiceSpec<{ incarnation: number }> {
  const endpoint = h.api.endpointCreate();
  const kept = h.api.capGrant(endpoint, { rights: Rights.IPC_RECV | Rights.GRANT }, h.supervisorCap);
  h.sends.set(name, h.api.capDerive(endpoint, { rights: Rights.IPC_SEND }));
  return {
    name,
    quota: 8,
    ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
    start(ctx) {
      h.log.push(`start ${name}#${ctx.incarnation}`);
      if (options.failStartOn?.includes(ctx.incarnation)) throw new Error(`${name} cannot start`);
      const recv = ctx.grant(kept, Rights.IPC_RECV);
      const me = ctx.api;
      me.setUpcalls({
        ipc: (e) => {
          if (e.result.ok && e.result.message?.words[0] === CRASH) throw new Error(`${name} crashed`);
          if (e.result.ok) me.ipcReply({ words: [BigInt(ctx.incarnation)] });
          me.ipcSubmit({ op: 'recv', endpoint: recv });
        },
      });
      me.ipcSubmit({ op: 'recv', endpoint: recv });
      return { incarnation: ctx.incarnation };
    },
    stop(instance) {
      h.log.push(`stop ${name}#${instance.incarnation}`);
    },
  };
}

function supervise(
  h: Harness,
  specs: ServiceSpec[],
  options: { policy?: Partial<RestartPolicy>; timer?: boolean } = {},
): Supervisor {
  const names = specs.map((s) => s.name);
  const supervisor: Supervisor = new Supervisor(h.supervisorApi, specs, {
    bind: (envCap) => {
      const environment = h.kernel.environmentOf(h.supervisorEnvironment, envCap);
      // The service being started is the one whose environment capability this is.
      const name = names.find((n) => supervisor.environmentOf(n) === envCap) ?? '?';
      h.environments.push({ name, environment });
      return h.kernel.bind(environment);
    },
    endpoint: h.supervisorRecv,
    ...(options.timer === false ? {} : { timer: h.supervisorTimer }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  return supervisor;
}

/** What the service named answers a PING: its incarnation, or the IPC error. */
function ping(h: Harness, name: string): number | string {
  const r = h.api.ipcCallNow(h.sends.get(name) as number, { words: [PING] });
  return r.ok ? Number(r.message?.words[0]) : r.error;
}

/** Crashes the service named from outside: its upcall throws and the kernel ends its environment. */
function crash(h: Harness, name: string): void {
  const r = h.api.ipcCallNow(h.sends.get(name) as number, { words: [CRASH] });
  expect(r).toMatchObject({ ok: false, error: 'E_STATE' });
}

function now(h: Harness): number {
  return h.api.clockNow(h.caps.timer);
}

function incarnations(supervisor: Supervisor, names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, supervisor.report(n).incarnation]));
}

describe('Supervisor: start order and the dependency graph', () => {
  it('starts services in dependency order, whatever the order they are listed in', () => {
    const h = boot();
    const supervisor = supervise(h, [
      fake(h, 'c', { dependsOn: ['b'] }),
      fake(h, 'a'),
      fake(h, 'b', { dependsOn: ['a'] }),
    ]);
    expect(supervisor.events).toEqual([]);
    supervisor.startAll();
    expect(h.log).toEqual(['start a#1', 'start b#1', 'start c#1']);
    expect(supervisor.events).toEqual([
      { atNs: 0, service: 'a', what: 'started', detail: 'incarnation 1' },
      { atNs: 0, service: 'b', what: 'started', detail: 'incarnation 1' },
      { atNs: 0, service: 'c', what: 'started', detail: 'incarnation 1' },
    ]);
    // The client's index is the position in the list, not in the start order.
    expect(['a', 'b', 'c'].map((n) => supervisor.indexOf(n))).toEqual([1, 2, 0]);
    for (const n of ['a', 'b', 'c']) {
      expect(supervisor.report(n)).toEqual({
        name: n,
        status: 'running',
        incarnation: 1,
        crashes: 0,
        restartAtNs: null,
        lastReason: '',
      });
      expect(ping(h, n)).toBe(1);
      expect(supervisor.instance(n)).toEqual({ incarnation: 1 });
    }
    // Each service has an environment of its own, made by the supervisor (so it is their manager).
    const ids = ['a', 'b', 'c'].map((n) => supervisor.environmentId(n));
    expect(new Set(ids).size).toBe(3);
    expect(h.environments.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(h.environments.map((e) => e.environment.id)).toEqual(ids);
    // Starting again starts nothing that runs.
    supervisor.startAll();
    expect(h.log).toHaveLength(3);
  });

  it('refuses a dependency cycle at construction, naming it', () => {
    const h = boot();
    expect(
      () =>
        new Supervisor(
          h.supervisorApi,
          [fake(h, 'a', { dependsOn: ['b'] }), fake(h, 'b', { dependsOn: ['a'] })],
          {
            bind: () => h.supervisorApi,
          },
        ),
    ).toThrow(/a -> b -> a|b -> a -> b/);
    expect(
      () =>
        new Supervisor(h.supervisorApi, [fake(h, 'x', { dependsOn: ['x'] })], {
          bind: () => h.supervisorApi,
        }),
    ).toThrow(/x -> x/);
    expect(h.log).toEqual([]);
  });

  it('refuses an unknown service name', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a')]);
    expect(() => supervisor.report('nope')).toThrow(RangeError);
    expect(() => supervisor.indexOf('nope')).toThrow(/nope/);
  });
});

describe('Supervisor: crashes and restarts', () => {
  it('restarts a crashed service at once, with its dependents after it, and leaves the others alone', () => {
    const h = boot();
    const supervisor = supervise(h, [
      fake(h, 'a'),
      fake(h, 'b', { dependsOn: ['a'] }),
      fake(h, 'c', { dependsOn: ['b'] }),
      fake(h, 'lone'),
    ]);
    supervisor.startAll();
    const loneEnv = supervisor.environmentId('lone');
    const oldB = h.environments.find((e) => e.name === 'b')?.environment as Environment;
    h.log.length = 0;
    const before = supervisor.events.length;

    crash(h, 'a');

    expect(incarnations(supervisor, ['a', 'b', 'c', 'lone'])).toEqual({ a: 2, b: 2, c: 2, lone: 1 });
    expect(supervisor.report('a')).toMatchObject({
      status: 'running',
      crashes: 1,
      restartAtNs: null,
      lastReason: expect.stringMatching(/a crashed/),
    });
    for (const n of ['b', 'c']) expect(supervisor.report(n)).toMatchObject({ status: 'running', crashes: 0 });
    expect(supervisor.report('lone')).toMatchObject({ status: 'running', crashes: 0, incarnation: 1 });
    expect(supervisor.environmentId('lone')).toBe(loneEnv);
    // Dependents are stopped (dependents of dependents last), then everything starts in dependency order.
    expect(h.log).toEqual(['stop b#1', 'stop c#1', 'start a#2', 'start b#2', 'start c#2']);
    expect(oldB.status).toBe('dead');
    expect(supervisor.events.slice(before).map((e) => [e.service, e.what, e.detail])).toEqual([
      ['a', 'crashed', expect.stringMatching(/a crashed/)],
      ['b', 'stopped', 'a crashed'],
      ['c', 'stopped', 'a crashed'],
      ['a', 'scheduled', 'restart at 0 ns'],
      ['a', 'started', 'incarnation 2'],
      ['b', 'started', 'incarnation 2'],
      ['c', 'started', 'incarnation 2'],
    ]);
    // The new incarnations answer on the endpoints the supervisor kept.
    expect(['a', 'b', 'c', 'lone'].map((n) => ping(h, n))).toEqual([2, 2, 2, 1]);
    expect(awaitService(h.api, h.ask, supervisor.indexOf('a'))).toEqual({ kind: 'up' });
  });

  it('restarts only the crashed service and its dependents when a leaf crashes', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a'), fake(h, 'b', { dependsOn: ['a'] })]);
    supervisor.startAll();
    const aEnv = supervisor.environmentId('a');
    crash(h, 'b');
    expect(incarnations(supervisor, ['a', 'b'])).toEqual({ a: 1, b: 2 });
    expect(supervisor.environmentId('a')).toBe(aEnv);
    expect(supervisor.report('b')).toMatchObject({ status: 'running', crashes: 1 });
    expect(ping(h, 'b')).toBe(2);
  });

  it('backs off: the second crash in the window is restarted later, by the timer', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a'), fake(h, 'b', { dependsOn: ['a'] })], {
      policy: { firstDelayNs: 0, baseDelayNs: 1_000_000, maxRestarts: 3 },
    });
    supervisor.startAll();
    const a = supervisor.indexOf('a');
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 2 });

    crash(h, 'a');
    const t0 = now(h);
    expect(supervisor.report('a')).toMatchObject({
      status: 'restarting',
      incarnation: 2,
      crashes: 2,
      restartAtNs: t0 + 1_000_000,
    });
    // Its dependent waits for it.
    expect(supervisor.report('b')).toMatchObject({ status: 'restarting', restartAtNs: t0 + 1_000_000 });
    expect(supervisor.environmentOf('a')).toBeNull();
    expect(supervisor.instance('a')).toBeNull();
    expect(awaitService(h.api, h.ask, a)).toEqual({ kind: 'later', atNs: t0 + 1_000_000 });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('b'))).toEqual({
      kind: 'later',
      atNs: t0 + 1_000_000,
    });
    expect(ping(h, 'a')).toBe('E_AGAIN'); // nobody receives
    expect(supervisor.events.at(-1)).toMatchObject({ service: 'a', what: 'scheduled' });

    // The machine idles to the deadline; the supervisor's timer upcall starts both again.
    expect(h.kernel.run().reason).toBe('idle');
    expect(now(h)).toBe(t0 + 1_000_000);
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3, restartAtNs: null });
    expect(supervisor.report('b')).toMatchObject({ status: 'running', incarnation: 3 });
    expect(awaitService(h.api, h.ask, a)).toEqual({ kind: 'up' });
    expect(ping(h, 'a')).toBe(3);
    expect(
      supervisor.events
        .filter((e) => e.what === 'started' && e.atNs === t0 + 1_000_000)
        .map((e) => e.service),
    ).toEqual(['a', 'b']);

    // The third crash waits twice as long.
    crash(h, 'a');
    expect(supervisor.report('a').restartAtNs).toBe(t0 + 1_000_000 + 2_000_000);
  });

  it('makes a due restart when a client asks, before the timer upcall comes', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a')], {
      policy: { firstDelayNs: 0, baseDelayNs: 1_000_000 },
    });
    supervisor.startAll();
    crash(h, 'a');
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'restarting', restartAtNs: 1_000_000 });
    // One slice: the machine idles to the deadline and stops before the upcall is delivered.
    h.kernel.run({ maxSlices: 1 });
    expect(now(h)).toBe(1_000_000);
    expect(supervisor.report('a').status).toBe('restarting');
    expect(awaitService(h.api, h.ask, 0)).toEqual({ kind: 'up' });
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3 });
    // The upcall that comes later finds nothing to do.
    h.kernel.run();
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3 });
    expect(supervisor.events.filter((e) => e.what === 'started')).toHaveLength(3);
  });

  it('gives up past maxRestarts in the window: the service and its dependents fail', () => {
    const h = boot();
    const supervisor = supervise(
      h,
      [fake(h, 'a'), fake(h, 'b', { dependsOn: ['a'] }), fake(h, 'c', { dependsOn: ['b'] }), fake(h, 'lone')],
      { policy: { firstDelayNs: 0, baseDelayNs: 1_000_000, maxRestarts: 3 } },
    );
    supervisor.startAll();
    const when: number[] = [];
    for (let k = 0; k < 3; k++) {
      crash(h, 'a');
      when.push(now(h));
      h.kernel.run();
      expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: k + 2 });
    }
    expect(when).toEqual([0, 0, 1_000_000]);
    expect(now(h)).toBe(3_000_000);
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({
      status: 'failed',
      crashes: 4,
      restartAtNs: null,
      lastReason: 'crashed 4 times in the window: given up',
    });
    for (const n of ['b', 'c']) {
      expect(supervisor.report(n)).toMatchObject({ status: 'failed', crashes: 0, lastReason: 'a failed' });
      expect(supervisor.environmentOf(n)).toBeNull();
    }
    expect(supervisor.report('lone')).toMatchObject({ status: 'running', incarnation: 1 });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('a'))).toEqual({ kind: 'failed' });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('c'))).toEqual({ kind: 'failed' });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('lone'))).toEqual({ kind: 'up' });
    expect(awaitService(h.api, h.ask, 4)).toEqual({ kind: 'unknown' });
    expect(awaitService(h.api, h.ask, 1_000)).toEqual({ kind: 'unknown' });
    // Every environment of a, b and c has ended; nothing comes back with time.
    for (const e of h.environments.filter((x) => x.name !== 'lone'))
      expect(e.environment.status).toBe('dead');
    expect(supervisor.events.filter((e) => e.what === 'failed').map((e) => e.service)).toEqual([
      'a',
      'b',
      'c',
    ]);
    h.kernel.run();
    expect(supervisor.report('a').status).toBe('failed');
    expect(ping(h, 'a')).toBe('E_AGAIN');
  });

  it('forgets crashes older than the window', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a')], {
      policy: { firstDelayNs: 0, baseDelayNs: 1_000_000, maxRestarts: 1, windowNs: 500_000 },
    });
    supervisor.startAll();
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 2 });
    // Let time pass beyond the window with a timer of the root's own.
    h.api.setUpcalls({ timer: () => undefined });
    h.api.timerSet(h.caps.timer, 600_000);
    h.kernel.run();
    expect(now(h)).toBe(600_000);
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3, crashes: 2 });
    // A second crash at the same time is one too many.
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'failed', crashes: 3 });
  });

  it('counts a restart whose start throws as a crash of that incarnation', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a', { failStartOn: [2] })], {
      policy: { firstDelayNs: 0, baseDelayNs: 1_000_000 },
    });
    supervisor.startAll();
    crash(h, 'a');
    expect(h.log).toEqual(['start a#1', 'start a#2']);
    expect(supervisor.report('a')).toMatchObject({
      status: 'restarting',
      incarnation: 2,
      crashes: 2,
      restartAtNs: 1_000_000,
      lastReason: 'its start failed: a cannot start',
    });
    expect(h.environments.map((e) => e.environment.status)).toEqual(['dead', 'dead']);
    h.kernel.run();
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3 });
    expect(ping(h, 'a')).toBe(3);
  });

  it('restarts at once without a timer, whatever the policy says', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a')], {
      timer: false,
      policy: { firstDelayNs: 5_000_000, baseDelayNs: 5_000_000, maxRestarts: 2 },
    });
    supervisor.startAll();
    crash(h, 'a');
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 3, crashes: 2 });
    crash(h, 'a');
    expect(supervisor.report('a').status).toBe('failed');
    expect(supervisor.events.every((e) => e.atNs === 0)).toBe(true);
  });
});

describe('Supervisor: startAll and stopAll', () => {
  it('lets the exception of a first start out, marks the service failed and ends its environment', () => {
    const h = boot();
    const supervisor = supervise(h, [
      fake(h, 'a'),
      fake(h, 'b', { dependsOn: ['a'], failStartOn: [1] }),
      fake(h, 'c', { dependsOn: ['b'] }),
    ]);
    expect(() => supervisor.startAll()).toThrow('b cannot start');
    expect(h.log).toEqual(['start a#1', 'start b#1']);
    expect(supervisor.report('b')).toMatchObject({
      status: 'failed',
      incarnation: 1,
      crashes: 0,
      lastReason: 'its start failed: b cannot start',
    });
    expect(supervisor.environmentOf('b')).toBeNull();
    const bEnv = h.environments.find((e) => e.name === 'b')?.environment as Environment;
    expect(bEnv.status).toBe('dead');
    expect(supervisor.report('a').status).toBe('running');
    expect(supervisor.report('c').status).toBe('stopped');
    expect(supervisor.events.at(-1)).toMatchObject({ service: 'b', what: 'failed' });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('b'))).toEqual({ kind: 'failed' });
    // It is not retried.
    h.kernel.run();
    expect(supervisor.report('b').incarnation).toBe(1);
  });

  it('stops services dependents first, calling stop and ending the environments, without counting a crash', () => {
    const h = boot();
    const supervisor = supervise(h, [
      fake(h, 'c', { dependsOn: ['b'] }),
      fake(h, 'a'),
      fake(h, 'b', { dependsOn: ['a'] }),
    ]);
    supervisor.startAll();
    const before = supervisor.events.length;
    h.log.length = 0;
    supervisor.stopAll();
    expect(h.log).toEqual(['stop c#1', 'stop b#1', 'stop a#1']);
    expect(supervisor.events.slice(before).map((e) => [e.service, e.what])).toEqual([
      ['c', 'stopped'],
      ['b', 'stopped'],
      ['a', 'stopped'],
    ]);
    for (const n of ['a', 'b', 'c']) {
      expect(supervisor.report(n)).toMatchObject({ status: 'stopped', crashes: 0, incarnation: 1 });
      expect(supervisor.environmentOf(n)).toBeNull();
      expect(ping(h, n)).toBe('E_AGAIN');
    }
    expect(h.environments.map((e) => e.environment.status)).toEqual(['dead', 'dead', 'dead']);
    h.kernel.run();
    expect(h.log).toHaveLength(3); // no restart
    // Started again, they are new incarnations.
    supervisor.startAll();
    expect(incarnations(supervisor, ['a', 'b', 'c'])).toEqual({ a: 2, b: 2, c: 2 });
    expect(ping(h, 'c')).toBe(2);
  });
});

describe('Supervisor: scheduled restarts against power-off and other crashes', () => {
  it('calls off a scheduled restart at stopAll: nothing comes back after power-off', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a')], { policy: { firstDelayNs: 0, baseDelayNs: 1_000_000 } });
    supervisor.startAll();
    crash(h, 'a');
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'restarting', incarnation: 2 });
    supervisor.stopAll();
    expect(supervisor.report('a')).toMatchObject({ status: 'stopped', restartAtNs: null });
    expect(h.kernel.run().reason).toBe('idle');
    expect(supervisor.report('a')).toMatchObject({ status: 'stopped', incarnation: 2 });
    expect(awaitService(h.api, h.ask, supervisor.indexOf('a'))).toEqual({ kind: 'failed' });
  });

  it('keeps a dependent waiting for its other dependency: the timer still fires for the later restart', () => {
    const h = boot();
    const supervisor = supervise(h, [fake(h, 'a'), fake(h, 'b'), fake(h, 'd', { dependsOn: ['a', 'b'] })], {
      policy: { firstDelayNs: 0, baseDelayNs: 1_000_000 },
    });
    supervisor.startAll();
    crash(h, 'b');
    crash(h, 'b');
    const t0 = now(h);
    expect(supervisor.report('d')).toMatchObject({ status: 'restarting', restartAtNs: t0 + 1_000_000 });
    // a's crash is restarted at once; d still waits for b, and keeps b's later time.
    crash(h, 'a');
    expect(supervisor.report('a')).toMatchObject({ status: 'running', incarnation: 2 });
    expect(supervisor.report('d')).toMatchObject({ status: 'restarting', restartAtNs: t0 + 1_000_000 });
    // The machine idles to b's time (no spinning on a deadline that has passed), and both come back.
    expect(h.kernel.run({ maxSlices: 1000 }).reason).toBe('idle');
    expect(now(h)).toBe(t0 + 1_000_000);
    expect(supervisor.report('b')).toMatchObject({ status: 'running', incarnation: 3 });
    expect(supervisor.report('d')).toMatchObject({ status: 'running' });
    expect(ping(h, 'd')).toBe(supervisor.report('d').incarnation);
  });
});

describe('Supervisor: a stop that fails', () => {
  it('ends the incarnation all the same, reports why, and stops the others', () => {
    const h = boot();
    const a = fake(h, 'a');
    const b: ServiceSpec<{ incarnation: number }> = {
      ...fake(h, 'b', { dependsOn: ['a'] }),
      stop() {
        throw new Error('disk failed while writing back');
      },
    };
    const supervisor = supervise(h, [a, b]);
    supervisor.startAll();
    expect(() => supervisor.stopAll()).not.toThrow();
    expect(supervisor.report('b')).toMatchObject({
      status: 'stopped',
      lastReason: expect.stringMatching(/its stop failed: disk failed while writing back/),
    });
    expect(supervisor.report('a').status).toBe('stopped');
    expect(h.environments.map((e) => e.environment.status)).toEqual(['dead', 'dead']);
  });
});

describe('restart policy', () => {
  const policy = restartPolicy({ firstDelayNs: 0, baseDelayNs: 100, maxDelayNs: 350, maxRestarts: 6 });

  it('delays 0 first, then base, doubling up to the maximum, and gives up past maxRestarts', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(policy, n))).toEqual([
      0,
      0,
      100,
      200,
      350,
      350,
      350,
      null,
    ]);
    expect(restartDelay({ ...policy, firstDelayNs: 7 }, 1)).toBe(7);
    expect(restartDelay(DEFAULT_RESTART_POLICY, 2)).toBe(10_000_000);
    expect(restartDelay(DEFAULT_RESTART_POLICY, 5)).toBe(80_000_000);
    expect(restartDelay(DEFAULT_RESTART_POLICY, 6)).toBeNull();
    expect(restartDelay({ ...policy, maxRestarts: 0 }, 1)).toBeNull();
  });

  it('fills in the defaults', () => {
    expect(restartPolicy()).toEqual(DEFAULT_RESTART_POLICY);
    expect(restartPolicy({ maxRestarts: 2 })).toEqual({ ...DEFAULT_RESTART_POLICY, maxRestarts: 2 });
    const h = boot();
    expect(new Supervisor(h.supervisorApi, [], { bind: () => h.supervisorApi }).policy).toEqual(
      DEFAULT_RESTART_POLICY,
    );
  });

  it('refuses bad fields with a RangeError naming the field', () => {
    expect(() => restartPolicy({ baseDelayNs: -1 })).toThrow(RangeError);
    expect(() => restartPolicy({ baseDelayNs: -1 })).toThrow(/baseDelayNs/);
    expect(() => restartPolicy({ maxRestarts: 1.5 })).toThrow(/maxRestarts/);
    expect(() => restartPolicy({ windowNs: Number.NaN })).toThrow(/windowNs/);
    expect(() => restartPolicy({ firstDelayNs: Number.POSITIVE_INFINITY })).toThrow(/firstDelayNs/);
    expect(() => restartPolicy({ maxDelayNs: 5, baseDelayNs: 6 })).toThrow(RangeError);
    expect(() => restartPolicy({ maxDelayNs: 5, baseDelayNs: 6 })).toThrow(/maxDelayNs/);
    const h = boot();
    expect(
      () => new Supervisor(h.supervisorApi, [], { bind: () => h.supervisorApi, policy: { windowNs: -5 } }),
    ).toThrow(/windowNs/);
  });
});

describe('Supervisor: determinism', () => {
  function scenario(): unknown[] {
    const h = boot();
    const supervisor = supervise(
      h,
      [fake(h, 'b', { dependsOn: ['a'] }), fake(h, 'a'), fake(h, 'c', { dependsOn: ['a', 'b'] })],
      { policy: { firstDelayNs: 0, baseDelayNs: 250_000, maxRestarts: 3 } },
    );
    supervisor.startAll();
    crash(h, 'a');
    crash(h, 'b');
    crash(h, 'a');
    awaitService(h.api, h.ask, 0);
    h.kernel.run();
    crash(h, 'a');
    h.kernel.run();
    crash(h, 'a');
    supervisor.stopAll();
    return supervisor.events;
  }

  it('gives the same events for the same scenario', () => {
    const first = scenario();
    const second = scenario();
    expect(first.length).toBeGreaterThan(10);
    expect(first.some((e) => (e as { atNs: number }).atNs > 0)).toBe(true);
    expect(second).toEqual(first);
  });
});
