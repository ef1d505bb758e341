import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  type CapId,
  type CapSpace,
  DerivationTree,
  defineRights,
  generationOf,
  InvalidArgumentError,
  EXOV6_LATTICE as L,
  Rights,
  slotOf,
} from '../../src/index.js';

const R = Rights;
const ALL = 0x3fff;
const n = (name: string) => L.node(name);
const frame = { type: 'frame', id: 42 };

function setup() {
  const tree = new DerivationTree({ lattice: L });
  const a = tree.createSpace('envA');
  const b = tree.createSpace('envB');
  const root = a.create(frame, ALL, n('SYSTEM'));
  return { tree, a, b, root };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CapabilityError) return e.code;
    throw e;
  }
  return undefined;
}

describe('create, check, inspect', () => {
  it('creates an original capability that checks and inspects', () => {
    const { a, root } = setup();
    expect(a.check(root, R.READ | R.WRITE)).toBe(true);
    expect(a.check(root, 1 << 20)).toBe(false);
    const cap = a.inspect(root);
    expect(cap.object).toEqual(frame);
    expect(cap.rights).toBe(ALL);
    expect(L.format(cap.label)).toBe('SYSTEM');
    expect(cap.badge).toBeUndefined();
    expect(cap.parent).toBeNull();
    expect(cap.generation).toBe(1);
    expect(a.size).toBe(1);
  });

  it('never resolves ids it did not issue', () => {
    const { a, root } = setup();
    for (const id of [0, -1, root + 1, root - 2 ** 24, 2 ** 53 - 1, Number.NaN, 1.5, 2 ** 60]) {
      expect(a.check(id, 0)).toBe(false);
    }
    expect(codeOf(() => a.inspect(root + 2 ** 24))).toBe('INVALID_ID');
    expect(() => a.inspect('x' as never)).toThrow(InvalidArgumentError);
  });

  it('refuses a rights argument that is not a mask (a typo must not mean "no rights")', () => {
    const { a, root } = setup();
    const typo = (R as Record<string, number>).REAd;
    expect(() => a.check(root, typo as number)).toThrow(InvalidArgumentError);
    expect(() => a.check(root, -1)).toThrow(InvalidArgumentError);
  });

  it('validates create arguments', () => {
    const { a } = setup();
    expect(() => a.create({ type: '', id: 1 }, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => a.create({ type: 'x', id: -1 }, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => a.create({ type: 'x', id: 1 }, 2 ** 32, 0)).toThrow(InvalidArgumentError);
    expect(() => a.create({ type: 'x', id: 1 }, 0, 99)).toThrow(/not a label of lattice exov6/);
    expect(() => a.create({ type: 'x', id: 1 }, 0, 0, { badge: -3 })).toThrow(InvalidArgumentError);
  });
});

describe('derive', () => {
  it('derives a child with fewer rights and a lower label, into another space', () => {
    const { a, b, root } = setup();
    const child = a.derive(root, { rights: R.READ | R.GRANT, label: n('FILE') }, b);
    const cap = b.inspect(child);
    expect(cap.rights).toBe(R.READ | R.GRANT);
    expect(L.format(cap.label)).toBe('FILE');
    expect(cap.parent?.space).toBe(a);
    expect(cap.parent?.id).toBe(root);
    expect(cap.object).toEqual(frame);
    expect(b.check(child, R.WRITE)).toBe(false);
  });

  it('keeps the parent label when none is asked for', () => {
    const { a, root } = setup();
    expect(L.format(a.inspect(a.derive(root, { rights: R.READ })).label)).toBe('SYSTEM');
  });

  it('refuses more rights than the parent holds, naming them (no silent downgrade)', () => {
    const { a, root } = setup();
    const child = a.derive(root, { rights: R.READ | R.GRANT });
    expect(() => a.derive(child, { rights: R.READ | R.WRITE | R.MAP })).toThrow(
      'derive: cannot grant WRITE|MAP: the parent holds only READ|GRANT (requested READ|WRITE|MAP)',
    );
    expect(codeOf(() => a.derive(child, { rights: R.WRITE }))).toBe('RIGHTS_ESCALATION');
  });

  it('refuses a higher or incomparable label', () => {
    const { a, root } = setup();
    const child = a.derive(root, { rights: R.READ | R.GRANT, label: n('FILE') });
    expect(() => a.derive(child, { rights: R.READ, label: n('SYSTEM') })).toThrow(
      /label SYSTEM is not <= the parent's label FILE in lattice exov6/,
    );
    expect(codeOf(() => a.derive(child, { rights: R.READ, label: n('MEM') }))).toBe('LABEL_ESCALATION');
    expect(codeOf(() => a.derive(root, { rights: R.READ, label: n('TCP') }))).toBe('LABEL_ESCALATION');
  });

  it('needs GRANT on the parent', () => {
    const { a, root } = setup();
    const noGrant = a.derive(root, { rights: R.READ | R.WRITE });
    expect(() => a.derive(noGrant, { rights: R.READ })).toThrow(
      'derive: the capability lacks GRANT (it holds READ|WRITE)',
    );
    expect(codeOf(() => a.derive(noGrant, { rights: 0 }))).toBe('MISSING_RIGHTS');
  });

  it('sets a badge once and never changes it', () => {
    const { a, root } = setup();
    const badged = a.derive(root, { rights: R.READ | R.GRANT, badge: 7 });
    expect(a.inspect(badged).badge).toBe(7);
    const inherits = a.derive(badged, { rights: R.READ });
    expect(a.inspect(inherits).badge).toBe(7);
    expect(a.inspect(a.derive(badged, { rights: R.READ, badge: 7 })).badge).toBe(7);
    expect(() => a.derive(badged, { rights: R.READ, badge: 8 })).toThrow(/the parent is badged 7/);
    expect(codeOf(() => a.derive(badged, { rights: R.READ, badge: 0 }))).toBe('BADGE_CHANGE');
  });

  it('validates the request', () => {
    const { a, root } = setup();
    expect(() => a.derive(root, null as never)).toThrow(InvalidArgumentError);
    expect(() => a.derive(root, { rights: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => a.derive(root, { rights: 1, badge: 2 ** 53 })).toThrow(InvalidArgumentError);
    const other = new DerivationTree({ lattice: L }).createSpace();
    expect(() => a.derive(root, { rights: 1 }, other)).toThrow(/same derivation tree/);
  });
});

describe('copy, move, delete', () => {
  it('copy needs DUPLICATE and yields an identical child', () => {
    const { a, b, root } = setup();
    const badged = a.derive(root, { rights: R.READ | R.DUPLICATE, label: n('USER'), badge: 3 });
    const copy = a.copy(badged, b);
    const cap = b.inspect(copy);
    expect(cap.rights).toBe(R.READ | R.DUPLICATE);
    expect(L.format(cap.label)).toBe('USER');
    expect(cap.badge).toBe(3);
    expect(cap.parent?.id).toBe(badged);
    expect(codeOf(() => b.copy(b.copy(copy), a))).toBeUndefined();
    const plain = a.derive(root, { rights: R.READ });
    expect(codeOf(() => a.copy(plain))).toBe('MISSING_RIGHTS');
  });

  it('move gives a new id and invalidates the old one; another space needs TRANSFER', () => {
    const { a, b, root } = setup();
    const child = a.derive(root, { rights: R.READ | R.TRANSFER });
    const moved = a.move(child, b);
    expect(a.check(child, 0)).toBe(false);
    expect(b.inspect(moved).rights).toBe(R.READ | R.TRANSFER);
    expect(b.inspect(moved).parent?.id).toBe(root);
    const stuck = a.derive(root, { rights: R.READ });
    expect(codeOf(() => a.move(stuck, b))).toBe('MISSING_RIGHTS');
    const renamed = a.move(stuck); // within the same space: no right needed
    expect(a.check(renamed, R.READ)).toBe(true);
    expect(a.check(stuck, 0)).toBe(false);
    // Revoking the root still reaches the moved capability.
    expect(a.revoke(root)).toBe(2);
    expect(b.check(moved, 0)).toBe(false);
  });

  it('delete keeps the children, still revocable from above', () => {
    const { tree, a, b, root } = setup();
    const mid = a.derive(root, { rights: R.READ | R.GRANT, label: n('FILE') });
    const leaf = a.derive(mid, { rights: R.READ }, b);
    a.delete(mid);
    expect(a.check(mid, 0)).toBe(false);
    expect(b.check(leaf, R.READ)).toBe(true);
    // The nearest surviving ancestor is now the root.
    expect(b.inspect(leaf).parent?.id).toBe(root);
    // mid had one child, so no ghost is kept for it: the leaf now hangs from the root directly.
    expect(tree.stats()).toEqual({ nodes: 2, capabilities: 2, pendingRevokes: 0 });
    expect(a.revoke(root)).toBe(1);
    expect(b.check(leaf, 0)).toBe(false);
    expect(tree.stats()).toEqual({ nodes: 1, capabilities: 1, pendingRevokes: 0 });
  });

  it('keeps a ghost only while it has two or more children', () => {
    const { tree, a, b, root } = setup();
    const mid = a.derive(root, { rights: ALL });
    const x = a.derive(mid, { rights: R.READ }, b);
    const y = a.derive(mid, { rights: R.READ }, b);
    a.delete(mid);
    expect(tree.stats()).toEqual({ nodes: 4, capabilities: 3, pendingRevokes: 0 }); // mid is a ghost
    b.delete(x);
    // Down to one child: the ghost is spliced out and y hangs from the root.
    expect(tree.stats()).toEqual({ nodes: 2, capabilities: 2, pendingRevokes: 0 });
    expect(b.inspect(y).parent?.id).toBe(root);
    expect(a.revoke(root)).toBe(1);
    expect(b.check(y, 0)).toBe(false);
  });

  it('deleting the middle of a chain leaves no ghosts behind', () => {
    const { tree, a, root } = setup();
    let id = root;
    const chain: CapId[] = [];
    for (let i = 0; i < 5; i++) {
      id = a.derive(id, { rights: ALL });
      chain.push(id);
    }
    for (const c of chain.slice(0, -1)) a.delete(c);
    expect(tree.stats()).toEqual({ nodes: 2, capabilities: 2, pendingRevokes: 0 });
    expect(a.inspect(chain[4] as CapId).parent?.id).toBe(root);
    a.delete(chain[4] as CapId);
    expect(tree.stats().nodes).toBe(1);
  });
});

describe('stale ids', () => {
  it('an id never resolves again once its slot is reused', () => {
    const { a, root } = setup();
    const first = a.derive(root, { rights: R.READ });
    a.delete(first);
    const second = a.derive(root, { rights: R.READ | R.WRITE });
    expect(slotOf(second)).toBe(slotOf(first));
    expect(generationOf(second)).toBe(generationOf(first) + 1);
    expect(a.check(first, 0)).toBe(false);
    expect(a.check(second, R.WRITE)).toBe(true);
  });

  it('retires a slot whose generation runs out instead of wrapping', () => {
    const tree = new DerivationTree({ lattice: L });
    const s = tree.createSpace({ name: 'tiny', maxGeneration: 3 });
    const root = s.create(frame, ALL, n('ROOT'));
    const seen: CapId[] = [];
    for (let i = 0; i < 12; i++) {
      const id = s.derive(root, { rights: R.READ });
      seen.push(id);
      s.delete(id);
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of seen) expect(s.check(id, 0)).toBe(false);
    expect(Math.max(...seen.map(generationOf))).toBe(3);
    expect(s.retiredSlots).toBe(4);
  });
});

describe('revoke', () => {
  it('removes every descendant in every space and keeps the capability', () => {
    const { tree, a, b, root } = setup();
    const c = tree.createSpace('envC');
    const x = a.derive(root, { rights: R.READ | R.GRANT }, b);
    const y = b.derive(x, { rights: R.READ | R.GRANT }, c);
    const z = c.derive(y, { rights: R.READ }, a);
    const sibling = a.create({ type: 'frame', id: 43 }, ALL, n('SYSTEM'));
    expect(a.revoke(root)).toBe(3);
    for (const [s, id] of [
      [b, x],
      [c, y],
      [a, z],
    ] as [CapSpace<number>, CapId][]) {
      expect(s.check(id, 0)).toBe(false);
    }
    expect(a.check(root, ALL)).toBe(true);
    expect(a.check(sibling, ALL)).toBe(true);
    expect(b.size + c.size).toBe(0);
  });

  it('needs REVOKE', () => {
    const { a, root } = setup();
    const child = a.derive(root, { rights: R.READ | R.GRANT });
    expect(() => a.revoke(child)).toThrow('revoke: the capability lacks REVOKE (it holds READ|GRANT)');
  });

  it('revokes the subtree below a derived capability only', () => {
    const { a, b, root } = setup();
    const mid = a.derive(root, { rights: R.READ | R.GRANT | R.REVOKE }, b);
    const below = b.derive(mid, { rights: R.READ });
    const beside = a.derive(root, { rights: R.READ });
    expect(b.revoke(mid)).toBe(1);
    expect(b.check(below, 0)).toBe(false);
    expect(b.check(mid, R.REVOKE)).toBe(true);
    expect(a.check(beside, R.READ)).toBe(true);
  });

  it('handles a chain 200 000 deep without recursion', () => {
    const tree = new DerivationTree({ lattice: L });
    const s = tree.createSpace();
    const root = s.create(frame, ALL, n('ROOT'));
    let id = root;
    for (let i = 0; i < 200_000; i++) id = s.derive(id, { rights: ALL });
    expect(s.revoke(root)).toBe(200_000);
    expect(tree.stats().nodes).toBe(1);
    expect(s.size).toBe(1);
  });

  it('tells the holders which ids were revoked', () => {
    const tree = new DerivationTree({ lattice: L });
    const told: CapId[] = [];
    const a = tree.createSpace('a');
    const b = tree.createSpace({ name: 'b', onRevoked: (id) => told.push(id) });
    const root = a.create(frame, ALL, n('ROOT'));
    const x = a.derive(root, { rights: ALL }, b);
    const y = b.derive(x, { rights: R.READ }, b);
    expect(told).toEqual([]);
    a.revoke(root);
    expect(told.sort()).toEqual([x, y].sort());
  });

  it('the same rights schema names user-defined rights in messages', () => {
    const schema = defineRights(['AUDIT']);
    const tree = new DerivationTree({ lattice: L, rights: schema });
    const s = tree.createSpace();
    const root = s.create(frame, R.GRANT, n('ROOT'));
    expect(() => s.derive(root, { rights: schema.bit('AUDIT') })).toThrow(/cannot grant AUDIT/);
  });
});

describe('incremental revoke', () => {
  /** `count` descendants of the root, spread over two spaces, every third one below the one before. */
  function wide(count: number) {
    const { tree, a, b, root } = setup();
    const ids: [CapSpace<number>, CapId][] = [];
    for (let i = 0; i < count; i++) {
      const into = i % 2 === 0 ? b : a;
      const above = i % 3 === 2 ? ids[ids.length - 1] : undefined;
      const id = above
        ? above[0].derive(above[1], { rights: ALL }, into)
        : a.derive(root, { rights: ALL }, into);
      ids.push([into, id]);
    }
    return { tree, a, b, root, ids };
  }

  it('makes every descendant unreachable at once and reclaims them step by step', () => {
    const { tree, a, b, root, ids } = wide(1000);
    const job = a.startRevoke(root);
    expect(tree.stats().pendingRevokes).toBe(1);
    for (const [s, id] of ids) expect(s.check(id, 0)).toBe(false);
    expect(a.inspect(root).revoking).toBe(true);
    expect(a.check(root, ALL)).toBe(true);
    const occupied = a.size + b.size;
    let steps = 0;
    while (!job.step(50)) {
      steps++;
      for (const [s, id] of ids) expect(s.check(id, 0)).toBe(false);
    }
    expect(steps).toBeGreaterThan(20);
    expect(job.removed).toBe(ids.length);
    expect(occupied - (a.size + b.size)).toBe(ids.length);
    expect(tree.stats()).toEqual({ nodes: 1, capabilities: 1, pendingRevokes: 0 });
    expect(a.inspect(root).revoking).toBe(false);
  });

  it('never frees more than its budget in one step, and spends at most two units per descendant', () => {
    const { tree, a, root, ids } = wide(300);
    const job = a.startRevoke(root);
    let steps = 0;
    while (!job.done) {
      const before = tree.stats().nodes;
      job.step(7);
      expect(before - tree.stats().nodes).toBeLessThanOrEqual(7);
      steps++;
    }
    // Each step but the last spends its whole budget; the walk costs at most 2 units per node.
    expect((steps - 1) * 7).toBeLessThanOrEqual(2 * ids.length);
  });

  it('costs at most 4 units per capability removed, even below a long chain of deleted ones', () => {
    const { tree, a, root } = setup();
    let id = root;
    const chain: CapId[] = [];
    for (let i = 0; i < 10_000; i++) {
      id = a.derive(id, { rights: ALL });
      chain.push(id);
    }
    for (const c of chain.slice(0, -1)) a.delete(c);
    const job = a.startRevoke(root);
    let units = 0;
    while (!job.step(1)) units++;
    expect(job.removed).toBe(1);
    expect(units).toBeLessThanOrEqual(4);
    expect(tree.stats()).toEqual({ nodes: 1, capabilities: 1, pendingRevokes: 0 });
  });

  it('refuses to derive from a capability being revoked, but allows delete and move', () => {
    const { tree, a, b, root } = setup();
    a.derive(root, { rights: ALL });
    a.startRevoke(root);
    expect(codeOf(() => a.derive(root, { rights: R.READ }))).toBe('REVOKE_IN_PROGRESS');
    expect(codeOf(() => a.copy(root))).toBe('REVOKE_IN_PROGRESS');
    const moved = a.move(root, b);
    expect(b.inspect(moved).revoking).toBe(true);
    b.delete(moved);
    expect(tree.stats().pendingRevokes).toBe(1);
    tree.reap();
    expect(tree.stats()).toEqual({ nodes: 0, capabilities: 0, pendingRevokes: 0 });
  });

  it('starting the same revoke twice returns the running job', () => {
    const { a, root } = setup();
    a.derive(root, { rights: ALL });
    const job = a.startRevoke(root);
    expect(a.startRevoke(root)).toBe(job);
    expect(a.revoke(root)).toBe(1);
    expect(job.done).toBe(true);
  });

  it('an outer revoke finishes an inner one started earlier, counting its removals', () => {
    const { tree, a, b, root } = setup();
    const mid = a.derive(root, { rights: ALL }, b);
    const leaves: CapId[] = [];
    for (let i = 0; i < 100; i++) leaves.push(b.derive(mid, { rights: R.READ }));
    const beside = a.derive(root, { rights: R.READ });
    const inner = b.startRevoke(mid);
    inner.step(10);
    const removedByInner = inner.removed;
    expect(removedByInner).toBeGreaterThan(0);
    const outer = a.startRevoke(root);
    expect(b.check(mid, 0)).toBe(false); // now below the outer revoke
    expect(() => b.startRevoke(mid)).toThrow(/has been revoked/);
    expect(outer.finish()).toBe(100 - removedByInner + 2);
    expect(inner.done).toBe(true);
    expect(inner.removed).toBe(100);
    expect(a.check(beside, 0)).toBe(false);
    expect(tree.stats()).toEqual({ nodes: 1, capabilities: 1, pendingRevokes: 0 });
  });

  it('tree.reap drives every pending revoke', () => {
    const { tree, a, root } = setup();
    const x = a.derive(root, { rights: ALL });
    const y = a.derive(root, { rights: ALL });
    for (let i = 0; i < 20; i++) {
      a.derive(x, { rights: R.READ });
      a.derive(y, { rights: R.READ });
    }
    const jx = a.startRevoke(x);
    const jy = a.startRevoke(y);
    expect(tree.reap(5)).toBe(false);
    expect(tree.reap()).toBe(true);
    expect(jx.done && jy.done).toBe(true);
    expect(jx.removed + jy.removed).toBe(40);
    expect(() => tree.reap(0)).toThrow(InvalidArgumentError);
    expect(() => jx.step(0)).toThrow(InvalidArgumentError);
  });

  it('clear() finishes pending revokes and empties the space', () => {
    const { tree, a, b, root } = setup();
    const x = a.derive(root, { rights: ALL }, b);
    b.derive(x, { rights: R.READ });
    a.startRevoke(root);
    expect(b.clear()).toBe(0);
    expect(a.clear()).toBe(1);
    expect(tree.stats()).toEqual({ nodes: 0, capabilities: 0, pendingRevokes: 0 });
  });
});
