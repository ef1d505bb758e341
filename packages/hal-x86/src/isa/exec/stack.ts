/** Stack operations: PUSH/POP of registers, immediates, memory and RFLAGS; ENTER/LEAVE. */
import { Reg } from '../../cpu/registers';
import { Flag, USER_WRITABLE_FLAGS } from '../../cpu/flags';
import type { Cpu } from '../../cpu/cpu';
import type { Handler } from '../opdef';

function push(c: Cpu, size: number, lo: number, hi: number): void {
  const sp = c.regNum(Reg.RSP) - size;
  c.wrStack(sp, size, lo, hi);
  c.setRegNum(Reg.RSP, sp);
}

function pop(c: Cpu, size: number): number {
  const sp = c.regNum(Reg.RSP);
  const v = c.rdStack(sp, size);
  const h = c.hi;
  c.setRegNum(Reg.RSP, sp + size);
  c.hi = h;
  return v;
}

/** PUSH Zv (50-57) */
export const pushZ: Handler = (c, i) => {
  const v = c.getRegSized(i.reg, i.opsize);
  push(c, i.opsize, v, c.hi);
};

/** POP Zv (58-5F) */
export const popZ: Handler = (c, i) => {
  const v = pop(c, i.opsize);
  c.setRegSized(i.reg, i.opsize, v, c.hi);
};

/** PUSH Iz / Is */
export const pushI: Handler = (c, i) => push(c, i.opsize, i.imm, i.immHi);

/** PUSH Ev (FF /6) */
export const pushE: Handler = (c, i) => {
  const v = c.rdE(i, i.opsize);
  push(c, i.opsize, v, c.hi);
};

/** POP Ev (8F /0): RSP is incremented before the destination address is computed, as on hardware. */
export const popE: Handler = (c, i) => {
  const sp = c.regNum(Reg.RSP);
  const v = c.rdStack(sp, i.opsize);
  const h = c.hi;
  if (i.mod === 3) {
    c.setRegNum(Reg.RSP, sp + i.opsize);
    c.setRegSized(i.rm, i.opsize, v, h);
    return;
  }
  c.setRegNum(Reg.RSP, sp + i.opsize);
  try {
    c.wrMem(c.ea(i), i.opsize, v, h);
  } catch (e) {
    c.setRegNum(Reg.RSP, sp);
    throw e;
  }
};

/** PUSHF */
export const pushf: Handler = (c, i) => {
  // VM and RF read as zero in the pushed image.
  push(c, i.opsize, c.rflags & 0xfcffff, 0);
};

/** POPF: at CPL 3 only the user-writable flags change; CPL 0 may also change IF. */
export const popf: Handler = (c, i) => {
  const v = pop(c, i.opsize);
  const writable = c.cpl === 0 ? USER_WRITABLE_FLAGS | Flag.IF : USER_WRITABLE_FLAGS;
  const mask = i.opsize === 2 ? writable & 0xffff : writable;
  c.rflags = (c.rflags & ~mask) | (v & mask);
};

/** LEAVE: RSP = RBP; pop RBP */
export const leave: Handler = (c, i) => {
  const bp = c.regNum(Reg.RBP);
  const v = c.rdStack(bp, i.opsize);
  const h = c.hi;
  c.setRegNum(Reg.RSP, bp + i.opsize);
  c.setRegSized(Reg.RBP, i.opsize, v, h);
};

/** ENTER Iw,Ib */
export const enter: Handler = (c, i) => {
  const size = i.opsize;
  const level = i.imm2 & 31;
  const frameSize = i.imm & 0xffff;
  let sp = c.regNum(Reg.RSP);
  const bp = c.regNum(Reg.RBP);
  const start = sp;
  sp -= size;
  const bpLo = c.getRegSized(Reg.RBP, size);
  c.wrStack(sp, size, bpLo, c.hi);
  const frameTemp = sp;
  let walk = bp;
  for (let k = 1; k < level; k++) {
    walk -= size;
    const v = c.rdStack(walk, size);
    const h = c.hi;
    sp -= size;
    c.wrStack(sp, size, v, h);
  }
  if (level > 0) {
    sp -= size;
    c.wrStack(sp, size, frameTemp | 0, Math.floor(frameTemp / 4294967296) | 0);
  }
  sp -= frameSize;
  // Fault on the final stack position before committing anything.
  if (frameSize > 0) c.probeWrite(sp, 1);
  void start;
  c.setRegSized(Reg.RBP, size, frameTemp | 0, Math.floor(frameTemp / 4294967296) | 0);
  c.setRegNum(Reg.RSP, sp);
};
