/**
 * fs-protocol over exokernel IPC. The client grants the server frames when it connects: message frames,
 * which hold a request and then its response, and data frames, the data window for bulk reads and writes.
 * Every exchange after that is one IPC call of register-sized words; the messages themselves stay in the
 * granted frames, so nothing is copied through the kernel but four words.
 *
 * Words of a call: [ATTACH, role, index] with a frame capability (role 0 message frame, 1 data frame), or
 * [REQUEST, request bytes]. Words of the reply: [OK, response bytes], or [REFUSED, reason] (an attach the
 * server cannot take, a request before the frames, a response that does not fit the message frames).
 * The server tells its clients apart by the badge of the endpoint capability each was given.
 */
import { Rights } from '@exov6/caplattice';
import type { EnvApi, IpcResult, ReceivedMessage } from '@exov6/exokernel';
import type { DataWindow, FileServer } from './file-server';
import { FrameRange } from './frame-range';

export const FS_CALL = { attach: 1n, request: 2n } as const;
export const FS_REPLY = { ok: 0n, refused: 1n } as const;
/** Why the server refused an exchange (the reply's second word). */
const REFUSAL = {
  noFrame: 1n,
  badAttach: 2n,
  detached: 3n,
  tooLong: 4n,
  answerTooLong: 5n,
  unknown: 6n,
} as const;
/** The most frames of each kind a client may attach. */
export const MAX_MESSAGE_FRAMES = 16;
export const MAX_DATA_FRAMES = 256;

interface ClientFrames {
  message: FrameRange;
  data: FrameRange;
}

/**
 * The server's side: takes calls on `endpoint` (an IPC_RECV capability) in the server's environment and
 * answers each with the file server. Messages arrive as IPC completion upcalls from the kernel's run loop.
 */
export class IpcFileServer {
  private readonly clients = new Map<number, ClientFrames>();
  private listening = false;

  constructor(
    private readonly api: EnvApi,
    private readonly endpoint: number,
    readonly server: FileServer,
  ) {}

  /** Starts taking calls (registers the environment's IPC upcall). */
  listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.api.setUpcalls({ ipc: (event) => this.delivered(event.result) });
    this.api.ipcSubmit({ op: 'recv', endpoint: this.endpoint });
  }

  private delivered(result: IpcResult): void {
    if (result.ok && result.message !== null) this.api.ipcReply({ words: this.answer(result.message) });
    // Take the next call (a failed receive, for one, is simply tried again).
    this.api.ipcSubmit({ op: 'recv', endpoint: this.endpoint });
  }

  private answer(m: ReceivedMessage): bigint[] {
    const badge = m.badge ?? 0;
    const [op, a, b] = m.words;
    if (op === FS_CALL.attach) {
      if (m.cap === null) return [FS_REPLY.refused, REFUSAL.noFrame];
      let frames = this.clients.get(badge);
      if (frames === undefined) {
        frames = { message: new FrameRange(this.api, []), data: new FrameRange(this.api, []) };
        this.clients.set(badge, frames);
      }
      const list = a === 0n ? frames.message.frames : frames.data.frames;
      const limit = a === 0n ? MAX_MESSAGE_FRAMES : MAX_DATA_FRAMES;
      if ((a !== 0n && a !== 1n) || b !== BigInt(list.length) || list.length >= limit) {
        this.api.capDelete(m.cap);
        return [FS_REPLY.refused, REFUSAL.badAttach];
      }
      list.push(m.cap);
      return [FS_REPLY.ok, 0n];
    }
    if (op === FS_CALL.request) {
      const frames = this.clients.get(badge);
      if (frames === undefined || frames.message.frames.length === 0)
        return [FS_REPLY.refused, REFUSAL.detached];
      if (a > BigInt(frames.message.size)) return [FS_REPLY.refused, REFUSAL.tooLong];
      const request = frames.message.read(Number(a));
      const response = this.server.handle(request, frames.data.frames.length > 0 ? frames.data : null, badge);
      if (response.length > frames.message.size) return [FS_REPLY.refused, REFUSAL.answerTooLong];
      frames.message.write(response);
      return [FS_REPLY.ok, BigInt(response.length)];
    }
    return [FS_REPLY.refused, REFUSAL.unknown];
  }
}

/**
 * Why an exchange with the server failed (not a refusal of the file system: those are responses).
 * UNAVAILABLE: no server was waiting (nothing was delivered). LOST: the server ended while it held the
 * request, which may or may not have taken effect. REFUSED: the server refused the exchange itself.
 */
export class FsTransportError extends Error {
  override name = 'FsTransportError';
  constructor(
    readonly code: 'UNAVAILABLE' | 'LOST' | 'DETACHED' | 'REFUSED',
    message: string,
  ) {
    super(message);
  }
}

/** The reply's words, or the transport error the result stands for. */
function replyWords(result: IpcResult): readonly bigint[] {
  if (!result.ok) {
    const code = result.error === 'E_AGAIN' ? 'UNAVAILABLE' : result.error === 'E_STATE' ? 'LOST' : 'REFUSED';
    throw new FsTransportError(code, `the server did not answer: ${result.error} ${result.detail}`);
  }
  const reply = result.message?.words ?? [];
  if (reply[0] !== FS_REPLY.ok) {
    if (reply[1] === REFUSAL.detached)
      throw new FsTransportError('DETACHED', 'the server does not know this client (it was restarted)');
    throw new FsTransportError('REFUSED', `the server refused the exchange (${reply[1]})`);
  }
  return reply;
}

/**
 * The client's side, in a library OS's environment: `endpoint` is an IPC_SEND capability on the server's
 * endpoint (badged, so the server knows this client). `connect()` grants the frames; then `call` sends a
 * request message and resolves to the response message's bytes, with bulk data in `data`.
 */
export class IpcFileClient {
  readonly message: FrameRange;
  readonly data: FrameRange;

  constructor(
    private readonly api: EnvApi,
    private readonly endpoint: number,
    options: { messageFrames?: number; dataFrames?: number } = {},
  ) {
    const frames = (n: number) => Array.from({ length: n }, () => api.frameAlloc());
    this.message = new FrameRange(api, frames(options.messageFrames ?? 4));
    this.data = new FrameRange(api, frames(options.dataFrames ?? 16));
  }

  /** The data window: bulk bytes of the last read, or where to put a write's before calling. */
  get window(): DataWindow {
    return this.data;
  }

  private async exchange(words: bigint[], cap?: number): Promise<readonly bigint[]> {
    const token = this.api.ipcSubmit({ op: 'call', endpoint: this.endpoint, message: { words, cap } });
    return replyWords(await this.api.ipcWait(token));
  }

  /** An exchange as a direct call: the server answers in its upcall before this returns. */
  private exchangeDirect(words: bigint[], cap?: number): readonly bigint[] {
    return replyWords(this.api.ipcCallNow(this.endpoint, { words, cap }));
  }

  /** The attach calls that grant the server this client's frames (shared: the client keeps its own). */
  private grants(): { words: bigint[]; cap: number }[] {
    const rights = Rights.READ | Rights.WRITE | Rights.TRANSFER;
    return [
      ...this.message.frames.map((frame, i) => ({ frame, role: 0n, i })),
      ...this.data.frames.map((frame, i) => ({ frame, role: 1n, i })),
    ].map(({ frame, role, i }) => ({
      words: [FS_CALL.attach, role, BigInt(i)],
      cap: this.api.capDerive(frame, { rights }),
    }));
  }

  /** Grants the server this client's frames, waiting for each answer. */
  async connect(): Promise<void> {
    for (const g of this.grants()) await this.exchange(g.words, g.cap);
  }

  /** `connect` by direct calls, for a client that cannot wait (a library OS inside a system call). */
  connectDirect(): void {
    for (const g of this.grants()) this.exchangeDirect(g.words, g.cap);
  }

  private put(request: Uint8Array): bigint[] {
    if (request.length > this.message.size) {
      throw new FsTransportError(
        'REFUSED',
        `a ${request.length}-byte request does not fit the message frames`,
      );
    }
    this.message.write(request);
    return [FS_CALL.request, BigInt(request.length)];
  }

  /** Sends one request message; resolves to the response message. */
  async call(request: Uint8Array): Promise<Uint8Array> {
    const reply = await this.exchange(this.put(request));
    return this.message.read(Number(reply[1]));
  }

  /** `call` as a direct call: the response, or FsTransportError when no server answered. */
  callDirect(request: Uint8Array): Uint8Array {
    const reply = this.exchangeDirect(this.put(request));
    return this.message.read(Number(reply[1]));
  }
}
