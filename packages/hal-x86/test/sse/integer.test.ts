/**
 * Differential tests of the SSE2 packed-integer instructions, shuffles, unpacks and packs, and of the
 * data-movement instructions (every load/store/register form) against the host CPU.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  baseCase,
  type Case,
  type DiffReport,
  differential,
  encode,
  type Form,
  oracleUnavailable,
  Rng,
  setDest,
  setSource,
  vec32,
} from './harness';

const FORMS: Form[] = ['rr', 'rr', 'rr', 'm', 'm', 'rr8', 'r9', 'r8m'];

/** 16 random bytes, often with saturation-prone or equal lanes. */
function lanes(r: Rng, other?: Uint8Array): Uint8Array {
  const k = r.int(6);
  if (k === 0 && other) return other.slice();
  if (k === 1)
    return vec32(
      [0, 1, 2, 3].map(() =>
        r.pick([0, 0xffffffff, 0x7fff7fff, 0x80008000, 0x7f7f7f7f, 0x80808080, 0x00ff00ff]),
      ),
    );
  if (k === 2 && other) {
    const v = other.slice();
    for (let b = 0; b < 16; b++) if (r.chance(0.3)) v[b] = r.u32() & 0xff;
    return v;
  }
  return r.bytes(16);
}

function place(r: Rng, c: Case, form: Form, dst: Uint8Array, src: Uint8Array): void {
  setDest(c, form, dst);
  setSource(c, form, src);
  if (form === 'm' || form === 'r8m') c.memOff = r.chance(0.02) ? 4 : 0;
}

const PACKED: [number, string][] = [
  [0x60, 'punpcklbw'],
  [0x61, 'punpcklwd'],
  [0x62, 'punpckldq'],
  [0x63, 'packsswb'],
  [0x64, 'pcmpgtb'],
  [0x65, 'pcmpgtw'],
  [0x66, 'pcmpgtd'],
  [0x67, 'packuswb'],
  [0x68, 'punpckhbw'],
  [0x69, 'punpckhwd'],
  [0x6a, 'punpckhdq'],
  [0x6b, 'packssdw'],
  [0x6c, 'punpcklqdq'],
  [0x6d, 'punpckhqdq'],
  [0x74, 'pcmpeqb'],
  [0x75, 'pcmpeqw'],
  [0x76, 'pcmpeqd'],
  [0xd4, 'paddq'],
  [0xd5, 'pmullw'],
  [0xd8, 'psubusb'],
  [0xd9, 'psubusw'],
  [0xda, 'pminub'],
  [0xdb, 'pand'],
  [0xdc, 'paddusb'],
  [0xdd, 'paddusw'],
  [0xde, 'pmaxub'],
  [0xdf, 'pandn'],
  [0xe0, 'pavgb'],
  [0xe3, 'pavgw'],
  [0xe4, 'pmulhuw'],
  [0xe5, 'pmulhw'],
  [0xe8, 'psubsb'],
  [0xe9, 'psubsw'],
  [0xea, 'pminsw'],
  [0xeb, 'por'],
  [0xec, 'paddsb'],
  [0xed, 'paddsw'],
  [0xee, 'pmaxsw'],
  [0xef, 'pxor'],
  [0xf4, 'pmuludq'],
  [0xf5, 'pmaddwd'],
  [0xf6, 'psadbw'],
  [0xf8, 'psubb'],
  [0xf9, 'psubw'],
  [0xfa, 'psubd'],
  [0xfb, 'psubq'],
  [0xfc, 'paddb'],
  [0xfd, 'paddw'],
  [0xfe, 'paddd'],
  // shuffles and unpacks of the float domain
  [0x14, 'unpcklpd'],
  [0x15, 'unpckhpd'],
];

function packedCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  for (const [op, name] of PACKED) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const c = baseCase(r, name, encode(0x66, [op], form));
      const a = lanes(r);
      place(r, c, form, a, lanes(r, a));
      out.push(c);
    }
  }
  for (const [op, name] of [
    [0x14, 'unpcklps'],
    [0x15, 'unpckhps'],
  ] as const) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const c = baseCase(r, name, encode(null, [op], form));
      place(r, c, form, r.bytes(16), r.bytes(16));
      out.push(c);
    }
  }
  return out;
}

/** Shift counts around every lane width. */
function count(r: Rng): number {
  return r.chance(0.7) ? r.int(70) : r.pick([0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255]);
}

function shiftCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  const byXmm: [number, string][] = [
    [0xd1, 'psrlw'],
    [0xd2, 'psrld'],
    [0xd3, 'psrlq'],
    [0xe1, 'psraw'],
    [0xe2, 'psrad'],
    [0xf1, 'psllw'],
    [0xf2, 'pslld'],
    [0xf3, 'psllq'],
  ];
  for (const [op, name] of byXmm) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const c = baseCase(r, `${name}-xmm`, encode(0x66, [op], form));
      const cnt = r.chance(0.1) ? [r.u32(), r.int(3)] : [count(r), 0];
      place(r, c, form, r.bytes(16), vec32([cnt[0], cnt[1], r.u32(), r.u32()]));
      out.push(c);
    }
  }
  const byImm: [number, number, string][] = [
    [0x71, 2, 'psrlw'],
    [0x71, 4, 'psraw'],
    [0x71, 6, 'psllw'],
    [0x72, 2, 'psrld'],
    [0x72, 4, 'psrad'],
    [0x72, 6, 'pslld'],
    [0x73, 2, 'psrlq'],
    [0x73, 3, 'psrldq'],
    [0x73, 6, 'psllq'],
    [0x73, 7, 'pslldq'],
  ];
  for (const [op, ext, name] of byImm) {
    for (let t = 0; t < n; t++) {
      const rex = r.chance(0.3);
      const code = [0x66, ...(rex ? [0x41] : []), 0x0f, op, 0xc0 | (ext << 3) | (rex ? 1 : 0), count(r)];
      const c = baseCase(r, `${name}-imm`, code);
      out.push(c);
    }
  }
  return out;
}

function shuffleCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  const list: [number | null, number, string][] = [
    [0x66, 0x70, 'pshufd'],
    [0xf2, 0x70, 'pshuflw'],
    [0xf3, 0x70, 'pshufhw'],
    [null, 0xc6, 'shufps'],
    [0x66, 0xc6, 'shufpd'],
  ];
  for (const [prefix, op, name] of list) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const c = baseCase(r, name, encode(prefix, [op], form, r.int(256)));
      place(r, c, form, r.bytes(16), r.bytes(16));
      out.push(c);
    }
  }
  for (let t = 0; t < n; t++) {
    // pinsrw xmm0, eax / [rdx], imm ; pextrw eax, xmm1, imm ; with REX variants
    const mem = r.chance(0.3);
    const rex = r.chance(0.3) ? [0x44] : r.chance(0.2) ? [0x48] : [];
    const ins = baseCase(r, 'pinsrw', [0x66, ...rex, 0x0f, 0xc4, mem ? 0x02 : 0xc0, r.int(256)]);
    ins.memOff = r.int(16);
    out.push(ins);
    const rex2 = r.chance(0.3) ? [0x41] : r.chance(0.2) ? [0x48] : [];
    out.push(baseCase(r, 'pextrw', [0x66, ...rex2, 0x0f, 0xc5, 0xc1, r.int(256)]));
  }
  for (const [prefix, op, name] of [
    [null, 0x50, 'movmskps'],
    [0x66, 0x50, 'movmskpd'],
    [0x66, 0xd7, 'pmovmskb'],
  ] as const) {
    for (let t = 0; t < n / 4; t++) {
      const rex = r.chance(0.3) ? [0x41] : r.chance(0.3) ? [0x48] : [];
      out.push(baseCase(r, name, [...(prefix === null ? [] : [prefix]), ...rex, 0x0f, op, 0xc1]));
    }
  }
  return out;
}

/** Every move form: loads and stores with register and memory operands, upper-bits behaviour included. */
function moveCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  // [prefix, opcode, name, memory-only?, register-only?, alignment required?]
  const list: [number | null, number, string, 'any' | 'mem' | 'reg', boolean][] = [
    [null, 0x10, 'movups-load', 'any', false],
    [0x66, 0x10, 'movupd-load', 'any', false],
    [0xf3, 0x10, 'movss-load', 'any', false],
    [0xf2, 0x10, 'movsd-load', 'any', false],
    [null, 0x11, 'movups-store', 'any', false],
    [0x66, 0x11, 'movupd-store', 'any', false],
    [0xf3, 0x11, 'movss-store', 'any', false],
    [0xf2, 0x11, 'movsd-store', 'any', false],
    [null, 0x12, 'movlps/movhlps', 'any', false],
    [0x66, 0x12, 'movlpd-load', 'mem', false],
    [null, 0x13, 'movlps-store', 'mem', false],
    [0x66, 0x13, 'movlpd-store', 'mem', false],
    [null, 0x16, 'movhps/movlhps', 'any', false],
    [0x66, 0x16, 'movhpd-load', 'mem', false],
    [null, 0x17, 'movhps-store', 'mem', false],
    [0x66, 0x17, 'movhpd-store', 'mem', false],
    [null, 0x28, 'movaps-load', 'any', true],
    [0x66, 0x28, 'movapd-load', 'any', true],
    [null, 0x29, 'movaps-store', 'any', true],
    [0x66, 0x29, 'movapd-store', 'any', true],
    [null, 0x2b, 'movntps', 'mem', true],
    [0x66, 0x2b, 'movntpd', 'mem', true],
    [0x66, 0x6f, 'movdqa-load', 'any', true],
    [0xf3, 0x6f, 'movdqu-load', 'any', false],
    [0x66, 0x7f, 'movdqa-store', 'any', true],
    [0xf3, 0x7f, 'movdqu-store', 'any', false],
    [0xf3, 0x7e, 'movq-load', 'any', false],
    [0x66, 0xd6, 'movq-store', 'any', false],
    [0x66, 0xe7, 'movntdq', 'mem', true],
  ];
  for (const [prefix, op, name, forms, aligned] of list) {
    for (let t = 0; t < n; t++) {
      let form = r.pick(FORMS);
      if (forms === 'mem') form = r.chance(0.7) ? 'm' : 'r8m';
      const c = baseCase(r, name, encode(prefix, [op], form));
      c.mem = r.bytes(16);
      if (form === 'm' || form === 'r8m') c.memOff = aligned ? (r.chance(0.05) ? 8 : 0) : r.int(16);
      out.push(c);
    }
  }
  // movd/movq between xmm and general registers or memory
  for (let t = 0; t < n; t++) {
    for (const op of [0x6e, 0x7e]) {
      const w = r.chance(0.5);
      const mem = r.chance(0.4);
      const rexR = r.chance(0.2) ? 0x44 : 0;
      const rex = (w ? 0x48 : 0) | rexR;
      const code = [0x66, ...(rex ? [rex | 0x40] : []), 0x0f, op, mem ? 0x02 : 0xc1];
      const c = baseCase(r, `movd-${op === 0x6e ? 'to' : 'from'}-xmm${w ? '-q' : ''}`, code);
      c.memOff = r.int(16);
      out.push(c);
    }
    const w = r.chance(0.5);
    const c = baseCase(r, 'movnti', [...(w ? [0x48] : []), 0x0f, 0xc3, 0x02]);
    c.memOff = r.int(16);
    out.push(c);
  }
  // ldmxcsr / stmxcsr
  for (let t = 0; t < n; t++) {
    const c = baseCase(r, 'ldmxcsr', [0x0f, 0xae, 0x12]);
    const v = r.chance(0.1) ? r.u32() : (r.u32() & 0xffff) | 0x1f80;
    c.mem = vec32([v, 0, 0, 0]).slice(0, 4);
    out.push(c);
    const s = baseCase(r, 'stmxcsr', [0x0f, 0xae, 0x1a]);
    s.mxcsr = (r.u32() & 0xffbf) | 0x1f80;
    s.mem = r.bytes(8);
    s.memOff = r.int(8);
    out.push(s);
  }
  // Mandatory-prefix combinations: the last of F2/F3 selects the form, 66 is overridden by either, and a
  // prefix the opcode does not define makes it undefined.
  for (const code of [
    [0xf3, 0x0f, 0x28, 0xc1],
    [0xf2, 0x0f, 0x29, 0xc1],
    [0xf3, 0x0f, 0x14, 0xc1],
    [0xf3, 0x66, 0x0f, 0x58, 0xc1],
    [0x66, 0xf3, 0x0f, 0x58, 0xc1],
    [0x66, 0xf2, 0x0f, 0x58, 0xc1],
    [0xf2, 0x66, 0xf3, 0x0f, 0x58, 0xc1],
    [0xf3, 0xf2, 0x0f, 0x10, 0xc1],
    [0xf3, 0x0f, 0x50, 0xc1],
    [0xf2, 0x0f, 0x6f, 0xc1],
    [0xf3, 0x0f, 0xc6, 0xc1, 0x1b],
    [0x66, 0x0f, 0x10, 0xc1],
    [0x66, 0x66, 0x0f, 0xfe, 0xc1],
    [0x66, 0x48, 0x0f, 0xfe, 0xc1],
    [0xf3, 0x48, 0x0f, 0x7e, 0xc1],
    [0x2e, 0x66, 0x0f, 0xfe, 0xc1],
  ]) {
    out.push(baseCase(r, 'prefix-combos', code));
  }
  // fences and clflush
  for (const code of [
    [0x0f, 0xae, 0xe8],
    [0x0f, 0xae, 0xf0],
    [0x0f, 0xae, 0xf8],
    [0x0f, 0xae, 0x3a],
  ]) {
    out.push(baseCase(r, 'fence', code));
  }
  return out;
}

const unavailable = oracleUnavailable();

describe.skipIf(unavailable !== '')('SSE2 integer, shuffle and move instructions vs the host CPU', () => {
  const scale = Number(process.env.SSE_TEST_SCALE ?? 1);
  const r = new Rng(Number(process.env.SSE_TEST_SEED ?? 0x1a7e6e5));
  const groups = {
    packed: packedCases(r, 150 * scale),
    shifts: shiftCases(r, 200 * scale),
    shuffles: shuffleCases(r, 200 * scale),
    moves: moveCases(r, 150 * scale),
  };
  let report: DiffReport;
  beforeAll(() => {
    report = differential(Object.values(groups).flat());
  });

  for (const [name, cases] of Object.entries(groups)) {
    it(`${name}: ${cases.length} cases match bit for bit`, () => {
      const msgs: string[] = [];
      for (const f of new Set(cases.map((c) => c.family))) {
        const list = report.failures.get(f);
        if (list)
          msgs.push(
            `${f}: ${list.length} of ${report.perFamily.get(f)} differ\n${list.slice(0, 4).join('\n')}`,
          );
      }
      expect(msgs.join('\n\n')).toBe('');
    });
  }
});
