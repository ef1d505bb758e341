/**
 * Predicts the oracle's output line (see oracle.c) for one input line, using
 * the TypeScript x87 implementation: it mirrors the register-stack effect of
 * each instruction (including "no change" when an unmasked exception
 * suppresses the result) and formats SW, the stack, memory and EFLAGS.
 */
import {
  add,
  type ConstantName,
  div,
  type Float80,
  f2xm1,
  f80FromHex,
  f80ToHex,
  fabs,
  fchs,
  fcom,
  fcomi,
  fcos,
  fpatan,
  fprem,
  fprem1,
  fptan,
  frndint,
  fromBCD,
  fromFloat32,
  fromFloat64,
  fromInt,
  fscale,
  fsin,
  fsincos,
  ftst,
  fucom,
  fucomi,
  fxam,
  fxtract,
  fyl2x,
  fyl2xp1,
  intBits,
  loadConstant,
  type MemOperand,
  mul,
  SW,
  sqrt,
  sub,
  toBCD,
  toFloat32,
  toFloat64,
  toInt,
  widenFloat32,
  widenFloat64,
  X87Env,
} from '../../src/fpu/index';

const hexN = (v: bigint, digits: number): string => v.toString(16).toUpperCase().padStart(digits, '0');

function fmt(env: X87Env, stack: Float80[], mem: string | null, flags: string | null): string {
  const n = stack.length;
  const top = (8 - n) & 7;
  const sw = (env.sw & ~SW.TOP_MASK) | (top << SW.TOP_SHIFT);
  const st = n === 0 ? '-' : stack.map(f80ToHex).join(',');
  return `${hexN(BigInt(sw), 4)} ${n} ${st} ${mem ?? '-'} ${flags ?? '-'}`;
}

const CONSTS: Record<string, ConstantName> = {
  fld1: 'one',
  fldz: 'zero',
  fldpi: 'pi',
  fldl2e: 'l2e',
  fldl2t: 'l2t',
  fldlg2: 'lg2',
  fldln2: 'ln2',
};

type Bin = (env: X87Env, a: Float80, b: Float80) => Float80;
const BIN: Record<string, Bin> = { fadd: add, fsub: sub, fmul: mul, fdiv: div, fscale };
type Un = (env: X87Env, a: Float80) => Float80;
const UN: Record<string, Un> = { fsqrt: sqrt, frndint, fabs, fchs, f2xm1 };

const MEMOPS: Record<
  string,
  { kind: 's' | 'l' | 'i16' | 'i32'; run: (env: X87Env, a: Float80, m: MemOperand) => Float80 | null }
> = {
  fadds: { kind: 's', run: (e, a, m) => add(e, a, m.value, m.denormal) },
  faddl: { kind: 'l', run: (e, a, m) => add(e, a, m.value, m.denormal) },
  fsubrl: { kind: 'l', run: (e, a, m) => sub(e, m.value, a, m.denormal) },
  fmuls: { kind: 's', run: (e, a, m) => mul(e, a, m.value, m.denormal) },
  fmull: { kind: 'l', run: (e, a, m) => mul(e, a, m.value, m.denormal) },
  fdivl: { kind: 'l', run: (e, a, m) => div(e, a, m.value, m.denormal) },
  fcompl: {
    kind: 'l',
    run: (e, a, m) => {
      fcom(e, a, m.value, m.denormal);
      return null;
    },
  },
  fiaddl: { kind: 'i32', run: (e, a, m) => add(e, a, m.value) },
  fimuls: { kind: 'i16', run: (e, a, m) => mul(e, a, m.value) },
  fidivrl: { kind: 'i32', run: (e, a, m) => div(e, m.value, a) },
};

function memOperand(env: X87Env, kind: 's' | 'l' | 'i16' | 'i32', hex: string): MemOperand {
  if (kind === 's') return widenFloat32(parseInt(hex, 16));
  if (kind === 'l') return widenFloat64(BigInt(`0x${hex}`));
  return {
    value: fromInt(env, BigInt.asIntN(kind === 'i16' ? 16 : 32, BigInt(`0x${hex}`))),
    denormal: false,
  };
}

export function modelLine(line: string): string {
  const [op, cwS, aS, bS] = line.trim().split(/\s+/) as [string, string, string, string];
  const env = new X87Env(parseInt(cwS, 16));
  const A = (): Float80 => f80FromHex(aS);
  const B = (): Float80 => f80FromHex(bS);
  if (op in BIN) {
    const a = A();
    const b = B();
    const r = BIN[op](env, a, b);
    return fmt(env, env.suppressed ? [a, b] : [r, b], null, null);
  }
  if (op in UN) {
    const a = A();
    const r = UN[op](env, a);
    return fmt(env, [env.suppressed ? a : r], null, null);
  }
  if (op in MEMOPS) {
    const a = A();
    const m = MEMOPS[op];
    const r = m.run(env, a, memOperand(env, m.kind, bS));
    if (r === null) return fmt(env, env.suppressed ? [a] : [], null, null); // FCOMP pops
    return fmt(env, [env.suppressed ? a : r], null, null);
  }
  if (op in CONSTS) return fmt(env, [loadConstant(env, CONSTS[op])], null, null);
  switch (op) {
    case 'fprem':
    case 'fprem1': {
      const a = A();
      const b = B();
      const r = (op === 'fprem' ? fprem : fprem1)(env, a, b);
      return fmt(env, [env.suppressed ? a : r.value, b], null, null);
    }
    case 'fyl2x':
    case 'fyl2xp1':
    case 'fpatan': {
      // ST(0) = A (x), ST(1) = B (y); result replaces ST(1) and pops
      const a = A();
      const b = B();
      const f = op === 'fyl2x' ? fyl2x : op === 'fyl2xp1' ? fyl2xp1 : fpatan;
      const r = f(env, a, b);
      return fmt(env, env.suppressed ? [a, b] : [r], null, null);
    }
    case 'fcom':
    case 'fucom': {
      const a = A();
      const b = B();
      (op === 'fcom' ? fcom : fucom)(env, a, b);
      return fmt(env, [a, b], null, null);
    }
    case 'fcomi':
    case 'fucomi': {
      const a = A();
      const b = B();
      const f = (op === 'fcomi' ? fcomi : fucomi)(env, a, b);
      const flags = `${+f.zf}${+f.pf}${+f.cf}`;
      return fmt(env, [a, b], null, flags);
    }
    case 'ftst': {
      const a = A();
      ftst(env, a);
      return fmt(env, [a], null, null);
    }
    case 'fxam': {
      const a = A();
      fxam(env, a);
      return fmt(env, [a], null, null);
    }
    case 'fxtract': {
      const a = A();
      const r = fxtract(env, a);
      return fmt(env, env.suppressed ? [a] : [r.significand, r.exponent], null, null);
    }
    case 'fsin':
    case 'fcos': {
      const a = A();
      const r = (op === 'fsin' ? fsin : fcos)(env, a);
      return fmt(env, [env.suppressed || r.outOfRange ? a : r.value], null, null);
    }
    case 'fptan': {
      const a = A();
      const r = fptan(env, a);
      return fmt(env, env.suppressed || r.outOfRange ? [a] : [r.one, r.value], null, null);
    }
    case 'fsincos': {
      const a = A();
      const r = fsincos(env, a);
      return fmt(env, env.suppressed || r.outOfRange ? [a] : [r.cos, r.sin], null, null);
    }
    case 'flds':
    case 'fldl': {
      const v = op === 'flds' ? fromFloat32(env, parseInt(aS, 16)) : fromFloat64(env, BigInt(`0x${aS}`));
      return fmt(env, env.suppressed ? [] : [v], null, null);
    }
    case 'filds':
    case 'fildl':
    case 'fildll': {
      const w = op === 'filds' ? 16 : op === 'fildl' ? 32 : 64;
      const v = fromInt(env, BigInt.asIntN(w, BigInt(`0x${aS}`)));
      return fmt(env, [v], null, null);
    }
    case 'fbld':
      return fmt(env, [fromBCD(env, BigInt(`0x${aS}`))], null, null);
    case 'fsts':
    case 'fstl': {
      const a = A();
      const bits = op === 'fsts' ? BigInt(toFloat32(env, a)) : toFloat64(env, a);
      const digits = op === 'fsts' ? 8 : 16;
      return fmt(env, [a], env.suppressed ? 'A'.repeat(digits) : hexN(bits, digits), null);
    }
    case 'fistps':
    case 'fistpl':
    case 'fistpll':
    case 'fisttps':
    case 'fisttpl':
    case 'fisttpll': {
      const a = A();
      const w = op.endsWith('ll') ? 64 : op.endsWith('l') ? 32 : 16;
      const n = toInt(env, a, w, op.startsWith('fistt'));
      const digits = w / 4;
      if (env.suppressed) return fmt(env, [a], 'A'.repeat(digits), null);
      return fmt(env, [], hexN(intBits(n, w), digits), null);
    }
    case 'fbstp': {
      const a = A();
      const v = toBCD(env, a);
      if (env.suppressed) return fmt(env, [a], 'A'.repeat(20), null);
      return fmt(env, [], hexN(v, 20), null);
    }
  }
  throw new Error(`model: unknown op ${op}`);
}
