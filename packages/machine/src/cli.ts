#!/usr/bin/env node
/**
 * `exov6`: boots the machine. Interactive (no command): the host terminal in raw mode is the console;
 * Ctrl-C reaches the guest as a character (and so as SIGINT to the foreground process group); Ctrl-A x
 * powers off, Ctrl-A Ctrl-A sends a Ctrl-A. Non-interactive (a command): the boot log goes to stderr (or
 * nowhere with --quiet), the command's stdout and stderr to the host's, its status is the exit status.
 */
import { Transform } from 'node:stream';
import { CliUsageError, parseArguments, USAGE } from './cli-arguments';
import { Machine, type MachineOptions } from './machine';
import { MachineError } from './machine-error';

const CTRL_A = 0x01;

/** Host keyboard input with the escape sequence taken out: Ctrl-A x calls `powerOff`. */
function escapeFilter(powerOff: () => void): Transform {
  let escaped = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const out: number[] = [];
      for (const b of chunk) {
        if (escaped) {
          escaped = false;
          if (b === 0x78 /* x */) {
            powerOff();
            continue;
          }
          if (b === CTRL_A) out.push(CTRL_A);
          continue;
        }
        if (b === CTRL_A) escaped = true;
        else out.push(b);
      }
      done(null, Buffer.from(out));
    },
  });
}

async function readAll(stream: NodeJS.ReadStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseArguments>;
  try {
    cli = parseArguments(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof CliUsageError)) throw e;
    process.stderr.write(`exov6: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const interactive = cli.command.length === 0;
  const options: MachineOptions = {
    ...(cli.disk === null ? {} : { disk: cli.disk }),
    memoryMiB: cli.memoryMiB,
    policy: cli.policy as MachineOptions['policy'],
    seed: cli.seed,
    sliceInstructions: cli.slice,
    strace: cli.strace ? (line) => process.stderr.write(`${line}\n`) : undefined,
    bootLog: cli.quiet
      ? undefined
      : (line) => process.stderr.write(interactive ? `${line}\r\n` : `${line}\n`),
  };
  if (!interactive) {
    const stdin = process.stdin.isTTY ? new Uint8Array(0) : await readAll(process.stdin);
    const machine = new Machine(options);
    const result = machine.run(cli.command, {
      stdin,
      onStdout: (d) => process.stdout.write(d),
      onStderr: (d) => process.stderr.write(d),
    });
    return result.status;
  }
  let machine: Machine | null = null;
  const input = escapeFilter(() => machine?.powerOff());
  const raw = process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  process.stdin.pipe(input);
  try {
    machine = new Machine({ ...options, console: { input, output: process.stdout } });
    const status = await machine.interactive();
    // After the console's last output (written at the next turn of the event loop), on the same stream.
    await new Promise((resolve) => setImmediate(resolve));
    process.stdout.write(`\r\nexov6: powered off (init status ${status})\r\n`);
    return status;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdin.unpipe(input);
    process.stdin.pause();
  }
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(
      `exov6: ${e instanceof MachineError ? e.message : e instanceof Error ? e.stack : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
