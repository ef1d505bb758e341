/**
 * Test support: Debian's busybox-static (when the host has it) as a set of applets, natively (a
 * temporary directory of links, first on PATH) and in the library OS (/bin/busybox and links in /bin).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootedSystem, RunResult } from './programs';

export const BUSYBOX = '/bin/busybox';
export const haveBusybox = process.arch === 'x64' && existsSync(BUSYBOX);

export const APPLETS = [
  'sh',
  'echo',
  'cat',
  'ls',
  'seq',
  'wc',
  'sort',
  'head',
  'tail',
  'expr',
  'sed',
  'awk',
  'grep',
  'find',
  'sleep',
  'true',
  'false',
  'printf',
  'mkdir',
  'rm',
  'touch',
  'tr',
  'cut',
  'uniq',
  'basename',
  'dirname',
  'test',
  'env',
  'xargs',
  'mv',
  'cp',
  'ln',
  'readlink',
  'kill',
  'pwd',
  'od',
  'md5sum',
  'sha256sum',
  'yes',
];

/** Installs busybox and its applet links in the system's /bin. */
export function installBusybox(booted: BootedSystem): void {
  const fs = booted.system.fs;
  fs.writeFile('/bin/busybox', new Uint8Array(readFileSync(BUSYBOX)), 0o755);
  for (const a of APPLETS) fs.symlink('busybox', `/bin/${a}`, '/');
}

/** `sh -c script` natively, with only the applets on PATH, in a fresh temporary directory. */
export function runShellNative(script: string, stdin = ''): RunResult {
  const root = mkdtempSync(join(tmpdir(), 'exov6-busybox-'));
  try {
    const bin = join(root, 'bin');
    const work = join(root, 'work');
    mkdirSync(bin);
    mkdirSync(work);
    for (const a of APPLETS) symlinkSync(BUSYBOX, join(bin, a));
    const r = spawnSync(join(bin, 'sh'), ['-c', script], {
      cwd: work,
      input: stdin,
      encoding: 'utf8',
      env: { PATH: bin, HOME: '/tmp' },
    });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
