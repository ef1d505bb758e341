/**
 * The x86-64 rt_sigframe a handler runs on (arch/x86/include/asm/sigframe.h, uapi sigcontext.h), written
 * on the guest stack exactly as Linux lays it out, so C libraries' restorers, ucontext readers and
 * siglongjmp work unmodified:
 *
 *   frame + 0    pretcode (the restorer: the handler's `ret` goes there, which calls rt_sigreturn)
 *   frame + 8    struct ucontext: uc_flags, uc_link, uc_stack (24 bytes), uc_mcontext (struct sigcontext,
 *                256 bytes: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, cs/gs/fs/ss,
 *                err, trapno, oldmask, cr2, fpstate, reserved), uc_sigmask (8 bytes)
 *   frame + 312  siginfo_t (128 bytes)
 *
 * The handler is entered with RSP = frame (so RSP + 8 is 16-byte aligned, as after a call), RDI = the
 * signal, RSI = &info, RDX = &uc. The x87/SSE state is kept by the library OS beside the frame rather
 * than in it (fpstate is 0, which C libraries accept).
 */
import type { SigInfo } from './signal-state';

export const UCONTEXT_OFFSET = 8;
export const MCONTEXT_OFFSET = UCONTEXT_OFFSET + 40;
export const SIGMASK_OFFSET = MCONTEXT_OFFSET + 256;
export const SIGINFO_OFFSET = SIGMASK_OFFSET + 8;
export const FRAME_SIZE = SIGINFO_OFFSET + 128;
/** Below the interrupted stack pointer Linux leaves the red zone of the System V ABI untouched. */
export const RED_ZONE = 128;

/** sigcontext's general registers in order, as register numbers (rax 0 ... r15 15). */
export const SIGCONTEXT_REGS = [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4] as const;

export interface InterruptedState {
  regs: bigint[];
  rip: number;
  rflags: number;
  mask: bigint;
  altStack: { sp: number; size: number; flags: number };
  trapno?: number;
  err?: number;
  cr2?: number;
}

export function encodeSiginfo(info: SigInfo): Uint8Array {
  const bytes = new Uint8Array(128);
  const v = new DataView(bytes.buffer);
  v.setInt32(0, info.signo, true);
  v.setInt32(8, info.code, true);
  if (info.addr !== undefined) v.setBigUint64(16, BigInt(info.addr), true);
  else {
    v.setInt32(16, info.pid ?? 0, true);
    v.setUint32(20, info.uid ?? 0, true);
    if (info.status !== undefined) v.setInt32(24, info.status, true);
  }
  return bytes;
}

/** The frame's bytes, given where it goes and what was interrupted. */
export function encodeFrame(restorer: bigint, state: InterruptedState, info: SigInfo): Uint8Array {
  const bytes = new Uint8Array(FRAME_SIZE);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, restorer, true);
  // uc_stack: the alternate stack as it was.
  v.setBigUint64(UCONTEXT_OFFSET + 16, BigInt(state.altStack.sp), true);
  v.setInt32(UCONTEXT_OFFSET + 24, state.altStack.flags, true);
  v.setBigUint64(UCONTEXT_OFFSET + 32, BigInt(state.altStack.size), true);
  SIGCONTEXT_REGS.forEach((r, k) => {
    v.setBigUint64(MCONTEXT_OFFSET + k * 8, BigInt.asUintN(64, state.regs[r] as bigint), true);
  });
  v.setBigUint64(MCONTEXT_OFFSET + 128, BigInt(state.rip), true);
  v.setBigUint64(MCONTEXT_OFFSET + 136, BigInt(state.rflags), true);
  v.setUint16(MCONTEXT_OFFSET + 144, 0x33, true); // cs: the user code segment
  v.setUint16(MCONTEXT_OFFSET + 150, 0x2b, true); // ss
  v.setBigUint64(MCONTEXT_OFFSET + 152, BigInt(state.err ?? 0), true);
  v.setBigUint64(MCONTEXT_OFFSET + 160, BigInt(state.trapno ?? 0), true);
  v.setBigUint64(MCONTEXT_OFFSET + 168, BigInt.asUintN(64, state.mask), true);
  v.setBigUint64(MCONTEXT_OFFSET + 176, BigInt(state.cr2 ?? 0), true);
  v.setBigUint64(SIGMASK_OFFSET, BigInt.asUintN(64, state.mask), true);
  bytes.set(encodeSiginfo(info), SIGINFO_OFFSET);
  return bytes;
}

/** What rt_sigreturn restores from a frame (the handler may have changed it). */
export function decodeFrame(bytes: Uint8Array): {
  regs: bigint[];
  rip: number;
  rflags: number;
  mask: bigint;
} {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const regs: bigint[] = new Array(16).fill(0n);
  SIGCONTEXT_REGS.forEach((r, k) => {
    regs[r] = v.getBigUint64(MCONTEXT_OFFSET + k * 8, true);
  });
  return {
    regs,
    rip: Number(v.getBigUint64(MCONTEXT_OFFSET + 128, true)),
    rflags: Number(v.getBigUint64(MCONTEXT_OFFSET + 136, true) & 0xffffffffn),
    mask: v.getBigUint64(SIGMASK_OFFSET, true),
  };
}
