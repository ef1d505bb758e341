/**
 * A mounted file system, as /proc/mounts lists it: what was mounted (the source), where, its type and
 * options, and the root of its tree of inodes. Every file system here is a tree of in-memory inodes
 * with a device number of its own (st_dev), so what crosses from one to another (rename, link) is EXDEV.
 */
import type { Inode } from './inode';

export interface Mount {
  /** The first field of /proc/mounts: a device, or a name for a virtual file system ("proc", "none"). */
  source: string;
  /** File-system type: tmpfs (the root is one), devtmpfs, proc. */
  type: string;
  /** Mount options as /proc/mounts shows them. */
  options: string;
  /** The root of the mounted tree. */
  root: Inode;
  /** Writes what the file system holds in memory to its disk (sync(2)); in-memory ones have none. */
  sync?: () => void;
}
