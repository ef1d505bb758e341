/**
 * A file system kept by a file-system server, as the library OS's namespace sees it: a tree of
 * `RemoteInode`s that asks the server (fs-protocol requests over a connection) for what it does not hold
 * yet, and sends it every change. The library OS holds no disk: what it knows of the file system comes
 * from the server's answers, which it caches (attributes, looked-up names, directory listings), so a path
 * walked twice costs the server one walk. The cache is right as long as this library OS is the server's
 * only client that changes the file system (the machine's set-up); another client's changes would show
 * only where nothing was cached.
 *
 * Refusals of the server are the errno it answers with; a server that does not answer is EIO.
 */
import { fail, SyscallError } from '../errno';
import type { DataWindow } from '../fs-server/file-server';
import {
  decodeResponse,
  encodeRequest,
  type FileAttributes,
  type FsRequest,
  type FsResponse,
  type FsStatFs,
} from '../fs-server/fs-messages';
import { FsTransportError } from '../fs-server/ipc-transport';
import type { Mount } from './mount';
import { RemoteInode } from './remote-inode';

/** How requests reach the server: one request message in, its response message out, and the data window. */
export interface FsConnection {
  call(request: Uint8Array): Uint8Array;
  /** Where bulk data travels (the bytes of a read, or a write's before the call); null for none. */
  readonly window: DataWindow | null;
}

/** What the client counts, for tools and benchmarks. */
export interface RemoteStats {
  /** Requests sent to the server. */
  requests: number;
  /** Bytes read and written through the server. */
  bytesRead: number;
  bytesWritten: number;
}

export class RemoteFileSystem {
  readonly root: RemoteInode;
  readonly stats: RemoteStats = { requests: 0, bytesRead: 0, bytesWritten: 0 };
  /** The inodes the client knows, by inode number (one object per file, as the namespace needs). */
  private readonly inodes = new Map<number, RemoteInode>();
  private nextId = 1n;

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

  /** Sends one request; a refusal is thrown as the SyscallError of the errno the server gave. */
  request(request: FsRequest): FsResponse {
    this.stats.requests++;
    let bytes: Uint8Array;
    try {
      bytes = this.connection.call(encodeRequest(this.nextId++, request));
    } catch (e) {
      if (e instanceof FsTransportError) fail('EIO', `the file-system server: ${e.message}`);
      throw e;
    }
    const response = decodeResponse(bytes);
    if (response.error !== null) {
      throw new SyscallError(response.error.errno, `${response.error.code}: ${response.error.message}`);
    }
    return response;
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
