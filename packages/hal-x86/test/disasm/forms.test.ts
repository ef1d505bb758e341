/**
 * Unusual encodings whose AT&T spelling follows a special rule in objdump (fixtures/forms.s, assembled
 * with GNU as): unused prefixes, redundant SIB bytes, implied operands, suffixes, immediates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from './build';
import { compareWithObjdump } from './compare';
import { countsText, mismatchText, percent } from './report';

describe('special encodings match objdump -d', () => {
  it('fixtures/forms.s', async () => {
    const obj = await assemble('forms', readFileSync(join(__dirname, 'fixtures/forms.s'), 'utf8'));
    const r = compareWithObjdump(obj);
    console.log(
      `forms.s: ${r.total} instructions, ${r.decoded} decoded, ${r.matched} match (${percent(r.matched, r.decoded)}); ` +
        `not decoded: ${countsText(r.undecoded)}`,
    );
    expect(mismatchText(r.mismatches)).toBe('');
    expect(r.decoded).toBeGreaterThan(r.total * 0.95);
  });
});
