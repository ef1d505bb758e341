/**
 * Runs x87 cases on the host (oracle.c) and on the simulated CPU and returns the ones that differ. A
 * differing case is run natively once more: a context switch on the host between two instructions can
 * reset FIP/FDP/FOP (the kernel's XSAVE on AMD saves them only with an exception pending), which would
 * otherwise show up as a difference. The simulated side reports the last-instruction pointers the way
 * the host does where implementations differ (FCS/FDS, FOP, FDP; see PointerReporting).
 */
import { hostX87 } from '../support/host-cpu';
import { diffOutcome, X87Machine } from './machine';
import { runNative, type X87Case, type X87Outcome } from './native';

export interface Mismatch {
  c: X87Case;
  lines: string[];
}

export function compareWithHost(cases: X87Case[]): Mismatch[] {
  const host = runNative(cases);
  const m = new X87Machine(hostX87());
  const suspects: { c: X87Case; sim: X87Outcome }[] = [];
  cases.forEach((c, k) => {
    const sim = m.run(c);
    if (diffOutcome(host[k] as X87Outcome, sim).length > 0) suspects.push({ c, sim });
  });
  if (suspects.length === 0) return [];
  const again = runNative(suspects.map((s) => s.c));
  const bad: Mismatch[] = [];
  suspects.forEach(({ c, sim }, n) => {
    const lines = diffOutcome(again[n] as X87Outcome, sim);
    if (lines.length > 0) bad.push({ c, lines });
  });
  return bad;
}
