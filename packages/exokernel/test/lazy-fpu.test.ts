/**
 * The x87/SSE state is switched lazily (execution.ts): it stays in the CPU until another environment uses
 * it. Every environment must still see only its own XMM registers across any number of switches, a
 * library OS handler must see (and may change) them in the context it is given, and envReadContext and
 * envWriteContext must read and write the real values even while they are held in the CPU.
 */
import { describe, expect, it } from 'vitest';
import { Exokernel, ExoSyscall } from '../src/index';
import { SYSCALL, movEaxPrimitive, startMachineCode } from './support/guest';

const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const prim = (n: number) => [...movEaxPrimitive(n), ...SYSCALL];
const MOVQ_XMM0_R12 = [0x66, 0x49, 0x0f, 0x6e, 0xc4];
const MOVQ_RCX_XMM0 = [0x66, 0x48, 0x0f, 0x7e, 0xc1];
const MOVQ_XMM1_R12 = [0x66, 0x49, 0x0f, 0x6e, 0xcc];
const MOVQ_RCX_XMM1 = [0x66, 0x48, 0x0f, 0x7e, 0xc9];
const CMP_RCX_R12 = [0x4c, 0x39, 0xe1];
const CMP_RCX_R14 = [0x4c, 0x39, 0xf1];
const DEC_R13 = [0x49, 0xff, 0xcd];
const UD2 = [0x0f, 0x0b];
const jump = (opcode: number, from: number, to: number) => [opcode, (to - (from + 2)) & 0xff];

/** R13 times: XMM0 = R12, yield, check XMM0 is still R12 (else ud2); then exit. */
function keepsXmm0(): number[] {
  const body = [...MOVQ_XMM0_R12, ...prim(ExoSyscall.YIELD), ...MOVQ_RCX_XMM0, ...CMP_RCX_R12];
  const jneAt = body.length;
  const afterJne = jneAt + 2;
  const tail = [...DEC_R13];
  const jnzAt = afterJne + tail.length;
  const exitAt = jnzAt + 2;
  const exit = prim(ExoSyscall.EXIT);
  const badAt = exitAt + exit.length;
  return [...body, ...jump(0x75, jneAt, badAt), ...tail, ...jump(0x75, jnzAt, 0), ...exit, ...UD2];
}

describe('lazy x87/SSE switching', () => {
  it('every environment keeps its own XMM registers across thousands of switches', () => {
    const kernel = new Exokernel({ memoryBytes: 16 << 20, sliceInstructions: 7 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    const envs = [0x1111_2222_3333_4444n, 0x5555_6666_7777_8888n, 0x0123_4567_89ab_cdefn].map((value) => {
      const env = startMachineCode(os, keepsXmm0(), { 13: 500 });
      const ctx = os.envReadContext(env);
      ctx.setReg(12, value);
      os.envWriteContext(env, ctx);
      os.envStart(env);
      return env;
    });
    kernel.run();
    for (const env of envs) expect(os.envStatus(env)).toMatchObject({ status: 'dead', reason: 'exited' });
  });

  it('a handler sees the XMM registers the guest set, and what it writes there is what the guest reads', () => {
    const kernel = new Exokernel({ memoryBytes: 16 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    // XMM1 = R12 ; a library-OS syscall (RAX = 1) ; RCX = XMM1 ; ud2 unless RCX = R14 ; exit
    const body = [...MOVQ_XMM1_R12, 0xb8, ...u32(1), 0x0f, 0x05, ...MOVQ_RCX_XMM1, ...CMP_RCX_R14];
    const exit = prim(ExoSyscall.EXIT);
    const code = [...body, ...jump(0x75, body.length, body.length + 2 + exit.length), ...exit, ...UD2];
    const env = startMachineCode(os, code, { 12: 0x600d_f00d, 14: 0x0bad_cafe });
    // Another environment that uses XMM too runs first, so the state in the CPU is not this one's.
    const other = startMachineCode(os, keepsXmm0(), { 12: 0x7777, 13: 3 });
    os.envStart(other);
    const seen: number[] = [];
    os.envSetUpcalls(env, {
      syscall: (_e, ctx) => {
        seen.push(ctx.xmm32[4] as number); // XMM1's low dword
        ctx.xmm32[4] = 0x0bad_cafe;
        return 'resume';
      },
    });
    os.envStart(env);
    kernel.run();
    expect(seen).toEqual([0x600d_f00d]);
    expect(os.envStatus(env)).toMatchObject({ status: 'dead', reason: 'exited' });
    expect(os.envStatus(other)).toMatchObject({ status: 'dead', reason: 'exited' });
  });

  it('envReadContext and envWriteContext see and replace the XMM registers while the CPU holds them', () => {
    const kernel = new Exokernel({ memoryBytes: 16 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    // XMM0 = R12 ; yield ; RCX = XMM0 ; ud2 unless RCX = R14 ; exit
    const body = [...MOVQ_XMM0_R12, ...prim(ExoSyscall.YIELD), ...MOVQ_RCX_XMM0, ...CMP_RCX_R14];
    const exit = prim(ExoSyscall.EXIT);
    const code = [...body, ...jump(0x75, body.length, body.length + 2 + exit.length), ...exit, ...UD2];
    const env = startMachineCode(os, code, { 12: 0x1234_5678, 14: 0x4321 });
    os.envStart(env);
    kernel.run({ maxSlices: 1 }); // up to the yield: XMM0 is set, and in the CPU
    const ctx = os.envReadContext(env);
    expect(ctx.xmm32[0]).toBe(0x1234_5678);
    ctx.xmm32[0] = 0x4321;
    os.envWriteContext(env, ctx);
    kernel.run();
    expect(os.envStatus(env)).toMatchObject({ status: 'dead', reason: 'exited' });
  });
});
