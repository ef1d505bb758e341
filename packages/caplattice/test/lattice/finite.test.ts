import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXOV6_HASSE, EXOV6_LATTICE, exov6Lattice, hasseLattice, LatticeError } from '../../src/index.js';
import { hasseOf, nodeName } from './arbitraries.js';

describe('the ExoV6 lattice', () => {
  const L = EXOV6_LATTICE;
  const n = (name: string) => L.node(name);

  it('has the order of the design', () => {
    expect(L.format(L.top)).toBe('ROOT');
    expect(L.format(L.bottom)).toBe('SANDBOX');
    const above: Record<string, string[]> = {
      SYSTEM: ['FILE', 'MEM', 'USER', 'SANDBOX'],
      NETWORK: ['TCP', 'UDP', 'GUEST', 'SANDBOX'],
      FILE: ['USER', 'SANDBOX'],
      TCP: ['GUEST', 'SANDBOX'],
    };
    for (const [hi, los] of Object.entries(above)) {
      for (const lo of los) {
        expect(L.leq(n(lo), n(hi)), `${lo} <= ${hi}`).toBe(true);
        expect(L.leq(n(hi), n(lo)), `${hi} <= ${lo}`).toBe(false);
      }
    }
    expect(L.leq(n('FILE'), n('NETWORK'))).toBe(false);
    expect(L.leq(n('USER'), n('GUEST'))).toBe(false);
    expect(L.leq(n('GUEST'), n('USER'))).toBe(false);
  });

  it('is exactly the order of the design, pair for pair', () => {
    // The covering relation as the design states it, transcribed here rather than read from EXOV6_HASSE,
    // so the constant is checked against the specification and not against itself.
    const covers: [string, string][] = [
      ['ROOT', 'SYSTEM'],
      ['ROOT', 'NETWORK'],
      ['SYSTEM', 'FILE'],
      ['SYSTEM', 'MEM'],
      ['NETWORK', 'TCP'],
      ['NETWORK', 'UDP'],
      ['FILE', 'USER'],
      ['MEM', 'USER'],
      ['TCP', 'GUEST'],
      ['UDP', 'GUEST'],
      ['USER', 'SANDBOX'],
      ['GUEST', 'SANDBOX'],
    ];
    const names = [...new Set(covers.flat())];
    expect([...L.nodes].sort()).toEqual([...names].sort());
    // Reflexive-transitive closure of "is covered by": below.get(x) = every label <= x.
    const below = new Map(names.map((x) => [x, new Set([x])]));
    for (let changed = true; changed; ) {
      changed = false;
      for (const [hi, lo] of covers) {
        for (const x of below.get(lo) as Set<string>) {
          const set = below.get(hi) as Set<string>;
          if (!set.has(x)) {
            set.add(x);
            changed = true;
          }
        }
      }
    }
    for (const a of names) {
      for (const b of names) {
        expect(L.leq(n(a), n(b)), `${a} <= ${b}`).toBe((below.get(b) as Set<string>).has(a));
      }
    }
  });

  it('joins and meets across the branches', () => {
    const join = (a: string, b: string) => L.format(L.join(n(a), n(b)));
    const meet = (a: string, b: string) => L.format(L.meet(n(a), n(b)));
    expect(join('FILE', 'MEM')).toBe('SYSTEM');
    expect(join('TCP', 'UDP')).toBe('NETWORK');
    expect(join('USER', 'GUEST')).toBe('ROOT');
    expect(join('FILE', 'TCP')).toBe('ROOT');
    expect(join('USER', 'MEM')).toBe('MEM');
    expect(meet('FILE', 'MEM')).toBe('USER');
    expect(meet('TCP', 'UDP')).toBe('GUEST');
    expect(meet('SYSTEM', 'NETWORK')).toBe('SANDBOX');
    expect(meet('FILE', 'TCP')).toBe('SANDBOX');
    expect(meet('ROOT', 'UDP')).toBe('UDP');
  });

  it('is rebuilt identically by exov6Lattice() and from EXOV6_HASSE', () => {
    const again = exov6Lattice();
    expect(again.nodes).toEqual(L.nodes);
    expect(hasseLattice(EXOV6_HASSE).nodes).toEqual(L.nodes);
    expect(L.size).toBe(10);
  });

  it('rejects labels that are not node numbers', () => {
    expect(() => L.join(10, 0)).toThrow(LatticeError);
    expect(() => L.leq(-1, 0)).toThrow(/-1 is not a label of lattice exov6/);
    expect(() => L.meet(1.5, 0)).toThrow(LatticeError);
    expect(() => L.parse('KERNEL')).toThrow(/unknown node "KERNEL"/);
    expect(L.isLabel(3)).toBe(true);
    expect(L.isLabel('3')).toBe(false);
  });
});

describe('hasseLattice: diagrams that are not lattices', () => {
  it('names a pair with two minimal upper bounds', () => {
    // The "bowtie": a and b both below c and d, which are incomparable.
    const bowtie = { top: ['c', 'd'], c: ['a', 'b'], d: ['a', 'b'], a: ['bot'], b: ['bot'], bot: [] };
    expect(() => hasseLattice(bowtie, 'bowtie')).toThrow(
      /a and b have no join \(least upper bound\): [cd] and [cd] are both minimal upper bounds/,
    );
  });

  it('names a pair with no common upper bound', () => {
    expect(() => hasseLattice({ a: [], b: [] }, 'two')).toThrow(/a and b have no common upper bound/);
  });

  it('names a pair with no common lower bound', () => {
    // Every pair has a join here (the pair scan checks joins first), but a and b meet nowhere.
    expect(() => hasseLattice({ top: ['a', 'b'], a: [], b: [] }, 'vee')).toThrow(
      /a and b have no common lower bound, so no meet/,
    );
  });

  it('rejects cycles, shortcut edges, unknown and repeated names', () => {
    expect(() => hasseLattice({ a: ['b'], b: ['a'] })).toThrow(/form a cycle among a, b/);
    expect(() => hasseLattice({ a: ['b', 'c'], b: ['c'], c: [] })).toThrow(
      /a -> c is not a covering edge, since a > b > c/,
    );
    expect(() => hasseLattice({ a: ['x'] })).toThrow(/a covers "x", which is not a node/);
    expect(() => hasseLattice({ a: ['b', 'b'], b: [] })).toThrow(/a covers b twice/);
    expect(() => hasseLattice({ a: ['a'] })).toThrow(/cannot cover itself/);
    expect(() => hasseLattice({})).toThrow(/at least one node/);
    expect(() => hasseLattice({ 'bad name': [] })).toThrow(/must be a word/);
    expect(() => hasseLattice([] as never)).toThrow(LatticeError);
  });

  it('accepts a one-node lattice', () => {
    const one = hasseLattice({ only: [] });
    expect(one.top).toBe(0);
    expect(one.bottom).toBe(0);
    expect(one.join(0, 0)).toBe(0);
  });

  it('builds the largest allowed size', () => {
    // A chain of 1024 nodes, the worst case for the table build.
    const diagram: Record<string, string[]> = {};
    for (let i = 0; i < 1024; i++) diagram[`n${i}`] = i === 0 ? [] : [`n${i - 1}`];
    const l = hasseLattice(diagram);
    expect(l.format(l.join(l.node('n5'), l.node('n900')))).toBe('n900');
    diagram.n1024 = ['n1023'];
    expect(() => hasseLattice(diagram)).toThrow(/more than 1024 nodes/);
  });
});

// Random finite orders: either the builder accepts the diagram and agrees with brute force, or it
// refuses it naming a pair that brute force confirms has no join or no meet.
const randomOrder = fc
  .integer({ min: 1, max: 8 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 16 }),
    }),
  )
  .map(({ n, edges }) => {
    // lt[i][j]: i < j. Edges only go from a lower index to a higher one, so the order is acyclic.
    const lt = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
    for (const [a, b] of edges) if (a < b) (lt[a] as boolean[])[b] = true;
    for (let k = 0; k < n; k++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (lt[i]?.[k] && lt[k]?.[j]) (lt[i] as boolean[])[j] = true;
    return { n, lt };
  });

function bruteBound(n: number, le: (a: number, b: number) => boolean, a: number, b: number): number | null {
  const bounds = [...Array(n).keys()].filter((u) => le(a, u) && le(b, u));
  const least = bounds.filter((u) => bounds.every((v) => le(u, v)));
  return least.length === 1 ? (least[0] as number) : null;
}

describe('hasseLattice on random finite orders', () => {
  for (const seed of [11, 12]) {
    it(`accepts exactly the lattices and names a real offending pair otherwise (seed ${seed})`, () => {
      fc.assert(
        fc.property(randomOrder, ({ n, lt }) => {
          const idx = [...Array(n).keys()];
          const le = (a: number, b: number) => a === b || (lt[a]?.[b] ?? false);
          const ge = (a: number, b: number) => le(b, a);
          const diagram = hasseOf(idx, (a, b) => lt[a]?.[b] ?? false);
          let lattice: ReturnType<typeof hasseLattice> | undefined;
          let error: unknown;
          try {
            lattice = hasseLattice(diagram, 'random');
          } catch (e) {
            error = e;
          }
          const isLattice = idx.every((a) =>
            idx.every((b) => bruteBound(n, le, a, b) !== null && bruteBound(n, ge, a, b) !== null),
          );
          expect(lattice !== undefined).toBe(isLattice);
          if (lattice) {
            const at = (i: number) => lattice.node(nodeName(i));
            for (const a of idx) {
              for (const b of idx) {
                expect(lattice.leq(at(a), at(b))).toBe(le(a, b));
                expect(lattice.join(at(a), at(b))).toBe(at(bruteBound(n, le, a, b) as number));
                expect(lattice.meet(at(a), at(b))).toBe(at(bruteBound(n, ge, a, b) as number));
              }
            }
          } else {
            expect(error).toBeInstanceOf(LatticeError);
            const m = /(N\d+) and (N\d+) have no (common (upper|lower) bound|join|meet)/.exec(
              (error as Error).message,
            );
            if (!m) throw new Error(`no offending pair named in: ${(error as Error).message}`);
            const [, first, second, kind] = m as unknown as [string, string, string, string];
            const a = Number(first.slice(1));
            const b = Number(second.slice(1));
            expect(bruteBound(n, /upper|join/.test(kind) ? le : ge, a, b)).toBeNull();
          }
        }),
        { numRuns: 400, seed },
      );
    });
  }
});
