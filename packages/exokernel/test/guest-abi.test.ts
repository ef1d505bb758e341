/**
 * The guest calling convention: a C program built against include/exov6.h calls the kernel's primitives
 * with `syscall`, handles its own page faults on an exception stack (JOS style), and reaches its library
 * OS with the syscall numbers that are not the kernel's. The header's numbers must match the kernel's.
 */
import { readFileSync } from 'node:fs';
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import {
  EXO_MSG_SIZE,
  EXO_SYSCALL_BASE,
  ExoErrno,
  ExoSyscall,
  Exokernel,
  UTRAPFRAME_SIZE,
} from '../src/index';
import { SYSCALL, buildGuest, haveGcc, loadGuest, movEaxPrimitive, startMachineCode } from './support/guest';

function defines(): Map<string, number> {
  const text = readFileSync(new URL('../include/exov6.h', import.meta.url), 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/#define (EXO_\w+) \(?(-?\w+)\)?/g)) {
    const value = m[2] as string;
    out.set(m[1] as string, value.startsWith('0x') ? Number.parseInt(value, 16) : Number(value));
  }
  for (const m of text.matchAll(/#define (EXO_RIGHT_\w+) \(1u << (\d+)\)/g))
    out.set(m[1] as string, 1 << Number(m[2]));
  return out;
}

describe('include/exov6.h', () => {
  it('agrees with the kernel on every number', () => {
    const d = defines();
    expect(d.get('EXO_SYSCALL_BASE')).toBe(EXO_SYSCALL_BASE);
    for (const [name, n] of Object.entries(ExoSyscall)) expect(d.get(`EXO_SYS_${name}`), name).toBe(n);
    for (const [name, n] of Object.entries(ExoErrno)) expect(d.get(`EXO_${name}`), name).toBe(n);
    for (const name of [
      'READ',
      'WRITE',
      'EXECUTE',
      'MAP',
      'GRANT',
      'REVOKE',
      'TRANSFER',
      'IPC_SEND',
      'IPC_RECV',
    ] as const) {
      expect(d.get(`EXO_RIGHT_${name}`), name).toBe(Rights[name]);
    }
    const header = readFileSync(new URL('../include/exov6.h', import.meta.url), 'utf8');
    expect(header).toContain(`(${UTRAPFRAME_SIZE} bytes)`);
    expect(header).toContain(`the message (${EXO_MSG_SIZE} bytes)`);
  });
});

describe.skipIf(!haveGcc)('a guest C program', () => {
  it('handles its own page faults through guest primitives, then exits through its library OS', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 256 }));
    const { child } = loadGuest(os, buildGuest('pgfault'));
    const exits: number[] = [];
    os.envSetUpcalls(child, {
      syscall: (event, ctx) => {
        if (event.number === 60) exits.push(Number(BigInt.asIntN(64, ctx.getReg(7))));
        return 'kill';
      },
    });
    os.envStart(child);
    const before = os.quotaFree;
    expect(kernel.run({ maxInstructions: 1_000_000 }).reason).toBe('idle');
    // sum 1+2+3+4 = 10, four faults, and the forged map refused: 10*1000 + 4*10 + 1
    expect(exits).toEqual([10_041]);
    expect(os.envStatus(child).reason).toBe('syscall handler ended the environment');
    // The four frames and the page table the region at 0x10000000 needed were charged to the child's
    // quota (the environment whose map needed the table pays for it). When the child ended, its frames
    // went back to the machine and the 63 frames of quota it no longer used to the library OS; the page
    // table stays charged until the address space is destroyed.
    expect(os.quotaFree - before).toBe(63);
  });
});

describe('guest capability primitives and a manager-set page-fault handler', () => {
  it('CAP_GRANT gives another environment a weaker copy; CAP_TRANSFER moves one', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const root = kernel.createRootEnvironment({ quota: 128 });
    const os = kernel.bind(root);
    const receiverCap = os.envCreate({ quota: 4 });
    const receiver = kernel.bind(kernel.environmentOf(root, receiverCap));
    const page = os.frameAlloc();
    os.frameWrite(page, 0, Uint8Array.of(7, 7, 7));
    // The guest: RBX = cap_grant(RDI frame, RSI rights, RDX env), then RBP = cap_transfer(R8 cap, env),
    // then ud2, whose exception upcall reads the two results.
    const code = [
      0x49,
      0x89,
      0xd4, // mov r12, rdx
      ...movEaxPrimitive(ExoSyscall.CAP_GRANT),
      ...SYSCALL,
      0x48,
      0x89,
      0xc3, // mov rbx, rax
      0x4c,
      0x89,
      0xc7, // mov rdi, r8
      0x4c,
      0x89,
      0xe6, // mov rsi, r12
      ...movEaxPrimitive(ExoSyscall.CAP_TRANSFER),
      ...SYSCALL,
      0x48,
      0x89,
      0xc5, // mov rbp, rax
      0x0f,
      0x0b, // ud2: stop here (the exception upcall records the registers)
    ];
    const child = os.envCreate({ quota: 4 });
    const childEnv = kernel.environmentOf(root, child);
    const frameForGuest = os.capGrant(page, { rights: Rights.READ | Rights.GRANT }, child);
    const secondPage = os.frameAlloc();
    const movable = os.capDerive(secondPage, { rights: Rights.READ | Rights.TRANSFER });
    const movableForGuest = os.capTransfer(movable, child);
    const receiverForGuest = os.capGrant(receiverCap, { rights: Rights.GRANT }, child);
    const space = os.asCreate();
    const text = os.frameAlloc();
    os.frameWrite(text, 0, Uint8Array.from(code));
    os.map(space, 0x400000, text, { executable: true });
    os.envSetAddressSpace(child, space);
    const ctx = os.envReadContext(child);
    ctx.rip = 0x400000;
    ctx.setReg(7, frameForGuest);
    ctx.setReg(6, Rights.READ);
    ctx.setReg(2, receiverForGuest);
    ctx.setReg(8, movableForGuest);
    os.envWriteContext(child, ctx);
    let granted = -1;
    let moved = -1;
    os.envSetUpcalls(child, {
      exception: (_e, c) => {
        granted = Number(c.getReg(3));
        moved = Number(c.getReg(5));
        return 'kill';
      },
    });
    os.envStart(child);
    kernel.run();
    expect(granted).toBeGreaterThanOrEqual(0);
    expect([...receiver.frameRead(granted, 0, 3)]).toEqual([7, 7, 7]);
    expect(() => receiver.frameWrite(granted, 0, Uint8Array.of(1))).toThrow(/E_RIGHTS/);
    expect(receiver.capInspect(moved).objectId).toBe(os.capInspect(secondPage).objectId);
    expect(childEnv.space.check(movableForGuest, 0)).toBe(false); // it moved
  });

  it('a manager sets a child’s guest page-fault handler before it runs', () => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 128 }));
    // 0x400000: mov rax, [0x50000000] (faults); 0x400100: the handler: EXIT.
    const code = new Array(0x110).fill(0x90);
    code.splice(0, 8, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x50);
    code.splice(0x100, 7, ...movEaxPrimitive(ExoSyscall.EXIT), ...SYSCALL);
    const child = startMachineCode(os, code);
    os.envSetPgfaultUpcall(child, { entry: 0x400100, stackTop: 0x7fff0000 - 64 });
    expect(() => os.envSetPgfaultUpcall(child, { entry: -1, stackTop: 0 })).toThrow(/E_INVAL/);
    os.envStart(child);
    kernel.run();
    expect(os.envStatus(child)).toMatchObject({ status: 'dead', reason: 'exited' });
  });
});

describe('IPC_REPLY, served on the live registers', () => {
  // biome-ignore format: one instruction per line
  const SERVER = [
    0x4c, 0x89, 0xe7, // mov rdi, r12 (the endpoint)
    ...movEaxPrimitive(ExoSyscall.IPC_RECV),
    ...SYSCALL,
    0x4c, 0x89, 0xee, // mov rsi, r13
    0x4c, 0x89, 0xf2, // mov rdx, r14
    0x4d, 0x89, 0xfa, // mov r10, r15
    0x49, 0x89, 0xd8, // mov r8, rbx
    0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, // mov r9, -1 (no capability)
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY),
    ...SYSCALL,
    0x48, 0x89, 0xc5, // mov rbp, rax (the first reply's result)
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY), // a second reply: nobody waits for it any more
    ...SYSCALL,
    0x0f, 0x0b, // ud2: the exception upcall reads the registers
  ];

  // Inside the vCPU's run loop (the SYSCALL hook), and through the exit path (taken while tracing).
  it.each([false, true])(
    'gives the caller the words from the registers, RAX 0 or E_STATE (tracing: %s)',
    (trace) => {
      const kernel = new Exokernel({ memoryBytes: 8 << 20 });
      kernel.executor.trace = trace;
      const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
      const ep = os.endpointCreate();
      const words = [0x1111n, 0xffff_ffff_ffff_fffen, 0x8000_0000_0000_0000n, 0x1234_5678_9abc_def0n];
      const server = startMachineCode(os, SERVER, {});
      const serverEp = os.capGrant(ep, { rights: Rights.IPC_RECV }, server);
      const ctx = os.envReadContext(server);
      ctx.setReg(12, serverEp);
      for (const [r, w] of [
        [13, words[0]],
        [14, words[1]],
        [15, words[2]],
        [3, words[3]],
      ] as const)
        ctx.setReg(r, w as bigint);
      // A value in RAX's upper half that the first reply must clear.
      ctx.setReg(0, 0x7777_0000_0000_0000n);
      os.envWriteContext(server, ctx);
      let firstReply: bigint | null = null;
      let secondReply: bigint | null = null;
      os.envSetUpcalls(server, {
        exception: (_e, c) => {
          firstReply = c.getReg(5);
          secondReply = c.getReg(0);
          return 'kill';
        },
      });
      const token = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [1n, 2n, 3n, 4n] } });
      os.envStart(server);
      kernel.run();
      const result = os.ipcPoll(token);
      expect(result).toMatchObject({ ok: true, message: { words } });
      expect(firstReply).toBe(0n);
      expect(secondReply).toBe(BigInt(ExoErrno.E_STATE));
      if (trace) expect(kernel.executor.exitTrace.filter((x) => x.exit === 'syscall')).toHaveLength(3);
    },
  );
});

describe('IPC_REPLY_RECV, a server loop in one primitive', () => {
  // biome-ignore format: one instruction per line
  const SERVER = [
    0x4c, 0x89, 0xe7, // mov rdi, r12 (the endpoint)
    ...movEaxPrimitive(ExoSyscall.IPC_RECV), // call A arrives
    ...SYSCALL,
    0x4c, 0x89, 0xee, // mov rsi, r13 (the reply's words)
    0x4c, 0x89, 0xf2, // mov rdx, r14
    0x4d, 0x89, 0xfa, // mov r10, r15
    0x49, 0x89, 0xd8, // mov r8, rbx
    0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, // mov r9, -1 (no capability)
    0xbf, 0x0f, 0x27, 0x00, 0x00, // mov edi, 9999: no such endpoint capability
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY_RECV),
    ...SYSCALL,
    0x48, 0x89, 0xc5, // mov rbp, rax (refused: nobody was answered)
    0x4c, 0x89, 0xe7, // mov rdi, r12
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY_RECV), // answers A, then takes call B, which waits already
    ...SYSCALL,
    0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, // mov r9, -1
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY), // answers B with B's own words
    ...SYSCALL,
    0x4c, 0x89, 0xe7, // mov rdi, r12
    ...movEaxPrimitive(ExoSyscall.IPC_REPLY_RECV), // no call to answer: E_STATE, and no wait
    ...SYSCALL,
    0x0f, 0x0b, // ud2: the exception upcall reads the registers
  ];

  it.each([false, true])('answers, then receives; refuses before answering (tracing: %s)', (trace) => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    kernel.executor.trace = trace;
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    const ep = os.endpointCreate();
    const answer = [0x1111n, 0xffff_ffff_ffff_fffen, 0x8000_0000_0000_0000n, 0x1234_5678_9abc_def0n];
    const server = startMachineCode(os, SERVER, {});
    const ctx = os.envReadContext(server);
    ctx.setReg(12, os.capGrant(ep, { rights: Rights.IPC_RECV }, server));
    for (const [r, w] of [13, 14, 15, 3].map((r, i) => [r, answer[i] as bigint] as const)) ctx.setReg(r, w);
    os.envWriteContext(server, ctx);
    let seen: bigint[] = [];
    os.envSetUpcalls(server, {
      exception: (_e, c) => {
        seen = [c.getReg(5), c.getReg(0), c.getReg(6), c.getReg(2), c.getReg(10), c.getReg(8)];
        return 'kill';
      },
    });
    const a = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [1n, 2n, 3n, 4n] } });
    const b = os.ipcSubmit({ op: 'call', endpoint: ep, message: { words: [5n, 6n, 7n, 8n] } });
    os.envStart(server);
    kernel.run();
    expect(os.ipcPoll(a)).toMatchObject({ ok: true, message: { words: answer } });
    expect(os.ipcPoll(b)).toMatchObject({ ok: true, message: { words: [5n, 6n, 7n, 8n] } });
    const [refused, noCall, ...received] = seen;
    expect(refused).toBe(BigInt(ExoErrno.E_BADCAP));
    expect(noCall).toBe(BigInt(ExoErrno.E_STATE));
    expect(received).toEqual([5n, 6n, 7n, 8n]); // B's message, received by the second IPC_REPLY_RECV
  });
});
