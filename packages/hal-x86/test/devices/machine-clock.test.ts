/**
 * The machine clock: virtual time from retired instructions, idle skips, the event queue's order and
 * cancellation, run budgets that stop at deadlines, the TSC scale, host mode, and the early-deadline hook.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockError, MachineClock } from '../../src/devices/machine-clock';

describe('MachineClock, virtual mode', () => {
  it('counts retired instructions at nsPerInstruction, plus skipped idle time', () => {
    let retired = 0;
    const clock = new MachineClock({ instructions: () => retired, nsPerInstruction: 2.5 });
    expect(clock.nowNs()).toBe(0);
    retired = 1000;
    expect(clock.nowNs()).toBe(2500);
    clock.idleUntil(10_000);
    expect(clock.nowNs()).toBe(10_000);
    clock.idleUntil(5_000); // never backwards
    expect(clock.nowNs()).toBe(10_000);
    retired = 1004;
    expect(clock.nowNs()).toBe(10_010);
  });

  it('scales the TSC to tscHz', () => {
    const clock = new MachineClock({ tscHz: 3e9 });
    clock.advanceInstructions(1000);
    expect(clock.tsc()).toBe(3000n);
  });

  it('fires due events earliest first, ties in scheduling order, and never early', () => {
    const clock = new MachineClock();
    const fired: string[] = [];
    clock.schedule(30, () => fired.push('c'));
    clock.schedule(10, () => fired.push('a1'));
    clock.schedule(10, () => fired.push('a2'));
    clock.schedule(20, () => fired.push('b'));
    clock.advanceInstructions(9);
    expect(clock.runDue()).toBe(0);
    clock.advanceInstructions(11);
    expect(clock.runDue()).toBe(3);
    expect(fired).toEqual(['a1', 'a2', 'b']);
    expect(clock.nextDeadlineNs()).toBe(30);
    expect(clock.pending).toBe(1);
  });

  it('runs events scheduled by events in the same pass when they are already due', () => {
    const clock = new MachineClock();
    const fired: number[] = [];
    clock.schedule(5, (now) => {
      fired.push(now);
      clock.schedule(now, () => fired.push(-1));
    });
    clock.advanceInstructions(5);
    expect(clock.runDue()).toBe(2);
    expect(fired).toEqual([5, -1]);
  });

  it('cancels events, and cancelling twice or after firing is harmless', () => {
    const clock = new MachineClock();
    let n = 0;
    const a = clock.schedule(10, () => n++);
    const b = clock.schedule(5, () => n++);
    clock.cancel(b);
    clock.cancel(b);
    expect(clock.nextDeadlineNs()).toBe(10);
    clock.advanceInstructions(10);
    clock.runDue();
    clock.cancel(a);
    expect(n).toBe(1);
    expect(clock.nextDeadlineNs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('any schedule of events fires in (deadline, order) order, with cancellations honoured', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 60 }),
        (events) => {
          const clock = new MachineClock();
          const fired: number[] = [];
          const ids = events.map((e, k) => clock.schedule(e.at, () => fired.push(k)));
          events.forEach((e, k) => {
            if (e.cancel) clock.cancel(ids[k] as number);
          });
          clock.advanceInstructions(50);
          clock.runDue();
          const expected = events
            .map((e, k) => ({ ...e, k }))
            .filter((e) => !e.cancel)
            .sort((x, y) => x.at - y.at || x.k - y.k)
            .map((e) => e.k);
          expect(fired).toEqual(expected);
        },
      ),
    );
  });

  it('gives run budgets that end exactly at the next deadline', () => {
    const clock = new MachineClock({ nsPerInstruction: 4 });
    expect(clock.instructionsUntilNextEvent(1000)).toBe(1000);
    clock.schedule(42, () => {});
    expect(clock.instructionsUntilNextEvent(1000)).toBe(11); // 44 ns >= 42
    expect(clock.instructionsUntilNextEvent(5)).toBe(5);
    clock.advanceInstructions(11);
    expect(clock.instructionsUntilNextEvent(1000)).toBe(1); // at least one
    expect(clock.instructionsUntil(100)).toBe(14);
  });

  it('reports a deadline earlier than every pending one to onEarlierDeadline', () => {
    const clock = new MachineClock();
    const seen: number[] = [];
    clock.onEarlierDeadline = (at) => seen.push(at);
    clock.schedule(100, () => {});
    clock.schedule(200, () => {});
    clock.schedule(50, () => {});
    expect(seen).toEqual([100, 50]);
  });

  it('refuses bad options and NaN deadlines with ClockError', () => {
    expect(() => new MachineClock({ nsPerInstruction: 0 })).toThrow(ClockError);
    expect(() => new MachineClock({ tscHz: -1 })).toThrow(ClockError);
    expect(() => new MachineClock({ mode: 'wall' as never })).toThrow(ClockError);
    expect(() => new MachineClock().schedule(Number.NaN, () => {})).toThrow(ClockError);
  });
});

describe('MachineClock, host mode', () => {
  it('follows the host clock from its creation, ignores instructions and idle skips', () => {
    let host = 1e12;
    const clock = new MachineClock({ mode: 'host', hostNowNs: () => host });
    expect(clock.nowNs()).toBe(0);
    host += 5000;
    clock.advanceInstructions(1e9);
    clock.idleUntil(1e9);
    expect(clock.nowNs()).toBe(5000);
    let fired = 0;
    clock.schedule(6000, () => fired++);
    expect(clock.runDue()).toBe(0);
    host += 1000;
    expect(clock.runDue()).toBe(1);
    expect(fired).toBe(1);
    expect(clock.instructionsUntilNextEvent(1e9, 20_000)).toBe(20_000);
  });
});
