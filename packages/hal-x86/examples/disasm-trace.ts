/**
 * The opcode table and what is built from it: the decoder, the AT&T disassembler (objdump -d spelling)
 * and the instruction tracer. Also CPUID, which says what the table implements.
 *
 *   node --import tsx examples/disasm-trace.ts
 *
 * In your own code, import from '@exov6/hal-x86' instead of '../src/index'.
 */
import {
  AddressSpace,
  Cpu,
  cpuidLeaf,
  createTracer,
  Decoder,
  disassembleBytes,
  FrameAllocator,
  OPCODE_TABLE,
  PhysicalMemory,
} from '../src/index';

// biome-ignore format: one instruction per line, with its assembly
const code = new Uint8Array([
  0x55,                         // push   %rbp
  0x48, 0x89, 0xe5,             // mov    %rsp,%rbp
  0xb8, 0x05, 0x00, 0x00, 0x00, // mov    $0x5,%eax
  0x48, 0x6b, 0xc0, 0x07,       // imul   $0x7,%rax,%rax
  0xf2, 0x0f, 0x2a, 0xc0,       // cvtsi2sd %eax,%xmm0
  0xd9, 0xe8,                   // fld1
  0x5d,                         // pop    %rbp
  0xf4,                         // hlt
]);
const BASE = 0x401000;

// 1. Disassembly of a buffer (no CPU needed).
console.log('disassembly:');
for (const line of disassembleBytes(code, BASE)) {
  const hex = Array.from(line.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  console.log(`  ${line.address.toString(16)}:\t${hex.padEnd(20)}\t${line.text}`);
}

// 2. The decoder on its own: one Insn with its table row.
const insn = new Decoder(OPCODE_TABLE).decode(code, 9, code.length - 9, BASE + 9);
console.log(
  `decoded: ${insn.def.mnemonic}, ${insn.len} bytes, operand size ${insn.opsize}, next 0x${insn.next.toString(16)}`,
);

// 3. Tracing execution: one line per instruction plus the registers it changed.
const memory = new PhysicalMemory(1024 * 1024);
const as = new AddressSpace(memory, new FrameAllocator(memory));
as.mapAnonymous(BASE, code.length, { executable: true });
as.mapAnonymous(0x7000, 0x1000, { writable: true }); // a stack page
as.write(BASE, code);
const lines: string[] = [];
const trace = createTracer((l) => lines.push(l), {
  symbolize: (a) => (a === BigInt(BASE) ? 'demo' : undefined),
});
const cpu = new Cpu(memory, { cpl: 0, trace });
cpu.mmu.cr3 = as.root;
cpu.rip = BASE;
cpu.rsp = 0x8000;
const exit = cpu.run(100);
trace.flush();
console.log(`trace (exit: ${exit.kind}):`);
for (const l of lines) console.log(`  ${l}`);
console.log(`rax = ${cpu.getReg(0)}, xmm0 = ${cpu.xmmF64[0]}`);

// 4. The table by area, and CPUID.
const areas = { integer: 0, sse: 0, x87: 0 };
for (const d of OPCODE_TABLE) {
  if (d.map === 0 && d.opcode >= 0xd8 && d.opcode <= 0xdf) areas.x87++;
  else if (d.size === 'x' && d.map === 1 && d.prefix !== 'any') areas.sse++;
  else areas.integer++;
}
console.log(`opcode table: ${OPCODE_TABLE.length} rows (${JSON.stringify(areas)})`);
const [, ebx, ecx, edx] = cpuidLeaf(0, 0);
const vendor = new TextDecoder().decode(new Uint32Array([ebx, edx, ecx]));
const features = cpuidLeaf(1, 0)[3];
console.log(
  `cpuid: vendor "${vendor}", leaf 1 edx 0x${(features >>> 0).toString(16)} (SSE2: ${(features >>> 26) & 1})`,
);
