/**
 * The shape of one row of the opcode table: the single source of truth from which the decoder builds its
 * dispatch maps and the disassembler its text. Adding an instruction means adding a row (and its
 * handler); nothing else keeps a list of opcodes.
 */
import type { Cpu } from '../cpu/cpu';
import type { Insn } from './insn';

export type Handler = (cpu: Cpu, insn: Insn) => void;

/** Opcode maps: one-byte, 0F, 0F 38, 0F 3A. */
export type OpcodeMap = 0 | 1 | 2 | 3;

/**
 * How the operand size is chosen:
 * - 'v'   16/32/64: 32 by default, 16 with 66, 64 with REX.W
 * - 'd64' 16/64: 64 by default (push, pop, near indirect branches), 16 with 66
 * - 'f64' always 64 (relative branches, call, ret)
 * - 'b' 'w' 'd' 'q' fixed 8/16/32/64 bits
 * - 'x'   not an integer size (SSE, x87): the handler knows its operand widths
 */
export type SizeRule = 'v' | 'd64' | 'f64' | 'b' | 'w' | 'd' | 'q' | 'x';

/**
 * Operand descriptors use the Intel manual's Appendix A notation: a method letter and a size.
 * Methods: E (modrm r/m, register or memory), G (modrm reg), M (modrm memory only), R (modrm r/m register
 * only), I (immediate), J (relative branch target), O (absolute offset), Z (register in the low opcode bits),
 * A (the accumulator), C (CL), 1 (the constant 1), V (xmm in modrm reg), W (xmm or memory in modrm r/m),
 * U (xmm in modrm r/m, register only), S (x87 stack register ST(i) from modrm r/m), T (ST(0)),
 * N/P/Q (mmx, not supported), F (implicit: RFLAGS), X/Y (string source/destination).
 * Sizes: b w d q v z (16/32, immediate of a 'v' op) y (32/64) s (sign-extended byte) x (128-bit) and SSE
 * element types ss sd ps pd dq; m80/m64... are written as 'M' with a size tag for the disassembler.
 */
export interface OperandSpec {
  method: string;
  size: string;
}

export interface OpDefInput {
  mnemonic: string;
  map?: OpcodeMap;
  opcode: number;
  /** modrm.reg extension (/digit). */
  ext?: number;
  /** Mandatory prefix for SSE-style encodings: 'none' requires none of 66/F2/F3. */
  prefix?: 'none' | 0x66 | 0xf2 | 0xf3;
  /** Restricts to the memory (mod != 3) or register (mod == 3) form of modrm. */
  form?: 'mem' | 'reg';
  /** For register forms that encode a whole instruction in modrm.rm (e.g. 0F AE F0 mfence). */
  rm?: number;
  /** Operands in Intel order (destination first), comma separated, e.g. 'Ev,Gv'. */
  operands?: string;
  size?: SizeRule;
  exec: Handler;
  /** A small opcode-specific number handed to the handler as `insn.sub` (ALU op, condition code...). */
  sub?: number;
  /** Ends a pre-decoded block: control transfers, syscall, instructions that exit to the host. */
  flow?: boolean;
  /** LOCK is allowed (when the destination is memory). */
  lockable?: boolean;
  /** Whether a REP/REPNE prefix is meaningful (string instructions). */
  rep?: boolean;
  /** Disassembler hint: the AT&T mnemonic needs a size suffix when no register fixes the size. */
  suffix?: boolean;
  /**
   * Optionally returns a faster handler for one decoded form (for example register-to-register at 64 bits).
   * It must behave exactly like `exec` for that form.
   */
  specialize?: (insn: Insn) => Handler | undefined;
  /**
   * Reads or writes the x87, SSE or MXCSR state (every x87 and SSE instruction, and FWAIT): a host that
   * switches that state lazily loads it before the first such instruction runs (see `Cpu.fpuUse`).
   */
  fpu?: boolean;
}

export interface OpDef extends Required<Pick<OpDefInput, 'mnemonic' | 'opcode' | 'exec'>> {
  map: OpcodeMap;
  ext: number; // -1 when none
  prefix: 'none' | 0x66 | 0xf2 | 0xf3 | 'any';
  form: 'mem' | 'reg' | 'any';
  rm: number; // -1 when none
  operands: OperandSpec[];
  size: SizeRule;
  sub: number;
  flow: boolean;
  lockable: boolean;
  rep: boolean;
  suffix: boolean;
  /** Needs a modrm byte (derived from operands and ext). */
  modrm: boolean;
  specialize: ((insn: Insn) => Handler | undefined) | null;
  fpu: boolean;
}

const MODRM_METHODS = new Set(['E', 'G', 'M', 'R', 'V', 'W', 'U', 'S', 'N', 'P', 'Q']);

export function parseOperands(text: string | undefined): OperandSpec[] {
  if (!text) return [];
  return text.split(',').map((t) => {
    const s = t.trim();
    if (s === '1') return { method: '1', size: 'b' };
    return { method: s[0] as string, size: s.slice(1) };
  });
}

export function defineOp(input: OpDefInput): OpDef {
  const operands = parseOperands(input.operands);
  const ext = input.ext ?? -1;
  return {
    mnemonic: input.mnemonic,
    map: input.map ?? 0,
    opcode: input.opcode,
    ext,
    prefix: input.prefix ?? 'any',
    // An 'M' operand (memory only) makes the register form of modrm an invalid encoding (#UD).
    form: input.form ?? (operands.some((o) => o.method === 'M') ? 'mem' : 'any'),
    rm: input.rm ?? -1,
    operands,
    size: input.size ?? 'v',
    exec: input.exec,
    sub: input.sub ?? 0,
    flow: input.flow ?? false,
    lockable: input.lockable ?? false,
    rep: input.rep ?? false,
    suffix: input.suffix ?? false,
    specialize: input.specialize ?? null,
    fpu: input.fpu ?? false,
    modrm: ext >= 0 || input.form !== undefined || operands.some((o) => MODRM_METHODS.has(o.method)),
  };
}
