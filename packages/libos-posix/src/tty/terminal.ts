/**
 * A terminal's line discipline (N_TTY): what sits between a serial line and the programs reading and
 * writing /dev/console.
 *
 * - Input: ICRNL turns CR into NL; with ISIG, VINTR/VQUIT/VSUSP send SIGINT/SIGQUIT/SIGTSTP to the
 *   foreground process group and flush the pending line; in canonical mode (ICANON) characters gather in
 *   a line that VERASE, VWERASE and VKILL edit and NL, VEOL or VEOF completes, and a read returns at most
 *   one line; otherwise bytes are readable at once (VMIN 0 makes an empty read return 0).
 * - Echo (ECHO, ECHOE, ECHOK, ECHOCTL: ^C shown as "^C") goes back out through the same output path.
 * - Output: OPOST with ONLCR turns NL into CR NL.
 * - The foreground process group and the session (TIOCSPGRP, TIOCGPGRP, TIOCSCTTY, TIOCGSID) and the
 *   window size (TIOCGWINSZ, TIOCSWINSZ) are kept here for the ioctls.
 */
import { WaitQueue } from '../process/wait-queue';
import {
  ECHO,
  ECHOCTL,
  ECHOE,
  ECHOK,
  ICANON,
  ICRNL,
  IGNCR,
  INLCR,
  ISIG,
  OPOST,
  ONLCR,
  saneTermios,
  type Termios,
  V,
} from './termios';

/** Where the terminal's output goes, and who receives its signals. */
export interface TerminalLine {
  /** Bytes to the other end of the line (the serial port's transmitter). */
  transmit(bytes: Uint8Array): void;
  /** A signal for process group `pgid` (the foreground group). */
  signalGroup(pgid: number, signal: number): void;
}

const SIGINT = 2;
const SIGQUIT = 3;
const SIGTSTP = 20;

export class Terminal {
  termios: Termios = saneTermios();
  /** Completed input, ready for read(). */
  private ready: number[] = [];
  /** The canonical line being edited. */
  private line: number[] = [];
  /** A VEOF seen at the start of a line: the next read returns 0. */
  private eofs = 0;
  foregroundPgid = 0;
  sessionId = 0;
  rows = 24;
  columns = 80;
  /** Woken when input becomes readable. */
  readonly readable = new WaitQueue();

  constructor(private readonly device: TerminalLine) {}

  // ------------------------------------------------------------------ input from the line

  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.receiveByte(b);
    if (this.available || this.eofs > 0) this.readable.wakeAll();
  }

  private receiveByte(input: number): void {
    const t = this.termios;
    let c = input;
    if (c === 0x0d) {
      if ((t.iflag & IGNCR) !== 0) return;
      if ((t.iflag & ICRNL) !== 0) c = 0x0a;
    } else if (c === 0x0a && (t.iflag & INLCR) !== 0) c = 0x0d;
    const cc = t.cc;
    if ((t.lflag & ISIG) !== 0) {
      const signal = c === cc[V.INTR] ? SIGINT : c === cc[V.QUIT] ? SIGQUIT : c === cc[V.SUSP] ? SIGTSTP : 0;
      if (signal !== 0) {
        this.line = [];
        this.ready = [];
        this.echoControl(c);
        if (this.foregroundPgid > 0) this.device.signalGroup(this.foregroundPgid, signal);
        return;
      }
    }
    if ((t.lflag & ICANON) === 0) {
      this.ready.push(c);
      this.echo(c);
      return;
    }
    if (c === cc[V.ERASE] || c === 0x08) {
      if (this.line.length > 0) {
        this.line.pop();
        if ((t.lflag & ECHO) !== 0 && (t.lflag & ECHOE) !== 0) this.output(Uint8Array.of(0x08, 0x20, 0x08));
      }
      return;
    }
    if (c === cc[V.WERASE]) {
      while (this.line.length > 0 && this.line[this.line.length - 1] === 0x20) this.eraseOne();
      while (this.line.length > 0 && this.line[this.line.length - 1] !== 0x20) this.eraseOne();
      return;
    }
    if (c === cc[V.KILL]) {
      while (this.line.length > 0) this.eraseOne();
      if ((t.lflag & ECHOK) !== 0 && (t.lflag & ECHOE) === 0) this.echo(0x0a);
      return;
    }
    if (c === cc[V.EOF]) {
      if (this.line.length === 0) this.eofs++;
      else this.commitLine();
      return;
    }
    this.line.push(c);
    this.echo(c);
    if (c === 0x0a || (c === cc[V.EOL] && c !== 0) || (c === cc[V.EOL2] && c !== 0)) this.commitLine();
  }

  private eraseOne(): void {
    this.line.pop();
    if ((this.termios.lflag & ECHO) !== 0 && (this.termios.lflag & ECHOE) !== 0)
      this.output(Uint8Array.of(0x08, 0x20, 0x08));
  }

  private commitLine(): void {
    this.ready.push(...this.line);
    this.line = [];
  }

  private echo(c: number): void {
    if ((this.termios.lflag & ECHO) === 0) return;
    if (c < 0x20 && c !== 0x0a && c !== 0x09 && (this.termios.lflag & ECHOCTL) !== 0) this.echoControl(c);
    else this.output(Uint8Array.of(c));
  }

  private echoControl(c: number): void {
    if ((this.termios.lflag & ECHO) === 0) return;
    this.output(Uint8Array.of(0x5e, c ^ 0x40)); // ^C
    if (
      (this.termios.lflag & ICANON) !== 0 &&
      (c === this.termios.cc[V.INTR] || c === this.termios.cc[V.QUIT] || c === this.termios.cc[V.SUSP])
    ) {
      this.output(Uint8Array.of(0x0a));
    }
  }

  // ------------------------------------------------------------------ what programs see

  /** Bytes a read may take now (in canonical mode, only completed lines). */
  get available(): number {
    return this.ready.length;
  }

  /** Whether a read would return now (data, an end of file, or VMIN 0 in raw mode). */
  get readReady(): boolean {
    if (this.ready.length > 0 || this.eofs > 0) return true;
    return (this.termios.lflag & ICANON) === 0 && this.termios.cc[V.MIN] === 0;
  }

  /** A read of up to `max` bytes: null when it must wait. */
  read(max: number): Uint8Array | null {
    if (this.ready.length === 0) {
      if (this.eofs > 0) {
        this.eofs--;
        return new Uint8Array(0);
      }
      if ((this.termios.lflag & ICANON) === 0 && this.termios.cc[V.MIN] === 0) return new Uint8Array(0);
      return null;
    }
    let n = Math.min(max, this.ready.length);
    if ((this.termios.lflag & ICANON) !== 0) {
      const nl = this.ready.indexOf(0x0a);
      if (nl >= 0 && nl < n) n = nl + 1;
    }
    const out = Uint8Array.from(this.ready.splice(0, n));
    return out;
  }

  /** Output from programs, post-processed (OPOST/ONLCR). */
  write(bytes: Uint8Array): number {
    this.output(bytes);
    return bytes.length;
  }

  private output(bytes: Uint8Array): void {
    const t = this.termios;
    if ((t.oflag & OPOST) === 0 || (t.oflag & ONLCR) === 0 || !bytes.includes(0x0a)) {
      this.device.transmit(bytes.slice());
      return;
    }
    const out: number[] = [];
    for (const b of bytes) {
      if (b === 0x0a) out.push(0x0d);
      out.push(b);
    }
    this.device.transmit(Uint8Array.from(out));
  }

  /** TCSETSF: flush pending input. */
  flushInput(): void {
    this.ready = [];
    this.line = [];
    this.eofs = 0;
  }
}
