/**
 * The 8254 PIT and port 0x61 as the datasheet and the PC describe them, programmed through ports
 * 0x40-0x43 and 0x61 as an OS does: the timer tick on IRQ0 at exact input-clock times with no drift,
 * the output waveform of every mode, latch and read-back commands, byte toggles, BCD counting, and
 * counter 2's gate and output through port 0x61 (the way Linux calibrates the TSC).
 *
 * Expected times are computed here independently with BigInt: input tick k happens at k / 1 193 182 s,
 * i.e. at the first whole nanosecond ceil(k × 10^9 / 1 193 182).
 */
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../../src/devices/io-bus';
import { type IrqController, irqLine } from '../../src/devices/irq';
import { MachineClock } from '../../src/devices/machine-clock';
import { Pit8254, PitError } from '../../src/devices/pit8254';
import { SystemControlPortB } from '../../src/devices/port61';

const HZ = 1_193_182n;

/** Time (ns) of input-clock tick k. */
function tickNs(k: number): number {
  return Number((BigInt(k) * 1_000_000_000n + HZ - 1n) / HZ);
}

/** Input-clock ticks that have happened by time ns. */
function ticksAt(ns: number): number {
  return Number((BigInt(ns) * HZ) / 1_000_000_000n);
}

/** Records the times of rising edges on each controller pin. */
class EdgeRecorder implements IrqController {
  readonly edges: number[] = [];
  private level = false;
  constructor(private readonly clock: MachineClock) {}
  setIrq(pin: number, level: boolean): void {
    if (pin !== 0) throw new Error(`the PIT drove pin ${pin}`);
    if (level && !this.level) this.edges.push(this.clock.nowNs());
    this.level = level;
  }
}

/** What an OS's PIT code does, through the port bus. */
class PitDriver {
  constructor(private readonly bus: PortIoBus) {}

  /** Control word for `channel`: LSB-then-MSB access, then the count (if given). */
  program(channel: number, mode: number, count?: number, bcd = false): void {
    this.bus.outb(0x43, (channel << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
    if (count !== undefined) this.writeCount(channel, count);
  }

  writeCount(channel: number, count: number): void {
    this.bus.outb(0x40 + channel, count & 0xff);
    this.bus.outb(0x40 + channel, (count >> 8) & 0xff);
  }

  /** Counter-latch command, then the two bytes. */
  latchedCount(channel: number): number {
    this.bus.outb(0x43, channel << 6);
    return this.readCount(channel);
  }

  readCount(channel: number): number {
    const lo = this.bus.inb(0x40 + channel);
    return lo | (this.bus.inb(0x40 + channel) << 8);
  }

  /** Read-back command latching only the status of one counter. */
  status(channel: number): number {
    this.bus.outb(0x43, 0xe0 | (2 << channel));
    return this.bus.inb(0x40 + channel);
  }

  out(channel: number): boolean {
    return (this.status(channel) & 0x80) !== 0;
  }
}

function machine() {
  const clock = new MachineClock();
  const recorder = new EdgeRecorder(clock);
  const bus = new PortIoBus();
  const pit = new Pit8254(clock, { irq0: irqLine(recorder, 0) });
  bus.register(0x40, 4, pit, 'pit');
  const port61 = new SystemControlPortB(pit);
  bus.register(0x61, 1, port61, 'port61');
  /** Runs the machine to `ns` the way the vCPU loop does: budgets that stop at each deadline. */
  const runTo = (ns: number) => {
    for (;;) {
      const now = clock.nowNs();
      if (now >= ns) break;
      clock.advanceInstructions(clock.instructionsUntilNextEvent(ns - now));
      clock.runDue();
    }
  };
  return { clock, bus, pit, port61, edges: recorder.edges, driver: new PitDriver(bus), runTo };
}

describe('timer tick on IRQ0', () => {
  it('mode 2 at 1000 Hz gives exactly 1000 edges in a second, each at its input-clock tick', () => {
    const { driver, edges, runTo } = machine();
    const divisor = 1193; // round(1193182 / 1000)
    runTo(12_345);
    driver.program(0, 2, divisor);
    const anchor = ticksAt(12_345) + 1; // the count is loaded on the next input clock
    runTo(12_345 + 1_000_000_000);
    expect(edges.length).toBe(1000);
    expect(edges).toEqual(Array.from({ length: 1000 }, (_, i) => tickNs(anchor + (i + 1) * divisor)));
    // The period is 999.847 µs, not 1 ms: the 1001st edge is after the second.
    expect(tickNs(anchor + 1001 * divisor)).toBeGreaterThan(12_345 + 1_000_000_000);
  });

  it('does not drift over 100 simulated seconds', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 2, 1193);
    const end = 100_000_000_000;
    runTo(end);
    const expected = Math.floor((ticksAt(end) - 1) / 1193);
    expect(edges.length).toBe(expected);
    expect(edges[edges.length - 1]).toBe(tickNs(1 + expected * 1193));
    expect(edges[49_999]).toBe(tickNs(1 + 50_000 * 1193));
  });

  it('delivers edges that fell due while the clock was not serviced, before a reprogramming', () => {
    const { clock, driver, edges } = machine();
    driver.program(0, 2, 100);
    clock.advanceInstructions(tickNs(1 + 350)); // 3 edges due, runDue never called
    driver.program(0, 2, 1000);
    expect(edges.length).toBe(3);
  });

  it('mode 0 interrupts once, N+1 clocks after the count is written, and keeps counting down', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 0);
    expect(driver.out(0)).toBe(false); // a mode 0 control word drives OUT low
    driver.writeCount(0, 1000);
    runTo(tickNs(1000)); // the count was loaded at tick 1: terminal count at tick 1001
    expect(edges).toEqual([]);
    expect(driver.out(0)).toBe(false);
    expect(driver.latchedCount(0)).toBe(1);
    runTo(tickNs(1001));
    expect(edges).toEqual([tickNs(1001)]);
    expect(driver.out(0)).toBe(true);
    expect(driver.latchedCount(0)).toBe(0);
    runTo(tickNs(1011));
    expect(driver.latchedCount(0)).toBe(0x10000 - 10); // wraps through 0xFFFF
    runTo(tickNs(200_000));
    expect(edges.length).toBe(1);
  });

  it('mode 0: the first count byte stops counting and drives OUT low; the second restarts', () => {
    const { bus, driver, edges, runTo } = machine();
    driver.program(0, 0, 100);
    runTo(tickNs(200));
    expect(edges.length).toBe(1);
    bus.outb(0x40, 50); // LSB only so far
    expect(driver.out(0)).toBe(false);
    const held = driver.latchedCount(0);
    runTo(tickNs(300));
    expect(driver.latchedCount(0)).toBe(held);
    bus.outb(0x40, 0); // MSB: count 50 loads at tick 301
    runTo(tickNs(350));
    expect(edges.length).toBe(1);
    runTo(tickNs(351));
    expect(edges).toEqual([tickNs(101), tickNs(351)]);
  });

  it('a count of 0 means 65536', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 0, 0);
    runTo(tickNs(1 + 65_535));
    expect(edges).toEqual([]);
    runTo(tickNs(1 + 65_536));
    expect(edges).toEqual([tickNs(1 + 65_536)]);
  });

  it('mode 2: OUT is low for the last clock of each period and the count runs N..1', () => {
    const { driver, runTo } = machine();
    driver.program(0, 2, 5);
    const seen: [boolean, number][] = [];
    for (let t = 1; t <= 11; t++) {
      runTo(tickNs(t));
      seen.push([driver.out(0), driver.latchedCount(0)]);
    }
    expect(seen).toEqual([
      [true, 5],
      [true, 4],
      [true, 3],
      [true, 2],
      [false, 1],
      [true, 5],
      [true, 4],
      [true, 3],
      [true, 2],
      [false, 1],
      [true, 5],
    ]);
  });

  it('mode 2: a new count takes effect at the end of the current period', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 2, 1000);
    runTo(tickNs(300));
    driver.writeCount(0, 500);
    expect(driver.status(0) & 0x40).toBe(0x40); // NULL COUNT until the reload
    runTo(tickNs(1 + 1000 + 3 * 500));
    expect(edges).toEqual([1001, 1501, 2001, 2501].map(tickNs));
    expect(driver.status(0) & 0x40).toBe(0);
  });

  it('mode 3 (and 7): a square wave high for ceil(N/2) clocks, low for floor(N/2), the count going down by two', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 3, 100);
    for (let p = 0; p < 300; p++) {
      runTo(tickNs(1 + p));
      expect(driver.out(0)).toBe(p % 100 < 50);
      expect(driver.latchedCount(0)).toBe(100 - 2 * (p % 50));
    }
    expect(edges).toEqual([101, 201].map(tickNs));

    const odd = machine();
    odd.driver.program(0, 7, 7); // 7 is mode 3 too
    const levels: boolean[] = [];
    const counts: number[] = [];
    for (let p = 0; p < 14; p++) {
      odd.runTo(tickNs(1 + p));
      levels.push(odd.driver.out(0));
      counts.push(odd.driver.latchedCount(0));
    }
    const H = true;
    const L = false;
    expect(levels).toEqual([H, H, H, H, L, L, L, H, H, H, H, L, L, L]);
    expect(counts).toEqual([7, 6, 4, 2, 7, 4, 2, 7, 6, 4, 2, 7, 4, 2]);
    expect(odd.driver.status(0) & 0x0e).toBe(7 << 1); // the status reports the mode bits as written
  });

  it('mode 4: a one-clock low pulse at terminal count, the interrupt on its trailing edge', () => {
    const { driver, edges, runTo } = machine();
    driver.program(0, 4, 10);
    runTo(tickNs(10));
    expect(driver.out(0)).toBe(true);
    runTo(tickNs(11));
    expect(driver.out(0)).toBe(false);
    runTo(tickNs(12));
    expect(driver.out(0)).toBe(true);
    runTo(tickNs(5000));
    expect(edges).toEqual([tickNs(12)]);
  });

  it('a control word that raises OUT0 is an edge', () => {
    const { driver, edges } = machine();
    driver.program(0, 0);
    expect(edges).toEqual([]);
    driver.program(0, 2);
    expect(edges).toEqual([0]);
  });
});

describe('reading the counters', () => {
  it('latched and unlatched reads agree with the clock at any time', () => {
    const { driver, runTo } = machine();
    driver.program(0, 2, 1193);
    const times = [1000, 999, 838, 1_000_000, 7_654_321, 123_456_789, 987_654_321, 2_000_000_001];
    let now = 0;
    for (const dt of times) {
      now += dt;
      runTo(now);
      const expected = 1193 - ((ticksAt(now) - 1) % 1193);
      expect(driver.latchedCount(0)).toBe(expected);
      expect(driver.readCount(0)).toBe(expected); // no time passes between the two byte reads here
    }
  });

  it('a latch freezes the count until both bytes are read; a second latch before that is ignored', () => {
    const { bus, driver, runTo } = machine();
    driver.program(2, 0, 50_000);
    bus.outb(0x61, 0x01); // GATE2 high
    runTo(tickNs(101));
    bus.outb(0x43, 0x80); // latch counter 2
    const first = 50_000 - 100;
    runTo(tickNs(201));
    bus.outb(0x43, 0x80); // ignored: the first latch is unread
    expect(bus.inb(0x42)).toBe(first & 0xff);
    runTo(tickNs(301));
    expect(bus.inb(0x42)).toBe(first >> 8);
    expect(driver.latchedCount(2)).toBe(50_000 - 300);
  });

  it('read-back latches status and count of several counters; status is read first', () => {
    const { bus, driver, runTo } = machine();
    driver.program(0, 2, 1000);
    driver.program(1, 3, 0x4000);
    bus.outb(0x43, 0x54); // counter 1, LSB only, mode 2, binary
    expect(driver.status(1) & 0x40).toBe(0x40); // control word: NULL COUNT set
    bus.outb(0x41, 0x80);
    runTo(tickNs(41));
    bus.outb(0x43, 0xc0 | 0x02 | 0x04); // read back count and status of counters 0 and 1
    runTo(tickNs(60));
    // OUT high, count loaded, LSB-then-MSB, mode 2, binary.
    expect(bus.inb(0x40)).toBe(0x80 | 0x30 | (2 << 1));
    expect(bus.inb(0x40)).toBe((1000 - 40) & 0xff);
    expect(bus.inb(0x40)).toBe((1000 - 40) >> 8);
    expect(bus.inb(0x41)).toBe(0x80 | 0x10 | (2 << 1)); // LSB-only access
    expect(bus.inb(0x41)).toBe(0x80 - 40);
    expect(bus.inb(0x41)).toBe(0x80 - 59); // latch released after one byte: live again
  });

  it('NULL COUNT is set from the count write until the next input clock loads it', () => {
    const { driver, runTo } = machine();
    runTo(tickNs(5) + 100);
    driver.program(0, 2, 300);
    expect(driver.status(0)).toBe(0x80 | 0x40 | 0x30 | (2 << 1));
    runTo(tickNs(6));
    expect(driver.status(0)).toBe(0x80 | 0x30 | (2 << 1));
  });

  it('LSB-only and MSB-only access, and interleaved LSB/MSB reads and writes', () => {
    const { bus, driver, runTo } = machine();
    bus.outb(0x43, 0x10); // counter 0, LSB only, mode 0
    bus.outb(0x40, 0x34);
    runTo(tickNs(1));
    expect(bus.inb(0x40)).toBe(0x34);
    expect(bus.inb(0x40)).toBe(0x34);
    bus.outb(0x43, 0x20); // MSB only: 0x1200
    bus.outb(0x40, 0x12);
    runTo(tickNs(2 + 0x100));
    expect(bus.inb(0x40)).toBe(0x11);

    // The datasheet's valid sequence: read LSB, write LSB, read MSB, write MSB.
    driver.program(1, 0, 0x5678);
    runTo(tickNs(1000));
    bus.outb(0x43, 0x40); // latch counter 1
    const latched = driver.latchedCount(1); // consumed; latch again for the interleaved sequence
    bus.outb(0x43, 0x40);
    expect(bus.inb(0x41)).toBe(latched & 0xff);
    bus.outb(0x41, 0xcd);
    expect(bus.inb(0x41)).toBe(latched >> 8);
    bus.outb(0x41, 0xab);
    runTo(tickNs(1001));
    expect(driver.latchedCount(1)).toBe(0xabcd);
  });

  it('counts in BCD: 0 means 10000, and the count reads back as decimal digits', () => {
    const { driver, runTo } = machine();
    driver.program(0, 2, 0x0000, true);
    runTo(tickNs(2));
    expect(driver.latchedCount(0)).toBe(0x9999);
    runTo(tickNs(1 + 1234));
    expect(driver.latchedCount(0)).toBe(0x8766);
    runTo(tickNs(1 + 10_000));
    expect(driver.status(0) & 1).toBe(1);
    driver.program(0, 0, 0x1234, true);
    const t = ticksAt(tickNs(1 + 10_000));
    runTo(tickNs(t + 1 + 34));
    expect(driver.latchedCount(0)).toBe(0x1200);
    runTo(tickNs(t + 1 + 1235));
    expect(driver.latchedCount(0)).toBe(0x9999); // wraps to 9999 after terminal count
  });

  it('port 0x43 reads float high and a word read of 0x40 reads counters 0 and 1', () => {
    const { bus, driver, runTo } = machine();
    expect(bus.inb(0x43)).toBe(0xff);
    bus.outb(0x43, 0x10); // counter 0 LSB only
    bus.outb(0x40, 0x12);
    bus.outb(0x43, 0x50); // counter 1 LSB only
    bus.outb(0x41, 0x34);
    runTo(tickNs(1));
    expect(bus.inw(0x40)).toBe(0x3412);
    expect(driver.status(0) & 0x30).toBe(0x10);
  });
});

describe('counter 2, the gate and port 0x61', () => {
  it('calibration as Linux does it: gate high, mode 0, poll OUT2 in port 0x61 bit 5', () => {
    const { clock, bus, runTo } = machine();
    runTo(5_000);
    bus.outb(0x61, (bus.inb(0x61) & ~0x02) | 0x01);
    bus.outb(0x43, 0xb0); // counter 2, LSB/MSB, mode 0, binary
    const latch = Math.floor(1_193_182 / 20); // 50 ms
    bus.outb(0x42, latch & 0xff);
    bus.outb(0x42, latch >> 8);
    const anchor = ticksAt(5_000) + 1;
    let polls = 0;
    while ((bus.inb(0x61) & 0x20) === 0) {
      polls++;
      clock.advanceInstructions(1_000); // each poll loop takes a microsecond
    }
    expect(clock.nowNs()).toBeGreaterThanOrEqual(tickNs(anchor + latch));
    expect(clock.nowNs() - 1_000).toBeLessThan(tickNs(anchor + latch));
    expect(polls).toBe(Math.ceil((tickNs(anchor + latch) - 5_000) / 1_000));
  });

  it('GATE2 low pauses mode 0 and the paused clocks are added to the terminal count', () => {
    const { bus, driver, runTo } = machine();
    bus.outb(0x61, 0x01);
    driver.program(2, 0, 1000);
    runTo(tickNs(400));
    bus.outb(0x61, 0x00);
    const held = driver.latchedCount(2);
    expect(held).toBe(1000 - 399);
    runTo(tickNs(900));
    expect(driver.latchedCount(2)).toBe(held);
    bus.outb(0x61, 0x01);
    runTo(tickNs(900 + held - 1));
    expect(bus.inb(0x61) & 0x20).toBe(0);
    runTo(tickNs(900 + held));
    expect(bus.inb(0x61) & 0x20).toBe(0x20);
  });

  it('mode 1 is a one-shot started by a rising gate edge and restarted by another', () => {
    const { bus, driver, runTo } = machine();
    driver.program(2, 1, 10);
    runTo(tickNs(50));
    expect(bus.inb(0x61) & 0x20).toBe(0x20); // no trigger yet: OUT high
    bus.outb(0x61, 0x01); // trigger at tick 50: loads at 51
    runTo(tickNs(51));
    expect(driver.out(2)).toBe(false);
    runTo(tickNs(55));
    bus.outb(0x61, 0x00);
    bus.outb(0x61, 0x01); // retrigger: another 10 clocks from tick 56
    runTo(tickNs(65));
    expect(driver.out(2)).toBe(false);
    runTo(tickNs(66));
    expect(driver.out(2)).toBe(true);
  });

  it('mode 3 with the gate low holds OUT2 high; raising it reloads and the speaker plays the tone', () => {
    const { bus, driver, port61, runTo } = machine();
    driver.program(2, 3, 1193);
    runTo(tickNs(700));
    expect(bus.inb(0x61) & 0x20).toBe(0x20);
    expect(driver.latchedCount(2)).toBe(1193); // loaded but not counting
    expect(port61.speakerToneHz()).toBe(0);
    bus.outb(0x61, 0x03); // gate and speaker on at tick 700
    expect(port61.speakerToneHz()).toBeCloseTo(1000.15, 2);
    runTo(tickNs(701 + 597));
    expect(port61.speakerLevel()).toBe(false); // low half after ceil(1193/2) clocks
    runTo(tickNs(701 + 1193));
    expect(port61.speakerLevel()).toBe(true);
    runTo(tickNs(701 + 1193 + 100));
    bus.outb(0x61, 0x02); // gate low: OUT high, counting stops
    expect(bus.inb(0x61) & 0x23).toBe(0x22);
    expect(port61.speakerToneHz()).toBe(0);
  });

  it('bit 4 toggles every 18 input clocks; bits 6-7 read 0; bits 0-3 read back', () => {
    const { bus, runTo } = machine();
    bus.outb(0x61, 0xff);
    const before = bus.inb(0x61);
    expect(before & 0xcf).toBe(0x0f);
    expect(before & 0x10).toBe(0);
    runTo(tickNs(18));
    expect(bus.inb(0x61) & 0x10).toBe(0x10);
    runTo(tickNs(36));
    expect(bus.inb(0x61) & 0x10).toBe(0);
  });

  it('rejects host calls for a counter that does not exist', () => {
    const { pit } = machine();
    expect(() => pit.setGate(3, true)).toThrow(PitError);
    expect(() => pit.outputLevel(-1)).toThrow(PitError);
  });
});
