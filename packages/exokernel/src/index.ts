/**
 * @exov6/exokernel: secure multiplexing of CPU, memory, devices and IPC through capabilities, with upcalls
 * to library operating systems. Mechanism only: it knows nothing of processes, files or sockets.
 */
export { Exokernel, USER_VA_LIMIT } from './kernel';
export type {
  ExokernelOptions,
  RootEnvironmentOptions,
  CapabilityInfo,
  KernelSnapshot,
  BootCapabilities,
} from './kernel';
export { EnvApi } from './env-api';
export { Environment } from './environment';
export type { EnvironmentStatus, RevocationNotice } from './environment';
export { ExoError, ExoErrno } from './errors';
export type { ExoErrorCode } from './errors';
export {
  ObjectType,
  FRAME_RIGHTS,
  ADDRESS_SPACE_RIGHTS,
  ENVIRONMENT_RIGHTS,
  ENDPOINT_RIGHTS,
  IO_PORT_RIGHTS,
  IRQ_RIGHTS,
  TIMER_RIGHTS,
  BLOCK_EXTENT_RIGHTS,
} from './objects';
export { DeviceLayer, IRQ_VECTOR_BASE, PORT_RANGES, IRQ_PINS } from './devices';
export type { Extent } from './devices';
export { VirtioBlkDriver, VirtioBlkDriverError } from './virtio-blk-driver';
export type {
  VirtioBlkDriverErrorCode,
  VirtioBlkDriverOptions,
  VirtioBlkRequestStatus,
} from './virtio-blk-driver';
export type { IpcMessage, IpcOperation, IpcResult, ReceivedMessage } from './ipc';
export type { ObjectTypeName } from './objects';
export type { Mapping } from './mapping-record';
export { Executor, DEFAULT_SLICE } from './execution';
export type { RunOptions, RunSummary, RunStopReason, ExitRecord } from './execution';
export type {
  UpcallHandlers,
  UpcallResult,
  SyscallEvent,
  PageFaultEvent,
  ExceptionEvent,
  ChildEndedEvent,
  GasEvent,
  InterruptEvent,
  TimerEvent,
  IpcEvent,
} from './upcalls';
export { EXO_SYSCALL_BASE, ExoSyscall, UTRAPFRAME_SIZE } from './guest-abi';
export { EXO_MSG_SIZE } from './guest-ipc-upcall';
export { LiveSyscall } from './live-syscall';
