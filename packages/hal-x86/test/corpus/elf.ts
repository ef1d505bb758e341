/**
 * Just enough ELF64 parsing to check what the build produced: the file type
 * (ET_EXEC for -static, ET_DYN for -static-pie) and whether it asks for a
 * program interpreter (it must not: the emulator only runs static programs).
 */

export const ET_EXEC = 2;
export const ET_DYN = 3;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

export interface ElfSummary {
  type: number;
  machine: number;
  entry: bigint;
  hasInterp: boolean;
  hasDynamic: boolean;
}

export function summarizeElf(buf: Uint8Array): ElfSummary {
  if (buf.length < 64 || buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) {
    throw new Error('not an ELF file');
  }
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not a little-endian ELF64 file');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  const entry = dv.getBigUint64(24, true);
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  let hasInterp = false;
  let hasDynamic = false;
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) throw new Error('truncated program header table');
    const ptype = dv.getUint32(off, true);
    if (ptype === PT_INTERP) hasInterp = true;
    if (ptype === PT_DYNAMIC) hasDynamic = true;
  }
  return { type, machine, entry, hasInterp, hasDynamic };
}
