/**
 * The 16550A model against the PC16550D datasheet, driven through the port bus as an OS driver would:
 * reset values, the divisor latch, FIFO control and trigger levels, interrupt identification and its
 * priorities, the LSR bits (errors travelling with their character through the FIFO, overrun), loopback,
 * the THRE interrupt rules, the OUT2 gate of a PC, and, with a machine clock, the character time,
 * transmission at the programmed rate and the character-timeout interrupt.
 */
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../../src/devices/io-bus';
import type { IrqLine } from '../../src/devices/irq';
import { MachineClock } from '../../src/devices/machine-clock';
import {
  type SerialLine,
  UART_REGISTER_COUNT,
  Uart16550,
  Uart16550Error,
  type Uart16550Options,
} from '../../src/devices/uart16550';

const COM1 = 0x3f8;
const RBR = COM1;
const THR = COM1;
const DLL = COM1;
const IER = COM1 + 1;
const DLM = COM1 + 1;
const IIR = COM1 + 2;
const FCR = COM1 + 2;
const LCR = COM1 + 3;
const MCR = COM1 + 4;
const LSR = COM1 + 5;
const MSR = COM1 + 6;
const SCR = COM1 + 7;

/** The interrupt wire, remembering its level and how often it rose. */
class RecordingIrq implements IrqLine {
  level = false;
  rises = 0;
  set(level: boolean): void {
    if (level && !this.level) this.rises++;
    this.level = level;
  }
}

/** The far end of the line: what was transmitted, when, and the break and receiver-ready signals. */
class RecordingLine implements SerialLine {
  readonly sent: number[] = [];
  readonly sentAt: number[] = [];
  readonly breaks: boolean[] = [];
  readyCalls = 0;
  constructor(private readonly clock: MachineClock | null) {}
  transmitted(char: number): void {
    this.sent.push(char);
    this.sentAt.push(this.clock?.nowNs() ?? 0);
  }
  receiverReady(): void {
    this.readyCalls++;
  }
  breakChanged(active: boolean): void {
    this.breaks.push(active);
  }
}

function machine(options: { clock?: boolean } & Omit<Uart16550Options, 'clock' | 'irq'> = {}) {
  const bus = new PortIoBus();
  const irq = new RecordingIrq();
  const clock = options.clock ? new MachineClock() : null;
  const uart = new Uart16550({ ...options, irq, clock });
  bus.register(COM1, UART_REGISTER_COUNT, uart, 'COM1');
  const line = new RecordingLine(clock);
  uart.connect(line);
  /** Lets `ns` of machine time pass (1 ns per instruction) and fires what fell due. */
  const advance = (ns: number) => {
    (clock as MachineClock).advanceInstructions(ns);
    (clock as MachineClock).runDue();
  };
  return { bus, irq, clock, uart, line, advance };
}

/** What an OS does first: rate, format, FIFOs, modem control, interrupt enables. */
function program(bus: PortIoBus, { divisor = 1, lcr = 0x03, fcr = 0x00, mcr = 0x0b, ier = 0x00 } = {}): void {
  bus.outb(LCR, 0x80 | lcr);
  bus.outb(DLL, divisor & 0xff);
  bus.outb(DLM, divisor >> 8);
  bus.outb(LCR, lcr);
  bus.outb(FCR, fcr);
  bus.outb(MCR, mcr);
  bus.outb(IER, ier);
}

function readAll(bus: PortIoBus): number[] {
  const out: number[] = [];
  while (bus.inb(LSR) & 0x01) out.push(bus.inb(RBR));
  return out;
}

const bytes = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe('reset values', () => {
  it('match the datasheet after power-up and after a master reset', () => {
    const { bus, uart } = machine();
    const expectReset = (modemInputs: number) => {
      expect(bus.inb(IER)).toBe(0x00);
      expect(bus.inb(IIR)).toBe(0x01);
      expect(bus.inb(LCR)).toBe(0x00);
      expect(bus.inb(MCR)).toBe(0x00);
      expect(bus.inb(LSR)).toBe(0x60);
      // Bits 0-3 clear; bits 4-7 follow the inputs: CTS, DSR and DCD of an attached terminal.
      expect(bus.inb(MSR)).toBe(modemInputs);
    };
    expectReset(0xb0);

    program(bus, { divisor: 3, lcr: 0x1f, fcr: 0xc7, mcr: 0x0f, ier: 0x0f });
    bus.outb(SCR, 0x5a);
    uart.receive(0x41);
    uart.setModemInputs({ cts: false });
    uart.reset();
    expectReset(0xa0); // CTS now off; the delta bit it set is cleared by the reset
    // The divisor latch and the scratch register are not touched by a master reset.
    expect(bus.inb(SCR)).toBe(0x5a);
    bus.outb(LCR, 0x80);
    expect([bus.inb(DLL), bus.inb(DLM)]).toEqual([3, 0]);
  });

  it('reads the unused IER and MCR bits as zero and keeps any scratch value', () => {
    const { bus } = machine();
    bus.outb(IER, 0xff);
    expect(bus.inb(IER)).toBe(0x0f);
    bus.outb(MCR, 0xef);
    expect(bus.inb(MCR)).toBe(0x0f);
    for (const v of [0x00, 0xa5, 0xff]) {
      bus.outb(SCR, v);
      expect(bus.inb(SCR)).toBe(v);
    }
    // A 16-bit IN is split into byte cycles at consecutive ports: LCR then MCR.
    bus.outb(LCR, 0x1b);
    expect(bus.inw(LCR)).toBe(0x0f1b);
  });
});

describe('divisor latch', () => {
  it('replaces RBR/THR and IER while DLAB is set', () => {
    const { bus, uart, line } = machine();
    bus.outb(IER, 0x05);
    bus.outb(LCR, 0x83);
    bus.outb(DLL, 0x0c);
    bus.outb(DLM, 0x01);
    expect(bus.inb(DLL)).toBe(0x0c);
    expect(bus.inb(DLM)).toBe(0x01);
    expect(uart.divisor).toBe(0x010c);
    expect(line.sent).toEqual([]); // the DLL write did not transmit
    bus.outb(LCR, 0x03);
    expect(bus.inb(IER)).toBe(0x05); // the DLM write left IER alone
    expect(uart.baudRate).toBeCloseTo(115200 / 0x010c, 9);
    bus.outb(THR, 0x42);
    expect(line.sent).toEqual([0x42]);
  });

  it('derives the rate from 115200 / divisor, a zero divisor counting as 65536', () => {
    const { bus, uart } = machine();
    for (const [divisor, baud] of [
      [1, 115200],
      [12, 9600],
      [0x180, 300],
      [0, 115200 / 65536],
    ] as const) {
      program(bus, { divisor });
      expect(uart.baudRate).toBe(baud);
    }
  });
});

describe('FIFO control', () => {
  it('reports the FIFO mode in IIR bits 6-7 and empties the FIFOs when the mode changes', () => {
    const { bus, uart } = machine();
    expect(bus.inb(IIR) & 0xc0).toBe(0x00);
    bus.outb(FCR, 0x01);
    expect(bus.inb(IIR) & 0xc0).toBe(0xc0);
    for (const c of bytes('abc')) uart.receive(c);
    expect(bus.inb(LSR) & 0x01).toBe(0x01);
    bus.outb(FCR, 0x00);
    expect(bus.inb(IIR) & 0xc0).toBe(0x00);
    expect(bus.inb(LSR) & 0x01).toBe(0x00);
  });

  it.each([
    [0x01, 1],
    [0x41, 4],
    [0x81, 8],
    [0xc1, 14],
  ])('FCR 0x%s raises "received data available" at %i characters', (fcr, level) => {
    const { bus, uart, irq } = machine();
    program(bus, { fcr, ier: 0x01 });
    for (let i = 0; i < level - 1; i++) uart.receive(0x30 + i);
    expect(bus.inb(IIR)).toBe(0xc1);
    expect(bus.inb(LSR) & 0x01).toBe(level > 1 ? 0x01 : 0x00); // DR is set from the first character
    expect(irq.level).toBe(false);
    uart.receive(0x7a);
    expect(bus.inb(IIR)).toBe(0xc4);
    expect(irq.level).toBe(true);
    bus.inb(RBR); // below the trigger level again
    expect(bus.inb(IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });

  it('resets the receive FIFO with bit 1 and the transmit FIFO with bit 2', () => {
    const { bus, uart, line } = machine();
    program(bus, { fcr: 0x01 });
    for (const c of bytes('hello')) uart.receive(c);
    bus.outb(FCR, 0x03);
    expect(bus.inb(LSR)).toBe(0x60);
    uart.receive(0x41);
    expect(readAll(bus)).toEqual([0x41]);

    uart.holdTransmitter(true);
    for (const c of bytes('xyz')) bus.outb(THR, c);
    expect(bus.inb(LSR) & 0x60).toBe(0x00);
    bus.outb(FCR, 0x05);
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
    uart.holdTransmitter(false);
    expect(line.sent).toEqual([]);
  });

  it('holds 16 characters in each direction', () => {
    const { bus, uart, line } = machine();
    program(bus, { fcr: 0x07 });
    uart.holdTransmitter(true);
    for (let i = 0; i < 17; i++) bus.outb(THR, 0x40 + i);
    uart.holdTransmitter(false);
    expect(line.sent).toEqual(Array.from({ length: 16 }, (_, i) => 0x40 + i)); // the 17th write was lost

    expect(uart.receiverRoom()).toBe(16);
    for (let i = 0; i < 16; i++) uart.receive(0x61 + i);
    expect(uart.receiverRoom()).toBe(0);
    expect(readAll(bus)).toEqual(Array.from({ length: 16 }, (_, i) => 0x61 + i));
  });
});

describe('receiver and line status', () => {
  it('flags an overrun in FIFO mode and keeps the 16 characters already received', () => {
    const { bus, uart } = machine();
    program(bus, { fcr: 0x01, ier: 0x04 });
    for (let i = 0; i < 17; i++) uart.receive(0x41 + i);
    expect(bus.inb(IIR)).toBe(0xc6); // receiver line status
    expect(bus.inb(LSR)).toBe(0x63); // DR | OE | THRE | TEMT
    expect(bus.inb(IIR)).toBe(0xc1); // reading LSR cleared it
    expect(bus.inb(LSR)).toBe(0x61);
    expect(readAll(bus)).toEqual(Array.from({ length: 16 }, (_, i) => 0x41 + i));
  });

  it('overwrites the unread character in 16450 mode', () => {
    const { bus, uart } = machine();
    program(bus);
    uart.receive(0x61);
    uart.receive(0x62);
    expect(bus.inb(LSR)).toBe(0x63);
    expect(readAll(bus)).toEqual([0x62]);
    expect(bus.inb(LSR)).toBe(0x60);
  });

  it('shows PE/FE/BI when their character reaches the top of the FIFO, and bit 7 while any waits', () => {
    const { bus, uart } = machine();
    program(bus, { fcr: 0x01 });
    uart.receive(0x61);
    uart.receive(0x62, { parity: true });
    uart.receive(0x63);
    uart.receive(0x64, { framing: true });
    expect(bus.inb(LSR)).toBe(0xe1); // errors in the FIFO, none at the top yet
    expect(bus.inb(RBR)).toBe(0x61);
    expect(bus.inb(LSR)).toBe(0xe5); // 'b' at the top: PE
    expect(bus.inb(LSR)).toBe(0xe1); // PE read; 'd' still waits with its error
    expect(bus.inb(RBR)).toBe(0x62);
    expect(bus.inb(RBR)).toBe(0x63);
    expect(bus.inb(LSR)).toBe(0xe9); // 'd' at the top: FE
    expect(bus.inb(LSR)).toBe(0x61); // no error left in the FIFO
    expect(bus.inb(RBR)).toBe(0x64);
    expect(bus.inb(LSR)).toBe(0x60);

    uart.receiveBreak();
    expect(bus.inb(LSR)).toBe(0xf9); // DR | FE | BI | THRE | TEMT | error in FIFO
    expect(bus.inb(RBR)).toBe(0x00);
  });

  it('never sets LSR bit 7 in 16450 mode', () => {
    const { bus, uart } = machine();
    uart.receive(0x61, { parity: true });
    expect(bus.inb(LSR)).toBe(0x65);
  });

  it('cuts characters to the word length and repeats the last character when RBR is read empty', () => {
    const { bus, uart, line } = machine();
    program(bus, { lcr: 0x02 }); // 7 bits
    uart.receive(0xff);
    expect(bus.inb(RBR)).toBe(0x7f);
    expect(bus.inb(RBR)).toBe(0x7f);
    bus.outb(LCR, 0x00); // 5 bits
    bus.outb(THR, 0xff);
    expect(line.sent).toEqual([0x1f]);
  });
});

describe('interrupt identification', () => {
  it('follows the priority order line status > data > THR empty > modem status', () => {
    const { bus, uart, irq } = machine();
    program(bus, { fcr: 0x01, ier: 0x0f });
    for (let i = 0; i < 17; i++) uart.receive(0x30 + i); // data and an overrun
    uart.setModemInputs({ cts: false });
    expect(irq.level).toBe(true);
    expect(bus.inb(IIR)).toBe(0xc6);
    bus.inb(LSR);
    expect(bus.inb(IIR)).toBe(0xc4);
    expect(readAll(bus)).toHaveLength(16);
    expect(bus.inb(IIR)).toBe(0xc2); // THR empty since IER enabled it; this read clears it
    expect(bus.inb(IIR)).toBe(0xc0);
    expect(bus.inb(MSR)).toBe(0xa1); // DSR | DCD, and DCTS for the CTS change
    expect(bus.inb(IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });

  it('puts the character timeout below received data and above THR empty', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { fcr: 0x41, ier: 0x03 }); // trigger 4; data and THRE interrupts
    uart.receive(0x61);
    uart.receive(0x62);
    advance(4 * uart.characterTimeNs() + 1);
    expect(bus.inb(IIR)).toBe(0xcc); // timeout outranks the pending THRE
    uart.receive(0x63);
    uart.receive(0x64);
    expect(bus.inb(IIR)).toBe(0xc4); // the trigger level reached outranks the timeout
    expect(readAll(bus)).toEqual(bytes('abcd'));
    expect(bus.inb(IIR)).toBe(0xc2);
  });
});

describe('THR empty interrupt', () => {
  it('is cleared by reading IIR and re-armed when IER turns ETBEI on (the Linux 8250 probe)', () => {
    const { bus, irq } = machine();
    program(bus, { fcr: 0x07 });
    expect(bus.inb(IIR)).toBe(0xc1);
    bus.outb(IER, 0x02);
    expect(irq.level).toBe(true);
    expect(bus.inb(IIR)).toBe(0xc2);
    expect(irq.level).toBe(false);
    expect(bus.inb(IIR)).toBe(0xc1);
    bus.outb(IER, 0x03); // ETBEI stays on: no new edge to arm it
    expect(bus.inb(IIR)).toBe(0xc1);
    bus.outb(IER, 0x00);
    bus.outb(IER, 0x02);
    expect(bus.inb(IIR)).toBe(0xc2);
    expect(irq.rises).toBe(2);
  });

  it('is cleared by a THR write and raised again when the transmit FIFO empties', () => {
    const { bus, uart, irq, line, advance } = machine({ clock: true });
    program(bus, { fcr: 0x07, ier: 0x02 });
    expect(irq.level).toBe(true);
    bus.outb(THR, 0x31); // goes straight to the shift register: the FIFO is empty again
    bus.outb(THR, 0x32); // waits in the FIFO
    expect(irq.level).toBe(false);
    expect(bus.inb(IIR)).toBe(0xc1);
    expect(bus.inb(LSR) & 0x60).toBe(0x00);
    const t = uart.characterTimeNs();
    advance(Math.ceil(t));
    expect(line.sent).toEqual([0x31]);
    expect(irq.level).toBe(true); // '2' moved into the shift register
    expect(bus.inb(LSR) & 0x60).toBe(0x20); // THRE, not yet TEMT
    advance(Math.ceil(t));
    expect(line.sent).toEqual([0x31, 0x32]);
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
  });

  it('is cleared by an IIR read only when it is the interrupt reported', () => {
    const { bus, uart } = machine();
    program(bus, { fcr: 0x01, ier: 0x03 });
    uart.receive(0x41);
    expect(bus.inb(IIR)).toBe(0xc4);
    expect(bus.inb(RBR)).toBe(0x41);
    expect(bus.inb(IIR)).toBe(0xc2); // still pending after the IIR read that showed 0x04
    expect(bus.inb(IIR)).toBe(0xc1);
  });
});

describe('OUT2 gate', () => {
  it('drives the IRQ line only while the OUT2 pin is active', () => {
    const { bus, uart, irq } = machine();
    program(bus, { fcr: 0x01, mcr: 0x03, ier: 0x01 });
    uart.receive(0x41);
    expect(uart.interruptPending).toBe(true);
    expect(irq.level).toBe(false);
    bus.outb(MCR, 0x0b);
    expect(irq.level).toBe(true);
    bus.outb(MCR, 0x1b); // loopback forces the output pins inactive
    expect(irq.level).toBe(false);
    expect(bus.inb(IIR)).toBe(0xc4); // the interrupt is still identified
    bus.outb(MCR, 0x08);
    expect(irq.level).toBe(true);
    bus.outb(IER, 0x00);
    expect(irq.level).toBe(false);
  });
});

describe('loopback', () => {
  it('connects the modem outputs to the inputs (the Linux 8250 presence test)', () => {
    const { bus } = machine();
    bus.outb(MCR, 0x10 | 0x0a); // loop, RTS, OUT2
    expect(bus.inb(MSR) & 0xf0).toBe(0x90); // CTS, DCD
    bus.outb(MCR, 0x10 | 0x05); // loop, DTR, OUT1
    expect(bus.inb(MSR)).toBe(0x60 | 0x0b); // DSR, RI; DCTS, DDSR, DDCD
    bus.outb(MCR, 0x10);
    expect(bus.inb(MSR)).toBe(0x06); // DDSR; TERI on the trailing edge of RI
    bus.outb(MCR, 0x00);
    expect(bus.inb(MSR)).toBe(0xbb); // back to the real inputs: CTS, DSR, DCD and their deltas
  });

  it('sends transmitted characters to the receiver and disconnects the line', () => {
    const { bus, uart, line } = machine();
    program(bus, { fcr: 0x07, mcr: 0x1b });
    for (const c of bytes('loop')) bus.outb(THR, c);
    uart.receive(0x58); // the serial input is disconnected
    expect(uart.receiverRoom()).toBe(0);
    expect(readAll(bus)).toEqual(bytes('loop'));
    expect(line.sent).toEqual([]);
    const ready = line.readyCalls;
    bus.outb(MCR, 0x0b);
    expect(line.readyCalls).toBe(ready + 1);
    expect(uart.receiverRoom()).toBe(16);
    bus.outb(THR, 0x21);
    expect(line.sent).toEqual([0x21]);
  });

  it('raises modem-status interrupts from the MCR bits', () => {
    const { bus } = machine();
    program(bus, { mcr: 0x10, ier: 0x08 });
    bus.inb(MSR);
    expect(bus.inb(IIR)).toBe(0x01);
    bus.outb(MCR, 0x12); // RTS -> CTS
    expect(bus.inb(IIR)).toBe(0x00);
    expect(bus.inb(MSR)).toBe(0x11);
    expect(bus.inb(IIR)).toBe(0x01);
  });

  it('takes a character time on the wire and loops a break back as BI', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { divisor: 12, fcr: 0x07, mcr: 0x10 });
    const t = uart.characterTimeNs();
    bus.outb(THR, 0x41);
    advance(Math.floor(t) - 1);
    expect(bus.inb(LSR) & 0x01).toBe(0);
    advance(2);
    expect(bus.inb(RBR)).toBe(0x41);
    bus.outb(LCR, 0x43);
    advance(Math.ceil(t));
    expect(bus.inb(LSR)).toBe(0xf9);
    expect(bus.inb(RBR)).toBe(0);
  });
});

describe('modem status inputs', () => {
  it('sets the delta bits, TERI only when RI goes inactive, and clears them on a read', () => {
    const { bus, uart, irq } = machine();
    program(bus, { ier: 0x08 });
    expect(bus.inb(MSR)).toBe(0xb0);
    uart.setModemInputs({ ri: true });
    expect(irq.level).toBe(false); // RI rising is not a trailing edge
    expect(bus.inb(MSR)).toBe(0xf0);
    uart.setModemInputs({ ri: false, dcd: false, dsr: false });
    expect(irq.level).toBe(true);
    expect(bus.inb(IIR)).toBe(0x00);
    expect(bus.inb(MSR)).toBe(0x1e);
    expect(irq.level).toBe(false);
    expect(bus.inb(MSR)).toBe(0x10);
  });
});

describe('transmitter', () => {
  it('holds characters back while the host holds it', () => {
    const { bus, uart, line } = machine();
    program(bus, { fcr: 0x07 });
    uart.holdTransmitter(true);
    for (const c of bytes('abc')) bus.outb(THR, c);
    expect(bus.inb(LSR) & 0x60).toBe(0x00);
    expect(line.sent).toEqual([]);
    uart.holdTransmitter(false);
    expect(line.sent).toEqual(bytes('abc'));
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
  });

  it('holds the line spacing during a break: characters sent then are lost', () => {
    const { bus, line } = machine();
    program(bus, { fcr: 0x07 });
    bus.outb(LCR, 0x43);
    bus.outb(THR, 0x78);
    bus.outb(LCR, 0x03);
    bus.outb(THR, 0x79);
    expect(line.breaks).toEqual([true, false]);
    expect(line.sent).toEqual([0x79]);
  });
});

describe('timing with a machine clock', () => {
  it('computes the character time from start, data, parity and stop bits', () => {
    const { bus, uart } = machine({ clock: true });
    for (const [divisor, lcr, bits] of [
      [12, 0x03, 10], // 8N1
      [12, 0x1a, 10], // 7E1
      [1, 0x0e, 11], // 7 data, parity, 2 stop
      [6, 0x04, 7.5], // 5 data, 1.5 stop
      [3, 0x0f, 12], // 8 data, parity, 2 stop
    ] as const) {
      program(bus, { divisor, lcr });
      expect(uart.bitsPerCharacter).toBe(bits);
      expect(uart.characterTimeNs()).toBeCloseTo((bits * divisor * 1e9) / 115200, 6);
    }
  });

  it('shifts characters out at the programmed rate; THRE and TEMT follow', () => {
    const { bus, uart, line, advance } = machine({ clock: true });
    program(bus, { divisor: 12, fcr: 0x07 }); // 9600 8N1: 1.0416... ms per character
    const t = uart.characterTimeNs();
    expect(t).toBeCloseTo(1e9 / 960, 3);
    for (const c of bytes('abc')) bus.outb(THR, c);
    expect(bus.inb(LSR) & 0x60).toBe(0x00);
    advance(Math.floor(t));
    expect(line.sent).toEqual([]);
    advance(1);
    expect(line.sent).toEqual(bytes('a'));
    advance(Math.ceil(t));
    expect(line.sent).toEqual(bytes('ab'));
    expect(bus.inb(LSR) & 0x60).toBe(0x20); // 'c' is shifting: FIFO empty, transmitter busy
    advance(Math.ceil(t));
    expect(line.sent).toEqual(bytes('abc'));
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
    expect(line.sentAt.map((at, i) => Math.abs(at - (i + 1) * t) < 3)).toEqual([true, true, true]);

    program(bus, { divisor: 1, fcr: 0x07 }); // 115200: 86.8 us per character
    const start = line.sentAt[2] as number;
    advance(1000);
    bus.outb(THR, 0x64);
    advance(Math.ceil(1e9 / 11520));
    expect(line.sent).toHaveLength(4);
    expect((line.sentAt[3] as number) - start - 1000).toBeCloseTo(1e9 / 11520, -1);
  });

  it('moves a 16450-mode THR into the shift register at once and frees it a character later', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { divisor: 2 });
    bus.outb(THR, 0x61);
    expect(bus.inb(LSR) & 0x60).toBe(0x20);
    bus.outb(THR, 0x62);
    expect(bus.inb(LSR) & 0x60).toBe(0x00);
    advance(Math.ceil(uart.characterTimeNs()));
    expect(bus.inb(LSR) & 0x60).toBe(0x20);
    advance(Math.ceil(uart.characterTimeNs()));
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
  });

  it('raises the character timeout after four character times without receive activity', () => {
    const { bus, uart, irq, advance } = machine({ clock: true });
    program(bus, { divisor: 12, fcr: 0x81, ier: 0x01 }); // trigger level 8
    const four = 4 * uart.characterTimeNs();
    for (const c of bytes('abc')) uart.receive(c);
    advance(Math.floor(four) - 1);
    expect(irq.level).toBe(false);
    expect(bus.inb(IIR)).toBe(0xc1);
    advance(2);
    expect(irq.level).toBe(true);
    expect(bus.inb(IIR)).toBe(0xcc);
    expect(bus.inb(RBR)).toBe(0x61); // a read clears the timeout and restarts the timer
    expect(irq.level).toBe(false);
    advance(Math.floor(four) - 1);
    expect(irq.level).toBe(false);
    advance(2);
    expect(bus.inb(IIR)).toBe(0xcc);
    expect(readAll(bus)).toEqual(bytes('bc'));
    advance(Math.ceil(2 * four));
    expect(bus.inb(IIR)).toBe(0xc1); // an empty FIFO never times out
    expect(irq.rises).toBe(2);
  });

  it('restarts the timer when a character arrives', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { divisor: 12, fcr: 0xc1, ier: 0x01 });
    const t = uart.characterTimeNs();
    uart.receive(0x61);
    advance(Math.ceil(3 * t));
    uart.receive(0x62);
    advance(Math.ceil(3 * t));
    expect(bus.inb(IIR)).toBe(0xc1);
    advance(Math.ceil(t));
    expect(bus.inb(IIR)).toBe(0xcc);
  });

  it('counts the timeout at the current rate after a divisor change', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { divisor: 96, fcr: 0xc1, ier: 0x01 }); // 1200 baud
    uart.receive(0x61);
    program(bus, { divisor: 1, fcr: 0xc1, ier: 0x01 }); // 115200 baud: 4 characters take 347 us
    advance(Math.ceil(4 * uart.characterTimeNs()));
    expect(bus.inb(IIR)).toBe(0xcc);
  });

  it('has no timeout in 16450 mode', () => {
    const { bus, uart, advance } = machine({ clock: true });
    program(bus, { ier: 0x01 });
    uart.receive(0x61);
    expect(bus.inb(IIR)).toBe(0x04);
    advance(Math.ceil(8 * uart.characterTimeNs()));
    expect(bus.inb(IIR)).toBe(0x04);
  });
});

describe('without a clock', () => {
  it('transmits at once and takes the timeout from expireCharacterTimeout()', () => {
    const { bus, uart, line } = machine();
    program(bus, { fcr: 0xc1, ier: 0x01 });
    bus.outb(THR, 0x41);
    expect(line.sent).toEqual([0x41]);
    expect(bus.inb(LSR) & 0x60).toBe(0x60);
    uart.expireCharacterTimeout(); // nothing waiting: no timeout
    expect(bus.inb(IIR)).toBe(0xc1);
    uart.receive(0x61);
    expect(bus.inb(IIR)).toBe(0xc1);
    uart.expireCharacterTimeout();
    expect(bus.inb(IIR)).toBe(0xcc);
    expect(bus.inb(RBR)).toBe(0x61);
    expect(bus.inb(IIR)).toBe(0xc1);
  });

  it('refuses a declared timeout when a clock keeps time', () => {
    const { uart } = machine({ clock: true });
    expect(() => uart.expireCharacterTimeout()).toThrow(Uart16550Error);
  });
});

describe('host-side misuse', () => {
  it('is reported with Uart16550Error', () => {
    expect(() => new Uart16550({ base: 0xfffc })).toThrow(Uart16550Error);
    expect(() => new Uart16550({ divisor: 0x10000 })).toThrow(Uart16550Error);
    const { uart } = machine();
    expect(() => uart.connect({ transmitted: () => {} })).toThrow(Uart16550Error);
  });

  it('decodes its registers at any base', () => {
    const bus = new PortIoBus();
    const uart = new Uart16550({ base: 0x2f8 });
    bus.register(uart.base, UART_REGISTER_COUNT, uart, 'COM2');
    bus.outb(0x2ff, 0x77);
    expect(bus.inb(0x2ff)).toBe(0x77);
    expect(bus.inb(0x2fd)).toBe(0x60);
    expect(bus.inb(COM1 + 5)).toBe(0xff);
  });
});
