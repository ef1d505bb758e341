/**
 * One segment of a message: a run of 64-bit words in one contiguous buffer. Readers view the bytes they
 * were given (no copy); builders allocate words at the end of a segment until it is full.
 */
export class Segment {
  /** Little-endian access to the words (a DataView reads any alignment, so input need not be aligned). */
  view: DataView;
  constructor(
    /** Index of the segment in its message, as far pointers name it. */
    readonly id: number,
    /** The segment's bytes; for a builder, its whole capacity. */
    public bytes: Uint8Array,
    /** Words in use: for a reader, the segment's length; for a builder, the words allocated so far. */
    public used: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Capacity in words. */
  get capacity(): number {
    return this.bytes.byteLength >>> 3;
  }

  /** The words in use, as bytes (a view, not a copy). */
  contents(): Uint8Array {
    return this.bytes.subarray(0, this.used * 8);
  }
}
