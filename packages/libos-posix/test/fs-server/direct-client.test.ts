/**
 * The two ends as a machine sets them up (startFileServer, connectFileServer): the server in its own
 * environment holding the disk, the library OS's namespace on a RemoteFileSystem that reaches it by direct
 * calls, with no run loop in between. A server that is gone is EIO for the caller, never a host exception.
 */
import { Rights } from '@exov6/caplattice';
import { Exokernel } from '@exov6/exokernel';
import { ERRNO, MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, test } from 'vitest';
import {
  connectFileServer,
  FileSystem,
  FsTransportError,
  IpcFileClient,
  mkfs,
  ROOT_DEV,
  startFileServer,
  SyscallError,
} from '../../src/index';

function setUp() {
  const disk = new MemoryBlockBackend(8 << 20);
  mkfs(disk, { blockSize: 1024, time: 1_700_000_000 });
  const kernel = new Exokernel({ memoryBytes: 32 << 20, platform: { disk } });
  const root = kernel.createRootEnvironment({});
  const os = kernel.bind(root);
  const boot = os.bootCapabilities();
  if (boot === null || boot.disk === null) throw new Error('no disk');
  const serverEnv = os.envCreate({ quota: 64 });
  const serverApi = kernel.bind(kernel.environmentOf(root, serverEnv));
  const endpoint = os.endpointCreate();
  const server = startFileServer(serverApi, {
    disk: os.capTransfer(boot.disk, serverEnv),
    endpoint: os.capGrant(endpoint, { rights: Rights.IPC_RECV }, serverEnv),
  });
  const send = os.capDerive(endpoint, { rights: Rights.IPC_SEND, badge: 3 });
  const remote = connectFileServer(os, send, { dev: ROOT_DEV, dataFrames: 4 });
  const fs = new FileSystem(() => 0, remote.mount('/dev/vda'));
  return { kernel, os, disk, server, serverEnv, send, remote, fs };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('a namespace on the file-system server, by direct calls', () => {
  test('paths, files and directories go through the server and reach the disk', () => {
    const { fs, remote, server, disk } = setUp();
    fs.mkdirs('/etc/conf.d');
    fs.writeFile('/etc/conf.d/a', 'alpha\n');
    // More than the 16 KiB data window: the write and the read are split into several requests.
    const big = new Uint8Array(50_000).map((_, i) => (i * 7) & 0xff);
    fs.writeFile('/big', big);
    fs.symlink('conf/a', '/etc/link', '/');
    fs.link('/big', '/big2', '/');
    fs.rename('/etc/conf.d', '/etc/conf', '/');
    expect(new TextDecoder().decode(fs.readFile('/etc/link'))).toBe('alpha\n');
    expect(Buffer.compare(fs.readFile('/big2'), big)).toBe(0);
    expect(fs.lookup('/big').nlink).toBe(2);
    expect(
      fs
        .lookup('/etc')
        .entryList()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['conf', 'link']);
    expect(() => fs.rmdir('/etc', '/')).toThrow(SyscallError);
    fs.unlink('/big2', '/');
    expect(fs.lookup('/big').nlink).toBe(1);
    expect(remote.stats.requests).toBeGreaterThan(10);
    // What the disk holds is what the namespace showed: read it again with the server's own ext2.
    fs.sync();
    server.unmount();
    const ext2 = server.fs;
    const at = ext2.resolve('/etc/conf/a');
    expect(new TextDecoder().decode(ext2.read(at, 0, 100))).toBe('alpha\n');
    expect(ext2.stat(ext2.resolve('/big')).size).toBe(50_000);
    expect(disk.bytes.length).toBe(8 << 20);
  });

  test('what is cached follows the changes: a name removed and made again is the new file', () => {
    const { fs } = setUp();
    fs.mkdirs('/d');
    fs.writeFile('/d/f', 'one');
    const first = fs.lookup('/d/f');
    fs.unlink('/d/f', '/');
    expect(fs.exists('/d/f')).toBe(false);
    fs.writeFile('/d/f', 'two!');
    expect(new TextDecoder().decode(fs.readFile('/d/f'))).toBe('two!');
    expect(fs.lookup('/d/f')).not.toBe(first);
    fs.mkdir('/d/sub', '/', 0o755);
    fs.rename('/d/sub', '/sub', '/');
    expect(fs.pathOf(fs.lookup('/sub'))).toBe('/sub');
    expect(
      fs
        .lookup('/d')
        .entryList()
        .map((e) => e.name),
    ).toEqual(['f']);
  });

  test('the refusals are the errno the server gives', () => {
    const { fs } = setUp();
    fs.mkdirs('/d');
    fs.writeFile('/d/f', text('x'));
    const errno = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof SyscallError) return e.errno;
        throw e;
      }
      return 0;
    };
    expect(errno(() => fs.mkdir('/d', '/', 0o755))).toBe(ERRNO.EEXIST);
    expect(errno(() => fs.lookup('/d/missing'))).toBe(ERRNO.ENOENT);
    expect(errno(() => fs.rmdir('/d', '/'))).toBe(ERRNO.ENOTEMPTY);
    expect(errno(() => fs.create('/d/f/x', '/', 0o644))).toBe(ERRNO.ENOTDIR);
    expect(errno(() => fs.create(`/d/${'n'.repeat(256)}`, '/', 0o644))).toBe(ERRNO.ENAMETOOLONG);
    // A name the server refuses although the client let it through: the server's errno comes back.
    expect(errno(() => fs.link('/d', '/d2', '/'))).toBe(ERRNO.EPERM);
  });

  test('a server that is gone is EIO, and nothing throws past the library OS', () => {
    const { fs, os, serverEnv, send } = setUp();
    fs.writeFile('/kept', 'k');
    os.envKill(serverEnv);
    let caught: unknown = null;
    try {
      fs.writeFile('/lost', 'l');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SyscallError);
    expect((caught as SyscallError).errno).toBe(ERRNO.EIO);
    // The transport itself says why: nobody is waiting at the endpoint.
    const client = new IpcFileClient(os, send, { messageFrames: 1, dataFrames: 0 });
    expect(() => client.connectDirect()).toThrow(FsTransportError);
    try {
      client.callDirect(new Uint8Array(8));
    } catch (e) {
      expect((e as FsTransportError).code).toBe('UNAVAILABLE');
    }
  });
});
