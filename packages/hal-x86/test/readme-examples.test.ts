/**
 * The README and examples/ must stay true: this runs every example program and every TypeScript block of
 * the README that imports the package (with the import pointed at src/), and checks the README against
 * the code it documents: the x86run help text, the list of exports and the list of examples.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MUSL_GCC = process.env.MUSL_GCC || 'musl-gcc';
/** Longest run of one program; below vitest's per-test timeout (vitest.config.ts). */
const TIMEOUT_MS = 90_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript file with tsx (stdin empty), asynchronously so that the test worker stays responsive
 * while a program runs; a run longer than TIMEOUT_MS is killed and fails the test.
 */
function runTs(file: string, args: string[] = [], cwd = pkg): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, file, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')}: no exit within ${TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function hasMusl(): boolean {
  if (process.arch !== 'x64' || process.platform !== 'linux') return false;
  const probe = spawnSync(MUSL_GCC, ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}
const musl = hasMusl();
const work = mkdtempSync(join(tmpdir(), 'hal-x86-readme-'));

/** examples/hello.c built with musl-gcc -static -O2 into the scratch directory, as the README says. */
let helloPath: string | undefined;
function hello(): string {
  if (helloPath === undefined) {
    const out = join(work, 'hello');
    const cc = spawnSync(MUSL_GCC, ['-static', '-O2', '-o', out, join(pkg, 'examples', 'hello.c'), '-lm'], {
      encoding: 'utf8',
    });
    if (cc.status !== 0) throw new Error(`${MUSL_GCC} failed: ${cc.stderr}`);
    helloPath = out;
  }
  return helloPath;
}

/** The fenced blocks of the README with the given info string. */
function blocks(lang: string): string[] {
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return [...readme.matchAll(re)].map((m) => m[1] as string);
}

/** Names exported by src/index.ts (after any `as` renaming). */
function exportedNames(): string[] {
  const src = readFileSync(join(pkg, 'src', 'index.ts'), 'utf8');
  const names: string[] = [];
  for (const m of src.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) names.push(name);
    }
  }
  return names;
}

describe('examples/', () => {
  it('run-bytes.ts: the run loop answers every exit kind', async () => {
    const r = await runTs('examples/run-bytes.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'guest wrote: hello from the guest',
      '#PF (write) at 0x600000, rip 0x40001d: mapping a page',
      'interrupt vector 0x20 at 1000006 instructions',
      'exit status 42 after 9000011 instructions',
      'exits: {"syscall":2,"exception":1,"budget":9,"interrupt":1}',
      'hlt at CPL 3: exception #GP(0)',
      'hlt at CPL 0: hlt',
      '',
    ]);
  });

  it('run-elf.ts: a tiny ELF under runStaticElf', async () => {
    const r = await runTs('examples/run-elf.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'ELF type 2, entry 0x400078, 1 PT_LOAD segment(s)',
      'stdout: hello, static world!',
      'exit code 232 (getpid() = 1000, & 0xff = 232), 10 instructions',
      'with maxInstructions 3: exit code 152, signal SIGXCPU',
      '',
    ]);
  });

  it.skipIf(!musl)('run-elf.ts PROGRAM: examples/hello.c prints what it prints natively', async () => {
    const prog = hello();
    const native = spawnSync(prog, ['one', 'two'], { encoding: 'utf8', env: { HOME: '/', PATH: '/bin' } });
    const r = await runTs('examples/run-elf.ts', [prog, 'one', 'two']);
    expect(r.status).toBe(native.status);
    expect(r.stdout).toBe(native.stdout);
    expect(r.stdout).toContain("Hello from ExoV6's simulated x86-64 CPU!");
    expect(r.stderr).toMatch(/^exit code 0, \d+ instructions, \d+ system calls\n$/);
  });

  it('paging.ts: fault codes, A/D bits, large pages, the TLB and self-modifying code', async () => {
    const r = await runTs('examples/paging.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'faults (CPL 3):',
      '  read unmapped       #PF(4) cr2=0x700000 [USER], rip=0x400000',
      '  write read-only     #PF(7) cr2=0x500000 [PRESENT|WRITE|USER], rip=0x400000',
      '  read supervisor     #PF(5) cr2=0x501000 [PRESENT|USER], rip=0x400000',
      '  execute NX page     #PF(21) cr2=0x500000 [PRESENT|USER|FETCH], rip=0x500000',
      '  non-canonical load  #GP(0), rip=0x400000',
      '  non-canonical stack #SS(0), rip=0x400000',
    ]);
    expect(r.stdout).toContain('A/D bits: after map A=0 D=0; after a load A=1 D=0; after a store A=1 D=1');
    expect(r.stdout).toMatch(/2 MiB page: guest stored 0x1234 at physical 0x[0-9a-f]+345\n/);
    expect(r.stdout).toContain('TLB: stale read ok rax=0x1d');
    expect(r.stdout).toContain('TLB: after invlpg ok rax=0xbeef');
    expect(r.stdout).toMatch(/probe\(DATA\) = 0x[0-9a-f]+, lookup\(0x700000\) = null/);
    expect(r.stdout).toContain('self-modifying code: eax=2, block invalidations 1');
  });

  it('disasm-trace.ts: disassembler, decoder, tracer, opcode table, CPUID', async () => {
    const r = await runTs('examples/disasm-trace.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const texts = r.stdout
      .split('\n')
      .filter((l) => /^ {2}4010[0-9a-f]{2}:\t/.test(l))
      .map((l) => l.split('\t')[2]);
    expect(texts).toEqual([
      'push   %rbp',
      'mov    %rsp,%rbp',
      'mov    $0x5,%eax',
      'imul   $0x7,%rax,%rax',
      'cvtsi2sd %eax,%xmm0',
      'fld1',
      'pop    %rbp',
      'hlt',
    ]);
    expect(r.stdout).toContain('decoded: imul, 4 bytes, operand size 8, next 0x40100d');
    expect(r.stdout).toContain('trace (exit: hlt):');
    expect(r.stdout).toContain('  <demo>:\n    401000  push   %rbp\n            rsp=0x7ff8\n');
    expect(r.stdout).toContain('rax = 35, xmm0 = 35');
    const table = /opcode table: (\d+) rows \(\{"integer":(\d+),"sse":(\d+),"x87":(\d+)\}\)/.exec(r.stdout);
    expect(table).not.toBeNull();
    const [total, a, b, c] = (table as RegExpExecArray).slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(a + b + c).toBe(total);
    expect(r.stdout).toContain('cpuid: vendor "ExoV6 vCPU  "');
  });
});

describe('README.md', () => {
  const tsBlocks = blocks('ts').filter((b) => b.includes("from '@exov6/hal-x86'"));
  const entry = JSON.stringify(join(pkg, 'src', 'index.ts'));

  it('has TypeScript examples that import the package', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
  });

  tsBlocks.forEach((block, k) => {
    const needsHello = block.includes("readFileSync('./hello')");
    it.skipIf(needsHello && !musl)(`code block ${k + 1} runs`, async () => {
      if (needsHello) hello(); // the block reads ./hello from its working directory
      const file = join(work, `readme-block-${k + 1}.mts`);
      writeFileSync(file, block.replaceAll("'@exov6/hal-x86'", entry));
      const r = await runTs(file, [], work);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      if (block.includes('cpu.run(')) expect(r.stdout).toMatch(/^exit\(42\) after 5 instructions\n$/);
      // A block followed by "prints" and a text block must print exactly that.
      const after = readme.slice(readme.indexOf(block) + block.length);
      const printed = /^```\n\nprints[^\n]*\n\n```text\n([\s\S]*?)```/.exec(after);
      if (printed) expect(r.stdout).toBe(printed[1]);
      if (needsHello) {
        expect(r.stdout).toContain("Hello from ExoV6's simulated x86-64 CPU!");
        expect(r.stdout).toMatch(/\n0 \d+ \d+ {2}\n$/);
      }
    });
  });

  it('shows exactly what `x86run --help` prints', async () => {
    const help = blocks('text').find((b) => b.startsWith('usage: x86run'));
    const r = await runTs('src/bin/x86run.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(help).toBe(r.stdout);
  });

  it('lists every export of src/index.ts in the API reference', () => {
    const api = readme.slice(readme.indexOf('## API reference'));
    const names = exportedNames();
    expect(names.length).toBeGreaterThan(50);
    const missing = names.filter((n) => !new RegExp(`\`${n}[\`(]`).test(api));
    expect(missing).toEqual([]);
  });

  it('lists every example file', () => {
    const files = readdirSync(join(pkg, 'examples')).filter((f) => /\.(ts|mjs|c)$/.test(f));
    const missing = files.filter((f) => !readme.includes(`(examples/${f})`));
    expect(missing).toEqual([]);
  });
});
