/**
 * The MC146818A-compatible RTC and CMOS RAM, programmed through ports 0x70/0x71 as an OS does: reading
 * the time after UIP clears, BCD and binary formats, 12-hour mode, setting the time under SET, the
 * update-ended, alarm and periodic interrupts at their exact machine times with register C's
 * read-to-clear semantics, leap-year and century rollovers, the divider, and the CMOS RAM.
 *
 * Calendar expectations are checked against the JavaScript Date's UTC functions, an independent oracle
 * that does not depend on the host's time zone.
 */
import { describe, expect, it } from 'vitest';
import { CmosRtc, CmosRtcError, type CmosRtcOptions } from '../../src/devices/cmos-rtc';
import { PortIoBus } from '../../src/devices/io-bus';
import { type IrqController, irqLine } from '../../src/devices/irq';
import { MachineClock } from '../../src/devices/machine-clock';

const SEC = 1_000_000_000;
const A = 0x0a;
const B = 0x0b;
const C = 0x0c;
const D = 0x0d;
const CENTURY = 0x32;

const bcd = (v: number) => (Math.floor(v / 10) << 4) | (v % 10);

/** Records IRQ8's level and the times of its rising edges. */
class Irq8 implements IrqController {
  readonly edges: number[] = [];
  level = false;
  constructor(private readonly clock: MachineClock) {}
  setIrq(pin: number, level: boolean): void {
    if (pin !== 8) throw new Error(`the RTC drove pin ${pin}`);
    if (level && !this.level) this.edges.push(this.clock.nowNs());
    this.level = level;
  }
}

/** Raw clock bytes as an OS reads them. */
interface RawTime {
  seconds: number;
  minutes: number;
  hours: number;
  dayOfWeek: number;
  date: number;
  month: number;
  year: number;
  century: number;
}

/** What an OS's RTC code does, through the port bus. */
class RtcDriver {
  constructor(
    private readonly bus: PortIoBus,
    private readonly clock: MachineClock,
  ) {}

  read(index: number): number {
    this.bus.outb(0x70, index);
    return this.bus.inb(0x71);
  }

  write(index: number, value: number): void {
    this.bus.outb(0x70, index);
    this.bus.outb(0x71, value);
  }

  /** Polls register A until UIP is clear (each poll takes 10 µs); returns how many polls saw it set. */
  waitForUipClear(): number {
    let busy = 0;
    while (this.read(A) & 0x80) {
      busy++;
      this.clock.advanceInstructions(10_000);
    }
    return busy;
  }

  /** The time as an OS reads it: wait for UIP clear, read every byte, repeat until two reads agree. */
  readTime(): RawTime {
    for (;;) {
      this.waitForUipClear();
      const first = this.readBytes();
      const second = this.readBytes();
      if (JSON.stringify(first) === JSON.stringify(second)) return first;
    }
  }

  private readBytes(): RawTime {
    return {
      seconds: this.read(0x00),
      minutes: this.read(0x02),
      hours: this.read(0x04),
      dayOfWeek: this.read(0x06),
      date: this.read(0x07),
      month: this.read(0x08),
      year: this.read(0x09),
      century: this.read(CENTURY),
    };
  }

  /** Sets the time as an OS does: SET, write the bytes, clear SET (keeping the other bits of B). */
  setTime(t: RawTime): void {
    const b = this.read(B);
    this.write(B, b | 0x80);
    this.write(0x00, t.seconds);
    this.write(0x02, t.minutes);
    this.write(0x04, t.hours);
    this.write(0x06, t.dayOfWeek);
    this.write(0x07, t.date);
    this.write(0x08, t.month);
    this.write(0x09, t.year);
    this.write(CENTURY, t.century);
    this.write(B, b & ~0x80);
  }
}

function machine(options: CmosRtcOptions = {}) {
  const clock = new MachineClock();
  const irq = new Irq8(clock);
  const bus = new PortIoBus();
  const rtc = new CmosRtc(clock, { irq8: irqLine(irq, 8), ...options });
  bus.register(0x70, 2, rtc, 'rtc');
  const driver = new RtcDriver(bus, clock);
  /** Register C values the interrupt handler read. */
  const handled: number[] = [];
  /**
   * Runs to `ns` the way the vCPU loop does; with `handler`, every assertion of IRQ8 is serviced at once
   * by reading register C, as an interrupt handler does.
   */
  const runTo = (ns: number, handler = false) => {
    for (;;) {
      if (handler && irq.level) handled.push(driver.read(C));
      const now = clock.nowNs();
      if (now >= ns) break;
      clock.advanceInstructions(clock.instructionsUntilNextEvent(ns - now));
      clock.runDue();
    }
  };
  return { clock, bus, rtc, irq, driver, runTo, handled };
}

/** Raw BCD bytes of a UTC date, 24-hour mode. */
function bcdTime(
  year: number,
  month: number,
  date: number,
  hours: number,
  minutes: number,
  seconds: number,
): RawTime {
  return {
    seconds: bcd(seconds),
    minutes: bcd(minutes),
    hours: bcd(hours),
    dayOfWeek: new Date(Date.UTC(year, month - 1, date)).getUTCDay() + 1,
    date: bcd(date),
    month: bcd(month),
    year: bcd(year % 100),
    century: bcd(Math.floor(year / 100)),
  };
}

/** The BCD bytes of a Unix time in ms, via the Date oracle. */
function bcdTimeOfMs(ms: number): RawTime {
  const d = new Date(ms);
  return bcdTime(
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
}

describe('reading the time', () => {
  it('starts at the documented epoch in BCD, 24-hour mode, with the PC power-on register values', () => {
    const { driver } = machine();
    // 2023-11-14 22:13:20 UTC, a Tuesday (day 3 with Sunday = 1).
    expect(driver.readTime()).toEqual({
      seconds: 0x20,
      minutes: 0x13,
      hours: 0x22,
      dayOfWeek: 0x03,
      date: 0x14,
      month: 0x11,
      year: 0x23,
      century: 0x20,
    });
    expect(driver.read(A)).toBe(0x26);
    expect(driver.read(B)).toBe(0x02);
    expect(driver.read(C)).toBe(0x00);
    expect(driver.read(D)).toBe(0x80);
  });

  it('UIP is set for exactly the 244.14 µs before each update; an OS waits for it and reads the new second', () => {
    const { clock, driver } = machine();
    clock.advanceInstructions(SEC - 244_141);
    expect(driver.read(A) & 0x80).toBe(0);
    clock.advanceInstructions(1);
    expect(driver.read(A) & 0x80).toBe(0x80);
    expect(driver.read(0x00)).toBe(0x20); // the update has not happened yet
    expect(driver.waitForUipClear()).toBe(25); // 244 140 ns left, 10 µs per poll
    expect(clock.nowNs()).toBe(SEC + 5_860);
    expect(driver.readTime().seconds).toBe(0x21);
    clock.advanceInstructions(SEC - 5_860 - 244_141); // the next window opens at 2 s - 244 140.625 ns
    expect(driver.read(A) & 0x80).toBe(0);
    clock.advanceInstructions(1);
    expect(driver.read(A) & 0x80).toBe(0x80);
  });

  it('advances with machine time, including across long idle skips', () => {
    const { clock, driver } = machine();
    const startMs = 1_700_000_000_000;
    for (const skip of [1, 59, 3600, 86_400 * 40, 86_400 * 400 + 7]) {
      clock.idleUntil(clock.nowNs() + skip * SEC);
      expect(driver.readTime()).toEqual(bcdTimeOfMs(startMs + (clock.nowNs() / SEC) * 1000));
    }
  });

  it('keeps binary values when DM = 1 and rolls 2099-12-31 23:59:59 over to 2100 with the century', () => {
    const { clock, driver, runTo } = machine();
    runTo(SEC / 2);
    driver.write(B, 0x80 | 0x04 | 0x02); // SET, binary, 24-hour
    driver.setTime({
      seconds: 59,
      minutes: 59,
      hours: 23,
      dayOfWeek: 5, // 2099-12-31 is a Thursday
      date: 31,
      month: 12,
      year: 99,
      century: 20,
    });
    expect(driver.readTime().seconds).toBe(59);
    clock.advanceInstructions(SEC / 2);
    expect(driver.readTime()).toEqual({
      seconds: 0,
      minutes: 0,
      hours: 0,
      dayOfWeek: 6,
      date: 1,
      month: 1,
      year: 0,
      century: 21,
    });
  });

  it('12-hour mode: bit 7 is PM, 11:59:59 AM becomes 12 PM and 11:59:59 PM becomes 12 AM the next day', () => {
    const { clock, driver } = machine();
    driver.write(B, 0x80); // SET, BCD, 12-hour
    driver.setTime({ ...bcdTime(2024, 3, 9, 0, 59, 59), hours: 0x11 }); // 11:59:59 AM
    clock.advanceInstructions(SEC);
    expect(driver.readTime()).toMatchObject({ hours: 0x92, minutes: 0, seconds: 0, date: 0x09 });
    driver.setTime({ ...bcdTime(2024, 3, 9, 0, 59, 59), hours: 0x91 }); // 11:59:59 PM
    clock.advanceInstructions(SEC);
    expect(driver.readTime()).toMatchObject({
      hours: 0x12,
      minutes: 0,
      seconds: 0,
      date: 0x10,
      dayOfWeek: 1,
    });
    // Binary 12-hour: 12:59:59 PM is 0x8C.
    driver.write(B, 0x80 | 0x04);
    driver.setTime({
      seconds: 59,
      minutes: 59,
      hours: 0x8c,
      dayOfWeek: 1,
      date: 10,
      month: 3,
      year: 24,
      century: 20,
    });
    clock.advanceInstructions(SEC);
    expect(driver.readTime()).toMatchObject({ hours: 0x81, minutes: 0, seconds: 0 });
  });
});

describe('setting the time', () => {
  it('SET freezes the clock and UIP; time resumes from the written value at the next second boundary', () => {
    const { clock, driver } = machine();
    clock.advanceInstructions(SEC / 4);
    driver.write(B, 0x82);
    const written = bcdTime(2030, 6, 15, 8, 30, 0);
    for (const [index, value] of [
      [0x00, written.seconds],
      [0x02, written.minutes],
      [0x04, written.hours],
      [0x06, written.dayOfWeek],
      [0x07, written.date],
      [0x08, written.month],
      [0x09, written.year],
      [CENTURY, written.century],
    ] as const) {
      driver.write(index, value);
    }
    clock.advanceInstructions(1.75 * SEC - 100_000); // 100 µs before 2 s: what would be a UIP window
    expect(driver.read(A) & 0x80).toBe(0);
    clock.advanceInstructions(3 * SEC); // updates are inhibited
    expect(driver.readTime()).toEqual(written);
    driver.write(B, 0x02); // 100 µs before 5 s: the next update is at 5 s
    expect(driver.read(A) & 0x80).toBe(0x80);
    expect(driver.read(0x00)).toBe(0x00);
    clock.advanceInstructions(100_000 - 1);
    expect(driver.read(0x00)).toBe(0x00);
    clock.advanceInstructions(1);
    expect(driver.read(0x00)).toBe(0x01);
    expect(driver.readTime()).toEqual({ ...written, seconds: 0x01 });
  });

  it('writing SET clears UIE', () => {
    const { driver } = machine();
    driver.write(B, 0x12);
    expect(driver.read(B)).toBe(0x12);
    driver.write(B, 0x92);
    expect(driver.read(B)).toBe(0x82);
  });

  it('an out-of-range value reads back as written and becomes the smallest value at the next update', () => {
    const { clock, driver } = machine();
    driver.write(0x02, 0x75);
    expect(driver.read(0x02)).toBe(0x75);
    clock.advanceInstructions(SEC);
    expect(driver.readTime()).toMatchObject({ seconds: 0x21, minutes: 0x00, hours: 0x22 });
  });
});

describe('leap years and rollovers', () => {
  const cases: [string, RawTime, RawTime][] = [
    ['2024-02-28 to the leap day', bcdTime(2024, 2, 28, 23, 59, 59), bcdTime(2024, 2, 29, 0, 0, 0)],
    ['the 2024 leap day to March', bcdTime(2024, 2, 29, 23, 59, 59), bcdTime(2024, 3, 1, 0, 0, 0)],
    ['2023-02-28 to March', bcdTime(2023, 2, 28, 23, 59, 59), bcdTime(2023, 3, 1, 0, 0, 0)],
    [
      '2000-02-28 to the leap day (divisible by 400)',
      bcdTime(2000, 2, 28, 23, 59, 59),
      bcdTime(2000, 2, 29, 0, 0, 0),
    ],
    [
      '2100-02-28 to March (2100 is not leap)',
      bcdTime(2100, 2, 28, 23, 59, 59),
      bcdTime(2100, 3, 1, 0, 0, 0),
    ],
    ['April 30 to May', bcdTime(2025, 4, 30, 23, 59, 59), bcdTime(2025, 5, 1, 0, 0, 0)],
    ['1999 to 2000', bcdTime(1999, 12, 31, 23, 59, 59), bcdTime(2000, 1, 1, 0, 0, 0)],
  ];
  for (const [name, before, after] of cases) {
    it(name, () => {
      const { clock, driver } = machine();
      driver.setTime(before);
      expect(driver.readTime()).toEqual(before);
      clock.advanceInstructions(SEC);
      expect(driver.readTime()).toEqual(after);
    });
  }

  it('long skips land on the dates the calendar gives (2096 to 2104)', () => {
    const { clock, driver } = machine({
      start: { year: 2096, month: 2, day: 27, hours: 12, minutes: 0, seconds: 0 },
    });
    const startMs = Date.UTC(2096, 1, 27, 12);
    expect(driver.readTime()).toEqual(bcdTimeOfMs(startMs));
    for (let i = 1; i <= 16; i++) {
      clock.idleUntil(i * 183 * 86_400 * SEC + i * 3_601 * SEC);
      expect(driver.readTime()).toEqual(bcdTimeOfMs(startMs + Math.floor(clock.nowNs() / SEC) * 1000));
    }
  });
});

describe('interrupts and register C', () => {
  it('update-ended interrupts at every one-second boundary; reading C returns IRQF|UF and releases IRQ8', () => {
    const { driver, irq, runTo, handled } = machine();
    driver.write(A, 0x20); // no periodic flag, to keep C simple
    driver.write(B, 0x12); // UIE
    runTo(5 * SEC + 1, true);
    expect(irq.edges).toEqual([1, 2, 3, 4, 5].map((s) => s * SEC));
    expect(handled).toEqual([0x90, 0x90, 0x90, 0x90, 0x90]);
    expect(irq.level).toBe(false);
  });

  it('IRQ8 stays asserted until C is read: flags accumulate without further edges', () => {
    const { clock, driver, irq, runTo } = machine();
    driver.write(B, 0x12);
    runTo(3 * SEC + 1);
    expect(irq.edges).toEqual([SEC]);
    expect(irq.level).toBe(true);
    expect(driver.read(C)).toBe(0xd0); // IRQF, PF (1024 Hz, not enabled), UF
    expect(irq.level).toBe(false);
    expect(driver.read(C)).toBe(0x00);
    runTo(4 * SEC);
    expect(irq.edges).toEqual([SEC, 4 * SEC]);
    expect(clock.nowNs()).toBe(4 * SEC);
  });

  it('flags are set without their enables; setting an enable with its flag set asserts IRQ8 at once', () => {
    const { clock, driver, irq } = machine();
    clock.advanceInstructions(SEC / 100);
    expect(driver.read(C)).toBe(0x40); // PF only, no IRQF
    expect(driver.read(C)).toBe(0x00);
    clock.advanceInstructions(SEC);
    expect(irq.level).toBe(false);
    driver.write(B, 0x42); // PIE with PF pending
    expect(irq.level).toBe(true);
    driver.write(B, 0x02); // and clearing it releases the line
    expect(irq.level).toBe(false);
    expect(driver.read(C)).toBe(0x50);
  });

  it('periodic interrupts at the rate RS selects, phase-locked to the second', () => {
    const rates: [number, number][] = [
      [0x6, 1024],
      [0x3, 8192],
      [0xf, 2],
      [0x1, 256], // RS 1 and 2 repeat 256 and 128 Hz with a 32.768 kHz base
      [0x2, 128],
    ];
    for (const [rs, hz] of rates) {
      const { driver, irq, runTo, handled } = machine();
      driver.write(A, 0x20 | rs);
      driver.write(B, 0x42);
      runTo(SEC, true);
      expect(irq.edges.length).toBe(hz);
      const expected = Array.from({ length: hz }, (_, i) => Math.ceil(((i + 1) * SEC) / hz));
      expect(irq.edges).toEqual(expected);
      expect(handled.every((c) => (c & 0xc0) === 0xc0)).toBe(true);
    }
    const { driver, irq, runTo } = machine();
    driver.write(A, 0x20); // RS = 0: no periodic interrupt
    driver.write(B, 0x42);
    runTo(SEC, true);
    expect(irq.edges).toEqual([]);
  });

  it('alarm interrupts when seconds, minutes and hours match; 0xC0-0xFF is "don\'t care"', () => {
    const { driver, irq, runTo, handled } = machine();
    driver.write(A, 0x20);
    driver.write(0x01, 0x25);
    driver.write(0x03, 0x13);
    driver.write(0x05, 0x22); // 22:13:25, five seconds after the start
    driver.write(B, 0x22); // AIE
    runTo(10 * SEC, true);
    expect(irq.edges).toEqual([5 * SEC]);
    expect(handled).toEqual([0xb0]); // IRQF, AF, and UF (set by every update)

    driver.write(0x01, 0x30);
    driver.write(0x03, 0xff);
    driver.write(0x05, 0xc0); // every hh:mm:30
    runTo(200 * SEC, true);
    expect(irq.edges).toEqual([5, 70, 130, 190].map((s) => s * SEC));
  });

  it('an alarm with every byte "don\'t care" fires every second; an invalid alarm byte never matches', () => {
    const { clock, driver, irq, runTo } = machine();
    driver.write(A, 0x20);
    for (const index of [0x01, 0x03, 0x05]) driver.write(index, 0xff);
    driver.write(B, 0x22);
    runTo(3 * SEC + 1, true);
    expect(irq.edges).toEqual([SEC, 2 * SEC, 3 * SEC]);
    driver.write(0x01, 0x75); // not a BCD second
    runTo(100 * SEC, true);
    expect(irq.edges.length).toBe(3);
    clock.advanceInstructions(SEC);
    expect(driver.read(C) & 0x20).toBe(0);
  });

  it('AF is reported after a long idle skip that passed the alarm time', () => {
    const { clock, driver } = machine();
    driver.write(0x01, 0x00);
    driver.write(0x03, 0x00);
    driver.write(0x05, 0x03); // 03:00:00, about five hours away
    driver.read(C);
    clock.idleUntil(4 * 3600 * SEC);
    expect(driver.read(C) & 0x20).toBe(0);
    clock.idleUntil(5 * 3600 * SEC);
    expect(driver.read(C) & 0x20).toBe(0x20);
  });
});

describe('divider, options and CMOS RAM', () => {
  it('holding the divider in reset stops the clock; releasing it gives the first update 500 ms later', () => {
    const { clock, driver } = machine();
    clock.advanceInstructions(Math.floor(SEC / 3));
    driver.write(A, 0x76); // divider reset
    expect(driver.read(C) & 0x40).toBe(0x40); // periodic flags from before the reset
    clock.advanceInstructions(5 * SEC);
    expect(driver.readTime().seconds).toBe(0x20);
    expect(driver.read(C)).toBe(0); // no update or periodic flag while in reset
    driver.write(A, 0x26);
    clock.advanceInstructions(SEC / 2 - 1);
    expect(driver.read(0x00)).toBe(0x20);
    clock.advanceInstructions(1);
    expect(driver.read(0x00)).toBe(0x21);
    expect(driver.read(A)).toBe(0x26);
  });

  it('register A bit 7, C and D are read-only', () => {
    const { driver } = machine();
    driver.write(A, 0xa6);
    expect(driver.read(A)).toBe(0x26);
    driver.write(C, 0xff);
    expect(driver.read(C)).toBe(0);
    driver.write(D, 0x00);
    expect(driver.read(D)).toBe(0x80);
  });

  it('takes the start time from an option, or from the host clock in host-time mode', () => {
    const fixed = machine({ start: Date.UTC(2038, 0, 19, 3, 14, 7) });
    expect(fixed.driver.readTime()).toEqual(bcdTime(2038, 1, 19, 3, 14, 7));
    const host = machine({ start: 'host', hostNowMs: () => 1_700_000_000_250 });
    expect(host.driver.readTime().seconds).toBe(0x20);
    host.clock.advanceInstructions(750_000_000 - 1);
    expect(host.driver.read(0x00)).toBe(0x20);
    host.clock.advanceInstructions(1);
    expect(host.driver.read(0x00)).toBe(0x21);
    expect(() =>
      machine({ start: { year: 2023, month: 2, day: 29, hours: 0, minutes: 0, seconds: 0 } }),
    ).toThrow(CmosRtcError);
    expect(() => machine({ start: Number.NaN })).toThrow(CmosRtcError);
  });

  it('general RAM holds what is written; the index keeps 7 bits and bit 7 disables NMI', () => {
    const { bus, rtc, driver } = machine();
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) driver.write(i, (i * 37) & 0xff);
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) expect(driver.read(i)).toBe((i * 37) & 0xff);
    bus.outb(0x70, 0x80 | 0x10);
    expect(rtc.nmiDisabled).toBe(true);
    expect(rtc.selectedIndex).toBe(0x10);
    expect(bus.inb(0x71)).toBe((0x10 * 37) & 0xff);
    bus.outb(0x70, 0x10);
    expect(rtc.nmiDisabled).toBe(false);
    expect(bus.inb(0x70)).toBe(0xff); // the index register is write-only
    bus.outw(0x70, (0x5a << 8) | 0x20); // index and data in one word write
    expect(driver.read(0x20)).toBe(0x5a);
  });

  it('saves and loads the 128-byte image, clock included', () => {
    const first = machine();
    first.driver.write(0x40, 0x12);
    first.driver.setTime(bcdTime(2031, 7, 4, 9, 0, 0));
    const image = first.rtc.saveRam();
    expect(image.length).toBe(128);
    expect(image[0x40]).toBe(0x12);
    expect(image[D]).toBe(0x80);

    const second = machine();
    second.rtc.loadRam(image);
    expect(second.driver.read(0x40)).toBe(0x12);
    expect(second.driver.readTime()).toEqual(bcdTime(2031, 7, 4, 9, 0, 0));
    second.clock.advanceInstructions(SEC);
    expect(second.driver.readTime().seconds).toBe(0x01);
    expect(second.rtc.readDateTime()).toEqual({
      year: 2031,
      month: 7,
      day: 4,
      hours: 9,
      minutes: 0,
      seconds: 1,
      dayOfWeek: 6,
    });
    expect(() => second.rtc.loadRam(new Uint8Array(64))).toThrow(CmosRtcError);
  });
});
