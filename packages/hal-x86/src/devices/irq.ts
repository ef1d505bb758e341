/**
 * Interrupt request lines between devices and the interrupt controller. A device drives its line's level;
 * the controller decides, from its own routing and trigger-mode registers, whether a level or an edge
 * becomes an interrupt. Edge-triggered devices (the PIT's output 0, for example) pulse the line.
 */

/** One wire from a device to a controller input pin. */
export interface IrqLine {
  /** Drives the line to `level` (true = asserted). */
  set(level: boolean): void;
}

/** Anything with numbered input pins: an I/O APIC, or a test double recording what devices do. */
export interface IrqController {
  setIrq(pin: number, level: boolean): void;
}

/** The wire from a device to `pin` of `controller`. */
export function irqLine(controller: IrqController, pin: number): IrqLine {
  return { set: (level) => controller.setIrq(pin, level) };
}

/** Asserts then deasserts a line: one edge for edge-triggered inputs. */
export function pulse(line: IrqLine): void {
  line.set(true);
  line.set(false);
}

/** A line connected to nothing, for devices used on their own. */
export const UNCONNECTED: IrqLine = { set: () => {} };
