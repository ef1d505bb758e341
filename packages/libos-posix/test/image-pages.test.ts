/**
 * A program's image pages are made when first touched, from the file as it was at execve: a large
 * program costs only the pages it touches, and rewriting its file while it runs changes nothing for it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HostStdio } from '../src/index';
import { bootSystem, buildProgram, haveMusl, runCommand, runNative } from './support/programs';

const PAGE = 4096;

function withMark(file: Uint8Array, from: string, to: string): Uint8Array {
  const text = Buffer.from(file).toString('latin1');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${from} is not in the file exactly once`);
  const out = new Uint8Array(file);
  out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

describe.skipIf(!haveMusl)('image pages', () => {
  it('are made from the file only where the program touches them', () => {
    const path = buildProgram('bigimage');
    const file = new Uint8Array(readFileSync(path));
    expect(file.length).toBeGreaterThan(1 << 20);
    const booted = bootSystem();
    booted.system.fs.writeFile('/bin/bigimage', file, 0o755);
    const ours = runCommand(booted, ['/bin/bigimage'], { stdin: 'go\n' });
    expect(ours).toEqual(runNative(path, [], 'go\n'));
    // Every page loaded from the file went through the page cache: a handful, not the table's 256.
    const loaded = booted.system.pageCache.misses;
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(32);
    expect(loaded).toBeLessThan(file.length / PAGE / 8);
  });

  it('keep the file as it was at execve when it is rewritten under the running program', () => {
    const file = new Uint8Array(readFileSync(buildProgram('bigimage')));
    const { kernel, system } = bootSystem();
    system.fs.writeFile('/bin/bigimage', file, 0o755);
    const stdio = new HostStdio();
    const proc = system.spawn('/bin/bigimage', { argv: ['bigimage'], stdio: stdio.files });
    // It waits for its line of input, the mark's page not touched yet; the file changes meanwhile.
    expect(kernel.run().reason).toBe('idle');
    expect(proc.state).not.toBe('zombie');
    system.fs.writeFile('/bin/bigimage', withMark(file, 'MARK-OLD', 'MARK-NEW'), 0o755);
    stdio.input.push('go\n');
    stdio.input.end();
    kernel.run();
    expect(proc.state).toBe('zombie');
    expect(stdio.stdout).toBe('7 MARK-OLD\n');
    // A new execve loads the new file.
    expect(runCommand({ kernel, system }, ['/bin/bigimage']).stdout).toBe('7 MARK-NEW\n');
  });
});
