#!/usr/bin/env node
/**
 * The schema compiler plugin: `capnp compile -o<path to this bin>:<out dir> foo.capnp` (or `-olite` with
 * `capnpc-lite` on PATH) writes `<out dir>/foo.capnp.ts`. The generated code imports the runtime from
 * `@exov6/capnp-lite`, or from the module named by CAPNP_LITE_RUNTIME_IMPORT.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CapnpError } from '../errors';
import { generate } from '../compiler/index';

try {
  const request = new Uint8Array(readFileSync(0));
  const runtimeImport = process.env.CAPNP_LITE_RUNTIME_IMPORT;
  for (const file of generate(request, runtimeImport ? { runtimeImport } : {})) {
    mkdirSync(dirname(file.filename), { recursive: true });
    writeFileSync(file.filename, file.source);
  }
} catch (e) {
  const message =
    e instanceof CapnpError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`capnpc-lite: ${message}\n`);
  process.exit(1);
}
