/** The file-system server: fs-protocol messages over an ext2 file system. */
export { FileServer, INLINE_DATA_MAX } from './file-server';
export type { DataWindow, FileServerStats } from './file-server';
export { encodeRequest, decodeResponse } from './fs-messages';
export type { FsRequest, FsResponse, FileHandle, FileAttributes, FsStatFs, Owner } from './fs-messages';
