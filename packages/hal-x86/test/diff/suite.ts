/**
 * Declares the vitest suite of one instruction family: generate cases from a fixed seed, run them once
 * natively and once on the emulator, then assert that nothing differs. Cases affected by an open CPU bug
 * (known-bugs.ts) are asserted in a separate test per bug, so a failure names the bug it belongs to.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from './families';
import { Rng } from './gen';
import {
  type Case,
  type DiffReport,
  diff,
  formatMismatch,
  generate,
  type Mismatch,
  nativeRunner,
  nativeUnavailableReason,
} from './harness';
import { KNOWN_BUGS, type KnownBug, REGRESSIONS } from './known-bugs';

export type FamilyName = keyof typeof FAMILIES;

const available = nativeRunner() !== null;
if (!available) console.warn(`[diff] ${nativeUnavailableReason()}`);

/** How many mismatches to print in full per failing test. */
const SHOW = 6;

function describeMismatches(ms: Mismatch[], total: number): string {
  if (ms.length === 0) return '';
  const byNote = new Map<string, number>();
  for (const m of ms) byNote.set(m.c.note, (byNote.get(m.c.note) ?? 0) + 1);
  const classes = [...byNote.entries()].sort((a, b) => b[1] - a[1]);
  const seen = new Set<string>();
  const shown: Mismatch[] = [];
  for (const m of ms) {
    if (shown.length >= SHOW) break;
    if (seen.has(m.c.note)) continue;
    seen.add(m.c.note);
    shown.push(m);
  }
  return [
    `${ms.length} of ${total} cases differ from the host CPU`,
    'by form:',
    ...classes.slice(0, 25).map(([k, v]) => `  ${v}\t${k}`),
    '',
    ...shown.map(formatMismatch),
  ].join('\n');
}

function affectedBy(bugs: KnownBug[], c: Case): KnownBug | undefined {
  return bugs.find((b) => b.affects(c));
}

/**
 * One describe block per family: `count` random cases from `seed`. Families listed in a known bug get an
 * extra test for that bug (random cases it affects plus its minimal reproducers).
 */
export function familySuite(name: FamilyName, count: number, seed: number): void {
  const bugs = KNOWN_BUGS.filter((b) => b.families.includes(name));
  describe.skipIf(!available)(`${name} (differential vs host CPU)`, () => {
    let cases: Case[] = [];
    let report: DiffReport;
    let compiled: DiffReport;
    beforeAll(() => {
      const r = new Rng(seed);
      const fam = FAMILIES[name];
      cases = generate(count, () => fam(r));
      cases.push(...(REGRESSIONS[name] ?? []));
      for (const bug of bugs) cases.push(...bug.repro);
      report = diff(cases);
      compiled = diff(cases, SHOW, 'compiled', report.native);
    });

    it('the same cases through the block compiler match the host CPU', () => {
      const ms = compiled.mismatches.filter((m) => !affectedBy(bugs, m.c) && !bugs.some((b) => b.repro.includes(m.c)));
      expect(ms.length, describeMismatches(ms, cases.length)).toBe(0);
    });

    it(`${count} random cases${REGRESSIONS[name] ? ' and regression cases' : ''} match the host CPU`, () => {
      const ms = report.mismatches.filter(
        (m) => !affectedBy(bugs, m.c) && !bugs.some((b) => b.repro.includes(m.c)),
      );
      const sample = cases.filter(
        (c) => !affectedBy(bugs, c) && !bugs.some((b) => b.repro.includes(c)),
      ).length;
      expect(ms.length, describeMismatches(ms, sample)).toBe(0);
    });

    for (const bug of bugs) {
      it(`OPEN CPU BUG [${bug.id}]: ${bug.title}`, () => {
        const mine = (c: Case) => bug.repro.includes(c) || (bug.affects(c) && affectedBy(bugs, c) === bug);
        // reproducers first: they are the shortest description of the bug
        const ms = report.mismatches.filter((m) => mine(m.c));
        ms.sort((a, b) => Number(bug.repro.includes(b.c)) - Number(bug.repro.includes(a.c)));
        const total = cases.filter(mine).length;
        expect(ms.length, describeMismatches(ms, total)).toBe(0);
      });
    }
  });
}
