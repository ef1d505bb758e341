/**
 * Case generation and agreement measurement for the x87 transcendental
 * instructions, whose hardware results are not always correctly rounded.
 */

import { genCase } from './cases';
import { cwHex, f80Hex, type Rng, randCW, randSigBits, runOracle } from './harness';
import { modelLine } from './model';

export const TRANSCENDENTAL_OPS = [
  'f2xm1',
  'fyl2x',
  'fyl2xp1',
  'fpatan',
  'fsin',
  'fcos',
  'fptan',
  'fsincos',
] as const;
export type TranscendentalOp = (typeof TRANSCENDENTAL_OPS)[number];

const J = 1n << 63n;
const LN2 = '3FFEB17217F7D1CF79AC';
const LG2 = '3FFD9A209A84FBCF7980';
const ONE = '3FFF8000000000000000';

function normal(r: Rng, exp: number, sign = r.int(2)): string {
  return f80Hex(sign, exp, r.chance(0.7) ? r.u64() | J : randSigBits(r) | J);
}

/**
 * Operands the musl x86_64 long double functions feed these instructions,
 * under the default control word (round to nearest, 64-bit precision):
 * exp2l/expl/expm1l (f2xm1 of a fraction), logl/log2l/log10l (fyl2x with
 * y = ln2, 1, lg2), log1pl (fyl2xp1 with y = ln2, |x| < 1 - sqrt(2)/2),
 * atanl/atan2l/asinl/acosl (fpatan), and the trig instructions on moderate
 * arguments.
 */
export function libmCase(op: TranscendentalOp, r: Rng): string {
  const cw = '037F';
  switch (op) {
    case 'f2xm1':
      return `${op} ${cw} ${normal(r, 0x3ffe - (r.chance(0.8) ? r.int(8) : r.int(70)))} -`;
    case 'fyl2x': {
      const y = r.pick([LN2, LG2, ONE]);
      const x = r.chance(0.3)
        ? normal(r, 0x3ffe + r.int(2), 0)
        : normal(r, 0x3fff + r.range(-16000, 16000), 0);
      return `${op} ${cw} ${x} ${y}`;
    }
    case 'fyl2xp1': {
      // |x| < 0.2928...: exponent at most 0x3ffd with a significand below 0x95f6...
      let x = normal(r, 0x3ffd - (r.chance(0.7) ? r.int(10) : r.int(64)));
      if (x.slice(0, 4).endsWith('3FFD') || x.slice(0, 4).endsWith('BFFD'))
        x = `${x.slice(0, 4)}8${x.slice(5)}`;
      return `${op} ${cw} ${x} ${LN2}`;
    }
    case 'fpatan': {
      const k = r.int(3);
      if (k === 0) return `${op} ${cw} ${ONE} ${normal(r, 0x3fff + r.range(-40, 40))}`; // atanl
      const ex = 0x3fff + r.range(-30, 30);
      return `${op} ${cw} ${normal(r, ex)} ${normal(r, ex + r.range(-30, 30))}`;
    }
    default: {
      const e = r.chance(0.8) ? 0x3fff + r.range(-10, 10) : 0x3fff + r.range(-40, 62);
      return `${op} ${cw} ${normal(r, e)} -`;
    }
  }
}

/** Arbitrary operands in all rounding modes, including specials and out-of-domain values. */
export function randomCase(op: TranscendentalOp, r: Rng): string {
  if (op === 'f2xm1' && r.chance(0.6)) return `${op} ${cwHex(randCW(r))} ${normal(r, 0x3ffe - r.int(80))} -`;
  return genCase(op, r);
}

/** Position of an 80-bit value on the number line of its sign (consecutive values differ by 1). */
function ordinal(hex: string): { sign: number; ord: bigint } | null {
  const se = parseInt(hex.slice(0, 4), 16);
  const sig = BigInt(`0x${hex.slice(4)}`);
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return null;
  return { sign: se >> 15, ord: (BigInt(exp) << 63n) + (sig & (J - 1n)) };
}

/**
 * How far a host result may be from the model's (which is correctly rounded), in representable values,
 * under rounding control `rc`. 'modelled': the host the model was measured on (AMD), whose differences
 * are at most one unit in the last place. 'architectural': any x87 implementation, from the accuracy the
 * Intel SDM (vol. 1, 8.3.10) guarantees: an error below 1 ulp in round to nearest, so the host's result
 * is one of the two neighbours of the exact value (at most 1 from the nearest one), and below 1.5 ulps
 * in the directed modes (at most 2 from the correctly rounded one).
 */
export type Tolerance = 'modelled' | 'architectural';

export function allowedDistance(tolerance: Tolerance, rc: number): bigint {
  return tolerance === 'architectural' && rc !== 0 ? 2n : 1n;
}

/** Whether an 80-bit value (20 hex digits) is below the normal range (zero, denormal, pseudo-denormal). */
export function belowNormal(hex: string): boolean {
  return (Number.parseInt(hex.slice(0, 4), 16) & 0x7fff) === 0;
}

/** Parsed oracle/model output line. */
function parse(line: string): { sw: number; stack: string[] } {
  const [sw, , st] = line.split(' ') as [string, string, string];
  return { sw: parseInt(sw, 16), stack: st === '-' ? [] : st.split(',') };
}

export interface Agreement {
  total: number;
  exact: number;
  /** Differences limited to 1 ulp (or the architectural bound) in the values and/or C1, with identical other status bits. */
  withinOneUlp: number;
  /** Of those, the ones where only C1 differs (identical result values). */
  c1Only: number;
  worst: { input: string; host: string; ours: string }[];
}

/**
 * Compare model and host; classify differences. With the 'architectural' tolerance a result may also be
 * up to two values off in the directed rounding modes, and UE may differ where one of the two results
 * lies below the normal range (a result within the bound on the other side of the smallest normal is
 * not tiny); all other status bits must still agree.
 */
export function measure(lines: string[], tolerance: Tolerance = 'modelled'): Agreement {
  const host = runOracle(lines);
  const res: Agreement = { total: lines.length, exact: 0, withinOneUlp: 0, c1Only: 0, worst: [] };
  for (let i = 0; i < lines.length; i++) {
    const ours = modelLine(lines[i]);
    if (ours === host[i]) {
      res.exact++;
      continue;
    }
    const h = parse(host[i]);
    const o = parse(ours);
    const limit = allowedDistance(
      tolerance,
      (Number.parseInt(lines[i].split(' ')[1] as string, 16) >> 10) & 3,
    );
    let swMask = ~0x0200;
    let close = h.stack.length === o.stack.length;
    for (let j = 0; close && j < h.stack.length; j++) {
      if (h.stack[j] === o.stack[j]) continue;
      const a = ordinal(h.stack[j]);
      const b = ordinal(o.stack[j]);
      if (!a || !b || a.sign !== b.sign) close = false;
      else {
        const d = a.ord - b.ord;
        if (d > limit || d < -limit) close = false;
        if (tolerance === 'architectural' && (belowNormal(h.stack[j]) || belowNormal(o.stack[j])))
          swMask &= ~0x0010;
      }
    }
    if ((h.sw & swMask) !== (o.sw & swMask)) close = false;
    if (close) {
      res.withinOneUlp++;
      if (h.stack.join() === o.stack.join()) res.c1Only++;
    } else if (res.worst.length < 10) res.worst.push({ input: lines[i], host: host[i], ours });
  }
  return res;
}

export function formatAgreement(op: string, a: Agreement): string {
  const pct = (n: number): string => `${((100 * n) / a.total).toFixed(2)}%`;
  let s = `${op}: exact ${a.exact}/${a.total} (${pct(a.exact)}), same values ${pct(a.exact + a.c1Only)}, within 1 ulp/C1 ${pct(a.exact + a.withinOneUlp)}`;
  for (const w of a.worst) s += `\n    in ${w.input}\n    host ${w.host}\n    ours ${w.ours}`;
  return s;
}
