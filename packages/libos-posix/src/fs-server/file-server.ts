/**
 * The file-system server's request handler: one fs-protocol Request message in, one Response message out,
 * over an ext2 file system. It knows nothing of how messages travel (exokernel IPC, a test's function
 * call): a transport hands it the request bytes and the client's data window and sends back what it
 * returns.
 *
 * Handles are checked against the inode's generation, so a handle to a file that was deleted (and whose
 * inode may now hold another file) is refused with ESTALE instead of reaching the wrong file. Refusals of
 * the file system (ENOENT, ENOSPC, CORRUPT...) and malformed requests become error responses: nothing a
 * client sends makes `handle` throw. Only a bug of the server itself escapes, which ends the server's
 * environment (and the supervisor starts another).
 */
import { CapnpError, MessageBuilder, readMessage } from '@exov6/capnp-lite';
import { ERRNO } from '@exov6/hal-x86';
import type { Ext2FileSystem, Ext2Stat } from '../ext2/ext2-file-system';
import { Ext2Error } from '../ext2/ext2-error';
import { type FrameJournal, requestHash } from './frame-journal';
import { type AttributesBuilder, Request, ResponseBuilder } from './fs-protocol.capnp.js';

/** The client's bulk-data frames as the server sees them. */
export interface DataWindow {
  readonly size: number;
  /** The first `length` bytes of the window. */
  read(length: number): Uint8Array;
  /** Puts `bytes` at the start of the window. */
  write(bytes: Uint8Array): void;
}

/** Inline data (in the message itself) is limited to this; more goes through the data window. */
export const INLINE_DATA_MAX = 4096;
/** Most responses are a few words; a listing or inline data gets another segment as it grows. */
const RESPONSE_SEGMENT = { firstSegmentWords: 128 };

/** A refusal that is the server's rather than the file system's. */
class ServerRefusal extends Error {
  constructor(
    readonly errno: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SETATTR = { mode: 1, uid: 2, gid: 4, atime: 8, mtime: 16 } as const;

export interface FileServerStats {
  requests: number;
  refused: number;
  /** Retried requests answered from the journal's saved replies instead of carried out again. */
  answeredAgain: number;
}

/** Requests that change the file system: their answers are kept, so a retry is not carried out twice. */
const CHANGES = new Set<number>([
  Request.Which.write,
  Request.Which.truncate,
  Request.Which.create,
  Request.Which.mkdir,
  Request.Which.symlink,
  Request.Which.link,
  Request.Which.unlink,
  Request.Which.rmdir,
  Request.Which.rename,
  Request.Which.setattr,
]);

export class FileServer {
  readonly stats: FileServerStats = { requests: 0, refused: 0, answeredAgain: 0 };
  /** Every answer is built here in turn (one request at a time), so answering allocates only its bytes. */
  private readonly message = new MessageBuilder(RESPONSE_SEGMENT);

  /**
   * `journal`: where the file system commits (attached to it at mount) and where the answers to
   * requests that change something are kept, each in the same commit as the change.
   */
  constructor(
    readonly fs: Ext2FileSystem,
    private readonly journal: FrameJournal | null = null,
  ) {}

  /**
   * Answers one request message from `client` (the transport's name for the sender). Under a journal, a
   * request that changes something runs as one commit with its answer; the same request sent again
   * (after this server, or one before it, died before answering) gets the kept answer.
   */
  handle(requestBytes: Uint8Array, window: DataWindow | null = null, client = 0): Uint8Array {
    const journal = this.journal;
    if (journal === null) return this.answer(requestBytes, window);
    let request: Request;
    let kind: number;
    let id: bigint;
    try {
      request = readMessage(requestBytes).getRoot(Request);
      kind = request.which();
      id = request.id;
    } catch (e) {
      if (!(e instanceof CapnpError)) throw e;
      return this.answer(requestBytes, window);
    }
    if (!CHANGES.has(kind)) return this.fs.atomically(() => this.answer(requestBytes, window, request));
    const hash = requestHash(requestBytes);
    const saved = journal.savedReply(client, id, hash);
    if (saved !== null) {
      this.stats.requests++;
      this.stats.answeredAgain++;
      return saved;
    }
    const answer = this.fs.atomically(() => {
      const bytes = this.answer(requestBytes, window, request);
      journal.noteReply(client, id, hash, bytes);
      return bytes;
    });
    journal.commitReply();
    return answer;
  }

  /** The answer to a request (`parsed`: the request already read from `requestBytes`, when it was). */
  private answer(requestBytes: Uint8Array, window: DataWindow | null, parsed?: Request): Uint8Array {
    this.stats.requests++;
    const message = this.message;
    message.reset();
    const response = message.initRoot(ResponseBuilder);
    try {
      const request = parsed ?? readMessage(requestBytes).getRoot(Request);
      response.id = request.id;
      this.dispatch(request, response, window);
    } catch (e) {
      if (!(e instanceof Ext2Error || e instanceof ServerRefusal || e instanceof CapnpError)) throw e;
      this.stats.refused++;
      // A fresh message: whatever the failed operation had started to build is dropped.
      const id = response.id;
      message.reset();
      const answer = message.initRoot(ResponseBuilder);
      answer.id = id;
      const error = answer.initError();
      if (e instanceof CapnpError) {
        error.errno = ERRNO.EINVAL;
        error.code = 'BAD_REQUEST';
      } else {
        error.errno = e.errno;
        error.code = e.code;
      }
      error.message = e.message;
      answer.setNone();
      return message.toBytes();
    }
    return message.toBytes();
  }

  /** The stat of the file a handle names; ESTALE when the inode now holds another file or none. */
  private resolve(request: Request | { ino: number; generation: number }): Ext2Stat {
    const handle = request instanceof Request ? request.handle : request;
    if (handle.ino < 1 || handle.ino > this.fs.statfs().inodes) {
      throw new ServerRefusal(ERRNO.ESTALE, 'STALE', `inode ${handle.ino} does not exist`);
    }
    try {
      const st = this.fs.stat(handle.ino);
      if (st.generation !== handle.generation) {
        throw new ServerRefusal(ERRNO.ESTALE, 'STALE', `inode ${handle.ino} holds another file now`);
      }
      return st;
    } catch (e) {
      if (e instanceof Ext2Error && e.code === 'ENOENT') {
        throw new ServerRefusal(ERRNO.ESTALE, 'STALE', `inode ${handle.ino} is not in use`);
      }
      throw e;
    }
  }

  private dispatch(q: Request, r: ResponseBuilder, window: DataWindow | null): void {
    const fs = this.fs;
    const W = Request.Which;
    const attributes = (ino: number) => putAttributes(r.initAttributes(), fs.stat(ino));
    r.setNone();
    switch (q.which()) {
      case W.root:
        attributes(fs.rootIno);
        return;
      case W.getattr:
        // (the stat that checked the handle is the answer)
        putAttributes(r.initAttributes(), this.resolve(q));
        return;
      case W.lookup:
        attributes(fs.lookup(this.resolve(q).ino, q.lookup));
        return;
      case W.readdir: {
        const entries = fs.readdir(this.resolve(q).ino);
        const list = r.initEntries(entries.length);
        entries.forEach((e, i) => {
          const out = list.get(i);
          out.name = e.name;
          out.ino = e.ino;
          out.type = e.type;
        });
        return;
      }
      case W.read: {
        const { ino } = this.resolve(q);
        const { offset, length } = q.read;
        if (length > INLINE_DATA_MAX && (window === null || length > window.size)) {
          throw new ServerRefusal(
            ERRNO.EINVAL,
            'TOO_LONG',
            `a read of ${length} bytes does not fit the data window`,
          );
        }
        const bytes = fs.read(ino, safeNumber(offset), length);
        if (length > INLINE_DATA_MAX && window !== null) {
          window.write(bytes);
          r.bulk = bytes.length;
        } else {
          r.data = bytes;
        }
        attributes(ino);
        return;
      }
      case W.write: {
        const { ino } = this.resolve(q);
        const w = q.write;
        let data = w.data;
        if (data.length === 0 && w.bulk > 0) {
          if (window === null || w.bulk > window.size) {
            throw new ServerRefusal(
              ERRNO.EINVAL,
              'TOO_LONG',
              `a write of ${w.bulk} bytes from a smaller data window`,
            );
          }
          data = window.read(w.bulk);
        }
        r.count = BigInt(fs.write(ino, safeNumber(w.offset), data));
        attributes(ino);
        return;
      }
      case W.truncate: {
        const { ino } = this.resolve(q);
        fs.truncate(ino, safeNumber(q.truncate));
        attributes(ino);
        return;
      }
      case W.create: {
        const dir = this.resolve(q).ino;
        const c = q.create;
        let ino: number;
        try {
          ino = fs.create(dir, c.name, c.mode, { uid: c.uid, gid: c.gid }, c.rdev);
        } catch (e) {
          // Without O_EXCL an existing file is the answer (and a repeated create after a restart finds it).
          if (!(e instanceof Ext2Error && e.code === 'EEXIST') || c.exclusive) throw e;
          ino = fs.lookup(dir, c.name);
        }
        attributes(ino);
        return;
      }
      case W.mkdir: {
        const m = q.mkdir;
        attributes(fs.mkdir(this.resolve(q).ino, m.name, m.mode, { uid: m.uid, gid: m.gid }));
        return;
      }
      case W.symlink: {
        const s = q.symlink;
        attributes(fs.symlink(this.resolve(q).ino, s.name, s.target, { uid: s.uid, gid: s.gid }));
        return;
      }
      case W.readlink: {
        const st = this.resolve(q);
        r.target = fs.readlink(st.ino);
        putAttributes(r.initAttributes(), st);
        return;
      }
      case W.link: {
        const dir = this.resolve(q).ino;
        const file = this.resolve(q.link.file).ino;
        fs.link(dir, q.link.name, file);
        attributes(file);
        return;
      }
      case W.unlink: {
        const dir = this.resolve(q).ino;
        fs.unlink(dir, q.unlink);
        attributes(dir);
        return;
      }
      case W.rmdir: {
        const dir = this.resolve(q).ino;
        fs.rmdir(dir, q.rmdir);
        attributes(dir);
        return;
      }
      case W.rename: {
        const from = this.resolve(q).ino;
        const n = q.rename;
        const to = this.resolve(n.toDirectory).ino;
        fs.rename(from, n.from, to, n.to);
        attributes(fs.lookup(to, n.to));
        return;
      }
      case W.setattr: {
        const { ino } = this.resolve(q);
        const s = q.setattr;
        fs.setAttributes(ino, {
          mode: s.mask & SETATTR.mode ? s.mode : undefined,
          uid: s.mask & SETATTR.uid ? s.uid : undefined,
          gid: s.mask & SETATTR.gid ? s.gid : undefined,
          atime: s.mask & SETATTR.atime ? s.atime : undefined,
          mtime: s.mask & SETATTR.mtime ? s.mtime : undefined,
        });
        attributes(ino);
        return;
      }
      case W.fsync: {
        const { ino } = this.resolve(q);
        fs.fsync(ino);
        attributes(ino);
        return;
      }
      case W.sync:
        fs.sync();
        return;
      case W.statfs: {
        const s = fs.statfs();
        const out = r.initStatfs();
        out.blockSize = s.blockSize;
        out.blocks = BigInt(s.blocks);
        out.freeBlocks = BigInt(s.freeBlocks);
        out.availableBlocks = BigInt(s.availableBlocks);
        out.inodes = BigInt(s.inodes);
        out.freeInodes = BigInt(s.freeInodes);
        out.nameMax = s.nameMax;
        out.readOnly = fs.readOnly;
        return;
      }
      default:
        throw new ServerRefusal(ERRNO.ENOSYS, 'UNKNOWN_REQUEST', `request kind ${q.which()} is not known`);
    }
  }
}

function safeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ServerRefusal(ERRNO.EFBIG, 'EFBIG', `offset ${n}`);
  return Number(n);
}

function putAttributes(a: AttributesBuilder, st: Ext2Stat): void {
  const handle = a.initHandle();
  handle.ino = st.ino;
  handle.generation = st.generation;
  a.mode = st.mode;
  a.links = st.links;
  a.uid = st.uid;
  a.gid = st.gid;
  a.size = BigInt(st.size);
  a.blocks = BigInt(st.blocks);
  a.atime = st.atime;
  a.mtime = st.mtime;
  a.ctime = st.ctime;
  a.rdev = st.rdev;
}
