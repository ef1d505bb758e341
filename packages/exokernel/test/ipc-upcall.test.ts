/**
 * IPC upcalls for guest code (guest-ipc-upcall.ts): the refusals, an exception stack the kernel cannot
 * write, and listening that stops when the capability goes. The C server in test/guest/upcall-server.c
 * (run in ipc.test.ts) shows the working path.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { type EnvApi, ExoErrno, ExoSyscall, Exokernel } from '../src/index';
import { SYSCALL, movEaxPrimitive, startMachineCode } from './support/guest';

const RBX = 3;
const RDX = 2;
const RSI = 6;
const RDI = 7;
const MOV_RBX_RAX = [0x48, 0x89, 0xc3];
const UD2 = [0x0f, 0x0b];
const STACK_TOP = 0x7fff0000;

function boot() {
  const kernel = new Exokernel({ memoryBytes: 8 << 20 });
  const root = kernel.createRootEnvironment({ quota: 128 });
  return { kernel, os: kernel.bind(root) };
}

/**
 * A new child (not started) that will run `code`, with `regs` set; its exception upcall (the ud2 the
 * tests end with) records RBX, read back with `rbx()` (a signed number, or null before the ud2).
 */
function child(os: EnvApi, code: number[], regs: (child: number) => Record<number, number>) {
  const id = startMachineCode(os, code);
  const ctx = os.envReadContext(id);
  for (const [r, v] of Object.entries(regs(id))) ctx.setReg(Number(r), v);
  os.envWriteContext(id, ctx);
  let rbx: number | null = null;
  os.envSetUpcalls(id, {
    exception: (_e, c) => {
      rbx = Number(BigInt.asIntN(64, c.getReg(RBX)));
      return 'kill';
    },
  });
  return { id, rbx: () => rbx };
}

/** Runs `code` in a new child until its ud2 and returns RBX then. */
function rbxAfter(
  setup: ReturnType<typeof boot>,
  code: number[],
  regs: (child: number) => Record<number, number>,
): number {
  const { kernel, os } = setup;
  const c = child(os, [...code, ...MOV_RBX_RAX, ...UD2], regs);
  os.envStart(c.id);
  kernel.run({ maxInstructions: 1_000_000 });
  const rbx = c.rbx();
  if (rbx === null) throw new Error('the guest did not reach its ud2');
  return rbx;
}

const call = (n: number) => [...movEaxPrimitive(n), ...SYSCALL];

describe('IPC upcall primitives', () => {
  it('refuse a capability without IPC_RECV, one that is not an endpoint, and calls out of turn', () => {
    const setup = boot();
    const { os } = setup;
    const ep = os.endpointCreate();
    const listen = call(ExoSyscall.IPC_LISTEN);
    const entry = { [RSI]: 0x400100, [RDX]: STACK_TOP - 64 };
    expect(
      rbxAfter(setup, listen, (c) => ({ [RDI]: os.capGrant(ep, { rights: Rights.IPC_SEND }, c), ...entry })),
    ).toBe(ExoErrno.E_RIGHTS);
    expect(
      rbxAfter(setup, listen, (c) => ({
        [RDI]: os.capGrant(os.frameAlloc(), { rights: Rights.READ }, c),
        ...entry,
      })),
    ).toBe(ExoErrno.E_TYPE);
    expect(rbxAfter(setup, listen, () => ({ [RDI]: 12345, ...entry }))).toBe(ExoErrno.E_BADCAP);
    // Waiting without listening, and returning from a handler that is not running.
    expect(rbxAfter(setup, call(ExoSyscall.UPCALL_WAIT), () => ({}))).toBe(ExoErrno.E_STATE);
    expect(rbxAfter(setup, call(ExoSyscall.IPC_UPCALL_RETURN), () => ({ [RDI]: STACK_TOP - 512 }))).toBe(
      ExoErrno.E_STATE,
    );
    // Stopping when not listening is fine.
    expect(rbxAfter(setup, listen, () => ({ [RDI]: -1 }))).toBe(0);
  });

  it('an exception stack the kernel cannot write ends the environment when a message comes', async () => {
    const { kernel, os } = boot();
    const ep = os.endpointCreate();
    // listen with the exception stack in the read-only code page, then wait.
    const child = startMachineCode(os, [
      ...call(ExoSyscall.IPC_LISTEN),
      ...call(ExoSyscall.UPCALL_WAIT),
      ...UD2,
    ]);
    const ctx = os.envReadContext(child);
    ctx.setReg(RDI, os.capGrant(ep, { rights: Rights.IPC_RECV }, child));
    ctx.setReg(RSI, 0x400100);
    ctx.setReg(RDX, 0x400800);
    os.envWriteContext(child, ctx);
    os.envStart(child);
    kernel.run();
    expect(os.envStatus(child).status).toBe('waiting');
    const t = os.ipcSubmit({ op: 'send', endpoint: ep, message: { words: [1n] } });
    kernel.run();
    expect(os.envStatus(child)).toMatchObject({
      status: 'dead',
      reason: 'IPC upcall: the exception stack is not mapped writable',
    });
    expect((await os.ipcWait(t)).ok).toBe(true); // the environment had taken the message
  });

  it('revoking the listening capability stops listening and fails upcall_wait with E_STATE', () => {
    const { kernel, os } = boot();
    const ep = os.endpointCreate();
    const code = [...call(ExoSyscall.IPC_LISTEN), ...call(ExoSyscall.UPCALL_WAIT), ...MOV_RBX_RAX, ...UD2];
    const c = child(os, code, (id) => ({
      [RDI]: os.capGrant(ep, { rights: Rights.IPC_RECV }, id),
      [RSI]: 0x400100,
      [RDX]: STACK_TOP - 64,
    }));
    os.envStart(c.id);
    kernel.run();
    expect(os.envStatus(c.id).status).toBe('waiting');
    os.capRevoke(ep); // removes the child's copy: it stops listening
    expect(() => os.ipcSend(ep, { words: [2n] })).toThrow(/E_AGAIN/); // nobody receives now
    kernel.run();
    expect(c.rbx()).toBe(ExoErrno.E_STATE);
  });
});
