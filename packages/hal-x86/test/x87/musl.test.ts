/**
 * End to end: a static musl program that formats long doubles with printf (%Lf %Le %La %Lg) and calls
 * the x87 libm functions must print exactly what it prints on the host CPU.
 *
 * The transcendental instructions are not bit-exact (see src/fpu/transcendental.ts), so a line that
 * differs is accepted when the program's own bit dump shows it is one of those one-ulp cases; everything
 * else must match byte for byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runStaticElf } from '../../src/x86run/run';

const here = dirname(fileURLToPath(import.meta.url));
const MUSL_GCC = process.env.MUSL_GCC || 'musl-gcc';

function build(): string | null {
  if (process.arch !== 'x64' || process.platform !== 'linux') return null;
  const probe = spawnSync(MUSL_GCC, ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return null;
  const src = join(here, 'longdouble.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const dir = join(here, '..', '.build', 'x87');
  const out = join(dir, `longdouble-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync(MUSL_GCC, ['-static', '-O2', '-o', tmp, src, '-lm'], { stdio: 'pipe' });
    renameSync(tmp, out);
  }
  return out;
}

const exe = build();
if (!exe)
  console.warn('[x87] musl-gcc or an x86-64 Linux host unavailable: skipping the long double program');

/** Lines of the form `expr value hex [20 hex digits]` whose values are within one ulp. */
function oneUlpApart(a: string, b: string): boolean {
  const ma = /^(\S+)\s.*\[([0-9a-f]{20})\]$/.exec(a);
  const mb = /^(\S+)\s.*\[([0-9a-f]{20})\]$/.exec(b);
  if (!ma || !mb || ma[1] !== mb[1]) return false;
  const va = BigInt(`0x${ma[2]}`);
  const vb = BigInt(`0x${mb[2]}`);
  if (va >> 79n !== vb >> 79n) return false;
  const ord = (v: bigint) => (((v >> 64n) & 0x7fffn) << 63n) | (v & ((1n << 63n) - 1n));
  const d = ord(va) - ord(vb);
  return d >= -1n && d <= 1n;
}

describe.skipIf(!exe)('long double in a static musl program', () => {
  it('prints what the host prints', () => {
    const path = exe as string;
    const native = spawnSync(path, [], { encoding: 'utf8' });
    const sim = runStaticElf(new Uint8Array(readFileSync(path)), { argv: ['longdouble'] });
    expect(sim.fault, sim.fault).toBeUndefined();
    expect(sim.exitCode).toBe(native.status);
    const want = native.stdout.split('\n');
    const got = new TextDecoder().decode(sim.stdout).split('\n');
    expect(got.length).toBe(want.length);
    const differing = want.flatMap((w, k) => (w === got[k] ? [] : [{ host: w, sim: got[k] as string }]));
    const unexplained = differing.filter((d) => !oneUlpApart(d.host, d.sim));
    expect(unexplained, unexplained.map((d) => `host: ${d.host}\nsim:  ${d.sim}`).join('\n')).toEqual([]);
    // only a handful of libm results may land on the other side of a rounding boundary
    expect(differing.length).toBeLessThanOrEqual(3);
  });
});
