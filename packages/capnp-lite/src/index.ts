/**
 * @exov6/capnp-lite: Cap'n Proto messages read in place and built in segments, packing, canonical form,
 * and limits that make reading untrusted bytes safe. See the README for the guide and the examples.
 */
export { CapnpError, type CapnpErrorCode } from './errors';
export { ElementSize } from './element-size';
export { Primitive, type PrimitiveValue } from './primitive';
export {
  type ReaderOptions,
  DEFAULT_NESTING_LIMIT,
  DEFAULT_TRAVERSAL_LIMIT_WORDS,
  MAX_SEGMENTS,
} from './limits';
export { Arena, PointerKind, type PointerTarget } from './arena';
export { Segment } from './segment';
export { splitFramed, frame, framedLength } from './framing';
export { pack, unpack } from './packing';
export { canonicalize } from './canonicalize';
export { MessageReader, readMessage, readPackedMessage, readFlatMessage } from './reader/message-reader';
export { StructReader, type StructReaderClass } from './reader/struct-reader';
export { AnyPointerReader } from './reader/any-pointer';
export {
  ListReader,
  PrimitiveList,
  StructList,
  TextList,
  DataList,
  PointerList,
  CapabilityList,
  nestedList,
  locateList,
  type ListShape,
  type ListFactory,
} from './reader/list-reader';
export { MessageBuilder, type BuilderOptions } from './builder/message-builder';
export { StructBuilder, type StructBuilderClass } from './builder/struct-builder';
export {
  PrimitiveListBuilder,
  StructListBuilder,
  TextListBuilder,
  DataListBuilder,
  PointerListBuilder,
} from './builder/list-builder';
export { RpcError, type RpcErrorType } from './rpc/rpc-error';
export { type RpcTransport, memoryTransportPair } from './rpc/transport';
export { ByteStreamTransport, type ByteStream } from './rpc/byte-stream-transport';
export {
  Capability,
  type RemoteCall,
  type InterfaceDescriptor,
  type MethodDescriptor,
  type ParamsOf,
  type ParamsBuilderOf,
  type ResultsOf,
  type ResultsBuilderOf,
  releaseCapabilities,
} from './rpc/capability';
export type { CallResult } from './rpc/cap-hook';
export type { Server } from './rpc/local-hooks';
export {
  serve,
  capabilityFromServer,
  type MethodHandler,
  type Implementation,
  type ServeOptions,
} from './rpc/server';
export { RpcConnection, type RpcConnectionOptions, type RpcTableSizes } from './rpc/connection';
