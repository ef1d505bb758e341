/**
 * Visible death: the manager of an environment that ends is told which one and why, after the kernel has
 * taken back what it held, and may start another from inside the upcall (what a supervisor does).
 */
import { describe, expect, it } from 'vitest';
import { Rights } from '@exov6/caplattice';
import { type ChildEndedEvent, type EnvApi, Exokernel } from '../src/index';

const CODE = 0x400000;
const UD2 = [0x0f, 0x0b];

function boot() {
  const kernel = new Exokernel({ memoryBytes: 8 << 20, sliceInstructions: 100 });
  const root = kernel.createRootEnvironment({ quota: 512 });
  return { kernel, root, api: kernel.bind(root) };
}

/** A child running `code` (no handlers unless given). */
function spawnCode(api: EnvApi, code: number[]): number {
  const child = api.envCreate({ quota: 8 });
  const space = api.asCreate();
  const text = api.frameAlloc();
  api.frameWrite(text, 0, Uint8Array.from(code));
  api.map(space, CODE, text, { executable: true });
  api.envSetAddressSpace(child, space);
  const ctx = api.envReadContext(child);
  ctx.rip = CODE;
  api.envWriteContext(child, ctx);
  api.envStart(child);
  return child;
}

describe('childEnded', () => {
  it('tells the manager when a child is killed, with its number and the reason', () => {
    const { api } = boot();
    const ended: ChildEndedEvent[] = [];
    api.setUpcalls({ childEnded: (e) => ended.push(e) });
    const child = api.envCreate({ quota: 4 });
    api.envKill(child);
    expect(ended).toEqual([{ envId: api.capInspect(child).objectId, reason: 'killed by its manager' }]);
    // Killing the dead again says nothing more.
    expect(() => api.envKill(child)).toThrow();
    expect(ended).toHaveLength(1);
  });

  it('tells the manager of a child that crashed while running, and the machine goes on', () => {
    const { kernel, api } = boot();
    const ended: ChildEndedEvent[] = [];
    api.setUpcalls({ childEnded: (e) => ended.push(e) });
    const child = spawnCode(api, UD2);
    kernel.run();
    expect(ended).toEqual([
      { envId: api.capInspect(child).objectId, reason: expect.stringMatching(/unhandled exception 6/) },
    ]);
    expect(api.envStatus(child).status).toBe('dead');
  });

  it('tells only the direct manager, not the grandparent', () => {
    const { kernel, root, api } = boot();
    const top: ChildEndedEvent[] = [];
    const middle: ChildEndedEvent[] = [];
    api.setUpcalls({ childEnded: (e) => top.push(e) });
    const mid = api.envCreate({ quota: 64 });
    const midApi = kernel.bind(kernel.environmentOf(root, mid));
    midApi.setUpcalls({ childEnded: (e) => middle.push(e) });
    const grandchild = midApi.envCreate({ quota: 4 });
    midApi.envKill(grandchild);
    expect(middle.map((e) => e.envId)).toEqual([midApi.capInspect(grandchild).objectId]);
    expect(top).toEqual([]);
  });

  it('comes after the kernel took back the child: its frames and its pending receive are gone', () => {
    const { kernel, root, api } = boot();
    const endpoint = api.endpointCreate();
    const child = api.envCreate({ quota: 8 });
    const childApi = kernel.bind(kernel.environmentOf(root, child));
    const recv = api.capGrant(endpoint, { rights: Rights.IPC_RECV }, child);
    childApi.frameAlloc();
    childApi.setUpcalls({ ipc: () => undefined });
    childApi.ipcSubmit({ op: 'recv', endpoint: recv });
    let seen: { call: string; status: string } | null = null;
    api.setUpcalls({
      childEnded: () => {
        // No receiver is left on the endpoint, so a direct call finds nobody.
        const r = api.ipcCallNow(api.capDerive(endpoint, { rights: Rights.IPC_SEND }), { words: [1n] });
        seen = { call: r.ok ? 'answered' : r.error, status: api.envStatus(child).status };
      },
    });
    api.envKill(child);
    expect(seen).toEqual({ call: 'E_AGAIN', status: 'dead' });
  });

  it('lets the manager start a replacement from inside the upcall, which answers the next call', () => {
    const { kernel, root, api } = boot();
    const endpoint = api.endpointCreate();
    const send = api.capDerive(endpoint, { rights: Rights.IPC_SEND });
    let generation = 0;
    const startServer = () => {
      const env = api.envCreate({ quota: 8 });
      const serverApi = kernel.bind(kernel.environmentOf(root, env));
      const recv = api.capGrant(endpoint, { rights: Rights.IPC_RECV }, env);
      const mine = ++generation;
      serverApi.setUpcalls({
        ipc: (event) => {
          if (event.result.ok && event.result.message?.words[0] === 99n) throw new Error('server bug');
          if (event.result.ok) serverApi.ipcReply({ words: [BigInt(mine)] });
          serverApi.ipcSubmit({ op: 'recv', endpoint: recv });
        },
      });
      serverApi.ipcSubmit({ op: 'recv', endpoint: recv });
      return env;
    };
    api.setUpcalls({ childEnded: () => startServer() });
    startServer();
    const first = api.ipcCallNow(send, { words: [1n] });
    expect(first.ok && first.message?.words[0]).toBe(1n);
    // The server crashes on this request: the caller hears E_STATE, and a replacement is already there.
    const lost = api.ipcCallNow(send, { words: [99n] });
    expect(lost).toMatchObject({ ok: false, error: 'E_STATE' });
    const again = api.ipcCallNow(send, { words: [1n] });
    expect(again.ok && again.message?.words[0]).toBe(2n);
  });

  it('ends a manager whose childEnded handler throws, and tells its own manager', () => {
    const { kernel, root, api } = boot();
    const top: ChildEndedEvent[] = [];
    api.setUpcalls({ childEnded: (e) => top.push(e) });
    const mid = api.envCreate({ quota: 64 });
    const midApi = kernel.bind(kernel.environmentOf(root, mid));
    midApi.setUpcalls({
      childEnded: () => {
        throw new Error('supervisor bug');
      },
    });
    midApi.envKill(midApi.envCreate({ quota: 4 }));
    expect(api.envStatus(mid)).toMatchObject({
      status: 'dead',
      reason: expect.stringMatching(/supervisor bug/),
    });
    expect(top.map((e) => e.envId)).toEqual([api.capInspect(mid).objectId]);
  });
});
