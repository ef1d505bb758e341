/**
 * Hand-encoded x86-64 instructions for small test programs (integer instructions and `syscall` only, so
 * the tests do not depend on SSE or x87 support).
 */
export const R = {
  rax: 0,
  rcx: 1,
  rdx: 2,
  rbx: 3,
  rsp: 4,
  rbp: 5,
  rsi: 6,
  rdi: 7,
  r8: 8,
  r9: 9,
  r10: 10,
} as const;

function le(value: bigint, bytes: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(bytes * 8, value);
  for (let k = 0; k < bytes; k++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

export class Asm {
  readonly bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  raw(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  /** mov r64, imm64 (REX.W B8+r). */
  movImm(reg: number, value: number | bigint): this {
    return this.raw(0x48 | (reg >= 8 ? 1 : 0), 0xb8 + (reg & 7), ...le(BigInt(value), 8));
  }

  /** mov dst, src (64-bit registers). */
  mov(dst: number, src: number): this {
    return this.raw(
      0x48 | (src >= 8 ? 4 : 0) | (dst >= 8 ? 1 : 0),
      0x89,
      0xc0 | ((src & 7) << 3) | (dst & 7),
    );
  }

  /** lea reg, [rip + disp32] addressing `target` (an address relative to the code's own start, `origin`). */
  leaRip(reg: number, target: number, origin: number): this {
    const next = origin + this.length + 7;
    return this.raw(
      0x48 | (reg >= 8 ? 4 : 0),
      0x8d,
      0x05 | ((reg & 7) << 3),
      ...le(BigInt(target - next), 4),
    );
  }

  syscall(): this {
    return this.raw(0x0f, 0x05);
  }

  /** A system call with up to six arguments (rdi rsi rdx r10 r8 r9). */
  sys(nr: number, ...args: (number | bigint)[]): this {
    const regs = [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9];
    args.forEach((a, k) => {
      this.movImm(regs[k] as number, a);
    });
    return this.movImm(R.rax, nr).syscall();
  }

  exit(code: number): this {
    return this.sys(231, code);
  }

  ud2(): this {
    return this.raw(0x0f, 0x0b);
  }

  /** mov [abs32], rax — a store to a sign-extended 32-bit absolute address. */
  storeAbs(addr: number): this {
    return this.raw(0x48, 0x89, 0x04, 0x25, ...le(BigInt(addr), 4));
  }

  /** mov rax, [abs32] */
  loadAbs(addr: number): this {
    return this.raw(0x48, 0x8b, 0x04, 0x25, ...le(BigInt(addr), 4));
  }

  /** mov [reg], rax */
  storeTo(reg: number): this {
    if (reg === R.rsp) return this.raw(0x48, 0x89, 0x04, 0x24);
    return this.raw(0x48 | (reg >= 8 ? 1 : 0), 0x89, reg & 7);
  }

  /** mov rax, [reg] */
  loadFrom(reg: number): this {
    if (reg === R.rsp) return this.raw(0x48, 0x8b, 0x04, 0x24);
    return this.raw(0x48 | (reg >= 8 ? 1 : 0), 0x8b, reg & 7);
  }

  /** sub rsp, imm32 */
  subRsp(n: number): this {
    return this.raw(0x48, 0x81, 0xec, ...le(BigInt(n), 4));
  }

  /** dec rcx */
  decRcx(): this {
    return this.raw(0x48, 0xff, 0xc9);
  }

  /** jnz to a position recorded with `here()` (rel8 or rel32). */
  jnz(target: number): this {
    const rel8 = target - (this.length + 2);
    if (rel8 >= -128 && rel8 < 128) return this.raw(0x75, rel8 & 0xff);
    return this.raw(0x0f, 0x85, ...le(BigInt(target - (this.length + 6)), 4));
  }

  /** jmp to self. */
  spin(): this {
    return this.raw(0xeb, 0xfe);
  }

  here(): number {
    return this.length;
  }

  /** xor ecx, ecx; div ecx (divide by zero). */
  divideByZero(): this {
    return this.raw(0x31, 0xc9, 0xf7, 0xf1);
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
