/**
 * The SSE and SSE2 instruction set (the x86-64 baseline), one row per encoding of the 0F map.
 *
 * The mandatory prefix selects the variant: none = packed single (ps), 66 = packed double (pd) or packed
 * integer on xmm, F3 = scalar single (ss), F2 = scalar double (sd). MMX forms (no prefix, mm registers),
 * SSE3 and later are deliberately absent and decode as #UD, matching what CPUID advertises.
 */

import * as Ar from '../exec/sse-arith';
import * as Af from '../exec/sse-arith-fast';
import * as Cmp from '../exec/sse-compare';
import * as Cf from '../exec/sse-compare-fast';
import * as Cv from '../exec/sse-convert';
import * as Vf from '../exec/sse-convert-fast';
import * as I from '../exec/sse-int';
import * as Mv from '../exec/sse-move';
import * as Sh from '../exec/sse-shuffle';
import * as St from '../exec/sse-state';
import { defineOp, type Handler, type OpDef, type OpDefInput } from '../opdef';

const rows: OpDefInput[] = [];
// (Every SSE instruction reads or writes XMM or MXCSR state: `fpu`.)
const add = (r: Omit<OpDefInput, 'map' | 'size'>) => rows.push({ map: 1, size: 'x', fpu: true, ...r });

// ------------------------------------------------------------------------------------------ moves

add({ mnemonic: 'movups', opcode: 0x10, prefix: 'none', operands: 'Vps,Wps', exec: Mv.movuLoad });
add({ mnemonic: 'movupd', opcode: 0x10, prefix: 0x66, operands: 'Vpd,Wpd', exec: Mv.movuLoad });
add({ mnemonic: 'movss', opcode: 0x10, prefix: 0xf3, operands: 'Vss,Wss', exec: Mv.movssLoad });
add({ mnemonic: 'movsd', opcode: 0x10, prefix: 0xf2, operands: 'Vsd,Wsd', exec: Mv.movsdLoad });
add({ mnemonic: 'movups', opcode: 0x11, prefix: 'none', operands: 'Wps,Vps', exec: Mv.movuStore });
add({ mnemonic: 'movupd', opcode: 0x11, prefix: 0x66, operands: 'Wpd,Vpd', exec: Mv.movuStore });
add({ mnemonic: 'movss', opcode: 0x11, prefix: 0xf3, operands: 'Wss,Vss', exec: Mv.movssStore });
add({ mnemonic: 'movsd', opcode: 0x11, prefix: 0xf2, operands: 'Wsd,Vsd', exec: Mv.movsdStore });
add({ mnemonic: 'movlps', opcode: 0x12, prefix: 'none', form: 'mem', operands: 'Vq,Mq', exec: Mv.movlpLoad });
add({
  mnemonic: 'movhlps',
  opcode: 0x12,
  prefix: 'none',
  form: 'reg',
  operands: 'Vq,Uq',
  exec: Mv.movlpLoad,
});
add({ mnemonic: 'movlpd', opcode: 0x12, prefix: 0x66, form: 'mem', operands: 'Vq,Mq', exec: Mv.movlpLoad });
add({
  mnemonic: 'movlps',
  opcode: 0x13,
  prefix: 'none',
  form: 'mem',
  operands: 'Mq,Vq',
  exec: Mv.movlpStore,
});
add({ mnemonic: 'movlpd', opcode: 0x13, prefix: 0x66, form: 'mem', operands: 'Mq,Vq', exec: Mv.movlpStore });
add({
  mnemonic: 'movhps',
  opcode: 0x16,
  prefix: 'none',
  form: 'mem',
  operands: 'Vdq,Mq',
  exec: Mv.movhpLoad,
});
add({
  mnemonic: 'movlhps',
  opcode: 0x16,
  prefix: 'none',
  form: 'reg',
  operands: 'Vdq,Uq',
  exec: Mv.movhpLoad,
});
add({ mnemonic: 'movhpd', opcode: 0x16, prefix: 0x66, form: 'mem', operands: 'Vdq,Mq', exec: Mv.movhpLoad });
add({
  mnemonic: 'movhps',
  opcode: 0x17,
  prefix: 'none',
  form: 'mem',
  operands: 'Mq,Vq',
  exec: Mv.movhpStore,
});
add({ mnemonic: 'movhpd', opcode: 0x17, prefix: 0x66, form: 'mem', operands: 'Mq,Vq', exec: Mv.movhpStore });
add({ mnemonic: 'movaps', opcode: 0x28, prefix: 'none', operands: 'Vps,Wps', exec: Mv.movaLoad });
add({ mnemonic: 'movapd', opcode: 0x28, prefix: 0x66, operands: 'Vpd,Wpd', exec: Mv.movaLoad });
add({ mnemonic: 'movaps', opcode: 0x29, prefix: 'none', operands: 'Wps,Vps', exec: Mv.movaStore });
add({ mnemonic: 'movapd', opcode: 0x29, prefix: 0x66, operands: 'Wpd,Vpd', exec: Mv.movaStore });
add({
  mnemonic: 'movntps',
  opcode: 0x2b,
  prefix: 'none',
  form: 'mem',
  operands: 'Mps,Vps',
  exec: Mv.movaStore,
});
add({
  mnemonic: 'movntpd',
  opcode: 0x2b,
  prefix: 0x66,
  form: 'mem',
  operands: 'Mpd,Vpd',
  exec: Mv.movaStore,
});
add({
  mnemonic: 'movmskps',
  opcode: 0x50,
  prefix: 'none',
  form: 'reg',
  operands: 'Gd,Ups',
  exec: Sh.movmskps,
});
add({ mnemonic: 'movmskpd', opcode: 0x50, prefix: 0x66, form: 'reg', operands: 'Gd,Upd', exec: Sh.movmskpd });
add({ mnemonic: 'movd', opcode: 0x6e, prefix: 0x66, operands: 'Vx,Ey', exec: Mv.movdToXmm });
add({ mnemonic: 'movdqa', opcode: 0x6f, prefix: 0x66, operands: 'Vx,Wx', exec: Mv.movaLoad });
add({ mnemonic: 'movdqu', opcode: 0x6f, prefix: 0xf3, operands: 'Vx,Wx', exec: Mv.movuLoad });
add({ mnemonic: 'movd', opcode: 0x7e, prefix: 0x66, operands: 'Ey,Vx', exec: Mv.movdFromXmm });
add({ mnemonic: 'movq', opcode: 0x7e, prefix: 0xf3, operands: 'Vx,Wq', exec: Mv.movqLoad });
add({ mnemonic: 'movdqa', opcode: 0x7f, prefix: 0x66, operands: 'Wx,Vx', exec: Mv.movaStore });
add({ mnemonic: 'movdqu', opcode: 0x7f, prefix: 0xf3, operands: 'Wx,Vx', exec: Mv.movuStore });
add({ mnemonic: 'movnti', opcode: 0xc3, prefix: 'none', form: 'mem', operands: 'My,Gy', exec: Mv.movnti });
add({ mnemonic: 'movq', opcode: 0xd6, prefix: 0x66, operands: 'Wq,Vx', exec: Mv.movqStore });
add({ mnemonic: 'pmovmskb', opcode: 0xd7, prefix: 0x66, form: 'reg', operands: 'Gd,Ux', exec: Sh.pmovmskb });
add({ mnemonic: 'movntdq', opcode: 0xe7, prefix: 0x66, form: 'mem', operands: 'Mx,Vx', exec: Mv.movaStore });
add({
  mnemonic: 'maskmovdqu',
  opcode: 0xf7,
  prefix: 0x66,
  form: 'reg',
  operands: 'Vdq,Udq',
  exec: Mv.maskmovdqu,
});

// ------------------------------------------------------------------------------ float arithmetic

const FP_ARITH: [number, string, number][] = [
  [0x51, 'sqrt', Ar.FpOp.SQRT],
  [0x58, 'add', Ar.FpOp.ADD],
  [0x59, 'mul', Ar.FpOp.MUL],
  [0x5c, 'sub', Ar.FpOp.SUB],
  [0x5d, 'min', Ar.FpOp.MIN],
  [0x5e, 'div', Ar.FpOp.DIV],
  [0x5f, 'max', Ar.FpOp.MAX],
];
/** The four forms of each operation: general handler, and the choice of specialised one (sse-arith-fast.ts). */
const FP_FORMS = [
  ['ps', 'none', 'Vps,Wps', Ar.arithPS, Af.specializePS],
  ['pd', 0x66, 'Vpd,Wpd', Ar.arithPD, Af.specializePD],
  ['ss', 0xf3, 'Vss,Wss', Ar.arithSS, Af.specializeSS],
  ['sd', 0xf2, 'Vsd,Wsd', Ar.arithSD, Af.specializeSD],
] as const;
for (const [opcode, name, sub] of FP_ARITH) {
  for (const [suffix, prefix, operands, exec, specialize] of FP_FORMS)
    add({ mnemonic: `${name}${suffix}`, opcode, prefix, operands, exec, sub, specialize });
}
add({ mnemonic: 'rsqrtps', opcode: 0x52, prefix: 'none', operands: 'Vps,Wps', exec: Ar.approxPS, sub: 1 });
add({ mnemonic: 'rsqrtss', opcode: 0x52, prefix: 0xf3, operands: 'Vss,Wss', exec: Ar.approxSS, sub: 1 });
add({ mnemonic: 'rcpps', opcode: 0x53, prefix: 'none', operands: 'Vps,Wps', exec: Ar.approxPS, sub: 0 });
add({ mnemonic: 'rcpss', opcode: 0x53, prefix: 0xf3, operands: 'Vss,Wss', exec: Ar.approxSS, sub: 0 });

const LOGIC: [number, string, number][] = [
  [0x54, 'and', Ar.LogicOp.AND],
  [0x55, 'andn', Ar.LogicOp.ANDN],
  [0x56, 'or', Ar.LogicOp.OR],
  [0x57, 'xor', Ar.LogicOp.XOR],
];
for (const [opcode, name, sub] of LOGIC) {
  add({ mnemonic: `${name}ps`, opcode, prefix: 'none', operands: 'Vps,Wps', exec: Ar.logic, sub });
  add({ mnemonic: `${name}pd`, opcode, prefix: 0x66, operands: 'Vpd,Wpd', exec: Ar.logic, sub });
}
add({ mnemonic: 'pand', opcode: 0xdb, prefix: 0x66, operands: 'Vx,Wx', exec: Ar.logic, sub: Ar.LogicOp.AND });
add({
  mnemonic: 'pandn',
  opcode: 0xdf,
  prefix: 0x66,
  operands: 'Vx,Wx',
  exec: Ar.logic,
  sub: Ar.LogicOp.ANDN,
});
add({ mnemonic: 'por', opcode: 0xeb, prefix: 0x66, operands: 'Vx,Wx', exec: Ar.logic, sub: Ar.LogicOp.OR });
add({ mnemonic: 'pxor', opcode: 0xef, prefix: 0x66, operands: 'Vx,Wx', exec: Ar.logic, sub: Ar.LogicOp.XOR });

// ------------------------------------------------------------------------------------- compares

const comiss = {
  prefix: 'none',
  operands: 'Vss,Wss',
  exec: Cmp.comiss,
  specialize: Cf.specializeComiss,
} as const;
const comisd = {
  prefix: 0x66,
  operands: 'Vsd,Wsd',
  exec: Cmp.comisd,
  specialize: Cf.specializeComisd,
} as const;
add({ ...comiss, mnemonic: 'ucomiss', opcode: 0x2e, sub: 0 });
add({ ...comisd, mnemonic: 'ucomisd', opcode: 0x2e, sub: 0 });
add({ ...comiss, mnemonic: 'comiss', opcode: 0x2f, sub: 1 });
add({ ...comisd, mnemonic: 'comisd', opcode: 0x2f, sub: 1 });
const CMP_FORMS = [
  ['cmpps', 'none', 'Vps,Wps,Ib', Cmp.cmpPS, Cf.specializeCmpPS],
  ['cmppd', 0x66, 'Vpd,Wpd,Ib', Cmp.cmpPD, Cf.specializeCmpPD],
  ['cmpss', 0xf3, 'Vss,Wss,Ib', Cmp.cmpSS, Cf.specializeCmpSS],
  ['cmpsd', 0xf2, 'Vsd,Wsd,Ib', Cmp.cmpSD, Cf.specializeCmpSD],
] as const;
for (const [mnemonic, prefix, operands, exec, specialize] of CMP_FORMS)
  add({ mnemonic, opcode: 0xc2, prefix, operands, exec, specialize });

// ---------------------------------------------------------------------------------- conversions

/** A specialised handler for every form of the row. */
const always = (h: Handler) => () => h;

add({
  mnemonic: 'cvtsi2ss',
  opcode: 0x2a,
  prefix: 0xf3,
  operands: 'Vss,Ey',
  exec: Cv.cvtsi2ss,
  suffix: true,
  specialize: always(Vf.cvtsi2ssFast),
});
add({
  mnemonic: 'cvtsi2sd',
  opcode: 0x2a,
  prefix: 0xf2,
  operands: 'Vsd,Ey',
  exec: Cv.cvtsi2sd,
  suffix: true,
  specialize: always(Vf.cvtsi2sdFast),
});
type ConversionRow = [
  mnemonic: string,
  opcode: number,
  prefix: 0x66 | 0xf2 | 0xf3 | 'none',
  operands: string,
  exec: Handler,
  sub: number,
  specialize: OpDefInput['specialize'],
];
const CONVERSIONS: ConversionRow[] = [
  ['cvttss2si', 0x2c, 0xf3, 'Gy,Wss', Cv.cvtss2si, 1, Vf.specializeCvttss2si],
  ['cvttsd2si', 0x2c, 0xf2, 'Gy,Wsd', Cv.cvtsd2si, 1, Vf.specializeCvttsd2si],
  ['cvtss2si', 0x2d, 0xf3, 'Gy,Wss', Cv.cvtss2si, 0, Vf.specializeCvttss2si],
  ['cvtsd2si', 0x2d, 0xf2, 'Gy,Wsd', Cv.cvtsd2si, 0, Vf.specializeCvttsd2si],
  ['cvtps2pd', 0x5a, 'none', 'Vpd,Wq', Cv.cvtps2pd, 0, always(Vf.cvtps2pdFast)],
  ['cvtpd2ps', 0x5a, 0x66, 'Vps,Wpd', Cv.cvtpd2ps, 0, always(Vf.cvtpd2psFast)],
  ['cvtss2sd', 0x5a, 0xf3, 'Vsd,Wss', Cv.cvtss2sd, 0, always(Vf.cvtss2sdFast)],
  ['cvtsd2ss', 0x5a, 0xf2, 'Vss,Wsd', Cv.cvtsd2ss, 0, always(Vf.cvtsd2ssFast)],
  ['cvtdq2ps', 0x5b, 'none', 'Vps,Wdq', Cv.cvtdq2ps, 0, always(Vf.cvtdq2psFast)],
  ['cvtps2dq', 0x5b, 0x66, 'Vdq,Wps', Cv.cvtps2dq, 0, Vf.specializeCvttps2dq],
  ['cvttps2dq', 0x5b, 0xf3, 'Vdq,Wps', Cv.cvtps2dq, 1, Vf.specializeCvttps2dq],
  ['cvttpd2dq', 0xe6, 0x66, 'Vdq,Wpd', Cv.cvtpd2dq, 1, Vf.specializeCvttpd2dq],
  ['cvtpd2dq', 0xe6, 0xf2, 'Vdq,Wpd', Cv.cvtpd2dq, 0, Vf.specializeCvttpd2dq],
];
for (const [mnemonic, opcode, prefix, operands, exec, sub, specialize] of CONVERSIONS)
  add({ mnemonic, opcode, prefix, operands, exec, sub, specialize });
add({ mnemonic: 'cvtdq2pd', opcode: 0xe6, prefix: 0xf3, operands: 'Vpd,Wq', exec: Cv.cvtdq2pd });

// ------------------------------------------------------------------------ shuffles and unpacks

add({ mnemonic: 'unpcklps', opcode: 0x14, prefix: 'none', operands: 'Vps,Wps', exec: Sh.punpckldq });
add({ mnemonic: 'unpcklpd', opcode: 0x14, prefix: 0x66, operands: 'Vpd,Wpd', exec: Sh.punpcklqdq });
add({ mnemonic: 'unpckhps', opcode: 0x15, prefix: 'none', operands: 'Vps,Wps', exec: Sh.punpckhdq });
add({ mnemonic: 'unpckhpd', opcode: 0x15, prefix: 0x66, operands: 'Vpd,Wpd', exec: Sh.punpckhqdq });
add({ mnemonic: 'shufps', opcode: 0xc6, prefix: 'none', operands: 'Vps,Wps,Ib', exec: Sh.shufps });
add({ mnemonic: 'shufpd', opcode: 0xc6, prefix: 0x66, operands: 'Vpd,Wpd,Ib', exec: Sh.shufpd });
add({ mnemonic: 'pshufd', opcode: 0x70, prefix: 0x66, operands: 'Vx,Wx,Ib', exec: Sh.pshufd });
add({ mnemonic: 'pshuflw', opcode: 0x70, prefix: 0xf2, operands: 'Vx,Wx,Ib', exec: Sh.pshufw, sub: 0 });
add({ mnemonic: 'pshufhw', opcode: 0x70, prefix: 0xf3, operands: 'Vx,Wx,Ib', exec: Sh.pshufw, sub: 1 });
add({ mnemonic: 'pinsrw', opcode: 0xc4, prefix: 0x66, form: 'reg', operands: 'Vx,Rd,Ib', exec: Sh.pinsrw });
add({ mnemonic: 'pinsrw', opcode: 0xc4, prefix: 0x66, form: 'mem', operands: 'Vx,Mw,Ib', exec: Sh.pinsrw });
add({ mnemonic: 'pextrw', opcode: 0xc5, prefix: 0x66, form: 'reg', operands: 'Gd,Ux,Ib', exec: Sh.pextrw });

// ------------------------------------------------------------------------------- packed integer

const PACKED: [number, string, (typeof I)['paddb']][] = [
  [0x60, 'punpcklbw', Sh.punpcklbw],
  [0x61, 'punpcklwd', Sh.punpcklwd],
  [0x62, 'punpckldq', Sh.punpckldq],
  [0x63, 'packsswb', Sh.packsswb],
  [0x64, 'pcmpgtb', I.pcmpgtb],
  [0x65, 'pcmpgtw', I.pcmpgtw],
  [0x66, 'pcmpgtd', I.pcmpgtd],
  [0x67, 'packuswb', Sh.packuswb],
  [0x68, 'punpckhbw', Sh.punpckhbw],
  [0x69, 'punpckhwd', Sh.punpckhwd],
  [0x6a, 'punpckhdq', Sh.punpckhdq],
  [0x6b, 'packssdw', Sh.packssdw],
  [0x6c, 'punpcklqdq', Sh.punpcklqdq],
  [0x6d, 'punpckhqdq', Sh.punpckhqdq],
  [0x74, 'pcmpeqb', I.pcmpeqb],
  [0x75, 'pcmpeqw', I.pcmpeqw],
  [0x76, 'pcmpeqd', I.pcmpeqd],
  [0xd1, 'psrlw', I.psrlw],
  [0xd2, 'psrld', I.psrld],
  [0xd3, 'psrlq', I.psrlq],
  [0xd4, 'paddq', I.paddq],
  [0xd5, 'pmullw', I.pmullw],
  [0xd8, 'psubusb', I.psubusb],
  [0xd9, 'psubusw', I.psubusw],
  [0xda, 'pminub', I.pminub],
  [0xdc, 'paddusb', I.paddusb],
  [0xdd, 'paddusw', I.paddusw],
  [0xde, 'pmaxub', I.pmaxub],
  [0xe0, 'pavgb', I.pavgb],
  [0xe1, 'psraw', I.psraw],
  [0xe2, 'psrad', I.psrad],
  [0xe3, 'pavgw', I.pavgw],
  [0xe4, 'pmulhuw', I.pmulhuw],
  [0xe5, 'pmulhw', I.pmulhw],
  [0xe8, 'psubsb', I.psubsb],
  [0xe9, 'psubsw', I.psubsw],
  [0xea, 'pminsw', I.pminsw],
  [0xec, 'paddsb', I.paddsb],
  [0xed, 'paddsw', I.paddsw],
  [0xee, 'pmaxsw', I.pmaxsw],
  [0xf1, 'psllw', I.psllw],
  [0xf2, 'pslld', I.pslld],
  [0xf3, 'psllq', I.psllq],
  [0xf4, 'pmuludq', I.pmuludq],
  [0xf5, 'pmaddwd', I.pmaddwd],
  [0xf6, 'psadbw', I.psadbw],
  [0xf8, 'psubb', I.psubb],
  [0xf9, 'psubw', I.psubw],
  [0xfa, 'psubd', I.psubd],
  [0xfb, 'psubq', I.psubq],
  [0xfc, 'paddb', I.paddb],
  [0xfd, 'paddw', I.paddw],
  [0xfe, 'paddd', I.paddd],
];
for (const [opcode, mnemonic, exec] of PACKED)
  add({ mnemonic, opcode, prefix: 0x66, operands: 'Vx,Wx', exec });

// Shift groups 12, 13, 14: the register operand is in modrm.rm.
const { SLL, SRL } = I.ShiftKind;
const SHIFT_GROUPS: [number, number, string, (typeof I)['paddb'], number][] = [
  [0x71, 2, 'psrlw', I.psrlwImm, 0],
  [0x71, 4, 'psraw', I.psrawImm, 0],
  [0x71, 6, 'psllw', I.psllwImm, 0],
  [0x72, 2, 'psrld', I.psrldImm, 0],
  [0x72, 4, 'psrad', I.psradImm, 0],
  [0x72, 6, 'pslld', I.pslldImm, 0],
  [0x73, 2, 'psrlq', I.psrlqImm, 0],
  [0x73, 3, 'psrldq', I.byteShift, SRL],
  [0x73, 6, 'psllq', I.psllqImm, 0],
  [0x73, 7, 'pslldq', I.byteShift, SLL],
];
for (const [opcode, ext, mnemonic, exec, sub] of SHIFT_GROUPS) {
  add({ mnemonic, opcode, ext, prefix: 0x66, form: 'reg', operands: 'Ux,Ib', exec, sub });
}

// ------------------------------------------------------------------ group 15: state and ordering

add({
  mnemonic: 'fxsave',
  opcode: 0xae,
  ext: 0,
  prefix: 'none',
  form: 'mem',
  operands: 'M',
  exec: St.fxsave,
});
add({
  mnemonic: 'fxrstor',
  opcode: 0xae,
  ext: 1,
  prefix: 'none',
  form: 'mem',
  operands: 'M',
  exec: St.fxrstor,
});
add({
  mnemonic: 'ldmxcsr',
  opcode: 0xae,
  ext: 2,
  prefix: 'none',
  form: 'mem',
  operands: 'Md',
  exec: St.ldmxcsr,
});
add({
  mnemonic: 'stmxcsr',
  opcode: 0xae,
  ext: 3,
  prefix: 'none',
  form: 'mem',
  operands: 'Md',
  exec: St.stmxcsr,
});
add({ mnemonic: 'lfence', opcode: 0xae, ext: 5, prefix: 'none', form: 'reg', exec: St.fence });
add({ mnemonic: 'mfence', opcode: 0xae, ext: 6, prefix: 'none', form: 'reg', exec: St.fence });
add({ mnemonic: 'sfence', opcode: 0xae, ext: 7, prefix: 'none', form: 'reg', exec: St.fence });
add({
  mnemonic: 'clflush',
  opcode: 0xae,
  ext: 7,
  prefix: 'none',
  form: 'mem',
  operands: 'Mb',
  exec: St.fence,
});

export const SSE_OPS: OpDef[] = rows.map(defineOp);
