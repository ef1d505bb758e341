#!/usr/bin/env node
/**
 * CPU benchmark: runs CPU-bound static programs (bench/programs/*.c, built with musl-gcc -static -O2)
 * natively, under qemu-x86_64 (Debian's qemu-user) and on the simulated CPU, side by side in one run, and
 * prints guest MIPS (retired guest instructions per wall-clock second) with block compilation on (the
 * default) and off (the interpreter alone), and the wall-time ratio against qemu. "MIPS, 2nd half" is the
 * rate over the second half of the compiled run's wall time, once warm-up (decoding, interpretation until
 * blocks are hot, and the JavaScript engine optimising each compiled block) is mostly over. Uses the built package (dist/), so run `pnpm --filter @exov6/hal-x86 build` first (turbo does).
 *
 *   node bench/run.mjs [--only NAME] [--repeat N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build the package first (pnpm --filter @exov6/hal-x86 build)');
  process.exit(2);
}
const { runStaticElf, LinuxProcess } = await import(dist);

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 3;

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
if (!have('musl-gcc')) {
  console.error('bench: musl-gcc is missing (apt-get install musl-tools, or run `npm test` once for the set-up)');
  process.exit(2);
}
const qemu = have('qemu-x86_64') ? 'qemu-x86_64' : null;

const buildDir = join(here, '.build');
mkdirSync(buildDir, { recursive: true });
const programs = readdirSync(join(here, 'programs'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2))
  .filter((n) => !only || n === only);

function build(name) {
  const src = join(here, 'programs', `${name}.c`);
  const out = join(buildDir, name);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('musl-gcc', ['-static', '-O2', '-o', out, src]);
  }
  return out;
}

/**
 * One compiled run, sampling the retired-instruction count after each `run` slice of the CPU, so the
 * rate over the second half of the wall time can be reported besides the overall one.
 */
function timedEmulatorRun(elf, name) {
  const guest = new LinuxProcess(elf, { argv: [name], env: [] });
  const cpu = guest.cpu;
  const samples = [];
  const run = cpu.run.bind(cpu);
  cpu.run = (budget) => {
    const exit = run(budget);
    samples.push([performance.now(), cpu.instret]);
    return exit;
  };
  const t0 = performance.now();
  const result = guest.run();
  const t1 = performance.now();
  const middle = (t0 + t1) / 2;
  const half = samples.find(([t]) => t >= middle) ?? [t0, 0];
  const secondHalfMips = (result.instructions - half[1]) / (t1 - half[0]) / 1000;
  return { seconds: (t1 - t0) / 1000, result, secondHalfMips };
}

/** Median wall time in seconds of `runs` executions of `fn`. */
function timeIt(runs, fn) {
  const times = [];
  let last;
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    last = fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)], result: last };
}

const rows = [];
for (const name of programs) {
  const path = build(name);
  const elf = new Uint8Array(readFileSync(path));
  const native = timeIt(repeat, () => spawnSync(path, [], { encoding: 'buffer' }));
  const nativeOut = native.result.stdout.toString();
  const emu = timedEmulatorRun(elf, name);
  const emuOut = Buffer.from(emu.result.stdout).toString();
  // The same run with block compilation off: the interpreter alone (the reference tier).
  process.env.EXOV6_JIT = '0';
  const interp = timeIt(1, () => runStaticElf(elf, { argv: [name], env: [] }));
  delete process.env.EXOV6_JIT;
  let qemuSeconds = null;
  if (qemu) qemuSeconds = timeIt(repeat, () => spawnSync(qemu, [path], { encoding: 'buffer' })).seconds;
  const instructions = emu.result.instructions;
  rows.push({
    program: name,
    'guest Minstr': (instructions / 1e6).toFixed(1),
    'emulator s': emu.seconds.toFixed(3),
    MIPS: (instructions / emu.seconds / 1e6).toFixed(1),
    'MIPS, 2nd half': emu.secondHalfMips.toFixed(1),
    'interpreter MIPS': (interp.result.instructions / interp.seconds / 1e6).toFixed(1),
    'qemu s': qemuSeconds === null ? 'n/a' : qemuSeconds.toFixed(3),
    'emulator/qemu': qemuSeconds === null ? 'n/a' : `${(emu.seconds / qemuSeconds).toFixed(1)}x`,
    'native s': native.seconds.toFixed(3),
    'output matches': emuOut === nativeOut && emu.result.exitCode === native.result.status ? 'yes' : 'NO',
  });
  if (emu.result.fault) console.error(`${name}: ${emu.result.fault}`);
}

const { cpus, loadavg } = await import('node:os');
console.log(
  `hal-x86 CPU benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ` +
    `${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg()[0].toFixed(1)}`,
);
console.table(rows);
const total = rows.reduce(
  (acc, r) => {
    acc.instr += Number(r['guest Minstr']);
    acc.sec += Number(r['emulator s']);
    return acc;
  },
  { instr: 0, sec: 0 },
);
console.log(`overall: ${(total.instr / total.sec).toFixed(1)} MIPS over ${total.instr.toFixed(1)} M guest instructions`);
