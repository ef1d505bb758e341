/**
 * The default disk-less image: an in-memory root file system with the machine's own programs (built
 * into dist/image from image/*.c), Debian's busybox-static as /bin/busybox with a link per applet when
 * the host has it, and the few files of /etc a shell expects.
 *
 * To add a program: put a C file in image/ (it is built static with musl by `pnpm --filter
 * @exov6/machine build` and installed as /bin/NAME), or pass `files` to `Machine` for any static x86-64
 * executable or data file of your own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileSystem } from '@exov6/libos-posix';
import { MachineError } from './machine-error';

/** Where the built programs are: dist/image next to the bundled module. */
export function imageDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'image'), join(here, '..', 'dist', 'image')]) {
    if (existsSync(join(candidate, 'init'))) return candidate;
  }
  throw new MachineError(
    'machine image not built: run `pnpm --filter @exov6/machine build` (needs musl-gcc)',
  );
}

export interface ImageOptions {
  /** busybox-static to install as /bin/busybox (default /bin/busybox when it exists; null for none). */
  busybox?: string | null;
  /** Extra files: absolute path in the image -> contents (executables get mode 0755). */
  files?: Record<string, Uint8Array | string>;
}

export interface ImageSummary {
  programs: string[];
  applets: number;
  busybox: boolean;
}

const HOST_BUSYBOX = '/bin/busybox';

interface HostBusybox {
  /** Identifies the file's version: path, size and modification time. */
  key: string;
  binary: Uint8Array;
  applets: string[];
}

/** The last busybox read (the image copies its bytes): machines made one after another read and ask it once. */
let hostBusybox: HostBusybox | null = null;

function readHostBusybox(path: string): HostBusybox {
  const stat = statSync(path);
  const key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  if (hostBusybox?.key !== key) {
    const applets = recordedApplets(path, stat.size, stat.mtimeMs) ?? askApplets(path);
    hostBusybox = {
      key,
      binary: new Uint8Array(readFileSync(path)),
      applets: applets.filter((a) => /^[\w.[-]+$/.test(a)),
    };
  }
  return hostBusybox;
}

/** The applet list the build recorded (dist/busybox-applets.json), if it is this very file's. */
function recordedApplets(path: string, size: number, mtimeMs: number): string[] | null {
  try {
    const file = join(dirname(imageDirectory()), 'busybox-applets.json');
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<BusyboxRecord>;
    const same = record.path === path && record.size === size && record.mtimeMs === mtimeMs;
    return same && Array.isArray(record.applets) ? record.applets : null;
  } catch {
    return null; // no record (or not readable): ask busybox itself
  }
}

interface BusyboxRecord {
  path: string;
  size: number;
  mtimeMs: number;
  applets: string[];
}

function askApplets(path: string): string[] {
  return (spawnSync(path, ['--list'], { encoding: 'utf8' }).stdout ?? '').split('\n');
}

/** Fills `fs` with the default image. */
export function installDefaultImage(fs: FileSystem, options: ImageOptions = {}): ImageSummary {
  fs.mkdirs('/bin');
  fs.mkdirs('/sbin');
  fs.mkdirs('/root', 0o700);
  fs.mkdirs('/tmp', 0o1777);
  fs.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFile('/etc/group', 'root:x:0:\n');
  fs.writeFile('/etc/hostname', 'exov6\n');
  fs.writeFile(
    '/etc/motd',
    'Welcome to ExoV6: an exokernel, a POSIX library OS, and unmodified Linux programs.\n',
  );
  const dir = imageDirectory();
  const programs: string[] = [];
  for (const name of readdirSync(dir)) {
    const target = name === 'init' ? '/sbin/init' : `/bin/${name}`;
    fs.writeFile(target, new Uint8Array(readFileSync(join(dir, name))), 0o755);
    programs.push(target);
  }
  const busybox =
    options.busybox === undefined ? (existsSync(HOST_BUSYBOX) ? HOST_BUSYBOX : null) : options.busybox;
  let applets = 0;
  if (busybox !== null) {
    const host = readHostBusybox(busybox);
    fs.writeFile('/bin/busybox', host.binary, 0o755);
    for (const applet of host.applets) {
      if (applet === 'busybox' || fs.exists(`/bin/${applet}`) || applet === 'init') continue;
      fs.symlink('busybox', `/bin/${applet}`, '/');
      applets++;
    }
  }
  for (const [path, contents] of Object.entries(options.files ?? {})) {
    const executable = typeof contents !== 'string' && contents[0] === 0x7f && contents[1] === 0x45;
    fs.writeFile(path, contents, executable ? 0o755 : 0o644);
  }
  return { programs, applets, busybox: busybox !== null };
}
