// A CapSpace is one protection domain's table of capability slots (seL4's CSpace, Zircon's handle table).
// The holder names its capabilities by id (slot + generation, see ids.ts); the capabilities themselves
// are nodes of the shared DerivationTree.
//
// The rules, checked here at the API edge, each refused with a CapabilityError that says why:
//   create  a new original capability (the kernel's trust root; no parent).
//   derive  a child with rights a subset of the parent's and a label <= the parent's; the parent must
//           hold GRANT; a badge may be set once and never changed. Asking for more is an error: rights
//           are never silently dropped (seL4's Mint drops them; see the README for why we refuse).
//   copy    a child identical to the parent; needs DUPLICATE.
//   move    the same capability under a new id (here or in another space); another space needs TRANSFER.
//   delete  drop this capability; its children stay, still revocable from above.
//   revoke  remove every descendant in every space and keep the capability; needs REVOKE.

import { CapabilityError, InvalidArgumentError } from '../errors.js';
import {
  type CapId,
  describeId,
  generationOf,
  MAX_GENERATION,
  MAX_SLOTS,
  makeCapId,
  SLOT_MASK,
} from './ids.js';
import {
  F_LIVE,
  F_REVOKING,
  N_FLAGS,
  N_PARENT,
  N_RIGHTS,
  N_SLOT,
  N_SPACE,
  NODE_WORDS,
  NONE,
  S_GEN,
  S_NODE,
  S_RIGHTS,
  SLOT_WORDS,
} from './layout.js';
import { RevokeJob } from './revoke.js';
import { assertRightsMask, Rights } from './rights.js';
import type { DerivationTree } from './tree.js';

/** The object a capability names: a type and a non-negative integer id. */
export interface ObjectRef {
  readonly type: string;
  readonly id: number;
}

/** Where a capability lives: a space and an id in it. */
export interface CapRef<L> {
  readonly space: CapSpace<L>;
  readonly id: CapId;
}

/** A snapshot of one capability. */
export interface Capability<L> {
  readonly id: CapId;
  readonly space: CapSpace<L>;
  readonly object: ObjectRef;
  readonly rights: number;
  readonly label: L;
  /** The badge, or undefined if none was set. */
  readonly badge: number | undefined;
  /** The generation of its slot (also encoded in the id). */
  readonly generation: number;
  /** The nearest ancestor that is still a capability, or null for an original capability. */
  readonly parent: CapRef<L> | null;
  /** Whether a revoke of its descendants is in progress. */
  readonly revoking: boolean;
}

/** What a derivation asks for. */
export interface DeriveRequest<L> {
  /** Rights of the new capability: a subset of the parent's. */
  rights: number;
  /** Label of the new capability: <= the parent's (default: the parent's label). */
  label?: L;
  /** Badge to set, if the parent has none; a badged parent's badge is inherited and may not change. */
  badge?: number;
}

/** What `CapSpace.lookup` fills in: a caller-owned record, reused from call to call. */
export interface CapabilityFields<L> {
  type: string;
  objectId: number;
  rights: number;
  label: L;
  badge: number | undefined;
}

/** Options of {@link CapSpace} (through `tree.createSpace`). */
export interface CapSpaceOptions {
  /** Name used in error messages. */
  name?: string;
  /** Called with each id of this space removed by a revoke, after the revoke step that removed it. */
  onRevoked?: (id: CapId) => void;
  /**
   * Generations a slot may go through before it is retired for good (default and maximum 2^29 - 1).
   * Lower values only make slots retire sooner.
   */
  maxGeneration?: number;
}

const MAX_TYPE_LENGTH = 64;

/** One protection domain's capability table. Create with `tree.createSpace()`. */
export class CapSpace<L> {
  readonly tree: DerivationTree<L>;
  readonly name: string;
  readonly onRevoked: ((id: CapId) => void) | undefined;
  /** @internal */ readonly index: number;
  /**
   * @internal Slot records (layout.ts): the slot's current (or last) generation, and its node, or for a
   * free slot -2 - the next free slot. The id of an occupied slot is generation * 2^24 + slot.
   */
  slots: Int32Array;
  /** @internal */ freeHead = NONE;
  /** @internal */ bump = 0;
  /** @internal */ occupied = 0;
  /** @internal */ retired = 0;
  /** @internal */ readonly maxGeneration: number;

  /** @internal Use `tree.createSpace()`. */
  constructor(tree: DerivationTree<L>, index: number, options: CapSpaceOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('createSpace: options must be an object or a name');
    }
    const { name = `space${index}`, onRevoked, maxGeneration = MAX_GENERATION } = options;
    if (typeof name !== 'string') throw new InvalidArgumentError('createSpace: name must be a string');
    if (onRevoked !== undefined && typeof onRevoked !== 'function') {
      throw new InvalidArgumentError('createSpace: onRevoked must be a function');
    }
    if (!Number.isInteger(maxGeneration) || maxGeneration < 1 || maxGeneration > MAX_GENERATION) {
      throw new InvalidArgumentError(
        `createSpace: maxGeneration must be an integer in [1, ${MAX_GENERATION}]`,
      );
    }
    this.tree = tree;
    this.index = index;
    this.name = name;
    this.onRevoked = onRevoked;
    this.maxGeneration = maxGeneration;
    this.slots = new Int32Array(64 * SLOT_WORDS);
  }

  /** Short description for console output (the tree behind a space is large). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CapSpace(${this.name}, ${this.occupied} capabilities)`;
  }

  /** Number of occupied slots (capabilities awaiting an incremental revoke count until reclaimed). */
  get size(): number {
    return this.occupied;
  }

  /** Slots retired because their generation ran out. */
  get retiredSlots(): number {
    return this.retired;
  }

  // ---- lookups ----

  /**
   * Does `id` name a capability here that holds every right in `rights`? The hot path: no allocation,
   * a few typed-array reads, and the doom check only while some revoke is in progress.
   */
  check(id: CapId, rights: number): boolean {
    // A typo such as Rights.REAd is undefined, which must not read as "no rights needed".
    if (rights >>> 0 !== rights) throw badRights(rights);
    const slot = id & SLOT_MASK;
    if (slot >= this.bump) return false;
    const slots = this.slots;
    const r = slot * SLOT_WORDS;
    const node = slots[r + S_NODE] as number;
    if (node < 0 || (slots[r + S_GEN] as number) * MAX_SLOTS + slot !== id) return false;
    const tree = this.tree;
    if (tree.pendingRevokes !== 0 && tree.isDoomed(node)) return false;
    return ((slots[r + S_RIGHTS] as number) & rights) === (rights | 0);
  }

  /** Does `id` name a capability here? */
  has(id: CapId): boolean {
    return this.check(id, 0);
  }

  /** Like {@link check}, but throws a CapabilityError saying what is missing. */
  require(id: CapId, rights: number): void {
    assertRightsMask(rights, 'require');
    this.holding(this.resolve(id, 'require'), rights, 'require');
  }

  /**
   * The object, rights, label and badge of the capability `id` names, written into `into` (reused by the
   * caller: nothing is allocated), or false when `id` names no capability here. For kernels that check a
   * capability on every call; `inspect` gives the full snapshot.
   */
  lookup(id: CapId, into: CapabilityFields<L>): boolean {
    if (typeof id !== 'number' || !this.check(id, 0)) return false;
    const node = this.slots[(id & SLOT_MASK) * SLOT_WORDS + S_NODE] as number;
    const tree = this.tree;
    into.type = tree.typeNames[tree.objType[node] as number] as string;
    into.objectId = tree.objId[node] as number;
    into.rights = (tree.nodes[node * NODE_WORDS + N_RIGHTS] as number) >>> 0;
    into.label = tree.labels[node] as L;
    const badge = tree.badge[node] as number;
    into.badge = badge < 0 ? undefined : badge;
    return true;
  }

  /** A snapshot of the capability `id` names; throws if it names none. */
  inspect(id: CapId): Capability<L> {
    const node = this.resolve(id, 'inspect');
    const tree = this.tree;
    const nodes = tree.nodes;
    let p = nodes[node * NODE_WORDS + N_PARENT] as number;
    while (p !== NONE && ((nodes[p * NODE_WORDS + N_FLAGS] as number) & F_LIVE) === 0) {
      p = nodes[p * NODE_WORDS + N_PARENT] as number;
    }
    let parent: CapRef<L> | null = null;
    if (p !== NONE) {
      const space = tree.spaces[nodes[p * NODE_WORDS + N_SPACE] as number] as CapSpace<L>;
      parent = Object.freeze({ space, id: space.idOf(nodes[p * NODE_WORDS + N_SLOT] as number) });
    }
    const badge = tree.badge[node] as number;
    const object = {
      type: tree.typeNames[tree.objType[node] as number] as string,
      id: tree.objId[node] as number,
    };
    return Object.freeze({
      id,
      space: this,
      object: Object.freeze(object),
      rights: (nodes[node * NODE_WORDS + N_RIGHTS] as number) >>> 0,
      label: tree.labels[node] as L,
      badge: badge < 0 ? undefined : badge,
      generation: generationOf(id),
      parent,
      revoking: ((nodes[node * NODE_WORDS + N_FLAGS] as number) & F_REVOKING) !== 0,
    });
  }

  /** Every id that currently resolves in this space, in slot order. */
  ids(): CapId[] {
    const out: CapId[] = [];
    for (let slot = 0; slot < this.bump; slot++) {
      if ((this.slots[slot * SLOT_WORDS + S_NODE] as number) < 0) continue;
      const id = this.idOf(slot);
      if (this.has(id)) out.push(id);
    }
    return out;
  }

  // ---- operations ----

  /** A new original capability to `object` (the root of its own derivation subtree). */
  create(object: ObjectRef, rights: number, label: L, options: { badge?: number } = {}): CapId {
    const tree = this.tree;
    if (typeof object !== 'object' || object === null) {
      throw new InvalidArgumentError('create: object must be { type, id }');
    }
    const { type, id } = object;
    if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
      throw new InvalidArgumentError(
        `create: object type must be a string of 1..${MAX_TYPE_LENGTH} characters`,
      );
    }
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new InvalidArgumentError(
        `create: object id must be a non-negative safe integer, got ${String(id)}`,
      );
    }
    assertRightsMask(rights, 'create');
    this.assertLabel(label, 'create');
    const badge = options?.badge;
    if (badge !== undefined) assertBadge(badge, 'create');
    const node = tree.allocNode();
    tree.nodes[node * NODE_WORDS + N_RIGHTS] = rights | 0; // before allocSlot, which copies it
    try {
      const newId = this.allocSlot(node, 'create');
      tree.labels[node] = label;
      tree.objType[node] = tree.internType(type);
      tree.objId[node] = id;
      tree.badge[node] = badge ?? -1;
      tree.liveCount++;
      return newId;
    } catch (e) {
      tree.freeNode(node);
      throw e;
    }
  }

  /**
   * Derive (seL4: mint) a child of `id`, in this space or in `into`: rights a subset of the parent's,
   * label <= the parent's, badge set at most once. The parent must hold GRANT.
   */
  derive(id: CapId, request: DeriveRequest<L>, into: CapSpace<L> = this): CapId {
    const tree = this.tree;
    const parent = this.resolve(id, 'derive');
    this.holding(parent, Rights.GRANT, 'derive');
    if (typeof request !== 'object' || request === null) {
      throw new InvalidArgumentError('derive: request must be { rights, label?, badge? }');
    }
    const rights = assertRightsMask(request.rights, 'derive');
    const have = (tree.nodes[parent * NODE_WORDS + N_RIGHTS] as number) >>> 0;
    if ((rights & ~have) >>> 0 !== 0) {
      const fmt = (m: number) => tree.rights.format(m >>> 0);
      throw new CapabilityError(
        'RIGHTS_ESCALATION',
        `derive: cannot grant ${fmt(rights & ~have)}: the parent holds only ${fmt(have)} ` +
          `(requested ${fmt(rights)}); rights are never silently dropped, ask for a subset`,
      );
    }
    const parentLabel = tree.labels[parent] as L;
    let label = parentLabel;
    if (request.label !== undefined) {
      label = request.label;
      this.assertLabel(label, 'derive');
      if (!tree.lattice.leq(label, parentLabel)) {
        const l = tree.lattice;
        throw new CapabilityError(
          'LABEL_ESCALATION',
          `derive: label ${l.format(label)} is not <= the parent's label ${l.format(parentLabel)} ` +
            `in lattice ${l.name}; a derived capability may only keep or lower its label`,
        );
      }
    }
    let badge = tree.badge[parent] as number;
    if (request.badge !== undefined) {
      assertBadge(request.badge, 'derive');
      if (badge >= 0 && request.badge !== badge) {
        throw new CapabilityError(
          'BADGE_CHANGE',
          `derive: the parent is badged ${badge}; a badge is set once and never changed (asked for ${request.badge})`,
        );
      }
      badge = request.badge;
    }
    return this.child(parent, into, rights, label, badge, 'derive');
  }

  /** Copy `id` unchanged (same rights, label and badge) as its child, here or in `into`; needs DUPLICATE. */
  copy(id: CapId, into: CapSpace<L> = this): CapId {
    const tree = this.tree;
    const parent = this.resolve(id, 'copy');
    this.holding(parent, Rights.DUPLICATE, 'copy');
    return this.child(
      parent,
      into,
      (tree.nodes[parent * NODE_WORDS + N_RIGHTS] as number) >>> 0,
      tree.labels[parent] as L,
      tree.badge[parent] as number,
      'copy',
    );
  }

  /**
   * Move `id` to a new slot, here or in `into`, and return its new id; the old id stops resolving.
   * The capability keeps its place in the derivation tree. Moving to another space needs TRANSFER.
   */
  move(id: CapId, into: CapSpace<L> = this): CapId {
    const node = this.resolve(id, 'move');
    this.assertSameTree(into, 'move');
    if (into !== this) this.holding(node, Rights.TRANSFER, 'move');
    const newId = into.allocSlot(node, 'move');
    this.freeSlot(id & SLOT_MASK);
    return newId;
  }

  /** Delete `id` from this space. Its children stay, and stay revocable from its ancestors. */
  delete(id: CapId): void {
    const node = this.resolve(id, 'delete');
    this.freeSlot(id & SLOT_MASK);
    this.tree.release(node);
  }

  /**
   * Revoke: remove every capability derived from `id`, in every space, and keep `id` itself. Needs
   * REVOKE. Returns how many capabilities were removed. The work is linear in the number of descendants;
   * {@link startRevoke} does the same in bounded steps.
   */
  revoke(id: CapId): number {
    return this.startRevoke(id).finish();
  }

  /**
   * Start a revoke of `id`'s descendants and return the job that carries it out in steps. From this
   * call on no descendant resolves, in any space; their slots are reclaimed as the job runs. Starting a
   * revoke that is already running returns the running job.
   */
  startRevoke(id: CapId): RevokeJob<L> {
    const tree = this.tree;
    const node = this.resolve(id, 'revoke');
    this.holding(node, Rights.REVOKE, 'revoke');
    const running = tree.jobs.get(node);
    if (running) return running;
    const job = new RevokeJob(tree, node);
    tree.setFlags(node, F_REVOKING);
    tree.nextRevokeEpoch();
    tree.jobs.set(node, job);
    tree.pendingRevokes++;
    return job;
  }

  /** Delete every capability of this space; returns how many. Pending revokes are finished first. */
  clear(): number {
    this.tree.reap();
    let n = 0;
    for (const id of this.ids()) {
      this.delete(id);
      n++;
    }
    return n;
  }

  // ---- internal ----

  /** @internal The id of an occupied slot. */
  idOf(slot: number): CapId {
    return makeCapId(slot, this.slots[slot * SLOT_WORDS + S_GEN] as number);
  }

  /** @internal The node `id` names, or a CapabilityError. */
  resolve(id: CapId, op: string): number {
    if (typeof id !== 'number') throw new InvalidArgumentError(`${op}: a capability id must be a number`);
    const slot = id & SLOT_MASK;
    const node = slot < this.bump ? (this.slots[slot * SLOT_WORDS + S_NODE] as number) : NONE;
    if (node >= 0 && this.idOf(slot) === id) {
      const tree = this.tree;
      if (tree.pendingRevokes === 0 || !tree.isDoomed(node)) return node;
      throw new CapabilityError('INVALID_ID', `${op}: ${describeId(id)} in ${this.name} has been revoked`);
    }
    throw new CapabilityError(
      'INVALID_ID',
      `${op}: ${describeId(id)} does not name a capability in ${this.name} (never issued, deleted, moved or revoked)`,
    );
  }

  /** @internal Throw unless node holds every right in `rights`. */
  holding(node: number, rights: number, op: string): void {
    const have = (this.tree.nodes[node * NODE_WORDS + N_RIGHTS] as number) >>> 0;
    const missing = (rights & ~have) >>> 0;
    if (missing !== 0) {
      const fmt = (m: number) => this.tree.rights.format(m);
      throw new CapabilityError(
        'MISSING_RIGHTS',
        `${op}: the capability lacks ${fmt(missing)} (it holds ${fmt(have)})`,
      );
    }
  }

  /** @internal Put `node` into a free slot of this space and return its id. */
  allocSlot(node: number, op: string): CapId {
    const slots = this.slots;
    let slot = this.freeHead;
    if (slot !== NONE) {
      this.freeHead = -2 - (slots[slot * SLOT_WORDS + S_NODE] as number);
    } else {
      if (this.bump === MAX_SLOTS) {
        throw new CapabilityError('SPACE_FULL', `${op}: ${this.name} has no free slot (${MAX_SLOTS} slots)`);
      }
      if (this.bump * SLOT_WORDS === slots.length) this.grow();
      slot = this.bump++;
    }
    const r = slot * SLOT_WORDS;
    const generation = (this.slots[r + S_GEN] as number) + 1;
    const nodes = this.tree.nodes;
    const n = node * NODE_WORDS;
    this.slots[r + S_GEN] = generation;
    this.slots[r + S_NODE] = node;
    this.slots[r + S_RIGHTS] = nodes[n + N_RIGHTS] as number;
    this.occupied++;
    nodes[n + N_SPACE] = this.index;
    nodes[n + N_SLOT] = slot;
    nodes[n + N_FLAGS] = (nodes[n + N_FLAGS] as number) | F_LIVE;
    return makeCapId(slot, generation);
  }

  /** @internal Empty `slot`; its generation has moved on, or the slot retires. */
  freeSlot(slot: number): void {
    const r = slot * SLOT_WORDS;
    this.occupied--;
    if ((this.slots[r + S_GEN] as number) >= this.maxGeneration) {
      this.slots[r + S_NODE] = -2 - NONE; // empty, and on no free list: retired for good
      this.retired++;
      return;
    }
    this.slots[r + S_NODE] = -2 - this.freeHead;
    this.freeHead = slot;
  }

  /** A new child of `parent` in `into`, with the given rights, label and badge (-1: none). */
  private child(
    parent: number,
    into: CapSpace<L>,
    rights: number,
    label: L,
    badge: number,
    op: string,
  ): CapId {
    const tree = this.tree;
    this.assertSameTree(into, op);
    if ((tree.flagsOf(parent) & F_REVOKING) !== 0) throw tree.revokeInProgress(op);
    const node = tree.allocNode();
    tree.nodes[node * NODE_WORDS + N_RIGHTS] = rights | 0; // before allocSlot, which copies it
    let id: CapId;
    try {
      id = into.allocSlot(node, op);
    } catch (e) {
      tree.freeNode(node);
      throw e;
    }
    tree.labels[node] = label;
    tree.objType[node] = tree.objType[parent] as number;
    tree.objId[node] = tree.objId[parent] as number;
    tree.badge[node] = badge;
    // The child is doomed exactly when the parent is, and the parent was just found not to be.
    tree.clean[node] = tree.clean[parent] as number;
    tree.link(parent, node);
    tree.liveCount++;
    return id;
  }

  private assertLabel(label: L, op: string): void {
    const lattice = this.tree.lattice;
    if (!lattice.isLabel(label)) {
      throw new InvalidArgumentError(`${op}: ${String(label)} is not a label of lattice ${lattice.name}`);
    }
  }

  private assertSameTree(into: CapSpace<L>, op: string): void {
    if (!(into instanceof CapSpace) || into.tree !== this.tree) {
      throw new InvalidArgumentError(`${op}: the target must be a CapSpace of the same derivation tree`);
    }
  }

  private grow(): void {
    const slots = new Int32Array(Math.min(this.slots.length * 2, MAX_SLOTS * SLOT_WORDS));
    slots.set(this.slots);
    this.slots = slots;
  }
}

/** The error for a rights argument that is not a mask (kept out of `check` so that stays small). */
function badRights(rights: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`check: ${String(rights)} is not a rights mask`);
}

function assertBadge(badge: unknown, op: string): void {
  if (typeof badge !== 'number' || !Number.isSafeInteger(badge) || badge < 0) {
    throw new InvalidArgumentError(
      `${op}: a badge must be a non-negative safe integer, got ${String(badge)}`,
    );
  }
}
