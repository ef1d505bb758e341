/**
 * e2fsprogs and busybox as the machine tests find them on the host. The e2fsprogs tools live in sbin,
 * which may not be on PATH. Without them the tests that need them are skipped, except under CI, where
 * they must run (the CI script installs them), so a missing tool there is a failure, not a skip.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';

/** A tool's path, or null. */
export function tool(name: string): string | null {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return null;
}

export const haveBusybox = existsSync('/bin/busybox');
export const E2FSCK = tool('e2fsck') ?? 'e2fsck';
export const DEBUGFS = tool('debugfs') ?? 'debugfs';
export const MKE2FS = tool('mke2fs') ?? 'mke2fs';
export const haveE2fsprogs = tool('e2fsck') !== null && tool('debugfs') !== null && tool('mke2fs') !== null;
/** The tests that need e2fsprogs are skipped: they are missing, and this is not CI. */
export const noE2fsprogs = !haveE2fsprogs && !process.env.CI;
