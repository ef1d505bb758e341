/**
 * @exov6/libos-posix: the POSIX library OS of ExoV6. Linux x86-64 system calls of unmodified static
 * programs, served in TypeScript on the exokernel's capability-checked primitives and upcalls.
 */
export { PosixSystem, HostStdio } from './posix-system';
export type { PosixSystemOptions, SpawnOptions, Stdio } from './posix-system';
export { Process } from './process/process';
export type { ProcessState } from './process/process';
export {
  describeStatus,
  exitedStatus,
  signaledStatus,
  stoppedStatus,
  CONTINUED_STATUS,
} from './process/wait-status';
export { loadProgram, STACK_TOP, STACK_SIZE, MMAP_TOP } from './process/program-image';
export type { ExecRequest, LoadedProgram } from './process/program-image';
export { WaitQueue } from './process/wait-queue';
export { ProcessMemory } from './memory/process-memory';
export type { PageEntry, SegvKind } from './memory/process-memory';
export { AddressMap } from './memory/address-map';
export type { VmArea, AreaKind } from './memory/address-map';
export { FramePool, PAGE_SIZE } from './memory/frame-pool';
export { PageCache } from './memory/page-cache';
export { FileMappingSource } from './memory/page-source';
export type { PageSource, SourcedPage } from './memory/page-source';
export { ImagePages } from './process/image-pages';
export type { ImageCaching } from './process/image-pages';
export { FileSystem } from './fs/file-system';
export type { Mount, MountSpace } from './fs/mount';
export { Inode, ROOT_DEV } from './fs/inode';
export type { Device, AttributeChanges, NewObject } from './fs/inode';
export { OpenFile, O } from './files/open-file';
export type { Blocked } from './files/open-file';
export { Pipe, PipeReadEnd, PipeWriteEnd, PIPE_CAPACITY } from './files/pipe';
export { HostInput, HostInputFile, HostOutputFile } from './files/host-stream';
export { FdTable } from './files/fd-table';
export type { FileStat } from './files/file-stat';
export { SignalState } from './signals/signal-state';
export type { SigAction, SigInfo } from './signals/signal-state';
export { SyscallError } from './errno';
export { implementedCalls } from './syscalls/table';
export { Terminal } from './tty/terminal';
export type { TerminalLine } from './tty/terminal';
export { TtyFile, CONSOLE_RDEV } from './tty/tty-file';
export { UartConsole } from './tty/uart-console';
export type { UartConsoleCapabilities } from './tty/uart-console';
export { saneTermios, encodeTermios, decodeTermios } from './tty/termios';
export type { Termios } from './tty/termios';
export {
  Ext2FileSystem,
  EXT2_LINK_MAX,
  Ext2Error,
  mkfs,
} from './ext2/index';
export type {
  Ext2Stat,
  Ext2StatFs,
  Ext2Owner,
  Ext2Attributes,
  DirectoryEntry,
  Ext2ErrorCode,
  MkfsOptions,
  MkfsResult,
  VolumeOptions,
  BufferCacheStats,
} from './ext2/index';
export {
  FileServer,
  INLINE_DATA_MAX,
  encodeRequest,
  decodeResponse,
  ExtentBlockDevice,
  IpcFileServer,
  IpcFileClient,
  FsTransportError,
  FS_CALL,
  FS_REPLY,
  startFileServer,
  connectFileServer,
} from './fs-server/index';
export type {
  DataWindow,
  FileServerStats,
  FsRequest,
  FsResponse,
  FileHandle,
  FileAttributes,
  FsStatFs,
  Owner,
  FileServerCapabilities,
  FileServerOptions,
  RunningFileServer,
  ConnectOptions,
} from './fs-server/index';
export { RemoteFileSystem } from './fs/remote-file-system';
export type { FsConnection, RemoteStats, Recovery } from './fs/remote-file-system';
export { FileServerRestarting } from './fs/file-server-restarting';
export { FrameJournal, JournalError, MIN_JOURNAL_FRAMES } from './fs-server/frame-journal';
export { FrameRange, FRAME_BYTES } from './fs-server/frame-range';
export type { JournalStats, SavedReply } from './fs-server/frame-journal';
export type { Ext2Journal, JournalBlock } from './ext2/journal';
export {
  Supervisor,
  DEFAULT_RESTART_POLICY,
  restartDelay,
  restartPolicy,
  awaitService,
  SUPERVISOR_CALL,
  SUPERVISOR_ANSWER,
} from './supervisor/index';
export type {
  ServiceContext,
  ServiceSpec,
  ServiceStatus,
  ServiceReport,
  SupervisorEvent,
  SupervisorOptions,
  RestartPolicy,
  ServiceState,
} from './supervisor/index';
export { RemoteInode } from './fs/remote-inode';
