#!/usr/bin/env node
// Every policy of @exov6/sched-beatty on the same workloads, side by side, using only the package's
// public entry point (build it first: pnpm --filter @exov6/sched-beatty build).
//
//   node compare.mjs            print the comparison
//   node compare.mjs --check    also check what the package promises, and exit non-zero if it does not hold
import {
  BeattyScheduler,
  createScheduler,
  heft,
  optionsForQuantum,
  POLICY_NAMES,
  simulate,
  standardWorkloads,
  TaskGraph,
} from '@exov6/sched-beatty';

const check = process.argv.includes('--check');
const failures = [];
const expect = (ok, what) => {
  if (!ok) failures.push(what);
};

// 1. Fairness of every policy on three workloads.
const workloads = standardWorkloads().filter((w) =>
  ['five-weights', 'skewed-100', 'interactive'].includes(w.name),
);
for (const workload of workloads) {
  console.log(`\n${workload.name}: ${workload.description}`);
  console.log('policy        max |lag|    Jain   p99 response   switches');
  for (const policy of POLICY_NAMES) {
    const r = simulate(createScheduler(policy, optionsForQuantum(policy, workload.quantum)), workload);
    console.log(
      `${policy.padEnd(12)} ${r.maxAbsLag.toFixed(2).padStart(10)} ${r.jain.toFixed(4).padStart(7)} ${String(r.response.p99).padStart(14)} ${String(r.contextSwitches).padStart(10)}`,
    );
    if (policy === 'beatty' && workload.quantum === 1 && !workload.tasks.some((t) => t.pattern)) {
      // Static, backlogged, one-quantum charges: the proved bound |lag| < 1 quantum applies.
      expect(r.maxAbsLag < 1, `beatty max |lag| on ${workload.name} is ${r.maxAbsLag}, not below 1`);
    }
  }
}

// 2. Two tasks in (nearly) the golden ratio: the Fibonacci word.
const s = new BeattyScheduler();
s.add('a', 514229);
s.add('b', 317811);
let word = '';
for (let now = 0; now < 55; now++) {
  const task = s.pickNext(now);
  s.charge(task, 1);
  word += task;
}
console.log(`\ntwo tasks, weights 514229 : 317811 -> ${word}`);
const fib = ['b', 'a'];
while (fib[fib.length - 1].length < 55) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
expect(word === fib[fib.length - 1].slice(0, 55), 'the two-task schedule is not the Fibonacci word');

// 3. The HEFT paper's example.
const costs = [
  [14, 16, 9],
  [13, 19, 18],
  [11, 13, 19],
  [13, 8, 17],
  [12, 13, 10],
  [13, 16, 9],
  [7, 15, 11],
  [5, 11, 14],
  [18, 12, 20],
  [21, 7, 16],
];
const edges = [
  [1, 2, 18],
  [1, 3, 12],
  [1, 4, 9],
  [1, 5, 11],
  [1, 6, 14],
  [2, 8, 19],
  [2, 9, 16],
  [3, 7, 23],
  [4, 8, 27],
  [4, 9, 23],
  [5, 9, 13],
  [6, 8, 15],
  [7, 10, 17],
  [8, 10, 11],
  [9, 10, 13],
];
const graph = new TaskGraph({
  tasks: costs.map((cost, i) => ({ id: `n${i + 1}`, cost })),
  edges: edges.map(([a, b, cost]) => ({ from: `n${a}`, to: `n${b}`, cost })),
});
const makespan = heft(graph).makespan;
console.log(`HEFT on the paper's 10-task, 3-processor example: makespan ${makespan}`);
expect(makespan === 80, `HEFT makespan ${makespan}, expected 80`);

if (check) {
  if (failures.length) {
    for (const f of failures) console.error(`FAILED: ${f}`);
    process.exit(1);
  }
  console.log('\ncheck: all promises hold');
}
