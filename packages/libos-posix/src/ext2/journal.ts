/**
 * What the ext2 code needs of a journal: somewhere outside the file system's own memory where each
 * operation's metadata changes are committed, all at once, before any of them may reach the disk.
 *
 * With a journal attached (`VolumeOptions.journal`), every outermost operation ends with a commit:
 * 1. the file data it wrote goes to the device straight away (so a large write costs no extra copy; a
 *    crash before the commit leaves that data in blocks the committed state still counts as free, or
 *    over the same bytes again when the request is retried). The exception is a small write into a block
 *    the operation allocated: those few bytes are logged with the metadata instead (a small file costs a
 *    few log bytes rather than a block written, and its data is then all or nothing too);
 * 2. the metadata blocks it changed (bitmaps, inodes, directories, indirect blocks, superblock and
 *    descriptors) are handed to `commit` together, with the blocks now holding data written through,
 *    whose older logged copies must no longer be replayed.
 * Only committed blocks ever reach the device after that, so if the process keeping the file system dies
 * at any point, replaying the journal onto the disk gives exactly the state after the last commit. An
 * operation that dies half-way leaves nothing behind.
 *
 * The one exception: an operation whose metadata does not fit in the journal at all. The journal's own
 * blocks are then written to the disk first and the operation's after them, without the journal's
 * protection, so a crash in the middle of that write-back leaves part of it for e2fsck.
 */

import type { BlockBackend } from '@exov6/hal-x86';

/**
 * One logged block as an operation left it: the whole block, or (`offset` given) the bytes that changed
 * at `offset` since the block's last commit, of a block `blockSize` bytes long. A change is applied onto
 * what the block held at its last commit: the previous records in the log, or the disk when the log has
 * none (a checkpoint wrote it there); or, when `zeroed`, onto zeros (a block allocated by the operation:
 * the rest of it is zeros, whatever the disk holds there).
 */
export interface JournalBlock {
  readonly block: number;
  readonly data: Uint8Array;
  readonly offset?: number;
  readonly blockSize?: number;
  readonly zeroed?: boolean;
}

export interface Ext2Journal {
  /**
   * Makes one operation's metadata changes durable beyond the file system's memory, all or none.
   * `revoked`: blocks written to the device as file data, or freed, by the operation.
   */
  commit(blocks: readonly JournalBlock[], revoked: readonly number[]): void;
  /** True when the journal would like its blocks written to the device and its log emptied. */
  wantsCheckpoint(): boolean;
  /** Every committed block is now on the device (written and flushed): the log may start again. */
  checkpointed(): void;
  /**
   * Writes every committed block from the journal itself to `device`, flushes, and empties the log: done
   * before an operation too large for the journal is written back without it, so that no older copy is
   * replayed over it later.
   */
  applyTo(device: BlockBackend): void;
  /** Whether a commit of `blocks` blocks of `blockSize` bytes and `revoked` revocations fits now. */
  fits(blocks: number, blockSize: number, revoked: number): boolean;
}
