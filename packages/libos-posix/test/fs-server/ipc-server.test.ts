/**
 * The file-system server in an environment of its own, holding the only capability to the disk, and a
 * library OS reaching it through exokernel IPC: fs-protocol messages in frames the client granted, bulk
 * data in the client's data window, the disk behind the exokernel's virtio-blk driver. The image the server
 * leaves is checked with e2fsck and debugfs.
 */
import { Rights } from '@exov6/caplattice';
import { Exokernel, ExoError } from '@exov6/exokernel';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, test } from 'vitest';
import {
  decodeResponse,
  encodeRequest,
  Ext2FileSystem,
  ExtentBlockDevice,
  FileServer,
  type FileHandle,
  type FsRequest,
  type FsResponse,
  IpcFileClient,
  IpcFileServer,
  FsTransportError,
  mkfs,
} from '../../src/index';
import { debugfsRead, e2fsck, haveE2fsprogs } from '../support/e2fsprogs';

const OWNER = { uid: 0, gid: 0 };

function machine() {
  const disk = new MemoryBlockBackend(16 << 20);
  mkfs(disk, { blockSize: 4096, time: 1_700_000_000 });
  const kernel = new Exokernel({ memoryBytes: 32 << 20, platform: { disk } });
  const root = kernel.createRootEnvironment({});
  const os = kernel.bind(root);
  const boot = os.bootCapabilities();
  if (boot === null || boot.disk === null) throw new Error('no disk');
  // The server's environment gets the disk (moved: the library OS no longer holds it) and the receiving
  // end of an endpoint; the library OS keeps a badged sending end.
  const serverEnv = os.envCreate({ quota: 64 });
  const serverApi = kernel.bind(kernel.environmentOf(root, serverEnv));
  const endpoint = os.endpointCreate();
  const serverEndpoint = os.capGrant(endpoint, { rights: Rights.IPC_RECV }, serverEnv);
  const clientEndpoint = os.capDerive(endpoint, { rights: Rights.IPC_SEND, badge: 7 });
  const diskCap = boot.disk;
  const serverDisk = os.capTransfer(diskCap, serverEnv);
  const device = new ExtentBlockDevice(serverApi, serverDisk);
  const fs = Ext2FileSystem.mount(device, { clock: () => 1_700_000_100 });
  const server = new IpcFileServer(serverApi, serverEndpoint, new FileServer(fs));
  server.listen();
  const client = new IpcFileClient(os, clientEndpoint, { messageFrames: 2, dataFrames: 16 });
  /** Runs the machine until the promise settles (the server answers from the kernel's run loop). */
  const drive = async <T>(promise: Promise<T>): Promise<T> => {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let turn = 0; turn < 10_000 && !settled; turn++) {
      kernel.run({ maxSlices: 10 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return promise;
  };
  let id = 0n;
  const ask = async (request: FsRequest): Promise<FsResponse> =>
    decodeResponse(await drive(client.call(encodeRequest(++id, request))));
  const ok = async (request: FsRequest): Promise<FsResponse> => {
    const r = await ask(request);
    if (r.error !== null) throw new Error(`${request.kind}: ${r.error.code}`);
    return r;
  };
  return { kernel, os, disk, diskCap, fs, device, client, drive, ask, ok };
}

describe('the file-system server over exokernel IPC', () => {
  test('a library OS creates, writes and reads files through the server, which alone reaches the disk', async () => {
    const { os, disk, diskCap, fs, device, client, drive, ask, ok } = machine();
    // The library OS cannot reach the disk itself any more.
    expect(() => os.blkInfo(diskCap)).toThrow(ExoError);
    await drive(client.connect());
    const root = (await ok({ kind: 'root' })).attributes?.handle as FileHandle;
    const dir = (await ok({ kind: 'mkdir', handle: root, name: 'data', mode: 0o755, owner: OWNER }))
      .attributes?.handle as FileHandle;
    const file = (await ok({ kind: 'create', handle: dir, name: 'big', mode: 0o644, owner: OWNER }))
      .attributes?.handle as FileHandle;
    // 256 KiB in 64 KiB bulk writes through the data window.
    const content = new Uint8Array(256 * 1024).map((_, i) => (i * 131 + (i >> 12)) & 0xff);
    for (let at = 0; at < content.length; at += 65536) {
      client.window.write(content.subarray(at, at + 65536));
      expect((await ok({ kind: 'write', handle: file, offset: at, bulk: 65536 })).count).toBe(65536);
    }
    // Read it back in bulk and inline pieces.
    const back = new Uint8Array(content.length);
    for (let at = 0; at < content.length; at += 65536) {
      const r = await ok({ kind: 'read', handle: file, offset: at, length: 65536 });
      expect(r.bulk).toBe(65536);
      back.set(client.window.read(65536), at);
    }
    expect(Buffer.compare(back, content)).toBe(0); // (a deep equality over 256 KiB is slow)
    const small = await ok({ kind: 'read', handle: file, offset: 1000, length: 10 });
    expect(small.data).toEqual(content.subarray(1000, 1010));
    expect((await ask({ kind: 'lookup', handle: root, name: 'missing' })).error?.code).toBe('ENOENT');
    expect((await ok({ kind: 'readdir', handle: dir })).entries?.map((e) => e.name)).toEqual(['big']);
    await ok({ kind: 'fsync', handle: file });
    // Everything reached the disk through the extent capability, by DMA.
    expect(device.writes).toBeGreaterThan(64);
    fs.unmount();
    if (haveE2fsprogs) {
      expect(e2fsck(disk.bytes).status).toBe(0);
      expect(Buffer.compare(debugfsRead(disk.bytes, '/data/big') ?? new Uint8Array(0), content)).toBe(0);
    }
  });

  test('a directory listing too large for the message frames is refused, not truncated', async () => {
    const { client, drive, ok } = machine();
    await drive(client.connect());
    const root = (await ok({ kind: 'root' })).attributes?.handle as FileHandle;
    for (let i = 0; i < 400; i++) {
      await ok({
        kind: 'create',
        handle: root,
        name: `file-with-a-long-name-${i}`,
        mode: 0o644,
        owner: OWNER,
      });
    }
    await expect(drive(client.call(encodeRequest(1n, { kind: 'readdir', handle: root })))).rejects.toThrow(
      FsTransportError,
    );
  });

  test('a request before the frames are granted is refused as from a client the server does not know', async () => {
    const { client, drive } = machine();
    const call = drive(client.call(encodeRequest(1n, { kind: 'root' })));
    await expect(call).rejects.toThrow(/does not know this client/);
    await expect(call).rejects.toMatchObject({ code: 'DETACHED' });
  });
});
