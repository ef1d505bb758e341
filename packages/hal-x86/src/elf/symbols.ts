/**
 * Function symbols from an ELF64 file's .symtab, for naming addresses in fault reports and traces.
 *
 * Section headers are optional for execution (stripped binaries have no .symtab), so this reader is
 * lenient: anything malformed simply yields fewer symbols, never an error.
 */
import type { ElfFile } from './elf';

export interface ElfSymbol {
  name: string;
  /** Address in the file's link-time address space (add the load bias for static-pie). */
  value: number;
  size: number;
}

const SHT_SYMTAB = 2;
const STT_FUNC = 2;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

export class SymbolTable {
  /** Sorted by address. */
  readonly symbols: ElfSymbol[];

  constructor(
    symbols: ElfSymbol[],
    /** Added to every symbol value (the load bias). */
    readonly bias = 0,
  ) {
    this.symbols = [...symbols].sort((a, b) => a.value - b.value);
  }

  /** "name+0x12" for an address inside a known function, or null. */
  describe(address: number): string | null {
    const a = address - this.bias;
    const s = this.symbols;
    let lo = 0;
    let hi = s.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] as ElfSymbol).value <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    const sym = s[best] as ElfSymbol;
    const off = a - sym.value;
    if (sym.size > 0 ? off >= sym.size : off > 0x10000) return null;
    return off === 0 ? sym.name : `${sym.name}+0x${off.toString(16)}`;
  }
}

/** Reads the function symbols of `elf` (an empty table when there are none or the sections are damaged). */
export function readSymbols(elf: ElfFile, bias = 0): SymbolTable {
  try {
    return new SymbolTable(readFunctionSymbols(elf), bias);
  } catch {
    return new SymbolTable([], bias);
  }
}

function readFunctionSymbols(elf: ElfFile): ElfSymbol[] {
  const bytes = elf.bytes;
  const size = bytes.length;
  if (elf.shoff === 0 || elf.shnum === 0 || elf.shentsize !== SHDR_SIZE) return [];
  if (elf.shoff + elf.shnum * SHDR_SIZE > size) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const num = (o: number) => Number(view.getBigUint64(o, true));
  const out: ElfSymbol[] = [];
  for (let k = 0; k < elf.shnum; k++) {
    const sh = elf.shoff + k * SHDR_SIZE;
    if (view.getUint32(sh + 4, true) !== SHT_SYMTAB) continue;
    const offset = num(sh + 24);
    const length = num(sh + 32);
    const link = view.getUint32(sh + 40, true);
    if (link >= elf.shnum || offset + length > size) continue;
    const str = elf.shoff + link * SHDR_SIZE;
    const strOff = num(str + 24);
    const strLen = num(str + 32);
    if (strOff + strLen > size) continue;
    const decoder = new TextDecoder();
    for (let o = offset; o + SYM_SIZE <= offset + length; o += SYM_SIZE) {
      if ((view.getUint8(o + 4) & 0xf) !== STT_FUNC) continue;
      const nameOff = view.getUint32(o, true);
      const value = num(o + 8);
      if (value === 0 || nameOff >= strLen) continue;
      let end = strOff + nameOff;
      while (end < strOff + strLen && bytes[end] !== 0) end++;
      out.push({ name: decoder.decode(bytes.subarray(strOff + nameOff, end)), value, size: num(o + 16) });
    }
  }
  return out;
}
