/**
 * Serving objects: `serve` turns an implementation of a generated interface into a capability that can
 * be called here or handed to another vat; `capabilityFromServer` does the same for code written against
 * the untyped `Server` interface.
 */
import {
  Capability,
  type InterfaceDescriptor,
  type MethodDescriptor,
  type ParamsOf,
  type ResultsBuilderOf,
} from './capability';
import { LocalHook, type Server } from './local-hooks';
import { RpcError } from './rpc-error';

/**
 * One method's implementation: reads `params`, fills `results` (already initialised). May be async.
 * Throwing (or rejecting) fails the call; an `RpcError` keeps its type, anything else is `failed`.
 */
export type MethodHandler<M extends MethodDescriptor> = (
  params: ParamsOf<M>,
  results: ResultsBuilderOf<M>,
) => void | Promise<void>;

/** Handlers for some or all methods of an interface (missing ones answer `unimplemented`). */
export type Implementation<I extends InterfaceDescriptor> = {
  [K in keyof I['methods']]?: MethodHandler<I['methods'][K]>;
};

export interface ServeOptions {
  /** Called once no capability refers to the object any more (here or in any connected vat). */
  onRelease?: () => void;
}

/** A capability for an object implementing `iface` with the handlers in `implementation`. */
export function serve<I extends InterfaceDescriptor>(
  iface: I,
  implementation: Implementation<I>,
  options: ServeOptions = {},
): Capability {
  const byOrdinal = new Map<number, [string, MethodDescriptor]>();
  for (const [name, method] of Object.entries(iface.methods)) byOrdinal.set(method.ordinal, [name, method]);
  const interfaceName = `@0x${iface.interfaceId.toString(16)}`;
  const handlers = implementation as Record<string, MethodHandler<MethodDescriptor> | undefined>;
  return capabilityFromServer({
    dispatch(interfaceId, methodId, params, results) {
      if (interfaceId !== iface.interfaceId) {
        throw new RpcError(
          'unimplemented',
          `this object implements interface ${interfaceName}, not @0x${interfaceId.toString(16)}`,
        );
      }
      const entry = byOrdinal.get(methodId);
      const handler = entry === undefined ? undefined : handlers[entry[0]];
      if (entry === undefined || handler === undefined) {
        const what = entry === undefined ? `method @${methodId}` : `method '${entry[0]}'`;
        throw new RpcError('unimplemented', `${what} of interface ${interfaceName} is not implemented`);
      }
      const [, method] = entry;
      return handler.call(
        implementation,
        params.getStruct(method.Params),
        results.initRoot(method.ResultsBuilder),
      );
    },
    release: options.onRelease,
  });
}

/** A capability for an object written against the untyped `Server` interface. */
export function capabilityFromServer(server: Server): Capability {
  return new Capability(new LocalHook(server));
}
