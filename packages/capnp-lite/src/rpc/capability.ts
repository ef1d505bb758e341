/**
 * `Capability`: a handle on an object that may live in this vat or another, and the typed call API.
 *
 * A handle is one reference. `dup()` makes another, `release()` drops this one; the object (or the remote
 * vat's export) goes when the last reference does. Putting a handle into a message (a capability field of
 * params or results) hands it to the message: the message releases it once sent or delivered, so `dup()`
 * a handle you want to keep using. Capabilities read from a message you received are yours to release
 * (those in a server's params are released when the method returns: `dup()` one to keep it).
 */
import type { Arena } from '../arena';
import { MessageBuilder } from '../builder/message-builder';
import type { StructBuilder, StructBuilderClass } from '../builder/struct-builder';
import { setCapabilityAt } from '../builder/pointers';
import { AnyPointerReader } from '../reader/any-pointer';
import { StructReader, type StructReaderClass } from '../reader/struct-reader';
import type { Segment } from '../segment';
import type { CallResult, CapHook } from './cap-hook';
import { RpcError } from './rpc-error';

/** One method of a generated interface descriptor. */
export interface MethodDescriptor {
  readonly ordinal: number;
  readonly Params: StructReaderClass<StructReader>;
  readonly ParamsBuilder: StructBuilderClass<StructBuilder>;
  readonly Results: StructReaderClass<StructReader>;
  readonly ResultsBuilder: StructBuilderClass<StructBuilder>;
}

/** What the schema compiler generates for an interface: its id and its methods by name. */
export interface InterfaceDescriptor {
  readonly interfaceId: bigint;
  readonly methods: { readonly [name: string]: MethodDescriptor };
}

type Method<I extends InterfaceDescriptor, K extends keyof I['methods']> = I['methods'][K];
export type ParamsOf<M extends MethodDescriptor> = InstanceType<M['Params']>;
export type ParamsBuilderOf<M extends MethodDescriptor> = InstanceType<M['ParamsBuilder']>;
export type ResultsOf<M extends MethodDescriptor> = InstanceType<M['Results']>;
export type ResultsBuilderOf<M extends MethodDescriptor> = InstanceType<M['ResultsBuilder']>;

/** A call made through `Capability.call`. */
export interface RemoteCall<R extends StructReader> {
  /** The results, read in place from the return message. Rejects with an `RpcError` if the call fails. */
  readonly response: Promise<R>;
  /**
   * The results before they exist: reading a capability field gives a capability whose calls are sent
   * along the promised answer (promise pipelining), so a chain of calls costs one round trip. Only
   * capability fields, and struct fields on the way to them, mean anything here; data reads as defaults.
   * These capabilities are released when the results arrive (use the ones in the results from then on,
   * or `dup` one before).
   */
  readonly pipeline: R;
}

const HOOK: unique symbol = Symbol('capability hook');

export class Capability {
  private [HOOK]: CapHook | null;

  /** Handles come from `serve`, `RpcConnection.bootstrap`, messages, and `dup`. */
  constructor(hook: CapHook) {
    this[HOOK] = hook.addRef();
  }

  /** Whether this handle was released (it can no longer be used). */
  get released(): boolean {
    return this[HOOK] === null;
  }

  /**
   * Calls `method` of `iface` on the object. `build` fills in the params; capabilities put into them are
   * handed over with the message.
   */
  call<I extends InterfaceDescriptor, K extends keyof I['methods'] & string>(
    iface: I,
    method: K,
    build?: (params: ParamsBuilderOf<Method<I, K>>) => void,
  ): RemoteCall<ResultsOf<Method<I, K>>> {
    const m = iface.methods[method];
    if (m === undefined) {
      throw new RpcError(
        'failed',
        `interface @0x${iface.interfaceId.toString(16)} has no method '${method}'`,
      );
    }
    const result = this.callRaw(
      iface.interfaceId,
      m.ordinal,
      m.ParamsBuilder,
      build as ((params: StructBuilder) => void) | undefined,
    );
    return typedCall(result, m.Results as StructReaderClass<ResultsOf<Method<I, K>>>);
  }

  /**
   * A call by numbers, for code without generated classes: params are built as `paramsType` (for example
   * `StructBuilder.sized(1, 0)`); the response is the results' content pointer.
   */
  callRaw(
    interfaceId: bigint,
    methodId: number,
    paramsType: StructBuilderClass<StructBuilder>,
    build?: (params: StructBuilder) => void,
  ): CallResult {
    const hook = this.hook();
    const message = new MessageBuilder();
    const root = message.initRoot(paramsType);
    try {
      build?.(root);
    } catch (e) {
      releaseCapTable(message);
      throw e;
    }
    return hook.call(interfaceId, methodId, contentOf(message));
  }

  /** Another reference to the same object. */
  dup(): Capability {
    return new Capability(this.hook());
  }

  /** Drops this reference (a second release does nothing). */
  release(): void {
    const hook = this[HOOK];
    if (hook === null) return;
    this[HOOK] = null;
    hook.release();
  }

  /** Settles once the capability is no longer a promise (a pipelined capability, say, whose call returned). */
  whenResolved(): Promise<void> {
    return this.hook().whenResolved();
  }

  /** The object behind this handle, for the RPC layer. */
  static hookOf(capability: Capability): CapHook {
    return capability.hook();
  }

  private hook(): CapHook {
    const hook = this[HOOK];
    if (hook === null) throw new RpcError('failed', 'this capability handle was released');
    return hook;
  }
}

/** Releases every capability handle in a message's capability table. */
export function releaseCapTable(arena: Arena): void {
  for (const cap of arena.capTable.splice(0)) if (cap instanceof Capability) cap.release();
}

/**
 * Releases the capabilities in the message `reader` was read from (the results of a call, say): for a
 * caller that is done with a response and has `dup`ed what it keeps.
 */
export function releaseCapabilities(reader: StructReader): void {
  releaseCapTable(reader._arena);
}

/** The root pointer of a built message as content, the message's capability table moving along. */
export function contentOf(message: MessageBuilder): AnyPointerReader {
  const reader = message.asReader();
  reader.capTable = message.capTable;
  return new AnyPointerReader(reader, reader.segments[0] as Segment, 0, reader.nestingLimit);
}

/** Content that is a capability pointer to `capability` (the results of a bootstrap request). */
export function capabilityContent(capability: Capability): AnyPointerReader {
  const message = new MessageBuilder();
  setCapabilityAt(message, message.rootSegment, 0, capability);
  return contentOf(message);
}

/** The capability at pointer path `ops` from `content`, or null where the path ends in a null pointer. */
export function capabilityAt(content: AnyPointerReader, ops: readonly number[]): Capability | null {
  let p = content;
  for (const op of ops) {
    if (p.kind() === 'null') return null;
    p = p.getStruct(StructReader).getAnyPointer(op);
  }
  const cap = p.getCapability();
  if (cap === null) return null;
  if (!(cap instanceof Capability))
    throw new RpcError('failed', 'the results hold a capability of another message');
  return cap;
}

function typedCall<R extends StructReader>(result: CallResult, type: StructReaderClass<R>): RemoteCall<R> {
  let pipeline: R | null = null;
  let response: Promise<R> | null = null;
  // Pipelined capabilities belong to the call: once the results are in, the capabilities in them take
  // over, so the handles read from `pipeline` are released then (a `dup` made before lives on).
  let settled = false;
  const handles: Capability[] = [];
  const releaseHandles = () => {
    settled = true;
    for (const h of handles.splice(0)) h.release();
  };
  result.response.then(releaseHandles, releaseHandles);
  const pipelined = (ops: readonly number[]) => {
    const cap = new Capability(result.pipeline(ops));
    if (settled) cap.release();
    else handles.push(cap);
    return cap;
  };
  return {
    get response() {
      response ??= result.response.then((content) => content.getStruct(type));
      return response;
    },
    get pipeline() {
      pipeline ??= pipelineView(type, [], pipelined);
      return pipeline;
    },
  };
}

/** An empty message for pipeline views to sit on: every data field of a view reads as its default. */
let emptyArena: Arena | null = null;

/**
 * An instance of a generated results class whose capability fields are pipelined capabilities and whose
 * struct fields are further views (generated getters go through `getCapability` and `getStruct`).
 */
function pipelineView<T extends StructReader>(
  type: StructReaderClass<T>,
  ops: readonly number[],
  capabilityAtPath: (ops: readonly number[]) => Capability,
): T {
  emptyArena ??= new MessageBuilder().asReader();
  const view = new type(emptyArena, emptyArena.segments[0] as Segment, 0, 0, 0, 0, 64);
  Object.defineProperties(view, {
    getCapability: { value: (index: number) => capabilityAtPath([...ops, index]) },
    getStruct: {
      value: <S extends StructReader>(index: number, nested: StructReaderClass<S>) =>
        pipelineView(nested, [...ops, index], capabilityAtPath),
    },
  });
  return view;
}
