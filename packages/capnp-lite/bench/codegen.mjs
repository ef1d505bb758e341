/**
 * Generates code for schemas/bench.capnp with each library's compiler plugin into bench/.build/<library>/
 * and imports it. Each function returns the generated module or throws with the reason. The output is
 * reused while the schema and the plugin are unchanged (a stamp file records both).
 *
 * - capnp-lite: `capnp compile -o<dist/bin/capnpc-lite.js>:<dir>`, the generated .ts importing the built
 *   runtime (CAPNP_LITE_RUNTIME_IMPORT), transpiled with TypeScript's transpileModule.
 * - capnp-es: `capnp compile -o<capnp-es's capnpc-js plugin>:<dir>`, which emits ES modules directly.
 * - capnp-ts: capnpc-ts 0.7 (the latest) only works with TypeScript < 4.8 (jdiaz5513/capnp-ts#178), so
 *   `capnp compile -o-` writes the request and capnpc-ts.cjs runs the plugin on it against TypeScript
 *   4.7; its CommonJS output is renamed .cjs and required.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const schemas = join(here, 'schemas');
const buildDir = join(here, '.build');
export const SCHEMA = 'bench.capnp';

function capnp(args, options = {}) {
  return execFileSync('capnp', args, {
    cwd: schemas,
    env: { ...process.env, PWD: schemas, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

/** Why setting up failed, in one line (for a child process, the first error line of its stderr). */
export function failure(e) {
  const stderr = e?.stderr?.toString().trim();
  const lines = (stderr || (e instanceof Error ? e.message : String(e))).split('\n').map((l) => l.trim());
  return lines.find((l) => /error\b/i.test(l)) ?? lines.filter(Boolean).at(-1) ?? 'unknown error';
}

/** The installed version of `pkg` (found from its entry point: not every package exports package.json). */
function version(pkg) {
  for (let dir = dirname(require.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      if (json.name === pkg) return json.version;
    }
  }
  return '?';
}

/**
 * Runs `generate(dir)` into bench/.build/<name> unless the output there was made from the same schema by
 * the same plugin (`pluginIdentity`); returns the path of the module to import (`entry` in that dir).
 */
function cached(name, pluginIdentity, entry, generate) {
  const dir = join(buildDir, name);
  const schema = readFileSync(join(schemas, SCHEMA));
  const stamp = `${createHash('sha256').update(schema).digest('hex')} ${pluginIdentity}`;
  const stampFile = join(dir, '.stamp');
  const out = join(dir, entry);
  if (existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return out;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  generate(dir);
  writeFileSync(stampFile, stamp);
  return out;
}

export async function generateLite(distDir) {
  const plugin = join(distDir, 'bin', 'capnpc-lite.js');
  const runtime = pathToFileURL(join(distDir, 'index.js')).href;
  const identity = `${plugin}@${statSync(plugin).mtimeMs} ${runtime}`;
  const out = cached('capnp-lite', identity, `${SCHEMA}.mjs`, (dir) => {
    capnp(['compile', `-o${plugin}:${dir}`, SCHEMA], { env: { CAPNP_LITE_RUNTIME_IMPORT: runtime } });
    const ts = require('typescript');
    const source = readFileSync(join(dir, `${SCHEMA}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, `${SCHEMA}.mjs`), outputText);
  });
  return import(pathToFileURL(out).href);
}

export async function generateEs() {
  const base = SCHEMA.replace(/\.capnp$/, '');
  const out = cached('capnp-es', `capnp-es@${version('capnp-es')}`, `${base}.mjs`, (dir) => {
    const plugin = join(dirname(require.resolve('capnp-es')), 'compiler', 'capnpc-js.mjs');
    capnp(['compile', `-o${plugin}:${dir}`, SCHEMA]);
    // ES module output; .mjs so that it does not depend on the nearest package.json's "type".
    renameSync(join(dir, `${base}.js`), join(dir, `${base}.mjs`));
  });
  return import(pathToFileURL(out).href);
}

export async function generateTs() {
  const identity = `capnpc-ts@${version('capnpc-ts')} capnp-ts@${version('capnp-ts')}`;
  const out = cached('capnp-ts', identity, `${SCHEMA}.cjs`, (dir) => {
    const request = capnp(['compile', '-o-', SCHEMA]);
    execFileSync(process.execPath, [join(here, 'capnpc-ts.cjs')], {
      cwd: dir,
      input: request,
      stdio: 'pipe',
    });
    // CommonJS output; .cjs so that it does not depend on the nearest package.json's "type".
    renameSync(join(dir, `${SCHEMA}.js`), join(dir, `${SCHEMA}.cjs`));
  });
  return require(out);
}
