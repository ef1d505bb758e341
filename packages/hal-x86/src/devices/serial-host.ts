/**
 * The host end of a serial line: a terminal attached to a `Uart16550`.
 *
 * Input (host to guest). Typed characters — from `send()` or from a Node `Readable` such as
 * `process.stdin` — wait in a queue outside the UART and enter its receiver only while it has room, so
 * the guest never sees an overrun and nothing typed is lost however slowly the guest reads (a real
 * terminal would simply overrun; here losing keystrokes helps nobody). With a machine clock the
 * characters also keep to the line rate: one per character time. Without one they are delivered as fast
 * as the guest reads RBR, and whenever the queue runs dry the host declares the character timeout
 * (`expireCharacterTimeout`), since in clockless time "four character times with nothing received" has
 * then passed. A `Readable` is paused while the queue holds `inputHighWater` bytes or more and resumed
 * once the guest has brought it down to `inputLowWater`.
 *
 * Output (guest to host). Characters the UART shifts out are collected and written to a Node `Writable`
 * (such as `process.stdout`) in batches at the next turn of the event loop; when `write()` returns false
 * the host waits for 'drain'. Without a `Writable`, output is kept in memory for `takeOutput()` (tests).
 * Either way, once `outputHighWater` bytes wait, the host holds the UART's transmitter, so THRE stays
 * clear and the guest waits, exactly as it would behind a slower line: nothing is dropped and the buffer
 * stays bounded.
 *
 * Streams deliver data only while the event loop turns, so whoever runs the machine must yield to it
 * (an `await` between run slices) for typed input to arrive and output to drain.
 */

import type { Readable, Writable } from 'node:stream';
import type { TimerId } from './machine-clock';
import type { SerialLine, Uart16550 } from './uart16550';

export interface SerialHostOptions {
  /** Typed input (e.g. `process.stdin`, ideally in raw mode). Omit to use `send()` only. */
  input?: Readable | null;
  /** Where output goes (e.g. `process.stdout`). Omit to keep output in memory for `takeOutput()`. */
  output?: Writable | null;
  /** Queued input bytes at which the `Readable` is paused (default 64 KiB). */
  inputHighWater?: number;
  /** Queued input bytes at or below which a paused `Readable` is resumed (default 16 KiB). */
  inputLowWater?: number;
  /** Waiting output bytes at which the UART's transmitter is held (default 64 KiB). */
  outputHighWater?: number;
}

/** Counters of the flow control, for tests and diagnostics. */
export interface SerialHostStats {
  /** Times the input `Readable` was paused / resumed. */
  inputPauses: number;
  inputResumes: number;
  /** Times a `write()` returned false and the host waited for 'drain'. */
  outputWaits: number;
  /** Times the UART's transmitter was held. */
  transmitterHolds: number;
  /** The longest the input queue and the output buffer have been, in bytes. */
  maxInputQueued: number;
  maxOutputQueued: number;
  /** Bytes delivered to the UART's receiver and taken from its transmitter. */
  bytesIn: number;
  bytesOut: number;
}

/** Host-side misuse: bad water marks, `takeOutput` with a stream attached, `send` after `close`. */
export class SerialHostError extends Error {
  override name = 'SerialHostError';
}

const NO_EVENT = -1;
const encoder = new TextEncoder();

/** Bytes waiting to be typed, kept as the chunks they arrived in. */
class InputQueue {
  private readonly chunks: Uint8Array[] = [];
  private first = 0;
  private offset = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  shift(): number {
    const chunk = this.chunks[this.first] as Uint8Array;
    const byte = chunk[this.offset] as number;
    this.length--;
    if (++this.offset === chunk.length) {
      this.offset = 0;
      this.first++;
      if (this.first > 64 && this.first * 2 > this.chunks.length) {
        this.chunks.splice(0, this.first);
        this.first = 0;
      }
    }
    return byte;
  }
}

/** Bytes the guest sent and the host has not passed on yet. */
class OutputBuffer {
  private bytes = new Uint8Array(256);
  length = 0;

  push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  take(): Uint8Array {
    const out = this.bytes.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

function checkMark(name: string, value: number): number {
  if (!(value >= 1)) throw new SerialHostError(`${name} must be at least 1, got ${value}`);
  return value;
}

export class SerialHost {
  readonly uart: Uart16550;
  readonly stats: SerialHostStats = {
    inputPauses: 0,
    inputResumes: 0,
    outputWaits: 0,
    transmitterHolds: 0,
    maxInputQueued: 0,
    maxOutputQueued: 0,
    bytesIn: 0,
    bytesOut: 0,
  };

  private readonly input: Readable | null;
  private readonly output: Writable | null;
  private readonly inputHighWater: number;
  private readonly inputLowWater: number;
  private readonly outputHighWater: number;
  private readonly queue = new InputQueue();
  private readonly outBuffer = new OutputBuffer();
  private readonly line: SerialLine;
  private closed = false;

  private inputPaused = false;
  private pumping = false;
  private deliveryEvent: TimerId = NO_EVENT;
  /** Clock mode: when the line has finished carrying the last character sent to the UART. */
  private lineFreeNs = 0;

  private transmitterHeld = false;
  private flushScheduled = false;
  private waitingForDrain = false;
  private writesInFlight = 0;
  private flushWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  private readonly onData = (chunk: Uint8Array | string) => this.send(chunk);
  private readonly onDrain = () => {
    this.waitingForDrain = false;
    this.flush();
  };

  constructor(uart: Uart16550, options: SerialHostOptions = {}) {
    this.uart = uart;
    this.inputHighWater = checkMark('inputHighWater', options.inputHighWater ?? 64 * 1024);
    this.inputLowWater = options.inputLowWater ?? Math.min(16 * 1024, this.inputHighWater >> 1);
    if (!(this.inputLowWater >= 0 && this.inputLowWater < this.inputHighWater)) {
      throw new SerialHostError(
        `inputLowWater (${this.inputLowWater}) must lie in [0, inputHighWater = ${this.inputHighWater})`,
      );
    }
    this.outputHighWater = checkMark('outputHighWater', options.outputHighWater ?? 64 * 1024);
    this.input = options.input ?? null;
    this.output = options.output ?? null;
    this.line = {
      transmitted: (char) => this.transmitted(char),
      receiverReady: () => this.deliver(),
    };
    uart.connect(this.line);
    this.input?.on('data', this.onData);
  }

  /** Queues characters typed at the host (strings as UTF-8). Nothing queued is ever dropped. */
  send(data: Uint8Array | string): void {
    if (this.closed) throw new SerialHostError('send() on a closed SerialHost');
    const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data); // a copy: the caller may reuse its buffer
    this.queue.push(bytes);
    if (this.queue.length > this.stats.maxInputQueued) this.stats.maxInputQueued = this.queue.length;
    if (this.input !== null && !this.inputPaused && this.queue.length >= this.inputHighWater) {
      this.inputPaused = true;
      this.stats.inputPauses++;
      this.input.pause();
    }
    this.deliver();
  }

  /** Typed bytes not yet taken by the UART. */
  get inputQueued(): number {
    return this.queue.length;
  }

  /** Output bytes not yet taken by `takeOutput()` or handed to the `Writable`. */
  get outputQueued(): number {
    return this.outBuffer.length;
  }

  /** Memory mode: everything the guest has sent since the last call; releases a held transmitter. */
  takeOutput(): Uint8Array {
    if (this.output !== null)
      throw new SerialHostError('output goes to a Writable; there is nothing to take');
    const bytes = this.outBuffer.take();
    this.updateHold();
    return bytes;
  }

  /**
   * Resolves once every byte the guest has sent so far has been written and the `Writable` has finished
   * with it (at once in memory mode). Rejects if a write fails.
   */
  flushed(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  /** Detaches from the UART and the `Readable` (left as it is); output already sent is still written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input?.off('data', this.onData);
    if (this.deliveryEvent !== NO_EVENT) this.uart.clock?.cancel(this.deliveryEvent);
    this.deliveryEvent = NO_EVENT;
    this.uart.disconnect(this.line);
  }

  // ---------------------------------------------------------------------------------------------------
  // Input

  private deliver(): void {
    if (this.closed) return;
    if (this.uart.clock === null) this.pump();
    else this.scheduleDelivery();
  }

  /** Clockless: fill the receiver to the brim, then, with nothing more to give, let the timeout pass. */
  private pump(): void {
    if (this.pumping) return; // an interrupt handler run from inside receive() read RBR
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.uart.receiverRoom() > 0) {
        this.uart.receive(this.queue.shift());
        this.stats.bytesIn++;
      }
    } finally {
      this.pumping = false;
    }
    if (this.queue.length === 0) this.uart.expireCharacterTimeout();
    this.maybeResumeInput();
  }

  /**
   * Clock mode: the next character completes one character time after it starts — back to back with
   * the previous one (`startNs`) while the line stays busy, else once the line is free.
   */
  private scheduleDelivery(startNs?: number): void {
    const clock = this.uart.clock;
    if (clock === null || this.deliveryEvent !== NO_EVENT) return;
    if (this.queue.length === 0 || this.uart.receiverRoom() === 0) return;
    const at = (startNs ?? Math.max(clock.nowNs(), this.lineFreeNs)) + this.uart.characterTimeNs();
    this.lineFreeNs = at;
    this.deliveryEvent = clock.schedule(at, () => {
      this.deliveryEvent = NO_EVENT;
      if (this.queue.length > 0 && this.uart.receiverRoom() > 0) {
        this.uart.receive(this.queue.shift());
        this.stats.bytesIn++;
        this.maybeResumeInput();
        this.scheduleDelivery(at);
      } else {
        this.scheduleDelivery();
      }
    });
  }

  private maybeResumeInput(): void {
    if (this.inputPaused && this.queue.length <= this.inputLowWater && this.input !== null) {
      this.inputPaused = false;
      this.stats.inputResumes++;
      this.input.resume();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Output

  private transmitted(char: number): void {
    this.outBuffer.push(char);
    this.stats.bytesOut++;
    if (this.outBuffer.length > this.stats.maxOutputQueued)
      this.stats.maxOutputQueued = this.outBuffer.length;
    this.updateHold();
    if (this.output !== null) this.scheduleFlush();
  }

  private updateHold(): void {
    const hold = this.outBuffer.length >= this.outputHighWater;
    if (hold === this.transmitterHeld) return;
    this.transmitterHeld = hold; // before the call: releasing may shift out characters at once
    if (hold) this.stats.transmitterHolds++;
    this.uart.holdTransmitter(hold);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingForDrain) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const output = this.output;
    if (output !== null && !this.waitingForDrain && this.outBuffer.length > 0) {
      this.writesInFlight++;
      const more = output.write(this.outBuffer.take(), (error) => {
        this.writesInFlight--;
        if (error) this.failWaiters(error);
        else this.settle();
      });
      if (!more) {
        this.waitingForDrain = true;
        this.stats.outputWaits++;
        output.once('drain', this.onDrain);
      }
      this.updateHold();
    }
    this.settle();
  }

  private idle(): boolean {
    if (this.output === null) return true;
    return this.outBuffer.length === 0 && this.writesInFlight === 0 && !this.waitingForDrain;
  }

  private settle(): void {
    if (this.flushWaiters.length === 0 || !this.idle()) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private failWaiters(error: unknown): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w.reject(error);
  }
}
