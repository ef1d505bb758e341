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
export { splitFramed, frame } from './framing';
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
