#!/usr/bin/env node
// Builds the machine's own programs (image/*.c) as static musl executables into dist/image, where the
// default image takes them from. musl-gcc comes with Debian's musl-tools. When the host has busybox, its
// applet list is recorded beside the image (dist/busybox-applets.json), so a machine need not ask it.
// Last, the default image is staged as a directory (dist/rootfs) and made into the default disk image
// (dist/disk.img, ext2, by the project's own mkfs), which `exov6 --disk dist/disk.img` boots.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'image');
if (spawnSync('musl-gcc', ['--version'], { stdio: 'ignore' }).error !== undefined) {
  console.error('build-image: musl-gcc is missing (apt-get install musl-tools): the machine image needs it');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
for (const file of readdirSync(join(root, 'image')).filter((f) => f.endsWith('.c'))) {
  const name = file.slice(0, -2);
  execFileSync(
    'musl-gcc',
    ['-static', '-O2', '-Wall', '-Werror', '-o', join(out, name), join(root, 'image', file)],
    {
      stdio: 'inherit',
    },
  );
}
const busybox = '/bin/busybox';
if (existsSync(busybox)) {
  const stat = statSync(busybox);
  const list = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
  const applets = (list.stdout ?? '').split('\n').filter((a) => a.length > 0);
  const record = { path: busybox, size: stat.size, mtimeMs: stat.mtimeMs, applets };
  writeFileSync(join(root, 'dist', 'busybox-applets.json'), `${JSON.stringify(record)}\n`);
}
console.log(`build-image: ${out}`);

const { makeDiskImage, stageDefaultRoot } = await import('../dist/index.js');
const staging = join(root, 'dist', 'rootfs');
rmSync(staging, { recursive: true, force: true });
stageDefaultRoot(staging);
const disk = join(root, 'dist', 'disk.img');
// Room to work in: the image is a sparse file, so the free space costs nothing on the host.
const summary = makeDiskImage(staging, disk, { sizeMiB: 128, blockSize: 4096, owner: { uid: 0, gid: 0 } });
console.log(
  `build-image: ${disk} (${summary.files} files, ${summary.directories} directories, ${summary.symlinks} symbolic links)`,
);
