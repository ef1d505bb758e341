#!/usr/bin/env node
// Builds the machine's own programs (image/*.c) as static musl executables into dist/image, where the
// default image takes them from. musl-gcc comes with Debian's musl-tools. When the host has busybox, its
// applet list is recorded beside the image (dist/busybox-applets.json), so a machine need not ask it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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
