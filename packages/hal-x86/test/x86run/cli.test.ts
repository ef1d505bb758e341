/** The x86run command line, run from source through tsx. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram, programLayout } from '../elf/elf-builder';
import { Asm, R } from './asm';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(pkg, 'src', 'bin', 'x86run.ts');
const dir = mkdtempSync(join(tmpdir(), 'x86run-cli-'));
const { data } = programLayout();

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function x86run(args: string[], input = '') {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: pkg,
    input,
    encoding: 'utf8',
  });
}

// cat: copies stdin to stdout 16 bytes at a time, then exits with argc.
const cat = (() => {
  const a = new Asm();
  a.mov(R.rbx, R.rsp); // argc is at [rsp]
  const loop = a.here();
  a.sys(0, 0, data, 16).raw(0x48, 0x85, 0xc0); // test rax, rax
  const jz = a.here();
  a.raw(0x74, 0); // jz done (patched below)
  a.mov(R.rdx, R.rax).movImm(R.rdi, 1).movImm(R.rsi, data).movImm(R.rax, 1).syscall();
  a.raw(0xe9, ...new Uint8Array(new Int32Array([loop - (a.here() + 5)]).buffer)); // jmp loop
  a.bytes[jz + 1] = a.here() - (jz + 2);
  a.raw(0x48, 0x8b, 0x3b); // mov rdi, [rbx]
  a.movImm(R.rax, 231).syscall();
  return file('cat', buildProgram({ code: a.build(), data: new Uint8Array(16) }));
})();

describe('x86run CLI', () => {
  it('pipes stdin and stdout and exits with the guest status', () => {
    const r = x86run([cat, 'one', 'two'], 'hello from the host, longer than sixteen bytes\n');
    expect(r.stdout).toBe('hello from the host, longer than sixteen bytes\n');
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('reports a file that is not a static executable with status 2', () => {
    const r = x86run([file('script', new TextEncoder().encode('#!/bin/sh\n'))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^x86run: .*script: not an ELF file: bad magic 23 21 2f 62/);
    const missing = x86run([join(dir, 'does-not-exist')]);
    expect(missing.status).toBe(2);
  });

  it('reports a guest killed by a signal on stderr, with 128 + signal', () => {
    const r = x86run([file('ud2', buildProgram({ code: new Asm().ud2().build() }))]);
    expect(r.status).toBe(132);
    expect(r.stderr).toMatch(/x86run: .*ud2: SIGILL: #UD .*0f 0b \(ud2\)/);
  });

  it('stops at --max-instructions and prints --strace lines', () => {
    const spin = file('spin', buildProgram({ code: new Asm().sys(39).spin().build() }));
    const r = x86run(['--strace', '--max-instructions', '1000', spin]);
    expect(r.status).toBe(152);
    expect(r.stderr).toMatch(/^getpid\(\) = 1000$/m);
  });

  it('prints usage for --help and for bad options', () => {
    const help = x86run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: x86run \[options\] ELF \[ARGS\.\.\.\]/);
    const bad = x86run(['--frobnicate', cat]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(x86run([]).stderr).toMatch(/missing ELF file/);
  });
});
