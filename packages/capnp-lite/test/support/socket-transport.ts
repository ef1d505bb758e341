/**
 * The glue between a node:net socket (TCP or Unix) and the library's `ByteStreamTransport`, which stays
 * free of platform APIs: messages are written to the socket, what the socket reads is fed to the transport,
 * and the socket's end (or failure) ends the transport.
 */
import type { Socket } from 'node:net';
import { ByteStreamTransport } from '../../src/index';

export interface SocketTransportOptions {
  /** A message announcing more than this is refused (see ByteStreamTransport). */
  maxMessageBytes?: number;
}

/** A transport over `socket` (connected, or about to be: writes before the connection are queued). */
export function socketTransport(socket: Socket, options: SocketTransportOptions = {}): ByteStreamTransport {
  const transport = new ByteStreamTransport(
    {
      write(bytes) {
        if (!socket.destroyed && socket.writable) socket.write(bytes);
      },
      // A graceful close: what was written (an Abort, say) is flushed, then the peer reads the end.
      close() {
        socket.end();
      },
    },
    options,
  );
  socket.on('data', (chunk: Buffer) =>
    transport.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
  );
  socket.on('end', () => transport.end());
  socket.on('error', (error) => transport.end(error));
  socket.on('close', () => transport.end());
  return transport;
}
