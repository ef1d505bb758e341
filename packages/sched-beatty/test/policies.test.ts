// The baseline policies against their published semantics, on small cases worked out by hand.
import { describe, expect, test } from 'vitest';
import {
  CfsScheduler,
  createScheduler,
  EevdfScheduler,
  InvalidArgumentError,
  LotteryScheduler,
  NICE_0_WEIGHT,
  NICE_WEIGHTS,
  niceToWeight,
  POLICY_NAMES,
  PriorityScheduler,
  RoundRobinScheduler,
  type Scheduler,
  STRIDE1,
  StrideScheduler,
} from '../src/index.js';

/** Run `slots` decisions charging `amount` each; returns the picked tasks. */
function run<T>(s: Scheduler<T>, slots: number, amount = 1, start = 0): T[] {
  const out: T[] = [];
  for (let t = 0; t < slots; t++) {
    const x = s.pickNext(start + t * amount) as T;
    out.push(x);
    s.charge(x, amount);
  }
  return out;
}

function counts<T>(seq: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of seq) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe('round-robin', () => {
  test('FIFO turns of one quantum, weights ignored', () => {
    const s = new RoundRobinScheduler<string>({ quantum: 2 });
    s.add('a', 1);
    s.add('b', 100);
    s.add('c', 7);
    expect(run(s, 12)).toEqual(['a', 'a', 'b', 'b', 'c', 'c', 'a', 'a', 'b', 'b', 'c', 'c']);
  });

  test('a task that blocks loses the rest of its quantum and rejoins at the tail', () => {
    const s = new RoundRobinScheduler<string>({ quantum: 3 });
    s.add('a', 1);
    s.add('b', 1);
    expect(s.pickNext(0)).toBe('a');
    s.charge('a', 1);
    s.block('a');
    expect(run(s, 2, 1, 1)).toEqual(['b', 'b']);
    s.unblock('a');
    expect(run(s, 5, 1, 3)).toEqual(['b', 'a', 'a', 'a', 'b']);
  });
});

describe('static priority', () => {
  test('highest priority first; equal priorities take turns per quantum', () => {
    const s = new PriorityScheduler<string>();
    s.add('low', 1);
    s.add('hi1', 5);
    s.add('hi2', 5);
    expect(run(s, 6)).toEqual(['hi1', 'hi2', 'hi1', 'hi2', 'hi1', 'hi2']);
  });

  test('without aging a lower priority starves while a higher one is runnable', () => {
    const s = new PriorityScheduler<string>();
    s.add('low', 1);
    s.add('high', 2);
    expect(counts(run(s, 1000)).get('low')).toBeUndefined();
    s.block('high');
    expect(s.pickNext(1000)).toBe('low');
  });

  test('aging: a waiting task gains one level per `aging` ticks of waiting', () => {
    const s = new PriorityScheduler<string>({ aging: 10 });
    s.add('low', 1);
    s.add('high', 3);
    const seq = run(s, 60);
    // Effective priority p + (now - waiting since) / 10. high runs back to back, so its effective priority
    // stays 3; low has waited since 0, so at decision t its effective priority is 1 + t / 10. They are
    // equal at t = 20, and equal priorities go to the task queued first: low.
    expect(seq.indexOf('low')).toBe(20);
    expect(seq.slice(0, 20).every((x) => x === 'high')).toBe(true);
  });
});

describe('lottery', () => {
  test('same seed, same draws; different seeds, different draws', () => {
    const make = (seed: number) => {
      const s = new LotteryScheduler<string>({ seed });
      for (const [id, w] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const)
        s.add(id, w);
      return run(s, 200).join('');
    };
    expect(make(42)).toBe(make(42));
    expect(make(42)).not.toBe(make(43));
  });

  test('a client wins in proportion to its tickets (chi-square, fixed seed)', () => {
    const s = new LotteryScheduler<string>({ seed: 7 });
    const tickets = { a: 1, b: 2, c: 3, d: 10 };
    for (const [id, w] of Object.entries(tickets)) s.add(id, w);
    const n = 64_000;
    const got = counts(run(s, n));
    let chi2 = 0;
    for (const [id, w] of Object.entries(tickets)) {
      const expected = (n * w) / 16;
      chi2 += ((got.get(id) ?? 0) - expected) ** 2 / expected;
    }
    // 3 degrees of freedom: P(chi2 > 16.27) = 0.001.
    expect(chi2).toBeLessThan(16.27);
  });

  test('compensation tickets: a client that uses 1/4 of its quantum is drawn with 4x its tickets', () => {
    const s = new LotteryScheduler<string>({ seed: 3, quantum: 4 });
    s.add('io', 1);
    s.add('cpu', 1);
    const used = { io: 0, cpu: 0 };
    const wins = { io: 0, cpu: 0 };
    for (let t = 0; t < 40_000; t++) {
      const x = s.pickNext(t) as 'io' | 'cpu';
      wins[x]++;
      const amount = x === 'io' ? 1 : 4;
      used[x] += amount;
      s.charge(x, amount);
    }
    // Equal tickets, so equal CPU: io wins about 4 times as often as cpu.
    expect(Math.abs(used.io / used.cpu - 1)).toBeLessThan(0.05);
    expect(wins.io / wins.cpu).toBeGreaterThan(3.5);
    const plain = new LotteryScheduler<string>({ seed: 3, quantum: 4, compensation: false });
    plain.add('io', 1);
    plain.add('cpu', 1);
    const plainUsed = { io: 0, cpu: 0 };
    for (let t = 0; t < 40_000; t++) {
      const x = plain.pickNext(t) as 'io' | 'cpu';
      const amount = x === 'io' ? 1 : 4;
      plainUsed[x] += amount;
      plain.charge(x, amount);
    }
    expect(plainUsed.io / plainUsed.cpu).toBeLessThan(0.3);
  });
});

describe('stride', () => {
  test('tickets 3:2:1 give the deterministic interleaving of minimum pass, FIFO on equal passes', () => {
    const s = new StrideScheduler<string>();
    s.add('A', 3);
    s.add('B', 2);
    s.add('C', 1);
    // Strides are floor(2^32 / tickets): A 1431655765, B 2^31, C 2^32; passes start at one stride.
    // A (pass 1431655765), B (2^31), A (2863311530); A's next pass 3 * 1431655765 = 2^32 - 1 is just
    // below B's and C's 2^32 (integer strides truncate), so A runs again; then C and B tie at 2^32 and go
    // in queue order: C has waited in the queue since it was added, B re-entered after its run.
    expect(run(s, 6)).toEqual(['A', 'B', 'A', 'A', 'C', 'B']);
    expect(counts(run(s, 594, 1, 6))).toEqual(
      new Map([
        ['A', 297],
        ['B', 198],
        ['C', 99],
      ]),
    );
  });

  test('stride is STRIDE1 / tickets with integer division', () => {
    expect(STRIDE1).toBe(2 ** 32);
    expect(Math.floor(STRIDE1 / 3)).toBe(1431655765);
  });

  test('a blocked client keeps its remaining pass and rejoins at global_pass + remain', () => {
    const s = new StrideScheduler<string>();
    s.add('a', 1);
    s.add('b', 1);
    run(s, 4);
    s.block('a');
    run(s, 10, 1, 4);
    s.unblock('a');
    // a left with remain = one stride ahead of global pass (it had just been charged), so b, whose pass
    // ran ahead while alone, and a alternate again from here on.
    const seq = run(s, 6, 1, 14);
    expect(counts(seq)).toEqual(
      new Map([
        ['a', 3],
        ['b', 3],
      ]),
    );
  });

  test('known weakness: a heavy client runs many quanta in a row against many light ones', () => {
    const s = new StrideScheduler<string>();
    s.add('heavy', 100);
    for (let i = 0; i < 99; i++) s.add(`light${i}`, 1);
    const seq = run(s, 100);
    // Its first 99 passes (k / 100 of STRIDE1, k < 100) are all below the lights' first pass.
    expect(seq.slice(0, 99).every((x) => x === 'heavy')).toBe(true);
  });
});

describe('CFS', () => {
  test('Linux nice weights: nice 0 = 1024, about x1.25 per step, the kernel table', () => {
    expect(niceToWeight(0)).toBe(NICE_0_WEIGHT);
    expect(NICE_WEIGHTS).toHaveLength(40);
    expect(niceToWeight(-20)).toBe(88761);
    expect(niceToWeight(19)).toBe(15);
    for (let n = -20; n < 19; n++) {
      const ratio = niceToWeight(n) / niceToWeight(n + 1);
      expect(ratio).toBeGreaterThanOrEqual(1.2); // 18 / 15 at the light end, where rounding is coarse
      expect(ratio).toBeLessThan(1.3);
    }
  });

  test('smallest vruntime runs; vruntime grows by ticks * 1024 / weight', () => {
    const s = new CfsScheduler<string>({ startDebit: false });
    s.add('n0', niceToWeight(0));
    s.add('n5', niceToWeight(5));
    const c = counts(run(s, 13_590));
    // Shares 1024 : 335.
    expect(Math.abs((c.get('n0') ?? 0) - 10_240)).toBeLessThanOrEqual(2);
  });

  test('START_DEBIT: a new task starts one vslice after min_vruntime', () => {
    const s = new CfsScheduler<string>({ latency: 24, minGranularity: 3 });
    s.add('a', 1024);
    run(s, 10);
    s.add('b', 1024);
    // vslice = period * 1024 / W = 24 * 1024 / 2048 = 12 ticks of nice-0 time: a runs 12 more first.
    const seq = run(s, 14, 1, 10);
    expect(seq.slice(0, 12).every((x) => x === 'a')).toBe(true);
    expect(seq[12]).toBe('b');
  });

  test('a sleeper resumes at most latency / 2 behind min_vruntime', () => {
    const s = new CfsScheduler<string>({ latency: 24, minGranularity: 3, startDebit: false });
    s.add('a', 1024);
    s.add('sleeper', 1024);
    s.block('sleeper');
    run(s, 1000);
    s.unblock('sleeper');
    // Its old vruntime is 1000 ticks behind; it is placed 12 ticks behind a and runs 12 ticks in a row.
    const seq = run(s, 14, 1, 1000);
    expect(seq.slice(0, 12).every((x) => x === 'sleeper')).toBe(true);
  });
});

describe('EEVDF', () => {
  test('only clients with lag >= 0 are eligible; earliest virtual deadline among them', () => {
    const s = new EevdfScheduler<string>();
    s.add('a', 2);
    s.add('b', 1);
    // Virtual times per unit weight. Start: V = 0, ve = 0 for both, vd(a) = 1/2, vd(b) = 1: a.
    // Then ve(a) = 1/2 > V = 1/3: a is not eligible, b runs although its deadline is later.
    // Then V = 2/3: a (ve 1/2, vd 1); V = 1: a (ve 1 <= 1, vd 3/2 < 2); V = 4/3: b; V = 5/3: a.
    expect(run(s, 6)).toEqual(['a', 'b', 'a', 'a', 'b', 'a']);
  });

  test('the Beatty rule differs exactly in the eligibility look-ahead', () => {
    // Weights 5 and 2 (W = 7). Both start at ve = 0: a runs (deadline 1/5 < 1/2). Then V = 1/7 and
    // ve(a) = 1/5: EEVDF finds a not eligible (1/5 > 1/7) and runs b; Beatty's threshold is
    // V + q / W = 2/7 > 1/5, so a is eligible and its deadline 2/5 < 1/2 wins.
    const first3 = (policy: 'beatty' | 'eevdf') => {
      const s = createScheduler<string>(policy);
      s.add('a', 5);
      s.add('b', 2);
      return run(s, 3);
    };
    expect(first3('eevdf')).toEqual(['a', 'b', 'a']);
    expect(first3('beatty')).toEqual(['a', 'a', 'b']);
  });
});

describe('createScheduler', () => {
  test('every policy by name', () => {
    for (const name of POLICY_NAMES) expect(createScheduler(name).policy).toBe(name);
  });

  test('unknown names and stray options are rejected', () => {
    expect(() => createScheduler('fifo' as never)).toThrow(InvalidArgumentError);
    expect(() => createScheduler('stride', { quantum: 2 } as never)).toThrow(/stride takes no options/);
  });
});
