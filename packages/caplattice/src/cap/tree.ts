// The derivation tree: one tree across every CapSpace, recording which capability was derived from which,
// so that revoking a capability can find every capability derived from it, wherever it was sent.
//
// Storage is typed arrays indexed by node number, as in a kernel's slab: one Int32Array of 8-word records
// for what lookups and revokes touch (parent / first-child / next-sibling / prev-sibling links, rights,
// flags, and the CapSpace slot holding the node; see layout.ts), and side arrays for the object, the badge
// and the label. Linking and unlinking a node are O(1), and a revoke walks the subtree without recursion,
// so a chain a million deep costs the same as a bush a million wide.
//
// Deleting a capability that has two or more children keeps its node as a "ghost" (no slot, same rights
// and label), so the children stay where they were: still revocable from every ancestor, still below a
// node that dominates them. A ghost is freed when its last child goes, and spliced out (its one child
// takes its place under its parent) as soon as it has a single child: a ghost with one child adds
// nothing the parent above it does not give, but a chain of them would make a revoke walk nodes that hold
// no capability. So every ghost has at least two children and a subtree holds fewer ghosts than
// capabilities, which is what bounds a revoke by the capabilities it removes. Deletion stays O(1)
// amortised and never re-parents more than one child.
//
// Revocation is logical first, physical later: starting a revoke flags the root REVOKING in O(1), and
// from that moment no descendant resolves (lookups ask isDoomed while any revoke is pending). A RevokeJob
// then frees the subtree in post-order, in steps of bounded work. isDoomed walks towards the root, and
// remembers what it learnt on the path (DOOMED flags, and "clean in revoke epoch E" stamps) so repeated
// lookups stay O(1). With no revoke pending the check is skipped entirely.

import { CapabilityError, InvalidArgumentError } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import type { CapId } from './ids.js';
import {
  F_DOOMED,
  F_LIVE,
  F_REVOKING,
  F_USED,
  N_FIRST_CHILD,
  N_FLAGS,
  N_NEXT,
  N_PARENT,
  N_PREV,
  NODE_WORDS,
  NONE,
} from './layout.js';
import type { RevokeJob } from './revoke.js';
import { RightsSchema } from './rights.js';
import { CapSpace, type CapSpaceOptions } from './space.js';

/** Most nodes (capabilities and ghosts) one tree holds: 2^27, 4 GiB of node records. */
export const MAX_NODES = 2 ** 27;

/** Options of {@link DerivationTree}. */
export interface DerivationTreeOptions<L> {
  /** The lattice every capability label belongs to. */
  lattice: Lattice<L>;
  /** Names of the rights bits, for messages (default: the built-in rights). */
  rights?: RightsSchema;
  /** Initial node capacity (grows by doubling). */
  initialCapacity?: number;
}

/** Work counters of a tree. */
export interface TreeStats {
  /** Allocated nodes: capabilities plus ghosts. */
  nodes: number;
  /** Capabilities (nodes that hold a slot). */
  capabilities: number;
  /** Revokes started and not finished. */
  pendingRevokes: number;
}

/** The one derivation tree shared by a set of CapSpaces. */
export class DerivationTree<L> {
  readonly lattice: Lattice<L>;
  readonly rights: RightsSchema;

  /** @internal */ capacity: number;
  /** @internal Node records, NODE_WORDS words each (layout.ts). */
  nodes: Int32Array;
  /** @internal Revoke epoch in which the node was last found not doomed. */
  clean: Uint32Array;
  /** @internal */ objType: Int32Array;
  /** @internal */ objId: Float64Array;
  /** @internal */ badge: Float64Array;
  /** @internal */ labels: L[];
  /** @internal Whether labels are objects, whose references a freed node should drop. */
  readonly labelsAreObjects: boolean;
  /** @internal */ freeHead = NONE;
  /** @internal */ bump = 0;
  /** @internal */ nodeCount = 0;
  /** @internal */ liveCount = 0;
  /** @internal */ spaces: CapSpace<L>[] = [];
  /** @internal */ typeNames: string[] = [];
  /** @internal */ typeIndex = new Map<string, number>();
  /** @internal Revokes started and not finished; lookups skip the doom check while it is 0. */
  pendingRevokes = 0;
  /** @internal */ revokeEpoch = 1;
  /** @internal */ jobs = new Map<number, RevokeJob<L>>();
  /** @internal Nesting depth of revoke work, so notices are delivered once the outermost call ends. */
  reaping = 0;
  /** @internal Revocation notices waiting for delivery: space index, id, space index, id, ... */
  notices: number[] = [];

  constructor(options: DerivationTreeOptions<L>) {
    const lattice = options?.lattice;
    if (typeof lattice !== 'object' || lattice === null || typeof lattice.leq !== 'function') {
      throw new InvalidArgumentError('DerivationTree: options.lattice must be a Lattice');
    }
    const rights = options.rights ?? RightsSchema.builtin;
    if (!(rights instanceof RightsSchema)) {
      throw new InvalidArgumentError('DerivationTree: options.rights must come from defineRights()');
    }
    const initial = options.initialCapacity ?? 1024;
    if (!Number.isInteger(initial) || initial < 1 || initial > MAX_NODES) {
      throw new InvalidArgumentError(
        `DerivationTree: initialCapacity must be an integer in [1, ${MAX_NODES}]`,
      );
    }
    this.lattice = lattice;
    this.rights = rights;
    this.capacity = initial;
    this.nodes = new Int32Array(initial * NODE_WORDS);
    this.clean = new Uint32Array(initial);
    this.objType = new Int32Array(initial);
    this.objId = new Float64Array(initial);
    this.badge = new Float64Array(initial);
    this.labels = [];
    this.labelsAreObjects = typeof lattice.bottom === 'object' && lattice.bottom !== null;
  }

  /** Short description for console output. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DerivationTree(${this.lattice.name}, ${this.liveCount} capabilities, ${this.spaces.length} spaces)`;
  }

  /** A new, empty CapSpace whose capabilities live in this tree. */
  createSpace(options: CapSpaceOptions | string = {}): CapSpace<L> {
    const opts = typeof options === 'string' ? { name: options } : options;
    const space = new CapSpace<L>(this, this.spaces.length, opts);
    this.spaces.push(space);
    return space;
  }

  /** Counters: allocated nodes, capabilities, pending revokes. */
  stats(): TreeStats {
    return { nodes: this.nodeCount, capabilities: this.liveCount, pendingRevokes: this.pendingRevokes };
  }

  /** Do up to `budget` units of work on the pending revokes, oldest first; true when none is left. */
  reap(budget = Number.POSITIVE_INFINITY): boolean {
    if (budget !== Number.POSITIVE_INFINITY && (!Number.isInteger(budget) || budget < 1)) {
      throw new InvalidArgumentError('reap: the budget must be an integer of at least 1, or Infinity');
    }
    let left = budget;
    for (const job of [...this.jobs.values()]) {
      if (left <= 0) break;
      left -= job.advanceForTree(left);
    }
    return this.pendingRevokes === 0;
  }

  // ---- internal: nodes ----

  /** @internal */
  internType(type: string): number {
    let t = this.typeIndex.get(type);
    if (t === undefined) {
      t = this.typeNames.length;
      this.typeNames.push(type);
      this.typeIndex.set(type, t);
    }
    return t;
  }

  /** @internal A fresh node with no links; the caller fills in the capability. */
  allocNode(): number {
    let n = this.freeHead;
    if (n !== NONE) {
      this.freeHead = this.nodes[n * NODE_WORDS + N_NEXT] as number;
    } else {
      if (this.bump === this.capacity) {
        if (this.capacity === MAX_NODES) {
          throw new CapabilityError('SPACE_FULL', `the derivation tree is full (${MAX_NODES} nodes)`);
        }
        this.grow();
      }
      n = this.bump++;
    }
    const r = n * NODE_WORDS;
    const nodes = this.nodes;
    nodes[r + N_PARENT] = NONE;
    nodes[r + N_FIRST_CHILD] = NONE;
    nodes[r + N_NEXT] = NONE;
    nodes[r + N_PREV] = NONE;
    nodes[r + N_FLAGS] = F_USED;
    this.clean[n] = 0;
    this.nodeCount++;
    return n;
  }

  /** @internal Return an unlinked node to the free list. */
  freeNode(n: number): void {
    const r = n * NODE_WORDS;
    this.nodes[r + N_FLAGS] = 0;
    this.nodes[r + N_NEXT] = this.freeHead;
    this.freeHead = n;
    this.nodeCount--;
    // Number and bigint labels hold no references; object labels are dropped so they can be collected.
    if (this.labelsAreObjects) this.labels[n] = this.lattice.bottom;
  }

  /** @internal Make `child` the first child of `parent`. */
  link(parent: number, child: number): void {
    const nodes = this.nodes;
    const p = parent * NODE_WORDS;
    const c = child * NODE_WORDS;
    const first = nodes[p + N_FIRST_CHILD] as number;
    nodes[c + N_PARENT] = parent;
    nodes[c + N_PREV] = NONE;
    nodes[c + N_NEXT] = first;
    if (first !== NONE) nodes[first * NODE_WORDS + N_PREV] = child;
    nodes[p + N_FIRST_CHILD] = child;
  }

  /** @internal Take `n` out of its parent's child list. */
  unlink(n: number): void {
    const nodes = this.nodes;
    const r = n * NODE_WORDS;
    const p = nodes[r + N_PARENT] as number;
    const prev = nodes[r + N_PREV] as number;
    const next = nodes[r + N_NEXT] as number;
    if (prev !== NONE) nodes[prev * NODE_WORDS + N_NEXT] = next;
    else if (p !== NONE) nodes[p * NODE_WORDS + N_FIRST_CHILD] = next;
    if (next !== NONE) nodes[next * NODE_WORDS + N_PREV] = prev;
    nodes[r + N_PARENT] = NONE;
    nodes[r + N_PREV] = NONE;
    nodes[r + N_NEXT] = NONE;
  }

  /** @internal A node's flags. */
  flagsOf(n: number): number {
    return this.nodes[n * NODE_WORDS + N_FLAGS] as number;
  }

  /** @internal A node's parent (NONE for an original capability). */
  parentOf(n: number): number {
    return this.nodes[n * NODE_WORDS + N_PARENT] as number;
  }

  /** @internal A node's first child (NONE if it has none). */
  firstChildOf(n: number): number {
    return this.nodes[n * NODE_WORDS + N_FIRST_CHILD] as number;
  }

  /** @internal Set or clear flag bits of a node. */
  setFlags(n: number, set: number, clear = 0): void {
    const at = n * NODE_WORDS + N_FLAGS;
    this.nodes[at] = ((this.nodes[at] as number) & ~clear) | set;
  }

  /**
   * @internal The capability in node `n` left its slot (deleted by its holder). Keep the node as a ghost
   * while it has two or more children or is the root of a revoke; otherwise free it (no child) or splice
   * it out (one child), and do the same for the ghost ancestors this leaves with fewer than two children.
   */
  release(n: number): void {
    this.setFlags(n, 0, F_LIVE);
    this.liveCount--;
    this.collect(n);
  }

  /**
   * @internal Free `n` and then its ghost ancestors, as long as each is a childless ghost; the node where
   * that stops is spliced out if it is a ghost left with one child. Callers guarantee that `n` is not
   * below a pending revoke (a revoke's own walk frees the nodes of its subtree), so nothing here is on
   * the path a revoke job or a cached doom check relies on.
   */
  collect(n: number): void {
    const nodes = this.nodes;
    let x = n;
    while (x !== NONE) {
      const r = x * NODE_WORDS;
      if (nodes[r + N_FIRST_CHILD] !== NONE || ((nodes[r + N_FLAGS] as number) & (F_LIVE | F_REVOKING)) !== 0)
        break;
      const p = nodes[r + N_PARENT] as number;
      this.unlink(x);
      this.freeNode(x);
      x = p;
    }
    if (x !== NONE) this.spliceGhost(x);
  }

  /**
   * @internal If `x` is a ghost (no slot, no revoke of its own) with exactly one child, put the child in
   * its place under its parent and free `x`. The child keeps every ancestor that holds a capability, so
   * it stays revocable from all of them and below a node that dominates it; only the path gets shorter.
   */
  spliceGhost(x: number): void {
    const nodes = this.nodes;
    const r = x * NODE_WORDS;
    if (((nodes[r + N_FLAGS] as number) & (F_LIVE | F_REVOKING)) !== 0) return;
    const child = nodes[r + N_FIRST_CHILD] as number;
    if (child === NONE || nodes[child * NODE_WORDS + N_NEXT] !== NONE) return;
    const parent = nodes[r + N_PARENT] as number;
    this.unlink(child);
    this.unlink(x);
    if (parent !== NONE) this.link(parent, child);
    this.freeNode(x);
  }

  /**
   * @internal Is `n` below a revoke in progress? Only called while pendingRevokes > 0. Caches the answer
   * for every node on the walked path (DOOMED is permanent until the node is freed; "clean" holds until
   * the next revoke starts, which moves revokeEpoch on).
   */
  isDoomed(n: number): boolean {
    const nodes = this.nodes;
    if (((nodes[n * NODE_WORDS + N_FLAGS] as number) & F_DOOMED) !== 0) return true;
    const epoch = this.revokeEpoch;
    const clean = this.clean;
    if (clean[n] === epoch) return false;
    let doomed = false;
    let a = nodes[n * NODE_WORDS + N_PARENT] as number;
    while (a !== NONE) {
      if (((nodes[a * NODE_WORDS + N_FLAGS] as number) & (F_REVOKING | F_DOOMED)) !== 0) {
        doomed = true;
        break;
      }
      if (clean[a] === epoch) break;
      a = nodes[a * NODE_WORDS + N_PARENT] as number;
    }
    for (let x = n; x !== a; x = nodes[x * NODE_WORDS + N_PARENT] as number) {
      if (doomed) nodes[x * NODE_WORDS + N_FLAGS] = (nodes[x * NODE_WORDS + N_FLAGS] as number) | F_DOOMED;
      else clean[x] = epoch;
    }
    return doomed;
  }

  /** @internal A new revoke starts: every "clean" stamp is now out of date. */
  nextRevokeEpoch(): void {
    if (this.revokeEpoch === 0xffff_ffff) {
      this.clean.fill(0);
      this.revokeEpoch = 1;
    } else {
      this.revokeEpoch++;
    }
  }

  /** @internal Deliver queued revocation notices, once no revoke work is running. */
  deliverNotices(): void {
    if (this.reaping !== 0 || this.notices.length === 0) return;
    const notices = this.notices;
    this.notices = [];
    let failure: unknown;
    let failed = false;
    for (let i = 0; i < notices.length; i += 2) {
      const space = this.spaces[notices[i] as number] as CapSpace<L>;
      try {
        space.onRevoked?.(notices[i + 1] as CapId);
      } catch (e) {
        if (!failed) {
          failed = true;
          failure = e;
        }
      }
    }
    if (failed) throw failure;
  }

  /** @internal The error for an operation on a capability whose revoke has not finished. */
  revokeInProgress(op: string): CapabilityError {
    return new CapabilityError(
      'REVOKE_IN_PROGRESS',
      `${op}: this capability is being revoked; finish the revoke (RevokeJob.finish or tree.reap) first`,
    );
  }

  private grow(): void {
    const cap = Math.min(this.capacity * 2, MAX_NODES);
    const nodes = new Int32Array(cap * NODE_WORDS);
    nodes.set(this.nodes);
    this.nodes = nodes;
    const clean = new Uint32Array(cap);
    clean.set(this.clean);
    this.clean = clean;
    const objType = new Int32Array(cap);
    objType.set(this.objType);
    this.objType = objType;
    const objId = new Float64Array(cap);
    objId.set(this.objId);
    this.objId = objId;
    const badge = new Float64Array(cap);
    badge.set(this.badge);
    this.badge = badge;
    this.capacity = cap;
  }
}
