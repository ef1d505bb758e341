/**
 * Differential tests of the SSE/SSE2 floating-point instructions against the host CPU: arithmetic,
 * min/max, square root, compares, COMIS/UCOMIS, conversions and bitwise logic, with special values,
 * every rounding mode, DAZ/FTZ, preset sticky flags and occasionally unmasked exceptions (#XM).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  baseCase,
  type Case,
  type DiffReport,
  differential,
  encode,
  type Form,
  f32bits,
  f64bits,
  near32,
  near64,
  oracleUnavailable,
  Rng,
  rand32,
  rand64,
  randMxcsr,
  setDest,
  setSource,
  vec32,
  vec64,
} from './harness';

const KINDS = [
  { suffix: 'ps', prefix: null, wide: false, count: 4 },
  { suffix: 'pd', prefix: 0x66, wide: true, count: 2 },
  { suffix: 'ss', prefix: 0xf3, wide: false, count: 1 },
  { suffix: 'sd', prefix: 0xf2, wide: true, count: 1 },
] as const;

const FORMS: Form[] = ['rr', 'rr', 'rr', 'm', 'm', 'rr8', 'r9', 'r8m'];

/** Random source/destination vectors, pairing elements so that results hit edge cases. */
function operands(r: Rng, wide: boolean): [Uint8Array, Uint8Array] {
  if (wide) {
    const a = [rand64(r), rand64(r)];
    const b = a.map((x) => (r.chance(0.3) ? near64(r, x) : rand64(r)));
    return [vec64(a), vec64(b)];
  }
  const a = [rand32(r), rand32(r), rand32(r), rand32(r)];
  const b = a.map((x) => (r.chance(0.3) ? near32(r, x) : rand32(r)));
  return [vec32(a), vec32(b)];
}

/** Places operands per form; packed memory operands are aligned except for a few misaligned ones. */
function place(r: Rng, c: Case, form: Form, dst: Uint8Array, src: Uint8Array, packed: boolean): void {
  setDest(c, form, dst);
  setSource(c, form, src);
  if (form === 'm' || form === 'r8m') c.memOff = packed ? (r.chance(0.03) ? 8 : 0) : r.int(16);
}

function arithCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  const ops: [number, string][] = [
    [0x58, 'add'],
    [0x59, 'mul'],
    [0x5c, 'sub'],
    [0x5d, 'min'],
    [0x5e, 'div'],
    [0x5f, 'max'],
    [0x51, 'sqrt'],
  ];
  for (const [op, name] of ops) {
    for (const k of KINDS) {
      for (let t = 0; t < n; t++) {
        const form = r.pick(FORMS);
        const c = baseCase(r, `${name}${k.suffix}`, encode(k.prefix, [op], form));
        const [a, b] = operands(r, k.wide);
        place(r, c, form, a, b, k.count > 1);
        c.mxcsr = randMxcsr(r, 0.05);
        out.push(c);
      }
    }
  }
  return out;
}

function compareCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  for (const k of KINDS) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const imm = r.chance(0.9) ? r.int(8) : r.int(256);
      const c = baseCase(r, `cmp${k.suffix}`, encode(k.prefix, [0xc2], form, imm));
      const [a, b] = operands(r, k.wide);
      place(r, c, form, a, b, k.count > 1);
      c.mxcsr = randMxcsr(r, 0.05);
      out.push(c);
    }
  }
  for (const [op, name] of [
    [0x2e, 'ucomis'],
    [0x2f, 'comis'],
  ] as const) {
    for (const [prefix, suffix, wide] of [
      [null, 's', false],
      [0x66, 'd', true],
    ] as const) {
      for (let t = 0; t < n; t++) {
        const form = r.pick(FORMS);
        const c = baseCase(r, `${name}${suffix}`, encode(prefix, [op], form));
        const [a, b] = operands(r, wide);
        place(r, c, form, a, b, false);
        c.mxcsr = randMxcsr(r, 0.05);
        out.push(c);
      }
    }
  }
  return out;
}

function logicCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  for (const [op, name] of [
    [0x54, 'and'],
    [0x55, 'andn'],
    [0x56, 'or'],
    [0x57, 'xor'],
  ] as const) {
    for (const [prefix, suffix] of [
      [null, 'ps'],
      [0x66, 'pd'],
    ] as const) {
      for (let t = 0; t < n; t++) {
        const form = r.pick(FORMS);
        const c = baseCase(r, `${name}${suffix}`, encode(prefix, [op], form));
        place(r, c, form, r.bytes(16), r.bytes(16), true);
        out.push(c);
      }
    }
  }
  // The zeroing idiom (same register twice).
  for (const code of [
    [0x0f, 0x57, 0xc0],
    [0x66, 0x0f, 0x57, 0xc9],
    [0x0f, 0x55, 0xc0],
  ]) {
    out.push(baseCase(r, 'xorps-self', code));
  }
  return out;
}

/** Values at the edges of the binary64 range (and their neighbours), for exhaustive pairings. */
const EDGE64 = [
  0n,
  1n,
  2n,
  3n,
  0x000fffffffffffffn,
  0x0010000000000000n,
  0x0010000000000001n,
  0x001fffffffffffffn,
  0x0018000000000000n,
  0x7fefffffffffffffn,
  0x7feffffffffffffen,
  0x7fe0000000000000n,
  0x7fe0000000000001n,
  0x7ff0000000000000n,
  0x7ff8000000000000n,
  0x7ff0000000000002n,
  0x3ff0000000000000n,
  0x3ff0000000000001n,
  0x4008000000000000n,
  0x3fefffffffffffffn,
  0x5ff0000000000000n,
  0x1ff0000000000000n,
  0x3cb0000000000000n,
  0x4340000000000000n,
  0x3c90000000000000n,
  0x0000000000000002n,
  0x3ca0000000000000n,
];
const EDGE32 = [
  0, 1, 2, 3, 0x007fffff, 0x00800000, 0x00800001, 0x00ffffff, 0x00c00000, 0x7f7fffff, 0x7f7ffffe, 0x7f000000,
  0x7f000001, 0x7f800000, 0x7fc00000, 0x7f800002, 0x3f800000, 0x3f800001, 0x40400000, 0x3f7fffff, 0x5f800000,
  0x1f800000, 0x33800000, 0x4b800000, 0x33000000, 0x34000000,
];

function edgeCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  const ops: [number, string][] = [
    [0x58, 'add'],
    [0x59, 'mul'],
    [0x5c, 'sub'],
    [0x5e, 'div'],
    [0x51, 'sqrt'],
    [0x5d, 'min'],
  ];
  for (const [op, name] of ops) {
    for (const [prefix, suffix, wide] of [
      [0xf3, 'ss', false],
      [0xf2, 'sd', true],
    ] as const) {
      for (let t = 0; t < n; t++) {
        const c = baseCase(r, `edge-${name}${suffix}`, encode(prefix, [op], 'rr'));
        if (wide) {
          const sign = () => (r.chance(0.5) ? 0x8000000000000000n : 0n);
          c.x0 = vec64([r.pick(EDGE64) | sign(), rand64(r)]);
          c.x1 = vec64([r.pick(EDGE64) | sign(), rand64(r)]);
        } else {
          const sign = () => (r.chance(0.5) ? 0x80000000 : 0);
          c.x0 = vec32([r.pick(EDGE32) | sign(), rand32(r), rand32(r), rand32(r)]);
          c.x1 = vec32([r.pick(EDGE32) | sign(), rand32(r), rand32(r), rand32(r)]);
        }
        c.mxcsr = randMxcsr(r, 0.1);
        out.push(c);
      }
    }
  }
  // Narrowing conversions of binary64 edge values to binary32.
  for (let t = 0; t < n; t++) {
    const c = baseCase(r, 'edge-cvtsd2ss', encode(0xf2, [0x5a], 'rr'));
    const v = r.chance(0.5)
      ? r.pick(EDGE64)
      : r.pick([
          0x47efffffe0000000n,
          0x47efffffefffffffn,
          0x47effffff0000000n,
          0x380fffffe0000000n,
          0x380ffffff0000000n,
          0x380fffffffffffffn,
          0x36a0000000000000n,
          0x3690000000000000n,
          0x3690000000000001n,
          0x36a8000000000000n,
        ]);
    c.x1 = vec64([v | (r.chance(0.5) ? 0x8000000000000000n : 0n), 0n]);
    c.mxcsr = randMxcsr(r, 0.1);
    out.push(c);
  }
  return out;
}

/** Doubles near the integer ranges and rounding ties, for conversions to integers. */
function convDouble(r: Rng): bigint {
  const k = r.int(8);
  if (k < 3) return rand64(r);
  if (k < 5) {
    const bound = r.pick([2 ** 31, 2 ** 63, 2 ** 32, 2 ** 24, 2 ** 53, 1, 2]);
    const v = (r.chance(0.5) ? -bound : bound) + r.pick([-1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5]);
    return f64bits(v);
  }
  const v = (r.int(2000) - 1000) / r.pick([1, 2, 4, 8, 3]);
  return f64bits(v);
}

function convFloat(r: Rng): number {
  const k = r.int(8);
  if (k < 3) return rand32(r);
  if (k < 5) {
    const bound = r.pick([2 ** 31, 2 ** 63, 2 ** 32, 2 ** 24, 1, 2]);
    const v =
      (r.chance(0.5) ? -bound : bound) +
      r.pick([-1.5, -1, -0.5, 0, 0.5, 1, 1.5]) * (bound > 2 ** 24 ? bound / 2 ** 23 : 1);
    return f32bits(v);
  }
  return f32bits((r.int(2000) - 1000) / r.pick([1, 2, 4, 8, 3]));
}

/** Random 64-bit integers with every bit length (so int -> float conversions round at every position). */
function randInt64(r: Rng): bigint {
  const k = r.int(6);
  if (k === 0)
    return r.pick([
      0n,
      1n,
      -1n,
      0x7fffffffn,
      -0x80000000n,
      0x7fffffffffffffffn,
      -0x8000000000000000n,
      0x1000001n,
      0x20000000000001n,
    ]);
  const bits = 1 + r.int(64);
  let v = ((BigInt(r.u32()) << 32n) | BigInt(r.u32())) & ((1n << BigInt(bits)) - 1n);
  if (r.chance(0.3)) v |= 1n << BigInt(bits - 1);
  return BigInt.asIntN(64, r.chance(0.5) ? -v : v);
}

function convertCases(r: Rng, n: number): Case[] {
  const out: Case[] = [];
  // int -> scalar float: xmm0 <- eax/rax or [rdx]
  for (const [prefix, name] of [
    [0xf3, 'cvtsi2ss'],
    [0xf2, 'cvtsi2sd'],
  ] as const) {
    for (let t = 0; t < n; t++) {
      const w = r.chance(0.5);
      const mem = r.chance(0.3);
      const code = [prefix, ...(w ? [0x48] : []), 0x0f, 0x2a, mem ? 0x02 : 0xc0];
      const c = baseCase(r, `${name}${w ? 'q' : 'l'}`, code);
      const v = randInt64(r);
      c.rax = BigInt.asUintN(64, w ? v : BigInt.asIntN(32, v) | (BigInt(r.u32()) << 32n));
      if (mem) {
        c.mem = vec64([v, 0n]);
        c.memOff = r.int(16);
      }
      c.mxcsr = randMxcsr(r, 0.05);
      out.push(c);
    }
  }
  // scalar float -> int: eax/rax <- xmm1 or [rdx]
  for (const [prefix, op, name, wide] of [
    [0xf3, 0x2c, 'cvttss2si', false],
    [0xf3, 0x2d, 'cvtss2si', false],
    [0xf2, 0x2c, 'cvttsd2si', true],
    [0xf2, 0x2d, 'cvtsd2si', true],
  ] as const) {
    for (let t = 0; t < n; t++) {
      const w = r.chance(0.5);
      const mem = r.chance(0.3);
      const code = [prefix, ...(w ? [0x48] : []), 0x0f, op, mem ? 0x02 : 0xc1];
      const c = baseCase(r, `${name}${w ? 'q' : 'l'}`, code);
      const src = wide ? vec64([convDouble(r), rand64(r)]) : vec32([convFloat(r), rand32(r), 0, 0]);
      if (mem) {
        c.mem = src;
        c.memOff = r.int(16);
      } else {
        c.x1 = src;
      }
      c.mxcsr = randMxcsr(r, 0.05);
      out.push(c);
    }
  }
  // vector and scalar float <-> float / int conversions
  const VECTOR: [number | null, number, string, 'f' | 'd' | 'i' | 'cd', boolean][] = [
    [0xf3, 0x5a, 'cvtss2sd', 'f', false],
    [0xf2, 0x5a, 'cvtsd2ss', 'd', false],
    [null, 0x5a, 'cvtps2pd', 'f', false],
    [0x66, 0x5a, 'cvtpd2ps', 'd', true],
    [null, 0x5b, 'cvtdq2ps', 'i', true],
    [0x66, 0x5b, 'cvtps2dq', 'f', true],
    [0xf3, 0x5b, 'cvttps2dq', 'f', true],
    [0x66, 0xe6, 'cvttpd2dq', 'cd', true],
    [0xf2, 0xe6, 'cvtpd2dq', 'cd', true],
    [0xf3, 0xe6, 'cvtdq2pd', 'i', false],
  ];
  for (const [prefix, op, name, kind, aligned] of VECTOR) {
    for (let t = 0; t < n; t++) {
      const form = r.pick(FORMS);
      const c = baseCase(r, name, encode(prefix, [op], form));
      let src: Uint8Array;
      if (kind === 'f') {
        const ints = name.includes('dq');
        src = vec32([0, 1, 2, 3].map(() => (ints ? convFloat(r) : rand32(r))));
      } else if (kind === 'd') {
        src = vec64([rand64(r), rand64(r)]);
      } else if (kind === 'cd') {
        src = vec64([convDouble(r), convDouble(r)]);
      } else {
        src = vec32([0, 1, 2, 3].map(() => Number(BigInt.asUintN(32, randInt64(r)))));
      }
      place(r, c, form, r.bytes(16), src, aligned);
      c.mxcsr = randMxcsr(r, 0.05);
      out.push(c);
    }
  }
  return out;
}

function byPrefix(report: DiffReport, families: string[]): string[] {
  const msgs: string[] = [];
  for (const f of families) {
    const list = report.failures.get(f);
    if (list)
      msgs.push(`${f}: ${list.length} of ${report.perFamily.get(f)} differ\n${list.slice(0, 4).join('\n')}`);
  }
  return msgs;
}

const unavailable = oracleUnavailable();

describe.skipIf(unavailable !== '')('SSE floating point vs the host CPU', () => {
  // SSE_TEST_SCALE / SSE_TEST_SEED widen the search when investigating (defaults keep the run short).
  const scale = Number(process.env.SSE_TEST_SCALE ?? 1);
  const r = new Rng(Number(process.env.SSE_TEST_SEED ?? 0x5eed5e));
  const groups = {
    arith: arithCases(r, 400 * scale),
    compare: compareCases(r, 500 * scale),
    logic: logicCases(r, 40 * scale),
    convert: convertCases(r, 500 * scale),
    edge: edgeCases(r, 600 * scale),
  };
  let report: DiffReport;
  beforeAll(() => {
    report = differential(Object.values(groups).flat());
  });

  for (const [name, cases] of Object.entries(groups)) {
    it(`${name}: ${cases.length} cases match bit for bit`, () => {
      const families = [...new Set(cases.map((c) => c.family))];
      const msgs = byPrefix(report, families);
      expect(msgs.join('\n\n')).toBe('');
    });
  }
});
