/** ext2 (revision 1): the on-disk format, read and write, and mkfs. */
export { Ext2FileSystem, EXT2_LINK_MAX } from './ext2-file-system';
export type { Ext2Stat, Ext2StatFs, Ext2Owner, Ext2Attributes } from './ext2-file-system';
export type { DirectoryEntry } from './directory';
export { Ext2Error } from './ext2-error';
export type { Ext2ErrorCode } from './ext2-error';
export { mkfs } from './mkfs';
export type { MkfsOptions, MkfsResult } from './mkfs';
export type { VolumeOptions } from './volume';
export type { BufferCacheStats } from './buffer-cache';
