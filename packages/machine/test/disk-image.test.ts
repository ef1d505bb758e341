/**
 * Disk images made with the project's own mkfs from a host directory: e2fsck finds them clean, debugfs
 * reads back every file, the same directory gives the same bytes, and the tree read back through ext2
 * is the one `mke2fs -t ext2 -d` makes from the same directory.
 */
import { spawnSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { Ext2FileSystem } from '@exov6/libos-posix';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDiskImage, MachineError } from '../src/index';

const have = (tool: string) =>
  spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
const haveE2fsprogs = have('e2fsck') && have('debugfs') && have('mke2fs');
const sbin = (tool: string) =>
  spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0 ? tool : `/usr/sbin/${tool}`;

let work: string;
let source: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exov6-disk-'));
  source = join(work, 'tree');
  mkdirSync(join(source, 'etc/deep/er'), { recursive: true });
  writeFileSync(join(source, 'etc/motd'), 'welcome\n');
  writeFileSync(join(source, 'etc/deep/er/empty'), '');
  const big = new Uint8Array(700_000).map((_, i) => (i * 13 + (i >> 10)) & 0xff);
  writeFileSync(join(source, 'big.bin'), big);
  symlinkSync('etc/motd', join(source, 'motd-link'));
  symlinkSync('x'.repeat(120), join(source, 'long-link'));
  linkSync(join(source, 'etc/motd'), join(source, 'motd-hard'));
  for (let i = 0; i < 150; i++) writeFileSync(join(source, 'etc/deep', `file-${i}`), `${i}\n`);
  utimesSync(join(source, 'big.bin'), 1_600_000_000, 1_600_000_000);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every path of the tree with what it is: type, mode, size, link count, target or a content digest. */
function describeTree(fs: Ext2FileSystem): string[] {
  const out: string[] = [];
  const walk = (dir: number, path: string): void => {
    for (const e of fs.readdir(dir).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (path === '' && e.name === 'lost+found') continue;
      const st = fs.stat(e.ino);
      const type = st.mode >> 12;
      let what = '';
      if (type === 0o12) what = fs.readlink(e.ino);
      else if (type === 0o10)
        what = String(fs.read(e.ino, 0, st.size).reduce((h, b) => (h * 31 + b) >>> 0, 7));
      out.push(`${path}/${e.name} ${st.mode.toString(8)} ${type === 0o4 ? '' : st.size} ${st.links} ${what}`);
      if (type === 0o4) walk(e.ino, `${path}/${e.name}`);
    }
  };
  walk(fs.rootIno, '');
  return out;
}

describe.skipIf(!haveE2fsprogs && !process.env.CI)('disk images from a directory', () => {
  test('are clean for e2fsck, hold every file for debugfs, and are the same bytes every time', () => {
    const path = join(work, 'ours.img');
    const summary = makeDiskImage(source, path, {
      sizeMiB: 8,
      time: 1_700_000_000,
      owner: { uid: 0, gid: 0 },
    });
    expect(summary).toMatchObject({ files: 153, directories: 3, symlinks: 2, hardLinks: 1, special: 0 });
    const fsck = spawnSync(sbin('e2fsck'), ['-fn', path], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout).toBe(0);
    const cat = spawnSync(sbin('debugfs'), ['-R', 'cat /big.bin', path], { maxBuffer: 1 << 24 });
    // (Buffer comparison: a deep equality over a large array is slow)
    expect(Buffer.compare(cat.stdout, readFileSync(join(source, 'big.bin')))).toBe(0);
    const stat = spawnSync(sbin('debugfs'), ['-R', 'stat /big.bin', path], { encoding: 'utf8' }).stdout;
    expect(stat).toMatch(/mtime: 0x5f5e1000/);
    const again = makeDiskImage(source, null, { sizeMiB: 8, time: 1_700_000_000, owner: { uid: 0, gid: 0 } });
    expect(Buffer.compare(Buffer.from(again.image as Uint8Array), readFileSync(path))).toBe(0);
  });

  test('read back through ext2, the tree is the one mke2fs -d makes from the same directory', () => {
    const ours = makeDiskImage(source, null, { sizeMiB: 8, time: 1_700_000_000 }).image as Uint8Array;
    const theirsPath = join(work, 'theirs.img');
    const made = spawnSync(sbin('mke2fs'), ['-q', '-F', '-t', 'ext2', '-d', source, theirsPath, '8M'], {
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const theirs = new Uint8Array(readFileSync(theirsPath));
    const read = (image: Uint8Array) =>
      describeTree(Ext2FileSystem.mount(new MemoryBlockBackend(image), { readOnly: true }));
    const tree = read(ours);
    expect(tree).toEqual(read(theirs));
    expect(tree).toContain('/motd-link 120777 8 1 etc/motd');
    expect(tree.filter((l) => l.startsWith('/etc/motd ') || l.startsWith('/motd-hard '))).toHaveLength(2);
  });

  test('a directory that does not fit, or is not a directory, is a clear error', () => {
    expect(() => makeDiskImage(source, null, { sizeMiB: 1 })).toThrow(/full|ENOSPC/);
    expect(() => makeDiskImage(join(source, 'etc/motd'), null, {})).toThrow(MachineError);
    expect(() => makeDiskImage(source, null, { sizeMiB: 0 })).toThrow(MachineError);
  });
});
