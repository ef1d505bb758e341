/**
 * Just enough ELF64 reading for the disassembler tests: section headers (to find .text) and the symbol
 * table, with a symbolizer that names addresses the way objdump annotates them (`<sym+0x1c>`).
 */
export interface Section {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  type: number;
  bind: number;
  shndx: number;
}

const SHT_SYMTAB = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const SHN_UNDEF = 0;

function cstring(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

export function readSections(bytes: Uint8Array): Section[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: v.getUint32(o, true),
      type: v.getUint32(o + 4, true),
      flags: v.getBigUint64(o + 8, true),
      addr: v.getBigUint64(o + 16, true),
      offset: Number(v.getBigUint64(o + 24, true)),
      size: Number(v.getBigUint64(o + 32, true)),
      link: v.getUint32(o + 40, true),
      entsize: Number(v.getBigUint64(o + 56, true)),
    });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => ({ ...s, name: strtab ? cstring(bytes, strtab.offset + s.nameOff) : '' }));
}

export function readSymbols(bytes: Uint8Array, sections: Section[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = sections[symtab.link] as Section;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ElfSymbol[] = [];
  for (let o = symtab.offset; o + 24 <= symtab.offset + symtab.size; o += 24) {
    const info = v.getUint8(o + 4);
    out.push({
      name: cstring(bytes, strtab.offset + v.getUint32(o, true)),
      type: info & 0xf,
      bind: info >> 4,
      shndx: v.getUint16(o + 6, true),
      value: v.getBigUint64(o + 8, true),
      size: v.getBigUint64(o + 16, true),
    });
  }
  return out;
}

const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STT_OBJECT = 1;
const STT_FUNC = 2;

/**
 * objdump's preference among symbols at one address: file-name-like symbols last, functions first, then
 * objects, then global, weak, local, then names not starting with '.', then by name.
 */
function preferenceOrder(a: ElfSymbol, b: ElfSymbol): number {
  const fileLike = (s: ElfSymbol): number => (/\.[oa]$/.test(s.name) ? 1 : 0);
  const keys = [
    fileLike(a) - fileLike(b),
    (b.type === STT_FUNC ? 1 : 0) - (a.type === STT_FUNC ? 1 : 0),
    (b.type === STT_OBJECT ? 1 : 0) - (a.type === STT_OBJECT ? 1 : 0),
    (a.bind === STB_LOCAL ? 1 : 0) - (b.bind === STB_LOCAL ? 1 : 0),
    (b.bind === STB_GLOBAL ? 1 : 0) - (a.bind === STB_GLOBAL ? 1 : 0),
    (a.name.startsWith('.') ? 1 : 0) - (b.name.startsWith('.') ? 1 : 0),
  ];
  for (const k of keys) if (k !== 0) return k;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Names an address as objdump annotates it: the most preferred of the symbols with the highest value at or
 * below the address (`sym`, `sym+0x1c`), or the lowest symbol with a negative offset when none is below.
 * objdump's synthetic symbols (`printf@plt`, GOT slots of dynamic binaries) are not reproduced.
 */
export function makeSymbolizer(symbols: ElfSymbol[]): (addr: bigint) => string | undefined {
  const sorted = symbols
    .filter((s) => s.name !== '' && s.type !== STT_FILE && s.type !== STT_SECTION && s.shndx !== SHN_UNDEF)
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : preferenceOrder(a, b)));
  return (addr) => {
    if (sorted.length === 0) return undefined;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as ElfSymbol).value <= addr) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) {
      const first = sorted[0] as ElfSymbol;
      return `${first.name}-0x${(first.value - addr).toString(16)}`;
    }
    let i = lo - 1;
    const value = (sorted[i] as ElfSymbol).value;
    while (i > 0 && (sorted[i - 1] as ElfSymbol).value === value) i--;
    const best = sorted[i] as ElfSymbol;
    const off = addr - best.value;
    return off === 0n ? best.name : `${best.name}+0x${off.toString(16)}`;
  };
}
