import { describe, expect, it } from 'vitest';
import {
  chainLattice,
  dualLattice,
  LatticeError,
  powersetLattice,
  productLattice,
  securityLattice,
} from '../../src/index.js';

describe('chainLattice', () => {
  const c = chainLattice(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET']);
  it('orders levels lowest first', () => {
    expect(c.leq(c.level('CONFIDENTIAL'), c.level('SECRET'))).toBe(true);
    expect(c.leq(c.level('TOP_SECRET'), c.level('SECRET'))).toBe(false);
    expect(c.format(c.join(0, 2))).toBe('SECRET');
    expect(c.format(c.meet(3, 1))).toBe('CONFIDENTIAL');
    expect(c.format(c.top)).toBe('TOP_SECRET');
    expect(c.parse(' SECRET ')).toBe(2);
  });
  it('validates its input and its labels', () => {
    expect(() => chainLattice([])).toThrow(/at least one level/);
    expect(() => chainLattice(['A', 'A'])).toThrow(/name A appears twice/);
    expect(() => chainLattice(['A B'])).toThrow(/must be a word/);
    expect(() => c.leq(4, 0)).toThrow(LatticeError);
    expect(() => c.join('1' as never, 0)).toThrow(/"1" is not a label/);
    expect(() => c.parse('SUPER')).toThrow(/unknown level "SUPER"/);
  });
});

describe('powersetLattice', () => {
  const names = Array.from({ length: 100 }, (_, i) => `K${i}`);
  const p = powersetLattice(names, 'k');
  it('handles more than 64 categories', () => {
    const a = p.set('K1', 'K70');
    const b = p.set('K70', 'K99');
    expect(p.format(p.join(a, b))).toBe('{K1,K70,K99}');
    expect(p.format(p.meet(a, b))).toBe('{K70}');
    expect(p.leq(p.set('K70'), a)).toBe(true);
    expect(p.leq(a, b)).toBe(false);
    expect(p.format(p.bottom)).toBe('{}');
    expect(p.parse('{ K99 , K1 }')).toBe(p.set('K1', 'K99'));
    expect(p.parse('{}')).toBe(0n);
  });
  it('rejects non-labels and bad text', () => {
    expect(() => p.join(-1n, 0n)).toThrow(LatticeError);
    expect(() => p.join(1n << 100n, 0n)).toThrow(LatticeError);
    expect(() => p.join(1 as never, 0n)).toThrow(LatticeError);
    expect(() => p.parse('K1')).toThrow(/expected a category set/);
    expect(() => p.parse('{K1,NOPE}')).toThrow(/unknown category "NOPE"/);
    expect(() => p.set('Z')).toThrow(LatticeError);
  });
});

describe('productLattice and securityLattice (Bell-LaPadula labels)', () => {
  const s = securityLattice(['LOW', 'HIGH'], ['CRYPTO', 'NUCLEAR']);
  const { first: level, second: cats } = s;
  const lab = (l: string, ...c: string[]) =>
    s.pair(
      (level as ReturnType<typeof chainLattice>).level(l),
      (cats as ReturnType<typeof powersetLattice>).set(...c),
    );

  it('dominance is level >= and categories superset', () => {
    expect(s.leq(lab('LOW', 'CRYPTO'), lab('HIGH', 'CRYPTO', 'NUCLEAR'))).toBe(true);
    expect(s.leq(lab('HIGH', 'CRYPTO'), lab('LOW', 'CRYPTO', 'NUCLEAR'))).toBe(false);
    expect(s.leq(lab('LOW', 'CRYPTO'), lab('HIGH', 'NUCLEAR'))).toBe(false);
  });
  it('join is (max, union), meet is (min, intersection)', () => {
    expect(s.format(s.join(lab('LOW', 'CRYPTO'), lab('HIGH', 'NUCLEAR')))).toBe('(HIGH, {CRYPTO,NUCLEAR})');
    expect(s.format(s.meet(lab('LOW', 'CRYPTO'), lab('HIGH', 'CRYPTO', 'NUCLEAR')))).toBe('(LOW, {CRYPTO})');
  });
  it('labels are frozen pairs compared by content', () => {
    const a = lab('HIGH', 'CRYPTO');
    expect(Object.isFrozen(a)).toBe(true);
    expect(s.equals(a, s.parse('(HIGH, {CRYPTO})'))).toBe(true);
    expect(() => s.parse('HIGH, {CRYPTO}')).toThrow(/expected a pair/);
    expect(() => s.parse('(HIGH, {CRYPTO}, x)')).toThrow(/expected a pair/);
    expect(() => s.leq([0, 0n, 1] as never, a)).toThrow(LatticeError);
    expect(() => s.pair(5, 0n)).toThrow(LatticeError);
  });
  it('nests: a product of products parses back', () => {
    const pp = productLattice(s, s, 'pp');
    const x = pp.pair(lab('HIGH', 'NUCLEAR'), lab('LOW'));
    expect(pp.format(x)).toBe('((HIGH, {NUCLEAR}), (LOW, {}))');
    expect(pp.equals(pp.parse(pp.format(x)), x)).toBe(true);
  });
});

describe('dualLattice', () => {
  it('turns the order upside down', () => {
    const c = chainLattice(['A', 'B', 'C']);
    const d = dualLattice(c);
    expect(d.leq(2, 0)).toBe(true);
    expect(d.join(0, 2)).toBe(0);
    expect(d.meet(0, 2)).toBe(2);
    expect(d.top).toBe(0);
    expect(d.bottom).toBe(2);
    expect(d.name).toBe('dual(chain)');
  });
});
