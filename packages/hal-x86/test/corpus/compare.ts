/**
 * Comparison of a native run with an emulated one, producing a readable
 * report of the first difference.
 */
import type { RunResult } from './run';

function escapeLine(b: Buffer, max = 240): string {
  let s = JSON.stringify(b.toString('latin1'));
  if (s.length > max) s = `${s.slice(0, max)}…`;
  return s;
}

function lineCount(b: Buffer): number {
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return n;
}

/** Describes where two outputs first differ (1-based line number, both lines), or undefined if equal. */
export function firstDifference(expected: Buffer, actual: Buffer, label = 'stdout'): string | undefined {
  if (expected.equals(actual)) return undefined;
  let i = 0;
  const n = Math.min(expected.length, actual.length);
  while (i < n && expected[i] === actual[i]) i++;
  const lineStart = expected.lastIndexOf(10, i - 1) + 1;
  const line = lineCount(expected.subarray(0, lineStart)) + 1;
  const endOf = (b: Buffer): number => {
    const e = b.indexOf(10, lineStart);
    return e < 0 ? b.length : e;
  };
  const exp = expected.subarray(lineStart, endOf(expected));
  const act = actual.subarray(Math.min(lineStart, actual.length), endOf(actual));
  const where =
    i >= expected.length ? '(native output ended)' : i >= actual.length ? '(emulated output ended)' : '';
  return [
    `${label} differs at line ${line}, byte ${i} ${where}`.trimEnd(),
    `  native:   ${escapeLine(exp)}`,
    `  emulated: ${escapeLine(act)}`,
    `  (native ${expected.length} bytes / ${lineCount(expected)} lines, emulated ${actual.length} bytes / ${lineCount(actual)} lines)`,
  ].join('\n');
}

/** All differences between two runs (stdout, stderr, exit status), or [] when they match. */
export function compareRuns(native: RunResult, emulated: RunResult): string[] {
  const problems: string[] = [];
  const out = firstDifference(native.stdout, emulated.stdout, 'stdout');
  if (out) problems.push(out);
  const err = firstDifference(native.stderr, emulated.stderr, 'stderr');
  if (err) problems.push(err);
  if (native.status !== emulated.status) {
    problems.push(
      `exit status differs: native ${native.status}${native.signal ? ` (${native.signal})` : ''}, emulated ${emulated.status}`,
    );
  }
  // a guest fault is a failure even if the output happened to match so far
  if (emulated.fault) problems.push(`emulator fault: ${emulated.fault}`);
  if (problems.length && emulated.instructions !== undefined)
    problems.push(`emulated instructions: ${emulated.instructions}`);
  return problems;
}
