/**
 * The root file system on a disk: the machine boots from an ext2 image made by its own mkfs or by
 * `mke2fs -t ext2 -d`, the guest's writes reach the image read-write, and after power-off `e2fsck -fn`
 * finds it clean and `debugfs` reads back what the guest wrote. A second boot sees the first one's files.
 * Images that cannot be the root file system are clear errors and are left as they were; a disk in
 * memory works too, with the disk capability held by the file-system server's environment alone; and
 * the command line's `--disk` boots an image.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExoError, ObjectType } from '@exov6/exokernel';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { Ext2FileSystem, type RunningFileServer } from '@exov6/libos-posix';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEBUGFS, E2FSCK, haveBusybox, haveE2fsprogs, MKE2FS, noE2fsprogs } from './support/e2fsprogs';
import { parseArguments } from '../src/cli-arguments';
import { Machine, MachineError, makeDiskImage, stageDefaultRoot } from '../src/index';

const distDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const cli = join(distDir, 'cli.js');
const distImage = join(distDir, 'disk.img');

const ROOT_OWNER = { uid: 0, gid: 0 };
const MKFS_TIME = 1_700_000_000;

let work: string;
/** The default root tree, staged as a host directory. */
let rootTree: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exov6-root-disk-'));
  rootTree = join(work, 'root');
  stageDefaultRoot(rootTree);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `e2fsck -fn`: a full check that changes nothing; the image must be clean and marked clean. */
function expectClean(image: string): void {
  const fsck = spawnSync(E2FSCK, ['-fn', image], { encoding: 'utf8' });
  expect(fsck.status, `${fsck.stdout}${fsck.stderr}`).toBe(0);
  expect(debugfs(image, 'stats')).toMatch(/^Filesystem state:\s+clean$/m);
}

/** One debugfs request against the image (read-only); its standard output. */
function debugfs(image: string, request: string): string {
  const r = spawnSync(DEBUGFS, ['-R', request, image], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** A file's bytes as debugfs reads them from the image. */
function debugfsCat(image: string, path: string): Buffer {
  const r = spawnSync(DEBUGFS, ['-R', `cat ${path}`, image], { maxBuffer: 1 << 26 });
  expect(r.status, String(r.stderr)).toBe(0);
  return r.stdout;
}

/** The names in a directory of the image, as `debugfs ls -p` lists them. */
function debugfsNames(image: string, dir: string): string[] {
  return debugfs(image, `ls -p ${dir}`)
    .split('\n')
    .filter((line) => line.startsWith('/'))
    .map((line) => line.split('/')[5] as string)
    .filter((name) => name !== '.' && name !== '..');
}

/** Inode number of a path, as `debugfs stat` reports it. */
function debugfsInode(image: string, path: string): number {
  const m = /^Inode: (\d+)/m.exec(debugfs(image, `stat ${path}`));
  expect(m, `${path} is in the image`).not.toBeNull();
  return Number(m?.[1]);
}

/** `mke2fs -t TYPE -d rootTree` on a fresh image of `size` (e.g. '32M'); extra options first. */
function mke2fs(image: string, type: string, size: string, extra: string[] = []): void {
  const made = spawnSync(
    MKE2FS,
    ['-q', '-F', '-t', type, '-E', 'root_owner=0:0', ...extra, '-d', rootTree, image, size],
    { encoding: 'utf8' },
  );
  expect(made.status, made.stderr).toBe(0);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The MachineError that building a machine on `disk` gives. */
function bootError(disk: string): MachineError {
  try {
    new Machine({ disk, memoryMiB: 32 });
  } catch (e) {
    expect(e).toBeInstanceOf(MachineError);
    return e as MachineError;
  }
  throw new Error(`a machine booted on ${disk}`);
}

/** Eight doublings of `seq 1 1000`: the guest's large file, about a MiB. */
const SEQ = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('');
const BIG = Buffer.from(SEQ.repeat(256));
const BIG_MD5 = createHash('md5').update(BIG).digest('hex');
/** A symbolic link target too long to be kept in the inode (more than 60 bytes). */
const LONG_TARGET = `/${'long-target-'.repeat(8)}`;

describe.skipIf(!haveBusybox || noE2fsprogs)("a disk made by the machine's own mkfs", () => {
  let image: string;

  beforeAll(() => {
    image = join(work, 'ours.img');
    const summary = makeDiskImage(rootTree, image, { sizeMiB: 32, owner: ROOT_OWNER, time: MKFS_TIME });
    expect(summary.blockSize).toBe(1024);
  });

  test('boots read-write: the guest writes files, and e2fsck and debugfs find them after power-off', () => {
    const log: string[] = [];
    const machine = new Machine({ disk: image, memoryMiB: 64, bootLog: (l) => log.push(l) });
    expect(machine.image.busybox).toBe(true);
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(`root file system ext2 on ${image}: 32768 blocks of 1024 bytes, \\d+ free`),
      ),
    );
    const script = [
      'set -e',
      "echo 'hello, disk' > /tmp/small.txt",
      'seq 1 1000 > /big',
      'for i in 1 2 3 4 5 6 7 8; do cat /big /big > /big.new; mv /big.new /big; done',
      'md5sum /big',
      'mkdir -p /home/user/notes/deep',
      "printf 'nested %s\\n' a b c > /home/user/notes/deep/n.txt",
      'ln -s ../../tmp/small.txt /home/user/link',
      `ln -s ${LONG_TARGET} /home/user/long-link`,
      'ln /tmp/small.txt /home/user/hard',
      'echo doomed > /tmp/removed',
      'rm /tmp/removed',
      "echo 'renamed file' > /tmp/old-name",
      'mv /tmp/old-name /home/user/new-name',
      'cat /home/user/link',
      "stat -c '%h %s %n' /tmp/small.txt /big",
      'ls /tmp',
      'ls /home/user',
    ].join('\n');
    const r = machine.run(['/bin/sh', '-c', script]);
    expect(r).toMatchObject({
      stdout:
        `${BIG_MD5}  /big\n` +
        'hello, disk\n' +
        '2 12 /tmp/small.txt\n' +
        `1 ${BIG.length} /big\n` +
        'small.txt\n' +
        'hard\nlink\nlong-link\nnew-name\nnotes\n',
      stderr: '',
      status: 0,
    });

    expectClean(image);
    expect(debugfsCat(image, '/tmp/small.txt').toString()).toBe('hello, disk\n');
    // (Buffer comparison: a deep equality over a large array is slow)
    const big = debugfsCat(image, '/big');
    expect(big.length).toBe(BIG.length);
    expect(Buffer.compare(big, BIG)).toBe(0);
    expect(debugfsCat(image, '/home/user/notes/deep/n.txt').toString()).toBe(
      'nested a\nnested b\nnested c\n',
    );
    expect(debugfsCat(image, '/home/user/new-name').toString()).toBe('renamed file\n');
    expect(debugfs(image, 'stat /home/user/link')).toContain('Fast link dest: "../../tmp/small.txt"');
    // A long target is kept in a data block of its own, which is what `cat` reads.
    expect(debugfs(image, 'stat /home/user/long-link')).toMatch(/Type: symlink/);
    expect(debugfsCat(image, '/home/user/long-link').toString()).toBe(LONG_TARGET);
    expect(debugfs(image, 'stat /tmp/small.txt')).toMatch(/^Links: 2 /m);
    expect(debugfsInode(image, '/home/user/hard')).toBe(debugfsInode(image, '/tmp/small.txt'));
    expect(debugfs(image, 'stat /home/user/notes')).toMatch(/^Links: 3 /m);
    expect(debugfsNames(image, '/tmp')).toEqual(['small.txt']);
    expect(debugfsNames(image, '/')).not.toContain('big.new');
    expect(debugfsNames(image, '/home/user').sort()).toEqual([
      'hard',
      'link',
      'long-link',
      'new-name',
      'notes',
    ]);
  });

  // (Runs after the test above, on the image it left.)
  test('boots again with the files of the first boot, and appends to one', () => {
    const script = [
      'set -e',
      'cat /home/user/hard',
      'md5sum /big',
      'readlink /home/user/link',
      'readlink /home/user/long-link',
      'cat /home/user/new-name',
      'ls /tmp',
      "echo 'nested d' >> /home/user/notes/deep/n.txt",
    ].join('\n');
    const r = new Machine({ disk: image, memoryMiB: 64 }).run(['/bin/sh', '-c', script]);
    expect(r).toMatchObject({
      stdout: `hello, disk\n${BIG_MD5}  /big\n../../tmp/small.txt\n${LONG_TARGET}\nrenamed file\nsmall.txt\n`,
      stderr: '',
      status: 0,
    });
    expectClean(image);
    expect(debugfsCat(image, '/home/user/notes/deep/n.txt').toString()).toBe(
      'nested a\nnested b\nnested c\nnested d\n',
    );
    expect(Buffer.compare(debugfsCat(image, '/big'), BIG)).toBe(0);
  });
});

describe.skipIf(!haveBusybox || noE2fsprogs)('a disk made by mke2fs -t ext2 -d', () => {
  test.each([4096, 1024])('boots an image with %i-byte blocks, reads and writes it', (blockSize) => {
    const image = join(work, `mke2fs-${blockSize}.img`);
    mke2fs(image, 'ext2', '32M', ['-b', String(blockSize)]);
    const machine = new Machine({ disk: image, memoryMiB: 64 });
    const r = machine.run([
      '/bin/sh',
      '-c',
      `cat /etc/motd && echo 'written on ${blockSize}-byte blocks' > /root/note && stat -f -c '%S %b' /`,
    ]);
    expect(r).toMatchObject({
      stdout:
        'Welcome to ExoV6: an exokernel, a POSIX library OS, and unmodified Linux programs.\n' +
        `${blockSize} ${(32 << 20) / blockSize}\n`,
      stderr: '',
      status: 0,
    });
    expectClean(image);
    expect(debugfsCat(image, '/root/note').toString()).toBe(`written on ${blockSize}-byte blocks\n`);
    expect(debugfs(image, 'stat /root/note')).toMatch(/User:\s+0\s+Group:\s+0/);
  });
});

describe.skipIf(!existsSync(distImage) || !haveBusybox || noE2fsprogs)("the build's dist/disk.img", () => {
  test('is clean, boots (from a copy), and df shows its size', () => {
    const before = statSync(distImage);
    const image = join(work, 'dist-copy.img');
    copyFileSync(distImage, image);
    expectClean(image);
    const stats = debugfs(image, 'stats');
    const blockCount = Number(/^Block count:\s+(\d+)$/m.exec(stats)?.[1]);
    const blockSize = Number(/^Block size:\s+(\d+)$/m.exec(stats)?.[1]);
    expect(blockCount * blockSize).toBe(before.size);

    const r = new Machine({ disk: image, memoryMiB: 64 }).run([
      '/bin/sh',
      '-c',
      "df /; stat -f -c '%S %b' /; cat /etc/hostname",
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    // busybox df: "Filesystem 1K-blocks Used Available Use% Mounted on", the name on a line of its own
    // when it is long.
    const df = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+\/$/m.exec(r.stdout);
    expect(df, r.stdout).not.toBeNull();
    expect(Number(df?.[1])).toBe((blockCount * blockSize) / 1024);
    expect(r.stdout).toContain(`\n${blockSize} ${blockCount}\nexov6\n`);
    expectClean(image);
    // The build's image itself was only read.
    const after = statSync(distImage);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });
});

describe('disks that cannot be the root file system', () => {
  test('a missing image is a clear error, and no file is made', () => {
    const missing = join(work, 'no-such.img');
    const e = bootError(missing);
    expect(e.message).toContain(`cannot open the disk image ${missing}`);
    expect(e.message).toContain('ENOENT');
    expect(existsSync(missing)).toBe(false);
  });

  test('a file of zeros is a clear error and stays zeros, and the refused image is closed', () => {
    const zeros = join(work, 'zeros.img');
    writeFileSync(zeros, new Uint8Array(4 << 20));
    const openOnIt = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === zeros;
        } catch {
          return false;
        }
      }).length;
    const e = bootError(zeros);
    expect(openOnIt()).toBe(0);
    expect(e.message).toMatch(/^the disk cannot be the root file system: CORRUPT: .*superblock/);
    const after = readFileSync(zeros);
    expect(after.length).toBe(4 << 20);
    expect(after.every((b) => b === 0)).toBe(true);
  });

  test.skipIf(noE2fsprogs)('an ext4 image names the features it lacks and is not modified', () => {
    const ext4 = join(work, 'ext4.img');
    mke2fs(ext4, 'ext4', '32M');
    const digest = sha256(ext4);
    const e = bootError(ext4);
    expect(e.message).toMatch(
      /^the disk cannot be the root file system: UNSUPPORTED: .*incompatible features not supported: /,
    );
    expect(e.message).toContain('extents');
    expect(e.message).toContain('flex_bg');
    expect(sha256(ext4)).toBe(digest);
  });

  test.skipIf(!haveBusybox || noE2fsprogs)(
    'an ext2 image with a read-only-compatible feature the server lacks boots read-only, unmodified',
    () => {
      const image = join(work, 'metadata-csum.img');
      mke2fs(image, 'ext2', '16M', ['-O', 'metadata_csum']);
      const digest = sha256(image);
      const log: string[] = [];
      const machine = new Machine({ disk: image, memoryMiB: 64, bootLog: (line) => log.push(line) });
      expect(machine.rootDisk?.server.fs.readOnlyReason).toMatch(/metadata_csum/);
      expect(log.join('\n')).toMatch(/root file system mounted read-only: .*metadata_csum/);
      const r = machine.run(['/bin/sh', '-c', 'cat /etc/hostname; grep " / " /proc/mounts; touch /tmp/new']);
      expect(r.stdout).toBe(`exov6\n${image} / ext2 ro,relatime 0 0\n`);
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(r.status).toBe(1);
      expect(sha256(image)).toBe(digest);
    },
  );
});

describe.skipIf(!haveBusybox)('a disk in memory', () => {
  test('boots from a MemoryBlockBackend, through the server; only it and its supervisor hold the disk', () => {
    const { image } = makeDiskImage(rootTree, null, { sizeMiB: 16, owner: ROOT_OWNER, time: MKFS_TIME });
    const disk = new MemoryBlockBackend(image as Uint8Array);
    const log: string[] = [];
    const machine = new Machine({ disk, memoryMiB: 64, bootLog: (l) => log.push(l) });
    expect(log).toContainEqual(expect.stringMatching(/root file system ext2 on the disk: 16384 blocks/));
    const server = machine.rootDisk?.server as RunningFileServer;
    const extentHolders = () =>
      machine.kernel
        .snapshot()
        .envs.filter(
          (env) => env.status !== 'dead' && env.caps.some((c) => c.type === ObjectType.BLOCK_EXTENT),
        )
        .map((env) => env.id)
        .sort((a, b) => a - b);
    const supervisorId = machine.os.capInspect(machine.rootDisk?.supervisorEnv as number).objectId;
    // While the machine runs: the server, and its supervisor (which keeps it to give a restarted server).
    expect(extentHolders()).toEqual([supervisorId, machine.rootDisk?.serverEnvId]);
    const r = machine.run(['/bin/sh', '-c', "echo 'kept in memory' > /root/m && grep ' / ' /proc/mounts"]);
    expect(r).toMatchObject({ stdout: '/dev/vda / ext2 rw,relatime 0 0\n', stderr: '', status: 0 });

    // The library OS asked the server for everything: as many requests as the server answered.
    const rootDisk = machine.rootDisk;
    expect(rootDisk).not.toBeNull();
    const { remote } = rootDisk as NonNullable<typeof rootDisk>;
    expect(remote.stats.requests).toBeGreaterThan(10);
    expect(remote.stats.requests).toBe(server.server.stats.requests);
    expect(remote.stats.bytesWritten).toBeGreaterThanOrEqual('kept in memory\n'.length);
    expect(server.device.reads).toBeGreaterThan(0);
    expect(server.device.writes).toBeGreaterThan(0);

    // The disk capability the library OS was given at boot moved to the server's environment.
    const boot = machine.os.bootCapabilities();
    expect(boot?.disk).not.toBeNull();
    let refused: unknown = null;
    try {
      machine.os.blkInfo(boot?.disk as number);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ExoError);
    expect((refused as ExoError).code).toBe('E_BADCAP');
    // After power-off the server has ended, and its capability with it.
    expect(extentHolders()).toEqual([supervisorId]);
    expect(supervisorId).not.toBe(machine.os.envId);

    // What the guest wrote is in the bytes, and the file system is clean.
    const fs = Ext2FileSystem.mount(new MemoryBlockBackend(disk.bytes, { readOnly: true }), {
      readOnly: true,
    });
    const ino = fs.resolve('/root/m');
    expect(new TextDecoder().decode(fs.read(ino, 0, fs.stat(ino).size))).toBe('kept in memory\n');
    if (haveE2fsprogs) {
      const copy = join(work, 'memory.img');
      writeFileSync(copy, disk.bytes);
      expectClean(copy);
    }
  });
});

describe('exov6 --disk', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  test('parseArguments reads --disk, and needs its value', () => {
    expect(parseArguments([]).disk).toBeNull();
    expect(parseArguments(['--disk', 'root.img', '--quiet', '--', '/bin/sh'])).toMatchObject({
      disk: 'root.img',
      quiet: true,
      command: ['/bin/sh'],
    });
    expect(() => parseArguments(['--disk'])).toThrow('--disk needs an image file');
    expect(() => parseArguments(['--disk', ''])).toThrow('--disk needs an image file');
  });

  test.skipIf(!existsSync(cli))('--disk without an image is a usage error', () => {
    const r = run(['--disk']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^exov6: --disk needs an image file\nusage: exov6/);
  });

  test.skipIf(!existsSync(cli))('a missing image is an error, exit status 1', () => {
    const missing = join(work, 'cli-missing.img');
    const r = run(['--quiet', '--disk', missing, '--', '/sbin/init']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^exov6: cannot open the disk image ${missing}: ENOENT`));
    expect(existsSync(missing)).toBe(false);
  });

  test.skipIf(!existsSync(cli) || !haveBusybox)('boots an image and runs a command from it', () => {
    const image = join(work, 'cli.img');
    makeDiskImage(rootTree, image, { sizeMiB: 16, owner: ROOT_OWNER, time: MKFS_TIME });
    const quiet = run(['--quiet', '--disk', image, '--', '/bin/cat', '/etc/hostname']);
    expect(quiet).toMatchObject({ stdout: 'exov6\n', stderr: '', status: 0 });
    const logged = run(['--disk', image, '--', '/bin/sh', '-c', 'echo cli > /tmp/cli']);
    expect(logged.status).toBe(0);
    expect(logged.stderr).toContain(`root file system ext2 on ${image}: 16384 blocks of 1024 bytes`);
    if (haveE2fsprogs) {
      expectClean(image);
      expect(debugfsCat(image, '/tmp/cli').toString()).toBe('cli\n');
    }
  });
});
