/**
 * x87 behaviour that the host comparison cannot show: FISTTP is #UD (no SSE3 here), faults on memory
 * operands leave the FPU untouched, #MF is raised by the next waiting instruction and not by the no-wait
 * ones, FWAIT, and the decoder's view of the escape opcodes.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Vector, OPCODE_TABLE } from '../../src/index';
import { f80FromHex, f80ToHex, unpackF80 } from '../../src/fpu';
import { fwait } from '../../src/isa/exec/x87-control';
import { Decoder } from '../../src/isa/decoder';

const CODE = 0x400000;
const DATA = 0x600000;

/** A machine with code at CODE, two data pages at DATA and nothing mapped after them. */
function machine(code: number[]) {
  const mem = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(mem);
  const as = new AddressSpace(mem, frames);
  as.mapAnonymous(CODE, 4096, { executable: true });
  as.mapAnonymous(DATA, 8192, { writable: true });
  const cpu = new Cpu(mem);
  cpu.mmu.cr3 = as.root;
  as.write(CODE, new Uint8Array(code));
  cpu.setReg(3, BigInt(DATA)); // rbx
  cpu.rip = CODE;
  return { cpu, as };
}

/** fld1; fldpi (ST(0) = pi, ST(1) = 1) */
const TWO_VALUES = [0xd9, 0xe8, 0xd9, 0xeb];

function snapshot(cpu: Cpu) {
  const x = cpu.x87;
  return {
    data: Array.from(x.data),
    fcw: x.fcw,
    fsw: x.fsw,
    top: x.top,
    ftw: x.ftw,
    fip: x.fip,
    fdp: x.fdp,
    fop: x.fop,
  };
}

describe('x87 semantics', () => {
  it('FISTTP (DB/DD/DF /1) is #UD: SSE3 is not advertised', () => {
    for (const op of [0xdb, 0xdd, 0xdf]) {
      const { cpu } = machine([...TWO_VALUES, op, 0x0b]);
      expect(cpu.run(2).kind).toBe('budget');
      const before = snapshot(cpu);
      const exit = cpu.run(1);
      expect(exit).toMatchObject({ kind: 'exception', vector: Vector.UD });
      expect(cpu.rip).toBe(CODE + 4);
      expect(snapshot(cpu)).toEqual(before);
    }
  });

  it('a page fault on a store leaves the stack, status and pointers as they were', () => {
    // fstp tbyte [rbx+0x1ffa] straddles the end of the mapped data
    const { cpu } = machine([...TWO_VALUES, 0xdb, 0xbb, 0xfa, 0x1f, 0x00, 0x00]);
    cpu.run(2);
    const before = snapshot(cpu);
    const exit = cpu.run(1);
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.PF });
    expect(snapshot(cpu)).toEqual(before);
    expect(cpu.readBytes(DATA + 0x1ffa, 6)).toEqual(new Uint8Array(6));
  });

  it('a page fault in FNSAVE writes nothing and does not reinitialize', () => {
    const { cpu } = machine([...TWO_VALUES, 0xdd, 0xb3, 0xc0, 0x1f, 0x00, 0x00]); // fnsave [rbx+0x1fc0]
    cpu.run(2);
    const before = snapshot(cpu);
    expect(cpu.run(1)).toMatchObject({ kind: 'exception', vector: Vector.PF });
    expect(snapshot(cpu)).toEqual(before);
    expect(cpu.readBytes(DATA + 0x1fc0, 0x40).every((b) => b === 0)).toBe(true);
  });

  it('a page fault on a load pushes nothing; FRSTOR from a partly unmapped area loads nothing', () => {
    for (const insn of [
      [0xdd, 0x83, 0xfc, 0x1f, 0x00, 0x00], // fld qword [rbx+0x1ffc]
      [0xdb, 0xab, 0xf8, 0x1f, 0x00, 0x00], // fld tbyte [rbx+0x1ff8]
      [0xdd, 0xa3, 0xc0, 0x1f, 0x00, 0x00], // frstor [rbx+0x1fc0]
      [0xd8, 0x83, 0xfe, 0x1f, 0x00, 0x00], // fadd dword [rbx+0x1ffe]
    ]) {
      const { cpu } = machine([...TWO_VALUES, ...insn]);
      cpu.run(2);
      const before = snapshot(cpu);
      expect(cpu.run(1)).toMatchObject({ kind: 'exception', vector: Vector.PF });
      expect(snapshot(cpu)).toEqual(before);
    }
  });

  it('an unmasked exception is reported as #MF by the next waiting instruction, not by FN* ones', () => {
    const code = [
      0xd9,
      0xab,
      0x00,
      0x00,
      0x00,
      0x00, // fldcw [rbx]  (ZE unmasked)
      0xd9,
      0xee, // fldz
      0xd9,
      0xe8, // fld1
      0xd8,
      0xf1, // fdiv st0, st1  -> ZE, pending
      0xdf,
      0xe0, // fnstsw ax      (no wait)
      0xd9,
      0xbb,
      0x10,
      0x00,
      0x00,
      0x00, // fnstcw [rbx+16]
      0xd9,
      0xe8, // fld1 -> #MF
    ];
    const { cpu, as } = machine(code);
    as.write(DATA, new Uint8Array([0x7b, 0x03]));
    expect(cpu.run(6).kind).toBe('budget');
    expect(Number(cpu.getReg(0) & 0xffffn) & 0x8084).toBe(0x8084); // B, ES, ZE
    expect(cpu.x87.fip).toBe(CODE + 10); // the FDIV
    const exit = cpu.run(1);
    expect(exit).toMatchObject({ kind: 'exception', vector: Vector.MF });
    expect(cpu.rip).toBe(CODE + 20);
    // the ST(0) = 1 / 0 result was suppressed; the handler's FNCLEX lets FLD1 run
    expect(f80ToHex(unpackF80(cpu.x87.data, cpu.x87.top * 10))).toBe('3FFF8000000000000000');
    cpu.x87.fsw &= ~0x80ff;
    expect(cpu.run(1).kind).toBe('budget');
  });

  it('FWAIT raises a pending #MF (handler exported for the 9B row)', () => {
    const { cpu } = machine([0x9b]);
    cpu.x87.fsw = 0x8081;
    expect(() => fwait(cpu, new Decoder(OPCODE_TABLE).decode(new Uint8Array([0x9b]), 0, 1, CODE))).toThrow();
    const row = OPCODE_TABLE.find((d) => d.map === 0 && d.opcode === 0x9b);
    if (row?.exec === fwait) expect(cpu.run(1)).toMatchObject({ kind: 'exception', vector: Vector.MF });
  });

  it('FNSTENV masks every exception after storing, FLDCW makes a flagged one pending', () => {
    const code = [
      0xd9,
      0xb3,
      0x20,
      0x00,
      0x00,
      0x00, // fnstenv [rbx+32]
      0xd9,
      0xab,
      0x00,
      0x00,
      0x00,
      0x00, // fldcw [rbx]
    ];
    const { cpu, as } = machine(code);
    as.write(DATA, new Uint8Array([0x7e, 0x03]));
    cpu.x87.fcw = 0x037e;
    cpu.x87.fsw = 0x0081 | 0x8000;
    cpu.run(1);
    expect(cpu.x87.fcw).toBe(0x037f);
    expect(cpu.x87.fsw & 0x8080).toBe(0);
    expect(Array.from(cpu.readBytes(DATA + 32, 8))).toEqual([0x7e, 0x03, 0xff, 0xff, 0x81, 0x80, 0xff, 0xff]);
    cpu.run(1);
    expect(cpu.x87.fsw & 0x8080).toBe(0x8080);
  });

  it('decodes every documented escape encoding, and LOCK makes them #UD', () => {
    const dec = new Decoder(OPCODE_TABLE);
    const name = (bytes: number[]) => dec.decode(new Uint8Array(bytes), 0, bytes.length, CODE).def.mnemonic;
    expect(name([0xd9, 0xe8])).toBe('fld1');
    expect(name([0xde, 0xe9])).toBe('fsubp');
    expect(name([0xdc, 0xe1])).toBe('fsubr');
    expect(name([0xdb, 0xe9])).toBe('fucomi');
    expect(name([0xdf, 0xf1])).toBe('fcomip');
    expect(name([0xda, 0xd9])).toBe('fcmovu');
    expect(name([0xdb, 0xd1])).toBe('fcmovnbe');
    expect(name([0xdf, 0xe0])).toBe('fnstsw');
    expect(name([0xdd, 0x38])).toBe('fnstsw');
    expect(name([0xdf, 0x28])).toBe('fild');
    expect(name([0xdb, 0xe5])).toBe('(bad)');
    expect(name([0xd9, 0xd1])).toBe('(bad)');
    expect(name([0xf0, 0xd8, 0x00])).toBe('(bad)');
    // every register-form row of the table decodes to itself
    for (const d of OPCODE_TABLE) {
      if (d.opcode < 0xd8 || d.opcode > 0xdf || d.map !== 0 || d.form !== 'reg') continue;
      const modrm = 0xc0 | (d.ext << 3) | (d.rm < 0 ? 3 : d.rm);
      expect(dec.decode(new Uint8Array([d.opcode, modrm]), 0, 2, CODE).def).toBe(d);
    }
  });

  it('FLD m80 loads any bit pattern unchanged, FSTP m80 stores it back', () => {
    const { cpu, as } = machine([0xdb, 0x2b, 0xdb, 0x7b, 0x10]); // fld tbyte [rbx]; fstp tbyte [rbx+16]
    const pattern = f80FromHex('7FFF0000000000000001'); // pseudo-NaN
    const bytes = new Uint8Array(10);
    let s = pattern.sig;
    for (let k = 0; k < 8; k++) {
      bytes[k] = Number(s & 0xffn);
      s >>= 8n;
    }
    bytes[8] = 0xff;
    bytes[9] = 0x7f;
    as.write(DATA, bytes);
    expect(cpu.run(2).kind).toBe('budget');
    expect(cpu.readBytes(DATA + 16, 10)).toEqual(bytes);
    expect(cpu.x87.fsw & 0x3f).toBe(0);
  });
});
