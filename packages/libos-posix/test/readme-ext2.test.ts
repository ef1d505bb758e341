/**
 * The README's ext2 example, as written there: its output must be the one the README shows.
 */
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { expect, it } from 'vitest';
import { Ext2FileSystem, mkfs } from '../src/index';
import { e2fsck, haveE2fsprogs } from './support/e2fsprogs';

it('the ext2 example prints what the README says, and leaves a clean image', () => {
  const disk = new MemoryBlockBackend(8 << 20);
  mkfs(disk, { blockSize: 1024, time: 1_700_000_000 });
  const fs = Ext2FileSystem.mount(disk, { clock: () => 1_700_000_000 });
  const etc = fs.mkdir(fs.rootIno, 'etc', 0o755);
  const motd = fs.create(etc, 'motd', 0o644);
  fs.write(motd, 0, new TextEncoder().encode('hello from ext2\n'));
  fs.symlink(fs.rootIno, 'motd', 'etc/motd');
  const printed = `${new TextDecoder().decode(fs.read(fs.resolve('/motd'), 0, 100))} ${fs.stat(motd).size}`;
  fs.unmount();
  expect(printed).toBe('hello from ext2\n 16');
  if (haveE2fsprogs) expect(e2fsck(disk.bytes).status).toBe(0);
});
