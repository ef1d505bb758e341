/**
 * The RPC protocol over an ordered byte stream (a TCP or Unix socket, a pipe): messages are written in
 * the stream framing, and the bytes read are cut back into messages however the stream splits them.
 * The library stays free of any platform API: the owner of the stream passes `write` and `close`, and
 * feeds what it reads to `receive`.
 */
import { CapnpError } from '../errors';
import { framedLength } from '../framing';
import { DEFAULT_TRAVERSAL_LIMIT_WORDS } from '../limits';
import type { RpcTransport } from './transport';

export interface ByteStream {
  write(bytes: Uint8Array): void;
  close(): void;
}

export class ByteStreamTransport implements RpcTransport {
  private onMessage: ((message: Uint8Array) => void) | null = null;
  private onClose: ((error?: Error) => void) | null = null;
  /** Bytes received that do not yet make a whole message. */
  private buffered = new Uint8Array(0);
  private readonly ready: Uint8Array[] = [];
  private ended: { error?: Error } | null = null;
  private readonly maxMessageBytes: number;

  constructor(
    private readonly stream: ByteStream,
    /** A message announcing more than this is refused (the peer is broken or hostile). */
    options: { maxMessageBytes?: number } = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_TRAVERSAL_LIMIT_WORDS * 8;
  }

  send(message: Uint8Array): void {
    if (this.ended === null) this.stream.write(message);
  }

  start(onMessage: (message: Uint8Array) => void, onClose: (error?: Error) => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
    for (const m of this.ready.splice(0)) onMessage(m);
    if (this.ended !== null) this.finish();
  }

  close(): void {
    if (this.ended !== null) return;
    this.ended = {};
    this.stream.close();
    this.finish();
  }

  /** Bytes read from the stream, split anywhere. */
  receive(chunk: Uint8Array): void {
    if (this.ended !== null) return;
    let bytes = chunk;
    if (this.buffered.byteLength > 0) {
      bytes = new Uint8Array(this.buffered.byteLength + chunk.byteLength);
      bytes.set(this.buffered);
      bytes.set(chunk, this.buffered.byteLength);
    }
    let at = 0;
    try {
      for (;;) {
        const rest = bytes.subarray(at);
        const length = framedLength(rest);
        if (length !== null && length > this.maxMessageBytes) {
          throw new CapnpError(
            'TOO_LARGE',
            `the peer announced a ${length}-byte message (at most ${this.maxMessageBytes})`,
          );
        }
        if (length === null || length > rest.byteLength) break;
        // A copy: the message outlives this chunk, whose buffer the stream may reuse. (Not `slice`: on a
        // Node.js Buffer that is a view.)
        const message = new Uint8Array(rest.subarray(0, length));
        at += length;
        if (this.onMessage === null) this.ready.push(message);
        else this.onMessage(message);
        if (this.ended !== null) return;
      }
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.buffered = new Uint8Array(bytes.subarray(at));
  }

  /** The stream ended (cleanly, or with `error`). A message cut off by the end is an error. */
  end(error?: Error): void {
    if (this.ended !== null) return;
    const cut =
      error === undefined && this.buffered.byteLength > 0
        ? new CapnpError(
            'BAD_FRAMING',
            `the stream ended inside a message (${this.buffered.byteLength} bytes)`,
          )
        : error;
    this.ended = cut === undefined ? {} : { error: cut };
    this.finish();
  }

  private fail(error: Error): void {
    this.ended = { error };
    this.stream.close();
    this.finish();
  }

  private finish(): void {
    const onClose = this.onClose;
    if (onClose === null || this.ended === null) return;
    this.onClose = null;
    this.onMessage = null;
    onClose(this.ended.error);
  }
}
