/**
 * UTF-8 for Text values. Short ASCII strings, the common case in messages, are converted by hand: the
 * TextEncoder/TextDecoder calls cost more than the conversion itself at that size.
 */
const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Decodes `length` bytes of `bytes` from `start` (invalid sequences become U+FFFD, as TextDecoder does). */
export function decodeUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= 24) {
    let s = '';
    for (let i = 0; i < length; i++) {
      const c = bytes[start + i] as number;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, start + length));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

/** Bytes needed to encode `s` as UTF-8 (unpaired surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // four bytes for two UTF-16 units
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Writes `s` as UTF-8 at `start` of `bytes`, which has room for `utf8Length(s)` bytes. */
export function encodeUtf8Into(s: string, bytes: Uint8Array, start: number, length: number): void {
  if (length === s.length) {
    for (let i = 0; i < length; i++) bytes[start + i] = s.charCodeAt(i);
    return;
  }
  encoder.encodeInto(s, bytes.subarray(start, start + length));
}
