// The RPC protocol message by message: one side is a real RpcConnection, the other a scripted fake peer
// (test/support/fake-peer.ts) that decodes every message the connection sends and injects hand-built
// rpc.capnp messages. Checks the exact messages (kinds, ids, targets, capability descriptors, reference
// counts) for bootstrap, calls, pipelining, embargoes, serving, capabilities received, and what a peer
// that breaks the protocol gets: an Abort, never an exception thrown into the application.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type Capability,
  RpcConnection,
  RpcError,
  type RpcTableSizes,
  frame,
  releaseCapabilities,
  serve,
} from '../src/index';
import * as rpc from '../src/schemas/rpc.capnp';
import {
  Counter,
  Counter_increment_Params,
  Counter_increment_ParamsBuilder,
  Counter_increment_Results,
  Counter_increment_ResultsBuilder,
  Directory,
  Directory_bump_ParamsBuilder,
  Directory_echo_ParamsBuilder,
  Directory_fail_ParamsBuilder,
  Directory_nested_ParamsBuilder,
  Directory_nested_Results,
  Directory_nested_ResultsBuilder,
  Directory_open_Params,
  Directory_open_ParamsBuilder,
  Directory_open_Results,
  Directory_open_ResultsBuilder,
} from './schemas/rpc-test.capnp.js';
import { type DirectoryState, counter, directory } from './support/directory-server';
import {
  type CapDesc,
  type ContentWriter,
  FakePeer,
  type Summary,
  type Target,
  buildMessage,
  callMessage,
  capContent,
  decode,
  flush,
  returnMessage,
  setCapPointer,
  summarize,
} from './support/fake-peer';

const DIR = Directory.interfaceId;
const CTR = Counter.interfaceId;
const OPEN = Directory.methods.open.ordinal;
const ECHO = Directory.methods.echo.ordinal;
const FAIL = Directory.methods.fail.ordinal;
const NESTED = Directory.methods.nested.ordinal;
const BUMP = Directory.methods.bump.ordinal;
const INCREMENT = Counter.methods.increment.ordinal;
const GET = Counter.methods.get.ordinal;

const EMPTY: RpcTableSizes = { questions: 0, answers: 0, imports: 0, exports: 0, embargoes: 0 };

/** Params of the test interfaces, as the fake peer writes them. */
const params = {
  open:
    (name: string): ContentWriter =>
    (payload) => {
      payload.initStruct(0, Directory_open_ParamsBuilder).name = name;
    },
  nested:
    (name: string): ContentWriter =>
    (payload) => {
      payload.initStruct(0, Directory_nested_ParamsBuilder).name = name;
    },
  fail:
    (reason: string): ContentWriter =>
    (payload) => {
      payload.initStruct(0, Directory_fail_ParamsBuilder).reason = reason;
    },
  echo:
    (capIndex: number): ContentWriter =>
    (payload, message) => {
      setCapPointer(message, payload.initStruct(0, Directory_echo_ParamsBuilder), 0, capIndex);
    },
  bump:
    (capIndex: number, by: number): ContentWriter =>
    (payload, message) => {
      const p = payload.initStruct(0, Directory_bump_ParamsBuilder);
      setCapPointer(message, p, 0, capIndex);
      p.by = by;
    },
  increment:
    (by: number): ContentWriter =>
    (payload) => {
      payload.initStruct(0, Counter_increment_ParamsBuilder).by = by;
    },
};

/** Results of the test interfaces, as the fake peer writes them. */
const results = {
  /** Counter.increment / Counter.get / Directory.bump: (value). */
  value:
    (value: number): ContentWriter =>
    (payload) => {
      payload.initStruct(0, Counter_increment_ResultsBuilder).value = value;
    },
  /** Directory.open / Directory.echo: a capability in pointer 0. */
  cap:
    (capIndex = 0): ContentWriter =>
    (payload, message) => {
      setCapPointer(message, payload.initStruct(0, Directory_open_ResultsBuilder), 0, capIndex);
    },
  /** Directory.nested: (inner :Inner(label, counter)). */
  nested:
    (label: string, capIndex = 0): ContentWriter =>
    (payload, message) => {
      const inner = payload.initStruct(0, Directory_nested_ResultsBuilder).initInner();
      inner.label = label;
      setCapPointer(message, inner, 1, capIndex);
    },
};

function newState(): DirectoryState {
  return { liveCounters: 0, log: [] };
}

function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('expected a value');
  return value;
}

/** The value field of a Return's results (Counter.increment, Counter.get, Directory.bump). */
function resultValue(m: rpc.Message): number {
  return m.return.results.content.getStruct(Counter_increment_Results).value;
}

function callSummary(
  questionId: number,
  target: Target,
  interfaceId: bigint,
  methodId: number,
  capTable: CapDesc[] = [],
): Summary {
  return { call: { questionId, target, interfaceId, methodId, capTable, sendResultsTo: 'caller' } };
}

function resultsSummary(answerId: number, capTable: CapDesc[] = []): Summary {
  return { return: { answerId, releaseParamCaps: false, results: { capTable } } };
}

function finishSummary(questionId: number): Summary {
  return { finish: { questionId, releaseResultCaps: false } };
}

/** A connection with no bootstrap object, talking to a fake peer. */
function clientSide(): { peer: FakePeer; conn: RpcConnection } {
  const peer = new FakePeer();
  return { peer, conn: new RpcConnection(peer) };
}

/** A connection serving `bootstrap` (a Directory by default), talking to a fake peer. */
function serverSide(bootstrap?: (state: DirectoryState) => Capability): {
  peer: FakePeer;
  conn: RpcConnection;
  state: DirectoryState;
} {
  const state = newState();
  const root = bootstrap === undefined ? directory(state) : bootstrap(state);
  const peer = new FakePeer();
  const conn = new RpcConnection(peer, { bootstrap: root });
  root.release();
  return { peer, conn, state };
}

/** The peer asks for the bootstrap object (question 0), gets export 0, and finishes the question. */
async function peerBootstraps(peer: FakePeer): Promise<void> {
  peer.bootstrap(0);
  await flush();
  expect(peer.take()).toEqual([resultsSummary(0, [{ senderHosted: 0 }])]);
  peer.finish(0, false);
}

/** The connection asks for the peer's bootstrap object (question 0), which the peer answers with `desc`. */
async function bootstrapTo(peer: FakePeer, conn: RpcConnection, desc: CapDesc): Promise<Capability> {
  const boot = conn.bootstrap();
  expect(peer.take()).toEqual([{ bootstrap: { questionId: 0 } }]);
  peer.returnCap(0, desc);
  expect(peer.take()).toEqual([finishSummary(0)]);
  await flush(); // the connection lets go of the copy in the results
  return boot;
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function expectRpcError(promise: Promise<unknown>, type: string, reason?: string | RegExp) {
  const e = await rejection(promise);
  expect(e).toBeInstanceOf(RpcError);
  expect((e as RpcError).type).toBe(type);
  if (reason !== undefined) expect((e as RpcError).reason).toMatch(reason);
}

describe('bootstrap and calls (the connection asks)', () => {
  test('Bootstrap with question 0; a senderHosted Return resolves it; Finish follows; calls go to the import', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap();
    expect(peer.take()).toEqual([{ bootstrap: { questionId: 0 } }]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 1 });
    let resolved = false;
    void boot.whenResolved().then(() => {
      resolved = true;
    });

    peer.returnCap(0, { senderHosted: 5 });
    expect(peer.take()).toEqual([finishSummary(0)]);
    await flush();
    expect(resolved).toBe(true);
    expect(conn.tableSizes).toEqual({ ...EMPTY, imports: 1 });

    const open = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    });
    const [call] = peer.takeRaw();
    expect(summarize(must(call))).toEqual(callSummary(0, { importedCap: 5 }, DIR, OPEN));
    expect(must(call).call.params.content.getStruct(Directory_open_Params).name).toBe('a');

    peer.returnResults(0, { content: results.cap(0), capTable: [{ senderHosted: 6 }] });
    expect(peer.take()).toEqual([finishSummary(0)]);
    const r = await open.response;
    const c = must(r.counter);
    expect(conn.tableSizes).toEqual({ ...EMPTY, imports: 2 });

    c.call(Counter, 'get');
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 6 }, CTR, GET)]);
    peer.returnResults(0, { content: results.value(3) });
    expect(peer.take()).toEqual([finishSummary(0)]);

    c.release();
    expect(peer.take()).toEqual([{ release: { id: 6, referenceCount: 1 } }]);
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 5, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.violations).toEqual([]);
  });

  test('question ids are reused only once the Return came and the Finish went', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap(); // question 0, unanswered
    const a = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    });
    const b = boot.call(Directory, 'open', (p) => {
      p.name = 'b';
    });
    const onBoot = { promisedAnswer: { questionId: 0, transform: [] } };
    expect(peer.take()).toEqual([
      { bootstrap: { questionId: 0 } },
      callSummary(1, onBoot, DIR, OPEN),
      callSummary(2, onBoot, DIR, OPEN),
    ]);

    peer.returnException(1, 'failed', 'no a');
    expect(peer.take()).toEqual([finishSummary(1)]);
    await expectRpcError(a.response, 'failed', 'no a');

    // 1 is free again (Return received, Finish sent); 0 and 2 are still awaiting their Return.
    const c = boot.call(Directory, 'open', (p) => {
      p.name = 'c';
    });
    expect(peer.take()).toEqual([callSummary(1, onBoot, DIR, OPEN)]);
    const d = boot.call(Directory, 'open', (p) => {
      p.name = 'd';
    });
    expect(peer.take()).toEqual([callSummary(3, onBoot, DIR, OPEN)]);
    expect(conn.tableSizes.questions).toBe(4);

    peer.returnCap(0, { senderHosted: 1 });
    expect(peer.take()).toEqual([finishSummary(0)]);
    const e = boot.call(Directory, 'open', (p) => {
      p.name = 'e';
    });
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 1 }, DIR, OPEN)]);

    for (const id of [0, 1, 2, 3]) peer.returnException(id, 'failed', `done ${id}`);
    expect(peer.take()).toEqual([0, 1, 2, 3].map(finishSummary));
    await expectRpcError(b.response, 'failed', 'done 2');
    await expectRpcError(c.response, 'failed', 'done 1');
    await expectRpcError(d.response, 'failed', 'done 3');
    await expectRpcError(e.response, 'failed', 'done 0');
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 1, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('an exception Return rejects the call with its type and reason, and is finished', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderHosted: 2 });
    const calls = (['failed', 'overloaded', 'disconnected', 'unimplemented'] as const).map((type) => {
      const call = boot.call(Directory, 'fail', (p) => {
        p.reason = type;
      });
      return { type, call };
    });
    expect(peer.take()).toEqual([0, 1, 2, 3].map((id) => callSummary(id, { importedCap: 2 }, DIR, FAIL)));
    for (const [id, { type }] of calls.entries()) peer.returnException(id, type, `because ${type}`);
    expect(peer.take()).toEqual([0, 1, 2, 3].map(finishSummary));
    for (const { type, call } of calls) await expectRpcError(call.response, type, `because ${type}`);
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 2, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });
  test('a bootstrap question that fails (exception, Unimplemented echo, disconnection) leaves no unhandled rejection', async () => {
    const endings: [string, (peer: FakePeer, conn: RpcConnection, bootstrap: rpc.Message) => void][] = [
      ['an exception Return', (peer) => peer.returnException(0, 'failed', 'no bootstrap')],
      ['an Unimplemented echo', (peer, _conn, bootstrap) => peer.unimplemented(bootstrap)],
      ['an Abort from the peer', (peer) => peer.abort('failed', 'bye')],
      ['close()', (_peer, conn) => conn.close()],
    ];
    const unhandled: string[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(String(reason));
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const [name, end] of endings) {
        const { peer, conn } = clientSide();
        const boot = conn.bootstrap();
        const [bootstrap] = peer.takeRaw();
        end(peer, conn, must(bootstrap));
        await flush();
        expect(await rejection(boot.call(Counter, 'get').response)).toBeInstanceOf(RpcError);
        boot.release();
        await flush();
        expect({ ending: name, unhandled }).toEqual({ ending: name, unhandled: [] });
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('promise pipelining (the connection asks)', () => {
  test('calls on pipelined capabilities go to the promised answer, then to the import once it returned', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap(); // 0
    const open = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    }); // 1
    const counterA = must(open.pipeline.counter).dup();
    const inc = counterA.call(Counter, 'increment', (p) => {
      p.by = 2;
    }); // 2
    const nested = boot.call(Directory, 'nested', (p) => {
      p.name = 'n';
    }); // 3
    const innerCounter = must(nested.pipeline.inner.counter).dup();
    const get = innerCounter.call(Counter, 'get'); // 4
    expect(peer.take()).toEqual([
      { bootstrap: { questionId: 0 } },
      callSummary(1, { promisedAnswer: { questionId: 0, transform: [] } }, DIR, OPEN),
      callSummary(2, { promisedAnswer: { questionId: 1, transform: [0] } }, CTR, INCREMENT),
      callSummary(3, { promisedAnswer: { questionId: 0, transform: [] } }, DIR, NESTED),
      callSummary(4, { promisedAnswer: { questionId: 3, transform: [0, 1] } }, CTR, GET),
    ]);

    peer.returnCap(0, { senderHosted: 10 });
    expect(peer.take()).toEqual([finishSummary(0)]);
    // The bootstrap promise settled: new calls on it go to the import.
    const open2 = boot.call(Directory, 'open', (p) => {
      p.name = 'b';
    });
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 10 }, DIR, OPEN)]);

    peer.returnResults(1, { content: results.cap(0), capTable: [{ senderHosted: 11 }] });
    expect(peer.take()).toEqual([finishSummary(1)]);
    const inc2 = counterA.call(Counter, 'increment', (p) => {
      p.by = 3;
    });
    expect(peer.take()).toEqual([callSummary(1, { importedCap: 11 }, CTR, INCREMENT)]);

    peer.returnResults(3, { content: results.nested('n', 0), capTable: [{ senderHosted: 12 }] });
    expect(peer.take()).toEqual([finishSummary(3)]);
    const get2 = innerCounter.call(Counter, 'get');
    expect(peer.take()).toEqual([callSummary(3, { importedCap: 12 }, CTR, GET)]);

    // The answers to the pipelined calls.
    peer.returnResults(2, { content: results.value(2) });
    peer.returnResults(4, { content: results.value(100) });
    peer.returnResults(1, { content: results.value(5) });
    peer.returnResults(3, { content: results.value(100) });
    peer.returnException(0, 'failed', 'not needed');
    expect(peer.take()).toEqual([2, 4, 1, 3, 0].map(finishSummary));
    expect((await inc.response).value).toBe(2);
    expect((await get.response).value).toBe(100);
    expect((await inc2.response).value).toBe(5);
    expect((await get2.response).value).toBe(100);
    await expectRpcError(open2.response, 'failed');
    expect(conn.tableSizes).toEqual({ ...EMPTY, imports: 3 });

    const openResults = await open.response;
    const nestedResults = await nested.response;
    expect(nestedResults.inner.label).toBe('n');
    releaseCapabilities(openResults);
    releaseCapabilities(nestedResults);
    expect(peer.take()).toEqual([]);
    counterA.release();
    innerCounter.release();
    boot.release();
    expect(peer.take()).toEqual([
      { release: { id: 11, referenceCount: 1 } },
      { release: { id: 12, referenceCount: 1 } },
      { release: { id: 10, referenceCount: 1 } },
    ]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a pipelined capability whose answer failed fails the calls made on it, sent or not', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderHosted: 1 });
    const open = boot.call(Directory, 'open', (p) => {
      p.name = 'x';
    }); // 0
    const c = must(open.pipeline.counter).dup();
    const before = c.call(Counter, 'get'); // 1
    expect(peer.take()).toEqual([
      callSummary(0, { importedCap: 1 }, DIR, OPEN),
      callSummary(1, { promisedAnswer: { questionId: 0, transform: [0] } }, CTR, GET),
    ]);
    peer.returnException(0, 'overloaded', 'busy');
    expect(peer.take()).toEqual([finishSummary(0)]);
    const after = c.call(Counter, 'get');
    expect(peer.take()).toEqual([]);
    await expectRpcError(after.response, 'overloaded', 'busy');
    peer.returnException(1, 'overloaded', 'busy');
    expect(peer.take()).toEqual([finishSummary(1)]);
    await expectRpcError(before.response, 'overloaded', 'busy');
    await expectRpcError(open.response, 'overloaded', 'busy');
    c.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 1, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });
});

describe('embargoes (a promise resolving back into this vat)', () => {
  test('Disembargo goes before the Finish; later calls wait for its reflection, then run in order', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });

    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    }); // 0
    const echoed = must(echo.pipeline.cap).dup();
    const p1 = echoed.call(Counter, 'increment', (p) => {
      p.by = 1;
    }); // 1
    const p2 = echoed.call(Counter, 'increment', (p) => {
      p.by = 10;
    }); // 2
    const onEcho = { promisedAnswer: { questionId: 0, transform: [0] } };
    expect(peer.take()).toEqual([
      callSummary(0, { importedCap: 3 }, DIR, ECHO, [{ senderHosted: 0 }]),
      callSummary(1, onEcho, CTR, INCREMENT),
      callSummary(2, onEcho, CTR, INCREMENT),
    ]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 3, imports: 1, exports: 1 });

    // The peer echoes our own counter back: it is ours (receiverHosted), and calls are on their way to it
    // through the peer, so the connection embargoes it.
    peer.returnResults(0, { content: results.cap(0), capTable: [{ receiverHosted: 0 }] });
    expect(peer.take()).toEqual([{ disembargo: { target: onEcho, senderLoopback: 0 } }, finishSummary(0)]);
    expect(conn.tableSizes.embargoes).toBe(1);

    const p3 = echoed.call(Counter, 'increment', (p) => {
      p.by = 100;
    });
    const p4 = echoed.call(Counter, 'get');
    await flush();
    expect(peer.take()).toEqual([]); // held here, not sent
    expect(state.log).toEqual([]);

    // The peer delivers the calls pipelined through it (to our export 0), then reflects the Disembargo.
    peer.call({
      questionId: 0,
      target: { importedCap: 0 },
      interfaceId: CTR,
      methodId: INCREMENT,
      content: params.increment(1),
    });
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: CTR,
      methodId: INCREMENT,
      content: params.increment(10),
    });
    await flush();
    expect(state.log).toEqual(['local.increment(1)', 'local.increment(10)']);
    const forwarded = peer.takeRaw();
    expect(forwarded.map(summarize)).toEqual([resultsSummary(0), resultsSummary(1)]);
    expect(forwarded.map(resultValue)).toEqual([1, 11]);

    peer.disembargo({ importedCap: 0 }, { receiverLoopback: 0 });
    await flush();
    expect(state.log).toEqual([
      'local.increment(1)',
      'local.increment(10)',
      'local.increment(100)',
      'local.get()',
    ]);
    expect(peer.take()).toEqual([]);
    expect(conn.tableSizes.embargoes).toBe(0);
    expect((await p3.response).value).toBe(111);
    expect((await p4.response).value).toBe(111);

    peer.returnResults(1, { content: results.value(1) });
    peer.returnResults(2, { content: results.value(11) });
    expect(peer.take()).toEqual([finishSummary(1), finishSummary(2)]);
    expect((await p1.response).value).toBe(1);
    expect((await p2.response).value).toBe(11);

    peer.finish(0, false);
    peer.finish(1, false);
    peer.release(0, 1);
    expect(conn.tableSizes).toEqual({ ...EMPTY, imports: 1 });
    releaseCapabilities(await echo.response);
    echoed.release();
    local.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('no Disembargo when no call was pipelined on the capability', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });
    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    const echoed = must(echo.pipeline.cap).dup();
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 3 }, DIR, ECHO, [{ senderHosted: 0 }])]);
    peer.returnResults(0, { content: results.cap(0), capTable: [{ receiverHosted: 0 }] });
    expect(peer.take()).toEqual([finishSummary(0)]);
    const inc = echoed.call(Counter, 'increment', (p) => {
      p.by = 4;
    });
    await flush();
    expect(peer.take()).toEqual([]);
    expect(state.log).toEqual(['local.increment(4)']);
    expect((await inc.response).value).toBe(4);
    const r = await echo.response;
    const direct = must(r.cap).call(Counter, 'get');
    expect((await direct.response).value).toBe(4);
    expect(peer.take()).toEqual([]);
    releaseCapabilities(r);
    echoed.release();
    peer.release(0, 1);
    local.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a promise import resolved to our own export after calls went to it is embargoed the same way', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderPromise: 4 });
    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    }); // 0: exports our counter
    const first = boot.call(Counter, 'increment', (p) => {
      p.by = 1;
    }); // 1: to the promise
    expect(peer.take()).toEqual([
      callSummary(0, { importedCap: 4 }, DIR, ECHO, [{ senderHosted: 0 }]),
      callSummary(1, { importedCap: 4 }, CTR, INCREMENT),
    ]);

    peer.resolve(4, { receiverHosted: 0 });
    expect(peer.take()).toEqual([
      { disembargo: { target: { importedCap: 4 }, senderLoopback: 0 } },
      { release: { id: 4, referenceCount: 1 } },
    ]);
    const held = boot.call(Counter, 'increment', (p) => {
      p.by = 7;
    });
    await flush();
    expect(peer.take()).toEqual([]);
    expect(state.log).toEqual([]);

    // The peer forwards the call that reached its promise to what it resolved to (our export 0).
    peer.call({
      questionId: 0,
      target: { importedCap: 0 },
      interfaceId: CTR,
      methodId: INCREMENT,
      content: params.increment(1),
    });
    peer.disembargo({ importedCap: 0 }, { receiverLoopback: 0 });
    await flush();
    expect(state.log).toEqual(['local.increment(1)', 'local.increment(7)']);
    expect((await held.response).value).toBe(8);
    const sent = peer.takeRaw();
    expect(sent.map(summarize)).toEqual([resultsSummary(0)]);
    expect(resultValue(must(sent[0]))).toBe(1);

    peer.returnResults(1, { content: results.value(1) });
    peer.returnException(0, 'unimplemented', 'a counter is no directory');
    expect(peer.take()).toEqual([finishSummary(1), finishSummary(0)]);
    expect((await first.response).value).toBe(1);
    await expectRpcError(echo.response, 'unimplemented');
    peer.finish(0, false);
    peer.release(0, 1);
    local.release();
    boot.release();
    expect(peer.take()).toEqual([]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a Return that releases the param caps (the default) may still name one of them as receiverHosted', async () => {
    // Like the C++ implementation, the results are read before the params' exports are given back.
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });
    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 3 }, DIR, ECHO, [{ senderHosted: 0 }])]);
    peer.returnResults(0, {
      content: results.cap(0),
      capTable: [{ receiverHosted: 0 }],
      releaseParamCaps: true,
    });
    expect(peer.take()).toEqual([finishSummary(0)]);
    expect(peer.closed).toBe(false);
    const r = await echo.response;
    const inc = must(r.cap).call(Counter, 'increment', (p) => {
      p.by = 2;
    });
    expect((await inc.response).value).toBe(2);
    expect(state.log).toEqual(['local.increment(2)']);
    releaseCapabilities(r);
    local.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
  });
});

describe('serving (the peer asks)', () => {
  test('Bootstrap is answered with the bootstrap object as senderHosted export 0, once per request', async () => {
    const { peer, conn, state } = serverSide();
    peer.bootstrap(0);
    expect(conn.tableSizes).toEqual({ ...EMPTY, answers: 1 });
    await flush();
    const [ret] = peer.takeRaw();
    expect(summarize(must(ret))).toEqual(resultsSummary(0, [{ senderHosted: 0 }]));
    expect(must(ret).return.results.content.getCapability()).toEqual({ senderHosted: 0 });
    expect(conn.tableSizes).toEqual({ ...EMPTY, answers: 1, exports: 1 });
    peer.finish(0, false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });

    peer.bootstrap(0); // reused once finished
    await flush();
    expect(peer.take()).toEqual([resultsSummary(0, [{ senderHosted: 0 }])]);
    peer.finish(0, false);
    peer.release(0, 1);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
    peer.release(0, 1);
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.take()).toEqual([]);
    expect(peer.closed).toBe(false);

    conn.close();
    expect((await conn.closed).type).toBe('disconnected');
    await flush();
    expect(state.liveCounters).toBe(0);
    expect(peer.violations).toEqual([]);
  });

  test('a served object is told it is released only after the calls already delivered to it have run', async () => {
    const events: string[] = [];
    const { peer, conn } = serverSide(() =>
      serve(
        Counter,
        {
          get(_params, results) {
            events.push('get');
            results.value = 1;
          },
        },
        { onRelease: () => events.push('released') },
      ),
    );
    await peerBootstraps(peer);
    peer.call({ questionId: 1, target: { importedCap: 0 }, interfaceId: CTR, methodId: GET });
    conn.close(); // drops the export and the bootstrap reference while the call is queued
    await flush();
    expect(events.filter((e) => e === 'released')).toHaveLength(1);
    expect(events[events.length - 1]).toBe('released');
  });

  test('Bootstrap with no bootstrap object is an exception Return', async () => {
    const { peer, conn } = clientSide();
    peer.bootstrap(3);
    await flush();
    expect(peer.take()).toEqual([
      {
        return: {
          answerId: 3,
          releaseParamCaps: false,
          exception: { type: 'failed', reason: 'this vat offers no bootstrap interface' },
        },
      },
    ]);
    peer.finish(3, false);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('capabilities in results are exported as senderHosted, counted per send, and released by Release', async () => {
    const { peer, conn, state } = serverSide();
    await peerBootstraps(peer);
    for (const [id, name] of [
      [1, 'a'],
      [2, 'a'],
      [3, 'b'],
    ] as const) {
      peer.call({
        questionId: id,
        target: { importedCap: 0 },
        interfaceId: DIR,
        methodId: OPEN,
        content: params.open(name),
      });
    }
    await flush();
    const returns = peer.takeRaw();
    expect(returns.map(summarize)).toEqual([
      resultsSummary(1, [{ senderHosted: 1 }]),
      resultsSummary(2, [{ senderHosted: 1 }]),
      resultsSummary(3, [{ senderHosted: 2 }]),
    ]);
    expect(must(returns[0]).return.results.content.getStruct(Directory_open_Results).counter).toEqual({
      senderHosted: 1,
    });
    expect(state.log).toEqual(['open(a)', 'open(a)', 'open(b)']);
    expect(conn.tableSizes).toEqual({ ...EMPTY, answers: 3, exports: 3 });
    for (const id of [1, 2, 3]) peer.finish(id, false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 3 });

    peer.call({
      questionId: 1,
      target: { importedCap: 1 },
      interfaceId: CTR,
      methodId: INCREMENT,
      content: params.increment(5),
    });
    await flush();
    const [inc] = peer.takeRaw();
    expect(summarize(must(inc))).toEqual(resultsSummary(1));
    expect(resultValue(must(inc))).toBe(5);
    peer.finish(1, false);

    peer.release(1, 1);
    expect(conn.tableSizes.exports).toBe(3); // one reference to export 1 left
    peer.release(1, 1);
    expect(conn.tableSizes.exports).toBe(2);
    peer.release(2, 1);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
    expect(peer.take()).toEqual([]);
    expect(peer.closed).toBe(false);
  });

  test("the served object's onRelease runs when the peer releases the last reference", async () => {
    const { peer, conn, state } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: NESTED,
      content: params.nested('n'),
    });
    await flush();
    const [ret] = peer.takeRaw();
    expect(summarize(must(ret))).toEqual(resultsSummary(1, [{ senderHosted: 1 }]));
    const inner = must(ret).return.results.content.getStruct(Directory_nested_Results).inner;
    expect(inner.label).toBe('n');
    expect(inner.counter).toEqual({ senderHosted: 1 });
    expect(state.liveCounters).toBe(1);
    peer.finish(1, false);
    expect(state.liveCounters).toBe(1); // the export holds it
    peer.release(1, 1);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('Finish with releaseResultCaps releases the exports made for that answer only', async () => {
    const { peer, conn, state } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: NESTED,
      content: params.nested('n'),
    });
    await flush();
    expect(peer.take()).toEqual([resultsSummary(1, [{ senderHosted: 1 }])]);
    peer.finish(1, true);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });

    for (const id of [2, 3]) {
      peer.call({
        questionId: id,
        target: { importedCap: 0 },
        interfaceId: DIR,
        methodId: OPEN,
        content: params.open('a'),
      });
    }
    await flush();
    expect(peer.take()).toEqual([
      resultsSummary(2, [{ senderHosted: 1 }]),
      resultsSummary(3, [{ senderHosted: 1 }]),
    ]);
    peer.finish(2, true);
    expect(conn.tableSizes).toEqual({ ...EMPTY, answers: 1, exports: 2 });
    peer.finish(3, true);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
    expect(peer.take()).toEqual([]);
    expect(peer.closed).toBe(false);
  });

  test('exceptions: the RpcError type and reason a handler throws; unimplemented methods and interfaces', async () => {
    const { peer } = serverSide(() =>
      serve(Directory, {
        open() {
          throw new RpcError('overloaded', 'busy');
        },
        echo() {
          throw new TypeError('oops');
        },
        async fail(p) {
          await Promise.resolve();
          throw new RpcError('disconnected', p.reason);
        },
      }),
    );
    await peerBootstraps(peer);
    const ask = (questionId: number, interfaceId: bigint, methodId: number, content?: ContentWriter) =>
      peer.call({ questionId, target: { importedCap: 0 }, interfaceId, methodId, content });
    ask(1, DIR, OPEN, params.open('x'));
    ask(2, DIR, ECHO);
    ask(3, DIR, FAIL, params.fail('gone'));
    ask(4, DIR, NESTED, params.nested('x'));
    ask(5, DIR, 77);
    ask(6, 0x1234n, 0);
    await flush();
    const exception = (answerId: number, type: string, reason: unknown) => ({
      return: { answerId, releaseParamCaps: false, exception: { type, reason } },
    });
    expect(peer.take()).toEqual([
      exception(1, 'overloaded', 'busy'),
      exception(2, 'failed', 'TypeError: oops'),
      exception(4, 'unimplemented', expect.stringContaining("method 'nested'")),
      exception(5, 'unimplemented', expect.stringContaining('method @77')),
      exception(6, 'unimplemented', expect.stringContaining('@0x1234')),
      exception(3, 'disconnected', 'gone'),
    ]);
  });

  test('the Directory failing on purpose, and a call to the same question id once finished', async () => {
    const { peer, conn } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: FAIL,
      content: params.fail('boom'),
    });
    await flush();
    expect(peer.take()).toEqual([
      { return: { answerId: 1, releaseParamCaps: false, exception: { type: 'failed', reason: 'boom' } } },
    ]);
    peer.finish(1, false);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: OPEN,
      content: params.open('again'),
    });
    await flush();
    expect(peer.take()).toEqual([resultsSummary(1, [{ senderHosted: 1 }])]);
    peer.finish(1, true);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('a Finish before the Return: the call is answered `canceled`, and its results released', async () => {
    const { peer, conn, state } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: NESTED,
      content: params.nested('x'),
    });
    peer.finish(1, false);
    peer.call({
      questionId: 2,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: FAIL,
      content: params.fail('late'),
    });
    peer.finish(2, true);
    expect(conn.tableSizes).toEqual({ ...EMPTY, answers: 2, exports: 1 });
    await flush();
    expect(peer.take()).toEqual([
      { return: { answerId: 1, releaseParamCaps: false, canceled: true } },
      { return: { answerId: 2, releaseParamCaps: false, canceled: true } },
    ]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
    // Both ids are free again.
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: NESTED,
      content: params.nested('y'),
    });
    await flush();
    expect(peer.take()).toEqual([resultsSummary(1, [{ senderHosted: 1 }])]);
    peer.finish(1, true);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('calls pipelined on answers not yet returned are delivered, in order, after the results', async () => {
    const { peer, conn, state } = serverSide();
    const onP = { promisedAnswer: { questionId: 1, transform: [0] } };
    const ask = (
      questionId: number,
      target: Target,
      interfaceId: bigint,
      methodId: number,
      content?: ContentWriter,
    ) => peer.call({ questionId, target, interfaceId, methodId, content });
    peer.bootstrap(0);
    ask(1, { promisedAnswer: { questionId: 0, transform: [] } }, DIR, OPEN, params.open('p'));
    ask(2, onP, CTR, INCREMENT, params.increment(5));
    ask(3, onP, CTR, GET);
    ask(4, onP, CTR, INCREMENT, params.increment(2));
    expect(state.log).toEqual([]);
    await flush();
    const byId = new Map(peer.takeRaw().map((m) => [m.return.answerId, m]));
    expect([...byId.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(summarize(must(byId.get(0)))).toEqual(resultsSummary(0, [{ senderHosted: 0 }]));
    expect(summarize(must(byId.get(1)))).toEqual(resultsSummary(1, [{ senderHosted: 1 }]));
    expect([2, 3, 4].map((id) => resultValue(must(byId.get(id))))).toEqual([5, 5, 7]);
    expect(state.log).toEqual(['open(p)', 'p.increment(5)', 'p.get()', 'p.increment(2)']);

    // After the Return and before the Finish, the answer still takes calls (a noop op changes nothing).
    ask(5, { promisedAnswer: { questionId: 1, transform: ['noop', 0] } }, CTR, GET);
    // A path that leads to no capability fails that call only.
    ask(6, { promisedAnswer: { questionId: 2, transform: [0] } }, CTR, GET);
    await flush();
    const later = new Map(peer.takeRaw().map((m) => [m.return.answerId, m]));
    expect([...later.keys()].sort()).toEqual([5, 6]);
    expect(summarize(must(later.get(5)))).toEqual(resultsSummary(5));
    expect(resultValue(must(later.get(5)))).toBe(7);
    expect(summarize(must(later.get(6)))).toEqual({
      return: {
        answerId: 6,
        releaseParamCaps: false,
        exception: { type: 'failed', reason: expect.any(String) },
      },
    });
    // Calls pipelined on an answer that fails fail with its error.
    ask(7, { importedCap: 0 }, DIR, FAIL, params.fail('nope'));
    ask(8, { promisedAnswer: { questionId: 7, transform: [0] } }, CTR, GET);
    await flush();
    const failing = new Map(peer.takeRaw().map((m) => [m.return.answerId, summarize(m)]));
    for (const id of [7, 8]) {
      expect(failing.get(id)).toEqual({
        return: { answerId: id, releaseParamCaps: false, exception: { type: 'failed', reason: 'nope' } },
      });
    }
    for (const id of [0, 1, 2, 3, 4, 5, 6, 7, 8]) peer.finish(id, false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 2 });
    expect(peer.closed).toBe(false);
  });

  test('capabilities in params are imports: calls on them go to the peer; Release counts every receipt', async () => {
    const { peer, conn } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: BUMP,
      content: params.bump(0, 3),
      capTable: [{ senderHosted: 9 }, { senderHosted: 9 }],
    });
    await flush();
    const [out] = peer.takeRaw();
    expect(summarize(must(out))).toEqual(callSummary(0, { importedCap: 9 }, CTR, INCREMENT));
    expect(must(out).call.params.content.getStruct(Counter_increment_Params).by).toBe(3);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 1, answers: 1, imports: 1, exports: 1 });

    peer.returnResults(0, { content: results.value(42) });
    await flush();
    const sent = peer.takeRaw();
    expect(sent.map(summarize)).toHaveLength(3);
    expect(sent.map(summarize)).toEqual(
      expect.arrayContaining([
        finishSummary(0),
        { release: { id: 9, referenceCount: 2 } },
        resultsSummary(1),
      ]),
    );
    expect(resultValue(must(sent.find((m) => m.which() === rpc.Message.Which.return)))).toBe(42);
    peer.finish(1, false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('a Call whose results go to a third party is answered unimplemented, its caps released', async () => {
    const { peer, conn } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: ECHO,
      content: params.echo(0),
      capTable: [{ senderHosted: 4 }],
      sendResultsTo: rpc.Call_sendResultsTo.Which.thirdParty,
    });
    await flush();
    expect(peer.take()).toEqual([
      { release: { id: 4, referenceCount: 1 } },
      {
        return: {
          answerId: 1,
          releaseParamCaps: false,
          exception: { type: 'unimplemented', reason: expect.any(String) },
        },
      },
    ]);
    peer.finish(1, false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('a capability pointer outside the params capability table fails the call, not the connection', async () => {
    const { peer, conn } = serverSide();
    await peerBootstraps(peer);
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: ECHO,
      content: params.echo(5),
      capTable: [],
    });
    await flush();
    expect(peer.take()).toEqual([
      {
        return: {
          answerId: 1,
          releaseParamCaps: false,
          exception: { type: 'failed', reason: expect.any(String) },
        },
      },
    ]);
    peer.finish(1, false);
    expect(peer.closed).toBe(false);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('a Disembargo (senderLoopback) on a capability that points back to the peer is reflected as receiverLoopback', async () => {
    const { peer, conn } = serverSide();
    await peerBootstraps(peer);
    // The peer sends us its own export 9 and pipelines a call on the echoed capability.
    peer.call({
      questionId: 1,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: ECHO,
      content: params.echo(0),
      capTable: [{ senderHosted: 9 }],
    });
    peer.call({
      questionId: 2,
      target: { promisedAnswer: { questionId: 1, transform: [0] } },
      interfaceId: CTR,
      methodId: INCREMENT,
      content: params.increment(2),
    });
    await flush();
    const sent = peer.takeRaw();
    expect(sent.map(summarize)).toEqual([
      resultsSummary(1, [{ receiverHosted: 9 }]),
      callSummary(0, { importedCap: 9 }, CTR, INCREMENT),
    ]);
    expect(must(sent[1]).call.params.content.getStruct(Counter_increment_Params).by).toBe(2);

    // The peer saw its own capability come back and embargoes it: the Disembargo comes back to it,
    // after the call we forwarded there.
    peer.disembargo({ promisedAnswer: { questionId: 1, transform: [0] } }, { senderLoopback: 5 });
    expect(peer.take()).toEqual([{ disembargo: { target: { importedCap: 9 }, receiverLoopback: 5 } }]);

    peer.returnResults(0, { content: results.value(2) });
    await flush();
    const after = peer.takeRaw();
    expect(after.map(summarize)).toEqual([finishSummary(0), resultsSummary(2)]);
    expect(resultValue(must(after[1]))).toBe(2);
    peer.finish(2, false);
    peer.finish(1, false);
    expect(peer.take()).toEqual([{ release: { id: 9, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
    expect(peer.closed).toBe(false);
  });
});

describe('capabilities received', () => {
  test('a senderPromise import: calls go to it until Resolve, then to the resolution; the promise is released at once', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap();
    peer.take();
    // Received twice in one message: the Release must give both back.
    peer.returnResults(0, { content: capContent(0), capTable: [{ senderPromise: 4 }, { senderPromise: 4 }] });
    expect(peer.take()).toEqual([finishSummary(0)]);
    await flush();
    const before = boot.call(Directory, 'open', (p) => {
      p.name = 'before';
    });
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 4 }, DIR, OPEN)]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 1, imports: 1 });

    peer.resolve(4, { senderHosted: 5 });
    expect(peer.take()).toEqual([{ release: { id: 4, referenceCount: 2 } }]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 1, imports: 1 });
    const after = boot.call(Directory, 'open', (p) => {
      p.name = 'after';
    });
    expect(peer.take()).toEqual([callSummary(1, { importedCap: 5 }, DIR, OPEN)]);

    peer.returnException(0, 'failed', 'x');
    peer.returnException(1, 'failed', 'y');
    expect(peer.take()).toEqual([finishSummary(0), finishSummary(1)]);
    await expectRpcError(before.response, 'failed', 'x');
    await expectRpcError(after.response, 'failed', 'y');
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 5, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a promise resolved to another promise follows the chain', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderPromise: 4 });
    peer.resolve(4, { senderPromise: 6 });
    expect(peer.take()).toEqual([{ release: { id: 4, referenceCount: 1 } }]);
    boot.call(Counter, 'get');
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 6 }, CTR, GET)]);
    peer.resolve(6, { senderHosted: 7 });
    expect(peer.take()).toEqual([{ release: { id: 6, referenceCount: 1 } }]);
    boot.call(Counter, 'get');
    expect(peer.take()).toEqual([callSummary(1, { importedCap: 7 }, CTR, GET)]);
    peer.returnException(0, 'failed', 'x');
    peer.returnException(1, 'failed', 'y');
    peer.take();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 7, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a Resolve with an exception breaks the capability (and releases the promise)', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderPromise: 4 });
    peer.resolve(4, { exception: { type: 'overloaded', reason: 'gone' } });
    expect(peer.take()).toEqual([{ release: { id: 4, referenceCount: 1 } }]);
    const call = boot.call(Counter, 'get');
    expect(peer.take()).toEqual([]);
    await expectRpcError(call.response, 'overloaded', 'gone');
    await boot.whenResolved();
    boot.release();
    expect(peer.take()).toEqual([]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a Resolve for a promise already released gives the resolution straight back', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderPromise: 4 });
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 4, referenceCount: 1 } }]);
    peer.resolve(4, { senderHosted: 6 });
    expect(peer.take()).toEqual([{ release: { id: 6, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.closed).toBe(false);
  });

  test('Release carries the number of times the import was received, once the last handle goes', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderHosted: 5 });
    const a = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    });
    const b = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    });
    peer.take();
    peer.returnResults(0, { content: results.cap(0), capTable: [{ senderHosted: 7 }] });
    peer.returnResults(1, { content: results.cap(0), capTable: [{ senderHosted: 7 }] });
    expect(peer.take()).toEqual([finishSummary(0), finishSummary(1)]);
    const ra = await a.response;
    const rb = await b.response;
    expect(conn.tableSizes).toEqual({ ...EMPTY, imports: 2 });
    const kept = must(ra.counter).dup();
    releaseCapabilities(ra);
    releaseCapabilities(rb);
    expect(peer.take()).toEqual([]);
    kept.call(Counter, 'get');
    // Question ids are reused most recently freed first: 1, then 0.
    expect(peer.take()).toEqual([callSummary(1, { importedCap: 7 }, CTR, GET)]);
    peer.returnResults(1, { content: results.value(0) });
    expect(peer.take()).toEqual([finishSummary(1)]);
    kept.release();
    expect(peer.take()).toEqual([{ release: { id: 7, referenceCount: 2 } }]);

    // The peer may reuse the id for a new export: a fresh import, counted from one.
    const c = boot.call(Directory, 'open', (p) => {
      p.name = 'c';
    });
    expect(peer.take()).toEqual([callSummary(1, { importedCap: 5 }, DIR, OPEN)]);
    peer.returnResults(1, { content: results.cap(0), capTable: [{ senderHosted: 7 }] });
    expect(peer.take()).toEqual([finishSummary(1)]);
    releaseCapabilities(await c.response);
    expect(peer.take()).toEqual([{ release: { id: 7, referenceCount: 1 } }]);
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 5, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a thirdPartyHosted capability is used through its vine (an import)', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { thirdPartyHosted: { vineId: 8 } });
    boot.call(Counter, 'get');
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 8 }, CTR, GET)]);
    peer.returnException(0, 'failed', 'x');
    peer.take();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 8, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('capabilities we send are exported once and named receiverHosted when they are the peer’s own', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });
    const first = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    const second = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    const third = boot.call(Directory, 'echo', (p) => {
      p.cap = boot.dup(); // the peer's own object
    });
    expect(peer.take()).toEqual([
      callSummary(0, { importedCap: 3 }, DIR, ECHO, [{ senderHosted: 0 }]),
      callSummary(1, { importedCap: 3 }, DIR, ECHO, [{ senderHosted: 0 }]),
      callSummary(2, { importedCap: 3 }, DIR, ECHO, [{ receiverHosted: 3 }]),
    ]);
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 3, imports: 1, exports: 1 });
    // The peer releases our export one reference at a time.
    peer.release(0, 1);
    expect(conn.tableSizes.exports).toBe(1);
    peer.release(0, 1);
    expect(conn.tableSizes.exports).toBe(0);
    for (const id of [0, 1, 2]) peer.returnException(id, 'failed', 'x');
    peer.take();
    for (const call of [first, second, third]) await expectRpcError(call.response, 'failed');
    local.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
  });
  test('a pipelined capability of ours sent before its answer is named receiverAnswer', async () => {
    const { peer, conn } = clientSide();
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });
    const open = boot.call(Directory, 'open', (p) => {
      p.name = 'a';
    }); // 0
    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = must(open.pipeline.counter).dup();
    }); // 1
    expect(peer.take()).toEqual([
      callSummary(0, { importedCap: 3 }, DIR, OPEN),
      callSummary(1, { importedCap: 3 }, DIR, ECHO, [{ receiverAnswer: { questionId: 0, transform: [0] } }]),
    ]);
    expect(conn.tableSizes.exports).toBe(0);
    peer.returnResults(0, { content: results.cap(0), capTable: [{ senderHosted: 4 }] });
    peer.returnException(1, 'failed', 'x');
    expect(peer.take()).toEqual([finishSummary(0), finishSummary(1)]);
    await expectRpcError(echo.response, 'failed', 'x');
    releaseCapabilities(await open.response);
    await flush();
    expect(peer.take()).toEqual([{ release: { id: 4, referenceCount: 1 } }]);
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('a Return with releaseParamCaps gives back the exports made for the params, without a Release', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 3 });
    const bump = boot.call(Directory, 'bump', (p) => {
      p.counter = local.dup();
      p.by = 1;
    });
    expect(peer.take()).toEqual([callSummary(0, { importedCap: 3 }, DIR, BUMP, [{ senderHosted: 0 }])]);
    local.release();
    expect(state.liveCounters).toBe(1); // the export holds it
    peer.returnResults(0, { content: results.value(1), releaseParamCaps: true });
    expect(peer.take()).toEqual([finishSummary(0)]);
    expect(state.liveCounters).toBe(0);
    expect((await bump.response).value).toBe(1);
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 3, referenceCount: 1 } }]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });
});

describe('a peer that breaks the protocol', () => {
  interface BadCase {
    name: string;
    /** Brings the connection into the state the bad message is about (valid traffic). */
    prepare?: (peer: FakePeer) => Promise<void>;
    inject: (peer: FakePeer) => void;
    reason: RegExp;
  }

  const truncated = () => {
    const bytes = buildMessage((m) => {
      m.initBootstrap().questionId = 1;
    });
    return bytes.subarray(0, bytes.length - 8);
  };

  const cases: BadCase[] = [
    {
      name: 'bytes that are not a framed message',
      inject: (p) => p.deliver(new Uint8Array([1, 2, 3])),
      reason: /bad message/,
    },
    { name: 'a message cut short', inject: (p) => p.deliver(truncated()), reason: /bad message/ },
    {
      name: 'a root pointer that is a list, not a struct',
      // One segment of one word: a list pointer (kind 1) to an empty list of voids.
      inject: (p) => p.deliver(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])),
      reason: /bad message/,
    },
    {
      name: 'a Return for a question never asked',
      inject: (p) => p.returnException(42, 'failed', 'x'),
      reason: /Return for question 42/,
    },
    {
      name: 'a second Return for the same question',
      prepare: async (p) => p.returnCap(0, { senderHosted: 3 }),
      inject: (p) => p.returnCap(0, { senderHosted: 3 }),
      reason: /Return for question 0/,
    },
    {
      name: 'a Call to an export that does not exist',
      inject: (p) => p.call({ questionId: 0, target: { importedCap: 9 }, interfaceId: DIR, methodId: OPEN }),
      reason: /export 9/,
    },
    {
      name: 'a Call to an answer that does not exist',
      inject: (p) =>
        p.call({
          questionId: 0,
          target: { promisedAnswer: { questionId: 7, transform: [] } },
          interfaceId: DIR,
          methodId: OPEN,
        }),
      reason: /answer 7/,
    },
    {
      name: 'a Call to an answer already finished',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
        p.finish(0, false);
      },
      inject: (p) =>
        p.call({
          questionId: 1,
          target: { promisedAnswer: { questionId: 0, transform: [] } },
          interfaceId: DIR,
          methodId: OPEN,
        }),
      reason: /answer 0/,
    },
    {
      name: 'a Release of more references than were sent',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
        p.finish(0, false);
      },
      inject: (p) => p.release(0, 2),
      reason: /Release of 2 reference\(s\) to export 0, which has 1/,
    },
    {
      name: 'a Release of an export that does not exist',
      inject: (p) => p.release(4, 1),
      reason: /export 4/,
    },
    {
      name: 'a question id already in use (Call)',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
      },
      inject: (p) => {
        p.call({
          questionId: 3,
          target: { importedCap: 0 },
          interfaceId: DIR,
          methodId: OPEN,
          content: params.open('a'),
        });
        p.call({
          questionId: 3,
          target: { importedCap: 0 },
          interfaceId: DIR,
          methodId: OPEN,
          content: params.open('b'),
        });
      },
      reason: /question id 3 is already in use/,
    },
    {
      name: 'a question id already in use (Bootstrap, before the Finish)',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
      },
      inject: (p) => p.bootstrap(0),
      reason: /question id 0 is already in use/,
    },
    {
      name: 'a MessageTarget of unknown kind',
      inject: (p) =>
        p.call({ questionId: 0, target: { unknownTarget: 5 }, interfaceId: DIR, methodId: OPEN }),
      reason: /unknown kind 5/,
    },
    {
      name: 'a transform op of unknown kind',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
      },
      inject: (p) =>
        p.inject((m) => {
          const c = m.initCall();
          c.questionId = 1;
          const pa = c.initTarget().initPromisedAnswer();
          pa.questionId = 0;
          pa.initTransform(1).get(0).setUint16(0, 7);
          c.interfaceId = DIR;
          c.initParams();
        }),
      reason: /transform op of unknown kind 7/,
    },
    {
      name: 'a CapDescriptor of unknown kind',
      inject: (p) => p.returnResults(0, { content: capContent(0), capTable: [{ unknownKind: 9 }] }),
      reason: /capability descriptor of unknown kind 9/,
    },
    {
      name: 'a CapDescriptor of unknown kind in the params of a Call',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
      },
      inject: (p) =>
        p.call({
          questionId: 1,
          target: { importedCap: 0 },
          interfaceId: DIR,
          methodId: ECHO,
          content: params.echo(0),
          capTable: [{ unknownKind: 6 }],
        }),
      reason: /capability descriptor of unknown kind 6/,
    },
    {
      name: 'a receiverHosted capability naming no export',
      inject: (p) => p.returnCap(0, { receiverHosted: 6 }),
      reason: /export 6/,
    },
    {
      name: 'a receiverAnswer capability naming no answer',
      inject: (p) => p.returnCap(0, { receiverAnswer: { questionId: 8, transform: [] } }),
      reason: /answer 8/,
    },
    {
      name: 'a Finish for a question never asked',
      inject: (p) => p.finish(5, false),
      reason: /Finish for unknown question 5/,
    },
    {
      name: 'a second Finish for the same question',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
        p.finish(0, false);
      },
      inject: (p) => p.finish(0, false),
      reason: /Finish for unknown question 0/,
    },
    {
      name: 'a Disembargo (receiverLoopback) for an embargo never made',
      inject: (p) => p.disembargo({ importedCap: 0 }, { receiverLoopback: 3 }),
      reason: /embargo 3/,
    },
    {
      name: 'a Disembargo (senderLoopback) whose target is an object of this vat',
      prepare: async (p) => {
        p.bootstrap(0);
        await flush();
      },
      inject: (p) => p.disembargo({ importedCap: 0 }, { senderLoopback: 1 }),
      reason: /does not point back to the peer/,
    },
  ];
  test.each(cases)('$name: Abort with a reason, then the connection is closed', async (c) => {
    const { peer, conn, state } = serverSide();
    // Something outstanding on our side too: the peer's bootstrap and a call pipelined on it.
    const boot = conn.bootstrap();
    const pending = boot.call(Directory, 'open', (p) => {
      p.name = 'x';
    });
    const outcome = rejection(pending.response);
    expect(peer.take()).toHaveLength(2);
    await c.prepare?.(peer);
    await flush();
    peer.take();
    expect(peer.closed).toBe(false);

    expect(() => c.inject(peer)).not.toThrow();
    const sent = peer.take();
    expect(sent).toEqual([{ abort: { type: 'failed', reason: expect.stringMatching(c.reason) } }]);
    expect(peer.closed).toBe(true);
    const reason = await conn.closed;
    expect(reason).toBeInstanceOf(RpcError);
    expect(reason.type).toBe('disconnected');
    expect(reason.reason).toMatch(c.reason);
    const e = await outcome;
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).type).toBe('disconnected');
    expect(conn.tableSizes).toEqual(EMPTY);

    // Dead from now on: messages are ignored, new calls fail at once, nothing is sent.
    expect(() => peer.bootstrap(9)).not.toThrow();
    const late = conn.bootstrap().call(Directory, 'open');
    await expectRpcError(late.response, 'disconnected');
    await expectRpcError(boot.call(Counter, 'get').response, 'disconnected');
    await flush();
    expect(peer.take()).toEqual([]);
    boot.release();
    await flush();
    expect(state.liveCounters).toBe(0);
    expect(peer.violations).toEqual([]);
  });

  test('message kinds of other levels, and kinds unknown to this side, are echoed as Unimplemented', async () => {
    const { peer, conn } = serverSide();
    peer.inject((m) => {
      m.initProvide().questionId = 4;
    });
    peer.inject((m) => {
      m.initJoin().questionId = 5;
    });
    peer.inject((m) => {
      m.initAccept().questionId = 6;
    });
    peer.inject((m) => {
      m.obsoleteSave = null;
    });
    peer.inject((m) => {
      m.obsoleteDelete = null;
    });
    peer.inject((m) => {
      m.setUint16(0, 99);
    });
    peer.disembargo({ importedCap: 0 }, { otherContext: rpc.Disembargo_context.Which.accept });
    const sent = peer.takeRaw();
    expect(sent.map(summarize)).toEqual([
      { unimplemented: { otherKind: rpc.Message.Which.provide } },
      { unimplemented: { otherKind: rpc.Message.Which.join } },
      { unimplemented: { otherKind: rpc.Message.Which.accept } },
      { unimplemented: { otherKind: rpc.Message.Which.obsoleteSave } },
      { unimplemented: { otherKind: rpc.Message.Which.obsoleteDelete } },
      { unimplemented: { otherKind: 99 } },
      {
        unimplemented: {
          disembargo: { target: { importedCap: 0 }, otherContext: rpc.Disembargo_context.Which.accept },
        },
      },
    ]);
    expect(must(sent[0]).unimplemented.provide.questionId).toBe(4);
    expect(must(sent[1]).unimplemented.join.questionId).toBe(5);
    expect(peer.closed).toBe(false);
    // Still working.
    await peerBootstraps(peer);
    expect(conn.tableSizes).toEqual({ ...EMPTY, exports: 1 });
  });

  test('an Abort from the peer closes the connection as disconnected, and nothing is sent back', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap();
    const call = boot.call(Counter, 'get');
    peer.take();
    peer.abort('failed', 'going away');
    expect(peer.take()).toEqual([]);
    expect(peer.closed).toBe(true);
    const reason = await conn.closed;
    expect(reason.type).toBe('disconnected');
    expect(reason.reason).toContain('going away');
    await expectRpcError(call.response, 'disconnected');
    await expectRpcError(boot.call(Counter, 'get').response, 'disconnected');
    boot.release();
    expect(peer.take()).toEqual([]);
    expect(conn.tableSizes).toEqual(EMPTY);
  });

  test('the transport ending (cleanly or with an error) ends the connection as disconnected', async () => {
    for (const error of [undefined, new Error('link down')]) {
      const { peer, conn, state } = serverSide();
      await peerBootstraps(peer);
      const boot = conn.bootstrap();
      const call = boot.call(Counter, 'get');
      peer.take();
      peer.hangUp(error);
      const reason = await conn.closed;
      expect(reason.type).toBe('disconnected');
      expect(reason.reason).toContain(error === undefined ? 'closed' : 'link down');
      await expectRpcError(call.response, 'disconnected');
      boot.release();
      await flush();
      expect(peer.take()).toEqual([]);
      expect(state.liveCounters).toBe(0);
      expect(conn.tableSizes).toEqual(EMPTY);
    }
  });

  test('an Unimplemented echo of our Call fails that call (no Finish) and releases its param exports', async () => {
    const { peer, conn } = clientSide();
    const state = newState();
    const local = counter(state, 'local');
    const boot = await bootstrapTo(peer, conn, { senderHosted: 5 });
    const echo = boot.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    const other = boot.call(Counter, 'get');
    const [call] = peer.takeRaw();
    peer.take();
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 2, imports: 1, exports: 1 });
    peer.unimplemented(must(call));
    expect(peer.take()).toEqual([]);
    await expectRpcError(echo.response, 'unimplemented');
    expect(conn.tableSizes).toEqual({ ...EMPTY, questions: 1, imports: 1 });
    // An echo of a message that is not a question (a Finish, say) changes nothing.
    peer.inject((m) => {
      const f = m.initUnimplemented().initFinish();
      f.questionId = 1;
    });
    expect(peer.take()).toEqual([]);
    peer.returnException(1, 'failed', 'x');
    expect(peer.take()).toEqual([finishSummary(1)]);
    await expectRpcError(other.response, 'failed', 'x');
    local.release();
    boot.release();
    expect(peer.take()).toEqual([{ release: { id: 5, referenceCount: 1 } }]);
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.closed).toBe(false);
  });

  test('an Unimplemented echo of our Bootstrap breaks the bootstrap capability', async () => {
    const { peer, conn } = clientSide();
    const boot = conn.bootstrap();
    const pipelined = boot.call(Counter, 'get');
    const [bootstrap] = peer.takeRaw();
    peer.take();
    peer.unimplemented(must(bootstrap));
    await expectRpcError(boot.call(Counter, 'get').response, 'unimplemented');
    peer.returnException(1, 'unimplemented', 'no bootstrap here');
    await expectRpcError(pipelined.response, 'unimplemented');
    expect(peer.take()).toEqual([finishSummary(1)]);
    boot.release();
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.closed).toBe(false);
  });

  test('closing the connection fails what is outstanding and closes the transport', async () => {
    const { peer, conn, state } = serverSide();
    await peerBootstraps(peer);
    const boot = conn.bootstrap();
    const call = boot.call(Counter, 'get');
    peer.take();
    conn.close();
    expect(peer.closed).toBe(true);
    expect((await conn.closed).type).toBe('disconnected');
    await expectRpcError(call.response, 'disconnected');
    boot.release();
    await flush();
    expect(state.liveCounters).toBe(0);
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(peer.violations).toEqual([]);
  });
});

describe('fuzz: random and mutated input from the peer', () => {
  const PROBE = 0x7ffffff0;

  /** Valid messages for a connection serving a Directory with one question of its own outstanding. */
  const corpus: Uint8Array[] = [
    buildMessage((m) => {
      m.initBootstrap().questionId = 1;
    }),
    callMessage({
      questionId: 2,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: OPEN,
      content: params.open('m'),
    }),
    callMessage({
      questionId: 3,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: NESTED,
      content: params.nested('n'),
    }),
    callMessage({
      questionId: 4,
      target: { promisedAnswer: { questionId: 0, transform: [] } },
      interfaceId: DIR,
      methodId: ECHO,
      content: params.echo(0),
      capTable: [{ senderHosted: 3 }],
    }),
    callMessage({
      questionId: 5,
      target: { promisedAnswer: { questionId: 4, transform: [0] } },
      interfaceId: CTR,
      methodId: GET,
    }),
    callMessage({
      questionId: 6,
      target: { importedCap: 0 },
      interfaceId: DIR,
      methodId: BUMP,
      content: params.bump(0, 2),
      capTable: [{ senderPromise: 8 }],
    }),
    buildMessage((m) => {
      const f = m.initFinish();
      f.questionId = 0;
      f.releaseResultCaps = false;
    }),
    buildMessage((m) => {
      m.initFinish().questionId = 3;
    }),
    buildMessage((m) => {
      const r = m.initRelease();
      r.id = 0;
      r.referenceCount = 1;
    }),
    returnMessage(0, { content: capContent(0), capTable: [{ senderPromise: 6 }] }),
    returnMessage(1, { content: results.cap(0), capTable: [{ senderHosted: 7 }] }),
    buildMessage((m) => {
      const r = m.initResolve();
      r.promiseId = 6;
      r.initCap().senderHosted = 7;
    }),
    buildMessage((m) => {
      const r = m.initResolve();
      r.promiseId = 8;
      r.initException().reason = 'no';
    }),
    buildMessage((m) => {
      const d = m.initDisembargo();
      const pa = d.initTarget().initPromisedAnswer();
      pa.questionId = 4;
      pa.initTransform(1).get(0).getPointerField = 0;
      d.context.senderLoopback = 1;
    }),
    buildMessage((m) => {
      const d = m.initDisembargo();
      d.initTarget().importedCap = 0;
      d.context.receiverLoopback = 0;
    }),
    buildMessage((m) => {
      m.initUnimplemented().initBootstrap().questionId = 0;
    }),
    buildMessage((m) => {
      m.initProvide().questionId = 9;
    }),
    buildMessage((m) => {
      m.initAbort().reason = 'bye';
    }),
  ];

  function isAbort(bytes: Uint8Array): boolean {
    try {
      return decode(bytes).which() === rpc.Message.Which.abort;
    } catch {
      return false;
    }
  }

  /**
   * Feeds `inputs` to a connection (after a valid Bootstrap from the peer), then checks: nothing thrown,
   * every message sent decodes, and the connection either still answers a Bootstrap or has ended with an
   * Abort (its own, or the peer's); after close, every table is empty and every served object released.
   */
  async function run(inputs: Uint8Array[]): Promise<void> {
    const { peer, conn, state } = serverSide();
    const boot = conn.bootstrap();
    const pending = boot.call(Directory, 'open', (p) => {
      p.name = 'x';
    });
    const outcome = pending.response.then(
      (r) => {
        releaseCapabilities(r);
        return 'returned';
      },
      (e: unknown) => e,
    );
    peer.bootstrap(0);
    await flush();
    for (const bytes of inputs) peer.deliver(bytes);
    await flush();
    const sent = peer.takeRaw().map(summarize);
    const weAborted = sent.some((s) => 'abort' in s);
    if (!peer.closed) {
      peer.bootstrap(PROBE);
      await flush();
      const replies = peer.take();
      if (!peer.closed) {
        expect(replies).toContainEqual(resultsSummary(PROBE, [{ senderHosted: expect.any(Number) }]));
      }
    } else {
      expect(weAborted || inputs.some(isAbort)).toBe(true);
      expect((await conn.closed).type).toBe('disconnected');
    }
    boot.release();
    conn.close();
    await flush();
    expect(conn.tableSizes).toEqual(EMPTY);
    expect(state.liveCounters).toBe(0);
    expect(peer.violations).toEqual([]);
    const o = await outcome;
    expect(o === 'returned' || o instanceof RpcError).toBe(true);
  }

  test('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 96 }), { maxLength: 3 }), run));
  });

  test('random words in a well-framed single-segment message', async () => {
    const framed = fc
      .uint8Array({ minLength: 8, maxLength: 200 })
      .map((b) => frame([b.subarray(0, b.length & ~7)]));
    await fc.assert(fc.asyncProperty(fc.array(framed, { minLength: 1, maxLength: 3 }), run));
  });

  test('mutations of valid messages', async () => {
    const mutated = fc
      .record({
        pick: fc.nat({ max: corpus.length - 1 }),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        cut: fc.option(fc.nat(), { freq: 8 }),
      })
      .map(({ pick, edits, cut }) => {
        const bytes = (corpus[pick] as Uint8Array).slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
      });
    await fc.assert(fc.asyncProperty(fc.array(mutated, { minLength: 1, maxLength: 6 }), run));
  });

  test('the valid corpus in random orders', async () => {
    const sequence = fc.array(fc.nat({ max: corpus.length - 1 }), { minLength: 1, maxLength: 8 });
    await fc.assert(fc.asyncProperty(sequence, (picks) => run(picks.map((i) => corpus[i] as Uint8Array))));
  });
});
