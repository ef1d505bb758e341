/**
 * Hashed-index (dir_index) directories: e2fsprogs builds the index (mke2fs -d makes a directory of
 * thousands of entries, `e2fsck -fyD` indexes it), debugfs confirms the inode carries the index flag and
 * the htree has interior nodes, and Ext2FileSystem reads the directory as the linear one it also is: every
 * entry listed and found. Adding and removing entries through Ext2FileSystem leaves an image e2fsck finds
 * clean and in which debugfs sees the change (the directory, changed without maintaining the index, loses
 * its index flag, as an implementation without dir_index must).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Ext2FileSystem } from '../../src/index';
import { e2fsck, e2fsckRepair, haveE2fsprogs, mke2fs, scratchDir } from '../support/e2fsprogs';
import { debugfsEach, parseInodeStat, scratchInMemory } from '../support/ext2-read';

const describeE2fsprogs = describe.skipIf(!haveE2fsprogs && !process.env.CI);
scratchInMemory();
const INDEX_FLAG = 0x1000;

/** The names of the entries in use in debugfs's parseable listing (`ls -p`: /ino/mode/uid/gid/name/size/). */
function debugfsNames(listing: string): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split('\n')) {
    const fields = line.split('/');
    // (Interior index blocks show as unused entries, inode 0.)
    if (fields.length >= 7 && fields[1] !== '0') names.add(fields[5] as string);
  }
  return names;
}

describeE2fsprogs('hashed-index directories made by e2fsck -D', () => {
  for (const { blockSize, entries, nameLength } of [
    // Long names in 1 KiB blocks: ~200 leaf blocks, more than the root holds, so an interior level.
    { blockSize: 1024, entries: 3000, nameLength: 60 },
    { blockSize: 4096, entries: 2500, nameLength: 12 },
  ]) {
    it(`${entries} entries, ${blockSize}-byte blocks`, () => {
      const scratch = scratchDir();
      const names: string[] = [];
      let image: Uint8Array;
      try {
        const big = join(scratch.dir, 'tree', 'big');
        mkdirSync(big, { recursive: true });
        for (let i = 0; i < entries; i++) {
          const name = `e${i}-`.padEnd(nameLength, 'x');
          names.push(name);
          writeFileSync(join(big, name), i % 100 === 0 ? `file ${i}\n` : '');
        }
        mkdirSync(join(big, 'subdir'));
        names.push('subdir');
        image = mke2fs(
          12 * 1024,
          ['-b', String(blockSize), '-N', String(entries + 100)],
          join(scratch.dir, 'tree'),
        );
      } finally {
        scratch.remove();
      }

      const repaired = e2fsckRepair(image, ['-D']);
      expect(repaired.status, repaired.output).toBeLessThanOrEqual(1);
      expect(repaired.output).toMatch(/Optimizing directories/);
      const indexed = repaired.image;
      expect(e2fsck(indexed).status).toBe(0);
      const [statBefore = '', htree = ''] = debugfsEach(indexed, ['stat /big', 'htree /big']);
      const before = parseInodeStat(statBefore);
      expect(before.flags & INDEX_FLAG, 'debugfs: the directory is indexed').toBe(INDEX_FLAG);
      expect(htree).toMatch(/Root node dump:/);
      if (blockSize === 1024) expect(htree).toMatch(/Indirect levels: 1/);

      const device = new MemoryBlockBackend(indexed.slice());
      const fs = Ext2FileSystem.mount(device, { clock: () => 1_800_000_000 });
      const dir = fs.resolve('/big');
      expect(dir).toBe(before.ino);
      const listed = fs.readdir(dir);
      expect(listed.length).toBe(names.length);
      expect(new Set(listed.map((e) => e.name))).toEqual(new Set(names));
      expect(new Set(listed.map((e) => e.ino)).size).toBe(names.length);
      for (const e of listed) expect(e.type).toBe(e.name === 'subdir' ? 2 : 1);
      for (const i of [0, 1, 17, 999, entries - 1]) {
        const name = names[i] as string;
        const ino = fs.lookup(dir, name);
        expect(listed.find((e) => e.name === name)?.ino).toBe(ino);
        expect(fs.resolve(`/big/${name}`)).toBe(ino);
        expect(new TextDecoder().decode(fs.read(ino, 0, 100))).toBe(i % 100 === 0 ? `file ${i}\n` : '');
      }
      expect(() => fs.lookup(dir, 'not-there')).toThrow(/ENOENT/);
      expect(fs.lookup(fs.resolve('/big/subdir'), '..')).toBe(dir);

      // Change it: add, remove, rename within it, add a directory.
      const added = fs.create(dir, 'added-entry', 0o644);
      fs.write(added, 0, new TextEncoder().encode('new\n'));
      const removed = names[1234 % entries] as string;
      fs.unlink(dir, removed);
      const renamedFrom = names[42] as string;
      fs.rename(dir, renamedFrom, dir, 'renamed-entry');
      fs.mkdir(dir, 'added-dir', 0o755);
      expect(fs.readdir(dir).length).toBe(names.length + 1);
      expect(() => fs.lookup(dir, removed)).toThrow(/ENOENT/);
      fs.unmount();

      const fsck = e2fsck(device.bytes);
      expect(fsck.status, fsck.output).toBe(0);
      const [statAfter = '', listing = '', addedDump = ''] = debugfsEach(device.bytes, [
        'stat /big',
        'ls -p /big',
        'cat /big/added-entry',
      ]);
      const after = parseInodeStat(statAfter);
      expect(after.flags & INDEX_FLAG, 'changed without its index, it is no longer marked indexed').toBe(0);
      expect(after.links).toBe(before.links + 1);
      const seen = debugfsNames(listing);
      expect(seen.has('added-entry')).toBe(true);
      expect(seen.has('added-dir')).toBe(true);
      expect(seen.has('renamed-entry')).toBe(true);
      expect(seen.has(removed)).toBe(false);
      expect(seen.has(renamedFrom)).toBe(false);
      expect(seen.size).toBe(names.length + 1 + 2); // with "." and ".."
      expect(addedDump).toBe('\nnew\n');
    });
  }
});
