/**
 * ipcCallNow, the direct IPC call (a protected control transfer): the receiver's IPC upcall runs inside the
 * caller's call and its reply is the result. Covers the working path (words, badge, moved capabilities in
 * both directions, calls in a row, nested calls), E_AGAIN when no receiver answering in its handler waits
 * (nothing delivered, the queue's order kept), E_STATE when the handler does not reply or throws, the
 * refusals thrown before anything happens (rights, bad capabilities, message shape), and the flow policy.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { type EnvApi, Exokernel, type IpcResult, type ReceivedMessage } from '../src/index';
import { code } from './support/error-code';

function boot() {
  const kernel = new Exokernel({ memoryBytes: 8 << 20 });
  const root = kernel.createRootEnvironment({ quota: 512 });
  const os = kernel.bind(root);
  const bind = (cap: number) => kernel.bind(kernel.environmentOf(root, cap));
  return { kernel, root, os, bind };
}

/** A server and a client environment sharing one endpoint (the client's capability has badge 42). */
function pair() {
  const setup = boot();
  const { os, bind } = setup;
  const serverCap = os.envCreate({ quota: 8 });
  const clientCap = os.envCreate({ quota: 8 });
  const server = bind(serverCap);
  const client = bind(clientCap);
  const ep = os.endpointCreate();
  const serverEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, serverCap);
  const clientEp = os.capGrant(ep, { rights: Rights.IPC_SEND, badge: 42 }, clientCap);
  return { ...setup, serverCap, clientCap, server, client, ep, serverEp, clientEp };
}

/** The message of a successful result (fails the test otherwise). */
function messageOf(result: IpcResult | null): ReceivedMessage {
  if (result === null || !result.ok || result.message === null) {
    throw new Error(
      `expected a message, got ${JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
    );
  }
  return result.message;
}

/**
 * Makes `server` answer calls in its IPC upcall: it records what it received, re-arms its recv inside the
 * handler and replies [a + b, a * b]. Returns what it saw and the current recv token.
 */
function adder(server: EnvApi, serverEp: number, order: 'rearm-first' | 'reply-first' = 'rearm-first') {
  const seen: { token: number; words: readonly bigint[]; badge: number | undefined; sender: number }[] = [];
  const state = { token: -1 };
  server.setUpcalls({
    ipc: ({ token, result }) => {
      const m = messageOf(result);
      seen.push({ token, words: m.words, badge: m.badge, sender: m.sender });
      const [a, b] = m.words;
      if (order === 'rearm-first') state.token = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
      server.ipcReply({ words: [a + b, a * b] });
      if (order === 'reply-first') state.token = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    },
  });
  state.token = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
  return { seen, state };
}

describe('ipcCallNow: the receiver answers inside the call', () => {
  it('returns the reply synchronously; the handler sees the words, the badge and the sender', () => {
    const { kernel, server, client, serverEp, clientEp } = pair();
    const { seen, state } = adder(server, serverEp);
    const firstToken = state.token;

    const result = client.ipcCallNow(clientEp, { words: [3n, 4n] });
    expect(result).toEqual({
      ok: true,
      message: { words: [7n, 12n, 0n, 0n], badge: undefined, cap: null, sender: server.envId },
    });
    expect(seen).toEqual([{ token: firstToken, words: [3n, 4n, 0n, 0n], badge: 42, sender: client.envId }]);
    // The recv the call completed reports the same message, and the handler re-armed a new one.
    expect(messageOf(server.ipcPoll(firstToken)).words).toEqual([3n, 4n, 0n, 0n]);
    expect(state.token).not.toBe(firstToken);
    expect(server.ipcPoll(state.token)).toBeNull();
    // The handler ran once, inside the call: the run loop has no second delivery of it queued.
    kernel.run();
    expect(seen).toHaveLength(1);
  });

  it('serves several calls in a row without the run loop in between (re-arming before or after replying)', () => {
    for (const order of ['rearm-first', 'reply-first'] as const) {
      const { kernel, server, client, serverEp, clientEp } = pair();
      const { seen } = adder(server, serverEp, order);
      const replies: bigint[][] = [];
      for (let i = 1n; i <= 5n; i++) {
        replies.push([...messageOf(client.ipcCallNow(clientEp, { words: [i, 10n] })).words]);
      }
      expect(replies).toEqual([1n, 2n, 3n, 4n, 5n].map((i) => [i + 10n, i * 10n, 0n, 0n]));
      expect(seen.map((s) => s.words[0])).toEqual([1n, 2n, 3n, 4n, 5n]);
      expect(seen.every((s) => s.badge === 42 && s.sender === client.envId)).toBe(true);
      // Nothing owes a reply afterwards, and only the re-armed recv is pending.
      const snap = kernel.snapshot();
      const serverSnap = snap.envs.find((e) => e.id === server.envId);
      expect(serverSnap?.replyTo).toBeNull();
      expect(serverSnap?.tokens.filter((t) => t.result === 'pending')).toHaveLength(1);
    }
  });

  it('a handler may itself make a direct call to another server before replying', () => {
    const { os, bind, server, client, serverEp, clientEp, serverCap } = pair();
    // A second server, reached by the first through its own endpoint.
    const backCap = os.envCreate({ quota: 4 });
    const back = bind(backCap);
    const ep2 = os.endpointCreate();
    const backEp = os.capGrant(ep2, { rights: Rights.IPC_RECV }, backCap);
    const frontToBack = os.capGrant(ep2, { rights: Rights.IPC_SEND, badge: 7 }, serverCap);
    const backSeen: (number | undefined)[] = [];
    back.setUpcalls({
      ipc: ({ result }) => {
        const m = messageOf(result);
        backSeen.push(m.badge);
        back.ipcSubmit({ op: 'recv', endpoint: backEp });
        back.ipcReply({ words: [m.words[0] * 100n] });
      },
    });
    back.ipcSubmit({ op: 'recv', endpoint: backEp });
    server.setUpcalls({
      ipc: ({ result }) => {
        const m = messageOf(result);
        const inner = messageOf(server.ipcCallNow(frontToBack, { words: [m.words[0] + 1n] }));
        server.ipcSubmit({ op: 'recv', endpoint: serverEp });
        server.ipcReply({ words: [inner.words[0] + 1n] });
      },
    });
    server.ipcSubmit({ op: 'recv', endpoint: serverEp });

    expect(messageOf(client.ipcCallNow(clientEp, { words: [1n] })).words[0]).toBe(201n);
    expect(messageOf(client.ipcCallNow(clientEp, { words: [2n] })).words[0]).toBe(301n);
    expect(backSeen).toEqual([7, 7]);
  });
});

describe('ipcCallNow: E_AGAIN when no receiver answering in its handler waits', () => {
  it('with nobody waiting it refuses, changes nothing and delivers nothing later', () => {
    const { kernel, server, client, serverEp, clientEp } = pair();
    const gift = client.capDerive(client.frameAlloc(), { rights: Rights.READ | Rights.TRANSFER });
    const before = kernel.snapshot();
    expect(client.ipcCallNow(clientEp, { words: [5n], cap: gift })).toMatchObject({
      ok: false,
      error: 'E_AGAIN',
    });
    expect(kernel.snapshot()).toEqual(before);
    // The message was not left waiting at the endpoint, and the capability did not move.
    expect(server.ipcRecv(serverEp)).toBeNull();
    expect(client.frameRead(gift, 0, 1)).toEqual(Uint8Array.of(0));
    // A recv the server starts afterwards does not get it either.
    const t = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    kernel.run();
    expect(server.ipcPoll(t)).toBeNull();
  });

  it('a waiting recv of an environment without an ipc upcall is not taken, and still receives an ipcSend', () => {
    const { kernel, server, client, serverEp, clientEp } = pair();
    const t = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    expect(client.ipcCallNow(clientEp, { words: [1n] })).toMatchObject({ ok: false, error: 'E_AGAIN' });
    expect(server.ipcPoll(t)).toBeNull(); // still waiting
    client.ipcSend(clientEp, { words: [9n] });
    kernel.run();
    expect(server.ipcPoll(t)).toMatchObject({
      ok: true,
      message: { words: [9n, 0n, 0n, 0n], badge: 42, sender: client.envId },
    });
  });

  it('the first waiting receiver decides: a direct call never overtakes one without a handler', () => {
    const { os, bind, kernel, server, client, serverEp, clientEp, ep } = pair();
    // `server` (no handler) waits first, `second` (with a handler) behind it.
    const secondCap = os.envCreate({ quota: 4 });
    const second = bind(secondCap);
    const secondEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, secondCap);
    const t = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    const { seen } = adder(second, secondEp);
    expect(client.ipcCallNow(clientEp, { words: [1n, 1n] })).toMatchObject({ ok: false, error: 'E_AGAIN' });
    expect(seen).toEqual([]);
    // Once the first receiver is served, the one with a handler is at the head and takes direct calls.
    client.ipcSend(clientEp, { words: [2n] });
    expect(messageOf(server.ipcPoll(t)).words[0]).toBe(2n);
    expect(messageOf(client.ipcCallNow(clientEp, { words: [1n, 1n] })).words).toEqual([2n, 1n, 0n, 0n]);
    expect(seen).toHaveLength(1);
    kernel.run();
    expect(seen).toHaveLength(1);
  });

  it('a handler registered after the recv was submitted still answers (checked at call time)', () => {
    const { server, client, serverEp, clientEp } = pair();
    const t = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    expect(client.ipcCallNow(clientEp, {})).toMatchObject({ ok: false, error: 'E_AGAIN' });
    server.setUpcalls({ ipc: () => server.ipcReply({ words: [99n] }) });
    expect(messageOf(client.ipcCallNow(clientEp, {})).words[0]).toBe(99n);
    expect(server.ipcPoll(t)?.ok).toBe(true);
  });
});

describe('ipcCallNow: E_STATE when the receiver does not answer', () => {
  it('a handler that returns without replying gives the call up; the reply right is gone', () => {
    const { kernel, server, client, serverEp, clientEp } = pair();
    const seen: bigint[] = [];
    server.setUpcalls({
      ipc: ({ result }) => {
        seen.push(messageOf(result).words[0]);
      },
    });
    server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    expect(client.ipcCallNow(clientEp, { words: [8n] })).toMatchObject({ ok: false, error: 'E_STATE' });
    expect(seen).toEqual([8n]); // the message was delivered
    // The server cannot answer later: no call waits for its reply.
    expect(code(() => server.ipcReply({ words: [1n] }))).toBe('E_STATE');
    const serverSnap = kernel.snapshot().envs.find((e) => e.id === server.envId);
    expect(serverSnap?.replyTo).toBeNull();
    expect(serverSnap?.status).not.toBe('dead');
    // It did not re-arm: the next direct call finds nobody.
    expect(client.ipcCallNow(clientEp, { words: [9n] })).toMatchObject({ ok: false, error: 'E_AGAIN' });
  });

  it('a handler that throws ends the server only; the call gets E_STATE and the next one E_AGAIN', () => {
    const { os, kernel, server, client, serverCap, clientCap, serverEp, clientEp } = pair();
    server.setUpcalls({
      ipc: () => {
        server.ipcSubmit({ op: 'recv', endpoint: serverEp }); // re-armed, then the handler fails
        throw new Error('boom');
      },
    });
    server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    let result: IpcResult | undefined;
    expect(() => {
      result = client.ipcCallNow(clientEp, { words: [1n] });
    }).not.toThrow();
    expect(result).toMatchObject({ ok: false, error: 'E_STATE' });
    expect(os.envStatus(serverCap)).toMatchObject({ status: 'dead', reason: 'ipc handler threw: boom' });
    expect(os.envStatus(clientCap).status).not.toBe('dead');
    // The recv it re-armed went with it.
    expect(client.ipcCallNow(clientEp, { words: [2n] })).toMatchObject({ ok: false, error: 'E_AGAIN' });
    expect(code(() => client.ipcSend(clientEp, { words: [3n] }))).toBe('E_AGAIN');
    kernel.run();
    expect(os.envStatus(clientCap).status).not.toBe('dead');
  });

  it('a reply made before the handler throws still stands', () => {
    const { os, server, client, serverCap, serverEp, clientEp } = pair();
    server.setUpcalls({
      ipc: () => {
        server.ipcReply({ words: [5n] });
        throw new Error('after the reply');
      },
    });
    server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    expect(messageOf(client.ipcCallNow(clientEp, {})).words[0]).toBe(5n);
    expect(os.envStatus(serverCap)).toMatchObject({
      status: 'dead',
      reason: 'ipc handler threw: after the reply',
    });
  });
});

describe('ipcCallNow: refusals thrown before anything is delivered', () => {
  it('checks the endpoint capability, the message and the capability to move', () => {
    const { os, kernel, server, client, clientCap, serverEp, clientEp, ep } = pair();
    const { seen } = adder(server, serverEp);
    const recvOnly = os.capGrant(ep, { rights: Rights.IPC_RECV }, clientCap);
    const frame = client.frameAlloc();
    const noTransfer = client.capDerive(frame, { rights: Rights.READ });
    const before = kernel.snapshot();
    expect(code(() => client.ipcCallNow(recvOnly, { words: [1n] }))).toBe('E_RIGHTS');
    expect(code(() => client.ipcCallNow(12345, { words: [1n] }))).toBe('E_BADCAP');
    expect(code(() => client.ipcCallNow(frame, { words: [1n] }))).toBe('E_TYPE');
    expect(code(() => client.ipcCallNow(clientEp, { words: [1n, 2n, 3n, 4n, 5n] }))).toBe('E_INVAL');
    expect(code(() => client.ipcCallNow(clientEp, { words: [1 as unknown as bigint] }))).toBe('E_INVAL');
    expect(code(() => client.ipcCallNow(clientEp, { cap: noTransfer }))).toBe('E_RIGHTS');
    expect(code(() => client.ipcCallNow(clientEp, { cap: 54321 }))).toBe('E_BADCAP');
    expect(code(() => client.ipcCallNow(clientEp, { cap: clientEp }))).toBe('E_INVAL');
    // None of them reached the server or changed anything.
    expect(seen).toEqual([]);
    expect(kernel.snapshot()).toEqual(before);
    // The server still answers.
    expect(messageOf(client.ipcCallNow(clientEp, { words: [2n, 3n] })).words).toEqual([5n, 6n, 0n, 0n]);
  });

  it('a dead caller is refused with E_STATE', () => {
    const { os, server, client, clientCap, serverEp, clientEp } = pair();
    const { seen } = adder(server, serverEp);
    os.envKill(clientCap);
    expect(code(() => client.ipcCallNow(clientEp, { words: [1n] }))).toBe('E_STATE');
    expect(seen).toEqual([]);
  });
});

describe('ipcCallNow: capability transfer', () => {
  it('moves a frame to the server, whose reply is computed from its contents and may carry a frame back', () => {
    const { server, client, serverEp, clientEp } = pair();
    const received: (number | null)[] = [];
    server.setUpcalls({
      ipc: ({ result }) => {
        const m = messageOf(result);
        received.push(m.cap);
        const bytes = server.frameRead(m.cap as number, 0, 4);
        const sum = bytes.reduce((s, b) => s + b, 0);
        const answer = server.frameAlloc();
        server.frameWrite(answer, 0, Uint8Array.of(sum));
        const back = server.capDerive(answer, { rights: Rights.READ | Rights.TRANSFER });
        server.ipcSubmit({ op: 'recv', endpoint: serverEp });
        server.ipcReply({ words: [BigInt(sum), m.words[0]], cap: back });
      },
    });
    server.ipcSubmit({ op: 'recv', endpoint: serverEp });

    const page = client.frameAlloc();
    client.frameWrite(page, 0, Uint8Array.of(10, 20, 30, 40));
    const gift = client.capDerive(page, { rights: Rights.READ | Rights.TRANSFER });
    const reply = messageOf(client.ipcCallNow(clientEp, { words: [77n], cap: gift }));
    expect(received).toHaveLength(1);
    expect(received[0]).not.toBeNull();
    expect(reply.words).toEqual([100n, 77n, 0n, 0n]);
    // The gift moved: the server holds it now, the client does not.
    expect([...server.frameRead(received[0] as number, 0, 4)]).toEqual([10, 20, 30, 40]);
    expect(code(() => client.frameRead(gift, 0, 1))).toBe('E_BADCAP');
    // The reply's frame moved to the client.
    expect(reply.cap).not.toBeNull();
    expect([...client.frameRead(reply.cap as number, 0, 1)]).toEqual([100]);
  });
});

describe('ipcCallNow: the flow policy', () => {
  it('a call to a receiver the caller may not reach gets E_LABEL and leaves it waiting', () => {
    const { os, bind } = boot();
    const lowCap = os.envCreate({ quota: 4, label: 'USER' });
    const low = bind(lowCap);
    const ep = os.endpointCreate();
    const lowEp = os.capGrant(ep, { rights: Rights.IPC_RECV, label: 'USER' }, lowCap);
    const { seen, state } = adder(low, lowEp);
    // A message from the top label may not reach a USER receiver.
    expect(os.ipcCallNow(ep, { words: [1n, 2n] })).toMatchObject({ ok: false, error: 'E_LABEL' });
    expect(seen).toEqual([]);
    expect(low.ipcPoll(state.token)).toBeNull(); // still waiting
  });

  it('a receiver the caller may not reach is passed over for the next one, as ipcSend does', () => {
    const { os, bind } = boot();
    const lowCap = os.envCreate({ quota: 4, label: 'USER' });
    const highCap = os.envCreate({ quota: 4 });
    const low = bind(lowCap);
    const high = bind(highCap);
    const ep = os.endpointCreate();
    const low1 = adder(low, os.capGrant(ep, { rights: Rights.IPC_RECV, label: 'USER' }, lowCap));
    const high1 = adder(high, os.capGrant(ep, { rights: Rights.IPC_RECV }, highCap));
    expect(messageOf(os.ipcCallNow(ep, { words: [2n, 5n] })).words).toEqual([7n, 10n, 0n, 0n]);
    expect(low1.seen).toEqual([]);
    expect(high1.seen).toHaveLength(1);
    expect(low.ipcPoll(low1.state.token)).toBeNull();
  });

  it('a reply the flow policy refuses fails in the handler, and the call ends with E_STATE', () => {
    // A USER client may call a top-label server, but the server may not answer down to it.
    const { os, bind } = boot();
    const clientCap = os.envCreate({ quota: 4, label: 'USER' });
    const client = bind(clientCap);
    const ep = os.endpointCreate();
    const clientEp = os.capGrant(ep, { rights: Rights.IPC_SEND, label: 'USER', badge: 3 }, clientCap);
    const replyCodes: string[] = [];
    os.setUpcalls({
      ipc: ({ result }) => {
        expect(messageOf(result).badge).toBe(3);
        replyCodes.push(code(() => os.ipcReply({ words: [1n] })));
      },
    });
    os.ipcSubmit({ op: 'recv', endpoint: ep });
    expect(client.ipcCallNow(clientEp, { words: [1n] })).toMatchObject({ ok: false, error: 'E_STATE' });
    expect(replyCodes).toEqual(['E_LABEL']);
  });
});
