/**
 * The exokernel's state and its primitives. Mechanism only: frames, address spaces, environments and
 * capabilities, each primitive checking the caller's capability (rights, object type, label) before it
 * changes anything, and changing nothing when it refuses.
 *
 * Every physical frame handed out has an original capability in the kernel's own CapSpace; what an
 * environment holds is derived from it, so revoking the original (when its allocator frees it) reaches
 * every copy in every space. A mapping is remembered with the capability that authorised it: deleting or
 * revoking that capability unmaps the page everywhere it was mapped through it, and the holder finds a
 * `RevocationNotice` (visible revocation).
 *
 * Labels follow the Denning flow policy of the lattice: mapping a frame readable into an address space is
 * a read of the frame by the space (frame label <= space label), mapping it writable is also a write
 * (space label <= frame label).
 */
import {
  type CapabilityFields,
  type CapSpace,
  DerivationTree,
  denningPolicy,
  EXOV6_LATTICE,
  type FiniteLattice,
  type FlowPolicy,
  type ObjectRef,
  Rights,
} from '@exov6/caplattice';
import {
  Cpu,
  CpuContext,
  FrameAllocator,
  PAGE_SIZE,
  type PcPlatformOptions,
  PhysicalMemory,
} from '@exov6/hal-x86';
import { DeviceLayer, type Extent, IRQ_PINS } from './devices';
import type { PolicyName } from '@exov6/sched-beatty';
import { DEFAULT_SLICE, Executor, type RunOptions, type RunSummary } from './execution';
import type { UpcallHandlers } from './upcalls';
import { ExoAddressSpace } from './address-space';
import { CapabilityMappings, MappingRecord } from './mapping-record';
import { PcidPool } from './pcid-pool';
import { EnvApi } from './env-api';
import { type GuestIpcKind, regNumber } from './guest-abi';
import { GuestWaiter, readMessageRegisters } from './guest-ipc';
import { GuestIpcUpcalls } from './guest-ipc-upcall';
import { Environment, type RevocationNotice } from './environment';
import { checkInteger, ExoError, fromCapLattice } from './errors';
import {
  Endpoint,
  type IpcMessage,
  type IpcOperation,
  type IpcResult,
  IpcSystem,
  messageWords,
  NO_WORDS,
  type ReceivedMessage,
  ResultWaiter,
  type Waiter,
} from './ipc';
import {
  ADDRESS_SPACE_RIGHTS,
  BLOCK_EXTENT_RIGHTS,
  ENDPOINT_RIGHTS,
  IO_PORT_RIGHTS,
  IRQ_RIGHTS,
  TIMER_RIGHTS,
  ENVIRONMENT_RIGHTS,
  FRAME_RIGHTS,
  ObjectType,
  type ObjectTypeName,
} from './objects';

/** User virtual addresses: the lower canonical half, below 2^47. */
export const USER_VA_LIMIT = 2 ** 47;
/** At most this many bytes move in one frameRead/frameWrite (one frame). */
const MAX_IO = PAGE_SIZE;

export interface ExokernelOptions {
  /** Guest physical memory in bytes (default 64 MiB). */
  memoryBytes?: number;
  /** The security lattice (default the ExoV6 lattice). */
  lattice?: FiniteLattice;
  /** The sched-beatty policy that picks the next environment (default 'beatty'). */
  policy?: PolicyName;
  /** Time slice in retired instructions (default 10 000). */
  sliceInstructions?: number;
  /**
   * The PC devices (hal-x86's PcPlatform: PIT, RTC, COM1, the interrupt controllers, and virtio-blk with
   * `disk`), handed out as capabilities to the first environment. Without it the machine has no devices.
   */
  platform?: PcPlatformOptions;
}

/** The device capabilities the first environment receives (see devices.ts). */
export interface BootCapabilities {
  readonly ports: {
    readonly com1: number;
    readonly pit: number;
    readonly port61: number;
    readonly rtc: number;
  };
  readonly irqs: { readonly pit: number; readonly com1: number; readonly rtc: number; readonly disk: number };
  readonly timer: number;
  /** The whole disk, when the machine has one. */
  readonly disk: number | null;
}

export interface RootEnvironmentOptions {
  /** Frames the first environment may hold (default: all of memory the kernel does not use). */
  quota?: number;
  /** Its label (a lattice node name; default the lattice's top). */
  label?: string;
}

/** What `capInspect` tells the holder about one of its capabilities. */
export interface CapabilityInfo {
  readonly type: string;
  readonly objectId: number;
  readonly rights: number;
  readonly label: string;
  readonly badge: number | undefined;
}

/** See `Exokernel.snapshot`. */
export interface KernelSnapshot {
  envs: {
    id: number;
    status: string;
    /** Why it is suspended or dead ('' otherwise). */
    reason: string;
    quotaLimit: number;
    quotaUsed: number;
    revocations: number;
    /** Instructions it may still retire (Infinity: no limit). */
    gas: number;
    weight: number;
    /** The names of the upcall handlers its library OS registered, sorted. */
    upcalls: string[];
    /** Its saved registers: RIP and RAX..R15 as decimal strings (RAX..R15 signed), and the rest as numbers. */
    context: {
      rip: string;
      regs: string[];
      rflags: number;
      fsBase: number;
      gsBase: number;
      mxcsr: number;
    };
    /** The address space it runs in, or null. */
    addressSpace: number | null;
    /** The endpoint its guest code is blocked at, or null. */
    waitingAt: number | null;
    /** The environment whose call it received and has not answered yet, or null. */
    replyTo: number | null;
    /** Its completion tokens: 'pending', 'ok' or the error the operation ended with. */
    tokens: { token: number; endpoint: number; op: string; result: string }[];
    caps: {
      id: number;
      type: string;
      object: number;
      rights: number;
      label: number;
      badge: number | undefined;
    }[];
  }[];
  spaces: {
    id: number;
    /** The environments that run in it. */
    users: number[];
    mappings: {
      va: number;
      frame: number;
      writable: boolean;
      executable: boolean;
      holder: number;
      capId: number;
    }[];
  }[];
  /** Every endpoint and who waits in its queues, in order. */
  endpoints: {
    id: number;
    senders: { env: number; op: string }[];
    receivers: number[];
  }[];
  /** The device side, when the machine has devices. */
  devices: {
    /** Which environment each attached interrupt line interrupts. */
    irqOwners: { pin: number; env: number }[];
    /** Callbacks scheduled on the machine clock (timer deadlines and device events). */
    clockPending: number;
    /** The earliest of them (Infinity when none is). */
    nextDeadlineNs: number;
    /** Machine time. */
    nowNs: number;
    /** Environments whose timer fell due and whose upcall has not run yet. */
    dueTimers: number[];
    /** Every extent object: its sectors. */
    extents: { id: number; start: number; count: number }[];
  } | null;
  framesInUse: number;
  capabilities: number;
}

/** An asynchronous IPC operation: its waiter, its result once complete, and who waits for it. */
interface AsyncIpc {
  readonly waiter: Waiter;
  readonly endpoint: Endpoint;
  result: IpcResult | null;
  readonly resolvers: ((r: IpcResult) => void)[];
}

/** Frame bookkeeping: who allocated it, through which capability, and its original in the kernel space. */
interface FrameRecord {
  readonly owner: Environment;
  readonly ownerCap: number;
  readonly root: number;
}

export class Exokernel {
  readonly memory: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly cpu: Cpu;
  readonly lattice: FiniteLattice;
  readonly flow: FlowPolicy<number>;
  readonly tree: DerivationTree<number>;
  /** The kernel's own space: the original of every capability it hands out. */
  private readonly kernelSpace: CapSpace<number>;
  private readonly environments = new Map<number, Environment>();
  private readonly addressSpaces = new Map<number, ExoAddressSpace>();
  /** MMU context identifiers for address spaces (their translations survive switches between them). */
  private readonly pcids = new PcidPool();
  private readonly frameRecords = new Map<number, FrameRecord>();
  /** The environment whose call is revoking capabilities right now: it is not told about its own. */
  private revoker: Environment | null = null;
  private nextEnvId = 1;
  private nextSpaceId = 1;
  /** The CPU multiplexer (scheduler, slices, upcalls). */
  readonly executor: Executor;
  /** The devices, when the machine has them (`platform` option). */
  readonly devices: DeviceLayer | null;
  private readonly bootCaps = new Map<Environment, BootCapabilities>();
  /** Endpoints by id (ids count up from 1 and are never reused; an array: IPC looks one up per call). */
  private readonly endpoints: (Endpoint | undefined)[] = [];
  /** The endpoint capability's fields in an IPC lookup (read at once: one object serves every call). */
  private readonly ipcCap: CapabilityFields<number> = {
    type: '',
    objectId: 0,
    rights: 0,
    label: 0,
    badge: undefined,
  };
  /** A reply's words, copied from the replier's registers (a reply is delivered at once). */
  private readonly replyWords = new Int32Array(8);
  private nextEndpointId = 1;
  private readonly ipc = new IpcSystem({
    moveCapability: (from, cap, to) => this.moveCapability(from, cap, to, 'ipc'),
    // (Equal labels may always send: the flow relation, <= in the lattice, is reflexive.)
    canSend: (from, to) => from.label === to.label || this.flow.canSend(from.label, to.label),
  });
  /** Guest environments receiving IPC through upcalls (ipc_listen). */
  private readonly ipcUpcalls = new GuestIpcUpcalls({
    receiveEndpoint: (env, cap, op) => {
      const c = this.capability(env, cap, ObjectType.ENDPOINT, Rights.IPC_RECV, op);
      return this.endpoints[c.objectId] as Endpoint;
    },
    arriveReceiver: (endpoint, waiter) => this.ipc.arriveReceiver(endpoint, waiter, true),
    withdraw: (endpoint, waiter) => {
      this.ipc.withdraw(endpoint, waiter);
    },
    wake: (env, result) => {
      if (env.status !== 'waiting') return;
      env.context.setReg(0, BigInt(result));
      this.wake(env);
    },
    block: (env) => this.block(env, null),
    writeGuest: (env, va, data) => this.guestMemory(env, va, data.length, data) !== null,
    kill: (env, reason) => this.endEnvironment(env, reason),
  });
  /** Completion tokens of asynchronous IPC, per environment. */
  private readonly tokens = new Map<Environment, Map<number, AsyncIpc>>();
  private nextToken = 1;

  constructor(options: ExokernelOptions = {}) {
    const bytes = options.memoryBytes ?? 64 * 1024 * 1024;
    checkInteger('Exokernel', 'memoryBytes', bytes, 1 << 20, 2 ** 40);
    this.memory = new PhysicalMemory(bytes);
    this.frames = new FrameAllocator(this.memory); // frame 0 stays unused: a null address is never a page
    this.cpu = new Cpu(this.memory, { cpl: 3 });
    this.lattice = options.lattice ?? EXOV6_LATTICE;
    this.flow = denningPolicy(this.lattice);
    this.tree = new DerivationTree({ lattice: this.lattice });
    this.kernelSpace = this.tree.createSpace('kernel');
    this.devices =
      options.platform === undefined
        ? null
        : new DeviceLayer(this.memory, this.cpu, this.frames, options.platform);
    const slice = checkInteger(
      'Exokernel',
      'sliceInstructions',
      options.sliceInstructions ?? DEFAULT_SLICE,
      1,
      2 ** 31,
    );
    this.executor = new Executor(
      this.cpu,
      options.policy ?? 'beatty',
      slice,
      (env, reason) => this.endEnvironment(env, reason),
      (env) => this.outOfGas(env),
      this.guestServices(),
      this.devices,
    );
  }

  /** The kernel's side of the guest ABI (guest-abi.ts): the same primitives, integer arguments. */
  private guestServices() {
    return {
      frameAlloc: (env: Environment) => this.frameAlloc(env),
      frameFree: (env: Environment, cap: number) => this.frameFree(env, cap),
      map: (env: Environment, space: number, va: number, frame: number, flags: number) => {
        checkInteger('map', 'flags', flags, 0, 3);
        this.map(env, space, va, frame, { writable: (flags & 1) !== 0, executable: (flags & 2) !== 0 });
      },
      unmap: (env: Environment, space: number, va: number) => this.unmap(env, space, va),
      capDerive: (env: Environment, cap: number, rights: number) => this.capDerive(env, cap, { rights }),
      capRevoke: (env: Environment, cap: number) => this.capRevoke(env, cap),
      capDelete: (env: Environment, cap: number) => this.capDelete(env, cap),
      capGrant: (env: Environment, cap: number, rights: number, toEnv: number) =>
        this.capGrant(env, cap, { rights }, toEnv),
      capTransfer: (env: Environment, cap: number, toEnv: number) => this.capTransfer(env, cap, toEnv),
      exit: (env: Environment) => this.endEnvironment(env, 'exited'),
      endpointCreate: (env: Environment) => this.endpointCreate(env),
      ipc: (env: Environment, kind: GuestIpcKind, regs: Int32Array) => this.guestIpc(env, kind, regs),
      ipcListen: (env: Environment, endpoint: number, entry: number, stackTop: number) =>
        this.ipcUpcalls.listen(env, endpoint, entry, stackTop),
      upcallWait: (env: Environment) => this.ipcUpcalls.wait(env),
      ipcUpcallDone: (env: Environment) => this.ipcUpcalls.handlerDone(env),
      deliverUpcall: (env: Environment) => this.ipcUpcalls.deliver(env, env.context),
      readGuest: (env: Environment, va: number, length: number) => this.guestMemory(env, va, length, null),
      writeGuest: (env: Environment, va: number, data: Uint8Array) =>
        this.guestMemory(env, va, data.length, data) !== null,
    };
  }

  /**
   * Reads (data null) or writes guest memory of `env`'s address space, page by page through the kernel's
   * mapping records: every page must be mapped (and writable, to write). Null if one is not.
   */
  private guestMemory(
    env: Environment,
    va: number,
    length: number,
    data: Uint8Array | null,
  ): Uint8Array | null {
    const aspace = env.addressSpace;
    if (aspace === null || !Number.isSafeInteger(va) || va < 0 || va + length > USER_VA_LIMIT) return null;
    const out = data ?? new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const at = va + done;
      const page = at - (at % PAGE_SIZE);
      const m = aspace.mappings.get(page);
      if (m === undefined || (data !== null && !m.writable)) return null;
      const n = Math.min(length - done, page + PAGE_SIZE - at);
      const pa = m.frame * PAGE_SIZE + (at - page);
      if (data === null) out.set(this.memory.bytes.subarray(pa, pa + n), done);
      else this.memory.write(pa, data.subarray(done, done + n));
      done += n;
    }
    return out;
  }

  /** Runs the runnable environments (see execution.ts) until none is left or a limit is reached. */
  run(options?: RunOptions): RunSummary {
    return this.executor.run(options);
  }

  // ------------------------------------------------------------------ environments

  /** Creates the first environment (the one a library OS boots in). */
  createRootEnvironment(options: RootEnvironmentOptions = {}): Environment {
    const quota = options.quota ?? this.frames.framesFree;
    checkInteger('createRootEnvironment', 'quota', quota, 0, this.memory.frameCount);
    const label =
      options.label === undefined ? this.lattice.top : this.labelNode('createRootEnvironment', options.label);
    const env = this.newEnvironment(label, quota, null);
    if (this.devices !== null) this.bootCaps.set(env, this.deviceCapabilities(env));
    return env;
  }

  /** The device capabilities the first environment received (null on a machine without devices). */
  bootCapabilities(env: Environment): BootCapabilities | null {
    return this.bootCaps.get(env) ?? null;
  }

  private deviceCapabilities(env: Environment): BootCapabilities {
    const give = (type: string, id: number, rights: number) => {
      const root = this.kernelSpace.create({ type, id }, rights, env.label);
      return this.kernelSpace.derive(root, { rights }, env.space);
    };
    const port = (base: number) => give(ObjectType.IO_PORTS, base, IO_PORT_RIGHTS);
    const irq = (pin: number) => give(ObjectType.IRQ, pin, IRQ_RIGHTS);
    const devices = this.devices as DeviceLayer;
    const pins = [...IRQ_PINS.keys()];
    return {
      ports: { com1: port(0x3f8), pit: port(0x40), port61: port(0x61), rtc: port(0x70) },
      irqs: {
        pit: irq(pins[0] as number),
        com1: irq(pins[1] as number),
        rtc: irq(pins[2] as number),
        disk: irq(pins[3] as number),
      },
      timer: give(ObjectType.TIMER, 0, TIMER_RIGHTS),
      disk:
        devices.disk === null
          ? null
          : give(ObjectType.BLOCK_EXTENT, devices.newExtent(0, devices.disk.capacity), BLOCK_EXTENT_RIGHTS),
    };
  }

  // ------------------------------------------------------------------ devices

  private deviceLayer(op: string): DeviceLayer {
    if (this.devices === null) throw new ExoError('E_STATE', `${op}: the machine has no devices`);
    return this.devices;
  }

  /** portIn: reads a device register (READ on the port range); `offset` within the range, `size` 1, 2 or 4. */
  portIn(caller: Environment, portCap: number, offset: number, size: number): number {
    const op = 'portIn';
    this.live(caller, op);
    const base = this.objectIdOf(caller, portCap, ObjectType.IO_PORTS, Rights.READ, op);
    return this.deviceLayer(op).portIn(base, offset, size);
  }

  /** portOut: writes a device register (WRITE on the port range). */
  portOut(caller: Environment, portCap: number, offset: number, size: number, value: number): void {
    const op = 'portOut';
    this.live(caller, op);
    const base = this.objectIdOf(caller, portCap, ObjectType.IO_PORTS, Rights.WRITE, op);
    this.deviceLayer(op).portOut(base, offset, size, value);
  }

  /** irqAttach: the line's interrupts become `interrupt` upcalls of the caller (IRQ right). */
  irqAttach(caller: Environment, irqCap: number): void {
    const op = 'irqAttach';
    this.live(caller, op);
    const pin = this.objectIdOf(caller, irqCap, ObjectType.IRQ, Rights.IRQ, op);
    this.deviceLayer(op).irqAttach(caller, pin, irqCap);
  }

  irqDetach(caller: Environment, irqCap: number): void {
    const op = 'irqDetach';
    const pin = this.objectIdOf(caller, irqCap, ObjectType.IRQ, Rights.IRQ, op);
    this.deviceLayer(op).irqDetach(caller, pin);
  }

  /** timerSet: a `timer` upcall at machine time `deadlineNs` (TIMER right); replaces a pending one. */
  timerSet(caller: Environment, timerCap: number, deadlineNs: number): void {
    const op = 'timerSet';
    this.live(caller, op);
    this.objectIdOf(caller, timerCap, ObjectType.TIMER, Rights.TIMER, op);
    this.deviceLayer(op).timerSet(caller, deadlineNs, timerCap);
  }

  timerCancel(caller: Environment, timerCap: number): void {
    const op = 'timerCancel';
    this.objectIdOf(caller, timerCap, ObjectType.TIMER, Rights.TIMER, op);
    this.deviceLayer(op).timerCancel(caller);
  }

  /** clockNow: machine time in ns (READ on the timer). */
  clockNow(caller: Environment, timerCap: number): number {
    const op = 'clockNow';
    this.objectIdOf(caller, timerCap, ObjectType.TIMER, Rights.READ, op);
    return this.deviceLayer(op).platform.clock.nowNs();
  }

  /** blkInfo: the extent's size in sectors (READ). */
  blkInfo(caller: Environment, extentCap: number): { sectors: number } {
    const op = 'blkInfo';
    const id = this.objectIdOf(caller, extentCap, ObjectType.BLOCK_EXTENT, Rights.READ, op);
    return { sectors: this.extent(id, op).count };
  }

  /**
   * blkRead: `count` sectors (1 to 8) at `sector` of the extent into the frame at byte `offset` (READ on
   * the extent; DMA and WRITE on the frame, whose label must allow the write).
   */
  blkRead(
    caller: Environment,
    extentCap: number,
    sector: number,
    count: number,
    frameCap: number,
    offset: number,
  ): void {
    this.blockIo(caller, 'blkRead', extentCap, sector, count, frameCap, offset);
  }

  /** blkWrite: the other way (WRITE on the extent; DMA and READ on the frame). */
  blkWrite(
    caller: Environment,
    extentCap: number,
    sector: number,
    count: number,
    frameCap: number,
    offset: number,
  ): void {
    this.blockIo(caller, 'blkWrite', extentCap, sector, count, frameCap, offset);
  }

  private blockIo(
    caller: Environment,
    op: 'blkRead' | 'blkWrite',
    extentCap: number,
    sector: number,
    count: number,
    frameCap: number,
    offset: number,
  ): void {
    this.live(caller, op);
    const reading = op === 'blkRead';
    const ext = this.capability(
      caller,
      extentCap,
      ObjectType.BLOCK_EXTENT,
      reading ? Rights.READ : Rights.WRITE,
      op,
    );
    const frame = this.capability(
      caller,
      frameCap,
      ObjectType.FRAME,
      Rights.DMA | (reading ? Rights.WRITE : Rights.READ),
      op,
    );
    // Data flows from the disk into the frame on a read, and back on a write.
    const flows = reading
      ? this.lattice.leq(ext.label, frame.label)
      : this.lattice.leq(frame.label, ext.label);
    if (!flows)
      throw new ExoError('E_LABEL', `${op}: the labels of the extent and the frame forbid this flow`);
    const devices = this.deviceLayer(op);
    devices.blockIo(op, this.extent(ext.objectId, op), sector, count, frame.objectId, offset);
  }

  /**
   * The extent an extent capability names, provided every capability up its split chain still resolves
   * (a split is cut off when what it was split from is revoked).
   */
  private extent(id: number, op: string): Extent {
    const devices = this.deviceLayer(op);
    const fields: CapabilityFields<number> = { type: '', objectId: 0, rights: 0, label: 0, badge: undefined };
    const ext = devices.extents.get(id) as Extent;
    let at: Extent | undefined = ext;
    while (at?.source !== undefined) {
      if (!at.source.env.space.lookup(at.source.capId, fields)) {
        throw new ExoError('E_BADCAP', `${op}: the extent this one was split from has been revoked`);
      }
      at = devices.extents.get(fields.objectId);
    }
    return ext;
  }

  /** blkFlush: makes earlier writes durable (WRITE on an extent). */
  blkFlush(caller: Environment, extentCap: number): void {
    const op = 'blkFlush';
    this.objectIdOf(caller, extentCap, ObjectType.BLOCK_EXTENT, Rights.WRITE, op);
    this.deviceLayer(op).blockFlush();
  }

  /** blkSplit: a capability to sectors [start, start + count) of the extent, as a new extent (GRANT). */
  blkSplit(caller: Environment, extentCap: number, start: number, count: number): number {
    const op = 'blkSplit';
    this.live(caller, op);
    const ext = this.capability(caller, extentCap, ObjectType.BLOCK_EXTENT, Rights.GRANT, op);
    const devices = this.deviceLayer(op);
    const parent = this.extent(ext.objectId, op);
    checkInteger(op, 'count', count, 1, parent.count);
    checkInteger(op, 'start', start, 0, parent.count - count);
    const id = devices.newExtent(parent.start + start, count, { env: caller, capId: extentCap });
    const root = this.kernelSpace.create({ type: ObjectType.BLOCK_EXTENT, id }, ext.rights, ext.label);
    return this.wrap(op, () => this.kernelSpace.derive(root, { rights: ext.rights }, caller.space));
  }

  private newEnvironment(label: number, quota: number, parent: Environment | null): Environment {
    const id = this.nextEnvId++;
    let env: Environment | null = null;
    const space = this.tree.createSpace({
      name: `env${id}`,
      onRevoked: (capId) => this.revoked(env as Environment, capId),
    });
    env = new Environment(id, space, label, quota, parent);
    this.environments.set(id, env);
    return env;
  }

  /**
   * Makes the kernel's root capability to a new object and the caller's copy of it. If either cannot be
   * placed (E_FULL: the caller's space or the derivation tree is full), `undo` takes the object back, so a
   * refused creation leaves nothing behind.
   */
  private issue(
    op: string,
    object: ObjectRef,
    rights: number,
    label: number,
    caller: Environment,
    undo: () => void,
  ): { root: number; id: number } {
    let root = -1;
    try {
      root = this.wrap(op, () => this.kernelSpace.create(object, rights, label));
      const id = this.wrap(op, () => this.kernelSpace.derive(root, { rights }, caller.space));
      return { root, id };
    } catch (e) {
      if (root >= 0) this.kernelSpace.delete(root);
      undo();
      throw e;
    }
  }

  /** envCreate: a new environment with `quota` frames taken from the caller's, at a label <= the caller's. */
  envCreate(caller: Environment, options: { quota: number; label?: string }): number {
    const op = 'envCreate';
    this.live(caller, op);
    const quota = checkInteger(op, 'quota', options?.quota, 0, Number.MAX_SAFE_INTEGER);
    const label = options.label === undefined ? caller.label : this.labelNode(op, options.label);
    if (!this.lattice.leq(label, caller.label)) {
      throw new ExoError('E_LABEL', `${op}: label ${options.label} is not <= the caller's label`);
    }
    caller.charge(quota); // E_NOMEM when the caller has less quota left
    const child = this.newEnvironment(label, quota, caller);
    const undo = () => {
      this.environments.delete(child.id);
      caller.refund(quota);
    };
    return this.issue(
      op,
      { type: ObjectType.ENVIRONMENT, id: child.id },
      ENVIRONMENT_RIGHTS,
      label,
      caller,
      undo,
    ).id;
  }

  environment(id: number): Environment | undefined {
    return this.environments.get(id);
  }

  /** The TypeScript calling convention for library-OS code running as `env`. */
  bind(env: Environment): EnvApi {
    return new EnvApi(this, env);
  }

  /** The environment an environment capability of `holder` names (for the host, e.g. to bind a child). */
  environmentOf(holder: Environment, envCap: number): Environment {
    const env = this.environments.get(
      this.objectIdOf(holder, envCap, ObjectType.ENVIRONMENT, Rights.INVOKE, 'environmentOf'),
    );
    if (env === undefined) throw new ExoError('E_STATE', 'environmentOf: no such environment');
    return env;
  }

  /**
   * Everything the primitives can change, as plain data: per environment its status (and why), quota,
   * gas, weight, registered upcalls, saved registers, address space, IPC state (where it waits, the call it
   * owes a reply, its completion tokens) and capabilities (id, object, rights, label); per address space
   * its users and mappings; every endpoint's queues; the device side (attached interrupt lines, the machine
   * clock's pending callbacks, the extents); and the frames in use. Two snapshots are equal exactly when no
   * primitive changed anything in between (the isolation tests compare them around every refused call).
   */
  snapshot(): KernelSnapshot {
    const envs = [...this.environments.values()].map((e) => {
      this.executor.syncFpu(e);
      const ctx = e.context;
      const upcalls = e.upcalls as Record<string, unknown>;
      return {
        id: e.id,
        status: e.status,
        reason: e.reason,
        quotaLimit: e.quotaLimit,
        quotaUsed: e.quotaUsed,
        revocations: e.revocations.length,
        gas: e.gas,
        weight: e.weight,
        upcalls: Object.keys(upcalls)
          .filter((name) => upcalls[name] !== undefined)
          .sort(),
        context: {
          rip: String(ctx.rip),
          regs: Array.from({ length: 16 }, (_, r) => ctx.getReg(r).toString()),
          rflags: ctx.rflags,
          fsBase: ctx.fsBase,
          gsBase: ctx.gsBase,
          mxcsr: ctx.mxcsr,
        },
        addressSpace: e.addressSpace?.id ?? null,
        waitingAt: e.waitingAt?.endpoint?.id ?? null,
        replyTo: e.replyTo?.env.id ?? null,
        tokens: [...(this.tokens.get(e) ?? [])].map(([token, entry]) => ({
          token,
          endpoint: entry.endpoint.id,
          op: entry.waiter.op,
          result: entry.result === null ? 'pending' : entry.result.ok ? 'ok' : entry.result.error,
        })),
        caps: e.space.ids().map((id) => {
          const c = e.space.inspect(id);
          return {
            id,
            type: c.object.type,
            object: c.object.id,
            rights: c.rights,
            label: c.label,
            badge: c.badge,
          };
        }),
      };
    });
    const spaces = [...this.addressSpaces.values()].map((a) => ({
      id: a.id,
      users: [...a.users].map((u) => u.id),
      mappings: [...a.mappings.values()].map((m) => ({
        va: m.va,
        frame: m.frame,
        writable: m.writable,
        executable: m.executable,
        holder: m.holder.id,
        capId: m.capId,
      })),
    }));
    const endpoints = this.endpoints
      .filter((ep): ep is Endpoint => ep !== undefined)
      .map((ep) => ({
        id: ep.id,
        senders: ep.senders.map((w) => ({ env: w.env.id, op: w.op })),
        receivers: ep.receivers.map((w) => w.env.id),
      }));
    const d = this.devices;
    const devices =
      d === null
        ? null
        : {
            irqOwners: [...d.irqOwners].map(([pin, env]) => ({ pin, env: env.id })),
            clockPending: d.platform.clock.pending,
            nextDeadlineNs: d.platform.clock.nextDeadlineNs(),
            nowNs: d.platform.clock.nowNs(),
            dueTimers: d.dueTimers.map((t) => t.env.id),
            extents: [...d.extents].map(([id, x]) => ({ id, start: x.start, count: x.count })),
          };
    return {
      envs,
      spaces,
      endpoints,
      devices,
      framesInUse: this.frames.framesInUse,
      capabilities: this.tree.stats().capabilities,
    };
  }

  /** null: does nothing but check that the caller is alive; the cheapest primitive (for benchmarks). */
  null(caller: Environment): number {
    this.live(caller, 'null');
    return 0;
  }

  // ------------------------------------------------------------------ environment control

  /** envSetAddressSpace: the address space an environment runs in (INVOKE on it, MAP on the space). */
  envSetAddressSpace(caller: Environment, envCap: number, spaceCap: number): void {
    const op = 'envSetAddressSpace';
    this.live(caller, op);
    const env = this.controlled(caller, envCap, op);
    const space = this.objectIdOf(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.MAP, op);
    const aspace = this.addressSpaces.get(space) as ExoAddressSpace;
    env.addressSpace?.users.delete(env);
    env.addressSpace = aspace;
    aspace.users.add(env);
  }

  /** envReadContext: a copy of a stopped environment's registers (INVOKE). */
  envReadContext(caller: Environment, envCap: number): CpuContext {
    const env = this.controlled(caller, envCap, 'envReadContext');
    this.executor.syncFpu(env);
    return env.context.clone();
  }

  /** envWriteContext: sets an environment's registers (INVOKE), e.g. its entry point and stack. */
  envWriteContext(caller: Environment, envCap: number, context: CpuContext): void {
    const op = 'envWriteContext';
    const env = this.controlled(caller, envCap, op);
    // Copy into a scratch context first, so a malformed object changes nothing.
    const scratch = CpuContext.initial();
    try {
      if (!(context instanceof CpuContext)) throw new TypeError('not a CpuContext');
      scratch.copyFrom(context);
      if (!Number.isSafeInteger(scratch.rip)) throw new TypeError('rip is not an address');
    } catch {
      throw new ExoError('E_INVAL', `${op}: not a well-formed CpuContext`);
    }
    env.context.copyFrom(scratch);
    this.executor.forgetFpu(env);
  }

  /** envSetUpcalls: the library OS handlers of an environment (INVOKE). */
  envSetUpcalls(caller: Environment, envCap: number, handlers: UpcallHandlers): void {
    this.controlled(caller, envCap, 'envSetUpcalls').upcalls = { ...handlers };
  }

  /**
   * envSetPgfaultUpcall: the guest page-fault handler of an environment (INVOKE), as the guest primitive
   * SET_PGFAULT_UPCALL sets its own: a manager (a library OS's fork) can give a child its handler before
   * it first runs.
   */
  envSetPgfaultUpcall(
    caller: Environment,
    envCap: number,
    upcall: { entry: number; stackTop: number },
  ): void {
    const op = 'envSetPgfaultUpcall';
    const env = this.controlled(caller, envCap, op);
    const entry = checkInteger(op, 'entry', upcall?.entry, 0, USER_VA_LIMIT - 1);
    const stackTop = checkInteger(op, 'stackTop', upcall?.stackTop, 0, USER_VA_LIMIT);
    env.guestPageFault = { entry, stackTop };
  }

  /** setUpcalls: the caller's own handlers (gasExhausted is called for its children). */
  setUpcalls(caller: Environment, handlers: UpcallHandlers): void {
    this.live(caller, 'setUpcalls');
    caller.upcalls = { ...handlers };
  }

  /** envSetGas: instructions the environment may still retire (INVOKE); Infinity for no limit. */
  envSetGas(caller: Environment, envCap: number, gas: number): void {
    const op = 'envSetGas';
    const env = this.controlled(caller, envCap, op);
    if (gas !== Number.POSITIVE_INFINITY) checkInteger(op, 'gas', gas, 0, Number.MAX_SAFE_INTEGER);
    env.gas = gas;
  }

  /** envSetWeight: the environment's share of the CPU (INVOKE), 1 to 2^20. */
  envSetWeight(caller: Environment, envCap: number, weight: number): void {
    const op = 'envSetWeight';
    const env = this.controlled(caller, envCap, op);
    env.weight = checkInteger(op, 'weight', weight, 1, 2 ** 20);
    if (this.executor.scheduler.has(env)) this.executor.scheduler.setWeight(env, env.weight);
  }

  /** envStart: makes a new or suspended environment runnable (INVOKE); it needs an address space. */
  envStart(caller: Environment, envCap: number): void {
    const op = 'envStart';
    this.live(caller, op);
    const env = this.controlled(caller, envCap, op);
    if (env.addressSpace === null)
      throw new ExoError('E_STATE', `${op}: the environment has no address space`);
    if (env.status === 'runnable') return;
    if (env.status === 'waiting') throw new ExoError('E_STATE', `${op}: the environment is blocked in IPC`);
    if (env.gas <= 0) throw new ExoError('E_STATE', `${op}: the environment has no gas`);
    env.status = 'runnable';
    env.reason = '';
    this.executor.statusChanged(env);
  }

  /** envSuspend: stops a runnable environment until envStart (INVOKE). */
  envSuspend(caller: Environment, envCap: number): void {
    const env = this.controlled(caller, envCap, 'envSuspend');
    if (env.status !== 'runnable') return;
    env.status = 'suspended';
    env.reason = 'suspended by its manager';
    this.executor.statusChanged(env);
  }

  /** envKill: ends an environment for good (INVOKE). */
  envKill(caller: Environment, envCap: number): void {
    this.endEnvironment(this.controlled(caller, envCap, 'envKill'), 'killed by its manager');
  }

  /** envStatus: an environment's status and the reason for it (READ). */
  envStatus(caller: Environment, envCap: number): { status: string; reason: string; gas: number } {
    const id = this.objectIdOf(caller, envCap, ObjectType.ENVIRONMENT, Rights.READ, 'envStatus');
    const env = this.environments.get(id) as Environment;
    return { status: env.status, reason: env.reason, gas: env.gas };
  }

  private endEnvironment(env: Environment, reason: string): void {
    if (env.status === 'dead') return;
    env.status = 'dead';
    env.reason = reason;
    this.executor.forget(env);
    // Its IPC: a blocked operation leaves its queue, a caller waiting for its reply is told, and its
    // asynchronous operations are cancelled.
    if (env.waitingAt?.endpoint) this.ipc.withdraw(env.waitingAt.endpoint, env.waitingAt.waiter);
    env.waitingAt = null;
    this.ipcUpcalls.forget(env);
    const caller = env.replyTo;
    env.replyTo = null;
    caller?.failed('E_STATE', 'the environment that received the call ended');
    for (const [token] of this.tokens.get(env) ?? []) this.cancelToken(env, token);
    this.tokens.delete(env);
    this.devices?.forget(env);
    // Its frames go back to the machine (unmapped everywhere), and the quota it was given, less what is
    // still charged to it (page tables of spaces that live on), goes back to its creator's line.
    for (const [frame, record] of [...this.frameRecords]) {
      if (record.owner === env) this.releaseFrame(frame, record, env);
    }
    const unused = env.quotaLimit - env.quotaUsed;
    if (unused > 0) this.passQuotaUp(env, unused);
    this.tellManager(env, reason);
  }

  /** Visible death: the manager of an ended environment is told (last, when the kernel is consistent). */
  private tellManager(env: Environment, reason: string): void {
    const manager = env.parent;
    if (manager === null || manager.status === 'dead') return;
    try {
      manager.upcalls.childEnded?.({ envId: env.id, reason });
    } catch (e) {
      this.endEnvironment(manager, `childEnded handler threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ------------------------------------------------------------------ address-space lifetime

  /** Returns a space's page-table frames to the machine and to the quotas that paid for them. */
  private releaseTables(aspace: ExoAddressSpace): void {
    for (const [table, payer] of aspace.tablePayers) {
      this.frames.release(table);
      this.refund(payer, 1);
    }
  }

  /**
   * asDestroy: removes an address space (REVOKE on it): every mapping goes, its page-table frames return to
   * the machine and to the quotas that paid for them, and every capability to it is revoked. Refused with
   * E_STATE while a living environment runs in it.
   */
  asDestroy(caller: Environment, spaceCap: number): void {
    const op = 'asDestroy';
    this.live(caller, op);
    const id = this.objectIdOf(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.REVOKE, op);
    const aspace = this.addressSpaces.get(id) as ExoAddressSpace;
    for (const user of aspace.users) {
      if (user.status !== 'dead')
        throw new ExoError('E_STATE', `${op}: environment ${user.id} runs in this space`);
    }
    for (const m of [...aspace.mappings.values()]) this.removeMapping(aspace, m);
    for (const user of aspace.users) user.addressSpace = null;
    this.cpu.mmu.flushContext(aspace.pcid);
    this.pcids.give(aspace.pcid);
    this.releaseTables(aspace);
    this.addressSpaces.delete(id);
    this.asInitiator(caller, () => this.kernelSpace.revoke(aspace.rootCap));
    this.kernelSpace.delete(aspace.rootCap);
  }

  /**
   * protect: changes the permissions of the page at `va` in place (MAP on the space). Making it writable
   * or executable needs WRITE or EXECUTE on the capability the page was mapped through.
   */
  protect(
    caller: Environment,
    spaceCap: number,
    va: number,
    perms: { writable?: boolean; executable?: boolean },
  ): void {
    const op = 'protect';
    this.live(caller, op);
    const space = this.capability(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.MAP, op);
    this.checkPage(op, va);
    const aspace = this.addressSpaces.get(space.objectId) as ExoAddressSpace;
    const m = aspace.mappings.get(va);
    if (m === undefined) throw new ExoError('E_NOENT', `${op}: nothing is mapped at 0x${va.toString(16)}`);
    const writable = perms?.writable === true;
    const executable = perms?.executable === true;
    const need = (writable ? Rights.WRITE : 0) | (executable ? Rights.EXECUTE : 0);
    const through = this.wrap(op, () => m.holder.space.inspect(m.capId));
    if ((through.rights & need) !== need) {
      throw new ExoError('E_RIGHTS', `${op}: the page was mapped through a capability without those rights`);
    }
    if (writable && !this.flow.canWrite(space.label, through.label)) {
      throw new ExoError('E_LABEL', `${op}: a writable mapping needs the space's label <= the frame's`);
    }
    aspace.protect(va, writable, executable);
    this.cpu.mmu.invalidatePage(aspace.pcid, va);
  }

  // ------------------------------------------------------------------ IPC

  /** endpointCreate: a new IPC endpoint at the caller's label. */
  endpointCreate(caller: Environment): number {
    const op = 'endpointCreate';
    this.live(caller, op);
    const id = this.nextEndpointId++;
    this.endpoints[id] = new Endpoint(id);
    const undo = () => {
      this.endpoints[id] = undefined;
    };
    return this.issue(op, { type: ObjectType.ENDPOINT, id }, ENDPOINT_RIGHTS, caller.label, caller, undo).id;
  }

  /** ipcSend: delivers to a waiting receiver now (IPC_SEND), or refuses with E_AGAIN. */
  ipcSend(caller: Environment, endpointCap: number, message: IpcMessage = {}): void {
    const r = this.ipcNow(caller, 'send', endpointCap, message, 'ipcSend');
    if (!r.ok) throw new ExoError(r.error, `ipcSend: ${r.detail}`);
  }

  /** ipcRecv: takes a waiting sender's message (IPC_RECV), or null when none waits. */
  ipcRecv(caller: Environment, endpointCap: number): ReceivedMessage | null {
    const r = this.ipcNow(caller, 'recv', endpointCap, null, 'ipcRecv');
    if (r.ok) return r.message;
    if (r.error === 'E_AGAIN') return null;
    throw new ExoError(r.error, `ipcRecv: ${r.detail}`);
  }

  /** ipcReply: answers the call the caller last received (one-shot), moving `message.cap` if given. */
  ipcReply(caller: Environment, message: IpcMessage = {}): void {
    const op = 'ipcReply';
    this.live(caller, op);
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new ExoError('E_INVAL', `${op}: the message must be an object`);
    }
    const words = messageWords(op, message?.words);
    if (message.cap !== undefined) this.checkTransferable(caller, message.cap, op);
    this.ipc.reply(caller, words, message.cap ?? -1);
  }

  /** ipcSubmit: starts an operation that may wait; returns its completion token. */
  ipcSubmit(
    caller: Environment,
    request: { op: IpcOperation; endpoint: number; message?: IpcMessage },
  ): number {
    const op = 'ipcSubmit';
    this.live(caller, op);
    if (request?.op !== 'send' && request?.op !== 'recv' && request?.op !== 'call') {
      throw new ExoError('E_INVAL', `${op}: op must be 'send', 'recv' or 'call'`);
    }
    const prepared = this.prepareIpc(caller, request.op, request.endpoint, request.message ?? null, op);
    const token = this.nextToken++;
    let table = this.tokens.get(caller);
    if (table === undefined) {
      table = new Map();
      this.tokens.set(caller, table);
    }
    const waiter = new ResultWaiter(
      caller,
      request.op,
      (result) => {
        if (entry.result !== null) return;
        entry.result = result;
        for (const resolve of entry.resolvers.splice(0)) resolve(result);
        const handler = caller.upcalls.ipc;
        if (handler === undefined) return;
        if (this.handingOff && request.op === 'recv') {
          // The receiver of a direct call: its handler runs now, on the caller's time.
          this.handingOff = false;
          this.executor.runUpcall(caller, 'ipc', () => handler({ token, result }));
        } else this.executor.queueUpcall(caller, 'ipc', () => handler({ token, result }));
      },
      () => request.op === 'recv' && caller.upcalls.ipc !== undefined,
    );
    prepared.fill(waiter);
    const entry: AsyncIpc = { waiter, endpoint: prepared.endpoint, result: null, resolvers: [] };
    table.set(token, entry);
    if (request.op === 'recv') this.ipc.arriveReceiver(prepared.endpoint, waiter, true);
    else this.ipc.arriveSender(prepared.endpoint, waiter, true);
    return token;
  }

  /** Set while a direct call delivers: the receiver's completion runs its handler at once. */
  private handingOff = false;

  /**
   * ipcCallNow: a call handed straight to the receiver (a protected control transfer). The first receiver
   * waiting at the endpoint that the caller may reach must be an asynchronous receive of an environment with
   * an IPC upcall: its handler runs at once, in its own environment and on the caller's time, and the reply
   * it makes there is the result. Refused with E_AGAIN when no such receiver waits (nothing is delivered);
   * E_STATE when the handler returned without replying (the call is given up) or its environment ended
   * (the handler threw). A library OS uses it for servers whose answers it cannot go on without.
   */
  ipcCallNow(caller: Environment, endpointCap: number, message: IpcMessage = {}): IpcResult {
    const op = 'ipcCallNow';
    this.live(caller, op);
    const prepared = this.prepareIpc(caller, 'call', endpointCap, message, op);
    let result: IpcResult | null = null;
    const waiter = new ResultWaiter(caller, 'call', (r) => {
      result ??= r;
    });
    prepared.fill(waiter);
    this.handingOff = true;
    try {
      this.ipc.arriveSender(prepared.endpoint, waiter, false, true);
    } finally {
      this.handingOff = false;
    }
    if (result !== null) return result;
    for (const env of this.environments.values()) if (env.replyTo === waiter) env.replyTo = null;
    return { ok: false, error: 'E_STATE', detail: 'the receiver returned from its handler without replying' };
  }

  /** ipcPoll: the token's result, or null while it is pending. */
  ipcPoll(caller: Environment, token: number): IpcResult | null {
    return this.asyncEntry(caller, token, 'ipcPoll').result;
  }

  /** ipcWait: resolves with the token's result once the operation completes (as environments run). */
  ipcWait(caller: Environment, token: number): Promise<IpcResult> {
    const entry = this.asyncEntry(caller, token, 'ipcWait');
    if (entry.result !== null) return Promise.resolve(entry.result);
    return new Promise((resolve) => entry.resolvers.push(resolve));
  }

  /** ipcCancel: a pending operation completes with E_CANCELED; a completed one is left as it is. */
  ipcCancel(caller: Environment, token: number): void {
    this.asyncEntry(caller, token, 'ipcCancel');
    this.cancelToken(caller, token);
  }

  private cancelToken(caller: Environment, token: number): void {
    const entry = this.tokens.get(caller)?.get(token);
    if (entry === undefined || entry.result !== null) return;
    this.ipc.withdraw(entry.endpoint, entry.waiter);
    for (const env of this.environments.values()) if (env.replyTo === entry.waiter) env.replyTo = null;
    entry.waiter.failed('E_CANCELED', 'cancelled');
  }

  private asyncEntry(caller: Environment, token: number, op: string): AsyncIpc {
    const entry = this.tokens.get(caller)?.get(token);
    if (entry === undefined)
      throw new ExoError('E_INVAL', `${op}: ${String(token)} is not a token of this environment`);
    return entry;
  }

  /** A send/recv that does not wait, completing (or refusing) at once. */
  private ipcNow(
    caller: Environment,
    kind: 'send' | 'recv',
    endpointCap: number,
    message: IpcMessage | null,
    op: string,
  ): IpcResult {
    this.live(caller, op);
    const prepared = this.prepareIpc(caller, kind, endpointCap, message, op);
    let result: IpcResult = { ok: false, error: 'E_AGAIN', detail: 'no partner' };
    const waiter = new ResultWaiter(caller, kind, (r) => {
      result = r;
    });
    prepared.fill(waiter);
    if (kind === 'recv') this.ipc.arriveReceiver(prepared.endpoint, waiter, false);
    else this.ipc.arriveSender(prepared.endpoint, waiter, false);
    return result;
  }

  /** Checks an IPC request: the endpoint capability and its right, the message, the capability to move. */
  private prepareIpc(
    caller: Environment,
    kind: IpcOperation,
    endpointCap: number,
    message: IpcMessage | null,
    op: string,
  ) {
    const endpoint = this.ipcEndpoint(caller, kind, endpointCap, op);
    const badge = this.ipcCap.badge;
    let words = NO_WORDS;
    let cap = -1;
    if (kind !== 'recv') {
      if (message !== null && (typeof message !== 'object' || Array.isArray(message))) {
        throw new ExoError('E_INVAL', `${op}: the message must be an object`);
      }
      words = messageWords(op, message?.words);
      if (message?.cap !== undefined) {
        this.checkMovable(caller, message.cap, endpointCap, op);
        cap = message.cap;
      }
    }
    return {
      endpoint,
      /** Gives the waiter the checked message and the badge. */
      fill(waiter: Waiter): void {
        waiter.words = words;
        waiter.cap = cap;
        waiter.badge = badge;
      },
    };
  }

  /**
   * The endpoint an IPC operation names, checked for the right it needs; the capability's badge is left in
   * `ipcCap.badge`, for the caller to read at once.
   */
  private ipcEndpoint(caller: Environment, kind: IpcOperation, endpointCap: number, op: string): Endpoint {
    const right = kind === 'recv' ? Rights.IPC_RECV : Rights.IPC_SEND;
    const last = caller.lastEndpoint;
    // The endpoint this environment named last time: the id and the right are still checked (see
    // `Environment.lastEndpoint`); any refusal takes the full path below, for its error.
    if (last.cap === endpointCap && caller.status !== 'dead' && caller.space.check(endpointCap, right)) {
      this.ipcCap.badge = last.badge;
      return this.endpoints[last.objectId] as Endpoint;
    }
    const c = this.capabilityInto(caller, endpointCap, ObjectType.ENDPOINT, right, op, this.ipcCap);
    last.cap = endpointCap;
    last.objectId = c.objectId;
    last.badge = c.badge;
    return this.endpoints[c.objectId] as Endpoint;
  }

  /** A capability a message may move: the caller's, with TRANSFER, and not the endpoint in use. */
  private checkMovable(caller: Environment, cap: unknown, endpointCap: number, op: string): void {
    if (cap === endpointCap)
      throw new ExoError('E_INVAL', `${op}: cannot send the endpoint capability in use`);
    this.checkTransferable(caller, cap, op);
  }

  /** A capability a reply or message may move: a capability id of the caller's, with TRANSFER. */
  private checkTransferable(caller: Environment, cap: unknown, op: string): asserts cap is number {
    checkCapId(op, cap);
    this.wrap(op, () => caller.space.require(cap, Rights.TRANSFER));
  }

  /**
   * A guest's IPC primitive on its registers (see guest-ipc.ts): completes now if a partner waits (the
   * results go into `regs`, RAX included), else blocks the environment ('stopped'), its results written
   * into its saved context when the partner comes. A reply never waits; its RAX is the caller's to write.
   * A reply-recv replies, then receives: its endpoint is checked first, so a refused one changes nothing.
   */
  private guestIpc(env: Environment, kind: GuestIpcKind, regs: Int32Array): 'resume' | 'stopped' {
    const op = guestIpcName(kind);
    // R9: a capability to move, or any negative value for none.
    const cap = regNumber(regs, 9);
    if (kind === 'reply') {
      this.guestReply(env, cap, regs, op);
      return 'resume';
    }
    const arrival: IpcOperation = kind === 'reply-recv' ? 'recv' : kind;
    const endpointCap = regNumber(regs, 7);
    const endpoint = this.ipcEndpoint(env, arrival, endpointCap, op);
    const badge = this.ipcCap.badge;
    if (kind === 'reply-recv') this.guestReply(env, cap, regs, op);
    let waiter = env.ipcWaiter;
    if (waiter === null) {
      waiter = new GuestWaiter(env, (e) => this.wake(e));
      env.ipcWaiter = waiter;
    }
    waiter.op = arrival;
    waiter.badge = badge;
    waiter.cap = -1;
    if (arrival !== 'recv') {
      if (cap >= 0) {
        this.checkMovable(env, cap, endpointCap, op);
        waiter.cap = cap;
      }
      readMessageRegisters(regs, waiter.words);
    }
    waiter.regs = regs;
    waiter.done = false;
    if (arrival === 'recv') this.ipc.arriveReceiver(endpoint, waiter, true);
    else this.ipc.arriveSender(endpoint, waiter, true);
    if (waiter.done) return 'resume';
    // The registers go to the saved context before anyone else runs, and the results with them.
    waiter.regs = env.context.regs;
    waiter.at.endpoint = endpoint;
    this.block(env, waiter.at);
    return 'stopped';
  }

  /** A guest's reply: the words from its message registers, and the capability `cap` unless negative. */
  private guestReply(env: Environment, cap: number, regs: Int32Array, op: string): void {
    this.live(env, op);
    if (cap >= 0) this.checkTransferable(env, cap, op);
    readMessageRegisters(regs, this.replyWords);
    this.ipc.reply(env, this.replyWords, cap < 0 ? -1 : cap);
  }

  /**
   * A guest environment blocks in a primitive (IPC, or waiting for an IPC upcall): off the scheduler (which
   * learns of it when the slice ends: see Executor.statusChanged).
   */
  private block(env: Environment, at: Environment['waitingAt']): void {
    env.status = 'waiting';
    env.waitingAt = at;
    this.executor.statusChanged(env);
  }

  /** A blocked guest environment's wait is over: it competes for the CPU again. */
  private wake(env: Environment): void {
    env.status = 'runnable';
    env.waitingAt = null;
    this.executor.statusChanged(env);
    this.executor.noteWoken(env);
  }

  private outOfGas(env: Environment): void {
    env.status = 'suspended';
    env.reason = 'out of gas';
    this.executor.statusChanged(env);
    const manager = env.parent;
    if (manager === null || manager.status === 'dead') return;
    try {
      manager.upcalls.gasExhausted?.({ envId: env.id });
    } catch (e) {
      this.endEnvironment(
        manager,
        `gasExhausted handler threw: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** The environment an environment capability names, for a call that controls it (INVOKE). */
  private controlled(caller: Environment, envCap: number, op: string): Environment {
    const env = this.environments.get(
      this.objectIdOf(caller, envCap, ObjectType.ENVIRONMENT, Rights.INVOKE, op),
    );
    if (env === undefined || env.status === 'dead')
      throw new ExoError('E_STATE', `${op}: the environment is dead`);
    return env;
  }

  // ------------------------------------------------------------------ frames

  /** frameAlloc: a zeroed frame, charged to the caller's quota, at the caller's label or a lower one. */
  frameAlloc(caller: Environment, options: { label?: string } = {}): number {
    const op = 'frameAlloc';
    this.live(caller, op);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new ExoError('E_INVAL', `${op}: options must be an object`);
    }
    const label = options?.label === undefined ? caller.label : this.labelNode(op, options.label);
    if (!this.lattice.leq(label, caller.label)) {
      throw new ExoError('E_LABEL', `${op}: label ${options.label} is not <= the caller's label`);
    }
    if (this.frames.framesFree < 1) throw new ExoError('E_NOMEM', `${op}: physical memory is exhausted`);
    caller.charge(1);
    const pa = this.frames.alloc();
    const frame = pa / PAGE_SIZE;
    const undo = () => {
      this.frames.release(pa);
      caller.refund(1);
    };
    const { root, id: ownerCap } = this.issue(
      op,
      { type: ObjectType.FRAME, id: frame },
      FRAME_RIGHTS,
      label,
      caller,
      undo,
    );
    this.frameRecords.set(frame, { owner: caller, ownerCap, root });
    return ownerCap;
  }

  /**
   * frameFree: returns a frame to the machine. Only its allocation capability may (the one frameAlloc
   * returned, still in the allocator's space); every capability derived from it anywhere is revoked and
   * every mapping of the frame made through them removed first.
   */
  frameFree(caller: Environment, frameCap: number): void {
    const op = 'frameFree';
    this.live(caller, op);
    const frame = this.objectIdOf(caller, frameCap, ObjectType.FRAME, Rights.REVOKE, op);
    const record = this.frameRecords.get(frame);
    if (record === undefined || record.owner !== caller || record.ownerCap !== frameCap) {
      throw new ExoError('E_RIGHTS', `${op}: only the capability frameAlloc returned may free the frame`);
    }
    this.releaseFrame(frame, record, caller);
  }

  /** Revokes every capability to a frame (unmapping it everywhere), and returns it to the machine. */
  private releaseFrame(frame: number, record: FrameRecord, initiator: Environment): void {
    this.asInitiator(initiator, () => this.kernelSpace.revoke(record.root)); // holders' onRevoked unmaps
    this.kernelSpace.delete(record.root);
    this.frameRecords.delete(frame);
    this.frames.release(frame * PAGE_SIZE);
    this.refund(record.owner, 1);
  }

  /** Runs `f` with `env` as the initiator of the revocations it causes (it is not told of its own). */
  private asInitiator<T>(env: Environment, f: () => T): T {
    const outer = this.revoker;
    this.revoker = env;
    try {
      return f();
    } finally {
      this.revoker = outer;
    }
  }

  /**
   * Gives back `frames` of quota charged to `env`; for an environment that has ended, to the nearest
   * living ancestor its quota came from.
   */
  private refund(env: Environment, frames: number): void {
    env.refund(frames);
    if (env.status === 'dead') this.passQuotaUp(env, frames);
  }

  /**
   * Quota a dead environment no longer needs goes to the nearest living ancestor it came from; the dead
   * ones in between pass it on (it leaves their limit and the charge it stood for).
   */
  private passQuotaUp(env: Environment, frames: number): void {
    env.quotaLimit -= frames;
    let up = env.parent;
    while (up !== null && up.status === 'dead') {
      up.quotaLimit -= frames;
      up.quotaUsed -= frames;
      up = up.parent;
    }
    up?.refund(frames);
  }

  /** frameRead: up to one frame of bytes from a frame the caller may READ. */
  frameRead(caller: Environment, frameCap: number, offset: number, length: number): Uint8Array {
    const op = 'frameRead';
    const c = this.capability(caller, frameCap, ObjectType.FRAME, Rights.READ, op);
    if (!this.flow.canRead(caller.label, c.label)) throw new ExoError('E_LABEL', `${op}: no read up`);
    const frame = c.objectId;
    checkInteger(op, 'offset', offset, 0, PAGE_SIZE);
    checkInteger(op, 'length', length, 0, Math.min(MAX_IO, PAGE_SIZE - offset));
    const pa = frame * PAGE_SIZE + offset;
    return this.memory.bytes.slice(pa, pa + length);
  }

  /** frameWrite: bytes into a frame the caller may WRITE. */
  frameWrite(caller: Environment, frameCap: number, offset: number, data: Uint8Array): void {
    const op = 'frameWrite';
    const c = this.capability(caller, frameCap, ObjectType.FRAME, Rights.WRITE, op);
    if (!this.flow.canWrite(caller.label, c.label)) throw new ExoError('E_LABEL', `${op}: no write down`);
    const frame = c.objectId;
    if (!(data instanceof Uint8Array)) throw new ExoError('E_INVAL', `${op}: data must be a Uint8Array`);
    checkInteger(op, 'offset', offset, 0, PAGE_SIZE);
    checkInteger(op, 'data.length', data.length, 0, PAGE_SIZE - offset);
    this.memory.write(frame * PAGE_SIZE + offset, data);
  }

  /** frameCopy: the whole content of one frame (READ) into another (WRITE), for copy-on-write. */
  frameCopy(caller: Environment, toCap: number, fromCap: number): void {
    const op = 'frameCopy';
    const toCapability = this.capability(caller, toCap, ObjectType.FRAME, Rights.WRITE, op);
    const fromCapability = this.capability(caller, fromCap, ObjectType.FRAME, Rights.READ, op);
    // The data flows from one frame into the other: the source's label must be <= the destination's.
    if (!this.lattice.leq(fromCapability.label, toCapability.label)) {
      throw new ExoError('E_LABEL', `${op}: the source frame's label does not flow into the destination's`);
    }
    const to = toCapability.objectId;
    const from = fromCapability.objectId;
    const src = this.memory.bytes.subarray(from * PAGE_SIZE, (from + 1) * PAGE_SIZE);
    this.memory.write(to * PAGE_SIZE, src);
  }

  // ------------------------------------------------------------------ address spaces and mappings

  /** asCreate: an empty address space; its page tables are charged to the caller's quota. */
  asCreate(caller: Environment): number {
    const op = 'asCreate';
    this.live(caller, op);
    const id = this.nextSpaceId++;
    const aspace = new ExoAddressSpace(id, this.memory, this.frames, caller); // E_NOMEM changes nothing
    aspace.pcid = this.pcids.take();
    this.addressSpaces.set(id, aspace);
    const undo = () => {
      this.addressSpaces.delete(id);
      this.pcids.give(aspace.pcid);
      this.releaseTables(aspace);
    };
    const ref = { type: ObjectType.ADDRESS_SPACE, id };
    const { root, id: cap } = this.issue(op, ref, ADDRESS_SPACE_RIGHTS, caller.label, caller, undo);
    aspace.rootCap = root;
    return cap;
  }

  /**
   * map: maps a frame at `va` in an address space. Needs MAP on the space, MAP and READ on the frame,
   * WRITE for a writable mapping, EXECUTE for an executable one, and the labels' consent.
   */
  map(
    caller: Environment,
    spaceCap: number,
    va: number,
    frameCap: number,
    perms: { writable?: boolean; executable?: boolean } = {},
  ): void {
    const op = 'map';
    this.live(caller, op);
    const writable = perms?.writable === true;
    const executable = perms?.executable === true;
    const space = this.capability(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.MAP, op);
    const need = Rights.MAP | Rights.READ | (writable ? Rights.WRITE : 0) | (executable ? Rights.EXECUTE : 0);
    const frame = this.capability(caller, frameCap, ObjectType.FRAME, need, op);
    this.checkPage(op, va);
    if (!this.flow.canRead(space.label, frame.label)) {
      throw new ExoError('E_LABEL', `${op}: the frame's label does not flow into the address space's`);
    }
    if (writable && !this.flow.canWrite(space.label, frame.label)) {
      throw new ExoError('E_LABEL', `${op}: a writable mapping needs the space's label <= the frame's`);
    }
    const aspace = this.addressSpaces.get(space.objectId) as ExoAddressSpace;
    if (aspace.mappings.has(va))
      throw new ExoError('E_EXISTS', `${op}: 0x${va.toString(16)} is already mapped`);
    const mapping = new MappingRecord(aspace, va, frame.objectId, writable, executable, caller, frameCap);
    aspace.map(mapping, caller); // may refuse with E_NOMEM for a page table, before anything is recorded
    let uses = caller.mappingsByCap.get(frameCap);
    if (uses === undefined) {
      uses = new CapabilityMappings();
      caller.mappingsByCap.set(frameCap, uses);
    }
    uses.add(mapping);
  }

  /** unmap: removes the mapping at `va` (MAP on the space). */
  unmap(caller: Environment, spaceCap: number, va: number): void {
    const op = 'unmap';
    this.live(caller, op);
    const space = this.objectIdOf(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.MAP, op);
    this.checkPage(op, va);
    const aspace = this.addressSpaces.get(space) as ExoAddressSpace;
    const m = aspace.mappings.get(va);
    if (m === undefined) throw new ExoError('E_NOENT', `${op}: nothing is mapped at 0x${va.toString(16)}`);
    this.removeMapping(aspace, m);
  }

  /** The frame number mapped at `va` of a space the caller may READ, or null. */
  lookup(caller: Environment, spaceCap: number, va: number): number | null {
    const op = 'lookup';
    const space = this.objectIdOf(caller, spaceCap, ObjectType.ADDRESS_SPACE, Rights.READ, op);
    this.checkPage(op, va);
    return (this.addressSpaces.get(space) as ExoAddressSpace).mappings.get(va)?.frame ?? null;
  }

  private removeMapping(aspace: ExoAddressSpace, m: MappingRecord): void {
    aspace.unmap(m);
    m.list?.delete(m);
    // (In whichever MMU context holds the space's translations: the current one or one kept aside.)
    this.cpu.mmu.invalidatePage(aspace.pcid, m.va);
  }

  /** Unmaps everything mapped through `capId` of `holder`; returns how many pages. */
  private unmapAuthorisedBy(holder: Environment, capId: number): number {
    const uses = holder.mappingsByCap.get(capId);
    if (uses === undefined) return 0;
    let n = 0;
    for (const m of uses) {
      if (m.aspace.mappings.get(m.va) === m) {
        this.removeMapping(m.aspace, m);
        n++;
      }
    }
    holder.mappingsByCap.delete(capId);
    return n;
  }

  // ------------------------------------------------------------------ capabilities

  /** capDerive: a child capability in the caller's own space (GRANT), with fewer rights and a label <=. */
  capDerive(
    caller: Environment,
    cap: number,
    request: { rights: number; label?: string; badge?: number },
  ): number {
    return this.deriveInto(caller, cap, request, caller, 'capDerive');
  }

  /** capGrant: a child capability placed in another environment's space (GRANT on both). */
  capGrant(
    caller: Environment,
    cap: number,
    request: { rights: number; label?: string; badge?: number },
    toEnvCap: number,
  ): number {
    const op = 'capGrant';
    const target = this.targetEnvironment(caller, toEnvCap, op);
    return this.deriveInto(caller, cap, request, target, op);
  }

  /** capTransfer: moves a capability to another environment (TRANSFER on it, GRANT on the environment). */
  capTransfer(caller: Environment, cap: number, toEnvCap: number): number {
    const op = 'capTransfer';
    checkCapId(op, cap);
    const target = this.targetEnvironment(caller, toEnvCap, op);
    this.wrap(op, () => caller.space.require(cap, Rights.TRANSFER));
    return this.moveCapability(caller, cap, target, op);
  }

  /**
   * Moves a capability between spaces (capTransfer, and capabilities sent with IPC messages), with what
   * the kernel keeps about it: a frame's allocation capability takes the frame's ownership and quota charge
   * with it (refused with E_NOMEM before anything moves if the receiver cannot pay), and mappings made
   * through it stay, under the new holder's name for it.
   */
  private moveCapability(caller: Environment, cap: number, target: Environment, op: string): number {
    const owned = this.frameOwnedBy(caller, cap);
    if (owned !== undefined) target.charge(1);
    let moved: number;
    try {
      moved = this.wrap(op, () => caller.space.move(cap, target.space));
    } catch (e) {
      if (owned !== undefined) target.refund(1);
      throw e;
    }
    if (owned !== undefined) {
      const [frame, record] = owned;
      this.frameRecords.set(frame, { owner: target, ownerCap: moved, root: record.root });
      caller.refund(1);
    }
    this.ipcUpcalls.capabilityGone(caller, cap);
    // Mappings made through it stay, now under the new holder's name for it.
    const uses = caller.mappingsByCap.get(cap);
    if (uses !== undefined) {
      caller.mappingsByCap.delete(cap);
      for (const m of uses) {
        m.holder = target;
        m.capId = moved;
      }
      target.mappingsByCap.set(moved, uses);
    }
    return moved;
  }

  /** capRevoke: removes every capability derived from `cap`, in every space (REVOKE); returns how many. */
  capRevoke(caller: Environment, cap: number): number {
    const op = 'capRevoke';
    this.live(caller, op);
    checkCapId(op, cap);
    return this.asInitiator(caller, () => this.wrap(op, () => caller.space.revoke(cap)));
  }

  /** capDelete: drops the caller's capability; pages mapped through it are unmapped. */
  capDelete(caller: Environment, cap: number): void {
    const op = 'capDelete';
    checkCapId(op, cap);
    this.wrap(op, () => caller.space.require(cap, 0));
    const record = this.frameRecordOwnedBy(caller, cap);
    if (record !== undefined) {
      throw new ExoError(
        'E_STATE',
        `${op}: this is a frame's allocation capability; free the frame with frameFree`,
      );
    }
    this.unmapAuthorisedBy(caller, cap);
    caller.space.delete(cap);
    this.ipcUpcalls.capabilityGone(caller, cap);
  }

  capInspect(caller: Environment, cap: number): CapabilityInfo {
    checkCapId('capInspect', cap);
    const c = this.wrap('capInspect', () => caller.space.inspect(cap));
    return {
      type: c.object.type,
      objectId: c.object.id,
      rights: c.rights,
      label: this.lattice.format(c.label),
      badge: c.badge,
    };
  }

  /** Revocation notices not yet collected (visible revocation); collecting empties the list. */
  takeRevocations(caller: Environment): RevocationNotice[] {
    return caller.revocations.splice(0);
  }

  /** A space's onRevoked: the capability is gone; so are the mappings made through it. */
  private revoked(holder: Environment, capId: number): void {
    const told = holder !== this.revoker;
    const uses = holder.mappingsByCap.get(capId);
    const frame = uses?.first?.frame;
    const unmapped = this.unmapAuthorisedBy(holder, capId);
    this.ipcUpcalls.capabilityGone(holder, capId);
    const object: ObjectRef | null = frame === undefined ? null : { type: ObjectType.FRAME, id: frame };
    if (told) holder.revocations.push({ capId, object, unmapped });
  }

  // ------------------------------------------------------------------ checks

  private deriveInto(
    caller: Environment,
    cap: number,
    request: { rights: number; label?: string; badge?: number },
    target: Environment,
    op: string,
  ): number {
    this.live(caller, op);
    checkCapId(op, cap);
    const rights = checkInteger(op, 'rights', request?.rights, 0, 0xffffffff);
    const label = request.label === undefined ? undefined : this.labelNode(op, request.label);
    if (request.badge !== undefined) checkInteger(op, 'badge', request.badge, 0, Number.MAX_SAFE_INTEGER);
    return this.wrap(op, () =>
      caller.space.derive(
        cap,
        {
          rights: rights >>> 0,
          ...(label === undefined ? {} : { label }),
          ...(request.badge === undefined ? {} : { badge: request.badge }),
        },
        target.space,
      ),
    );
  }

  private targetEnvironment(caller: Environment, envCap: number, op: string): Environment {
    const env = this.environments.get(
      this.objectIdOf(caller, envCap, ObjectType.ENVIRONMENT, Rights.GRANT, op),
    );
    if (env === undefined || env.status === 'dead')
      throw new ExoError('E_STATE', `${op}: the environment is dead`);
    return env;
  }

  private frameRecordOwnedBy(caller: Environment, cap: number): FrameRecord | undefined {
    return this.frameOwnedBy(caller, cap)?.[1];
  }

  /** The frame whose allocation capability `cap` of `caller` is, with its record. */
  private frameOwnedBy(caller: Environment, cap: number): [number, FrameRecord] | undefined {
    for (const entry of this.frameRecords)
      if (entry[1].owner === caller && entry[1].ownerCap === cap) return entry;
    return undefined;
  }

  private live(caller: Environment, op: string): void {
    if (caller.status === 'dead') throw new ExoError('E_STATE', `${op}: the calling environment is dead`);
  }

  private checkPage(op: string, va: number): void {
    checkInteger(op, 'va', va, 0, USER_VA_LIMIT - PAGE_SIZE);
    if (va % PAGE_SIZE !== 0)
      throw new ExoError('E_INVAL', `${op}: va 0x${va.toString(16)} is not page-aligned`);
  }

  /** The capability `id` of `caller`, which must name an object of `type` and hold `rights`. */
  private capability(caller: Environment, id: number, type: ObjectTypeName, rights: number, op: string) {
    const c: CapabilityFields<number> = { type: '', objectId: 0, rights: 0, label: 0, badge: undefined };
    return this.capabilityInto(caller, id, type, rights, op, c);
  }

  /** As `capability`, the fields written into `c` (caplattice's allocation-free lookup). */
  private capabilityInto(
    caller: Environment,
    id: number,
    type: ObjectTypeName,
    rights: number,
    op: string,
    c: CapabilityFields<number>,
  ): CapabilityFields<number> {
    this.live(caller, op); // a dead environment's capabilities authorise nothing
    checkCapId(op, id);
    if (!caller.space.lookup(id, c)) {
      throw new ExoError(
        'E_BADCAP',
        `${op}: ${id} names no capability of this environment (never issued, deleted, moved or revoked)`,
      );
    }
    if (c.type !== type) {
      throw new ExoError('E_TYPE', `${op}: capability ${id} names a ${c.type}, not a ${type}`);
    }
    if ((c.rights & rights) !== rights) {
      throw new ExoError(
        'E_RIGHTS',
        `${op}: capability ${id} lacks rights 0x${(rights & ~c.rights).toString(16)}`,
      );
    }
    return c;
  }

  private objectIdOf(
    caller: Environment,
    id: number,
    type: ObjectTypeName,
    rights: number,
    op: string,
  ): number {
    return this.capability(caller, id, type, rights, op).objectId;
  }

  private labelNode(op: string, name: string): number {
    try {
      return this.lattice.node(name);
    } catch {
      throw new ExoError('E_INVAL', `${op}: ${String(name)} is not a label of the lattice`);
    }
  }

  private wrap<T>(op: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw fromCapLattice(e, op);
    }
  }
}

/** A guest IPC primitive's name in refusals (a switch over constants: this runs on every guest IPC). */
function guestIpcName(kind: GuestIpcKind): string {
  switch (kind) {
    case 'send':
      return 'ipc send';
    case 'recv':
      return 'ipc recv';
    case 'call':
      return 'ipc call';
    case 'reply':
      return 'ipc reply';
    case 'reply-recv':
      return 'ipc reply-recv';
  }
}

/** Refuses anything that cannot be a capability id (caplattice ids are non-negative safe integers). */
function checkCapId(op: string, id: unknown): asserts id is number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new ExoError(
      'E_BADCAP',
      `${op}: ${typeof id === 'number' ? id : typeof id} is not a capability id`,
    );
  }
}
