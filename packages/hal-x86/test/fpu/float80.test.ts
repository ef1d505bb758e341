import { describe, expect, it } from 'vitest';
import {
  CW,
  classifyF80,
  F80_INDEFINITE,
  F80Class,
  f80FromHex,
  f80FromNumber,
  f80ToFloat64Number,
  f80ToHex,
  isUnsupported,
  makeF80,
  packF80,
  precisionBits,
  roundingMode,
  SW,
  unpackF80,
  X87Env,
} from '../../src/fpu/index';
import { Rng } from './harness';

describe('Float80 packing', () => {
  it('packs little-endian with sign/exponent in bytes 8..9', () => {
    const v = f80FromHex('C000C90FDAA22168C235');
    const b = packF80(v);
    expect(Array.from(b)).toEqual([0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0xc0]);
    expect(v.sign).toBe(1);
    expect(v.exp).toBe(0x4000);
    expect(v.sig).toBe(0xc90fdaa22168c235n);
  });

  it('round-trips random bit patterns through bytes and hex', () => {
    const r = new Rng(42);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(10);
      for (let j = 0; j < 10; j++) bytes[j] = r.int(256);
      const v = unpackF80(bytes);
      expect(Array.from(packF80(v))).toEqual(Array.from(bytes));
      expect(f80FromHex(f80ToHex(v))).toEqual(v);
    }
  });

  it('packs at an offset into an existing buffer', () => {
    const buf = new Uint8Array(16).fill(0xee);
    packF80(f80FromHex('3FFF8000000000000000'), buf, 3);
    expect(buf[2]).toBe(0xee);
    expect(buf[13]).toBe(0xee);
    expect(unpackF80(buf, 3)).toEqual(makeF80(0, 0x3fff, 1n << 63n));
  });
});

describe('Float80 classification', () => {
  const cases: [string, F80Class][] = [
    ['00000000000000000000', F80Class.Zero],
    ['80000000000000000000', F80Class.Zero],
    ['00000000000000000001', F80Class.Denormal],
    ['80007FFFFFFFFFFFFFFF', F80Class.Denormal],
    ['00008000000000000000', F80Class.PseudoDenormal],
    ['3FFF8000000000000000', F80Class.Normal],
    ['7FFEFFFFFFFFFFFFFFFF', F80Class.Normal],
    ['00018000000000000000', F80Class.Normal],
    ['7FFF8000000000000000', F80Class.Infinity],
    ['FFFF8000000000000000', F80Class.Infinity],
    ['7FFFC000000000000000', F80Class.QNaN],
    ['FFFFC000000000000000', F80Class.QNaN],
    ['7FFF8000000000000001', F80Class.SNaN],
    ['7FFFBFFFFFFFFFFFFFFF', F80Class.SNaN],
    ['3FFF0000000000000000', F80Class.Unnormal],
    ['00010000000000000001', F80Class.Unnormal],
    ['7FFF0000000000000001', F80Class.PseudoNaN],
    ['7FFF4000000000000000', F80Class.PseudoNaN],
    ['7FFF0000000000000000', F80Class.PseudoInfinity],
  ];
  for (const [hex, cls] of cases) {
    it(`${hex} is ${cls}`, () => {
      const v = f80FromHex(hex);
      expect(classifyF80(v)).toBe(cls);
      const unsupported =
        cls === F80Class.Unnormal || cls === F80Class.PseudoNaN || cls === F80Class.PseudoInfinity;
      expect(isUnsupported(v)).toBe(unsupported);
    });
  }

  it('real indefinite is a negative QNaN with significand C000000000000000', () => {
    expect(f80ToHex(F80_INDEFINITE)).toBe('FFFFC000000000000000');
    expect(classifyF80(F80_INDEFINITE)).toBe(F80Class.QNaN);
  });
});

describe('X87Env', () => {
  it('decodes PC and RC', () => {
    expect(precisionBits(0x037f)).toBe(64);
    expect(precisionBits(0x027f)).toBe(53);
    expect(precisionBits(0x007f)).toBe(24);
    expect(precisionBits(0x017f)).toBe(64); // reserved encoding behaves as 64 bits on the host
    expect(roundingMode(0x0f7f)).toBe(3);
    expect(roundingMode(0x077f)).toBe(1);
  });

  it('sets ES/B only for unmasked exceptions', () => {
    const env = new X87Env();
    expect(env.raise(SW.PE)).toBe(true);
    expect(env.pending).toBe(false);
    env.loadControlWord(CW.DEFAULT & ~CW.PM);
    expect(env.pending).toBe(true);
    env.clearExceptions();
    expect(env.sw & (SW.EXC_MASK | SW.ES | SW.B)).toBe(0);
  });
});

describe('float64 interop helpers', () => {
  it('converts JS numbers exactly both ways', () => {
    const r = new Rng(7);
    const dv = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 500; i++) {
      dv.setUint32(0, r.u32());
      dv.setUint32(4, r.u32());
      const x = dv.getFloat64(0);
      if (Number.isNaN(x)) continue;
      expect(Object.is(f80ToFloat64Number(f80FromNumber(x)), x)).toBe(true);
    }
    expect(f80ToHex(f80FromNumber(1))).toBe('3FFF8000000000000000');
    expect(f80ToHex(f80FromNumber(-0))).toBe('80000000000000000000');
    expect(f80ToHex(f80FromNumber(5e-324))).toBe('3BCD8000000000000000');
  });
});
