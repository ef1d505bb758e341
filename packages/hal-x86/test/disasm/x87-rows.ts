/**
 * x87 rows in the table's format (Intel mnemonics and operand notation), used to exercise the x87 part of
 * the disassembler while the real opcode table has no x87 rows. Execution is irrelevant here.
 */
import { defineOp, type OpDef, type OpDefInput } from '../../src/isa/opdef';

const noop = (): void => {};
const rows: OpDefInput[] = [];

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const INT_ARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];

function mem(opcode: number, ext: number, mnemonic: string, operands: string): void {
  rows.push({ mnemonic, opcode, ext, form: 'mem', operands, size: 'x', exec: noop });
}
function reg(opcode: number, ext: number, mnemonic: string, operands?: string): void {
  rows.push({ mnemonic, opcode, ext, form: 'reg', operands, size: 'x', exec: noop });
}
function fixed(opcode: number, modrm: number, mnemonic: string, operands?: string): void {
  rows.push({
    mnemonic,
    opcode,
    ext: (modrm >> 3) & 7,
    form: 'reg',
    rm: modrm & 7,
    operands,
    size: 'x',
    exec: noop,
  });
}

ARITH.forEach((m, ext) => {
  mem(0xd8, ext, m, 'Md');
  reg(0xd8, ext, m, ext === 2 || ext === 3 ? 'S' : 'T,S');
  mem(0xdc, ext, m, 'Mq');
  if (ext !== 2 && ext !== 3) {
    // Intel: DC E0+i is FSUBR ST(i),ST(0); DC E8+i is FSUB; likewise FDIVR/FDIV.
    const intel = ['fadd', 'fmul', '', '', 'fsubr', 'fsub', 'fdivr', 'fdiv'][ext] as string;
    reg(0xdc, ext, intel, 'S,T');
    const pop = ['faddp', 'fmulp', '', '', 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'][ext] as string;
    reg(0xde, ext, pop, 'S,T');
  }
});
INT_ARITH.forEach((m, ext) => {
  mem(0xda, ext, m, 'Md');
  mem(0xde, ext, m, 'Mw');
});
mem(0xd9, 0, 'fld', 'Md');
mem(0xd9, 2, 'fst', 'Md');
mem(0xd9, 3, 'fstp', 'Md');
mem(0xd9, 4, 'fldenv', 'M');
mem(0xd9, 5, 'fldcw', 'Mw');
mem(0xd9, 6, 'fnstenv', 'M');
mem(0xd9, 7, 'fnstcw', 'Mw');
reg(0xd9, 0, 'fld', 'S');
reg(0xd9, 1, 'fxch', 'S');
const D9: Array<[number, string]> = [
  [0xd0, 'fnop'],
  [0xe0, 'fchs'],
  [0xe1, 'fabs'],
  [0xe4, 'ftst'],
  [0xe5, 'fxam'],
  [0xe8, 'fld1'],
  [0xe9, 'fldl2t'],
  [0xea, 'fldl2e'],
  [0xeb, 'fldpi'],
  [0xec, 'fldlg2'],
  [0xed, 'fldln2'],
  [0xee, 'fldz'],
  [0xf0, 'f2xm1'],
  [0xf1, 'fyl2x'],
  [0xf2, 'fptan'],
  [0xf3, 'fpatan'],
  [0xf4, 'fxtract'],
  [0xf5, 'fprem1'],
  [0xf6, 'fdecstp'],
  [0xf7, 'fincstp'],
  [0xf8, 'fprem'],
  [0xf9, 'fyl2xp1'],
  [0xfa, 'fsqrt'],
  [0xfb, 'fsincos'],
  [0xfc, 'frndint'],
  [0xfd, 'fscale'],
  [0xfe, 'fsin'],
  [0xff, 'fcos'],
];
for (const [modrm, m] of D9) fixed(0xd9, modrm, m);
for (const [ext, m] of ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'].entries()) reg(0xda, ext, m, 'T,S');
fixed(0xda, 0xe9, 'fucompp');
mem(0xdb, 0, 'fild', 'Md');
mem(0xdb, 1, 'fisttp', 'Md');
mem(0xdb, 2, 'fist', 'Md');
mem(0xdb, 3, 'fistp', 'Md');
mem(0xdb, 5, 'fld', 'Mt');
mem(0xdb, 7, 'fstp', 'Mt');
for (const [ext, m] of ['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].entries()) reg(0xdb, ext, m, 'T,S');
fixed(0xdb, 0xe2, 'fnclex');
fixed(0xdb, 0xe3, 'fninit');
reg(0xdb, 5, 'fucomi', 'T,S');
reg(0xdb, 6, 'fcomi', 'T,S');
mem(0xdd, 0, 'fld', 'Mq');
mem(0xdd, 1, 'fisttp', 'Mq');
mem(0xdd, 2, 'fst', 'Mq');
mem(0xdd, 3, 'fstp', 'Mq');
mem(0xdd, 4, 'frstor', 'M');
mem(0xdd, 6, 'fnsave', 'M');
mem(0xdd, 7, 'fnstsw', 'Mw');
reg(0xdd, 0, 'ffree', 'S');
reg(0xdd, 2, 'fst', 'S');
reg(0xdd, 3, 'fstp', 'S');
reg(0xdd, 4, 'fucom', 'S');
reg(0xdd, 5, 'fucomp', 'S');
fixed(0xde, 0xd9, 'fcompp');
mem(0xdf, 0, 'fild', 'Mw');
mem(0xdf, 1, 'fisttp', 'Mw');
mem(0xdf, 2, 'fist', 'Mw');
mem(0xdf, 3, 'fistp', 'Mw');
mem(0xdf, 4, 'fbld', 'Mt');
mem(0xdf, 5, 'fild', 'Mq');
mem(0xdf, 6, 'fbstp', 'Mt');
mem(0xdf, 7, 'fistp', 'Mq');
reg(0xdf, 0, 'ffreep', 'S');
fixed(0xdf, 0xe0, 'fnstsw', 'Aw');
reg(0xdf, 5, 'fucomip', 'T,S');
reg(0xdf, 6, 'fcomip', 'T,S');

export const X87_FIXTURE_ROWS: OpDef[] = rows.map(defineOp);

/** Every x87 encoding with a memory form on (%rax) or a register form on ST(0)/ST(1), as `.byte` lines. */
export function x87Source(): string {
  const lines: string[] = ['.text'];
  for (let op = 0xd8; op <= 0xdf; op++) {
    for (let r = 0; r < 8; r++) {
      lines.push(`.byte ${op},${r << 3}`, `.byte ${op},${0xc1 | (r << 3)}`, `.byte ${op},${0xc0 | (r << 3)}`);
      lines.push(`.byte ${op},${0x44 | (r << 3)},0x24,0x08`);
    }
    for (let modrm = 0xe0; modrm <= 0xff; modrm++) lines.push(`.byte ${op},${modrm}`);
  }
  // FWAIT before no-wait control instructions: one line (fstcw, fstsw, fclex, finit...).
  lines.push(
    '.byte 0x9b,0xd9,0x7c,0x24,0x08',
    '.byte 0x9b,0xdf,0xe0',
    '.byte 0x9b,0xdb,0xe2',
    '.byte 0x9b,0xdb,0xe3',
  );
  lines.push(
    '.byte 0x9b,0xdd,0x38',
    '.byte 0x9b,0xd9,0x30',
    '.byte 0x9b,0xdd,0x30',
    '.byte 0x9b',
    '.byte 0x90',
  );
  return `${lines.join('\n')}\n`;
}
