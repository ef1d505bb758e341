/**
 * Forms where Intel and AMD processors differ because the Intel SDM and the AMD APM leave the outcome to
 * the implementation, or only one of them specifies it. The emulator keeps one behaviour, AMD's, on every host. On an AMD host the
 * comparison with the host CPU stays exact. On any other host, and only for these forms, the host's
 * outcome is checked against the other vendor's choice and then mapped to the AMD one, so the emulator
 * is still held to every architecturally defined result:
 *
 *  - F3 + REX.B + 90: the manuals define F3 90 (PAUSE) and REX.B 90 (XCHG r8, rAX) but not the two
 *    together. AMD executes XCHG; Intel ignores REX.B and executes PAUSE. The host runs the same bytes
 *    with the F3 replaced by a DS override (ignored in 64-bit mode), i.e. the XCHG.
 *  - near CALL to a non-canonical target: both raise #GP(0) at the CALL with RSP unchanged. AMD writes
 *    nothing; Intel has already stored the return address in the slot below RSP. An Intel outcome whose
 *    only extra write is that return address counts as "slot untouched".
 *  - REP/REPE/REPNE string instructions with a 32-bit address size (67) and ECX = 0: no iteration runs
 *    on either vendor. AMD leaves RCX/RSI/RDI as they were; Intel may write them back as 32-bit
 *    registers (RCX always, RSI/RDI depending on the instruction), clearing the upper halves. A value
 *    equal to the initial one with the upper half cleared counts as unchanged.
 *  - REPE/REPNE CMPS/SCAS faulting after at least one completed iteration: RCX/RSI/RDI point at the
 *    faulting element on both vendors. The Intel SDM (REP/REPE/REPZ/REPNE/REPNZ) restores RFLAGS to its
 *    value before the instruction; AMD leaves the flags of the last completed comparison. An Intel
 *    outcome with the initial flags is mapped to the flags of that last comparison, computed from the
 *    data page.
 */
import {
  AF,
  ALL_FLAGS,
  CF,
  DATA_PAGE,
  DF,
  fillData,
  INSN_ADDR,
  OF,
  PAGE,
  PF,
  RCX,
  RDI,
  RSI,
  RSP,
  SF,
  ZF,
} from './gen';
import { hostVendor, type Vendor } from '../support/host-cpu';
import type { Case, Outcome } from './harness';

export const HOST_VENDOR: Vendor = hostVendor();

/** True when the host makes the same implementation-specific choices as the emulator (AMD's). */
export const HOST_MATCHES_MODEL = HOST_VENDOR === 'amd';

const LEGACY = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65];

interface Shape {
  prefixes: number[];
  rex: number;
  /** Index of the first opcode byte. */
  at: number;
}

function shape(code: Uint8Array): Shape {
  let k = 0;
  const prefixes: number[] = [];
  while (k < code.length && LEGACY.includes(code[k] as number)) prefixes.push(code[k++] as number);
  let rex = 0;
  // only the REX byte right before the opcode counts; one followed by a legacy prefix is ignored
  while (k < code.length && ((code[k] as number) & 0xf0) === 0x40) rex = code[k++] as number;
  return { prefixes, rex, at: k };
}

/** F3 (REX.B) 90: XCHG r8, rAX on AMD, PAUSE on Intel. */
function isF3RexB90(c: Case): boolean {
  const s = shape(c.code);
  return c.code[s.at] === 0x90 && (s.rex & 1) !== 0 && s.prefixes.includes(0xf3);
}

/**
 * The bytes the host runs for a case: the case's own, except for F3 REX.B 90 on a host that decodes it
 * as PAUSE, which runs with DS (3E) in place of each F3 so that the host executes the XCHG the emulator
 * models (same length, so RIP is unaffected).
 */
export function nativeCase(c: Case): Case {
  if (HOST_MATCHES_MODEL || !isF3RexB90(c)) return c;
  const s = shape(c.code);
  const code = c.code.slice();
  for (let k = 0; k < s.at; k++) if (code[k] === 0xf3) code[k] = 0x3e;
  return { ...c, code };
}

const isNearCall = (c: Case, s: Shape): boolean => {
  const op = c.code[s.at];
  return op === 0xe8 || (op === 0xff && (((c.code[s.at + 1] ?? 0) >> 3) & 7) === 2);
};

/** String opcodes A4-A7 (MOVS, CMPS), AA-AF (STOS, LODS, SCAS). */
const isString = (op: number | undefined): boolean =>
  op !== undefined && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf));

const M32 = 0xffffffffn;

/** The data page as the case starts (as harness.ts initialData). */
function initialData(c: Case): Uint8Array {
  const d = fillData(c.seed);
  for (const p of c.patches) d.set(p.bytes, p.off);
  return d;
}

/**
 * Maps a host outcome that shows the other vendor's choice in one of the forms above to the outcome
 * the AMD behaviour gives; every other outcome is returned unchanged. Always the identity on AMD hosts.
 */
export function asModelled(c: Case, n: Outcome): Outcome {
  if (HOST_MATCHES_MODEL) return n;
  const s = shape(c.code);
  const op = c.code[s.at];
  const at = BigInt(c.insnAddr ?? INSN_ADDR);

  if (n.vector === 13 && n.rip === at && isNearCall(c, s)) {
    const slot = Number((c.regs[RSP] as bigint) - 8n) - DATA_PAGE;
    if (slot >= 0 && slot + 8 <= PAGE) {
      const before = initialData(c);
      const ret = at + BigInt(c.code.length);
      let stored = 0n;
      for (let k = 7; k >= 0; k--)
        stored = (stored << 8n) | BigInt(n.mem.get(slot + k) ?? before[slot + k] ?? 0);
      if (stored === ret) {
        const mem = new Map(n.mem);
        for (let k = 0; k < 8; k++) mem.delete(slot + k);
        return { ...n, mem, detail: 'return address stored below RSP by the faulting CALL dropped' };
      }
    }
    return n;
  }

  const rep = s.prefixes.includes(0xf3) || s.prefixes.includes(0xf2);
  if (!rep || !isString(op)) return n;

  const a32 = s.prefixes.includes(0x67);
  if (a32 && ((c.regs[RCX] as bigint) & M32) === 0n) {
    const regs = n.regs.slice();
    for (const r of [RCX, RSI, RDI]) {
      const init = c.regs[r] as bigint;
      if (regs[r] === (init & M32)) regs[r] = init;
    }
    return { ...n, regs, detail: 'RCX/RSI/RDI written back as 32-bit registers by the count-0 REP undone' };
  }

  const compares = op === 0xa6 || op === 0xa7 || op === 0xae || op === 0xaf;
  const fm = c.flagMask;
  if (
    compares &&
    n.vector >= 0 &&
    n.vector < 32 &&
    n.regs[RCX] !== c.regs[RCX] &&
    (n.rflags & fm) === (c.rflags & fm)
  ) {
    const flags = lastComparisonFlags(c, n, s, op as number, a32);
    if (flags !== null) {
      const rflags = (n.rflags & ~(ALL_FLAGS & ~DF)) | flags;
      return {
        ...n,
        rflags,
        detail: 'RFLAGS restored by the faulting REPE/REPNE replaced by the last comparison',
      };
    }
  }
  return n;
}

/**
 * The arithmetic flags of the last completed CMPS/SCAS iteration (the element before the one RSI/RDI
 * point at when the instruction faulted), or null when that element is not inside the data page.
 */
function lastComparisonFlags(c: Case, n: Outcome, s: Shape, op: number, a32: boolean): number | null {
  const size = (op & 1) === 0 ? 1 : (s.rex & 8) !== 0 ? 8 : s.prefixes.includes(0x66) ? 2 : 4;
  const step = (c.rflags & DF) !== 0 ? -size : size;
  const data = initialData(c);
  const read = (reg: number): bigint | null => {
    let addr = (n.regs[reg] as bigint) - BigInt(step);
    if (a32) addr &= M32;
    const off = Number(addr) - DATA_PAGE;
    if (off < 0 || off + size > PAGE) return null;
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(data[off + k] as number);
    return v;
  };
  const bits = BigInt(size * 8);
  const m = (1n << bits) - 1n;
  // CMPS compares [rSI] with [rDI]; SCAS compares rAX with [rDI]
  const a = op === 0xa6 || op === 0xa7 ? read(RSI) : (c.regs[0] as bigint) & m;
  const b = read(RDI);
  if (a === null || b === null) return null;
  const res = (a - b) & m;
  const top = 1n << (bits - 1n);
  let f = 0;
  if (a < b) f |= CF;
  if (res === 0n) f |= ZF;
  if ((res & top) !== 0n) f |= SF;
  if (((a ^ b) & (a ^ res) & top) !== 0n) f |= OF;
  if (((a ^ b ^ res) & 0x10n) !== 0n) f |= AF;
  let p = Number(res & 0xffn);
  p ^= p >> 4;
  p ^= p >> 2;
  p ^= p >> 1;
  if ((p & 1) === 0) f |= PF;
  return f;
}
