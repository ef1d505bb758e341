/**
 * Packing (the encoding specification's "packing" section): each word becomes a tag byte whose bits say
 * which of its bytes are non-zero, followed by those bytes. A zero tag is followed by a count of further
 * zero words; an 0xff tag by a count of words copied as they are. The packer makes the same choices as the
 * reference implementation (a raw run continues while words have at most one zero byte), so its output is
 * byte-identical to `capnp convert binary:packed`.
 */
import { CapnpError } from './errors';

/** Packs `bytes` (a whole number of words: a framed message, or a flat one). */
export function pack(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength % 8 !== 0) {
    throw new CapnpError('INVALID_ARGUMENT', `packing works on whole words; got ${bytes.byteLength} bytes`);
  }
  const n = bytes.byteLength >>> 3;
  // Worst case: a tag and 8 bytes per word, plus a count byte per 255 raw words and one at the end.
  const out = new Uint8Array(bytes.byteLength + n + Math.ceil(n / 255) + 2);
  let o = 0;
  let i = 0;
  while (i < n) {
    const at = i * 8;
    const tagAt = o++;
    let tag = 0;
    for (let b = 0; b < 8; b++) {
      const v = bytes[at + b] as number;
      if (v !== 0) {
        tag |= 1 << b;
        out[o++] = v;
      }
    }
    out[tagAt] = tag;
    i++;
    if (tag === 0) {
      let run = 0;
      while (i < n && run < 255 && isZeroWord(bytes, i * 8)) {
        run++;
        i++;
      }
      out[o++] = run;
    } else if (tag === 0xff) {
      const start = i;
      while (i < n && i - start < 255 && zeroBytes(bytes, i * 8) < 2) i++;
      out[o++] = i - start;
      out.set(bytes.subarray(start * 8, i * 8), o);
      o += (i - start) * 8;
    }
  }
  return out.slice(0, o);
}

function isZeroWord(bytes: Uint8Array, at: number): boolean {
  for (let b = 0; b < 8; b++) if (bytes[at + b] !== 0) return false;
  return true;
}

function zeroBytes(bytes: Uint8Array, at: number): number {
  let z = 0;
  for (let b = 0; b < 8; b++) if (bytes[at + b] === 0) z++;
  return z;
}

/**
 * Unpacks `packed`. The output size is found first, without writing anything, so input that would unpack
 * to more than `maxBytes` (zero runs multiply a byte by up to 2040) is refused before any allocation.
 */
export function unpack(packed: Uint8Array, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  const n = packed.byteLength;
  let size = 0;
  let i = 0;
  while (i < n) {
    const tag = packed[i++] as number;
    i += popcount8(tag);
    size += 8;
    if (tag === 0 || tag === 0xff) {
      if (i >= n) throw truncated(i);
      const count = packed[i++] as number;
      size += count * 8;
      if (tag === 0xff) i += count * 8;
    }
    if (i > n) throw truncated(n);
    if (size > maxBytes) {
      throw new CapnpError('TOO_LARGE', `packed input unpacks to more than the limit of ${maxBytes} bytes`);
    }
  }
  const out = new Uint8Array(size);
  let o = 0;
  i = 0;
  while (i < n) {
    const tag = packed[i++] as number;
    for (let b = 0; b < 8; b++) out[o + b] = (tag >>> b) & 1 ? (packed[i++] as number) : 0;
    o += 8;
    if (tag === 0) {
      o += (packed[i++] as number) * 8;
    } else if (tag === 0xff) {
      const count = packed[i++] as number;
      out.set(packed.subarray(i, i + count * 8), o);
      i += count * 8;
      o += count * 8;
    }
  }
  return out;
}

function popcount8(v: number): number {
  v = v - ((v >>> 1) & 0x55);
  v = (v & 0x33) + ((v >>> 2) & 0x33);
  return (v + (v >>> 4)) & 0x0f;
}

function truncated(at: number): CapnpError {
  return new CapnpError('BAD_PACKING', `packed input ends in the middle of a word or run (byte ${at})`);
}
