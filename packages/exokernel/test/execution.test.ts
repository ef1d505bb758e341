/**
 * Environments on the CPU: guest code runs in its own address space, its syscalls and faults come back as
 * upcalls to the library OS, a crashing environment ends alone, gas runs out into a suspension its manager
 * hears about, weights share the CPU, and the same run twice makes the same decisions.
 */
import { describe, expect, it } from 'vitest';
import { EXO_SYSCALL_BASE, type EnvApi, ExoSyscall, Exokernel, type UpcallHandlers } from '../src/index';

const CODE = 0x400000;
const STACK_TOP = 0x7fff0000;

// mov rdi, 42; mov rax, 60; syscall; ud2
const EXIT_42 = [0x48, 0xc7, 0xc7, 0x2a, 0, 0, 0, 0x48, 0xc7, 0xc0, 0x3c, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b];
// mov rbx, 0x500000; mov qword [rbx], 7; mov rdi, [rbx]; mov rax, 60; syscall
const TOUCH_AND_EXIT = [
  0x48, 0xc7, 0xc3, 0x00, 0x00, 0x50, 0x00, 0x48, 0xc7, 0x03, 0x07, 0, 0, 0, 0x48, 0x8b, 0x3b, 0x48, 0xc7,
  0xc0, 0x3c, 0, 0, 0, 0x0f, 0x05,
];
const SPIN = [0xeb, 0xfe]; // jmp $
const UD2 = [0x0f, 0x0b];
// mov rbx, 0x40000000; mov rax, [rbx]
const WILD_READ = [0x48, 0xc7, 0xc3, 0x00, 0x00, 0x00, 0x40, 0x48, 0x8b, 0x03];

function boot(options: { policy?: 'beatty' | 'round-robin'; slice?: number } = {}) {
  const kernel = new Exokernel({
    memoryBytes: 8 << 20,
    policy: options.policy,
    sliceInstructions: options.slice,
  });
  const root = kernel.createRootEnvironment({ quota: 512 });
  return { kernel, api: kernel.bind(root) };
}

/** What a library OS does to start a program: a space, code and stack frames, registers, handlers. */
function spawn(api: EnvApi, code: number[], handlers: UpcallHandlers = {}, quota = 16): number {
  return spawnIn(api, code, handlers, quota).child;
}

function spawnIn(api: EnvApi, code: number[], handlers: UpcallHandlers, quota: number) {
  const child = api.envCreate({ quota });
  const space = api.asCreate();
  const text = api.frameAlloc();
  api.frameWrite(text, 0, Uint8Array.from(code));
  api.map(space, CODE, text, { executable: true });
  const stack = api.frameAlloc();
  api.map(space, STACK_TOP - 4096, stack, { writable: true });
  api.envSetAddressSpace(child, space);
  const ctx = api.envReadContext(child);
  ctx.rip = CODE;
  ctx.setReg(4, STACK_TOP);
  api.envWriteContext(child, ctx);
  api.envSetUpcalls(child, handlers);
  api.envStart(child);
  return { child, space };
}

/** A syscall handler that understands exit (60) and records the status. */
function exitRecorder(exits: number[]): UpcallHandlers['syscall'] {
  return (event, ctx) => {
    if (event.number !== 60) return 'kill';
    exits.push(Number(ctx.getReg(7)));
    return 'kill';
  };
}

describe('running environments', () => {
  it('redirects a guest syscall to the library OS with the registers of the call', () => {
    const { kernel, api } = boot();
    const exits: number[] = [];
    const child = spawn(api, EXIT_42, { syscall: exitRecorder(exits) });
    const summary = kernel.run();
    expect(summary.reason).toBe('idle');
    expect(exits).toEqual([42]);
    expect(api.envStatus(child).status).toBe('dead');
    expect(summary.instructions).toBe(3);
  });

  it('lets the library OS handle a page fault by mapping a frame, then restarts the instruction', () => {
    const { kernel, api } = boot();
    const exits: number[] = [];
    const faults: { address: number; write: boolean; present: boolean }[] = [];
    const handlers: UpcallHandlers = {
      syscall: exitRecorder(exits),
      pageFault: (event) => {
        faults.push({ address: event.address, write: event.write, present: event.present });
        const frame = api.frameAlloc();
        api.map(started.space, event.address & ~0xfff, frame, { writable: true });
        return 'resume';
      },
    };
    const started = spawnIn(api, TOUCH_AND_EXIT, handlers, 16);
    kernel.run();
    expect(faults).toEqual([{ address: 0x500000, write: true, present: false }]);
    expect(exits).toEqual([7]);
  });

  it('ends a crashing environment alone: the others run to completion', () => {
    const { kernel, api } = boot({ slice: 5 });
    const exits: number[] = [];
    const ud = spawn(api, UD2);
    const wild = spawn(api, WILD_READ);
    const thrower = spawn(api, WILD_READ, {
      pageFault: () => {
        throw new Error('library OS bug');
      },
    });
    const good = spawn(api, EXIT_42, { syscall: exitRecorder(exits) });
    kernel.run();
    expect(exits).toEqual([42]);
    expect(api.envStatus(ud)).toMatchObject({
      status: 'dead',
      reason: expect.stringMatching(/unhandled exception 6/),
    });
    expect(api.envStatus(wild)).toMatchObject({
      status: 'dead',
      reason: expect.stringMatching(/unhandled exception 14/),
    });
    expect(api.envStatus(thrower)).toMatchObject({
      status: 'dead',
      reason: expect.stringMatching(/library OS bug/),
    });
    expect(api.envStatus(good).status).toBe('dead');
  });

  it('suspends an environment out of gas, tells its manager, and keeps running the others', () => {
    const { kernel, api } = boot({ slice: 1000 });
    const exhausted: number[] = [];
    api.setUpcalls({ gasExhausted: (e) => exhausted.push(e.envId) });
    const exits: number[] = [];
    const spin = spawn(api, SPIN);
    api.envSetGas(spin, 2500);
    spawn(api, EXIT_42, { syscall: exitRecorder(exits) });
    const summary = kernel.run();
    expect(summary.reason).toBe('idle');
    expect(api.envStatus(spin)).toEqual({ status: 'suspended', reason: 'out of gas', gas: 0 });
    expect(exhausted).toEqual([api.capInspect(spin).objectId]);
    expect(exits).toEqual([42]);
    // The manager decides: more gas, and it runs again.
    api.envSetGas(spin, 500);
    api.envStart(spin);
    expect(kernel.run().instructions).toBe(500);
  });

  it('shares the CPU by weight', () => {
    const { kernel, api } = boot({ slice: 100 });
    const heavy = spawn(api, SPIN);
    const light = spawn(api, SPIN);
    api.envSetWeight(heavy, 3);
    api.envSetGas(heavy, 1e9);
    api.envSetGas(light, 1e9);
    kernel.run({ maxSlices: 400 });
    const used = (env: number) => 1e9 - api.envStatus(env).gas;
    expect(used(heavy) / used(light)).toBeCloseTo(3, 1);
  });

  it('serves simple guest primitives inside the vCPU run loop with the same results as the exit path', () => {
    // A loop of 300: ENV_ID, FRAME_ALLOC (refused once the quota of 16 is spent), NULL; the results are
    // summed into r13/r14; then the library OS's exit (60). While tracing, every primitive is an exit;
    // otherwise the SYSCALL hook serves them without leaving `cpu.run`.
    const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    const prim = (n: number) => [0xb8, ...u32(EXO_SYSCALL_BASE + n), 0x0f, 0x05]; // mov eax, n; syscall
    const body = [
      ...prim(ExoSyscall.ENV_ID),
      0x49,
      0x01,
      0xc5, // add r13, rax
      ...prim(ExoSyscall.FRAME_ALLOC),
      0x49,
      0x01,
      0xc6, // add r14, rax
      ...prim(ExoSyscall.NULL),
      0x49,
      0xff,
      0xcc, // dec r12
    ];
    const code = [
      0x41,
      0xbc,
      ...u32(300), // mov r12d, 300
      ...body,
      0x75,
      (256 - (body.length + 2)) & 0xff, // jnz back to the body
      0x4c,
      0x89,
      0xf7, // mov rdi, r14
      0x48,
      0xc7,
      0xc0,
      0x3c,
      0,
      0,
      0, // mov rax, 60
      0x0f,
      0x05,
    ];
    const outcome = (trace: boolean) => {
      const { kernel, api } = boot({ slice: 1000 });
      kernel.executor.trace = trace;
      let runs = 0;
      const run = kernel.cpu.run.bind(kernel.cpu);
      kernel.cpu.run = (budget: number) => {
        runs++;
        return run(budget);
      };
      const exits: bigint[][] = [];
      const child = spawn(api, code, {
        syscall: (event, ctx) => {
          if (event.number === 60)
            exits.push([ctx.getReg(7), ctx.getReg(13), ctx.getReg(14), ctx.getReg(12)]);
          return 'kill';
        },
      });
      const summary = kernel.run();
      return {
        summary,
        exits,
        status: api.envStatus(child).status,
        frames: kernel.snapshot().framesInUse,
        runs,
      };
    };
    const traced = outcome(true);
    const served = outcome(false);
    expect(served.runs).toBeLessThan(traced.runs / 10);
    expect({ ...served, runs: 0 }).toEqual({ ...traced, runs: 0 });
    expect(served.exits).toHaveLength(1);
  });

  it('charges a slice longer than the largest amount the scheduler takes in one call', () => {
    // sched-beatty takes charges of up to 2^20 ticks; a slice of 2^22 instructions is allowed.
    const { kernel, api } = boot({ slice: 2 ** 22 });
    const spin = spawn(api, SPIN);
    api.envSetGas(spin, 3_000_000);
    const summary = kernel.run();
    expect(summary).toEqual({ reason: 'idle', instructions: 3_000_000, slices: 1 });
    expect(api.envStatus(spin)).toEqual({ status: 'suspended', reason: 'out of gas', gas: 0 });
  });

  it('makes the same decisions on the same inputs (the exit trace replays)', () => {
    const traceOf = () => {
      const { kernel, api } = boot({ slice: 7 });
      kernel.executor.trace = true;
      const exits: number[] = [];
      spawn(api, EXIT_42, { syscall: exitRecorder(exits) });
      spawn(api, UD2);
      const spin = spawn(api, SPIN);
      api.envSetGas(spin, 100);
      spawn(api, TOUCH_AND_EXIT, { syscall: exitRecorder(exits) });
      kernel.run();
      return kernel.executor.exitTrace;
    };
    const first = traceOf();
    expect(first.length).toBeGreaterThan(10);
    expect(traceOf()).toEqual(first);
  });
});
