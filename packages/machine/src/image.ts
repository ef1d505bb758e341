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
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** One object of the default image. */
export type ImageEntry =
  | { kind: 'directory'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; contents: Uint8Array | string }
  | { kind: 'symlink'; path: string; target: string };

/**
 * The default image as a list of objects, parents before children: the directories, /etc's files, the
 * machine's programs, busybox with a symbolic link per applet (none where a program of the same name
 * is), and `options.files`.
 */
export function defaultImageEntries(options: ImageOptions = {}): {
  entries: ImageEntry[];
  summary: ImageSummary;
} {
  const entries: ImageEntry[] = [
    { kind: 'directory', path: '/bin', mode: 0o755 },
    { kind: 'directory', path: '/sbin', mode: 0o755 },
    { kind: 'directory', path: '/etc', mode: 0o755 },
    { kind: 'directory', path: '/root', mode: 0o700 },
    { kind: 'directory', path: '/tmp', mode: 0o1777 },
  ];
  const file = (path: string, contents: Uint8Array | string, mode = 0o644) =>
    entries.push({ kind: 'file', path, mode, contents });
  file('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  file('/etc/group', 'root:x:0:\n');
  file('/etc/hostname', 'exov6\n');
  file('/etc/motd', 'Welcome to ExoV6: an exokernel, a POSIX library OS, and unmodified Linux programs.\n');
  const dir = imageDirectory();
  const programs: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const target = name === 'init' ? '/sbin/init' : `/bin/${name}`;
    file(target, new Uint8Array(readFileSync(join(dir, name))), 0o755);
    programs.push(target);
  }
  const busybox =
    options.busybox === undefined ? (existsSync(HOST_BUSYBOX) ? HOST_BUSYBOX : null) : options.busybox;
  let applets = 0;
  if (busybox !== null) {
    const host = readHostBusybox(busybox);
    file('/bin/busybox', host.binary, 0o755);
    const taken = new Set(programs.map((p) => p.slice(p.lastIndexOf('/') + 1)));
    for (const applet of host.applets) {
      if (applet === 'busybox' || applet === 'init' || taken.has(applet)) continue;
      taken.add(applet);
      entries.push({ kind: 'symlink', path: `/bin/${applet}`, target: 'busybox' });
      applets++;
    }
  }
  for (const [path, contents] of Object.entries(options.files ?? {})) {
    const executable = typeof contents !== 'string' && contents[0] === 0x7f && contents[1] === 0x45;
    file(path, contents, executable ? 0o755 : 0o644);
  }
  return { entries, summary: { programs, applets, busybox: busybox !== null } };
}

/** Fills `fs` with the default image. */
export function installDefaultImage(fs: FileSystem, options: ImageOptions = {}): ImageSummary {
  const { entries, summary } = defaultImageEntries(options);
  for (const entry of entries) {
    if (entry.kind === 'directory') fs.mkdirs(entry.path, entry.mode);
    else if (entry.kind === 'file') fs.writeFile(entry.path, entry.contents, entry.mode);
    else if (!fs.exists(entry.path)) fs.symlink(entry.target, entry.path, '/');
  }
  return summary;
}

/**
 * Writes the default image into the host directory `dir` (made if missing; it should be empty), with the
 * mount points a root file system on a disk needs (/dev, /proc) and /etc/mtab: the tree the machine's
 * default disk image is made from.
 */
export function stageDefaultRoot(dir: string, options: ImageOptions = {}): ImageSummary {
  const { entries, summary } = defaultImageEntries(options);
  const all: ImageEntry[] = [
    ...entries,
    { kind: 'directory', path: '/dev', mode: 0o755 },
    { kind: 'directory', path: '/proc', mode: 0o555 },
    { kind: 'symlink', path: '/etc/mtab', target: '/proc/self/mounts' },
  ];
  mkdirSync(dir, { recursive: true });
  for (const entry of all) {
    const at = join(dir, entry.path);
    mkdirSync(dirname(at), { recursive: true });
    if (entry.kind === 'directory') {
      mkdirSync(at, { recursive: true });
      chmodSync(at, entry.mode);
    } else if (entry.kind === 'file') {
      writeFileSync(at, entry.contents);
      chmodSync(at, entry.mode);
    } else if (!presentOnHost(at)) symlinkSync(entry.target, at);
  }
  return summary;
}

/** Whether anything (a dangling symbolic link too) is at `path`. */
function presentOnHost(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
