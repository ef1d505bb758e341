/**
 * The file-system server's request handler, message in and message out: every request kind against an
 * ext2 image, handles checked by generation, bulk data through a data window, and malformed or hostile
 * requests answered with errors (never a throw). The committed generated code is checked against the
 * schema compiler's output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type DataWindow,
  decodeResponse,
  encodeRequest,
  Ext2FileSystem,
  FileServer,
  type FileHandle,
  type FsRequest,
  type FsResponse,
  INLINE_DATA_MAX,
  mkfs,
} from '../../src/index';
import { e2fsck, debugfsRead, haveE2fsprogs } from '../support/e2fsprogs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT_OWNER = { uid: 0, gid: 0 };
const text = (s: string) => new TextEncoder().encode(s);

class MemoryWindow implements DataWindow {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(length: number): Uint8Array {
    return this.bytes.slice(0, length);
  }
  write(bytes: Uint8Array): void {
    this.bytes.set(bytes);
  }
}

function setUp(blockSize = 1024) {
  const device = new MemoryBlockBackend(8 << 20);
  mkfs(device, { blockSize, time: 1_700_000_000 });
  const fs = Ext2FileSystem.mount(device, { clock: () => 1_700_000_100 });
  const server = new FileServer(fs);
  const window = new MemoryWindow(64 * 1024);
  let id = 0n;
  const ask = (request: FsRequest): FsResponse => {
    id++;
    const response = decodeResponse(server.handle(encodeRequest(id, request), window));
    expect(response.id).toBe(id);
    return response;
  };
  const ok = (request: FsRequest): FsResponse => {
    const r = ask(request);
    if (r.error !== null) throw new Error(`${request.kind}: ${r.error.code} ${r.error.message}`);
    return r;
  };
  const root = ok({ kind: 'root' }).attributes?.handle as FileHandle;
  return { device, fs, server, window, ask, ok, root };
}

describe('file server requests', () => {
  test('every request kind, as the file system answers it', () => {
    const { ask, ok, root, window, device, fs } = setUp();
    expect(root.ino).toBe(2);
    const dir = ok({ kind: 'mkdir', handle: root, name: 'docs', mode: 0o755, owner: ROOT_OWNER }).attributes;
    expect(dir?.mode).toBe(0o40755);
    expect(dir?.links).toBe(2);
    const docs = dir?.handle as FileHandle;
    const made = ok({ kind: 'create', handle: docs, name: 'a.txt', mode: 0o644, owner: { uid: 7, gid: 8 } });
    const file = made.attributes?.handle as FileHandle;
    expect(made.attributes).toMatchObject({ mode: 0o100644, uid: 7, gid: 8, size: 0, links: 1 });
    // Inline write and read.
    const w = ok({ kind: 'write', handle: file, offset: 0, data: text('hello, server\n') });
    expect(w.count).toBe(14);
    expect(w.attributes?.size).toBe(14);
    expect(new TextDecoder().decode(ok({ kind: 'read', handle: file, offset: 7, length: 100 }).data)).toBe(
      'server\n',
    );
    // Bulk write and read through the window.
    const big = new Uint8Array(40_000).map((_, i) => (i * 31 + 7) & 0xff);
    window.write(big);
    expect(ok({ kind: 'write', handle: file, offset: 100_000, bulk: big.length }).count).toBe(big.length);
    window.bytes.fill(0);
    const bulk = ok({ kind: 'read', handle: file, offset: 100_000, length: 40_000 });
    expect(bulk.bulk).toBe(40_000);
    expect(window.bytes.subarray(0, 40_000)).toEqual(big);
    // The hole between reads as zeros.
    expect(ok({ kind: 'read', handle: file, offset: 50_000, length: 16 }).data).toEqual(new Uint8Array(16));
    expect(ok({ kind: 'lookup', handle: docs, name: 'a.txt' }).attributes?.handle).toEqual(file);
    expect(ok({ kind: 'getattr', handle: file }).attributes?.size).toBe(140_000);
    ok({ kind: 'truncate', handle: file, size: 5 });
    expect(ok({ kind: 'getattr', handle: file }).attributes?.size).toBe(5);
    const link = ok({ kind: 'symlink', handle: root, name: 'to-a', target: 'docs/a.txt', owner: ROOT_OWNER });
    expect(ok({ kind: 'readlink', handle: link.attributes?.handle as FileHandle }).target).toBe('docs/a.txt');
    expect(ok({ kind: 'link', handle: root, name: 'hard', file }).attributes?.links).toBe(2);
    expect(ok({ kind: 'readdir', handle: root }).entries?.map((e) => e.name)).toEqual([
      'lost+found',
      'docs',
      'to-a',
      'hard',
    ]);
    ok({ kind: 'rename', handle: root, from: 'hard', toDirectory: docs, to: 'b.txt' });
    expect(ok({ kind: 'readdir', handle: docs }).entries?.map((e) => [e.name, e.ino, e.type])).toEqual([
      ['a.txt', file.ino, 1],
      ['b.txt', file.ino, 1],
    ]);
    const set = ok({ kind: 'setattr', handle: file, mode: 0o600, mtime: 1234, uid: 0 });
    expect(set.attributes).toMatchObject({ mode: 0o100600, mtime: 1234, uid: 0, gid: 8 });
    ok({ kind: 'unlink', handle: docs, name: 'b.txt' });
    expect(ok({ kind: 'getattr', handle: file }).attributes?.links).toBe(1);
    const statfs = ok({ kind: 'statfs' }).statfs;
    expect(statfs).toMatchObject({ blockSize: 1024, blocks: 8192, readOnly: false, nameMax: 255 });
    expect(statfs?.freeBlocks).toBe(fs.statfs().freeBlocks);
    ok({ kind: 'fsync', handle: file });
    ok({ kind: 'sync' });
    // Refusals carry the errno a system call reports.
    expect(ask({ kind: 'rmdir', handle: root, name: 'docs' }).error).toMatchObject({
      errno: 39,
      code: 'ENOTEMPTY',
    });
    expect(ask({ kind: 'lookup', handle: root, name: 'nope' }).error).toMatchObject({
      errno: 2,
      code: 'ENOENT',
    });
    expect(
      ask({ kind: 'mkdir', handle: root, name: 'docs', mode: 0o755, owner: ROOT_OWNER }).error?.errno,
    ).toBe(17);
    expect(ask({ kind: 'readdir', handle: file }).error?.code).toBe('ENOTDIR');
    fs.unmount();
    if (haveE2fsprogs) {
      expect(e2fsck(device.bytes).status).toBe(0);
      expect(new TextDecoder().decode(debugfsRead(device.bytes, '/docs/a.txt') ?? undefined)).toBe('hello');
    }
  });

  test('a handle to a deleted file is stale, even when its inode holds a new file', () => {
    const { ask, ok, root } = setUp();
    const old = ok({ kind: 'create', handle: root, name: 'x', mode: 0o644, owner: ROOT_OWNER }).attributes
      ?.handle as FileHandle;
    ok({ kind: 'unlink', handle: root, name: 'x' });
    expect(ask({ kind: 'getattr', handle: old }).error).toMatchObject({ code: 'STALE', errno: 116 });
    const reused = ok({ kind: 'create', handle: root, name: 'y', mode: 0o644, owner: ROOT_OWNER }).attributes
      ?.handle as FileHandle;
    expect(reused.ino).toBe(old.ino);
    expect(reused.generation).not.toBe(old.generation);
    expect(ask({ kind: 'write', handle: old, offset: 0, data: text('wrong file') }).error?.code).toBe(
      'STALE',
    );
    expect(ok({ kind: 'getattr', handle: reused }).attributes?.size).toBe(0);
    expect(ask({ kind: 'getattr', handle: { ino: 999_999, generation: 0 } }).error?.code).toBe('STALE');
  });

  test('create without O_EXCL answers with the existing file, so a repeated create finds it', () => {
    const { ask, ok, root } = setUp();
    const request: FsRequest = { kind: 'create', handle: root, name: 'f', mode: 0o644, owner: ROOT_OWNER };
    const first = ok(request).attributes?.handle;
    expect(ok(request).attributes?.handle).toEqual(first);
    expect(ask({ ...request, exclusive: true }).error?.code).toBe('EEXIST');
  });

  test('reads and writes larger than the inline limit need a window that holds them', () => {
    const device = new MemoryBlockBackend(4 << 20);
    mkfs(device, { time: 0 });
    const server = new FileServer(Ext2FileSystem.mount(device, { clock: () => 0 }));
    const root = { ino: 2, generation: 0 };
    const call = (request: FsRequest, window: DataWindow | null) =>
      decodeResponse(server.handle(encodeRequest(1n, request), window));
    const file = call({ kind: 'create', handle: root, name: 'f', mode: 0o644, owner: ROOT_OWNER }, null)
      .attributes?.handle as FileHandle;
    expect(
      call({ kind: 'read', handle: file, offset: 0, length: INLINE_DATA_MAX + 1 }, null).error?.code,
    ).toBe('TOO_LONG');
    expect(call({ kind: 'write', handle: file, offset: 0, bulk: 10 }, null).error?.code).toBe('TOO_LONG');
    expect(
      call({ kind: 'write', handle: file, offset: 0, bulk: 100 }, new MemoryWindow(64)).error?.code,
    ).toBe('TOO_LONG');
  });
});

describe('hostile requests', () => {
  test('bytes that are not a request message get a BAD_REQUEST answer', () => {
    const { server } = setUp();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const response = decodeResponse(server.handle(bytes, null));
        // Random bytes are sometimes a readable message (of some request kind): any answer is fine, a throw is not.
        expect(response.error === null || typeof response.error.code === 'string').toBe(true);
      }),
      { seed: 9, numRuns: 500 },
    );
    expect(decodeResponse(server.handle(new Uint8Array(3), null)).error?.code).toBe('BAD_REQUEST');
  });

  test('valid requests with random handles, names, offsets and lengths are refused cleanly', () => {
    const { server, fs, device } = setUp();
    const handle = fc.record({ ino: fc.integer({ min: 0, max: 5000 }), generation: fc.nat() });
    const name = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('.', '..', 'lost+found', '', 'a/b'));
    const request: fc.Arbitrary<FsRequest> = fc.oneof(
      fc.record({ kind: fc.constant('getattr' as const), handle }),
      fc.record({ kind: fc.constant('lookup' as const), handle, name }),
      fc.record({ kind: fc.constant('readdir' as const), handle }),
      fc.record({
        kind: fc.constant('read' as const),
        handle,
        offset: fc.maxSafeNat(),
        length: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      }),
      fc.record({ kind: fc.constant('write' as const), handle, offset: fc.maxSafeNat(), bulk: fc.nat() }),
      fc.record({ kind: fc.constant('truncate' as const), handle, size: fc.maxSafeNat() }),
      fc.record({ kind: fc.constant('unlink' as const), handle, name }),
      fc.record({ kind: fc.constant('rmdir' as const), handle, name }),
      fc.record({
        kind: fc.constant('create' as const),
        handle,
        name,
        mode: fc.nat(),
        owner: fc.constant(ROOT_OWNER),
      }),
    );
    fc.assert(
      fc.property(request, (r) => {
        decodeResponse(server.handle(encodeRequest(1n, r), new MemoryWindow(4096)));
      }),
      { seed: 11, numRuns: 400 },
    );
    fs.unmount();
    if (haveE2fsprogs) expect(e2fsck(device.bytes).status).toBe(0);
  });
});

describe('fs-protocol.capnp.ts', () => {
  const capnpAvailable = spawnSync('sh', ['-c', 'command -v capnp']).status === 0;
  const plugin = join(here, '..', '..', '..', 'capnp-lite', 'dist', 'bin', 'capnpc-lite.js');
  test.skipIf(!capnpAvailable && !process.env.CI)(
    'is what the schema compiler generates from the schema',
    () => {
      const source = join(here, '..', '..', 'src', 'fs-server');
      const out = join(here, '..', '.build', 'fs-protocol');
      mkdirSync(out, { recursive: true });
      execFileSync('capnp', [
        'compile',
        `-o${plugin}:${out}`,
        `--src-prefix=${source}`,
        join(source, 'fs-protocol.capnp'),
      ]);
      expect(readFileSync(join(out, 'fs-protocol.capnp.ts'), 'utf8')).toBe(
        readFileSync(join(source, 'fs-protocol.capnp.ts'), 'utf8'),
      );
    },
  );
});
