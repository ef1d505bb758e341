// CapSpace.lookup: the allocation-free view of a capability a kernel uses on every call; it must agree
// with inspect on every live capability and refuse exactly what inspect refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CapabilityFields, DerivationTree, EXOV6_LATTICE as L, Rights as R } from '../../src/index.js';

describe('CapSpace.lookup', () => {
  it('agrees with inspect, reuses the record, and refuses stale, revoked and malformed ids', () => {
    const tree = new DerivationTree({ lattice: L });
    const a = tree.createSpace('a');
    const b = tree.createSpace('b');
    const root = a.create({ type: 'frame', id: 42 }, R.READ | R.WRITE | R.GRANT | R.REVOKE, L.node('SYSTEM'));
    const child = a.derive(root, { rights: R.READ | R.GRANT, label: L.node('USER'), badge: 9 }, b);
    const into: CapabilityFields<number> = { type: '', objectId: 0, rights: 0, label: 0, badge: undefined };
    for (const [space, id] of [
      [a, root],
      [b, child],
    ] as const) {
      expect(space.lookup(id, into)).toBe(true);
      const c = space.inspect(id);
      expect(into).toEqual({
        type: c.object.type,
        objectId: c.object.id,
        rights: c.rights,
        label: c.label,
        badge: c.badge,
      });
    }
    expect(b.lookup('x' as unknown as number, into)).toBe(false);
    a.revoke(root);
    expect(b.lookup(child, into)).toBe(false);
    const job = a.startRevoke(root);
    expect(a.lookup(root, into)).toBe(true); // a revoke keeps the capability itself
    job.finish();
  });

  it('matches check(id, 0) on random ids', () => {
    const tree = new DerivationTree({ lattice: L });
    const s = tree.createSpace('s');
    const ids = Array.from({ length: 20 }, (_, k) => s.create({ type: 't', id: k }, R.READ, L.node('USER')));
    for (const id of ids.slice(0, 10)) s.delete(id);
    const into: CapabilityFields<number> = { type: '', objectId: 0, rights: 0, label: 0, badge: undefined };
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...ids), fc.integer({ min: -5, max: 2 ** 30 })), (id) => {
        expect(s.lookup(id, into)).toBe(s.check(id, 0));
      }),
    );
  });
});
