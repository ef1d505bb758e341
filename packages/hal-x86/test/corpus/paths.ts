/**
 * Well-known locations used by the program corpus helpers.
 * Everything is resolved relative to this file so the helpers work no matter
 * which directory vitest (or a script) is started from.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** packages/hal-x86 */
export const PKG_ROOT = resolve(here, '../..');
/** C sources of the corpus: packages/hal-x86/test/programs */
export const PROGRAMS_DIR = resolve(PKG_ROOT, 'test/programs');
/** Build output (gitignored via a generated .gitignore): packages/hal-x86/test/.build */
export const BUILD_DIR = resolve(PKG_ROOT, 'test/.build');
/** Debian's statically linked busybox (package busybox-static). */
export const BUSYBOX = '/bin/busybox';

/** The one-line setup instruction shown whenever a host tool is missing. */
export const SETUP_COMMAND = 'apt-get update && apt-get install -y musl-tools busybox-static qemu-user';
