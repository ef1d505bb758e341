/**
 * /proc: directories computed from the process table, enough for ps, top-like tools and free.
 *
 *   /proc/self -> <pid of the caller>    /proc/<pid>/{stat,status,cmdline,comm}, exe and cwd (links)
 *   /proc/meminfo  /proc/uptime  /proc/loadavg  /proc/version  /proc/stat (boot time)
 *
 * Files are generated when opened (a read sees the state as of its open), in the formats Linux uses
 * (proc(5)); fields the library OS has no notion of (page faults, nice values, threads) read as 0 or 1.
 */
import { S_IFDIR, S_IFLNK, S_IFREG } from '../files/file-stat';
import type { Process } from '../process/process';
import type { FileSystem } from './file-system';
import { Inode } from './inode';

/** What /proc is computed from. */
export interface ProcSource {
  processes(): Iterable<Process>;
  /** The process making the current system call (for /proc/self). */
  caller(): Process | null;
  nowNs(): number;
  /** CLOCK_MONOTONIC: time since boot. */
  uptimeNs(): number;
  memory(): { totalBytes: number; freeBytes: number };
  hostname: string;
}

const CLOCK_TICKS = 100;

function stateLetter(p: Process): string {
  if (p.state === 'zombie') return 'Z';
  if (p.stopped) return 'T';
  return p.blocked ? 'S' : 'R';
}

function comm(p: Process): string {
  return p.comm;
}

function statLine(p: Process, nowNs: number): string {
  const vsize = p.state === 'zombie' ? 0 : p.memory.map.list().reduce((n, a) => n + (a.end - a.start), 0);
  const rss = p.state === 'zombie' ? 0 : p.memory.pages.size;
  const start = Math.floor((p.startNs * CLOCK_TICKS) / 1e9);
  void nowNs;
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
  // cstime priority nice num_threads itrealvalue starttime vsize rss rsslim, then 28 more fields.
  const fields = [
    p.pid,
    `(${comm(p)})`,
    stateLetter(p),
    p.ppid,
    p.pgid,
    p.sid,
    0,
    -1,
    0x400000,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    20,
    0,
    1,
    0,
    start,
    vsize,
    rss,
    '18446744073709551615',
  ];
  while (fields.length < 52) fields.push(0);
  return `${fields.join(' ')}\n`;
}

function statusText(p: Process): string {
  const names: Record<string, string> = {
    R: 'R (running)',
    S: 'S (sleeping)',
    T: 'T (stopped)',
    Z: 'Z (zombie)',
  };
  const rssKb = p.state === 'zombie' ? 0 : p.memory.pages.size * 4;
  return [
    `Name:\t${comm(p)}`,
    `State:\t${names[stateLetter(p)]}`,
    `Tgid:\t${p.pid}`,
    `Pid:\t${p.pid}`,
    `PPid:\t${p.ppid}`,
    `Uid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}`,
    `Gid:\t${p.gid}\t${p.gid}\t${p.gid}\t${p.gid}`,
    `VmRSS:\t${rssKb} kB`,
    'Threads:\t1',
    '',
  ].join('\n');
}

export class ProcFs {
  private readonly pidDirs = new Map<Process, Inode>();

  constructor(
    private readonly fs: FileSystem,
    private readonly source: ProcSource,
  ) {}

  /** st_dev of this /proc's inodes. */
  private dev = 0;

  /** Mounts a proc file system on `path` (default /proc; the directory is made if missing). */
  mount(path = '/proc'): void {
    this.fs.mkdirs(path);
    const root = this.fs.newTree(0o555);
    this.dev = root.dev;
    this.fs.mount(path, '/', root, {
      source: 'proc',
      type: 'proc',
      options: 'rw,nosuid,nodev,noexec,relatime',
    });
    const clock = () => this.source.nowNs();
    const file = (generate: () => string): Inode => {
      const inode = this.node(S_IFREG | 0o444, clock());
      inode.generate = generate;
      inode.parent = root;
      return inode;
    };
    const fixed: [string, Inode][] = [
      ['meminfo', file(() => this.meminfo())],
      ['uptime', file(() => `${(this.source.uptimeNs() / 1e9).toFixed(2)} 0.00\n`)],
      ['loadavg', file(() => `0.00 0.00 0.00 1/${[...this.source.processes()].length} 0\n`)],
      ['version', file(() => `Linux version 6.1.0-exov6 (exov6@${this.source.hostname}) #1 SMP ExoV6\n`)],
      ['stat', file(() => 'cpu  0 0 0 0 0 0 0 0 0 0\nbtime 1700000000\nprocesses 1\nprocs_running 1\n')],
      ['mounts', file(() => this.mounts())],
    ];
    root.dynamic = {
      list: () => {
        const entries: [string, Inode][] = [...fixed];
        const self = this.selfLink(root);
        if (self !== undefined) entries.push(['self', self]);
        for (const p of this.source.processes()) entries.push([String(p.pid), this.pidDirectory(p, root)]);
        return entries;
      },
      lookup: (name) => {
        if (name === 'self') return this.selfLink(root);
        const found = fixed.find(([n]) => n === name);
        if (found !== undefined) return found[1];
        if (!/^\d+$/.test(name)) return undefined;
        const p = [...this.source.processes()].find((q) => q.pid === Number(name));
        return p === undefined ? undefined : this.pidDirectory(p, root);
      },
    };
  }

  private selfLink(root: Inode): Inode | undefined {
    const caller = this.source.caller();
    if (caller === null) return undefined;
    const link = this.node(S_IFLNK | 0o777, this.source.nowNs());
    link.target = String(caller.pid);
    link.parent = root;
    return link;
  }

  private pidDirectory(p: Process, root: Inode): Inode {
    // Directories of processes that are gone (reaped) are dropped as new ones are made.
    if (this.pidDirs.size > 0 && !this.pidDirs.has(p)) {
      const present = new Set(this.source.processes());
      for (const gone of this.pidDirs.keys()) if (!present.has(gone)) this.pidDirs.delete(gone);
    }
    let dir = this.pidDirs.get(p);
    if (dir !== undefined) return dir;
    dir = this.node(S_IFDIR | 0o555, p.startNs + 1.7e18);
    dir.uid = p.uid;
    dir.gid = p.gid;
    dir.parent = root;
    const self = dir;
    const file = (generate: () => string): Inode => {
      const inode = this.node(S_IFREG | 0o444, this.source.nowNs());
      inode.generate = generate;
      inode.uid = p.uid;
      inode.gid = p.gid;
      inode.parent = self;
      return inode;
    };
    const link = (target: () => string): Inode => {
      const inode = this.node(S_IFLNK | 0o777, this.source.nowNs());
      inode.parent = self;
      Object.defineProperty(inode, 'target', { get: target });
      return inode;
    };
    const entries: [string, Inode][] = [
      ['stat', file(() => statLine(p, this.source.nowNs()))],
      ['status', file(() => statusText(p))],
      ['cmdline', file(() => (p.state === 'zombie' ? '' : `${p.argv.join('\0')}\0`))],
      ['comm', file(() => `${comm(p)}\n`)],
      ['exe', link(() => p.execPath)],
      ['cwd', link(() => p.cwd)],
      ['mounts', file(() => this.mounts())],
    ];
    dir.dynamic = { list: () => entries, lookup: (name) => entries.find(([n]) => n === name)?.[1] };
    this.pidDirs.set(p, dir);
    return dir;
  }

  private node(mode: number, timeNs: number): Inode {
    const inode = new Inode(mode, timeNs);
    inode.dev = this.dev;
    return inode;
  }

  /** /proc/mounts: source, mount point, type, options, and the two zeros of dump and fsck order. */
  private mounts(): string {
    return this.fs
      .mounts()
      .map((m) => `${m.source} ${m.path.replace(/ /g, '\\040')} ${m.type} ${m.options} 0 0\n`)
      .join('');
  }

  private meminfo(): string {
    const { totalBytes, freeBytes } = this.source.memory();
    const kb = (b: number) => `${String(Math.floor(b / 1024)).padStart(8)} kB`;
    return [
      `MemTotal:       ${kb(totalBytes)}`,
      `MemFree:        ${kb(freeBytes)}`,
      `MemAvailable:   ${kb(freeBytes)}`,
      `Buffers:        ${kb(0)}`,
      `Cached:         ${kb(0)}`,
      `SwapCached:     ${kb(0)}`,
      `SwapTotal:      ${kb(0)}`,
      `SwapFree:       ${kb(0)}`,
      `Shmem:          ${kb(0)}`,
      '',
    ].join('\n');
  }
}
