/**
 * x86run: runs a static Linux x86-64 executable on the simulated CPU.
 *
 *   x86run [options] ELF [ARGS...]
 *
 * The guest gets argv = [ELF, ARGS...], the host environment (adjustable with --env/--clear-env), this
 * process's stdin (read only when the guest reads) and stdout/stderr (written as the guest writes).
 * x86run exits with the guest's exit status; a guest killed by a signal gives 128 + the signal number
 * and a one-line report on stderr. A file that cannot be run gives `x86run: FILE: reason` and status 2.
 */
import { readFileSync, readSync, writeSync } from 'node:fs';
import { ElfError } from '../elf/elf';
import { runStaticElf } from '../x86run/run';

const USAGE = `usage: x86run [options] ELF [ARGS...]

Runs a statically linked Linux x86-64 executable (musl or glibc, -static or -static-pie)
on the ExoV6 simulated CPU.

options:
  --max-instructions N   stop the program after N instructions (it ends as if by SIGXCPU, status 152)
  --memory MiB           guest physical memory in MiB (default 512)
  --seed N               seed for AT_RANDOM and getrandom() (default 0)
  --strace               print every system call to stderr
  --trace                print every executed instruction to stderr (slow)
  --env NAME=VALUE       add or replace an environment variable (repeatable)
  --clear-env            start from an empty environment instead of this process's
  -h, --help             show this help
`;

interface CliOptions {
  maxInstructions?: number;
  memoryMiB?: number;
  seed?: number;
  strace: boolean;
  trace: boolean;
  env: Map<string, string>;
  clearEnv: boolean;
  file: string;
  args: string[];
}

class UsageError extends Error {}

function parseNumber(flag: string, value: string | undefined, min: number): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: invalid number '${value}'`);
  return n;
}

function parseArgs(argv: string[]): CliOptions | 'help' {
  const o: CliOptions = { strace: false, trace: false, env: new Map(), clearEnv: false, file: '', args: [] };
  let k = 0;
  for (; k < argv.length; k++) {
    const arg = argv[k] as string;
    if (arg === '--') {
      k++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++k];
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--max-instructions':
        o.maxInstructions = parseNumber(flag, value(), 0);
        break;
      case '--memory':
        o.memoryMiB = parseNumber(flag, value(), 4);
        if (o.memoryMiB > 4096) throw new UsageError('--memory: at most 4096 MiB');
        break;
      case '--seed':
        o.seed = parseNumber(flag, value(), 0);
        break;
      case '--strace':
        o.strace = true;
        break;
      case '--trace':
        o.trace = true;
        break;
      case '--clear-env':
        o.clearEnv = true;
        break;
      case '--env': {
        const kv = value();
        if (kv === undefined || !kv.includes('=')) throw new UsageError('--env needs NAME=VALUE');
        o.env.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (k >= argv.length) throw new UsageError('missing ELF file');
  o.file = argv[k] as string;
  o.args = argv.slice(k + 1);
  return o;
}

/** Blocking write of all of `data` to a file descriptor (retrying when the descriptor is non-blocking). */
function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      return; // EPIPE and friends: the reader is gone; drop the output as a closed pipe would
    }
  }
}

/** Reads up to `max` bytes of real stdin, blocking; an empty result means end of file. */
function readStdin(max: number): Uint8Array {
  const buf = Buffer.alloc(Math.min(max, 1 << 20));
  for (;;) {
    try {
      const n = readSync(0, buf, 0, buf.length, null);
      return new Uint8Array(buf.buffer, buf.byteOffset, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      return new Uint8Array(0); // EOF (Windows) or a closed descriptor
    }
  }
}

function main(argv: string[]): number {
  let o: CliOptions | 'help';
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`x86run: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(o.file);
  } catch (e) {
    process.stderr.write(`x86run: ${o.file}: ${(e as Error).message}\n`);
    return 2;
  }

  const env = new Map<string, string>();
  if (!o.clearEnv) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const [k, v] of o.env) env.set(k, v);

  const log = (line: string) => writeAll(2, Buffer.from(`${line}\n`));
  try {
    const result = runStaticElf(bytes, {
      argv: [o.file, ...o.args],
      env: [...env].map(([k, v]) => `${k}=${v}`),
      stdin: readStdin,
      stdout: (b) => writeAll(1, b),
      stderr: (b) => writeAll(2, b),
      collectOutput: false,
      maxInstructions: o.maxInstructions,
      memoryBytes: o.memoryMiB === undefined ? undefined : o.memoryMiB * 1024 * 1024,
      seed: o.seed,
      trace: o.trace,
      strace: o.strace ? log : undefined,
      traceLog: o.trace ? log : undefined,
    });
    if (result.fault !== undefined) log(`x86run: ${o.file}: ${result.fault}`);
    return result.exitCode;
  } catch (e) {
    if (e instanceof ElfError || e instanceof TypeError || e instanceof RangeError) {
      process.stderr.write(`x86run: ${o.file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
