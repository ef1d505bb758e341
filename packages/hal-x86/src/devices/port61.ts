/**
 * Port 0x61, the PC/AT's "system control port B": the bits that connect PIT counter 2 to the rest of the
 * machine.
 *
 *   bit 0  GATE2 (read/write): the gate input of PIT counter 2
 *   bit 1  speaker data (read/write): the speaker sounds OUT2 AND this bit
 *   bit 2  parity check enable, bit 3 channel check enable (read/write; stored, no effect here)
 *   bit 4  refresh toggle (read only): flips every 15.085 µs (18 PIT input clocks), as the DRAM refresh
 *          request did on the AT; firmware and old drivers use it as a delay reference
 *   bit 5  OUT2 (read only): the output of PIT counter 2 now
 *   bit 6  channel check (IOCHK) and bit 7 parity error (SERR) status (read only): always 0, as there is
 *          no parity memory and no expansion card to report errors
 *
 * After reset every writable bit is 0 (gate low, speaker off). Not modelled: NMI generation from bits
 * 6/7 (they never set) and audio: the speaker is reported as a level and a tone frequency for a host that
 * wants to play it.
 */

import type { AccessSize, PortDevice } from './io-bus';
import type { Pit8254 } from './pit8254';
import { PIT_INPUT_HZ } from './pit8254';

/** The port this device decodes. */
export const SYSTEM_CONTROL_PORT_B = 0x61;

const GATE2 = 0x01;
const SPEAKER_DATA = 0x02;
const WRITABLE = 0x0f;
const REFRESH_TOGGLE = 0x10;
const OUT2 = 0x20;
/** PIT input clocks per DRAM refresh request on the AT (counter 1 programmed with 18: 15.085 µs). */
const REFRESH_TICKS = 18;

export class SystemControlPortB implements PortDevice {
  private bits = 0;

  constructor(private readonly pit: Pit8254) {
    this.pit.setGate(2, false);
  }

  readPort(port: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(port + i) << (8 * i);
    return value >>> 0;
  }

  writePort(port: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      if (port + i === SYSTEM_CONTROL_PORT_B) this.writeByte((value >>> (8 * i)) & 0xff);
    }
  }

  /** The speaker's input now: OUT2 AND the speaker data bit. */
  speakerLevel(): boolean {
    return (this.bits & SPEAKER_DATA) !== 0 && this.pit.outputLevel(2);
  }

  /**
   * The tone the speaker plays, in Hz: non-zero while the gate and speaker bits are set and counter 2
   * runs a square wave (mode 3), the way every PC program beeps. 0 otherwise.
   */
  speakerToneHz(): number {
    if ((this.bits & (GATE2 | SPEAKER_DATA)) !== (GATE2 | SPEAKER_DATA)) return 0;
    const state = this.pit.describe(2);
    if (state.mode !== 3 || state.reload === null) return 0;
    return PIT_INPUT_HZ / state.reload;
  }

  private readByte(port: number): number {
    if (port !== SYSTEM_CONTROL_PORT_B) return 0xff;
    const refresh = Math.floor(this.pit.ticksNow() / REFRESH_TICKS) & 1 ? REFRESH_TOGGLE : 0;
    const out2 = this.pit.outputLevel(2) ? OUT2 : 0;
    return (this.bits & WRITABLE) | refresh | out2;
  }

  private writeByte(byte: number): void {
    this.bits = byte & WRITABLE;
    this.pit.setGate(2, (byte & GATE2) !== 0);
  }
}
