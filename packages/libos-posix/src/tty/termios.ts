/**
 * struct termios as the TCGETS/TCSETS ioctls pass it on x86-64 Linux (36 bytes: four flag words, the
 * line discipline, 19 control characters), the flag bits the line discipline honours, and the defaults
 * a console starts with (those of `stty sane`).
 */
export const ICRNL = 0o400;
export const INLCR = 0o100;
export const IGNCR = 0o200;
export const IXON = 0o2000;
export const OPOST = 0o1;
export const ONLCR = 0o4;
export const ISIG = 0o1;
export const ICANON = 0o2;
export const ECHO = 0o10;
export const ECHOE = 0o20;
export const ECHOK = 0o40;
export const ECHONL = 0o100;
export const ECHOCTL = 0o1000;
export const ECHOKE = 0o4000;
export const IEXTEN = 0o100000;
export const TOSTOP = 0o400;

/** Indexes into c_cc. */
export const V = {
  INTR: 0,
  QUIT: 1,
  ERASE: 2,
  KILL: 3,
  EOF: 4,
  TIME: 5,
  MIN: 6,
  START: 8,
  STOP: 9,
  SUSP: 10,
  EOL: 11,
  WERASE: 14,
  LNEXT: 15,
  EOL2: 16,
} as const;

export const NCCS = 19;
export const TERMIOS_SIZE = 36;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: Uint8Array;
}

export function saneTermios(): Termios {
  const cc = new Uint8Array(NCCS);
  cc[V.INTR] = 0x03; // ^C
  cc[V.QUIT] = 0x1c; // ^\
  cc[V.ERASE] = 0x7f; // DEL
  cc[V.KILL] = 0x15; // ^U
  cc[V.EOF] = 0x04; // ^D
  cc[V.MIN] = 1;
  cc[V.START] = 0x11;
  cc[V.STOP] = 0x13;
  cc[V.SUSP] = 0x1a; // ^Z
  cc[V.WERASE] = 0x17; // ^W
  cc[V.LNEXT] = 0x16;
  return {
    iflag: ICRNL | IXON,
    oflag: OPOST | ONLCR,
    cflag: 0o277 /* B38400 | CS8 */ | 0o200 /* CREAD */,
    lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    line: 0,
    cc,
  };
}

export function encodeTermios(t: Termios): Uint8Array {
  const bytes = new Uint8Array(TERMIOS_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, t.iflag, true);
  v.setUint32(4, t.oflag, true);
  v.setUint32(8, t.cflag, true);
  v.setUint32(12, t.lflag, true);
  bytes[16] = t.line;
  bytes.set(t.cc.subarray(0, NCCS), 17);
  return bytes;
}

export function decodeTermios(bytes: Uint8Array): Termios {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    iflag: v.getUint32(0, true),
    oflag: v.getUint32(4, true),
    cflag: v.getUint32(8, true),
    lflag: v.getUint32(12, true),
    line: bytes[16] as number,
    cc: bytes.slice(17, 17 + NCCS),
  };
}
