/**
 * @exov6/capnp-lite/compiler: the schema compiler plugin as a library. `capnp compile -o<plugin>` sends a
 * CodeGeneratorRequest; `generate` turns it into one TypeScript module per schema file.
 */
import { type EmitOptions, type GeneratedFile, emitTypeScript } from './emit-typescript';
import { loadRequest } from './load-request';

export { loadRequest, emitTypeScript, type EmitOptions, type GeneratedFile };
export type { SchemaRequest, SchemaNode, SchemaField, SchemaType, SchemaValue } from './schema-model';

/** Generates TypeScript for every file of a framed CodeGeneratorRequest. */
export function generate(requestBytes: Uint8Array, options?: EmitOptions): GeneratedFile[] {
  return emitTypeScript(loadRequest(requestBytes), options);
}
