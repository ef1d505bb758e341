/**
 * Inline code for the SSE2 instructions that move and combine whole registers or integer lanes: the
 * 128-bit moves, MOVSS/MOVSD, MOVD/MOVQ, PAND/PANDN/POR/PXOR, PADDD/PADDQ/PSUBD/PSUBQ, PMULUDQ,
 * PSLLQ/PSRLQ by a constant and the quadword and float unpacks. They are exact integer operations on the XMM register file (`x`,
 * the Int32Array view of it: register r's dword j is x[4r + j]) with no MXCSR state, which is what lets
 * them be emitted inline; floating-point SSE instructions keep calling their handlers.
 *
 * Instructions are recognised by mnemonic and encoding (opcode, mandatory prefix), which name the
 * architectural operation whatever handler implements it. Legacy-SSE 128-bit memory operands must be
 * 16-byte aligned (#GP otherwise) except for the unaligned moves; every source is read completely before
 * the destination is written, so a fault leaves the destination as it was.
 */
import type { Insn } from '../../isa/insn';
import type { BlockEmitter } from './emitter';
import type { FormEmitter } from './integer-forms';

/** Four dword expressions of a 128-bit value, low first. */
type Vec = [string, string, string, string];

function xmmRead(e: BlockEmitter, r: number): Vec {
  return [0, 1, 2, 3].map((j) => e.bind(`x[${4 * r + j}]`)) as Vec;
}

function xmmWrite(e: BlockEmitter, r: number, v: readonly string[]): void {
  e.emit(v.map((expr, j) => `x[${4 * r + j}] = ${expr};`).join(' '));
}

/** The 128-bit W operand (register or memory; memory is 16-byte aligned unless `unaligned`). */
function readW(e: BlockEmitter, k: number, i: Insn, unaligned = false): Vec {
  if (i.mod === 3) return xmmRead(e, i.rm);
  e.mayFault(k);
  const a = e.address(k);
  if (!unaligned) e.emit(`if ((${a} & 15) !== 0) H.misaligned(I[${k}]);`);
  return e.read128(a);
}

/** Stores 128 bits to the W operand (both halves are checked before either is written). */
function writeW(e: BlockEmitter, k: number, i: Insn, v: Vec, unaligned: boolean): void {
  if (i.mod === 3) {
    xmmWrite(e, i.rm, v);
    return;
  }
  e.mayFault(k);
  const a = e.address(k);
  if (!unaligned) e.emit(`if ((${a} & 15) !== 0) H.misaligned(I[${k}]);`);
  e.writeMem(a, 16, { lo: v[0], hi: v[1], q2: v[2], q3: v[3] }, k);
}

/** A Vx,Wx operation: dst = f(dst, src), computed lane by lane into temporaries first. */
function binary(f: (e: BlockEmitter, d: Vec, s: Vec) => readonly string[]): FormEmitter {
  return (e, k, i) => {
    const s = readW(e, k, i);
    const d = xmmRead(e, i.reg);
    const r = f(e, d, s).map((expr) => e.bind(expr));
    xmmWrite(e, i.reg, r);
    return true;
  };
}

const lanes = (f: (d: string, s: string) => string) => (_e: BlockEmitter, d: Vec, s: Vec) =>
  d.map((dj, j) => f(dj, s[j] as string));

/** 64-bit lane add/subtract on dword pairs. */
function quadwords(subtract: boolean) {
  return (e: BlockEmitter, d: Vec, s: Vec): string[] => {
    const out: string[] = [];
    for (const j of [0, 2]) {
      const [dl, dh, sl, sh] = [d[j], d[j + 1], s[j], s[j + 1]] as string[];
      if (subtract) {
        out.push(`(${dl} - ${sl}) | 0`, `(${dh} - ${sh} - ((${dl} >>> 0) < (${sl} >>> 0) ? 1 : 0)) | 0`);
      } else {
        const lo = e.bind(`(${dl} >>> 0) + (${sl} >>> 0)`);
        out.push(`${lo} | 0`, `(${dh} + ${sh} + (${lo} > 4294967295 ? 1 : 0)) | 0`);
      }
    }
    return out;
  };
}

/** PSLLQ/PSRLQ by an immediate count: each 64-bit lane shifted; counts above 63 clear it. */
function shiftQuadwords(left: boolean): FormEmitter {
  return (e, _k, i) => {
    const n = i.imm & 0xff;
    const d = xmmRead(e, i.rm);
    const out: string[] = [];
    for (const j of [0, 2]) {
      const [lo, hi] = [d[j], d[j + 1]] as string[];
      if (n === 0) out.push(lo, hi);
      else if (n >= 64) out.push('0', '0');
      else if (n >= 32) out.push(left ? '0' : `${hi} >>> ${n - 32}`, left ? `${lo} << ${n - 32}` : '0');
      else if (left) out.push(`${lo} << ${n}`, `(${hi} << ${n}) | (${lo} >>> ${32 - n})`);
      else out.push(`(${lo} >>> ${n}) | (${hi} << ${32 - n})`, `${hi} >>> ${n}`);
    }
    xmmWrite(e, i.rm, out.map((expr) => e.bind(`(${expr}) | 0`)));
    return true;
  };
}

/** MOVAPS/MOVAPD/MOVDQA and the unaligned MOVUPS/MOVUPD/MOVDQU, loads (Vx,Wx) and stores (Wx,Vx). */
function move(unaligned: boolean): FormEmitter {
  return (e, k, i) => {
    const store = i.def.operands[0]?.method === 'W';
    if (store) writeW(e, k, i, xmmRead(e, i.reg), unaligned);
    else xmmWrite(e, i.reg, readW(e, k, i, unaligned));
    return true;
  };
}

/** MOVD/MOVQ Vx, Ey (66 0F 6E): a general register or memory into the low lanes, the rest cleared. */
const movToXmm: FormEmitter = (e, k, i) => {
  if (i.opsize !== 4 && i.opsize !== 8) return false;
  let v: { lo: string; hi: string };
  if (i.mod === 3) v = e.readReg(i.rm, i.opsize);
  else {
    e.mayFault(k);
    v = e.readMem(e.address(k), i.opsize);
  }
  xmmWrite(e, i.reg, [v.lo, v.hi, '0', '0']);
  return true;
};

/** MOVD/MOVQ Ey, Vx (66 0F 7E): the low lanes to a general register (zero-extended) or memory. */
const movFromXmm: FormEmitter = (e, k, i) => {
  if (i.opsize !== 4 && i.opsize !== 8) return false;
  const v = { lo: e.bind(`x[${4 * i.reg}]`), hi: i.opsize === 8 ? e.bind(`x[${4 * i.reg + 1}]`) : '0' };
  if (i.mod === 3) e.writeReg(i.rm, i.opsize, v);
  else {
    e.mayFault(k);
    e.writeMem(e.address(k), i.opsize, v, k);
  }
  return true;
};

/** MOVQ Vx, Wq (F3 0F 7E): the low quadword, upper one cleared. */
const movqLoad: FormEmitter = (e, k, i) => {
  let lo: string;
  let hi: string;
  if (i.mod === 3) [lo, hi] = [e.bind(`x[${4 * i.rm}]`), e.bind(`x[${4 * i.rm + 1}]`)];
  else {
    e.mayFault(k);
    const v = e.readMem(e.address(k), 8);
    [lo, hi] = [v.lo, v.hi];
  }
  xmmWrite(e, i.reg, [lo, hi, '0', '0']);
  return true;
};

/** MOVQ Wq, Vx (66 0F D6): the low quadword to memory, or to a register with its upper quadword cleared. */
const movqStore: FormEmitter = (e, k, i) => {
  const v = { lo: e.bind(`x[${4 * i.reg}]`), hi: e.bind(`x[${4 * i.reg + 1}]`) };
  if (i.mod === 3) xmmWrite(e, i.rm, [v.lo, v.hi, '0', '0']);
  else {
    e.mayFault(k);
    e.writeMem(e.address(k), 8, v, k);
  }
  return true;
};

/**
 * MOVSS/MOVSD: a memory load fills the low element and clears the rest; a register move replaces the low
 * element only; a store writes the low element. `dwords` is 1 for MOVSS, 2 for MOVSD.
 */
function scalarMove(dwords: 1 | 2): FormEmitter {
  return (e, k, i) => {
    const size = dwords * 4;
    if (i.def.opcode === 0x10) {
      if (i.mod === 3) {
        const v = Array.from({ length: dwords }, (_, j) => e.bind(`x[${4 * i.rm + j}]`));
        e.emit(v.map((t, j) => `x[${4 * i.reg + j}] = ${t};`).join(' '));
        return true;
      }
      e.mayFault(k);
      const v = e.readMem(e.address(k), size);
      xmmWrite(e, i.reg, dwords === 2 ? [v.lo, v.hi, '0', '0'] : [v.lo, '0', '0', '0']);
      return true;
    }
    const v = Array.from({ length: dwords }, (_, j) => e.bind(`x[${4 * i.reg + j}]`));
    if (i.mod === 3) e.emit(v.map((t, j) => `x[${4 * i.rm + j}] = ${t};`).join(' '));
    else {
      e.mayFault(k);
      e.writeMem(e.address(k), size, { lo: v[0] as string, hi: v[1] ?? '0' }, k);
    }
    return true;
  };
}

/** Recognised instructions: mnemonic, then a check of the encoding (map 1 opcode and mandatory prefix). */
const SSE_FORMS: Record<string, { opcode: number[]; prefix: number | 'none'; emit: FormEmitter }> = {
  movaps: { opcode: [0x28, 0x29], prefix: 'none', emit: move(false) },
  movapd: { opcode: [0x28, 0x29], prefix: 0x66, emit: move(false) },
  movdqa: { opcode: [0x6f, 0x7f], prefix: 0x66, emit: move(false) },
  movups: { opcode: [0x10, 0x11], prefix: 'none', emit: move(true) },
  movupd: { opcode: [0x10, 0x11], prefix: 0x66, emit: move(true) },
  movdqu: { opcode: [0x6f, 0x7f], prefix: 0xf3, emit: move(true) },
  pand: { opcode: [0xdb], prefix: 0x66, emit: binary(lanes((d, s) => `${d} & ${s}`)) },
  pandn: { opcode: [0xdf], prefix: 0x66, emit: binary(lanes((d, s) => `~${d} & ${s}`)) },
  por: { opcode: [0xeb], prefix: 0x66, emit: binary(lanes((d, s) => `${d} | ${s}`)) },
  pxor: { opcode: [0xef], prefix: 0x66, emit: binary(lanes((d, s) => `${d} ^ ${s}`)) },
  paddd: { opcode: [0xfe], prefix: 0x66, emit: binary(lanes((d, s) => `(${d} + ${s}) | 0`)) },
  psubd: { opcode: [0xfa], prefix: 0x66, emit: binary(lanes((d, s) => `(${d} - ${s}) | 0`)) },
  paddq: { opcode: [0xd4], prefix: 0x66, emit: binary(quadwords(false)) },
  psubq: { opcode: [0xfb], prefix: 0x66, emit: binary(quadwords(true)) },
  pmuludq: {
    opcode: [0xf4],
    prefix: 0x66,
    emit: binary((_e, d, s) => [
      `Math.imul(${d[0]}, ${s[0]})`,
      `H.mulHighU32(${d[0]}, ${s[0]})`,
      `Math.imul(${d[2]}, ${s[2]})`,
      `H.mulHighU32(${d[2]}, ${s[2]})`,
    ]),
  },
  punpcklqdq: { opcode: [0x6c], prefix: 0x66, emit: binary((_e, d, s) => [d[0], d[1], s[0], s[1]]) },
  punpckhqdq: { opcode: [0x6d], prefix: 0x66, emit: binary((_e, d, s) => [d[2], d[3], s[2], s[3]]) },
  unpcklpd: { opcode: [0x14], prefix: 0x66, emit: binary((_e, d, s) => [d[0], d[1], s[0], s[1]]) },
  unpckhpd: { opcode: [0x15], prefix: 0x66, emit: binary((_e, d, s) => [d[2], d[3], s[2], s[3]]) },
  unpcklps: { opcode: [0x14], prefix: 'none', emit: binary((_e, d, s) => [d[0], s[0], d[1], s[1]]) },
  unpckhps: { opcode: [0x15], prefix: 'none', emit: binary((_e, d, s) => [d[2], s[2], d[3], s[3]]) },
  movss: { opcode: [0x10, 0x11], prefix: 0xf3, emit: scalarMove(1) },
  movsd: { opcode: [0x10, 0x11], prefix: 0xf2, emit: scalarMove(2) },
  movd: { opcode: [0x6e, 0x7e], prefix: 0x66, emit: (e, k, i) => (i.def.opcode === 0x6e ? movToXmm : movFromXmm)(e, k, i) },
  psllq: { opcode: [0x73], prefix: 0x66, emit: shiftQuadwords(true) },
  psrlq: { opcode: [0x73], prefix: 0x66, emit: shiftQuadwords(false) },
};

/** The inline emitter for an SSE instruction, or undefined to call its handler. */
export function sseForm(i: Insn): FormEmitter | undefined {
  const def = i.def;
  if (def.map !== 1) return undefined;
  if (def.mnemonic === 'movq') {
    // F3 0F 7E is the load, 66 0F D6 the store; the other MOVQ spellings are MOVD forms with REX.W.
    if (def.opcode === 0x7e && def.prefix === 0xf3) return movqLoad;
    if (def.opcode === 0xd6 && def.prefix === 0x66) return movqStore;
    return undefined;
  }
  const form = SSE_FORMS[def.mnemonic];
  if (form === undefined || !form.opcode.includes(def.opcode) || def.prefix !== form.prefix) return undefined;
  return form.emit;
}
