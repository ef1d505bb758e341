#!/usr/bin/env node
/**
 * caplattice benchmark: lookup-and-check, derive, revoke of 10^6 descendants, finite-lattice join/meet,
 * token seal/attenuate/verify, and the ML-KEM-768 handshake. Each figure is the median of several runs,
 * printed as ns/op and ops/s of process CPU time (wall-clock ns/op beside it), with a plain baseline
 * beside the hot paths (a Map of objects, the way one
 * would write a capability table without typed arrays). Uses the built package (dist/): run
 * `pnpm --filter @exov6/caplattice build` first (turbo does).
 *
 *   node bench/run.mjs [--quick] [--only check|derive|revoke|lattice|tokens|handshake]
 *
 * Targets: check <= 30 ns, derive <= 300 ns, revoke of 10^6 descendants <= 0.5 s.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (pnpm --filter @exov6/caplattice build)');
  process.exit(2);
}
const C = await import(dist);
const { Rights: R, EXOV6_LATTICE: L } = C;

// The load average goes with the figures: on a shared machine it says how contended the run was.
const loadAtStart = loadavg();
const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : null;
const want = (group) => only === null || only === group;
const RUNS = quick ? 3 : 5;
const ALL = 0x3fff;

/** Seeded PRNG (mulberry32), so every run builds the same trees. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const now = () => process.hrtime.bigint();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median seconds of `RUNS` runs of `fn(setup())`, by process CPU time (user + system) and by wall clock;
 * setup time is not counted. CPU time leaves out the time the process spends descheduled while other jobs
 * hold the CPUs, so on a shared machine it is the steadier figure; the wall clock is reported beside it.
 */
function time(fn, setup = () => undefined, runs = RUNS) {
  const cpu = [];
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const state = setup();
    const c0 = process.cpuUsage();
    const t0 = now();
    fn(state);
    wall.push(Number(now() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

const rows = [];
function row(group, what, seconds, ops, target) {
  const ns = (s) => {
    const x = (s / ops) * 1e9;
    return x < 1000 ? x.toFixed(1) : x.toFixed(0);
  };
  const total = (s) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
  rows.push({
    group,
    what,
    'ns/op': ns(seconds.cpu),
    'ops/s': Math.round(ops / seconds.cpu).toLocaleString('en-US'),
    total: total(seconds.cpu),
    'wall ns/op': ns(seconds.wall),
    target: target ?? '',
  });
}

// ---------------------------------------------------------------------------------------------------
// A baseline capability table: Map from id to a plain object with a children array.
class NaiveTable {
  constructor() {
    this.caps = new Map();
    this.next = 1;
  }
  create(rights, label) {
    const id = this.next++;
    this.caps.set(id, { rights, label, parent: null, children: [] });
    return id;
  }
  check(id, rights) {
    const c = this.caps.get(id);
    return c !== undefined && (c.rights & rights) === rights;
  }
  derive(id, rights, label) {
    const p = this.caps.get(id);
    if (!p || (rights & ~p.rights) !== 0 || !L.leq(label, p.label)) throw new Error('refused');
    const cid = this.next++;
    const c = { rights, label, parent: p, children: [] };
    p.children.push(cid);
    this.caps.set(cid, c);
    return cid;
  }
  revoke(id) {
    const stack = [...this.caps.get(id).children];
    this.caps.get(id).children = [];
    let n = 0;
    while (stack.length) {
      const x = stack.pop();
      const c = this.caps.get(x);
      for (const k of c.children) stack.push(k);
      this.caps.delete(x);
      n++;
    }
    return n;
  }
}

// ---------------------------------------------------------------------------------------------------
// check
if (want('check')) {
  const N = 100_000;
  const M = quick ? 5_000_000 : 20_000_000;
  const tree = new C.DerivationTree({ lattice: L });
  const s = tree.createSpace('bench');
  const root = s.create({ type: 'frame', id: 1 }, ALL, L.node('ROOT'));
  const ids = new Float64Array(131_072);
  const naive = new NaiveTable();
  const nroot = naive.create(ALL, L.node('ROOT'));
  const nids = new Float64Array(131_072);
  for (let i = 0; i < N; i++) {
    s.derive(root, { rights: R.READ | R.WRITE });
    naive.derive(nroot, R.READ | R.WRITE, L.node('ROOT'));
  }
  const live = s.ids();
  const rnd = prng(1);
  for (let i = 0; i < ids.length; i++) {
    const k = Math.floor(rnd() * live.length);
    ids[i] = live[k];
    nids[i] = k + 2;
  }
  const mask = ids.length - 1;
  let sink = 0;
  const loop = () => {
    for (let i = 0; i < M; i++) if (s.check(ids[i & mask], R.READ)) sink++;
  };
  const naiveLoop = () => {
    for (let i = 0; i < M; i++) if (naive.check(nids[i & mask], R.READ)) sink++;
  };
  loop();
  naiveLoop();
  row('check', 'CapSpace.check (typed arrays)', time(loop), M, '<= 30 ns');
  row('check', 'baseline: Map of objects', time(naiveLoop), M);
  // While a revoke elsewhere is pending, lookups also ask whether they are below it (cached per node).
  const other = s.create({ type: 'frame', id: 2 }, ALL, L.node('ROOT'));
  s.derive(other, { rights: R.READ });
  s.startRevoke(other);
  loop();
  row('check', 'CapSpace.check, a revoke pending', time(loop), M);
  if (sink === 0) console.log('');
}

// ---------------------------------------------------------------------------------------------------
// derive
if (want('derive')) {
  const N = quick ? 200_000 : 1_000_000;
  const fresh = () => {
    const tree = new C.DerivationTree({ lattice: L, initialCapacity: N + 16 });
    const a = tree.createSpace('a');
    const b = tree.createSpace('b');
    return { a, b, root: a.create({ type: 'frame', id: 1 }, ALL, L.node('SYSTEM')) };
  };
  const derive = ({ a, root }) => {
    for (let i = 0; i < N; i++) a.derive(root, { rights: R.READ | R.GRANT });
  };
  const deriveLabel = ({ a, b, root }) => {
    const file = L.node('FILE');
    for (let i = 0; i < N; i++) a.derive(root, { rights: R.READ, label: file }, b);
  };
  derive(fresh());
  row('derive', 'derive, same space', time(derive, fresh), N, '<= 300 ns');
  row('derive', 'derive, lower label, other space', time(deriveLabel, fresh), N);
  const naiveSetup = () => {
    const t = new NaiveTable();
    return { t, root: t.create(ALL, L.node('SYSTEM')) };
  };
  const naiveDerive = ({ t, root }) => {
    for (let i = 0; i < N; i++) t.derive(root, R.READ | R.GRANT, L.node('SYSTEM'));
  };
  row('derive', 'baseline: Map of objects', time(naiveDerive, naiveSetup), N);
}

// ---------------------------------------------------------------------------------------------------
// revoke of 10^6 descendants
if (want('revoke')) {
  const N = quick ? 200_000 : 1_000_000;
  const label = `${N.toLocaleString('en-US')} descendants`;
  // A random tree over four spaces: each new capability is derived from a random earlier one.
  const randomTree = () => {
    const tree = new C.DerivationTree({ lattice: L, initialCapacity: N + 16 });
    const spaces = [0, 1, 2, 3].map((i) => tree.createSpace(`s${i}`));
    const root = spaces[0].create({ type: 'frame', id: 1 }, ALL, L.node('ROOT'));
    const ids = new Float64Array(N + 1);
    const where = new Uint8Array(N + 1);
    ids[0] = root;
    const rnd = prng(7);
    for (let i = 1; i <= N; i++) {
      const p = Math.floor(rnd() * i);
      const into = i & 3;
      ids[i] = spaces[where[p]].derive(ids[p], { rights: ALL }, spaces[into]);
      where[i] = into;
    }
    return { tree, space: spaces[0], root };
  };
  const chain = () => {
    const tree = new C.DerivationTree({ lattice: L, initialCapacity: N + 16 });
    const s = tree.createSpace('chain');
    const root = s.create({ type: 'frame', id: 1 }, ALL, L.node('ROOT'));
    let id = root;
    for (let i = 0; i < N; i++) id = s.derive(id, { rights: ALL });
    return { space: s, root };
  };
  // The same number of descendants with locality: fan-out 16, built breadth-first, so siblings sit next
  // to each other in memory. Against the random tree, this shows how much of a revoke is cache misses.
  const bushy = () => {
    const tree = new C.DerivationTree({ lattice: L, initialCapacity: N + 16 });
    const spaces = [0, 1, 2, 3].map((i) => tree.createSpace(`s${i}`));
    const root = spaces[0].create({ type: 'frame', id: 1 }, ALL, L.node('ROOT'));
    const ids = new Float64Array(N + 1);
    const where = new Uint8Array(N + 1);
    ids[0] = root;
    for (let i = 1; i <= N; i++) {
      const p = Math.floor((i - 1) / 16);
      ids[i] = spaces[where[p]].derive(ids[p], { rights: ALL }, spaces[i & 3]);
      where[i] = i & 3;
    }
    return { space: spaces[0], root };
  };
  const runs = quick ? 2 : 3;
  let removed = 0;
  row(
    'revoke',
    `revoke, random tree of ${label}`,
    time(
      ({ space, root }) => {
        removed = space.revoke(root);
      },
      randomTree,
      runs,
    ),
    N,
    '<= 0.5 s total',
  );
  if (removed !== N) throw new Error(`revoke removed ${removed}, expected ${N}`);
  row(
    'revoke',
    `revoke, chain ${label} deep`,
    time(({ space, root }) => space.revoke(root), chain, runs),
    N,
  );
  row(
    'revoke',
    `revoke, fan-out 16 tree of ${label}`,
    time(({ space, root }) => space.revoke(root), bushy, runs),
    N,
  );
  let worstStep = 0;
  row(
    'revoke',
    'incremental, steps of 10 000 units',
    time(
      ({ space, root }) => {
        const job = space.startRevoke(root);
        for (;;) {
          const t0 = now();
          const done = job.step(10_000);
          const dt = Number(now() - t0) / 1e9;
          if (dt > worstStep) worstStep = dt;
          if (done) break;
        }
      },
      randomTree,
      runs,
    ),
    N,
  );
  rows[rows.length - 1].what += ` (worst step ${(worstStep * 1e6).toFixed(0)} us)`;
  const naiveTree = () => {
    const t = new NaiveTable();
    const root = t.create(ALL, L.node('ROOT'));
    const ids = [root];
    const rnd = prng(7);
    for (let i = 1; i <= N; i++) ids.push(t.derive(ids[Math.floor(rnd() * i)], ALL, L.node('ROOT')));
    return { t, root };
  };
  row(
    'revoke',
    'baseline: Map of objects',
    time(({ t, root }) => t.revoke(root), naiveTree, runs),
    N,
  );
}

// ---------------------------------------------------------------------------------------------------
// join / meet
if (want('lattice')) {
  const M = quick ? 2_000_000 : 10_000_000;
  // A 256-node finite lattice: the powerset of 8 elements, given as its Hasse diagram.
  const diagram = {};
  for (let s = 0; s < 256; s++) {
    diagram[`s${s}`] = [];
    for (let b = 0; b < 8; b++) if (s & (1 << b)) diagram[`s${s}`].push(`s${s & ~(1 << b)}`);
  }
  const t0 = now();
  const big = C.hasseLattice(diagram, 'P8');
  const buildMs = Number(now() - t0) / 1e6;
  const rnd = prng(3);
  const pick = (n) => Uint16Array.from({ length: 4096 }, () => Math.floor(rnd() * n));
  const joinLoop = (l, xs) => () => {
    let acc = 0;
    for (let i = 0; i < M; i++) acc ^= l.join(xs[i & 4095], xs[(i + 1) & 4095]);
    return acc;
  };
  const meetLoop = (l, xs) => () => {
    let acc = 0;
    for (let i = 0; i < M; i++) acc ^= l.meet(xs[i & 4095], xs[(i + 1) & 4095]);
    return acc;
  };
  const exo = pick(L.size);
  const p8 = pick(256);
  for (const f of [joinLoop(L, exo), meetLoop(L, exo), joinLoop(big, p8)]) f();
  row('lattice', 'join, ExoV6 lattice (10 nodes)', time(joinLoop(L, exo)), M);
  row('lattice', 'meet, ExoV6 lattice (10 nodes)', time(meetLoop(L, exo)), M);
  row('lattice', `join, 256-node lattice (built in ${buildMs.toFixed(0)} ms)`, time(joinLoop(big, p8)), M);
  row('lattice', 'meet, 256-node lattice', time(meetLoop(big, p8)), M);
  const cats = C.powersetLattice(Array.from({ length: 70 }, (_, i) => `C${i}`));
  const masks = Array.from({ length: 4096 }, () => BigInt(Math.floor(rnd() * 2 ** 32)) << 38n);
  const bigJoin = () => {
    let acc = 0n;
    for (let i = 0; i < M / 4; i++) acc ^= cats.join(masks[i & 4095], masks[(i + 1) & 4095]);
    return acc;
  };
  bigJoin();
  row('lattice', 'join, powerset of 70 categories (bigint)', time(bigJoin), M / 4);
}

// ---------------------------------------------------------------------------------------------------
// tokens
if (want('tokens')) {
  const M = quick ? 5_000 : 20_000;
  const key = C.tokenKeyFromSecret(new Uint8Array(32).fill(1), 'bench');
  const auth = new C.TokenAuthority({ lattice: L, keys: [key] });
  const claims = { object: { type: 'frame', id: 42 }, rights: R.READ | R.WRITE, label: L.node('FILE') };
  const nonce = new Uint8Array(16);
  const token = auth.seal(key, claims, { nonce });
  const caveats = [
    { kind: 'rights', rights: R.READ },
    { kind: 'label', label: L.node('USER') },
    { kind: 'expires', at: Date.now() + 3_600_000 },
  ];
  const narrowed = C.attenuateToken(token, caveats, L);
  const request = { object: { type: 'frame', id: 42 }, rights: R.READ };
  const loop = (f) => () => {
    for (let i = 0; i < M; i++) f();
  };
  loop(() => auth.verify(narrowed, request))();
  row('tokens', 'seal', time(loop(() => auth.seal(key, claims, { nonce }))), M);
  row('tokens', 'attenuate (+1 caveat)', time(loop(() => C.attenuateToken(token, caveats[0]))), M);
  row('tokens', 'verify, no caveat', time(loop(() => auth.verify(token, request))), M);
  row('tokens', 'verify, 3 caveats', time(loop(() => auth.verify(narrowed, request))), M);
  const signer = C.signingKeyPair(new Uint8Array(32).fill(2));
  const S = quick ? 20 : 60;
  const signed = C.signToken(narrowed, signer.secretKey);
  row(
    'tokens',
    'sign (ML-DSA-65)',
    time(() => {
      for (let i = 0; i < S; i++) C.signToken(narrowed, signer.secretKey);
    }),
    S,
  );
  row(
    'tokens',
    'verify signed (ML-DSA-65, public key only)',
    time(() => {
      for (let i = 0; i < S; i++) C.verifySignedToken(signed, signer.publicKey, { lattice: L, request });
    }),
    S,
  );
}

// ---------------------------------------------------------------------------------------------------
// ML-KEM-768 handshake
if (want('handshake')) {
  const H = quick ? 20 : 100;
  const responder = C.kemKeyPair();
  const handshake = () => {
    for (let i = 0; i < H; i++) {
      const init = C.initiateHandshake(responder.publicKey, { context: 'bench' });
      const { response } = C.acceptHandshake(responder.secretKey, init.request, { context: 'bench' });
      init.complete(response);
    }
  };
  handshake();
  row('handshake', 'ML-KEM-768 handshake, both sides, with confirmation', time(handshake), H);
  row(
    'handshake',
    'ML-KEM-768 key pair',
    time(() => {
      for (let i = 0; i < H; i++) C.kemKeyPair();
    }),
    H,
  );
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
console.log(
  `caplattice benchmark: node ${process.version}, ${cpus().length} CPUs (${cpu}), median of ${RUNS} runs, process CPU time`,
);
console.log(`load average (1, 5, 15 min): ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
console.table(rows);
