import { describe, expect, it } from 'vitest';
import { GuestFault } from '../../src/cpu/fault';
import { parseElf } from '../../src/elf/elf';
import { imageRegions, loadBias, loadElf, phdrAddress, STATIC_PIE_BASE } from '../../src/elf/loader';
import { FrameAllocator, PhysicalMemory } from '../../src/memory/physical-memory';
import { AddressSpace } from '../../src/mmu/address-space';
import { Access, Mmu } from '../../src/mmu/mmu';
import { buildElf, buildProgram, PF_R, PF_W, PF_X, PT_LOAD } from './elf-builder';

function space() {
  const memory = new PhysicalMemory(16 * 1024 * 1024);
  const as = new AddressSpace(memory, new FrameAllocator(memory));
  const mmu = new Mmu(memory);
  mmu.cpl = 3;
  mmu.cr3 = as.root;
  return { memory, as, mmu };
}

function allowed(mmu: Mmu, va: number, access: 0 | 1 | 2): boolean {
  try {
    mmu.translate(va, access);
    return true;
  } catch (e) {
    if (e instanceof GuestFault) return false;
    throw e;
  }
}

const CODE = Uint8Array.of(0x90, 0x90, 0xc3);

describe('loadElf', () => {
  it('maps ET_EXEC segments at their addresses with permissions from p_flags', () => {
    const { as, mmu } = space();
    const elf = parseElf(buildProgram({ code: CODE, data: Uint8Array.of(7, 8, 9), bss: 0x3000 }));
    const img = loadElf(elf, as);
    expect(img.bias).toBe(0);
    expect(img.entry).toBe(0x401000);
    expect(img.brk).toBe(0x406000); // page-aligned end of data + bss
    expect([...as.read(0x401000, 3)]).toEqual([...CODE]);
    expect([...as.read(0x402000, 3)]).toEqual([7, 8, 9]);
    // Headers segment: read-only, not executable.
    expect(allowed(mmu, 0x400000, Access.READ)).toBe(true);
    expect(allowed(mmu, 0x400000, Access.WRITE)).toBe(false);
    expect(allowed(mmu, 0x400000, Access.FETCH)).toBe(false);
    // Text: read + execute.
    expect(allowed(mmu, 0x401000, Access.FETCH)).toBe(true);
    expect(allowed(mmu, 0x401000, Access.WRITE)).toBe(false);
    // Data and bss: read + write, no execute.
    expect(allowed(mmu, 0x402000, Access.WRITE)).toBe(true);
    expect(allowed(mmu, 0x405000, Access.WRITE)).toBe(true);
    expect(allowed(mmu, 0x402000, Access.FETCH)).toBe(false);
    // Nothing past the image.
    expect(allowed(mmu, 0x406000, Access.READ)).toBe(false);
    expect(img.regions).toEqual([
      { start: 0x400000, end: 0x401000, flags: PF_R },
      { start: 0x401000, end: 0x402000, flags: PF_R | PF_X },
      { start: 0x402000, end: 0x406000, flags: PF_R | PF_W },
    ]);
  });

  it('zeroes bss, including the file bytes after p_filesz on the last file page', () => {
    const { as } = space();
    const garbage = new Uint8Array(0x100).fill(0xee);
    const bytes = buildElf({
      entry: 0x401000,
      phdrs: [
        {
          type: PT_LOAD,
          flags: PF_R | PF_X,
          offset: 0x1000,
          vaddr: 0x401000,
          filesz: 3,
          memsz: 3,
          align: 0x1000,
        },
        {
          type: PT_LOAD,
          flags: PF_R | PF_W,
          offset: 0x2000,
          vaddr: 0x402000,
          filesz: 0x10,
          memsz: 0x2000,
          align: 0x1000,
        },
      ],
      blobs: [
        { offset: 0x1000, bytes: CODE },
        { offset: 0x2000, bytes: garbage },
      ],
    });
    loadElf(parseElf(bytes), as);
    const page = as.read(0x402000, 0x1000);
    expect(page.subarray(0, 0x10).every((b) => b === 0xee)).toBe(true);
    expect(page.subarray(0x10).every((b) => b === 0)).toBe(true);
    expect(as.read(0x403000, 0x1000).every((b) => b === 0)).toBe(true);
  });

  it('handles two segments sharing a page: exact contents, bss zeroed, union of permissions', () => {
    const { as, mmu } = space();
    const file = new Uint8Array(0x300).fill(0xaa);
    file.set(new Uint8Array(0x50).fill(0xbb), 0x200);
    const bytes = buildElf({
      entry: 0x400100 - 0x10,
      phdrs: [
        {
          type: PT_LOAD,
          flags: PF_R | PF_X,
          offset: 0,
          vaddr: 0x400000,
          filesz: 0x100,
          memsz: 0x180,
          align: 0x1000,
        },
        {
          type: PT_LOAD,
          flags: PF_R | PF_W,
          offset: 0x200,
          vaddr: 0x400200,
          filesz: 0x50,
          memsz: 0x50,
          align: 0x1000,
        },
      ],
      blobs: [{ offset: 0x100, bytes: file.subarray(0x100) }],
    });
    loadElf(parseElf(bytes), as);
    expect(as.read(0x400100, 0x80).every((b) => b === 0)).toBe(true); // first segment's bss
    expect(as.read(0x400200, 0x50).every((b) => b === 0xbb)).toBe(true);
    expect(allowed(mmu, 0x400000, Access.WRITE)).toBe(true);
    expect(allowed(mmu, 0x400000, Access.FETCH)).toBe(true);
  });

  it('leaves pure-bss pages unmapped with lazyBss', () => {
    const { as } = space();
    const img = loadElf(parseElf(buildProgram({ code: CODE, data: Uint8Array.of(1), bss: 0x5000 })), as, {
      lazyBss: true,
    });
    expect(as.lookup(0x402000)).not.toBeNull();
    expect(as.lookup(0x403000)).toBeNull();
    expect(img.regions[2]).toEqual({ start: 0x402000, end: 0x408000, flags: PF_R | PF_W });
  });

  it('loads static-pie at 0x555555554000 (rounded up to p_align) without touching its contents', () => {
    const { as } = space();
    const elf = parseElf(buildProgram({ code: CODE, pie: true }));
    const img = loadElf(elf, as);
    expect(STATIC_PIE_BASE).toBe(0x555555554000);
    expect(img.bias).toBe(0x555555554000);
    expect(img.entry).toBe(0x555555555000);
    expect([...as.read(0x555555555000, 3)]).toEqual([...CODE]);
    expect(img.phdrAddress).toBe(0x555555554040);

    const aligned = parseElf(
      buildElf({
        type: 3,
        entry: 0,
        phdrs: [
          {
            type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0,
            vaddr: 0,
            filesz: 0x200,
            memsz: 0x200,
            align: 0x200000,
          },
        ],
      }),
    );
    expect(loadBias(aligned)).toBe(0x555555600000);
    expect(loadBias(aligned, 0x10000000)).toBe(0x10000000);
  });

  it('finds AT_PHDR with and without PT_PHDR', () => {
    const without = parseElf(buildProgram({ code: CODE }));
    expect(without.phdr).toBeNull();
    expect(phdrAddress(without, 0)).toBe(0x400040);
    const withPhdr = parseElf(buildProgram({ code: CODE, withPhdr: true }));
    expect(withPhdr.phdr).not.toBeNull();
    expect(phdrAddress(withPhdr, 0)).toBe(0x400040);
    // Program headers outside every segment: Linux's formula (first segment's load address + e_phoff).
    const outside = parseElf(
      buildElf({
        entry: 0x401000,
        phdrs: [
          {
            type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0x1000,
            vaddr: 0x401000,
            filesz: 3,
            memsz: 3,
            align: 0x1000,
          },
        ],
        blobs: [{ offset: 0x1000, bytes: CODE }],
      }),
    );
    expect(phdrAddress(outside, 0)).toBe(0x400040);
  });

  it('describes regions page by page', () => {
    const elf = parseElf(buildProgram({ code: CODE, data: Uint8Array.of(1), bss: 10 }));
    expect(imageRegions(elf, 0x1000).map((r) => r.start)).toEqual([0x401000, 0x402000, 0x403000]);
  });
});
