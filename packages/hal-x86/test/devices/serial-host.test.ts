/**
 * The host end of the serial line, with no CPU: a polling driver and an interrupt-driven driver program
 * the UART through the port bus, as a kernel's serial driver would, while the host feeds typed input and
 * collects output. Checks that nothing is lost or reordered in either direction, that the receiver is
 * never overrun, and that flow control reaches the Node streams (pause/resume, 'drain').
 */
import { Readable, Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../../src/devices/io-bus';
import type { IrqLine } from '../../src/devices/irq';
import { MachineClock } from '../../src/devices/machine-clock';
import { SerialHost, SerialHostError, type SerialHostOptions } from '../../src/devices/serial-host';
import { UART_REGISTER_COUNT, Uart16550 } from '../../src/devices/uart16550';

const COM1 = 0x3f8;
const RBR = COM1;
const THR = COM1;
const IER = COM1 + 1;
const IIR = COM1 + 2;
const FCR = COM1 + 2;
const LCR = COM1 + 3;
const MCR = COM1 + 4;
const LSR = COM1 + 5;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;

class LevelIrq implements IrqLine {
  level = false;
  set(level: boolean): void {
    this.level = level;
  }
}

/** xorshift32: a small deterministic generator for burst sizes and test data. */
function prng(seed: number): (bound: number) => number {
  let s = seed >>> 0 || 1;
  return (bound) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % bound;
  };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}

function setup(options: { clock?: boolean; host?: SerialHostOptions } = {}) {
  const bus = new PortIoBus();
  const irq = new LevelIrq();
  const clock = options.clock ? new MachineClock() : null;
  const uart = new Uart16550({ irq, clock });
  bus.register(COM1, UART_REGISTER_COUNT, uart, 'COM1');
  const host = new SerialHost(uart, options.host);
  return { bus, irq, clock, uart, host };
}

/** 115200 8N1, FIFOs on with `fcr`, OUT2 so interrupts reach the line, `ier` enables. */
function initDriver(bus: PortIoBus, fcr: number, ier: number): void {
  bus.outb(LCR, 0x80);
  bus.outb(COM1, 1);
  bus.outb(COM1 + 1, 0);
  bus.outb(LCR, 0x03);
  bus.outb(FCR, fcr);
  bus.outb(MCR, 0x0b);
  bus.outb(IER, ier);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

describe('throughput', () => {
  it('carries 1 MiB to a polling guest reading random bursts: every byte once, in order', () => {
    const { bus, host } = setup();
    initDriver(bus, 0xc7, 0x00);
    const data = randomBytes(1 << 20, 0x5eed);
    host.send(data);
    const got = new Uint8Array(data.length);
    const burst = prng(7);
    let n = 0;
    let overruns = 0;
    let emptyPolls = 0;
    while (n < data.length && emptyPolls === 0) {
      const want = 1 + burst(48);
      for (let i = 0; i < want && n < data.length; i++) {
        const lsr = bus.inb(LSR);
        if (lsr & LSR_OE) overruns++;
        if (!(lsr & LSR_DR)) {
          emptyPolls++;
          break;
        }
        got[n++] = bus.inb(RBR);
      }
    }
    expect(Buffer.compare(got, data)).toBe(0);
    expect(overruns).toBe(0);
    expect(emptyPolls).toBe(0); // the host refills the FIFO as fast as the guest empties it
    expect(bus.inb(LSR) & LSR_DR).toBe(0);
    expect(host.inputQueued).toBe(0);
    expect(host.stats.bytesIn).toBe(data.length);
  });

  it('carries 1 MiB at 115200 baud to an interrupt-driven guest that is busy between interrupts', () => {
    const { bus, irq, clock, uart, host } = setup({ clock: true });
    const machineClock = clock as MachineClock;
    initDriver(bus, 0xc7, 0x05); // trigger 14; data, timeout and line-status interrupts
    const data = randomBytes(1 << 20, 0xfeed);
    host.send(data);
    const got = new Uint8Array(data.length);
    const next = prng(11);
    const charNs = uart.characterTimeNs();
    let n = 0;
    let lineStatusInterrupts = 0;
    let timeouts = 0;

    /** One interrupt: reads a random-sized burst, leaving the rest for the next interrupt. */
    const isr = () => {
      for (;;) {
        const iir = bus.inb(IIR);
        if (iir & 0x01) return;
        switch (iir & 0x0f) {
          case 0x06:
            lineStatusInterrupts++;
            bus.inb(LSR);
            break;
          case 0x04:
          case 0x0c: {
            if (iir & 0x08) timeouts++;
            const burst = 1 + next(20);
            for (let i = 0; i < burst && bus.inb(LSR) & LSR_DR; i++) got[n++] = bus.inb(RBR);
            return;
          }
          default:
            throw new Error(`unexpected IIR 0x${iir.toString(16)}`);
        }
      }
    };

    while (n < data.length) {
      if (irq.level) {
        isr();
        // The guest does other work for up to 20 character times; meanwhile the FIFO may fill up.
        machineClock.advanceInstructions(next(Math.ceil(20 * charNs)));
      } else {
        const deadline = machineClock.nextDeadlineNs();
        if (deadline === Number.POSITIVE_INFINITY) break; // nothing more will ever arrive
        machineClock.idleUntil(deadline);
      }
      machineClock.runDue();
    }
    expect(Buffer.compare(got, data)).toBe(0);
    expect(lineStatusInterrupts).toBe(0); // never an overrun
    expect(timeouts).toBeGreaterThan(0);
    // The line never ran faster than 115200 baud.
    expect(machineClock.nowNs()).toBeGreaterThanOrEqual(data.length * charNs);
  });
});

describe('input pacing with a clock', () => {
  it('delivers one character per character time and waits while the FIFO is full', () => {
    const { bus, clock, uart, host } = setup({ clock: true });
    const machineClock = clock as MachineClock;
    initDriver(bus, 0x07, 0x00);
    const t = uart.characterTimeNs();
    const advanceTo = (ns: number) => {
      machineClock.advanceInstructions(Math.ceil(ns - machineClock.nowNs()));
      machineClock.runDue();
    };
    host.send('0123456789abcdefghijklmnopqrstuvwxyz!?');
    advanceTo(3 * t - 1);
    expect(host.inputQueued).toBe(36);
    advanceTo(3 * t + 1);
    expect(host.inputQueued).toBe(35);
    advanceTo(1000 * t);
    expect(host.inputQueued).toBe(22); // 16 in the FIFO, the rest still typed ahead
    expect(bus.inb(LSR) & LSR_OE).toBe(0);
    const got: number[] = [];
    while (bus.inb(LSR) & LSR_DR) got.push(bus.inb(RBR));
    advanceTo(2000 * t);
    while (bus.inb(LSR) & LSR_DR) got.push(bus.inb(RBR));
    advanceTo(3000 * t);
    while (bus.inb(LSR) & LSR_DR) got.push(bus.inb(RBR));
    expect(String.fromCharCode(...got)).toBe('0123456789abcdefghijklmnopqrstuvwxyz!?');
  });
});

describe('interrupt-driven driver', () => {
  it('echoes typed input through a software transmit queue and THRE interrupts', () => {
    const { bus, irq, host } = setup();
    initDriver(bus, 0xc7, 0x01); // trigger 14: short lines arrive through the character timeout
    const txQueue: number[] = [];
    const seen = new Set<number>();
    let ier = 0x01;
    const isr = () => {
      for (;;) {
        const iir = bus.inb(IIR);
        if (iir & 0x01) return;
        const id = iir & 0x0f;
        seen.add(id);
        if (id === 0x04 || id === 0x0c) {
          while (bus.inb(LSR) & LSR_DR) {
            const c = bus.inb(RBR);
            txQueue.push(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
          }
          if (!(ier & 0x02)) {
            ier |= 0x02;
            bus.outb(IER, ier);
          }
        } else if (id === 0x02) {
          for (let i = 0; i < 16 && txQueue.length > 0; i++) bus.outb(THR, txQueue.shift() as number);
          if (txQueue.length === 0) {
            ier &= ~0x02;
            bus.outb(IER, ier);
          }
        } else {
          bus.inb(LSR);
        }
      }
    };
    const run = (text: string) => {
      host.send(text);
      while (irq.level) isr();
      return new TextDecoder().decode(host.takeOutput());
    };
    const long = 'hello, world! this line is longer than one FIFO.\r';
    expect(run(long)).toBe(long.toUpperCase());
    expect([...seen].sort((a, b) => a - b)).toEqual([0x02, 0x04]); // the FIFO filled to the trigger level
    seen.clear();
    expect(run('ok\r')).toBe('OK\r');
    expect([...seen].sort((a, b) => a - b)).toEqual([0x02, 0x0c]); // three characters: only the timeout reports them
    expect(irq.level).toBe(false);
  });
});

describe('backpressure', () => {
  it('pauses a Readable that produces faster than the guest reads, resumes it, and loses nothing', async () => {
    const total = 256 << 10;
    const chunkSize = 4096;
    const data = randomBytes(total, 0xabc);
    let produced = 0;
    const source = new Readable({
      highWaterMark: chunkSize,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        this.push(data.subarray(produced, produced + chunkSize));
        produced += chunkSize;
      },
    });
    const { bus, host } = setup({
      host: { input: source, inputHighWater: 16 << 10, inputLowWater: 4 << 10 },
    });
    initDriver(bus, 0x07, 0x00);
    const got = new Uint8Array(total);
    const burst = prng(3);
    let n = 0;
    let sawPaused = false;
    let idleTurns = 0;
    while (n < total && idleTurns < 1000) {
      const before = n;
      const want = 1 + burst(1024);
      for (let i = 0; i < want && bus.inb(LSR) & LSR_DR; i++) got[n++] = bus.inb(RBR);
      idleTurns = n === before ? idleTurns + 1 : 0;
      sawPaused ||= source.isPaused();
      await nextTurn();
    }
    expect(Buffer.compare(got, data)).toBe(0);
    expect(sawPaused).toBe(true);
    expect(host.stats.inputPauses).toBeGreaterThan(0);
    expect(host.stats.inputResumes).toBeGreaterThan(0);
    expect(host.stats.maxInputQueued).toBeLessThan((16 << 10) + chunkSize);
    host.close();
  });

  it('holds the transmitter for a slow Writable and delivers every byte in order', async () => {
    const total = 256 << 10;
    const data = randomBytes(total, 0x1234);
    const written: Uint8Array[] = [];
    const sink = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        written.push(new Uint8Array(chunk));
        setTimeout(done, 1); // a slow terminal
      },
    });
    const { bus, host } = setup({ host: { output: sink, outputHighWater: 4096 } });
    initDriver(bus, 0x07, 0x00);
    let i = 0;
    let busyPolls = 0;
    while (i < total && busyPolls < 100_000) {
      if (bus.inb(LSR) & LSR_THRE) {
        for (let k = 0; k < 16 && i < total; k++) bus.outb(THR, data[i++] as number);
      } else {
        busyPolls++;
        await nextTurn(); // the transmitter is held: let the host write
      }
    }
    await host.flushed();
    expect(Buffer.compare(concat(written), data)).toBe(0);
    expect(busyPolls).toBeGreaterThan(0);
    expect(host.stats.outputWaits).toBeGreaterThan(0);
    expect(host.stats.transmitterHolds).toBeGreaterThan(0);
    expect(host.stats.maxOutputQueued).toBeLessThanOrEqual(4096);
    expect(sink.writableLength).toBe(0);
  });

  it('bounds in-memory output and releases the transmitter when it is taken', () => {
    const { bus, host } = setup({ host: { outputHighWater: 100 } });
    initDriver(bus, 0x07, 0x00);
    const data = randomBytes(1000, 99);
    const taken: Uint8Array[] = [];
    let i = 0;
    for (let polls = 0; i < data.length && polls < 10_000; polls++) {
      if (bus.inb(LSR) & LSR_THRE) bus.outb(THR, data[i++] as number);
      else taken.push(host.takeOutput());
    }
    taken.push(host.takeOutput());
    expect(Buffer.compare(concat(taken), data)).toBe(0);
    expect(host.stats.maxOutputQueued).toBe(100);
    expect(host.stats.transmitterHolds).toBeGreaterThanOrEqual(9);
  });
});

describe('host-side misuse', () => {
  it('is reported with SerialHostError', () => {
    const uart = new Uart16550();
    expect(() => new SerialHost(uart, { inputHighWater: 10, inputLowWater: 10 })).toThrow(SerialHostError);
    expect(() => new SerialHost(uart, { outputHighWater: 0 })).toThrow(SerialHostError);
    const streamHost = new SerialHost(uart, { output: new Writable({ write: (_c, _e, done) => done() }) });
    expect(() => streamHost.takeOutput()).toThrow(SerialHostError);
    streamHost.close();
    expect(() => streamHost.send('x')).toThrow(SerialHostError);
    const next = new SerialHost(uart); // the UART is free again after close()
    next.send('ok');
    expect(next.inputQueued).toBe(1); // 16450 mode: one character in RBR, one waiting
  });
});
