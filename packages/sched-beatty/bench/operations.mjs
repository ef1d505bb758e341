/**
 * One measurement of the operations other than pickNext, in its own process (as bench/pick-next.mjs, so
 * each policy is compiled and measured on its own).
 *
 *   node bench/operations.mjs <policy> <tasks>
 *
 * Adds <tasks> runnable tasks (nice levels -20..19 drawn with a fixed seed), runs decisions to reach a
 * steady state, then times rounds of 20 000 cycles; a cycle takes a task at random (fixed seed) and does
 * block, unblock, setWeight to another nice level, setWeight back, remove and add, then one decision
 * (pickNext and charge 1) so that virtual time keeps moving. Prints JSON: ns per membership operation
 * (the cycle's CPU time less one decision, measured the same way in rounds of its own, divided by the six
 * operations), median over the rounds, by process CPU time.
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

const [policy, nText] = process.argv.slice(2);
const n = Number(nText);
const random = new SeededRandom(n);
const s = createScheduler(policy);
const weight = new Float64Array(n);
for (let i = 0; i < n; i++) {
  weight[i] = niceToWeight(random.below(40) - 20);
  s.add(i, weight[i]);
}

let now = 0;
function decide() {
  const task = s.pickNext(now);
  s.charge(task, 1);
  now++;
}
// The tasks to work on, drawn up front so that drawing them is not timed.
const picks = Uint32Array.from({ length: 1 << 16 }, () => random.below(n));
let next = 0;
function cycles(count) {
  for (let k = 0; k < count; k++) {
    const t = picks[next++ & 0xffff];
    const w = weight[t];
    s.block(t);
    s.unblock(t);
    s.setWeight(t, w === 1024 ? 820 : 1024);
    s.setWeight(t, w);
    s.remove(t);
    s.add(t, w);
    decide();
  }
}
function decisions(count) {
  for (let k = 0; k < count; k++) decide();
}

const ROUND = 20_000;
decisions(Math.max(200_000, 3 * n));
cycles(ROUND);
const cpu = (f) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / ROUND;
};
const perCycle = [];
const perDecision = [];
for (let r = 0; r < 9; r++) {
  perCycle.push(cpu(() => cycles(ROUND)));
  perDecision.push(cpu(() => decisions(ROUND)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const opNs = Math.max(0, (median(perCycle) - median(perDecision)) / 6);
console.log(JSON.stringify({ policy, n, opNs }));
