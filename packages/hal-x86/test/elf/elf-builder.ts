/**
 * Builds ELF64 files byte by byte for tests: a general builder with explicit program headers, and a
 * helper for the usual three-segment static executable (headers R, text R-X, data RW- with bss).
 */
export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface PhdrSpec {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfSpec {
  /** e_type (default 2, ET_EXEC). */
  type?: number;
  machine?: number;
  entry: number;
  phdrs: PhdrSpec[];
  /** Bytes placed at file offsets. */
  blobs?: { offset: number; bytes: Uint8Array }[];
  /** File size (default: just past the last blob or segment). */
  size?: number;
  phoff?: number;
  phentsize?: number;
  /** Overrides for e_ident bytes 4.. (class, data, version). */
  cls?: number;
  data?: number;
  version?: number;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const phoff = spec.phoff ?? 64;
  const phentsize = spec.phentsize ?? 56;
  let size = phoff + spec.phdrs.length * 56;
  for (const p of spec.phdrs)
    if (p.type === PT_LOAD || p.type === PT_INTERP) size = Math.max(size, p.offset + p.filesz);
  for (const b of spec.blobs ?? []) size = Math.max(size, b.offset + b.bytes.length);
  size = spec.size ?? size;
  const buf = new Uint8Array(Math.max(size, 64 + spec.phdrs.length * 56 + phoff));
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, spec.cls ?? 2, spec.data ?? 1, spec.version ?? 1, 0], 0);
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine ?? 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(spec.entry), true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setBigUint64(40, 0n, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, phentsize, true);
  v.setUint16(56, spec.phdrs.length, true);
  v.setUint16(58, 64, true);
  spec.phdrs.forEach((p, k) => {
    const o = phoff + k * 56;
    if (o + 56 > buf.length) return;
    v.setUint32(o, p.type, true);
    v.setUint32(o + 4, p.flags, true);
    v.setBigUint64(o + 8, BigInt(p.offset), true);
    v.setBigUint64(o + 16, BigInt(p.vaddr), true);
    v.setBigUint64(o + 24, BigInt(p.vaddr), true);
    v.setBigUint64(o + 32, BigInt(p.filesz), true);
    v.setBigUint64(o + 40, BigInt(p.memsz), true);
    v.setBigUint64(o + 48, BigInt(p.align), true);
  });
  for (const b of spec.blobs ?? []) buf.set(b.bytes, b.offset);
  return buf.subarray(0, size);
}

export interface ProgramSpec {
  code: Uint8Array;
  data?: Uint8Array;
  /** Extra zero bytes after data (bss). */
  bss?: number;
  /** Static-pie (ET_DYN at link base 0) instead of ET_EXEC at 0x400000. */
  pie?: boolean;
  /** Add a PT_PHDR header. */
  withPhdr?: boolean;
  extraPhdrs?: PhdrSpec[];
}

/** Link-time addresses used by `buildProgram`. */
export function programLayout(pie = false) {
  const base = pie ? 0 : 0x400000;
  return { base, text: base + 0x1000, data: base + 0x2000 };
}

/**
 * A static executable: segment 0 (R) holds the ELF and program headers at file offset 0, segment 1 (RX)
 * the code at offset 0x1000, segment 2 (RW) the data at 0x2000 followed by `bss` zero bytes.
 */
export function buildProgram(p: ProgramSpec): Uint8Array {
  const { base, text, data } = programLayout(p.pie);
  const dataBytes = p.data ?? new Uint8Array(0);
  const phdrs: PhdrSpec[] = [];
  const count = 3 + (p.withPhdr ? 1 : 0) + (p.extraPhdrs?.length ?? 0);
  if (p.withPhdr)
    phdrs.push({
      type: PT_PHDR,
      flags: PF_R,
      offset: 64,
      vaddr: base + 64,
      filesz: count * 56,
      memsz: count * 56,
      align: 8,
    });
  phdrs.push(
    {
      type: PT_LOAD,
      flags: PF_R,
      offset: 0,
      vaddr: base,
      filesz: 64 + count * 56,
      memsz: 64 + count * 56,
      align: 0x1000,
    },
    {
      type: PT_LOAD,
      flags: PF_R | PF_X,
      offset: 0x1000,
      vaddr: text,
      filesz: p.code.length,
      memsz: p.code.length,
      align: 0x1000,
    },
    {
      type: PT_LOAD,
      flags: PF_R | PF_W,
      offset: 0x2000,
      vaddr: data,
      filesz: dataBytes.length,
      memsz: dataBytes.length + (p.bss ?? 0) || 1,
      align: 0x1000,
    },
    ...(p.extraPhdrs ?? []),
  );
  return buildElf({
    type: p.pie ? 3 : 2,
    entry: text,
    phdrs,
    blobs: [
      { offset: 0x1000, bytes: p.code },
      { offset: 0x2000, bytes: dataBytes },
    ],
    size: 0x2000 + Math.max(dataBytes.length, 1),
  });
}
