/** The file-system server: fs-protocol messages over an ext2 file system. */
export { FileServer, INLINE_DATA_MAX } from './file-server';
export type { DataWindow, FileServerStats } from './file-server';
export { encodeRequest, decodeResponse } from './fs-messages';
export type { FsRequest, FsResponse, FileHandle, FileAttributes, FsStatFs, Owner } from './fs-messages';
export { ExtentBlockDevice } from './extent-device';
export { IpcFileServer, IpcFileClient, FsTransportError, FS_CALL, FS_REPLY } from './ipc-transport';
export { startFileServer, connectFileServer } from './file-server-environment';
export type {
  FileServerCapabilities,
  FileServerOptions,
  RunningFileServer,
  ConnectOptions,
} from './file-server-environment';
