#!/usr/bin/env node
/**
 * Boot to the shell's prompt, timed: `bootToPrompt(Machine)` for the benchmark; run as a script, one boot
 * in this fresh process, its milliseconds printed (the first boot pays for the engine's compiling).
 */
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** ms from creating the machine to the shell's prompt on its console. */
export async function bootToPrompt(Machine) {
  const input = new PassThrough();
  let seen = '';
  let resolvePrompt;
  const prompt = new Promise((r) => {
    resolvePrompt = r;
  });
  const output = new Writable({
    write(chunk, _e, done) {
      seen += chunk.toString('latin1');
      if (seen.includes('# ')) resolvePrompt();
      done();
    },
  });
  const t0 = performance.now();
  const machine = new Machine({ memoryMiB: 256, console: { input, output } });
  const running = machine.interactive();
  await prompt;
  const ms = performance.now() - t0;
  machine.powerOff();
  await running;
  return ms;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { Machine } = await import(new URL('../dist/index.js', import.meta.url).href);
  console.log((await bootToPrompt(Machine)).toFixed(1));
}
