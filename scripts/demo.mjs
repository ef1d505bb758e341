#!/usr/bin/env node
// `npm run demo` at the repository root: set up, build what the demo needs, then run it.
// Until the whole machine boots, the demo is hal-x86's own (`packages/hal-x86/scripts/demo.mjs`).
// Extra arguments are passed on: `npm run demo -- path/to/program.elf`.

import { log, pnpm, setup } from './setup.mjs';

const DEMO_PACKAGE = '@exov6/hal-x86';

if (!setup()) process.exit(1);
log(`building ${DEMO_PACKAGE} and its dependencies`);
if (
  pnpm(['exec', 'turbo', 'run', 'build', `--filter=${DEMO_PACKAGE}...`, '--output-logs=errors-only']) !== 0
) {
  process.exit(1);
}
process.exit(pnpm(['--filter', DEMO_PACKAGE, 'run', 'demo', ...process.argv.slice(2)]));
