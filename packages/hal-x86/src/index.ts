/**
 * @exov6/hal-x86: a simulated x86-64 PC — physical memory, 4-level paging MMU with a software TLB, and a
 * CPU that runs 64-bit user code through a KVM-style run loop.
 */
export { PhysicalMemory, PhysicalMemoryError, FrameAllocator, PAGE_SIZE, PAGE_SHIFT } from './memory/physical-memory';
export { Mmu, Access, TlbPerm, TLB_SIZE } from './mmu/mmu';
export type { AccessKind } from './mmu/mmu';
export { Pte, PTE_NX_HI, makePte } from './mmu/pte';
export { AddressSpace, AddressSpaceError, tableIndices } from './mmu/address-space';
export type { PagePermissions } from './mmu/address-space';
export { Cpu } from './cpu/cpu';
export type { CpuOptions } from './cpu/cpu';
export type { VcpuExit, VcpuExitKind } from './cpu/exit';
export { GuestFault, Vector, VECTOR_NAMES, PfError } from './cpu/fault';
export { Flag, ARITH_FLAGS } from './cpu/flags';
export { Reg, REG64_NAMES, REG32_NAMES, REG16_NAMES, REG8_NAMES } from './cpu/registers';
export type { RegName } from './cpu/registers';
export { cpuidLeaf } from './cpu/cpuid';
export { Decoder } from './isa/decoder';
export { Insn } from './isa/insn';
export type { OpDef, OpDefInput, Handler } from './isa/opdef';
export { OPCODE_TABLE } from './isa/tables';
export { disassemble, disassembleAt, disassembleBytes } from './isa/disasm';
export type { DisasmBufferOptions, DisasmLine, DisasmOptions, Symbolizer } from './isa/disasm';
export { createTracer } from './isa/trace';
export type { TraceOptions, Tracer } from './isa/trace';
export { ElfError, parseElf, PT, PF, ET_EXEC, ET_DYN, EM_X86_64, USER_ADDRESS_LIMIT } from './elf/elf';
export type { ElfErrorCode, ElfFile, ProgramHeader } from './elf/elf';
export { loadElf, loadBias, phdrAddress, imageRegions, STATIC_PIE_BASE } from './elf/loader';
export type { LoadOptions, LoadedImage, LoadedRegion } from './elf/loader';
export { AT, AT_NAMES, buildInitialStack, linuxAuxv } from './elf/stack';
export type { AuxvEntry, InitialStack, InitialStackParams, LinuxAuxvParams } from './elf/stack';
export { readSymbols, SymbolTable } from './elf/symbols';
export type { ElfSymbol } from './elf/symbols';
export { runStaticElf, LinuxProcess } from './x86run/run';
export type { RunOptions as X86RunOptions, RunResult as X86RunResult, StdinSource } from './x86run/run';
export { LinuxSyscalls, EPOCH_SECONDS, NS_PER_INSTRUCTION } from './x86run/syscalls';
export { ProcessMemory, GuestOutOfMemory, STACK_TOP, STACK_LIMIT, MMAP_TOP } from './x86run/vm';
export { SYSCALL_NAMES, syscallName, ERRNO, SIG, signalName } from './x86run/linux';
