/**
 * The stream framing: a segment table (segment count - 1, then each segment's size in words, padded to
 * a whole word) followed by the segments.
 */
import { CapnpError } from './errors';
import { MAX_SEGMENTS } from './limits';

/** The number of segments the table announces, checked against MAX_SEGMENTS. */
function segmentCount(view: DataView): number {
  const count = view.getUint32(0, true) + 1;
  if (count > MAX_SEGMENTS) {
    throw new CapnpError(
      'BAD_FRAMING',
      `the segment table announces ${count} segments (at most ${MAX_SEGMENTS})`,
    );
  }
  return count;
}

/** Splits a framed message into its segments (views of `bytes`, no copy). */
export function splitFramed(bytes: Uint8Array): { segments: Uint8Array[]; end: number } {
  if (bytes.byteLength < 8) {
    throw new CapnpError('BAD_FRAMING', `a framed message needs at least 8 bytes, got ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = segmentCount(view);
  const tableBytes = (4 + count * 4 + 7) & ~7;
  if (bytes.byteLength < tableBytes) {
    throw new CapnpError('BAD_FRAMING', `the segment table of ${count} segments is truncated`);
  }
  const segments: Uint8Array[] = [];
  let at = tableBytes;
  for (let i = 0; i < count; i++) {
    const words = view.getUint32(4 + i * 4, true);
    const end = at + words * 8;
    if (end > bytes.byteLength) {
      throw new CapnpError(
        'BAD_FRAMING',
        `segment ${i} (${words} words) runs past the end of the message (${bytes.byteLength} bytes)`,
      );
    }
    segments.push(bytes.subarray(at, end));
    at = end;
  }
  return { segments, end: at };
}

/**
 * The length in bytes of the framed message at the start of `bytes`, as its segment table announces it,
 * or null while the table itself is incomplete: how a byte-stream reader knows where a message ends.
 */
export function framedLength(bytes: Uint8Array): number | null {
  if (bytes.byteLength < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = segmentCount(view);
  const tableBytes = (4 + count * 4 + 7) & ~7;
  if (bytes.byteLength < 4 + count * 4) return null;
  let total = tableBytes;
  for (let i = 0; i < count; i++) total += view.getUint32(4 + i * 4, true) * 8;
  return total;
}

/** Frames segments: the segment table, then each segment. */
export function frame(segments: readonly Uint8Array[]): Uint8Array {
  if (segments.length === 0 || segments.length > MAX_SEGMENTS) {
    throw new CapnpError('TOO_LARGE', `a message has 1 to ${MAX_SEGMENTS} segments, not ${segments.length}`);
  }
  const tableBytes = (4 + segments.length * 4 + 7) & ~7;
  let total = tableBytes;
  for (const s of segments) total += s.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, segments.length - 1, true);
  let at = tableBytes;
  segments.forEach((s, i) => {
    view.setUint32(4 + i * 4, s.byteLength >>> 3, true);
    out.set(s, at);
    at += s.byteLength;
  });
  return out;
}
