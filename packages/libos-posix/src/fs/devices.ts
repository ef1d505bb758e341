/**
 * The character devices every system has: /dev/null, /dev/zero, /dev/full, /dev/urandom and /dev/random
 * (from the system's seeded generator, so runs repeat). Device numbers are Linux's (mem major 1).
 */
import { fail } from '../errno';
import type { FileStat } from '../files/file-stat';
import { OpenFile } from '../files/open-file';
import type { FileSystem } from './file-system';
import type { Device } from './inode';
import { statOf } from './inode-file';

const makedev = (major: number, minor: number) => (major << 8) | minor;

class DeviceFile extends OpenFile {
  constructor(
    flags: number,
    private readonly statFn: () => FileStat,
    private readonly readFn: (n: number) => Uint8Array,
    private readonly writeFn: (data: Uint8Array) => number,
  ) {
    super(flags);
  }

  override read(length: number): Uint8Array {
    return this.readFn(length);
  }

  override write(data: Uint8Array): number {
    return this.writeFn(data);
  }

  override seek(): number {
    return 0;
  }

  override stat(): FileStat {
    return this.statFn();
  }
}

/** Mounts a devtmpfs on /dev (made if missing) with the memory devices in it. */
export function populateDev(fs: FileSystem, random: (n: number) => Uint8Array): void {
  fs.mkdirs('/dev');
  if (fs.lookup('/dev').coveredDir === null) {
    fs.mount('/dev', '/', fs.newTree(), {
      source: 'devtmpfs',
      type: 'devtmpfs',
      options: 'rw,nosuid,relatime,mode=755',
    });
  }
  const add = (
    name: string,
    minor: number,
    read: (n: number) => Uint8Array,
    write: (d: Uint8Array) => number,
  ) => {
    const path = `/dev/${name}`;
    const device: Device = {
      rdev: makedev(1, minor),
      open: (flags) => new DeviceFile(flags, () => statOf(fs.lookup(path)), read, write),
    };
    fs.mknod(path, '/', device, 0o666);
  };
  const zeros = (n: number) => new Uint8Array(n);
  const swallow = (d: Uint8Array) => d.length;
  add('null', 3, () => new Uint8Array(0), swallow);
  add('zero', 5, zeros, swallow);
  add('full', 7, zeros, () => fail('ENOSPC'));
  add('random', 8, random, swallow);
  add('urandom', 9, random, swallow);
}
