/**
 * The isolation suite's world and instruments.
 *
 * The world: a kernel with a root environment and two sibling environments, A (label SYSTEM) and B
 * (label NETWORK), each holding frames, an address space with mappings, and capabilities the other (or
 * the root) granted it. B also keeps private frames filled with a secret pattern, mapped in a private
 * address space, that it never shares. B's capability ids are pushed above every slot A uses in an attack
 * (foreignToA checks it), so an id of B's never happens to name one of A's own capabilities: an attack
 * with it tests reaching B's objects.
 *
 * The instruments: the state a refused call must leave alone (the kernel's snapshot plus every byte of
 * physical memory, page tables included), the outcome of a call (value, refusal code, or anything else
 * thrown), the forged capability ids an attacker tries, the ways A comes to hold a stale id, and, for the
 * property, random calls (stepArb), a Player that makes them, and the check that B's secrets stayed B's.
 */
import { EXOV6_LATTICE, generationOf, Rights, slotOf } from '@exov6/caplattice';
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  ADDRESS_SPACE_RIGHTS,
  ENVIRONMENT_RIGHTS,
  type EnvApi,
  type Environment,
  ExoError,
  type ExoErrorCode,
  Exokernel,
  FRAME_RIGHTS,
  type KernelSnapshot,
} from '../../src/index';

/** What B writes into its private frames; A must never get to read it. */
export const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (0x5a + i * 0x3b) & 0xff);
/** What A writes into its own frame. */
export const A_DATA = Uint8Array.of(0xa1, 0xa2, 0xa3, 0xa4);

/** Where A's mappings are. */
export const VA = {
  /** A.frame, writable. */
  frame: 0x40_0000,
  /** A.low (a USER frame), read-only. */
  low: 0x40_1000,
  /** A.fromB (B's shared frame), read-only. */
  shared: 0x40_2000,
  /** A.copy, read-only. */
  copy: 0x40_3000,
  /** Free, and covered by the page tables A already has: mapping here costs no quota. */
  free: 0x50_0000,
} as const;

/** B's capabilities before its real ones: more than A ever holds in one world. */
const B_PADDING = 48;

/** A's capabilities. */
export interface AHoldings {
  /** Allocation capability of A's frame (A_DATA at offset 0), mapped writable at VA.frame. */
  frame: number;
  /** Allocation capability of A's second frame (granted read/map to B as B.fromA). */
  frame2: number;
  /** Allocation capability of a frame labelled USER, mapped read-only at VA.low. */
  low: number;
  /** A copy of `frame` with READ | MAP | GRANT, mapped read-only at VA.copy. */
  copy: number;
  /** A's address space (label SYSTEM). */
  space: number;
  /** A copy of `space` with READ | MAP lowered to label USER. */
  spaceLow: number;
  /** An environment capability for B (every environment right), granted by the root. */
  envB: number;
  /** READ | WRITE | MAP | GRANT on a frame of the root's, labelled ROOT. */
  hiFrame: number;
  /** READ | MAP | GRANT on B's shared frame, lowered by B to SANDBOX, mapped read-only at VA.shared. */
  fromB: number;
  /** READ on B's public address space. */
  bSpaceRead: number;
}

/** B's capabilities. */
export interface BHoldings {
  /** A frame whose copies pad B's slot table. */
  pad: number;
  /** Allocation capability of the frame B shares with A. */
  shared: number;
  /** Allocation capabilities of B's private frames (SECRET at offset 0). */
  secret: number;
  secret2: number;
  /** B's public address space: B.shared at VA.frame, B.fromA at VA.low. */
  space: number;
  /** B's private address space: B.secret at VA.frame, writable. */
  privSpace: number;
  /** An environment capability for A (every environment right), granted by the root. */
  envA: number;
  /** READ | MAP on A's second frame, at label SANDBOX. */
  fromA: number;
}

export interface World {
  kernel: Exokernel;
  rootEnv: Environment;
  aEnv: Environment;
  bEnv: Environment;
  root: EnvApi;
  a: EnvApi;
  b: EnvApi;
  /** The root's capabilities: the two environments and its ROOT-labelled frame. */
  R: { envA: number; envB: number; hi: number };
  A: AHoldings;
  B: BHoldings;
  /** The copies of B.pad that fill B's first slots. */
  padding: readonly number[];
  /** B's capabilities A must never reach, and the frames they name. */
  privateCaps: readonly number[];
  privateFrames: readonly number[];
}

export function buildWorld(): World {
  const kernel = new Exokernel({ memoryBytes: 1 << 20 });
  const rootEnv = kernel.createRootEnvironment({ quota: 160 });
  const root = kernel.bind(rootEnv);
  const envA = root.envCreate({ quota: 48, label: 'SYSTEM' });
  const envB = root.envCreate({ quota: 48, label: 'NETWORK' });
  const aEnv = kernel.environmentOf(rootEnv, envA);
  const bEnv = kernel.environmentOf(rootEnv, envB);
  const a = kernel.bind(aEnv);
  const b = kernel.bind(bEnv);

  const pad = b.frameAlloc();
  const padding = Array.from({ length: B_PADDING }, () => b.capDerive(pad, { rights: Rights.READ }));

  const hi = root.frameAlloc();
  root.frameWrite(hi, 0, Uint8Array.of(0xee, 0xee));
  const aEnvB = root.capGrant(envB, { rights: ENVIRONMENT_RIGHTS }, envA);
  const bEnvA = root.capGrant(envA, { rights: ENVIRONMENT_RIGHTS }, envB);
  const hiFrame = root.capGrant(hi, { rights: Rights.READ | Rights.WRITE | Rights.MAP | Rights.GRANT }, envA);

  const frame = a.frameAlloc();
  const frame2 = a.frameAlloc();
  const low = a.frameAlloc({ label: 'USER' });
  a.frameWrite(frame, 0, A_DATA);
  const space = a.asCreate();
  const copy = a.capDerive(frame, { rights: Rights.READ | Rights.MAP | Rights.GRANT });
  a.map(space, VA.frame, frame, { writable: true });
  a.map(space, VA.low, low);
  a.map(space, VA.copy, copy);
  const spaceLow = a.capDerive(space, { rights: Rights.READ | Rights.MAP, label: 'USER' });

  const shared = b.frameAlloc();
  const secret = b.frameAlloc();
  const secret2 = b.frameAlloc();
  b.frameWrite(secret, 0, SECRET);
  b.frameWrite(secret2, 0, SECRET);
  const bSpace = b.asCreate();
  const privSpace = b.asCreate();
  b.map(privSpace, VA.frame, secret, { writable: true });
  b.map(bSpace, VA.frame, shared);

  const fromB = b.capGrant(
    shared,
    { rights: Rights.READ | Rights.MAP | Rights.GRANT, label: 'SANDBOX' },
    bEnvA,
  );
  a.map(space, VA.shared, fromB);
  const fromA = a.capGrant(frame2, { rights: Rights.READ | Rights.MAP, label: 'SANDBOX' }, aEnvB);
  b.map(bSpace, VA.low, fromA);
  const bSpaceRead = b.capGrant(bSpace, { rights: Rights.READ }, bEnvA);

  const w: World = {
    kernel,
    rootEnv,
    aEnv,
    bEnv,
    root,
    a,
    b,
    R: { envA, envB, hi },
    A: { frame, frame2, low, copy, space, spaceLow, envB: aEnvB, hiFrame, fromB, bSpaceRead },
    B: { pad, shared, secret, secret2, space: bSpace, privSpace, envA: bEnvA, fromA },
    padding,
    privateCaps: [secret, secret2, privSpace],
    privateFrames: [secret, secret2].map((id) => b.capInspect(id).objectId),
  };
  return w;
}

// ---------------------------------------------------------------------------------------------- state

/** Everything a primitive can change: the kernel's own account of it, and physical memory. */
export interface KernelState {
  snapshot: KernelSnapshot;
  memory: Uint8Array;
}

export function stateOf(kernel: Exokernel): KernelState {
  return { snapshot: kernel.snapshot(), memory: kernel.memory.bytes.slice() };
}

function firstDifference(x: Uint8Array, y: Uint8Array): number {
  if (x.length === y.length && Buffer.compare(x, y) === 0) return -1;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return n;
}

/** Asserts that nothing a primitive can change differs between the two states. */
export function expectSameState(before: KernelState, after: KernelState): void {
  // Comparing the JSON first keeps the common case (nothing changed) fast; a difference is then shown
  // field by field.
  if (JSON.stringify(after.snapshot) !== JSON.stringify(before.snapshot)) {
    expect(after.snapshot).toStrictEqual(before.snapshot);
  }
  const at = firstDifference(before.memory, after.memory);
  expect(at, `physical memory changed at 0x${at.toString(16)}`).toBe(-1);
}

// ---------------------------------------------------------------------------------------------- outcomes

export type Outcome =
  | { kind: 'ok'; value: unknown }
  | { kind: 'refused'; code: ExoErrorCode; message: string }
  | { kind: 'crashed'; error: unknown };

export function attempt(f: () => unknown): Outcome {
  try {
    return { kind: 'ok', value: f() };
  } catch (e) {
    if (e instanceof ExoError) return { kind: 'refused', code: e.code, message: e.message };
    return { kind: 'crashed', error: e };
  }
}

/** One line that says what happened: the refusal code, 'ok', or what else was thrown. */
export function describeOutcome(o: Outcome): string {
  if (o.kind === 'refused') return o.code;
  if (o.kind === 'ok') return 'ok';
  const e = o.error;
  return `crashed with ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

/**
 * Runs `attack` (everything it needs was prepared before) and asserts that it is refused with `code` and
 * that no state changed.
 */
export function expectRefused(kernel: Exokernel, attack: () => unknown, code: ExoErrorCode): void {
  const before = stateOf(kernel);
  const outcome = attempt(attack);
  expect(describeOutcome(outcome)).toBe(code);
  expectSameState(before, stateOf(kernel));
}

// ---------------------------------------------------------------------------------------------- ids

/** The kinds of object the kernel names, as capInspect reports them. */
export type ObjectKind = 'frame' | 'aspace' | 'env';

/** A's capability of each kind that every primitive accepts. */
export function sampleOf(w: World, kind: ObjectKind): number {
  return kind === 'frame' ? w.A.frame : kind === 'aspace' ? w.A.space : w.A.envB;
}

/** Every right that means something for objects of `kind`. */
export function rightsOf(kind: ObjectKind): number {
  return kind === 'frame' ? FRAME_RIGHTS : kind === 'aspace' ? ADDRESS_SPACE_RIGHTS : ENVIRONMENT_RIGHTS;
}

/** `id`, after checking that it names nothing in A's space (so using it is reaching for B's objects). */
export function foreignToA(w: World, id: number): number {
  if (w.aEnv.space.has(id)) throw new Error(`fixture: B's id ${id} also names one of A's capabilities`);
  return id;
}

export interface Forgery {
  name: string;
  /** The forged id, made from a valid id `valid` of A's of the kind the argument wants. */
  make: (w: World, valid: number) => unknown;
  /** False for values that are not numbers at all. */
  numeric: boolean;
}

/** Ids that A was never given: made up, of the wrong generation, out of range, B's, or not numbers. */
export const FORGERIES: readonly Forgery[] = [
  { name: 'id 0 (generations start at 1)', make: () => 0, numeric: true },
  { name: 'a made-up id (123457)', make: () => 123457, numeric: true },
  { name: 'a made-up id (0xabcdef)', make: () => 0xabcdef, numeric: true },
  { name: 'the last slot of generation 0', make: () => 2 ** 24 - 1, numeric: true },
  { name: 'a valid id with the next generation', make: (_, v) => v + 2 ** 24, numeric: true },
  {
    name: 'a valid id with the last generation (2^29 - 1)',
    make: (_, v) => (2 ** 29 - 1) * 2 ** 24 + slotOf(v),
    numeric: true,
  },
  { name: 'a valid id plus 2^32', make: (_, v) => v + 2 ** 32, numeric: true },
  { name: 'a negative id (-1)', make: () => -1, numeric: true },
  { name: 'a negated valid id', make: (_, v) => -(v + 1), numeric: true },
  { name: 'a negative id (-2^31)', make: () => -(2 ** 31), numeric: true },
  { name: 'a huge id (2^53)', make: () => 2 ** 53, numeric: true },
  { name: 'a huge id (2^64)', make: () => 2 ** 64, numeric: true },
  { name: 'Number.MAX_SAFE_INTEGER', make: () => Number.MAX_SAFE_INTEGER, numeric: true },
  { name: 'Infinity', make: () => Number.POSITIVE_INFINITY, numeric: true },
  { name: '-Infinity', make: () => Number.NEGATIVE_INFINITY, numeric: true },
  { name: 'NaN', make: () => Number.NaN, numeric: true },
  { name: 'a valid id plus 0.5', make: (_, v) => v + 0.5, numeric: true },
  { name: 'a tiny fraction (1e-9)', make: () => 1e-9, numeric: true },
  { name: "B's private frame id", make: (w) => foreignToA(w, w.B.secret), numeric: true },
  { name: "B's shared frame id", make: (w) => foreignToA(w, w.B.shared), numeric: true },
  { name: "B's private address space id", make: (w) => foreignToA(w, w.B.privSpace), numeric: true },
  { name: "B's environment capability id", make: (w) => foreignToA(w, w.B.envA), numeric: true },
  { name: 'a valid id as a string', make: (_, v) => String(v), numeric: false },
  { name: 'a word', make: () => 'frame', numeric: false },
  { name: 'an empty object', make: () => ({}), numeric: false },
  { name: 'an object whose valueOf is a valid id', make: (_, v) => ({ valueOf: () => v }), numeric: false },
  { name: 'a valid id in an array', make: (_, v) => [v], numeric: false },
  { name: 'a boxed valid id', make: (_, v) => Object(v), numeric: false },
  { name: 'a valid id as a BigInt', make: (_, v) => BigInt(v), numeric: false },
  { name: 'undefined', make: () => undefined, numeric: false },
  { name: 'null', make: () => null, numeric: false },
  { name: 'true', make: () => true, numeric: false },
];

export interface Staleness {
  name: string;
  kind: ObjectKind;
  /** Prepares, through legitimate calls, an id A once held of an object of `kind`, and returns it. */
  make: (w: World) => number;
}

/** An A-owned copy of `cap` with every right it has. */
function fullCopy(w: World, cap: number): number {
  return w.a.capDerive(cap, { rights: w.a.capInspect(cap).rights });
}

/** The ways A ends up with an id that no longer resolves. */
export const STALE: readonly Staleness[] = [
  ...(['frame', 'aspace', 'env'] as const).flatMap((kind): Staleness[] => [
    {
      name: `a deleted copy of a ${kind} capability`,
      kind,
      make: (w) => {
        const c = fullCopy(w, sampleOf(w, kind));
        w.a.capDelete(c);
        return c;
      },
    },
    {
      name: `a deleted ${kind} capability whose slot was reused`,
      kind,
      make: (w) => {
        const c = fullCopy(w, sampleOf(w, kind));
        w.a.capDelete(c);
        const d = fullCopy(w, sampleOf(w, kind));
        if (slotOf(d) !== slotOf(c) || generationOf(d) === generationOf(c)) {
          throw new Error('fixture: the slot was not reused');
        }
        return c;
      },
    },
    {
      name: `a ${kind} capability revoked from above`,
      kind,
      make: (w) => {
        const middle = fullCopy(w, sampleOf(w, kind));
        const c = fullCopy(w, middle);
        w.a.capRevoke(middle);
        return c;
      },
    },
    {
      name: `a ${kind} capability moved to B`,
      kind,
      make: (w) => {
        const c = fullCopy(w, sampleOf(w, kind));
        w.a.capTransfer(c, w.A.envB);
        return c;
      },
    },
  ]),
  {
    name: 'the allocation capability of a freed frame',
    kind: 'frame',
    make: (w) => {
      const f = w.a.frameAlloc();
      w.a.frameFree(f);
      return f;
    },
  },
  {
    name: 'a copy of a frame A freed',
    kind: 'frame',
    make: (w) => {
      const f = w.a.frameAlloc();
      const c = fullCopy(w, f);
      w.a.frameFree(f);
      return c;
    },
  },
  {
    name: 'a frame capability B granted, then freed the frame',
    kind: 'frame',
    make: (w) => {
      const g = w.b.frameAlloc();
      const c = w.b.capGrant(g, { rights: FRAME_RIGHTS, label: 'SANDBOX' }, w.B.envA);
      w.b.frameFree(g);
      return c;
    },
  },
  {
    name: 'a frame capability B granted, then revoked',
    kind: 'frame',
    make: (w) => {
      const middle = w.b.capDerive(w.B.shared, { rights: FRAME_RIGHTS, label: 'SANDBOX' });
      const c = w.b.capGrant(middle, { rights: FRAME_RIGHTS }, w.B.envA);
      w.b.capRevoke(middle);
      return c;
    },
  },
  {
    name: 'an address space capability B granted, then revoked',
    kind: 'aspace',
    make: (w) => {
      const middle = w.b.capDerive(w.B.space, { rights: ADDRESS_SPACE_RIGHTS });
      const c = w.b.capGrant(middle, { rights: ADDRESS_SPACE_RIGHTS }, w.B.envA);
      w.b.capRevoke(middle);
      return c;
    },
  },
  {
    name: 'an environment capability the root granted, then revoked',
    kind: 'env',
    make: (w) => {
      const middle = w.root.capDerive(w.R.envB, { rights: ENVIRONMENT_RIGHTS });
      const c = w.root.capGrant(middle, { rights: ENVIRONMENT_RIGHTS }, w.R.envA);
      w.root.capRevoke(middle);
      return c;
    },
  },
];

/** The name of a single right. */
export function rightName(bit: number): string {
  const entry = Object.entries(Rights).find(([, v]) => v === bit);
  return entry === undefined ? `0x${bit.toString(16)}` : entry[0];
}

// ---------------------------------------------------------------------------------------------- random calls

/**
 * A capability argument of a random call: an id the caller holds of the kind the argument wants ('fit'),
 * any id the caller holds, one the other environment holds, any id seen so far in either space (often
 * stale by now), or a raw value (often not a number at all).
 * Indices pick from the list as it stands when the call is made.
 */
export type Ref = { pick: 'fit' | 'own' | 'other' | 'seen'; index: number } | { raw: unknown };

export type Call =
  | { op: 'frameAlloc'; options: unknown }
  | { op: 'frameFree'; cap: Ref }
  | { op: 'frameRead'; cap: Ref; offset: unknown; length: unknown }
  | { op: 'frameWrite'; cap: Ref; offset: unknown; data: unknown }
  | { op: 'frameCopy'; to: Ref; from: Ref }
  | { op: 'asCreate' }
  | { op: 'map'; space: Ref; va: unknown; frame: Ref; perms: unknown }
  | { op: 'unmap'; space: Ref; va: unknown }
  | { op: 'lookup'; space: Ref; va: unknown }
  | { op: 'envCreate'; options: unknown }
  | { op: 'capDerive'; cap: Ref; request: unknown }
  | { op: 'capGrant'; cap: Ref; request: unknown; toEnv: Ref }
  | { op: 'capTransfer'; cap: Ref; toEnv: Ref }
  | { op: 'capRevoke'; cap: Ref }
  | { op: 'capDelete'; cap: Ref }
  | { op: 'capInspect'; cap: Ref }
  | { op: 'takeRevocations' };

export type Op = Call['op'];
export type Actor = 'a' | 'b';

export interface Step {
  actor: Actor;
  call: Call;
}

/** A call with its capability arguments resolved to the values that will be passed. */
export interface Prepared {
  /** The values passed where capability ids go, in order. */
  caps: unknown[];
  run: () => unknown;
}

/** Plays random calls of A and B against a world. */
export class Player {
  /** Every id seen in A's or B's space, or returned by a call. */
  private readonly seen: number[] = [];
  private readonly seenSet = new Set<number>();

  constructor(readonly w: World) {
    this.observe();
  }

  api(actor: Actor): EnvApi {
    return actor === 'a' ? this.w.a : this.w.b;
  }

  /**
   * The ids `actor` holds now, of `kind` if given. B's private ones are left out (B never uses them), and
   * so is B's padding, which would otherwise be most of what B holds.
   */
  holdings(actor: Actor, kind?: ObjectKind): number[] {
    const env = actor === 'a' ? this.w.aEnv : this.w.bEnv;
    let ids = env.space.ids();
    if (actor === 'b') {
      const left = new Set([...this.w.privateCaps, ...this.w.padding]);
      ids = ids.filter((id) => !left.has(id));
    }
    return kind === undefined ? ids : ids.filter((id) => this.w.kernel.capInspect(env, id).type === kind);
  }

  resolve(actor: Actor, ref: Ref, kind?: ObjectKind): unknown {
    if ('raw' in ref) return ref.raw;
    const pool =
      ref.pick === 'own' || ref.pick === 'fit'
        ? this.holdings(actor, ref.pick === 'fit' ? kind : undefined)
        : ref.pick === 'other'
          ? (actor === 'a' ? this.w.bEnv : this.w.aEnv).space.ids()
          : this.seen;
    return pool.length === 0 ? 0 : pool[ref.index % pool.length];
  }

  prepare(step: Step): Prepared {
    const api = this.api(step.actor);
    const caps: unknown[] = [];
    const cap = (ref: Ref, kind?: ObjectKind): number => {
      const v = this.resolve(step.actor, ref, kind);
      caps.push(v);
      return v as number;
    };
    const c = step.call;
    const n = (x: unknown) => x as number;
    switch (c.op) {
      case 'frameAlloc':
        return { caps, run: () => api.frameAlloc(c.options as { label?: string }) };
      case 'frameFree': {
        const id = cap(c.cap, 'frame');
        return { caps, run: () => api.frameFree(id) };
      }
      case 'frameRead': {
        const id = cap(c.cap, 'frame');
        return { caps, run: () => api.frameRead(id, n(c.offset), n(c.length)) };
      }
      case 'frameWrite': {
        const id = cap(c.cap, 'frame');
        return { caps, run: () => api.frameWrite(id, n(c.offset), c.data as Uint8Array) };
      }
      case 'frameCopy': {
        const to = cap(c.to, 'frame');
        const from = cap(c.from, 'frame');
        return { caps, run: () => api.frameCopy(to, from) };
      }
      case 'asCreate':
        return { caps, run: () => api.asCreate() };
      case 'map': {
        const space = cap(c.space, 'aspace');
        const frame = cap(c.frame, 'frame');
        return {
          caps,
          run: () => api.map(space, n(c.va), frame, c.perms as { writable?: boolean; executable?: boolean }),
        };
      }
      case 'unmap': {
        const space = cap(c.space, 'aspace');
        return { caps, run: () => api.unmap(space, n(c.va)) };
      }
      case 'lookup': {
        const space = cap(c.space, 'aspace');
        return { caps, run: () => api.lookup(space, n(c.va)) };
      }
      case 'envCreate':
        return { caps, run: () => api.envCreate(c.options as { quota: number }) };
      case 'capDerive': {
        const id = cap(c.cap);
        return { caps, run: () => api.capDerive(id, c.request as { rights: number }) };
      }
      case 'capGrant': {
        const id = cap(c.cap);
        const env = cap(c.toEnv, 'env');
        return { caps, run: () => api.capGrant(id, c.request as { rights: number }, env) };
      }
      case 'capTransfer': {
        const id = cap(c.cap);
        const env = cap(c.toEnv, 'env');
        return { caps, run: () => api.capTransfer(id, env) };
      }
      case 'capRevoke': {
        const id = cap(c.cap);
        return { caps, run: () => api.capRevoke(id) };
      }
      case 'capDelete': {
        const id = cap(c.cap);
        return { caps, run: () => api.capDelete(id) };
      }
      case 'capInspect': {
        const id = cap(c.cap);
        return { caps, run: () => api.capInspect(id) };
      }
      case 'takeRevocations':
        return { caps, run: () => api.takeRevocations() };
    }
  }

  /** Remembers the ids that now resolve in A's and B's spaces, and a number a call returned. */
  observe(returned?: unknown): void {
    const add = (id: number) => {
      if (this.seenSet.has(id)) return;
      this.seenSet.add(id);
      this.seen.push(id);
    };
    for (const env of [this.w.aEnv, this.w.bEnv]) for (const id of env.space.ids()) add(id);
    if (typeof returned === 'number') add(returned);
  }
}

/**
 * Asserts that A and everything A made never came to hold, map or read B's private frames, and that
 * those frames and B's private mapping are as B left them.
 */
export function expectSecretsKept(w: World): void {
  const secret = new Set(w.privateFrames);
  const snap = w.kernel.snapshot();
  const privSpace = w.b.capInspect(w.B.privSpace).objectId;
  for (const env of snap.envs) {
    if (env.id === w.bEnv.id) continue;
    for (const c of env.caps) {
      if (c.type === 'frame') expect(secret.has(c.object), `env ${env.id} holds a private frame`).toBe(false);
    }
  }
  for (const space of snap.spaces) {
    if (space.id === privSpace) continue;
    for (const m of space.mappings) {
      expect(secret.has(m.frame), `space ${space.id} maps a private frame`).toBe(false);
    }
  }
  for (const id of w.aEnv.space.ids()) {
    const info = w.a.capInspect(id);
    if ((info.rights & Rights.READ) === 0) continue;
    if (info.type === 'frame') {
      // A frame above A's label is not readable by A at all (no read up): nothing can leak through it.
      let bytes: Uint8Array;
      try {
        bytes = w.a.frameRead(id, 0, 4096);
      } catch (e) {
        if (e instanceof ExoError && e.code === 'E_LABEL') continue;
        throw e;
      }
      expect(containsBytes(bytes, SECRET), `A read the secret through ${id}`).toBe(false);
    } else if (info.type === 'aspace') {
      for (const m of snap.spaces.find((s) => s.id === info.objectId)?.mappings ?? []) {
        expect(
          secret.has(w.a.lookup(id, m.va) ?? -1),
          `A found a private frame at 0x${m.va.toString(16)}`,
        ).toBe(false);
      }
    }
  }
  for (const id of [w.B.secret, w.B.secret2])
    expect([...w.b.frameRead(id, 0, SECRET.length)]).toEqual([...SECRET]);
  expect(w.b.lookup(w.B.privSpace, VA.frame)).toBe(w.privateFrames[0]);
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------- arbitraries

/** Values no argument should accept, and some that look almost right. */
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined,
    null,
    true,
    Number.NaN,
    -1,
    0.5,
    2 ** 53,
    2 ** 64,
    Number.POSITIVE_INFINITY,
  ),
  fc.constantFrom<unknown>('', '0', 'READ', 'USER', [], [1], {}),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: 0n, max: 1n << 40n }),
);

const ref: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(1 << 16).map((index): Ref => ({ pick: 'fit', index })) },
  { weight: 3, arbitrary: fc.nat(1 << 16).map((index): Ref => ({ pick: 'own', index })) },
  { weight: 2, arbitrary: fc.nat(1 << 16).map((index): Ref => ({ pick: 'other', index })) },
  { weight: 2, arbitrary: fc.nat(1 << 16).map((index): Ref => ({ pick: 'seen', index })) },
  { weight: 1, arbitrary: garbage.map((raw): Ref => ({ raw })) },
);

const byteCount: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: -8, max: 5000 }) },
  { weight: 1, arbitrary: garbage },
);

const va: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }).map((i) => VA.frame + i * 4096) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 31 }).map((i) => VA.frame + i * 4096) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 35 - 1 }).map((page) => page * 4096) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((region) => region * 2 ** 39) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 48), max: 2 ** 48 }) },
  { weight: 1, arbitrary: garbage },
);

const COMMON_RIGHTS = [
  Rights.READ,
  Rights.WRITE,
  Rights.EXECUTE,
  Rights.MAP,
  Rights.GRANT,
  Rights.REVOKE,
  Rights.TRANSFER,
  Rights.INVOKE,
];

const rights: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.subarray(COMMON_RIGHTS, { maxLength: 3 }).map((bits) => bits.reduce((m, b) => m | b, 0)),
  },
  { weight: 1, arbitrary: fc.subarray(Object.values(Rights)).map((bits) => bits.reduce((m, b) => m | b, 0)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  { weight: 1, arbitrary: garbage },
);

const label: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...EXOV6_LATTICE.nodes) },
  { weight: 1, arbitrary: garbage },
);

const badge: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.nat(8) },
  { weight: 1, arbitrary: garbage },
);

const request: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ rights, label, badge }) },
  { weight: 1, arbitrary: garbage },
);

const data: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 4090, maxLength: 4100 }) },
  { weight: 1, arbitrary: garbage },
);

const perms: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.record({ writable: fc.boolean(), executable: fc.boolean() }),
  garbage,
);

const call = (weight: number, arbitrary: fc.Arbitrary<Call>): fc.WeightedArbitrary<Call> => ({
  weight,
  arbitrary,
});

export const callArb: fc.Arbitrary<Call> = fc.oneof(
  call(
    3,
    fc.record({
      op: fc.constant('frameAlloc' as const),
      options: fc.oneof(fc.constant(undefined), fc.record({ label }), garbage),
    }),
  ),
  call(2, fc.record({ op: fc.constant('frameFree' as const), cap: ref })),
  call(
    2,
    fc.record({ op: fc.constant('frameRead' as const), cap: ref, offset: byteCount, length: byteCount }),
  ),
  call(2, fc.record({ op: fc.constant('frameWrite' as const), cap: ref, offset: byteCount, data })),
  call(2, fc.record({ op: fc.constant('frameCopy' as const), to: ref, from: ref })),
  call(1, fc.record({ op: fc.constant('asCreate' as const) })),
  call(4, fc.record({ op: fc.constant('map' as const), space: ref, va, frame: ref, perms })),
  call(2, fc.record({ op: fc.constant('unmap' as const), space: ref, va })),
  call(1, fc.record({ op: fc.constant('lookup' as const), space: ref, va })),
  call(
    1,
    fc.record({
      op: fc.constant('envCreate' as const),
      options: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            quota: fc.oneof(fc.nat(4), fc.integer({ min: -2, max: 80 }), garbage),
            label,
          }),
        },
        { weight: 1, arbitrary: garbage },
      ),
    }),
  ),
  call(4, fc.record({ op: fc.constant('capDerive' as const), cap: ref, request })),
  call(4, fc.record({ op: fc.constant('capGrant' as const), cap: ref, request, toEnv: ref })),
  call(2, fc.record({ op: fc.constant('capTransfer' as const), cap: ref, toEnv: ref })),
  call(2, fc.record({ op: fc.constant('capRevoke' as const), cap: ref })),
  call(2, fc.record({ op: fc.constant('capDelete' as const), cap: ref })),
  call(1, fc.record({ op: fc.constant('capInspect' as const), cap: ref })),
  call(1, fc.record({ op: fc.constant('takeRevocations' as const) })),
);

export const stepArb: fc.Arbitrary<Step> = fc.record({
  actor: fc.constantFrom<Actor>('a', 'b'),
  call: callArb,
});
