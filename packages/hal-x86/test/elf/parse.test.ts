import { describe, expect, it } from 'vitest';
import { ElfError, type ElfErrorCode, parseElf } from '../../src/elf/elf';
import {
  buildElf,
  buildProgram,
  PF_R,
  PF_W,
  PF_X,
  PT_GNU_STACK,
  PT_INTERP,
  PT_LOAD,
  PT_TLS,
} from './elf-builder';

const CODE = Uint8Array.of(0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05); // mov eax, 60; syscall
const valid = () => buildProgram({ code: CODE, data: Uint8Array.of(1, 2, 3), bss: 100 });

function expectElfError(bytes: Uint8Array, code: ElfErrorCode, message: RegExp): void {
  let thrown: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ElfError);
  expect((thrown as ElfError).code).toBe(code);
  expect((thrown as ElfError).message).toMatch(message);
}

function patch(bytes: Uint8Array, f: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer));
  return copy;
}

const load = (
  vaddr: number,
  offset: number,
  filesz: number,
  memsz: number,
  flags = PF_R,
  align = 0x1000,
) => ({
  type: PT_LOAD,
  flags,
  offset,
  vaddr,
  filesz,
  memsz,
  align,
});

describe('parseElf: a well-formed static executable', () => {
  it('reads the header and program headers', () => {
    const elf = parseElf(valid());
    expect(elf.type).toBe(2);
    expect(elf.entry).toBe(0x401000);
    expect(elf.phnum).toBe(3);
    expect(elf.loads.map((p) => p.vaddr)).toEqual([0x400000, 0x401000, 0x402000]);
    expect(elf.loads[2]?.memsz).toBe(103);
    expect(elf.minVaddr).toBe(0x400000);
    expect(elf.maxVaddr).toBe(0x402000 + 103);
    expect(elf.executableStack).toBe(false);
    expect(elf.tls).toBeNull();
  });

  it('records PT_TLS, PT_GNU_STACK and sorts PT_LOAD by address', () => {
    const bytes = buildElf({
      entry: 0x401000,
      phdrs: [
        load(0x401000, 0x1000, 16, 16, PF_R | PF_X),
        load(0x400000, 0, 0x200, 0x200),
        { type: PT_TLS, flags: PF_R, offset: 0x1000, vaddr: 0x401000, filesz: 8, memsz: 16, align: 8 },
        {
          type: PT_GNU_STACK,
          flags: PF_R | PF_W | PF_X,
          offset: 0,
          vaddr: 0,
          filesz: 0,
          memsz: 0,
          align: 16,
        },
      ],
      size: 0x1010,
    });
    const elf = parseElf(bytes);
    expect(elf.loads.map((p) => p.index)).toEqual([1, 0]);
    expect(elf.tls?.memsz).toBe(16);
    expect(elf.executableStack).toBe(true);
  });

  it('accepts ET_DYN without PT_INTERP (static-pie)', () => {
    const elf = parseElf(buildProgram({ code: CODE, pie: true }));
    expect(elf.type).toBe(3);
    expect(elf.minVaddr).toBe(0);
  });
});

describe('parseElf: every malformed input gives an ElfError with a clear message', () => {
  it('rejects empty and tiny files', () => {
    expectElfError(new Uint8Array(0), 'BAD_MAGIC', /not an ELF file: only 0 bytes/);
    expectElfError(Uint8Array.of(0x7f, 0x45), 'BAD_MAGIC', /only 2 bytes/);
    expectElfError(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1), 'TRUNCATED', /truncated ELF header/);
  });

  it('rejects a bad magic number, naming scripts', () => {
    expectElfError(
      new TextEncoder().encode('#!/bin/sh\necho hi\n'),
      'BAD_MAGIC',
      /bad magic 23 21 2f 62 \(a script/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint8(1, 0x46)),
      'BAD_MAGIC',
      /bad magic 7f 46 4c 46/,
    );
  });

  it('rejects 32-bit, big-endian and unknown-version files', () => {
    expectElfError(
      patch(valid(), (v) => v.setUint8(4, 1)),
      'NOT_64BIT',
      /not ELFCLASS64: a 32-bit file \(ELFCLASS32\)/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint8(4, 7)),
      'NOT_64BIT',
      /unknown class 7/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint8(5, 2)),
      'NOT_LITTLE_ENDIAN',
      /big-endian/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint8(6, 2)),
      'BAD_VERSION',
      /version 2/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint32(20, 0, true)),
      'BAD_VERSION',
      /e_version/,
    );
  });

  it('rejects a header cut short', () => {
    expectElfError(
      valid().subarray(0, 40),
      'TRUNCATED',
      /truncated ELF header: file is 40 bytes, an ELF64 header needs 64/,
    );
  });

  it('rejects other machines', () => {
    expectElfError(
      patch(valid(), (v) => v.setUint16(18, 183, true)),
      'NOT_X86_64',
      /e_machine is 183 \(AArch64\), expected 62/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(18, 3, true)),
      'NOT_X86_64',
      /i386/,
    );
  });

  it('rejects objects, core files and unknown types', () => {
    expectElfError(
      patch(valid(), (v) => v.setUint16(16, 1, true)),
      'BAD_TYPE',
      /ET_REL \(relocatable object file\)/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(16, 4, true)),
      'BAD_TYPE',
      /ET_CORE/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(16, 0xfe00, true)),
      'BAD_TYPE',
      /type 65024/,
    );
  });

  it('rejects a damaged program header table', () => {
    expectElfError(
      patch(valid(), (v) => v.setUint16(56, 0, true)),
      'BAD_PHDR_TABLE',
      /no program headers/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(54, 32, true)),
      'BAD_PHDR_TABLE',
      /e_phentsize is 32/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(56, 0xffff, true)),
      'BAD_PHDR_TABLE',
      /PN_XNUM/,
    );
    expectElfError(
      patch(valid(), (v) => v.setUint16(56, 2000, true)),
      'BAD_PHDR_TABLE',
      /exceeds 65536 bytes/,
    );
    expectElfError(
      patch(valid(), (v) => v.setBigUint64(32, 0x100000n, true)),
      'BAD_PHDR_TABLE',
      /program header table \(e_phoff 0x100000, 3 entries of 56 bytes\) extends past the end of the file/,
    );
    expectElfError(
      patch(valid(), (v) => v.setBigUint64(32, 8n, true)),
      'BAD_PHDR_TABLE',
      /overlaps the ELF header/,
    );
    expectElfError(
      patch(valid(), (v) => v.setBigUint64(32, 0xffffffffffffff00n, true)),
      'TOO_LARGE',
      /e_phoff is 0xffffffffffffff00, an absurd value/,
    );
  });

  it('rejects segments that reach past the end of the file', () => {
    const bytes = buildElf({
      entry: 0x400000,
      phdrs: [load(0x400000, 0, 0x5000, 0x5000, PF_R | PF_X)],
      size: 0x1000,
    });
    expectElfError(
      bytes,
      'BAD_SEGMENT',
      /PT_LOAD segment \(program header 0\): file range 0x0\+0x5000 extends past the end of the file \(4096 bytes\)/,
    );
  });

  it('rejects p_filesz > p_memsz', () => {
    const bytes = buildElf({ entry: 0x400000, phdrs: [load(0x400000, 0, 0x200, 0x100, PF_R | PF_X)] });
    expectElfError(bytes, 'BAD_SEGMENT', /p_filesz 0x200 exceeds p_memsz 0x100/);
  });

  it('rejects misaligned segments', () => {
    const a = buildElf({
      entry: 0x400010,
      phdrs: [load(0x400010, 0x20, 0x10, 0x10, PF_R | PF_X)],
      size: 0x100,
    });
    expectElfError(
      a,
      'MISALIGNED',
      /p_vaddr 0x400010 and p_offset 0x20 are not congruent modulo p_align 0x1000/,
    );
    const b = buildElf({
      entry: 0x400010,
      phdrs: [load(0x400010, 0x20, 0x10, 0x10, PF_R | PF_X, 1)],
      size: 0x100,
    });
    expectElfError(b, 'MISALIGNED', /not congruent modulo the page size/);
    const c = buildElf({
      entry: 0x400000,
      phdrs: [load(0x400000, 0, 0x10, 0x10, PF_R | PF_X, 0x3000)],
      size: 0x100,
    });
    expectElfError(c, 'MISALIGNED', /p_align 0x3000 is not a power of two/);
  });

  it('rejects overlapping PT_LOAD segments', () => {
    const bytes = buildElf({
      entry: 0x400000,
      phdrs: [
        load(0x400000, 0, 0x1800, 0x1800, PF_R | PF_X),
        load(0x401000, 0x1000, 0x100, 0x100, PF_R | PF_W),
      ],
      size: 0x1800,
    });
    expectElfError(
      bytes,
      'OVERLAP',
      /PT_LOAD segments overlap: program header 0 \(0x400000-0x401800\) and program header 1 \(0x401000-0x401100\)/,
    );
  });

  it('refuses dynamically linked executables, naming the interpreter', () => {
    const interp = new TextEncoder().encode('/lib64/ld-linux-x86-64.so.2\0');
    const bytes = buildElf({
      entry: 0x400000,
      phdrs: [
        {
          type: PT_INTERP,
          flags: PF_R,
          offset: 0x200,
          vaddr: 0x400200,
          filesz: interp.length,
          memsz: interp.length,
          align: 1,
        },
        load(0x400000, 0, 0x300, 0x300, PF_R | PF_X),
      ],
      blobs: [{ offset: 0x200, bytes: interp }],
    });
    expectElfError(
      bytes,
      'DYNAMIC',
      /dynamically linked executable \(PT_INTERP requests "\/lib64\/ld-linux-x86-64.so.2"\): only static binaries are supported/,
    );
  });

  it('rejects files without loadable segments or with an entry outside them', () => {
    const none = buildElf({
      entry: 0x400000,
      phdrs: [{ type: PT_GNU_STACK, flags: 6, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: 16 }],
    });
    expectElfError(none, 'NO_LOAD', /no PT_LOAD segments/);
    expectElfError(
      patch(valid(), (v) => v.setBigUint64(24, 0x900000n, true)),
      'BAD_ENTRY',
      /entry point 0x900000 lies outside every PT_LOAD segment/,
    );
  });

  it('rejects addresses beyond the 47-bit user space and below 64 KiB', () => {
    const high = buildElf({
      entry: 0x7fffffffff00,
      phdrs: [load(0x7ffffffff000, 0, 0x100, 0x2000, PF_R | PF_X)],
    });
    expectElfError(high, 'ADDRESS_RANGE', /beyond the 47-bit user address space/);
    const kernel = buildElf({ entry: 0, phdrs: [load(0xffffffff80000000, 0, 0x100, 0x100, PF_R | PF_X)] });
    expectElfError(kernel, 'TOO_LARGE', /p_vaddr is 0xffffffff80000000, an absurd value/);
    const low = buildElf({ entry: 0x1000, phdrs: [load(0x1000, 0, 0x100, 0x100, PF_R | PF_X)] });
    expectElfError(low, 'ADDRESS_RANGE', /below 0x10000/);
  });

  it('rejects absurd sizes', () => {
    const huge = buildElf({ entry: 0x400000, phdrs: [load(0x400000, 0, 0x100, 2 ** 52, PF_R | PF_X)] });
    expectElfError(huge, 'ADDRESS_RANGE', /beyond the 47-bit user address space/);
    const align = buildElf({
      entry: 0x400000,
      phdrs: [load(0, 0, 0x100, 0x100, PF_R | PF_X, 2 ** 40)],
      type: 3,
    });
    expectElfError(align, 'TOO_LARGE', /p_align 0x10000000000 is absurdly large/);
  });

  it('rejects a damaged PT_TLS', () => {
    const tls = {
      type: PT_TLS,
      flags: PF_R,
      offset: 0x100,
      vaddr: 0x400100,
      filesz: 0x10000,
      memsz: 0x10000,
      align: 8,
    };
    const bytes = buildElf({ entry: 0x400000, phdrs: [load(0x400000, 0, 0x200, 0x200, PF_R | PF_X), tls] });
    expectElfError(
      bytes,
      'BAD_SEGMENT',
      /PT_TLS \(program header 1\): file range 0x100\+0x10000 extends past the end of the file/,
    );
  });
});

describe('parseElf: robustness', () => {
  it('every truncation of a valid file is refused with an ElfError', () => {
    const bytes = valid();
    for (let n = 0; n < bytes.length; n += n < 400 ? 1 : 97) {
      let err: unknown;
      try {
        parseElf(bytes.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `length ${n}`).toBeInstanceOf(ElfError);
    }
  });

  it('random corruption of the headers never escapes as anything but ElfError', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const base = valid();
    let accepted = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const b = base.slice();
      const flips = 1 + (rnd() % 4);
      for (let k = 0; k < flips; k++) b[rnd() % (64 + 3 * 56)] = rnd() & 0xff;
      try {
        parseElf(b);
        accepted++;
      } catch (e) {
        if (!(e instanceof ElfError)) throw new Error(`iteration ${iter}: ${String(e)}`);
        expect(e.message.length).toBeGreaterThan(10);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('parses a Uint8Array view into a larger buffer', () => {
    const bytes = valid();
    const big = new Uint8Array(bytes.length + 100);
    big.set(bytes, 50);
    expect(parseElf(big.subarray(50, 50 + bytes.length)).entry).toBe(0x401000);
  });
});
