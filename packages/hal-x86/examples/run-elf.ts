/**
 * runStaticElf: a static Linux x86-64 executable on the simulated CPU, with the built-in Linux shim.
 *
 *   node --import tsx examples/run-elf.ts                  # a tiny ELF built below, byte by byte
 *   node --import tsx examples/run-elf.ts ./prog [ARGS...] # any static executable (musl-gcc -static ...)
 *
 * In your own code, import from '@exov6/hal-x86' instead of '../src/index'.
 */
import { readFileSync } from 'node:fs';
import { parseElf, runStaticElf, type X86RunResult } from '../src/index';

function report(r: X86RunResult): void {
  console.error(`exit code ${r.exitCode}, ${r.instructions} instructions, ${r.syscalls} system calls`);
  if (r.signal !== undefined) console.error(`killed by ${r.signal}: ${r.fault}`);
  if (Object.keys(r.unknownSyscalls).length > 0)
    console.error(`not implemented: ${JSON.stringify(r.unknownSyscalls)}`);
}

const path = process.argv[2];
if (path !== undefined) {
  // Stream the guest's output as it is written instead of collecting it.
  const r = runStaticElf(readFileSync(path), {
    argv: [path, ...process.argv.slice(3)],
    env: ['HOME=/', 'PATH=/bin'],
    stdin: new Uint8Array(0),
    stdout: (b) => process.stdout.write(b),
    stderr: (b) => process.stderr.write(b),
    collectOutput: false,
    maxInstructions: 5e9,
  });
  report(r);
  process.exit(r.exitCode);
}

/** A minimal ET_EXEC: one read+execute PT_LOAD that maps the whole file at 0x400000. */
function tinyElf(code: Uint8Array): Uint8Array {
  const BASE = 0x400000;
  const HEADERS = 64 + 56; // ELF header + one program header
  const file = new Uint8Array(HEADERS + code.length);
  const v = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // \x7fELF, 64-bit, little-endian, version 1
  v.setUint16(16, 2, true); // e_type = ET_EXEC
  v.setUint16(18, 62, true); // e_machine = EM_X86_64
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, BigInt(BASE + HEADERS), true); // e_entry: the code right after the headers
  v.setBigUint64(32, 64n, true); // e_phoff
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(54, 56, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint32(64, 1, true); // p_type = PT_LOAD
  v.setUint32(68, 5, true); // p_flags = R + X
  v.setBigUint64(80, BigInt(BASE), true); // p_vaddr
  v.setBigUint64(88, BigInt(BASE), true); // p_paddr
  v.setBigUint64(96, BigInt(file.length), true); // p_filesz
  v.setBigUint64(104, BigInt(file.length), true); // p_memsz
  v.setBigUint64(112, 0x1000n, true); // p_align
  file.set(code, HEADERS);
  return file;
}

// biome-ignore format: one instruction per line, with its assembly
const elf = tinyElf(new Uint8Array([
  0xb8, 0x01, 0x00, 0x00, 0x00,             // mov    eax, 1               ; write
  0xbf, 0x01, 0x00, 0x00, 0x00,             // mov    edi, 1
  0x48, 0x8d, 0x35, 0x18, 0x00, 0x00, 0x00, // lea    rsi, [rip+0x18]      ; msg
  0xba, 0x15, 0x00, 0x00, 0x00,             // mov    edx, 21
  0x0f, 0x05,                               // syscall
  0xb8, 0x27, 0x00, 0x00, 0x00,             // mov    eax, 39              ; getpid
  0x0f, 0x05,                               // syscall
  0x0f, 0xb6, 0xf8,                         // movzx  edi, al
  0xb8, 0xe7, 0x00, 0x00, 0x00,             // mov    eax, 231             ; exit_group
  0x0f, 0x05,                               // syscall
  ...new TextEncoder().encode('hello, static world!\n'),
]));

const info = parseElf(elf);
console.log(
  `ELF type ${info.type}, entry 0x${info.entry.toString(16)}, ${info.loads.length} PT_LOAD segment(s)`,
);

const r = runStaticElf(elf, { argv: ['tiny'] });
process.stdout.write(`stdout: ${new TextDecoder().decode(r.stdout)}`);
console.log(
  `exit code ${r.exitCode} (getpid() = 1000, & 0xff = ${1000 & 0xff}), ${r.instructions} instructions`,
);

// The instruction limit ends the process as if by SIGXCPU: exit code 128 + 24.
const limited = runStaticElf(elf, { argv: ['tiny'], maxInstructions: 3 });
console.log(`with maxInstructions 3: exit code ${limited.exitCode}, signal ${limited.signal}`);
