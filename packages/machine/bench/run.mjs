#!/usr/bin/env node
/**
 * The machine's benchmark (`pnpm --filter @exov6/machine bench`), from guest programs (bench/programs,
 * built static with musl): boot to the shell's prompt, null system calls (getppid), fork + execve + exit +
 * wait, pipe throughput and pipe ping-pong; and the file system on the root disk (the ext2 server in its
 * own environment, reached by IPC) beside the in-memory one: sequential write and read of a 64 MiB file,
 * small-file create + stat + unlink, with the IPC messages per second they cost. Each guest figure is the marginal cost between a short and a
 * long run of the same program in fresh machines (so boot and loading cancel out), the median of three
 * pairs after a discarded warm-up run (so the engine's compiling of the emulator and the library OS is
 * not counted); the first boot and the first hundred fork+execs show what that warm-up costs. Uses the
 * built packages (dist/).
 *
 *   node bench/run.mjs [--quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (pnpm --filter @exov6/machine build)');
  process.exit(2);
}
if (spawnSync('musl-gcc', ['--version'], { stdio: 'ignore' }).error !== undefined) {
  console.error('bench: musl-gcc is missing (apt-get install musl-tools)');
  process.exit(2);
}
const { Machine, makeDiskImage, stageDefaultRoot } = await import(dist);
const { MemoryBlockBackend } = await import('@exov6/hal-x86');
const { bootToPrompt } = await import('./boot-to-prompt.mjs');
const quick = process.argv.includes('--quick');

const build = join(here, '.build');
mkdirSync(build, { recursive: true });
const files = {};
for (const file of readdirSync(join(here, 'programs')).filter((f) => f.endsWith('.c'))) {
  const name = file.slice(0, -2);
  const out = join(build, name);
  const src = join(here, 'programs', file);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('musl-gcc', ['-static', '-O2', '-o', out, src]);
  }
  files[`/bin/${name}`] = new Uint8Array(readFileSync(out));
}

/** Wall ms of one run of `argv` in a fresh machine (boot excluded), checking it succeeded. */
function timedRun(argv) {
  const machine = new Machine({ memoryMiB: 256, files });
  const t0 = performance.now();
  const r = machine.run(argv);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** The default root with the bench programs, as an ext2 image in memory (160 MiB, 4 KiB blocks). */
function benchDiskImage() {
  const stage = mkdtempSync(join(tmpdir(), 'exov6-bench-root-'));
  try {
    stageDefaultRoot(stage, { files });
    return makeDiskImage(stage, null, { sizeMiB: 160, blockSize: 4096, owner: { uid: 0, gid: 0 } }).image;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
const diskImage = benchDiskImage();

/** Wall ms and requests to the file-system server of one run on a fresh copy of the bench disk. */
function diskRun(argv) {
  const machine = new Machine({ memoryMiB: 256, disk: new MemoryBlockBackend(diskImage.slice()) });
  const before = machine.rootDisk.remote.stats.requests;
  const t0 = performance.now();
  const r = machine.run(argv);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} on the disk exited ${r.status}: ${r.stderr}`);
  return { ms, requests: machine.rootDisk.remote.stats.requests - before };
}

/**
 * Marginal cost of the work between the runs `small` and `large` (argv each), median of three pairs after
 * one discarded `large`: wall ms, and server requests (0 in memory).
 */
function marginalRun(run, small, large) {
  run(large);
  const pairs = [];
  for (let k = 0; k < 3; k++) {
    const a = run(small);
    const b = run(large);
    pairs.push({ ms: b.ms - a.ms, requests: b.requests - a.requests });
  }
  pairs.sort((x, y) => x.ms - y.ms);
  return pairs[1];
}

const memoryRun = (argv) => ({ ms: timedRun(argv), requests: 0 });

/**
 * Marginal wall ms per unit between `small` and `large` units, median of three pairs, after one discarded
 * run of `large` units: the steady state, once the engine has compiled the emulator's and the library
 * OS's paths for this work (the first run of a fresh process pays for that; see `cold`).
 */
function marginal(program, small, large) {
  timedRun([`/bin/${program}`, String(large)]);
  const costs = [];
  for (let k = 0; k < 3; k++) {
    const a = timedRun([`/bin/${program}`, String(small)]);
    const b = timedRun([`/bin/${program}`, String(large)]);
    costs.push((b - a) / (large - small));
  }
  costs.sort((x, y) => x - y);
  return costs[1];
}

const scale = quick ? 0.2 : 1;
// A first boot in a fresh process is the one the command line gives: the engine compiles the emulator
// and the library OS as they go (median of three processes). Later boots show the machine's own cost.
const firstBoots = [0, 1, 2].map(() => {
  const r = spawnSync(process.execPath, [join(here, 'boot-to-prompt.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`boot-to-prompt.mjs failed: ${r.stderr}`);
  return Number(r.stdout.trim());
});
firstBoots.sort((a, b) => a - b);
const firstBoot = firstBoots[1];
const boots = [];
for (let k = 0; k < 4; k++) boots.push(await bootToPrompt(Machine));
boots.shift(); // this process's first
boots.sort((a, b) => a - b);
// Before any warm-up of its own: the first hundred fork+execs in a fresh machine (per round, their run
// less that of 2 rounds), compiled code for most of the library OS's paths already there from the boots.
const coldForkMs = (timedRun(['/bin/forkexec', '102']) - timedRun(['/bin/forkexec', '2'])) / 100;
const nullMs = marginal('nullcall', 1000, 1000 + Math.round(200000 * scale));
const forkMs = marginal('forkexec', 100, 100 + Math.round(2000 * scale));
const pipeMsPerMiB = marginal('pipe', 1, 1 + Math.round(16 * scale));
const pingMs = marginal('pingpong', 100, 100 + Math.round(5000 * scale));

// The file system: 64 MiB more written (then read) between the short and the long run, and 10 000 more
// rounds of small-file operations, on the disk and in memory.
const fsMiB = Math.round(64 * scale);
const fsRounds = Math.round(10000 * scale);
const fsRows = [];
for (const [where, run] of [
  ['root disk (ext2 server)', diskRun],
  ['in memory', memoryRun],
]) {
  const write = marginalRun(run, ['/bin/seqio', '8'], ['/bin/seqio', String(8 + fsMiB)]);
  const readBoth = marginalRun(run, ['/bin/seqio', String(8 + fsMiB)], ['/bin/seqio', String(8 + fsMiB), 'read']);
  // (The short run is long enough that the engine has compiled the guest's and the library OS's paths.)
  const small = marginalRun(run, ['/bin/smallfiles', '2000'], ['/bin/smallfiles', String(2000 + fsRounds)]);
  const perSecond = (n, ms) => Math.round((n * 1000) / ms).toLocaleString('en');
  const mbs = (ms, mib) => `${((mib * 1048576) / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  const ipc = (m) => (m.requests === 0 ? '' : `, ${perSecond(m.requests, m.ms)} IPC messages/s`);
  fsRows.push(
    {
      measure: `sequential write, ${fsMiB} MiB, ${where}`,
      value: `${mbs(write.ms, fsMiB)}${ipc(write)}`,
      target: run === diskRun ? '>= 100 MB/s' : '',
      met: run === diskRun ? (fsMiB * 1048576) / 1e6 / (write.ms / 1000) >= 100 : null,
    },
    {
      measure: `sequential read, ${8 + fsMiB} MiB, ${where}`,
      value: `${mbs(readBoth.ms, 8 + fsMiB)}${ipc(readBoth)}`,
      target: run === diskRun ? '>= 100 MB/s' : '',
      met: run === diskRun ? ((8 + fsMiB) * 1048576) / 1e6 / (readBoth.ms / 1000) >= 100 : null,
    },
    {
      measure: `small files: create + stat + unlink, ${where}`,
      value: `${perSecond(3 * fsRounds, small.ms)} operations/s${ipc(small)}`,
      target: run === diskRun ? '>= 20,000 /s' : '',
      met: run === diskRun ? (3 * fsRounds * 1000) / small.ms >= 20000 : null,
    },
  );
}

const rows = [
  {
    measure: 'boot to the shell prompt, first in a process',
    value: `${firstBoot.toFixed(0)} ms`,
    target: '<= 300 ms',
    met: firstBoot <= 300,
  },
  {
    measure: 'boot to the shell prompt, later boots',
    value: `${boots[1].toFixed(0)} ms`,
    target: '<= 300 ms',
    met: boots[1] <= 300,
  },
  {
    measure: 'null system calls (getppid)',
    value: `${Math.round(1000 / nullMs).toLocaleString('en')} /s`,
    target: '>= 2,000,000 /s',
    met: 1000 / nullMs >= 2e6,
  },
  {
    measure: 'fork + execve + exit + wait',
    value: `${forkMs.toFixed(3)} ms`,
    target: '<= 1 ms',
    met: forkMs <= 1,
  },
  {
    measure: 'fork + execve + exit + wait, first 100',
    value: `${coldForkMs.toFixed(3)} ms`,
    target: '',
    met: null,
  },
  { measure: 'pipe throughput', value: `${(1000 / pipeMsPerMiB).toFixed(1)} MiB/s`, target: '', met: null },
  {
    measure: 'pipe ping-pong',
    value: `${Math.round(1000 / pingMs).toLocaleString('en')} round trips/s`,
    target: '',
    met: null,
  },
  ...fsRows,
];
console.log(
  `machine benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load ${loadavg()[0].toFixed(1)}${quick ? ' (quick)' : ''}`,
);
console.table(rows.map((r) => ({ ...r, met: r.met === null ? '' : r.met ? 'yes' : 'NO' })));
