/**
 * Errors of the RPC layer. A call that fails on the remote side, a capability that is broken or released,
 * a peer that breaks the protocol or disconnects: each is an `RpcError`, a `CapnpError` with code `RPC` and
 * the exception type of the protocol (rpc.capnp's Exception.Type), which says whether retrying may help.
 */
import { CapnpError } from '../errors';
import { type Exception, type ExceptionBuilder, Exception_Type } from '../schemas/rpc.capnp';

/** rpc.capnp's Exception.Type, by name. */
export type RpcErrorType = 'failed' | 'overloaded' | 'disconnected' | 'unimplemented';

const TYPE_NAMES: readonly RpcErrorType[] = ['failed', 'overloaded', 'disconnected', 'unimplemented'];

export class RpcError extends CapnpError {
  constructor(
    readonly type: RpcErrorType,
    readonly reason: string,
  ) {
    super('RPC', `${type}: ${reason}`);
  }
}

/** The error a received Exception describes. */
export function errorFromException(e: Exception): RpcError {
  return new RpcError(TYPE_NAMES[e.type] ?? 'failed', e.reason);
}

/** Writes `error` (any thrown value) into an Exception; errors other than RpcError are `failed`. */
export function writeException(into: ExceptionBuilder, error: unknown): void {
  const rpc = asRpcError(error);
  into.type = Exception_Type[rpc.type];
  into.reason = rpc.reason;
}

/** `error` as an RpcError: other errors become `failed` with their message as the reason. */
export function asRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof Error) return new RpcError('failed', `${error.name}: ${error.message}`);
  return new RpcError('failed', String(error));
}
