/**
 * Random encodings from a whitelist of baseline integer opcodes, with random prefixes, REX and operand
 * bytes: checks the decoder (instruction length, #UD/#GP for invalid forms, prefix handling) as much as
 * the semantics. The instruction is cut at the length the emulator's decoder reports, so a wrong length
 * shows up as a RIP mismatch (the host executes the bytes after it, or swallows the int3 filler).
 *
 * Excluded: anything that would make the host process misbehave or that differs by design (system
 * instructions, far transfers, segment register loads, SYSCALL/INT n, CPUID/RDTSC, x87/SSE/VEX/EVEX,
 * extensions the emulated CPU does not advertise).
 */
import { Decoder, OPCODE_TABLE } from '../../src/index';
import { CaseBuilder, DATA_PAGE, DF, INSN_ADDR, mask, PAGE, RDI, type Rng, RSI, RSP } from './gen';
import type { Case } from './harness';

const decoder = new Decoder(OPCODE_TABLE);

const ONE_BYTE: number[] = [];
const add = (lo: number, hi = lo) => {
  for (let k = lo; k <= hi; k++) ONE_BYTE.push(k);
};
for (let op = 0; op < 8; op++) add(op * 8, op * 8 + 5); // ALU
add(0x06, 0x07);
add(0x0e);
add(0x16, 0x17);
add(0x1e, 0x1f);
add(0x27);
add(0x2f);
add(0x37);
add(0x3f); // invalid
add(0x50, 0x5f);
add(0x60, 0x61);
add(0x63);
add(0x68, 0x6f);
add(0x70, 0x7f);
add(0x80, 0x8b);
add(0x8d);
add(0x8f);
add(0x90, 0x9f);
add(0xa0, 0xaf);
add(0xb0, 0xbf);
add(0xc0, 0xc3);
add(0xc6, 0xc9);
add(0xce);
add(0xd0, 0xd7);
add(0xe0, 0xe9);
add(0xea, 0xef);
add(0xeb);
add(0xf4, 0xf7);
add(0xf8, 0xff);
const TWO_BYTE: number[] = [];
const add2 = (lo: number, hi = lo) => {
  for (let k = lo; k <= hi; k++) TWO_BYTE.push(k);
};
add2(0x0b);
add2(0x0d);
add2(0x18, 0x19);
add2(0x1c, 0x1f);
add2(0x40, 0x4f);
add2(0x80, 0x9f);
add2(0xa3, 0xa5);
add2(0xab, 0xad);
add2(0xaf);
add2(0xb0, 0xb1);
add2(0xb3);
add2(0xb6, 0xb7);
add2(0xb9, 0xbf);
add2(0xc0, 0xc1);
add2(0xc7);
add2(0xc8, 0xcf);
add2(0xff);

const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65];

/** Rejects encodings outside the fuzzed space (see the module comment). */
function excluded(prefixes: number[], rex: number, map: number, op: number, modrm: number): boolean {
  const reg = (modrm >> 3) & 7;
  const has = (p: number) => prefixes.includes(p);
  // 66 on a near branch: Intel ignores it in 64-bit mode, AMD truncates RIP to 16 bits
  const nearBranch =
    map === 0
      ? (op >= 0x70 && op <= 0x7f) ||
        (op >= 0xe0 && op <= 0xe3) ||
        [0xe8, 0xe9, 0xeb, 0xc2, 0xc3].includes(op) ||
        (op === 0xff && (reg === 2 || reg === 4))
      : op >= 0x80 && op <= 0x8f;
  if (nearBranch && has(0x66)) return true;
  // REP prefixes on LOOPE/LOOPNE are reserved: some AMD parts then ignore the ZF condition
  if (map === 0 && (op === 0xe0 || op === 0xe1) && (has(0xf2) || has(0xf3))) return true;
  if (map === 0) {
    if ((op === 0xc6 || op === 0xc7) && reg === 7) return true; // XABORT/XBEGIN (RTM)
    if (op === 0xff && (reg === 3 || reg === 5)) return true; // far CALL/JMP
    if (op === 0x8f && reg !== 0) return true; // XOP on some AMD parts
    if (op === 0x9b) return true; // FWAIT: x87 state
    if (op === 0x63 && has(0x66)) return true; // MOVSXD r16: vendor-specific
    return false;
  }
  if ((op === 0xbc || op === 0xbd) && (has(0xf3) || has(0xf2))) return true; // TZCNT/LZCNT
  if (op === 0xb9 && has(0xf3)) return true;
  if (op >= 0x18 && op <= 0x1f && (has(0xf3) || has(0xf2))) return true; // CET and other hint spaces
  if (op === 0xc7 && (reg !== 1 || (rex & 8) !== 0 || has(0xf3) || has(0xf2) || has(0x66))) return true; // only CMPXCHG8B
  if (op === 0x0d && (modrm >= 0xc0 || reg !== 1)) return true; // only PREFETCHW m8 is the same everywhere
  if ([0xa4, 0xa5, 0xac, 0xad].includes(op) && has(0x66)) return true; // 16-bit SHLD/SHRD: count > 16 undefined
  if (op >= 0xc8 && op <= 0xcf && has(0x66)) return true; // 16-bit BSWAP: undefined
  return false;
}

export function fuzzFamily(r: Rng): Case {
  for (;;) {
    const c = tryFuzz(r);
    if (c) return c;
  }
}

function tryFuzz(r: Rng): Case | null {
  const b = new CaseBuilder(r);
  // Most registers point into the data page, so memory operands often land there.
  for (let k = 0; k < 16; k++) {
    if (r.chance(0.6))
      b.regs[k] = BigInt(DATA_PAGE + r.int(PAGE)) | (r.chance(0.1) ? r.u64() & ~mask(32) & mask(64) : 0n);
  }
  if (r.chance(0.7)) b.regs[RSP] = BigInt(DATA_PAGE + r.range(0x100, PAGE - 0x100));
  const prefixes: number[] = [];
  const np = r.pick([0, 0, 0, 1, 1, 2, 3]);
  for (let k = 0; k < np; k++) prefixes.push(r.pick(PREFIXES));
  const rex = r.chance(0.4) ? 0x40 | r.int(16) : 0;
  const twoByte = r.chance(0.35);
  const op = twoByte ? r.pick(TWO_BYTE) : r.pick(ONE_BYTE);
  const tail = Array.from({ length: 14 }, () => r.int(256));
  // bias the ModRM byte towards short memory forms and registers
  if (r.chance(0.5)) tail[0] = (r.pick([0, 1, 3, 3]) << 6) | (r.int(8) << 3) | r.int(8);
  if (excluded(prefixes, rex, twoByte ? 1 : 0, op, tail[0] as number)) return null;
  const bytes = [...prefixes, ...(rex ? [rex] : []), ...(twoByte ? [0x0f] : []), op, ...tail];
  const insn = decoder.decode(Uint8Array.from(bytes), 0, bytes.length, INSN_ADDR);
  const len = Math.min(insn.len, 15);
  // ENTER with a nesting level reads frame pointers after pushing RBP: when such a read faults, whether
  // the earlier stores remain visible is implementation-specific. Level 0 only.
  if (!twoByte && op === 0xc8 && (bytes[len - 1] as number) % 32 !== 0) return null;
  // A relative branch into its own bytes would make the host run other instructions (not int3).
  const rel = relativeTarget(twoByte, op, bytes.slice(0, len));
  if (rel !== null && rel >= INSN_ADDR && rel < INSN_ADDR + len) return null;
  // String instructions: keep both pointers in the data page. When both operands fault, which fault
  // is reported first is not architectural (AMD accesses rDI first, the emulator rSI).
  // (Segment overrides on string sources are covered by the segment family.)
  if (!twoByte && op >= 0xa4 && op <= 0xaf) {
    if (prefixes.includes(0x64) || prefixes.includes(0x65)) return null;
    const a32 = prefixes.includes(0x67);
    for (const reg of [RSI, RDI])
      b.regs[reg] =
        BigInt(DATA_PAGE + r.int(PAGE)) | (a32 && r.chance(0.5) ? r.u64() & ~mask(32) & mask(64) : 0n);
  }
  if (prefixes.includes(0x64))
    b.fsBase = r.chance(0.5) ? BigInt(r.range(1, 0xfffff)) << 12n : (r.u64() & mask(47)) | 1n;
  if (prefixes.includes(0x65) && r.chance(0.5)) b.gsBase = (r.u64() & mask(47)) | 1n;
  b.flagMask = DF;
  const mnemonic = insn.def.mnemonic;
  if ((mnemonic === 'bsf' || mnemonic === 'bsr') && insn.mod === 3) b.ignoreRegs |= 1 << insn.reg;
  if (mnemonic === 'bsf' || mnemonic === 'bsr') b.ignoreRegs |= 1 << insn.reg;
  b.note = `fuzz ${mnemonic} ${twoByte ? '0f ' : ''}${op.toString(16).padStart(2, '0')}`;
  return b.build(bytes.slice(0, len));
}

/** Target of a rel8/rel32 branch (Jcc, JMP, CALL, LOOPcc, JrCXZ) encoded in `code`, else null. */
function relativeTarget(twoByte: boolean, op: number, code: number[]): number | null {
  const end = INSN_ADDR + code.length;
  const rel8 = () => ((code[code.length - 1] as number) << 24) >> 24;
  const rel32 = () => {
    const k = code.length - 4;
    return (
      (code[k] as number) |
      ((code[k + 1] as number) << 8) |
      ((code[k + 2] as number) << 16) |
      ((code[k + 3] as number) << 24) |
      0
    );
  };
  if (!twoByte && ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op === 0xeb))
    return end + rel8();
  if ((!twoByte && (op === 0xe8 || op === 0xe9)) || (twoByte && op >= 0x80 && op <= 0x8f))
    return end + rel32();
  return null;
}
