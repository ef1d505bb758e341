/**
 * The host CPU's vendor and the CPUID feature bits that decide how its x87 unit reports the
 * last-instruction pointers, for the tests that compare the x87 model with the host. The simulated CPU
 * has one behaviour, the one of the AMD hosts its tests were measured on; on other hosts the tests relax
 * exactly the implementation-specific parts named here.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHostProgram } from './host-program';

const here = dirname(fileURLToPath(import.meta.url));

export interface HostX87 {
  /** The CPUID vendor string ('' when it cannot be read). */
  vendor: string;
  /**
   * FCS and FDS are saved as zero: CPUID.(EAX=7,ECX=0):EBX[13] ("deprecates FPU CS and FPU DS").
   */
  zeroSelectors: boolean;
  /** FDP is updated only by an x87 instruction that incurs an unmasked exception: EBX[6] (FDP_EXCPTN_ONLY). */
  fdpOnUnmaskedOnly: boolean;
  /**
   * FOP is updated only by an x87 instruction that incurs an unmasked exception: Intel processors with the
   * FOP compatibility mode off (IA32_MISC_ENABLE[2] clear, the default); no CPUID bit reports it.
   */
  fopOnUnmaskedOnly: boolean;
  /**
   * Whether the host's implementation-specific x87 results are the ones the model reproduces (AMD): the
   * bits of the transcendental instructions (F2XM1, FYL2X, FYL2XP1, FPATAN, FPTAN, FSIN, FCOS, FSINCOS),
   * of which the architecture guarantees only the accuracy, and the few cases listed in the tests.
   */
  modelledVendor: boolean;
}

/** AMD (Hygon processors are AMD Zen cores), Intel, or another vendor (or CPUID could not be read). */
export type Vendor = 'amd' | 'intel' | 'other';

let cached: HostX87 | undefined;
let cachedVendor: Vendor | undefined;

/** The host CPU's vendor, from CPUID (read once). */
export function hostVendor(): Vendor {
  if (cachedVendor === undefined) {
    const vendor = hostX87().vendor;
    cachedVendor =
      vendor === 'AuthenticAMD' || vendor === 'HygonGenuine'
        ? 'amd'
        : vendor === 'GenuineIntel'
          ? 'intel'
          : 'other';
  }
  return cachedVendor;
}

function readCpuid(): { vendor: string; ebx7: number } | null {
  const built = buildHostProgram(join(here, 'cpuid.c'), 'support', 'reading the host CPUID');
  if (!built.path) return null;
  const res = spawnSync(built.path, [], { encoding: 'utf8' });
  const m = /^(\S+) ([0-9a-f]{8})$/.exec(res.stdout.trim());
  return res.status === 0 && m ? { vendor: m[1] as string, ebx7: Number.parseInt(m[2] as string, 16) } : null;
}

/** The host's x87 reporting behaviour (read once). */
export function hostX87(): HostX87 {
  if (cached) return cached;
  const id = readCpuid();
  const vendor = id?.vendor ?? '';
  const ebx7 = id?.ebx7 ?? 0;
  cached = {
    vendor,
    zeroSelectors: (ebx7 & (1 << 13)) !== 0,
    fdpOnUnmaskedOnly: (ebx7 & (1 << 6)) !== 0,
    fopOnUnmaskedOnly: vendor === 'GenuineIntel',
    modelledVendor: vendor === 'AuthenticAMD' || vendor === 'HygonGenuine',
  };
  return cached;
}
