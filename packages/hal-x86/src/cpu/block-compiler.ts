/**
 * Second execution tier: compiles a hot pre-decoded block into one JavaScript function.
 *
 * The instructions programs execute most are emitted inline with their operands as constants (integer
 * forms in jit/integer-forms.ts, exact SSE2 moves and integer lanes in jit/sse-forms.ts); every other
 * instruction calls its interpreter handler. Flag updates are kept at compile time and written to the
 * lazy-flag record only when something could observe them (a handler call, a side exit, the block's end),
 * so a flag result that the next CMP overwrites is never stored, and a Jcc, CMOVcc or SETcc after
 * CMP/SUB/TEST/ADD/INC... tests the operands directly (jit/conditions.ts). An instruction that may fault
 * only notes its index; the function's recovery code restores the flags and RIP of that point (see
 * jit/emitter.ts). Conditional branches inside the block are side exits, and a block that ends by
 * branching back to its own start runs as a loop inside the function until the branch falls through or the
 * instruction budget is reached.
 *
 * The interpreter stays the reference: compiled code leaves the same state at every exit and fault (RIP,
 * flags, retired-instruction counts; `stop` ends the block after a write to its code), and the
 * differential suites run every case through both tiers.
 */
import type { Insn } from '../isa/insn';
import * as B from '../isa/exec/branch';
import { mulHighU32, mulS64, mulU64, product } from '../isa/exec/wide-multiply';
import { PARITY } from './flags';
import type { Cpu } from './cpu';
import { BlockEmitter, FAULT_LABEL } from './jit/emitter';
import { INTEGER_FORMS, condition } from './jit/integer-forms';
import { sseForm } from './jit/sse-forms';
import { GuestFault, Vector } from './fault';
import { syscall } from '../isa/exec/system';

/**
 * Runs the block (possibly several times round a self-loop); returns the instructions retired, or -1
 * after a fault, which it leaves in `cpu.fault` with RIP and the flags as the interpreter would.
 */
export type CompiledBlock = (cpu: Cpu, budget: number) => number;

/** Interpreted executions of a block before it is compiled. */
export const COMPILE_THRESHOLD = 50;

/** Helpers generated code may call (as `H.name`). */
const HELPERS = {
  mulHighU32,
  /** The 128-bit products of one-operand MUL/IMUL, left in `product` (lowest dword first). */
  mulU64,
  mulS64,
  product,
  PARITY,
  /** A legacy-SSE 128-bit memory operand that is not 16-byte aligned. */
  misaligned(i: Insn): never {
    throw new GuestFault(Vector.GP, 0, 0n, `${i.def.mnemonic}: misaligned 16-byte operand`);
  },
};

/** Compiles `insns` (starting at `va`); returns null when the block is not worth compiling. */
export function compileBlock(insns: readonly Insn[], va: number): CompiledBlock | null {
  const e = new BlockEmitter(insns);
  const count = insns.length;
  const last = insns[count - 1] as Insn;
  const selfLoop = last.def.exec === B.jcc && last.imm === va;
  let inlined = 0;
  /** Instructions that call their handler. */
  const handlers: number[] = [];

  for (let k = 0; k < count; k++) {
    const i = insns[k] as Insn;
    // (A branch to a non-canonical address faults at the branch: the handler deals with it.)
    const inlineBranch = i.def.exec === B.jcc && i.imm >= -(2 ** 47) && i.imm < 2 ** 47;
    if (inlineBranch && i.sideExit) {
      // A side exit: leave the block if taken, with the flags written; fall through with them deferred.
      const taken = condition(e, i.sub);
      e.emit(`if (${taken}) { ${e.flushCode()} c.rip = ${i.imm}; return n + ${k + 1}; }`);
      inlined++;
      continue;
    }
    if (inlineBranch) {
      // The block's last instruction: the flags become visible after it either way.
      const taken = condition(e, i.sub);
      e.flush();
      if (selfLoop) {
        // (c.jitRetired is refreshed at the top of each pass, so a fault in a later pass counts the passes
        // completed before it)
        e.emit(`if (${taken} && n + ${2 * count} <= budget) { n += ${count}; continue; }`);
      }
      e.emit(`c.rip = ${taken} ? ${i.imm} : ${i.next};`);
      e.emit(`return n + ${count};`);
      inlined++;
      continue;
    }
    const form = INTEGER_FORMS.get(i.def.exec) ?? sseForm(i);
    if (form !== undefined && form(e, k, i)) {
      inlined++;
      continue;
    }
    // Everything else calls its interpreter handler, which expects RIP at the next instruction and the
    // flags in the CPU, and keeps them right itself if it faults.
    e.flush();
    e.handlerCall();
    const leave = i.sideExit ? `c.stop || c.rip !== ${i.next}` : 'c.stop';
    handlers.push(k);
    // A SYSCALL tells the host how far the block has got (Cpu.syscallInstret).
    const before = i.def.exec === syscall ? `c.syscallOffset = n + ${k}; ` : '';
    e.emit(`c.rip = ${i.next}; ${before}X${k}(c, I${k}); if (${leave}) return n + ${k + 1};`);
  }
  if (inlined === 0) return null;
  e.flush();
  // A control transfer has set RIP already; a block cut at a page end or at its size limit (possibly right
  // after a side exit not taken) falls through.
  const tail =
    last.def.flow && !last.sideExit ? `return n + ${count};` : `c.rip = ${last.next}; return n + ${count};`;
  const recovery = e.faultRecovery();
  const { declarations, lines } = e.finish();
  const loop = [
    'for (;;) {',
    ...(selfLoop ? ['  c.jitRetired = n;'] : []),
    ...lines.map((l) => `  ${l}`),
    `  ${tail}`,
    '}',
  ];
  const fn = [
    'return function compiledBlock(c, budget) {',
    '  const g = c.regs;',
    '  const x = c.xmm32;',
    '  const T = c.tlbTag, P = c.tlbPerm, F = c.tlbFrame, V = c.view, B = c.bytes, CF = c.codeFrames;',
    '  let n = 0;',
    `  ${declarations}`,
    '  let f = -1;',
    ...(recovery === '' && !lines.some((l) => l.includes(`break ${FAULT_LABEL}`))
      ? loop.map((l) => `  ${l}`)
      : // The loop leaves only by returning, or on a fault: a handler's throw, or a `break` out of the
        // labelled block by an access that would fault on a TLB miss (with the fault in c.fault: no throw
        // at all, which is most of a page fault's cost otherwise). Either way the fault goes back as a
        // result, not rethrown: a second unwind of the stack cost more than the rest of the trip.
        [
          '  try {',
          `    ${FAULT_LABEL}: {`,
          ...loop.map((l) => `      ${l}`),
          '    }',
          '  } catch (x) {',
          '    c.fault = x;',
          '  }',
          `  ${recovery}`,
          '  return -1;',
        ]),
    '};',
  ].join('\n');
  // The instructions the code names (handler calls, address fallbacks) and the handlers it calls become
  // constants of the function's closure (`I3`, `X3`) rather than array elements, so the optimising
  // compiler sees each handler call's target and can inline it, specialised to its instruction.
  const code = fn.replace(/\bI\[(\d+)\]/g, 'I$1');
  const named = [...new Set(code.match(/\bI\d+\b/g) ?? [])];
  const constants = [
    ...named.map((n) => `${n} = I[${n.slice(1)}]`),
    ...handlers.map((k) => `X${k} = I[${k}].exec`),
  ];
  const body = `"use strict";\n${constants.length > 0 ? `const ${constants.join(', ')};\n` : ''}${code}`;
  const factory = new Function('I', 'H', body) as (I: readonly Insn[], H: typeof HELPERS) => CompiledBlock;
  return factory(insns, HELPERS);
}
