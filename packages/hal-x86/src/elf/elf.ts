/**
 * ELF64 parsing and validation for x86-64 executables (System V gABI and the x86-64 psABI).
 *
 * The parser reads only what an exec loader needs — the file header and the program headers — and
 * checks everything the loader will later trust: every range lies inside the file and inside the
 * 47-bit user address space, loadable segments do not overlap and can be mapped page by page, and the
 * file is a static executable. Anything wrong becomes an `ElfError` with a `code` and a readable
 * message; no input, however corrupt, escapes as a RangeError from a DataView.
 *
 * Numbers: 64-bit fields are read as bigint and converted to JS numbers only after a range check, so
 * every offset, address and size in the result is an exact integer below 2^53.
 */

/** Why a file was refused. Stable identifiers for callers and tests; the message is for people. */
export type ElfErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'NOT_64BIT'
  | 'NOT_LITTLE_ENDIAN'
  | 'BAD_VERSION'
  | 'NOT_X86_64'
  | 'BAD_TYPE'
  | 'BAD_PHDR_TABLE'
  | 'BAD_SEGMENT'
  | 'OVERLAP'
  | 'MISALIGNED'
  | 'DYNAMIC'
  | 'NO_LOAD'
  | 'BAD_ENTRY'
  | 'ADDRESS_RANGE'
  | 'TOO_LARGE';

export class ElfError extends Error {
  override readonly name = 'ElfError';
  constructor(
    readonly code: ElfErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------------- constants

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;
export const EM_386 = 3;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;

export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  SHLIB: 5,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
} as const;

/** Segment permission bits (p_flags). */
export const PF = { X: 1, W: 2, R: 4 } as const;

/** User space ends at 2^47 on x86-64 with 4-level paging (the canonical lower half). */
export const USER_ADDRESS_LIMIT = 2 ** 47;
/** Linux refuses program header tables larger than 64 KiB (fs/binfmt_elf.c, elf_read_phdrs). */
export const MAX_PHDR_TABLE_BYTES = 65536;
/** Linux's default vm.mmap_min_addr: nothing may be mapped below it, so NULL dereferences always fault. */
export const MIN_EXEC_ADDRESS = 0x10000;
const PAGE = 4096;

// ------------------------------------------------------------------------------------------ types

export interface ProgramHeader {
  /** Position in the program header table. */
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfFile {
  /** The file as given (not copied). */
  bytes: Uint8Array;
  /** ET_EXEC (fixed addresses) or ET_DYN (position independent: static-pie). */
  type: typeof ET_EXEC | typeof ET_DYN;
  osabi: number;
  /** Entry point as written in the file (add the load bias for ET_DYN). */
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  flags: number;
  /** Every program header, in table order. */
  programHeaders: ProgramHeader[];
  /** The PT_LOAD headers sorted by p_vaddr (validated: in bounds, non-overlapping, mappable). */
  loads: ProgramHeader[];
  /** PT_TLS, if present (informational: the C library sets up thread-local storage itself). */
  tls: ProgramHeader | null;
  /** PT_PHDR, if present. */
  phdr: ProgramHeader | null;
  /** PT_GNU_STACK asks for an executable stack (PF_X); absent means executable on old kernels, we say no. */
  executableStack: boolean;
  /** Lowest page-aligned and highest (exclusive) address covered by PT_LOAD, before any load bias. */
  minVaddr: number;
  maxVaddr: number;
  /** Largest p_align among PT_LOAD headers (at least one page). */
  maxAlign: number;
}

/** Human names for error messages. */
const MACHINE_NAMES: Record<number, string> = {
  [EM_386]: 'i386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  40: 'ARM',
  [EM_AARCH64]: 'AArch64',
  [EM_RISCV]: 'RISC-V',
};

const TYPE_NAMES: Record<number, string> = {
  0: 'ET_NONE',
  [ET_REL]: 'ET_REL (relocatable object file)',
  [ET_CORE]: 'ET_CORE (core dump)',
};

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

// ------------------------------------------------------------------------------------------ reader

/** Bounds-checked little-endian reads that fail with ElfError('TRUNCATED') instead of RangeError. */
class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(offset: number, size: number, what: string): void {
    if (offset < 0 || offset + size > this.bytes.length) {
      throw new ElfError(
        'TRUNCATED',
        `truncated file: ${what} at offset ${hex(offset)} needs ${size} bytes, file has ${this.bytes.length}`,
      );
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit field that must fit in a JS number exactly (below 2^53), else 'TOO_LARGE'. */
  u64(offset: number, what: string): number {
    this.need(offset, 8, what);
    const v = this.view.getBigUint64(offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfError('TOO_LARGE', `${what} is ${hex(v)}, an absurd value (beyond 2^53)`);
    }
    return Number(v);
  }
}

// ------------------------------------------------------------------------------------------- parse

/**
 * Parses and validates an x86-64 ELF64 executable for loading. Throws ElfError for anything a loader
 * should refuse; see the ElfErrorCode list for the checks.
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseElf expects a Uint8Array');
  const r = new Reader(bytes);
  checkIdent(bytes);
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfError(
      'TRUNCATED',
      `truncated ELF header: file is ${bytes.length} bytes, an ELF64 header needs ${ELF64_EHDR_SIZE}`,
    );
  }

  const type = r.u16(16, 'e_type');
  const machine = r.u16(18, 'e_machine');
  const version = r.u32(20, 'e_version');
  if (machine !== EM_X86_64) {
    const name = MACHINE_NAMES[machine];
    throw new ElfError(
      'NOT_X86_64',
      `not an x86-64 executable: e_machine is ${machine}${name ? ` (${name})` : ''}, expected ${EM_X86_64} (EM_X86_64)`,
    );
  }
  if (version !== EV_CURRENT) {
    throw new ElfError(
      'BAD_VERSION',
      `unsupported ELF version ${version} in e_version (expected ${EV_CURRENT})`,
    );
  }
  if (type !== ET_EXEC && type !== ET_DYN) {
    const name = TYPE_NAMES[type] ?? `type ${type}`;
    throw new ElfError(
      'BAD_TYPE',
      `not an executable: e_type is ${name}; only ET_EXEC and ET_DYN (static-pie) can be run`,
    );
  }

  const entry = r.u64(24, 'e_entry');
  const phoff = r.u64(32, 'e_phoff');
  const shoff = r.u64(40, 'e_shoff');
  const flags = r.u32(48, 'e_flags');
  const phentsize = r.u16(54, 'e_phentsize');
  const phnum = r.u16(56, 'e_phnum');
  const shentsize = r.u16(58, 'e_shentsize');
  const shnum = r.u16(60, 'e_shnum');
  const shstrndx = r.u16(62, 'e_shstrndx');

  const programHeaders = readProgramHeaders(r, phoff, phentsize, phnum);
  const elf: ElfFile = {
    bytes,
    type,
    osabi: bytes[7] as number,
    entry,
    phoff,
    phentsize,
    phnum,
    shoff,
    shentsize,
    shnum,
    shstrndx,
    flags,
    programHeaders,
    loads: [],
    tls: null,
    phdr: null,
    executableStack: false,
    minVaddr: 0,
    maxVaddr: 0,
    maxAlign: PAGE,
  };
  classifySegments(elf);
  checkLoads(elf);
  checkEntry(elf);
  return elf;
}

/** e_ident: magic, class, byte order, version. Works on files shorter than a header. */
function checkIdent(bytes: Uint8Array): void {
  const n = bytes.length;
  for (let k = 0; k < 4; k++) {
    if (k >= n) {
      throw new ElfError('BAD_MAGIC', `not an ELF file: only ${n} byte${n === 1 ? '' : 's'} long`);
    }
    if (bytes[k] !== ELF_MAGIC[k]) {
      const seen = Array.from(bytes.subarray(0, Math.min(4, n)), (b) => b.toString(16).padStart(2, '0')).join(
        ' ',
      );
      const hint = bytes[0] === 0x23 && bytes[1] === 0x21 ? ' (a script, not a binary)' : '';
      throw new ElfError('BAD_MAGIC', `not an ELF file: bad magic ${seen}${hint} (expected 7f 45 4c 46)`);
    }
  }
  if (n < 16) {
    throw new ElfError(
      'TRUNCATED',
      `truncated ELF header: file is ${n} bytes, an ELF64 header needs ${ELF64_EHDR_SIZE}`,
    );
  }
  const cls = bytes[4] as number;
  if (cls !== ELFCLASS64) {
    const what = cls === ELFCLASS32 ? 'a 32-bit file (ELFCLASS32)' : `an unknown class ${cls}`;
    throw new ElfError('NOT_64BIT', `not ELFCLASS64: ${what}; only 64-bit x86-64 executables are supported`);
  }
  const data = bytes[5] as number;
  if (data !== ELFDATA2LSB) {
    const what = data === ELFDATA2MSB ? 'big-endian (ELFDATA2MSB)' : `unknown byte order ${data}`;
    throw new ElfError('NOT_LITTLE_ENDIAN', `not little-endian: ${what}; x86-64 executables are ELFDATA2LSB`);
  }
  if (bytes[6] !== EV_CURRENT) {
    throw new ElfError(
      'BAD_VERSION',
      `unsupported ELF version ${bytes[6]} in e_ident (expected ${EV_CURRENT})`,
    );
  }
}

function readProgramHeaders(r: Reader, phoff: number, phentsize: number, phnum: number): ProgramHeader[] {
  if (phnum === 0) {
    throw new ElfError('BAD_PHDR_TABLE', 'no program headers (e_phnum is 0): nothing to load');
  }
  if (phnum === 0xffff) {
    throw new ElfError('BAD_PHDR_TABLE', 'extended program header numbering (PN_XNUM) is not supported');
  }
  if (phentsize !== ELF64_PHDR_SIZE) {
    throw new ElfError(
      'BAD_PHDR_TABLE',
      `e_phentsize is ${phentsize}, ELF64 program headers are ${ELF64_PHDR_SIZE} bytes`,
    );
  }
  const tableSize = phnum * phentsize;
  if (tableSize > MAX_PHDR_TABLE_BYTES) {
    throw new ElfError(
      'BAD_PHDR_TABLE',
      `program header table of ${phnum} entries (${tableSize} bytes) exceeds ${MAX_PHDR_TABLE_BYTES} bytes`,
    );
  }
  if (phoff < ELF64_EHDR_SIZE && phoff + tableSize > 0) {
    throw new ElfError(
      'BAD_PHDR_TABLE',
      `program header table at e_phoff ${hex(phoff)} overlaps the ELF header`,
    );
  }
  if (phoff + tableSize > r.bytes.length) {
    throw new ElfError(
      'BAD_PHDR_TABLE',
      `program header table (e_phoff ${hex(phoff)}, ${phnum} entries of ${phentsize} bytes) extends past the end of the file (${r.bytes.length} bytes)`,
    );
  }
  if (phoff % 8 !== 0) {
    throw new ElfError(
      'BAD_PHDR_TABLE',
      `program header table at e_phoff ${hex(phoff)} is not 8-byte aligned`,
    );
  }
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const w = `program header ${i}`;
    out.push({
      index: i,
      type: r.u32(o, `${w} p_type`),
      flags: r.u32(o + 4, `${w} p_flags`),
      offset: r.u64(o + 8, `${w} p_offset`),
      vaddr: r.u64(o + 16, `${w} p_vaddr`),
      paddr: r.u64(o + 24, `${w} p_paddr`),
      filesz: r.u64(o + 32, `${w} p_filesz`),
      memsz: r.u64(o + 40, `${w} p_memsz`),
      align: r.u64(o + 48, `${w} p_align`),
    });
  }
  return out;
}

/** Picks out PT_LOAD/PT_TLS/PT_PHDR/PT_GNU_STACK and refuses PT_INTERP. */
function classifySegments(elf: ElfFile): void {
  const size = elf.bytes.length;
  for (const ph of elf.programHeaders) {
    switch (ph.type) {
      case PT.INTERP: {
        let interp = '';
        if (ph.offset < size && ph.filesz > 0) {
          const end = Math.min(size, ph.offset + Math.min(ph.filesz, 256));
          const raw = elf.bytes.subarray(ph.offset, end);
          const nul = raw.indexOf(0);
          interp = new TextDecoder('latin1').decode(nul >= 0 ? raw.subarray(0, nul) : raw);
        }
        throw new ElfError(
          'DYNAMIC',
          `dynamically linked executable (PT_INTERP requests ${interp ? `"${interp}"` : 'a dynamic linker'}): only static binaries are supported (link with -static or -static-pie)`,
        );
      }
      case PT.LOAD:
        elf.loads.push(ph);
        break;
      case PT.TLS:
        checkFileRange(ph, size, 'PT_TLS');
        if (ph.filesz > ph.memsz) {
          throw new ElfError(
            'BAD_SEGMENT',
            `PT_TLS (program header ${ph.index}): p_filesz ${hex(ph.filesz)} exceeds p_memsz ${hex(ph.memsz)}`,
          );
        }
        if (ph.align > 1 && !isPow2(ph.align)) {
          throw new ElfError(
            'MISALIGNED',
            `PT_TLS (program header ${ph.index}): p_align ${hex(ph.align)} is not a power of two`,
          );
        }
        elf.tls = ph;
        break;
      case PT.PHDR:
        elf.phdr = ph;
        break;
      case PT.GNU_STACK:
        elf.executableStack = (ph.flags & PF.X) !== 0;
        break;
      default:
        break;
    }
  }
}

function isPow2(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

function checkFileRange(ph: ProgramHeader, fileSize: number, what: string): void {
  if (ph.offset + ph.filesz > fileSize) {
    throw new ElfError(
      'BAD_SEGMENT',
      `${what} (program header ${ph.index}): file range ${hex(ph.offset)}+${hex(ph.filesz)} extends past the end of the file (${fileSize} bytes)`,
    );
  }
}

/** Every PT_LOAD: inside the file, filesz <= memsz, mappable alignment, inside user space, no overlap. */
function checkLoads(elf: ElfFile): void {
  if (elf.loads.length === 0) throw new ElfError('NO_LOAD', 'no PT_LOAD segments: nothing to load');
  const size = elf.bytes.length;
  for (const ph of elf.loads) {
    const w = `PT_LOAD segment (program header ${ph.index})`;
    checkFileRange(ph, size, 'PT_LOAD segment');
    if (ph.filesz > ph.memsz) {
      throw new ElfError('BAD_SEGMENT', `${w}: p_filesz ${hex(ph.filesz)} exceeds p_memsz ${hex(ph.memsz)}`);
    }
    if (ph.align > 1 && !isPow2(ph.align)) {
      throw new ElfError('MISALIGNED', `${w}: p_align ${hex(ph.align)} is not a power of two`);
    }
    if (ph.align > 1 && ph.vaddr % ph.align !== ph.offset % ph.align) {
      throw new ElfError(
        'MISALIGNED',
        `${w}: p_vaddr ${hex(ph.vaddr)} and p_offset ${hex(ph.offset)} are not congruent modulo p_align ${hex(ph.align)}`,
      );
    }
    // Pages are mapped from the file page by page, so the congruence must hold at page granularity too.
    if (ph.vaddr % PAGE !== ph.offset % PAGE) {
      throw new ElfError(
        'MISALIGNED',
        `${w}: p_vaddr ${hex(ph.vaddr)} and p_offset ${hex(ph.offset)} are not congruent modulo the page size (4096)`,
      );
    }
    if (
      ph.vaddr >= USER_ADDRESS_LIMIT ||
      ph.memsz > USER_ADDRESS_LIMIT ||
      ph.vaddr + ph.memsz > USER_ADDRESS_LIMIT
    ) {
      throw new ElfError(
        'ADDRESS_RANGE',
        `${w}: ${hex(ph.vaddr)}+${hex(ph.memsz)} lies beyond the 47-bit user address space (limit ${hex(USER_ADDRESS_LIMIT)})`,
      );
    }
    if (elf.type === ET_EXEC && ph.memsz > 0 && ph.vaddr < MIN_EXEC_ADDRESS) {
      throw new ElfError(
        'ADDRESS_RANGE',
        `${w}: fixed address ${hex(ph.vaddr)} is below ${hex(MIN_EXEC_ADDRESS)} (the lowest address Linux lets a process map)`,
      );
    }
    if (ph.align > elf.maxAlign) elf.maxAlign = ph.align;
  }
  elf.loads.sort((a, b) => a.vaddr - b.vaddr);
  for (let k = 1; k < elf.loads.length; k++) {
    const a = elf.loads[k - 1] as ProgramHeader;
    const b = elf.loads[k] as ProgramHeader;
    if (a.memsz > 0 && b.memsz > 0 && a.vaddr + a.memsz > b.vaddr) {
      throw new ElfError(
        'OVERLAP',
        `PT_LOAD segments overlap: program header ${a.index} (${hex(a.vaddr)}-${hex(a.vaddr + a.memsz)}) and program header ${b.index} (${hex(b.vaddr)}-${hex(b.vaddr + b.memsz)})`,
      );
    }
  }
  const first = elf.loads[0] as ProgramHeader;
  elf.minVaddr = first.vaddr - (first.vaddr % PAGE);
  elf.maxVaddr = Math.max(...elf.loads.map((p) => p.vaddr + p.memsz));
  if (elf.maxVaddr - elf.minVaddr > USER_ADDRESS_LIMIT / 2 && elf.type === ET_DYN) {
    throw new ElfError(
      'TOO_LARGE',
      `position-independent image spans ${hex(elf.maxVaddr - elf.minVaddr)} bytes, an absurd size`,
    );
  }
  if (elf.maxAlign > 2 ** 30) {
    throw new ElfError('TOO_LARGE', `p_align ${hex(elf.maxAlign)} is absurdly large (more than 1 GiB)`);
  }
}

function checkEntry(elf: ElfFile): void {
  const inside = elf.loads.some((p) => elf.entry >= p.vaddr && elf.entry < p.vaddr + p.memsz);
  if (!inside) {
    throw new ElfError('BAD_ENTRY', `entry point ${hex(elf.entry)} lies outside every PT_LOAD segment`);
  }
}

/** "R-X"-style description of p_flags, for traces and messages. */
export function segmentFlagsString(flags: number): string {
  return `${flags & PF.R ? 'R' : '-'}${flags & PF.W ? 'W' : '-'}${flags & PF.X ? 'X' : '-'}`;
}

/** A name for a p_type value, for traces. */
export function segmentTypeName(type: number): string {
  for (const [name, value] of Object.entries(PT)) if (value === type) return `PT_${name}`;
  return hex(type);
}
