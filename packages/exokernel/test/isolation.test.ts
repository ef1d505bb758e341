/**
 * Isolation: environment A attacks every memory and capability primitive with stale and forged ids,
 * capabilities missing a right or naming the wrong kind of object, malformed sizes, offsets and
 * addresses, label violations, quota abuse, and reaches for its sibling B's objects. Each attack is one
 * row: it runs in a fresh world (test/support/attack.ts) and must be refused with the code errors.ts
 * documents for it, leaving the kernel's snapshot and every byte of physical memory as they were.
 * The primitives added since (environment control, asDestroy and protect, IPC, devices) are attacked in
 * isolation-more.test.ts, on the same world and with the same instruments.
 *
 * A property closes the suite: random calls of every primitive with random, often garbage, arguments
 * from A and B never throw anything but an ExoError, change nothing when refused, and never let A (or
 * anything it creates) hold, map or read B's private frames.
 */
import { Rights } from '@exov6/caplattice';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_RIGHTS, Exokernel, FRAME_RIGHTS, USER_VA_LIMIT } from '../src/index';
import {
  A_DATA,
  type Attack,
  attempt,
  BAD_VAS,
  buildWorld,
  type CapArgument,
  capabilityAttacks,
  describeOutcome,
  expectRefused,
  expectSameState,
  expectSecretsKept,
  foreignToA,
  play,
  SECRET,
  stateOf,
  stepArb,
  type Tally,
  VA,
  type World,
} from './support/attack';

const PAGE = 4096;
/** Garbage goes where the signature wants a number: the attacker is not bound by our types. */
const num = (x: unknown) => x as number;

// ------------------------------------------------------------------------------------------- known bugs

// ------------------------------------------------------------------------------------------- capability arguments

type Primitive =
  | 'frameAlloc'
  | 'frameFree'
  | 'frameRead'
  | 'frameWrite'
  | 'frameCopy'
  | 'asCreate'
  | 'map'
  | 'unmap'
  | 'lookup'
  | 'envCreate'
  | 'capDerive'
  | 'capGrant'
  | 'capTransfer'
  | 'capRevoke'
  | 'capDelete'
  | 'capInspect';

const R = Rights;

const CAP_ARGUMENTS: readonly CapArgument<Primitive>[] = [
  {
    primitive: 'frameFree',
    position: 'frame',
    kind: 'frame',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.frameFree(num(id)),
    needs: [R.REVOKE],
  },
  {
    primitive: 'frameRead',
    position: 'frame',
    kind: 'frame',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.frameRead(num(id), 0, 16),
    needs: [R.READ],
  },
  {
    primitive: 'frameWrite',
    position: 'frame',
    kind: 'frame',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.frameWrite(num(id), 8, Uint8Array.of(1, 2, 3)),
    needs: [R.WRITE],
  },
  {
    primitive: 'frameCopy',
    position: 'to',
    kind: 'frame',
    valid: (w) => w.A.frame2,
    arm: (w) => (id) => w.a.frameCopy(num(id), w.A.frame),
    needs: [R.WRITE],
  },
  {
    primitive: 'frameCopy',
    position: 'from',
    kind: 'frame',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.frameCopy(w.A.frame2, num(id)),
    needs: [R.READ],
  },
  {
    primitive: 'map',
    position: 'space',
    kind: 'aspace',
    valid: (w) => w.A.space,
    arm: (w) => (id) => w.a.map(num(id), VA.free, w.A.frame),
    needs: [R.MAP],
  },
  {
    primitive: 'map',
    position: 'frame',
    kind: 'frame',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.map(w.A.space, VA.free, num(id), { writable: true, executable: true }),
    needs: [R.MAP, R.READ, R.WRITE, R.EXECUTE],
  },
  {
    primitive: 'unmap',
    position: 'space',
    kind: 'aspace',
    valid: (w) => w.A.space,
    arm: (w) => (id) => w.a.unmap(num(id), VA.frame),
    needs: [R.MAP],
  },
  {
    primitive: 'lookup',
    position: 'space',
    kind: 'aspace',
    valid: (w) => w.A.space,
    arm: (w) => (id) => w.a.lookup(num(id), VA.frame),
    needs: [R.READ],
  },
  {
    primitive: 'capDerive',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.capDerive(num(id), { rights: R.READ }),
    needs: [R.GRANT],
    raw: true,
  },
  {
    primitive: 'capGrant',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.capGrant(num(id), { rights: R.READ }, w.A.envB),
    needs: [R.GRANT],
    raw: true,
  },
  {
    primitive: 'capGrant',
    position: 'toEnv',
    kind: 'env',
    valid: (w) => w.A.envB,
    arm: (w) => (id) => w.a.capGrant(w.A.frame, { rights: R.READ }, num(id)),
    needs: [R.GRANT],
  },
  {
    primitive: 'capTransfer',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.capTransfer(num(id), w.A.envB),
    needs: [R.TRANSFER],
    raw: true,
  },
  {
    primitive: 'capTransfer',
    position: 'toEnv',
    kind: 'env',
    valid: (w) => w.A.envB,
    arm: (w) => {
      const movable = w.a.capDerive(w.A.frame, { rights: R.READ | R.TRANSFER });
      return (id) => w.a.capTransfer(movable, num(id));
    },
    needs: [R.GRANT],
  },
  {
    primitive: 'capRevoke',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.capRevoke(num(id)),
    needs: [R.REVOKE],
    raw: true,
  },
  {
    primitive: 'capDelete',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.copy,
    arm: (w) => (id) => w.a.capDelete(num(id)),
    needs: [],
    raw: true,
  },
  {
    primitive: 'capInspect',
    position: 'cap',
    kind: 'any',
    valid: (w) => w.A.frame,
    arm: (w) => (id) => w.a.capInspect(num(id)),
    needs: [],
    raw: true,
  },
];

// ------------------------------------------------------------------------------------------- other attacks

/** A's quota down to `left` frames by allocating frames. */
function drainQuota(w: World, left = 0): void {
  while (w.a.quotaFree > left) w.a.frameAlloc();
}

/**
 * Maps A.copy at the start of fresh 512 GiB regions (three page tables each) until fewer than three
 * frames plus `left` remain, then allocates down to `left`; returns the next sparse mapping.
 */
function sparseMappingsUntil(w: World, left: number): () => unknown {
  let region = 1;
  while (w.a.quotaFree >= 3 + left) w.a.map(w.A.space, region++ * 2 ** 39, w.A.copy);
  drainQuota(w, left);
  return () => w.a.map(w.A.space, region * 2 ** 39, w.A.copy);
}

function otherAttacks(): Partial<Record<Primitive, Attack[]>> {
  const request = (r: unknown) => r as { rights: number; label?: string; badge?: number };
  return {
    frameAlloc: [
      ...(
        [
          ['ROOT', 'E_LABEL'],
          ['NETWORK', 'E_LABEL'],
          ['GUEST', 'E_LABEL'],
          ['NO_SUCH_LABEL', 'E_INVAL'],
          ['', 'E_INVAL'],
        ] as const
      ).map(
        ([label, code]): Attack => ({
          name: `label '${label}' (A is SYSTEM)`,
          code,
          arm: (w) => () => w.a.frameAlloc({ label }),
        }),
      ),
      ...([3, null, {}, ['USER']] as const).map(
        (label): Attack => ({
          name: `label ${JSON.stringify(label)}`,
          code: 'E_INVAL',
          arm: (w) => () => w.a.frameAlloc({ label: label as unknown as string }),
        }),
      ),
      {
        name: 'options null',
        code: 'E_INVAL',
        arm: (w) => () => w.a.frameAlloc(null as unknown as { label?: string }),
      },
      {
        name: 'quota exhausted by frames',
        code: 'E_NOMEM',
        arm: (w) => {
          drainQuota(w);
          return () => w.a.frameAlloc();
        },
      },
      {
        name: 'quota exhausted, at a lower label',
        code: 'E_NOMEM',
        arm: (w) => {
          drainQuota(w);
          return () => w.a.frameAlloc({ label: 'SANDBOX' });
        },
      },
      {
        name: 'quota exhausted by page tables',
        code: 'E_NOMEM',
        arm: (w) => {
          sparseMappingsUntil(w, 0);
          return () => w.a.frameAlloc();
        },
      },
      {
        name: 'quota given away to a child',
        code: 'E_NOMEM',
        arm: (w) => {
          w.a.envCreate({ quota: w.a.quotaFree });
          return () => w.a.frameAlloc();
        },
      },
    ],

    frameFree: [
      {
        name: 'frame = a copy with every right of the allocation capability',
        code: 'E_RIGHTS',
        arm: (w) => {
          const copy = w.a.capDerive(w.A.frame, { rights: FRAME_RIGHTS });
          return () => w.a.frameFree(copy);
        },
      },
      { name: 'frame = A.copy (no REVOKE)', code: 'E_RIGHTS', arm: (w) => () => w.a.frameFree(w.A.copy) },
      {
        name: "frame = B's frame shared with A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.frameFree(w.A.fromB),
      },
      {
        name: "frame = the root's frame granted to A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.frameFree(w.A.hiFrame),
      },
    ],

    frameRead: [
      ...(
        [
          ['offset -1', -1, 1],
          ['offset 4097', PAGE + 1, 0],
          ['offset 0.5', 0.5, 1],
          ['offset NaN', Number.NaN, 1],
          ['offset Infinity', Number.POSITIVE_INFINITY, 0],
          ["offset '0'", '0', 1],
          ['offset undefined', undefined, 1],
          ['offset 2^53', 2 ** 53, 0],
          ['length -1', 0, -1],
          ['length 4097', 0, PAGE + 1],
          ['length 2.5', 0, 2.5],
          ['length NaN', 0, Number.NaN],
          ["length '16'", 0, '16'],
          ['length null', 0, null],
          ['beyond the page (offset 4000, length 97)', 4000, 97],
          ['beyond the page (offset 4096, length 1)', PAGE, 1],
          ['length 2^32 + 1', 0, 2 ** 32 + 1],
        ] as const
      ).map(
        ([name, offset, length]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.frameRead(w.A.frame, num(offset), num(length)),
        }),
      ),
    ],

    frameWrite: [
      ...(
        [
          ['offset -1', -1, 1],
          ['offset 4097', PAGE + 1, 0],
          ['offset 1.5', 1.5, 1],
          ['offset NaN', Number.NaN, 1],
          ["offset '0'", '0', 1],
          ['offset undefined', undefined, 1],
          ['4097 bytes', 0, PAGE + 1],
          ['beyond the page (200 bytes at 4000)', 4000, 200],
          ['beyond the page (1 byte at 4096)', PAGE, 1],
        ] as const
      ).map(
        ([name, offset, length]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.frameWrite(w.A.frame, num(offset), new Uint8Array(length).fill(0x77)),
        }),
      ),
      ...(
        [
          ['data = an array of numbers', [1, 2, 3]],
          ['data = a string', 'abc'],
          ['data = an ArrayBuffer', new ArrayBuffer(4)],
          ['data = a Uint16Array', new Uint16Array(4)],
          ['data = a Uint8ClampedArray', new Uint8ClampedArray(4)],
          ['data = a DataView', new DataView(new ArrayBuffer(4))],
          ['data = an array-like object', { length: 2, 0: 1, 1: 2 }],
          ['data = null', null],
          ['data = undefined', undefined],
        ] as const
      ).map(
        ([name, data]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.frameWrite(w.A.frame, 0, data as unknown as Uint8Array),
        }),
      ),
      {
        name: "frame = B's frame shared read-only with A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.frameWrite(w.A.fromB, 0, Uint8Array.of(1)),
      },
    ],

    frameCopy: [
      {
        name: "to = B's frame shared read-only with A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.frameCopy(w.A.fromB, w.A.frame),
      },
      {
        name: "from = B's private frame by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.frameCopy(w.A.frame, foreignToA(w, w.B.secret)),
      },
      {
        name: 'a SYSTEM frame into a USER frame (information flows down)',
        code: 'E_LABEL',
        arm: (w) => () => w.a.frameCopy(w.A.low, w.A.frame),
      },
      {
        name: "the root's ROOT frame into A's SYSTEM frame (information flows down)",
        code: 'E_LABEL',
        arm: (w) => () => w.a.frameCopy(w.A.frame2, w.A.hiFrame),
      },
    ],

    asCreate: [
      {
        name: 'quota exhausted',
        code: 'E_NOMEM',
        arm: (w) => {
          drainQuota(w);
          return () => w.a.asCreate();
        },
      },
    ],

    map: [
      ...BAD_VAS.map(
        ([name, va, code]): Attack => ({
          name: `va = ${name}`,
          code,
          arm: (w) => () => w.a.map(w.A.space, num(va), w.A.frame),
        }),
      ),
      {
        name: 'va already mapped (by A)',
        code: 'E_EXISTS',
        arm: (w) => () => w.a.map(w.A.space, VA.low, w.A.frame),
      },
      {
        name: "va already mapped (B's shared frame)",
        code: 'E_EXISTS',
        arm: (w) => () => w.a.map(w.A.space, VA.shared, w.A.frame2),
      },
      {
        name: "the root's ROOT frame into A's SYSTEM space (read up)",
        code: 'E_LABEL',
        arm: (w) => () => w.a.map(w.A.space, VA.free, w.A.hiFrame),
      },
      {
        name: "a SYSTEM frame into A's space through its USER-labelled capability",
        code: 'E_LABEL',
        arm: (w) => () => w.a.map(w.A.spaceLow, VA.free, w.A.frame),
      },
      {
        name: 'a USER frame writable into a SYSTEM space (write down)',
        code: 'E_LABEL',
        arm: (w) => () => w.a.map(w.A.space, VA.free, w.A.low, { writable: true }),
      },
      {
        name: "B's SANDBOX frame writable (A holds it read-only)",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.map(w.A.space, VA.free, w.A.fromB, { writable: true }),
      },
      {
        name: "B's frame executable (A holds it without EXECUTE)",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.map(w.A.space, VA.free, w.A.fromB, { executable: true }),
      },
      {
        name: "A's frame into B's space through the read-only capability B gave A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.map(w.A.bSpaceRead, VA.free, w.A.frame),
      },
      {
        name: "B's private frame by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.map(w.A.space, VA.free, foreignToA(w, w.B.secret)),
      },
      {
        name: "into B's private space by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.map(foreignToA(w, w.B.privSpace), VA.free, w.A.frame),
      },
      {
        name: 'sparse mappings until the page tables exhaust the quota (none left)',
        code: 'E_NOMEM',
        arm: (w) => sparseMappingsUntil(w, 0),
      },
      {
        name: 'sparse mappings until the page tables exhaust the quota (one frame left)',
        code: 'E_NOMEM',
        arm: (w) => sparseMappingsUntil(w, 1),
      },
      {
        name: 'sparse mappings until the page tables exhaust the quota (two frames left)',
        code: 'E_NOMEM',
        arm: (w) => sparseMappingsUntil(w, 2),
      },
      {
        name: 'a new 1 GiB region (PD and PT) with one frame left',
        code: 'E_NOMEM',
        arm: (w) => {
          drainQuota(w, 1);
          return () => w.a.map(w.A.space, 2 ** 30, w.A.copy);
        },
      },
      {
        name: 'a new 2 MiB region (PT) with no frame left',
        code: 'E_NOMEM',
        arm: (w) => {
          drainQuota(w, 0);
          return () => w.a.map(w.A.space, 2 ** 21 * 8, w.A.copy);
        },
      },
    ],

    unmap: [
      ...BAD_VAS.map(
        ([name, va, code]): Attack => ({
          name: `va = ${name}`,
          code,
          arm: (w) => () => w.a.unmap(w.A.space, num(va)),
        }),
      ),
      { name: 'va not mapped', code: 'E_NOENT', arm: (w) => () => w.a.unmap(w.A.space, VA.free) },
      {
        name: 'va not mapped, at the top of the user half',
        code: 'E_NOENT',
        arm: (w) => () => w.a.unmap(w.A.space, USER_VA_LIMIT - PAGE),
      },
      {
        name: "from B's space through the read-only capability B gave A",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.unmap(w.A.bSpaceRead, VA.frame),
      },
      {
        name: "from B's private space by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.unmap(foreignToA(w, w.B.privSpace), VA.frame),
      },
      {
        name: "from B's public space by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.unmap(foreignToA(w, w.B.space), VA.frame),
      },
    ],

    lookup: [
      ...BAD_VAS.map(
        ([name, va, code]): Attack => ({
          name: `va = ${name}`,
          code,
          arm: (w) => () => w.a.lookup(w.A.space, num(va)),
        }),
      ),
      {
        name: "in B's private space by B's id",
        code: 'E_BADCAP',
        arm: (w) => () => w.a.lookup(foreignToA(w, w.B.privSpace), VA.frame),
      },
      {
        name: 'through a capability lowered to USER without READ',
        code: 'E_RIGHTS',
        arm: (w) => {
          const blind = w.a.capDerive(w.A.space, { rights: R.MAP, label: 'USER' });
          return () => w.a.lookup(blind, VA.frame);
        },
      },
    ],

    envCreate: [
      ...(
        [
          ['quota -1', -1],
          ['quota 1.5', 1.5],
          ['quota NaN', Number.NaN],
          ['quota Infinity', Number.POSITIVE_INFINITY],
          ["quota '1'", '1'],
          ['quota undefined', undefined],
          ['quota null', null],
          ['quota as a BigInt', 1n],
        ] as const
      ).map(
        ([name, quota]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.envCreate({ quota: num(quota) }),
        }),
      ),
      ...(
        [
          ['options undefined', undefined],
          ['options null', null],
          ["options 'quota'", 'quota'],
          ['options 42', 42],
        ] as const
      ).map(
        ([name, options]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.envCreate(options as unknown as { quota: number }),
        }),
      ),
      {
        name: 'quota one more than A has',
        code: 'E_NOMEM',
        arm: (w) => () => w.a.envCreate({ quota: w.a.quotaFree + 1 }),
      },
      {
        name: 'quota 1 000 000',
        code: 'E_NOMEM',
        arm: (w) => () => w.a.envCreate({ quota: 1_000_000 }),
      },
      {
        name: 'quota 1 after a child took all of it',
        code: 'E_NOMEM',
        arm: (w) => {
          w.a.envCreate({ quota: w.a.quotaFree });
          return () => w.a.envCreate({ quota: 1 });
        },
      },
      ...(
        [
          ['ROOT', 'E_LABEL'],
          ['NETWORK', 'E_LABEL'],
          ['TCP', 'E_LABEL'],
          ['NO_SUCH_LABEL', 'E_INVAL'],
        ] as const
      ).map(
        ([label, code]): Attack => ({
          name: `label '${label}' (A is SYSTEM)`,
          code,
          arm: (w) => () => w.a.envCreate({ quota: 1, label }),
        }),
      ),
      ...([7, null, {}] as const).map(
        (label): Attack => ({
          name: `label ${JSON.stringify(label)}`,
          code: 'E_INVAL',
          arm: (w) => () => w.a.envCreate({ quota: 1, label: label as unknown as string }),
        }),
      ),
    ],

    capDerive: [
      ...(
        [
          ['rights -1', { rights: -1 }],
          ['rights 2^32', { rights: 2 ** 32 }],
          ['rights 1.5', { rights: 1.5 }],
          ['rights NaN', { rights: Number.NaN }],
          ["rights '1'", { rights: '1' }],
          ['rights missing', {}],
          ['request undefined', undefined],
          ['request null', null],
          ["request 'READ'", 'READ'],
          ["label 'NO_SUCH_LABEL'", { rights: 1, label: 'NO_SUCH_LABEL' }],
          ["label ''", { rights: 1, label: '' }],
          ['label 3', { rights: 1, label: 3 }],
          ['label {}', { rights: 1, label: {} }],
          ['badge -1', { rights: 1, badge: -1 }],
          ['badge 1.5', { rights: 1, badge: 1.5 }],
          ['badge 2^53', { rights: 1, badge: 2 ** 53 }],
          ['badge NaN', { rights: 1, badge: Number.NaN }],
          ["badge '7'", { rights: 1, badge: '7' }],
        ] as const
      ).map(
        ([name, req]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.capDerive(w.A.frame, request(req)),
        }),
      ),
      {
        name: 'a badge changed',
        code: 'E_INVAL',
        arm: (w) => {
          const badged = w.a.capDerive(w.A.frame, { rights: FRAME_RIGHTS, badge: 7 });
          return () => w.a.capDerive(badged, { rights: R.READ, badge: 8 });
        },
      },
      {
        name: 'rights A.copy lacks (WRITE)',
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capDerive(w.A.copy, { rights: R.READ | R.WRITE }),
      },
      {
        name: 'rights 0xffffffff',
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capDerive(w.A.frame, { rights: 0xffffffff }),
      },
      {
        name: 'a right nobody defined (bit 20)',
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capDerive(w.A.frame, { rights: 1 << 20 }),
      },
      {
        name: "every frame right from B's read-only frame",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capDerive(w.A.fromB, { rights: FRAME_RIGHTS }),
      },
      ...(
        [
          ['frame', 'ROOT'],
          ['frame', 'NETWORK'],
          ['low', 'SYSTEM'],
          ['space', 'ROOT'],
          ['envB', 'ROOT'],
          ['fromB', 'USER'],
          ['envB', 'SYSTEM'],
        ] as const
      ).map(
        ([cap, label]): Attack => ({
          name: `A.${cap} raised to label ${label}`,
          code: 'E_LABEL',
          arm: (w) => () => w.a.capDerive(w.A[cap], { rights: R.READ, label }),
        }),
      ),
    ],

    capGrant: [
      ...(
        [
          ['rights NaN', { rights: Number.NaN }],
          ['request undefined', undefined],
          ['request null', null],
          ["label 'NO_SUCH_LABEL'", { rights: 1, label: 'NO_SUCH_LABEL' }],
          ['badge -1', { rights: 1, badge: -1 }],
        ] as const
      ).map(
        ([name, req]): Attack => ({
          name,
          code: 'E_INVAL',
          arm: (w) => () => w.a.capGrant(w.A.frame, request(req), w.A.envB),
        }),
      ),
      {
        name: 'rights A.copy lacks (WRITE)',
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capGrant(w.A.copy, { rights: R.READ | R.WRITE }, w.A.envB),
      },
      {
        name: "B's frame back to B with more rights",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capGrant(w.A.fromB, { rights: R.READ | R.WRITE | R.MAP }, w.A.envB),
      },
      {
        name: 'A.frame raised to ROOT',
        code: 'E_LABEL',
        arm: (w) => () => w.a.capGrant(w.A.frame, { rights: R.READ, label: 'ROOT' }, w.A.envB),
      },
      {
        name: "B's SANDBOX frame raised to NETWORK on its way back to B",
        code: 'E_LABEL',
        arm: (w) => () => w.a.capGrant(w.A.fromB, { rights: R.READ, label: 'NETWORK' }, w.A.envB),
      },
      {
        name: 'a badge changed',
        code: 'E_INVAL',
        arm: (w) => {
          const badged = w.a.capDerive(w.A.frame, { rights: FRAME_RIGHTS, badge: 7 });
          return () => w.a.capGrant(badged, { rights: R.READ, badge: 8 }, w.A.envB);
        },
      },
    ],

    capTransfer: [
      {
        name: 'A.copy (no TRANSFER)',
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capTransfer(w.A.copy, w.A.envB),
      },
      {
        name: "B's frame shared with A (no TRANSFER)",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capTransfer(w.A.fromB, w.A.envB),
      },
      {
        name: "the root's frame (no TRANSFER)",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capTransfer(w.A.hiFrame, w.A.envB),
      },
    ],

    capRevoke: [
      { name: "B's frame shared with A", code: 'E_RIGHTS', arm: (w) => () => w.a.capRevoke(w.A.fromB) },
      {
        name: "B's space shared read-only",
        code: 'E_RIGHTS',
        arm: (w) => () => w.a.capRevoke(w.A.bSpaceRead),
      },
      { name: "the root's frame", code: 'E_RIGHTS', arm: (w) => () => w.a.capRevoke(w.A.hiFrame) },
      { name: 'A.copy', code: 'E_RIGHTS', arm: (w) => () => w.a.capRevoke(w.A.copy) },
    ],

    capDelete: [
      {
        name: "A.frame, a frame's allocation capability",
        code: 'E_STATE',
        arm: (w) => () => w.a.capDelete(w.A.frame),
      },
      {
        name: "A.low, a mapped frame's allocation capability",
        code: 'E_STATE',
        arm: (w) => () => w.a.capDelete(w.A.low),
      },
      {
        name: "A.frame2, a shared frame's allocation capability",
        code: 'E_STATE',
        arm: (w) => () => w.a.capDelete(w.A.frame2),
      },
      {
        name: 'the allocation capability of a frame allocated just now',
        code: 'E_STATE',
        arm: (w) => {
          const f = w.a.frameAlloc();
          return () => w.a.capDelete(f);
        },
      },
    ],
  };
}

// ------------------------------------------------------------------------------------------- the table

const PRIMITIVES: readonly Primitive[] = [
  'frameAlloc',
  'frameFree',
  'frameRead',
  'frameWrite',
  'frameCopy',
  'asCreate',
  'map',
  'unmap',
  'lookup',
  'envCreate',
  'capDerive',
  'capGrant',
  'capTransfer',
  'capRevoke',
  'capDelete',
  'capInspect',
];

function attackTable(): Map<Primitive, Attack[]> {
  const table = new Map<Primitive, Attack[]>(PRIMITIVES.map((p) => [p, []]));
  for (const arg of CAP_ARGUMENTS) table.get(arg.primitive)?.push(...capabilityAttacks(arg));
  for (const [p, rows] of Object.entries(otherAttacks())) table.get(p as Primitive)?.push(...rows);
  return table;
}

const TABLE = attackTable();

describe('the world the attacks run in', () => {
  it('is what the attacks assume', () => {
    const w = buildWorld();
    // B's ids (past its padding) name nothing of A's, so using them is reaching for B's objects.
    for (const id of Object.values(w.B)) if (id !== w.B.pad) expect(w.aEnv.space.has(id)).toBe(false);
    expect(w.a.lookup(w.A.space, VA.frame)).toBe(w.a.capInspect(w.A.frame).objectId);
    expect(w.a.lookup(w.A.space, VA.shared)).toBe(w.b.capInspect(w.B.shared).objectId);
    expect(w.a.lookup(w.A.space, VA.free)).toBeNull();
    expect(w.a.lookup(w.A.bSpaceRead, VA.frame)).toBe(w.b.capInspect(w.B.shared).objectId);
    expect([...w.a.frameRead(w.A.frame, 0, A_DATA.length)]).toEqual([...A_DATA]);
    expect([...w.b.frameRead(w.B.secret, 0, SECRET.length)]).toEqual([...SECRET]);
    expect(w.a.capInspect(w.A.hiFrame).label).toBe('ROOT');
    expect(w.a.capInspect(w.A.fromB).label).toBe('SANDBOX');
    expect(w.a.capInspect(w.A.spaceLow).label).toBe('USER');
    expect(w.a.capInspect(w.A.envB).rights).toBe(ENVIRONMENT_RIGHTS);
    // Every attack has a name of its own within its primitive.
    for (const [primitive, rows] of TABLE) {
      const names = rows.map((r) => r.name);
      expect(new Set(names).size, primitive).toBe(names.length);
    }
  });

  it('gives every capability argument a valid id with which the same call succeeds', () => {
    for (const arg of CAP_ARGUMENTS) {
      const w = buildWorld();
      const call = arg.arm(w);
      const outcome = attempt(() => call(arg.valid(w)));
      expect(describeOutcome(outcome), `${arg.primitive}(${arg.position})`).toBe('ok');
    }
  });

  it('accepts the values just inside every limit the attacks cross', () => {
    const w = buildWorld();
    const top = USER_VA_LIMIT - PAGE;
    const ok = (f: () => unknown) => expect(describeOutcome(attempt(f))).toBe('ok');
    ok(() => w.a.map(w.A.space, top, w.A.frame));
    expect(w.a.lookup(w.A.space, top)).toBe(w.a.capInspect(w.A.frame).objectId);
    ok(() => w.a.unmap(w.A.space, top));
    ok(() => w.a.map(w.A.space, 0, w.A.frame));
    ok(() => w.a.frameRead(w.A.frame, 0, PAGE));
    ok(() => w.a.frameRead(w.A.frame, PAGE, 0));
    ok(() => w.a.frameWrite(w.A.frame, 0, new Uint8Array(PAGE)));
    ok(() => w.a.frameWrite(w.A.frame, PAGE, new Uint8Array(0)));
    ok(() => w.a.capDerive(w.A.frame, { rights: 0, badge: Number.MAX_SAFE_INTEGER }));
    ok(() => w.a.capDerive(w.A.frame, { rights: FRAME_RIGHTS, label: 'SYSTEM' }));
    ok(() => w.a.frameAlloc({ label: 'SANDBOX' }));
    ok(() => w.a.envCreate({ quota: w.a.quotaFree, label: 'SYSTEM' }));
    expect(w.a.quotaFree).toBe(0);
    ok(() => w.a.envCreate({ quota: 0 }));
  });

  it('rebuilds identically, so every row starts from the same state', () => {
    expectSameState(stateOf(buildWorld().kernel), stateOf(buildWorld().kernel));
  });
});

for (const [primitive, rows] of TABLE) {
  describe(`A attacks ${primitive}`, () => {
    for (const row of rows) {
      it(`${row.name} → ${row.code}`, () => {
        const w = buildWorld();
        expectRefused(w.kernel, row.arm(w), row.code);
      });
    }
  });
}

// ------------------------------------------------------------------------------------------- more frames promised than exist

/**
 * The root environment may be given every frame of the machine as quota (createRootEnvironment accepts up
 * to memory.frameCount, more than is free), so quotas can promise frames that do not exist. A gets all
 * of the root's quota, fills memory and, with quota left, asks for more.
 */
function overcommitted() {
  const kernel = new Exokernel({ memoryBytes: 1 << 20 });
  const rootEnv = kernel.createRootEnvironment({ quota: kernel.memory.frameCount });
  const root = kernel.bind(rootEnv);
  const a = kernel.bind(kernel.environmentOf(rootEnv, root.envCreate({ quota: root.quotaFree })));
  const space = a.asCreate();
  const frame = a.frameAlloc();
  a.map(space, VA.frame, frame);
  while (kernel.frames.framesInUse < kernel.memory.frameCount) a.frameAlloc();
  expect(a.quotaFree).toBeGreaterThan(0);
  return { kernel, a, space, frame };
}

const OVERCOMMITTED: readonly {
  name: string;
  attack: (o: ReturnType<typeof overcommitted>) => unknown;
}[] = [
  { name: 'frameAlloc', attack: (o) => o.a.frameAlloc() },
  {
    name: 'asCreate',
    attack: (o) => o.a.asCreate(),
  },
  {
    name: 'map needing a page table',
    attack: (o) => o.a.map(o.space, 2 ** 39, o.frame),
  },
];

describe('A asks for frames the machine does not have (quota left, memory full)', () => {
  for (const row of OVERCOMMITTED) {
    it(`${row.name} → E_NOMEM`, () => {
      const o = overcommitted();
      expectRefused(o.kernel, () => row.attack(o), 'E_NOMEM');
    });
  }

  it('frameAlloc and asCreate do answer E_NOMEM (it is the state they change)', () => {
    for (const row of OVERCOMMITTED.slice(0, 2)) {
      const o = overcommitted();
      expect(describeOutcome(attempt(() => row.attack(o)))).toBe('E_NOMEM');
    }
  });
});

// ------------------------------------------------------------------------------------------- revocation notices

describe('takeRevocations', () => {
  it('tells the holders a revoke removed capabilities from, but not the environment that revoked', () => {
    const w = buildWorld();
    const given = w.a.capGrant(w.A.frame, { rights: R.READ }, w.A.envB);
    w.a.capRevoke(w.A.frame); // B loses `given`; A loses A.copy (and its mapping) by its own hand
    expect(w.a.takeRevocations()).toEqual([]);
    const before = stateOf(w.kernel);
    const theirs = w.b.takeRevocations();
    expect(theirs.map((n) => n.capId)).toEqual([given]);
    expect(w.b.takeRevocations()).toEqual([]);
    // Only B's count of waiting notices changed.
    const bId = w.bEnv.id;
    const strip = (s: typeof before) =>
      s.snapshot.envs.map((e) => (e.id === bId ? { ...e, revocations: 0 } : e));
    expect(strip(stateOf(w.kernel))).toStrictEqual(strip(before));
  });
});

// ------------------------------------------------------------------------------------------- random calls

describe('random calls from A and B, with random and garbage arguments', () => {
  const tally: Tally = new Map();

  it("throw nothing but ExoError, change nothing when refused, and never reach B's private frames", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60, size: 'max' }), (steps) => {
        const w = buildWorld();
        play(w, steps, tally);
        expectSecretsKept(w);
      }),
      { numRuns: 100 },
    );
  });

  it('exercised every primitive, succeeding and refused', () => {
    for (const op of [...PRIMITIVES, 'takeRevocations' as const]) {
      const t = tally.get(op);
      expect(t?.ok ?? 0, `${op} succeeded`).toBeGreaterThan(0);
      // takeRevocations cannot be refused, and asCreate only once a quota is spent.
      if (op !== 'takeRevocations' && op !== 'asCreate') {
        expect(t?.refused ?? 0, `${op} refused`).toBeGreaterThan(0);
      }
    }
  });
});
