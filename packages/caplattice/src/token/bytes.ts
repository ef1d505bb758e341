// Bounds-checked big-endian reading and writing for the token encoding. Every read past the end is a
// TokenError('TRUNCATED') and every out-of-range value a TokenError('MALFORMED'), raised here, so no
// decoder above can fail with a RangeError from deep inside a DataView.

import { TokenError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Reads fields from `bytes[start, end)`. */
export class ByteReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number, what: string): number {
    if (this.pos + n > this.end) {
      throw new TokenError('TRUNCATED', `token: ${what} runs past the end of the token (byte ${this.pos})`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what: string): number {
    return this.bytes[this.take(1, what)] as number;
  }

  u16(what: string): number {
    return this.view.getUint16(this.take(2, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what));
  }

  /** An unsigned 64-bit integer that must be a safe integer (below 2^53). */
  u64(what: string): number {
    const at = this.take(8, what);
    const hi = this.view.getUint32(at);
    const lo = this.view.getUint32(at + 4);
    if (hi > 0x1f_ffff) throw new TokenError('MALFORMED', `token: ${what} is not below 2^53`);
    return hi * 2 ** 32 + lo;
  }

  /** A 0/1 flag byte; anything else is malformed, so that no two encodings mean the same token. */
  flag(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new TokenError('MALFORMED', `token: ${what} flag must be 0 or 1, got ${v}`);
    return v === 1;
  }

  bytesOf(n: number, what: string): Uint8Array {
    const at = this.take(n, what);
    return this.bytes.subarray(at, at + n);
  }

  /** `n` bytes of strict UTF-8. */
  text(n: number, what: string): string {
    const raw = this.bytesOf(n, what);
    try {
      return decoder.decode(raw);
    } catch {
      throw new TokenError('MALFORMED', `token: ${what} is not valid UTF-8`);
    }
  }
}

/** Appends fields to a growing buffer. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): this {
    this.buf[this.room(1)] = v;
    return this;
  }

  u16(v: number): this {
    this.view.setUint16(this.room(2), v);
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.room(4), v >>> 0);
    return this;
  }

  /** A safe integer as unsigned 64-bit big-endian. */
  u64(v: number): this {
    const at = this.room(8);
    this.view.setUint32(at, Math.floor(v / 2 ** 32));
    this.view.setUint32(at + 4, v >>> 0);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.room(b.length));
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
