/**
 * A file of a file system a server keeps (see remote-file-system.ts): an `Inode` whose every change is a
 * request to the server and whose attributes are the server's last answer about it. A directory caches
 * the names looked up in it (found or not) and its listing; a symbolic link its target; a regular file
 * caches nothing but, for program images, a snapshot of its bytes tied to its version.
 */
import { fail, SyscallError, ERRNO } from '../errno';
import { modeTypeOfDirent } from '../ext2/inode-record';
import type { FileAttributes, FileHandle, FsResponse } from '../fs-server/fs-messages';
import { FileServerRestarting } from './file-server-restarting';
import { type AttributeChanges, type DirectoryEntry, Inode, type NewObject } from './inode';
import type { RemoteFileSystem } from './remote-file-system';

/** The most bytes a request carries inline (the server's limit); more go through the data window. */
const INLINE_MAX = 4096;
/** Directories up to this size are listed at their first lookup of a missing name. */
const LIST_ON_MISS_MAX = 64 * 1024;
const NS = 1e9;

export class RemoteInode extends Inode {
  handle: FileHandle;
  /** Names looked up in this directory: the file, or null when there is none. */
  private readonly names = new Map<string, RemoteInode | null>();
  /** The directory's entries by name, in the server's order (a Map keeps insertion order). */
  private listing: Map<string, DirectoryEntry> | null = null;
  private image: { version: number; bytes: Uint8Array } | null = null;
  /**
   * An entry was added since the server last described this directory: its size and blocks may have
   * grown (the request that added it answered with the new file's attributes, not the directory's).
   */
  private stale = false;

  constructor(
    readonly remote: RemoteFileSystem,
    attributes: FileAttributes,
  ) {
    super(attributes.mode, attributes.ctime * NS, attributes.handle.ino);
    this.handle = attributes.handle;
    this.dev = remote.dev;
    this.update(attributes);
    if (this.isSymlink) {
      const target = remote.request({ kind: 'readlink', handle: this.handle }).target;
      if (target === undefined) fail('EIO', 'the file-system server answered readlink without a target');
      this.target = target;
    }
  }

  override freshen(): void {
    if (this.stale) this.ask({ kind: 'getattr', handle: this.handle });
  }

  /** Takes the server's attributes as the truth about this file. */
  update(a: FileAttributes): void {
    this.stale = false;
    if (a.size !== this.size || a.mtime * NS !== this.mtimeNs) this.version++;
    this.mode = a.mode;
    this.nlink = a.links;
    this.uid = a.uid;
    this.gid = a.gid;
    this.size = a.size;
    this.blocks = a.blocks;
    this.atimeNs = a.atime * NS;
    this.mtimeNs = a.mtime * NS;
    this.ctimeNs = a.ctime * NS;
  }

  private ask(request: Parameters<RemoteFileSystem['request']>[0]): FsResponse {
    const response = this.remote.request(request);
    if (response.attributes !== null && response.attributes.handle.ino === this.ino) {
      this.update(response.attributes);
    }
    return response;
  }

  // ------------------------------------------------------------------ contents

  override readBytes(start: number, end: number): Uint8Array {
    const want = Math.max(0, Math.min(end, this.size) - start);
    const out = new Uint8Array(want);
    let done = 0;
    while (done < want) {
      const window = this.remote.window;
      const length = Math.min(want - done, window === null ? INLINE_MAX : this.remote.chunk);
      const r = this.ask({ kind: 'read', handle: this.handle, offset: start + done, length });
      const bytes =
        r.data ?? (window !== null && r.bulk !== undefined ? window.read(r.bulk) : new Uint8Array(0));
      out.set(bytes.subarray(0, want - done), done);
      done += bytes.length;
      if (bytes.length < length) break; // the file is shorter than the attributes said
    }
    this.remote.stats.bytesRead += done;
    return done === want ? out : out.slice(0, done);
  }

  override writeBytes(position: number, bytes: Uint8Array): number {
    let done = 0;
    while (done < bytes.length) {
      const window = this.remote.window;
      const inline = window === null || bytes.length - done <= INLINE_MAX;
      const length = Math.min(bytes.length - done, inline ? INLINE_MAX : this.remote.chunk);
      const piece = bytes.subarray(done, done + length);
      if (!inline) window.write(piece);
      let count: number;
      try {
        const r = this.ask({
          kind: 'write',
          handle: this.handle,
          offset: position + done,
          ...(inline ? { data: piece } : { bulk: length }),
        });
        count = r.count ?? 0;
      } catch (e) {
        // Bytes already written count (a short write); the refusal, or the wait for a restarting server,
        // comes with the next write (made again from the top, the first part would be written twice).
        if (done > 0 && (e instanceof SyscallError || e instanceof FileServerRestarting)) break;
        throw e;
      }
      done += count;
      if (count < length) break;
    }
    this.version++;
    this.remote.stats.bytesWritten += done;
    return done;
  }

  override resize(size: number): void {
    this.ask({ kind: 'truncate', handle: this.handle, size });
    this.version++;
  }

  override snapshot(): Uint8Array {
    if (this.image === null || this.image.version !== this.version) {
      this.image = { version: this.version, bytes: this.readBytes(0, this.size) };
    }
    return this.image.bytes;
  }

  override flush(): void {
    this.ask({ kind: 'fsync', handle: this.handle });
  }

  override setAttributes(changes: AttributeChanges, _nowNs: number): void {
    const seconds = (ns: number | undefined) => (ns === undefined ? undefined : Math.floor(ns / NS));
    this.ask({
      kind: 'setattr',
      handle: this.handle,
      mode: changes.mode === undefined ? undefined : changes.mode & 0o7777,
      uid: changes.uid,
      gid: changes.gid,
      atime: seconds(changes.atimeNs),
      mtime: seconds(changes.mtimeNs),
    });
  }

  // ------------------------------------------------------------------ a directory

  override child(name: string): RemoteInode | undefined {
    const known = this.names.get(name);
    if (known !== undefined) return known ?? undefined;
    // A name missing from a directory's listing is not there: creating a new file costs no lookup. A small
    // directory is listed for that at its first miss (one request instead of one per name).
    if (this.listing === null && this.size <= LIST_ON_MISS_MAX) this.entryList();
    if (this.listing !== null && !this.listing.has(name)) {
      this.names.set(name, null);
      return undefined;
    }
    let found: RemoteInode | null = null;
    try {
      found = this.remote.inodeFor(
        this.remote.attributesOf(this.ask({ kind: 'lookup', handle: this.handle, name })),
      );
    } catch (e) {
      if (!(e instanceof SyscallError && e.errno === ERRNO.ENOENT)) throw e;
    }
    if (found?.isDirectory) found.parent = this;
    this.names.set(name, found);
    return found ?? undefined;
  }

  override children(): [string, Inode][] {
    const out: [string, Inode][] = [];
    for (const { name } of this.entryList()) {
      const inode = this.child(name);
      if (inode !== undefined) out.push([name, inode]);
    }
    return out;
  }

  override entryList(): DirectoryEntry[] {
    if (this.listing === null) {
      const entries = this.ask({ kind: 'readdir', handle: this.handle }).entries ?? [];
      this.listing = new Map(
        entries.map((e) => [e.name, { name: e.name, ino: e.ino, type: modeTypeOfDirent(e.type) }]),
      );
    }
    return [...this.listing.values()];
  }

  override isEmptyDirectory(): boolean {
    this.entryList();
    return this.listing?.size === 0;
  }

  /** The directory's entries changed: `name` now names `inode` (or nothing). */
  private changed(name: string, inode: RemoteInode | null): void {
    this.names.set(name, inode);
    if (inode !== null) this.stale = true;
    if (this.listing === null) return;
    this.listing.delete(name);
    if (inode !== null) this.listing.set(name, { name, ino: inode.ino, type: inode.type });
  }

  override makeChild(name: string, spec: NewObject, _nowNs: number): Inode {
    const owner = { uid: spec.uid, gid: spec.gid };
    const type = spec.mode & 0o170000;
    const handle = this.handle;
    const response =
      spec.target !== undefined
        ? this.remote.request({ kind: 'symlink', handle, name, target: spec.target, owner })
        : type === 0o040000
          ? this.remote.request({ kind: 'mkdir', handle, name, mode: spec.mode & 0o7777, owner })
          : this.remote.request({
              kind: 'create',
              handle,
              name,
              mode: spec.mode,
              owner,
              rdev: spec.device?.rdev ?? 0,
              exclusive: true,
            });
    const inode = this.remote.inodeFor(this.remote.attributesOf(response));
    if (inode.isDirectory) {
      inode.parent = this;
      inode.listing = new Map(); // a new directory is known to be empty
      this.nlink++;
    }
    inode.device = spec.device ?? null;
    this.mtimeNs = this.ctimeNs = inode.ctimeNs;
    this.changed(name, inode);
    return inode;
  }

  override linkChild(name: string, target: Inode, _nowNs: number): void {
    const file = this.sameSystem(target);
    file.update(
      this.remote.attributesOf(
        this.remote.request({ kind: 'link', handle: this.handle, name, file: file.handle }),
      ),
    );
    this.mtimeNs = this.ctimeNs = file.ctimeNs;
    this.changed(name, file);
  }

  override unlinkChild(name: string, child: Inode, _nowNs: number): void {
    const file = this.sameSystem(child);
    this.ask({ kind: 'unlink', handle: this.handle, name });
    this.changed(name, null);
    file.nlink--;
    if (file.nlink <= 0) this.remote.forget(file);
  }

  override removeDirectory(name: string, child: Inode, _nowNs: number): void {
    const dir = this.sameSystem(child);
    this.ask({ kind: 'rmdir', handle: this.handle, name });
    this.changed(name, null);
    dir.nlink = 0;
    this.remote.forget(dir);
  }

  override moveChild(
    name: string,
    child: Inode,
    toDir: Inode,
    toName: string,
    replaced: Inode | null,
    _nowNs: number,
  ): void {
    const moving = this.sameSystem(child);
    const to = this.sameSystem(toDir);
    this.remote.request({
      kind: 'rename',
      handle: this.handle,
      from: name,
      toDirectory: to.handle,
      to: toName,
    });
    this.changed(name, null);
    to.changed(toName, moving);
    if (moving.isDirectory) moving.parent = to;
    if (replaced !== null) {
      const gone = this.sameSystem(replaced);
      gone.nlink = gone.isDirectory ? 0 : gone.nlink - 1;
      if (gone.nlink <= 0) this.remote.forget(gone);
    }
    // Link counts and times of both directories changed on the server: take its word for them.
    for (const dir of new Set([this, to])) dir.ask({ kind: 'getattr', handle: dir.handle });
    moving.ask({ kind: 'getattr', handle: moving.handle });
  }

  private sameSystem(inode: Inode): RemoteInode {
    if (!(inode instanceof RemoteInode) || inode.remote !== this.remote) fail('EXDEV');
    return inode;
  }
}
