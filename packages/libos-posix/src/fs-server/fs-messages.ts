/**
 * The client's side of fs-protocol: requests as plain objects encoded into Request messages, and Response
 * messages decoded into plain objects, so the code that asks (a library OS, a test) never builds capnp
 * structures by hand.
 */
import { MessageBuilder, readMessage } from '@exov6/capnp-lite';
import {
  type Attributes,
  type HandleBuilder,
  Request,
  RequestBuilder,
  Response,
} from './fs-protocol.capnp.js';

export interface FileHandle {
  ino: number;
  generation: number;
}

export interface FileAttributes {
  handle: FileHandle;
  mode: number;
  links: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
  rdev: number;
}

export interface Owner {
  uid: number;
  gid: number;
}

export type FsRequest =
  | { kind: 'root' }
  | { kind: 'getattr'; handle: FileHandle }
  | { kind: 'lookup'; handle: FileHandle; name: string }
  | { kind: 'readdir'; handle: FileHandle }
  | { kind: 'read'; handle: FileHandle; offset: number; length: number }
  /** `data` travels inline; `bulk` bytes are taken from the data window instead. */
  | { kind: 'write'; handle: FileHandle; offset: number; data?: Uint8Array; bulk?: number }
  | { kind: 'truncate'; handle: FileHandle; size: number }
  | {
      kind: 'create';
      handle: FileHandle;
      name: string;
      mode: number;
      owner: Owner;
      rdev?: number;
      exclusive?: boolean;
    }
  | { kind: 'mkdir'; handle: FileHandle; name: string; mode: number; owner: Owner }
  | { kind: 'symlink'; handle: FileHandle; name: string; target: string; owner: Owner }
  | { kind: 'readlink'; handle: FileHandle }
  | { kind: 'link'; handle: FileHandle; name: string; file: FileHandle }
  | { kind: 'unlink'; handle: FileHandle; name: string }
  | { kind: 'rmdir'; handle: FileHandle; name: string }
  | { kind: 'rename'; handle: FileHandle; from: string; toDirectory: FileHandle; to: string }
  | {
      kind: 'setattr';
      handle: FileHandle;
      mode?: number;
      uid?: number;
      gid?: number;
      atime?: number;
      mtime?: number;
    }
  | { kind: 'fsync'; handle: FileHandle }
  | { kind: 'sync' }
  | { kind: 'statfs' };

export interface FsStatFs {
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  availableBlocks: number;
  inodes: number;
  freeInodes: number;
  nameMax: number;
  readOnly: boolean;
}

export interface FsResponse {
  id: bigint;
  /** The refusal (errno, the server's code, a message), or null. */
  error: { errno: number; code: string; message: string } | null;
  attributes: FileAttributes | null;
  entries?: { name: string; ino: number; type: number }[];
  /** A read's bytes when they came inline. */
  data?: Uint8Array;
  /** A read's length when its bytes are in the data window. */
  bulk?: number;
  count?: number;
  target?: string;
  statfs?: FsStatFs;
}

function putHandle(h: HandleBuilder, handle: FileHandle): void {
  h.ino = handle.ino;
  h.generation = handle.generation;
}

/** Words of the builder requests are made in, reused from one request to the next. */
const REQUEST_WORDS = 256;
const requestBuilder = new MessageBuilder({ firstSegmentWords: REQUEST_WORDS });

export function encodeRequest(id: bigint, request: FsRequest): Uint8Array {
  // Most requests are a few words, built in the shared builder; a write with more bytes inline than it
  // holds gets a builder of its own, large enough for it all.
  const inline = request.kind === 'write' ? (request.data?.length ?? 0) : 0;
  const words = 64 + Math.ceil(inline / 8);
  const message = words <= REQUEST_WORDS ? requestBuilder : new MessageBuilder({ firstSegmentWords: words });
  message.reset();
  const q = message.initRoot(RequestBuilder);
  q.id = id;
  if ('handle' in request) putHandle(q.initHandle(), request.handle);
  switch (request.kind) {
    case 'root':
      q.setRoot();
      break;
    case 'getattr':
      q.setGetattr();
      break;
    case 'lookup':
      q.lookup = request.name;
      break;
    case 'readdir':
      q.setReaddir();
      break;
    case 'read': {
      const r = q.initRead();
      r.offset = BigInt(request.offset);
      r.length = request.length;
      break;
    }
    case 'write': {
      const w = q.initWrite();
      w.offset = BigInt(request.offset);
      if (request.data !== undefined) w.data = request.data;
      w.bulk = request.bulk ?? 0;
      break;
    }
    case 'truncate':
      q.truncate = BigInt(request.size);
      break;
    case 'create': {
      const c = q.initCreate();
      c.name = request.name;
      c.mode = request.mode;
      c.uid = request.owner.uid;
      c.gid = request.owner.gid;
      c.rdev = request.rdev ?? 0;
      c.exclusive = request.exclusive ?? false;
      break;
    }
    case 'mkdir': {
      const m = q.initMkdir();
      m.name = request.name;
      m.mode = request.mode;
      m.uid = request.owner.uid;
      m.gid = request.owner.gid;
      break;
    }
    case 'symlink': {
      const s = q.initSymlink();
      s.name = request.name;
      s.target = request.target;
      s.uid = request.owner.uid;
      s.gid = request.owner.gid;
      break;
    }
    case 'readlink':
      q.setReadlink();
      break;
    case 'link': {
      const l = q.initLink();
      l.name = request.name;
      putHandle(l.initFile(), request.file);
      break;
    }
    case 'unlink':
      q.unlink = request.name;
      break;
    case 'rmdir':
      q.rmdir = request.name;
      break;
    case 'rename': {
      const n = q.initRename();
      n.from = request.from;
      putHandle(n.initToDirectory(), request.toDirectory);
      n.to = request.to;
      break;
    }
    case 'setattr': {
      const s = q.initSetattr();
      // The mask says which fields are set (1 mode, 2 uid, 4 gid, 8 atime, 16 mtime).
      const fields = [request.mode, request.uid, request.gid, request.atime, request.mtime];
      const mask = fields.reduce<number>((m, v, i) => (v === undefined ? m : m | (1 << i)), 0);
      s.mode = request.mode ?? 0;
      s.uid = request.uid ?? 0;
      s.gid = request.gid ?? 0;
      s.atime = request.atime ?? 0;
      s.mtime = request.mtime ?? 0;
      s.mask = mask;
      break;
    }
    case 'fsync':
      q.setFsync();
      break;
    case 'sync':
      q.setSync();
      break;
    case 'statfs':
      q.setStatfs();
      break;
  }
  return message.toBytes();
}

function attributesOf(a: Attributes): FileAttributes {
  return {
    handle: { ino: a.handle.ino, generation: a.handle.generation },
    mode: a.mode,
    links: a.links,
    uid: a.uid,
    gid: a.gid,
    size: Number(a.size),
    blocks: Number(a.blocks),
    atime: a.atime,
    mtime: a.mtime,
    ctime: a.ctime,
    rdev: a.rdev,
  };
}

/** The id of an encoded request. */
export function decodeRequestId(bytes: Uint8Array): bigint {
  return readMessage(bytes).getRoot(Request).id;
}

export function decodeResponse(bytes: Uint8Array): FsResponse {
  const r = readMessage(bytes).getRoot(Response);
  const out: FsResponse = {
    id: r.id,
    error: r.hasError() ? { errno: r.error.errno, code: r.error.code, message: r.error.message } : null,
    attributes: r.hasAttributes() ? attributesOf(r.attributes) : null,
  };
  if (r.isEntries()) {
    out.entries = [...r.entries].map((e) => ({ name: e.name, ino: e.ino, type: e.type }));
  } else if (r.isData()) {
    out.data = r.data.slice();
  } else if (r.isBulk()) {
    out.bulk = r.bulk;
  } else if (r.isCount()) {
    out.count = Number(r.count);
  } else if (r.isTarget()) {
    out.target = r.target;
  } else if (r.isStatfs()) {
    const s = r.statfs;
    out.statfs = {
      blockSize: s.blockSize,
      blocks: Number(s.blocks),
      freeBlocks: Number(s.freeBlocks),
      availableBlocks: Number(s.availableBlocks),
      inodes: Number(s.inodes),
      freeInodes: Number(s.freeInodes),
      nameMax: s.nameMax,
      readOnly: s.readOnly,
    };
  }
  return out;
}
