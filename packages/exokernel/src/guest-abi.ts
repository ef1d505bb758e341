/**
 * The guest calling convention: primitives a guest program calls directly with the `syscall` instruction,
 * numbers EXO_SYSCALL_BASE + n (include/exov6.h gives them to C). Arguments in RDI, RSI, RDX, R10, R8, R9
 * as on Linux; the result in RAX, a negative `ExoErrno` on refusal. Any other syscall number is not the
 * kernel's: it becomes a `syscall` upcall to the environment's library OS (as Mach redirected traps to an
 * in-task emulation library), which is how a POSIX personality runs unmodified Linux binaries.
 *
 * The page-fault upcall for guest code follows JOS: the environment registers an entry point and the top
 * of an exception stack; on a #PF the kernel writes an `exo_utrapframe` (fault address, error code, the
 * sixteen registers, RIP, RFLAGS) below that top, points RSP under it as a call would, RDI at it and RIP
 * at the entry, and the handler resumes the faulting code with EXO_SYS_PGFAULT_RETURN.
 */
import type { CpuContext } from '@exov6/hal-x86';
import type { Environment } from './environment';
import { ExoError } from './errors';

export const EXO_SYSCALL_BASE = 0x4000;

/** Guest primitive numbers (add EXO_SYSCALL_BASE). */
export const ExoSyscall = {
  /** null(): 0. The cheapest round trip through the kernel. */
  NULL: 0,
  /** env_id(): the caller's environment number. */
  ENV_ID: 1,
  /** yield(): gives up the rest of the time slice; 0. */
  YIELD: 2,
  /** frame_alloc(): a frame capability. */
  FRAME_ALLOC: 3,
  /** frame_free(frame): 0. */
  FRAME_FREE: 4,
  /** map(space, va, frame, flags): flags bit 0 writable, bit 1 executable; 0. */
  MAP: 5,
  /** unmap(space, va): 0. */
  UNMAP: 6,
  /** cap_derive(cap, rights): the new capability. */
  CAP_DERIVE: 7,
  /** cap_revoke(cap): how many capabilities were removed. */
  CAP_REVOKE: 8,
  /** cap_delete(cap): 0. */
  CAP_DELETE: 9,
  /** set_pgfault_upcall(entry, exception_stack_top): 0. */
  SET_PGFAULT_UPCALL: 10,
  /** pgfault_return(utrapframe): resumes the interrupted code; does not return. */
  PGFAULT_RETURN: 11,
  /** exit(): ends the caller's environment. */
  EXIT: 12,
  /** endpoint_create(): an IPC endpoint capability. */
  ENDPOINT_CREATE: 13,
  /** ipc_send(ep, w0, w1, w2, w3, cap | -1): waits for a receiver; 0. */
  IPC_SEND: 14,
  /** ipc_recv(ep): waits for a sender; 0, with RDI = badge, RSI RDX R10 R8 = words, R9 = cap or -1. */
  IPC_RECV: 15,
  /** ipc_call(ep, w0, w1, w2, w3, cap | -1): sends, then waits for the reply (registers as ipc_recv). */
  IPC_CALL: 16,
  /** ipc_reply(-, w0, w1, w2, w3, cap | -1): answers the call last received; 0. */
  IPC_REPLY: 17,
  /** cap_grant(cap, rights, env): a child capability in another environment's space; its id there. */
  CAP_GRANT: 18,
  /** cap_transfer(cap, env): moves the capability to another environment; its id there. */
  CAP_TRANSFER: 19,
  /** ipc_listen(ep | -1, entry, exception_stack_top): IPC upcalls for messages on ep (guest-ipc-upcall.ts); 0. */
  IPC_LISTEN: 20,
  /** upcall_wait(): blocks until an IPC upcall is due; 0 (after the handler returned). */
  UPCALL_WAIT: 21,
  /** ipc_upcall_return(utrapframe): ends the IPC handler, resumes the interrupted code; does not return. */
  IPC_UPCALL_RETURN: 22,
  /**
   * ipc_reply_recv(ep, w0, w1, w2, w3, cap | -1): ipc_reply, then ipc_recv on ep (registers as ipc_recv):
   * a server's loop in one primitive. The endpoint is checked before the reply is made.
   */
  IPC_REPLY_RECV: 23,
} as const;

/** The highest guest primitive number. */
const LAST_PRIMITIVE = Math.max(...Object.values(ExoSyscall));

/** Bytes of `struct exo_utrapframe`: fault_va, err, rax..r15 (hardware order), rip, rflags. */
export const UTRAPFRAME_SIZE = 160;

/** The kernel services the guest ABI needs (implemented by Exokernel). */
export interface GuestServices {
  frameAlloc(env: Environment): number;
  frameFree(env: Environment, cap: number): void;
  map(env: Environment, space: number, va: number, frame: number, flags: number): void;
  unmap(env: Environment, space: number, va: number): void;
  capDerive(env: Environment, cap: number, rights: number): number;
  capRevoke(env: Environment, cap: number): number;
  capDelete(env: Environment, cap: number): void;
  capGrant(env: Environment, cap: number, rights: number, toEnv: number): number;
  capTransfer(env: Environment, cap: number, toEnv: number): number;
  exit(env: Environment): void;
  endpointCreate(env: Environment): number;
  /**
   * An IPC primitive on the caller's registers (the CPU's, or its saved context): RDI the endpoint, RSI RDX
   * R10 R8 the words, R9 a capability or -1. Writes the results, RAX included, except a reply's RAX; throws
   * ExoError when the request itself is refused. 'stopped' when the environment now waits.
   */
  ipc(env: Environment, kind: GuestIpcKind, regs: Int32Array): 'resume' | 'stopped';
  ipcListen(env: Environment, endpoint: number, entry: number, stackTop: number): void;
  /** 'stopped' when the environment now waits for an IPC upcall. */
  upcallWait(env: Environment): 'resume' | 'stopped';
  /** The IPC handler ended (throws E_STATE if none runs); the caller restores the registers. */
  ipcUpcallDone(env: Environment): void;
  /** Redirects the environment's saved context into its IPC handler if a message is due. */
  deliverUpcall(env: Environment): void;
  /** Reads guest memory of the environment's space (user-readable pages), or null if it cannot. */
  readGuest(env: Environment, va: number, length: number): Uint8Array | null;
}

/** The guest's IPC primitives. */
export type GuestIpcKind = 'send' | 'recv' | 'call' | 'reply' | 'reply-recv';

/** What the run loop should do after a guest primitive. */
export type GuestOutcome = 'resume' | 'yield' | 'stopped';

const ARG_REGS = [7, 6, 2, 10, 8, 9]; // RDI RSI RDX R10 R8 R9

/** Whether RAX (as its low and high 32-bit halves) names one of the kernel's own primitives. */
export function isGuestPrimitive(low: number, high = 0): boolean {
  return high === 0 && low >= EXO_SYSCALL_BASE && low <= EXO_SYSCALL_BASE + LAST_PRIMITIVE;
}

/** Register r of a lo/hi int32 register file as a number (exact for values within +-2^53). */
export function regNumber(regs: Int32Array, r: number): number {
  return (regs[2 * r + 1] as number) * 4294967296 + ((regs[2 * r] as number) >>> 0);
}

function setRax(regs: Int32Array, value: number): void {
  regs[0] = value | 0;
  regs[1] = value < 0 ? -1 : Math.floor(value / 4294967296) | 0;
}

/**
 * The primitives that read their arguments from registers and write only registers, run on the live
 * register file (the CPU's, with no context save): most write RAX only; synchronous IPC writes a received
 * message's registers too, now, or into the saved context when the partner comes if the environment waits
 * ('stopped'). 'needs-context' for the ones that need the saved context (PGFAULT_RETURN, which replaces
 * every register, and the IPC upcall primitives). A reply never waits: it writes the caller's registers,
 * which are saved (the caller is blocked in its call), and the replier's RAX.
 */
export function dispatchLive(
  env: Environment,
  regs: Int32Array,
  k: GuestServices,
): GuestOutcome | 'needs-context' {
  const n = (regs[0] as number) - EXO_SYSCALL_BASE;
  const arg = (i: number) => regNumber(regs, ARG_REGS[i] as number);
  let result = 0;
  let outcome: GuestOutcome = 'resume';
  try {
    switch (n) {
      case ExoSyscall.NULL:
        break;
      case ExoSyscall.ENV_ID:
        result = env.id;
        break;
      case ExoSyscall.YIELD:
        outcome = 'yield';
        break;
      case ExoSyscall.FRAME_ALLOC:
        result = k.frameAlloc(env);
        break;
      case ExoSyscall.FRAME_FREE:
        k.frameFree(env, arg(0));
        break;
      case ExoSyscall.MAP:
        k.map(env, arg(0), arg(1), arg(2), arg(3));
        break;
      case ExoSyscall.UNMAP:
        k.unmap(env, arg(0), arg(1));
        break;
      case ExoSyscall.CAP_DERIVE:
        result = k.capDerive(env, arg(0), arg(1));
        break;
      case ExoSyscall.CAP_REVOKE:
        result = k.capRevoke(env, arg(0));
        break;
      case ExoSyscall.CAP_DELETE:
        k.capDelete(env, arg(0));
        break;
      case ExoSyscall.CAP_GRANT:
        result = k.capGrant(env, arg(0), arg(1), arg(2));
        break;
      case ExoSyscall.CAP_TRANSFER:
        result = k.capTransfer(env, arg(0), arg(1));
        break;
      case ExoSyscall.SET_PGFAULT_UPCALL:
        env.guestPageFault = { entry: arg(0), stackTop: arg(1) };
        break;
      case ExoSyscall.ENDPOINT_CREATE:
        result = k.endpointCreate(env);
        break;
      case ExoSyscall.IPC_REPLY:
        k.ipc(env, 'reply', regs);
        break;
      case ExoSyscall.IPC_SEND:
        return k.ipc(env, 'send', regs);
      case ExoSyscall.IPC_RECV:
        return k.ipc(env, 'recv', regs);
      case ExoSyscall.IPC_CALL:
        return k.ipc(env, 'call', regs);
      case ExoSyscall.IPC_REPLY_RECV:
        return k.ipc(env, 'reply-recv', regs);
      case ExoSyscall.EXIT:
        k.exit(env);
        return 'stopped';
      default:
        return 'needs-context';
    }
  } catch (e) {
    if (!(e instanceof ExoError)) throw e;
    result = e.errno;
  }
  setRax(regs, result);
  return outcome;
}

/**
 * Runs the guest primitive in RAX for `env` on its saved context: the simple ones as `dispatchLive` does,
 * then IPC (which may complete now or block the environment) and PGFAULT_RETURN.
 */
export function dispatchGuestPrimitive(env: Environment, k: GuestServices): GuestOutcome {
  const ctx = env.context;
  const live = dispatchLive(env, ctx.regs, k);
  if (live !== 'needs-context') return live;
  const n = regNumber(ctx.regs, 0) - EXO_SYSCALL_BASE;
  try {
    switch (n) {
      case ExoSyscall.PGFAULT_RETURN:
        return pgfaultReturn(env, k, regNumber(ctx.regs, 7));
      case ExoSyscall.IPC_LISTEN:
        k.ipcListen(env, regNumber(ctx.regs, 7), regNumber(ctx.regs, 6), regNumber(ctx.regs, 2));
        setRax(ctx.regs, 0);
        return 'resume';
      case ExoSyscall.UPCALL_WAIT:
        setRax(ctx.regs, 0);
        return k.upcallWait(env);
      case ExoSyscall.IPC_UPCALL_RETURN: {
        const frame = readFrame(env, k, regNumber(ctx.regs, 7));
        if (frame === null) throw new ExoError('E_INVAL', 'ipc_upcall_return: frame not readable');
        k.ipcUpcallDone(env);
        restoreRegisters(ctx, frame);
        return 'resume';
      }
      default:
        throw new ExoError('E_NOSYS', `no guest primitive ${n}`);
    }
  } catch (e) {
    if (!(e instanceof ExoError)) throw e;
    setRax(ctx.regs, e.errno);
    return 'resume';
  }
}

/** Restores the registers saved in an exo_utrapframe (RFLAGS: only the bits user code may change). */
function pgfaultReturn(env: Environment, k: GuestServices, frameVa: number): GuestOutcome {
  const frame = readFrame(env, k, frameVa);
  if (frame === null) {
    env.context.setReg(0, BigInt(new ExoError('E_INVAL', 'pgfault_return: frame not readable').errno));
    return 'resume';
  }
  restoreRegisters(env.context, frame);
  return 'resume';
}

/** The exo_utrapframe at `frameVa` in the environment's memory, or null if it is not readable. */
function readFrame(env: Environment, k: GuestServices, frameVa: number): DataView | null {
  const bytes = k.readGuest(env, frameVa, UTRAPFRAME_SIZE);
  return bytes === null ? null : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const USER_FLAGS = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x200000;

function restoreRegisters(ctx: CpuContext, view: DataView): void {
  for (let r = 0; r < 16; r++) ctx.setReg(r, view.getBigUint64(16 + 8 * r, true));
  ctx.rip = Number(BigInt.asIntN(64, view.getBigUint64(144, true)));
  const flags = Number(view.getBigUint64(152, true) & 0xffffffffn);
  ctx.rflags = (ctx.rflags & ~USER_FLAGS) | (flags & USER_FLAGS);
}

/** Rounds a guest address down to 16 bytes (addresses go past 2^31, so not with `& ~15`). */
export function alignDown16(va: number): number {
  return Math.floor(va / 16) * 16;
}

/** Builds the exo_utrapframe of a page fault from the faulting context. */
export function utrapframe(ctx: CpuContext, faultVa: number, errorCode: number): Uint8Array {
  const bytes = new Uint8Array(UTRAPFRAME_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(faultVa), true);
  view.setBigUint64(8, BigInt(errorCode), true);
  for (let r = 0; r < 16; r++) view.setBigUint64(16 + 8 * r, BigInt.asUintN(64, ctx.getReg(r)), true);
  view.setBigInt64(144, BigInt(ctx.rip), true);
  view.setBigUint64(152, BigInt(ctx.rflags >>> 0), true);
  return bytes;
}
