// Model-based property test of the derivation tree: random sequences of create, derive, copy, move,
// delete, revoke (whole and incremental) and reap over three CapSpaces, run against the real tree and
// against a plain-object model that predicts every outcome. After every operation:
//   - every capability the model holds resolves, with exactly its rights, label, badge and parent;
//   - every id that was ever invalidated (deleted, moved away, revoked) does not resolve;
//   - a revoke's work is at most 4 units per capability it removes;
//   - no capability exceeds its parent's rights or label (read from the tree itself);
// and at the end, once all revokes are reaped, no node or slot is left over (ghosts only where a deleted
// capability still has two branches leading to live ones).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  type CapId,
  type CapSpace,
  DerivationTree,
  EXOV6_LATTICE as L,
  Rights as R,
  type RevokeJob,
} from '../../src/index.js';

const BITS = [R.READ, R.WRITE, R.GRANT, R.REVOKE, R.TRANSFER, R.DUPLICATE];
const SPACES = 3;

interface MCap {
  space: number;
  id: CapId;
  rights: number;
  label: number;
  badge: number | undefined;
  object: number;
  parent: MCap | null;
  children: MCap[];
  alive: boolean; // holds a slot and is not revoked
  deleted: boolean;
  job: RevokeJob<number> | null;
}

type Op =
  | { op: 'create'; space: number; rights: number; label: number }
  | {
      op: 'derive';
      pick: number;
      into: number;
      rights: number;
      subset: boolean;
      label: number | null;
      badge: number | null;
    }
  | { op: 'copy'; pick: number; into: number }
  | { op: 'move'; pick: number; into: number }
  | { op: 'delete'; pick: number }
  | { op: 'revoke'; pick: number }
  | { op: 'startRevoke'; pick: number }
  | { op: 'reap'; budget: number };

const mask = fc.subarray(BITS).map((bits) => bits.reduce((m, b) => m | b, 0));
const space = fc.nat(SPACES - 1);
const pick = fc.nat(10_000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant('create' as const), space, rights: mask, label: fc.nat(9) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('derive' as const),
      pick,
      into: space,
      rights: mask,
      subset: fc.boolean(),
      label: fc.option(fc.nat(9)),
      badge: fc.option(fc.nat(3), { freq: 3 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ op: fc.constant('copy' as const), pick, into: space }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('move' as const), pick, into: space }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), pick }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('revoke' as const), pick }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('startRevoke' as const), pick }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('reap' as const), budget: fc.integer({ min: 1, max: 12 }) }),
    weight: 2,
  },
);

function run(ops: Op[]): void {
  const tree = new DerivationTree({ lattice: L });
  const spaces: CapSpace<number>[] = Array.from({ length: SPACES }, (_, i) => tree.createSpace(`s${i}`));
  const issued: MCap[] = []; // every capability ever issued, in order (picks index into this)
  const deadIds: [number, CapId][] = [];
  let objects = 0;

  const descendants = (c: MCap): MCap[] => {
    const out: MCap[] = [];
    const stack = [...c.children];
    while (stack.length) {
      const x = stack.pop() as MCap;
      out.push(x);
      stack.push(...x.children);
    }
    return out;
  };
  const revoking = (c: MCap) => c.job !== null && !c.job.done;
  const expectCode = (f: () => unknown, code: string) => {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught, `expected ${code}`).toBeInstanceOf(CapabilityError);
    expect((caught as CapabilityError).code).toBe(code);
  };
  const kill = (c: MCap) => {
    c.alive = false;
    deadIds.push([c.space, c.id]);
  };
  const newChild = (
    parent: MCap,
    into: number,
    id: CapId,
    rights: number,
    label: number,
    badge: number | undefined,
  ) => {
    const c: MCap = {
      space: into,
      id,
      rights,
      label,
      badge,
      object: parent.object,
      parent,
      children: [],
      alive: true,
      deleted: false,
      job: null,
    };
    parent.children.push(c);
    issued.push(c);
  };

  for (const o of ops) {
    if (o.op === 'create') {
      const id = (spaces[o.space] as CapSpace<number>).create(
        { type: 'obj', id: objects },
        o.rights,
        o.label,
      );
      issued.push({
        space: o.space,
        id,
        rights: o.rights,
        label: o.label,
        badge: undefined,
        object: objects++,
        parent: null,
        children: [],
        alive: true,
        deleted: false,
        job: null,
      });
    } else if (o.op === 'reap') {
      tree.reap(o.budget);
    } else {
      if (issued.length === 0) continue;
      const c = issued[o.pick % issued.length] as MCap;
      const s = spaces[c.space] as CapSpace<number>;
      if (!c.alive) {
        // Any operation on an invalidated id fails, whatever it is.
        expectCode(() => s.inspect(c.id), 'INVALID_ID');
        expectCode(() => s.delete(c.id), 'INVALID_ID');
        continue;
      }
      switch (o.op) {
        case 'derive': {
          const rights = o.subset ? c.rights & o.rights : o.rights;
          const label = o.label ?? c.label;
          const badge = o.badge ?? undefined;
          const into = spaces[o.into] as CapSpace<number>;
          const req = {
            rights,
            ...(o.label !== null ? { label } : {}),
            ...(badge !== undefined ? { badge } : {}),
          };
          if ((c.rights & R.GRANT) === 0) expectCode(() => s.derive(c.id, req, into), 'MISSING_RIGHTS');
          else if ((rights & ~c.rights) !== 0)
            expectCode(() => s.derive(c.id, req, into), 'RIGHTS_ESCALATION');
          else if (!L.leq(label, c.label)) expectCode(() => s.derive(c.id, req, into), 'LABEL_ESCALATION');
          else if (badge !== undefined && c.badge !== undefined && badge !== c.badge)
            expectCode(() => s.derive(c.id, req, into), 'BADGE_CHANGE');
          else if (revoking(c)) expectCode(() => s.derive(c.id, req, into), 'REVOKE_IN_PROGRESS');
          else newChild(c, o.into, s.derive(c.id, req, into), rights, label, c.badge ?? badge);
          break;
        }
        case 'copy': {
          const into = spaces[o.into] as CapSpace<number>;
          if ((c.rights & R.DUPLICATE) === 0) expectCode(() => s.copy(c.id, into), 'MISSING_RIGHTS');
          else if (revoking(c)) expectCode(() => s.copy(c.id, into), 'REVOKE_IN_PROGRESS');
          else newChild(c, o.into, s.copy(c.id, into), c.rights, c.label, c.badge);
          break;
        }
        case 'move': {
          const into = spaces[o.into] as CapSpace<number>;
          if (o.into !== c.space && (c.rights & R.TRANSFER) === 0) {
            expectCode(() => s.move(c.id, into), 'MISSING_RIGHTS');
          } else {
            const id = s.move(c.id, into);
            deadIds.push([c.space, c.id]);
            c.space = o.into;
            c.id = id;
          }
          break;
        }
        case 'delete':
          s.delete(c.id);
          kill(c);
          c.deleted = true;
          break;
        case 'revoke':
        case 'startRevoke': {
          if ((c.rights & R.REVOKE) === 0) {
            expectCode(() => s.startRevoke(c.id), 'MISSING_RIGHTS');
            break;
          }
          const victims = descendants(c).filter((d) => d.alive);
          const otherPending = tree.stats().pendingRevokes;
          const job = s.startRevoke(c.id);
          if (c.job && !c.job.done) expect(job).toBe(c.job);
          c.job = job;
          for (const v of victims) kill(v);
          if (o.op === 'revoke' && otherPending === 0) {
            // One unit per step: the units spent are the revoke's whole work, which the ghost rule
            // bounds by 4 per capability removed, however much was deleted below it before.
            let units = 0;
            while (!job.step(1)) units++;
            expect(job.removed).toBe(victims.length);
            expect(units).toBeLessThanOrEqual(4 * victims.length);
          } else if (o.op === 'revoke') {
            expect(job.finish()).toBeGreaterThanOrEqual(victims.length);
          }
          break;
        }
      }
    }
    checkInvariants();
  }

  // Drain every revoke; nothing may leak.
  tree.reap();
  checkInvariants();
  const alive = issued.filter((c) => c.alive);
  // A deleted capability stays in the tree as a ghost only while two or more of its children still lead
  // to a live capability: with one it is spliced out, with none it is freed.
  const leadsToAlive = (c: MCap): boolean => c.alive || descendants(c).some((d) => d.alive);
  const ghosts = issued.filter((c) => c.deleted && c.children.filter(leadsToAlive).length >= 2);
  expect(tree.stats()).toEqual({
    nodes: alive.length + ghosts.length,
    capabilities: alive.length,
    pendingRevokes: 0,
  });
  expect(spaces.reduce((n, s) => n + s.size, 0)).toBe(alive.length);

  // Plain comparisons rather than expect(): this runs after every operation, over every capability.
  function checkInvariants(): void {
    const fail = (what: string): never => {
      throw new Error(`invariant broken: ${what}`);
    };
    for (let i = 0; i < SPACES; i++) {
      const s = spaces[i] as CapSpace<number>;
      const held = new Map(issued.filter((c) => c.alive && c.space === i).map((c) => [c.id, c]));
      const want = [...held.keys()].sort((x, y) => x - y).join();
      const got = [...s.ids()].sort((x, y) => x - y).join();
      if (got !== want) fail(`space s${i} resolves [${got}], the model holds [${want}]`);
      for (const [id, m] of held) {
        const cap = s.inspect(id);
        if (
          cap.rights !== m.rights ||
          cap.label !== m.label ||
          cap.badge !== m.badge ||
          cap.object.id !== m.object
        ) {
          fail(`capability ${id} in s${i} differs from the model`);
        }
        if (!s.check(id, m.rights)) fail(`check(${id}) is false`);
        // The nearest live ancestor, in the model and in the tree.
        let p = m.parent;
        while (p && !p.alive) p = p.parent;
        const treeParent = cap.parent ? `${cap.parent.space.name}:${cap.parent.id}` : 'none';
        const modelParent = p ? `s${p.space}:${p.id}` : 'none';
        if (treeParent !== modelParent)
          fail(`parent of ${id} is ${treeParent}, the model says ${modelParent}`);
        if (cap.parent) {
          // Read from the tree, not the model: no capability exceeds its parent.
          const parent = cap.parent.space.inspect(cap.parent.id);
          if ((cap.rights & ~parent.rights) !== 0) fail(`${id} has rights its parent lacks`);
          if (!L.leq(cap.label, parent.label)) fail(`${id} has a label above its parent's`);
        }
      }
    }
    for (const [i, id] of deadIds)
      if ((spaces[i] as CapSpace<number>).check(id, 0)) fail(`stale id ${id} resolves`);
  }
}

describe('derivation tree against a model', () => {
  // Several seeds, each its own test, so no single synchronous stretch runs long.
  for (const seed of [101, 202, 303, 404, 505, 606]) {
    it(`random operation sequences keep every invariant (seed ${seed})`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 70 }), (ops) => run(ops)),
        { numRuns: 60, seed },
      );
    });
  }

  it('a long sequence with deep chains and many revokes', () => {
    const deep: Op[] = [{ op: 'create', space: 0, rights: BITS.reduce((m, b) => m | b, 0), label: 9 }];
    for (let i = 0; i < 300; i++) {
      deep.push({
        op: 'derive',
        pick: i,
        into: i % SPACES,
        rights: 0xffff,
        subset: true,
        label: null,
        badge: null,
      });
    }
    deep.push({ op: 'startRevoke', pick: 150 }, { op: 'reap', budget: 5 }, { op: 'startRevoke', pick: 40 });
    deep.push({ op: 'delete', pick: 20 }, { op: 'reap', budget: 3 }, { op: 'revoke', pick: 0 });
    run(deep);
  });
});
