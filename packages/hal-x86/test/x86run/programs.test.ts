/**
 * Real C programs, statically linked against musl and glibc (plain and static-pie), run under x86run.
 * Each is compiled at test time; a missing toolchain skips its tests.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../src/elf/elf';
import { runStaticElf } from '../../src/x86run/run';
import { buildC, TOOLCHAINS } from './build';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const MEM = 128 * 1024 * 1024;
const LIMIT = 200_000_000;

describe.each(TOOLCHAINS)('%s', (toolchain) => {
  const hi = buildC('hi', toolchain);
  const skip = 'skip' in hi ? hi.skip : '';

  it.skipIf(skip !== '')('hi: write(1, "hi\\n") and exit status 3, as natively', () => {
    if ('skip' in hi) return;
    const elf = parseElf(hi.bytes);
    expect(elf.type).toBe(toolchain.endsWith('pie') ? 3 : 2);
    const r = runStaticElf(hi.bytes, { argv: ['hi'], memoryBytes: MEM, maxInstructions: LIMIT });
    expect(r.fault).toBeUndefined();
    expect(decode(r.stdout)).toBe('hi\n');
    expect(r.exitCode).toBe(3);
    const native = spawnSync(hi.path, [], { encoding: 'utf8' });
    expect(r.exitCode).toBe(native.status);
    expect(decode(r.stdout)).toBe(native.stdout);
  });

  it.skipIf(skip !== '')('syscalls: memory, time, identity, random, streams and stdin', () => {
    const prog = buildC('syscalls', toolchain);
    if ('skip' in prog) return;
    const input = 'line one\nline two\nthree\n';
    const opts = {
      argv: ['syscalls', 'a', 'last'],
      env: ['X=1', 'Y=2'],
      memoryBytes: MEM,
      maxInstructions: LIMIT,
    };
    const r = runStaticElf(prog.bytes, { ...opts, stdin: new TextEncoder().encode(input), seed: 5 });
    expect(r.fault).toBeUndefined();
    expect(r.exitCode).toBe(42);
    expect(decode(r.stderr)).toBe('done\n');
    const lines = decode(r.stdout).split('\n');
    expect(lines).toContain('argc=3 argv0=syscalls last=last');
    expect(lines).toContain('envc=2 X=1');
    expect(lines).toContain(`malloc ok len=99 sum=${sumOfPages()}`);
    expect(lines).toContain('mmap mapped rc=0,0 zero=0');
    expect(lines).toContain('munmap rc=0');
    expect(lines).toContain('file mmap failed errno=19');
    expect(lines).toContain('clock forward=1 realtime_after_2023=1 time_ok=1');
    expect(lines).toContain('slept=1');
    expect(lines).toContain('uname Linux x86_64');
    expect(lines).toContain('pid=1000 ppid=1 uid=1000 gid=1000');
    expect(lines).toContain('stdout fifo=1 tty=0');
    expect(lines).toContain('open=-1 errno=2');
    expect(lines).toContain('stdin bytes=24 lines=3 eof=0');
    const rnd = lines.find((l) => l.startsWith('getrandom=8 '));
    expect(rnd).toMatch(/^getrandom=8 [0-9a-f]{16}$/);
    // Same seed, same bytes; another seed, other bytes.
    const again = runStaticElf(prog.bytes, { ...opts, seed: 5 });
    expect(decode(again.stdout).split('\n')).toContain(rnd);
    const other = runStaticElf(prog.bytes, { ...opts, seed: 6 });
    expect(decode(other.stdout).split('\n')).not.toContain(rnd);
  });

  it.skipIf(skip !== '')('abort(): SIGABRT, exit status 134', () => {
    const prog = buildC('abort', toolchain);
    if ('skip' in prog) return;
    const r = runStaticElf(prog.bytes, { argv: ['abort'], memoryBytes: MEM, maxInstructions: LIMIT });
    expect(decode(r.stderr)).toBe('about to abort\n');
    expect(r.exitCode).toBe(134);
    expect(r.signal).toBe('SIGABRT');
  });

  it.skipIf(skip !== '')('NULL store: SIGSEGV, exit status 139, earlier output kept', () => {
    const prog = buildC('segv', toolchain);
    if ('skip' in prog) return;
    const r = runStaticElf(prog.bytes, { argv: ['segv'], memoryBytes: MEM, maxInstructions: LIMIT });
    expect(decode(r.stdout)).toBe('before\n');
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/#PF write to 0x0: address not mapped, at rip 0x[0-9a-f]+ <main\+0x[0-9a-f]+>/);
  });
});

/** Sum of the page-index bytes the program writes: (i >> 12) & 0xff for 2048 pages. */
function sumOfPages(): number {
  let s = 0;
  for (let i = 0; i < 2048; i++) s += i & 0xff;
  return s;
}
