/**
 * Random oracle input lines per operation (deterministic given the Rng), with
 * operands steered towards the interesting regions of each instruction.
 */
import { cwHex, f80Hex, type Rng, randCW, randF80, randNormal, randSigBits } from './harness';

const J = 1n << 63n;
const hx = (v: bigint, digits: number): string =>
  BigInt.asUintN(digits * 4, v)
    .toString(16)
    .toUpperCase()
    .padStart(digits, '0');

function expOf(h: string): number {
  return parseInt(h.slice(0, 4), 16) & 0x7fff;
}

/** A float32/float64 bit pattern as hex, mixing specials, denormals and normals. */
function randBinary(r: Rng, expBits: number, fracBits: number): string {
  const total = 1 + expBits + fracBits;
  const sign = BigInt(r.int(2)) << BigInt(expBits + fracBits);
  const emax = (1n << BigInt(expBits)) - 1n;
  const fracMask = (1n << BigInt(fracBits)) - 1n;
  let frac = randSigBits(r) & fracMask;
  let e: bigint;
  const k = r.int(10);
  if (k < 5) e = BigInt(r.range(1, Number(emax) - 1));
  else if (k < 7) e = 0n;
  else if (k < 8) {
    e = 0n;
    frac = 0n;
  } else if (k < 9) {
    e = emax;
    if (r.chance(0.3)) frac = 0n;
    else if (frac === 0n) frac = 1n;
  } else e = BigInt(r.chance(0.5) ? r.range(1, 3) : Number(emax) - r.range(1, 3));
  return hx(sign | (e << BigInt(fracBits)) | frac, total / 4);
}

/** Operand for stores to a format with the given exponent limits: hit overflow/underflow/rounding boundaries. */
function storeOperand(r: Rng, emin: number, emax: number, p: number): string {
  const k = r.int(10);
  if (k < 3) return randF80(r);
  if (k < 5) return randNormal(r, 0x3fff + r.range(-20, 20));
  if (k < 7) return randNormal(r, 0x3fff + emax + r.range(-2, 2));
  if (k < 9) return randNormal(r, 0x3fff + emin + r.range(-p - 3, 2));
  // exactly representable / ties in the destination
  const sig = ((r.u64() | J) >> BigInt(64 - p - 1)) << BigInt(64 - p - 1);
  return f80Hex(r.int(2), 0x3fff + r.range(emin - p, emax), sig);
}

function intOperand(r: Rng, width: number): string {
  const k = r.int(10);
  if (k < 3) return randF80(r);
  if (k < 6) return randNormal(r, 0x3fff + r.range(-2, width + 1));
  if (k < 8) return randNormal(r, 0x3fff + width - 1 + r.range(-1, 0));
  // integers and half-integers near the limits
  const e = 0x3fff + r.range(0, width);
  const sig = ((r.u64() | J) >> BigInt(r.range(0, 63))) << BigInt(0);
  const L = sig.toString(2).length;
  return f80Hex(r.int(2), e, (sig << BigInt(64 - L)) & ((1n << 64n) - 1n));
}

function bcdOperand(r: Rng): string {
  let s = '';
  const digits = r.range(0, 18);
  for (let i = 0; i < 18; i++) s += i < 18 - digits ? '0' : String(r.int(10));
  return (r.chance(0.5) ? '80' : '00') + s;
}

/** Binary arithmetic operands: specials, close exponents (cancellation), results near the range limits. */
function binaryOperands(r: Rng, op: string): [string, string] {
  const a = randF80(r);
  const k = r.int(10);
  if (k < 4) return [a, randF80(r)];
  const ea = expOf(a);
  if (k < 7) return [a, randNormal(r, ea + r.range(-3, 3))];
  // aim the result exponent at the overflow or underflow threshold
  const target = r.chance(0.5) ? r.range(-70, 3) : 0x7fff + r.range(-3, 2);
  const sa = randNormal(r, r.range(1, 0x7ffe));
  const esa = expOf(sa);
  if (op === 'fmul') return [sa, randNormal(r, target - esa + 0x3fff)];
  if (op === 'fdiv') return [sa, randNormal(r, esa - target + 0x3fff)];
  if (op === 'fscale')
    return [
      randNormal(r, 0x3fff + r.range(-20, 20)),
      f80Hex(r.int(2), 0x3fff + r.range(0, 15), randSigBits(r) | J),
    ];
  return [randNormal(r, target), randNormal(r, target + r.range(-2, 2))];
}

/** A float64 bit pattern close in magnitude to the 80-bit value `a` (for cancellation), or random. */
function doubleNear(r: Rng, a: string): string {
  const e = expOf(a) - 0x3fff + 1023 + r.range(-2, 2);
  if (e < 1 || e > 2046 || r.chance(0.4)) return randBinary(r, 11, 52);
  const sign = BigInt(parseInt(a.slice(0, 1), 16) >> 3) ^ BigInt(r.int(2));
  const frac = (BigInt(`0x${a.slice(4)}`) >> 11n) & ((1n << 52n) - 1n);
  const bits =
    (sign << 63n) | (BigInt(e) << 52n) | (r.chance(0.5) ? frac : randSigBits(r) & ((1n << 52n) - 1n));
  return hx(bits, 16);
}

/** One oracle input line for `op`. */
export function genCase(op: string, r: Rng): string {
  const cw = cwHex(randCW(r));
  switch (op) {
    case 'fadds':
    case 'fmuls':
      return `${op} ${cw} ${randF80(r)} ${randBinary(r, 8, 23)}`;
    case 'faddl':
    case 'fsubrl':
    case 'fmull':
    case 'fdivl':
    case 'fcompl': {
      const a = randF80(r);
      return `${op} ${cw} ${a} ${doubleNear(r, a)}`;
    }
    case 'fiaddl':
    case 'fidivrl':
      return `${op} ${cw} ${randF80(r)} ${hx(r.u64() >> BigInt(r.int(64)), 8)}`;
    case 'fimuls':
      return `${op} ${cw} ${randF80(r)} ${hx(r.u64() >> BigInt(r.int(64)), 4)}`;
    case 'flds':
      return `${op} ${cw} ${randBinary(r, 8, 23)} -`;
    case 'fldl':
      return `${op} ${cw} ${randBinary(r, 11, 52)} -`;
    case 'filds':
      return `${op} ${cw} ${hx(r.u64(), 4)} -`;
    case 'fildl':
      return `${op} ${cw} ${hx(r.u64() >> BigInt(r.int(32)), 8)} -`;
    case 'fildll':
      return `${op} ${cw} ${hx(r.chance(0.5) ? r.u64() : r.u64() >> BigInt(r.int(64)), 16)} -`;
    case 'fbld':
      return `${op} ${cw} ${bcdOperand(r)} -`;
    case 'fsts':
      return `${op} ${cw} ${storeOperand(r, -126, 127, 24)} -`;
    case 'fstl':
      return `${op} ${cw} ${storeOperand(r, -1022, 1023, 53)} -`;
    case 'fistps':
    case 'fisttps':
      return `${op} ${cw} ${intOperand(r, 16)} -`;
    case 'fistpl':
    case 'fisttpl':
      return `${op} ${cw} ${intOperand(r, 32)} -`;
    case 'fistpll':
    case 'fisttpll':
      return `${op} ${cw} ${intOperand(r, 64)} -`;
    case 'fbstp':
      return `${op} ${cw} ${intOperand(r, 60)} -`;
    case 'fld1':
    case 'fldz':
    case 'fldpi':
    case 'fldl2e':
    case 'fldl2t':
    case 'fldlg2':
    case 'fldln2':
      return `${op} ${cw} - -`;
    case 'fsqrt':
    case 'frndint':
    case 'fxtract':
    case 'fabs':
    case 'fchs':
    case 'ftst':
    case 'fxam':
      return `${op} ${cw} ${r.chance(0.5) ? randF80(r, { centre: 0x3fff, spread: 70 }) : randF80(r, { spread: 16400 })} -`;
    default: {
      const [a, b] = binaryOperands(r, op);
      return `${op} ${cw} ${a} ${b}`;
    }
  }
}
