// Every entry point rejects bad input with a typed error and a message that says what was expected, and
// a rejected call changes nothing.
import { describe, expect, test } from 'vitest';
import {
  CapacityError,
  createScheduler,
  DuplicateTaskError,
  InvalidArgumentError,
  LotteryScheduler,
  MAX_AMOUNT,
  MAX_TOTAL_WEIGHT,
  MAX_WEIGHT,
  niceToWeight,
  POLICY_NAMES,
  SchedError,
  SeededRandom,
  TaskStateError,
  UnknownTaskError,
} from '../src/index.js';

describe.each(POLICY_NAMES.map((p) => [p]))('%s', (policy) => {
  const fresh = () => createScheduler<string>(policy);

  test('weights: integers in [0, MAX_WEIGHT]', () => {
    const s = fresh();
    for (const bad of [-1, 1.5, Number.NaN, MAX_WEIGHT + 1, '3', undefined, 2n]) {
      expect(() => s.add('a', bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => s.add('a', 1.5)).toThrow(
      `${policy}.add: weight must be an integer in [0, ${MAX_WEIGHT}], got 1.5`,
    );
    expect(s.size).toBe(0);
    s.add('a', 1);
    expect(() => s.setWeight('a', -2)).toThrow(InvalidArgumentError);
    expect(s.weightOf('a')).toBe(1);
  });

  test('tasks: no duplicates, no unknowns, not undefined', () => {
    const s = fresh();
    expect(() => s.add(undefined as never, 1)).toThrow(InvalidArgumentError);
    s.add('a', 1);
    expect(() => s.add('a', 2)).toThrow(DuplicateTaskError);
    expect(() => s.add('a', 2)).toThrow(`${policy}.add: task "a" is already added`);
    for (const op of [
      () => s.remove('x'),
      () => s.block('x'),
      () => s.unblock('x'),
      () => s.setWeight('x', 1),
      () => s.charge('x', 1),
      () => s.isRunnable('x'),
      () => s.weightOf('x'),
    ]) {
      expect(op).toThrow(UnknownTaskError);
    }
    expect(() => s.remove('x')).toThrow(`${policy}.remove: task "x" is not in this scheduler`);
  });

  test('states: block a blocked task, unblock a runnable one, charge a blocked one', () => {
    const s = fresh();
    s.add('a', 1);
    expect(() => s.unblock('a')).toThrow(TaskStateError);
    s.block('a');
    expect(() => s.block('a')).toThrow(TaskStateError);
    expect(() => s.charge('a', 1)).toThrow(`${policy}.charge: task "a" is blocked (charge before blocking)`);
    s.unblock('a');
    expect(s.isRunnable('a')).toBe(true);
  });

  test('time: integer ticks that never go backwards', () => {
    const s = fresh();
    s.add('a', 1);
    s.pickNext(10);
    for (const bad of [9, 10.5, Number.NaN, -1, Number.POSITIVE_INFINITY, '11', 2 ** 53]) {
      expect(() => s.pickNext(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => s.pickNext(9)).toThrow(/the clock may not go backwards/);
    expect(s.pickNext(10)).toBe('a');
  });

  test('amounts: integers in [0, MAX_AMOUNT]', () => {
    const s = fresh();
    s.add('a', 1);
    for (const bad of [-1, 0.5, MAX_AMOUNT + 1, Number.NaN, '1']) {
      expect(() => s.charge('a', bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => s.charge('a', 0)).not.toThrow();
  });

  test('total runnable weight stays within MAX_TOTAL_WEIGHT', () => {
    const s = fresh();
    const n = Math.floor(MAX_TOTAL_WEIGHT / MAX_WEIGHT);
    for (let i = 0; i < n; i++) s.add(`t${i}`, MAX_WEIGHT);
    expect(() => s.add('one-more', 1)).toThrow(CapacityError);
    expect(s.has('one-more')).toBe(false);
    s.add('background', 0);
    expect(() => s.setWeight('background', 1)).toThrow(CapacityError);
    s.block('t0');
    s.add('fits', 1);
    expect(() => s.unblock('t0')).toThrow(CapacityError);
  });

  test('every error is a SchedError with a stable code', () => {
    const s = fresh();
    try {
      s.remove('nope');
    } catch (e) {
      expect(e).toBeInstanceOf(SchedError);
      expect((e as SchedError).code).toBe('UNKNOWN_TASK');
      expect((e as Error).name).toBe('UnknownTaskError');
    }
  });
});

describe('options', () => {
  test('option types and ranges are checked', () => {
    expect(() => createScheduler('beatty', { quantum: 0 })).toThrow(
      'BeattyScheduler: option quantum must be an integer in [1, 1048576], got 0',
    );
    expect(() => createScheduler('eevdf', { request: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => createScheduler('cfs', { startDebit: 'yes' as never })).toThrow(
      /option startDebit must be a boolean/,
    );
    expect(() => createScheduler('priority', { aging: -1 })).toThrow(InvalidArgumentError);
    expect(() => new LotteryScheduler({ seed: 0.5 })).toThrow(InvalidArgumentError);
    expect(() => createScheduler('round-robin', 3 as never)).toThrow(/options must be an object/);
  });

  test('niceToWeight and SeededRandom check their arguments', () => {
    expect(() => niceToWeight(20)).toThrow('niceToWeight: nice must be an integer in [-20, 19], got 20');
    expect(() => new SeededRandom(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => new SeededRandom(1).below(0)).toThrow(InvalidArgumentError);
  });
});
