/**
 * The MMU as the guest sees it: page-table entries the host builds with AddressSpace, Accessed/Dirty
 * bits set by the page walk, #PF error codes, non-canonical addresses, 2 MiB pages, the TLB (stale until
 * INVLPG or a CR3 write) and self-modifying code.
 *
 *   node --import tsx examples/paging.ts
 *
 * In your own code, import from '@exov6/hal-x86' instead of '../src/index'.
 */
import {
  Access,
  AddressSpace,
  Cpu,
  FrameAllocator,
  PfError,
  PhysicalMemory,
  Pte,
  Reg,
  tableIndices,
  type VcpuExit,
  VECTOR_NAMES,
} from '../src/index';

const CODE = 0x400000;
const memory = new PhysicalMemory(8 * 1024 * 1024);
const frames = new FrameAllocator(memory);
const as = new AddressSpace(memory, frames);
as.mapAnonymous(CODE, 4096, { executable: true });
const cpu = new Cpu(memory);
cpu.mmu.cr3 = as.root;

/** Runs `bytes` followed by an endless `jmp .` (two instructions) with `reg` = addr; describes the exit. */
function exec(bytes: number[], addr: number, reg: number = Reg.RBX): string {
  as.write(CODE, new Uint8Array([...bytes, 0xeb, 0xfe]));
  cpu.setRegNum(reg, addr);
  cpu.rip = CODE;
  const e: VcpuExit = cpu.run(2);
  if (e.kind !== 'exception') return e.kind === 'budget' ? 'ok' : e.kind;
  const bits = Object.entries(PfError)
    .filter(([, bit]) => (e.errorCode & bit) !== 0)
    .map(([name]) => name);
  const cr2 = e.vector === 14 ? ` cr2=0x${e.cr2.toString(16)} [${bits.join('|')}]` : '';
  return `${VECTOR_NAMES[e.vector]}(${e.errorCode})${cr2}, rip=0x${cpu.rip.toString(16)}`;
}
const LOAD = [0x48, 0x8b, 0x03]; // mov rax, [rbx]
const STORE = [0x48, 0x89, 0x03]; // mov [rbx], rax
const JMP = [0xff, 0xe3]; // jmp rbx
const PUSH = [0x50]; // push rax

const RO = 0x500000;
const KERNEL = 0x501000;
as.map(RO, frames.alloc(), { writable: false });
as.map(KERNEL, frames.alloc(), { writable: true, user: false });

console.log('faults (CPL 3):');
console.log(`  read unmapped       ${exec(LOAD, 0x700000)}`);
console.log(`  write read-only     ${exec(STORE, RO)}`);
console.log(`  read supervisor     ${exec(LOAD, KERNEL)}`);
console.log(`  execute NX page     ${exec(JMP, RO)}`);
console.log(`  non-canonical load  ${exec(LOAD, 2 ** 47)}`);
console.log(`  non-canonical stack ${exec(PUSH, 2 ** 47 + 8, Reg.RSP)}`);

// Accessed and Dirty bits: the walk sets A on every level and D on the leaf at the first write.
const DATA = 0x600000;
as.map(DATA, frames.alloc(), { writable: true });
/** Low 32 bits of the leaf entry for `va`, walking the tables with the MMU's indices. */
const pteOf = (va: number): number => {
  let table = as.root;
  const idx = tableIndices(va); // [PML4, PDPT, PD, PT]
  for (let level = 0; level < 3; level++)
    table = memory.view.getUint32(table + idx[level] * 8, true) & ~0xfff;
  return memory.view.getUint32(table + idx[3] * 8, true);
};
const ad = (va: number) => `A=${(pteOf(va) & Pte.A) !== 0 ? 1 : 0} D=${(pteOf(va) & Pte.D) !== 0 ? 1 : 0}`;
console.log(
  `A/D bits: after map ${ad(DATA)}; after a load ${exec(LOAD, DATA) && ad(DATA)}; after a store ${exec(STORE, DATA) && ad(DATA)}`,
);

// A 2 MiB page: one PDE with PS set; the MMU fills 4 KiB TLB entries from it on demand.
const big = frames.allocContiguous(512, 512);
as.mapLarge(0x40000000, big, { writable: true });
cpu.setRegNum(Reg.RAX, 0x1234);
exec(STORE, 0x40000000 + 0x12345);
console.log(
  `2 MiB page: guest stored 0x${memory.view.getUint32(big + 0x12345, true).toString(16)} at physical 0x${(big + 0x12345).toString(16)}`,
);

// The TLB: changing an entry in memory is not seen until INVLPG (or a CR3 write flushes it).
const other = frames.alloc();
memory.view.setUint32(other, 0xbeef, true);
memory.view.setUint32(as.lookup(DATA) as number, 0x01d, true);
exec(LOAD, DATA); // caches DATA's translation
const oldFrame = as.unmap(DATA) as number;
as.map(DATA, other, { writable: true }); // the host edits the page table behind the TLB's back
console.log(`TLB: stale read ${exec(LOAD, DATA)} rax=0x${cpu.getReg(Reg.RAX).toString(16)}`);
cpu.mmu.invlpg(DATA);
console.log(`TLB: after invlpg ${exec(LOAD, DATA)} rax=0x${cpu.getReg(Reg.RAX).toString(16)}`);
frames.release(oldFrame);
console.log(
  `host-side translation: probe(DATA) = 0x${cpu.mmu.probe(DATA, Access.READ)?.toString(16)}, lookup(0x700000) = ${as.lookup(0x700000)}`,
);

// Self-modifying code: a guest store into a page holding decoded blocks drops them, and the CPU
// re-decodes from the next instruction, so the modified bytes are what runs.
const RWX = 0x410000;
as.mapAnonymous(RWX, 4096, { writable: true, executable: true });
// biome-ignore format: one instruction per line, with its assembly
as.write(RWX, new Uint8Array([
  0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, // mov byte [rip+1], 2   ; patches the next immediate
  0xb8, 0x01, 0x00, 0x00, 0x00,             // mov eax, 1            ; runs as mov eax, 2
  0xeb, 0xfe,                               // jmp .
]));
const before = cpu.blocks.invalidations;
cpu.rip = RWX;
cpu.run(3);
console.log(
  `self-modifying code: eax=${cpu.getReg(Reg.RAX)}, block invalidations ${cpu.blocks.invalidations - before}`,
);
