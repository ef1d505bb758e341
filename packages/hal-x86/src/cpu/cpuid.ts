/**
 * What CPUID reports: the x86-64 baseline (the "x86-64-v1" level: FPU, TSC, CX8, CMOV, MMX, FXSR, SSE,
 * SSE2, SYSCALL, NX, LM) and nothing more, so that libraries pick their baseline code paths. In particular
 * no SSE3/SSSE3/SSE4, POPCNT, AVX, BMI, CX16, XSAVE or RDRAND: those instructions raise #UD here.
 */
const VENDOR = 'ExoV6 vCPU  '; // 12 bytes, as the vendor-id string in EBX EDX ECX
const BRAND = 'ExoV6 simulated x86-64 CPU (baseline)'.padEnd(48, '\0');

function str4(s: string, offset: number): number {
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v << 8) | s.charCodeAt(offset + k);
  return v | 0;
}

/** CPUID.1:EDX feature bits advertised. */
export const CPUID1_EDX =
  (1 << 0) | // FPU
  (1 << 4) | // TSC
  (1 << 5) | // MSR
  (1 << 6) | // PAE
  (1 << 8) | // CX8
  (1 << 13) | // PGE
  (1 << 15) | // CMOV
  (1 << 16) | // PAT
  (1 << 19) | // CLFSH
  (1 << 23) | // MMX
  (1 << 24) | // FXSR
  (1 << 25) | // SSE
  (1 << 26); // SSE2

/** Returns [eax, ebx, ecx, edx] for a leaf and subleaf. */
export function cpuidLeaf(leaf: number, _subleaf: number): [number, number, number, number] {
  const l = leaf >>> 0;
  switch (l) {
    case 0:
      return [1, str4(VENDOR, 0), str4(VENDOR, 8), str4(VENDOR, 4)];
    case 1:
      // Family 6, model 0x0f, stepping 1; CLFLUSH line size 8 qwords (64 bytes).
      return [0x000006f1, 0x00000800, 0, CPUID1_EDX];
    case 0x80000000:
      return [0x80000008, 0, 0, 0];
    case 0x80000001:
      return [0, 0, 0, (1 << 11) | (1 << 20) | (1 << 29)]; // SYSCALL, NX, LM
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const base = (l - 0x80000002) * 16;
      return [str4(BRAND, base), str4(BRAND, base + 4), str4(BRAND, base + 8), str4(BRAND, base + 12)];
    }
    case 0x80000008:
      return [0x00003028, 0, 0, 0]; // 40 physical, 48 linear address bits
    default:
      // Leaves above the maximum report zeros (a documented choice; Intel repeats the highest basic leaf).
      return [0, 0, 0, 0];
  }
}
