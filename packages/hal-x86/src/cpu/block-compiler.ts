/**
 * Second execution tier: compiles a hot pre-decoded block into one JavaScript function.
 *
 * Frequent instruction forms (register moves, loads and stores, 32/64-bit ALU operations, TEST, Jcc; see
 * FAST_KIND) are emitted inline with their operands as constants; every other instruction calls its
 * interpreter handler. Flag updates are kept at compile time and written to the lazy-flag record only when
 * something could observe them (a handler call, an instruction that may fault, the block's exit), so a
 * flag result that the next CMP overwrites is never stored, and a Jcc after CMP/SUB/TEST tests the
 * operands directly. A block that ends by branching back to its own start runs as a loop inside the
 * function until the branch falls through or the instruction budget is reached.
 *
 * The interpreter stays the reference: compiled code follows the same conventions (RIP holds the next
 * instruction's address whenever something may fault; `stop` ends the block), and the differential and
 * program tests run with compilation both on and off.
 */
import { FlagOp } from './flags';
import type { Cpu } from './cpu';
import type { Insn } from '../isa/insn';
import { AluOp } from '../isa/exec/alu';
import { FAST_KIND } from '../isa/exec/fast-paths';

/** Runs the block (possibly several times round a self-loop); returns the instructions retired. */
export type CompiledBlock = (cpu: Cpu, budget: number) => number;

/** Interpreted executions of a block before it is compiled. */
export const COMPILE_THRESHOLD = 50;

interface PendingFlags {
  op: number;
  size: number;
  r: string;
  rh: string;
  a: string;
  ah: string;
  b: string;
  bh: string;
}

/** Compiles `insns` (starting at `va`); returns null when the block is not worth compiling. */
export function compileBlock(insns: readonly Insn[], va: number): CompiledBlock | null {
  const out: string[] = [];
  let pending: PendingFlags | null = null;
  let tmp = 0;
  const fresh = () => `t${tmp++}`;
  const flush = () => {
    if (pending !== null) {
      const p = pending;
      out.push(`c.setLazy(${p.op}, ${p.size}, ${p.r}, ${p.rh}, ${p.a}, ${p.ah}, ${p.b}, ${p.bh});`);
      pending = null;
    }
  };
  const last = insns[insns.length - 1] as Insn;
  const lastKind = FAST_KIND.get(last.exec);
  const selfLoop = lastKind === 'jcc' && last.imm === va;
  let inlined = 0;
  /** Reads/writes of register r at 64 or 32 bits as JS expressions on the Int32Array `g`. */
  const lo = (r: number) => `g[${2 * r}]`;
  const hi = (r: number) => `g[${2 * r + 1}]`;

  for (let k = 0; k < insns.length; k++) {
    const i = insns[k] as Insn;
    const kind = FAST_KIND.get(i.exec);
    const s = i.opsize;
    const retired = k; // instructions completed before this one in the current pass
    const setRip = () => out.push(`c.rip = ${i.next};`);
    const afterStore = () => out.push(`if (c.stop) return n + ${retired + 1};`);
    switch (kind) {
      case 'movRR':
      case 'movRRrev': {
        const [d, src] = kind === 'movRR' ? [i.rm, i.reg] : [i.reg, i.rm];
        out.push(`${lo(d)} = ${lo(src)}; ${hi(d)} = ${s === 8 ? hi(src) : '0'};`);
        inlined++;
        continue;
      }
      case 'movRI':
        out.push(`${lo(i.rm)} = ${i.imm}; ${hi(i.rm)} = ${s === 8 ? i.immHi : 0};`);
        inlined++;
        continue;
      case 'load':
        flush();
        setRip();
        if (s === 8) out.push(`${lo(i.reg)} = c.rd64(c.ea(I[${k}])); ${hi(i.reg)} = c.hi;`);
        else out.push(`${lo(i.reg)} = c.rd32(c.ea(I[${k}])); ${hi(i.reg)} = 0;`);
        inlined++;
        continue;
      case 'store':
        flush();
        setRip();
        if (s === 8) out.push(`c.wr64(c.ea(I[${k}]), ${lo(i.reg)}, ${hi(i.reg)});`);
        else out.push(`c.wr32(c.ea(I[${k}]), ${lo(i.reg)});`);
        afterStore();
        inlined++;
        continue;
      case 'movMI':
        flush();
        setRip();
        if (s === 8) out.push(`c.wr64(c.ea(I[${k}]), ${i.imm}, ${i.immHi});`);
        else if (s === 4) out.push(`c.wr32(c.ea(I[${k}]), ${i.imm});`);
        else out.push(`c.wr8(c.ea(I[${k}]), ${i.imm & 0xff});`);
        afterStore();
        inlined++;
        continue;
      case 'aluRR':
      case 'aluRRrev':
      case 'aluRI':
      case 'aluAI':
      case 'testRR': {
        const op = kind === 'aluRI' ? i.reg & 7 : kind === 'testRR' ? AluOp.AND : i.sub;
        const write = kind !== 'testRR' && op !== AluOp.CMP;
        const dst = kind === 'aluRRrev' ? i.reg : kind === 'aluAI' ? 0 : i.rm;
        const [a, ah, b, bh] = [fresh(), fresh(), fresh(), fresh()];
        const [r, rh] = [fresh(), fresh()];
        out.push(`const ${a} = ${lo(dst)}; const ${ah} = ${s === 8 ? hi(dst) : 0};`);
        if (kind === 'aluRI' || kind === 'aluAI') {
          out.push(`const ${b} = ${i.imm}; const ${bh} = ${s === 8 ? i.immHi : 0};`);
        } else {
          const src = kind === 'aluRRrev' ? i.rm : i.reg;
          out.push(`const ${b} = ${lo(src)}; const ${bh} = ${s === 8 ? hi(src) : 0};`);
        }
        let flagOp: number;
        switch (op) {
          case AluOp.ADD:
            flagOp = FlagOp.ADD;
            out.push(`const ${r} = (${a} + ${b}) | 0;`);
            out.push(
              s === 8 ? `const ${rh} = (${ah} + ${bh} + ((${r} >>> 0) < (${a} >>> 0) ? 1 : 0)) | 0;` : `const ${rh} = 0;`,
            );
            break;
          case AluOp.SUB:
          case AluOp.CMP:
            flagOp = FlagOp.SUB;
            out.push(`const ${r} = (${a} - ${b}) | 0;`);
            out.push(
              s === 8 ? `const ${rh} = (${ah} - ${bh} - ((${a} >>> 0) < (${b} >>> 0) ? 1 : 0)) | 0;` : `const ${rh} = 0;`,
            );
            break;
          default: {
            flagOp = FlagOp.LOGIC;
            const sym = op === AluOp.AND ? '&' : op === AluOp.OR ? '|' : '^';
            out.push(`const ${r} = ${a} ${sym} ${b}; const ${rh} = ${s === 8 ? `${ah} ${sym} ${bh}` : 0};`);
          }
        }
        if (write) out.push(`${lo(dst)} = ${r}; ${hi(dst)} = ${rh};`);
        pending = { op: flagOp, size: s, r, rh, a, ah, b, bh };
        inlined++;
        continue;
      }
      case 'jcc': {
        const cond = pending !== null ? directCondition(pending, i.sub) : null;
        const test = cond ?? `c.cond(${i.sub})`;
        if (cond === null) flush();
        // The branch is the block's last instruction: flags become visible after it either way.
        out.push(`const taken = ${test};`);
        flush();
        if (selfLoop && k === insns.length - 1) {
          out.push(`if (taken && n + ${2 * insns.length} <= budget) { n += ${insns.length}; continue; }`);
          // (c.jitRetired is refreshed at the top of each pass, so a fault in a later pass counts the
          // passes completed before it)
        }
        out.push(`c.rip = taken ? ${i.imm} : ${i.next};`);
        out.push(`return n + ${insns.length};`);
        inlined++;
        continue;
      }
      default:
        flush();
        out.push(`c.rip = ${i.next}; I[${k}].exec(c, I[${k}]); if (c.stop) return n + ${retired + 1};`);
    }
  }
  if (inlined === 0) return null;
  if (selfLoop) out.unshift('c.jitRetired = n;');
  flush();
  // A block that does not end in a Jcc falls through (or its last handler has set RIP already).
  const tail = lastKind === 'jcc' ? '' : lastKind === undefined ? `return n + ${insns.length};` : `c.rip = ${last.next}; return n + ${insns.length};`;
  const body = [
    '"use strict";',
    'return function compiledBlock(c, budget) {',
    '  const g = c.regs;',
    '  let n = 0;',
    '  for (;;) {',
    ...out.map((l) => `    ${l}`),
    `    ${tail}`,
    '  }',
    '};',
  ].join('\n');
  const factory = new Function('I', body) as (I: readonly Insn[]) => CompiledBlock;
  return factory(insns);
}

/** A Jcc condition computed from the operands of the pending flag producer, or null if not expressible. */
function directCondition(p: PendingFlags, cc: number): string | null {
  const neg = (e: string) => `!(${e})`;
  const sixtyFour = p.size === 8;
  const zero = sixtyFour ? `(${p.r} === 0 && ${p.rh} === 0)` : p.size === 4 ? `(${p.r} === 0)` : null;
  const sign = sixtyFour ? `(${p.rh} < 0)` : p.size === 4 ? `(${p.r} < 0)` : null;
  if (zero === null || sign === null) return null;
  let base: string | null = null;
  const c = cc >> 1;
  if (p.op === FlagOp.SUB) {
    const ult = sixtyFour
      ? `((${p.ah} >>> 0) < (${p.bh} >>> 0) || (${p.ah} === ${p.bh} && (${p.a} >>> 0) < (${p.b} >>> 0)))`
      : `((${p.a} >>> 0) < (${p.b} >>> 0))`;
    const eq = sixtyFour ? `(${p.a} === ${p.b} && ${p.ah} === ${p.bh})` : `(${p.a} === ${p.b})`;
    const slt = sixtyFour
      ? `(${p.ah} < ${p.bh} || (${p.ah} === ${p.bh} && (${p.a} >>> 0) < (${p.b} >>> 0)))`
      : `(${p.a} < ${p.b})`;
    switch (c) {
      case 1:
        base = ult;
        break;
      case 2:
        base = eq;
        break;
      case 3:
        base = `(${ult} || ${eq})`;
        break;
      case 4:
        base = sign;
        break;
      case 6:
        base = slt;
        break;
      case 7:
        base = `(${slt} || ${eq})`;
        break;
    }
  } else if (p.op === FlagOp.LOGIC) {
    // CF = OF = 0: B never, BE = ZF, L = SF, LE = ZF || SF.
    switch (c) {
      case 0:
      case 1:
        base = 'false';
        break;
      case 2:
        base = zero;
        break;
      case 3:
        base = zero;
        break;
      case 4:
      case 6:
        base = sign;
        break;
      case 7:
        base = `(${zero} || ${sign})`;
        break;
    }
  } else if (p.op === FlagOp.ADD) {
    if (c === 2) base = zero;
    else if (c === 4) base = sign;
  }
  if (base === null) return null;
  return (cc & 1) !== 0 ? neg(base) : base;
}
