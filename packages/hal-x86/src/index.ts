/**
 * @exov6/hal-x86: a simulated x86-64 PC — physical memory, 4-level paging MMU with a software TLB, and a
 * CPU that runs 64-bit user code through a KVM-style run loop.
 */
export {
  PhysicalMemory,
  PhysicalMemoryError,
  FrameAllocator,
  PAGE_SIZE,
  PAGE_SHIFT,
} from './memory/physical-memory';
export { Mmu, Access, TlbPerm, TLB_SIZE, KEPT_TLB_CONTEXTS } from './mmu/mmu';
export type { AccessKind, TlbReader } from './mmu/mmu';
export { Pte, PTE_NX_HI, makePte } from './mmu/pte';
export { AddressSpace, AddressSpaceError, tableIndex, tableIndices } from './mmu/address-space';
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
export { DeterministicRandom } from './x86run/random';
export { CPUID1_EDX } from './cpu/cpuid';
export { ProcessMemory, GuestOutOfMemory, STACK_TOP, STACK_LIMIT, MMAP_TOP } from './x86run/vm';
export {
  SYSCALL_NAMES,
  syscallName,
  ERRNO,
  ERRNO_NAMES,
  SIG,
  SIGNAL_NAMES,
  signalName,
  NON_FATAL_DEFAULT,
  PROT,
  MAP,
} from './x86run/linux';
export type { InterruptAcknowledge } from './cpu/cpu';
export { CpuContext, CpuContextError, loadFpuContext, saveFpuContext } from './cpu/context';
export type { ContextParts } from './cpu/context';

// Devices and the platform around the CPU.
export { PortIoBus, MmioBus, BusError } from './devices/io-bus';
export type { AccessSize, PortDevice, MmioDevice } from './devices/io-bus';
export { irqLine, pulse, UNCONNECTED } from './devices/irq';
export type { IrqLine, IrqController } from './devices/irq';
export { MachineClock, ClockError } from './devices/machine-clock';
export type { MachineClockOptions, ClockMode, TimerId } from './devices/machine-clock';
export { PcPlatform, PC_LAYOUT } from './devices/pc-platform';
export type { PcPlatformOptions } from './devices/pc-platform';
export { ApicBus, DeliveryMode } from './devices/apic-bus';
export type { ApicBusAgent, ApicBusSource, InterruptMessage } from './devices/apic-bus';
export { ApicTimer, ApicTimerError, ApicTimerMode, APIC_TIMER_DEFAULT_HZ } from './devices/apic-timer';
export type { ApicTimerOptions } from './devices/apic-timer';
export {
  IoApic,
  IoApicError,
  IoApicMmio,
  IoApicRegister,
  IoApicRedirection,
  IOAPIC_DEFAULT_BASE,
  IOAPIC_WINDOW_SIZE,
  IOAPIC_PINS,
} from './devices/ioapic';
export type { IoApicOptions, IoApicVersion } from './devices/ioapic';
export {
  LocalApic,
  LocalApicError,
  LocalApicRegister,
  ApicErrorStatus,
  LOCAL_APIC_DEFAULT_BASE,
  LOCAL_APIC_WINDOW_SIZE,
} from './devices/local-apic';
export type { LocalApicOptions, InterruptTarget } from './devices/local-apic';
export {
  Pit8254,
  PitError,
  PIT_INPUT_HZ,
  PIT_BASE_PORT,
  PIT_PORT_COUNT,
  pitTicksAt,
  pitTickTimeNs,
} from './devices/pit8254';
export type { Pit8254Options, PitChannelState } from './devices/pit8254';
export { SystemControlPortB, SYSTEM_CONTROL_PORT_B } from './devices/port61';
export {
  CmosRtc,
  CmosRtcError,
  CMOS_INDEX_PORT,
  CMOS_DATA_PORT,
  CMOS_SIZE,
  RTC_DEFAULT_START_UNIX_MS,
  RtcRegister,
  RtcA,
  RtcB,
  RtcC,
  RtcD,
} from './devices/cmos-rtc';
export type { CmosRtcOptions, RtcDateTime } from './devices/cmos-rtc';
export {
  COM_PORTS,
  UART_BASE_BAUD,
  UART_FIFO_DEPTH,
  UART_REGISTER_COUNT,
  Uart16550,
  Uart16550Error,
  UartFcr,
  UartIer,
  UartIir,
  UartLcr,
  UartLsr,
  UartMcr,
  UartMsr,
  UartReg,
} from './devices/uart16550';
export type { ModemInputs, ReceiveErrors, SerialLine, Uart16550Options } from './devices/uart16550';
export { SerialHost, SerialHostError } from './devices/serial-host';
export type { SerialHostOptions, SerialHostStats } from './devices/serial-host';
export {
  MemoryBlockBackend,
  FileBlockBackend,
  BlockBackendError,
  BlockIoError,
} from './devices/block-backend';
export type {
  BlockBackend,
  MemoryBlockBackendOptions,
  FileBlockBackendOptions,
  WriteBackPolicy,
} from './devices/block-backend';
export {
  SplitVirtqueue,
  VirtqRequest,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY,
  VIRTQ_DESC_SIZE,
  VIRTQ_MAX_SIZE,
} from './devices/virtqueue';
export type { VirtqSegment, VirtqPop } from './devices/virtqueue';
export {
  VirtioMmioDevice,
  VirtioMmioError,
  VirtioMmioReg,
  VirtioStatus,
  VirtioFeature,
  featureBit,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_WINDOW_SIZE,
  VIRTIO_MMIO_DEFAULT_VENDOR,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INT_CONFIG,
} from './devices/virtio-mmio';
export type { VirtioDeviceModel, VirtioDeviceFailure, VirtioMmioOptions } from './devices/virtio-mmio';
export {
  VirtioBlockDevice,
  VirtioBlockError,
  VirtioBlkFeature,
  VirtioBlkRequestType,
  VirtioBlkStatus,
  VirtioBlkConfig,
  VIRTIO_ID_BLOCK,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_HEADER_BYTES,
} from './devices/virtio-blk';
export type { VirtioBlockOptions } from './devices/virtio-blk';
