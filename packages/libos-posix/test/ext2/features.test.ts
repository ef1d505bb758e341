/**
 * Feature flags decide what may be done with an image. An incompatible feature this implementation does
 * not know (ext4's extents, flex_bg, 64bit; meta_bg; needs_recovery; an unnamed bit) refuses the mount
 * with UNSUPPORTED naming the features. A read-only-compatible one it does not know (huge_file,
 * metadata_csum, dir_nlink, extra_isize, an unnamed bit) mounts read-only with a reason naming it: reading works,
 * every change is refused with READ_ONLY, and the image is not changed by a single byte. An unknown
 * compatible feature (has_journal, and the ext_attr, resize_inode and dir_index mke2fs gives ext2) mounts
 * read-write, and e2fsck finds the image clean after changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBlockBackend } from '@exov6/hal-x86';
import { describe, expect, it } from 'vitest';
import { Ext2FileSystem, mkfs, type VolumeOptions } from '../../src/index';
import { debugfs, e2fsck, haveE2fsprogs, MKE2FS, mke2fs, scratchDir } from '../support/e2fsprogs';
import { expectExt2Error, parseStats, scratchInMemory } from '../support/ext2-read';

const describeE2fsprogs = describe.skipIf(!haveE2fsprogs && !process.env.CI);
scratchInMemory();

const SLOW_TARGET = `/${'slow/'.repeat(20)}end`;

/** A small tree for mke2fs -d: a file, a directory with a file, an empty directory, fast and slow links. */
function withTree<T>(body: (dir: string) => T): T {
  const scratch = scratchDir();
  try {
    const dir = join(scratch.dir, 'tree');
    mkdirSync(join(dir, 'sub', 'empty'), { recursive: true });
    writeFileSync(join(dir, 'hello'), 'hello, world\n');
    writeFileSync(
      join(dir, 'sub', 'data'),
      new Uint8Array(5000).map((_, i) => i & 0xff),
    );
    symlinkSync('hello', join(dir, 'fast'));
    symlinkSync(SLOW_TARGET, join(dir, 'slow'));
    return body(dir);
  } finally {
    scratch.remove();
  }
}

/** mke2fs with a file-system type other than ext2 (the shared helper always passes -t ext2). */
function mke2fsType(type: string, sizeKiB: number): Uint8Array {
  const scratch = scratchDir();
  try {
    const path = join(scratch.dir, 'image');
    writeFileSync(path, new Uint8Array(0));
    const r = spawnSync(MKE2FS as string, ['-q', '-F', '-t', type, path, `${sizeKiB}k`], {
      encoding: 'utf8',
      env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', MKE2FS_DETERMINISTIC: '1' },
    });
    if (r.status !== 0) throw new Error(`mke2fs -t ${type}: ${r.stderr}`);
    return new Uint8Array(readFileSync(path));
  } finally {
    scratch.remove();
  }
}

function setU32(image: Uint8Array, at: number, value: number): void {
  new DataView(image.buffer, image.byteOffset).setUint32(at, value >>> 0, true);
}

function getU32(image: Uint8Array, at: number): number {
  return new DataView(image.buffer, image.byteOffset).getUint32(at, true);
}

/** Superblock offsets of the feature words. */
const S_FEATURE_COMPAT = 1024 + 92;
const S_FEATURE_INCOMPAT = 1024 + 96;
const S_FEATURE_RO_COMPAT = 1024 + 100;

function expectUnmountable(image: Uint8Array, names: string[]): void {
  const before = image.slice();
  for (const readOnly of [false, true]) {
    const error = expectExt2Error(
      () => Ext2FileSystem.mount(new MemoryBlockBackend(image), { readOnly }),
      'UNSUPPORTED',
    );
    expect(error.message).toMatch(/incompatible features/);
    for (const name of names) expect(error.message).toContain(name);
  }
  expect(Buffer.from(image).equals(Buffer.from(before)), 'a refused mount writes nothing').toBe(true);
}

/** Every change Ext2FileSystem offers is refused with READ_ONLY; reads, sync and unmount write nothing. */
function expectReadOnly(device: MemoryBlockBackend, reason: RegExp, options: VolumeOptions = {}): void {
  const before = device.bytes.slice();
  const fs = Ext2FileSystem.mount(device, options);
  expect(fs.readOnly).toBe(true);
  expect(fs.readOnlyReason).toMatch(reason);

  // Reading works.
  const root = fs.rootIno;
  const names = fs
    .readdir(root)
    .map((e) => e.name)
    .sort();
  expect(names).toEqual(expect.arrayContaining(['fast', 'hello', 'lost+found', 'slow', 'sub']));
  const hello = fs.resolve('/hello');
  expect(new TextDecoder().decode(fs.read(hello, 0, 100))).toBe('hello, world\n');
  const data = fs.resolve('/sub/data');
  expect(fs.read(data, 4000, 1000)).toEqual(new Uint8Array(1000).map((_, i) => (4000 + i) & 0xff));
  expect(fs.readlink(fs.resolve('/fast', false))).toBe('hello');
  expect(fs.readlink(fs.resolve('/slow', false))).toBe(SLOW_TARGET);
  expect(fs.resolve('/fast')).toBe(hello);
  expect(fs.stat(hello).size).toBe(13);
  expect(fs.statfs().blockSize).toBe(fs.blockSize);
  const sub = fs.resolve('/sub');
  const empty = fs.resolve('/sub/empty');

  // Every change is refused, the reason in the message.
  const bytes = new TextEncoder().encode('x');
  const refusals: [string, () => unknown][] = [
    ['write', () => fs.write(hello, 0, bytes)],
    ['write past the end', () => fs.write(hello, 1 << 20, bytes)],
    ['truncate', () => fs.truncate(hello, 0)],
    ['create', () => fs.create(root, 'new', 0o644)],
    ['mkdir', () => fs.mkdir(root, 'newdir', 0o755)],
    ['symlink', () => fs.symlink(root, 'newlink', 'hello')],
    ['link', () => fs.link(root, 'hard', hello)],
    ['unlink', () => fs.unlink(root, 'hello')],
    ['rmdir', () => fs.rmdir(sub, 'empty')],
    ['rename', () => fs.rename(root, 'hello', sub, 'moved')],
    ['rename over', () => fs.rename(root, 'hello', root, 'fast')],
    ['setAttributes', () => fs.setAttributes(hello, { mode: 0o600 })],
    ['setAttributes times', () => fs.setAttributes(empty, { atime: 5, mtime: 5 })],
  ];
  for (const [what, change] of refusals) {
    const error = expectExt2Error(change, 'READ_ONLY');
    expect(error.message, what).toMatch(reason);
    expect(error.errno, what).toBe(30); // EROFS
  }
  // Open and close, sync, fsync and unmount are allowed and write nothing.
  fs.open(hello);
  fs.close(hello);
  fs.sync();
  fs.fsync(hello);
  expect(
    fs
      .readdir(root)
      .map((e) => e.name)
      .sort(),
  ).toEqual(names);
  fs.unmount();
  expect(Buffer.from(device.bytes).equals(Buffer.from(before)), 'the image is unchanged').toBe(true);
}

describeE2fsprogs('unsupported incompatible features refuse the mount', () => {
  it('ext4 (extents, 64bit, flex_bg)', () => {
    const image = mke2fsType('ext4', 8192);
    expect(parseStats(debugfs(image, ['stats'])).get('Filesystem features')).toMatch(/extent 64bit flex_bg/);
    expectUnmountable(image, ['extents', '64bit', 'flex_bg']);
  });

  it('extents alone, and meta_bg', () => {
    const extents = mke2fs(4096, ['-O', 'extent']);
    expectUnmountable(extents, ['extents']);
    const error = expectExt2Error(() => Ext2FileSystem.mount(new MemoryBlockBackend(extents)), 'UNSUPPORTED');
    expect(error.message).not.toContain('flex_bg');
    expectUnmountable(mke2fs(4096, ['-O', 'meta_bg,^resize_inode']), ['meta_bg']);
  });
});

describe('unsupported incompatible features set by hand', () => {
  const fresh = (): Uint8Array => {
    const device = new MemoryBlockBackend(new Uint8Array(1 << 20));
    mkfs(device);
    return device.bytes;
  };

  it('needs_recovery, an unnamed bit, several at once', () => {
    for (const [bits, names] of [
      [0x4, ['recover']],
      [0x100000, ['0x100000']],
      [0x80000000, ['0x80000000']],
      [0x10 | 0x8000 | 0x40000000, ['meta_bg', 'inline_data', '0x40000000']],
    ] as const) {
      const image = fresh();
      setU32(image, S_FEATURE_INCOMPAT, getU32(image, S_FEATURE_INCOMPAT) | bits);
      expectUnmountable(image, [...names]);
    }
  });

  it('an inode that uses extents or inline data in an ext2 image is UNSUPPORTED, the rest readable', () => {
    const device = new MemoryBlockBackend(new Uint8Array(1 << 20));
    mkfs(device);
    let fs = Ext2FileSystem.mount(device);
    const a = fs.create(2, 'a', 0o644);
    const b = fs.create(2, 'b', 0o644);
    fs.write(b, 0, new Uint8Array([1, 2, 3]));
    fs.unmount();
    // i_flags of inode a: EXT4_EXTENTS_FL; of inode b: EXT4_INLINE_DATA_FL. Inode table of group 0:
    const view = new DataView(device.bytes.buffer);
    const table = view.getUint32(2048 + 8, true);
    const inodeSize = view.getUint16(1024 + 88, true);
    const flagsOf = (ino: number) => table * 1024 + (ino - 1) * inodeSize + 32;
    view.setUint32(flagsOf(a), 0x80000, true);
    view.setUint32(flagsOf(b), 0x10000000, true);
    fs = Ext2FileSystem.mount(device);
    expect(fs.readdir(2).map((e) => e.name)).toEqual(['lost+found', 'a', 'b']);
    for (const ino of [a, b]) {
      expectExt2Error(() => fs.stat(ino), 'UNSUPPORTED');
      expectExt2Error(() => fs.read(ino, 0, 10), 'UNSUPPORTED');
      expectExt2Error(() => fs.write(ino, 0, new Uint8Array(1)), 'UNSUPPORTED');
    }
    expect(() => fs.resolve('/a')).toThrow(/UNSUPPORTED/);
    expect(fs.stat(11).mode).toBe(0o40700);
  });
});

describeE2fsprogs('unsupported read-only-compatible features mount read-only', () => {
  for (const feature of ['huge_file', 'metadata_csum', 'dir_nlink', 'extra_isize']) {
    it(feature, () => {
      const image = withTree((dir) => mke2fs(4096, ['-O', feature], dir));
      expect(parseStats(debugfs(image, ['stats'])).get('Filesystem features')).toContain(feature);
      expect(e2fsck(image).status).toBe(0);
      expectReadOnly(
        new MemoryBlockBackend(image),
        new RegExp(`read-only-compatible features not supported: .*${feature}`),
      );
    });
  }

  it('an unnamed read-only-compatible bit', () => {
    const image = withTree((dir) => mke2fs(4096, [], dir));
    setU32(image, S_FEATURE_RO_COMPAT, getU32(image, S_FEATURE_RO_COMPAT) | 0x40000000);
    expectReadOnly(new MemoryBlockBackend(image), /read-only-compatible features not supported: 0x40000000/);
  });

  it('a read-only mount and a read-only device behave the same way', () => {
    const image = withTree((dir) => mke2fs(4096, [], dir));
    const before = image.slice();
    const device = new MemoryBlockBackend(image);
    const mounted = Ext2FileSystem.mount(device, { readOnly: true });
    expect(mounted.readOnlyReason).toBe('mounted read-only');
    mounted.unmount();
    expectReadOnly(device, /mounted read-only/, { readOnly: true });
    // A device that refuses writes (any write would throw a BlockBackendError, not an Ext2Error).
    expectReadOnly(new MemoryBlockBackend(image, { readOnly: true }), /the device is read-only/);
    expect(Buffer.from(image).equals(Buffer.from(before))).toBe(true);
  });
});

describeE2fsprogs('unknown compatible features mount read-write', () => {
  for (const [name, args] of [
    ['ext_attr, resize_inode, dir_index (mke2fs -t ext2)', []],
    ['has_journal', ['-O', 'has_journal']],
  ] as [string, string[]][]) {
    it(name, () => {
      const image = withTree((dir) => mke2fs(8192, args, dir));
      const compat = getU32(image, S_FEATURE_COMPAT);
      expect(compat).not.toBe(0);
      const device = new MemoryBlockBackend(image);
      const fs = Ext2FileSystem.mount(device, { clock: () => 1_800_000_000 });
      expect(fs.readOnly).toBe(false);
      expect(fs.readOnlyReason).toBeNull();
      const ino = fs.create(fs.rootIno, 'written', 0o644);
      fs.write(ino, 0, new Uint8Array(20_000).fill(7));
      fs.mkdir(fs.resolve('/sub'), 'made', 0o755);
      fs.unlink(fs.rootIno, 'hello');
      fs.unmount();
      expect(getU32(device.bytes, S_FEATURE_COMPAT)).toBe(compat);
      const fsck = e2fsck(device.bytes);
      expect(fsck.status, fsck.output).toBe(0);
      expect(debugfs(device.bytes, ['ls -p /sub'])).toContain('/made/');
    });
  }
});
