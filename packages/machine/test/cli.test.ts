/**
 * The command line (the package's `start` script): a command runs with its output on the host's and its
 * status as the exit status; the boot log goes to stderr unless --quiet; bad options are usage errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArguments } from '../src/cli-arguments';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = (args: string[], input = '') =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input });

describe('parseArguments', () => {
  it('reads options and the command after --', () => {
    expect(
      parseArguments(['--memory', '64', '--seed', '7', '--strace', '--', '/bin/sh', '-c', 'x']),
    ).toMatchObject({
      memoryMiB: 64,
      seed: 7,
      strace: true,
      command: ['/bin/sh', '-c', 'x'],
    });
  });

  it("takes a separator followed by options as the package manager's", () => {
    expect(parseArguments(['--', '--quiet', '--', '/bin/hello'])).toMatchObject({
      quiet: true,
      command: ['/bin/hello'],
    });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseArguments(['--memory', 'lots'])).toThrow('--memory needs a whole number, got "lots"');
    expect(() => parseArguments(['--frobnicate'])).toThrow('unknown option --frobnicate');
    expect(() => parseArguments(['--'])).toThrow('-- must be followed by a command');
  });
});

describe.skipIf(!existsSync(cli) || !existsSync('/bin/busybox'))('exov6 command line', () => {
  it('runs a command: its stdout on ours, its status as ours, the boot log on stderr', () => {
    const r = run(['--memory', '64', '--', '/bin/sh', '-c', 'echo hi; exit 4']);
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^ExoV6 machine: 64 MiB of memory/);
  });

  it('passes standard input and is silent with --quiet', () => {
    const r = run(['--quiet', '--memory', '64', '--', '/bin/sh', '-c', 'wc -l'], 'a\nb\nc\n');
    expect(r.stdout.trim()).toBe('3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('says what is wrong with its arguments and exits 2', () => {
    const r = run(['--memory']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^exov6: --memory needs a whole number, got nothing\nusage: exov6/);
  });
});
