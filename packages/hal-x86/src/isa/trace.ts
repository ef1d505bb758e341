/**
 * Instruction tracing: one line per executed instruction (address and AT&T disassembly), optionally
 * followed by the registers that instruction changed.
 *
 *     const trace = createTracer((line) => console.log(line), { symbolize });
 *     const cpu = new Cpu(memory, { trace });
 *     ...
 *     trace.flush();
 *
 *     <main>:
 *       401126  push   %rbp
 *               rsp=0x7ffe0ff8
 *       401127  mov    %rsp,%rbp
 *               rbp=0x7ffe0ff8
 */
import type { Cpu } from '../cpu/cpu';
import { REG64_NAMES } from '../cpu/registers';
import { disassemble, type Symbolizer } from './disasm';
import type { Insn } from './insn';

export interface TraceOptions {
  /** After each instruction, list the general registers it changed (default true). */
  registers?: boolean;
  /** Include RFLAGS in the list of changes (default false). */
  flags?: boolean;
  /** Names addresses: a `<function>:` header when execution enters another symbol, and branch targets. */
  symbolize?: Symbolizer;
  /**
   * Re-read each instruction's bytes from guest memory so that prefixes the decoder drops are shown
   * exactly as objdump shows them (`cs nopw`). Off by default: the read goes through the MMU.
   */
  bytes?: boolean;
}

export interface Tracer {
  (cpu: Cpu, insn: Insn): void;
  /** Writes the register changes of the last traced instruction (call after the run ends). */
  flush(): void;
}

const INDENT = '          ';

function hex(v: bigint | number): string {
  return `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
}

export function createTracer(write: (line: string) => void, options: TraceOptions = {}): Tracer {
  const showRegs = options.registers ?? true;
  const showFlags = options.flags ?? false;
  const { symbolize } = options;
  let lastCpu: Cpu | null = null;
  let regs = new Int32Array(32);
  let rflags = 0;
  let lastFunction: string | undefined;

  const changes = (cpu: Cpu): void => {
    if (!showRegs || cpu !== lastCpu) return;
    const parts: string[] = [];
    for (let r = 0; r < 16; r++) {
      if (cpu.regs[2 * r] !== regs[2 * r] || cpu.regs[2 * r + 1] !== regs[2 * r + 1]) {
        parts.push(`${REG64_NAMES[r]}=${hex(cpu.getReg(r))}`);
      }
    }
    if (showFlags && cpu.rflags !== rflags) parts.push(`rflags=${hex(cpu.rflags)}`);
    if (parts.length > 0) write(INDENT + parts.join(' '));
  };

  const snapshot = (cpu: Cpu): void => {
    if (!showRegs) return;
    if (cpu !== lastCpu) regs = new Int32Array(32);
    regs.set(cpu.regs);
    if (showFlags) rflags = cpu.rflags;
  };

  const trace = ((cpu: Cpu, insn: Insn): void => {
    changes(cpu);
    if (symbolize) {
      const sym = symbolize(BigInt.asUintN(64, BigInt(insn.addr)));
      const fn = sym?.replace(/[+-]0x[0-9a-f]+$/, '');
      if (fn !== undefined && fn !== lastFunction) write(`<${fn}>:`);
      lastFunction = fn;
    }
    let bytes: Uint8Array | undefined;
    if (options.bytes) {
      try {
        bytes = cpu.readBytes(insn.addr, insn.len);
      } catch {
        bytes = undefined;
      }
    }
    const addr = BigInt.asUintN(64, BigInt(insn.addr)).toString(16).padStart(8);
    write(`${addr}  ${disassemble(insn, { symbolize, bytes })}`);
    snapshot(cpu);
    lastCpu = cpu;
  }) as Tracer;
  trace.flush = () => {
    if (lastCpu) changes(lastCpu);
    lastCpu = null;
  };
  return trace;
}
