/**
 * x86-64 paging-structure entry layout (Intel SDM vol. 3, 4.5). The same bits serve PML4E, PDPTE, PDE and
 * PTE; PS selects a large page in a PDPTE (1 GiB) or PDE (2 MiB).
 */
export const Pte = {
  P: 1 << 0, // present
  RW: 1 << 1, // writable
  US: 1 << 2, // user accessible
  PWT: 1 << 3,
  PCD: 1 << 4,
  A: 1 << 5, // accessed: set by the walker
  D: 1 << 6, // dirty: set by the walker on the first write (leaf entries only)
  PS: 1 << 7, // page size: large page in a PDE/PDPTE
  G: 1 << 8, // global: survives a CR3 reload
  /** Bits 9-11 are ignored by the MMU and free for software (for example a copy-on-write marker). */
  AVL0: 1 << 9,
  AVL1: 1 << 10,
  AVL2: 1 << 11,
} as const;

/** NX is bit 63: bit 31 of the high 32-bit half of an entry. */
export const PTE_NX_HI = 1 << 31;
/** Physical-address bits 12..51 of an entry, as the low and high 32-bit halves. */
export const PTE_ADDR_LO_MASK = 0xfffff000;
export const PTE_ADDR_HI_MASK = 0x000fffff;

/** Builds an entry as a bigint, for host-side code and tests. */
export function makePte(physAddr: number | bigint, flags: number, noExecute = false): bigint {
  const pa = BigInt(physAddr);
  if ((pa & 0xfffn) !== 0n) throw new RangeError(`page-table entry address 0x${pa.toString(16)} is not 4 KiB aligned`);
  return pa | BigInt(flags & 0xfff) | (noExecute ? 1n << 63n : 0n);
}
