/**
 * The page cache: a second exec of an unchanged program maps the frames of the first (hits, no new
 * misses) and behaves the same; changing the file makes its pages new ones; a written data page is the
 * writer's copy, not the cache's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram, bootSystem, haveMusl, runCommand } from './support/programs';

describe.skipIf(!haveMusl)('the page cache', () => {
  it("shares an unchanged program's pages between execs, and not a changed one's", () => {
    const booted = bootSystem();
    const { system } = booted;
    system.fs.writeFile('/bin/hello', new Uint8Array(readFileSync(buildProgram('hello'))), 0o755);
    const first = runCommand(booted, ['/bin/hello', 'a']);
    const misses = system.pageCache.misses;
    expect(misses).toBeGreaterThan(0);
    expect(system.pageCache.hits).toBe(0);

    // The program writes its data and bss (malloc, stdio buffers): the next run still starts clean.
    const second = runCommand(booted, ['/bin/hello', 'a']);
    expect(second).toEqual(first);
    expect(system.pageCache.misses).toBe(misses);
    expect(system.pageCache.hits).toBe(misses);

    // Rewriting the file (same bytes) is a new version: its pages are loaded again.
    system.fs.writeFile('/bin/hello', new Uint8Array(readFileSync(buildProgram('hello'))), 0o755);
    expect(runCommand(booted, ['/bin/hello', 'a'])).toEqual(first);
    expect(system.pageCache.misses).toBe(2 * misses);
  });

  it('gives frames back when the quota runs out', () => {
    const booted = bootSystem();
    const { system } = booted;
    system.fs.writeFile('/bin/hello', new Uint8Array(readFileSync(buildProgram('hello'))), 0o755);
    runCommand(booted, ['/bin/hello']);
    const cached = system.pageCache.size;
    expect(cached).toBeGreaterThan(0);
    // Take every frame left, then one more: the cache lets go of its pages for it.
    const taken: number[] = [];
    while (system.os.quotaFree > 0) taken.push(system.pool.alloc());
    taken.push(system.pool.alloc());
    expect(system.pageCache.size).toBeLessThan(cached);
    for (const f of taken) system.pool.release(f);
  });
});
