/**
 * What an RPC connection runs over: something that carries whole framed messages, in order, both ways.
 * The in-memory pair connects two connections in one process (tests, examples, vats sharing a host);
 * `ByteStreamTransport` runs the protocol over any ordered byte stream (a socket, a pipe, an IPC channel).
 */

export interface RpcTransport {
  /** Sends one framed message (segment table and segments). The transport may keep the buffer. */
  send(message: Uint8Array): void;
  /**
   * Starts delivery: `onMessage` receives each framed message the peer sent, in order; `onClose` is called
   * once when the transport ends (with the error, if it failed). Called once, by the connection.
   */
  start(onMessage: (message: Uint8Array) => void, onClose: (error?: Error) => void): void;
  /** Closes the transport; the peer sees its end. */
  close(): void;
}

/**
 * Two transports connected to each other. Delivery is asynchronous (a microtask after `send`), so a
 * connection never re-enters itself while it is sending, and it is deterministic: messages arrive in the
 * order sent, in a schedule that depends only on the program.
 */
export function memoryTransportPair(): [RpcTransport, RpcTransport] {
  const a = new MemoryTransport();
  const b = new MemoryTransport();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryTransport implements RpcTransport {
  peer: MemoryTransport | null = null;
  private onMessage: ((message: Uint8Array) => void) | null = null;
  private onClose: ((error?: Error) => void) | null = null;
  /** Messages that arrived before `start`. */
  private readonly early: Uint8Array[] = [];
  private closed = false;

  send(message: Uint8Array): void {
    const peer = this.peer;
    if (this.closed || peer === null) return;
    queueMicrotask(() => peer.deliver(message));
  }

  start(onMessage: (message: Uint8Array) => void, onClose: (error?: Error) => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
    for (const m of this.early.splice(0)) onMessage(m);
    if (this.closed) onClose();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    this.peer = null;
    if (peer !== null) queueMicrotask(() => peer.end());
    this.onClose?.();
    this.onClose = null;
  }

  private deliver(message: Uint8Array): void {
    if (this.closed) return;
    if (this.onMessage === null) this.early.push(message);
    else this.onMessage(message);
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer = null;
    this.onClose?.();
    this.onClose = null;
  }
}
