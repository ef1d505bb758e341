// RPC between two connections in one process (the in-memory transport pair): calls, capabilities in
// params and results, promise pipelining, callbacks, E-order across a promise that resolves back into
// the caller's vat (embargo), failures, reference counting down to empty tables, and disconnection.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ByteStreamTransport,
  type Capability,
  CapnpError,
  MessageBuilder,
  RpcConnection,
  RpcError,
  type RpcTransport,
  memoryTransportPair,
  readMessage,
  releaseCapabilities,
  serve,
} from '../src/index';
import * as rpc from '../src/schemas/rpc.capnp';
import { Callback, Counter, Directory } from './schemas/rpc-test.capnp.js';
import { type DirectoryState, counter, directory } from './support/directory-server';
import { flush } from './support/flush';

/** The kind of each framed rpc message, e.g. 'call', 'return'. */
function kindOf(bytes: Uint8Array): string {
  const m = readMessage(bytes).getRoot(rpc.Message);
  const names = Object.keys(rpc.Message.Which) as (keyof typeof rpc.Message.Which)[];
  return names.find((n) => rpc.Message.Which[n] === m.which()) ?? `#${m.which()}`;
}

/** A transport that records what passes through it, in order (`>` sent, `<` received). */
function recorded(inner: RpcTransport, wire: string[]): RpcTransport {
  return {
    send(message) {
      wire.push(`> ${kindOf(message)}`);
      inner.send(message);
    },
    start(onMessage, onClose) {
      inner.start((m) => {
        wire.push(`< ${kindOf(m)}`);
        onMessage(m);
      }, onClose);
    },
    close: () => inner.close(),
  };
}

interface Pair {
  client: RpcConnection;
  server: RpcConnection;
  root: Capability;
  state: DirectoryState;
  wire: string[];
}

function connect(): Pair {
  const [a, b] = memoryTransportPair();
  const state: DirectoryState = { liveCounters: 0, log: [] };
  const dir = directory(state);
  const server = new RpcConnection(a, { bootstrap: dir });
  dir.release();
  const wire: string[] = [];
  const client = new RpcConnection(recorded(b, wire));
  return { client, server, root: client.bootstrap(), state, wire };
}

const empty = { questions: 0, answers: 0, imports: 0, exports: 0, embargoes: 0 };

describe('calls and capabilities', () => {
  test('a call on the bootstrap capability returns typed results', async () => {
    const { root, state } = connect();
    const opened = await root.call(Directory, 'open', (p) => {
      p.name = 'a';
    }).response;
    const c = opened.counter as Capability;
    expect((await c.call(Counter, 'increment', (p) => (p.by = 7)).response).value).toBe(7);
    expect((await c.call(Counter, 'increment', (p) => (p.by = -2)).response).value).toBe(5);
    expect((await c.call(Counter, 'get').response).value).toBe(5);
    expect(state.log).toEqual(['open(a)', 'a.increment(7)', 'a.increment(-2)', 'a.get()']);
  });

  test('pipelined calls go out before the results they depend on have come back', async () => {
    const { root, state, wire } = connect();
    const opened = root.call(Directory, 'open', (p) => {
      p.name = 'p';
    });
    const first = opened.pipeline.counter?.call(Counter, 'increment', (p) => (p.by = 1));
    const second = opened.pipeline.counter?.call(Counter, 'increment', (p) => (p.by = 10));
    // Nothing has been delivered yet: all four requests are on the wire back to back.
    expect(wire).toEqual(['> bootstrap', '> call', '> call', '> call']);
    expect((await first?.response)?.value).toBe(1);
    expect((await second?.response)?.value).toBe(11);
    expect(state.log).toEqual(['open(p)', 'p.increment(1)', 'p.increment(10)']);
  });

  test('a capability reached through a struct of the results is pipelined too', async () => {
    const { root, wire } = connect();
    const nested = root.call(Directory, 'nested', (p) => {
      p.name = 'n';
    });
    const inc = nested.pipeline.inner?.counter?.call(Counter, 'increment', (p) => (p.by = 1));
    expect(wire).toEqual(['> bootstrap', '> call', '> call']);
    expect((await inc?.response)?.value).toBe(101);
    expect((await nested.response).inner.label).toBe('n');
  });

  test('a capability of the caller, passed in params, is called back by the server', async () => {
    const { root } = connect();
    const seen: number[] = [];
    const callback = serve(Callback, {
      call(params, results) {
        seen.push(params.value);
        results.result = params.value * 3;
      },
    });
    const r = await root.call(Directory, 'callBack', (p) => {
      p.callback = callback.dup();
      p.value = 14;
    }).response;
    expect(r.result).toBe(42);
    expect(seen).toEqual([14]);
    callback.release();
  });

  test('the server calls a counter of the client; the client sees its own object updated', async () => {
    const { root } = connect();
    const mine: DirectoryState = { liveCounters: 0, log: [] };
    const local = counter(mine, 'mine', 40);
    const r = await root.call(Directory, 'bump', (p) => {
      p.counter = local.dup();
      p.by = 2;
    }).response;
    expect(r.value).toBe(42);
    expect((await local.call(Counter, 'get').response).value).toBe(42);
    expect(mine.log).toEqual(['mine.increment(2)', 'mine.get()']);
  });

  test('a capability sent to the peer and returned is the local object again (no network hop)', async () => {
    const { root, wire } = connect();
    const mine: DirectoryState = { liveCounters: 0, log: [] };
    const local = counter(mine, 'mine');
    const echoed = await root.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    }).response;
    const back = echoed.cap as Capability;
    const before = wire.length;
    expect((await back.call(Counter, 'increment', (p) => (p.by = 3)).response).value).toBe(3);
    // (A Release of the echoed reference may still come in; no call goes out.)
    expect(wire.slice(before).filter((w) => w.startsWith('>'))).toEqual([]);
    expect(mine.log).toEqual(['mine.increment(3)']);
  });

  test('calls pipelined on a promise that resolves into the caller vat keep their order (embargo)', async () => {
    const { root, wire } = connect();
    const mine: DirectoryState = { liveCounters: 0, log: [] };
    const local = counter(mine, 'mine');
    const echo = root.call(Directory, 'echo', (p) => {
      p.cap = local.dup();
    });
    // Kept past the results (a pipelined capability is released when they arrive).
    const promised = (echo.pipeline.cap as Capability).dup();
    const values: Promise<number>[] = [];
    const inc = (by: number) =>
      values.push(promised.call(Counter, 'increment', (p) => (p.by = by)).response.then((r) => r.value));
    // Two calls travel to the server and are reflected back; the rest are made after the promise has
    // resolved to the local object, and must not overtake them.
    inc(1);
    inc(2);
    await echo.response;
    inc(3);
    await flush();
    inc(4);
    expect(await Promise.all(values)).toEqual([1, 3, 6, 10]);
    expect(mine.log).toEqual([
      'mine.increment(1)',
      'mine.increment(2)',
      'mine.increment(3)',
      'mine.increment(4)',
    ]);
    expect(wire).toContain('> disembargo');
    expect(wire).toContain('< disembargo');
  });

  test('calls without a connection: serve() objects are called in this vat, pipelining included', async () => {
    const state: DirectoryState = { liveCounters: 0, log: [] };
    const dir = directory(state);
    const opened = dir.call(Directory, 'open', (p) => {
      p.name = 'local';
    });
    const inc = opened.pipeline.counter?.call(Counter, 'increment', (p) => (p.by = 9));
    expect((await inc?.response)?.value).toBe(9);
    releaseCapabilities(await opened.response);
    dir.release();
    await flush();
    expect(state.liveCounters).toBe(0);
  });
});

describe('failures', () => {
  test('an error thrown by a method reaches the caller as an RpcError with its type and reason', async () => {
    const { root } = connect();
    const failure = await root
      .call(Directory, 'fail', (p) => {
        p.reason = 'no such thing';
      })
      .response.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RpcError);
    expect(failure).toBeInstanceOf(CapnpError);
    expect((failure as RpcError).type).toBe('failed');
    expect((failure as RpcError).reason).toBe('no such thing');
  });

  test('a method not implemented, and an interface the object does not have, are unimplemented', async () => {
    const { client } = connect();
    const partial = serve(Counter, {
      get(_p, r) {
        r.value = 1;
      },
    });
    const [a, b] = memoryTransportPair();
    const server = new RpcConnection(a, { bootstrap: partial });
    const peer = new RpcConnection(b).bootstrap();
    const missing = await peer.call(Counter, 'increment').response.catch((e: RpcError) => e);
    expect((missing as RpcError).type).toBe('unimplemented');
    expect((missing as RpcError).reason).toMatch(/'increment'/);
    const wrong = await peer.call(Directory, 'open').response.catch((e: RpcError) => e);
    expect((wrong as RpcError).type).toBe('unimplemented');
    expect((await peer.call(Counter, 'get').response).value).toBe(1);
    server.close();
    client.close();
  });

  test('pipelined calls on a call that failed fail with its error', async () => {
    const { root } = connect();
    const failing = root.call(Directory, 'fail', (p) => {
      p.reason = 'broken chain';
    });
    const onward = failing.pipeline as unknown as { getCapability(i: number): Capability };
    const e = await onward
      .getCapability(0)
      .call(Counter, 'get')
      .response.catch((x: RpcError) => x);
    expect((e as RpcError).reason).toBe('broken chain');
  });

  test('a vat with no bootstrap capability says so', async () => {
    const [a, b] = memoryTransportPair();
    new RpcConnection(a);
    const e = await new RpcConnection(b)
      .bootstrap()
      .call(Counter, 'get')
      .response.catch((x: RpcError) => x);
    expect((e as RpcError).reason).toMatch(/no bootstrap/);
  });

  test('using a released handle is an error; releasing twice is harmless', () => {
    const c = serve(Counter, {});
    c.release();
    c.release();
    expect(c.released).toBe(true);
    expect(() => c.call(Counter, 'get')).toThrow(RpcError);
    expect(() => c.dup()).toThrow(/released/);
  });

  test('when the connection ends, outstanding calls and imported capabilities fail as disconnected', async () => {
    const { client, server, root } = connect();
    const c = (
      await root.call(Directory, 'open', (p) => {
        p.name = 'd';
      }).response
    ).counter as Capability;
    const pending = root.call(Directory, 'open', (p) => {
      p.name = 'late';
    }).response;
    server.close();
    const e = await pending.catch((x: RpcError) => x);
    expect((e as RpcError).type).toBe('disconnected');
    const later = await c.call(Counter, 'get').response.catch((x: RpcError) => x);
    expect((later as RpcError).type).toBe('disconnected');
    expect((await client.closed).type).toBe('disconnected');
    expect(client.tableSizes).toEqual(empty);
  });
});

describe('reference counting', () => {
  test('when every handle is released, the tables on both sides are empty and objects are freed', async () => {
    const { client, server, root, state } = connect();
    const a = root.call(Directory, 'open', (p) => {
      p.name = 'a';
    });
    const inc = a.pipeline.counter as Capability;
    await inc.call(Counter, 'increment', (p) => (p.by = 1)).response;
    const again = (
      await root.call(Directory, 'open', (p) => {
        p.name = 'a';
      }).response
    ).counter as Capability;
    const nested = await root.call(Directory, 'nested', (p) => {
      p.name = 'n';
    }).response;
    await flush();
    expect(client.tableSizes.imports).toBe(3); // bootstrap, counter a (received twice), counter n
    expect(server.tableSizes.exports).toBe(3);
    expect(state.liveCounters).toBe(2);
    inc.release();
    releaseCapabilities(await a.response);
    again.release();
    releaseCapabilities(nested);
    await flush();
    // The directory still holds counter a; counter n had only the client's reference.
    expect(state.liveCounters).toBe(1);
    expect(server.tableSizes.exports).toBe(1);
    root.release();
    await flush();
    expect(client.tableSizes).toEqual(empty);
    expect(server.tableSizes).toEqual(empty);
    // The connection kept its own reference to the bootstrap directory.
    server.close();
    await flush();
    expect(state.liveCounters).toBe(0);
  });

  test('the same run twice puts the same bytes on the wire (deterministic)', async () => {
    async function run(): Promise<string> {
      const [a, b] = memoryTransportPair();
      const bytes: string[] = [];
      const tap: RpcTransport = {
        send(m) {
          bytes.push(Buffer.from(m).toString('hex'));
          b.send(m);
        },
        start: (onMessage, onClose) => b.start(onMessage, onClose),
        close: () => b.close(),
      };
      const dir = directory();
      new RpcConnection(a, { bootstrap: dir });
      dir.release();
      const root = new RpcConnection(tap).bootstrap();
      const o = root.call(Directory, 'open', (p) => {
        p.name = 'x';
      });
      await o.pipeline.counter?.call(Counter, 'increment', (p) => (p.by = 2)).response;
      await root.call(Directory, 'nested', (p) => {
        p.name = 'y';
      }).response;
      return bytes.join('\n');
    }
    expect(await run()).toBe(await run());
  });
});

describe('over a byte stream', () => {
  /** Two ByteStreamTransports joined by a "wire" that delivers bytes cut at the given offsets. */
  function streamPair(cut: (bytes: Uint8Array) => Uint8Array[]): [ByteStreamTransport, ByteStreamTransport] {
    const ends: ByteStreamTransport[] = [];
    const make = (other: () => ByteStreamTransport) =>
      new ByteStreamTransport({
        write: (bytes) => {
          for (const piece of cut(bytes)) queueMicrotask(() => other().receive(piece));
        },
        close: () => queueMicrotask(() => other().end()),
      });
    ends.push(
      make(() => ends[1] as ByteStreamTransport),
      make(() => ends[0] as ByteStreamTransport),
    );
    return ends as [ByteStreamTransport, ByteStreamTransport];
  }

  test('messages cut anywhere by the stream are reassembled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        async (sizes) => {
          let k = 0;
          const cut = (bytes: Uint8Array) => {
            const pieces: Uint8Array[] = [];
            for (let at = 0; at < bytes.length; ) {
              const n = sizes[k++ % sizes.length] as number;
              pieces.push(bytes.slice(at, at + n));
              at += n;
            }
            return pieces;
          };
          const [a, b] = streamPair(cut);
          const dir = directory();
          const server = new RpcConnection(a, { bootstrap: dir });
          dir.release();
          const root = new RpcConnection(b).bootstrap();
          const o = root.call(Directory, 'open', (p) => {
            p.name = 'stream';
          });
          const r = await o.pipeline.counter?.call(Counter, 'increment', (p) => (p.by = 5)).response;
          expect(r?.value).toBe(5);
          server.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  test('a message announcing more than the limit ends the connection with a typed error', async () => {
    const sent: Uint8Array[] = [];
    const t = new ByteStreamTransport(
      { write: (b) => sent.push(b), close: () => {} },
      { maxMessageBytes: 1024 },
    );
    const conn = new RpcConnection(t);
    const header = new Uint8Array(8);
    new DataView(header.buffer).setUint32(4, 1 << 20, true); // one segment of 1 Mi words
    t.receive(header);
    const reason = await conn.closed;
    expect(reason.type).toBe('disconnected');
    expect(reason.reason).toMatch(/TOO_LARGE/);
  });

  test('a stream that ends inside a message is reported as such', async () => {
    const t = new ByteStreamTransport({ write: () => {}, close: () => {} });
    const conn = new RpcConnection(t);
    const m = new MessageBuilder();
    m.initRoot(rpc.MessageBuilder).initBootstrap().questionId = 0;
    t.receive(m.toBytes().subarray(0, 12));
    t.end();
    expect((await conn.closed).reason).toMatch(/ended inside a message/);
  });
});
