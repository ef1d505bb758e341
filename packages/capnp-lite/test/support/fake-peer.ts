// A scripted peer for protocol-level RPC tests: an `RpcTransport` whose outgoing messages (what the
// connection under test sends) are decoded for the test to assert on, and into which the test injects
// hand-built rpc.capnp messages, one at a time, synchronously. Nothing here implements the protocol: the
// test plays the other vat, message by message.
import { MessageBuilder, type RpcTransport, type StructBuilder, readMessage } from '../../src/index';
import * as rpc from '../../src/schemas/rpc.capnp';

export { flush } from './flush';

/** A transform of a promised answer: the pointer fields to follow, in order ('noop' for a noop op). */
export type Transform = (number | 'noop')[];

/** rpc.capnp's MessageTarget, as a plain value. */
export type Target =
  | { importedCap: number }
  | { promisedAnswer: { questionId: number; transform: Transform } }
  | { unknownTarget: number };

/** rpc.capnp's CapDescriptor, as a plain value (`unknownKind` writes a discriminant the schema lacks). */
export type CapDesc =
  | 'none'
  | { senderHosted: number }
  | { senderPromise: number }
  | { receiverHosted: number }
  | { receiverAnswer: { questionId: number; transform: Transform } }
  | { thirdPartyHosted: { vineId: number } }
  | { unknownKind: number };

export type ExceptionType = 'failed' | 'overloaded' | 'disconnected' | 'unimplemented';

export interface ExceptionSummary {
  type: ExceptionType | number;
  reason: string;
}

/** What an rpc message says, as a plain value for `toEqual` (payload contents are left out). */
export type Summary =
  | { bootstrap: { questionId: number } }
  | {
      call: {
        questionId: number;
        target: Target;
        interfaceId: bigint;
        methodId: number;
        capTable: CapDesc[];
        sendResultsTo: 'caller' | 'yourself' | 'thirdParty' | number;
      };
    }
  | {
      return: {
        answerId: number;
        releaseParamCaps: boolean;
        results?: { capTable: CapDesc[] };
        exception?: ExceptionSummary;
        canceled?: true;
        otherKind?: number;
      };
    }
  | { finish: { questionId: number; releaseResultCaps: boolean } }
  | { resolve: { promiseId: number; cap?: CapDesc; exception?: ExceptionSummary } }
  | { release: { id: number; referenceCount: number } }
  | {
      disembargo: {
        target: Target;
        senderLoopback?: number;
        receiverLoopback?: number;
        otherContext?: number;
      };
    }
  | { abort: ExceptionSummary }
  | { unimplemented: Summary }
  | { otherKind: number };

const EXCEPTION_TYPES: readonly ExceptionType[] = ['failed', 'overloaded', 'disconnected', 'unimplemented'];
const M = rpc.Message.Which;

export function summarizeTransform(pa: rpc.PromisedAnswer): Transform {
  const ops: Transform = [];
  for (let i = 0; i < pa.transform.length; i++) {
    const op = pa.transform.get(i);
    ops.push(op.which() === rpc.PromisedAnswer_Op.Which.getPointerField ? op.getPointerField : 'noop');
  }
  return ops;
}

export function summarizeTarget(t: rpc.MessageTarget): Target {
  switch (t.which()) {
    case rpc.MessageTarget.Which.importedCap:
      return { importedCap: t.importedCap };
    case rpc.MessageTarget.Which.promisedAnswer: {
      const pa = t.promisedAnswer;
      return { promisedAnswer: { questionId: pa.questionId, transform: summarizeTransform(pa) } };
    }
    default:
      return { unknownTarget: t.which() };
  }
}

export function summarizeCapDescriptor(d: rpc.CapDescriptor): CapDesc {
  const W = rpc.CapDescriptor.Which;
  switch (d.which()) {
    case W.none:
      return 'none';
    case W.senderHosted:
      return { senderHosted: d.senderHosted };
    case W.senderPromise:
      return { senderPromise: d.senderPromise };
    case W.receiverHosted:
      return { receiverHosted: d.receiverHosted };
    case W.receiverAnswer: {
      const pa = d.receiverAnswer;
      return { receiverAnswer: { questionId: pa.questionId, transform: summarizeTransform(pa) } };
    }
    case W.thirdPartyHosted:
      return { thirdPartyHosted: { vineId: d.thirdPartyHosted.vineId } };
    default:
      return { unknownKind: d.which() };
  }
}

export function summarizeCapTable(payload: rpc.Payload): CapDesc[] {
  const table: CapDesc[] = [];
  for (let i = 0; i < payload.capTable.length; i++)
    table.push(summarizeCapDescriptor(payload.capTable.get(i)));
  return table;
}

export function summarizeException(e: rpc.Exception): ExceptionSummary {
  return { type: EXCEPTION_TYPES[e.type] ?? e.type, reason: e.reason };
}

export function summarize(m: rpc.Message): Summary {
  switch (m.which()) {
    case M.bootstrap:
      return { bootstrap: { questionId: m.bootstrap.questionId } };
    case M.call: {
      const c = m.call;
      const to = c.sendResultsTo.which();
      return {
        call: {
          questionId: c.questionId,
          target: summarizeTarget(c.target),
          interfaceId: c.interfaceId,
          methodId: c.methodId,
          capTable: summarizeCapTable(c.params),
          sendResultsTo: (['caller', 'yourself', 'thirdParty'] as const)[to] ?? to,
        },
      };
    }
    case M.return: {
      const r = m.return;
      const base = { answerId: r.answerId, releaseParamCaps: r.releaseParamCaps };
      switch (r.which()) {
        case rpc.Return.Which.results:
          return { return: { ...base, results: { capTable: summarizeCapTable(r.results) } } };
        case rpc.Return.Which.exception:
          return { return: { ...base, exception: summarizeException(r.exception) } };
        case rpc.Return.Which.canceled:
          return { return: { ...base, canceled: true } };
        default:
          return { return: { ...base, otherKind: r.which() } };
      }
    }
    case M.finish:
      return { finish: { questionId: m.finish.questionId, releaseResultCaps: m.finish.releaseResultCaps } };
    case M.resolve: {
      const r = m.resolve;
      return r.which() === rpc.Resolve.Which.cap
        ? { resolve: { promiseId: r.promiseId, cap: summarizeCapDescriptor(r.cap) } }
        : { resolve: { promiseId: r.promiseId, exception: summarizeException(r.exception) } };
    }
    case M.release:
      return { release: { id: m.release.id, referenceCount: m.release.referenceCount } };
    case M.disembargo: {
      const d = m.disembargo;
      const target = summarizeTarget(d.target);
      switch (d.context.which()) {
        case rpc.Disembargo_context.Which.senderLoopback:
          return { disembargo: { target, senderLoopback: d.context.senderLoopback } };
        case rpc.Disembargo_context.Which.receiverLoopback:
          return { disembargo: { target, receiverLoopback: d.context.receiverLoopback } };
        default:
          return { disembargo: { target, otherContext: d.context.which() } };
      }
    }
    case M.abort:
      return { abort: summarizeException(m.abort) };
    case M.unimplemented:
      return { unimplemented: summarize(m.unimplemented) };
    default:
      return { otherKind: m.which() };
  }
}

/**
 * Decodes a framed rpc message. The capability table of a Call's params or a Return's results is filled
 * with the summaries of its descriptors, so reading a capability field of the content gives its
 * descriptor (`{ senderHosted: 3 }`, say) rather than failing.
 */
export function decode(bytes: Uint8Array): rpc.Message {
  const reader = readMessage(bytes);
  const m = reader.getRoot(rpc.Message);
  if (m.which() === M.call) reader.capTable = summarizeCapTable(m.call.params);
  else if (m.which() === M.return && m.return.which() === rpc.Return.Which.results) {
    reader.capTable = summarizeCapTable(m.return.results);
  }
  return m;
}

// Writing.

export function writeTransform(pa: rpc.PromisedAnswerBuilder, transform: Transform): void {
  const ops = pa.initTransform(transform.length);
  transform.forEach((op, i) => {
    if (op === 'noop') ops.get(i).setNoop();
    else ops.get(i).getPointerField = op;
  });
}

export function writeTarget(t: rpc.MessageTargetBuilder, target: Target): void {
  if ('importedCap' in target) {
    t.importedCap = target.importedCap;
  } else if ('promisedAnswer' in target) {
    const pa = t.initPromisedAnswer();
    pa.questionId = target.promisedAnswer.questionId;
    writeTransform(pa, target.promisedAnswer.transform);
  } else {
    t.setUint16(2, target.unknownTarget);
  }
}

export function writeCapDescriptor(d: rpc.CapDescriptorBuilder, desc: CapDesc): void {
  if (desc === 'none') d.setNone();
  else if ('senderHosted' in desc) d.senderHosted = desc.senderHosted;
  else if ('senderPromise' in desc) d.senderPromise = desc.senderPromise;
  else if ('receiverHosted' in desc) d.receiverHosted = desc.receiverHosted;
  else if ('receiverAnswer' in desc) {
    const pa = d.initReceiverAnswer();
    pa.questionId = desc.receiverAnswer.questionId;
    writeTransform(pa, desc.receiverAnswer.transform);
  } else if ('thirdPartyHosted' in desc) d.initThirdPartyHosted().vineId = desc.thirdPartyHosted.vineId;
  else d.setUint16(0, desc.unknownKind);
}

export function writeCapTable(payload: rpc.PayloadBuilder, table: readonly CapDesc[]): void {
  const list = payload.initCapTable(table.length);
  for (const [i, desc] of table.entries()) writeCapDescriptor(list.get(i), desc);
}

/**
 * Points pointer `pointer` of `struct` at entry `capIndex` of the payload's capability table (the
 * builder's own capability table is only a vehicle for the index; it is not sent).
 */
export function setCapPointer(
  message: MessageBuilder,
  struct: StructBuilder,
  pointer: number,
  capIndex: number,
): void {
  message.capTable.length = capIndex;
  struct.setCapability(pointer, CAP_PLACEHOLDER);
}

const CAP_PLACEHOLDER = { placeholder: 'capability' };

/** Writes the content of a payload (`payload` is its builder; pointer 0 is the content). */
export type ContentWriter = (payload: rpc.PayloadBuilder, message: MessageBuilder) => void;

/** A Return's content that is capability `capIndex` itself (what a Bootstrap answers). */
export function capContent(capIndex = 0): ContentWriter {
  return (payload, message) => setCapPointer(message, payload, 0, capIndex);
}

export function exceptionType(type: ExceptionType): rpc.Exception_Type {
  return rpc.Exception_Type[type];
}

export function buildMessage(fill: (m: rpc.MessageBuilder, message: MessageBuilder) => void): Uint8Array {
  const message = new MessageBuilder();
  fill(message.initRoot(rpc.MessageBuilder), message);
  return message.toBytes();
}

export interface CallSpec {
  questionId: number;
  target: Target;
  interfaceId: bigint;
  methodId: number;
  content?: ContentWriter;
  capTable?: CapDesc[];
  /** A sendResultsTo discriminant other than `caller` (0). */
  sendResultsTo?: number;
}

export function callMessage(spec: CallSpec): Uint8Array {
  return buildMessage((m, message) => {
    const c = m.initCall();
    c.questionId = spec.questionId;
    writeTarget(c.initTarget(), spec.target);
    c.interfaceId = spec.interfaceId;
    c.methodId = spec.methodId;
    const payload = c.initParams();
    spec.content?.(payload, message);
    writeCapTable(payload, spec.capTable ?? []);
    if (spec.sendResultsTo !== undefined) c.setUint16(3, spec.sendResultsTo);
  });
}

export interface ResultsSpec {
  content?: ContentWriter;
  capTable?: CapDesc[];
  /** Defaults to false, as level-1 implementations send it (params are released one by one). */
  releaseParamCaps?: boolean;
}

export function returnMessage(answerId: number, spec: ResultsSpec): Uint8Array {
  return buildMessage((m, message) => {
    const r = m.initReturn();
    r.answerId = answerId;
    r.releaseParamCaps = spec.releaseParamCaps ?? false;
    const payload = r.initResults();
    spec.content?.(payload, message);
    writeCapTable(payload, spec.capTable ?? []);
  });
}

/**
 * The other end of a connection under test. The connection's messages pile up until the test takes them
 * (`take` gives summaries, `takeRaw` the decoded messages); `inject` and the helpers deliver a message to
 * the connection at once, on the test's stack.
 */
export class FakePeer implements RpcTransport {
  private onMessage: ((message: Uint8Array) => void) | null = null;
  private onClose: ((error?: Error) => void) | null = null;
  private readonly outbox: Uint8Array[] = [];
  /** Every message the connection sent, in order (never cleared). */
  readonly log: Uint8Array[] = [];
  /** Whether the connection closed its transport. */
  closed = false;
  /** Misuses of the transport by the connection (sending after close, starting twice). */
  readonly violations: string[] = [];

  // RpcTransport.

  send(message: Uint8Array): void {
    if (this.closed) this.violations.push('send after close');
    this.outbox.push(message);
    this.log.push(message);
  }

  start(onMessage: (message: Uint8Array) => void, onClose: (error?: Error) => void): void {
    if (this.onMessage !== null) this.violations.push('started twice');
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.();
  }

  // The peer's side.

  /** Number of messages sent and not yet taken. */
  get pending(): number {
    return this.outbox.length;
  }

  /** The messages sent since the last take, decoded. */
  takeRaw(): rpc.Message[] {
    return this.outbox.splice(0).map(decode);
  }

  /** The messages sent since the last take, summarized. */
  take(): Summary[] {
    return this.takeRaw().map(summarize);
  }

  /**
   * Delivers framed bytes to the connection, synchronously (even after the connection closed the
   * transport: a misbehaving peer). An exception escaping the connection propagates to the test.
   */
  deliver(bytes: Uint8Array): void {
    if (this.onMessage === null) throw new Error('the connection has not started the transport');
    this.onMessage(bytes);
  }

  /** The transport ends (the peer hung up, or the link failed with `error`). */
  hangUp(error?: Error): void {
    this.closed = true;
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.(error);
  }

  inject(fill: (m: rpc.MessageBuilder, message: MessageBuilder) => void): void {
    this.deliver(buildMessage(fill));
  }

  bootstrap(questionId: number): void {
    this.inject((m) => {
      m.initBootstrap().questionId = questionId;
    });
  }

  call(spec: CallSpec): void {
    this.deliver(callMessage(spec));
  }

  returnResults(answerId: number, spec: ResultsSpec = {}): void {
    this.deliver(returnMessage(answerId, spec));
  }

  /** A Return whose content is one capability (the answer to a Bootstrap). */
  returnCap(answerId: number, desc: CapDesc, releaseParamCaps = false): void {
    this.returnResults(answerId, { content: capContent(0), capTable: [desc], releaseParamCaps });
  }

  returnException(answerId: number, type: ExceptionType, reason: string, releaseParamCaps = false): void {
    this.inject((m) => {
      const r = m.initReturn();
      r.answerId = answerId;
      r.releaseParamCaps = releaseParamCaps;
      const e = r.initException();
      e.type = exceptionType(type);
      e.reason = reason;
    });
  }

  returnCanceled(answerId: number): void {
    this.inject((m) => {
      const r = m.initReturn();
      r.answerId = answerId;
      r.releaseParamCaps = false;
      r.setCanceled();
    });
  }

  finish(questionId: number, releaseResultCaps: boolean): void {
    this.inject((m) => {
      const f = m.initFinish();
      f.questionId = questionId;
      f.releaseResultCaps = releaseResultCaps;
    });
  }

  release(id: number, referenceCount: number): void {
    this.inject((m) => {
      const r = m.initRelease();
      r.id = id;
      r.referenceCount = referenceCount;
    });
  }

  resolve(promiseId: number, to: CapDesc | { exception: { type: ExceptionType; reason: string } }): void {
    this.inject((m) => {
      const r = m.initResolve();
      r.promiseId = promiseId;
      if (typeof to === 'object' && 'exception' in to) {
        const e = r.initException();
        e.type = exceptionType(to.exception.type);
        e.reason = to.exception.reason;
      } else {
        writeCapDescriptor(r.initCap(), to);
      }
    });
  }

  disembargo(
    target: Target,
    context: { senderLoopback: number } | { receiverLoopback: number } | { otherContext: number },
  ): void {
    this.inject((m) => {
      const d = m.initDisembargo();
      writeTarget(d.initTarget(), target);
      if ('senderLoopback' in context) d.context.senderLoopback = context.senderLoopback;
      else if ('receiverLoopback' in context) d.context.receiverLoopback = context.receiverLoopback;
      else d.context.setUint16(2, context.otherContext);
    });
  }

  abort(type: ExceptionType, reason: string): void {
    this.inject((m) => {
      const e = m.initAbort();
      e.type = exceptionType(type);
      e.reason = reason;
    });
  }

  /** Echoes a message the connection sent back as Unimplemented. */
  unimplemented(message: rpc.Message): void {
    this.inject((m) => {
      m.unimplemented = message;
    });
  }
}
