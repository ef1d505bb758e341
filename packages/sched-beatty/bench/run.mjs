#!/usr/bin/env node
/**
 * The comparison report: speed of pickNext and of the other operations for every policy, fairness on the
 * documented workload set, and the plots the README embeds (written to docs/). Uses the built package
 * (dist/); turbo builds it first, or run `pnpm --filter @exov6/sched-beatty build`.
 *
 *   node bench/run.mjs [--quick] [--no-speed] [--no-plots]
 *
 * --quick skips the 100 000-task speed runs. Speed figures are CPU time per decision or operation (see
 * bench/pick-next.mjs and bench/operations.mjs); fairness figures are exact simulation results and do not
 * depend on the machine. The load average is printed at the start and the end: on a shared machine it
 * says how contended the speed runs were.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart, lineChart } from './svg.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (pnpm --filter @exov6/sched-beatty build)');
  process.exit(2);
}
const lib = await import(dist);
const {
  createScheduler,
  optionsForQuantum,
  POLICY_NAMES,
  simulate,
  standardWorkloads,
  SeededRandom,
  StrideScheduler,
  BeattyScheduler,
} = lib;

const args = new Set(process.argv.slice(2));
const docs = join(here, '..', 'docs');
mkdirSync(docs, { recursive: true });

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`# @exov6/sched-beatty benchmark`);
console.log(`node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}`);
console.log(`load average (1, 5, 15 min) at the start: ${load()}\n`);

// ---------------------------------------------------------------------------------------------------
// 1. pickNext speed

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
}

if (!args.has('--no-speed')) {
  const sizes = args.has('--quick') ? [10, 1000, 10_000] : [10, 1000, 10_000, 100_000];
  const configs = [...POLICY_NAMES.map((p) => [p, 'nice']), ['beatty', 'distinct'], ['eevdf', 'distinct']];
  const rows = [];
  for (const [policy, mode] of configs) {
    const cells = [mode === 'nice' ? policy : `${policy} (all weights distinct)`];
    for (const n of sizes) {
      if (mode === 'distinct' && (n * (n + 1)) / 2 > 2 ** 32) {
        cells.push('n/a'); // weights 1..n would exceed the total-weight limit 2^32
        continue;
      }
      // Three separate processes; the median of their medians damps the noise of a shared machine.
      const runs = [0, 1, 2].map(() => {
        const r = spawnSync(process.execPath, [join(here, 'pick-next.mjs'), policy, String(n), mode], {
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(`pick-next ${policy} ${n}: ${r.stderr}`);
        return JSON.parse(r.stdout);
      });
      const mid = (key) => runs.map((m) => m[key]).sort((a, b) => a - b)[1];
      cells.push(`${mid('cpuNs').toFixed(0)} / ${mid('cpuMinNs').toFixed(0)} (${mid('wallNs').toFixed(0)})`);
    }
    rows.push(cells);
  }
  console.log(
    '## pickNext + charge, ns per decision: CPU time, median / minimum of 9 rounds of 200 000 (wall-clock median)\n\nEach figure is the median of 3 separate processes.\n',
  );
  console.log(
    'Weights: nice levels -20..19 drawn with a fixed seed (40 distinct weights), or 1..n (all distinct:',
  );
  console.log(
    'the worst case for the weight classes of beatty and eevdf; n/a where their sum exceeds 2^32).\n',
  );
  table(['policy', ...sizes.map((n) => `${n} tasks`)], rows);

  // The other operations: every one should cost O(log n) or less, so the figures should grow slowly in n.
  const opSizes = args.has('--quick') ? [10, 1000, 10_000] : [10, 1000, 100_000];
  const opRows = POLICY_NAMES.map((policy) => [
    policy,
    ...opSizes.map((n) => {
      const r = spawnSync(process.execPath, [join(here, 'operations.mjs'), policy, String(n)], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`operations ${policy} ${n}: ${r.stderr}`);
      return JSON.parse(r.stdout).opNs.toFixed(0);
    }),
  ]);
  console.log(
    '## block, unblock, setWeight, remove, add: ns per operation, CPU time, median of 9 rounds of 20 000 cycles\n',
  );
  table(['policy', ...opSizes.map((n) => `${n} tasks`)], opRows);
  console.log(`load average (1, 5, 15 min) after the speed runs: ${load()}\n`);
}

// ---------------------------------------------------------------------------------------------------
// 2. Fairness on the documented workloads

const POLICIES = [...POLICY_NAMES, 'priority+aging'];
function schedulerFor(policy, quantum) {
  if (policy === 'priority+aging') return createScheduler('priority', { quantum, aging: 16 });
  return createScheduler(policy, optionsForQuantum(policy, quantum));
}

const workloads = standardWorkloads();
const results = new Map();
for (const w of workloads) {
  for (const p of POLICIES)
    results.set(`${w.name}/${p}`, simulate(schedulerFor(p, w.quantum), w, { sampleEvery: 250 }));
}

const fmt = (x, digits = 2) => (Number.isNaN(x) ? '-' : x >= 1000 ? x.toFixed(0) : x.toFixed(digits));
console.log('## Fairness: max |lag| in ticks (quantum 1 unless noted: then ticks = quanta)\n');
table(
  ['workload', ...POLICIES],
  workloads.map((w) => [
    w.name + (w.quantum > 1 ? ` (q=${w.quantum})` : ''),
    ...POLICIES.map((p) => fmt(results.get(`${w.name}/${p}`).maxAbsLag)),
  ]),
);
console.log("## Fairness: Jain's index of service / fluid share\n");
table(
  ['workload', ...POLICIES],
  workloads.map((w) => [w.name, ...POLICIES.map((p) => results.get(`${w.name}/${p}`).jain.toFixed(4))]),
);
console.log('## Other measurements\n');
table(
  ['measure', ...POLICIES],
  [
    ['groups: max group lag', ...POLICIES.map((p) => fmt(results.get(`groups/${p}`).maxGroupLag))],
    [
      'interactive: p99 response',
      ...POLICIES.map((p) => fmt(results.get(`interactive/${p}`).response.p99, 0)),
    ],
    [
      'skewed-100: context switches',
      ...POLICIES.map((p) => String(results.get(`skewed-100/${p}`).contextSwitches)),
    ],
  ],
);

// Two tasks: Beatty against the published stride (integer strides) on random weight pairs.
function maxLag(s, a, b, slots) {
  s.add(0, a);
  s.add(1, b);
  const W = a + b;
  const served = [0, 0];
  let worst = 0;
  for (let t = 1; t <= slots; t++) {
    const x = s.pickNext(t);
    s.charge(x, 1);
    served[x]++;
    worst = Math.max(worst, Math.abs((a * t) / W - served[0]));
  }
  return worst;
}
/**
 * Stride scheduling with exact (rational) strides, the policy's definition before integer rounding: the
 * next pass of a task that has run j quanta is (j + 1) / tickets; compared exactly as (j + 1) * w_other
 * against (k + 1) * w_this, equal passes served in queue order (the pass set earlier first).
 */
function maxLagExactStride(a, b, slots) {
  const W = a + b;
  let servedA = 0;
  let servedB = 0;
  let setA = 0;
  let setB = 1;
  let seq = 2;
  let worst = 0;
  for (let t = 1; t <= slots; t++) {
    const passA = BigInt(servedA + 1) * BigInt(b);
    const passB = BigInt(servedB + 1) * BigInt(a);
    if (passA < passB || (passA === passB && setA < setB)) {
      servedA++;
      setA = seq++;
    } else {
      servedB++;
      setB = seq++;
    }
    worst = Math.max(worst, Math.abs((a * t) / W - servedA));
  }
  return worst;
}
for (const [label, max] of [
  ['weights 1..1000', 1000],
  ['weights 1..2^20', 2 ** 20],
]) {
  const random = new SeededRandom(max);
  let better = 0;
  let equal = 0;
  let worse = 0;
  let worstExcess = 0;
  let worstBeatty = 0;
  let worstStride = 0;
  let exactEqual = 0;
  let exactWorse = 0;
  for (let k = 0; k < 1000; k++) {
    const a = 1 + random.below(max);
    const b = 1 + random.below(max);
    const beatty = maxLag(new BeattyScheduler(), a, b, 5000);
    const stride = maxLag(new StrideScheduler(), a, b, 5000);
    const exact = maxLagExactStride(a, b, 5000);
    if (Math.abs(beatty - exact) < 1e-9) exactEqual++;
    else if (beatty > exact) exactWorse++;
    worstBeatty = Math.max(worstBeatty, beatty);
    worstStride = Math.max(worstStride, stride);
    if (Math.abs(beatty - stride) < 1e-9) equal++;
    else if (beatty < stride) better++;
    else {
      worse++;
      worstExcess = Math.max(worstExcess, beatty - stride);
    }
  }
  console.log(
    `two tasks, 1000 random pairs (${label}), 5000 slots: Beatty max |lag| lower than stride's in ${better}, equal in ${equal}, higher in ${worse} (by at most ${worstExcess.toFixed(4)}); worst case Beatty ${worstBeatty.toFixed(4)}, stride ${worstStride.toFixed(4)}`,
  );
  console.log(
    `  against stride with exact strides: equal in ${exactEqual}, Beatty lower in ${1000 - exactEqual - exactWorse}, higher in ${exactWorse}`,
  );
}
console.log('');

// ---------------------------------------------------------------------------------------------------
// 3. Plots

if (!args.has('--no-plots')) {
  // Policies that would otherwise hide one another get a dash pattern.
  const DASH = { eevdf: '7 4', 'round-robin': '7 4', 'priority+aging': '3 3' };
  const seriesOf = (name, policies) =>
    policies.map((p) => {
      const r = results.get(`${name}/${p}`);
      return { name: p, x: r.series.time, y: r.series.maxAbsLag, dash: DASH[p] };
    });
  for (const [name, title] of [
    ['skewed-100', 'skewed-100: one task of weight 100, 99 of weight 1'],
    ['churn', 'churn: 40 tasks arriving, leaving, changing weight'],
  ]) {
    const svg = lineChart(seriesOf(name, POLICIES), {
      title: `Max |lag| over time, ${title}`,
      xLabel: 'time (ticks = quanta)',
      yLabel: 'max |lag| per 250-tick window (ticks, log)',
      logY: true,
      yMin: 0.1,
    });
    writeFileSync(join(docs, `lag-${name}.svg`), svg);
  }
  // Two tasks, linear scale, the deterministic proportional-share policies only (the others are off the
  // scale: see the tables).
  writeFileSync(
    join(docs, 'lag-two-golden.svg'),
    lineChart(seriesOf('two-golden', ['beatty', 'eevdf', 'stride']), {
      title: 'Max |lag| over time, two tasks, weights 514229 : 317811 (~phi : 1)',
      xLabel: 'time (ticks = quanta)',
      yLabel: 'max |lag| per 250-tick window (ticks)',
      yMin: 0,
    }),
  );
  const five = workloads.find((w) => w.name === 'five-weights');
  const W = five.tasks.reduce((s, t) => s + t.weight, 0);
  const svg = barChart(
    five.tasks.map((t) => `weight ${t.weight}`),
    POLICIES.map((p) => {
      const r = results.get(`five-weights/${p}`);
      const total = r.tasks.reduce((s, t) => s + t.service, 0);
      return { name: p, values: r.tasks.map((t) => t.service / total) };
    }),
    {
      title: 'Service shares, five-weights (20 000 ticks)',
      yLabel: 'share of the CPU',
      xLabel: 'task',
      reference: { name: 'weight / total', values: five.tasks.map((t) => t.weight / W) },
    },
  );
  writeFileSync(join(docs, 'service-shares.svg'), svg);
  console.log(
    'plots written to docs/: lag-skewed-100.svg, lag-churn.svg, lag-two-golden.svg, service-shares.svg',
  );
}
