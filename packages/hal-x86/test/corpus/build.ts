/**
 * Builds the C corpus (test/programs/*.c) with musl-gcc into test/.build.
 *
 * Each program is built as a static executable at -O0 and -O2, and some also
 * as an -O2 static-pie.  Outputs are cached by a hash of everything that
 * affects them (source, headers, flags, compiler and libc identity), so a
 * re-run only compiles what changed.  Writes are atomic (temp file + rename).
 *
 * If musl-gcc is missing this throws a ToolchainMissingError telling the user
 * to run the setup command: the tests must fail loudly, never skip silently.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ET_DYN, ET_EXEC, summarizeElf } from './elf';
import { BUILD_DIR, PROGRAMS_DIR, SETUP_COMMAND } from './paths';
import { listPrograms, specFor, type Variant, variantsFor } from './programs';

const execFileP = promisify(execFile);

/** Bump to invalidate every cached binary after changing how builds are done. */
const BUILD_SCHEMA = 2;

export const MUSL_GCC = process.env.MUSL_GCC || 'musl-gcc';

export class ToolchainMissingError extends Error {
  constructor(detail: string) {
    super(
      `${detail}\n` +
        `The x86-64 program corpus needs musl-gcc (and busybox-static, qemu-user for the other checks).\n` +
        `Run the setup:  ${SETUP_COMMAND}`,
    );
    this.name = 'ToolchainMissingError';
  }
}

interface Toolchain {
  /** Identity string folded into every cache key. */
  id: string;
  /** Directory holding musl's crt files and libc.a. */
  muslLibDir: string;
  /** gcc's crtbeginS.o / crtendS.o (needed for static-pie). */
  crtBeginS: string;
  crtEndS: string;
}

let toolchain: Toolchain | undefined;

function firstLine(s: string): string {
  return s.split('\n')[0]?.trim() ?? '';
}

/** Locates musl-gcc and the files a static-pie link needs; throws ToolchainMissingError if absent. */
export function checkToolchain(): Toolchain {
  if (toolchain) return toolchain;
  const v = spawnSync(MUSL_GCC, ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    const why =
      v.error && (v.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `${MUSL_GCC} was not found on PATH.`
        : `${MUSL_GCC} --version failed: ${v.error?.message ?? v.stderr}`;
    throw new ToolchainMissingError(why);
  }
  // musl-gcc is a wrapper script that points gcc at a specs file; the crt
  // files live next to libc.a in the musl library directory.
  const candidates = ['/usr/lib/x86_64-linux-musl', '/usr/lib/musl/lib', '/usr/local/musl/lib'];
  const wrapper =
    spawnSync('sh', ['-c', `cat "$(command -v ${MUSL_GCC})"`], { encoding: 'utf8' }).stdout ?? '';
  const specs = /-specs\s+"?([^"\s]+)"?/.exec(wrapper)?.[1];
  if (specs) candidates.unshift(resolve(specs, '..'));
  const muslLibDir = candidates.find((d) => existsSync(join(d, 'rcrt1.o')) && existsSync(join(d, 'libc.a')));
  if (!muslLibDir)
    throw new ToolchainMissingError(
      `musl's libc.a / rcrt1.o not found (looked in ${candidates.join(', ')}).`,
    );
  const gcc = /^exec\s+"?\$\{REALGCC:-([^}"]+)\}/m.exec(wrapper)?.[1] ?? 'gcc';
  const fileName = (f: string): string =>
    spawnSync(process.env.REALGCC || gcc, [`-print-file-name=${f}`], { encoding: 'utf8' }).stdout.trim();
  const libc = statSync(join(muslLibDir, 'libc.a'));
  toolchain = {
    id: `${firstLine(v.stdout)} | musl libc.a ${libc.size} ${libc.mtimeMs}`,
    muslLibDir,
    crtBeginS: fileName('crtbeginS.o'),
    crtEndS: fileName('crtendS.o'),
  };
  return toolchain;
}

function optFlag(variant: Variant): string {
  return variant === 'O0' ? '-O0' : '-O2';
}

/** The musl-gcc argument list for one build (paths to src/out filled in by the caller). */
function compilerArgs(tc: Toolchain, name: string, variant: Variant, src: string, out: string): string[] {
  const common = [optFlag(variant), ...(specFor(name).cflags ?? []), `-I${PROGRAMS_DIR}`, '-o', out];
  if (variant !== 'O2-pie') return ['-static', ...common, src, '-lm'];
  // musl-gcc's specs file knows nothing about -static-pie (it would emit a
  // PT_INTERP for the dynamic loader and use Scrt1.o), so spell the link out:
  // rcrt1.o self-relocates, --no-dynamic-linker drops PT_INTERP, -static
  // makes ld pick libc.a.
  const m = tc.muslLibDir;
  return [
    '-static-pie',
    '-fPIE',
    '-nostartfiles',
    ...common,
    join(m, 'rcrt1.o'),
    join(m, 'crti.o'),
    tc.crtBeginS,
    src,
    '-Wl,-static',
    '-lm',
    tc.crtEndS,
    join(m, 'crtn.o'),
    '-Wl,--no-dynamic-linker',
    '-Wl,-z,text',
  ];
}

function headersHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(PROGRAMS_DIR)
    .filter((f) => f.endsWith('.h'))
    .sort()) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(PROGRAMS_DIR, f)))
      .update('\0');
  }
  return h.digest('hex');
}

function cacheKey(tc: Toolchain, name: string, variant: Variant, hdrs: string): string {
  const args = compilerArgs(tc, name, variant, '<src>', '<out>');
  return createHash('sha256')
    .update(JSON.stringify({ schema: BUILD_SCHEMA, tc: tc.id, args, hdrs }))
    .update(readFileSync(join(PROGRAMS_DIR, `${name}.c`)))
    .digest('hex')
    .slice(0, 16);
}

function ensureBuildDir(): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  const gi = join(BUILD_DIR, '.gitignore');
  if (!existsSync(gi)) writeFileSync(gi, '# build output of test/corpus/build.ts\n*\n');
}

function verifyElf(path: string, variant: Variant): void {
  const s = summarizeElf(readFileSync(path));
  const problems: string[] = [];
  if (s.machine !== 62) problems.push(`e_machine ${s.machine} is not x86-64`);
  if (s.hasInterp) problems.push('has a PT_INTERP (not a static program)');
  if (variant === 'O2-pie' && s.type !== ET_DYN)
    problems.push(`e_type ${s.type}, expected ET_DYN for static-pie`);
  if (variant !== 'O2-pie' && s.type !== ET_EXEC) problems.push(`e_type ${s.type}, expected ET_EXEC`);
  if (problems.length) throw new Error(`${path}: ${problems.join('; ')}`);
}

export interface BuiltProgram {
  name: string;
  variant: Variant;
  path: string;
  /** true when the binary came from the cache */
  cached: boolean;
}

/** Builds (or finds in the cache) one program variant. */
export async function buildProgram(
  name: string,
  variant: Variant,
  hdrs = headersHash(),
): Promise<BuiltProgram> {
  const tc = checkToolchain();
  ensureBuildDir();
  const key = cacheKey(tc, name, variant, hdrs);
  const prefix = `${name}.${variant}.`;
  const out = join(BUILD_DIR, `${prefix}${key}`);
  if (existsSync(out)) return { name, variant, path: out, cached: true };
  const tmp = `${out}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const src = join(PROGRAMS_DIR, `${name}.c`);
  try {
    await execFileP(MUSL_GCC, compilerArgs(tc, name, variant, src, tmp), { maxBuffer: 16 << 20 });
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: string; message: string };
    throw new Error(`building ${name} (${variant}) failed:\n${err.stderr || err.message}`);
  }
  verifyElf(tmp, variant);
  renameSync(tmp, out);
  // drop stale builds of the same program/variant
  for (const f of readdirSync(BUILD_DIR)) {
    if (f.startsWith(prefix) && f !== `${prefix}${key}` && !f.includes('.tmp-'))
      rmSync(join(BUILD_DIR, f), { force: true });
  }
  return { name, variant, path: out, cached: false };
}

/** Builds every program × variant with bounded parallelism. Key: `${name}.${variant}`. */
export async function buildAll(
  programs: string[] = listPrograms(),
  jobs = Number(process.env.CORPUS_BUILD_JOBS) || availableParallelism(),
): Promise<Map<string, BuiltProgram>> {
  checkToolchain();
  const hdrs = headersHash();
  const todo = programs.flatMap((name) => variantsFor(name).map((variant) => ({ name, variant })));
  const result = new Map<string, BuiltProgram>();
  const errors: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const { name, variant } = todo[next++];
      try {
        result.set(`${name}.${variant}`, await buildProgram(name, variant, hdrs));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (errors.length) throw new Error(errors.join('\n\n'));
  return result;
}
