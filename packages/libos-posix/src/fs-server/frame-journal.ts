/**
 * The file-system server's journal, kept in frames the server does not own: the supervisor allocates
 * them once and grants them to every incarnation of the server, so what one incarnation committed is
 * still there when it dies and the next one starts. It is a redo log of metadata blocks (see
 * ext2/journal.ts) plus, for each client, the answer to its last request that changed something, so a
 * request that a dying server committed but never answered is answered from here when the client sends
 * it again, not carried out twice.
 *
 * Layout (little-endian u32 words):
 *   frame 0           header: magic, commit sequence, bytes of log in use
 *   frames 1-2        reply slots, 2 KiB each: client + 1 (0: empty), sequence, request id (lo, hi),
 *                     request hash, answer length, answer bytes
 *   frame 3 onwards   the log: BLOCK records (kind 1, block number, length, bytes), REVOKE records
 *                     (kind 2, count, block numbers) and PATCH records (kind 3, block number, block
 *                     size, offset, length, bytes: the bytes of a block that changed since its last
 *                     commit, applied onto the block as the log or else the disk has it), and
 *                     ZEROED_PATCH records (kind 4, as PATCH, applied onto a block of zeros: a block
 *                     allocated by the operation)
 * A commit appends its records after the log in use, writes the reply slot, and then writes the header's
 * sequence and length in one frame write: that write is the commit. A crash before it leaves records past
 * the end and a reply slot with a sequence the header has not reached, and both are ignored (and the slot
 * cleared) when the journal is opened again. Not power-safe: the frames are memory, and a power cut loses
 * them with everything else not yet on the disk.
 */
import type { BlockBackend } from '@exov6/hal-x86';
import type { Ext2Journal, JournalBlock } from '../ext2/journal';
import { FRAME_BYTES, type FrameRange } from './frame-range';

const MAGIC = 0x314a5845; // "EXJ1"
const HEADER_SEQUENCE = 4;
const SLOT_FRAMES = 2;
const SLOT_BYTES = 2048;
const SLOT_HEADER = 24;
const SLOT_COUNT = (SLOT_FRAMES * FRAME_BYTES) / SLOT_BYTES;
const LOG_START = (1 + SLOT_FRAMES) * FRAME_BYTES;
const BLOCK_RECORD = 1;
const REVOKE_RECORD = 2;
const PATCH_RECORD = 3;
const ZEROED_PATCH_RECORD = 4;
const BLOCK_HEADER = 12;
const PATCH_HEADER = 20;

/** The least number of frames a journal needs: header, reply slots and some log. */
export const MIN_JOURNAL_FRAMES = 1 + SLOT_FRAMES + 16;

/** The journal's frames hold something that is not a journal this code wrote. */
export class JournalError extends Error {
  override name = 'JournalError';
}

/** A client's last answered request that changed something. */
export interface SavedReply {
  readonly id: bigint;
  readonly hash: number;
  readonly answer: Uint8Array;
}

export interface JournalStats {
  commits: number;
  checkpoints: number;
  /** Bytes of log in use now. */
  logBytes: number;
  /**
   * Blocks written to the device from the log itself: when the journal was opened (what a dead
   * incarnation left), and before an operation too large for it.
   */
  replayedBlocks: number;
}

/** FNV-1a over the request bytes: a retried request is the same bytes. */
export function requestHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193) >>> 0;
  return h;
}

export class FrameJournal implements Ext2Journal {
  readonly stats: JournalStats = { commits: 0, checkpoints: 0, logBytes: 0, replayedBlocks: 0 };
  private sequence = 0;
  private end = 0;
  private readonly replies = new Map<number, SavedReply & { slot: number }>();
  private pending: { client: number; reply: SavedReply } | null = null;
  /** Where records, reply slots and the header are laid out before they are written (kept, and grown). */
  private scratch = new Uint8Array(FRAME_BYTES);
  private scratchView = new DataView(this.scratch.buffer);

  private constructor(private readonly range: FrameRange) {}

  /**
   * Opens the journal in `range`: frames of zeros become an empty journal; a journal a dead incarnation
   * left is replayed onto `device` (its committed blocks written and flushed) and then emptied, keeping
   * the saved replies.
   */
  static open(range: FrameRange, device: BlockBackend): FrameJournal {
    if (range.frames.length < MIN_JOURNAL_FRAMES) {
      throw new JournalError(
        `a journal needs at least ${MIN_JOURNAL_FRAMES} frames, not ${range.frames.length}`,
      );
    }
    const journal = new FrameJournal(range);
    const header = words(range.readAt(0, 12));
    if (header[0] === 0 && header[1] === 0 && header[2] === 0) {
      range.writeAt(0, u32s([MAGIC, 0, 0]));
    } else if (header[0] !== MAGIC) {
      throw new JournalError('the journal frames do not hold a journal');
    } else {
      journal.sequence = header[1] as number;
      journal.end = header[2] as number;
      if (journal.end > journal.capacity)
        throw new JournalError(`the journal's log length ${journal.end} is past its end`);
      journal.readSlots();
      journal.applyTo(device);
    }
    return journal;
  }

  get capacity(): number {
    return this.range.size - LOG_START;
  }

  private readSlots(): void {
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const at = FRAME_BYTES + slot * SLOT_BYTES;
      const [client, sequence, lo, hi, hash, length] = words(this.range.readAt(at, SLOT_HEADER));
      if (client === 0) continue;
      if ((sequence as number) > this.sequence || (length as number) > SLOT_BYTES - SLOT_HEADER) {
        // Written by a commit that never happened: cleared, so a later commit's sequence cannot make it
        // look valid.
        this.range.writeAt(at, new Uint8Array(SLOT_HEADER));
        continue;
      }
      this.replies.set((client as number) - 1, {
        slot,
        id: (BigInt(hi as number) << 32n) | BigInt(lo as number),
        hash: hash as number,
        answer: this.range.readAt(at + SLOT_HEADER, length as number),
      });
    }
  }

  /**
   * Writes every committed block to the device (the latest copy of each: a revoke cancels earlier
   * ones), flushes it, and empties the log, keeping the saved replies.
   */
  applyTo(device: BlockBackend): void {
    const latest = new Map<number, Uint8Array>();
    const log = this.range.readAt(LOG_START, this.end);
    const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
    let at = 0;
    while (at < log.length) {
      const kind = view.getUint32(at, true);
      if (kind === BLOCK_RECORD) {
        const block = view.getUint32(at + 4, true);
        const length = view.getUint32(at + 8, true);
        if (at + BLOCK_HEADER + length > log.length)
          throw new JournalError(`a block record at ${at} runs past the log`);
        latest.set(block, log.subarray(at + BLOCK_HEADER, at + BLOCK_HEADER + length));
        at += BLOCK_HEADER + length;
      } else if (kind === PATCH_RECORD || kind === ZEROED_PATCH_RECORD) {
        const block = view.getUint32(at + 4, true);
        const blockSize = view.getUint32(at + 8, true);
        const offset = view.getUint32(at + 12, true);
        const length = view.getUint32(at + 16, true);
        if (at + PATCH_HEADER + length > log.length || offset + length > blockSize) {
          throw new JournalError(`a patch record at ${at} runs past the log or its block`);
        }
        if (blockSize < 1024 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
          throw new JournalError(`a patch record at ${at} names a block size of ${blockSize}`);
        }
        let base = latest.get(block);
        if (kind === ZEROED_PATCH_RECORD) {
          base = new Uint8Array(blockSize);
          latest.set(block, base);
        } else if (base === undefined || base.length !== blockSize) {
          base = new Uint8Array(blockSize);
          device.read(block * blockSize, base);
          latest.set(block, base);
        }
        base.set(log.subarray(at + PATCH_HEADER, at + PATCH_HEADER + length), offset);
        at += PATCH_HEADER + length;
      } else if (kind === REVOKE_RECORD) {
        const count = view.getUint32(at + 4, true);
        if (at + 8 + 4 * count > log.length)
          throw new JournalError(`a revoke record at ${at} runs past the log`);
        for (let i = 0; i < count; i++) latest.delete(view.getUint32(at + 8 + 4 * i, true));
        at += 8 + 4 * count;
      } else {
        throw new JournalError(`unknown record kind ${kind} at ${at} of the log`);
      }
    }
    for (const [block, data] of [...latest].sort((a, b) => a[0] - b[0])) {
      device.write(block * data.length, data);
      this.stats.replayedBlocks++;
    }
    device.flush();
    this.checkpointed();
  }

  fits(blocks: number, blockSize: number, revoked: number): boolean {
    return this.end + blocks * (BLOCK_HEADER + blockSize) + 8 + 4 * revoked <= this.capacity;
  }

  wantsCheckpoint(): boolean {
    return this.end > this.capacity / 2;
  }

  commit(blocks: readonly JournalBlock[], revoked: readonly number[]): void {
    let bytes = revoked.length > 0 ? 8 + 4 * revoked.length : 0;
    for (const b of blocks) bytes += (b.offset === undefined ? BLOCK_HEADER : PATCH_HEADER) + b.data.length;
    const records = this.scratchBytes(bytes);
    const view = this.scratchView;
    let at = 0;
    for (const b of blocks) {
      if (b.offset === undefined) {
        view.setUint32(at, BLOCK_RECORD, true);
        view.setUint32(at + 4, b.block, true);
        view.setUint32(at + 8, b.data.length, true);
        at += BLOCK_HEADER;
      } else {
        view.setUint32(at, b.zeroed === true ? ZEROED_PATCH_RECORD : PATCH_RECORD, true);
        view.setUint32(at + 4, b.block, true);
        view.setUint32(at + 8, b.blockSize ?? 0, true);
        view.setUint32(at + 12, b.offset, true);
        view.setUint32(at + 16, b.data.length, true);
        at += PATCH_HEADER;
      }
      records.set(b.data, at);
      at += b.data.length;
    }
    if (revoked.length > 0) {
      view.setUint32(at, REVOKE_RECORD, true);
      view.setUint32(at + 4, revoked.length, true);
      for (const [i, n] of revoked.entries()) view.setUint32(at + 8 + 4 * i, n, true);
    }
    if (this.end + bytes > this.capacity) throw new JournalError('a commit past the end of the journal');
    if (bytes > 0) this.range.writeAt(LOG_START + this.end, records);
    this.writePendingReply();
    this.writeHeader(this.sequence + 1, this.end + bytes);
    this.stats.commits++;
  }

  checkpointed(): void {
    if (this.end === 0) return;
    this.writeHeader(this.sequence, 0);
    this.stats.checkpoints++;
  }

  /** The client's last saved answer, when it is for this very request. */
  savedReply(client: number, id: bigint, hash: number): Uint8Array | null {
    const saved = this.replies.get(client);
    return saved !== undefined && saved.id === id && saved.hash === hash ? saved.answer : null;
  }

  /**
   * Keeps `answer` as the client's answer to request `id`, to be written by the next commit (with the
   * changes the request made) or by `commitReply` when it changed nothing. An answer too long for a
   * slot is not kept (a retry then carries the request out again).
   */
  noteReply(client: number, id: bigint, hash: number, answer: Uint8Array): void {
    this.pending = answer.length <= SLOT_BYTES - SLOT_HEADER ? { client, reply: { id, hash, answer } } : null;
  }

  /** Commits a noted answer that no commit of changes took along. */
  commitReply(): void {
    if (this.pending === null) return;
    this.commit([], []);
  }

  private writePendingReply(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    let slot = this.replies.get(p.client)?.slot;
    if (slot === undefined) {
      const used = new Set([...this.replies.values()].map((r) => r.slot));
      slot = [...Array(SLOT_COUNT).keys()].find((s) => !used.has(s));
      // More clients than slots: their answers are not kept (retries carry requests out again).
      if (slot === undefined) return;
    }
    // The slot: client + 1, the sequence of the commit it belongs to, the request id (64 bits), the
    // request's hash, the answer's length, then the answer.
    const { id, hash, answer } = p.reply;
    const out = this.scratchBytes(SLOT_HEADER + answer.length);
    const view = this.scratchView;
    view.setUint32(0, p.client + 1, true);
    view.setUint32(4, (this.sequence + 1) >>> 0, true);
    view.setBigUint64(8, BigInt.asUintN(64, id), true);
    view.setUint32(16, hash >>> 0, true);
    view.setUint32(20, answer.length, true);
    out.set(answer, SLOT_HEADER);
    this.range.writeAt(FRAME_BYTES + slot * SLOT_BYTES, out);
    this.replies.set(p.client, { id, hash, answer, slot });
  }

  /** The first `length` bytes of the scratch buffer (grown when it is too small). */
  private scratchBytes(length: number): Uint8Array {
    if (this.scratch.length < length) {
      this.scratch = new Uint8Array(Math.max(length, 2 * this.scratch.length));
      this.scratchView = new DataView(this.scratch.buffer);
    }
    return this.scratch.subarray(0, length);
  }

  private writeHeader(sequence: number, end: number): void {
    const header = this.scratchBytes(8);
    this.scratchView.setUint32(0, sequence >>> 0, true);
    this.scratchView.setUint32(4, end, true);
    this.range.writeAt(HEADER_SEQUENCE, header);
    this.sequence = sequence >>> 0;
    this.end = end;
    this.stats.logBytes = end;
  }
}

function u32s(values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(4 * i, (values[i] as number) >>> 0, true);
  return out;
}

function words(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
}
