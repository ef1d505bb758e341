/**
 * The x87 floating-point instruction set: escape opcodes D8-DF, one row per encoding (handlers in
 * ../exec/x87-*.ts). FWAIT (9B) is in the integer table; its handler is `fwait` in ../exec/x87-control.ts.
 *
 * Mnemonics are Intel's, with the no-wait spellings for the FN* instructions. Operand notation:
 *   T       ST(0)                           S       ST(i), from modrm.rm
 *   Mf32    m32fp (single)                  Mi16    m16int
 *   Mf64    m64fp (double)                  Mi32    m32int
 *   Mf80    m80fp (extended)                Mi64    m64int
 *   Mp80    m80bcd (packed BCD)             Mw      m2byte (control or status word)
 *   Menv    m14/28byte environment          Mstate  m94/108byte FNSAVE/FRSTOR area
 *   Aw      AX (FNSTSW AX)
 * The width in the memory tags is in bits, so a formatter can take it from the digits.
 *
 * Register forms the manuals list as reserved but the processors execute are included: FSTP1 (D9 D8+i),
 * FCOM2 (DC D0+i), FCOMP3 (DC D8+i), FXCH4 (DD C8+i), FCOMP5 (DE D0+i), FXCH7 (DF C8+i), FSTP8 (DF D0+i),
 * FSTP9 (DF D8+i) and FFREEP (DF C0+i); and the 8087/287 control instructions FNENI, FNDISI, FNSETPM
 * (DB E0, E1, E4), which execute as no-ops. Their mnemonics are objdump's, so that disassembly matches it:
 * the aliases other than FFREEP are `(bad)` there (the ALIAS constant below), the others carry objdump's
 * "(8087 only)" remarks.
 *
 * FISTTP (DB/DD/DF /1) is SSE3, which CPUID does not advertise, so it raises #UD. Encodings absent from
 * the table are #UD as well.
 */
import { Vector } from '../../cpu/fault';
import { type OpDef, type OpDefInput, defineOp } from '../opdef';
import { raiseFault } from '../exec/fault-handlers';
import {
  arithMem,
  arithToSt0,
  arithToSti,
  fpremOp,
  fscaleOp,
  fxtractOp,
  MemFmt,
  Unary,
  unaryOp,
} from '../exec/x87-arith';
import { Cmp, fcomiReg, fcomMem, fcomReg, ftstOp, fxamOp } from '../exec/x87-compare';
import * as Ctl from '../exec/x87-control';
import { fcmov, fldConst, fldMem, fldReg, Fmt, fstMem, fstReg, fxch, POP } from '../exec/x87-load-store';
import { fptanOp, fsincosOp, Trans, Trans2, transBinary, transUnary } from '../exec/x87-transcendental';

const rows: OpDefInput[] = [];
// (Every x87 instruction reads or writes the FPU state: `fpu`.)
const add = (r: Omit<OpDefInput, 'size'>) => rows.push({ size: 'x', fpu: true, ...r });
const reg = (
  opcode: number,
  ext: number,
  rm: number | undefined,
  r: Omit<OpDefInput, 'size' | 'opcode' | 'ext' | 'rm' | 'form'>,
) => add({ opcode, ext, rm, form: 'reg', ...r });
const mem = (opcode: number, ext: number, r: Omit<OpDefInput, 'size' | 'opcode' | 'ext' | 'form'>) =>
  add({ opcode, ext, form: 'mem', ...r });

const fisttp = raiseFault(Vector.UD, 'fisttp needs SSE3');
/** Mnemonic of the undocumented aliases (FSTP1, FCOM2, ...): objdump does not decode them. */
const ALIAS = '(bad)';

// ------------------------------------------------------------------ arithmetic and compares, all forms
const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const MEM_ARITH: [number, number, string, string][] = [
  [0xd8, MemFmt.F32, 'Mf32', 'f'],
  [0xdc, MemFmt.F64, 'Mf64', 'f'],
  [0xda, MemFmt.I32, 'Mi32', 'fi'],
  [0xde, MemFmt.I16, 'Mi16', 'fi'],
];
for (const [opcode, fmt, operand, prefix] of MEM_ARITH) {
  ARITH.forEach((name, ext) => {
    const mnemonic = prefix + name.slice(1);
    if (ext === 2 || ext === 3) {
      mem(opcode, ext, {
        mnemonic,
        operands: operand,
        exec: fcomMem,
        sub: (fmt << 3) | (ext === 3 ? Cmp.POP : 0),
      });
    } else {
      mem(opcode, ext, { mnemonic, operands: operand, exec: arithMem, sub: fmt });
    }
  });
}
ARITH.forEach((name, ext) => {
  if (ext === 2 || ext === 3) {
    const pop = ext === 3 ? Cmp.POP : 0;
    reg(0xd8, ext, undefined, { mnemonic: name, operands: 'S', exec: fcomReg, sub: pop });
    reg(0xdc, ext, undefined, {
      mnemonic: ALIAS, // FCOM2 / FCOMP3
      operands: 'S',
      exec: fcomReg,
      sub: pop,
    });
    return;
  }
  reg(0xd8, ext, undefined, { mnemonic: name, operands: 'T,S', exec: arithToSt0 });
  // DC/DE: ST(i) is the destination; Intel names the reversed forms by the destination's point of view.
  const dcName = ext === 4 ? 'fsubr' : ext === 5 ? 'fsub' : ext === 6 ? 'fdivr' : ext === 7 ? 'fdiv' : name;
  reg(0xdc, ext, undefined, { mnemonic: dcName, operands: 'S,T', exec: arithToSti, sub: 0 });
  reg(0xde, ext, undefined, { mnemonic: `${dcName}p`, operands: 'S,T', exec: arithToSti, sub: 1 });
});
reg(0xde, 2, undefined, { mnemonic: ALIAS, operands: 'S', exec: fcomReg, sub: Cmp.POP }); // FCOMP5
reg(0xde, 3, 1, { mnemonic: 'fcompp', exec: fcomReg, sub: Cmp.POP2 });
reg(0xdd, 4, undefined, { mnemonic: 'fucom', operands: 'S', exec: fcomReg, sub: Cmp.QUIET });
reg(0xdd, 5, undefined, { mnemonic: 'fucomp', operands: 'S', exec: fcomReg, sub: Cmp.QUIET | Cmp.POP });
reg(0xda, 5, 1, { mnemonic: 'fucompp', exec: fcomReg, sub: Cmp.QUIET | Cmp.POP2 });
reg(0xdb, 5, undefined, { mnemonic: 'fucomi', operands: 'T,S', exec: fcomiReg, sub: Cmp.QUIET });
reg(0xdb, 6, undefined, { mnemonic: 'fcomi', operands: 'T,S', exec: fcomiReg, sub: 0 });
reg(0xdf, 5, undefined, { mnemonic: 'fucomip', operands: 'T,S', exec: fcomiReg, sub: Cmp.QUIET | Cmp.POP });
reg(0xdf, 6, undefined, { mnemonic: 'fcomip', operands: 'T,S', exec: fcomiReg, sub: Cmp.POP });

// ------------------------------------------------------------------------------ loads and stores
mem(0xd9, 0, { mnemonic: 'fld', operands: 'Mf32', exec: fldMem, sub: Fmt.F32 });
mem(0xd9, 2, { mnemonic: 'fst', operands: 'Mf32', exec: fstMem, sub: Fmt.F32 });
mem(0xd9, 3, { mnemonic: 'fstp', operands: 'Mf32', exec: fstMem, sub: Fmt.F32 | POP });
mem(0xdd, 0, { mnemonic: 'fld', operands: 'Mf64', exec: fldMem, sub: Fmt.F64 });
mem(0xdd, 1, { mnemonic: 'fisttp', operands: 'Mi64', exec: fisttp });
mem(0xdd, 2, { mnemonic: 'fst', operands: 'Mf64', exec: fstMem, sub: Fmt.F64 });
mem(0xdd, 3, { mnemonic: 'fstp', operands: 'Mf64', exec: fstMem, sub: Fmt.F64 | POP });
mem(0xdb, 0, { mnemonic: 'fild', operands: 'Mi32', exec: fldMem, sub: Fmt.I32 });
mem(0xdb, 1, { mnemonic: 'fisttp', operands: 'Mi32', exec: fisttp });
mem(0xdb, 2, { mnemonic: 'fist', operands: 'Mi32', exec: fstMem, sub: Fmt.I32 });
mem(0xdb, 3, { mnemonic: 'fistp', operands: 'Mi32', exec: fstMem, sub: Fmt.I32 | POP });
mem(0xdb, 5, { mnemonic: 'fld', operands: 'Mf80', exec: fldMem, sub: Fmt.F80 });
mem(0xdb, 7, { mnemonic: 'fstp', operands: 'Mf80', exec: fstMem, sub: Fmt.F80 | POP });
mem(0xdf, 0, { mnemonic: 'fild', operands: 'Mi16', exec: fldMem, sub: Fmt.I16 });
mem(0xdf, 1, { mnemonic: 'fisttp', operands: 'Mi16', exec: fisttp });
mem(0xdf, 2, { mnemonic: 'fist', operands: 'Mi16', exec: fstMem, sub: Fmt.I16 });
mem(0xdf, 3, { mnemonic: 'fistp', operands: 'Mi16', exec: fstMem, sub: Fmt.I16 | POP });
mem(0xdf, 4, { mnemonic: 'fbld', operands: 'Mp80', exec: fldMem, sub: Fmt.BCD });
mem(0xdf, 5, { mnemonic: 'fild', operands: 'Mi64', exec: fldMem, sub: Fmt.I64 });
mem(0xdf, 6, { mnemonic: 'fbstp', operands: 'Mp80', exec: fstMem, sub: Fmt.BCD | POP });
mem(0xdf, 7, { mnemonic: 'fistp', operands: 'Mi64', exec: fstMem, sub: Fmt.I64 | POP });

reg(0xd9, 0, undefined, { mnemonic: 'fld', operands: 'S', exec: fldReg });
reg(0xd9, 1, undefined, { mnemonic: 'fxch', operands: 'S', exec: fxch });
reg(0xdd, 1, undefined, { mnemonic: ALIAS, operands: 'S', exec: fxch }); // FXCH4
reg(0xdf, 1, undefined, { mnemonic: ALIAS, operands: 'S', exec: fxch }); // FXCH7
reg(0xdd, 2, undefined, { mnemonic: 'fst', operands: 'S', exec: fstReg, sub: 0 });
reg(0xdd, 3, undefined, { mnemonic: 'fstp', operands: 'S', exec: fstReg, sub: 1 });
reg(0xd9, 3, undefined, { mnemonic: ALIAS, operands: 'S', exec: fstReg, sub: 2 }); // FSTP1
reg(0xdf, 2, undefined, { mnemonic: ALIAS, operands: 'S', exec: fstReg, sub: 1 }); // FSTP8
reg(0xdf, 3, undefined, { mnemonic: ALIAS, operands: 'S', exec: fstReg, sub: 1 }); // FSTP9
['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'].forEach((mnemonic, k) => {
  reg(0xd9, 5, k, { mnemonic, exec: fldConst, sub: k });
});
// FCMOVcc: the condition codes of Jcc (B=2, E=4, BE=6, P=10; +1 negates).
['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'].forEach((mnemonic, ext) => {
  const cc = ext === 3 ? 10 : 2 + 2 * ext;
  reg(0xda, ext, undefined, { mnemonic, operands: 'T,S', exec: fcmov, sub: cc });
  reg(0xdb, ext, undefined, {
    mnemonic: `fcmovn${mnemonic.slice(5)}`,
    operands: 'T,S',
    exec: fcmov,
    sub: cc + 1,
  });
});

// ---------------------------------------------------------------- operations on the top of the stack
reg(0xd9, 4, 0, { mnemonic: 'fchs', exec: unaryOp, sub: Unary.FCHS });
reg(0xd9, 4, 1, { mnemonic: 'fabs', exec: unaryOp, sub: Unary.FABS });
reg(0xd9, 4, 4, { mnemonic: 'ftst', exec: ftstOp });
reg(0xd9, 4, 5, { mnemonic: 'fxam', exec: fxamOp });
reg(0xd9, 6, 0, { mnemonic: 'f2xm1', exec: transUnary, sub: Trans.F2XM1 });
reg(0xd9, 6, 1, { mnemonic: 'fyl2x', exec: transBinary, sub: Trans2.FYL2X });
reg(0xd9, 6, 2, { mnemonic: 'fptan', exec: fptanOp });
reg(0xd9, 6, 3, { mnemonic: 'fpatan', exec: transBinary, sub: Trans2.FPATAN });
reg(0xd9, 6, 4, { mnemonic: 'fxtract', exec: fxtractOp });
reg(0xd9, 6, 5, { mnemonic: 'fprem1', exec: fpremOp, sub: 1 });
reg(0xd9, 6, 6, { mnemonic: 'fdecstp', exec: Ctl.fincdecstp, sub: 7 });
reg(0xd9, 6, 7, { mnemonic: 'fincstp', exec: Ctl.fincdecstp, sub: 1 });
reg(0xd9, 7, 0, { mnemonic: 'fprem', exec: fpremOp, sub: 0 });
reg(0xd9, 7, 1, { mnemonic: 'fyl2xp1', exec: transBinary, sub: Trans2.FYL2XP1 });
reg(0xd9, 7, 2, { mnemonic: 'fsqrt', exec: unaryOp, sub: Unary.FSQRT });
reg(0xd9, 7, 3, { mnemonic: 'fsincos', exec: fsincosOp });
reg(0xd9, 7, 4, { mnemonic: 'frndint', exec: unaryOp, sub: Unary.FRNDINT });
reg(0xd9, 7, 5, { mnemonic: 'fscale', exec: fscaleOp });
reg(0xd9, 7, 6, { mnemonic: 'fsin', exec: transUnary, sub: Trans.FSIN });
reg(0xd9, 7, 7, { mnemonic: 'fcos', exec: transUnary, sub: Trans.FCOS });

// ------------------------------------------------------------------------------------------ control
mem(0xd9, 4, { mnemonic: 'fldenv', operands: 'Menv', exec: Ctl.fldenv });
mem(0xd9, 5, { mnemonic: 'fldcw', operands: 'Mw', exec: Ctl.fldcw });
mem(0xd9, 6, { mnemonic: 'fnstenv', operands: 'Menv', exec: Ctl.fnstenv });
mem(0xd9, 7, { mnemonic: 'fnstcw', operands: 'Mw', exec: Ctl.fnstcw });
mem(0xdd, 4, { mnemonic: 'frstor', operands: 'Mstate', exec: Ctl.frstor });
mem(0xdd, 6, { mnemonic: 'fnsave', operands: 'Mstate', exec: Ctl.fnsave });
mem(0xdd, 7, { mnemonic: 'fnstsw', operands: 'Mw', exec: Ctl.fnstswMem });
reg(0xdf, 4, 0, { mnemonic: 'fnstsw', operands: 'Aw', exec: Ctl.fnstswAx });
reg(0xd9, 2, 0, { mnemonic: 'fnop', exec: Ctl.fnop });
reg(0xdd, 0, undefined, { mnemonic: 'ffree', operands: 'S', exec: Ctl.ffree, sub: 0 });
reg(0xdf, 0, undefined, { mnemonic: 'ffreep', operands: 'S', exec: Ctl.ffree, sub: 1 });
reg(0xdb, 4, 0, { mnemonic: 'fneni(8087 only)', exec: Ctl.legacyNop });
reg(0xdb, 4, 1, { mnemonic: 'fndisi(8087 only)', exec: Ctl.legacyNop });
reg(0xdb, 4, 2, { mnemonic: 'fnclex', exec: Ctl.fnclex });
reg(0xdb, 4, 3, { mnemonic: 'fninit', exec: Ctl.fninit });
reg(0xdb, 4, 4, { mnemonic: 'fnsetpm(287 only)', exec: Ctl.legacyNop });

export const X87_OPS: OpDef[] = rows.map(defineOp);
