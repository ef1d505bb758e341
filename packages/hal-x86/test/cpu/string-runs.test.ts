/**
 * Forward REP MOVS and REP STOS copy or fill a page-contained run of elements at a time. The reference is
 * the same instruction without REP in a loop (`movs; dec rcx; jnz`), which moves one element per
 * execution: both must leave the same memory, RSI, RDI and RCX, and fault at the same element, whatever the
 * element size, page offsets, overlap between source and destination, or aliasing of frames.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, type VcpuExit } from '../../src/index';

const CODE = 0x400000;
/** Four mapped pages; the page after them is unmapped (a run into it faults). */
const DATA = 0x600000;
const DATA_PAGES = 4;
/** The same frames as DATA's first two pages, mapped a second time. */
const ALIAS = 0x700000;

const REX_W = 0x48;
const OPSIZE = 0x66;

/** Ends both programs without touching a register (SYSCALL would overwrite RCX with its return address). */
const UD2 = [0x0f, 0x0b];

/** `rep movs`/`rep stos` at an element size, then UD2. */
function repCode(movs: boolean, size: number): number[] {
  const op = (movs ? 0xa4 : 0xaa) + (size === 1 ? 0 : 1);
  return [0xf3, ...(size === 2 ? [OPSIZE] : []), ...(size === 8 ? [REX_W] : []), op, ...UD2];
}

/** The element-wise reference: `test rcx, rcx; jz end; top: movs/stos; dec rcx; jnz top; end: ud2`. */
function loopCode(movs: boolean, size: number): number[] {
  const op = (movs ? 0xa4 : 0xaa) + (size === 1 ? 0 : 1);
  const element = [...(size === 2 ? [OPSIZE] : []), ...(size === 8 ? [REX_W] : []), op];
  const body = [...element, 0x48, 0xff, 0xc9]; // dec rcx
  const back = -(body.length + 2);
  return [0x48, 0x85, 0xc9, 0x74, body.length + 2, ...body, 0x75, back & 0xff, ...UD2];
}

interface Setup {
  rsi: number;
  rdi: number;
  rcx: number;
  rax?: bigint;
}

function run(code: number[], s: Setup) {
  const mem = new PhysicalMemory(4 << 20);
  const frames = new FrameAllocator(mem);
  const as = new AddressSpace(mem, frames);
  as.mapAnonymous(CODE, 4096, { executable: true, writable: true });
  as.mapAnonymous(DATA, DATA_PAGES * 4096, { writable: true });
  for (let p = 0; p < 2; p++)
    as.map(ALIAS + p * 4096, as.lookup(DATA + p * 4096) as number, { writable: true });
  const pattern = new Uint8Array(DATA_PAGES * 4096);
  for (let k = 0; k < pattern.length; k++) pattern[k] = (k * 7 + (k >> 8)) & 0xff;
  as.write(DATA, pattern);
  as.write(CODE, Uint8Array.from(code));
  const cpu = new Cpu(mem);
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;
  cpu.setReg(6, BigInt(s.rsi));
  cpu.setReg(7, BigInt(s.rdi));
  cpu.setReg(1, BigInt(s.rcx));
  cpu.setReg(0, s.rax ?? 0x1122334455667788n);
  let exit: VcpuExit;
  let guard = 0;
  do exit = cpu.run(100_000);
  while (exit.kind === 'budget' && ++guard < 1000);
  return {
    exit: exit.kind === 'exception' ? `#${exit.vector} cr2=${exit.cr2}` : exit.kind,
    rsi: cpu.getReg(6),
    rdi: cpu.getReg(7),
    rcx: cpu.getReg(1),
    data: as.read(DATA, DATA_PAGES * 4096),
  };
}

/** The first byte offset where two memory images differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

function expectSame(movs: boolean, size: number, s: Setup): void {
  const fast = run(repCode(movs, size), s);
  const reference = run(loopCode(movs, size), s);
  const what = `${movs ? 'movs' : 'stos'}${size} rsi=${s.rsi.toString(16)} rdi=${s.rdi.toString(16)} rcx=${s.rcx}`;
  expect(firstDifference(fast.data, reference.data), `${what}: first differing byte`).toBe(-1);
  expect({ ...fast, data: null }, what).toEqual({ ...reference, data: null });
}

describe('forward REP MOVS and STOS by page runs', () => {
  it('copy and fill across pages at every element size and page offset', () => {
    for (const size of [1, 2, 4, 8]) {
      for (const offset of [0, 1, size === 1 ? 2 : size - 1, 4093]) {
        const rcx = Math.floor((2 * 4096 + 300) / size);
        expectSame(true, size, { rsi: DATA + offset, rdi: DATA + 4096 + 5 + offset, rcx });
        expectSame(true, size, { rsi: DATA + 2 * 4096 + offset, rdi: DATA + 3 + offset, rcx });
        expectSame(false, size, { rsi: 0, rdi: DATA + offset, rcx });
      }
    }
  });

  it('replicate like the element-wise copy when the destination starts inside the source', () => {
    for (const size of [1, 2, 4, 8]) {
      for (const distance of [1, 2, 3, size, size + 1, 2 * size, 17, 4095, 4096]) {
        expectSame(true, size, { rsi: DATA + 100, rdi: DATA + 100 + distance, rcx: Math.floor(6000 / size) });
        expectSame(true, size, { rsi: DATA + 100 + distance, rdi: DATA + 100, rcx: Math.floor(6000 / size) });
      }
    }
  });

  it('see overlap through a second mapping of the same frames', () => {
    for (const size of [1, 8]) {
      // ALIAS + 8 is the frame byte DATA + 8: the destination starts 8 bytes into the source.
      expectSame(true, size, { rsi: DATA, rdi: ALIAS + 8, rcx: Math.floor(5000 / size) });
      expectSame(true, size, { rsi: ALIAS + 8, rdi: DATA, rcx: Math.floor(5000 / size) });
    }
  });

  it('fault at the first element that reaches the unmapped page, with RCX, RSI and RDI at that element', () => {
    const end = DATA + DATA_PAGES * 4096;
    for (const size of [1, 2, 4, 8]) {
      for (const misalign of [0, size > 1 ? 1 : 0]) {
        const rcx = Math.floor((3 * 4096) / size);
        const destination = { rsi: DATA, rdi: end - 2 * 4096 - misalign, rcx };
        const fast = run(repCode(true, size), destination);
        expect(fast.exit).toBe(`#14 cr2=${end}`);
        expect(fast.rcx).toBeGreaterThan(0n);
        expectSame(true, size, destination);
        expectSame(true, size, { rsi: end - 4096 - 3 - misalign, rdi: DATA, rcx });
        expectSame(false, size, { rsi: 0, rdi: end - 4096 - misalign, rcx });
      }
    }
  });

  it('counts of zero and one, and a count larger than one execution handles', () => {
    for (const rcx of [0, 1, 70_000]) {
      expectSame(false, 1, { rsi: 0, rdi: DATA, rcx: Math.min(rcx, 3 * 4096) });
      expectSame(true, 1, { rsi: DATA, rdi: DATA + 8192, rcx: Math.min(rcx, 8000) });
    }
    // 70 000 byte stores need more than one 65 536-element chunk: the instruction restarts itself.
    expectSame(false, 1, { rsi: 0, rdi: DATA, rcx: 70_000 });
  });
});
