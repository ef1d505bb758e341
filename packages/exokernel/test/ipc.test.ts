/**
 * IPC endpoints: rendezvous between TypeScript library OSes and guest code in every combination,
 * capability transfer, badges, labels, completion tokens (submit, poll, wait, cancel), and what happens
 * to waiting parties when an environment ends.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { Exokernel } from '../src/index';
import { buildGuest, haveGcc, loadGuest } from './support/guest';
import { code } from './support/error-code';

function boot(options: { sliceInstructions?: number } = {}) {
  const kernel = new Exokernel({ memoryBytes: 8 << 20, ...options });
  const root = kernel.createRootEnvironment({ quota: 512 });
  const os = kernel.bind(root);
  const bind = (cap: number) => kernel.bind(kernel.environmentOf(root, cap));
  return { kernel, root, os, bind };
}

describe('IPC between library OSes', () => {
  it('meets a waiting receiver, with the words, the badge and a moved capability', async () => {
    const { os, bind, kernel } = boot();
    const serverCap = os.envCreate({ quota: 8 });
    const clientCap = os.envCreate({ quota: 8 });
    const server = bind(serverCap);
    const client = bind(clientCap);
    const ep = os.endpointCreate();
    const serverEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, serverCap);
    const clientEp = os.capGrant(ep, { rights: Rights.IPC_SEND, badge: 77 }, clientCap);

    expect(code(() => client.ipcSend(clientEp, { words: [1n] }))).toBe('E_AGAIN'); // nobody is waiting
    const before = kernel.snapshot();
    expect(code(() => client.ipcSend(clientEp, { words: [1n] }))).toBe('E_AGAIN');
    expect(kernel.snapshot()).toEqual(before);

    const token = server.ipcSubmit({ op: 'recv', endpoint: serverEp });
    expect(server.ipcPoll(token)).toBeNull();
    const page = client.frameAlloc();
    client.frameWrite(page, 0, Uint8Array.of(9, 8, 7));
    const gift = client.capDerive(page, { rights: Rights.READ | Rights.TRANSFER });
    client.ipcSend(clientEp, { words: [5n, 2n ** 64n - 1n], cap: gift });
    const result = await server.ipcWait(token);
    expect(result.ok).toBe(true);
    if (!result.ok || result.message === null) throw new Error('no message');
    expect(result.message.words).toEqual([5n, 2n ** 64n - 1n, 0n, 0n]);
    expect(result.message.badge).toBe(77);
    expect(result.message.sender).toBe(client.envId);
    expect([...server.frameRead(result.message.cap as number, 0, 3)]).toEqual([9, 8, 7]);
    expect(code(() => client.frameRead(gift, 0, 1))).toBe('E_BADCAP'); // it moved
  });

  it('checks rights, message shape and the flow policy', () => {
    const { os, bind } = boot();
    const lowEnv = os.envCreate({ quota: 4, label: 'USER' });
    const low = bind(lowEnv);
    const ep = os.endpointCreate();
    const sendOnly = os.capDerive(ep, { rights: Rights.IPC_SEND });
    expect(code(() => os.ipcRecv(sendOnly))).toBe('E_RIGHTS');
    expect(code(() => os.ipcSend(ep, { words: [1n, 2n, 3n, 4n, 5n] }))).toBe('E_INVAL');
    expect(code(() => os.ipcSend(ep, { words: [1 as unknown as bigint] }))).toBe('E_INVAL');
    expect(code(() => os.ipcSend(os.frameAlloc(), {}))).toBe('E_TYPE');
    // A message from the top label may not reach a USER receiver (Denning: sender <= receiver).
    const lowEp = os.capGrant(ep, { rights: Rights.IPC_RECV | Rights.IPC_SEND, label: 'USER' }, lowEnv);
    const t = low.ipcSubmit({ op: 'recv', endpoint: lowEp });
    expect(code(() => os.ipcSend(ep, { words: [1n] }))).toBe('E_LABEL');
    expect(low.ipcPoll(t)).toBeNull(); // still waiting
    // Upwards is fine.
    const t2 = os.ipcSubmit({ op: 'recv', endpoint: ep });
    low.ipcCancel(t);
    expect(low.ipcPoll(t)).toMatchObject({ ok: false, error: 'E_CANCELED' });
    low.ipcSend(lowEp, { words: [3n] });
    expect(os.ipcPoll(t2)).toMatchObject({ ok: true, message: { words: [3n, 0n, 0n, 0n] } });
  });

  it('call waits for the reply of the one it reached', async () => {
    const { os, bind } = boot();
    const sEnv = os.envCreate({ quota: 4 });
    const s = bind(sEnv);
    const ep = os.endpointCreate();
    const t = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [20n] } });
    expect(code(() => s.ipcReply({ words: [1n] }))).toBe('E_STATE'); // no call received yet
    const sEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, sEnv);
    const got = s.ipcRecv(sEp);
    expect(got?.words[0]).toBe(20n);
    expect(os.ipcPoll(t)).toBeNull();
    s.ipcReply({ words: [21n] });
    expect((await os.ipcWait(t)).ok).toBe(true);
    expect(os.ipcPoll(t)).toMatchObject({ ok: true, message: { words: [21n, 0n, 0n, 0n], sender: s.envId } });
    expect(code(() => s.ipcReply({}))).toBe('E_STATE'); // one reply per call

    // A receiver that takes another call before replying gives the first caller up: it is told.
    const ta = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [31n] } });
    expect(s.ipcRecv(sEp)?.words[0]).toBe(31n);
    const tb = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [32n] } });
    expect(s.ipcRecv(sEp)?.words[0]).toBe(32n);
    expect(os.ipcPoll(ta)).toMatchObject({ ok: false, error: 'E_STATE' });
    s.ipcReply({ words: [33n] });
    expect(os.ipcPoll(tb)).toMatchObject({ ok: true, message: { words: [33n, 0n, 0n, 0n] } });

    // A receiver that ends before replying fails the caller waiting on it.
    const t2 = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [1n] } });
    expect(s.ipcRecv(sEp)?.words[0]).toBe(1n);
    os.envKill(sEnv);
    expect(os.ipcPoll(t2)).toMatchObject({ ok: false, error: 'E_STATE' });
  });
});

describe('IPC completion upcalls', () => {
  it('a completed operation comes to the ipc handler from the run loop, not inside the sender’s call', () => {
    const { kernel, os, bind } = boot();
    const ep = os.endpointCreate();
    const senderCap = os.envCreate({ quota: 4 });
    const sender = bind(senderCap);
    const sendCap = os.capGrant(ep, { rights: Rights.IPC_SEND, badge: 3 }, senderCap);
    const events: { token: number; words: readonly bigint[] | undefined }[] = [];
    os.setUpcalls({
      ipc: (e) => events.push({ token: e.token, words: e.result.ok ? e.result.message?.words : undefined }),
    });
    const t = os.ipcSubmit({ op: 'recv', endpoint: ep });
    sender.ipcSend(sendCap, { words: [7n] });
    expect(events).toEqual([]); // not during the sender's call
    expect(os.ipcPoll(t)?.ok).toBe(true);
    kernel.run();
    expect(events).toEqual([{ token: t, words: [7n, 0n, 0n, 0n] }]);
    // Cancelled operations are completions too.
    const t2 = os.ipcSubmit({ op: 'recv', endpoint: ep });
    os.ipcCancel(t2);
    kernel.run();
    expect(events.at(-1)).toEqual({ token: t2, words: undefined });
  });

  it('a handler that throws ends its own environment only', () => {
    const { kernel, os, bind } = boot();
    const ep = os.endpointCreate();
    const childCap = os.envCreate({ quota: 4 });
    const child = bind(childCap);
    const childEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, childCap);
    child.setUpcalls({
      ipc: () => {
        throw new Error('boom');
      },
    });
    child.ipcSubmit({ op: 'recv', endpoint: childEp });
    os.ipcSend(ep, { words: [1n] });
    kernel.run();
    expect(os.envStatus(childCap)).toMatchObject({ status: 'dead', reason: 'ipc handler threw: boom' });
  });
});

describe.skipIf(!haveGcc)('IPC with guest code', () => {
  it.each(['echo-server', 'echo-server-reply-recv'])(
    'a guest client calls %s 100 times, each blocking in turn',
    (name) => {
      const { kernel, os } = boot();
      const ep = os.endpointCreate();
      const server = loadGuest(os, buildGuest(name));
      const client = loadGuest(os, buildGuest('echo-client'));
      const serverEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, server.child);
      const clientEp = os.capGrant(ep, { rights: Rights.IPC_SEND, badge: 5 }, client.child);
      setArg(os, server.child, serverEp);
      setArg(os, client.child, clientEp);
      const exits: number[] = [];
      os.envSetUpcalls(client.child, {
        syscall: (e, ctx) => {
          if (e.number === 60) exits.push(Number(BigInt.asIntN(64, ctx.getReg(7))));
          return 'kill';
        },
      });
      os.envStart(server.child);
      os.envStart(client.child);
      kernel.run({ maxInstructions: 10_000_000 });
      // replies i+1 for i = 1..100, plus the badge 5 each time
      expect(exits).toEqual([5150 + 500]);
      expect(os.envStatus(server.child)).toMatchObject({ status: 'dead', reason: 'exited' });
    },
  );

  it('a library OS calls a guest server; killing a server waiting in recv takes it off the endpoint', async () => {
    const { kernel, os } = boot();
    const ep = os.endpointCreate();
    const server = loadGuest(os, buildGuest('echo-server'));
    setArg(os, server.child, os.capGrant(ep, { rights: Rights.IPC_RECV }, server.child));
    os.envStart(server.child);
    const t = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [41n] } });
    kernel.run();
    expect(await os.ipcWait(t)).toMatchObject({ ok: true, message: { words: [42n, 0n, 0n, 0n] } });
    // The server now waits in recv; killing it takes it out of the queue.
    kernel.run();
    expect(os.envStatus(server.child).status).toBe('waiting');
    os.envKill(server.child);
    expect(code(() => os.ipcSend(ep, { words: [1n] }))).toBe('E_AGAIN');
  });
});

describe.skipIf(!haveGcc)('IPC upcalls in guest code', () => {
  /** The server's loop, computed here: acc = acc * 6364136223846793005 + i mod 2^64 for i = 1..10^6. */
  function expectedLoop(): bigint {
    let acc = 0n;
    for (let i = 1n; i <= 1_000_000n; i++) acc = BigInt.asUintN(64, acc * 6364136223846793005n + i);
    return acc;
  }

  function runPair(kernelOptions: Parameters<typeof boot>[0] = {}) {
    const { kernel, os } = boot(kernelOptions);
    const ep = os.endpointCreate();
    const server = loadGuest(os, buildGuest('upcall-server'));
    const client = loadGuest(os, buildGuest('upcall-client'));
    setArg(os, server.child, os.capGrant(ep, { rights: Rights.IPC_RECV }, server.child));
    setArg(os, client.child, os.capGrant(ep, { rights: Rights.IPC_SEND, badge: 9 }, client.child));
    const reports: bigint[][] = [];
    os.envSetUpcalls(client.child, {
      syscall: (e, ctx) => {
        if (e.number === 1000) reports.push([7, 6, 2].map((r) => BigInt.asUintN(64, ctx.getReg(r))));
        return 'kill';
      },
    });
    os.envStart(server.child);
    os.envStart(client.child);
    const summary = kernel.run({ maxInstructions: 200_000_000 });
    return { os, server, reports, summary };
  }

  it('a server takes 100 calls as upcalls in the middle of a computation, which still comes out right', () => {
    const { os, server, reports } = runPair();
    expect(reports).toHaveLength(1);
    const [sum, result, served] = reports[0] as bigint[];
    expect(sum).toBe(BigInt((101 * 102) / 2 - 1)); // replies 2..101 (-1 would mean a wrong reply)
    expect(result).toBe(expectedLoop());
    // Every call was an upcall: the 100, then at least the final request for the result.
    expect(served).toBeGreaterThanOrEqual(101n);
    expect(os.envStatus(server.child)).toMatchObject({ status: 'dead', reason: 'exited' });
  });

  it('the upcalls arrive while the loop runs, not only once it waits', () => {
    // With a short slice, the client's calls are served while the server is still computing: the client
    // learns the result only after asking at least once too early.
    const { reports } = runPair({ sliceInstructions: 2_000 });
    const [, result, served] = reports[0] as bigint[];
    expect(result).toBe(expectedLoop());
    expect(served).toBeGreaterThan(101n);
  });
});

function setArg(os: ReturnType<typeof boot>['os'], child: number, value: number): void {
  const ctx = os.envReadContext(child);
  ctx.setReg(7, value);
  os.envWriteContext(child, ctx);
}
