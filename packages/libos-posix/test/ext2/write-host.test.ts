/**
 * The other direction: an image mke2fs made from a host directory (`mke2fs -t ext2 -d`) is changed by
 * Ext2FileSystem (writes in the middle, appends, truncation both ways, deletions, renames within and
 * across directories and over an existing file, new directories and files), and the same changes are
 * made to the host directory. After unmounting, e2fsck finds the image clean and debugfs sees exactly the
 * host tree: the same names, types, permissions, link counts, contents and link targets.
 */
import {
  appendFileSync,
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Ext2FileSystem } from '../../src/index';
import { e2fsck, haveE2fsprogs, mke2fs, scratchDir } from '../support/e2fsprogs';
import { debugfsDumpAll, debugfsEach, firstDifference, parseLs, parseStat, pattern } from './write-support';

/** The host tree the image starts from. */
function makeHostTree(dir: string): void {
  const file = (path: string, data: Uint8Array | string, mode = 0o644) => {
    writeFileSync(join(dir, path), data);
    chmodSync(join(dir, path), mode);
  };
  const folder = (path: string, mode = 0o755) => {
    mkdirSync(join(dir, path));
    chmodSync(join(dir, path), mode);
  };
  file('small.txt', 'a small file\n');
  file('mid.bin', pattern(1, 20 * 1024 + 17));
  file('big.bin', pattern(2, 300 * 1024 + 5), 0o600);
  // A sparse file: a hole, then data past the single-indirect range of 1 KiB blocks.
  const fd = openSync(join(dir, 'sparse.bin'), 'w');
  writeSync(fd, pattern(3, 1000), 0, 1000, 280 * 1024);
  closeSync(fd);
  file('target.txt', 'to be replaced\n');
  folder('sub');
  folder('sub/dir');
  file('sub/dir/nested.txt', pattern(4, 5000));
  file('sub/other.txt', 'other\n', 0o640);
  folder('emptydir', 0o700);
  symlinkSync('small.txt', join(dir, 'fast-link'));
  symlinkSync(`sub/dir/${'x'.repeat(90)}`, join(dir, 'slow-link'));
  linkSync(join(dir, 'small.txt'), join(dir, 'sub/hard.txt'));
}

interface HostEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  perm: number;
  links: number;
  data: Uint8Array;
  target: string;
}

function walkHost(root: string, rel = ''): HostEntry[] {
  const out: HostEntry[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = `${rel}/${name}`;
    const full = join(root, path);
    const st = lstatSync(full);
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
    out.push({
      path,
      kind,
      perm: st.mode & 0o7777,
      links: st.nlink,
      data: kind === 'file' ? new Uint8Array(readFileSync(full)) : new Uint8Array(0),
      target: kind === 'symlink' ? readlinkSync(full) : '',
    });
    if (kind === 'dir') {
      const below = walkHost(root, path);
      // 2 + subdirectories, as ext2 counts (whatever the host's file system says).
      (out[out.length - 1] as HostEntry).links =
        2 + below.filter((b) => b.kind === 'dir' && !b.path.slice(path.length + 1).includes('/')).length;
      out.push(...below);
    }
  }
  return out;
}

describe.skipIf(!haveE2fsprogs && !process.env.CI)(
  'ext2 writing on an image mke2fs made from a directory',
  () => {
    for (const [label, args] of [
      ['1 KiB blocks, 128-byte inodes', ['-b', '1024', '-I', '128']],
      ['4 KiB blocks, 256-byte inodes', ['-b', '4096', '-I', '256']],
    ] as const) {
      it(`changes made through Ext2FileSystem are exactly what debugfs sees (${label})`, () => {
        const { dir, remove } = scratchDir('exov6-ext2-host-');
        try {
          makeHostTree(dir);
          const image = mke2fs(8 * 1024, [...args], dir);
          const device = new MemoryBlockBackend(image);
          const clock = { now: 1_700_000_100 };
          const fs = Ext2FileSystem.mount(device, { clock: () => clock.now });
          const at = (path: string) => fs.resolve(path, false);

          // The image reads as the host tree before anything changes.
          for (const e of walkHost(dir)) {
            if (e.kind === 'file') {
              const ino = at(e.path);
              expect(firstDifference(fs.read(ino, 0, e.data.length + 1), e.data), e.path).toBe(-1);
            }
          }

          // The changes, to both.
          const host = (p: string) => join(dir, p);
          // Overwrite in the middle (across the single/double-indirect boundary for 1 KiB blocks).
          const middle = pattern(10, 9000);
          fs.write(at('/big.bin'), 265 * 1024, middle);
          {
            const fd = openSync(host('big.bin'), 'r+');
            writeSync(fd, middle, 0, middle.length, 265 * 1024);
            closeSync(fd);
          }
          // Append.
          const tail = pattern(11, 30_000);
          fs.write(at('/mid.bin'), fs.stat(at('/mid.bin')).size, tail);
          appendFileSync(host('mid.bin'), tail);
          // Truncate down (the data past the hole goes), and up (a hole at the end).
          fs.truncate(at('/sparse.bin'), 100);
          truncateSync(host('sparse.bin'), 100);
          fs.truncate(at('/small.txt'), 5000);
          truncateSync(host('small.txt'), 5000);
          // Write into the hole of a file that has one.
          fs.write(at('/small.txt'), 3000, pattern(12, 10));
          {
            const fd = openSync(host('small.txt'), 'r+');
            writeSync(fd, pattern(12, 10), 0, 10, 3000);
            closeSync(fd);
          }
          // Delete a file, and one name of a file with two.
          fs.unlink(at('/sub'), 'other.txt');
          unlinkSync(host('sub/other.txt'));
          fs.unlink(at('/sub'), 'hard.txt');
          unlinkSync(host('sub/hard.txt'));
          // Rename a directory across directories, a file into another directory, a file over a file.
          fs.rename(at('/sub'), 'dir', fs.rootIno, 'moved');
          renameSync(host('sub/dir'), host('moved'));
          fs.rename(at('/moved'), 'nested.txt', at('/sub'), 'nested-renamed.txt');
          renameSync(host('moved/nested.txt'), host('sub/nested-renamed.txt'));
          fs.rename(fs.rootIno, 'mid.bin', fs.rootIno, 'target.txt');
          renameSync(host('mid.bin'), host('target.txt'));
          // A new directory with a new file, a new symbolic link; an empty directory goes.
          const made = fs.mkdir(fs.rootIno, 'newdir', 0o750);
          mkdirSync(host('newdir'));
          chmodSync(host('newdir'), 0o750);
          const fresh = fs.create(made, 'new.bin', 0o604);
          fs.write(fresh, 0, pattern(13, 50 * 1024));
          writeFileSync(host('newdir/new.bin'), pattern(13, 50 * 1024));
          chmodSync(host('newdir/new.bin'), 0o604);
          fs.symlink(made, 'up', '../target.txt');
          symlinkSync('../target.txt', host('newdir/up'));
          fs.rmdir(fs.rootIno, 'emptydir');
          rmdirSync(host('emptydir'));
          fs.unmount();

          const fsck = e2fsck(device.bytes);
          expect(fsck.status, fsck.output).toBe(0);

          // debugfs sees exactly the host tree.
          const expected = walkHost(dir);
          const dirs = ['', ...expected.filter((e) => e.kind === 'dir').map((e) => e.path)];
          const listings = debugfsEach(
            device.bytes,
            dirs.map((d) => `ls -p ${d === '' ? '/' : d}`),
          );
          const seen: string[] = [];
          dirs.forEach((d, i) => {
            for (const e of parseLs(listings[i] as string)) {
              if (d === '' && e.name === 'lost+found') continue;
              seen.push(`${d}/${e.name}`);
            }
          });
          expect(seen.sort()).toEqual(expected.map((e) => e.path).sort());
          const stats = debugfsEach(
            device.bytes,
            expected.map((e) => `stat ${e.path}`),
          ).map(parseStat);
          const dumps = debugfsDumpAll(
            device.bytes,
            expected.map((e) => e.path),
          );
          expected.forEach((e, i) => {
            const st = stats[i] as ReturnType<typeof parseStat>;
            const kind = { file: 'regular', dir: 'directory', symlink: 'symlink' }[e.kind];
            expect([st.type, st.mode & 0o7777, st.links], e.path).toEqual([kind, e.perm, e.links]);
            if (e.kind === 'file') {
              expect(st.size, e.path).toBe(e.data.length);
              expect(firstDifference(dumps[i] as Uint8Array, e.data), e.path).toBe(-1);
            }
            if (e.kind === 'symlink') {
              const target = st.fastLink ?? new TextDecoder().decode(dumps[i] as Uint8Array);
              expect(target, e.path).toBe(e.target);
            }
          });
        } finally {
          remove();
        }
      });
    }
  },
);
