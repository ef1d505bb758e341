import { MemoryBlockBackend } from '@exov6/hal-x86';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { type DataWindow, Ext2FileSystem, FileServer, FileSystem, mkfs, RemoteFileSystem, ROOT_DEV } from '../../src/index';
import { bootSystem, runCommand } from '../support/programs';

class MemoryWindow implements DataWindow {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) { this.bytes = new Uint8Array(size); }
  read(length: number): Uint8Array { return this.bytes.slice(0, length); }
  write(bytes: Uint8Array): void { this.bytes.set(bytes); }
}

it('proto', () => {
  let t = performance.now();
  const device = new MemoryBlockBackend(32 << 20);
  mkfs(device, { blockSize: 1024, time: 1_700_000_000 });
  const ext2 = Ext2FileSystem.mount(device, { clock: () => 1_700_000_100 });
  const server = new FileServer(ext2);
  const window = new MemoryWindow(256 * 1024);
  const remote = new RemoteFileSystem({ call: (b) => server.handle(b, window), window }, ROOT_DEV);
  const fs = new FileSystem(() => 0, remote.mount('/dev/vda'));
  fs.mkdirs('/tmp', 0o1777); fs.mkdirs('/proc'); fs.mkdirs('/bin');
  fs.writeFile('/bin/busybox', new Uint8Array(readFileSync('/bin/busybox')), 0o755);
  for (const a of ['sh','ls','cat','stat','df','echo','dd','md5sum','seq','find','sort','pwd']) fs.symlink('busybox', `/bin/${a}`, '/');
  console.log('setup', performance.now() - t, remote.stats); t = performance.now();
  const booted = bootSystem({ memoryMiB: 96, fs });
  const r = runCommand(booted, ['/bin/sh', '-c', 'echo hi > f; cat f; ls -la /; cat /proc/mounts; stat -f /; stat -f -c %T /; df /; df; seq 1 60000 > n; md5sum n; i=0; while [ $i -lt 200 ]; do echo $i > f$i; i=$((i+1)); done; ls | wc -l; cd /tmp; mkdir -p a/b; cd a/b; pwd -P; mv /tmp/a /tmp/c; pwd -P; /bin/pwd; cd ..; pwd -P'], { cwd: '/work', env: ['PATH=/bin', 'HOME=/tmp'] });
  console.log('run', performance.now() - t, remote.stats, r);
  expect(r.status).toBe(0);
});
