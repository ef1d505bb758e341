/**
 * The local APIC timer, programmed through the LVT timer, initial-count and divide-configuration registers
 * as an OS does, with virtual time advanced from one clock deadline to the next the way the machine's run
 * loop does. Expiries must land exactly on the `origin + k × period` grid, the current count must follow
 * the clock, and the TSC-deadline mode must agree with the clock's TSC.
 */
import { describe, expect, it } from 'vitest';
import {
  APIC_TIMER_DEFAULT_HZ,
  ApicTimer,
  ApicTimerError,
  ApicTimerMode,
} from '../../src/devices/apic-timer';
import { MmioBus } from '../../src/devices/io-bus';
import {
  LOCAL_APIC_DEFAULT_BASE,
  LOCAL_APIC_WINDOW_SIZE,
  LocalApic,
  type LocalApicOptions,
} from '../../src/devices/local-apic';
import { MachineClock, type MachineClockOptions } from '../../src/devices/machine-clock';
import { LocalApicDriver } from './apic-driver';

const LVT_TIMER = 0x320;
const INITIAL = 0x380;
const CURRENT = 0x390;
const DIVIDE = 0x3e0;
const PERIODIC = 1 << 17;
const TSC_DEADLINE = 2 << 17;
const MASKED = 1 << 16;
const DIVIDE_BY_1 = 0b1011;

function machine(clockOptions: MachineClockOptions = {}, options: Partial<LocalApicOptions> = {}) {
  const clock = new MachineClock(clockOptions);
  const cpu = { intr: false };
  const lapic = new LocalApic({ cpu, clock, ...options });
  const mmio = new MmioBus();
  mmio.register(LOCAL_APIC_DEFAULT_BASE, LOCAL_APIC_WINDOW_SIZE, lapic, 'lapic');
  const apic = new LocalApicDriver(mmio);
  apic.enable();
  const interrupts: { at: number; vector: number }[] = [];

  /** Sets the clock to `ns` (ns >= now), as the run loop does with an instruction budget. */
  const setTime = (ns: number) => clock.advanceInstructions((ns - clock.nowNs()) / clock.nsPerInstruction);

  /** Advances time to `targetNs`, stopping at every deadline on the way and servicing interrupts there. */
  const runUntil = (targetNs: number) => {
    for (;;) {
      const next = Math.min(targetNs, clock.nextDeadlineNs());
      setTime(next);
      clock.runDue();
      while (cpu.intr) {
        interrupts.push({ at: clock.nowNs(), vector: lapic.acknowledge() });
        apic.eoi();
      }
      if (next === targetNs) return;
    }
  };
  return { clock, cpu, lapic, apic, interrupts, runUntil, setTime };
}

describe('register interface', () => {
  it('keeps the divide configuration bits 3, 1 and 0 and reports 100 MHz by default', () => {
    const { apic, lapic } = machine();
    apic.write(DIVIDE, 0xffff_ffff);
    expect(apic.read(DIVIDE)).toBe(0b1011);
    expect(lapic.timer.frequencyHz).toBe(APIC_TIMER_DEFAULT_HZ);
    expect(lapic.timer.nsPerCount).toBe(10);
  });

  it('maps every divide configuration to its divisor (1..128)', () => {
    const { apic, lapic } = machine();
    const expected: [number, number][] = [
      [0b0000, 2],
      [0b0001, 4],
      [0b0010, 8],
      [0b0011, 16],
      [0b1000, 32],
      [0b1001, 64],
      [0b1010, 128],
      [0b1011, 1],
    ];
    for (const [config, divisor] of expected) {
      apic.write(DIVIDE, config);
      expect(lapic.timer.nsPerCount).toBe(10 * divisor);
    }
  });

  it('rejects a timer frequency that is not a positive number', () => {
    const clock = new MachineClock();
    expect(() => new ApicTimer({ clock, onExpire: () => {}, frequencyHz: 0 })).toThrow(ApicTimerError);
    expect(() => new ApicTimer({ clock, onExpire: () => {}, frequencyHz: Number.NaN })).toThrow(
      ApicTimerError,
    );
  });
});

describe('one-shot mode', () => {
  it('counts down with the clock and expires exactly once, at initial count × divisor input clocks', () => {
    const { apic, clock, interrupts, runUntil, setTime } = machine();
    setTime(5_000);
    apic.write(LVT_TIMER, 0x40); // one-shot, vector 0x40
    apic.write(INITIAL, 1000); // divide by 2 (reset): 20 ns per count, expires after 20 µs
    expect(apic.read(INITIAL)).toBe(1000);
    expect(apic.read(CURRENT)).toBe(1000);
    for (const dt of [1, 19, 20, 21, 399, 400, 10_000, 19_979, 19_980, 19_999]) {
      setTime(5_000 + dt);
      expect(apic.read(CURRENT)).toBe(1000 - Math.floor(dt / 20));
    }
    runUntil(5_000 + 20_000);
    expect(apic.read(CURRENT)).toBe(0);
    expect(interrupts).toEqual([{ at: 25_000, vector: 0x40 }]);
    runUntil(1_000_000);
    expect(interrupts).toHaveLength(1);
    expect(apic.read(CURRENT)).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('restarts from a new initial count and stops when 0 is written', () => {
    const { apic, clock, interrupts, runUntil } = machine();
    apic.write(LVT_TIMER, 0x41);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 500); // 5 µs
    runUntil(3_000);
    expect(apic.read(CURRENT)).toBe(200);
    apic.write(INITIAL, 500); // restart at 3 µs: expires at 8 µs, not 5 µs
    runUntil(10_000);
    expect(interrupts).toEqual([{ at: 8_000, vector: 0x41 }]);
    apic.write(INITIAL, 500);
    runUntil(12_000);
    apic.write(INITIAL, 0); // stop
    expect(apic.read(CURRENT)).toBe(0);
    expect(clock.pending).toBe(0);
    runUntil(100_000);
    expect(interrupts).toHaveLength(1);
  });

  it('continues at the new rate when the divider changes mid-count', () => {
    const { apic, interrupts, runUntil } = machine();
    apic.write(LVT_TIMER, 0x42);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 1000);
    runUntil(4_000); // 400 counts done, 600 left
    apic.write(DIVIDE, 0b0000); // divide by 2: 20 ns per count from now on
    expect(apic.read(CURRENT)).toBe(600);
    runUntil(4_000 + 600 * 20 - 1);
    expect(apic.read(CURRENT)).toBe(1);
    runUntil(20_000);
    expect(interrupts).toEqual([{ at: 16_000, vector: 0x42 }]);
  });
});

describe('periodic mode', () => {
  it('expires at exactly origin + k × period over many periods, with no drift', () => {
    const { apic, interrupts, runUntil, setTime } = machine();
    setTime(123);
    apic.write(LVT_TIMER, PERIODIC | 0x50);
    apic.write(DIVIDE, 0b0001); // divide by 4: 40 ns per count
    apic.write(INITIAL, 250); // period 10 µs
    runUntil(123 + 10_000 * 2_000);
    expect(interrupts).toHaveLength(2_000);
    interrupts.forEach((irq, k) => {
      expect(irq).toEqual({ at: 123 + 10_000 * (k + 1), vector: 0x50 });
    });
  });

  it('reloads the count at zero: the current count saws between the initial count and 1', () => {
    const { apic, runUntil } = machine();
    apic.write(LVT_TIMER, PERIODIC | 0x51);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 100); // 10 ns per count, period 1 µs
    const seen: number[] = [];
    for (const t of [0, 10, 990, 1_000, 1_010, 1_990, 2_000, 2_500, 7_777]) {
      runUntil(t);
      seen.push(apic.read(CURRENT));
    }
    expect(seen).toEqual([100, 99, 1, 100, 99, 1, 100, 50, 23]);
  });

  it('keeps its grid with a timer input that is not a whole number of ns per count', () => {
    // 3 MHz: 333.33... ns per count; 7 counts per period.
    const { apic, interrupts, runUntil } = machine({}, { timerHz: 3_000_000 });
    apic.write(LVT_TIMER, PERIODIC | 0x52);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 7);
    const period = (7 * 1e9) / 3_000_000;
    runUntil(period * 3_000 + 1);
    expect(interrupts).toHaveLength(3_000);
    for (const [k, irq] of interrupts.entries()) expect(irq.at).toBeCloseTo(period * (k + 1), 3);
  });

  it('keeps counting while the LVT entry is masked, and interrupts again on the same grid once unmasked', () => {
    const { apic, interrupts, runUntil } = machine();
    apic.write(LVT_TIMER, MASKED | PERIODIC | 0x53);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 100); // period 1 µs
    runUntil(5_500);
    expect(interrupts).toEqual([]);
    expect(apic.read(CURRENT)).toBe(50);
    apic.write(LVT_TIMER, PERIODIC | 0x53);
    runUntil(8_000);
    expect(interrupts.map((i) => i.at)).toEqual([6_000, 7_000, 8_000]);
  });

  it('merges expiries the host slept through into one interrupt and stays on the grid', () => {
    const { apic, clock, cpu, lapic, interrupts, runUntil, setTime } = machine();
    apic.write(LVT_TIMER, PERIODIC | 0x54);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 100);
    setTime(3_250); // three expiries pass without runDue
    clock.runDue();
    expect(cpu.intr).toBe(true);
    expect(lapic.acknowledge()).toBe(0x54);
    apic.eoi();
    expect(cpu.intr).toBe(false);
    expect(clock.nextDeadlineNs()).toBe(4_000);
    runUntil(5_000);
    expect(interrupts.map((i) => i.at)).toEqual([4_000, 5_000]);
  });

  it('finishes the current period and stops when switched to one-shot', () => {
    const { apic, interrupts, runUntil } = machine();
    apic.write(LVT_TIMER, PERIODIC | 0x55);
    apic.write(DIVIDE, DIVIDE_BY_1);
    apic.write(INITIAL, 100);
    runUntil(2_300);
    apic.write(LVT_TIMER, 0x55);
    expect(apic.read(CURRENT)).toBe(70);
    runUntil(10_000);
    expect(interrupts.map((i) => i.at)).toEqual([1_000, 2_000, 3_000]);
    expect(apic.read(CURRENT)).toBe(0);
  });
});

describe('TSC-deadline mode', () => {
  it('expires when the clock TSC reaches the deadline, then reads 0', () => {
    // A 2.5 GHz TSC: the deadline 25_000 is 10 µs of machine time.
    const { apic, lapic, clock, interrupts, runUntil } = machine({ tscHz: 2.5e9 });
    apic.write(LVT_TIMER, TSC_DEADLINE | 0x60);
    expect(lapic.timer.mode).toBe(ApicTimerMode.TscDeadline);
    apic.write(INITIAL, 1000); // ignored in this mode
    expect(apic.read(INITIAL)).toBe(0);
    expect(clock.pending).toBe(0);
    lapic.timer.writeTscDeadline(25_000n);
    expect(lapic.timer.readTscDeadline()).toBe(25_000n);
    runUntil(9_999);
    expect(interrupts).toEqual([]);
    runUntil(20_000);
    expect(interrupts).toEqual([{ at: 10_000, vector: 0x60 }]);
    expect(lapic.timer.readTscDeadline()).toBe(0n);
    expect(apic.read(CURRENT)).toBe(0);
  });

  it('expires at once for a deadline already passed, and disarms on 0 or on leaving the mode', () => {
    const { apic, lapic, clock, cpu, runUntil, interrupts } = machine();
    runUntil(1_000);
    apic.write(LVT_TIMER, TSC_DEADLINE | 0x61);
    lapic.timer.writeTscDeadline(500n);
    expect(cpu.intr).toBe(true);
    lapic.acknowledge();
    apic.eoi();
    lapic.timer.writeTscDeadline(5_000n);
    lapic.timer.writeTscDeadline(0n);
    expect(clock.pending).toBe(0);
    lapic.timer.writeTscDeadline(6_000n);
    apic.write(LVT_TIMER, 0x61); // back to one-shot: disarmed
    expect(clock.pending).toBe(0);
    expect(lapic.timer.readTscDeadline()).toBe(0n);
    lapic.timer.writeTscDeadline(7_000n); // ignored outside TSC-deadline mode
    runUntil(10_000);
    expect(interrupts).toEqual([]);
  });
});
