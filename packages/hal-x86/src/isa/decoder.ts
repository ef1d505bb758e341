/**
 * x86-64 instruction decoder for 64-bit mode, driven entirely by the opcode table.
 *
 * It reads legacy prefixes, REX, the opcode (one-byte, 0F, 0F 38, 0F 3A maps), modrm/SIB/displacement and
 * immediates, picks the table row (by mandatory prefix, /digit, register-or-memory form), and returns an
 * Insn. Encodings the table does not list decode to an instruction whose handler raises #UD, so the fault
 * happens only if and when the instruction is executed, at its own address.
 */
import { Vector } from '../cpu/fault';
import { Insn } from './insn';
import { type OpDef, defineOp } from './opdef';
import { raiseFault } from './exec/fault-handlers';

/** Thrown when the instruction continues past the bytes the caller made available. */
export class NeedMoreBytes {
  constructor(readonly have: number) {}
}

export const MAX_INSN_LENGTH = 15;

/** Rows for undecodable encodings: #UD, or #GP(0) for an instruction longer than 15 bytes. */
export const UD_DEF = defineOp({ mnemonic: '(bad)', opcode: 0, exec: raiseFault(Vector.UD), flow: true, size: 'x' });
const TOO_LONG_DEF = defineOp({
  mnemonic: '(bad)',
  opcode: 0,
  exec: raiseFault(Vector.GP, 'instruction longer than 15 bytes'),
  flow: true,
  size: 'x',
});

export class Decoder {
  /** dispatch[map][opcode] = candidate rows. */
  private readonly dispatch: OpDef[][][] = [[], [], [], []];

  constructor(defs: readonly OpDef[]) {
    for (let m = 0; m < 4; m++) for (let o = 0; o < 256; o++) this.dispatch[m][o] = [];
    for (const d of defs) this.dispatch[d.map][d.opcode].push(d);
  }

  /**
   * Decodes one instruction from `code[pos .. pos+avail)`, whose first byte is at linear address `addr`.
   * Throws NeedMoreBytes if the instruction extends beyond `avail` bytes.
   */
  decode(code: Uint8Array, pos: number, avail: number, addr: number): Insn {
    let p = 0;
    const byte = (): number => {
      if (p >= avail) {
        if (p >= MAX_INSN_LENGTH) throw new TooLong();
        throw new NeedMoreBytes(avail);
      }
      if (p >= MAX_INSN_LENGTH) throw new TooLong();
      return code[pos + p++] as number;
    };
    try {
      return this.decodeInner(byte, () => p, addr);
    } catch (e) {
      if (e instanceof TooLong) return this.invalid(TOO_LONG_DEF, addr, MAX_INSN_LENGTH);
      if (e instanceof Invalid) return this.invalid(UD_DEF, addr, Math.max(1, p));
      throw e;
    }
  }

  private invalid(def: OpDef, addr: number, len: number): Insn {
    const i = new Insn(def);
    i.addr = addr;
    i.len = len;
    i.next = addr + len;
    return i;
  }

  private decodeInner(byte: () => number, consumed: () => number, addr: number): Insn {
    let osz = false;
    let asz = false;
    let lock = false;
    let rep = 0;
    let seg = 0;
    let rex = 0;
    let b = byte();
    // Legacy prefixes and REX in any order; a REX counts only if it immediately precedes the opcode.
    for (;;) {
      if ((b & 0xf0) === 0x40) {
        rex = b;
        b = byte();
        continue;
      }
      if (b === 0x66) osz = true;
      else if (b === 0x67) asz = true;
      else if (b === 0xf0) lock = true;
      else if (b === 0xf2 || b === 0xf3) rep = b;
      else if (b === 0x64) seg = 4;
      else if (b === 0x65) seg = 5;
      else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) {
        // ES/CS/SS/DS overrides have no effect in 64-bit mode; a later FS/GS still applies.
      } else break;
      rex = 0; // a REX followed by a legacy prefix is ignored
      b = byte();
    }
    let map: 0 | 1 | 2 | 3 = 0;
    if (b === 0x0f) {
      map = 1;
      b = byte();
      if (b === 0x38) {
        map = 2;
        b = byte();
      } else if (b === 0x3a) {
        map = 3;
        b = byte();
      }
    }
    const opcode = b;
    const candidates = this.dispatch[map][opcode] as OpDef[];
    if (candidates.length === 0) throw new Invalid();

    // Mandatory prefix selection (SSE): the last F2/F3 wins over 66; rows without a prefix rule match always.
    const needsModrm = candidates.some((d) => d.modrm);
    let modrm = -1;
    if (needsModrm) modrm = byte();
    const mod = modrm >> 6;
    const regField = (modrm >> 3) & 7;
    const rmField = modrm & 7;

    let def: OpDef | undefined;
    let prefixConsumed = 0;
    const pick = (pfx: 'none' | 0x66 | 0xf2 | 0xf3 | 'any'): OpDef | undefined =>
      candidates.find(
        (d) =>
          d.prefix === pfx &&
          (d.ext < 0 || d.ext === regField) &&
          (d.form === 'any' || (d.form === 'mem') === (mod !== 3)) &&
          (d.rm < 0 || (mod === 3 && d.rm === rmField)),
      );
    // 1. A row whose mandatory prefix is the last F2/F3; 2. one whose mandatory prefix is 66;
    // 3. rows indifferent to prefixes (integer instructions: 66 is then the operand-size prefix);
    // 4. rows that require the absence of 66/F2/F3.
    if (rep !== 0) {
      def = pick(rep as 0xf2 | 0xf3);
      if (def) prefixConsumed = rep;
    }
    if (!def && osz) {
      def = pick(0x66);
      if (def) prefixConsumed = 0x66;
    }
    if (!def) def = pick('any');
    if (!def && rep === 0 && !osz) def = pick('none');
    if (!def) throw new Invalid();

    const insn = new Insn(def);
    insn.addr = addr;
    insn.rex = rex;
    insn.rep = prefixConsumed === rep ? 0 : rep;
    insn.lock = lock;
    insn.osz = osz;
    insn.seg = seg;
    insn.adsize = asz ? 4 : 8;
    insn.sub = def.sub;

    const rexW = (rex & 8) !== 0;
    const oszActive = osz && prefixConsumed !== 0x66;
    switch (def.size) {
      case 'v':
        insn.opsize = rexW ? 8 : oszActive ? 2 : 4;
        break;
      case 'd64':
        insn.opsize = oszActive && !rexW ? 2 : 8;
        break;
      case 'f64':
      case 'q':
        insn.opsize = 8;
        break;
      case 'b':
        insn.opsize = 1;
        break;
      case 'w':
        insn.opsize = 2;
        break;
      case 'd':
        insn.opsize = 4;
        break;
      default:
        insn.opsize = rexW ? 8 : 4; // 'x': handlers that care (movd/movq, cvtsi2sd) look at REX.W this way
    }

    if (modrm >= 0) {
      insn.mod = mod;
      insn.reg = regField | ((rex & 4) << 1);
      insn.reg8 = byteRegCode(insn.reg, rex);
      if (mod === 3) {
        insn.rm = rmField | ((rex & 1) << 3);
        insn.rm8 = byteRegCode(insn.rm, rex);
      } else {
        this.decodeMemory(insn, byte, mod, rmField, rex);
      }
    } else if (def.operands.some((o) => o.method === 'Z')) {
      // Register in the low three opcode bits, extended by REX.B.
      insn.reg = (opcode & 7) | ((rex & 1) << 3);
      insn.reg8 = byteRegCode(insn.reg, rex);
    }

    // Immediates and relative targets, in operand order.
    let immCount = 0;
    let relative = false;
    for (const o of def.operands) {
      if (o.method !== 'I' && o.method !== 'J' && o.method !== 'O') continue;
      let lo = 0;
      let hi = 0;
      const size = immediateSize(o.method, o.size, insn.opsize, insn.adsize);
      if (size === 1) {
        lo = byte();
        // Ib is zero-extended (shift counts, ENTER level, byte operations); Is and Jb are sign-extended.
        if (o.size === 's' || o.method === 'J') lo = (lo << 24) >> 24;
        hi = lo < 0 ? -1 : 0;
      } else if (size === 2) {
        lo = byte() | (byte() << 8);
        if (o.size !== 'w') lo = (lo << 16) >> 16;
        hi = lo < 0 ? -1 : 0;
      } else if (size === 4) {
        lo = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
        hi = o.method === 'O' ? 0 : lo < 0 ? -1 : 0;
      } else {
        lo = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
        hi = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
      }
      if (o.method === 'J') relative = true;
      if (immCount === 0) {
        insn.imm = lo;
        insn.immHi = hi;
      } else {
        insn.imm2 = lo;
      }
      immCount++;
    }

    insn.len = consumed();
    insn.next = addr + insn.len;
    if (insn.ripRelative) {
      insn.disp = insn.next + insn.disp;
      if (insn.adsize === 4) insn.disp = insn.disp >>> 0;
    }
    if (relative) {
      // Branch target as an absolute linear address (checked for canonical form when the branch is taken).
      insn.imm = insn.next + insn.imm;
    }
    if (lock && !(def.lockable && insn.mod !== 3 && modrm >= 0)) throw new Invalid();
    if (def.specialize !== null) insn.exec = def.specialize(insn) ?? def.exec;
    return insn;
  }

  private decodeMemory(insn: Insn, byte: () => number, mod: number, rmField: number, rex: number): void {
    let disp = 0;
    if (rmField === 4) {
      const sib = byte();
      const ss = sib >> 6;
      const idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
      const baseField = sib & 7;
      insn.scale = 1 << ss;
      insn.index = idx === 4 ? -1 : idx; // index 4 without REX.X means none
      if (baseField === 5 && mod === 0) {
        insn.base = -1;
        disp = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
      } else {
        insn.base = baseField | ((rex & 1) << 3);
      }
    } else if (rmField === 5 && mod === 0) {
      insn.ripRelative = true;
      insn.base = -1;
      disp = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
    } else {
      insn.base = rmField | ((rex & 1) << 3);
    }
    if (mod === 1) {
      disp = (byte() << 24) >> 24;
    } else if (mod === 2) {
      disp = byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);
    }
    insn.disp = disp;
    insn.rm = -1;
  }
}

class Invalid {}
class TooLong {}

function byteRegCode(r: number, rex: number): number {
  // Without any REX prefix, byte registers 4-7 are AH, CH, DH, BH.
  if (rex === 0 && r >= 4 && r < 8) return r + 12;
  return r;
}

function immediateSize(method: string, size: string, opsize: number, adsize: number): number {
  if (method === 'O') return adsize;
  switch (size) {
    case 'b':
    case 's':
      return 1;
    case 'w':
      return 2;
    case 'd':
      return 4;
    case 'q':
      return 8;
    case 'z':
      return opsize === 2 ? 2 : 4;
    case 'v':
      return opsize;
    default:
      return 1;
  }
}
