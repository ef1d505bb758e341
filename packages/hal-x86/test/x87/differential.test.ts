/**
 * The x87 instructions against the host CPU: random instruction sequences (see gen.ts) run natively by
 * oracle.c and on the simulated CPU, comparing the whole FNSAVE image afterwards (control/status/tag
 * words, TOP, C0-C3, FIP/FCS/FOP/FDP/FDS, all eight registers), RFLAGS, RAX and the data written, or the
 * fault (#MF, #UD) and the state at the fault.
 *
 * Everything but the transcendental instructions must match bit for bit. F2XM1, FYL2X, FYL2XP1, FPATAN,
 * FPTAN, FSINCOS, FSIN and FCOS compute correctly rounded results, which differ from the host's in the
 * last bit (or only in C1) in a few percent of cases (see src/fpu/transcendental.ts); for them the test
 * requires everything else to match and results within one unit in the last place.
 *
 * Where the host reports the last-instruction pointers differently (FCS/FDS saved as zero, FOP and FDP
 * kept only for unmasked exceptions: Intel), the simulated side is run to report them the same way (see
 * PointerReporting in machine.ts) and everything is still compared bit for bit. On a host whose
 * transcendental instructions are not the modelled (AMD) ones, their results are held to the accuracy
 * the architecture guarantees instead (see allowedDistance in ../fpu/transcendental-cases.ts), and the
 * share of exact agreement is not checked.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../fpu/harness';
import { allowedDistance, belowNormal, type Tolerance } from '../fpu/transcendental-cases';
import { hostX87 } from '../support/host-cpu';
import {
  ALL_EXACT,
  ARITH_MEM,
  ARITH_REG,
  COMPARE,
  CONTROL,
  genCase,
  LOAD,
  MISC,
  STACK,
  STORE,
  type Template,
  TRANSCENDENTAL,
} from './gen';
import { compareWithHost, type Mismatch } from './host-compare';
import { nativeOracle, oracleUnavailableReason, type X87Case } from './native';

const available = nativeOracle() !== null;
if (!available) console.warn(`[x87] host oracle unavailable, skipping: ${oracleUnavailableReason()}`);

function hexCode(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function formatMismatch(m: Mismatch): string {
  return `  ${m.c.note}\n    code ${hexCode(m.c.code)} state ${hexCode(m.c.state.subarray(0, 28))}\n${m.lines
    .map((l) => `    ${l}`)
    .join('\n')}`;
}

function runGroup(seed: number, n: number, templates: readonly Template[], maxLength = 3): Mismatch[] {
  const r = new Rng(seed);
  const cases: X87Case[] = [];
  for (let k = 0; k < n; k++) cases.push(genCase(r, templates, { maxLength }));
  return compareWithHost(cases);
}

/** 80-bit value as an ordinal, so that neighbouring representable values differ by one. */
function ordinal(hex: string): bigint {
  const v = BigInt(`0x${hex}`);
  const sign = v >> 79n;
  const exp = (v >> 64n) & 0x7fffn;
  const m = (exp << 63n) | (v & ((1n << 63n) - 1n));
  return sign ? -m : m;
}

/**
 * Whether a transcendental mismatch is one of the documented ones: result registers within one unit in
 * the last place (or the architectural bound under rounding control `rc`), and the status word
 * differing in C1 at most (and, with the architectural bound, in UE where a result is below the normal
 * range).
 */
function withinTolerance(lines: string[], tolerance: Tolerance, rc: number): boolean {
  const limit = allowedDistance(tolerance, rc);
  let swMask = ~0x200;
  const regsOk = lines.every((l) => {
    const reg = /^ST\(\d\): host ([0-9a-f]{20}) sim ([0-9a-f]{20})$/.exec(l);
    if (!reg) return true;
    const [h, s] = [reg[1] as string, reg[2] as string];
    if (tolerance === 'architectural' && (belowNormal(h) || belowNormal(s))) swMask &= ~0x10;
    const d = ordinal(h) - ordinal(s);
    if (d < -limit || d > limit) return false;
    // beyond the modelled host's differences: same sign, and no infinity or NaN
    if (tolerance === 'modelled') return true;
    const special = (x: string) => (Number.parseInt(x.slice(0, 4), 16) & 0x7fff) === 0x7fff;
    return (h[0] as string) >= '8' === (s[0] as string) >= '8' && !special(h) && !special(s);
  });
  return (
    regsOk &&
    lines.every((l) => {
      if (/^ST\(\d\): /.test(l)) return true;
      const sw = /^fsw: host ([0-9a-f]+) sim ([0-9a-f]+)$/.exec(l);
      if (sw)
        return ((Number.parseInt(sw[1] as string, 16) ^ Number.parseInt(sw[2] as string, 16)) & swMask) === 0;
      return false;
    })
  );
}

const GROUPS: [string, readonly Template[], number, number][] = [
  ['register arithmetic', ARITH_REG, 1500, 3],
  ['memory arithmetic', ARITH_MEM, 1500, 3],
  ['compares', COMPARE, 1500, 3],
  ['loads', LOAD, 1500, 3],
  ['stores', STORE, 1500, 3],
  ['stack', STACK, 1500, 4],
  ['unary and remainder', MISC, 1500, 3],
  ['control', CONTROL, 1500, 4],
  ['mixed sequences', ALL_EXACT, 3000, 6],
];

describe.skipIf(!available)('x87 instructions against the host CPU', () => {
  GROUPS.forEach(([name, templates, n, len], g) => {
    it(name, () => {
      const bad = runGroup(0x8700 + g, n, templates, len);
      const shown = bad.slice(0, 8).map(formatMismatch).join('\n');
      expect(bad.length, `${bad.length}/${n} cases differ:\n${shown}`).toBe(0);
    });
  });

  it('every register-form encoding and every memory /digit behaves as on the host', () => {
    // Two-deep stack, everything masked: reserved encodings must be #UD exactly where the host says so,
    // the undocumented aliases must behave like the host's. FISTTP (SSE3) is left out: the host has it,
    // this CPU does not advertise it (see semantics.test.ts).
    const r = new Rng(0x87e0);
    const cases: X87Case[] = [];
    const base = genCase(r, [], { maxLength: 0 });
    const state = new Uint8Array(base.state);
    const v = new DataView(state.buffer);
    v.setUint32(0, 0xffff037f, true);
    v.setUint32(4, 0xffff0000 | (5 << 11), true);
    v.setUint32(8, 0xffff0fff, true); // physical 6 and 7 (ST(1), ST(2)) in use
    for (let op = 0xd8; op <= 0xdf; op++) {
      for (let m = 0; m < 256; m++) {
        const isMem = m < 0xc0;
        if (isMem && (m & 0xc7) !== 0x43) continue; // one memory form per /digit: [rbx+disp8]
        const ext = (m >> 3) & 7;
        if (isMem && ext === 1 && (op === 0xdb || op === 0xdd || op === 0xdf)) continue;
        const code = isMem ? [op, m, 0x40] : [op, m];
        cases.push({
          ...base,
          state,
          code: new Uint8Array(code),
          count: 1,
          note: Buffer.from(code).toString('hex'),
        });
      }
    }
    const bad = compareWithHost(cases);
    expect(bad.length, bad.slice(0, 12).map(formatMismatch).join('\n')).toBe(0);
  });

  it('transcendental instructions (results within 1 ulp, C1 may differ)', () => {
    const modelled = hostX87().modelledVendor;
    const tolerance: Tolerance = modelled ? 'modelled' : 'architectural';
    const r = new Rng(0x87ff);
    const n = 2000;
    const cases: X87Case[] = [];
    for (let k = 0; k < n; k++)
      cases.push(genCase(r, TRANSCENDENTAL, { maxLength: 1, transcendental: true }));
    const bad = compareWithHost(cases);
    const wrong = bad.filter(
      (m) => !withinTolerance(m.lines, tolerance, ((m.c.state[1] as number) >> 2) & 3),
    );
    expect(
      wrong.length,
      `outside the documented tolerance:\n${wrong.slice(0, 8).map(formatMismatch).join('\n')}`,
    ).toBe(0);
    // src/fpu measured 94-99% exact agreement per instruction; over this mix, at least 95% must be exact
    if (modelled) expect(bad.length, `${bad.length}/${n} inexact`).toBeLessThan(n * 0.05);
  });
});
