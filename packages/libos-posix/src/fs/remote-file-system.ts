/**
 * A file system kept by a file-system server, as the library OS's namespace sees it: a tree of
 * `RemoteInode`s that asks the server (fs-protocol requests over a connection) for what it does not hold
 * yet, and sends it every change. The library OS holds no disk: what it knows of the file system comes
 * from the server's answers, which it caches (attributes, looked-up names, directory listings), so a path
 * walked twice costs the server one walk. The cache is right as long as this library OS is the server's
 * only client that changes the file system (the machine's set-up); another client's changes would show
 * only where nothing was cached.
 *
 * Refusals of the server are the errno it answers with. A server that dies is got back through the
 * connection's `recover` (a supervisor restarts it) and the request sent again; a server that does not
 * come back is EIO.
 */
import { fail, SyscallError } from '../errno';
import type { DataWindow } from '../fs-server/file-server';
import {
  decodeRequestId,
  decodeResponse,
  encodeRequest,
  type FileAttributes,
  type FsRequest,
  type FsResponse,
  type FsStatFs,
} from '../fs-server/fs-messages';
import { FsTransportError } from '../fs-server/ipc-transport';
import { FileServerRestarting } from './file-server-restarting';
import type { Mount } from './mount';
import { RemoteInode } from './remote-inode';

/** How requests reach the server: one request message in, its response message out, and the data window. */
export interface FsConnection {
  call(request: Uint8Array): Uint8Array;
  /** Where bulk data travels (the bytes of a read, or a write's before the call); null for none. */
  readonly window: DataWindow | null;
  /**
   * After a call failed because the server was gone: gets a server back if there is one ('ready': the
   * connection is attached to it again, retry), says when one is expected ('later', machine ns), or
   * that none will come ('failed'). Without it a gone server is EIO at once.
   */
  recover?(): Recovery;
}

export type Recovery =
  | { readonly kind: 'ready' }
  | { readonly kind: 'later'; readonly atNs: number }
  | { readonly kind: 'failed' };

/** Attempts at one request across server restarts before it is given up as EIO. */
const MAX_ATTEMPTS = 4;

/** What the client counts, for tools and benchmarks. */
export interface RemoteStats {
  /** Requests sent to the server. */
  requests: number;
  /** Bytes read and written through the server. */
  bytesRead: number;
  bytesWritten: number;
  /** Requests sent again after the server was restarted. */
  retries: number;
}

export class RemoteFileSystem {
  readonly root: RemoteInode;
  readonly stats: RemoteStats = { requests: 0, bytesRead: 0, bytesWritten: 0, retries: 0 };
  /** The inodes the client knows, by inode number (one object per file, as the namespace needs). */
  private readonly inodes = new Map<number, RemoteInode>();
  private nextId = 1n;
  /** A request sent to a server that died before answering it. */
  private unanswered: { id: bigint; bytes: Uint8Array } | null = null;

  /** `dev`: st_dev of the file system's files (ROOT_DEV when it is the root file system). */
  constructor(
    private readonly connection: FsConnection,
    readonly dev: number,
  ) {
    this.root = this.inodeFor(this.attributesOf(this.request({ kind: 'root' })));
    this.root.parent = this.root;
  }

  /** The largest read or write one request moves. */
  get chunk(): number {
    return this.connection.window?.size ?? 4096;
  }

  get window(): DataWindow | null {
    return this.connection.window;
  }

  /**
   * Sends one request; a refusal is thrown as the SyscallError of the errno the server gave. When the
   * server is gone, the request is sent again (same id, same bytes) to the server the connection gets
   * back, or FileServerRestarting is thrown when that one is not there yet.
   */
  request(request: FsRequest): FsResponse {
    this.stats.requests++;
    const message = this.encode(request);
    let bytes: Uint8Array | null = null;
    for (let attempt = 1; bytes === null; attempt++) {
      try {
        bytes = this.connection.call(message);
      } catch (e) {
        if (!(e instanceof FsTransportError)) throw e;
        this.recoverFrom(e, message, attempt);
        this.stats.retries++;
      }
    }
    this.unanswered = null;
    const response = decodeResponse(bytes);
    if (response.error !== null) {
      throw new SyscallError(response.error.errno, `${response.error.code}: ${response.error.message}`);
    }
    return response;
  }

  /**
   * The request as bytes. A request that was sent but never answered keeps its id when it is made again
   * (its system call restarted after waiting for the server), so the server knows it for the same one.
   */
  private encode(request: FsRequest): Uint8Array {
    const pending = this.unanswered;
    if (pending !== null) {
      const again = encodeRequest(pending.id, request);
      if (sameBytes(again, pending.bytes)) return again;
      this.unanswered = null;
    }
    return encodeRequest(this.nextId++, request);
  }

  /** After a failed call: returns when the request may be sent again, or throws what the caller gets. */
  private recoverFrom(e: FsTransportError, message: Uint8Array, attempt: number): void {
    if (e.code === 'REFUSED' || this.connection.recover === undefined || attempt >= MAX_ATTEMPTS) {
      this.unanswered = null;
      fail('EIO', `the file-system server: ${e.message}`);
    }
    const id = decodeRequestId(message);
    this.unanswered = { id, bytes: message };
    const state = this.connection.recover();
    if (state.kind === 'failed') {
      this.unanswered = null;
      fail('EIO', `the file-system server is gone for good: ${e.message}`);
    }
    if (state.kind === 'later') throw new FileServerRestarting(state.atNs);
  }

  attributesOf(response: FsResponse): FileAttributes {
    if (response.attributes === null) fail('EIO', 'the file-system server answered without attributes');
    return response.attributes;
  }

  /**
   * The inode for a file the server described, its attributes brought up to date. A known inode number
   * with another generation is another file now (the first was deleted): it gets a new object.
   */
  inodeFor(attributes: FileAttributes): RemoteInode {
    const { ino, generation } = attributes.handle;
    const known = this.inodes.get(ino);
    if (known !== undefined && known.handle.generation === generation) {
      known.update(attributes);
      return known;
    }
    const inode = new RemoteInode(this, attributes);
    this.inodes.set(ino, inode);
    return inode;
  }

  /** Forgets a file the server no longer has (its last link went). */
  forget(inode: RemoteInode): void {
    if (this.inodes.get(inode.ino) === inode) this.inodes.delete(inode.ino);
  }

  /** sync(2): the server writes everything it holds to the disk. */
  sync(): void {
    this.request({ kind: 'sync' });
  }

  statfs(): FsStatFs {
    const s = this.request({ kind: 'statfs' }).statfs;
    if (s === undefined) fail('EIO', 'the file-system server answered statfs without numbers');
    return s;
  }

  /** The file system as a mount (for FileSystem and /proc/mounts). */
  mount(source: string, type = 'ext2'): Mount {
    return {
      source,
      type,
      options: this.statfs().readOnly ? 'ro,relatime' : 'rw,relatime',
      root: this.root,
      sync: () => this.sync(),
      statfs: () => this.statfs(),
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
