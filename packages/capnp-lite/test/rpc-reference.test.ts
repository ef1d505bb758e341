/**
 * RPC against the reference implementation (Cap'n Proto 0.9.2, C++) over a Unix socket: our client calls
 * a Directory the C++ EzRpcServer serves (test/reference/directory-server.c++), and a C++ EzRpcClient
 * (test/reference/directory-client.c++) runs a script against the Directory served here
 * (test/support/directory-server.ts). Both ways cover bootstrap, pipelined calls (on a capability and
 * through a struct field), capabilities sent back to their owner, calls back into the caller's vat,
 * embargoes, tail calls (the C++ side forwards a call for one of our objects back to us with
 * `sendResultsTo.yourself`), exceptions, and that every table empties once the capabilities are released.
 *
 * The C++ programs are generated and compiled into test/.build/reference on the first run (again only when
 * a source is newer). The suite is skipped where capnp, g++ or the headers are missing (except in CI). When a test fails,
 * it shows what the C++ program printed (stdout and stderr) and how our connection ended: a protocol error
 * the C++ side finds comes back as an Abort, whose reason is in the connection's close reason.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Capability,
  RpcConnection,
  RpcError,
  type RpcTableSizes,
  releaseCapabilities,
  serve,
} from '../src/index';
import { Callback, Counter, Directory } from './schemas/rpc-test.capnp.js';
import { counter, type DirectoryState, directory } from './support/directory-server';
import { socketTransport } from './support/socket-transport';

const TEST = dirname(fileURLToPath(import.meta.url));
const SCHEMAS = join(TEST, 'schemas');
const SCHEMA = join(SCHEMAS, 'rpc-test.capnp');
const SOURCES = join(TEST, 'reference');
const BUILD = join(TEST, '.build', 'reference');
const SERVER_BIN = join(BUILD, 'directory-server');
const CLIENT_BIN = join(BUILD, 'directory-client');

/** How long any single wait may take before the test fails (rather than hanging the suite). */
const WAIT_MS = 10_000;

const haveTools =
  spawnSync('capnp', ['--version']).status === 0 &&
  spawnSync('g++', ['--version']).status === 0 &&
  existsSync('/usr/include/capnp/ez-rpc.h');

const EMPTY: RpcTableSizes = { questions: 0, answers: 0, imports: 0, exports: 0, embargoes: 0 };

// Building the reference programs.

const run = promisify(execFile);

async function command(file: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(file, args, { maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const { stderr, message } = e as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stderr || message}`);
  }
}

/** Whether `output` exists and is newer than every one of `inputs`. */
function upToDate(output: string, inputs: readonly string[]): boolean {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((input) => statSync(input).mtimeMs <= built);
}

async function capnpFlags(): Promise<string[]> {
  try {
    return (await command('pkg-config', ['--cflags', '--libs', 'capnp-rpc']))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  } catch {
    return ['-lcapnp-rpc', '-lcapnp', '-lkj-async', '-lkj'];
  }
}

async function buildReferencePrograms(): Promise<void> {
  mkdirSync(BUILD, { recursive: true });
  const header = join(BUILD, 'rpc-test.capnp.h');
  const generated = join(BUILD, 'rpc-test.capnp.c++');
  if (!upToDate(header, [SCHEMA]) || !upToDate(generated, [SCHEMA])) {
    await command('capnp', ['compile', `-oc++:${BUILD}`, `--src-prefix=${SCHEMAS}`, SCHEMA]);
  }
  const cxx = ['-std=c++14', '-O1', `-I${BUILD}`];
  const object = join(BUILD, 'rpc-test.capnp.o');
  if (!upToDate(object, [header, generated])) await command('g++', [...cxx, '-c', generated, '-o', object]);
  const link = [...(await capnpFlags()), '-pthread'];
  await Promise.all(
    [
      [SERVER_BIN, 'directory-server.c++'],
      [CLIENT_BIN, 'directory-client.c++'],
    ].map(async ([binary, name]) => {
      const source = join(SOURCES, name as string);
      if (upToDate(binary as string, [source, header, object])) return;
      await command('g++', [...cxx, source, object, '-o', binary as string, ...link]);
    }),
  );
}

// Child processes.

/** A reference program running: its stdout as lines, its stderr as text, and how it exited. */
class Child {
  readonly lines: string[] = [];
  stderr = '';
  /** Settles with the exit status once the program has exited and its output has all been read. */
  readonly exited: Promise<number | null>;
  private readonly process: ChildProcess;
  private partial = '';
  private readonly changed = new Set<() => void>();
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    file: string,
    args: readonly string[],
  ) {
    this.process = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout?.setEncoding('utf8').on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.notify();
    });
    this.process.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    this.exited = new Promise((resolve) => {
      this.process.on('close', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        resolve(this.exitCode);
        this.notify();
      });
      this.process.on('error', (e) => {
        this.stderr += `${e.message}\n`;
        this.exitCode = -1;
        resolve(-1);
        this.notify();
      });
    });
  }

  /** Waits until a line of stdout is `line` (failing if the program exits or takes too long). */
  waitForLine(line: string, ms = WAIT_MS): Promise<void> {
    return this.waitUntil(`a line '${line}'`, (lines) => lines.includes(line), ms);
  }

  /** Waits until the lines of stdout satisfy `done` (failing if the program exits or takes too long). */
  waitUntil(what: string, done: (lines: readonly string[]) => boolean, ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done(this.lines)) finish();
        else if (this.exitCode !== undefined) finish(new Error(`${this.name} exited (${this.exitCode})`));
      };
      const timer = setTimeout(() => finish(new Error(`no ${what} from ${this.name} in ${ms} ms`)), ms);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.changed.delete(check);
        if (error === undefined) resolve();
        else reject(new Error(`${error.message}\n${this.evidence()}`));
      };
      this.changed.add(check);
      check();
    });
  }

  /** Closes the program's stdin (the client waits for that before it exits). */
  endInput(): void {
    this.process.stdin?.end();
  }

  kill(): void {
    if (this.exitCode === undefined) this.process.kill('SIGKILL');
  }

  /** What the program printed, for failure messages. */
  evidence(): string {
    const out = [...this.lines, this.partial].filter(Boolean).join('\n');
    return `--- ${this.name} stdout ---\n${out}\n--- ${this.name} stderr ---\n${this.stderr}`;
  }

  private notify(): void {
    for (const f of [...this.changed]) f();
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function connect(path: string): Promise<net.Socket> {
  const socket = net.connect(path);
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    `connecting to ${path}`,
  );
  return socket;
}

/** The hook behind a handle, as calls on it now reach it (for checking two handles name one object). */
function target(capability: Capability): unknown {
  return Capability.hookOf(capability).resolved();
}

function sockPath(name: string): string {
  const path = join(BUILD, `${name}-${process.pid}.sock`);
  rmSync(path, { force: true });
  return path;
}

const children: Child[] = [];

// Outside CI a machine without the tools skips the suite; CI has them installed, so there it must run.
const inCI = Boolean(process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0');

describe.skipIf(!haveTools && !inCI)("RPC with the reference implementation (Cap'n Proto 0.9.2, C++)", () => {
  beforeAll(async () => {
    await buildReferencePrograms();
  }, 300_000);

  afterAll(() => {
    for (const child of children) child.kill();
  });

  describe('our client, the C++ server', () => {
    let server: Child;
    let path: string;
    let socket: net.Socket;
    let connection: RpcConnection;
    let dir: Capability;
    /** Objects served in this vat (the counters we hand to the server). */
    const here: DirectoryState = { liveCounters: 0, log: [] };
    let counterA: Capability;
    const kept: Capability[] = [];
    let ended = 'open';

    beforeAll(async () => {
      path = sockPath('reference-server');
      server = new Child('directory-server', SERVER_BIN, [`unix:${path}`]);
      children.push(server);
      await server.waitForLine('ready');
      socket = await connect(path);
      connection = new RpcConnection(socketTransport(socket));
      connection.closed.then((reason) => {
        ended = reason.message;
      });
      dir = connection.bootstrap();
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => {
        const tables = JSON.stringify(connection?.tableSizes);
        console.error(`${server.evidence()}\n--- our connection ---\n${ended}\n${tables}`);
      });
    });

    afterAll(() => {
      connection?.close();
      socket?.destroy();
      server?.kill();
      if (path !== undefined) rmSync(path, { force: true });
    });

    it('pipelines a call on a counter the server has not returned yet', async () => {
      const open = dir.call(Directory, 'open', (p) => {
        p.name = 'a';
      });
      // Sent before the bootstrap capability, or open's results, exist: both are promised answers. (A
      // pipelined handle lasts until the results arrive: this one is kept for the later tests.)
      counterA = (open.pipeline.counter as Capability).dup();
      const increment = counterA.call(Counter, 'increment', (p) => {
        p.by = 5;
      });
      const get = counterA.call(Counter, 'get');
      expect((await within(increment.response, 'increment')).value).toBe(5);
      expect((await within(get.response, 'get')).value).toBe(5);
      const results = await within(open.response, 'open');
      // The pipelined handle settled to the import the results hold.
      expect(target(results.counter as Capability)).toBe(target(counterA));
      releaseCapabilities(results);
      // The same name gives the same counter.
      const again = dir.call(Directory, 'open', (p) => {
        p.name = 'a';
      });
      const sameA = (again.pipeline.counter as Capability).dup();
      expect((await within(sameA.call(Counter, 'get').response, 'get')).value).toBe(5);
      releaseCapabilities(await within(again.response, 'open'));
      expect(target(sameA)).toBe(target(counterA));
      sameA.release();
      // (The server prints a call's line as it handles it: the answer may be here before the line.)
      await server.waitUntil('six lines', (lines) => lines.length >= 6);
      expect(server.lines.slice(1, 6)).toEqual([
        'open(a)',
        'a.increment(5)',
        'a.get()',
        'open(a)',
        'a.get()',
      ]);
    });

    it("gets the server's own counter back from echo as the same object", async () => {
      const echo = dir.call(Directory, 'echo', (p) => {
        p.cap = counterA.dup();
      });
      const results = await within(echo.response, 'echo');
      const echoed = results.cap as Capability;
      expect(target(echoed)).toBe(target(counterA));
      const increment = echoed.call(Counter, 'increment', (p) => {
        p.by = 1;
      });
      expect((await within(increment.response, 'increment')).value).toBe(6);
      expect((await within(counterA.call(Counter, 'get').response, 'get')).value).toBe(6);
      releaseCapabilities(results);
    });

    it('gets a counter of ours back from echo, and calls pipelined on it arrive in order (embargo)', async () => {
      const mine = counter(here, 'mine', 10);
      const echo = dir.call(Directory, 'echo', (p) => {
        p.cap = mine.dup();
      });
      const piped = (echo.pipeline.cap as Capability).dup();
      // Goes to the server, which forwards it back here.
      const first = piped.call(Counter, 'increment', (p) => {
        p.by = 2;
      });
      const results = await within(echo.response, 'echo');
      // The promise settles to our own object: this call waits for the Disembargo to come back.
      const second = piped.call(Counter, 'increment', (p) => {
        p.by = 3;
      });
      expect((await within(first.response, 'first increment')).value).toBe(12);
      expect((await within(second.response, 'second increment')).value).toBe(15);
      expect(here.log).toEqual(['mine.increment(2)', 'mine.increment(3)']);
      await within(piped.whenResolved(), 'the pipelined capability settling');
      expect(target(piped)).toBe(target(mine));
      expect(target(results.cap as Capability)).toBe(target(mine));
      releaseCapabilities(results);
      kept.push(piped, mine);
    });

    it('takes the results of calls the server forwards back here (tail calls), capabilities included', async () => {
      const mirror: DirectoryState = { liveCounters: 0, log: [] };
      const ours = directory(mirror);
      // echo takes a Counter, but capabilities are untyped on the wire: our Directory comes back as well.
      const echo = dir.call(Directory, 'echo', (p) => {
        p.cap = ours.dup();
      });
      const piped = (echo.pipeline.cap as Capability).dup();
      // Calls on the promised echo result go to the server, which finds our own object there: it sends
      // each back to us as a Call with `sendResultsTo.yourself` and answers ours with a Return saying
      // `takeFromOtherQuestion`. The increment is itself pipelined on open's promised counter.
      const open = piped.call(Directory, 'open', (p) => {
        p.name = 'x';
      });
      const x = (open.pipeline.counter as Capability).dup();
      const increment = x.call(Counter, 'increment', (p) => {
        p.by = 7;
      });
      const failed = piped.call(Directory, 'fail', (p) => {
        p.reason = 'forwarded';
      });
      const results = await within(open.response, 'open');
      expect((await within(increment.response, 'increment')).value).toBe(7);
      const error = await within(
        failed.response.then(
          () => null,
          (e: unknown) => e,
        ),
        'fail',
      );
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).reason).toBe('forwarded');
      // The question has its own references to the capabilities in the results it took.
      const get = (results.counter as Capability).call(Counter, 'get');
      expect((await within(get.response, 'get')).value).toBe(7);
      // (fail and the increment go to different objects: either may arrive first.)
      expect([...mirror.log].sort()).toEqual(['fail(forwarded)', 'open(x)', 'x.get()', 'x.increment(7)']);
      expect(mirror.log.indexOf('open(x)')).toBeLessThan(mirror.log.indexOf('x.increment(7)'));
      releaseCapabilities(results);
      releaseCapabilities(await within(echo.response, 'echo'));
      x.release();
      piped.release();
      ours.release();
      // Nothing leaks: the directory (and the counter it holds) goes once every reference is gone.
      await vi.waitFor(() => expect(mirror.liveCounters).toBe(0), { timeout: WAIT_MS });
    });

    it('rejects with the RpcError the server threw', async () => {
      const call = dir.call(Directory, 'fail', (p) => {
        p.reason = 'no such thing';
      });
      const error = await within(
        call.response.then(
          () => null,
          (e: unknown) => e,
        ),
        'fail',
      );
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).type).toBe('failed');
      expect((error as RpcError).reason).toContain('no such thing');
      // The connection goes on.
      expect((await within(counterA.call(Counter, 'get').response, 'get')).value).toBe(6);
    });

    it('lets the server call back into this vat', async () => {
      const values: number[] = [];
      let released = false;
      const callback = serve(
        Callback,
        {
          call(params, results) {
            values.push(params.value);
            results.result = params.value * 2 + 1;
          },
        },
        { onRelease: () => (released = true) },
      );
      const call = dir.call(Directory, 'callBack', (p) => {
        p.callback = callback; // Handed to the message.
        p.value = 20;
      });
      expect((await within(call.response, 'callBack')).result).toBe(41);
      expect(values).toEqual([20]);
      // The server drops the callback once its call is done: its Release reaches us.
      await vi.waitFor(() => expect(released).toBe(true), { timeout: WAIT_MS });
    });

    it('pipelines a call through a struct field of the results', async () => {
      const nested = dir.call(Directory, 'nested', (p) => {
        p.name = 'n';
      });
      const inner = nested.pipeline.inner.counter as Capability;
      const increment = inner.call(Counter, 'increment', (p) => {
        p.by = 1;
      });
      expect((await within(increment.response, 'increment')).value).toBe(101);
      const results = await within(nested.response, 'nested');
      expect(results.inner.label).toBe('n');
      expect(inner.released).toBe(true); // A pipelined handle goes when the results arrive.
      const get = (results.inner.counter as Capability).call(Counter, 'get');
      expect((await within(get.response, 'get')).value).toBe(101);
      releaseCapabilities(results);
      // Our Release reached the server: the counter was destroyed.
      await server.waitForLine('~n');
    });

    it('lets the server call a counter served here', async () => {
      const bumped = counter(here, 'bumped', 10);
      const call = dir.call(Directory, 'bump', (p) => {
        p.counter = bumped.dup();
        p.by = 4;
      });
      expect((await within(call.response, 'bump')).value).toBe(14);
      expect((await within(bumped.call(Counter, 'get').response, 'get')).value).toBe(14);
      expect(here.log.slice(-2)).toEqual(['bumped.increment(4)', 'bumped.get()']);
      bumped.release();
    });

    it('empties every table once everything is released, and closes cleanly', async () => {
      for (const c of kept) c.release();
      counterA.release();
      dir.release();
      // Our Releases go out at once; the server's (of the counters we exported) come back.
      await vi.waitFor(() => expect(connection.tableSizes).toEqual(EMPTY), { timeout: WAIT_MS });
      await vi.waitFor(() => expect(here.liveCounters).toBe(0), { timeout: WAIT_MS });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      connection.close();
      const reason = await within(connection.closed, 'the connection closing');
      expect(reason.type).toBe('disconnected');
      await within(closed, 'the socket closing');
      // The server is still fine (it only lost a client).
      expect(server.stderr).toBe('');
    });
  });

  describe('the C++ client, our server', () => {
    const state: DirectoryState = { liveCounters: 0, log: [] };
    const connections: RpcConnection[] = [];
    const ended: string[] = [];
    let server: net.Server;
    let path: string;
    let client: Child | undefined;

    beforeAll(async () => {
      path = sockPath('our-server');
      server = net.createServer((socket) => {
        const dir = directory(state);
        const connection = new RpcConnection(socketTransport(socket), { bootstrap: dir });
        connection.closed.then((reason) => ended.push(reason.message));
        connections.push(connection);
        // The connection holds its own reference: the directory goes when the connection does.
        dir.release();
      });
      await within(
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(path, resolve);
        }),
        'listening',
      );
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => {
        const tables = connections.map((c) => JSON.stringify(c.tableSizes)).join(', ');
        const log = state.log.join('\n');
        console.error(
          `${client?.evidence()}\n--- our log ---\n${log}\n--- our connections ---\n${tables}\n${ended.join('\n')}`,
        );
      });
    });

    afterAll(async () => {
      client?.kill();
      for (const c of connections) c.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    });

    it('answers the scripted calls of the C++ client', async () => {
      client = new Child('directory-client', CLIENT_BIN, [`unix:${path}`]);
      children.push(client);
      await client.waitForLine('released');
      expect(client.lines).toEqual([
        'open(a)+increment(5) -> 5',
        'get -> 5',
        'open(a) again+increment(1) -> 6',
        'echo(a)+increment(1) -> 7',
        'get -> 7',
        'local.increment(2)',
        'local.increment(3)',
        'echo(local) pipelined increment(2) -> 12',
        'then increment(3) -> 15',
        'fail -> exception: failed: remote exception: no such thing',
        'nested(n) pipelined increment(1) -> 101',
        'nested label -> n',
        'callback.call(20)',
        '~callback',
        'callBack(20) -> 41',
        'local.increment(4)',
        'bump(local, 4) -> 19',
        'local.get()',
        'local get -> 19',
        '~local',
        'released',
      ]);
      expect(state.log).toEqual([
        'open(a)',
        'a.increment(5)',
        'a.get()',
        'open(a)',
        'a.increment(1)',
        'echo',
        'a.increment(1)',
        'a.get()',
        'echo',
        'fail(no such thing)',
        'nested(n)',
        'n.increment(1)',
        'callBack(20)',
      ]);
      expect(connections).toHaveLength(1);
      const [connection] = connections as [RpcConnection];
      // The client holds only the bootstrap Directory now; once its Release and Finish messages are in,
      // that is all our tables hold, and only the counter the directory keeps ('a') is alive.
      await vi.waitFor(() => expect(connection.tableSizes).toEqual({ ...EMPTY, exports: 1 }), {
        timeout: WAIT_MS,
      });
      expect(state.liveCounters).toBe(1);

      client.endInput();
      expect(await within(client.exited, 'the client exiting')).toBe(0);
      expect(client.lines.slice(-1)).toEqual(['bye']);
      expect(client.stderr).toBe('');
      const reason = await within(connection.closed, 'the connection closing');
      expect(reason.type).toBe('disconnected');
      // The connection released the directory, which released its counters.
      expect(state.liveCounters).toBe(0);
      expect(connection.tableSizes).toEqual(EMPTY);
    });
  });
});
