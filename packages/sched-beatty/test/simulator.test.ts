// The simulator and its metrics, on workloads small enough to work out by hand.
import { describe, expect, test } from 'vitest';
import {
  BeattyScheduler,
  createScheduler,
  InvalidArgumentError,
  jainIndex,
  optionsForQuantum,
  POLICY_NAMES,
  percentiles,
  RoundRobinScheduler,
  simulate,
  standardWorkloads,
  twoTaskWorkload,
  type Workload,
  WorkloadError,
} from '../src/index.js';

describe('metrics', () => {
  test("Jain's index: 1 when equal, 1/n when one gets everything", () => {
    expect(jainIndex([2, 2, 2, 2])).toBe(1);
    expect(jainIndex([1, 0, 0, 0])).toBe(0.25);
    expect(jainIndex([1, 2])).toBeCloseTo(9 / 10, 15);
    expect(jainIndex([])).toBe(1);
  });

  test('nearest-rank percentiles', () => {
    const p = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(p).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(Number.isNaN(percentiles([]).p50)).toBe(true);
  });
});

describe('simulate', () => {
  test('two equal tasks under round-robin: half each, max lag 1/2, a switch at every decision', () => {
    const r = simulate(new RoundRobinScheduler<string>(), twoTaskWorkload('rr', 1, 1, 100));
    expect(r.tasks.map((t) => t.service)).toEqual([50, 50]);
    expect(r.tasks.map((t) => t.ideal)).toEqual([50, 50]);
    expect(r.maxAbsLag).toBe(0.5);
    expect(r.jain).toBe(1);
    expect(r.decisions).toBe(100);
    expect(r.contextSwitches).toBe(99);
    expect(r.idleTicks).toBe(0);
  });

  test('max |lag| equals a brute-force per-tick evaluation (static set, quantum 3)', () => {
    const workload: Workload = {
      name: 'brute',
      duration: 300,
      quantum: 3,
      tasks: [1, 2, 4].map((weight, i) => ({ id: `t${i}`, weight })),
    };
    for (const policy of POLICY_NAMES) {
      const r = simulate(createScheduler<string>(policy, optionsForQuantum(policy, 3)), workload, {
        trace: true,
      });
      // Rebuild the tick-by-tick service from the trace (every run is a full quantum here).
      const served = [0, 0, 0];
      let worst = 0;
      let t = 0;
      for (const id of r.trace ?? []) {
        for (let k = 0; k < 3; k++) {
          served[Number(id.slice(1))]++;
          t++;
          [1, 2, 4].forEach((w, i) => {
            worst = Math.max(worst, Math.abs((w * t) / 7 - served[i]));
          });
        }
      }
      expect(r.maxAbsLag).toBeCloseTo(worst, 9);
    }
  });

  test('arrivals, departures and weight changes: the fluid share follows the runnable set', () => {
    const workload: Workload = {
      name: 'dynamic',
      duration: 400,
      quantum: 1,
      tasks: [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 1, arrival: 100, departure: 300 },
        { id: 'c', weight: 1, weightChanges: [{ at: 200, weight: 3 }] },
      ],
    };
    const r = simulate(new BeattyScheduler<string>(), workload);
    const ideal = Object.fromEntries(r.tasks.map((t) => [t.id, t.ideal]));
    // 0-100: a, c half each; 100-200: thirds; 200-300: a 1/5, b 1/5, c 3/5; 300-400: a 1/4, c 3/4.
    expect(ideal.a).toBeCloseTo(50 + 100 / 3 + 20 + 25, 9);
    expect(ideal.b).toBeCloseTo(100 / 3 + 20, 9);
    expect(ideal.c).toBeCloseTo(50 + 100 / 3 + 60 + 75, 9);
    expect(r.tasks.map((t) => t.service).reduce((x, y) => x + y, 0)).toBe(400);
    expect(r.maxAbsLag).toBeLessThan(2);
  });

  test('a bursty task alone: runs, sleeps, idle time and response times', () => {
    const r = simulate(new BeattyScheduler<string>(), {
      name: 'bursty',
      duration: 100,
      quantum: 4,
      tasks: [{ id: 'io', weight: 1, pattern: { run: 2, sleep: 3 } }],
    });
    expect(r.tasks[0].service).toBe(40); // 2 of every 5 ticks
    expect(r.idleTicks).toBe(60);
    expect(r.response).toMatchObject({ count: 20, p50: 0, max: 0 });
    expect(r.maxAbsLag).toBe(0);
  });

  test('zero-weight tasks share the idle time equally and count as background', () => {
    const r = simulate(new BeattyScheduler<string>(), {
      name: 'bg',
      duration: 100,
      quantum: 1,
      tasks: [
        { id: 'fg', weight: 5, pattern: { run: 1, sleep: 1 } },
        { id: 'bg0', weight: 0 },
        { id: 'bg1', weight: 0 },
      ],
    });
    const service = Object.fromEntries(r.tasks.map((t) => [t.id, t.service]));
    expect(service).toEqual({ fg: 50, bg0: 25, bg1: 25 });
    expect(r.maxAbsLag).toBeLessThanOrEqual(0.5);
  });

  test("group lag: the sum of the members' lags", () => {
    const workload = standardWorkloads().find((w) => w.name === 'groups') as Workload;
    const beatty = simulate(new BeattyScheduler<string>(), workload);
    const rr = simulate(new RoundRobinScheduler<string>(), workload);
    expect(beatty.groups.map((g) => g.group)).toEqual(['env-a', 'env-b']);
    // Round-robin serves env-a's 32 threads, then env-b's: env-b falls 16 quanta behind each round.
    expect(rr.maxGroupLag).toBe(16);
    // The golden-rank tie order interleaves the two environments.
    expect(beatty.maxGroupLag).toBeLessThanOrEqual(1);
  });

  test('deterministic: same policy, workload and seed give the same result', () => {
    for (const workload of standardWorkloads().slice(3, 6)) {
      for (const policy of POLICY_NAMES) {
        const a = simulate(createScheduler<string>(policy), workload, { trace: true });
        const b = simulate(createScheduler<string>(policy), workload, { trace: true });
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      }
    }
  });

  test('workloads are validated', () => {
    const base = { name: 'w', duration: 10, quantum: 1 };
    const bad: [unknown, RegExp][] = [
      [
        {
          ...base,
          tasks: [
            { id: 'a', weight: 1 },
            { id: 'a', weight: 1 },
          ],
        },
        /duplicate task id "a"/,
      ],
      [
        { ...base, tasks: [{ id: 'a', weight: 1, arrival: 5, departure: 5 }] },
        /departure must be an integer in \[6/,
      ],
      [
        { ...base, tasks: [{ id: 'a', weight: 1, departure: 5, weightChanges: [{ at: 7, weight: 2 }] }] },
        /not before the departure/,
      ],
      [{ ...base, tasks: [{ id: 'a', weight: -1 }] }, /weight must be an integer/],
      [{ ...base, tasks: [{ id: 'a', weight: 1, pattern: { run: 0, sleep: 1 } }] }, /pattern.run/],
      [{ ...base, quantum: 0, tasks: [] }, /quantum/],
      [{ ...base, name: '', tasks: [] }, /name must be a non-empty string/],
    ];
    for (const [w, message] of bad)
      expect(() => simulate(new BeattyScheduler<string>(), w as Workload)).toThrow(message);
    expect(() =>
      simulate(new BeattyScheduler<string>(), {
        ...base,
        tasks: [{ id: 'a', weight: 1, arrival: 5, departure: 5 }],
      }),
    ).toThrow(WorkloadError);
    const used = new BeattyScheduler<string>();
    used.add('x', 1);
    expect(() => simulate(used, { ...base, tasks: [] })).toThrow(InvalidArgumentError);
  });

  test('the standard workloads are valid and named uniquely', () => {
    const all = standardWorkloads();
    expect(new Set(all.map((w) => w.name)).size).toBe(all.length);
    for (const w of all) expect(w.description).toBeTruthy();
  });
});
