/**
 * The PC's real-time clock and CMOS RAM: a Motorola MC146818A-compatible part behind an index port and a
 * data port.
 *
 *   0x70  index (write only; reads float to 0xFF): bits 0-6 select one of 128 bytes, bit 7 = 1 disables NMI
 *   0x71  data: the selected byte
 *
 *   0x00 seconds   0x01 seconds alarm   0x02 minutes   0x03 minutes alarm   0x04 hours   0x05 hours alarm
 *   0x06 day of week (1-7, Sunday = 1)   0x07 date   0x08 month   0x09 year (00-99)
 *   0x0A register A: UIP (7, read only), DV2-DV0 (6-4, time base / divider), RS3-RS0 (3-0, periodic rate)
 *   0x0B register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12 (1 = 24 hour), DSE
 *   0x0C register C (read only): IRQF, PF, AF, UF; reading it clears them all and releases IRQ8
 *   0x0D register D (read only): VRT (valid RAM and time) = 1
 *   0x0E-0x7F general RAM; 0x32 holds the century, as on a PC
 *
 * Modelled from the data sheet:
 * - The time and alarm bytes are RAM, kept in the format register B selects (BCD or binary; 24-hour or
 *   12-hour with bit 7 = PM). Changing DM or 24/12 does not convert them: software re-initialises the time,
 *   as the data sheet requires. Writes store the byte as written; reads return it.
 * - The update cycle once a second: the time advances by one second (seconds up to the century, with the
 *   Gregorian leap-year rules of the full four-digit year, so 2000 is a leap year and 2100 is not; the day
 *   of week counts 1-7 on its own), then the alarm bytes are compared (a byte of 0xC0-0xFF matches any
 *   value), and UF, and AF on a match, are set. UIP reads 1 for the 244 µs (8 periods of the 32.768 kHz
 *   time base) before each update. SET = 1 inhibits updates (so the time can be written without one
 *   landing in the middle) and clears UIE; the time then stays as written until SET is cleared, and the
 *   next update comes at the next one-second boundary of the unchanged divider chain.
 * - The divider: DV = 010 (a 32.768 kHz time base) runs the clock; any other value stops it, and when it
 *   is set back to 010 the first update comes 500 ms later (the data sheet's divider-reset behaviour).
 * - The periodic interrupt: PF at the rate RS selects (RS = 1 and 2 give 256 and 128 Hz with a 32.768 kHz
 *   base, RS = 3-15 give 8192 Hz down to 2 Hz), phase-locked to the one-second boundaries.
 * - IRQF = PF·PIE + AF·AIE + UF·UIE, and IRQ8 follows IRQF: it rises when an enabled flag is set (or an
 *   enable bit is set while its flag already is) and falls when register C is read or the enables are
 *   cleared. Flags are set whether or not their interrupt is enabled.
 *
 * Time. The chip's time base is the `MachineClock`: update k happens at exactly phase + k seconds of
 * machine time, and interrupts are clock events at those instants (nothing counts seconds in a loop; after
 * a long idle skip the time is advanced with calendar arithmetic). The date and time at machine time 0 is
 * a constructor option; the default, `RTC_DEFAULT_START_UNIX_MS` (2023-11-14 22:13:20 UTC), is fixed so that
 * every run reads the same time, and `start: 'host'` takes the host's current date instead. All calendar
 * arithmetic is UTC and independent of the host's time zone.
 *
 * Choices where the data sheet says "undefined": a time byte holding a value out of its range (or a date
 * past the end of its month) is replaced by the field's smallest value at the next update, after the
 * normal carries; invalid BCD digits count with their binary weight; an alarm byte that is neither a valid
 * value nor "don't care" never matches.
 *
 * Not modelled: the update cycle's own 1984 µs (the registers change at the end of the UIP window, and
 * reads during it see the old or new time, never a mixture), daylight-saving adjustment (DSE is stored
 * and has no effect), the SQW pin (SQWE is stored), time bases other than 32.768 kHz, and the RESET pin.
 * The century byte advancing on a year rollover is the PC chipset's behaviour; on a bare MC146818A byte
 * 0x32 is plain RAM.
 */

import type { AccessSize, PortDevice } from './io-bus';
import type { IrqLine } from './irq';
import type { MachineClock, TimerId } from './machine-clock';

export const CMOS_INDEX_PORT = 0x70;
export const CMOS_DATA_PORT = 0x71;
/** Number of CMOS bytes, clock registers included. */
export const CMOS_SIZE = 128;
/** Default time at machine time 0: 2023-11-14 22:13:20 UTC (Unix time 1 700 000 000 s). */
export const RTC_DEFAULT_START_UNIX_MS = 1_700_000_000_000;

/** CMOS byte addresses of the clock registers. */
export const RtcRegister = {
  seconds: 0x00,
  secondsAlarm: 0x01,
  minutes: 0x02,
  minutesAlarm: 0x03,
  hours: 0x04,
  hoursAlarm: 0x05,
  dayOfWeek: 0x06,
  dayOfMonth: 0x07,
  month: 0x08,
  year: 0x09,
  a: 0x0a,
  b: 0x0b,
  c: 0x0c,
  d: 0x0d,
  century: 0x32,
} as const;

/** Register A bits. */
export const RtcA = { UIP: 0x80, DIVIDER: 0x70, DIVIDER_32KHZ: 0x20, RATE: 0x0f } as const;
/** Register B bits. */
export const RtcB = {
  SET: 0x80,
  PIE: 0x40,
  AIE: 0x20,
  UIE: 0x10,
  SQWE: 0x08,
  DM_BINARY: 0x04,
  HOURS_24: 0x02,
  DSE: 0x01,
} as const;
/** Register C bits. */
export const RtcC = { IRQF: 0x80, PF: 0x40, AF: 0x20, UF: 0x10 } as const;
/** Register D bits. */
export const RtcD = { VRT: 0x80 } as const;

/** A calendar date and time of day (UTC). */
export interface RtcDateTime {
  /** Full year, 0-9999. */
  year: number;
  /** 1-12. */
  month: number;
  /** Day of the month, 1-31. */
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** 1-7, Sunday = 1 (the RTC's convention). Computed from the date when omitted. */
  dayOfWeek?: number;
}

export interface CmosRtcOptions {
  /** Where the interrupt output goes: IRQ8 of the interrupt controller. Default: nowhere. */
  irq8?: IrqLine;
  /**
   * The date and time at machine time 0: Unix milliseconds (UTC), a date, or 'host' for the host's current
   * date (a host-time mode: runs then differ). Default `RTC_DEFAULT_START_UNIX_MS`.
   */
  start?: number | RtcDateTime | 'host';
  /** The host's wall clock in Unix milliseconds, read once for `start: 'host'` (default `Date.now`). */
  hostNowMs?: () => number;
}

/** Host-side misuse of the RTC object: a bad start time or a CMOS image of the wrong size. */
export class CmosRtcError extends Error {
  override name = 'CmosRtcError';
}

const NS_PER_SECOND = 1_000_000_000;
const MS_PER_DAY = 86_400_000;
const SECONDS_PER_DAY = 86_400;
/** Periods of the 32.768 kHz time base per second. */
const CYCLES_PER_SECOND = 32_768;
/** UIP rises this many time-base periods (244.14 µs) before an update. */
const UIP_LEAD_CYCLES = 8;
/** Divider restart: the first update comes half a second after DV returns to 010. */
const HALF_SECOND_NS = 500_000_000;

const REG_A = RtcRegister.a;
const REG_B = RtcRegister.b;
const REG_C = RtcRegister.c;
const REG_D = RtcRegister.d;

// ---- Calendar arithmetic (proleptic Gregorian, UTC, day 0 = 0000-01-01) ----

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(month: number, year: number): number {
  if (month < 1 || month > 12) return 31;
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] as number);
}

/** Days from 0000-01-01 to January 1 of `year` (year >= 0): 365 per year plus one per leap year before it. */
function daysBeforeYear(year: number): number {
  return 365 * year + Math.ceil(year / 4) - Math.ceil(year / 100) + Math.ceil(year / 400);
}

function dayNumber(year: number, month: number, day: number): number {
  let days = daysBeforeYear(year);
  for (let m = 1; m < month; m++) days += daysInMonth(m, year);
  return days + day - 1;
}

function dateOfDayNumber(n: number): { year: number; month: number; day: number } {
  let year = Math.floor(n / 365.2425);
  while (daysBeforeYear(year + 1) <= n) year++;
  while (daysBeforeYear(year) > n) year--;
  let rest = n - daysBeforeYear(year);
  let month = 1;
  while (rest >= daysInMonth(month, year)) {
    rest -= daysInMonth(month, year);
    month++;
  }
  return { year, month, day: rest + 1 };
}

const UNIX_EPOCH_DAY = dayNumber(1970, 1, 1);

/** Day of week 1-7 with Sunday = 1; 1970-01-01 was a Thursday (5). */
function dayOfWeek(day: number): number {
  return ((((day - UNIX_EPOCH_DAY + 4) % 7) + 7) % 7) + 1;
}

// ---- The clock bytes, decoded ----

/** The ten clock bytes plus the century, decoded from the register format (values may be out of range). */
interface ClockFields {
  seconds: number;
  minutes: number;
  /** 0-23 (decoded from either hour format). */
  hours: number;
  dayOfWeek: number;
  date: number;
  month: number;
  /** 0-99. */
  year: number;
  century: number;
}

interface RegisterFormat {
  bcd: boolean;
  hours24: boolean;
}

/** Stands for an hour byte that is not a valid 12-hour value. */
const INVALID_HOUR = 99;

function decodeByte(byte: number, bcd: boolean): number {
  return bcd ? (byte >> 4) * 10 + (byte & 0x0f) : byte;
}

function encodeByte(value: number, bcd: boolean): number {
  return bcd ? (Math.floor(value / 10) << 4) | (value % 10) : value;
}

function decodeHours(byte: number, format: RegisterFormat): number {
  if (format.hours24) return decodeByte(byte, format.bcd);
  const h12 = decodeByte(byte & 0x7f, format.bcd);
  if (h12 < 1 || h12 > 12) return INVALID_HOUR;
  return (h12 % 12) + (byte & 0x80 ? 12 : 0);
}

function encodeHours(hours: number, format: RegisterFormat): number {
  if (format.hours24) return encodeByte(hours, format.bcd);
  return encodeByte(hours % 12 || 12, format.bcd) | (hours >= 12 ? 0x80 : 0);
}

function fullYear(f: ClockFields): number {
  return f.century * 100 + f.year;
}

function fieldsValid(f: ClockFields): boolean {
  return (
    f.seconds <= 59 &&
    f.minutes <= 59 &&
    f.hours <= 23 &&
    f.dayOfWeek >= 1 &&
    f.dayOfWeek <= 7 &&
    f.month >= 1 &&
    f.month <= 12 &&
    f.year <= 99 &&
    f.century <= 99 &&
    f.date >= 1 &&
    f.date <= daysInMonth(f.month, fullYear(f))
  );
}

/**
 * One update from contents that may be out of range: the usual increment and carries, after which any
 * field still out of range takes its smallest value (the data sheet leaves this case undefined).
 */
function stepUnchecked(f: ClockFields): ClockFields {
  const g = { ...f };
  // Each field counts when the one below it wraps past its maximum.
  g.seconds++;
  if (g.seconds > 59) {
    g.seconds = 0;
    g.minutes++;
    if (g.minutes > 59) {
      g.minutes = 0;
      g.hours++;
      if (g.hours > 23) {
        g.hours = 0;
        g.dayOfWeek = g.dayOfWeek >= 7 ? 1 : g.dayOfWeek + 1;
        g.date++;
        if (g.date > daysInMonth(g.month, fullYear(g))) {
          g.date = 1;
          g.month++;
          if (g.month > 12) {
            g.month = 1;
            g.year++;
            if (g.year > 99) {
              g.year = 0;
              g.century++;
            }
          }
        }
      }
    }
  }
  if (g.seconds > 59) g.seconds = 0;
  if (g.minutes > 59) g.minutes = 0;
  if (g.hours > 23) g.hours = 0;
  if (g.dayOfWeek < 1 || g.dayOfWeek > 7) g.dayOfWeek = 1;
  if (g.month < 1 || g.month > 12) g.month = 1;
  if (g.year > 99) g.year = 0;
  if (g.century > 99) g.century = 0;
  if (g.date < 1 || g.date > daysInMonth(g.month, fullYear(g))) g.date = 1;
  return g;
}

/** `count` updates (count >= 0): calendar arithmetic, after one careful step if the contents are invalid. */
function advanceFields(f: ClockFields, count: number): ClockFields {
  let g = f;
  let left = count;
  if (left > 0 && !fieldsValid(g)) {
    g = stepUnchecked(g);
    left--;
  }
  if (left === 0) return g;
  const total = g.hours * 3600 + g.minutes * 60 + g.seconds + left;
  const dayDelta = Math.floor(total / SECONDS_PER_DAY);
  const secondOfDay = total - dayDelta * SECONDS_PER_DAY;
  const date = dateOfDayNumber(dayNumber(fullYear(g), g.month, g.date) + dayDelta);
  return {
    seconds: secondOfDay % 60,
    minutes: Math.floor(secondOfDay / 60) % 60,
    hours: Math.floor(secondOfDay / 3600),
    dayOfWeek: ((g.dayOfWeek - 1 + (dayDelta % 7)) % 7) + 1,
    date: date.day,
    month: date.month,
    year: date.year % 100,
    century: Math.floor(date.year / 100) % 100,
  };
}

/** An alarm byte: null for "don't care", NEVER for a byte no time can equal, else the value it matches. */
const NEVER = -1;

function alarmTarget(byte: number, max: number, decoded: number, reencoded: number): number | null {
  if ((byte & 0xc0) === 0xc0) return null;
  return decoded <= max && reencoded === byte ? decoded : NEVER;
}

/** Smallest delta in 1..86400 such that second-of-day (from + delta) matches the alarm, or null. */
function secondsToAlarm(
  from: number,
  hours: number | null,
  minutes: number | null,
  seconds: number | null,
): number | null {
  for (let day = 0; day < 2; day++) {
    for (let h = 0; h < 24; h++) {
      if (hours !== null && h !== hours) continue;
      const hourStart = day * SECONDS_PER_DAY + h * 3600;
      if (hourStart + 3599 <= from) continue;
      for (let m = 0; m < 60; m++) {
        if (minutes !== null && m !== minutes) continue;
        const minuteStart = hourStart + m * 60;
        if (minuteStart + 59 <= from) continue;
        if (seconds === null) return Math.max(minuteStart, from + 1) - from;
        if (minuteStart + seconds > from) return minuteStart + seconds - from;
      }
    }
  }
  return null;
}

function periodCycles(rate: number): number {
  if (rate === 0) return 0;
  // With a 32.768 kHz base, RS = 1 and 2 repeat the 256 Hz and 128 Hz of RS = 8 and 9.
  return rate <= 2 ? 1 << (rate + 6) : 1 << (rate - 1);
}

function startUnixMs(options: CmosRtcOptions): number {
  const start = options.start ?? RTC_DEFAULT_START_UNIX_MS;
  if (start === 'host') return (options.hostNowMs ?? Date.now)();
  if (typeof start === 'number') return start;
  const { year, month, day, hours, minutes, seconds } = start;
  const parts = [year, month, day, hours, minutes, seconds];
  if (
    !parts.every(Number.isInteger) ||
    year < 0 ||
    year > 9999 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(month, year) ||
    hours < 0 ||
    hours > 23 ||
    minutes < 0 ||
    minutes > 59 ||
    seconds < 0 ||
    seconds > 59
  ) {
    throw new CmosRtcError(`invalid RTC start time ${JSON.stringify(start)}`);
  }
  return (
    ((dayNumber(year, month, day) - UNIX_EPOCH_DAY) * SECONDS_PER_DAY +
      hours * 3600 +
      minutes * 60 +
      seconds) *
    1000
  );
}

/** The MC146818A-compatible RTC and CMOS RAM as a port device at 0x70-0x71. */
export class CmosRtc implements PortDevice {
  private readonly ram = new Uint8Array(CMOS_SIZE);
  private readonly irq8: IrqLine | null;
  private index = 0;
  private nmiMask = false;
  /** PF, AF and UF as set since register C was last read. */
  private flags = 0;
  private irqLevel = false;
  /** Machine time (whole ns) of time-base cycle 0, a one-second boundary: update k is at phase + k s. */
  private phaseNs: number;
  /** Index of the last update accounted for (applied, or skipped while SET was 1). */
  private lastUpdate: number;
  /** Index of the last periodic-interrupt period accounted for, at the current rate. */
  private lastPeriodic = 0;
  private timer: TimerId | null = null;

  constructor(
    private readonly clock: MachineClock,
    options: CmosRtcOptions = {},
  ) {
    this.irq8 = options.irq8 ?? null;
    const ms = startUnixMs(options);
    if (!Number.isFinite(ms)) throw new CmosRtcError(`invalid RTC start time ${ms}`);
    const day = Math.floor(ms / MS_PER_DAY);
    const msOfDay = ms - day * MS_PER_DAY;
    const secondOfDay = Math.floor(msOfDay / 1000);
    const date = dateOfDayNumber(day + UNIX_EPOCH_DAY);
    if (date.year < 0 || date.year > 9999)
      throw new CmosRtcError(`RTC start year ${date.year} is not 0-9999`);
    // A start between two seconds puts the first update at the next whole second of the start time.
    this.phaseNs = -Math.round((msOfDay - secondOfDay * 1000) * 1e6);
    this.ram[REG_A] = RtcA.DIVIDER_32KHZ | 0x06;
    this.ram[REG_B] = RtcB.HOURS_24;
    this.writeFields({
      seconds: secondOfDay % 60,
      minutes: Math.floor(secondOfDay / 60) % 60,
      hours: Math.floor(secondOfDay / 3600),
      dayOfWeek: dayOfWeek(day + UNIX_EPOCH_DAY),
      date: date.day,
      month: date.month,
      year: date.year % 100,
      century: Math.floor(date.year / 100),
    });
    const now = this.now();
    this.lastUpdate = Math.floor(this.cyclesAt(now) / CYCLES_PER_SECOND);
    this.restartPeriodic(now);
  }

  /** Whether the last index write had bit 7 set (NMI disabled). */
  get nmiDisabled(): boolean {
    return this.nmiMask;
  }

  /** The CMOS byte the index register selects. */
  get selectedIndex(): number {
    return this.index;
  }

  readPort(port: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byte = port + i === CMOS_DATA_PORT ? this.readRegister(this.index) : 0xff;
      value |= byte << (8 * i);
    }
    return value >>> 0;
  }

  writePort(port: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const byte = (value >>> (8 * i)) & 0xff;
      if (port + i === CMOS_INDEX_PORT) {
        this.index = byte & 0x7f;
        this.nmiMask = (byte & 0x80) !== 0;
      } else if (port + i === CMOS_DATA_PORT) {
        this.writeRegister(this.index, byte);
      }
    }
  }

  /** The date and time the clock registers hold now, decoded from their current format. */
  readDateTime(): Required<RtcDateTime> {
    this.sync(this.now());
    const f = this.readFields();
    return {
      year: fullYear(f),
      month: f.month,
      day: f.date,
      hours: f.hours,
      minutes: f.minutes,
      seconds: f.seconds,
      dayOfWeek: f.dayOfWeek,
    };
  }

  /** A copy of the 128 CMOS bytes as the guest would read them now (register C is not cleared). */
  saveRam(): Uint8Array {
    const now = this.now();
    this.sync(now);
    const image = this.ram.slice();
    image[REG_A] = (this.ram[REG_A] as number) | (this.updateInProgress(now) ? RtcA.UIP : 0);
    image[REG_C] = this.flags | (this.irqLevel ? RtcC.IRQF : 0);
    image[REG_D] = RtcD.VRT;
    return image;
  }

  /**
   * Replaces the 128 CMOS bytes, clock registers included (as when a battery-backed CMOS image is restored).
   * Register C's flags are cleared; register C and D bytes and UIP in the image are ignored.
   */
  loadRam(image: Uint8Array): void {
    if (image.length !== CMOS_SIZE)
      throw new CmosRtcError(`CMOS image must be ${CMOS_SIZE} bytes, got ${image.length}`);
    const now = this.now();
    this.sync(now);
    const wasRunning = this.running();
    for (let i = 0; i < CMOS_SIZE; i++) {
      if (i !== REG_A && i !== REG_C && i !== REG_D) this.ram[i] = image[i] as number;
    }
    this.setRegisterA(now, image[REG_A] as number, wasRunning);
    this.flags = 0;
    this.updateIrq();
    this.reschedule(now);
  }

  private now(): number {
    return Math.floor(this.clock.nowNs());
  }

  private running(): boolean {
    return ((this.ram[REG_A] as number) & RtcA.DIVIDER) === RtcA.DIVIDER_32KHZ;
  }

  private format(): RegisterFormat {
    const b = this.ram[REG_B] as number;
    return { bcd: (b & RtcB.DM_BINARY) === 0, hours24: (b & RtcB.HOURS_24) !== 0 };
  }

  /** Time-base cycles since the phase (whole ns in, exact integer arithmetic). */
  private cyclesAt(nowNs: number): number {
    const d = nowNs - this.phaseNs;
    const seconds = Math.floor(d / NS_PER_SECOND);
    const scaled = (d - seconds * NS_PER_SECOND) * CYCLES_PER_SECOND;
    let cycles = Math.floor(scaled / NS_PER_SECOND);
    if (cycles * NS_PER_SECOND > scaled) cycles--;
    return seconds * CYCLES_PER_SECOND + cycles;
  }

  /** The first whole nanosecond at or after time-base cycle `cycle`. */
  private cycleTimeNs(cycle: number): number {
    const seconds = Math.floor(cycle / CYCLES_PER_SECOND);
    const rest = cycle - seconds * CYCLES_PER_SECOND;
    // rest × 10^9 / 32768 is an exact binary fraction, so the ceiling is exact.
    return this.phaseNs + seconds * NS_PER_SECOND + Math.ceil((rest * NS_PER_SECOND) / CYCLES_PER_SECOND);
  }

  private updateInProgress(nowNs: number): boolean {
    if (!this.running() || ((this.ram[REG_B] as number) & RtcB.SET) !== 0) return false;
    return this.cyclesAt(nowNs) % CYCLES_PER_SECOND >= CYCLES_PER_SECOND - UIP_LEAD_CYCLES;
  }

  private readRegister(index: number): number {
    const now = this.now();
    this.sync(now);
    switch (index) {
      case REG_A:
        return (this.ram[REG_A] as number) | (this.updateInProgress(now) ? RtcA.UIP : 0);
      case REG_C: {
        const value = this.flags | (this.irqLevel ? RtcC.IRQF : 0);
        this.flags = 0;
        this.updateIrq();
        this.reschedule(now);
        return value;
      }
      case REG_D:
        return RtcD.VRT;
      default:
        return this.ram[index] as number;
    }
  }

  private writeRegister(index: number, byte: number): void {
    const now = this.now();
    this.sync(now);
    switch (index) {
      case REG_A:
        this.setRegisterA(now, byte, this.running());
        break;
      case REG_B:
        // Setting SET clears UIE (data sheet), so no update-ended interrupt is pending across a time set.
        this.ram[REG_B] = byte & RtcB.SET ? byte & ~RtcB.UIE : byte;
        break;
      case REG_C:
      case REG_D:
        return;
      default:
        this.ram[index] = byte;
    }
    this.updateIrq();
    this.reschedule(now);
  }

  private setRegisterA(now: number, byte: number, wasRunning: boolean): void {
    this.ram[REG_A] = byte & ~RtcA.UIP;
    if (!this.running()) return;
    if (!wasRunning) {
      // The divider chain comes out of reset: the first update is half a second away.
      this.phaseNs = now - HALF_SECOND_NS;
      this.lastUpdate = Math.floor(this.cyclesAt(now) / CYCLES_PER_SECOND);
    }
    this.restartPeriodic(now);
  }

  /** Periods at the (new) rate that ended at or before now are not reported. */
  private restartPeriodic(now: number): void {
    const period = periodCycles((this.ram[REG_A] as number) & RtcA.RATE);
    this.lastPeriodic = period === 0 ? 0 : Math.floor(this.cyclesAt(now) / period);
  }

  private readFields(): ClockFields {
    const r = this.ram;
    const format = this.format();
    return {
      seconds: decodeByte(r[RtcRegister.seconds] as number, format.bcd),
      minutes: decodeByte(r[RtcRegister.minutes] as number, format.bcd),
      hours: decodeHours(r[RtcRegister.hours] as number, format),
      dayOfWeek: decodeByte(r[RtcRegister.dayOfWeek] as number, format.bcd),
      date: decodeByte(r[RtcRegister.dayOfMonth] as number, format.bcd),
      month: decodeByte(r[RtcRegister.month] as number, format.bcd),
      year: decodeByte(r[RtcRegister.year] as number, format.bcd),
      century: decodeByte(r[RtcRegister.century] as number, format.bcd),
    };
  }

  private writeFields(f: ClockFields): void {
    const r = this.ram;
    const format = this.format();
    r[RtcRegister.seconds] = encodeByte(f.seconds, format.bcd);
    r[RtcRegister.minutes] = encodeByte(f.minutes, format.bcd);
    r[RtcRegister.hours] = encodeHours(f.hours, format);
    r[RtcRegister.dayOfWeek] = encodeByte(f.dayOfWeek, format.bcd);
    r[RtcRegister.dayOfMonth] = encodeByte(f.date, format.bcd);
    r[RtcRegister.month] = encodeByte(f.month, format.bcd);
    r[RtcRegister.year] = encodeByte(f.year, format.bcd);
    r[RtcRegister.century] = encodeByte(f.century, format.bcd);
  }

  /** Updates from now until the alarm bytes match the time bytes (1 = the next update), or null if never. */
  private updatesUntilAlarm(f: ClockFields): number | null {
    const r = this.ram;
    const format = this.format();
    const target = (index: number, max: number, hours: boolean): number | null => {
      const byte = r[index] as number;
      const decoded = hours ? decodeHours(byte, format) : decodeByte(byte, format.bcd);
      const reencoded =
        decoded <= max ? (hours ? encodeHours(decoded, format) : encodeByte(decoded, format.bcd)) : -1;
      return alarmTarget(byte, max, decoded, reencoded);
    };
    const hours = target(RtcRegister.hoursAlarm, 23, true);
    const minutes = target(RtcRegister.minutesAlarm, 59, false);
    const seconds = target(RtcRegister.secondsAlarm, 59, false);
    if (hours === NEVER || minutes === NEVER || seconds === NEVER) return null;
    let g = f;
    let done = 0;
    if (!fieldsValid(g)) {
      g = stepUnchecked(g);
      done = 1;
      const matches =
        (hours === null || g.hours === hours) &&
        (minutes === null || g.minutes === minutes) &&
        (seconds === null || g.seconds === seconds);
      if (matches) return 1;
    }
    const delta = secondsToAlarm(g.hours * 3600 + g.minutes * 60 + g.seconds, hours, minutes, seconds);
    return delta === null ? null : done + delta;
  }

  /** Brings the clock up to machine time `now`: applies due updates, sets flags, drives IRQ8. */
  private sync(now: number): void {
    if (!this.running()) return;
    const cycles = this.cyclesAt(now);
    const update = Math.floor(cycles / CYCLES_PER_SECOND);
    if (update > this.lastUpdate) {
      const count = update - this.lastUpdate;
      this.lastUpdate = update;
      if (((this.ram[REG_B] as number) & RtcB.SET) === 0) {
        const fields = this.readFields();
        const toAlarm = this.updatesUntilAlarm(fields);
        if (toAlarm !== null && toAlarm <= count) this.flags |= RtcC.AF;
        this.flags |= RtcC.UF;
        this.writeFields(advanceFields(fields, count));
      }
    }
    const period = periodCycles((this.ram[REG_A] as number) & RtcA.RATE);
    if (period !== 0) {
      const index = Math.floor(cycles / period);
      if (index > this.lastPeriodic) {
        this.lastPeriodic = index;
        this.flags |= RtcC.PF;
      }
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    // PF/AF/UF sit at the same bit positions as PIE/AIE/UIE.
    const level = (this.flags & (this.ram[REG_B] as number) & (RtcC.PF | RtcC.AF | RtcC.UF)) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq8?.set(level);
  }

  /**
   * Schedules a clock event at the next instant an enabled flag gets set. While IRQ8 is asserted nothing
   * the guest can see changes until register C is read, so nothing is scheduled (flags catch up lazily).
   */
  private reschedule(now: number): void {
    if (this.timer !== null) {
      this.clock.cancel(this.timer);
      this.timer = null;
    }
    if (!this.running() || this.irqLevel || this.irq8 === null) return;
    const b = this.ram[REG_B] as number;
    let target = Number.POSITIVE_INFINITY;
    const period = periodCycles((this.ram[REG_A] as number) & RtcA.RATE);
    if (b & RtcB.PIE && period !== 0) target = (this.lastPeriodic + 1) * period;
    if ((b & RtcB.SET) === 0) {
      if (b & RtcB.UIE) target = Math.min(target, (this.lastUpdate + 1) * CYCLES_PER_SECOND);
      if (b & RtcB.AIE) {
        const updates = this.updatesUntilAlarm(this.readFields());
        if (updates !== null) target = Math.min(target, (this.lastUpdate + updates) * CYCLES_PER_SECOND);
      }
    }
    if (target === Number.POSITIVE_INFINITY) return;
    const at = Math.max(now, this.cycleTimeNs(target));
    this.timer = this.clock.schedule(at, (nowNs) => {
      this.timer = null;
      const t = Math.floor(nowNs);
      this.sync(t);
      this.reschedule(t);
    });
  }
}
