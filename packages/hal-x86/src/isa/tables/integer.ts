/**
 * The general-purpose (integer) instruction set of 64-bit mode: one row per encoding.
 * Rows use Intel operand order and the Appendix A operand notation (see opdef.ts).
 */
import { Vector } from '../../cpu/fault';
import { type Handler, type OpDef, type OpDefInput, defineOp } from '../opdef';
import { raiseFault } from '../exec/fault-handlers';
import * as A from '../exec/alu';
import * as B from '../exec/branch';
import * as Bits from '../exec/bits';
import * as D from '../exec/data';
import * as M from '../exec/muldiv';
import * as Sh from '../exec/shift';
import * as St from '../exec/stack';
import * as Str from '../exec/string';
import * as Sys from '../exec/system';
import * as F from '../exec/fast-paths';
import { fwait } from '../exec/x87-control';

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const rows: OpDefInput[] = [];
const add = (r: OpDefInput) => rows.push(r);

// Group-1 ALU operations in their six classic encodings, opcode = op*8 + form.
A.ALU_NAMES.forEach((name, op) => {
  const base = op * 8;
  add({ mnemonic: name, opcode: base, operands: 'Eb,Gb', size: 'b', exec: A.aluEG, sub: op, lockable: op !== 7 });
  add({ mnemonic: name, opcode: base + 1, operands: 'Ev,Gv', exec: A.aluEG, sub: op, lockable: op !== 7, specialize: F.specializeAlu('EG') });
  add({ mnemonic: name, opcode: base + 2, operands: 'Gb,Eb', size: 'b', exec: A.aluGE, sub: op });
  add({ mnemonic: name, opcode: base + 3, operands: 'Gv,Ev', exec: A.aluGE, sub: op, specialize: F.specializeAlu('GE') });
  add({ mnemonic: name, opcode: base + 4, operands: 'Ab,Ib', size: 'b', exec: A.aluAI, sub: op });
  add({ mnemonic: name, opcode: base + 5, operands: 'Av,Iz', exec: A.aluAI, sub: op, specialize: F.specializeAluAI });
  add({ mnemonic: name, opcode: 0x80, ext: op, operands: 'Eb,Ib', size: 'b', exec: A.aluEI, lockable: op !== 7, suffix: true });
  add({ mnemonic: name, opcode: 0x81, ext: op, operands: 'Ev,Iz', exec: A.aluEI, lockable: op !== 7, suffix: true, specialize: F.specializeAlu('EI') });
  add({ mnemonic: name, opcode: 0x83, ext: op, operands: 'Ev,Is', exec: A.aluEI, lockable: op !== 7, suffix: true, specialize: F.specializeAlu('EI') });
});

for (let r = 0; r < 8; r++) {
  add({ mnemonic: 'push', opcode: 0x50 + r, operands: 'Zv', size: 'd64', exec: St.pushZ, specialize: F.specializePushPop(true) });
  add({ mnemonic: 'pop', opcode: 0x58 + r, operands: 'Zv', size: 'd64', exec: St.popZ, specialize: F.specializePushPop(false) });
  add({ mnemonic: 'mov', opcode: 0xb0 + r, operands: 'Zb,Ib', size: 'b', exec: D.movZI });
  add({ mnemonic: 'mov', opcode: 0xb8 + r, operands: 'Zv,Iv', exec: D.movZI });
  add({ mnemonic: 'bswap', map: 1, opcode: 0xc8 + r, operands: 'Zv', exec: D.bswap });
  if (r > 0) add({ mnemonic: 'xchg', opcode: 0x90 + r, operands: 'Zv,Av', exec: D.xchgAZ });
}
add({ mnemonic: 'pause', opcode: 0x90, prefix: 0xf3, operands: 'Zv,Av', exec: D.nopOrXchg });
add({ mnemonic: 'nop', opcode: 0x90, operands: 'Zv,Av', exec: D.nopOrXchg });

add({ mnemonic: 'movslq', opcode: 0x63, operands: 'Gv,Ed', exec: D.movsxd });
add({ mnemonic: 'push', opcode: 0x68, operands: 'Iz', size: 'd64', exec: St.pushI, suffix: true });
add({ mnemonic: 'imul', opcode: 0x69, operands: 'Gv,Ev,Iz', exec: M.imulGEI });
add({ mnemonic: 'push', opcode: 0x6a, operands: 'Is', size: 'd64', exec: St.pushI, suffix: true });
add({ mnemonic: 'imul', opcode: 0x6b, operands: 'Gv,Ev,Is', exec: M.imulGEI });
for (const op of [0x6c, 0x6d, 0x6e, 0x6f, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0xfa, 0xfb]) {
  const names: Record<number, string> = { 0x6c: 'insb', 0x6d: 'insl', 0x6e: 'outsb', 0x6f: 'outsl', 0xfa: 'cli', 0xfb: 'sti' };
  const exec = op === 0xfa ? Sys.cli : op === 0xfb ? Sys.sti : op >= 0xe4 ? (op & 2 ? Sys.portOut : Sys.portIn) : Sys.privileged;
  add({ mnemonic: names[op] ?? (op & 2 ? 'out' : 'in'), opcode: op, size: 'x', operands: op >= 0xe4 && op <= 0xe7 ? 'Ib' : '', exec, flow: true });
}
CC.forEach((cc, n) => {
  add({ mnemonic: `j${cc}`, opcode: 0x70 + n, operands: 'Jb', size: 'f64', exec: B.jcc, sub: n, flow: true, specialize: F.specializeJcc });
  add({ mnemonic: `j${cc}`, map: 1, opcode: 0x80 + n, operands: 'Jz', size: 'f64', exec: B.jcc, sub: n, flow: true, specialize: F.specializeJcc });
  add({ mnemonic: `cmov${cc}`, map: 1, opcode: 0x40 + n, operands: 'Gv,Ev', exec: D.cmov, sub: n });
  add({ mnemonic: `set${cc}`, map: 1, opcode: 0x90 + n, operands: 'Eb', size: 'b', exec: D.setcc, sub: n });
});
add({ mnemonic: 'test', opcode: 0x84, operands: 'Eb,Gb', size: 'b', exec: A.testEG });
add({ mnemonic: 'test', opcode: 0x85, operands: 'Ev,Gv', exec: A.testEG, specialize: F.specializeTest });
add({ mnemonic: 'xchg', opcode: 0x86, operands: 'Eb,Gb', size: 'b', exec: D.xchgEG, lockable: true });
add({ mnemonic: 'xchg', opcode: 0x87, operands: 'Ev,Gv', exec: D.xchgEG, lockable: true });
add({ mnemonic: 'mov', opcode: 0x88, operands: 'Eb,Gb', size: 'b', exec: D.movEG });
add({ mnemonic: 'mov', opcode: 0x89, operands: 'Ev,Gv', exec: D.movEG, specialize: F.specializeMovEG });
add({ mnemonic: 'mov', opcode: 0x8a, operands: 'Gb,Eb', size: 'b', exec: D.movGE });
add({ mnemonic: 'mov', opcode: 0x8b, operands: 'Gv,Ev', exec: D.movGE, specialize: F.specializeMovGE });
add({ mnemonic: 'lea', opcode: 0x8d, operands: 'Gv,M', exec: D.lea });
add({ mnemonic: 'pop', opcode: 0x8f, ext: 0, operands: 'Ev', size: 'd64', exec: St.popE, suffix: true });
add({ mnemonic: 'cbw', opcode: 0x98, size: 'v', exec: D.cbw });
add({ mnemonic: 'cwd', opcode: 0x99, size: 'v', exec: D.cwd });
add({ mnemonic: 'fwait', opcode: 0x9b, size: 'x', exec: fwait, fpu: true }); // reads the x87 status
add({ mnemonic: 'pushf', opcode: 0x9c, size: 'd64', exec: St.pushf });
add({ mnemonic: 'popf', opcode: 0x9d, size: 'd64', exec: St.popf });
add({ mnemonic: 'sahf', opcode: 0x9e, size: 'x', exec: Sys.sahf });
add({ mnemonic: 'lahf', opcode: 0x9f, size: 'x', exec: Sys.lahf });
add({ mnemonic: 'movabs', opcode: 0xa0, operands: 'Ab,Ob', size: 'b', exec: D.movAO });
add({ mnemonic: 'movabs', opcode: 0xa1, operands: 'Av,Ov', exec: D.movAO });
add({ mnemonic: 'movabs', opcode: 0xa2, operands: 'Ob,Ab', size: 'b', exec: D.movOA });
add({ mnemonic: 'movabs', opcode: 0xa3, operands: 'Ov,Av', exec: D.movOA });
add({ mnemonic: 'movs', opcode: 0xa4, operands: 'Yb,Xb', size: 'b', exec: Str.movs, rep: true });
add({ mnemonic: 'movs', opcode: 0xa5, operands: 'Yv,Xv', exec: Str.movs, rep: true });
add({ mnemonic: 'cmps', opcode: 0xa6, operands: 'Xb,Yb', size: 'b', exec: Str.cmps, rep: true });
add({ mnemonic: 'cmps', opcode: 0xa7, operands: 'Xv,Yv', exec: Str.cmps, rep: true });
add({ mnemonic: 'test', opcode: 0xa8, operands: 'Ab,Ib', size: 'b', exec: A.testAI });
add({ mnemonic: 'test', opcode: 0xa9, operands: 'Av,Iz', exec: A.testAI });
add({ mnemonic: 'stos', opcode: 0xaa, operands: 'Yb,Ab', size: 'b', exec: Str.stos, rep: true });
add({ mnemonic: 'stos', opcode: 0xab, operands: 'Yv,Av', exec: Str.stos, rep: true });
add({ mnemonic: 'lods', opcode: 0xac, operands: 'Ab,Xb', size: 'b', exec: Str.lods, rep: true });
add({ mnemonic: 'lods', opcode: 0xad, operands: 'Av,Xv', exec: Str.lods, rep: true });
add({ mnemonic: 'scas', opcode: 0xae, operands: 'Ab,Yb', size: 'b', exec: Str.scas, rep: true });
add({ mnemonic: 'scas', opcode: 0xaf, operands: 'Av,Yv', exec: Str.scas, rep: true });

['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'].forEach((name, op) => {
  add({ mnemonic: name, opcode: 0xc0, ext: op, operands: 'Eb,Ib', size: 'b', exec: Sh.shiftEI, suffix: true });
  add({ mnemonic: name, opcode: 0xc1, ext: op, operands: 'Ev,Ib', exec: Sh.shiftEI, suffix: true });
  add({ mnemonic: name, opcode: 0xd0, ext: op, operands: 'Eb,1', size: 'b', exec: Sh.shiftE1, suffix: true });
  add({ mnemonic: name, opcode: 0xd1, ext: op, operands: 'Ev,1', exec: Sh.shiftE1, suffix: true });
  add({ mnemonic: name, opcode: 0xd2, ext: op, operands: 'Eb,Cb', size: 'b', exec: Sh.shiftECL, suffix: true });
  add({ mnemonic: name, opcode: 0xd3, ext: op, operands: 'Ev,Cb', exec: Sh.shiftECL, suffix: true });
});

add({ mnemonic: 'ret', opcode: 0xc2, operands: 'Iw', size: 'f64', exec: B.ret, flow: true });
add({ mnemonic: 'ret', opcode: 0xc3, size: 'f64', exec: B.ret, flow: true });
add({ mnemonic: 'mov', opcode: 0xc6, ext: 0, operands: 'Eb,Ib', size: 'b', exec: D.movEI, suffix: true, specialize: F.specializeMovEI });
add({ mnemonic: 'mov', opcode: 0xc7, ext: 0, operands: 'Ev,Iz', exec: D.movEI, suffix: true, specialize: F.specializeMovEI });
add({ mnemonic: 'enter', opcode: 0xc8, operands: 'Iw,Ib', size: 'd64', exec: St.enter });
add({ mnemonic: 'leave', opcode: 0xc9, size: 'd64', exec: St.leave });
add({ mnemonic: 'int3', opcode: 0xcc, size: 'x', exec: Sys.int3, flow: true });
add({ mnemonic: 'int', opcode: 0xcd, operands: 'Ib', size: 'x', exec: Sys.intN, flow: true });
add({ mnemonic: 'xlat', opcode: 0xd7, size: 'b', exec: D.xlat });
add({ mnemonic: 'loopne', opcode: 0xe0, operands: 'Jb', size: 'f64', exec: B.loop, sub: 0, flow: true });
add({ mnemonic: 'loope', opcode: 0xe1, operands: 'Jb', size: 'f64', exec: B.loop, sub: 1, flow: true });
add({ mnemonic: 'loop', opcode: 0xe2, operands: 'Jb', size: 'f64', exec: B.loop, sub: 2, flow: true });
add({ mnemonic: 'jrcxz', opcode: 0xe3, operands: 'Jb', size: 'f64', exec: B.jrcxz, flow: true });
add({ mnemonic: 'call', opcode: 0xe8, operands: 'Jz', size: 'f64', exec: B.callRel, flow: true });
add({ mnemonic: 'jmp', opcode: 0xe9, operands: 'Jz', size: 'f64', exec: B.jmpRel, flow: true });
add({ mnemonic: 'jmp', opcode: 0xeb, operands: 'Jb', size: 'f64', exec: B.jmpRel, flow: true });
add({ mnemonic: 'hlt', opcode: 0xf4, size: 'x', exec: Sys.hlt, flow: true });
add({ mnemonic: 'cmc', opcode: 0xf5, size: 'x', exec: Sys.cmc });
// Group 3
add({ mnemonic: 'test', opcode: 0xf6, ext: 0, operands: 'Eb,Ib', size: 'b', exec: A.testEI, suffix: true });
add({ mnemonic: 'test', opcode: 0xf6, ext: 1, operands: 'Eb,Ib', size: 'b', exec: A.testEI, suffix: true });
add({ mnemonic: 'test', opcode: 0xf7, ext: 0, operands: 'Ev,Iz', exec: A.testEI, suffix: true });
add({ mnemonic: 'test', opcode: 0xf7, ext: 1, operands: 'Ev,Iz', exec: A.testEI, suffix: true });
for (const [op, size] of [[0xf6, 'b'], [0xf7, 'v']] as const) {
  const e = size === 'b' ? 'Eb' : 'Ev';
  add({ mnemonic: 'not', opcode: op, ext: 2, operands: e, size, exec: A.notE, lockable: true, suffix: true });
  add({ mnemonic: 'neg', opcode: op, ext: 3, operands: e, size, exec: A.negE, lockable: true, suffix: true });
  add({ mnemonic: 'mul', opcode: op, ext: 4, operands: e, size, exec: M.mulOne, sub: 0, suffix: true });
  add({ mnemonic: 'imul', opcode: op, ext: 5, operands: e, size, exec: M.mulOne, sub: 1, suffix: true });
  add({ mnemonic: 'div', opcode: op, ext: 6, operands: e, size, exec: M.divOne, sub: 0, suffix: true });
  add({ mnemonic: 'idiv', opcode: op, ext: 7, operands: e, size, exec: M.divOne, sub: 1, suffix: true });
}
add({ mnemonic: 'clc', opcode: 0xf8, size: 'x', exec: Sys.clc });
add({ mnemonic: 'stc', opcode: 0xf9, size: 'x', exec: Sys.stc });
add({ mnemonic: 'cld', opcode: 0xfc, size: 'x', exec: Sys.cld });
add({ mnemonic: 'std', opcode: 0xfd, size: 'x', exec: Sys.std });
// Groups 4 and 5
add({ mnemonic: 'inc', opcode: 0xfe, ext: 0, operands: 'Eb', size: 'b', exec: A.incE, lockable: true, suffix: true });
add({ mnemonic: 'dec', opcode: 0xfe, ext: 1, operands: 'Eb', size: 'b', exec: A.decE, lockable: true, suffix: true });
add({ mnemonic: 'inc', opcode: 0xff, ext: 0, operands: 'Ev', exec: A.incE, lockable: true, suffix: true });
add({ mnemonic: 'dec', opcode: 0xff, ext: 1, operands: 'Ev', exec: A.decE, lockable: true, suffix: true });
add({ mnemonic: 'call', opcode: 0xff, ext: 2, operands: 'Ev', size: 'f64', exec: B.callE, flow: true });
add({ mnemonic: 'jmp', opcode: 0xff, ext: 4, operands: 'Ev', size: 'f64', exec: B.jmpE, flow: true });
add({ mnemonic: 'push', opcode: 0xff, ext: 6, operands: 'Ev', size: 'd64', exec: St.pushE, suffix: true });

// Two-byte map (0F xx)
add({ mnemonic: 'syscall', map: 1, opcode: 0x05, size: 'x', exec: Sys.syscall, flow: true });
add({ mnemonic: 'ud2', map: 1, opcode: 0x0b, size: 'x', exec: raiseFault(Vector.UD, 'ud2'), flow: true });
add({ mnemonic: 'prefetchw', map: 1, opcode: 0x0d, form: 'mem', operands: 'Eb', size: 'x', exec: Sys.nop });
// 0F 18..1F: prefetch hints, hint NOPs and ENDBR64 (F3 0F 1E FA) all execute as NOP.
for (let op = 0x18; op <= 0x1f; op++) {
  add({ mnemonic: op === 0x18 ? 'prefetch' : 'nop', map: 1, opcode: op, operands: 'Ev', exec: Sys.nop, suffix: true });
}
add({ mnemonic: 'rdtsc', map: 1, opcode: 0x31, size: 'x', exec: Sys.rdtsc });
add({ mnemonic: 'cpuid', map: 1, opcode: 0xa2, size: 'x', exec: Sys.cpuid });
add({ mnemonic: 'bt', map: 1, opcode: 0xa3, operands: 'Ev,Gv', exec: Bits.btEG, sub: 0 });
add({ mnemonic: 'shld', map: 1, opcode: 0xa4, operands: 'Ev,Gv,Ib', exec: Sh.shldI, sub: 0 });
add({ mnemonic: 'shld', map: 1, opcode: 0xa5, operands: 'Ev,Gv,Cb', exec: Sh.shldCL, sub: 0 });
add({ mnemonic: 'bts', map: 1, opcode: 0xab, operands: 'Ev,Gv', exec: Bits.btEG, sub: 1, lockable: true });
add({ mnemonic: 'shrd', map: 1, opcode: 0xac, operands: 'Ev,Gv,Ib', exec: Sh.shldI, sub: 1 });
add({ mnemonic: 'shrd', map: 1, opcode: 0xad, operands: 'Ev,Gv,Cb', exec: Sh.shldCL, sub: 1 });
add({ mnemonic: 'imul', map: 1, opcode: 0xaf, operands: 'Gv,Ev', exec: M.imulGE });
add({ mnemonic: 'cmpxchg', map: 1, opcode: 0xb0, operands: 'Eb,Gb', size: 'b', exec: Bits.cmpxchg, lockable: true });
add({ mnemonic: 'cmpxchg', map: 1, opcode: 0xb1, operands: 'Ev,Gv', exec: Bits.cmpxchg, lockable: true });
add({ mnemonic: 'btr', map: 1, opcode: 0xb3, operands: 'Ev,Gv', exec: Bits.btEG, sub: 2, lockable: true });
add({ mnemonic: 'movzb', map: 1, opcode: 0xb6, operands: 'Gv,Eb', exec: D.movzx, sub: 1 });
add({ mnemonic: 'movzw', map: 1, opcode: 0xb7, operands: 'Gv,Ew', exec: D.movzx, sub: 2 });
['bt', 'bts', 'btr', 'btc'].forEach((name, k) => {
  add({ mnemonic: name, map: 1, opcode: 0xba, ext: 4 + k, operands: 'Ev,Ib', exec: Bits.btEI, lockable: k > 0, suffix: true });
});
add({ mnemonic: 'btc', map: 1, opcode: 0xbb, operands: 'Ev,Gv', exec: Bits.btEG, sub: 3, lockable: true });
// BSF/BSR; with F3 these are TZCNT/LZCNT on BMI/ABM parts, which this CPU does not advertise, so they
// execute as BSF/BSR exactly like a baseline CPU that ignores the prefix.
add({ mnemonic: 'bsf', map: 1, opcode: 0xbc, operands: 'Gv,Ev', exec: Bits.bsfBsr, sub: 0 });
add({ mnemonic: 'bsr', map: 1, opcode: 0xbd, operands: 'Gv,Ev', exec: Bits.bsfBsr, sub: 1 });
add({ mnemonic: 'movsb', map: 1, opcode: 0xbe, operands: 'Gv,Eb', exec: D.movsx, sub: 1 });
add({ mnemonic: 'movsw', map: 1, opcode: 0xbf, operands: 'Gv,Ew', exec: D.movsx, sub: 2 });
add({ mnemonic: 'xadd', map: 1, opcode: 0xc0, operands: 'Eb,Gb', size: 'b', exec: Bits.xadd, lockable: true });
add({ mnemonic: 'xadd', map: 1, opcode: 0xc1, operands: 'Ev,Gv', exec: Bits.xadd, lockable: true });
add({
  mnemonic: 'cmpxchg8b',
  map: 1,
  opcode: 0xc7,
  ext: 1,
  form: 'mem',
  operands: 'Mq',
  exec: (c, i) => {
    if (i.opsize === 8) raiseFault(Vector.UD, 'cmpxchg16b needs CX16')(c, i);
    else Bits.cmpxchg8b(c, i);
  },
  lockable: true,
});

export const INTEGER_OPS: OpDef[] = rows.map(defineOp);
