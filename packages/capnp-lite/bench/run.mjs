#!/usr/bin/env node
/**
 * Serialisation benchmark: capnp-lite (the built package, dist/) against capnp-es, capnp-ts and JSON, in
 * one run, on one schema (schemas/bench.capnp, an order record with a list of 20-60 line items) and the
 * same 16 records generated from a fixed seed (data.mjs). Two workloads per library:
 *
 *   build  build the message from the plain record and produce the framed bytes (segment table +
 *          segments, what goes on the wire; for JSON, stringify + TextEncoder);
 *   read   open the message from those bytes and read every field (numbers summed, text lengths and list
 *          elements touched), giving a checksum. Every Cap'n Proto library reads the same bytes (the ones
 *          capnp-lite built); JSON reads its own.
 *
 * Code is generated at run time with each library's plugin into bench/.build (codegen.mjs). Before timing,
 * each library is checked: what it built decodes in capnp-lite to the original records, and `capnp convert`
 * prints it exactly as it prints capnp-lite's message; its reader gives the reference checksum for every
 * record. A library that cannot be set up or fails a check is reported as unavailable, with the reason.
 *
 * Timing: each case (library x workload) is warmed up and calibrated to batches of about --batch-ms; then
 * the cases run round-robin, one batch each per round (the starting case rotates), for --rounds rounds,
 * timed with process.hrtime.bigint. Reported: the median over the rounds of messages/s, and MB/s (10^6
 * bytes) of the message bytes produced or consumed; "spread" is (max - min) / median over the rounds.
 *
 *   node bench/run.mjs [--quick] [--only capnp-lite,capnp-es,capnp-ts,json] [--workload build|read]
 *                      [--rounds N] [--batch-ms MS]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { failure, generateEs, generateLite, generateTs, SCHEMA } from './codegen.mjs';
import { canonical, foldRecord, makeRecords } from './data.mjs';
import { capnpEs } from './workloads-capnp-es.mjs';
import { capnpLite } from './workloads-capnp-lite.mjs';
import { capnpTs } from './workloads-capnp-ts.mjs';
import { json } from './workloads-json.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const dist = join(here, '..', 'dist');

// --- options --------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
if (args.includes('--help')) {
  console.log(
    'usage: node bench/run.mjs [--quick] [--only capnp-lite,capnp-es,capnp-ts,json] [--workload build|read]' +
      ' [--rounds N] [--batch-ms MS]',
  );
  process.exit(0);
}
const quick = args.includes('--quick');
const rounds = Number(option('--rounds', quick ? 5 : 15));
const batchMs = Number(option('--batch-ms', quick ? 60 : 250));
const warmupMs = quick ? 150 : 500;
const only = option('--only', null)?.toLowerCase().split(',');
const workloads = option('--workload', 'build,read').split(',');

if (!existsSync(join(dist, 'index.js')) || !existsSync(join(dist, 'bin', 'capnpc-lite.js'))) {
  console.error('bench: dist/ is missing; build the package first (pnpm --filter @exov6/capnp-lite build)');
  process.exit(2);
}
if (spawnSync('capnp', ['--version']).status !== 0) {
  console.error("bench: the Cap'n Proto tool `capnp` is missing (apt-get install capnproto)");
  process.exit(2);
}

// --- libraries ------------------------------------------------------------------------------------------
const records = makeRecords();
const expected = records.map(foldRecord);

// capnp-lite is always set up: it decodes the other libraries' output and builds the bytes they all read.
let lite;
let liteBytes;
try {
  lite = capnpLite(await import(pathToFileURL(join(dist, 'index.js')).href), await generateLite(dist));
  liteBytes = records.map(lite.build);
} catch (e) {
  console.error(`bench: capnp-lite could not be set up: ${failure(e)}`);
  process.exit(1);
}

const candidates = [
  { name: 'capnp-lite', capnp: true, load: async () => lite },
  { name: 'capnp-es', capnp: true, load: async () => capnpEs(await import('capnp-es'), await generateEs()) },
  { name: 'capnp-ts', capnp: true, load: async () => capnpTs(require('capnp-ts'), await generateTs()) },
  { name: 'JSON', capnp: false, load: async () => json() },
];
const libraries = candidates.filter((c) => !only || only.includes(c.name.toLowerCase()));

/** What `capnp convert` prints for a stream of messages (one line each). */
function capnpText(messages) {
  const r = spawnSync('capnp', ['convert', 'binary:text', '--short', SCHEMA, 'Order'], {
    cwd: join(here, 'schemas'),
    input: Buffer.concat(messages),
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`capnp convert failed: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}
const liteText = capnpText(liteBytes);

/** Loads a library and checks it against capnp-lite and the reference tool; throws with the reason. */
async function setUp(library) {
  const impl = await library.load();
  const built = records.map(impl.build);
  const inputs = (library.capnp ? liteBytes : built).map(impl.input);
  records.forEach((record, i) => {
    if (library.capnp && canonical(lite.decode(built[i])) !== canonical(record)) {
      throw new Error(`record ${i}: its message decodes in capnp-lite to different values`);
    }
    const sum = impl.read(inputs[i]);
    if (sum !== expected[i]) {
      throw new Error(`record ${i}: read-all-fields sum ${sum}, expected ${expected[i]}`);
    }
  });
  if (library.capnp && capnpText(built) !== liteText) {
    throw new Error("`capnp convert` prints its messages differently from capnp-lite's");
  }
  const average = (list) => list.reduce((n, b) => n + b.length, 0) / list.length;
  return { impl, inputs, builtBytes: average(built), readBytes: average(library.capnp ? liteBytes : built) };
}

for (const library of libraries) {
  try {
    Object.assign(library, await setUp(library));
  } catch (e) {
    library.error = failure(e);
  }
}

// --- timing ---------------------------------------------------------------------------------------------
let sink = 0;

/** Seconds taken by `iterations` calls of `fn` (message i of the batch is record i mod 16). */
function batch(fn, iterations) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const cases = [];
for (const library of libraries.filter((l) => !l.error)) {
  const { impl, inputs } = library;
  const n = records.length;
  if (workloads.includes('build')) {
    cases.push({ library, workload: 'build', fn: (i) => impl.build(records[i % n]).length, rates: [] });
  }
  if (workloads.includes('read')) {
    cases.push({ library, workload: 'read', fn: (i) => impl.read(inputs[i % n]), rates: [] });
  }
}

// Warm-up and calibration: double the batch until it takes a measurable time and the warm-up time is over.
for (const c of cases) {
  const end = performance.now() + warmupMs;
  let iterations = 16;
  let seconds = batch(c.fn, iterations);
  while (seconds < batchMs / 8000 || performance.now() < end) {
    if (seconds < batchMs / 8000) iterations *= 2;
    seconds = batch(c.fn, iterations);
  }
  c.iterations = Math.max(1, Math.round((iterations * batchMs) / 1000 / seconds));
}

for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(k + round) % cases.length];
    c.rates.push(c.iterations / batch(c.fn, c.iterations));
  }
}

// --- report ---------------------------------------------------------------------------------------------
function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const rateOf = (library, workload) => {
  const c = cases.find((x) => x.library === library && x.workload === workload);
  return c ? median(c.rates) : null;
};
const spreadOf = (library, workload) => {
  const c = cases.find((x) => x.library === library && x.workload === workload);
  return c ? `${(((Math.max(...c.rates) - Math.min(...c.rates)) / median(c.rates)) * 100).toFixed(0)}%` : '-';
};
const int = (x) => (x === null ? '-' : Math.round(x).toLocaleString('en-US'));
const mbs = (rate, bytes) => (rate === null ? '-' : ((rate * bytes) / 1e6).toFixed(1));

const rows = libraries.map((l) => {
  if (l.error) return { library: l.name, 'build msg/s': 'unavailable (see below)' };
  const build = rateOf(l, 'build');
  const read = rateOf(l, 'read');
  return {
    library: l.name,
    'build msg/s': int(build),
    'build MB/s': mbs(build, l.builtBytes),
    'read msg/s': int(read),
    'read MB/s': mbs(read, l.readBytes),
    'bytes/msg built': Math.round(l.builtBytes),
    'bytes/msg read': Math.round(l.readBytes),
    'spread build/read': `${spreadOf(l, 'build')} / ${spreadOf(l, 'read')}`,
  };
});

const sizes = liteBytes.map((b) => b.length);
console.log(
  `capnp-lite serialisation benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ` +
    `${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg()[0].toFixed(1)}`,
);
console.log(
  `${records.length} Order records (${Math.min(...records.map((r) => r.items.length))}-` +
    `${Math.max(...records.map((r) => r.items.length))} line items; capnp-lite messages ${Math.min(...sizes)}-` +
    `${Math.max(...sizes)} bytes); median of ${rounds} round-robin batches of ~${batchMs} ms per case` +
    `${quick ? ' (--quick)' : ''}`,
);
console.table(rows);
for (const l of libraries.filter((x) => x.error)) console.log(`${l.name}: unavailable: ${l.error}`);

const liteLib = libraries.find((l) => l.name === 'capnp-lite' && !l.error);
const rivals = libraries.filter((l) => (l.name === 'capnp-es' || l.name === 'capnp-ts') && !l.error);
if (liteLib && rivals.length > 0) {
  const verdicts = [];
  for (const workload of workloads) {
    const mine = rateOf(liteLib, workload);
    const best = rivals
      .map((l) => ({ name: l.name, rate: rateOf(l, workload) }))
      .reduce((a, b) => (b.rate > a.rate ? b : a));
    if (mine === null || best.rate === null) continue;
    const ratio = mine / best.rate;
    verdicts.push(
      `${workload} ${ratio.toFixed(2)}x (vs ${best.name}${ratio >= 2 ? ', >= 2x' : ', below 2x'})`,
    );
  }
  console.log(`capnp-lite / faster of ${rivals.map((l) => l.name).join(', ')}: ${verdicts.join('; ')}`);
}
if (sink === 42) console.log(''); // keeps the results observable, so no work is optimised away
