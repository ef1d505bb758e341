/**
 * Compiles the C test programs in ./c with the host toolchains, for static (-static) and static-pie
 * executables against musl and glibc. A toolchain that is missing makes the build return a reason to
 * skip instead of failing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Toolchain = 'musl' | 'musl-pie' | 'glibc' | 'glibc-pie';
export const TOOLCHAINS: Toolchain[] = ['musl', 'musl-pie', 'glibc', 'glibc-pie'];

const here = dirname(fileURLToPath(import.meta.url));
let outDir: string | null = null;
const cache = new Map<string, Built>();

export type Built = { path: string; bytes: Uint8Array } | { skip: string };

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

function which(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** musl's library directory (where rcrt1.o and libc.a live), found through the musl-gcc wrapper's specs. */
function muslLibDir(): string | null {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const wrapper = join(dir, 'musl-gcc');
    if (!existsSync(wrapper)) continue;
    const m = /-specs\s+"?([^"\s]+)"?/.exec(readFileSync(wrapper, 'utf8'));
    if (m?.[1]) candidates.push(dirname(m[1]));
  }
  candidates.push('/usr/lib/x86_64-linux-musl', '/usr/lib/musl/lib', '/usr/local/musl/lib');
  return candidates.find((d) => existsSync(join(d, 'rcrt1.o')) && existsSync(join(d, 'libc.a'))) ?? null;
}

function gccFile(name: string): string {
  return execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
}

/** Builds test/x86run/c/<name>.c with a toolchain (cached per test process). */
export function buildC(name: string, toolchain: Toolchain): Built {
  const key = `${name}.${toolchain}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const result = build(name, toolchain);
  cache.set(key, result);
  return result;
}

function build(name: string, toolchain: Toolchain): Built {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { skip: 'needs an x86-64 Linux host toolchain' };
  const musl = toolchain.startsWith('musl');
  if (!which('gcc')) return { skip: 'gcc not found' };
  if (musl && !which('musl-gcc')) return { skip: 'musl-gcc not found (apt-get install musl-tools)' };
  outDir ??= mkdtempSync(join(tmpdir(), 'x86run-c-'));
  const src = join(here, 'c', `${name}.c`);
  const out = join(outDir, `${name}.${toolchain}`);
  try {
    switch (toolchain) {
      case 'musl':
        run('musl-gcc', ['-static', '-O2', '-o', out, src]);
        break;
      case 'glibc':
        run('gcc', ['-static', '-O2', '-o', out, src]);
        break;
      case 'glibc-pie':
        run('gcc', ['-static-pie', '-fPIE', '-O2', '-o', out, src]);
        break;
      case 'musl-pie': {
        // The musl-gcc wrapper always links a dynamic PIE for -static-pie (its specs force Scrt1.o and
        // a dynamic linker), so link by hand: rcrt1.o self-relocates a static PIE.
        const lib = muslLibDir();
        if (lib === null) return { skip: 'musl rcrt1.o not found' };
        const obj = `${out}.o`;
        run('musl-gcc', ['-O2', '-fPIE', '-c', '-o', obj, src]);
        run('gcc', [
          '-static-pie',
          '-nostdlib',
          '-o',
          out,
          join(lib, 'rcrt1.o'),
          join(lib, 'crti.o'),
          gccFile('crtbeginS.o'),
          obj,
          `-L${lib}`,
          '-lc',
          gccFile('libgcc.a'),
          gccFile('crtendS.o'),
          join(lib, 'crtn.o'),
        ]);
        break;
      }
    }
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return { skip: `${toolchain} build of ${name}.c failed: ${err.stderr?.toString() || err.message}` };
  }
  return { path: out, bytes: new Uint8Array(readFileSync(out)) };
}
