// Task graphs, critical-path list scheduling and HEFT, with the HEFT paper's example as the golden test.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CycleError,
  checkSchedule,
  criticalPathLowerBound,
  GraphError,
  heft,
  listSchedule,
  scheduleLengthRatio,
  TaskGraph,
  upwardRanks,
} from '../src/index.js';

// Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002: the sample DAG (Fig. 2) and its computation cost
// matrix (Table 1) on processors P1, P2, P3.
const PAPER_COSTS: Record<string, [number, number, number]> = {
  n1: [14, 16, 9],
  n2: [13, 19, 18],
  n3: [11, 13, 19],
  n4: [13, 8, 17],
  n5: [12, 13, 10],
  n6: [13, 16, 9],
  n7: [7, 15, 11],
  n8: [5, 11, 14],
  n9: [18, 12, 20],
  n10: [21, 7, 16],
};
const PAPER_EDGES: [string, string, number][] = [
  ['n1', 'n2', 18],
  ['n1', 'n3', 12],
  ['n1', 'n4', 9],
  ['n1', 'n5', 11],
  ['n1', 'n6', 14],
  ['n2', 'n8', 19],
  ['n2', 'n9', 16],
  ['n3', 'n7', 23],
  ['n4', 'n8', 27],
  ['n4', 'n9', 23],
  ['n5', 'n9', 13],
  ['n6', 'n8', 15],
  ['n7', 'n10', 17],
  ['n8', 'n10', 11],
  ['n9', 'n10', 13],
];

function paperGraph(): TaskGraph {
  return new TaskGraph({
    tasks: Object.entries(PAPER_COSTS).map(([id, cost]) => ({ id, cost })),
    edges: PAPER_EDGES.map(([from, to, cost]) => ({ from, to, cost })),
  });
}

describe("HEFT on the paper's example", () => {
  test('upward ranks match the paper (Table 2)', () => {
    const ranks = upwardRanks(paperGraph(), 3);
    const expected: Record<string, number> = {
      n1: 108,
      n2: 77,
      n3: 80,
      n4: 80,
      n5: 69,
      n6: 63.333,
      n7: 42.667,
      n8: 35.667,
      n9: 44.333,
      n10: 14.667,
    };
    for (const [id, r] of Object.entries(expected)) expect(ranks.get(id)).toBeCloseTo(r, 3);
  });

  test("makespan 80, with the schedule of the paper's Fig. 4(a)", () => {
    const g = paperGraph();
    const s = heft(g);
    expect(s.makespan).toBe(80);
    expect(checkSchedule(g, s)).toEqual([]);
    const placed = Object.fromEntries(s.tasks.map((t) => [t.id, [`P${t.processor + 1}`, t.start, t.finish]]));
    expect(placed).toEqual({
      n1: ['P3', 0, 9],
      n2: ['P1', 27, 40],
      n3: ['P3', 9, 28],
      n4: ['P2', 18, 26],
      n5: ['P3', 28, 38],
      n6: ['P2', 26, 42],
      n7: ['P3', 38, 49],
      n8: ['P1', 57, 62],
      n9: ['P2', 56, 68],
      n10: ['P2', 73, 80],
    });
  });

  test('schedule length ratio: makespan over the min-cost critical path (n1 n2 n9 n10: 9+13+12+7)', () => {
    const g = paperGraph();
    expect(criticalPathLowerBound(g, 3)).toBe(41);
    expect(scheduleLengthRatio(g, heft(g))).toBeCloseTo(80 / 41, 12);
  });

  test('the critical-path list scheduler (no insertion, no processor choice) does worse here', () => {
    const g = paperGraph();
    const s = listSchedule(g);
    expect(checkSchedule(g, s)).toEqual([]);
    expect(s.makespan).toBeGreaterThan(80);
  });
});

describe('task graphs', () => {
  test('a cycle is rejected and named, starting at its first task', () => {
    const tasks = ['a', 'b', 'c', 'd'].map((id) => ({ id, cost: 1 }));
    const edges = [
      { from: 'a', to: 'b' },
      { from: 'c', to: 'd' },
      { from: 'd', to: 'b' },
      { from: 'b', to: 'c' },
    ];
    expect(() => new TaskGraph({ tasks, edges })).toThrow('task graph has a cycle: b -> c -> d -> b');
    try {
      new TaskGraph({ tasks, edges });
    } catch (e) {
      expect(e).toBeInstanceOf(CycleError);
      expect((e as CycleError).cycle).toEqual(['b', 'c', 'd', 'b']);
    }
    expect(() => new TaskGraph({ tasks, edges: [{ from: 'a', to: 'a' }] })).toThrow(
      'task graph has a cycle: a -> a',
    );
  });

  test('malformed graphs are rejected with a message naming the problem', () => {
    const one = [{ id: 'a', cost: 1 }];
    expect(() => new TaskGraph({ tasks: [...one, { id: 'a', cost: 2 }] })).toThrow('duplicate task id "a"');
    expect(() => new TaskGraph({ tasks: one, edges: [{ from: 'a', to: 'z' }] })).toThrow(
      'edge 0 ends at unknown task "z"',
    );
    expect(
      () =>
        new TaskGraph({
          tasks: [...one, { id: 'b', cost: 1 }],
          edges: [
            { from: 'a', to: 'b' },
            { from: 'a', to: 'b' },
          ],
        }),
    ).toThrow('duplicate edge "a" -> "b"');
    expect(
      () =>
        new TaskGraph({
          tasks: [
            { id: 'a', cost: [1, 2] },
            { id: 'b', cost: [1] },
          ],
        }),
    ).toThrow(/cost vector has 1 entries, other tasks have 2/);
    expect(() => new TaskGraph({ tasks: [{ id: 'a', cost: -1 }] })).toThrow(GraphError);
    expect(() => new TaskGraph({ tasks: [{ id: 'a', cost: 1.5 }] })).toThrow(GraphError);
    expect(() => new TaskGraph({ tasks: [{ id: '', cost: 1 }] })).toThrow(GraphError);
    expect(() => heft(new TaskGraph({ tasks: one }))).toThrow(/options.processors is required/);
    expect(() => heft(paperGraph(), { processors: 2 })).toThrow(
      /processors is 2 but the cost vectors have 3/,
    );
  });

  test('topological order: smallest index first among the ready tasks', () => {
    const g = new TaskGraph({
      tasks: ['x', 'y', 'z'].map((id) => ({ id, cost: 1 })),
      edges: [{ from: 'z', to: 'x' }],
    });
    expect(g.order.map((i) => g.ids[i])).toEqual(['y', 'z', 'x']);
  });
});

describe('critical-path list scheduling', () => {
  test('independent tasks: longest first (the critical path is the task itself)', () => {
    const g = new TaskGraph({ tasks: [3, 3, 2, 2, 2].map((cost, i) => ({ id: `t${i}`, cost })) });
    // 3 | 3 on two processors, then 2 and 2 at time 3, then the last 2 at time 5: 7 (the optimum is 6).
    expect(listSchedule(g, { processors: 2 }).makespan).toBe(7);
  });

  test('communication: a successor waits for data from another processor, not from its own', () => {
    const g = new TaskGraph({
      tasks: [
        { id: 'src', cost: 2 },
        { id: 'a', cost: 4 },
        { id: 'b', cost: 1 },
      ],
      edges: [
        { from: 'src', to: 'a', cost: 5 },
        { from: 'src', to: 'b', cost: 5 },
      ],
    });
    const s = listSchedule(g, { processors: 2 });
    const at = Object.fromEntries(s.tasks.map((t) => [t.id, t]));
    // a (higher rank) goes to processor 0 with src: no delay; b to processor 1 waits 2 + 5.
    expect([at.a.processor, at.a.start]).toEqual([0, 2]);
    expect([at.b.processor, at.b.start]).toEqual([1, 7]);
    expect(s.makespan).toBe(8);
    expect(checkSchedule(g, s)).toEqual([]);
  });
});

describe('HEFT', () => {
  test('insertion: a later task fills an idle gap left on a processor', () => {
    // p waits for data (comm 10) from r on the other processor... HEFT puts short task q into the gap.
    const g = new TaskGraph({
      tasks: [
        { id: 'r', cost: [1, 100] },
        { id: 'p', cost: [100, 5] },
        { id: 'q', cost: [100, 2] },
      ],
      edges: [{ from: 'r', to: 'p', cost: 10 }],
    });
    const s = heft(g);
    const at = Object.fromEntries(s.tasks.map((t) => [t.id, t]));
    expect([at.p.processor, at.p.start]).toEqual([1, 11]);
    expect([at.q.processor, at.q.start]).toEqual([1, 0]); // inserted before p, in its idle gap
    expect(checkSchedule(g, s)).toEqual([]);
  });
});

const dagArb = fc
  .record({ n: fc.integer({ min: 1, max: 25 }), processors: fc.integer({ min: 1, max: 4 }) })
  .chain(({ n, processors }) =>
    fc.record({
      processors: fc.constant(processors),
      costs: fc.array(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: processors, maxLength: processors }),
        {
          minLength: n,
          maxLength: n,
        },
      ),
      // Edges only from a lower to a higher index: acyclic by construction.
      edges:
        n < 2
          ? fc.constant([] as [number, number, number][])
          : fc.uniqueArray(
              fc
                .tuple(
                  fc.integer({ min: 0, max: n - 2 }),
                  fc.integer({ min: 1, max: n - 1 }),
                  fc.integer({ min: 0, max: 20 }),
                )
                .map(([a, d, cost]): [number, number, number] => [a, Math.min(n - 1, a + d), cost]),
              { selector: ([a, b]) => `${a}>${b}`, maxLength: 3 * n },
            ),
    }),
  );

describe('schedules of random DAGs', () => {
  test('HEFT and list scheduling produce valid schedules no shorter than the lower bound', () => {
    fc.assert(
      fc.property(dagArb, ({ processors, costs, edges }) => {
        const g = new TaskGraph({
          tasks: costs.map((cost, i) => ({ id: `v${i}`, cost })),
          edges: edges.map(([a, b, cost]) => ({ from: `v${a}`, to: `v${b}`, cost })),
        });
        for (const s of [heft(g), listSchedule(g)]) {
          expect(checkSchedule(g, s)).toEqual([]);
          expect(s.makespan).toBeGreaterThanOrEqual(criticalPathLowerBound(g, processors));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('on one processor both run everything back to back: makespan = sum of costs', () => {
    fc.assert(
      fc.property(dagArb, ({ costs, edges }) => {
        const g = new TaskGraph({
          tasks: costs.map((c, i) => ({ id: `v${i}`, cost: c[0] })),
          edges: edges.map(([a, b, cost]) => ({ from: `v${a}`, to: `v${b}`, cost })),
        });
        const total = costs.reduce((sum, c) => sum + c[0], 0);
        expect(heft(g, { processors: 1 }).makespan).toBe(total);
        expect(listSchedule(g, { processors: 1 }).makespan).toBe(total);
      }),
      { numRuns: 200 },
    );
  });

  test('a cycle in a random graph is always found and is a real cycle', () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 0, max: 1000 }), ({ costs, edges }, pick) => {
        fc.pre(edges.length > 0);
        // Close a cycle: add an edge from the head of some existing edge back to its tail.
        const [a, b] = edges[pick % edges.length];
        const all = [...edges.map(([x, y]) => [x, y]), [b, a]];
        try {
          new TaskGraph({
            tasks: costs.map((c, i) => ({ id: `v${i}`, cost: c[0] })),
            edges: all.map(([x, y]) => ({ from: `v${x}`, to: `v${y}` })),
          });
          expect.unreachable();
        } catch (e) {
          const cycle = (e as CycleError).cycle;
          expect(cycle[0]).toBe(cycle[cycle.length - 1]);
          const set = new Set(all.map(([x, y]) => `v${x}>v${y}`));
          for (let k = 0; k + 1 < cycle.length; k++)
            expect(set.has(`${cycle[k]}>${cycle[k + 1]}`)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('checkSchedule reports overlaps, early starts and wrong durations', () => {
    const g = paperGraph();
    const good = heft(g);
    const bad = {
      ...good,
      tasks: good.tasks.map((t) => (t.id === 'n10' ? { ...t, start: 20, finish: 27 } : t)),
    };
    const problems = checkSchedule(g, bad);
    expect(problems.some((p) => p.startsWith('n10: starts at 20 before data from'))).toBe(true);
    expect(problems.some((p) => p.includes('overlap'))).toBe(true);
    const wrong = { ...good, tasks: good.tasks.map((t) => (t.id === 'n1' ? { ...t, finish: 10 } : t)) };
    expect(checkSchedule(g, wrong)).toContain('n1: runs 10, costs 9');
  });
});
