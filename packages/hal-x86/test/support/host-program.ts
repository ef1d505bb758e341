/**
 * Builds a C helper program that runs on the host CPU (the oracles of the differential suites) with the
 * host gcc, cached by the source's content hash under test/.build, so each source is compiled once across
 * runs and concurrent test workers (the binary is renamed into place).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const buildRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '.build');

/** The path of the built program, or null with the reason it cannot be built or run here. */
export interface HostProgram {
  path: string | null;
  whyNot: string;
}

/**
 * Compiles `source` (a .c file) into test/.build/`group`/. `purpose` names what needs it, for the
 * reason given when the host is not x86-64 Linux or has no gcc.
 */
export function buildHostProgram(
  source: string,
  group: string,
  purpose: string,
  flags: string[] = ['-O1'],
): HostProgram {
  if (process.arch !== 'x64' || process.platform !== 'linux') {
    return {
      path: null,
      whyNot: `host is ${process.platform}/${process.arch}: ${purpose} needs x86-64 Linux`,
    };
  }
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return { path: null, whyNot: `gcc not found: ${purpose} is skipped` };
  }
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(buildRoot, group);
  const out = join(dir, `${basename(source, '.c')}-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      execFileSync('gcc', [...flags, '-o', tmp, source], { stdio: 'pipe' });
      renameSync(tmp, out);
    } catch (e) {
      return { path: null, whyNot: `gcc failed to build ${basename(source)}: ${(e as Error).message}` };
    }
  }
  return { path: out, whyNot: '' };
}
