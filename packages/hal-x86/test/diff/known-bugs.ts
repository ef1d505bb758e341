/**
 * CPU bugs found by the differential tests.
 *
 * KNOWN_BUGS lists the open ones, each with the class of generated cases it affects and minimal
 * hand-written reproducers. The family tests leave the affected cases out of their main assertion and
 * check them in a separate test named after the bug, which fails until the CPU is fixed. Once it passes,
 * move the entry to FIXED: the cases then return to the family's main test, and its reproducers run
 * there as regression cases.
 *
 * REGRESSIONS keeps the reproducers of fixed bugs; they run with their family's random cases.
 */

import { ALL_FLAGS, DATA_PAGE } from './gen';
import type { Case } from './harness';

export interface KnownBug {
  id: string;
  title: string;
  /** Families whose generated cases may hit the bug. */
  families: string[];
  /** Selects the affected generated cases (by their description). */
  affects: (c: Case) => boolean;
  /** Minimal reproducers, run natively and on the emulator like any other case. */
  repro: Case[];
}

/** A hand-written case: registers default to distinctive values, flags to none. */
export function handCase(
  code: number[],
  regs: Partial<Record<number, bigint>>,
  opts: { rflags?: number; data?: [number, number[]][]; note: string; flagMask?: number },
): Case {
  return {
    code: Uint8Array.from(code),
    regs: Array.from({ length: 16 }, (_, r) => regs[r] ?? 0x0101010101010101n * BigInt(r + 1)),
    rflags: opts.rflags ?? 0,
    seed: 12345,
    patches: (opts.data ?? []).map(([off, bytes]) => ({ off, bytes: Uint8Array.from(bytes) })),
    flagMask: opts.flagMask ?? ALL_FLAGS,
    ignoreRegs: 0,
    ignoreMem: undefined,
    fsBase: 0n,
    gsBase: 0n,
    note: opts.note,
  };
}

const RAX = 0;
const RCX = 1;
const RDX = 2;
const RBX = 3;
const RSP = 4;
const RBP = 5;
const RDI = 7;

/** Prefixes, REX, map and opcode of a case from the fuzz family (null for other families). */
export function fuzzShape(
  c: Case,
): { prefixes: number[]; rex: number; map: number; op: number; modrm: number } | null {
  if (!c.note.startsWith('fuzz ')) return null;
  const b = c.code;
  let k = 0;
  const prefixes: number[] = [];
  while (
    k < b.length &&
    [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65].includes(b[k] as number)
  )
    prefixes.push(b[k++] as number);
  let rex = 0;
  if (k < b.length && ((b[k] as number) & 0xf0) === 0x40) rex = b[k++] as number;
  let map = 0;
  if (b[k] === 0x0f) {
    map = 1;
    k++;
  }
  return { prefixes, rex, map, op: b[k] as number, modrm: (b[k + 1] as number) ?? 0 };
}

/** True when the ModRM memory operand after the opcode has RSP or RBP as its base register. */
function stackBased(c: Case, s: NonNullable<ReturnType<typeof fuzzShape>>): boolean {
  const at = s.prefixes.length + (s.rex ? 1 : 0) + s.map + 1;
  const modrm = c.code[at] ?? 0;
  const mod = modrm >> 6;
  if (mod === 3) return false;
  let base = modrm & 7;
  if (base === 4) base = (c.code[at + 1] ?? 0) & 7;
  else if (base === 5 && mod === 0) return false;
  if (base === 5 && mod === 0) return false;
  return (base === 4 || base === 5) && (s.rex & 1) === 0;
}

const fuzz = (c: Case, test: (s: NonNullable<ReturnType<typeof fuzzShape>>) => boolean): boolean => {
  const s = fuzzShape(c);
  return s !== null && test(s);
};

/**
 * Bugs fixed since they were found, kept with their reproducers: each reproducer also runs, as a
 * regression case, with the random cases of every family the bug was seen in (see REGRESSIONS below).
 */
const FIXED: KnownBug[] = [
  // AMD behaviour; Intel stores the return address before the #GP (see vendor.ts)
  {
    id: 'call-noncanonical-pushes',
    title:
      'CALL to a non-canonical target must raise #GP before pushing the return address (memory must be unchanged)',
    families: ['callRet', 'fuzz'],
    affects: (c) =>
      /^call E .*\(non-canonical target\)/.test(c.note) ||
      fuzz(c, (s) => s.map === 0 && s.op === 0xff && ((s.modrm >> 3) & 7) === 2),
    repro: [
      handCase(
        [0xff, 0xd0],
        { [RAX]: 0x800000000000n, [RSP]: BigInt(DATA_PAGE + 0x800) },
        { note: 'call rax (rax = 0x800000000000)' },
      ),
    ],
  },
  {
    id: 'moffs-segment-wrap',
    title:
      'MOV AL/rAX <-> moffs64 with an FS/GS override must add the segment base modulo 2^64 (offset 0xffffffff20000100 + base 2^32 = 0x20000100)',
    families: ['segment', 'fuzz'],
    affects: (c) =>
      /^(fs|gs): mov moffs (load|store)\d+$/.test(c.note) ||
      fuzz(
        c,
        (s) =>
          s.map === 0 &&
          s.op >= 0xa0 &&
          s.op <= 0xa3 &&
          (s.prefixes.includes(0x64) || s.prefixes.includes(0x65)),
      ),
    repro: [
      {
        ...handCase(
          [0x64, 0xa1, 0x00, 0x01, 0x00, 0x20, 0xff, 0xff, 0xff, 0xff],
          {},
          { note: 'mov eax, fs:[0xffffffff20000100] (fs base 2^32)' },
        ),
        fsBase: 0x100000000n,
      },
    ],
  },
  {
    id: 'moffs32-zero-extend',
    title:
      'A 32-bit moffs (0x67 A0-A3) is zero-extended to 64 bits, not sign-extended (CR2 0x80000000, not 0xffffffff80000000)',
    families: ['memFault', 'fuzz'],
    affects: (c) =>
      c.note.includes('moffs32') ||
      fuzz(c, (s) => s.map === 0 && s.op >= 0xa0 && s.op <= 0xa3 && s.prefixes.includes(0x67)),
    repro: [
      handCase([0x67, 0xa1, 0x00, 0x00, 0x00, 0x80], {}, { note: 'mov eax, [0x80000000] (0x67 moffs32)' }),
    ],
  },
  {
    id: 'stack-op-66-rexw',
    title:
      'PUSH/POP/PUSHF/POPF/LEAVE with both 0x66 and REX.W use 64-bit operands (REX.W takes precedence; PUSH Iz keeps a 32-bit immediate)',
    families: ['pushPop', 'fuzz'],
    affects: (c) =>
      c.note.includes('(66+REX.W)') ||
      fuzz(
        c,
        (s) =>
          s.map === 0 &&
          s.prefixes.includes(0x66) &&
          (s.rex & 8) !== 0 &&
          ((s.op >= 0x50 && s.op <= 0x5f) ||
            [0x68, 0x6a, 0x9c, 0x9d, 0xc9].includes(s.op) ||
            (s.op === 0x8f && ((s.modrm >> 3) & 7) === 0) ||
            (s.op === 0xff && ((s.modrm >> 3) & 7) === 6)),
      ),
    repro: [
      handCase(
        [0x66, 0x48, 0x50],
        { [RAX]: 0x1122334455667788n, [RSP]: BigInt(DATA_PAGE + 0x800) },
        { note: 'push rax with 66 REX.W' },
      ),
      handCase(
        [0x66, 0x48, 0x68, 0x78, 0x56, 0x34, 0x12],
        { [RSP]: BigInt(DATA_PAGE + 0x800) },
        { note: 'push 0x12345678 with 66 REX.W' },
      ),
    ],
  },
  {
    id: 'bt-a32-address-wrap',
    title: 'BT/BTS/BTR/BTC m, r with 0x67: EA32 + operand-size * (offset >> log2(bits)) wraps at 4 GiB',
    families: ['bt', 'fuzz'],
    affects: (c) =>
      c.note.includes('(address wraps at 4 GiB)') ||
      fuzz(c, (s) => s.map === 1 && [0xa3, 0xab, 0xb3, 0xbb].includes(s.op) && s.prefixes.includes(0x67)),
    repro: [
      handCase(
        [0x67, 0x48, 0x0f, 0xa3, 0x13],
        { [RBX]: 0xf0000000n, [RDX]: (0x20000100n + (1n << 32n) - 0xf0000000n) * 8n + 3n },
        { note: 'bt [ebx], rdx: ebx = 0xf0000000, rdx reaches 0x20000100 after wrapping' },
      ),
    ],
  },
  {
    id: 'bt-offset-noncanonical-ss',
    title:
      'BT/BTS/BTR/BTC m, r whose bit offset makes an RSP/RBP-based address non-canonical must raise #SS, not #GP',
    families: ['fuzz'],
    affects: (c) =>
      fuzz(c, (s) => s.map === 1 && [0xa3, 0xab, 0xb3, 0xbb].includes(s.op) && stackBased(c, s)),
    repro: [
      handCase(
        [0x48, 0x0f, 0xa3, 0x04, 0x24],
        { [RAX]: 0x8000000000000000n, [RSP]: BigInt(DATA_PAGE + 0x800) },
        { note: 'bt [rsp], rax with rax = -2^63' },
      ),
    ],
  },
  // AMD behaviour; Intel decodes F3 REX.B 90 as PAUSE (see vendor.ts)
  {
    id: 'f3-rexb-90-is-xchg',
    title: 'F3 90 is PAUSE only without REX.B: F3 41 90 is XCHG r8d, eax (F3 49 90: XCHG r8, rax)',
    families: ['exchange', 'fuzz'],
    affects: (c) =>
      /^f3 xchg\d+ Z,A \(REX\.B\)/.test(c.note) ||
      fuzz(c, (s) => s.map === 0 && s.op === 0x90 && (s.rex & 1) !== 0 && s.prefixes.includes(0xf3)),
    repro: [
      handCase(
        [0xf3, 0x49, 0x90],
        { [RAX]: 0x1111222233334444n, 8: 0x5555666677778888n },
        { note: 'f3 49 90: xchg r8, rax' },
      ),
    ],
  },
  {
    id: 'enter-pushes-rbp-imprecisely',
    title: 'ENTER must push RBP exactly: values with |RBP| >= 2^53 lose their low bits',
    families: ['callRet', 'fuzz'],
    affects: (c) => c.note.includes('(|rbp| >= 2^53)') || fuzz(c, (s) => s.map === 0 && s.op === 0xc8),
    repro: [
      handCase(
        [0xc8, 0x10, 0x00, 0x00],
        { [RBP]: 0x91231768eb0ea9d2n, [RSP]: BigInt(DATA_PAGE + 0x800) },
        { note: 'enter 16, 0 with rbp = 0x91231768eb0ea9d2' },
      ),
    ],
  },
];

/** Reproducers of fixed bugs, by family: they run (and must match) with the family's random cases. */
/** Open bugs: none at the moment. */
export const KNOWN_BUGS: KnownBug[] = [];

export const REGRESSIONS: Record<string, Case[]> = {
  // 32-bit shifts, rotates and double shifts with a masked count of 0 still zero-extend the destination
  shift: [
    handCase([0xc1, 0xe0, 0x00], { [RAX]: 0xffffffff12345678n }, { note: 'shl eax, 0' }),
    handCase([0xd3, 0xc8], { [RAX]: 0xffffffff12345678n, [RCX]: 0x20n }, { note: 'ror eax, cl (cl=32)' }),
  ],
  shld: [handCase([0x0f, 0xa4, 0xd8, 0x00], { [RAX]: 0xffffffff12345678n }, { note: 'shld eax, ebx, 0' })],
  // a 64-bit register bit offset of magnitude >= 2^53 keeps its low bits
  bt: [
    handCase(
      [0x48, 0x0f, 0xa3, 0xc8],
      { [RAX]: 2n, [RCX]: 0x4000000000000001n },
      { note: 'bt rax, rcx (rcx = 2^62 + 1)' },
    ),
  ],
  // POPF at CPL 3 loads NT
  pushPop: [
    handCase(
      [0x9d],
      { [RSP]: BigInt(DATA_PAGE + 0x800) },
      {
        data: [[0x800, [0x02, 0x42, 0, 0, 0, 0, 0, 0]]],
        flagMask: ALL_FLAGS | 0x4000,
        note: 'popfq with [rsp] = 0x4202',
      },
    ),
  ],
  // LEA with ModRM.mod = 3 is #UD
  lea: [handCase([0x8d, 0xc0], {}, { note: 'lea eax, eax' })],
  // a REX prefix followed by a legacy prefix is ignored
  prefix: [
    handCase(
      [0x48, 0x2e, 0x01, 0xd8],
      { [RAX]: 0xffffffffffffffffn, [RBX]: 1n },
      { note: 'REX.W, CS, add eax, ebx' },
    ),
  ],
  memFault: [
    // #PF on the second page of a crossing access reports CR2 = first byte of that page
    handCase([0x8b, 0x04, 0x25, 0xfe, 0x0f, 0x00, 0x20], {}, { note: 'mov eax, [0x20000ffe]' }),
    // a non-canonical address with RSP or RBP as base is #SS
    handCase(
      [0x8b, 0x45, 0x00],
      { [RBP]: 0x0000800000000000n },
      { note: 'mov eax, [rbp] (rbp non-canonical)' },
    ),
    handCase(
      [0x89, 0x04, 0x24],
      { [RSP]: 0x8000000000000000n },
      { note: 'mov [rsp], eax (rsp non-canonical)' },
    ),
  ],
  // 0x67 string instructions use only ESI/EDI even when the full registers are >= 2^53
  string: [
    handCase(
      [0x67, 0xaa],
      { [RAX]: 0x5an, [RDI]: 0xbedca40020000063n },
      { note: 'stosb with 0x67, rdi = 0xbedca400_20000063' },
    ),
  ],
  // FS/GS-relative non-canonical addresses are #GP even with an RSP/RBP base
  segment: [
    {
      ...handCase(
        [0x64, 0x8b, 0x45, 0x00],
        { [RBP]: 0x20000n },
        { note: 'mov eax, fs:[rbp] (fs base 0x7fffffff0000)' },
      ),
      fsBase: 0x7fffffff0000n,
    },
  ],
  // XLAT
  misc: [
    handCase(
      [0xd7],
      { [RAX]: 0x05n, [RBX]: BigInt(DATA_PAGE + 0x100) },
      { note: 'xlat with rbx = data+0x100, al = 5' },
    ),
  ],
};

for (const bug of FIXED) {
  for (const family of bug.families) (REGRESSIONS[family] ??= []).push(...bug.repro);
}
