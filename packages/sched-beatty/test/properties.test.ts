// Properties every policy must have (or, for the ones that by design lack one, the documented failure):
// determinism for a given seed, no starvation, shares that converge to the weights, and state that
// survives any sequence of joins, leaves, blocks, weight changes and re-adds (every pick on the way is a
// runnable task, a foreground one whenever there is one).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  createScheduler,
  DuplicateTaskError,
  POLICY_NAMES,
  type PolicyName,
  PriorityScheduler,
  type Scheduler,
  TaskStateError,
  UnknownTaskError,
} from '../src/index.js';
import { IDS, Model, type Op, opArb } from './support/ops.js';

function make(policy: PolicyName, seed = 1): Scheduler<string> {
  return policy === 'lottery'
    ? createScheduler<string>('lottery', { seed })
    : createScheduler<string>(policy);
}

/** Apply the valid operations of a sequence; returns the picks of the `run` operations. */
function replay(s: Scheduler<string>, ops: readonly Op[]): (string | undefined)[] {
  const model = new Model();
  const picks: (string | undefined)[] = [];
  let now = 0;
  for (const op of ops) {
    if (!model.valid(op)) continue;
    model.apply(op);
    applyOp(s, op, () => now++, (x) => picks.push(x));
  }
  return picks;
}

const weightsArb = fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 16 });

describe.each(POLICY_NAMES.map((p) => [p]))('%s', (policy) => {
  test('deterministic: the same operations (and seed) give the same decisions', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 150 }), fc.integer(), (ops, seed) => {
        expect(replay(make(policy, seed), ops)).toEqual(replay(make(policy, seed), ops));
      }),
      { numRuns: 40 },
    );
  });

  test('any sequence of operations keeps the state consistent, and re-added tasks work', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 150 }), (ops) => {
        const s = make(policy);
        const model = new Model();
        let now = 0;
        for (const op of ops) {
          const valid = model.valid(op);
          const act = () =>
            applyOp(
              s,
              op,
              () => now++,
              (picked) => checkPick(picked, model),
            );
          if (!valid) {
            // Invalid operations are rejected with the right error and change nothing.
            if (op.kind !== 'run') expect(act).toThrow(expectedError(model, op));
          } else {
            model.apply(op);
            act();
          }
          checkConsistent(s, model);
        }
        // Remove everything, add it all back: the scheduler behaves like a fresh one.
        const known = [...model.state.keys()];
        for (const id of known) s.remove(id);
        expect(s.size).toBe(0);
        expect(s.pickNext(now++)).toBeUndefined();
        for (const id of IDS) s.add(id, 1);
        const seen = new Set<string>();
        for (let k = 0; k < 40 * IDS.length; k++) {
          const x = s.pickNext(now++) as string;
          seen.add(x);
          s.charge(x, 1);
        }
        if (policy !== 'priority') expect(seen.size).toBe(IDS.length);
      }),
      { numRuns: 60 },
    );
  });
});

function applyOp(
  s: Scheduler<string>,
  op: Op,
  tick: () => number,
  onPick: (picked: string | undefined) => void = () => {},
): void {
  switch (op.kind) {
    case 'add':
      s.add(op.id, op.weight);
      break;
    case 'remove':
      s.remove(op.id);
      break;
    case 'block':
      s.block(op.id);
      break;
    case 'unblock':
      s.unblock(op.id);
      break;
    case 'setWeight':
      s.setWeight(op.id, op.weight);
      break;
    case 'charge':
      s.charge(op.id, op.amount);
      break;
    case 'run': {
      const x = s.pickNext(tick());
      onPick(x);
      if (x !== undefined) s.charge(x, op.amount);
    }
  }
}

/**
 * What every pick must be, whatever happened before: a runnable task (undefined only when none is), and a
 * positive-weight one whenever one is runnable (weight 0 is background for every policy).
 */
function checkPick(picked: string | undefined, model: Model): void {
  const runnable = model.runnable();
  if (picked === undefined) {
    expect(runnable).toEqual([]);
    return;
  }
  expect(runnable).toContain(picked);
  const foreground = runnable.some((id) => (model.state.get(id) as { weight: number }).weight > 0);
  if (foreground) expect((model.state.get(picked) as { weight: number }).weight).toBeGreaterThan(0);
}

function expectedError(model: Model, op: Op) {
  if (op.kind === 'add') return DuplicateTaskError;
  if (!model.state.has((op as { id: string }).id)) return UnknownTaskError;
  return TaskStateError;
}

function checkConsistent(s: Scheduler<string>, model: Model): void {
  expect(s.size).toBe(model.state.size);
  const runnable = model.runnable();
  expect(s.runnableCount).toBe(runnable.length);
  for (const id of IDS) {
    const m = model.state.get(id);
    expect(s.has(id)).toBe(m !== undefined);
    if (m) {
      expect(s.isRunnable(id)).toBe(m.runnable);
      expect(s.weightOf(id)).toBe(m.weight);
    }
  }
  expect(new Set(s.tasks())).toEqual(new Set(model.state.keys()));
}

/** Bound on the gap between two runs of a task of weight w, for the policies that promise one. */
function starvationBound(policy: PolicyName, w: number, W: number, n: number, wMin: number): number {
  const share = W / w;
  switch (policy) {
    case 'beatty':
    case 'eevdf':
      return Math.ceil(3 * share); // lag stays in (-1, 1): two quanta of slack
    case 'stride':
      return Math.ceil(2 * share) + n; // a client can fall about n quanta behind
    case 'cfs':
      // START_DEBIT places a newcomer latency * 1024 / W_join of vruntime late, where W_join is the load
      // when it was added (at least the lightest weight); min_vruntime then advances by 1024 / W per tick.
      return Math.ceil(2 * share + (24 * W) / wMin) + n;
    case 'lottery':
      return Math.ceil(40 * share); // probabilistic; the fixed seed makes it deterministic
    case 'round-robin':
      return n;
    case 'priority':
      return Number.POSITIVE_INFINITY;
  }
}

describe('no starvation', () => {
  test.each(POLICY_NAMES.filter((p) => p !== 'priority').map((p) => [p]))(
    '%s: every backlogged task runs within its bound',
    (policy) => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 12 }),
          (weights) => {
            const s = make(policy as PolicyName, 11);
            const W = weights.reduce((a, b) => a + b, 0);
            weights.forEach((w, i) => {
              s.add(`t${i}`, w);
            });
            const last = weights.map(() => 0);
            const worst = weights.map(() => 0);
            const bounds = weights.map((w) =>
              starvationBound(policy as PolicyName, w, W, weights.length, Math.min(...weights)),
            );
            // Run past every bound, so a task that never runs fails the check instead of passing vacuously.
            const T = Math.max(...bounds) + 10;
            for (let t = 1; t <= T; t++) {
              const x = s.pickNext(t) as string;
              s.charge(x, 1);
              const i = Number(x.slice(1));
              worst[i] = Math.max(worst[i], t - last[i]);
              last[i] = t;
            }
            weights.forEach((_, i) => {
              expect(Math.max(worst[i], T + 1 - last[i])).toBeLessThanOrEqual(bounds[i]);
            });
          },
        ),
        { numRuns: 25 },
      );
    },
  );

  test('priority with aging: a waiting task gets its turn within (priority gap + 1) * aging + n decisions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 10 }),
        (priorities) => {
          const aging = 8;
          const s = new PriorityScheduler<string>({ aging });
          priorities.forEach((p, i) => {
            s.add(`t${i}`, p);
          });
          const top = Math.max(...priorities);
          const last = priorities.map(() => 0);
          const worst = priorities.map(() => 0);
          const T = 2000;
          for (let t = 1; t <= T; t++) {
            const x = s.pickNext(t) as string;
            s.charge(x, 1);
            const i = Number(x.slice(1));
            worst[i] = Math.max(worst[i], t - last[i]);
            last[i] = t;
          }
          priorities.forEach((p, i) => {
            const gap = Math.max(worst[i], T + 1 - last[i]);
            expect(gap).toBeLessThanOrEqual((top - p + 1) * aging + priorities.length);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  test('priority without aging starves lower priorities by design', () => {
    const s = createScheduler<string>('priority');
    s.add('low', 1);
    s.add('high', 2);
    for (let t = 0; t < 500; t++) {
      expect(s.pickNext(t)).toBe('high');
      s.charge('high', 1);
    }
  });
});

/** Largest |service - share * T| over tasks after T slots from the current state. */
function shareError(
  s: Scheduler<string>,
  ids: readonly string[],
  weights: readonly number[],
  T: number,
  start: number,
) {
  const W = weights.reduce((a, b) => a + b, 0);
  const got = new Map(ids.map((id) => [id, 0]));
  for (let t = 0; t < T; t++) {
    const x = s.pickNext(start + t) as string;
    s.charge(x, 1);
    got.set(x, (got.get(x) ?? 0) + 1);
  }
  return Math.max(...ids.map((id, i) => Math.abs((got.get(id) as number) - (weights[i] * T) / W)));
}

/** How far service may be from the weighted share after T slots, by policy. */
function shareTolerance(policy: PolicyName, n: number, T: number): number {
  switch (policy) {
    case 'beatty':
    case 'eevdf':
      return 1;
    case 'stride':
      return n + 1;
    case 'cfs':
      return 2 * n + 30;
    case 'lottery':
      return 5 * Math.sqrt(T / 4) + 1; // five standard deviations of a binomial at worst
    default:
      return Number.POSITIVE_INFINITY;
  }
}

describe('shares converge to the weights', () => {
  test.each(['beatty', 'eevdf', 'stride', 'cfs', 'lottery'].map((p) => [p]))(
    '%s: from a fresh start and after random churn',
    (policy) => {
      fc.assert(
        fc.property(weightsArb, fc.array(opArb, { maxLength: 60 }), (weights, churn) => {
          const ids = weights.map((_, i) => `t${i}`);
          const T = 20 * weights.reduce((a, b) => a + b, 0);
          // Fresh start.
          const fresh = make(policy as PolicyName, 5);
          ids.forEach((id, i) => {
            fresh.add(id, weights[i]);
          });
          expect(shareError(fresh, ids, weights, T, 0)).toBeLessThanOrEqual(
            shareTolerance(policy as PolicyName, ids.length, T),
          );
          // After churn on other ids (small charges), the tasks added now still converge: a removed and
          // re-added task starts afresh, and nothing left over from the churn disturbs the newcomers.
          const s = make(policy as PolicyName, 5);
          const small = churn.map((op) => ('amount' in op ? { ...op, amount: Math.min(op.amount, 2) } : op));
          replay(s, small);
          for (const id of [...s.tasks()]) s.remove(id);
          ids.forEach((id, i) => {
            s.add(id, weights[i]);
          });
          expect(shareError(s, ids, weights, T, 10_000)).toBeLessThanOrEqual(
            shareTolerance(policy as PolicyName, ids.length, T),
          );
        }),
        { numRuns: 20 },
      );
    },
  );

  test('round-robin converges to equal shares whatever the weights', () => {
    const s = createScheduler<string>('round-robin');
    const weights = [1, 5, 50];
    weights.forEach((w, i) => {
      s.add(`t${i}`, w);
    });
    expect(shareError(s, ['t0', 't1', 't2'], [1, 1, 1], 3000, 0)).toBeLessThanOrEqual(1);
  });
});
