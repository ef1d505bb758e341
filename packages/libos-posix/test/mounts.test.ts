/**
 * Mount points: /dev and /proc are file systems of their own, tmpfs and proc mount anywhere, and what
 * crosses file systems is refused as on Linux (EXDEV for rename and link, EBUSY for a mount point or a
 * file system in use). Checked on the namespace directly and through busybox's mount, umount, mv, ln,
 * stat and df, against the output Linux gives for the same mounts.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO_NAMES } from '@exov6/hal-x86';
import { SyscallError } from '../src/errno';
import { FileSystem, HostStdio } from '../src/index';
import { haveBusybox, installBusybox } from './support/busybox';
import { bootSystem, runCommand } from './support/programs';

function errnoOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SyscallError) return ERRNO_NAMES[e.errno] ?? String(e.errno);
    throw e;
  }
  return 'no error';
}

describe('mount points in the namespace', () => {
  it('cover a directory, lead back out through "..", and name their files with their own device', () => {
    const fs = new FileSystem();
    fs.mkdirs('/mnt/under');
    fs.writeFile('/mnt/under/hidden', 'x');
    const tree = fs.newTree();
    fs.mount('/mnt', '/', tree, { source: 'scratch', type: 'tmpfs', options: 'rw' });
    expect(fs.lookup('/mnt')).toBe(tree);
    expect(fs.exists('/mnt/under')).toBe(false);
    const file = fs.writeFile('/mnt/a/b', 'data');
    expect(file.dev).toBe(tree.dev);
    expect(file.dev).not.toBe(fs.root.dev);
    expect(fs.lookup('/mnt/a/../..')).toBe(fs.root);
    expect(fs.realpath('/mnt/a/b')).toBe('/mnt/a/b');
    expect(fs.pathOf(fs.lookup('/mnt/a'))).toBe('/mnt/a');
    expect(fs.mounts().map((m) => `${m.source} ${m.path} ${m.type}`)).toEqual([
      'tmpfs / tmpfs',
      'scratch /mnt tmpfs',
    ]);

    fs.writeFile('/tmp/t', 't');
    expect(errnoOf(() => fs.rename('/mnt/a/b', '/tmp/b', '/'))).toBe('EXDEV');
    expect(errnoOf(() => fs.link('/tmp/t', '/mnt/t', '/'))).toBe('EXDEV');
    expect(errnoOf(() => fs.rmdir('/mnt', '/'))).toBe('EBUSY');
    expect(errnoOf(() => fs.rename('/mnt', '/mnt2', '/'))).toBe('EBUSY');
    fs.rename('/mnt/a/b', '/mnt/c', '/'); // inside one file system
    expect(new TextDecoder().decode(fs.readFile('/mnt/c'))).toBe('data');

    // A mount inside keeps the outer one mounted; unmounting brings the covered directory back.
    fs.mkdirs('/mnt/inner');
    fs.mount('/mnt/inner', '/', fs.newTree(), { source: 'inner', type: 'tmpfs', options: 'rw' });
    expect(errnoOf(() => fs.umount('/mnt', '/'))).toBe('EBUSY');
    fs.umount('/mnt/inner', '/');
    fs.umount('/mnt', '/');
    expect(fs.exists('/mnt/under/hidden')).toBe(true);
    expect(errnoOf(() => fs.umount('/mnt', '/'))).toBe('EINVAL');
    expect(errnoOf(() => fs.umount('/', '/'))).toBe('EBUSY');
  });

  it('stack: a second mount on the same place covers the first until it goes', () => {
    const fs = new FileSystem();
    fs.mkdirs('/m');
    const first = fs.newTree();
    const second = fs.newTree();
    fs.mount('/m', '/', first, { source: 'one', type: 'tmpfs', options: 'rw' });
    fs.mount('/m', '/', second, { source: 'two', type: 'tmpfs', options: 'rw' });
    expect(fs.lookup('/m')).toBe(second);
    expect(fs.mounts().map((m) => m.path)).toEqual(['/', '/m', '/m']);
    fs.umount('/m', '/');
    expect(fs.lookup('/m')).toBe(first);
  });
});

// The expected output, written out: the mounts this system starts with (a tmpfs root, devtmpfs on /dev,
// proc on /proc), the errors Linux gives, and busybox's own formats for them.
const SCRIPT = `
cat /proc/mounts
mkdir /mnt
mount -t tmpfs -o size=1m scratch /mnt
mount | tail -n 1
echo hello > /mnt/file
ln /mnt/file /tmp/link 2>/dev/null || echo "ln across file systems fails"
mv /mnt/file /tmp/moved && cat /tmp/moved
ls /mnt | wc -l
stat -c '%d %n' / /dev /proc /mnt
cd /mnt && { umount /mnt 2>/dev/null || echo "busy while a shell is inside"; }
cd /
umount /mnt && echo unmounted
grep -c scratch /proc/mounts
df /tmp | tail -n 1 | awk '{print $1, $6}'
mount -t proc proc /mnt && ls /mnt/self/cmdline && umount /mnt
mount -t ext4 /dev/null /mnt 2>&1 | sed 's/.*: //'
`;

const EXPECTED = `tmpfs / tmpfs rw 0 0
devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
scratch on /mnt type tmpfs (rw,relatime,size=1m)
ln across file systems fails
hello
0
2049 /
2050 /dev
2051 /proc
2052 /mnt
busy while a shell is inside
unmounted
0
tmpfs /
/mnt/self/cmdline
No such device
`;

describe.skipIf(!haveBusybox)('mounts through busybox', () => {
  it('mount, umount, mv and ln across file systems, stat, df and /proc/mounts', () => {
    const booted = bootSystem();
    installBusybox(booted);
    const result = runCommand(booted, ['/bin/sh', '-c', SCRIPT], { env: ['PATH=/bin'] });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(EXPECTED);
  });

  it('refuses mount and umount to a process that is not root', () => {
    const booted = bootSystem();
    installBusybox(booted);
    const stdio = new HostStdio();
    stdio.input.end();
    const script = 'mount -t tmpfs none /tmp 2>&1 | sed "s/.*: //"; umount /proc 2>&1 | sed "s/.*: //"';
    const shell = booted.system.spawn('/bin/sh', {
      argv: ['sh', '-c', script],
      env: ['PATH=/bin'],
      uid: 1000,
      gid: 1000,
      stdio: stdio.files,
    });
    booted.kernel.run();
    expect(shell.state).toBe('zombie');
    // busybox's own words for EPERM from mount(2), then umount's strerror.
    expect(stdio.stdout).toBe('permission denied (are you root?)\nOperation not permitted\n');
  });
});
