/**
 * The comparison of the libm corpus program with its native run on a host whose x87 transcendental
 * instructions are not the ones the model reproduces (see modelledVendor in ../support/host-cpu.ts).
 *
 * musl's x86-64 long double logl, log2l, log10l, log1pl, expl, exp2l, expm1l, atanl, atan2l, asinl and
 * acosl are built on F2XM1, FYL2X, FYL2XP1 and FPATAN, whose results the architecture defines only to
 * within an error bound (below 1 ulp in round to nearest), so their last bits are the host
 * implementation's. Only the lines printing those functions' results may differ, and only in their
 * numbers, each within a relative 2^-61 (a few units in the last place of the 64-bit significand) of the
 * native one; every other line must be identical. The closing hash of all results, and the exit status
 * derived from it, may differ only when one of those lines did.
 */
import type { RunResult } from './run';

/** musl x86-64 functions that use the x87 transcendental instructions. */
const X87_FUNCTIONS = new Set([
  'logl',
  'log2l',
  'log10l',
  'log1pl',
  'expl',
  'exp2l',
  'expm1l',
  'atanl',
  'atan2l',
  'asinl',
  'acosl',
]);

/** Relative tolerance: |native - emulated| <= |native| * 2^-REL_BITS. */
const REL_BITS = 61n;

const NUMBER = /-?0x[0-9a-f]+(?:\.[0-9a-f]*)?p[+-]?\d+|-?\d+(?:\.\d*)?(?:e[+-]?\d+)?/gi;

/** A printed number as an exact fraction. */
function parse(text: string): { n: bigint; d: bigint } {
  const neg = text.startsWith('-');
  const t = neg ? text.slice(1) : text;
  let n: bigint;
  let d = 1n;
  const hex = /^0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(t);
  if (hex) {
    const frac = hex[2] ?? '';
    n = BigInt(`0x${hex[1]}${frac}`);
    const e = Number(hex[3]) - 4 * frac.length;
    if (e >= 0) n <<= BigInt(e);
    else d = 1n << BigInt(-e);
  } else {
    const m = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(t) as RegExpExecArray;
    const frac = m[2] ?? '';
    n = BigInt(`${m[1]}${frac}`);
    const e = Number(m[3] ?? 0) - frac.length;
    if (e >= 0) n *= 10n ** BigInt(e);
    else d = 10n ** BigInt(-e);
  }
  return { n: neg ? -n : n, d };
}

function close(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parse(a);
  const y = parse(b);
  const diff = x.n * y.d - y.n * x.d;
  const abs = (v: bigint) => (v < 0n ? -v : v);
  return abs(diff) << REL_BITS <= abs(x.n) * y.d;
}

/** Whether a differing stdout line may be explained by the host's transcendental results. */
function toleratedLine(native: string, emulated: string): boolean {
  const fn = /^(\w+)\s*\(/.exec(native)?.[1];
  if (!fn || !X87_FUNCTIONS.has(fn)) return false;
  if (native.replace(NUMBER, '#') !== emulated.replace(NUMBER, '#')) return false;
  const a = native.match(NUMBER) ?? [];
  const b = emulated.match(NUMBER) ?? [];
  return a.length === b.length && a.every((v, k) => close(v, b[k] as string));
}

/**
 * The differences that remain between the native and the emulated run of the libm program under the
 * rule above, or [] when there are none.
 */
export function compareLibmRuns(native: RunResult, emulated: RunResult): string[] {
  const problems: string[] = [];
  if (!native.stderr.equals(emulated.stderr)) problems.push('stderr differs');
  if (emulated.fault) problems.push(`emulator fault: ${emulated.fault}`);
  const a = native.stdout.toString('latin1').split('\n');
  const b = emulated.stdout.toString('latin1').split('\n');
  if (a.length !== b.length) problems.push(`stdout has ${a.length} lines natively, ${b.length} emulated`);
  let tolerated = 0;
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    const x = a[k] as string;
    const y = b[k] as string;
    if (x === y) continue;
    if (toleratedLine(x, y)) tolerated++;
    else if (!(tolerated > 0 && x.startsWith('hash=') && y.startsWith('hash=')))
      problems.push(`stdout line ${k + 1} differs beyond the tolerance:\n  native:   ${x}\n  emulated: ${y}`);
  }
  if (native.status !== emulated.status && tolerated === 0)
    problems.push(`exit status differs: native ${native.status}, emulated ${emulated.status}`);
  return problems;
}
