/**
 * Program-level conformance of the simulated x86-64 CPU: every C program in
 * test/programs is built with musl-gcc (static -O0, static -O2 and for some
 * programs static-pie -O2), then run natively and under the emulator with the
 * same argv, environment and stdin; stdout, stderr and the exit status must
 * be identical.
 *
 *   npx vitest run test/program-corpus.test.ts
 *   X86RUN_ORACLE=qemu npx vitest run test/program-corpus.test.ts   # check the harness with qemu
 *
 * A missing musl-gcc makes this file fail with the setup instructions.
 *
 * Exception: on a host whose x87 transcendental instructions are not the ones the simulated CPU
 * reproduces (not AMD), the libm program's long double logarithm, exponential and arctangent results
 * carry the host's last bits, which the architecture leaves to the implementation; there they are
 * compared within a tight relative tolerance (see corpus/x87-libm.ts) and everything else exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltProgram, buildAll } from './corpus/build';
import { compareRuns } from './corpus/compare';
import { listPrograms, type RunSpec, runsFor, specFor, type Variant, variantsFor } from './corpus/programs';
import { oracle, runEmulated, runNative, TEST_ENV } from './corpus/run';
import { compareLibmRuns } from './corpus/x87-libm';
import { hostX87 } from './support/host-cpu';

const TEST_TIMEOUT_MS = Number(process.env.X86RUN_TEST_TIMEOUT_MS) || 300_000;
const ORACLE = oracle();

let built: Map<string, BuiltProgram> | undefined;

beforeAll(async () => {
  built = await buildAll();
}, 600_000);

interface Case {
  variant: Variant;
  run: RunSpec;
  label: string;
}

function casesFor(program: string): Case[] {
  return variantsFor(program).flatMap((variant) =>
    runsFor(program).map((run) => ({ variant, run, label: `${variant} ${run.id}` })),
  );
}

describe(`program corpus (emulated by ${ORACLE}, ${TEST_ENV.join(' ')})`, () => {
  describe.each(listPrograms())('%s', (program) => {
    const knownBad = ORACLE === 'qemu' ? specFor(program).qemuKnownDiff : undefined;
    const cases = casesFor(program);
    if (knownBad) {
      it.skip.each(cases)(`$label (skipped under qemu: ${knownBad})`, () => {});
      return;
    }
    it.each(cases)(
      '$label',
      async ({ variant, run }) => {
        const elf = built?.get(`${program}.${variant}`);
        if (!elf) throw new Error(`no build of ${program} (${variant})`);
        const argv = [program, ...(run.args ?? [])];
        const stdin = run.stdin?.();
        const native = runNative(elf.path, argv, stdin);
        const emulated = await runEmulated(elf.path, argv, stdin);
        const problems =
          program === 'libm' && ORACLE !== 'qemu' && !hostX87().modelledVendor
            ? compareLibmRuns(native, emulated)
            : compareRuns(native, emulated);
        if (problems.length) {
          throw new Error(
            `${program} (${variant}, ${run.id}): native and emulated runs differ\n${problems.join('\n')}`,
          );
        }
        // sanity: every corpus program prints something
        expect(native.stdout.length).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
