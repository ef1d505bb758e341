/**
 * The machine's programmatic API: boot, run a command, capture its output and status; standard input;
 * virtual time; determinism from the seed; clear errors.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine, MachineError } from '../src/index';

const haveBusybox = existsSync('/bin/busybox');

describe('Machine.run', () => {
  it("runs the image's own program and reports its status", () => {
    const machine = new Machine({ memoryMiB: 64 });
    const r = machine.run(['/bin/hello']);
    expect(r.stdout).toBe('Hello from /bin/hello: pid 2, parent 1, on Linux 6.1.0-exov6 (x86_64)\n');
    expect(r.status).toBe(0);
    expect(r.instructions).toBeGreaterThan(1000);
  });

  it('writes a boot log', () => {
    const lines: string[] = [];
    new Machine({ memoryMiB: 32, bootLog: (l) => lines.push(l) }).run(['/bin/hello']);
    expect(lines[0]).toMatch(/^ExoV6 machine: 32 MiB of memory/);
    expect(lines.some((l) => l.startsWith('devices: '))).toBe(true);
    expect(lines.some((l) => /^libos-posix: \d+ Linux system calls/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('init: /sbin/init /bin/hello as pid 1');
  });

  it('boots once', () => {
    const machine = new Machine({ memoryMiB: 32 });
    machine.run(['/bin/hello']);
    expect(() => machine.run(['/bin/hello'])).toThrow(MachineError);
  });

  it('refuses a memory size it cannot have', () => {
    expect(() => new Machine({ memoryMiB: 3 })).toThrow(
      /memory must be a whole number of MiB from 16 to 4096/,
    );
  });

  it('reports a missing command as the shell would (127)', () => {
    const r = new Machine({ memoryMiB: 32 }).run(['/bin/nothing-here']);
    expect(r.status).toBe(127);
    expect(r.stderr).toBe('init: /bin/nothing-here: No such file or directory\n');
  });
});

describe.skipIf(!haveBusybox)('Machine.run with busybox', () => {
  it('runs a shell command with standard input and exits with its status', () => {
    const r = new Machine({ memoryMiB: 64 }).run(['/bin/sh', '-c', 'tr a-z A-Z; echo err >&2; exit 3'], {
      stdin: 'shout\n',
    });
    expect(r).toMatchObject({ stdout: 'SHOUT\n', stderr: 'err\n', status: 3 });
  });

  it('reports death by a signal as 128 + the signal', () => {
    expect(new Machine({ memoryMiB: 64 }).run(['/bin/sh', '-c', 'kill -9 $$']).status).toBe(137);
  });

  it('sleeps in virtual time: the guest clock moves by the sleep, other processes run meanwhile', () => {
    const r = new Machine({ memoryMiB: 64 }).run([
      '/bin/sh',
      '-c',
      'a=$(date +%s); (sleep 2; echo late) & echo early; wait; b=$(date +%s); echo $((b - a))',
    ]);
    expect(r.stdout).toBe('early\nlate\n2\n');
  });

  it('is deterministic: the same seed gives the same random bytes, another seed others', () => {
    const bytes = (seed: number) =>
      new Machine({ memoryMiB: 64, seed }).run(['/bin/sh', '-c', 'od -An -tx1 -N16 /dev/urandom']).stdout;
    expect(bytes(1)).toBe(bytes(1));
    expect(bytes(1)).not.toBe(bytes(2));
    expect(bytes(1)).toMatch(/^( [0-9a-f]{2}){16}\n$/);
  });

  it('traces system calls when asked', () => {
    const lines: string[] = [];
    new Machine({ memoryMiB: 64, strace: (l) => lines.push(l) }).run(['/bin/sh', '-c', 'echo traced']);
    expect(lines).toContain('[1] fork() = 2');
    expect(lines).toContain('[2] write(1, "traced\\n", 7) = 7');
    expect(lines.at(-1)).toBe('[1] exit_group(0) = ?');
  });
});
