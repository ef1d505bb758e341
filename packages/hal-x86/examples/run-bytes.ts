/**
 * The vCPU run loop from the host's side: physical memory, an address space, a CPU, a few instruction
 * bytes, and a loop that answers every exit kind.
 *
 *   node --import tsx examples/run-bytes.ts
 *
 * The guest writes a message with the write system call, stores to a page that is not mapped yet (the
 * host maps it on the #PF and the store restarts), counts in a loop long enough to use up several
 * budgets (the host raises an interrupt on one of them), and exits with the value it stored.
 * In your own code, import from '@exov6/hal-x86' instead of '../src/index'.
 */
import {
  AddressSpace,
  Cpu,
  FrameAllocator,
  PfError,
  PhysicalMemory,
  Reg,
  type VcpuExit,
  VECTOR_NAMES,
  Vector,
} from '../src/index';

const CODE = 0x400000;

// biome-ignore format: one instruction per line, with its assembly
const code = new Uint8Array([
  0x48, 0x8d, 0x35, 0x34, 0x00, 0x00, 0x00, // lea    rsi, [rip+0x34]      ; msg
  0xbf, 0x01, 0x00, 0x00, 0x00,             // mov    edi, 1               ; stdout
  0xba, 0x15, 0x00, 0x00, 0x00,             // mov    edx, 21              ; length
  0xb8, 0x01, 0x00, 0x00, 0x00,             // mov    eax, 1               ; write
  0x0f, 0x05,                               // syscall
  0xbb, 0x00, 0x00, 0x60, 0x00,             // mov    ebx, 0x600000
  0x48, 0xc7, 0x03, 0x2a, 0x00, 0x00, 0x00, // mov    qword [rbx], 42      ; #PF: not mapped yet
  0xb9, 0xc0, 0xc6, 0x2d, 0x00,             // mov    ecx, 3000000
  0x48, 0x01, 0xc8,                         // loop: add rax, rcx
  0x48, 0xff, 0xc9,                         //       dec rcx
  0x75, 0xf8,                               //       jnz loop
  0x48, 0x8b, 0x3b,                         // mov    rdi, [rbx]
  0xb8, 0x3c, 0x00, 0x00, 0x00,             // mov    eax, 60              ; exit
  0x0f, 0x05,                               // syscall
  ...new TextEncoder().encode('hello from the guest\n'),
]);

// 1. Machine: 16 MiB of physical memory, page tables built by the host, a CPU at CPL 3.
const memory = new PhysicalMemory(16 * 1024 * 1024);
const frames = new FrameAllocator(memory);
const as = new AddressSpace(memory, frames);
as.mapAnonymous(CODE, code.length, { executable: true }); // read + execute, user
as.write(CODE, code);
const cpu = new Cpu(memory); // { cpl: 3 } is the default
cpu.mmu.cr3 = as.root;
cpu.rip = CODE;

// 2. The host owns the loop.
const decoder = new TextDecoder();
let exitStatus: number | null = null;
let interruptRaised = false;
const counts: Record<string, number> = {};
while (exitStatus === null) {
  const exit: VcpuExit = cpu.run(1_000_000);
  counts[exit.kind] = (counts[exit.kind] ?? 0) + 1;
  switch (exit.kind) {
    case 'syscall': {
      // rax = number, arguments in rdi rsi rdx r10 r8 r9; RIP is already after the syscall.
      const nr = cpu.regNum(Reg.RAX);
      if (nr === 1) {
        const bytes = as.read(cpu.regNum(Reg.RSI), cpu.regNum(Reg.RDX));
        process.stdout.write(`guest wrote: ${decoder.decode(bytes)}`);
        cpu.setRegNum(Reg.RAX, bytes.length);
      } else if (nr === 60) {
        exitStatus = cpu.regNum(Reg.RDI);
      } else {
        cpu.setRegNum(Reg.RAX, -38); // -ENOSYS
      }
      break;
    }
    case 'exception':
      // RIP points at the faulting instruction: fix the cause and it restarts on the next run().
      if (exit.vector === Vector.PF && (exit.errorCode & PfError.PRESENT) === 0) {
        const page = Number(BigInt.asIntN(64, exit.cr2 & ~0xfffn)); // signed canonical form
        const how = exit.errorCode & PfError.WRITE ? 'write' : 'read';
        console.log(
          `#PF (${how}) at 0x${exit.cr2.toString(16)}, rip 0x${cpu.rip.toString(16)}: mapping a page`,
        );
        as.map(page, frames.alloc(), { writable: true });
      } else {
        throw new Error(
          `guest fault ${VECTOR_NAMES[exit.vector]} (${exit.detail}) at 0x${cpu.rip.toString(16)}`,
        );
      }
      break;
    case 'budget':
      // A time-slice boundary: account, schedule, or (here) pretend a timer device fired once.
      if (!interruptRaised) {
        cpu.raiseInterrupt(0x20);
        interruptRaised = true;
      }
      break;
    case 'interrupt':
      console.log(`interrupt vector 0x${exit.vector.toString(16)} at ${cpu.instret} instructions`);
      break;
    case 'hlt':
      exitStatus = 0;
      break;
  }
}
console.log(`exit status ${exitStatus} after ${cpu.instret} instructions`);
console.log(`exits: ${JSON.stringify(counts)}`);

// 3. HLT is privileged: at CPL 3 it is #GP(0); at CPL 0 it is the `hlt` exit.
for (const cpl of [3, 0] as const) {
  const m = new PhysicalMemory(1024 * 1024);
  const s = new AddressSpace(m, new FrameAllocator(m));
  s.mapAnonymous(CODE, 1, { executable: true });
  s.write(CODE, new Uint8Array([0xf4])); // hlt
  const c = new Cpu(m, { cpl });
  c.mmu.cr3 = s.root;
  c.rip = CODE;
  const e = c.run(10);
  const what = e.kind === 'exception' ? `exception ${VECTOR_NAMES[e.vector]}(${e.errorCode})` : e.kind;
  console.log(`hlt at CPL ${cpl}: ${what}`);
}
