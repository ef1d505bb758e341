/**
 * The address map against a model (a set of pages with their protection): any sequence of inserts,
 * removals and protection changes leaves the same pages with the same protection, areas sorted and
 * disjoint, and the free-range search returns a range that is free.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressMap } from '../src/index';

const PAGE = 4096;
type Op = { kind: 'insert' | 'remove' | 'protect'; start: number; pages: number; prot: number };

const op = fc.record({
  kind: fc.constantFrom<'insert' | 'remove' | 'protect'>('insert', 'remove', 'protect'),
  start: fc.integer({ min: 0, max: 63 }),
  pages: fc.integer({ min: 1, max: 16 }),
  prot: fc.integer({ min: 0, max: 7 }),
});

describe('AddressMap', () => {
  it('matches a page-by-page model', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops: Op[]) => {
        const map = new AddressMap();
        const model = new Map<number, number>();
        for (const o of ops) {
          const start = o.start * PAGE;
          const end = start + o.pages * PAGE;
          const pages = Array.from({ length: o.pages }, (_, k) => start + k * PAGE);
          if (o.kind === 'insert') {
            if (pages.some((p) => model.has(p))) {
              expect(() => map.insert({ start, end, prot: o.prot, kind: 'anon' })).toThrow(RangeError);
              continue;
            }
            map.insert({ start, end, prot: o.prot, kind: 'anon' });
            for (const p of pages) model.set(p, o.prot);
          } else if (o.kind === 'remove') {
            map.remove(start, end);
            for (const p of pages) model.delete(p);
          } else if (map.covers(start, end)) {
            map.protect(start, end, o.prot);
            for (const p of pages) model.set(p, o.prot);
          } else {
            expect(pages.every((p) => model.has(p))).toBe(false);
          }
        }
        const areas = map.list();
        areas.slice(1).forEach((area, i) => {
          expect(areas[i]?.end).toBeLessThanOrEqual(area.start);
        });
        for (let p = 0; p < 80 * PAGE; p += PAGE) expect(map.find(p + 5)?.prot).toBe(model.get(p));
        const free = map.freeRangeBelow(80 * PAGE, 3 * PAGE, 0);
        if (free !== null) {
          expect(map.overlaps(free, free + 3 * PAGE)).toBe(false);
          expect(free + 3 * PAGE).toBeLessThanOrEqual(80 * PAGE);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
