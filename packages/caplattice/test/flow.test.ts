import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bellLaPadulaPolicy,
  bibaPolicy,
  canFlow,
  denningPolicy,
  dualLattice,
  FlowError,
  InvalidArgumentError,
  EXOV6_LATTICE as L,
} from '../src/index.js';

const n = (name: string) => L.node(name);
const label = fc.integer({ min: 0, max: L.size - 1 });

describe('Denning flow', () => {
  it('canFlow(a, b) iff a <= b', () => {
    expect(canFlow(L, n('USER'), n('SYSTEM'))).toBe(true);
    expect(canFlow(L, n('SYSTEM'), n('USER'))).toBe(false);
    expect(canFlow(L, n('FILE'), n('TCP'))).toBe(false);
    const p = denningPolicy(L);
    expect(p.canSend(n('SANDBOX'), n('GUEST'))).toBe(true);
    expect(p.canSend(n('GUEST'), n('SANDBOX'))).toBe(false);
  });
});

describe('Bell-LaPadula', () => {
  const p = bellLaPadulaPolicy(L);
  it('no read up, no write down', () => {
    expect(p.canRead(n('SYSTEM'), n('FILE'))).toBe(true);
    expect(p.canRead(n('FILE'), n('SYSTEM'))).toBe(false);
    expect(p.canWrite(n('FILE'), n('SYSTEM'))).toBe(true);
    expect(p.canWrite(n('SYSTEM'), n('FILE'))).toBe(false);
    expect(p.canRead(n('FILE'), n('TCP'))).toBe(false);
    expect(p.canWrite(n('FILE'), n('TCP'))).toBe(false);
  });
  it('the strong *-property writes only at the same label', () => {
    const strong = bellLaPadulaPolicy(L, { strongStar: true });
    expect(strong.canWrite(n('FILE'), n('FILE'))).toBe(true);
    expect(strong.canWrite(n('FILE'), n('SYSTEM'))).toBe(false);
    expect(strong.canSend(n('FILE'), n('SYSTEM'))).toBe(false);
    expect(() => strong.checkSend(n('FILE'), n('SYSTEM'))).toThrow(/strong \*-property/);
  });
  it('checkSend names both labels', () => {
    expect(() => p.checkSend(n('SYSTEM'), n('USER'))).toThrow(FlowError);
    expect(() => p.checkSend(n('SYSTEM'), n('USER'))).toThrow(/from SYSTEM to USER/);
    expect(() => p.checkSend(n('USER'), n('SYSTEM'))).not.toThrow();
  });
});

describe('Biba', () => {
  const p = bibaPolicy(L);
  it('no read down, no write up', () => {
    expect(p.canRead(n('FILE'), n('SYSTEM'))).toBe(true);
    expect(p.canRead(n('SYSTEM'), n('FILE'))).toBe(false);
    expect(p.canWrite(n('SYSTEM'), n('FILE'))).toBe(true);
    expect(p.canWrite(n('FILE'), n('SYSTEM'))).toBe(false);
    expect(p.canSend(n('ROOT'), n('SANDBOX'))).toBe(true);
    expect(() => p.checkSend(n('SANDBOX'), n('ROOT'))).toThrow(/no write up/);
  });

  it('is Bell-LaPadula on the dual lattice, decision for decision', () => {
    const dual = bellLaPadulaPolicy(dualLattice(L));
    fc.assert(
      fc.property(label, label, (s, o) => {
        expect(p.canRead(s, o)).toBe(dual.canRead(s, o));
        expect(p.canWrite(s, o)).toBe(dual.canWrite(s, o));
        expect(p.canSend(s, o)).toBe(dual.canSend(s, o));
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('all policies', () => {
  it('Denning and Bell-LaPadula send exactly along the order, Biba against it', () => {
    const d = denningPolicy(L);
    const b = bellLaPadulaPolicy(L);
    const i = bibaPolicy(L);
    fc.assert(
      fc.property(label, label, (a, c) => {
        expect(d.canSend(a, c)).toBe(L.leq(a, c));
        expect(b.canSend(a, c)).toBe(L.leq(a, c));
        expect(i.canSend(a, c)).toBe(L.leq(c, a));
      }),
      { seed: 8, numRuns: 200 },
    );
  });
  it('reject a non-lattice and non-labels', () => {
    expect(() => denningPolicy({} as never)).toThrow(InvalidArgumentError);
    expect(() => denningPolicy(L).canSend(99, 0)).toThrow(/not a label/);
  });
});
