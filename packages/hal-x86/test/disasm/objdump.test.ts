/**
 * The disassembler against GNU objdump on real compiler output: every C program of the corpus built with
 * gcc -O0, gcc -O2 and musl-gcc -static -O2, compared line by line over .text. Every instruction the
 * decoder decodes must read exactly as objdump prints it; instructions it cannot decode yet (x87 until
 * those rows exist) are counted and reported. Symbol annotations are compared too, except objdump's
 * synthetic symbols of dynamically linked programs (`printf@plt`, `__libc_start_main@GLIBC_2.34`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Binary, buildAll, listPrograms, VARIANTS } from './build';
import { type CompareResult, compareWithObjdump } from './compare';
import { addResult, countsText, emptyTotals, mismatchText, percent, type Totals } from './report';

let binaries: Binary[] = [];
const totals = new Map<string, Totals>(VARIANTS.map((v) => [v.id, emptyTotals()]));
const symbolTotals = new Map<string, { compared: number; matched: number; synthetic: number }>();

beforeAll(async () => {
  binaries = await buildAll();
}, 600_000);

/** objdump names GOT slots and PLT entries with synthetic symbols this test does not reproduce. */
function isSynthetic(expected: string): boolean {
  return /<[^>]*@[^>]*>/.test(expected);
}

function check(b: Binary): CompareResult {
  const r = compareWithObjdump(b.path);
  addResult(totals.get(b.variant) as Totals, r);
  const real = r.symbolMismatches.filter((m) => !isSynthetic(m.expected));
  const s = symbolTotals.get(b.variant) ?? { compared: 0, matched: 0, synthetic: 0 };
  s.compared += r.symbolsCompared - (r.symbolMismatches.length - real.length);
  s.matched += r.symbolsMatched;
  s.synthetic += r.symbolMismatches.length - real.length;
  symbolTotals.set(b.variant, s);
  expect(mismatchText(r.mismatches), `${b.program} ${b.variant}: text differs from objdump`).toBe('');
  expect(mismatchText(real), `${b.program} ${b.variant}: symbol annotations differ`).toBe('');
  expect(r.matched).toBe(r.decoded);
  return r;
}

describe('disassembly matches objdump -d', () => {
  for (const program of listPrograms()) {
    for (const v of VARIANTS) {
      it(`${program} (${v.id})`, () => {
        const b = binaries.find((x) => x.program === program && x.variant === v.id);
        expect(b, 'built').toBeDefined();
        check(b as Binary);
      });
    }
  }
});

afterAll(() => {
  const lines = ['', 'disassembler vs objdump -d (.text):'];
  for (const v of VARIANTS) {
    const t = totals.get(v.id) as Totals;
    const s = symbolTotals.get(v.id);
    lines.push(
      `  ${v.id.padEnd(15)} ${t.total} instructions, ${t.decoded} decoded, ` +
        `${t.matched} match (${percent(t.matched, t.decoded)} of decoded, ${percent(t.matched, t.total)} of all); ` +
        `symbols ${s?.matched ?? 0}/${s?.compared ?? 0} (+${s?.synthetic ?? 0} synthetic not compared)`,
    );
    lines.push(`    not decoded yet: ${countsText(t.undecoded)}`);
    if (t.mismatches.length > 0) lines.push(mismatchText(t.mismatches));
  }
  console.log(lines.join('\n'));
});
