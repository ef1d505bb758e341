/**
 * /dev/console (and /dev/tty for processes whose controlling terminal it is): an open file on a
 * `Terminal`. Reads wait for input as the line discipline allows; the terminal ioctls read and change
 * termios, the foreground process group, the session and the window size.
 */
import { fail } from '../errno';
import { anonymousStat, type FileStat, S_IFCHR } from '../files/file-stat';
import { type Blocked, type IoctlCaller, OpenFile } from '../files/open-file';
import type { WaitQueue } from '../process/wait-queue';
import type { Terminal } from './terminal';
import { decodeTermios, encodeTermios, TERMIOS_SIZE } from './termios';

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TCSBRK = 0x5409;
const TCXONC = 0x540a;
const TCFLSH = 0x540b;
const TIOCSCTTY = 0x540e;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
const TIOCOUTQ = 0x5411;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const FIONREAD = 0x541b;
const TIOCNOTTY = 0x5422;
const TIOCGSID = 0x5429;

/** /dev/console's device number (5, 1). */
export const CONSOLE_RDEV = (5 << 8) | 1;

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

export class TtyFile extends OpenFile {
  constructor(
    readonly terminal: Terminal,
    flags: number,
    private readonly ino: number,
  ) {
    super(flags);
  }

  override read(length: number): Uint8Array | Blocked {
    const data = this.terminal.read(length);
    return data ?? { wouldBlock: this.terminal.readable };
  }

  override write(data: Uint8Array): number {
    return this.terminal.write(data);
  }

  override pollReadable(): boolean {
    return this.terminal.readReady;
  }

  override pollQueue(): WaitQueue {
    return this.terminal.readable;
  }

  override stat(): FileStat {
    return anonymousStat(S_IFCHR | 0o620, this.ino, CONSOLE_RDEV);
  }

  override ioctl(request: number, arg: number, caller: IoctlCaller): number {
    const t = this.terminal;
    const memory = caller.memory;
    switch (request) {
      case TCGETS:
        memory.write(arg, encodeTermios(t.termios));
        return 0;
      case TCSETSF:
        t.flushInput();
        t.termios = decodeTermios(memory.read(arg, TERMIOS_SIZE));
        return 0;
      case TCSETS:
      case TCSETSW:
        t.termios = decodeTermios(memory.read(arg, TERMIOS_SIZE));
        return 0;
      case TIOCGPGRP:
        memory.write(arg, int32(t.foregroundPgid));
        return 0;
      case TIOCSPGRP: {
        const pgid = new DataView(memory.read(arg, 4).buffer).getInt32(0, true);
        if (pgid <= 0) fail('EINVAL', `process group ${pgid}`);
        t.foregroundPgid = pgid;
        return 0;
      }
      case TIOCGSID:
        memory.write(arg, int32(t.sessionId));
        return 0;
      case TIOCSCTTY:
        t.sessionId = caller.process.sid;
        t.foregroundPgid = caller.process.pgid;
        return 0;
      case TIOCNOTTY:
        return 0;
      case TIOCGWINSZ: {
        const ws = new Uint8Array(8);
        const v = new DataView(ws.buffer);
        v.setUint16(0, t.rows, true);
        v.setUint16(2, t.columns, true);
        memory.write(arg, ws);
        return 0;
      }
      case TIOCSWINSZ: {
        const v = new DataView(memory.read(arg, 8).buffer);
        t.rows = v.getUint16(0, true);
        t.columns = v.getUint16(2, true);
        return 0;
      }
      case FIONREAD:
        memory.write(arg, int32(t.available));
        return 0;
      case TIOCOUTQ:
        memory.write(arg, int32(0));
        return 0;
      case TCSBRK:
      case TCXONC:
        return 0;
      case TCFLSH:
        if (arg === 0 || arg === 2) t.flushInput();
        return 0;
      default:
        fail('EINVAL', `terminal ioctl 0x${request.toString(16)}`);
    }
  }
}
