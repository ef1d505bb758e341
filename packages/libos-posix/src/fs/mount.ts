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
  /** Its size and free space (statfs(2)), for a file system with a disk of its own. */
  statfs?: () => MountSpace;
}

/** What statfs(2) reports of a file system on a disk. */
export interface MountSpace {
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  /** Free blocks an unprivileged user may take (without the reserved ones). */
  availableBlocks: number;
  inodes: number;
  freeInodes: number;
}
