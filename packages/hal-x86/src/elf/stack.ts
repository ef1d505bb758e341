/**
 * The initial process stack of a Linux x86-64 executable, laid out like fs/binfmt_elf.c create_elf_tables
 * (after fs/exec.c has copied the strings) and as the System V x86-64 psABI (3.4.1) describes it.
 *
 * From the top of the stack down:
 *
 *   stackTop - 8      8 zero bytes (end marker)
 *                     the executable's file name (AT_EXECFN points here)
 *                     environment strings (envp[envc-1] highest), then argument strings (argv[0] lowest)
 *                     -- rounded down to 16 bytes --
 *                     platform string "x86_64" (AT_PLATFORM)
 *                     16 random bytes (AT_RANDOM)
 *                     padding so that RSP ends 16-byte aligned
 *                     auxv pairs, ending with AT_NULL
 *                     0, envp[envc-1] ... envp[0]
 *                     0, argv[argc-1] ... argv[0]
 *   RSP ->            argc
 *
 * Pointer arrays grow upwards from RSP (argv[0] at RSP+8). The builder is pure: it returns the bytes of
 * [sp, stackTop) and every address it chose, and the caller copies the bytes into guest memory.
 */

/** Auxiliary vector entry types (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h). */
export const AT = {
  NULL: 0,
  IGNORE: 1,
  EXECFD: 2,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  NOTELF: 10,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  BASE_PLATFORM: 24,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
  SYSINFO_EHDR: 33,
  MINSIGSTKSZ: 51,
} as const;

export const AT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(AT).map(([k, v]) => [v, `AT_${k}`]),
);

export type AuxvEntry = [type: number, value: number | bigint];

export interface InitialStackParams {
  /** Exclusive top of the stack mapping; must be 16-byte aligned. */
  stackTop: number;
  argv: readonly string[];
  env: readonly string[];
  /** File name for AT_EXECFN. */
  execfn: string;
  /** AT_PLATFORM string (default "x86_64"). */
  platform?: string;
  /** Exactly 16 bytes for AT_RANDOM (the C library seeds its stack protector and pointer guard from them). */
  random: Uint8Array;
  /**
   * Auxiliary vector without the terminating AT_NULL. The values of AT_RANDOM, AT_EXECFN and AT_PLATFORM
   * entries are replaced by the addresses the builder picks for them.
   */
  auxv: readonly AuxvEntry[];
}

export interface InitialStack {
  /** Initial RSP: 16-byte aligned, pointing at argc. */
  sp: number;
  /** Contents of [sp, stackTop). */
  bytes: Uint8Array;
  argvAddresses: number[];
  envAddresses: number[];
  execfnAddress: number;
  platformAddress: number;
  randomAddress: number;
  /** The auxiliary vector as written (with AT_NULL). */
  auxv: AuxvEntry[];
}

const encoder = new TextEncoder();

/** Linux's limit on the total size of arguments and environment (a quarter of an 8 MiB stack). */
export const MAX_ARG_BYTES = 2 * 1024 * 1024;

function cString(s: string, what: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string`);
  const b = encoder.encode(s);
  if (b.includes(0)) throw new TypeError(`${what} contains a NUL character`);
  return b;
}

export function buildInitialStack(params: InitialStackParams): InitialStack {
  const { stackTop } = params;
  if (!Number.isInteger(stackTop) || stackTop % 16 !== 0 || stackTop <= 0) {
    throw new RangeError(`stackTop must be a positive multiple of 16, got ${stackTop}`);
  }
  if (!(params.random instanceof Uint8Array) || params.random.length !== 16) {
    throw new RangeError('random must be exactly 16 bytes');
  }
  const argv = params.argv.map((s, k) => cString(s, `argv[${k}]`));
  const env = params.env.map((s, k) => cString(s, `env[${k}]`));
  const execfn = cString(params.execfn, 'execfn');
  const platform = cString(params.platform ?? 'x86_64', 'platform');
  const stringBytes = [...argv, ...env, execfn].reduce((n, b) => n + b.length + 1, 0);
  if (stringBytes > MAX_ARG_BYTES) {
    throw new RangeError(
      `arguments and environment take ${stringBytes} bytes, more than the ${MAX_ARG_BYTES} allowed (E2BIG)`,
    );
  }

  // Strings, top down, as fs/exec.c copies them: end marker, file name, environment, arguments.
  let p = stackTop - 8;
  const placed: { at: number; bytes: Uint8Array }[] = [];
  const place = (b: Uint8Array): number => {
    p -= b.length + 1;
    placed.push({ at: p, bytes: b });
    return p;
  };
  const execfnAddress = place(execfn);
  const envAddresses: number[] = new Array(env.length);
  for (let k = env.length - 1; k >= 0; k--) envAddresses[k] = place(env[k] as Uint8Array);
  const argvAddresses: number[] = new Array(argv.length);
  for (let k = argv.length - 1; k >= 0; k--) argvAddresses[k] = place(argv[k] as Uint8Array);

  // create_elf_tables: align, platform string, random bytes, then the tables.
  p -= p % 16;
  const platformAddress = place(platform);
  p -= 16;
  const randomAddress = p;

  const auxv: AuxvEntry[] = params.auxv.map(([type, value]): AuxvEntry => {
    if (type === AT.RANDOM) return [type, randomAddress];
    if (type === AT.EXECFN) return [type, execfnAddress];
    if (type === AT.PLATFORM) return [type, platformAddress];
    return [type, value];
  });
  auxv.push([AT.NULL, 0]);
  const words = 1 + (argv.length + 1) + (env.length + 1) + auxv.length * 2;
  const sp = Math.floor((p - words * 8) / 16) * 16;
  if (sp <= 0) throw new RangeError('initial stack does not fit below stackTop');

  const bytes = new Uint8Array(stackTop - sp);
  const view = new DataView(bytes.buffer);
  const put64 = (at: number, v: number | bigint) =>
    view.setBigUint64(at - sp, BigInt.asUintN(64, BigInt(v)), true);
  for (const s of placed) bytes.set(s.bytes, s.at - sp); // the NUL after each string is already zero
  bytes.set(params.random, randomAddress - sp);
  let w = sp;
  put64(w, argv.length);
  w += 8;
  for (const a of argvAddresses) {
    put64(w, a);
    w += 8;
  }
  put64(w, 0);
  w += 8;
  for (const a of envAddresses) {
    put64(w, a);
    w += 8;
  }
  put64(w, 0);
  w += 8;
  for (const [type, value] of auxv) {
    put64(w, type);
    put64(w + 8, value);
    w += 16;
  }
  return { sp, bytes, argvAddresses, envAddresses, execfnAddress, platformAddress, randomAddress, auxv };
}

export interface LinuxAuxvParams {
  phdr: number;
  phent: number;
  phnum: number;
  entry: number;
  hwcap: number;
  uid: number;
  gid: number;
  /** AT_HWCAP2 (default 0). */
  hwcap2?: number;
  clockTicks?: number;
}

/** The auxiliary vector Linux 6.x passes to a static executable, in the kernel's order (no vDSO). */
export function linuxAuxv(p: LinuxAuxvParams): AuxvEntry[] {
  return [
    [AT.HWCAP, p.hwcap >>> 0],
    [AT.PAGESZ, 4096],
    [AT.CLKTCK, p.clockTicks ?? 100],
    [AT.PHDR, p.phdr],
    [AT.PHENT, p.phent],
    [AT.PHNUM, p.phnum],
    [AT.BASE, 0],
    [AT.FLAGS, 0],
    [AT.ENTRY, p.entry],
    [AT.UID, p.uid],
    [AT.EUID, p.uid],
    [AT.GID, p.gid],
    [AT.EGID, p.gid],
    [AT.SECURE, 0],
    [AT.RANDOM, 0],
    [AT.HWCAP2, p.hwcap2 ?? 0],
    [AT.EXECFN, 0],
    [AT.PLATFORM, 0],
  ];
}
