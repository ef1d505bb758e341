/**
 * Multiplexing the CPU: which environment runs next, for how long, and what happens when it stops.
 *
 * One hal-x86 `Cpu` runs every environment, as one processor runs every task: a switch saves the running
 * environment's registers into its `context`, loads the next one's and its address space (CR3, which
 * flushes the TLB only when the space changes). The next environment is the sched-beatty policy's choice
 * (Beatty by default); a time slice is `sliceInstructions` retired instructions (10 000 by default: 10 µs
 * of the 1 ns-per-instruction virtual clock), cut short by the environment's gas. Within a slice, IPC may
 * hand the CPU from one environment to another without a scheduling decision (see `handoffTarget`).
 *
 * Each exit of the vCPU becomes an upcall to the environment's library OS (see upcalls.ts): a syscall
 * outside the kernel's range, a page fault, another exception. Gas is charged for every retired
 * instruction; an environment that runs out is suspended and its manager's `gasExhausted` is called.
 * Whatever an environment does, the loop goes on with the others: faults with no handler, handlers that
 * throw, and internal errors reported by the CPU end that environment only.
 */
import { MAX_AMOUNT, type Scheduler, createScheduler, type PolicyName } from '@exov6/sched-beatty';
import { type Cpu, type VcpuExit, loadFpuContext, saveFpuContext } from '@exov6/hal-x86';
import type { DeviceLayer } from './devices';
import type { Environment } from './environment';
import {
  dispatchGuestPrimitive,
  dispatchLive,
  type GuestServices,
  isGuestPrimitive,
  UTRAPFRAME_SIZE,
  alignDown16,
  utrapframe,
} from './guest-abi';
import type { UpcallResult } from './upcalls';
import { LiveSyscall } from './live-syscall';

/** Default time slice in retired instructions. */
export const DEFAULT_SLICE = 10_000;

const PF = 14;

/** Why `run` returned. */
export type RunStopReason = 'idle' | 'instruction-limit' | 'slice-limit';

export interface RunOptions {
  /** Stop after about this many instructions in total (default: no limit). */
  maxInstructions?: number;
  /**
   * Stop after this many time slices (default: no limit). An idle period (nothing runnable, virtual time
   * skipping ahead to the next timer deadline) counts as a slice, so a machine whose timers keep firing
   * with nothing to run still stops.
   */
  maxSlices?: number;
}

export interface RunSummary {
  readonly reason: RunStopReason;
  readonly instructions: number;
  /** Time slices run, idle periods included. */
  readonly slices: number;
}

/** One line of the exit trace: enough to check that two runs made the same decisions. */
export interface ExitRecord {
  readonly env: number;
  readonly exit: VcpuExit['kind'];
  readonly detail: number;
  readonly instructions: number;
}

export class Executor {
  readonly scheduler: Scheduler<Environment>;
  /** Every exit handled, in order, when tracing is on (see `trace`). */
  readonly exitTrace: ExitRecord[] = [];
  trace = false;
  private now = 0;
  /** The environment on the CPU during a slice (for the SYSCALL hook). */
  private running: Environment | null = null;
  /**
   * The outcome of a guest primitive the SYSCALL hook already ran but could not resume from (the
   * environment ended or stopped running): the `syscall` exit that follows reports it instead of running
   * the primitive again.
   */
  private servedInLoop: 'resume' | 'stop' | null = null;
  /** The view a library OS's fast path gets of the live registers (one, reused). */
  private readonly liveSyscall = new LiveSyscall();

  /**
   * Serves the simple guest primitives inside the vCPU's run loop, on the live registers, exactly as the
   * 'resume' path below would after an exit, without leaving and re-entering `cpu.run` for each. Anything
   * else (a library-OS syscall, a primitive that needs the saved context) declines and exits as before.
   */
  private readonly syscallHook = (cpu: Cpu): boolean => {
    const env = this.running as Environment;
    const regs = cpu.regs;
    if (!isGuestPrimitive(regs[0] as number, regs[1] as number)) {
      // A library OS's own call: its fast path may answer it here, else the `syscall` exit follows.
      const fast = env.upcalls.fastSyscall;
      if (fast === undefined) return false;
      try {
        return fast(this.liveSyscall.attach(regs)) === true;
      } catch (e) {
        // As for any handler that throws: the environment ends, the machine goes on.
        this.kill(env, `fastSyscall handler threw: ${e instanceof Error ? e.message : String(e)}`);
        this.servedInLoop = 'stop';
        return false;
      }
    }
    const live = dispatchLive(env, regs, this.guest);
    if (live === 'needs-context') return false;
    if (live === 'resume' && env.status === 'runnable') return true;
    if (live === 'stopped' && this.handOffInRun(env)) return true;
    this.servedInLoop = live === 'resume' ? 'resume' : 'stop';
    return false;
  };

  /**
   * An IPC handoff (see `handoffTarget`) made inside the CPU's run, without leaving it: the same decision
   * the run loop makes after a `syscall` exit, so tracing (which takes the exit way) changes nothing.
   */
  private handOffInRun(env: Environment): boolean {
    const cpu = this.cpu;
    const at = cpu.syscallInstret + 1; // (the SYSCALL is the blocked environment's)
    const next = this.handoffTarget(env, at < this.sliceEnd && env.gas - (at - this.gasMark) > 0);
    if (next === null) return false;
    this.chargeGas(env, at);
    this.handOff(env, next, false);
    cpu.setRunEnd(this.runEnd(next, at));
    // The block ends at the SYSCALL: the code after it is the other environment's.
    cpu.stop = true;
    return true;
  }

  constructor(
    private readonly cpu: Cpu,
    policy: PolicyName,
    readonly sliceInstructions: number,
    private readonly kill: (env: Environment, reason: string) => void,
    private readonly suspendForGas: (env: Environment) => void,
    private readonly guest: GuestServices & {
      writeGuest(env: Environment, va: number, data: Uint8Array): boolean;
    },
    /** The machine's devices, if any: their clock events run between slices. */
    private readonly devices: DeviceLayer | null = null,
  ) {
    this.scheduler = createScheduler<Environment>(policy);
  }

  /**
   * Upcalls raised outside the run loop's own steps (an asynchronous IPC operation completing inside
   * another environment's primitive): run at the top of the loop, between slices, so no library-OS
   * handler runs inside another environment's call.
   */
  private readonly queued: { env: Environment; what: string; call: () => void }[] = [];

  /** Queues a handler call for `env`, made by `run` before it picks the next environment. */
  queueUpcall(env: Environment, what: string, call: () => void): void {
    this.queued.push({ env, what, call });
  }

  /**
   * `env`'s status changed (it became runnable, or stopped being so): the scheduler's books follow. While a
   * slice runs they follow at its end, not at once (lazy scheduling, as in L4): an environment that blocks
   * in IPC and is woken again within the slice, as both sides of a call and its reply are, costs the
   * scheduler nothing, and the environment the scheduler chose for the slice is still on its books,
   * runnable, when the slice is charged to it.
   */
  statusChanged(env: Environment): void {
    if (this.running === null) {
      this.settle(env);
      return;
    }
    if (env.unsettled) return;
    env.unsettled = true;
    this.unsettled.push(env);
  }

  /** Drops `env` from the scheduler for good (it died). */
  forget(env: Environment): void {
    if (this.scheduler.has(env)) this.scheduler.remove(env);
  }

  /**
   * A guest environment blocked in a primitive was woken by the one running: if the runner blocks in turn
   * before its turn ends, the CPU goes straight to it (see `handoffTarget`).
   */
  noteWoken(env: Environment): void {
    if (this.running !== null && env !== this.running) this.woken = env;
  }

  /** Where the current slice ends, as a CPU `instret` value. */
  private sliceEnd = 0;
  /** The CPU's `instret` when the running environment's gas was last charged. */
  private gasMark = 0;

  /** Charges the running environment's gas for the instructions since the last charge, up to `instret`. */
  private chargeGas(env: Environment, instret: number): void {
    env.gas -= instret - this.gasMark;
    this.gasMark = instret;
  }

  /** Where `env`'s run from `instret` on must stop: the slice's end, or sooner if its gas runs out first. */
  private runEnd(env: Environment, instret: number): number {
    return Math.min(this.sliceEnd, instret + env.gas);
  }

  /**
   * Hands the CPU from `from`, which just blocked, to `to` for the rest of the slice: `from`'s registers go
   * to its context (unless `saved` already), `to`'s space and registers come in.
   */
  private handOff(from: Environment, to: Environment, saved: boolean): void {
    if (!saved) this.cpu.saveContext(from.context, NO_FPU);
    this.giveCpu(to, to.addressSpace as { root: number; pcid: number });
  }

  /**
   * Puts `env` on the CPU in `space`: a message for its IPC handler is delivered as it is about to run,
   * then its registers come in (its x87/SSE state when it first uses it).
   */
  private giveCpu(env: Environment, space: { root: number; pcid: number }): void {
    this.enterSpace(space);
    this.guest.deliverUpcall(env);
    this.running = env;
    this.woken = null;
    this.enterContext(env);
  }

  /** Environments whose status changed during the current slice (see `statusChanged`). */
  private readonly unsettled: Environment[] = [];
  /** The guest environment the running one last woke during its turn on the CPU. */
  private woken: Environment | null = null;

  /** Brings the scheduler's books in line with `env`'s status. */
  private settle(env: Environment): void {
    if (env.status === 'dead') return; // (removed when it died)
    const runnable = env.status === 'runnable';
    if (!this.scheduler.has(env)) {
      if (runnable) this.scheduler.add(env, env.weight);
    } else if (this.scheduler.isRunnable(env) !== runnable) {
      if (runnable) this.scheduler.unblock(env);
      else this.scheduler.block(env);
    }
  }

  /** Settles every environment whose status changed during the slice but `owner` (see `run`). */
  private settleAllBut(owner: Environment): void {
    const list = this.unsettled;
    if (list.length === 0) return;
    // (settle may not add to the list: nothing is running now)
    for (let i = 0; i < list.length; i++) {
      const env = list[i] as Environment;
      if (env === owner) continue;
      env.unsettled = false;
      this.settle(env);
    }
    list.length = 0;
  }

  /**
   * IPC handoff: where the CPU goes when `env` has just blocked in a primitive with time left in the slice.
   * If during its turn it woke a guest environment that is still runnable (the receiver of its call, the
   * caller it replied to, the receiver of its send), that one runs next for the rest of the slice, without
   * a scheduling decision, as L4's direct process switch and seL4's IPC fastpath do: a call goes straight
   * to the server, and the server's next receive straight back to the client it answered. Null otherwise:
   * the slice ends.
   */
  private handoffTarget(env: Environment, more: boolean): Environment | null {
    const next = this.woken;
    if (!more || next === null || env.status !== 'waiting') return null;
    if (next.status !== 'runnable' || next.gas <= 0 || next.addressSpace === null) return null;
    return next;
  }

  /** Runs environments until none is runnable or a limit is reached. */
  run(options: RunOptions = {}): RunSummary {
    const maxInstructions = options.maxInstructions ?? Number.POSITIVE_INFINITY;
    const maxSlices = options.maxSlices ?? Number.POSITIVE_INFINITY;
    const cpu = this.cpu;
    let instructions = 0;
    let slices = 0;
    for (;;) {
      if (instructions >= maxInstructions) return { reason: 'instruction-limit', instructions, slices };
      if (slices >= maxSlices) return { reason: 'slice-limit', instructions, slices };
      this.deviceEvents();
      this.queuedUpcalls();
      let env = this.scheduler.pickNext(this.now);
      if (env === undefined) {
        // Nothing runnable: if an environment waits for a timer, the machine idles until it (virtual time
        // jumps there) and the loop goes on; otherwise there is nothing left to do.
        const devices = this.devices;
        if (devices === null || !devices.timersPending || devices.platform.clock.mode !== 'virtual') {
          return { reason: 'idle', instructions, slices };
        }
        devices.platform.clock.idleUntil(devices.platform.clock.nextDeadlineNs());
        slices++;
        continue;
      }
      const owner = env;
      const space = env.addressSpace;
      if (space === null) {
        this.kill(env, 'started without an address space');
        continue;
      }
      let slice = Math.max(1, Math.min(this.sliceInstructions, env.gas, maxInstructions - instructions));
      // A slice ends at the next device event, so timers and interrupts are on time.
      if (this.devices !== null) slice = this.devices.platform.clock.instructionsUntilNextEvent(slice);
      const sliceStart = cpu.instret;
      this.sliceEnd = sliceStart + slice;
      this.gasMark = sliceStart;
      let retired = 0;
      // A slice goes on through the kernel's own guest primitives; anything else ends it. The simple
      // primitives work on the registers in the CPU, so the context is saved only when the slice ends or
      // something needs it (an upcall, a primitive that touches another environment's registers).
      this.giveCpu(env, space);
      let saved = false;
      // While tracing, every exit is recorded, so primitives go the exit way then.
      cpu.syscallHook = this.trace ? null : this.syscallHook;
      for (;;) {
        const exit = cpu.run(this.runEnd(env, cpu.instret) - cpu.instret);
        // (The SYSCALL hook may have handed the CPU to another environment: see handOffInRun.)
        env = this.running as Environment;
        this.chargeGas(env, cpu.instret);
        retired = cpu.instret - sliceStart;
        if (this.trace) {
          this.exitTrace.push({
            env: env.id,
            exit: exit.kind,
            detail: detailOf(exit),
            instructions: cpu.instret,
          });
        }
        const more = retired < slice && env.gas > 0;
        if (exit.kind === 'syscall') {
          const outcome = this.servedInLoop ?? this.guestPrimitive(env, cpu.regs);
          this.servedInLoop = null;
          if (outcome === 'resume') {
            if (more && env.status === 'runnable') continue;
            break;
          }
          if (outcome !== 'not-mine') {
            if (outcome === 'stop-saved') saved = true;
            const next = this.handoffTarget(env, more);
            if (next === null) break;
            this.handOff(env, next, saved);
            env = next;
            saved = false;
            continue;
          }
        }
        cpu.saveContext(env.context, NO_FPU);
        saved = true;
        const goOn = this.handle(env, exit);
        if (!goOn || env.status !== 'runnable' || !more) break;
        // The handler may have moved the environment to another address space (a library OS's exec).
        if (env.addressSpace === null) break;
        this.enterSpace(env.addressSpace);
        this.enterContext(env);
        saved = false;
      }
      cpu.syscallHook = null;
      cpu.fpuUse = null;
      this.running = null;
      this.woken = null;
      if (!saved) cpu.saveContext(env.context, NO_FPU);
      instructions += retired;
      slices++;
      this.now += Math.max(1, retired);
      // The others' changes during the slice reach the scheduler before the slice is charged, as they would
      // have at once (an environment started during the slice joins before its starter is charged).
      this.settleAllBut(owner);
      // The slice is charged to the environment the scheduler chose for it, whoever ran its instructions
      // (the servers it called, by handoff) and whatever became of it (blocked during the slice, it is
      // still runnable on the books until it is settled just after), unless it died.
      if (this.scheduler.has(owner) && this.scheduler.isRunnable(owner)) {
        // A slice may be longer than the largest charge a policy takes (slices go up to 2^31).
        for (let left = Math.max(1, retired); left > 0; left -= MAX_AMOUNT) {
          this.scheduler.charge(owner, Math.min(left, MAX_AMOUNT));
        }
      }
      if (owner.unsettled) {
        owner.unsettled = false;
        this.settle(owner);
      }
      // (Only the last environment of a slice can have run out of gas: a handoff needs gas left.)
      if (env.status === 'runnable' && env.gas <= 0) this.suspendForGas(env);
    }
  }

  /**
   * Points the MMU at `space`: its translations (and block links) from its last slice come back, unless
   * it shares context 0 (see PcidPool). The kernel invalidates a context's pages when it changes them.
   */
  private enterSpace(space: { root: number; pcid: number }): void {
    const mmu = this.cpu.mmu;
    if (mmu.cr3 !== space.root || mmu.pcid !== space.pcid)
      mmu.switchContext(space.root, space.pcid, space.pcid !== 0);
  }

  /**
   * A syscall exit: runs the kernel's own primitive if RAX names one, on the live registers when it can
   * ('resume': go on; 'stop': the slice ends, registers still in the CPU), else through the saved context
   * ('stop-saved': the slice ends with the context saved, the primitive having changed it: a blocking IPC
   * completed later writes its result there, so it is not loaded into the CPU only to be saved again).
   * 'not-mine' when RAX is a syscall for the library OS.
   */
  private guestPrimitive(env: Environment, regs: Int32Array): 'resume' | 'stop' | 'stop-saved' | 'not-mine' {
    if (!isGuestPrimitive(regs[0] as number, regs[1] as number)) return 'not-mine';
    const live = dispatchLive(env, regs, this.guest);
    if (live === 'resume') return 'resume';
    if (live !== 'needs-context') return 'stop';
    // (These primitives and IPC upcall delivery change general registers only: the x87/SSE state stays.)
    this.cpu.saveContext(env.context, NO_FPU);
    const outcome = dispatchGuestPrimitive(env, this.guest);
    if (outcome !== 'resume') return 'stop-saved';
    if (env.status === 'runnable') this.guest.deliverUpcall(env);
    this.cpu.loadContext(env.context, NO_FPU_SHARED);
    return 'resume';
  }

  /** Handles one exit other than a kernel primitive; true when the environment may go on in its slice. */
  private handle(env: Environment, exit: VcpuExit): boolean {
    if (
      exit.kind === 'exception' &&
      exit.vector === PF &&
      env.upcalls.pageFault === undefined &&
      env.guestPageFault !== null
    ) {
      this.deliverGuestPageFault(env, Number(BigInt.asIntN(64, exit.cr2)), exit.errorCode);
      return false;
    }
    return this.upcall(env, exit);
  }

  /**
   * JOS-style delivery: the exo_utrapframe goes just below the exception stack's top, RSP below it as if
   * the handler had been called (a zero return address), RDI points at the frame, RIP at the entry. A fault
   * while already on the exception stack, or an exception stack that is not mapped writable, ends the
   * environment.
   */
  private deliverGuestPageFault(env: Environment, address: number, errorCode: number): void {
    const upcall = env.guestPageFault as { entry: number; stackTop: number };
    const ctx = env.context;
    const rsp = Number(BigInt.asIntN(64, ctx.getReg(4)));
    if (rsp <= upcall.stackTop && rsp > upcall.stackTop - 4096) {
      this.kill(env, `page fault at 0x${address.toString(16)} inside the page-fault handler`);
      return;
    }
    const frameVa = alignDown16(upcall.stackTop - UTRAPFRAME_SIZE);
    const frame = utrapframe(ctx, address, errorCode);
    const returnSlot = frameVa - 8;
    if (
      !this.guest.writeGuest(env, frameVa, frame) ||
      !this.guest.writeGuest(env, returnSlot, new Uint8Array(8))
    ) {
      this.kill(env, `page fault at 0x${address.toString(16)}: the exception stack is not mapped writable`);
      return;
    }
    ctx.setReg(4, BigInt(returnSlot));
    ctx.setReg(7, BigInt(frameVa));
    ctx.rip = upcall.entry;
  }

  /** Hands an exit to the library OS; true when it resumed the environment. */
  private upcall(env: Environment, exit: VcpuExit): boolean {
    switch (exit.kind) {
      case 'budget':
        return false;
      case 'interrupt':
        // Not the running environment's business: the line's owner gets it; the running one goes on.
        this.deliverInterrupt(exit.vector);
        return true;
      case 'hlt':
        this.kill(env, 'hlt');
        return false;
      case 'syscall': {
        // The handlers see and may change the whole context, x87 and SSE state included.
        this.releaseFpu(env);
        const handler = env.upcalls.syscall;
        const number = Number(env.context.getReg(0));
        if (handler === undefined) return this.refuse(env, `syscall ${number} with no syscall handler`);
        return this.resumeOrKill(env, 'syscall', () => handler({ number }, env.context));
      }
      case 'exception': {
        this.releaseFpu(env);
        if (exit.vector === PF && env.upcalls.pageFault !== undefined) {
          const handler = env.upcalls.pageFault;
          const event = {
            address: Number(BigInt.asIntN(64, exit.cr2)),
            errorCode: exit.errorCode,
            present: (exit.errorCode & 1) !== 0,
            write: (exit.errorCode & 2) !== 0,
            fetch: (exit.errorCode & 16) !== 0,
            rip: env.context.rip,
          };
          return this.resumeOrKill(env, 'page fault', () => handler(event, env.context));
        }
        const handler = env.upcalls.exception;
        if (handler === undefined)
          return this.refuse(env, `unhandled exception ${exit.vector}: ${exit.detail}`);
        const event = {
          vector: exit.vector,
          errorCode: exit.errorCode,
          rip: env.context.rip,
          detail: exit.detail,
        };
        return this.resumeOrKill(env, 'exception', () => handler(event, env.context));
      }
    }
  }

  // ------------------------------------------------------------------ lazy x87/SSE switching
  //
  // The x87, SSE and MXCSR state (about two thirds of a context by size, most of a switch's copying) is
  // not saved and loaded with the general registers. It stays in the CPU, belonging to `fpuOwner`, until
  // another environment runs an instruction that uses it: the CPU's `fpuUse` hook then saves it into the
  // owner's context and loads the runner's. An environment that never uses it (the benchmark's
  // page-fault, IPC and switch loops, for example) never pays for it. Whoever reads or writes a context
  // while its state may be in the CPU goes through syncFpu / releaseFpu / forgetFpu first.

  /** The environment whose x87/SSE state is in the CPU, or null. */
  private fpuOwner: Environment | null = null;

  private readonly takeFpu = (cpu: Cpu): void => {
    const env = this.running as Environment;
    if (this.fpuOwner !== null) saveFpuContext(cpu, this.fpuOwner.context);
    loadFpuContext(cpu, env.context);
    this.fpuOwner = env;
  };

  /** Loads `env`'s general registers; its x87/SSE state comes when it first uses it (if not there already). */
  private enterContext(env: Environment): void {
    this.cpu.loadContext(env.context, NO_FPU_SHARED);
    this.cpu.fpuUse = this.fpuOwner === env ? null : this.takeFpu;
  }

  /** Brings `env`'s context up to date (its x87/SSE state copied out of the CPU if it is there). */
  syncFpu(env: Environment): void {
    if (this.fpuOwner === env) saveFpuContext(this.cpu, env.context);
  }

  /** As syncFpu, and the context becomes the only copy: it may be changed, and is loaded from on next use. */
  releaseFpu(env: Environment): void {
    if (this.fpuOwner !== env) return;
    saveFpuContext(this.cpu, env.context);
    this.fpuOwner = null;
  }

  /** The context was overwritten: the x87/SSE state in the CPU, if it is `env`'s, is stale and dropped. */
  forgetFpu(env: Environment): void {
    if (this.fpuOwner === env) this.fpuOwner = null;
  }

  /** Runs the device events that fell due and delivers the timer upcalls they produced. */
  private deviceEvents(): void {
    const devices = this.devices;
    if (devices === null) return;
    devices.platform.clock.runDue();
    // Interrupts raised while no guest ran (or between slices) are taken here, as the CPU would between
    // instructions: the local APIC's acknowledge cycle, then the owner's upcall.
    const cpu = this.cpu;
    while (cpu.intr) {
      const vector = devices.platform.localApic.acknowledge();
      if (vector === null || vector === 0xff) break; // the request vanished (spurious)
      this.deliverInterrupt(vector);
    }
    for (const { env, now } of devices.dueTimers.splice(0)) {
      const handler = env.upcalls.timer;
      if (handler === undefined || env.status === 'dead') continue;
      this.callHandler(env, 'timer', () => handler({ now }));
    }
  }

  private queuedUpcalls(): void {
    // (Setting an array's length calls into the engine's runtime: not on every pass of the loop.)
    if (this.queued.length === 0) return;
    // (A handler may queue more: they run in this same pass.)
    for (let i = 0; i < this.queued.length; i++) {
      const { env, what, call } = this.queued[i] as (typeof this.queued)[number];
      if (env.status !== 'dead') this.callHandler(env, what, call);
    }
    this.queued.length = 0;
  }

  private deliverInterrupt(vector: number): void {
    const devices = this.devices;
    if (devices === null) return;
    const { env, irq } = devices.takeInterrupt(vector);
    const handler = env?.upcalls.interrupt;
    if (env === undefined || handler === undefined || env.status === 'dead') return;
    this.callHandler(env, 'interrupt', () => handler({ irq }));
  }

  /** Runs `env`'s handler now (a direct IPC call's receiver); one that throws ends its environment. */
  runUpcall(env: Environment, what: string, call: () => void): void {
    if (env.status !== 'dead') this.callHandler(env, what, call);
  }

  /** Runs a handler that returns nothing; one that throws ends its environment. */
  private callHandler(env: Environment, what: string, call: () => void): void {
    try {
      call();
    } catch (e) {
      this.kill(env, `${what} handler threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private refuse(env: Environment, reason: string): boolean {
    this.kill(env, reason);
    return false;
  }

  private resumeOrKill(env: Environment, what: string, call: () => UpcallResult): boolean {
    let result: UpcallResult;
    try {
      result = call();
    } catch (e) {
      return this.refuse(env, `${what} handler threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (result !== 'resume') return this.refuse(env, `${what} handler ended the environment`);
    return env.status === 'runnable';
  }
}

/** Context saves of the run loop: general registers only (see "lazy x87/SSE switching"). */
const NO_FPU = { fpu: false } as const;
/**
 * Context loads of the run loop: general registers only, and the CPU runs on the environment's own
 * register array, so the running environment's context always holds its live registers (and neither the
 * load nor the save at a switch copies them).
 */
const NO_FPU_SHARED = { fpu: false, shareRegisters: true } as const;

function detailOf(exit: VcpuExit): number {
  if (exit.kind === 'exception') return exit.vector;
  if (exit.kind === 'interrupt') return exit.vector;
  return 0;
}
