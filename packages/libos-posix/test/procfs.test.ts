/**
 * /proc as busybox's ps, free and friends read it, inside the library OS (no native comparison: the
 * processes are the system's own). Pids are deterministic, so the output is exact.
 */
import { describe, expect, it } from 'vitest';
import { haveBusybox, installBusybox } from './support/busybox';
import { bootSystem, runCommand } from './support/programs';

function shell(script: string) {
  const booted = bootSystem({ memoryMiB: 64 });
  installBusybox(booted);
  booted.system.fs.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  return runCommand(booted, ['/bin/sh', '-c', script], { env: ['PATH=/bin'] });
}

describe.skipIf(!haveBusybox)('/proc', () => {
  it('lets ps list the processes with their parents, states and commands', () => {
    // ps (a child of the shell running the applet without exec) writes into a pipe that cat, another
    // child, waits on; the shell waits for both.
    const script = 'ps -o pid,ppid,stat,comm,args | cat';
    const r = shell(script);
    expect(r.stdout).toBe(
      [
        'PID   PPID  STAT COMMAND          COMMAND',
        `    1     0 S    sh               sh -c ${script}`,
        `    2     1 R    sh               sh -c ${script}`,
        // busybox's shell runs cat by executing /proc/self/exe: the command name is then "exe", as on Linux.
        '    3     1 S    exe              {exe} cat',
        '',
      ].join('\n'),
    );
  });

  it('has /proc/self, exe and cmdline links and files', () => {
    const r = shell(
      'readlink /proc/self/exe; readlink /proc/self; echo $$; tr "\\0" "|" < /proc/$$/cmdline; echo',
    );
    expect(r.stdout).toBe(
      '/bin/busybox\n3\n1\nsh|-c|readlink /proc/self/exe; readlink /proc/self; echo $$; tr "\\0" "|" < /proc/$$/cmdline; echo|\n',
    );
  });

  it('gives free the memory the library OS has', () => {
    const r = shell('free | head -2; grep MemTotal /proc/meminfo');
    const [header, mem, meminfo] = r.stdout.split('\n');
    expect(header).toMatch(/^\s+total\s+used\s+free/);
    const total = Number(mem?.split(/\s+/)[1]);
    expect(total).toBeGreaterThan(60 * 1024);
    expect(total).toBeLessThanOrEqual(64 * 1024);
    expect(meminfo).toBe(`MemTotal:       ${String(total).padStart(8)} kB`);
  });

  it('counts uptime from boot', () => {
    const r = shell('cat /proc/uptime');
    expect(r.stdout).toMatch(/^0\.\d\d 0\.00\n$/);
  });
});
