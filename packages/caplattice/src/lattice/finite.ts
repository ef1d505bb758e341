// A finite lattice given by its Hasse diagram: named nodes and covering edges ("u covers v": v < u with
// nothing in between). The constructor checks that the diagram really is one of a lattice and says which
// nodes break it; then it precomputes the order, join and meet as n x n tables, so every operation is one
// array read.
//
// How: nodes are renumbered in a linear extension (every node after the nodes below it), and each node
// gets its up-set and down-set as bitsets. For labels a and b the common upper bounds are up(a) & up(b);
// the first of them in the linear extension, u, is a minimal upper bound, and it is the least one iff its
// own up-set is the whole intersection (up(u) is always contained in it, so equal sizes suffice). Meets
// are the mirror image. That is O(n^2 * n/32) word operations, under a second for the largest size allowed.

import { LatticeError } from '../errors.js';
import type { Lattice } from './lattice.js';
import { indexNames, notALabel } from './names.js';

/** Most nodes a finite lattice may have (its tables take 5 * n^2 bytes). */
export const MAX_FINITE_NODES = 1024;

/** Hasse diagram: every node, mapped to the nodes it covers (the nodes directly below it). */
export type HasseDiagram = Readonly<Record<string, readonly string[]>>;

/** A finite lattice; labels are node numbers (in a linear extension of the order, bottom first). */
export interface FiniteLattice extends Lattice<number> {
  /** Node names, indexed by label. */
  readonly nodes: readonly string[];
  /** Number of nodes. */
  readonly size: number;
  /** The label of a named node; throws {@link LatticeError} for an unknown name. */
  node(name: string): number;
}

/** Build a finite lattice from its Hasse diagram, or throw {@link LatticeError} naming what is wrong. */
export function hasseLattice(diagram: HasseDiagram, name = 'finite'): FiniteLattice {
  const kind = `lattice ${name}`;
  if (typeof diagram !== 'object' || diagram === null || Array.isArray(diagram)) {
    throw new LatticeError(`${kind}: expected an object mapping each node to the nodes it covers`);
  }
  const inputNames = Object.keys(diagram);
  const inputIndex = indexNames(kind, inputNames);
  const n = inputNames.length;
  if (n === 0) throw new LatticeError(`${kind}: needs at least one node`);
  if (n > MAX_FINITE_NODES) throw new LatticeError(`${kind}: more than ${MAX_FINITE_NODES} nodes`);

  // Covering edges, by input index: below[u] = the nodes u covers.
  const below: number[][] = inputNames.map((upper) => {
    const lowers = diagram[upper];
    if (!Array.isArray(lowers))
      throw new LatticeError(`${kind}: ${upper} must map to an array of node names`);
    const seen = new Set<number>();
    return lowers.map((lower) => {
      const v = typeof lower === 'string' ? inputIndex.get(lower) : undefined;
      if (v === undefined) {
        throw new LatticeError(
          `${kind}: ${upper} covers ${JSON.stringify(lower)}, which is not a node of the diagram`,
        );
      }
      if (lower === upper) throw new LatticeError(`${kind}: ${upper} cannot cover itself`);
      if (seen.has(v)) throw new LatticeError(`${kind}: ${upper} covers ${lower} twice`);
      seen.add(v);
      return v;
    });
  });

  const order = linearExtension(kind, inputNames, below);
  const names = Object.freeze(order.map((i) => inputNames[i] as string));
  const label = new Int32Array(n); // input index -> label
  order.forEach((input, position) => {
    label[input] = position;
  });
  const covers: number[][] = order.map((input) => (below[input] as number[]).map((v) => label[v] as number));

  // Down-sets bottom-up and up-sets top-down, as bitsets of W words each.
  const W = (n + 31) >>> 5;
  const down = new Uint32Array(n * W);
  const up = new Uint32Array(n * W);
  for (let u = 0; u < n; u++) {
    setBit(down, u * W, u);
    for (const v of covers[u] as number[]) orInto(down, u * W, down, v * W, W);
  }
  for (let u = n - 1; u >= 0; u--) setBit(up, u * W, u);
  for (let u = n - 1; u >= 0; u--) {
    for (const v of covers[u] as number[]) orInto(up, v * W, up, u * W, W);
  }

  // A Hasse diagram has no shortcut edges: if u covers v and w, then v and w are incomparable.
  for (let u = 0; u < n; u++) {
    for (const v of covers[u] as number[]) {
      for (const w of covers[u] as number[]) {
        if (v !== w && hasBit(down, w * W, v)) {
          throw new LatticeError(
            `${kind}: ${names[u]} -> ${names[v]} is not a covering edge, since ${names[u]} > ${names[w]} > ${names[v]}`,
          );
        }
      }
    }
  }

  const leqTable = new Uint8Array(n * n);
  const joinTable = new Uint16Array(n * n);
  const meetTable = new Uint16Array(n * n);
  const scratch = new Uint32Array(W);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      const j = bound(up, a, b, W, scratch, 'first');
      if (j < 0) throw noBound(kind, names, a, b, up, W, scratch, 'upper');
      const m = bound(down, a, b, W, scratch, 'last');
      if (m < 0) throw noBound(kind, names, a, b, down, W, scratch, 'lower');
      joinTable[a * n + b] = joinTable[b * n + a] = j;
      meetTable[a * n + b] = meetTable[b * n + a] = m;
      leqTable[a * n + b] = hasBit(up, a * W, b) ? 1 : 0;
      leqTable[b * n + a] = hasBit(up, b * W, a) ? 1 : 0;
    }
  }
  let top = 0;
  let bottom = 0;
  for (let a = 1; a < n; a++) {
    top = joinTable[top * n + a] as number;
    bottom = meetTable[bottom * n + a] as number;
  }

  const index = new Map(names.map((s, i) => [s, i]));
  const isLabel = (x: unknown): x is number => typeof x === 'number' && x >>> 0 === x && x < n;
  const check = (x: number): number => {
    if (x >>> 0 !== x || x >= n) throw notALabel(name, x);
    return x;
  };
  const node = (text: string): number => {
    const i = typeof text === 'string' ? index.get(text.trim()) : undefined;
    if (i === undefined) throw new LatticeError(`${kind}: unknown node ${JSON.stringify(text)}`);
    return i;
  };

  return Object.freeze({
    name,
    nodes: names,
    size: n,
    top,
    bottom,
    leq: (a: number, b: number) => leqTable[check(a) * n + check(b)] === 1,
    join: (a: number, b: number) => joinTable[check(a) * n + check(b)] as number,
    meet: (a: number, b: number) => meetTable[check(a) * n + check(b)] as number,
    equals: (a: number, b: number) => check(a) === check(b),
    isLabel,
    format: (a: number) => names[check(a)] as string,
    parse: node,
    node,
  });
}

/** Input indices in an order where every node comes after the nodes it covers; throws on a cycle. */
function linearExtension(kind: string, names: readonly string[], below: readonly number[][]): number[] {
  const n = names.length;
  const above: number[][] = names.map(() => []);
  const pending = new Int32Array(n); // covered nodes not yet placed
  below.forEach((lowers, u) => {
    pending[u] = lowers.length;
    for (const v of lowers) (above[v] as number[]).push(u);
  });
  const order: number[] = [];
  for (let u = 0; u < n; u++) if (pending[u] === 0) order.push(u);
  for (let k = 0; k < order.length; k++) {
    for (const u of above[order[k] as number] as number[]) {
      if (--(pending as Int32Array)[u] === 0) order.push(u);
    }
  }
  if (order.length !== n) {
    const stuck = names.filter((_, u) => (pending[u] as number) > 0);
    throw new LatticeError(
      `${kind}: the covering edges form a cycle among ${stuck.join(', ')}, so it is not an order`,
    );
  }
  return order;
}

function setBit(bits: Uint32Array, base: number, i: number): void {
  (bits as Uint32Array)[base + (i >>> 5)] = ((bits[base + (i >>> 5)] as number) | (1 << (i & 31))) >>> 0;
}

function hasBit(bits: Uint32Array, base: number, i: number): boolean {
  return (((bits[base + (i >>> 5)] as number) >>> (i & 31)) & 1) === 1;
}

function orInto(dst: Uint32Array, d: number, src: Uint32Array, s: number, words: number): void {
  for (let k = 0; k < words; k++) dst[d + k] = ((dst[d + k] as number) | (src[s + k] as number)) >>> 0;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/**
 * The least element of sets[a] & sets[b] (the join, with up-sets; pick 'first') or the greatest (the
 * meet, with down-sets; pick 'last'); -1 if that set is empty or has no such element. Leaves the
 * intersection in `scratch`.
 */
function bound(
  sets: Uint32Array,
  a: number,
  b: number,
  W: number,
  scratch: Uint32Array,
  pick: 'first' | 'last',
): number {
  let count = 0;
  for (let k = 0; k < W; k++) {
    const x = ((sets[a * W + k] as number) & (sets[b * W + k] as number)) >>> 0;
    scratch[k] = x;
    count += popcount(x);
  }
  if (count === 0) return -1;
  const c = pick === 'first' ? firstBit(scratch, W) : lastBit(scratch, W);
  let own = 0;
  for (let k = 0; k < W; k++) own += popcount(sets[c * W + k] as number);
  return own === count ? c : -1;
}

function firstBit(bits: Uint32Array, W: number): number {
  for (let k = 0; k < W; k++) {
    const x = bits[k] as number;
    if (x !== 0) return k * 32 + (31 - Math.clz32(x & -x));
  }
  return -1;
}

function lastBit(bits: Uint32Array, W: number): number {
  for (let k = W - 1; k >= 0; k--) {
    const x = bits[k] as number;
    if (x !== 0) return k * 32 + (31 - Math.clz32(x));
  }
  return -1;
}

/**
 * The error for a pair without a join (side 'upper') or meet (side 'lower'), naming the witnesses. (With
 * the pair order of the scan, a failing meet is always of the "no common lower bound" kind: two maximal
 * lower bounds of a pair would have made the join of those two fail earlier. The code stays symmetric.)
 */
function noBound(
  kind: string,
  names: readonly string[],
  a: number,
  b: number,
  sets: Uint32Array,
  W: number,
  scratch: Uint32Array,
  side: 'upper' | 'lower',
): LatticeError {
  const what = side === 'upper' ? 'join (least upper bound)' : 'meet (greatest lower bound)';
  const pair = `${names[a]} and ${names[b]}`;
  const first = side === 'upper' ? firstBit(scratch, W) : lastBit(scratch, W);
  if (first < 0) return new LatticeError(`${kind}: ${pair} have no common ${side} bound, so no ${what}`);
  // Another extremal bound: the first (last) common bound not comparable with `first`. It exists, since
  // `first` is not the least (greatest) one.
  for (let k = 0; k < W; k++) scratch[k] = ((scratch[k] as number) & ~(sets[first * W + k] as number)) >>> 0;
  const other = side === 'upper' ? firstBit(scratch, W) : lastBit(scratch, W);
  const adjective = side === 'upper' ? 'minimal upper' : 'maximal lower';
  return new LatticeError(
    `${kind}: ${pair} have no ${what}: ${names[first]} and ${names[other]} are both ${adjective} bounds`,
  );
}
