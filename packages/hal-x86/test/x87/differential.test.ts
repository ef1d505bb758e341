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
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../fpu/harness';
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
 * the last place, and the status word differing in C1 at most.
 */
function withinTolerance(lines: string[]): boolean {
  return lines.every((l) => {
    const reg = /^ST\(\d\): host ([0-9a-f]{20}) sim ([0-9a-f]{20})$/.exec(l);
    if (reg) {
      const d = ordinal(reg[1] as string) - ordinal(reg[2] as string);
      return d >= -1n && d <= 1n;
    }
    const sw = /^fsw: host ([0-9a-f]+) sim ([0-9a-f]+)$/.exec(l);
    if (sw)
      return ((Number.parseInt(sw[1] as string, 16) ^ Number.parseInt(sw[2] as string, 16)) & ~0x200) === 0;
    return false;
  });
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
    const r = new Rng(0x87ff);
    const n = 2000;
    const cases: X87Case[] = [];
    for (let k = 0; k < n; k++)
      cases.push(genCase(r, TRANSCENDENTAL, { maxLength: 1, transcendental: true }));
    const bad = compareWithHost(cases);
    const wrong = bad.filter((m) => !withinTolerance(m.lines));
    expect(
      wrong.length,
      `outside the documented tolerance:\n${wrong.slice(0, 8).map(formatMismatch).join('\n')}`,
    ).toBe(0);
    // src/fpu measured 94-99% exact agreement per instruction; over this mix, at least 95% must be exact
    expect(bad.length, `${bad.length}/${n} inexact`).toBeLessThan(n * 0.05);
  });
});
