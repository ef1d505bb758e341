/**
 * Saving and loading a CPU's architectural state (CpuContext) for context switches.
 *
 * Exactness: a guest program run to completion must end in the same registers, flags, SSE and x87 state
 * and memory when it is paused every N instructions (N = 1..37) while another environment — another address
 * space, another context, code that clobbers every register, the flags, MXCSR, the x87 control word and
 * stack, and sets DF — runs on the same CPU for a few instructions. With N = 1 every instruction boundary
 * is a switch point, including those between a CMP and its Jcc and inside ADC/SBB chains.
 *
 * Then: random lazy-flag states (left by a random ALU instruction) survive a save/load exactly, and the
 * host-side API (reuse of `into`, clone, bigint registers, reset state) does what it says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuContext, CpuContextError } from '../../src/cpu/context';
import { ARITH_FLAGS, Flag, FlagOp } from '../../src/cpu/flags';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, Reg, type VcpuExit } from '../../src/index';

const CODE = 0x400000;
const DATA = 0x600000;
const DATA_SIZE = 4 * 4096;
const STACK_TOP = 0x800000;
const STACK_SIZE = 2 * 4096;

/**
 * The environment being switched: a 40-iteration loop that mixes an ADC/SBB chain, IMUL/SHL/SAR flag
 * producers read by SETcc and CMOVcc, CMP + Jcc, PUSHF, CALL/RET, scalar and packed SSE arithmetic under a
 * non-default MXCSR rounding mode, x87 arithmetic under a non-default control word (FCOMI, FISTP), an
 * FS-relative store and REP STOSB (which depends on DF). It ends by storing FNSTENV, FXSAVE and STMXCSR
 * images to memory, then SYSCALL. RDI = DATA, RSP = STACK_TOP, FS base = DATA + 0x2000 on entry.
 */
// biome-ignore format: one instruction per line, with its disassembly
const MIXED = [
  0x0f, 0xae, 0x17, // 0x00 ldmxcsr dword [rdi]
  0xd9, 0x6f, 0x08, // 0x03 fldcw word [rdi+0x8]
  0xf2, 0x0f, 0x10, 0x47, 0x18, // 0x06 movsd xmm0,qword [rdi+0x18]
  0xf2, 0x0f, 0x10, 0x4f, 0x10, // 0x0b movsd xmm1,qword [rdi+0x10]
  0xf2, 0x0f, 0x10, 0x57, 0x18, // 0x10 movsd xmm2,qword [rdi+0x18]
  0xf2, 0x0f, 0x10, 0x7f, 0x20, // 0x15 movsd xmm7,qword [rdi+0x20]
  0x0f, 0x10, 0x67, 0x40, // 0x1a movups xmm4,[rdi+0x40]
  0xdd, 0x47, 0x30, // 0x1e fld qword [rdi+0x30]
  0xdd, 0x47, 0x38, // 0x21 fld qword [rdi+0x38]
  0x48, 0xbb, 0xf1, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, // 0x24 movabs rbx,0x123456789abcdef1
  0x48, 0xc7, 0xc2, 0xfd, 0xff, 0xff, 0xff, // 0x2e mov rdx,0xfffffffffffffffd
  0x49, 0xba, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, // 0x35 movabs r10,0xf0f0f0f0f0f0f0f
  0xb9, 0x28, 0x00, 0x00, 0x00, // 0x3f mov ecx,0x28
  // loop:
  0x49, 0x01, 0xd8, // 0x44 add r8,rbx
  0x49, 0x11, 0xd1, // 0x47 adc r9,rdx
  0x48, 0xc1, 0xc3, 0x07, // 0x4a rol rbx,0x7
  0x48, 0x89, 0xd8, // 0x4e mov rax,rbx
  0x48, 0x0f, 0xaf, 0xc2, // 0x51 imul rax,rdx
  0x0f, 0x90, 0xc0, // 0x55 seto al
  0x0f, 0xb6, 0xc0, // 0x58 movzx eax,al
  0x49, 0x01, 0xc3, // 0x5b add r11,rax
  0x49, 0xc1, 0xe2, 0x03, // 0x5e shl r10,0x3
  0x0f, 0x92, 0xc0, // 0x62 setb al
  0x49, 0x83, 0xd4, 0x00, // 0x65 adc r12,0x0
  0x48, 0x31, 0xda, // 0x69 xor rdx,rbx
  0x48, 0xd1, 0xfa, // 0x6c sar rdx,1
  0x49, 0xff, 0xc5, // 0x6f inc r13
  0x4d, 0x11, 0xee, // 0x72 adc r14,r13
  0x49, 0x19, 0xdf, // 0x75 sbb r15,rbx
  0x4d, 0x39, 0xc1, // 0x78 cmp r9,r8
  0x49, 0x0f, 0x47, 0xf1, // 0x7b cmova rsi,r9
  0x72, 0x03, // 0x7f jb 0x84
  0x4c, 0x31, 0xc6, // 0x81 xor rsi,r8
  0x56, // 0x84 push rsi
  0x9c, // 0x85 pushf
  0x58, // 0x86 pop rax
  0x48, 0x01, 0xc5, // 0x87 add rbp,rax
  0x5e, // 0x8a pop rsi
  0xe8, 0xa8, 0x00, 0x00, 0x00, // 0x8b call 0x138
  0xf2, 0x0f, 0x59, 0xc1, // 0x90 mulsd xmm0,xmm1
  0xf2, 0x0f, 0x58, 0xc2, // 0x94 addsd xmm0,xmm2
  0x66, 0x0f, 0x28, 0xd8, // 0x98 movapd xmm3,xmm0
  0xf2, 0x0f, 0x59, 0xdf, // 0x9c mulsd xmm3,xmm7
  0xf2, 0x48, 0x0f, 0x2d, 0xc3, // 0xa0 cvtsd2si rax,xmm3
  0x48, 0x89, 0x84, 0xcf, 0x00, 0x04, 0x00, 0x00, // 0xa5 mov qword [rdi+rcx*8+0x400],rax
  0xf2, 0x0f, 0x51, 0xe8, // 0xad sqrtsd xmm5,xmm0
  0xf2, 0x0f, 0x5e, 0xeb, // 0xb1 divsd xmm5,xmm3
  0x0f, 0x58, 0xe5, // 0xb5 addps xmm4,xmm5
  0x66, 0x0f, 0xfe, 0xf4, // 0xb8 paddd xmm6,xmm4
  0x66, 0x0f, 0x70, 0xf6, 0x1b, // 0xbc pshufd xmm6,xmm6,0x1b
  0x66, 0x0f, 0x2f, 0xc2, // 0xc1 comisd xmm0,xmm2
  0x0f, 0x92, 0xc0, // 0xc5 setb al
  0x49, 0x01, 0xc3, // 0xc8 add r11,rax
  0xf2, 0x0f, 0x11, 0xac, 0xcf, 0x00, 0x10, 0x00, 0x00, // 0xcb movsd qword [rdi+rcx*8+0x1000],xmm5
  0xd9, 0xc0, // 0xd4 fld st(0)
  0xd8, 0xca, // 0xd6 fmul st,st(2)
  0xdc, 0x47, 0x28, // 0xd8 fadd qword [rdi+0x28]
  0xd9, 0xfa, // 0xdb fsqrt
  0xd9, 0xca, // 0xdd fxch st(2)
  0xdd, 0xd8, // 0xdf fstp st(0)
  0xd9, 0xc9, // 0xe1 fxch st(1)
  0xdb, 0xf1, // 0xe3 fcomi st,st(1)
  0x0f, 0x92, 0xc0, // 0xe5 setb al
  0x49, 0x01, 0xc3, // 0xe8 add r11,rax
  0xd9, 0xc0, // 0xeb fld st(0)
  0xdc, 0x4f, 0x20, // 0xed fmul qword [rdi+0x20]
  0xdf, 0xbc, 0xcf, 0x00, 0x18, 0x00, 0x00, // 0xf0 fistp qword [rdi+rcx*8+0x1800]
  0x64, 0x4c, 0x89, 0x0c, 0xcd, 0x00, 0x00, 0x00, 0x00, // 0xf7 mov qword fs:[rcx*8+0x0],r9
  0x57, // 0x100 push rdi
  0x51, // 0x101 push rcx
  0x48, 0x8d, 0xbf, 0x00, 0x38, 0x00, 0x00, // 0x102 lea rdi,[rdi+0x3800]
  0x44, 0x89, 0xd8, // 0x109 mov eax,r11d
  0xb9, 0x10, 0x00, 0x00, 0x00, // 0x10c mov ecx,0x10
  0xf3, 0xaa, // 0x111 rep stos BYTE PTR es:[rdi],al
  0x59, // 0x113 pop rcx
  0x5f, // 0x114 pop rdi
  0xff, 0xc9, // 0x115 dec ecx
  0x0f, 0x85, 0x27, 0xff, 0xff, 0xff, // 0x117 jne 0x44
  0xd9, 0xb7, 0x00, 0x01, 0x00, 0x00, // 0x11d fnstenv [rdi+0x100]
  0x0f, 0xae, 0x87, 0x40, 0x01, 0x00, 0x00, // 0x123 fxsave [rdi+0x140]
  0x0f, 0xae, 0x9f, 0x60, 0x03, 0x00, 0x00, // 0x12a stmxcsr dword [rdi+0x360]
  0xb8, 0x3c, 0x00, 0x00, 0x00, // 0x131 mov eax,0x3c
  0x0f, 0x05, // 0x136 syscall
  // sub1:
  0x4a, 0x8d, 0x44, 0x43, 0x05, // 0x138 lea rax,[rbx+r8*2+0x5]
  0x49, 0x31, 0xc7, // 0x13d xor r15,rax
  0xc3, // 0x140 ret
];

/**
 * The other environment: an endless loop, in its own address space at the same linear addresses, that
 * changes every GPR, all sixteen XMM registers, MXCSR (round toward zero, FTZ, DAZ), the x87 control word
 * (single precision, round down) and stack, the lazy flags, and sets DF.
 */
// biome-ignore format: one instruction per line, with its disassembly
const SCRAMBLER = [
  0x49, 0xc7, 0xc3, 0x00, 0x00, 0x60, 0x00, // 0x00 mov r11,0x600000
  0x41, 0x0f, 0xae, 0x13, // 0x07 ldmxcsr dword [r11]
  0x41, 0xd9, 0x6b, 0x08, // 0x0b fldcw word [r11+0x8]
  0xd9, 0xe8, // 0x0f fld1
  0xd9, 0xeb, // 0x11 fldpi
  0xde, 0xc1, // 0x13 faddp st(1),st
  0x48, 0x05, 0x11, 0x11, 0x00, 0x00, // 0x15 add rax,0x1111
  0x48, 0x11, 0xc3, // 0x1b adc rbx,rax
  0x48, 0x6b, 0xcb, 0x07, // 0x1e imul rcx,rbx,0x7
  0x48, 0x29, 0xca, // 0x22 sub rdx,rcx
  0x48, 0x19, 0xd6, // 0x25 sbb rsi,rdx
  0x48, 0x31, 0xf7, // 0x28 xor rdi,rsi
  0x48, 0x01, 0xfd, // 0x2b add rbp,rdi
  0x48, 0x8d, 0x64, 0x6c, 0x03, // 0x2e lea rsp,[rsp+rbp*2+0x3]
  0x49, 0xc1, 0xc8, 0x09, // 0x33 ror r8,0x9
  0x49, 0xf7, 0xd1, // 0x37 not r9
  0x4d, 0x01, 0xc1, // 0x3a add r9,r8
  0x4d, 0x11, 0xca, // 0x3d adc r10,r9
  0x4d, 0x0f, 0xaf, 0xe2, // 0x40 imul r12,r10
  0x49, 0xf7, 0xdd, // 0x44 neg r13
  0x4d, 0x19, 0xe5, // 0x47 sbb r13,r12
  0x4d, 0x31, 0xee, // 0x4a xor r14,r13
  0x49, 0xff, 0xc7, // 0x4d inc r15
  0x66, 0x0f, 0x76, 0xc0, // 0x50 pcmpeqd xmm0,xmm0
  0x66, 0x0f, 0x76, 0xc9, // 0x54 pcmpeqd xmm1,xmm1
  0x66, 0x0f, 0x76, 0xd2, // 0x58 pcmpeqd xmm2,xmm2
  0x66, 0x0f, 0x76, 0xdb, // 0x5c pcmpeqd xmm3,xmm3
  0x66, 0x0f, 0x76, 0xe4, // 0x60 pcmpeqd xmm4,xmm4
  0x66, 0x0f, 0x76, 0xed, // 0x64 pcmpeqd xmm5,xmm5
  0x66, 0x0f, 0x76, 0xf6, // 0x68 pcmpeqd xmm6,xmm6
  0x66, 0x0f, 0x76, 0xff, // 0x6c pcmpeqd xmm7,xmm7
  0x66, 0x45, 0x0f, 0x76, 0xc0, // 0x70 pcmpeqd xmm8,xmm8
  0x66, 0x45, 0x0f, 0x76, 0xc9, // 0x75 pcmpeqd xmm9,xmm9
  0x66, 0x45, 0x0f, 0x76, 0xd2, // 0x7a pcmpeqd xmm10,xmm10
  0x66, 0x45, 0x0f, 0x76, 0xdb, // 0x7f pcmpeqd xmm11,xmm11
  0x66, 0x45, 0x0f, 0x76, 0xe4, // 0x84 pcmpeqd xmm12,xmm12
  0x66, 0x45, 0x0f, 0x76, 0xed, // 0x89 pcmpeqd xmm13,xmm13
  0x66, 0x45, 0x0f, 0x76, 0xf6, // 0x8e pcmpeqd xmm14,xmm14
  0x66, 0x45, 0x0f, 0x76, 0xff, // 0x93 pcmpeqd xmm15,xmm15
  0x64, 0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, // 0x98 mov qword fs:0x0,rax
  0xfd, // 0xa1 std
  0x48, 0x39, 0xd8, // 0xa2 cmp rax,rbx
  0xe9, 0x56, 0xff, 0xff, 0xff, // 0xa5 jmp 0x0
];

/** The environment's constants: MXCSR (round down), x87 control word (53-bit, chop), doubles, floats. */
function mixedData(): Uint8Array {
  const d = new DataView(new ArrayBuffer(0x50));
  d.setUint32(0x00, 0x3f80, true);
  d.setUint16(0x08, 0x0e7f, true);
  d.setFloat64(0x10, 0.75, true);
  d.setFloat64(0x18, 1.3, true);
  d.setFloat64(0x20, 1e6, true);
  d.setFloat64(0x28, 2.5, true);
  d.setFloat64(0x30, 1.7, true);
  d.setFloat64(0x38, 0.9, true);
  for (const [k, f] of [0.1, -2.5, 3.75, 1e-3].entries()) d.setFloat32(0x40 + 4 * k, f, true);
  return new Uint8Array(d.buffer);
}

/** The scrambler's MXCSR (round toward zero, FTZ, DAZ) and x87 control word (24-bit, round down). */
function scramblerData(): Uint8Array {
  const d = new DataView(new ArrayBuffer(16));
  d.setUint32(0, 0xffc0, true);
  d.setUint16(8, 0x047f, true);
  return new Uint8Array(d.buffer);
}

interface Environment {
  space: AddressSpace;
  context: CpuContext;
}

/** Maps code, data and a stack in a fresh address space and returns it with its initial context. */
function environment(
  memory: PhysicalMemory,
  frames: FrameAllocator,
  code: number[],
  data: Uint8Array,
  fsBase: number,
): Environment {
  const space = new AddressSpace(memory, frames);
  space.mapAnonymous(CODE, 4096, { executable: true });
  space.mapAnonymous(DATA, DATA_SIZE, { writable: true });
  space.mapAnonymous(STACK_TOP - STACK_SIZE, STACK_SIZE, { writable: true });
  space.write(CODE, Uint8Array.from(code));
  space.write(DATA, data);
  const context = CpuContext.initial();
  context.rip = CODE;
  context.setReg(Reg.RDI, DATA);
  context.setReg(Reg.RSP, STACK_TOP);
  context.fsBase = fsBase;
  return { space, context };
}

/** One CPU with a program (the mixed one by default) and the scrambler, each in its own address space. */
function machine(jit: boolean, code = MIXED, data = mixedData()) {
  const memory = new PhysicalMemory(4 << 20);
  const frames = new FrameAllocator(memory);
  const mixed = environment(memory, frames, code, data, DATA + 0x2000);
  const scrambler = environment(memory, frames, SCRAMBLER, scramblerData(), DATA + 0x3000);
  // compileThreshold 2 gets blocks compiled early, so compiled code is interrupted and resumed too.
  const cpu = new Cpu(memory, jit ? { jit: true, compileThreshold: 2 } : { jit: false });
  return { cpu, mixed, scrambler };
}

/**
 * Makes `env` the running environment: its address space, then its registers (with `share`, the CPU runs
 * on the context's register array itself).
 */
function switchTo(cpu: Cpu, env: Environment, share = false): void {
  cpu.mmu.cr3 = env.space.root;
  cpu.loadContext(env.context, { shareRegisters: share });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Everything the program left: architectural state from the CPU's own fields, and its memory. */
function outcome(cpu: Cpu, env: Environment, exit: VcpuExit) {
  const x = cpu.x87;
  return {
    exit: exit.kind,
    regs: Array.from({ length: 16 }, (_, r) => cpu.getReg(r)),
    rip: cpu.rip,
    rflags: cpu.rflags,
    fsBase: cpu.fsBase,
    gsBase: cpu.gsBase,
    xmm: Array.from(cpu.xmm32),
    mxcsr: cpu.mxcsr,
    x87: [hex(x.data), x.fcw, x.statusWord, x.ftw, x.fip, x.fdp, x.fop, x.fcs, x.fds],
    data: hex(env.space.read(DATA, DATA_SIZE)),
    stack: hex(env.space.read(STACK_TOP - STACK_SIZE, STACK_SIZE)),
  };
}

function runAlone(jit: boolean) {
  const { cpu, mixed } = machine(jit);
  switchTo(cpu, mixed);
  let exit: VcpuExit;
  do exit = cpu.run(100_000);
  while (exit.kind === 'budget');
  return outcome(cpu, mixed, exit);
}

/** Runs the mixed program in slices of `slice` instructions, switching to the scrambler between slices. */
function runInterrupted(
  jit: boolean,
  slice: number,
  loseOnResume?: (cpu: Cpu, other: CpuContext) => void,
  share = false,
) {
  const { cpu, mixed, scrambler } = machine(jit);
  switchTo(cpu, mixed, share);
  let exit: VcpuExit;
  let switches = 0;
  let lazyAtSwitch = 0;
  let scramblerStopped = 0;
  for (;;) {
    exit = cpu.run(slice);
    if (exit.kind !== 'budget') break;
    cpu.saveContext(mixed.context);
    if (mixed.context.flags.fop !== FlagOp.CONCRETE) lazyAtSwitch++;
    switchTo(cpu, scrambler, share);
    if (cpu.run(1 + (switches % 7)).kind !== 'budget') scramblerStopped++;
    cpu.saveContext(scrambler.context);
    switchTo(cpu, mixed, share);
    loseOnResume?.(cpu, scrambler.context);
    switches++;
  }
  return { result: outcome(cpu, mixed, exit), switches, lazyAtSwitch, scramblerStopped };
}

describe('CpuContext: a context switch is invisible to the program', () => {
  for (const [jit, share] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const how = `${jit ? 'compiled' : 'interpreted'}${share ? ', register files shared' : ''}`;
    it(`every slice length 1..37 ends exactly like the uninterrupted run (${how})`, () => {
      const alone = runAlone(jit);
      expect(alone.exit).toBe('syscall');
      // The program did what it is meant to: the scrambler's settings would change these.
      expect(alone.mxcsr & 0x6000).toBe(0x2000);
      expect(alone.x87[1]).toBe(0x0e7f);
      expect(alone.rflags & Flag.DF).toBe(0);
      for (let slice = 1; slice <= 37; slice++) {
        const run = runInterrupted(jit, slice, undefined, share);
        expect(run.switches).toBeGreaterThan(50);
        expect(run.lazyAtSwitch).toBeGreaterThan(0);
        expect(run.scramblerStopped).toBe(0);
        expect(run.result, `slice ${slice}`).toEqual(alone);
      }
    });
  }

  // Each part of the context matters to this program: resuming with that one part taken from the scrambler
  // instead (as a switch that forgot it would) changes how the program ends.
  const dropped: Record<string, (cpu: Cpu, other: CpuContext) => void> = {
    'one GPR (R14)': (cpu, o) => cpu.regs.set(o.regs.subarray(28, 30), 28),
    'lazy arithmetic flags': (cpu, o) => {
      cpu.fop = o.flags.fop;
      cpu.fsz = o.flags.fsz;
      cpu.fres = o.flags.fres;
      cpu.fresHi = o.flags.fresHi;
      cpu.fa = o.flags.fa;
      cpu.faHi = o.flags.faHi;
      cpu.fb = o.flags.fb;
      cpu.fbHi = o.flags.fbHi;
      cpu.fcf = o.flags.fcf;
      cpu.fval = o.flags.fval;
    },
    'RFLAGS.DF': (cpu, o) => {
      cpu.fother = (cpu.fother & ~Flag.DF) | (o.flags.fother & Flag.DF);
    },
    'FS base': (cpu, o) => {
      cpu.fsBase = o.fsBase;
    },
    'XMM registers': (cpu, o) => cpu.xmm32.set(o.xmm32),
    MXCSR: (cpu, o) => {
      cpu.mxcsr = o.mxcsr;
    },
    'x87 control word': (cpu, o) => {
      cpu.x87.fcw = o.x87.fcw;
    },
    'x87 last-instruction pointers': (cpu, o) => {
      cpu.x87.fip = o.x87.fip;
      cpu.x87.fdp = o.x87.fdp;
      cpu.x87.fop = o.x87.fop;
    },
    'x87 stack': (cpu, o) => {
      cpu.x87.data.set(o.x87.data);
      cpu.x87.top = o.x87.top;
      cpu.x87.ftw = o.x87.ftw;
    },
  };
  for (const [part, drop] of Object.entries(dropped)) {
    it(`a switch that loses ${part} is visible`, () => {
      const alone = runAlone(false);
      const run = runInterrupted(false, 5, drop);
      expect(run.result).not.toEqual(alone);
    });
  }
});

/** Every field of a context as plain values (lazy-flag record and x87 words included). */
function fields(ctx: CpuContext) {
  const f = ctx.flags;
  const x = ctx.x87;
  return {
    regs: Array.from(ctx.regs),
    rip: ctx.rip,
    fsBase: ctx.fsBase,
    gsBase: ctx.gsBase,
    flags: [f.fop, f.fsz, f.fres, f.fresHi, f.fa, f.faHi, f.fb, f.fbHi, f.fcf, f.fval, f.fother],
    xmm: Array.from(ctx.xmm32),
    mxcsr: ctx.mxcsr,
    x87: [hex(x.data), x.fcw, x.fsw, x.top, x.ftw, x.fip, x.fdp, x.fop, x.fcs, x.fds],
  };
}

describe('CpuContext: lazy flags', () => {
  // cmp rax, rbx ; jb below ; mov edx, 1 ; syscall ; below: mov edx, 2 ; syscall
  // biome-ignore format: one instruction per line
  const CMP_JB = [
    0x48, 0x39, 0xd8,
    0x72, 0x07,
    0xba, 0x01, 0x00, 0x00, 0x00,
    0x0f, 0x05,
    0xba, 0x02, 0x00, 0x00, 0x00,
    0x0f, 0x05,
  ];

  const cases: Array<[bigint, bigint]> = [
    [1n, 2n],
    [2n, 1n],
    [5n, 5n],
    [-1n, 1n], // unsigned: 0xffff... is above 1
    [0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn],
  ];
  for (const [a, b] of cases) {
    it(`a switch between CMP ${a}, ${b} and its JB does not change the branch`, () => {
      const { cpu, mixed, scrambler } = machine(false, CMP_JB, new Uint8Array(0));
      mixed.context.setReg(Reg.RAX, a);
      mixed.context.setReg(Reg.RBX, b);
      switchTo(cpu, mixed);
      expect(cpu.run(1).kind).toBe('budget');
      cpu.saveContext(mixed.context);
      // The comparison is still a lazy record when the switch happens: that is what must survive.
      expect(mixed.context.flags.fop).toBe(FlagOp.SUB);
      switchTo(cpu, scrambler);
      expect(cpu.run(100).kind).toBe('budget'); // runs its own CMPs and flag-setting arithmetic
      cpu.saveContext(scrambler.context);
      switchTo(cpu, mixed);
      expect(cpu.run(10).kind).toBe('syscall');
      expect(cpu.getReg(Reg.RDX)).toBe(BigInt.asUintN(64, a) < BigInt.asUintN(64, b) ? 2n : 1n);
    });
  }

  /** A register-to-register ALU instruction: the flags it leaves are the state under test. */
  interface AluOp {
    kind: keyof typeof OPCODES;
    size: 1 | 2 | 4 | 8;
    dst: number;
    src: number;
    imm: number;
    byCl: boolean;
  }
  /**
   * Per kind: the opcode (the 8-bit form; +1 for wider operands; C0 shifts become D2 when counting by CL)
   * and the modrm reg field: an opcode extension (/digit), or 'r' for the second register operand.
   */
  const OPCODES = {
    add: [[0x00], 'r'],
    or: [[0x08], 'r'],
    adc: [[0x10], 'r'],
    sbb: [[0x18], 'r'],
    and: [[0x20], 'r'],
    sub: [[0x28], 'r'],
    xor: [[0x30], 'r'],
    cmp: [[0x38], 'r'],
    test: [[0x84], 'r'],
    inc: [[0xfe], 0],
    dec: [[0xfe], 1],
    neg: [[0xf6], 3],
    rol: [[0xc0], 0],
    ror: [[0xc0], 1],
    shl: [[0xc0], 4],
    shr: [[0xc0], 5],
    sar: [[0xc0], 7],
    imul: [[0x0f, 0xaf], 'r'],
    bt: [[0x0f, 0xa3], 'r'],
  } as const satisfies Record<string, readonly [readonly number[], number | 'r']>;

  function encode(op: AluOp): number[] {
    const bytes: number[] = op.size === 2 ? [0x66] : [];
    const [opcode, ext] = OPCODES[op.kind];
    const wide = op.size === 1 ? 0 : 1;
    // IMUL's destination is the modrm reg field; every other form writes the r/m register.
    const [reg, rm] = op.kind === 'imul' ? [op.dst, op.src] : ext === 'r' ? [op.src, op.dst] : [ext, op.dst];
    bytes.push(0x40 | (op.size === 8 ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3));
    if (opcode.length === 2) bytes.push(...opcode);
    else if (opcode[0] === 0xc0 && op.byCl) bytes.push(0xd2 + wide);
    else bytes.push((opcode[0] as number) + wide);
    bytes.push(0xc0 | ((reg & 7) << 3) | (rm & 7));
    if (opcode[0] === 0xc0 && !op.byCl) bytes.push(op.imm);
    return bytes;
  }

  const u64 = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fff_ffffn, 0x8000_0000n),
    fc.constantFrom(0xffff_ffffn, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 2n ** 64n - 1n),
  );
  const aluOp: fc.Arbitrary<AluOp> = fc
    .record({
      kind: fc.constantFrom(...(Object.keys(OPCODES) as Array<keyof typeof OPCODES>)),
      size: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      dst: fc.integer({ min: 0, max: 15 }),
      src: fc.integer({ min: 0, max: 15 }),
      imm: fc.integer({ min: 0, max: 255 }),
      byCl: fc.boolean(),
    })
    .map((op) =>
      (op.kind === 'imul' || op.kind === 'bt') && op.size === 1 ? { ...op, size: 4 as const } : op,
    );
  const context = fc
    .record({
      regs: fc.array(u64, { minLength: 16, maxLength: 16 }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      xmm: fc.array(fc.integer(), { minLength: 64, maxLength: 64 }),
      x87: fc.uint8Array({ minLength: 80, maxLength: 80 }),
      top: fc.integer({ min: 0, max: 7 }),
      words: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 }),
      addresses: fc.array(fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), { minLength: 4, maxLength: 4 }),
    })
    .map((r) => {
      const ctx = CpuContext.initial();
      for (const [n, v] of r.regs.entries()) ctx.setReg(n, v);
      ctx.rflags = 0x202 | (r.flags & (ARITH_FLAGS | Flag.DF));
      ctx.xmm32.set(r.xmm);
      ctx.mxcsr = r.words[0] as number;
      [ctx.fsBase, ctx.gsBase, ctx.x87.fip, ctx.x87.fdp] = r.addresses as [number, number, number, number];
      const x = ctx.x87;
      x.data.set(r.x87);
      x.top = r.top;
      x.ftw = r.flags;
      [x.fcw, x.fsw, x.fop, x.fcs, x.fds] = r.words.slice(1) as [number, number, number, number, number];
      return ctx;
    });

  /** What the CPU's flags answer to every question a program can ask, and the record itself. */
  function flagState(cpu: Cpu) {
    return {
      rflags: cpu.rflags,
      conditions: Array.from({ length: 16 }, (_, cc) => cpu.cond(cc)),
      record: [
        cpu.fop,
        cpu.fsz,
        cpu.fres,
        cpu.fresHi,
        cpu.fa,
        cpu.faHi,
        cpu.fb,
        cpu.fbHi,
        cpu.fcf,
        cpu.fval,
        cpu.fother,
      ],
    };
  }

  it('any context loaded into a CPU is saved back unchanged, field by field', () => {
    const cpu = new Cpu(new PhysicalMemory(1 << 16));
    const into = CpuContext.initial();
    fc.assert(
      fc.property(context, fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), (ctx, rip) => {
        ctx.rip = rip;
        cpu.loadContext(ctx);
        expect(fields(cpu.saveContext(into))).toEqual(fields(ctx));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('random flag states left by random ALU instructions survive save and load exactly', () => {
    const memory = new PhysicalMemory(1 << 20);
    const space = new AddressSpace(memory, new FrameAllocator(memory));
    space.mapAnonymous(CODE, 4096, { executable: true, writable: true });
    const cpu = new Cpu(memory, { jit: false });
    // Its own memory: it runs no code, and a memory reports code writes to one CPU's block cache only.
    const elsewhere = new Cpu(new PhysicalMemory(1 << 16), { jit: false });
    cpu.mmu.cr3 = space.root;
    const saved = CpuContext.initial();
    const lazyOpsSeen = new Set<number>();
    fc.assert(
      fc.property(context, aluOp, context, (start, op, other) => {
        space.write(CODE, Uint8Array.from([...encode(op), 0x0f, 0x05]));
        start.rip = CODE;
        cpu.loadContext(start);
        expect(cpu.run(1).kind).toBe('budget');
        lazyOpsSeen.add(cpu.fop);
        const before = flagState(cpu);
        const regs = Array.from(cpu.regs);

        expect(cpu.saveContext(saved)).toBe(saved);
        cpu.loadContext(other);
        expect(cpu.rflags).toBe(other.rflags);
        cpu.loadContext(saved);
        expect(flagState(cpu)).toEqual(before);
        expect(Array.from(cpu.regs)).toEqual(regs);
        expect(cpu.saveContext()).toEqual(saved);

        // The context alone carries the state: another CPU loaded with it answers the same.
        elsewhere.loadContext(saved);
        expect(flagState(elsewhere)).toEqual(before);
        expect(Array.from(elsewhere.regs)).toEqual(regs);
      }),
      { numRuns: 600, seed: 7 },
    );
    // Every kind of lazy record occurred (and explicit flags, from ROL/ROR/BT and count-0 shifts).
    expect([...lazyOpsSeen].sort((x, y) => x - y)).toEqual(Object.values(FlagOp).sort((x, y) => x - y));
  });
});

describe('getReg and setReg, on the CPU and on a context', () => {
  const value = fc.oneof(
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.constantFrom(0n, -1n, 2n ** 63n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n),
    fc.integer().map((n) => n),
  );
  it('store the value modulo 2^64 as int32 lo/hi pairs and read it back as a signed 64-bit bigint', () => {
    const cpu = new Cpu(new PhysicalMemory(1 << 20));
    const ctx = CpuContext.initial();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), value, (r, v) => {
        const wrapped = BigInt.asUintN(64, BigInt(v));
        const lo = Number(wrapped & 0xffffffffn) | 0;
        const hi = Number(wrapped >> 32n) | 0;
        for (const holder of [cpu, ctx]) {
          holder.setReg(r, v);
          expect([holder.regs[2 * r], holder.regs[2 * r + 1]]).toEqual([lo, hi]);
          expect(holder.getReg(r)).toBe(BigInt.asIntN(64, wrapped));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('CpuContext: host interface', () => {
  /** A CPU that has run part of the mixed program: every part of its state differs from reset. */
  function busyCpu() {
    const { cpu, mixed } = machine(false);
    switchTo(cpu, mixed);
    expect(cpu.run(1000).kind).toBe('budget');
    cpu.gsBase = 0x1234_5678;
    return cpu;
  }

  it('saveContext(into) overwrites and returns `into` itself', () => {
    const cpu = busyCpu();
    const into = CpuContext.initial();
    // Stale contents everywhere, which the save must replace.
    for (let r = 0; r < 16; r++) into.setReg(r, -1n);
    into.xmm32.fill(-1);
    into.x87.data.fill(0xaa);
    into.flags.setLazy(FlagOp.IMUL, 8, 1, 2, 3, 4, 5, 6);
    into.mxcsr = 0;
    into.fsBase = into.gsBase = into.rip = 1;
    expect(cpu.saveContext(into)).toBe(into);
    expect(fields(into)).toEqual(fields(cpu.saveContext()));
    expect(into.getReg(Reg.RDI)).toBe(BigInt(DATA));
    expect(into.gsBase).toBe(0x1234_5678);
    // And again, after the CPU moved on: the same object, now holding the new state.
    cpu.run(7);
    expect(cpu.saveContext(into)).toBe(into);
    expect(fields(into)).toEqual(fields(cpu.saveContext()));
  });

  it('saveContext() without `into` returns a new context each time', () => {
    const cpu = busyCpu();
    const a = cpu.saveContext();
    const b = cpu.saveContext();
    expect(a).not.toBe(b);
    expect(a.regs).not.toBe(b.regs);
    expect(fields(a)).toEqual(fields(b));
  });

  it('clone() is an independent deep copy', () => {
    const original = busyCpu().saveContext();
    const before = fields(original);
    const copy = original.clone();
    expect(fields(copy)).toEqual(before);
    copy.setReg(Reg.RAX, 99n);
    copy.xmm32[5] = 1;
    copy.x87.data[3] = (copy.x87.data[3] as number) ^ 0xff;
    copy.x87.fcw = 0;
    copy.flags.setArith(0);
    copy.rflags = 0x2;
    expect(fields(original)).toEqual(before);
    expect(fields(copy)).not.toEqual(before);
  });

  it('getReg/setReg read and write registers as 64-bit values', () => {
    const ctx = CpuContext.initial();
    ctx.setReg(Reg.R15, 0xffff_ffff_ffff_ffffn);
    expect(ctx.getReg(Reg.R15)).toBe(-1n); // signed, like Cpu.getReg
    ctx.setReg(Reg.RAX, 2n ** 64n + 5n);
    expect(ctx.getReg(Reg.RAX)).toBe(5n);
    ctx.setReg(Reg.RSP, 0x7fff_ffff_f000);
    ctx.setReg(Reg.RBX, -2n);
    ctx.setReg(Reg.R8, 0x8000_0000n);
    expect(ctx.regs[2 * Reg.R8]).toBe(-0x8000_0000);
    expect(ctx.regs[2 * Reg.R8 + 1]).toBe(0);
    const cpu = new Cpu(new PhysicalMemory(1 << 16));
    cpu.loadContext(ctx);
    for (let r = 0; r < 16; r++) expect(cpu.getReg(r)).toBe(ctx.getReg(r));
    expect(cpu.rsp).toBe(0x7fff_ffff_f000);
    expect(cpu.getReg(Reg.RBX)).toBe(-2n);
    for (const bad of [-1, 16, 1.5, Number.NaN]) {
      expect(() => ctx.getReg(bad)).toThrow(CpuContextError);
      expect(() => ctx.setReg(bad, 0n)).toThrow(CpuContextError);
    }
  });

  it('initial() is the reset state a new CPU has, and loading it resets a busy CPU', () => {
    const init = CpuContext.initial();
    expect(init.rflags).toBe(0x202);
    expect(init.mxcsr).toBe(0x1f80);
    expect(init.x87.fcw).toBe(0x037f);
    expect(init.x87.statusWord).toBe(0);
    expect(init.x87.ftw).toBe(0xffff);
    for (let r = 0; r < 16; r++) expect(init.getReg(r)).toBe(0n);
    expect(fields(new Cpu(new PhysicalMemory(1 << 16)).saveContext())).toEqual(fields(init));
    const cpu = busyCpu();
    expect(fields(cpu.saveContext())).not.toEqual(fields(init));
    cpu.loadContext(init);
    expect(fields(cpu.saveContext())).toEqual(fields(init));
  });

  it('setting rflags on a context makes the arithmetic flags explicit; bit 1 always reads as set', () => {
    const ctx = CpuContext.initial();
    ctx.flags.setLazy(FlagOp.SUB, 4, -1, 0, 0, 0, 1, 0); // 0 - 1: CF, SF, AF, PF set
    expect(ctx.rflags).toBe(0x202 | Flag.CF | Flag.SF | Flag.AF | Flag.PF);
    ctx.rflags = Flag.ZF | Flag.DF | Flag.IF;
    expect(ctx.flags.fop).toBe(FlagOp.CONCRETE);
    expect(ctx.rflags).toBe(Flag.ZF | Flag.DF | Flag.IF | 2);
    const cpu = new Cpu(new PhysicalMemory(1 << 16));
    cpu.loadContext(ctx);
    expect(cpu.rflags).toBe(ctx.rflags);
    expect(cpu.cond(4)).toBe(true); // E
  });

  it('with shareRegisters the context holds the live registers, and a later copying load leaves it be', () => {
    const cpu = busyCpu();
    const shared = cpu.saveContext();
    const other = cpu.saveContext();
    cpu.loadContext(shared, { shareRegisters: true });
    expect(cpu.regs).toBe(shared.regs);
    cpu.run(50);
    // No save: the context shows what the CPU did (RCX counts the loop down).
    expect(shared.getReg(Reg.RCX)).toBe(cpu.getReg(Reg.RCX));
    expect(shared.getReg(Reg.RCX)).not.toBe(other.getReg(Reg.RCX));
    cpu.setReg(Reg.R15, 7n); // writing the CPU's is writing the context's, and back
    expect(shared.getReg(Reg.R15)).toBe(7n);
    shared.setReg(Reg.R14, 9n);
    expect(cpu.getReg(Reg.R14)).toBe(9n);
    expect(Array.from(cpu.saveContext(shared).regs)).toEqual(Array.from(shared.regs));
    // A load without sharing gives the CPU its own array back: the two contexts keep their values.
    const before = Array.from(shared.regs);
    cpu.loadContext(other);
    expect(cpu.regs).not.toBe(shared.regs);
    expect(cpu.regs).not.toBe(other.regs);
    cpu.setReg(Reg.R15, 1n);
    cpu.run(50);
    expect(Array.from(shared.regs)).toEqual(before);
    expect(other.getReg(Reg.R15)).not.toBe(1n);
  });

  for (const jit of [true, false]) {
    it(`a SYSCALL hook sharing another context's registers runs the code after the SYSCALL on them (jit ${jit})`, () => {
      const memory = new PhysicalMemory(4 << 20);
      const space = new AddressSpace(memory, new FrameAllocator(memory, 16));
      space.map(CODE, 0x200000, { executable: true });
      // One block with work on both sides of the SYSCALL, so a compiled block would go on past it.
      // biome-ignore format: one instruction per line
      space.write(CODE, Uint8Array.of(
        0x48, 0x83, 0xc3, 0x01, // add rbx, 1
        0x0f, 0x05, // syscall
        0x48, 0x83, 0xc3, 0x10, // add rbx, 16
        0xeb, 0xf4, // jmp back to the first add
      ));
      const cpu = new Cpu(memory, { jit, compileThreshold: 2 });
      cpu.mmu.cr3 = space.root;
      const a = CpuContext.initial();
      const b = CpuContext.initial();
      a.rip = CODE;
      b.rip = CODE + 6; // as if b had just made its SYSCALL
      cpu.loadContext(a, { shareRegisters: true });
      let calls = 0;
      const seen: bigint[] = [];
      // Each SYSCALL switches to the other context there and then, as a kernel's IPC handoff does.
      cpu.syscallHook = (c) => {
        calls++;
        seen.push(c.getReg(Reg.RBX)); // the caller's RBX
        if (calls === 200) return false;
        const [from, to] = calls % 2 === 1 ? [a, b] : [b, a];
        c.saveContext(from, { fpu: false });
        c.loadContext(to, { fpu: false, shareRegisters: true });
        return true;
      };
      expect(cpu.run(1_000_000).kind).toBe('syscall');
      // What each caller's RBX must be at each call: a starts, and whoever is switched to adds 16 and 1.
      const rbx = [1n, 0n];
      const expected: bigint[] = [];
      for (let k = 1, caller = 0; k <= 200; k++, caller ^= 1) {
        expected.push(rbx[caller] as bigint);
        rbx[caller ^ 1] = (rbx[caller ^ 1] as bigint) + 17n;
      }
      expect(seen).toEqual(expected);
      // a makes the odd calls, b the even ones; after each of the first 199 the other adds 16 and 1. The
      // 200th is b's, so b is on the CPU at the end: no save needed to read its registers.
      expect(a.getReg(Reg.RBX)).toBe(1n + 99n * 17n);
      expect(b.getReg(Reg.RBX)).toBe(100n * 17n);
    });
  }
});
