/** General-purpose register numbers as encoded in modrm/REX. */
export const Reg = {
  RAX: 0,
  RCX: 1,
  RDX: 2,
  RBX: 3,
  RSP: 4,
  RBP: 5,
  RSI: 6,
  RDI: 7,
  R8: 8,
  R9: 9,
  R10: 10,
  R11: 11,
  R12: 12,
  R13: 13,
  R14: 14,
  R15: 15,
} as const;
export type RegName = keyof typeof Reg;

export const REG64_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
export const REG32_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
export const REG16_NAMES = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
/** Byte registers by byte-register code: 0-15 low bytes (with REX), 16-19 the legacy high bytes. */
export const REG8_NAMES = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b', 'ah', 'ch', 'dh', 'bh'];

/** Whether the host stores numbers little-endian (every platform Node runs on in practice). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A register file kept as int32 lo/hi pairs (regs[2n] the low half of register n) seen as 64-bit signed
 * integers: on a little-endian host the same bytes as a BigInt64Array, so reading or writing a register as
 * a bigint is one typed-array access instead of shifts and masks on bigints, each of which allocates.
 * Null on a big-endian host, where the pairs are combined by hand.
 */
export function wideRegisterView(regs: Int32Array): BigInt64Array | null {
  return HOST_LITTLE_ENDIAN ? new BigInt64Array(regs.buffer, regs.byteOffset, regs.length >> 1) : null;
}
