#!/usr/bin/env node
// Machine and workspace set-up shared by `npm test` (scripts/test-all.mjs) and `npm run demo`
// (scripts/demo.mjs). A fresh machine only needs node and npm: this script installs the Debian
// packages the tests use (when running as root and something is missing), then the pnpm workspace.
//
// pnpm is never assumed to be installed: it is run through `npx -y pnpm@<version>`, the version being
// the one pinned in the root package.json `packageManager` field (corepack is not relied on).
//
// Usage as a script: node scripts/setup.mjs [--no-system] [--no-install]

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const pm = /^pnpm@(\d+\.\d+\.\d+)$/.exec(rootPkg.packageManager ?? '');
if (!pm)
  throw new Error(`root package.json: packageManager must be pnpm@x.y.z, got ${rootPkg.packageManager}`);
export const PNPM_VERSION = pm[1];

/**
 * Debian packages the test suites need: guest programs are compiled with musl-gcc/gcc and checked on qemu;
 * busybox runs in the library OS; tmux drives the machine console; capnp (with schema.capnp from
 * libcapnp-dev) is the reference Cap'n Proto implementation capnp-lite is checked against; e2fsprogs
 * (mke2fs, e2fsck, debugfs) is the oracle for ext2.
 */
export const SYSTEM_PACKAGES = [
  'musl-tools',
  'busybox-static',
  'qemu-user',
  'binutils',
  'gcc',
  'g++',
  'tmux',
  'capnproto',
  'libcapnp-dev',
  'e2fsprogs',
];

export const isCI = Boolean(process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0');

// `npm test --silent` (as in .ci/run) exports npm_config_loglevel=silent, which pnpm would obey too and
// hide its own errors; children get pnpm's default log level instead.
const { npm_config_loglevel: _npmLogLevel, ...inheritedEnv } = process.env;

const baseEnv = {
  ...inheritedEnv,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  npm_config_update_notifier: 'false',
};

export function log(message) {
  console.log(`[exov6] ${message}`);
}

/** Runs a command with inherited stdio; returns its exit status (a signal counts as 1). */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: 'inherit',
    ...options,
    env: { ...baseEnv, ...options.env },
  });
  if (result.error) {
    console.error(`[exov6] cannot run ${command}: ${result.error.message}`);
    return 127;
  }
  return result.status ?? 1;
}

/**
 * Runs the pinned pnpm: `npx -y pnpm@<version> <args>`. npx is kept quiet, and since it hands its log level
 * on to pnpm through the environment, pnpm gets its own default (info) back explicitly.
 */
export function pnpm(args, options = {}) {
  return run('npx', ['--loglevel=error', '-y', `pnpm@${PNPM_VERSION}`, '--loglevel=info', ...args], options);
}

/** Runs the pinned pnpm and returns its stdout (throws on failure). */
export function pnpmOutput(args) {
  const r = spawnSync('npx', ['--loglevel=error', '-y', `pnpm@${PNPM_VERSION}`, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: baseEnv,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`pnpm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function missingDebianPackages() {
  return SYSTEM_PACKAGES.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', `-f=\${Status}`, name], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

/**
 * Installs missing Debian packages. Only acts on Debian-like systems and only as root; otherwise it prints
 * one line and carries on (tests that need a missing tool report it themselves).
 */
export function ensureSystemPackages() {
  if (process.platform !== 'linux' || !commandExists('dpkg-query') || !commandExists('apt-get')) {
    log(`not a Debian-like system; make sure these are installed: ${SYSTEM_PACKAGES.join(' ')}`);
    return true;
  }
  const missing = missingDebianPackages();
  if (missing.length === 0) return true;
  if (process.getuid?.() !== 0) {
    log(`missing system packages (not root, skipping): sudo apt-get install -y ${missing.join(' ')}`);
    return true;
  }
  log(`installing system packages: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const ok =
    run('apt-get', ['update'], { env }) === 0 &&
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env }) === 0;
  if (!ok) log('apt-get failed; continuing, the tests that need these tools will fail');
  return ok;
}

/**
 * Installs the workspace. With a lockfile the install is frozen; outside CI a lockfile that no longer
 * matches the package.json files is refreshed (with a warning) instead of stopping a newcomer cold.
 */
export function installWorkspace() {
  if (!existsSync(join(ROOT, 'pnpm-lock.yaml'))) {
    log(`pnpm ${PNPM_VERSION}: no lockfile yet, plain install`);
    return pnpm(['install']) === 0;
  }
  log(`pnpm ${PNPM_VERSION}: install --frozen-lockfile`);
  if (pnpm(['install', '--frozen-lockfile']) === 0) return true;
  if (isCI) return false;
  log('pnpm-lock.yaml is out of date with package.json; updating it (commit the new lockfile)');
  return pnpm(['install', '--no-frozen-lockfile']) === 0;
}

/** Full set-up; returns true when the workspace is installed (system packages are best effort). */
export function setup({ system = true, install = true } = {}) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    log(`Node ${process.versions.node} is too old: ExoV6 needs Node >= 20.19`);
    return false;
  }
  if (system) ensureSystemPackages();
  return install ? installWorkspace() : true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  const ok = setup({ system: !args.has('--no-system'), install: !args.has('--no-install') });
  process.exit(ok ? 0 : 1);
}
