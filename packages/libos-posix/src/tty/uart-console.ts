/**
 * The console's serial driver: a 16550A UART reached only through the I/O-port capability the exokernel
 * gave the library OS, and its interrupt line attached to the library OS's environment. Received
 * characters go to the terminal's line discipline; the terminal's output goes out through the transmit
 * holding register, waiting for THRE (and its interrupt) whenever the host holds the line.
 */
import type { EnvApi } from '@exov6/exokernel';
import type { TerminalLine } from './terminal';

// Register offsets and bits of the 16550A.
const RBR = 0;
const THR = 0;
const IER = 1;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const IER_RECEIVED_DATA = 0x01;
const IER_THR_EMPTY = 0x02;
const LSR_DATA_READY = 0x01;
const LSR_THR_EMPTY = 0x20;
/** The transmit FIFO's depth: THRE in FIFO mode means all of it is free. */
const TX_FIFO_DEPTH = 16;

export interface UartConsoleCapabilities {
  /** The COM1 port range (READ and WRITE). */
  ports: number;
  /** COM1's interrupt line (IRQ). */
  irq: number;
}

export class UartConsole {
  private readonly pending: number[] = [];
  /** Called with each batch of received characters. */
  onReceive: (bytes: Uint8Array) => void = () => {};

  constructor(
    private readonly os: EnvApi,
    private readonly caps: UartConsoleCapabilities,
  ) {
    const out = (reg: number, value: number) => os.portOut(caps.ports, reg, 1, value);
    out(IER, 0);
    out(LCR, 0x80); // DLAB: the divisor for 115200 baud
    out(0, 1);
    out(1, 0);
    out(LCR, 0x03); // 8 data bits, no parity, one stop bit
    out(FCR, 0x07); // FIFOs on and cleared
    out(MCR, 0x0b); // DTR, RTS, OUT2 (the interrupt line)
    out(IER, IER_RECEIVED_DATA);
    os.irqAttach(caps.irq);
  }

  /** The interrupt upcall: drain the receiver, feed the transmitter. */
  interrupt(): void {
    const received: number[] = [];
    while ((this.lsr() & LSR_DATA_READY) !== 0) received.push(this.os.portIn(this.caps.ports, RBR, 1));
    this.drain();
    if (received.length > 0) this.onReceive(Uint8Array.from(received));
  }

  /** A line for a `Terminal`: output through this UART. */
  line(signalGroup: (pgid: number, signal: number) => void): TerminalLine {
    return {
      transmit: (bytes) => {
        for (const b of bytes) this.pending.push(b);
        this.drain();
      },
      signalGroup,
    };
  }

  private lsr(): number {
    return this.os.portIn(this.caps.ports, LSR, 1);
  }

  private drain(): void {
    let sent = 0;
    // THRE says the transmit FIFO is empty, so a whole FIFO's worth goes in before LSR is asked again:
    // a character per THRE would leave the line idle most of the time.
    while (sent < this.pending.length && (this.lsr() & LSR_THR_EMPTY) !== 0) {
      const burst = Math.min(this.pending.length, sent + TX_FIFO_DEPTH);
      for (; sent < burst; sent++) this.os.portOut(this.caps.ports, THR, 1, this.pending[sent] as number);
    }
    this.pending.splice(0, sent);
    // Held by the host: THRE's interrupt says when to go on.
    this.os.portOut(
      this.caps.ports,
      IER,
      1,
      IER_RECEIVED_DATA | (this.pending.length > 0 ? IER_THR_EMPTY : 0),
    );
  }
}
