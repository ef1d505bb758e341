/**
 * SSE/SSE2 behaviour that the host-CPU comparison does not reach: undefined encodings (#UD for MMX, SSE3
 * and later), alignment faults, atomicity of 16-byte stores, #XM, FXSAVE/FXRSTOR, MASKMOVDQU, RCP/RSQRT
 * accuracy and the decoder's register extensions.
 */
import { describe, expect, it } from 'vitest';
import { cpuidLeaf, Reg, Vector } from '../../src/index';
import { CODE_VA, DATA_VA, type Machine, makeMachine, Rng } from './harness';

function exec(m: Machine, code: number[], setup?: (m: Machine) => void) {
  m.as.write(CODE_VA, new Uint8Array([...code, 0xf4]));
  m.cpu.rip = CODE_VA;
  setup?.(m);
  return m.cpu.run(1);
}

const f64 = (m: Machine, reg: number, k = 0) => m.cpu.xmmF64[2 * reg + k];

describe('undefined encodings', () => {
  const UD: [string, number[]][] = [
    ['haddps (SSE3)', [0xf2, 0x0f, 0x7c, 0xc1]],
    ['addsubpd (SSE3)', [0x66, 0x0f, 0xd0, 0xc1]],
    ['movddup (SSE3)', [0xf2, 0x0f, 0x12, 0xc1]],
    ['movsldup (SSE3)', [0xf3, 0x0f, 0x12, 0xc1]],
    ['movshdup (SSE3)', [0xf3, 0x0f, 0x16, 0xc1]],
    ['lddqu (SSE3)', [0xf2, 0x0f, 0xf0, 0x02]],
    ['pshufb (SSSE3)', [0x66, 0x0f, 0x38, 0x00, 0xc1]],
    ['palignr (SSSE3)', [0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x04]],
    ['ptest (SSE4.1)', [0x66, 0x0f, 0x38, 0x17, 0xc1]],
    ['pcmpistri (SSE4.2)', [0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x00]],
    ['paddb mm (MMX)', [0x0f, 0xfc, 0xc1]],
    ['movq mm (MMX)', [0x0f, 0x6f, 0xc1]],
    ['emms (MMX)', [0x0f, 0x77]],
    ['cvtpi2ps (MMX)', [0x0f, 0x2a, 0xc1]],
    ['cvttps2pi (MMX)', [0x0f, 0x2c, 0xc1]],
    ['movq2dq (MMX)', [0xf3, 0x0f, 0xd6, 0xc1]],
    ['movlpd register form', [0x66, 0x0f, 0x12, 0xc1]],
    ['movlps store register form', [0x0f, 0x13, 0xc1]],
    ['movhps store register form', [0x0f, 0x17, 0xc1]],
    ['movntps register form', [0x0f, 0x2b, 0xc1]],
    ['movmskps memory form', [0x0f, 0x50, 0x02]],
    ['pmovmskb memory form', [0x66, 0x0f, 0xd7, 0x02]],
    ['psrlw imm with /0', [0x66, 0x0f, 0x71, 0xc0, 0x01]],
    ['psrlq imm memory form', [0x66, 0x0f, 0x73, 0x12, 0x01]],
    ['xsave', [0x0f, 0xae, 0x22]],
    ['clflushopt', [0x66, 0x0f, 0xae, 0x3a]],
    ['rdfsbase', [0xf3, 0x48, 0x0f, 0xae, 0xc0]],
    ['lock addps', [0xf0, 0x0f, 0x58, 0x02]],
  ];
  for (const [name, code] of UD) {
    it(`${name} raises #UD`, () => {
      const m = makeMachine();
      const exit = exec(m, code, ({ cpu }) => cpu.setReg(Reg.RDX, BigInt(DATA_VA)));
      expect(exit).toMatchObject({ kind: 'exception', vector: Vector.UD });
      expect(m.cpu.rip).toBe(CODE_VA);
    });
  }

  it('CPUID advertises SSE and SSE2 but nothing later', () => {
    const [, , ecx, edx] = cpuidLeaf(1, 0);
    expect(edx & (1 << 25)).not.toBe(0);
    expect(edx & (1 << 26)).not.toBe(0);
    expect(edx & (1 << 24)).not.toBe(0); // FXSR
    expect(ecx).toBe(0);
  });
});

describe('memory operands', () => {
  it('aligned forms fault with #GP(0) on a misaligned address, unaligned and scalar forms do not', () => {
    const cases: [number[], boolean][] = [
      [[0x0f, 0x28, 0x02], true], // movaps xmm0, [rdx]
      [[0x66, 0x0f, 0x7f, 0x02], true], // movdqa [rdx], xmm0
      [[0x0f, 0x58, 0x02], true], // addps
      [[0x66, 0x0f, 0xfe, 0x02], true], // paddd
      [[0x66, 0x0f, 0x70, 0x02, 0x1b], true], // pshufd
      [[0x0f, 0x14, 0x02], true], // unpcklps (a 128-bit operand even though half is used)
      [[0x66, 0x0f, 0xe7, 0x02], true], // movntdq
      [[0x0f, 0xae, 0x02], true], // fxsave
      [[0x0f, 0x10, 0x02], false], // movups
      [[0xf3, 0x0f, 0x6f, 0x02], false], // movdqu
      [[0xf3, 0x0f, 0x58, 0x02], false], // addss
      [[0xf2, 0x0f, 0x5a, 0x02], false], // cvtsd2ss
      [[0x0f, 0x5a, 0x02], false], // cvtps2pd (m64)
      [[0xf3, 0x0f, 0xe6, 0x02], false], // cvtdq2pd (m64)
      [[0x0f, 0x12, 0x02], false], // movlps
      [[0x66, 0x0f, 0x2f, 0x02], false], // comisd
      [[0x0f, 0xae, 0x12], false], // ldmxcsr
    ];
    for (const [code, faults] of cases) {
      const m = makeMachine();
      m.as.write(DATA_VA + 0x108, new Uint8Array([0x80, 0x1f, 0, 0]));
      const exit = exec(m, code, ({ cpu }) => cpu.setReg(Reg.RDX, BigInt(DATA_VA + 0x108)));
      if (faults)
        expect(exit, code.map((b) => b.toString(16)).join(' ')).toMatchObject({
          kind: 'exception',
          vector: Vector.GP,
          errorCode: 0,
        });
      else expect(exit.kind, code.map((b) => b.toString(16)).join(' ')).toBe('budget');
    }
  });

  it('a 16-byte store that crosses into an unmapped page writes nothing', () => {
    const m = makeMachine();
    const la = DATA_VA + 8192 - 8; // the last 8 bytes of the mapping
    m.as.write(la, new Uint8Array(8).fill(0xaa));
    const exit = exec(m, [0x0f, 0x11, 0x02], ({ cpu }) => {
      cpu.setReg(Reg.RDX, BigInt(la));
      cpu.xmm8.fill(0x55, 0, 16);
    });
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.PF });
    expect([...m.as.read(la, 8)]).toEqual(new Array(8).fill(0xaa));
  });

  it('maskmovdqu stores only the selected bytes at rdi', () => {
    const m = makeMachine();
    m.as.write(DATA_VA + 0x203, new Uint8Array(16).fill(0xee));
    const exit = exec(m, [0x66, 0x0f, 0xf7, 0xc1], ({ cpu }) => {
      cpu.setReg(Reg.RDI, BigInt(DATA_VA + 0x203));
      for (let k = 0; k < 16; k++) {
        cpu.xmm8[k] = k;
        cpu.xmm8[16 + k] = k % 3 === 0 ? 0x80 : 0x7f;
      }
    });
    expect(exit.kind).toBe('budget');
    const got = [...m.as.read(DATA_VA + 0x203, 16)];
    expect(got).toEqual(got.map((_, k) => (k % 3 === 0 ? k : 0xee)));
  });
});

describe('SIMD floating-point exceptions', () => {
  it('an unmasked divide-by-zero raises #XM, sets ZE and leaves the destination alone', () => {
    const m = makeMachine();
    const exit = exec(m, [0xf2, 0x0f, 0x5e, 0xc1], ({ cpu }) => {
      cpu.mxcsr = 0x1f80 & ~(1 << 9);
      cpu.xmmF64[0] = 1;
      cpu.xmmF64[2] = 0;
    });
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.XM });
    expect(f64(m, 0)).toBe(1);
    expect(m.cpu.mxcsr & 0x3f).toBe(0x04);
  });

  it('masked exceptions accumulate sticky flags and deliver default results', () => {
    const m = makeMachine();
    exec(m, [0xf2, 0x0f, 0x5e, 0xc1], ({ cpu }) => {
      cpu.xmmF64[0] = 0;
      cpu.xmmF64[2] = 0;
    });
    expect(m.cpu.xmm32[1] >>> 0).toBe(0xfff80000); // QNaN floating-point indefinite
    expect(m.cpu.xmm32[0]).toBe(0);
    expect(m.cpu.mxcsr).toBe(0x1f81);
  });

  it('directed rounding follows MXCSR.RC', () => {
    const third = (rc: number) => {
      const m = makeMachine();
      exec(m, [0xf2, 0x0f, 0x5e, 0xc1], ({ cpu }) => {
        cpu.mxcsr = 0x1f80 | (rc << 13);
        cpu.xmmF64[0] = -1;
        cpu.xmmF64[2] = 3;
      });
      return f64(m, 0);
    };
    expect(third(0)).toBe(-1 / 3);
    expect(third(1)).toBeLessThan(third(2)); // down < up
    expect(third(3)).toBe(third(2)); // toward zero = up for a negative result
    expect(third(2) - third(1)).toBe(2 ** -54);
  });
});

describe('state save and restore', () => {
  it('ldmxcsr with reserved bits raises #GP(0) and keeps MXCSR', () => {
    const m = makeMachine();
    m.as.write(DATA_VA, new Uint8Array([0x80, 0x1f, 0x01, 0x00]));
    const exit = exec(m, [0x0f, 0xae, 0x12], ({ cpu }) => cpu.setReg(Reg.RDX, BigInt(DATA_VA)));
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.GP, errorCode: 0 });
    expect(m.cpu.mxcsr).toBe(0x1f80);
  });

  it('fxsave writes the documented layout and fxrstor brings everything back', () => {
    const m = makeMachine();
    const { cpu } = m;
    for (let k = 0; k < 256; k++) cpu.xmm8[k] = (k * 7 + 3) & 0xff;
    cpu.mxcsr = 0x3fa5;
    cpu.x87.fcw = 0x027f;
    cpu.x87.fsw = 0x0041;
    cpu.x87.top = 6;
    cpu.x87.ftw = 0x5fff; // physical 6 valid... (tag 01 = zero for R6, 01 for R7)
    cpu.x87.data.fill(0);
    cpu.x87.fop = 0x1dd;
    cpu.x87.fip = 0x401234;
    cpu.x87.fdp = 0x7ffff000;
    m.as.write(DATA_VA + 0x400, new Uint8Array(512).fill(0xcc));
    let exit = exec(m, [0x48, 0x0f, 0xae, 0x02], (mm) => mm.cpu.setReg(Reg.RDX, BigInt(DATA_VA + 0x400)));
    expect(exit.kind).toBe('budget');
    const area = m.as.read(DATA_VA + 0x400, 512);
    const dv = new DataView(area.buffer);
    expect(dv.getUint16(0, true)).toBe(0x027f);
    expect(dv.getUint16(2, true)).toBe(0x0041 | (6 << 11));
    expect(area[4]).toBe(0xc0); // R6 and R7 not empty
    expect(dv.getUint16(6, true)).toBe(0x1dd);
    expect(dv.getBigUint64(8, true)).toBe(0x401234n);
    expect(dv.getBigUint64(16, true)).toBe(0x7ffff000n);
    expect(dv.getUint32(24, true)).toBe(0x3fa5);
    expect(dv.getUint32(28, true)).toBe(0xffff);
    expect([...area.slice(160, 416)]).toEqual([...cpu.xmm8]);
    expect([...area.slice(416)]).toEqual(new Array(96).fill(0xcc));

    const saved = cpu.xmm8.slice();
    cpu.xmm8.fill(0);
    cpu.mxcsr = 0x1f80;
    cpu.x87.reset();
    exit = exec(m, [0x48, 0x0f, 0xae, 0x0a], (mm) => mm.cpu.setReg(Reg.RDX, BigInt(DATA_VA + 0x400)));
    expect(exit.kind).toBe('budget');
    expect([...cpu.xmm8]).toEqual([...saved]);
    expect(cpu.mxcsr).toBe(0x3fa5);
    expect(cpu.x87.fcw).toBe(0x027f);
    expect(cpu.x87.top).toBe(6);
    expect(cpu.x87.ftw).toBe(0x5fff); // zero registers tagged 01, the others empty
    expect(cpu.x87.fip).toBe(0x401234);
  });

  it('fxrstor with reserved MXCSR bits raises #GP(0) and changes nothing', () => {
    const m = makeMachine();
    const area = new Uint8Array(512);
    new DataView(area.buffer).setUint32(24, 0x00021f80, true);
    area.fill(0x11, 160, 416);
    m.as.write(DATA_VA, area);
    const exit = exec(m, [0x0f, 0xae, 0x0a], ({ cpu }) => cpu.setReg(Reg.RDX, BigInt(DATA_VA)));
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.GP });
    expect(m.cpu.xmm8.every((b) => b === 0)).toBe(true);
  });
});

describe('reciprocal approximations', () => {
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  it('rcpps and rsqrtps stay within 1.5 * 2^-12 relative error', () => {
    const m = makeMachine();
    const r = new Rng(12);
    for (let t = 0; t < 500; t++) {
      const x = Math.fround(2 ** (r.int(200) - 100) * (1 + r.u32() / 2 ** 32));
      for (const [op, exact] of [
        [0x53, 1 / x],
        [0x52, 1 / Math.sqrt(x)],
      ] as const) {
        exec(m, [0x0f, op, 0xc1], ({ cpu }) => cpu.xmmF32.fill(x, 4, 8));
        const got = m.cpu.xmmF32[0];
        expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(1.5 * 2 ** -12);
      }
    }
  });
  it('special values', () => {
    const m = makeMachine();
    const run = (op: number, input: number) => {
      bits[0] = input;
      exec(m, [0xf3, 0x0f, op, 0xc1], ({ cpu }) => {
        cpu.xmmF32[4] = f[0];
        cpu.xmm32[4] = input | 0;
      });
      return m.cpu.xmm32[0] >>> 0;
    };
    expect(run(0x53, 0x00000000)).toBe(0x7f800000);
    expect(run(0x53, 0x80000000)).toBe(0xff800000);
    expect(run(0x53, 0x7f800000)).toBe(0);
    expect(run(0x53, 0x00000001)).toBe(0x7f800000); // denormal counts as zero
    expect(run(0x52, 0xbf800000)).toBe(0xffc00000); // rsqrt of a negative: indefinite
    expect(run(0x52, 0x7f800000)).toBe(0);
    expect(run(0x53, 0x7f7fffff)).toBe(0); // tiny reciprocal flushed
    expect(m.cpu.mxcsr).toBe(0x1f80);
  });
});

describe('register extensions', () => {
  it('REX.R/REX.B reach xmm8-xmm15 and r8-r15', () => {
    const m = makeMachine();
    // movq %r13, %xmm14 ; then paddq %xmm14, %xmm15
    exec(m, [0x66, 0x4d, 0x0f, 0x6e, 0xf5], ({ cpu }) => cpu.setReg(13, 0x1122334455667788n));
    expect(m.cpu.xmm32[56]).toBe(0x55667788);
    expect(m.cpu.xmm32[57]).toBe(0x11223344);
    exec(m, [0x66, 0x45, 0x0f, 0xd4, 0xfe], ({ cpu }) => {
      cpu.xmm32.fill(0, 60, 64);
      cpu.xmm32[60] = -1;
    });
    expect([...m.cpu.xmm32.slice(60, 64)]).toEqual([0x55667787, 0x11223345, 0, 0]);
    // pextrw $3, %xmm15, %r11d
    exec(m, [0x66, 0x45, 0x0f, 0xc5, 0xdf, 0x03], ({ cpu }) => cpu.setReg(11, -1n));
    expect(m.cpu.getReg(11)).toBe(0x1122n);
  });
});
