// Publishability of every package under packages/*: what npm users get must work.
//
// For each public package: pack it with pnpm (which rewrites workspace: ranges to real versions), lint the
// tarball with publint and @arethetypeswrong/cli (ESM-only profile), check the tarball holds only what
// `files` promises, then install all tarballs together into a scratch npm project and import every public
// entry point from there. The packages must have been built (`npm test` and turbo do that first).

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const TESTS_DIR = resolve(HERE, '..');

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const PNPM_VERSION = rootPkg.packageManager.replace(/^pnpm@/, '');

const packages = readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'packages', d.name, 'package.json')))
  .map((d) => {
    const dir = join(ROOT, 'packages', d.name);
    return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
  })
  .filter((p) => !p.manifest.private);

function sh(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return {
    status: r.error ? 127 : r.status,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`,
  };
}

/** pnpm: the one running us when started through pnpm, else the pinned version through npx. */
function pnpm(args, options) {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(execpath)) return sh(process.execPath, [execpath, ...args], options);
  return sh('npx', ['--loglevel=error', '-y', `pnpm@${PNPM_VERSION}`, ...args], options);
}

/** Public entry points: every non-pattern key of `exports` except package.json, as import specifiers. */
function entryPoints(manifest) {
  const exp = manifest.exports;
  if (exp == null) return [manifest.name];
  if (typeof exp === 'string' || !Object.keys(exp).some((k) => k.startsWith('.'))) return [manifest.name];
  return Object.keys(exp)
    .filter((k) => !k.includes('*') && k !== './package.json' && exp[k] !== null)
    .map((k) => (k === '.' ? manifest.name : `${manifest.name}/${k.slice(2)}`));
}

let work;
const tarballs = new Map(); // name -> { file, error }
let install = { ok: false, out: 'not run' };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exov6-pack-'));
  for (const { dir, manifest } of packages) {
    const dest = join(work, 'tarballs', manifest.name.replace(/[@/]/g, '_'));
    mkdirSync(dest, { recursive: true });
    const r = pnpm(['pack', '--pack-destination', dest], { cwd: dir });
    const file = readdirSync(dest).find((f) => f.endsWith('.tgz'));
    tarballs.set(manifest.name, file ? { file: join(dest, file) } : { error: r.out });
  }

  // One scratch project holding every tarball, so workspace deps between packages resolve to the tarballs.
  const project = join(work, 'consumer');
  mkdirSync(project);
  const deps = {};
  for (const [name, t] of tarballs) if (t.file) deps[name] = `file:${t.file}`;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      { name: 'exov6-consumer', private: true, type: 'module', dependencies: deps, overrides: deps },
      null,
      2,
    ),
  );
  if (Object.keys(deps).length > 0) {
    const r = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: project,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    install = { ok: r.status === 0, out: r.out, project };
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('there is at least one public package', () => {
  expect(packages.length).toBeGreaterThan(0);
});

describe.each(packages.map((p) => [p.manifest.name, p]))('%s', (name, { dir, manifest }) => {
  const tarball = () => {
    const t = tarballs.get(name);
    if (!t?.file) throw new Error(`pnpm pack failed for ${name}:\n${t?.error}`);
    return t.file;
  };

  test('is built (dist/ exists)', () => {
    expect(existsSync(join(dir, 'dist')), `${name}: run the build first (turbo run build)`).toBe(true);
  });

  test('publint: no errors or warnings', async () => {
    const buf = readFileSync(tarball());
    const tar = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const { messages, pkg } = await publint({ pack: { tarball: tar }, level: 'warning', strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });

  test('attw --profile esm-only: types resolve', () => {
    const r = sh(
      join(TESTS_DIR, 'node_modules', '.bin', 'attw'),
      [tarball(), '--profile', 'esm-only', '--format', 'ascii'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.status, r.out).toBe(0);
  });

  test('tarball holds only package.json, README, LICENSE and the files listed in "files"', () => {
    const r = sh('tar', ['-tzf', tarball()]);
    expect(r.status, r.out).toBe(0);
    const files = r.out
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const allowed = (manifest.files ?? []).map((f) => f.replace(/^\.\//, '').replace(/\/$/, ''));
    const stray = files.filter(
      (f) =>
        !/^(package\.json|README(\.md)?|LICEN[CS]E(\.md)?|CHANGELOG\.md)$/i.test(f) &&
        !allowed.some((a) => f === a || f.startsWith(`${a}/`)),
    );
    expect(stray).toEqual([]);
    expect(
      JSON.stringify(JSON.parse(sh('tar', ['-xzOf', tarball(), 'package/package.json']).out)),
    ).not.toContain('workspace:');
  });

  test('installs from its tarball and every public entry point imports', () => {
    tarball();
    expect(install.ok, `npm install of the tarballs failed:\n${install.out}`).toBe(true);
    for (const specifier of entryPoints(manifest)) {
      const r = sh(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)});`],
        {
          cwd: install.project,
        },
      );
      expect(r.status, `import('${specifier}') failed:\n${r.out}`).toBe(0);
    }
    const bins =
      typeof manifest.bin === 'string'
        ? { [manifest.name.split('/').pop()]: manifest.bin }
        : (manifest.bin ?? {});
    for (const [bin, target] of Object.entries(bins)) {
      const installed = join(install.project, 'node_modules', ...name.split('/'), target);
      expect(existsSync(installed), `bin ${bin}: ${target} is missing from the tarball`).toBe(true);
      expect(readFileSync(installed, 'utf8').startsWith('#!'), `bin ${bin}: ${target} has no #! line`).toBe(
        true,
      );
      expect(existsSync(join(install.project, 'node_modules', '.bin', bin)), `bin ${bin} not linked`).toBe(
        true,
      );
    }
  });
});
