#!/usr/bin/env node
// `npm test` at the repository root: set up the machine and the workspace, build every package, run the
// tests of every workspace package, and end with one line of totals: `N passed, N failed[, N skipped]`.
//
// Vitest suites are run with the JSON reporter next to the default one, and the totals are summed from
// those files. A package whose test script is not vitest counts as one test (its exit status). The
// repository-level checks (tests/: publint, attw, install from the packed tarballs) are a workspace package
// like any other, so they are counted too. Exit status is 1 when anything failed.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, pnpm, pnpmOutput, ROOT, setup } from './setup.mjs';

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];

function record(label, passed, failed, skipped, note = '') {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  summary.push({ label, passed, failed, skipped, note });
}

function finish() {
  console.log('');
  console.log('== ExoV6 test summary ==');
  const width = Math.max(...summary.map((s) => s.label.length), 10);
  for (const s of summary) {
    const skipped = s.skipped ? `, ${s.skipped} skipped` : '';
    console.log(
      `${s.label.padEnd(width)}  ${s.passed} passed, ${s.failed} failed${skipped}${s.note ? `  (${s.note})` : ''}`,
    );
  }
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
  // Must stay the very last line of output.
  console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

/** Workspace packages (root excluded), leaves first as pnpm sorts them; the repo-level checks go last. */
function workspacePackages() {
  const list = JSON.parse(pnpmOutput(['ls', '-r', '--depth', '-1', '--json']))
    .filter((p) => p.path !== ROOT)
    .map((p) => ({ ...p, manifest: JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')) }))
    .filter((p) => p.manifest.scripts?.test);
  const repoLevel = (p) => (p.path === join(ROOT, 'tests') ? 1 : 0);
  return list.sort((a, b) => repoLevel(a) - repoLevel(b) || a.path.localeCompare(b.path));
}

function countVitestJson(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  let failed = report.numFailedTests ?? 0;
  // A test file that fails to load (syntax error, bad import) has no test results: count it once.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed'))
      failed++;
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

function main() {
  if (!setup()) {
    record('install', 0, 1, 0, 'workspace install failed');
    finish();
  }

  log('building all packages (turbo run build)');
  if (pnpm(['exec', 'turbo', 'run', 'build', '--continue', '--output-logs=errors-only']) !== 0) {
    record('build', 0, 1, 0, 'turbo run build failed, see above');
  }

  const outDir = mkdtempSync(join(tmpdir(), 'exov6-test-results-'));
  try {
    for (const pkg of workspacePackages()) {
      const isVitest = /^\s*vitest(\s|$)/.test(pkg.manifest.scripts.test);
      const jsonFile = join(outDir, `${pkg.name.replace(/[@/]/g, '_')}.json`);
      const extra = isVitest
        ? ['--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`]
        : [];
      log(`testing ${pkg.name}`);
      const status = pnpm(['--filter', pkg.name, 'run', 'test', ...extra]);
      const counts = isVitest ? countVitestJson(jsonFile) : null;
      if (!counts) {
        const note = isVitest ? `no vitest report, exit status ${status}` : 'non-vitest test script';
        record(pkg.name, status === 0 ? 1 : 0, status === 0 ? 0 : 1, 0, note);
      } else if (status !== 0 && counts.failed === 0) {
        record(pkg.name, counts.passed, 1, counts.skipped, `vitest exited with ${status} (unhandled error?)`);
      } else {
        record(pkg.name, counts.passed, counts.failed, counts.skipped);
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  finish();
}

main();
