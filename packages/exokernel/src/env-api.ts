/**
 * The TypeScript calling convention: what library-OS code holds. An `EnvApi` is bound to one environment
 * and keeps the kernel in a private field, so the code it is handed to can reach nothing of the kernel's
 * internals; every method is one capability-checked primitive, with the same semantics (and the same
 * `ExoError` codes) as the guest system-call ABI.
 */
import type { CpuContext } from '@exov6/hal-x86';
import type { BootCapabilities, CapabilityInfo, Exokernel } from './kernel';
import type { IpcMessage, IpcOperation, IpcResult, ReceivedMessage } from './ipc';
import type { UpcallHandlers } from './upcalls';
import type { Environment, RevocationNotice } from './environment';

export class EnvApi {
  readonly #kernel: Exokernel;
  readonly #env: Environment;

  /** @internal The kernel hands these out (`Exokernel.bind`). */
  constructor(kernel: Exokernel, env: Environment) {
    this.#kernel = kernel;
    this.#env = env;
  }

  /** This environment's number. */
  get envId(): number {
    return this.#env.id;
  }

  /** Frames of quota left. */
  get quotaFree(): number {
    return this.#env.quotaFree;
  }

  /** The null primitive: 0 (what a primitive costs before it does anything). */
  null(): number {
    return this.#kernel.null(this.#env);
  }

  // frames
  frameAlloc(options?: { label?: string }): number {
    return this.#kernel.frameAlloc(this.#env, options);
  }
  frameFree(frameCap: number): void {
    this.#kernel.frameFree(this.#env, frameCap);
  }
  frameRead(frameCap: number, offset: number, length: number): Uint8Array {
    return this.#kernel.frameRead(this.#env, frameCap, offset, length);
  }
  frameWrite(frameCap: number, offset: number, data: Uint8Array): void {
    this.#kernel.frameWrite(this.#env, frameCap, offset, data);
  }
  frameCopy(toCap: number, fromCap: number): void {
    this.#kernel.frameCopy(this.#env, toCap, fromCap);
  }

  // address spaces
  asCreate(): number {
    return this.#kernel.asCreate(this.#env);
  }
  asDestroy(spaceCap: number): void {
    this.#kernel.asDestroy(this.#env, spaceCap);
  }
  protect(spaceCap: number, va: number, perms: { writable?: boolean; executable?: boolean }): void {
    this.#kernel.protect(this.#env, spaceCap, va, perms);
  }
  map(
    spaceCap: number,
    va: number,
    frameCap: number,
    perms?: { writable?: boolean; executable?: boolean },
  ): void {
    this.#kernel.map(this.#env, spaceCap, va, frameCap, perms);
  }
  unmap(spaceCap: number, va: number): void {
    this.#kernel.unmap(this.#env, spaceCap, va);
  }
  lookup(spaceCap: number, va: number): number | null {
    return this.#kernel.lookup(this.#env, spaceCap, va);
  }

  // environments
  envCreate(options: { quota: number; label?: string }): number {
    return this.#kernel.envCreate(this.#env, options);
  }

  envSetAddressSpace(envCap: number, spaceCap: number): void {
    this.#kernel.envSetAddressSpace(this.#env, envCap, spaceCap);
  }
  envReadContext(envCap: number): CpuContext {
    return this.#kernel.envReadContext(this.#env, envCap);
  }
  envWriteContext(envCap: number, context: CpuContext): void {
    this.#kernel.envWriteContext(this.#env, envCap, context);
  }
  envSetUpcalls(envCap: number, handlers: UpcallHandlers): void {
    this.#kernel.envSetUpcalls(this.#env, envCap, handlers);
  }
  envSetGas(envCap: number, gas: number): void {
    this.#kernel.envSetGas(this.#env, envCap, gas);
  }
  envSetWeight(envCap: number, weight: number): void {
    this.#kernel.envSetWeight(this.#env, envCap, weight);
  }
  envStart(envCap: number): void {
    this.#kernel.envStart(this.#env, envCap);
  }
  envSuspend(envCap: number): void {
    this.#kernel.envSuspend(this.#env, envCap);
  }
  envKill(envCap: number): void {
    this.#kernel.envKill(this.#env, envCap);
  }
  envStatus(envCap: number): { status: string; reason: string; gas: number } {
    return this.#kernel.envStatus(this.#env, envCap);
  }
  envSetPgfaultUpcall(envCap: number, upcall: { entry: number; stackTop: number }): void {
    this.#kernel.envSetPgfaultUpcall(this.#env, envCap, upcall);
  }
  /** This environment's own upcall handlers (gasExhausted is called for its children). */
  setUpcalls(handlers: UpcallHandlers): void {
    this.#kernel.setUpcalls(this.#env, handlers);
  }

  // IPC
  endpointCreate(): number {
    return this.#kernel.endpointCreate(this.#env);
  }
  /** Delivers to a receiver waiting now, or throws E_AGAIN. */
  ipcSend(endpointCap: number, message?: IpcMessage): void {
    this.#kernel.ipcSend(this.#env, endpointCap, message);
  }
  /** A waiting sender's message, or null. */
  ipcRecv(endpointCap: number): ReceivedMessage | null {
    return this.#kernel.ipcRecv(this.#env, endpointCap);
  }
  /** Answers the call this environment last received. */
  ipcReply(message?: IpcMessage): void {
    this.#kernel.ipcReply(this.#env, message);
  }
  /**
   * A call answered at once by a receiver that waits with an IPC upcall (its handler runs now and replies):
   * E_AGAIN when none waits, E_LABEL when the flow policy forbids it, E_STATE when it did not reply or its
   * environment ended.
   */
  ipcCallNow(endpointCap: number, message?: IpcMessage): IpcResult {
    return this.#kernel.ipcCallNow(this.#env, endpointCap, message);
  }
  /** Starts a send, recv or call that may wait; returns its completion token. */
  ipcSubmit(request: { op: IpcOperation; endpoint: number; message?: IpcMessage }): number {
    return this.#kernel.ipcSubmit(this.#env, request);
  }
  ipcPoll(token: number): IpcResult | null {
    return this.#kernel.ipcPoll(this.#env, token);
  }
  ipcWait(token: number): Promise<IpcResult> {
    return this.#kernel.ipcWait(this.#env, token);
  }
  ipcCancel(token: number): void {
    this.#kernel.ipcCancel(this.#env, token);
  }

  // devices
  /** The device capabilities of the first environment (null for others, or without devices). */
  bootCapabilities(): BootCapabilities | null {
    return this.#kernel.bootCapabilities(this.#env);
  }
  portIn(portCap: number, offset: number, size: number): number {
    return this.#kernel.portIn(this.#env, portCap, offset, size);
  }
  portOut(portCap: number, offset: number, size: number, value: number): void {
    this.#kernel.portOut(this.#env, portCap, offset, size, value);
  }
  irqAttach(irqCap: number): void {
    this.#kernel.irqAttach(this.#env, irqCap);
  }
  irqDetach(irqCap: number): void {
    this.#kernel.irqDetach(this.#env, irqCap);
  }
  timerSet(timerCap: number, deadlineNs: number): void {
    this.#kernel.timerSet(this.#env, timerCap, deadlineNs);
  }
  timerCancel(timerCap: number): void {
    this.#kernel.timerCancel(this.#env, timerCap);
  }
  clockNow(timerCap: number): number {
    return this.#kernel.clockNow(this.#env, timerCap);
  }
  blkInfo(extentCap: number): { sectors: number } {
    return this.#kernel.blkInfo(this.#env, extentCap);
  }
  blkRead(extentCap: number, sector: number, count: number, frameCap: number, offset = 0): void {
    this.#kernel.blkRead(this.#env, extentCap, sector, count, frameCap, offset);
  }
  blkWrite(extentCap: number, sector: number, count: number, frameCap: number, offset = 0): void {
    this.#kernel.blkWrite(this.#env, extentCap, sector, count, frameCap, offset);
  }
  blkFlush(extentCap: number): void {
    this.#kernel.blkFlush(this.#env, extentCap);
  }
  blkSplit(extentCap: number, start: number, count: number): number {
    return this.#kernel.blkSplit(this.#env, extentCap, start, count);
  }

  // capabilities
  capDerive(cap: number, request: { rights: number; label?: string; badge?: number }): number {
    return this.#kernel.capDerive(this.#env, cap, request);
  }
  capGrant(
    cap: number,
    request: { rights: number; label?: string; badge?: number },
    toEnvCap: number,
  ): number {
    return this.#kernel.capGrant(this.#env, cap, request, toEnvCap);
  }
  capTransfer(cap: number, toEnvCap: number): number {
    return this.#kernel.capTransfer(this.#env, cap, toEnvCap);
  }
  capRevoke(cap: number): number {
    return this.#kernel.capRevoke(this.#env, cap);
  }
  capDelete(cap: number): void {
    this.#kernel.capDelete(this.#env, cap);
  }
  capInspect(cap: number): CapabilityInfo {
    return this.#kernel.capInspect(this.#env, cap);
  }
  /** Capabilities of this environment revoked since the last call, with the mappings that went with them. */
  takeRevocations(): RevocationNotice[] {
    return this.#kernel.takeRevocations(this.#env);
  }
}
