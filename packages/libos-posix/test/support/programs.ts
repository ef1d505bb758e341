/**
 * Test support: the C programs under test/programs, built with musl-gcc -static (cached by modification
 * time), run natively on the host and inside the library OS, so a test can compare the two.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Exokernel } from '@exov6/exokernel';
import { SIG } from '@exov6/hal-x86';
import { HostStdio, PosixSystem, type PosixSystemOptions } from '../../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const programs = join(here, '..', 'programs');
const buildDir = join(here, '..', '.build');

export const haveMusl =
  process.arch === 'x64' && spawnSync('musl-gcc', ['--version'], { stdio: 'ignore' }).error === undefined;

/** Programs that need more than the usual flags to build. */
const EXTRA_FLAGS: Record<string, string[]> = { entry: ['-Wl,-e,entry_check'] };

/** test/programs/NAME.c built static with musl: the executable's path. */
export function buildProgram(name: string): string {
  mkdirSync(buildDir, { recursive: true });
  const src = join(programs, `${name}.c`);
  const out = join(buildDir, name);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('musl-gcc', ['-static', '-O2', '-Wall', ...(EXTRA_FLAGS[name] ?? []), '-o', out, src]);
  }
  return out;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, or 128 + signal when a signal ended it (as a shell reports it). */
  status: number;
}

/** Runs a program natively in a fresh temporary directory. */
export function runNative(path: string, args: string[] = [], stdin = ''): RunResult {
  const cwd = mkdtempSync(join(tmpdir(), 'exov6-native-'));
  try {
    const r = spawnSync(path, args, { cwd, input: stdin, encoding: 'utf8', env: {} });
    const status = r.status ?? 128 + (r.signal === null ? 0 : osSignal(r.signal));
    return { stdout: r.stdout, stderr: r.stderr, status };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function osSignal(name: string): number {
  return (SIG as Record<string, number>)[name] ?? 0;
}

export interface BootedSystem {
  kernel: Exokernel;
  system: PosixSystem;
}

/**
 * A kernel with a library OS holding most of its memory and, unless `withTimer` is false, the PC's devices
 * with the library OS's timer on the exokernel's timer capability (virtual time), as the machine has it:
 * sleeps and timeouts wait while other processes run.
 */
export function bootSystem(
  options: PosixSystemOptions & { memoryMiB?: number; withTimer?: boolean } = {},
): BootedSystem {
  const memoryBytes = (options.memoryMiB ?? 64) << 20;
  const withTimer = options.withTimer ?? true;
  const kernel = new Exokernel({
    memoryBytes,
    platform: withTimer ? { clockMode: 'virtual', serial: { input: null, output: null } } : undefined,
  });
  const os = kernel.bind(kernel.createRootEnvironment({ quota: memoryBytes / 4096 - 64 }));
  const devices = withTimer ? os.bootCapabilities() : null;
  if (devices === null) return { kernel, system: new PosixSystem(os, options) };
  const system = new PosixSystem(os, {
    clock: () => os.clockNow(devices.timer),
    timer: {
      set: (deadline) => os.timerSet(devices.timer, deadline),
      cancel: () => os.timerCancel(devices.timer),
    },
    ...options,
  });
  os.setUpcalls({ timer: () => system.timerFired() });
  return { kernel, system };
}

/**
 * Runs the executable at host path `path` inside a fresh system, installed as /bin/NAME, with /tmp/work
 * as its working directory; returns its output and status once every process has ended.
 */
export function runInLibOs(
  path: string,
  args: string[] = [],
  stdin = '',
  booted = bootSystem(),
  maxInstructions = 2_000_000_000,
): RunResult & BootedSystem {
  const name = path.slice(path.lastIndexOf('/') + 1);
  booted.system.fs.writeFile(`/bin/${name}`, new Uint8Array(readFileSync(path)), 0o755);
  return { ...runCommand(booted, [`/bin/${name}`, ...args], { stdin, maxInstructions }), ...booted };
}

export interface CommandOptions {
  stdin?: string;
  env?: string[];
  cwd?: string;
  maxInstructions?: number;
}

/** Runs argv[0] (a path in the system's file system) until every process has ended. */
export function runCommand(booted: BootedSystem, argv: string[], options: CommandOptions = {}): RunResult {
  const { kernel, system } = booted;
  const cwd = options.cwd ?? '/tmp/work';
  system.fs.mkdirs(cwd);
  const stdio = new HostStdio();
  stdio.input.push(options.stdin ?? '');
  stdio.input.end();
  const name = argv[0] as string;
  const proc = system.spawn(name, {
    argv: [name.slice(name.lastIndexOf('/') + 1), ...argv.slice(1)],
    cwd,
    env: options.env ?? [],
    stdio: stdio.files,
  });
  const summary = kernel.run({ maxInstructions: options.maxInstructions ?? 2_000_000_000 });
  if (summary.reason !== 'idle') throw new Error(`the run did not finish: ${summary.reason}`);
  if (proc.state !== 'zombie') {
    throw new Error(
      `process ${proc.pid} did not end (blocked: ${proc.blocked}); env ${JSON.stringify(system.os.envStatus(proc.envCap))}`,
    );
  }
  const w = proc.waitStatus;
  const status = (w & 0x7f) === 0 ? (w >> 8) & 0xff : 128 + (w & 0x7f);
  return { stdout: stdio.stdout, stderr: stdio.stderr, status };
}
