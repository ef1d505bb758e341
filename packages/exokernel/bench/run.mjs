#!/usr/bin/env node
/**
 * Exokernel benchmark: host nanoseconds for the kernel's basic operations, each beside the budget the
 * original exokernel design set in processor cycles (system call 200, IPC 500, context switch 1000,
 * capability check 50), converted to ns at this host's clock.
 *
 *   node bench/run.mjs [--n N]
 *
 * Guest-side figures come from small machine-code loops (no compiler needed) that repeat one operation N
 * times inside one environment; each scenario runs twice and the second run is reported, so the guest
 * code and the kernel's paths are compiled by then. Wall-clock figures on a shared machine: compare the
 * rows of one run, not runs of different days.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build first (pnpm --filter @exov6/exokernel build)');
  process.exit(2);
}
const { Exokernel, EXO_SYSCALL_BASE, ExoSyscall } = await import(dist);
const args = process.argv.slice(2);
const N = args.includes('--n') ? Number(args[args.indexOf('--n') + 1]) : 1_000_000;
/** Page faults per run: each costs microseconds, so fewer of them than of the other operations. */
const PF_N = Math.max(1, Math.floor(N / 5));

/** The host clock in GHz, from /proc/cpuinfo (null where it is not available). */
function hostGHz() {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) / 1000 : null;
  } catch {
    return null;
  }
}
const ghz = hostGHz();

// ---------------------------------------------------------------------------------------- machine code
const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const movR12d = (v) => [0x41, 0xbc, ...u32(v)];
const movEax = (v) => [0xb8, ...u32(v)];
const movEdi = (v) => [0xbf, ...u32(v)];
const SYSCALL = [0x0f, 0x05];
const DEC_R12D = [0x41, 0xff, 0xcc];
const MOV_R9_NONE = [0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff]; // mov r9, -1: no capability in the message
const prim = (n) => movEax(EXO_SYSCALL_BASE + n);
/** `body` repeated by a counted loop, then the EXIT primitive. */
function loop(count, body) {
  const jnz = [0x75, (256 - (body.length + DEC_R12D.length + 2)) & 0xff];
  return [...movR12d(count), ...body, ...DEC_R12D, ...jnz, ...prim(ExoSyscall.EXIT), ...SYSCALL];
}

// ---------------------------------------------------------------------------------------------- set-up
const CODE = 0x400000;
function boot() {
  const kernel = new Exokernel({ memoryBytes: 64 << 20, sliceInstructions: 1 << 30 });
  const os = kernel.bind(kernel.createRootEnvironment());
  return { kernel, os };
}
function spawn(os, code, { handlers = {}, arg = 0, quota = 64 } = {}) {
  const child = os.envCreate({ quota });
  const space = os.asCreate();
  const text = os.frameAlloc();
  os.frameWrite(text, 0, Uint8Array.from(code));
  os.map(space, CODE, text, { executable: true });
  os.envSetAddressSpace(child, space);
  const ctx = os.envReadContext(child);
  ctx.rip = CODE;
  ctx.setReg(7, arg);
  os.envWriteContext(child, ctx);
  os.envSetUpcalls(child, handlers);
  return { child, space };
}
/**
 * ns per operation of `scenario`, which sets up (untimed) and returns the function to time, which
 * returns how many operations it did. The scenario runs twice and the second run is reported, so the
 * kernel's own code is compiled by then.
 *
 * Guest code is different: every machine has its own vCPU, whose hot blocks are compiled to JavaScript
 * afresh and then optimised by the engine while the guest runs, so a whole run also pays that warm-up.
 * Scenarios that run guest code return their kernel and operation count instead; the first machine's run
 * gives the total instruction count, the second machine runs the first half of it untimed and the rest
 * timed, and the steady cost is that time over the operations in the second half (the operations are
 * uniform, so they are in proportion to the instructions). Both are reported.
 */
function time(scenario) {
  const first = scenario();
  if (first.kernel === undefined) {
    first();
    const run = scenario();
    const t0 = performance.now();
    const ops = run();
    return { whole: ((performance.now() - t0) * 1e6) / ops, steady: null };
  }
  const total = first.kernel.run().instructions;
  const { kernel, ops } = scenario();
  const t0 = performance.now();
  kernel.run({ maxInstructions: Math.floor(total / 2) });
  const t1 = performance.now();
  const rest = kernel.run().instructions;
  const t2 = performance.now();
  return { whole: ((t2 - t0) * 1e6) / ops, steady: ((t2 - t1) * 1e6) / ((ops * rest) / total) };
}

// -------------------------------------------------------------------------------------------- scenarios
const rows = [];
function row(name, measured, budgetCycles, target) {
  const budgetNs = ghz && budgetCycles ? budgetCycles / ghz : null;
  // The steady cost where there is one (guest code), else the whole run's.
  const ns = measured.steady ?? measured.whole;
  rows.push({
    operation: name,
    'host ns': ns.toFixed(0),
    'whole run ns': measured.steady === null ? '' : measured.whole.toFixed(0),
    'design budget': budgetCycles
      ? `${budgetCycles} cycles = ${budgetNs ? budgetNs.toFixed(0) : '?'} ns`
      : '',
    'ratio to budget': budgetNs ? `${(ns / budgetNs).toFixed(1)}x` : '',
    target: target ? `<= ${target} ns: ${ns <= target ? 'met' : 'not met'}` : '',
  });
}

// A null primitive from TypeScript library-OS code (the call, its argument checks, nothing else).
row(
  'null primitive (TypeScript API)',
  time(() => {
    const { os } = boot();
    return () => {
      for (let i = 0; i < N; i++) os.null();
      return N;
    };
  }),
  200,
  100,
);

// A null primitive from guest code: syscall, exit from the vCPU, dispatch, back into the guest.
row(
  'null primitive (guest syscall round trip)',
  time(() => {
    const { kernel, os } = boot();
    os.envStart(spawn(os, loop(N, [...prim(ExoSyscall.NULL), ...SYSCALL])).child);
    return { kernel, ops: N };
  }),
  200,
  100,
);

// A capability check as the kernel does it on every primitive.
row(
  'capability-checked frameRead of 1 byte',
  time(() => {
    const { os } = boot();
    const f = os.frameAlloc();
    return () => {
      for (let i = 0; i < N; i++) os.frameRead(f, 0, 1);
      return N;
    };
  }),
  50,
);

// map + unmap of one page through capabilities (each checks rights, type, labels, and updates the PTE).
row(
  'capability-checked page map + unmap',
  time(() => {
    const { os } = boot();
    const space = os.asCreate();
    const f = os.frameAlloc();
    return () => {
      for (let i = 0; i < N; i++) {
        os.map(space, 0x10000000, f, { writable: true });
        os.unmap(space, 0x10000000);
      }
      return N;
    };
  }),
);

// Page-fault upcall round trip to a TypeScript library OS. The guest writes to the pages of a 64-page
// window in turn; the handler unmaps the page it mapped last and maps the faulting one to its one frame,
// so every write faults and the run can be long enough for a steady cost (a handler mapping fresh frames
// would need a frame per fault).
row(
  'page-fault upcall round trip (TypeScript handler: unmap the last page, map this one)',
  time(() => {
    const { kernel, os } = boot();
    const frame = os.frameAlloc();
    let mapped = -1;
    let space = 0;
    // mov [rbx], eax; add rbx, 4096; and rbx, 0x1003f000 (back to 0x10000000 after 64 pages)
    const touch = [
      0x89,
      0x03,
      0x48,
      0x81,
      0xc3,
      0x00,
      0x10,
      0x00,
      0x00,
      0x48,
      0x81,
      0xe3,
      ...u32(0x1003f000),
    ];
    const code = [0x48, 0xc7, 0xc3, ...u32(0x10000000), ...loop(PF_N, touch)];
    const { child, space: s } = spawn(os, code, {
      quota: 8,
      handlers: {
        pageFault: (e) => {
          if (mapped >= 0) os.unmap(space, mapped);
          mapped = e.address - (e.address % 4096);
          os.map(space, mapped, frame, { writable: true });
          return 'resume';
        },
      },
    });
    space = s;
    os.envStart(child);
    return { kernel, ops: PF_N };
  }),
  undefined,
  2000,
);

/**
 * A guest client calling a guest server N times; `serverLoop(endpoint)` is the server's code, which
 * answers each call and waits for the next.
 */
function ipcRoundTrips(serverLoop) {
  return () => {
    const { kernel, os } = boot();
    const ep = os.endpointCreate();
    const server = spawn(os, []);
    const client = spawn(os, []);
    const sEp = os.capGrant(ep, { rights: 1 << 13 }, server.child);
    const cEp = os.capGrant(ep, { rights: 1 << 12 }, client.child);
    const clientCode = loop(N, [...movEdi(cEp), ...MOV_R9_NONE, ...prim(ExoSyscall.IPC_CALL), ...SYSCALL]);
    rewrite(os, server, serverLoop(sEp));
    rewrite(os, client, clientCode);
    os.envStart(server.child);
    os.envStart(client.child);
    return { kernel, ops: N };
  };
}
/** `body` repeated for ever (a short jmp back to its start). */
const forever = (body) => [...body, 0xeb, (256 - (body.length + 2)) & 0xff];

// IPC call/reply round trip between two guest environments (client calls, server receives and replies).
row(
  'IPC call/reply round trip (guest to guest)',
  time(
    ipcRoundTrips((sEp) =>
      forever([
        ...movEdi(sEp),
        ...prim(ExoSyscall.IPC_RECV),
        ...SYSCALL,
        ...MOV_R9_NONE,
        ...prim(ExoSyscall.IPC_REPLY),
        ...SYSCALL,
      ]),
    ),
  ),
  500,
  400,
);

// The same round trip with the server's loop in one primitive per call (IPC_REPLY_RECV answers the call and
// takes the next), as servers are written: one primitive less per round trip.
row(
  'IPC call/reply round trip (guest to guest, server on IPC_REPLY_RECV)',
  time(
    ipcRoundTrips((sEp) => [
      ...movEdi(sEp),
      ...prim(ExoSyscall.IPC_RECV),
      ...SYSCALL,
      ...forever([...movEdi(sEp), ...MOV_R9_NONE, ...prim(ExoSyscall.IPC_REPLY_RECV), ...SYSCALL]),
    ]),
  ),
  500,
  400,
);

// Environment switch: two environments yielding to each other.
row(
  'environment switch (guest yield to guest)',
  time(() => {
    const { kernel, os } = boot();
    for (let k = 0; k < 2; k++)
      os.envStart(spawn(os, loop(N / 2, [...prim(ExoSyscall.YIELD), ...SYSCALL])).child);
    return { kernel, ops: N };
  }),
  1000,
);

/** Replaces an environment's code (its text frame is the first frame mapped at CODE). */
function rewrite(os, env, code) {
  const text = os.frameAlloc();
  os.frameWrite(text, 0, Uint8Array.from(code));
  os.unmap(env.space, CODE);
  os.map(env.space, CODE, text, { executable: true });
}

console.log(
  `exokernel benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, host clock ${ghz ? `${ghz.toFixed(2)} GHz` : 'unknown'}, N = ${N}`,
);
console.table(rows);
