/**
 * Architectural state of the x87 FPU: eight 80-bit data registers (stored in their 10-byte memory format,
 * indexed physically), the control, status and tag words, and the last-instruction pointers that FSTENV
 * and FXSAVE report.
 */
export class X87State {
  /** Physical registers R0..R7, 10 bytes each (little-endian extended-precision format). */
  readonly data = new Uint8Array(80);
  /** Control word: all exceptions masked, 64-bit precision, round to nearest (the FNINIT value). */
  fcw = 0x037f;
  /** Status word without TOP (kept separately in `top`). */
  fsw = 0;
  /** Index of the physical register that is ST(0). */
  top = 0;
  /** Two bits per physical register: 0 valid, 1 zero, 2 special, 3 empty. */
  ftw = 0xffff;
  fip = 0;
  fdp = 0;
  fop = 0;

  reset(): void {
    this.data.fill(0);
    this.fcw = 0x037f;
    this.fsw = 0;
    this.top = 0;
    this.ftw = 0xffff;
    this.fip = 0;
    this.fdp = 0;
    this.fop = 0;
  }

  /** The status word as FNSTSW stores it (TOP in bits 11..13). */
  get statusWord(): number {
    return (this.fsw & ~0x3800) | ((this.top & 7) << 11);
  }
}
