/**
 * A National Semiconductor PC16550D UART, as found (or emulated by the Super I/O chip) behind COM1-COM4 on
 * a PC. Eight byte-wide registers at `base` (0x3F8 for COM1):
 *
 *   +0  RBR (read) / THR (write)      DLL when LCR.DLAB = 1
 *   +1  IER                            DLM when LCR.DLAB = 1
 *   +2  IIR (read) / FCR (write)
 *   +3  LCR   +4  MCR   +5  LSR   +6  MSR   +7  SCR
 *
 * Modelled from the datasheet:
 * - 16-byte receive and transmit FIFOs (FCR bit 0), their resets (FCR bits 1 and 2), the receive trigger
 *   levels 1/4/8/14, and the 16450 mode with one-byte holding registers when the FIFOs are off. Changing
 *   FCR bit 0 empties both FIFOs; the other FCR bits are only programmed while bit 0 is written as 1.
 * - Interrupt identification in the datasheet's priority order: receiver line status (0x06), received data
 *   available (0x04), character timeout (0x0C, FIFO mode only), THR empty (0x02), modem status (0x00);
 *   IIR bits 6-7 read 1 in FIFO mode. The THRE interrupt is cleared by reading IIR while it is the reported
 *   source or by writing THR, raised when the THR/transmit FIFO empties, and re-armed when a write to IER
 *   turns ETBEI on while the THR is empty (the test the Linux 8250 driver performs at start-up).
 * - LSR: DR, OE, PE, FE, BI, THRE, TEMT and "error in RCVR FIFO" (bit 7). PE/FE/BI belong to a character
 *   and show in LSR once that character is at the top of the FIFO; OE is set as soon as a character
 *   arrives with the FIFO (or, in 16450 mode, the RBR) full. In FIFO mode the new character is lost; in
 *   16450 mode it overwrites the unread one. Reading LSR clears OE/PE/FE/BI.
 * - MCR loopback (bit 4): the transmit shift register feeds the receiver, the serial input is disconnected,
 *   and DTR/RTS/OUT1/OUT2 drive DSR/CTS/RI/DCD, with the delta bits and modem-status interrupt following.
 * - The interrupt output as wired on a PC: the IRQ line is driven only while the OUT2 *pin* is active, i.e.
 *   MCR.OUT2 = 1 and not in loopback (the datasheet forces the modem-control output pins inactive in
 *   loopback, so a PC sees no serial interrupts then; IIR still reports them).
 * - Break control (LCR bit 6): the line is held spacing; characters finishing while it is set are lost.
 *   In loopback the receiver sees the break one character time later (at once without a clock).
 * - Characters are cut to the programmed word length in both directions. RBR read while empty repeats the
 *   last character; a THR write to a full transmit FIFO is lost (in 16450 mode it replaces the unsent THR).
 *   16- and 32-bit accesses are split into byte accesses at consecutive ports, as the ISA bus does.
 *
 * Timing. With a `MachineClock`, one character takes (1 start + data + parity + stop bits) / baud seconds,
 * baud = 115200 / divisor (a 1.8432 MHz crystal; a divisor of 0 counts as 65536, the 16-bit counter
 * wrapping). The transmitter moves a character from the THR/FIFO into the shift register at once when it
 * is idle and hands it to the line one character time later; THRE and TEMT follow. The character-timeout
 * interrupt fires when data waits in the receive FIFO and four character times (at the current format and
 * rate) have passed with no character received and no RBR read.
 *
 * Without a clock, time does not pass inside the UART: a character written to THR is shifted out at once
 * (THRE and TEMT never stay clear unless the host holds the transmitter), and the character timeout is
 * declared by the host with `expireCharacterTimeout()`: "four character times have now passed with no
 * receive activity". `SerialHost` does this whenever it has no more input to give.
 *
 * The host side of the line (`SerialLine`, `receive`, `receiverRoom`, `holdTransmitter`) is not a feature of
 * the part: characters arrive whole (no bit sampling), so parity, framing and break conditions on input
 * happen only when the host reports them, and the host may hold the transmitter to pace output to its
 * own speed (the guest merely sees a slower line). Not modelled: the DMA signalling pins (FCR bit 3 is
 * stored and has no effect), the datasheet's one-character delay of the first THRE indication in FIFO mode,
 * parity generation and stick parity (they only lengthen the character), BAUDOUT/RCLK, the OUT1 pin, a
 * change of rate or format in the middle of a character (it completes with the timing it started with),
 * and writes to LSR/MSR (factory test only; ignored).
 */

import type { AccessSize, PortDevice } from './io-bus';
import { type IrqLine, UNCONNECTED } from './irq';
import type { MachineClock, TimerId } from './machine-clock';

/** Number of consecutive ports the UART decodes. */
export const UART_REGISTER_COUNT = 8;
/** Depth of each FIFO. */
export const UART_FIFO_DEPTH = 16;
/** The rate with divisor 1: a 1.8432 MHz crystal divided by 16. */
export const UART_BASE_BAUD = 115_200;

/** The usual PC assignment of the four serial ports. */
export const COM_PORTS = [
  { name: 'COM1', base: 0x3f8, irq: 4 },
  { name: 'COM2', base: 0x2f8, irq: 3 },
  { name: 'COM3', base: 0x3e8, irq: 4 },
  { name: 'COM4', base: 0x2e8, irq: 3 },
] as const;

/** Register offsets from the base port. */
export const UartReg = {
  RBR: 0,
  THR: 0,
  DLL: 0,
  IER: 1,
  DLM: 1,
  IIR: 2,
  FCR: 2,
  LCR: 3,
  MCR: 4,
  LSR: 5,
  MSR: 6,
  SCR: 7,
} as const;

/** Interrupt Enable Register bits. */
export const UartIer = {
  /** Received data available (and, in FIFO mode, character timeout). */
  ERBFI: 0x01,
  /** Transmitter holding register empty. */
  ETBEI: 0x02,
  /** Receiver line status. */
  ELSI: 0x04,
  /** Modem status. */
  EDSSI: 0x08,
} as const;

/** Interrupt Identification Register values (bits 0-3) and the FIFO-mode bits. */
export const UartIir = {
  NO_INTERRUPT: 0x01,
  ID_MASK: 0x0f,
  RECEIVER_LINE_STATUS: 0x06,
  RECEIVED_DATA: 0x04,
  CHARACTER_TIMEOUT: 0x0c,
  THR_EMPTY: 0x02,
  MODEM_STATUS: 0x00,
  FIFOS_ENABLED: 0xc0,
} as const;

/** FIFO Control Register bits. */
export const UartFcr = {
  ENABLE: 0x01,
  RX_RESET: 0x02,
  TX_RESET: 0x04,
  DMA_MODE: 0x08,
  TRIGGER_1: 0x00,
  TRIGGER_4: 0x40,
  TRIGGER_8: 0x80,
  TRIGGER_14: 0xc0,
} as const;

/** Line Control Register bits. */
export const UartLcr = {
  WORD_5: 0x00,
  WORD_6: 0x01,
  WORD_7: 0x02,
  WORD_8: 0x03,
  /** More than one stop bit: 1.5 with 5-bit words, 2 otherwise. */
  STOP_2: 0x04,
  PARITY_ENABLE: 0x08,
  EVEN_PARITY: 0x10,
  STICK_PARITY: 0x20,
  BREAK: 0x40,
  DLAB: 0x80,
} as const;

/** Modem Control Register bits. */
export const UartMcr = {
  DTR: 0x01,
  RTS: 0x02,
  OUT1: 0x04,
  OUT2: 0x08,
  LOOP: 0x10,
} as const;

/** Line Status Register bits. */
export const UartLsr = {
  DR: 0x01,
  OE: 0x02,
  PE: 0x04,
  FE: 0x08,
  BI: 0x10,
  THRE: 0x20,
  TEMT: 0x40,
  RX_FIFO_ERROR: 0x80,
} as const;

/** Modem Status Register bits. */
export const UartMsr = {
  DCTS: 0x01,
  DDSR: 0x02,
  TERI: 0x04,
  DDCD: 0x08,
  CTS: 0x10,
  DSR: 0x20,
  RI: 0x40,
  DCD: 0x80,
} as const;

/** The far end of the serial line, as seen by the UART. */
export interface SerialLine {
  /** A character has been shifted out completely on SOUT (already cut to the word length). */
  transmitted(char: number): void;
  /** The receiver can take more characters: the guest read RBR, a FIFO was reset, or loopback ended. */
  receiverReady?(): void;
  /** The transmitter started (true) or stopped (false) holding the line spacing. */
  breakChanged?(active: boolean): void;
}

/** The four modem-control inputs, true = asserted. */
export interface ModemInputs {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

/** Errors the host reports with a received character. */
export interface ReceiveErrors {
  parity?: boolean;
  framing?: boolean;
}

export interface Uart16550Options {
  /** First of the eight ports (default 0x3F8, COM1). */
  base?: number;
  /** The interrupt wire (default unconnected). */
  irq?: IrqLine;
  /** The machine clock; without one, transmission is instantaneous (see the file header). */
  clock?: MachineClock | null;
  /**
   * Divisor latch at power-up. The part leaves it undefined; the default 12 (9600 baud) is what a PC
   * BIOS programs for COM1.
   */
  divisor?: number;
  /** Modem-control inputs (default: CTS, DSR and DCD asserted, as with a terminal attached; RI off). */
  modemInputs?: Partial<ModemInputs>;
}

/** Host-side misuse of the UART model (a second line, a timeout declared while a clock keeps time). */
export class Uart16550Error extends Error {
  override name = 'Uart16550Error';
}

const ERROR_BITS = UartLsr.PE | UartLsr.FE | UartLsr.BI;
const LINE_STATUS_BITS = UartLsr.OE | ERROR_BITS;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
const NO_EVENT = -1;

/**
 * A FIFO of characters, each with the LSR error bits it arrived with. `capacity` is 16 in FIFO mode and 1
 * in 16450 mode (the holding register).
 */
class CharacterFifo {
  private readonly chars = new Uint8Array(UART_FIFO_DEPTH);
  private readonly errors = new Uint8Array(UART_FIFO_DEPTH);
  private head = 0;
  count = 0;
  capacity = 1;
  /** Entries whose error bits have not yet been moved into LSR. */
  erroredEntries = 0;

  get full(): boolean {
    return this.count >= this.capacity;
  }

  push(char: number, errors: number): void {
    const slot = (this.head + this.count) % UART_FIFO_DEPTH;
    this.chars[slot] = char;
    this.errors[slot] = errors;
    if (errors !== 0) this.erroredEntries++;
    this.count++;
  }

  /** Overwrites the newest entry (16450-mode overrun and THR rewrite). */
  replaceNewest(char: number, errors: number): void {
    const slot = (this.head + this.count - 1) % UART_FIFO_DEPTH;
    if (this.errors[slot] !== 0) this.erroredEntries--;
    this.chars[slot] = char;
    this.errors[slot] = errors;
    if (errors !== 0) this.erroredEntries++;
  }

  shift(): number {
    const char = this.chars[this.head] as number;
    if (this.errors[this.head] !== 0) this.erroredEntries--;
    this.head = (this.head + 1) % UART_FIFO_DEPTH;
    this.count--;
    return char;
  }

  /** Returns the top entry's error bits and forgets them (they now live in LSR). */
  takeTopErrors(): number {
    if (this.count === 0) return 0;
    const errors = this.errors[this.head] as number;
    if (errors !== 0) {
      this.errors[this.head] = 0;
      this.erroredEntries--;
    }
    return errors;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.erroredEntries = 0;
  }
}

export class Uart16550 implements PortDevice {
  readonly base: number;
  readonly clock: MachineClock | null;
  private readonly irq: IrqLine;
  private line: SerialLine | null = null;

  private divisorLatch: number;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fifoEnabled = false;
  private triggerLevel = 1;
  private dmaMode = false;

  private readonly rx = new CharacterFifo();
  private readonly tx = new CharacterFifo();
  /** What RBR reads when the receiver is empty: the last character read. */
  private rbrLatch = 0;
  /** OE/PE/FE/BI as the CPU sees them in LSR until it reads LSR. */
  private lineStatus = 0;
  private shifting = false;
  private shiftRegister = 0;
  private transmitEvent: TimerId = NO_EVENT;
  private transmitterHeld = false;
  /** Guards the instantaneous (clockless) transmit loop against re-entry from the line. */
  private transmitting = false;
  private thrEmptyPending = false;

  private timeoutPending = false;
  private lastReceiveActivityNs = 0;
  private timeoutEvent: TimerId = NO_EVENT;
  private breakEvent: TimerId = NO_EVENT;

  /** Modem inputs as MSR bits 4-7. */
  private modemInputs: number;
  private msrStatus: number;
  private msrDeltas = 0;
  private irqLevel = false;

  constructor(options: Uart16550Options = {}) {
    this.base = options.base ?? COM_PORTS[0].base;
    if (!Number.isInteger(this.base) || this.base < 0 || this.base + UART_REGISTER_COUNT > 0x10000) {
      throw new Uart16550Error(`base port ${this.base} does not leave room for 8 registers`);
    }
    this.irq = options.irq ?? UNCONNECTED;
    this.clock = options.clock ?? null;
    const divisor = options.divisor ?? 12;
    if (!Number.isInteger(divisor) || divisor < 0 || divisor > 0xffff) {
      throw new Uart16550Error(`divisor ${divisor} is not a 16-bit value`);
    }
    this.divisorLatch = divisor;
    const inputs = { cts: true, dsr: true, ri: false, dcd: true, ...options.modemInputs };
    this.modemInputs = modemInputBits(inputs);
    this.msrStatus = this.modemInputs;
  }

  // ---------------------------------------------------------------------------------------------------
  // Port I/O

  readPort(port: number, size: AccessSize): number {
    // An 8-bit part on a wider access: the bus splits it into byte cycles at consecutive ports.
    let value = 0;
    for (let i = 0; i < size; i++) {
      const offset = port - this.base + i;
      const byte = offset >= 0 && offset < UART_REGISTER_COUNT ? this.readRegister(offset) : 0xff;
      value |= byte << (8 * i);
    }
    return value >>> 0;
  }

  writePort(port: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const offset = port - this.base + i;
      if (offset >= 0 && offset < UART_REGISTER_COUNT) this.writeRegister(offset, (value >>> (8 * i)) & 0xff);
    }
  }

  /** Reads register `offset` (0-7) with its side effects, as an IN from `base + offset` does. */
  readRegister(offset: number): number {
    const dlab = (this.lcr & UartLcr.DLAB) !== 0;
    switch (offset & 7) {
      case 0:
        return dlab ? this.divisorLatch & 0xff : this.readRbr();
      case 1:
        return dlab ? this.divisorLatch >> 8 : this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return this.readLsr();
      case 6:
        return this.readMsr();
      default:
        return this.scr;
    }
  }

  /** Writes register `offset` (0-7) with its side effects, as an OUT to `base + offset` does. */
  writeRegister(offset: number, value: number): void {
    const byte = value & 0xff;
    const dlab = (this.lcr & UartLcr.DLAB) !== 0;
    switch (offset & 7) {
      case 0:
        if (dlab) this.setDivisor((this.divisorLatch & 0xff00) | byte);
        else this.writeThr(byte);
        return;
      case 1:
        if (dlab) this.setDivisor((byte << 8) | (this.divisorLatch & 0xff));
        else this.writeIer(byte);
        return;
      case 2:
        this.writeFcr(byte);
        return;
      case 3:
        this.writeLcr(byte);
        return;
      case 4:
        this.writeMcr(byte);
        return;
      case 7:
        this.scr = byte;
        return;
      default:
        return; // LSR and MSR: factory-test writes, ignored
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Host side

  /** Attaches the far end of the line. One line at a time. */
  connect(line: SerialLine): void {
    if (this.line !== null && this.line !== line)
      throw new Uart16550Error('the UART is already connected to a line');
    this.line = line;
  }

  /** Detaches the line (if `line` is given, only when it is the one attached) and releases any hold. */
  disconnect(line?: SerialLine): void {
    if (line !== undefined && this.line !== line) return;
    this.line = null;
    this.holdTransmitter(false);
  }

  /**
   * A character has arrived whole at SIN. It is cut to the word length; in loopback (SIN disconnected) it
   * is ignored; with the receiver full it is an overrun, as on the part.
   */
  receive(char: number, errors: ReceiveErrors = {}): void {
    if (this.loopback) return;
    const bits = (errors.parity ? UartLsr.PE : 0) | (errors.framing ? UartLsr.FE : 0);
    this.receiveCharacter(char & this.wordMask, bits);
  }

  /** SIN was held spacing for longer than a character: one zero character with BI (and FE) set. */
  receiveBreak(): void {
    if (this.loopback) return;
    this.receiveCharacter(0, UartLsr.BI | UartLsr.FE);
  }

  /** How many characters the receiver takes now without an overrun (0 in loopback). */
  receiverRoom(): number {
    return this.loopback ? 0 : this.rx.capacity - this.rx.count;
  }

  /**
   * Holds (true) or releases the transmitter: while held, no new character starts shifting out to the
   * line, so the THR/FIFO fills and THRE stays clear. Lets a slow host pace the guest. Loopback ignores it.
   */
  holdTransmitter(hold: boolean): void {
    this.transmitterHeld = hold;
    if (!hold) {
      this.startTransmitter(this.nowNs());
      this.updateIrq();
    }
  }

  /**
   * Clockless mode only: four character times have passed with no receive activity. Raises the character
   * timeout (FIFO mode, data waiting), exactly as the timer would with a clock.
   */
  expireCharacterTimeout(): void {
    if (this.clock !== null)
      throw new Uart16550Error('the character timeout follows the machine clock; it cannot be declared');
    if (this.fifoEnabled && this.rx.count > 0) {
      this.timeoutPending = true;
      this.updateIrq();
    }
  }

  /** Drives the modem-control inputs; changes set the MSR delta bits (ignored by MSR in loopback). */
  setModemInputs(inputs: Partial<ModemInputs>): void {
    const current = {
      cts: (this.modemInputs & UartMsr.CTS) !== 0,
      dsr: (this.modemInputs & UartMsr.DSR) !== 0,
      ri: (this.modemInputs & UartMsr.RI) !== 0,
      dcd: (this.modemInputs & UartMsr.DCD) !== 0,
    };
    this.modemInputs = modemInputBits({ ...current, ...inputs });
    this.updateModemStatus();
    this.updateIrq();
  }

  /**
   * Master reset (the MR pin): IER, FCR, LCR, MCR cleared, FIFOs emptied, LSR = 0x60, MSR deltas cleared.
   * The divisor latch and the scratch register keep their contents, as on the part.
   */
  reset(): void {
    const hadBreak = (this.lcr & UartLcr.BREAK) !== 0;
    this.cancel(this.transmitEvent);
    this.cancel(this.timeoutEvent);
    this.cancel(this.breakEvent);
    this.transmitEvent = this.timeoutEvent = this.breakEvent = NO_EVENT;
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.fifoEnabled = false;
    this.triggerLevel = 1;
    this.dmaMode = false;
    this.rx.capacity = this.tx.capacity = 1;
    this.rx.clear();
    this.tx.clear();
    this.shifting = false;
    this.lineStatus = 0;
    this.thrEmptyPending = false;
    this.timeoutPending = false;
    this.msrStatus = this.modemInputs;
    this.msrDeltas = 0;
    this.updateIrq();
    if (hadBreak) this.line?.breakChanged?.(false);
    this.line?.receiverReady?.();
  }

  // ---------------------------------------------------------------------------------------------------
  // Observations for hosts and diagnostics (no side effects)

  /** Divisor latch value (0 counts as 65536). */
  get divisor(): number {
    return this.divisorLatch;
  }

  /** Bits per second at the current divisor. */
  get baudRate(): number {
    return UART_BASE_BAUD / (this.divisorLatch === 0 ? 0x10000 : this.divisorLatch);
  }

  /** Bits on the wire per character at the current format: start + data + parity + stop. */
  get bitsPerCharacter(): number {
    const dataBits = 5 + (this.lcr & 3);
    const parity = this.lcr & UartLcr.PARITY_ENABLE ? 1 : 0;
    const stop = this.lcr & UartLcr.STOP_2 ? (dataBits === 5 ? 1.5 : 2) : 1;
    return 1 + dataBits + parity + stop;
  }

  /** Duration of one character on the line, in nanoseconds. */
  characterTimeNs(): number {
    return (this.bitsPerCharacter * 1e9) / this.baudRate;
  }

  /** Whether the FIFOs are enabled (FCR bit 0). */
  get fifosEnabled(): boolean {
    return this.fifoEnabled;
  }

  /** FCR bit 3 as last programmed (no pins are driven by it). */
  get dmaModeSelected(): boolean {
    return this.dmaMode;
  }

  /** The part's INTR output: an enabled interrupt is pending (before the OUT2 gate). */
  get interruptPending(): boolean {
    return this.interruptId() !== UartIir.NO_INTERRUPT;
  }

  /** The level driven on the IRQ line (INTR gated by the OUT2 pin). */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  /** LSR as a read would return it, without clearing anything. */
  peekLsr(): number {
    let lsr = this.lineStatus;
    if (this.rx.count > 0) lsr |= UartLsr.DR;
    if (this.tx.count === 0) {
      lsr |= UartLsr.THRE;
      if (!this.shifting) lsr |= UartLsr.TEMT;
    }
    if (this.fifoEnabled && ((this.lineStatus & ERROR_BITS) !== 0 || this.rx.erroredEntries > 0))
      lsr |= UartLsr.RX_FIFO_ERROR;
    return lsr;
  }

  // ---------------------------------------------------------------------------------------------------
  // Registers

  private get loopback(): boolean {
    return (this.mcr & UartMcr.LOOP) !== 0;
  }

  private get wordMask(): number {
    return (1 << (5 + (this.lcr & 3))) - 1;
  }

  private readRbr(): number {
    if (this.rx.count === 0) return this.rbrLatch;
    const char = this.rx.shift();
    this.rbrLatch = char;
    this.lineStatus |= this.rx.takeTopErrors();
    // Reading the FIFO clears a timeout and restarts the timer.
    this.timeoutPending = false;
    this.lastReceiveActivityNs = this.nowNs();
    this.armTimeout();
    this.updateIrq();
    this.line?.receiverReady?.();
    return char;
  }

  private readIir(): number {
    const id = this.interruptId();
    if (id === UartIir.THR_EMPTY) {
      this.thrEmptyPending = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled ? UartIir.FIFOS_ENABLED : 0);
  }

  private readLsr(): number {
    const lsr = this.peekLsr();
    if (this.lineStatus !== 0) {
      this.lineStatus = 0;
      this.updateIrq();
    }
    return lsr;
  }

  private readMsr(): number {
    const msr = this.msrStatus | this.msrDeltas;
    if (this.msrDeltas !== 0) {
      this.msrDeltas = 0;
      this.updateIrq();
    }
    return msr;
  }

  private writeThr(value: number): void {
    const char = value & this.wordMask;
    if (!this.tx.full) this.tx.push(char, 0);
    else if (!this.fifoEnabled) this.tx.replaceNewest(char, 0); // 16450: the unsent THR is overwritten
    // else: a write to a full transmit FIFO is lost
    this.thrEmptyPending = false;
    this.startTransmitter(this.nowNs());
    this.updateIrq();
  }

  private writeIer(value: number): void {
    const before = this.ier;
    this.ier = value & 0x0f;
    const enabledThre = (this.ier & ~before & UartIer.ETBEI) !== 0;
    if (enabledThre && this.tx.count === 0) this.thrEmptyPending = true;
    this.updateIrq();
  }

  private writeFcr(value: number): void {
    const roomBefore = this.receiverRoom();
    const enable = (value & UartFcr.ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      // Switching between 16450 and FIFO mode empties both FIFOs; the first THRE interrupt is immediate.
      this.fifoEnabled = enable;
      this.rx.capacity = this.tx.capacity = enable ? UART_FIFO_DEPTH : 1;
      this.clearReceiver();
      this.tx.clear();
      this.thrEmptyPending = true;
    }
    // The other bits are programmed only while bit 0 is written as 1.
    if (enable) {
      this.triggerLevel = TRIGGER_LEVELS[value >> 6] as number;
      this.dmaMode = (value & UartFcr.DMA_MODE) !== 0;
      if (value & UartFcr.RX_RESET) this.clearReceiver(); // the shift register is not touched
      if (value & UartFcr.TX_RESET && this.tx.count > 0) {
        this.tx.clear(); // the character in the shift register still completes
        this.thrEmptyPending = true;
      }
    }
    this.armTimeout();
    this.updateIrq();
    if (this.receiverRoom() > roomBefore) this.line?.receiverReady?.();
  }

  private writeLcr(value: number): void {
    const before = this.lcr;
    this.lcr = value;
    const changed = before ^ value;
    if (changed & 0x3f) this.rearmTimeout(); // the character time changed
    if (changed & UartLcr.BREAK) this.breakControlChanged((value & UartLcr.BREAK) !== 0);
  }

  private writeMcr(value: number): void {
    const before = this.mcr;
    this.mcr = value & 0x1f;
    this.updateModemStatus();
    const loopChanged = ((before ^ this.mcr) & UartMcr.LOOP) !== 0;
    if (loopChanged) this.startTransmitter(this.nowNs()); // the line's hold applies outside loopback only
    this.updateIrq();
    if (loopChanged && !this.loopback) this.line?.receiverReady?.();
  }

  private setDivisor(divisor: number): void {
    if (divisor === this.divisorLatch) return;
    this.divisorLatch = divisor;
    this.rearmTimeout();
  }

  // ---------------------------------------------------------------------------------------------------
  // Interrupts

  /** The IIR bits 0-3 for the highest-priority enabled interrupt. */
  private interruptId(): number {
    const ier = this.ier;
    if (ier & UartIer.ELSI && this.lineStatus & LINE_STATUS_BITS) return UartIir.RECEIVER_LINE_STATUS;
    if (ier & UartIer.ERBFI) {
      const available = this.fifoEnabled ? this.rx.count >= this.triggerLevel : this.rx.count > 0;
      if (available) return UartIir.RECEIVED_DATA;
      if (this.timeoutPending) return UartIir.CHARACTER_TIMEOUT;
    }
    if (ier & UartIer.ETBEI && this.thrEmptyPending) return UartIir.THR_EMPTY;
    if (ier & UartIer.EDSSI && this.msrDeltas !== 0) return UartIir.MODEM_STATUS;
    return UartIir.NO_INTERRUPT;
  }

  private updateIrq(): void {
    const out2Pin = (this.mcr & (UartMcr.OUT2 | UartMcr.LOOP)) === UartMcr.OUT2;
    const level = out2Pin && this.interruptId() !== UartIir.NO_INTERRUPT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Receiver

  private receiveCharacter(char: number, errors: number): void {
    if (!this.rx.full) {
      this.rx.push(char, errors);
      if (this.rx.count === 1) this.lineStatus |= this.rx.takeTopErrors();
    } else {
      this.lineStatus |= UartLsr.OE;
      if (!this.fifoEnabled) {
        // 16450 mode: the new character replaces the unread one in RBR.
        this.rx.replaceNewest(char, errors);
        this.lineStatus |= this.rx.takeTopErrors();
      }
      // FIFO mode: the character in the shift register is overwritten and never reaches the FIFO.
    }
    this.lastReceiveActivityNs = this.nowNs();
    this.armTimeout();
    this.updateIrq();
  }

  private clearReceiver(): void {
    this.rx.clear();
    this.timeoutPending = false;
  }

  /** Makes sure a timeout check is scheduled while data waits in FIFO mode (clock mode only). */
  private armTimeout(): void {
    const clock = this.clock;
    if (clock === null || this.timeoutEvent !== NO_EVENT) return;
    if (!this.fifoEnabled || this.rx.count === 0 || this.timeoutPending) return;
    const deadline = this.lastReceiveActivityNs + 4 * this.characterTimeNs();
    this.timeoutEvent = clock.schedule(deadline, (now) => this.checkTimeout(now));
  }

  private rearmTimeout(): void {
    this.cancel(this.timeoutEvent);
    this.timeoutEvent = NO_EVENT;
    this.armTimeout();
  }

  /**
   * One event stands for the timer: activity only moves `lastReceiveActivityNs`, and the event, when it
   * fires early, reschedules itself at the real deadline.
   */
  private checkTimeout(now: number): void {
    this.timeoutEvent = NO_EVENT;
    if (!this.fifoEnabled || this.rx.count === 0 || this.timeoutPending) return;
    const deadline = this.lastReceiveActivityNs + 4 * this.characterTimeNs();
    if (now >= deadline) {
      this.timeoutPending = true;
      this.updateIrq();
    } else {
      this.timeoutEvent = (this.clock as MachineClock).schedule(deadline, (t) => this.checkTimeout(t));
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Transmitter

  /**
   * Loads the shift register from the THR/FIFO when it is idle. With a clock the character completes one
   * character time after `startNs`; without one it completes at once and the loop goes on until the FIFO
   * is empty or the host holds the transmitter.
   */
  private startTransmitter(startNs: number): void {
    if (this.transmitting) return;
    this.transmitting = true;
    try {
      while (!this.shifting && this.tx.count > 0 && !(this.transmitterHeld && !this.loopback)) {
        this.shiftRegister = this.tx.shift();
        this.shifting = true;
        if (this.tx.count === 0) this.thrEmptyPending = true;
        const clock = this.clock;
        if (clock !== null) {
          const endNs = startNs + this.characterTimeNs();
          this.transmitEvent = clock.schedule(endNs, () => this.finishCharacter(endNs));
          return;
        }
        this.shifting = false;
        this.shiftOut(this.shiftRegister);
      }
    } finally {
      this.transmitting = false;
    }
  }

  private finishCharacter(endNs: number): void {
    this.transmitEvent = NO_EVENT;
    this.shifting = false;
    this.shiftOut(this.shiftRegister);
    this.startTransmitter(endNs);
    this.updateIrq();
  }

  private shiftOut(char: number): void {
    if (this.lcr & UartLcr.BREAK) return; // the line is held spacing: the character never appears
    if (this.loopback) this.receiveCharacter(char, 0);
    else this.line?.transmitted(char);
  }

  private breakControlChanged(active: boolean): void {
    this.cancel(this.breakEvent);
    this.breakEvent = NO_EVENT;
    if (!this.loopback) {
      this.line?.breakChanged?.(active);
      return;
    }
    if (!active) return;
    // Looped back, the receiver detects the break once the line has been spacing for a whole character.
    const clock = this.clock;
    if (clock === null) {
      this.receiveCharacter(0, UartLsr.BI | UartLsr.FE);
      return;
    }
    this.breakEvent = clock.schedule(this.nowNs() + this.characterTimeNs(), () => {
      this.breakEvent = NO_EVENT;
      if (this.loopback && this.lcr & UartLcr.BREAK) this.receiveCharacter(0, UartLsr.BI | UartLsr.FE);
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Modem status

  private updateModemStatus(): void {
    let status = this.modemInputs;
    if (this.loopback) {
      const m = this.mcr;
      status =
        (m & UartMcr.RTS ? UartMsr.CTS : 0) |
        (m & UartMcr.DTR ? UartMsr.DSR : 0) |
        (m & UartMcr.OUT1 ? UartMsr.RI : 0) |
        (m & UartMcr.OUT2 ? UartMsr.DCD : 0);
    }
    const changed = status ^ this.msrStatus;
    if (changed & UartMsr.CTS) this.msrDeltas |= UartMsr.DCTS;
    if (changed & UartMsr.DSR) this.msrDeltas |= UartMsr.DDSR;
    if (this.msrStatus & UartMsr.RI && !(status & UartMsr.RI)) this.msrDeltas |= UartMsr.TERI; // trailing edge
    if (changed & UartMsr.DCD) this.msrDeltas |= UartMsr.DDCD;
    this.msrStatus = status;
  }

  // ---------------------------------------------------------------------------------------------------

  private nowNs(): number {
    return this.clock === null ? 0 : this.clock.nowNs();
  }

  private cancel(id: TimerId): void {
    if (id !== NO_EVENT) this.clock?.cancel(id);
  }
}

function modemInputBits(inputs: ModemInputs): number {
  return (
    (inputs.cts ? UartMsr.CTS : 0) |
    (inputs.dsr ? UartMsr.DSR : 0) |
    (inputs.ri ? UartMsr.RI : 0) |
    (inputs.dcd ? UartMsr.DCD : 0)
  );
}
