#!/usr/bin/env node
/**
 * Demo: builds examples/hello.c with musl-gcc (static, -O2) and runs it on
 * ExoV6's simulated x86-64 CPU through the x86run command line tool.
 *
 *   node scripts/demo.mjs [--native] [program arguments...]
 *
 * Run from anywhere; paths are relative to packages/hal-x86.  The binary is
 * cached in examples/.build (gitignored) by a hash of the source.
 *   --native   run the same binary on the host CPU instead, for comparison
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(PKG_ROOT, 'examples', 'hello.c');
const BUILD_DIR = join(PKG_ROOT, 'examples', '.build');
const X86RUN = join(PKG_ROOT, 'dist', 'bin', 'x86run.js');
const MUSL_GCC = process.env.MUSL_GCC || 'musl-gcc';
const SETUP = 'apt-get update && apt-get install -y musl-tools busybox-static qemu-user';

function fail(msg) {
  console.error(`demo: ${msg}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const native = args[0] === '--native';
if (native) args.shift();

// 1. the compiler
const version = spawnSync(MUSL_GCC, ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  fail(
    `${MUSL_GCC} is not installed, so the demo program cannot be built.\n` +
      `Run the setup first:\n\n    ${SETUP}\n`,
  );
}

// 2. build (cached by source + compiler identity)
const key = createHash('sha256')
  .update(readFileSync(SOURCE))
  .update(version.stdout)
  .digest('hex')
  .slice(0, 16);
const elf = join(BUILD_DIR, `hello-${key}`);
if (!existsSync(elf)) {
  mkdirSync(BUILD_DIR, { recursive: true });
  if (!existsSync(join(BUILD_DIR, '.gitignore'))) writeFileSync(join(BUILD_DIR, '.gitignore'), '*\n');
  const tmp = `${elf}.tmp-${process.pid}`;
  console.error(`demo: building ${relative(process.cwd(), SOURCE)} with ${MUSL_GCC} -static -O2`);
  const cc = spawnSync(MUSL_GCC, ['-static', '-O2', '-o', tmp, SOURCE, '-lm'], { stdio: 'inherit' });
  if (cc.error || cc.status !== 0) fail('compilation failed');
  renameSync(tmp, elf);
}

// 3. run it
let r;
if (native) {
  console.error(`demo: running ${relative(process.cwd(), elf)} natively`);
  r = spawnSync(elf, args, { stdio: 'inherit', argv0: 'hello' });
} else {
  if (!existsSync(X86RUN)) {
    fail(
      `the emulator CLI ${relative(process.cwd(), X86RUN)} does not exist yet.\n` +
        'Build packages/hal-x86 first (e.g. `npm run build` there), or try `node scripts/demo.mjs --native`.',
    );
  }
  console.error(`demo: running ${relative(process.cwd(), elf)} on the simulated CPU (x86run)`);
  r = spawnSync(process.execPath, [X86RUN, elf, ...args], { stdio: 'inherit' });
}
if (r.error) fail(r.error.message);
process.exit(r.status ?? 1);
