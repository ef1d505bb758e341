#!/usr/bin/env node
/**
 * What a host pays to switch the CPU between two programs (an operating system's context switch), side by
 * side in one run:
 *
 * - the address space: a plain CR3 write (`mmu.cr3`: PCID 0, every non-global translation dropped, so
 *   the pages touched next are walked again) against `mmu.switchContext(root, pcid, true)` (each space
 *   keeps its translations under its PCID);
 * - the registers: `saveContext` + `loadContext` copying the general registers, against a load with
 *   `{ shareRegisters: true }` (the CPU runs on the context's own array).
 *
 * After each address-space switch the program "touches" PAGES pages (one translation each), as a program
 * that runs a little before the next switch would. Wall-clock figures from the host, so compare the rows of
 * one run; the ratio column is against the first row of each pair. Uses the built package (dist/).
 *
 *   node bench/context-switch.mjs [--n N] [--pages P]
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
if (!existsSync(dist)) {
  console.error('bench: dist/index.js is missing; build the package first (pnpm --filter @exov6/hal-x86 build)');
  process.exit(2);
}
const { Access, AddressSpace, Cpu, CpuContext, FrameAllocator, PhysicalMemory } = await import(dist);

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const N = option('--n', 1_000_000);
const PAGES = option('--pages', 8);
const ROUNDS = 5;

const memory = new PhysicalMemory(64 << 20);
const frames = new FrameAllocator(memory, 64);
const BASE = 0x400000;
/** Two address spaces mapping PAGES pages each at the same addresses, to different frames. */
const spaces = [0, 1].map((k) => {
  const space = new AddressSpace(memory, frames);
  for (let p = 0; p < PAGES; p++) space.map(BASE + p * 4096, (0x1000 + k * 0x400 + p) * 4096, { writable: true });
  return space;
});
const cpu = new Cpu(memory);
const mmu = cpu.mmu;

function touch() {
  let sum = 0;
  for (let p = 0; p < PAGES; p++) sum += mmu.translate(BASE + p * 4096, Access.READ);
  return sum;
}

const scenarios = {
  'address space: CR3 write (flush)': () => {
    for (let i = 0; i < N; i++) {
      mmu.cr3 = spaces[i & 1].root;
      touch();
    }
  },
  'address space: switchContext, kept per PCID': () => {
    for (let i = 0; i < N; i++) {
      mmu.switchContext(spaces[i & 1].root, 1 + (i & 1), true);
      touch();
    }
  },
  'registers: save + load, copied': () => {
    const contexts = [CpuContext.initial(), CpuContext.initial()];
    const parts = { fpu: false };
    for (let i = 0; i < N; i++) {
      cpu.saveContext(contexts[i & 1], parts);
      cpu.loadContext(contexts[(i + 1) & 1], parts);
    }
  },
  'registers: save + load, register file shared': () => {
    const contexts = [CpuContext.initial(), CpuContext.initial()];
    const parts = { fpu: false };
    const shared = { fpu: false, shareRegisters: true };
    for (let i = 0; i < N; i++) {
      cpu.saveContext(contexts[i & 1], parts);
      cpu.loadContext(contexts[(i + 1) & 1], shared);
    }
  },
};

// Rounds alternate between the scenarios, so a change in the machine's speed touches them all alike.
const times = Object.fromEntries(Object.keys(scenarios).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(scenarios)) {
    const t0 = performance.now();
    run();
    times[name].push(((performance.now() - t0) * 1e6) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = Object.keys(scenarios);
const rows = names.map((name, i) => {
  const base = median(times[names[i - (i % 2)]]);
  return {
    'per switch': name,
    'ns (median)': median(times[name]).toFixed(1),
    'ns (range)': `${Math.min(...times[name]).toFixed(1)}-${Math.max(...times[name]).toFixed(1)}`,
    ratio: (median(times[name]) / base).toFixed(2),
  };
});
console.log(
  `context switch — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, N = ${N}, ${PAGES} pages touched per switch, ${ROUNDS} rounds`,
);
console.table(rows);
