/**
 * Runs a static x86-64 ELF either natively (the oracle) or under the
 * emulator, with the same argv, environment and stdin, and returns
 * comparable results.
 *
 *  - runNative(elfPath, argv, stdin): the host CPU via child_process.
 *  - runEmulated(elfPath, argv, stdin): the simulated CPU through the x86run
 *    programmatic API `runStaticElf` from src/x86run/run.ts.  With
 *    X86RUN_ORACLE=qemu it runs the program under qemu-x86_64 instead, which
 *    is how the harness and the corpus themselves are checked.
 *
 * argv always includes argv[0].
 *
 * Environment variables:
 *   X86RUN_ORACLE=qemu          use qemu-x86_64 instead of the emulator
 *   X86RUN_MAX_INSTRUCTIONS=n   instruction budget per emulated run
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { runUnderQemu } from './qemu-oracle';

/** Minimal, identical environment for native and emulated runs. */
export const TEST_ENV: readonly string[] = ['PATH=/bin', 'HOME=/', 'EXOV6=1'];

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status; a native death by signal N is reported as 128 + N. */
  status: number;
  /** Signal name if the native process was killed by a signal. */
  signal?: string;
  /** Instructions retired (emulator only). */
  instructions?: number;
  /** Emulator fault description, if the guest faulted. */
  fault?: string;
}

export interface RunOptions {
  env?: readonly string[];
  /** Emulated runs only. */
  maxInstructions?: number;
  /** Native/qemu runs only: wall-clock limit. */
  timeoutMs?: number;
}

/** The signature the x86run authors provide in src/x86run/run.ts. */
export interface StaticElfRunOptions {
  argv: string[];
  env?: string[];
  stdin?: Uint8Array;
  maxInstructions?: number;
}
export interface StaticElfRunResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  instructions: number;
  fault?: string;
}
export type RunStaticElf = (elf: Uint8Array, options: StaticElfRunOptions) => StaticElfRunResult;

export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000_000;

export function oracle(): 'emulator' | 'qemu' {
  const o = (process.env.X86RUN_ORACLE ?? '').toLowerCase();
  if (o === 'qemu') return 'qemu';
  if (o && o !== 'emulator') throw new Error(`X86RUN_ORACLE=${o}: expected "qemu" or unset`);
  return 'emulator';
}

export function envObject(env: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`bad environment entry ${JSON.stringify(kv)}`);
    o[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return o;
}

export function isEpipe(e: Error): boolean {
  return (e as NodeJS.ErrnoException).code === 'EPIPE';
}

function statusOf(status: number | null, signal: NodeJS.Signals | null): { status: number; signal?: string } {
  if (status !== null) return { status };
  if (signal) return { status: 128 + (constants.signals[signal] ?? 0), signal };
  return { status: -1 };
}

/** Runs the program on the host CPU. */
export function runNative(
  elfPath: string,
  argv: readonly string[],
  stdin?: Uint8Array,
  opts: RunOptions = {},
): RunResult {
  if (argv.length === 0) throw new Error('argv must contain at least argv[0]');
  const r = spawnSync(elfPath, argv.slice(1), {
    argv0: argv[0],
    env: envObject(opts.env ?? TEST_ENV),
    input: stdin ?? new Uint8Array(0),
    maxBuffer: 512 << 20,
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  // EPIPE only means the program exited without reading all of its stdin,
  // which is legitimate (e.g. `head`); the emulator sees the same bytes.
  if (r.error && !(isEpipe(r.error) && (r.status !== null || r.signal !== null))) {
    throw new Error(`running ${elfPath} natively failed: ${r.error.message}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, ...statusOf(r.status, r.signal) };
}

let runStaticElfPromise: Promise<RunStaticElf> | undefined;

/** Loads runStaticElf from src/x86run/run (lazily, so the harness loads even before it exists). */
export function loadRunStaticElf(): Promise<RunStaticElf> {
  runStaticElfPromise ??= (async () => {
    // The specifier is kept in a variable so that bundlers/vite do not try to
    // resolve it while the module is still being written.
    const spec = '../../src/x86run/run';
    let mod: { runStaticElf?: RunStaticElf };
    try {
      mod = (await import(/* @vite-ignore */ spec)) as { runStaticElf?: RunStaticElf };
    } catch (e) {
      throw new Error(
        `could not load the emulator API (packages/hal-x86/src/x86run/run.ts): ${(e as Error).message}\n` +
          'Set X86RUN_ORACLE=qemu to check the harness against qemu-x86_64 instead.',
      );
    }
    if (typeof mod.runStaticElf !== 'function') {
      throw new Error('src/x86run/run does not export a function runStaticElf(elf, options)');
    }
    return mod.runStaticElf;
  })();
  return runStaticElfPromise;
}

/** Runs the program under the emulator (or qemu when X86RUN_ORACLE=qemu). */
export async function runEmulated(
  elfPath: string,
  argv: readonly string[],
  stdin?: Uint8Array,
  opts: RunOptions = {},
): Promise<RunResult> {
  const env = opts.env ?? TEST_ENV;
  if (oracle() === 'qemu') return runUnderQemu(elfPath, argv, stdin, env, opts.timeoutMs);
  const runStaticElf = await loadRunStaticElf();
  // The emulator runs synchronously for seconds; let the event loop turn first, so the test runner's
  // messages between tests are answered rather than piling up behind a run of synchronous tests.
  await new Promise((resolve) => setImmediate(resolve));
  const maxInstructions =
    opts.maxInstructions ?? (Number(process.env.X86RUN_MAX_INSTRUCTIONS) || DEFAULT_MAX_INSTRUCTIONS);
  const r = runStaticElf(new Uint8Array(readFileSync(elfPath)), {
    argv: [...argv],
    env: [...env],
    stdin: stdin ?? new Uint8Array(0),
    maxInstructions,
  });
  return {
    stdout: Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength),
    stderr: Buffer.from(r.stderr.buffer, r.stderr.byteOffset, r.stderr.byteLength),
    status: r.exitCode,
    instructions: r.instructions,
    fault: r.fault,
  };
}
