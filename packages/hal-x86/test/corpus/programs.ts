/**
 * Per-program settings for the C corpus in test/programs.
 *
 * Every `test/programs/*.c` file is a corpus program, whether or not it is
 * listed here; an unlisted program gets the defaults: built at -O0 and -O2,
 * run once with argv = [name], empty stdin.
 */
import { readdirSync } from 'node:fs';
import { numberLines, randomBytes, textLines } from './inputs';
import { PROGRAMS_DIR } from './paths';

export type Variant = 'O0' | 'O2' | 'O2-pie';

export interface RunSpec {
  /** Short label that appears in the test name. */
  id: string;
  /** Arguments after argv[0] (argv[0] is always the program name). */
  args?: string[];
  /** Bytes fed to stdin (default: empty stdin). */
  stdin?: () => Uint8Array;
}

export interface ProgramSpec {
  /** Extra compiler flags for this program (after -O0/-O2). */
  cflags?: string[];
  /** Also build an -O2 static-pie (ET_DYN, no PT_INTERP) variant. */
  staticPie?: boolean;
  /** Runs to perform; default one run with no arguments and empty stdin. */
  runs?: RunSpec[];
  /**
   * Set when qemu-user (the X86RUN_ORACLE=qemu harness check) is known to
   * differ from real hardware for this program; the reason is shown in the
   * skipped test's name.  The real emulator is always tested.
   */
  qemuKnownDiff?: string;
}

export const DEFAULT_RUNS: RunSpec[] = [{ id: 'default' }];

export const PROGRAM_SPECS: Record<string, ProgramSpec> = {
  sha256: { staticPie: true },
  structs: { staticPie: true },
  argv_env: {
    staticPie: true,
    runs: [
      { id: 'no-args' },
      {
        id: 'args',
        args: ['alpha', 'two words', '', 'ünïcödé', '--flag=1', 'quote"back\\slash', 'tab\there'],
      },
      { id: 'many-args', args: Array.from({ length: 40 }, (_, i) => `arg${i}-${'x'.repeat(i)}`) },
    ],
  },
  stdin_sum: {
    runs: [
      { id: 'empty' },
      { id: 'text-200k', stdin: () => textLines(1, 200_000) },
      { id: 'binary-64k-stdio', args: ['stdio'], stdin: () => randomBytes(2, 65_536) },
      { id: 'numbers-no-final-newline', stdin: () => numberLines(3, 5000).subarray(0, -1) },
    ],
  },
  exit_codes: {
    runs: [
      { id: 'default-42' },
      { id: 'exit-0', args: ['0'] },
      { id: 'exit-1', args: ['1'] },
      { id: 'exit-255', args: ['255'] },
      { id: 'exit-256-wraps', args: ['256'] },
      { id: 'exit-minus-1', args: ['-1'] },
    ],
  },
  // fesetround() is used: keep gcc from moving/folding FP operations across it
  float_ops: { cflags: ['-frounding-math'] },
  libm: { cflags: ['-frounding-math'] },
  nan_payload: {
    qemuKnownDiff: 'qemu 7.2 picks the wrong NaN when both SSE operands are NaNs',
  },
};

/** Names (without .c) of all corpus programs, sorted. */
export function listPrograms(): string[] {
  return readdirSync(PROGRAMS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

export function specFor(name: string): ProgramSpec {
  return PROGRAM_SPECS[name] ?? {};
}

export function variantsFor(name: string): Variant[] {
  return specFor(name).staticPie ? ['O0', 'O2', 'O2-pie'] : ['O0', 'O2'];
}

export function runsFor(name: string): RunSpec[] {
  return specFor(name).runs ?? DEFAULT_RUNS;
}
