// A revoke in progress. The logical revocation already happened when the job was created (the root is
// flagged REVOKING, so nothing below it resolves); the job reclaims the subtree, leaf by leaf in
// post-order, with a cursor that survives between steps. One unit of budget is one edge walked down or one
// node freed, so each node below the root costs exactly two units and a step never does more than its
// budget. The nodes below the root are the capabilities removed plus the ghosts of deleted ones, and every
// ghost has at least two children (tree.ts), so there are fewer ghosts than capabilities: a revoke that
// removes k capabilities costs at most 4k units (plus the ghost roots of revokes already pending inside
// the subtree, whose remaining work it finishes).
//
// Why post-order: a node is freed only after all its descendants, so every node still waiting keeps its
// path up to the root, which is what lookups use to see that it is revoked.
//
// A revoke started earlier on a descendant (it must have been earlier: once an ancestor is revoking, the
// descendant no longer resolves and cannot be revoked) is a REVOKING node met on the way down. Its
// remaining work is part of ours, so we drive that job to completion first rather than walking into a
// subtree whose cursor belongs to it.

import { InvalidArgumentError } from '../errors.js';
import {
  F_LIVE,
  F_REVOKING,
  N_FIRST_CHILD,
  N_FLAGS,
  N_PARENT,
  N_SLOT,
  N_SPACE,
  NODE_WORDS,
  NONE,
} from './layout.js';
import type { DerivationTree } from './tree.js';

/** A revoke that can be carried out in steps. Obtain one from `CapSpace.startRevoke`. */
export class RevokeJob<L> {
  private readonly tree: DerivationTree<L>;
  private readonly root: number;
  private cursor: number;
  private finished = false;
  private count = 0;

  /** @internal Use `CapSpace.startRevoke`. */
  constructor(tree: DerivationTree<L>, root: number) {
    this.tree = tree;
    this.root = root;
    this.cursor = root;
  }

  /** Whether every descendant has been reclaimed. */
  get done(): boolean {
    return this.finished;
  }

  /** Capabilities removed so far by this revoke. */
  get removed(): number {
    return this.count;
  }

  /** Do at most `budget` units of work; returns true when the revoke is complete. */
  step(budget: number): boolean {
    if (!Number.isInteger(budget) || budget < 1) {
      throw new InvalidArgumentError('RevokeJob.step: the budget must be an integer of at least 1');
    }
    this.run(budget);
    return this.finished;
  }

  /** Run to completion; returns the number of capabilities removed. */
  finish(): number {
    this.run(Number.POSITIVE_INFINITY);
    return this.count;
  }

  /** @internal Work for `tree.reap`: returns the units spent. */
  advanceForTree(budget: number): number {
    return this.run(budget);
  }

  private run(budget: number): number {
    const tree = this.tree;
    tree.reaping++;
    let spent: number;
    try {
      spent = this.advance(budget);
    } finally {
      tree.reaping--;
    }
    tree.deliverNotices();
    return spent;
  }

  /** The post-order walk; returns the units spent. */
  private advance(budget: number): number {
    if (this.finished) return 0;
    const tree = this.tree;
    const root = this.root;
    let spent = 0;
    let c = this.cursor;
    // Freeing never reallocates the node records, so one reference serves the whole walk.
    const nodes = tree.nodes;
    while (spent < budget) {
      const child = nodes[c * NODE_WORDS + N_FIRST_CHILD] as number;
      if (child !== NONE) {
        if (((nodes[child * NODE_WORDS + N_FLAGS] as number) & F_REVOKING) !== 0) {
          const inner = tree.jobs.get(child) as RevokeJob<L>;
          const before = inner.count;
          spent += inner.advance(budget - spent);
          this.count += inner.count - before;
          if (!inner.finished) break;
          continue; // `child` is now an ordinary node of our subtree
        }
        c = child;
        spent++;
        continue;
      }
      if (c === root) {
        this.cursor = c;
        this.complete();
        return spent;
      }
      const up = nodes[c * NODE_WORDS + N_PARENT] as number;
      this.reapLeaf(c);
      spent++;
      c = up;
    }
    this.cursor = c;
    return spent;
  }

  /** Free a childless descendant: its slot (if it holds one) and its node. */
  private reapLeaf(n: number): void {
    const tree = this.tree;
    const r = n * NODE_WORDS;
    if (((tree.nodes[r + N_FLAGS] as number) & F_LIVE) !== 0) {
      const space = tree.spaces[tree.nodes[r + N_SPACE] as number];
      if (space) {
        const slot = tree.nodes[r + N_SLOT] as number;
        if (space.onRevoked) tree.notices.push(space.index, space.idOf(slot));
        space.freeSlot(slot);
      }
      tree.liveCount--;
      this.count++;
    }
    tree.unlink(n);
    tree.freeNode(n);
  }

  private complete(): void {
    const tree = this.tree;
    const root = this.root;
    this.finished = true;
    tree.setFlags(root, 0, F_REVOKING);
    tree.jobs.delete(root);
    tree.pendingRevokes--;
    // The root itself may have been deleted meanwhile (it stayed as a ghost for us). Free it now, unless
    // it is itself below another pending revoke, whose job will reclaim it.
    if ((tree.flagsOf(root) & F_LIVE) === 0 && (tree.pendingRevokes === 0 || !tree.isDoomed(root))) {
      tree.collect(root);
    }
  }
}
