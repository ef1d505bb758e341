/**
 * Stand-in for the emulator, selected with X86RUN_ORACLE=qemu: runs the
 * program under qemu-user.  It exists to check the harness and the corpus
 * (determinism, argv/env/stdin plumbing) independently of the emulator.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { SETUP_COMMAND } from './paths';
import type { RunResult } from './run';

export const QEMU = process.env.QEMU_X86_64 || 'qemu-x86_64';

export function runUnderQemu(
  elfPath: string,
  argv: readonly string[],
  stdin: Uint8Array | undefined,
  env: readonly string[],
  timeoutMs = 120_000,
): RunResult {
  // qemu-user hands its own environment to the guest, but in reverse order
  // (its envlist prepends); reverse here so the guest sees `env` in order.
  const envObj: Record<string, string> = {};
  for (const kv of [...env].reverse()) {
    const i = kv.indexOf('=');
    envObj[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const r = spawnSync(QEMU, ['-0', argv[0], elfPath, ...argv.slice(1)], {
    env: envObj,
    input: stdin ?? new Uint8Array(0),
    maxBuffer: 512 << 20,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  // EPIPE: the guest exited without reading all of stdin (fine, see run.ts)
  const epipe =
    (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' &&
    (r.status !== null || r.signal !== null);
  if (r.error && !epipe) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${QEMU} not found (X86RUN_ORACLE=qemu). Run the setup: ${SETUP_COMMAND}`
        : `running ${elfPath} under ${QEMU} failed: ${r.error.message}`,
    );
  }
  const status = r.status ?? (r.signal ? 128 + (constants.signals[r.signal] ?? 0) : -1);
  return { stdout: r.stdout, stderr: r.stderr, status, signal: r.signal ?? undefined };
}
