/**
 * One pick-next measurement, in its own process so every policy is compiled and measured on its own
 * (the way a kernel runs one policy), not with call sites already shared among seven.
 *
 *   node bench/pick-next.mjs <policy> <tasks> <weights: nice|distinct>
 *
 * Adds <tasks> runnable tasks (weights: nice levels -20..19 drawn with a fixed seed, or all distinct
 * 1..n), warms up, then times rounds of 200 000 decisions; a decision is pickNext(now) followed by
 * charge(picked, 1). Prints JSON: ns per decision by process CPU time (user + system, so time the process
 * spends descheduled on a busy machine is not counted), median and minimum over the rounds (the minimum
 * is the round least disturbed by other processes), and the median by wall clock.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (pnpm --filter @exov6/sched-beatty build)');
  process.exit(2);
}
const { createScheduler, niceToWeight, SeededRandom } = await import(dist);

const [policy, nText, mode = 'nice'] = process.argv.slice(2);
const n = Number(nText);
const random = new SeededRandom(n);
const s = createScheduler(policy);
for (let i = 0; i < n; i++) s.add(i, mode === 'distinct' ? i + 1 : niceToWeight(random.below(40) - 20));

let now = 0;
function decisions(count) {
  for (let k = 0; k < count; k++) {
    const task = s.pickNext(now);
    s.charge(task, 1);
    now++;
  }
}

const ROUND = 200_000;
decisions(Math.max(2 * ROUND, 3 * n));
const cpu = [];
const wall = [];
for (let r = 0; r < 9; r++) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  decisions(ROUND);
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(c0);
  cpu.push(((c.user + c.system) * 1000) / ROUND);
  wall.push(Number(t1 - t0) / ROUND);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({ policy, n, mode, cpuNs: median(cpu), cpuMinNs: Math.min(...cpu), wallNs: median(wall) }),
);
