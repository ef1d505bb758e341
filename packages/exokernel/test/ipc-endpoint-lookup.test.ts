/**
 * The endpoint capability an environment's IPC named last time is taken without the full lookup while the
 * CapSpace still accepts its id with the right the operation needs (Environment.lastEndpoint). These tests
 * change the capability between two operations that name the same id, in every way that may: deleted and
 * the slot reused for another endpoint, revoked from above, moved away, used for an operation it lacks the
 * right for, or named by an environment that has ended. Each must be refused exactly as the full lookup
 * refuses it, and nothing may reach the endpoint it used to name.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { type EnvApi, ExoErrno, ExoSyscall, Exokernel } from '../src/index';
import { code } from './support/error-code';
import { SYSCALL, movEaxPrimitive, startMachineCode } from './support/guest';

const SLOT_MASK = 2 ** 24 - 1;

function boot() {
  const kernel = new Exokernel({ memoryBytes: 8 << 20 });
  const root = kernel.createRootEnvironment({ quota: 512 });
  const os = kernel.bind(root);
  const bind = (cap: number) => kernel.bind(kernel.environmentOf(root, cap));
  const clientCap = os.envCreate({ quota: 8 });
  return { kernel, os, client: bind(clientCap), clientCap };
}

/** `sender` sends through `cap` while the root waits at `endpoint`: the message arrives. */
function delivers(os: EnvApi, sender: EnvApi, cap: number, endpoint: number): void {
  const receiving = os.ipcSubmit({ op: 'recv', endpoint });
  sender.ipcSend(cap, {});
  expect(os.ipcPoll(receiving)).toMatchObject({ ok: true });
}

/** A send through `cap` is refused with `error`, and the root waiting at `endpoint` gets nothing. */
function refused(os: EnvApi, sender: EnvApi, cap: number, endpoint: number, error: string): void {
  const waiting = os.ipcSubmit({ op: 'recv', endpoint });
  expect(code(() => sender.ipcSend(cap, {}))).toBe(error);
  expect(os.ipcPoll(waiting)).toBeNull();
}

describe('IPC names its endpoint through a capability checked every time', () => {
  it('refuses an id deleted since, even with its slot holding a capability to another endpoint', () => {
    const { os, client, clientCap } = boot();
    const a = os.endpointCreate();
    const b = os.endpointCreate();
    const toA = os.capGrant(a, { rights: Rights.IPC_SEND, badge: 1 }, clientCap);
    const atA = os.ipcSubmit({ op: 'recv', endpoint: a });
    client.ipcSend(toA, { words: [1n] });
    expect(os.ipcPoll(atA)).toMatchObject({ ok: true, message: { words: [1n, 0n, 0n, 0n], badge: 1 } });

    client.capDelete(toA);
    const toB = os.capGrant(b, { rights: Rights.IPC_SEND, badge: 2 }, clientCap);
    // The new capability took the same slot, under a new generation: a different id.
    expect(toB & SLOT_MASK).toBe(toA & SLOT_MASK);
    expect(toB).not.toBe(toA);

    const againAtA = os.ipcSubmit({ op: 'recv', endpoint: a });
    const atB = os.ipcSubmit({ op: 'recv', endpoint: b });
    expect(code(() => client.ipcSend(toA, { words: [2n] }))).toBe('E_BADCAP');
    expect(os.ipcPoll(againAtA)).toBeNull();
    expect(os.ipcPoll(atB)).toBeNull();
    client.ipcSend(toB, { words: [3n] });
    expect(os.ipcPoll(atB)).toMatchObject({ ok: true, message: { words: [3n, 0n, 0n, 0n], badge: 2 } });
    expect(os.ipcPoll(againAtA)).toBeNull(); // still waiting: nothing went to the endpoint it used to name
  });

  it('refuses an id revoked from above, and one moved to another environment', () => {
    const { os, client, clientCap } = boot();
    const ep = os.endpointCreate();
    const parent = os.capDerive(ep, { rights: Rights.IPC_SEND | Rights.GRANT | Rights.REVOKE });
    const mine = os.capGrant(parent, { rights: Rights.IPC_SEND }, clientCap);
    delivers(os, client, mine, ep);

    os.capRevoke(parent);
    const waiting = os.ipcSubmit({ op: 'recv', endpoint: ep });
    expect(code(() => client.ipcSend(mine, {}))).toBe('E_BADCAP');
    expect(os.ipcPoll(waiting)).toBeNull();

    // Moved: the old id is gone from the client, the new one works in the other environment.
    const movable = os.capGrant(ep, { rights: Rights.IPC_SEND | Rights.TRANSFER }, clientCap);
    client.ipcSend(movable, { words: [4n] });
    expect(os.ipcPoll(waiting)).toMatchObject({ ok: true, message: { words: [4n, 0n, 0n, 0n] } });
    const otherCap = os.envCreate({ quota: 8 });
    const moved = client.capTransfer(movable, os.capGrant(otherCap, { rights: Rights.GRANT }, clientCap));
    refused(os, client, movable, ep, 'E_BADCAP');
    expect(moved).toBeGreaterThan(0);
  });

  it('checks the right each operation needs, not only the id', () => {
    const { os, client, clientCap } = boot();
    const ep = os.endpointCreate();
    const sendOnly = os.capGrant(ep, { rights: Rights.IPC_SEND }, clientCap);
    delivers(os, client, sendOnly, ep);
    expect(code(() => client.ipcRecv(sendOnly))).toBe('E_RIGHTS');
    expect(code(() => client.ipcSubmit({ op: 'recv', endpoint: sendOnly }))).toBe('E_RIGHTS');
  });

  it('refuses every IPC of an environment that has ended', () => {
    const { os, client, clientCap } = boot();
    const ep = os.endpointCreate();
    const mine = os.capGrant(ep, { rights: Rights.IPC_SEND }, clientCap);
    delivers(os, client, mine, ep);
    os.envKill(clientCap);
    refused(os, client, mine, ep, 'E_STATE');
  });

  it('in guest code too: a call through a capability the guest deleted after its first call fails', () => {
    const { kernel, os } = boot();
    const ep = os.endpointCreate();
    // call(R12); delete(R12); call(R12); exit. RAX of each primitive goes to RBX, then RBP, then R13.
    const MOV_RDI_R12 = [0x4c, 0x89, 0xe7];
    const MOV_R9_NONE = [0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff];
    const primitive = (n: number) => [...movEaxPrimitive(n), ...SYSCALL];
    const call = [...MOV_RDI_R12, ...MOV_R9_NONE, ...primitive(ExoSyscall.IPC_CALL)];
    const guestCode = [
      ...call,
      0x48,
      0x89,
      0xc3, // mov rbx, rax
      ...MOV_RDI_R12,
      ...primitive(ExoSyscall.CAP_DELETE),
      0x48,
      0x89,
      0xc5, // mov rbp, rax
      ...call,
      0x49,
      0x89,
      0xc5, // mov r13, rax
      0xeb,
      0xfe, // jmp $ (spins until the run's limit, registers kept)
    ];
    const guest = startMachineCode(os, guestCode);
    const ctx = os.envReadContext(guest);
    ctx.setReg(12, os.capGrant(ep, { rights: Rights.IPC_SEND }, guest));
    os.envWriteContext(guest, ctx);
    // The root answers the first call (a TypeScript receiver, then its reply).
    const receiving = os.ipcSubmit({ op: 'recv', endpoint: ep });
    os.envStart(guest);
    kernel.run({ maxInstructions: 1_000 });
    expect(os.ipcPoll(receiving)).toMatchObject({ ok: true });
    os.ipcReply({ words: [7n] });
    const waiting = os.ipcSubmit({ op: 'recv', endpoint: ep });
    kernel.run({ maxInstructions: 1_000 });
    const after = os.envReadContext(guest);
    expect(after.getReg(3)).toBe(0n); // the first call: answered
    expect(after.getReg(5)).toBe(0n); // the delete
    expect(after.getReg(13)).toBe(BigInt(ExoErrno.E_BADCAP));
    expect(os.ipcPoll(waiting)).toBeNull(); // the second call reached nobody
  });
});
