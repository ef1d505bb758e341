/** Summaries of comparison results for the test output. */
import { type CompareResult, type Mismatch, mnemonicOf } from './compare';

export interface Totals {
  total: number;
  decoded: number;
  matched: number;
  undecoded: Map<string, number>;
  mismatches: Mismatch[];
}

export function emptyTotals(): Totals {
  return { total: 0, decoded: 0, matched: 0, undecoded: new Map(), mismatches: [] };
}

export function addResult(t: Totals, r: CompareResult): void {
  t.total += r.total;
  t.decoded += r.decoded;
  t.matched += r.matched;
  t.mismatches.push(...r.mismatches);
  for (const [m, n] of r.undecoded) t.undecoded.set(m, (t.undecoded.get(m) ?? 0) + n);
}

export function percent(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`;
}

/** `name:count` pairs, most frequent first. */
export function countsText(counts: Map<string, number>, limit = 60): string {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted.slice(0, limit).map(([k, v]) => `${k}:${v}`);
  if (sorted.length > limit) shown.push(`... (${sorted.length - limit} more)`);
  return shown.join(' ') || 'none';
}

/** Mismatches grouped by objdump's mnemonic, with a few examples each. */
export function mismatchText(mismatches: readonly Mismatch[], examples = 3): string {
  const groups = new Map<string, Mismatch[]>();
  for (const m of mismatches) {
    const k = mnemonicOf(m.expected);
    groups.set(k, [...(groups.get(k) ?? []), m]);
  }
  const lines: string[] = [];
  for (const [k, ms] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`  ${k} (${ms.length})`);
    for (const m of ms.slice(0, examples)) {
      lines.push(
        `    ${m.address.toString(16)}: ${m.bytes}\n      objdump: ${m.expected}\n      ours:    ${m.actual}`,
      );
    }
  }
  return lines.join('\n');
}
