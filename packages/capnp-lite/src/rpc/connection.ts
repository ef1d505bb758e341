/**
 * One end of a Cap'n Proto RPC connection (level 1 of the protocol: bootstrap, call, return, finish,
 * release, resolve and disembargo, with promise pipelining), over any `RpcTransport`.
 *
 * The four tables of the protocol:
 * - questions: calls this side made and awaits (ids chosen here, freed once answered and finished);
 * - answers: calls the peer made to this side (ids chosen by the peer), kept until the peer's Finish,
 *   so that calls pipelined on an answer find it;
 * - imports: capabilities the peer exported to this side, each with the number of times it was received
 *   (what Release gives back when the last local reference goes);
 * - exports: capabilities this side sent to the peer, each with the peer's reference count.
 *
 * Anything the peer sends that breaks the protocol (a malformed message, an unknown id) aborts the
 * connection with an Abort message; it never throws into the application. When the connection ends, every
 * outstanding call fails with an `RpcError` of type `disconnected`, and every import becomes broken.
 */
import { copyAnyPointer } from '../builder/copy';
import { MessageBuilder } from '../builder/message-builder';
import type { ReaderOptions } from '../limits';
import type { AnyPointerReader } from '../reader/any-pointer';
import type { StructList } from '../reader/list-reader';
import { type MessageReader, readMessage } from '../reader/message-reader';
import * as rpc from '../schemas/rpc.capnp';
import { type CallResult, type CapHook, type Deferred, deferred } from './cap-hook';
import { Capability, capabilityContent, contentOf, releaseCapTable } from './capability';
import { IdTable } from './id-table';
import { BrokenHook, failedResult, hookAt, pendingResult } from './local-hooks';
import { type CallTarget, ImportHook, PipelineHook, type RemoteSide } from './remote-hooks';
import { RpcError, asRpcError, errorFromException, writeException } from './rpc-error';
import type { RpcTransport } from './transport';

export interface RpcConnectionOptions {
  /**
   * What the peer gets when it asks for this side's bootstrap interface. The connection keeps its own
   * reference (released when the connection ends); the caller keeps theirs.
   */
  bootstrap?: Capability;
  /** Limits for reading the peer's messages (traversal and nesting limits). */
  readerOptions?: ReaderOptions;
}

/** Sizes of the four tables (and pending embargoes): for tests, monitoring and leak hunting. */
export interface RpcTableSizes {
  questions: number;
  answers: number;
  imports: number;
  exports: number;
  embargoes: number;
}

interface Question {
  id: number;
  result: Deferred<AnyPointerReader>;
  /** Exports for the capabilities sent in the params, given back if the Return says they are released. */
  paramExports: number[];
  /** Pipelined capabilities handed out so far, by pointer path. */
  pipelines: Map<string, PipelineHook>;
  returned: boolean;
}

interface Answer {
  id: number;
  result: CallResult;
  returned: boolean;
  finished: boolean;
  /** Exports made for the capabilities in the results (given back if the Finish releases them). */
  resultExports: number[];
  /** The results, kept for calls pipelined on the answer until the peer's Finish. */
  content: AnyPointerReader | null;
  /**
   * Set for a call whose results the peer wants kept here (`sendResultsTo.yourself`): a call of ours the
   * peer forwards back to us as a tail call, as the reference implementation does with any call it gets
   * for a capability we host. The Return then says `resultsSentElsewhere` (the reference implementation
   * aborts the connection on any other kind), and the peer's Return to our question says
   * `takeFromOtherQuestion`: `taker` is that question's wait for these results, `error` the call's failure.
   */
  redirect: { taker: Deferred<AnyPointerReader> | null; error: RpcError | null } | null;
}

interface Export {
  hook: CapHook;
  refs: number;
}

const MessageWhich = rpc.Message.Which;

export class RpcConnection {
  private readonly questions = new IdTable<Question>();
  private readonly answers = new Map<number, Answer>();
  private readonly imports = new Map<number, ImportHook>();
  private readonly exports = new IdTable<Export>();
  private readonly exportIds = new Map<CapHook, number>();
  private readonly embargoes = new IdTable<() => void>();
  private readonly bootstrapCap: Capability | null;
  private readonly readerOptions: ReaderOptions | undefined;
  private readonly side: RemoteSide;
  private error: RpcError | null = null;
  private readonly ended = deferred<RpcError>();

  constructor(
    private readonly transport: RpcTransport,
    options: RpcConnectionOptions = {},
  ) {
    this.bootstrapCap = options.bootstrap?.dup() ?? null;
    this.readerOptions = options.readerOptions;
    this.side = {
      sendCall: (target, interfaceId, methodId, params) =>
        this.sendCall(target, interfaceId, methodId, params),
      disembargo: (target, lifted) => this.sendDisembargo(target, lifted),
      isRemote: (hook) => this.owns(hook),
      importReleased: (hook) => this.importReleased(hook),
    };
    transport.start(
      (message) => this.receive(message),
      (error) =>
        this.shutdown(
          new RpcError(
            'disconnected',
            error === undefined ? 'the connection was closed' : `the connection failed: ${error.message}`,
          ),
        ),
    );
  }

  /** The peer's bootstrap capability (a promise until the peer answers; calls on it are pipelined). */
  bootstrap(): Capability {
    if (this.error !== null) return new Capability(new BrokenHook(this.error));
    const q = this.newQuestion();
    this.send((m) => {
      m.initBootstrap().questionId = q.id;
    });
    const cap = new Capability(this.questionResult(q).pipeline([]));
    // Only the pipelined capability is handed out; the one in the results is not wanted by anyone else.
    // (A failed bootstrap reaches the caller through the pipelined capability: without the rejection
    // handler, the derived promise's rejection went unhandled, which ends a Node.js process.)
    q.result.promise.then(
      (content) => releaseCapTable(content.arena),
      () => {},
    );
    return cap;
  }

  /** Ends the connection: outstanding calls fail as `disconnected`, and the transport is closed. */
  close(): void {
    this.shutdown(new RpcError('disconnected', 'the connection was closed'));
  }

  /** Settles with the reason once the connection has ended, however it ended. */
  get closed(): Promise<RpcError> {
    return this.ended.promise;
  }

  get tableSizes(): RpcTableSizes {
    return {
      questions: this.questions.size,
      answers: this.answers.size,
      imports: this.imports.size,
      exports: this.exports.size,
      embargoes: this.embargoes.size,
    };
  }

  // Receiving.

  private receive(bytes: Uint8Array): void {
    if (this.error !== null) return;
    try {
      const reader = readMessage(bytes, this.readerOptions);
      this.dispatch(reader, reader.getRoot(rpc.Message));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.abort(e instanceof RpcError ? e : new RpcError('failed', `bad message from the peer: ${reason}`));
    }
  }

  private dispatch(reader: MessageReader, message: rpc.Message): void {
    switch (message.which()) {
      case MessageWhich.unimplemented:
        this.onUnimplemented(message.unimplemented);
        return;
      case MessageWhich.abort: {
        const e = errorFromException(message.abort);
        this.shutdown(new RpcError('disconnected', `the peer aborted the connection: ${e.message}`));
        return;
      }
      case MessageWhich.bootstrap:
        this.onBootstrap(message.bootstrap);
        return;
      case MessageWhich.call:
        this.onCall(reader, message.call);
        return;
      case MessageWhich.return:
        this.onReturn(reader, message.return);
        return;
      case MessageWhich.finish:
        this.onFinish(message.finish);
        return;
      case MessageWhich.resolve:
        this.onResolve(reader, message.resolve);
        return;
      case MessageWhich.release:
        this.onRelease(message.release);
        return;
      case MessageWhich.disembargo:
        this.onDisembargo(message);
        return;
      default:
        // Levels 2 to 4 (persistence, three-party handoff, join), and kinds newer than this side.
        this.send((m) => {
          m.unimplemented = message;
        });
    }
  }

  private onBootstrap(b: rpc.Bootstrap): void {
    const result =
      this.bootstrapCap === null
        ? failedResult(new RpcError('failed', 'this vat offers no bootstrap interface'))
        : pendingResult(Promise.resolve(capabilityContent(this.bootstrapCap.dup())));
    this.newAnswer(b.questionId, result);
  }

  private onCall(reader: MessageReader, call: rpc.Call): void {
    const id = call.questionId;
    if (this.answers.has(id)) throw protocolError(`question id ${id} is already in use`);
    const payload = call.params;
    reader.capTable = this.readCapTable(payload.capTable);
    const params = payload.content;
    const sendTo = call.sendResultsTo.which();
    // `yourself`: a tail call (see Answer.redirect).
    const redirect = sendTo === rpc.Call_sendResultsTo.Which.yourself;
    if (sendTo !== rpc.Call_sendResultsTo.Which.caller && !redirect) {
      releaseCapTable(reader);
      this.newAnswer(
        id,
        failedResult(new RpcError('unimplemented', 'results can only be sent to the caller')),
      );
      return;
    }
    const target = this.targetHook(call.target).addRef();
    try {
      this.newAnswer(id, target.call(call.interfaceId, call.methodId, params), redirect);
    } finally {
      target.release();
    }
  }

  private onReturn(reader: MessageReader, ret: rpc.Return): void {
    const q = this.questions.get(ret.answerId);
    if (q === undefined || q.returned)
      throw protocolError(`a Return for question ${ret.answerId}, which is not awaiting one`);
    q.returned = true;
    let settle: (ops: readonly number[]) => CapHook;
    const which = ret.which();
    if (which === rpc.Return.Which.results) {
      const payload = ret.results;
      reader.capTable = this.readCapTable(payload.capTable);
      const content = payload.content;
      q.result.resolve(content);
      settle = (ops) => hookAt(content, ops);
    } else if (which === rpc.Return.Which.takeFromOtherQuestion) {
      // The peer forwarded our call back to us as a tail call (a Call with `sendResultsTo.yourself`,
      // sent before this Return): its results, here, are this question's.
      const taken = this.takeAnswer(ret.takeFromOtherQuestion);
      taken.then(q.result.resolve, q.result.reject);
      const local = pendingResult(taken);
      settle = (ops) => local.pipeline(ops);
    } else {
      const error =
        which === rpc.Return.Which.exception
          ? errorFromException(ret.exception)
          : which === rpc.Return.Which.canceled
            ? new RpcError('failed', 'the call was canceled')
            : new RpcError('unimplemented', `a Return of kind ${which}, which this vat does not ask for`);
      q.result.reject(error);
      settle = () => new BrokenHook(error);
    }
    // Before the Finish: a Disembargo sent while settling must reach the answer while it still exists.
    settlePipelines(q, settle);
    // Only now: the results may name one of the params' capabilities (receiverHosted).
    if (ret.releaseParamCaps) this.releaseExports(q.paramExports);
    this.send((m) => {
      const f = m.initFinish();
      f.questionId = q.id;
      // Imports made from the results are released one by one, with Release.
      f.releaseResultCaps = false;
    });
    this.questions.delete(q.id);
  }

  private onFinish(f: rpc.Finish): void {
    const answer = this.answers.get(f.questionId);
    if (answer === undefined || answer.finished)
      throw protocolError(`a Finish for unknown question ${f.questionId}`);
    answer.finished = true;
    if (!answer.returned) return; // Answered with `canceled` when the call completes.
    if (f.releaseResultCaps) this.releaseExports(answer.resultExports);
    this.dropAnswer(answer);
  }

  private onResolve(reader: MessageReader, r: rpc.Resolve): void {
    const imp = this.imports.get(r.promiseId);
    let resolution: CapHook;
    let held: Capability | null = null;
    if (r.which() === rpc.Resolve.Which.cap) {
      held = this.readCapDescriptor(r.cap);
      reader.capTable = held === null ? [] : [held];
      resolution =
        held === null
          ? new BrokenHook(new RpcError('failed', 'the promise resolved to a null capability'))
          : Capability.hookOf(held);
    } else {
      resolution = new BrokenHook(errorFromException(r.exception));
    }
    // For a promise released before its Resolve arrived, the resolution is not wanted (and is released).
    if (imp?.isPromise && !imp.settled) {
      imp.settle(resolution);
      // The promise is not needed once settled: give the peer its export back now.
      this.importReleased(imp);
    }
    held?.release();
  }

  private onRelease(r: rpc.Release): void {
    const e = this.exports.get(r.id);
    if (e === undefined || r.referenceCount > e.refs) {
      throw protocolError(
        `Release of ${r.referenceCount} reference(s) to export ${r.id}, which has ${e?.refs ?? 0}`,
      );
    }
    e.refs -= r.referenceCount;
    if (e.refs === 0) this.dropExport(r.id, e);
  }

  private onDisembargo(message: rpc.Message): void {
    const d = message.disembargo;
    const context = d.context;
    switch (context.which()) {
      case rpc.Disembargo_context.Which.senderLoopback: {
        // The peer's promise resolved to a capability of its own that we hold: send the Disembargo back
        // along the same path, after every call we forwarded there (forwarding is immediate, so it is).
        const hook = this.targetHook(d.target).resolved();
        if (!(hook instanceof ImportHook || hook instanceof PipelineHook) || !this.owns(hook)) {
          throw protocolError('a Disembargo (senderLoopback) whose target does not point back to the peer');
        }
        const embargoId = context.senderLoopback;
        const target: CallTarget =
          hook instanceof ImportHook
            ? { importId: hook.importId }
            : { questionId: hook.questionId, ops: hook.ops };
        this.send((m) => {
          const out = m.initDisembargo();
          writeTarget(out.initTarget(), target);
          out.context.receiverLoopback = embargoId;
        });
        return;
      }
      case rpc.Disembargo_context.Which.receiverLoopback: {
        const id = context.receiverLoopback;
        const lift = this.embargoes.get(id);
        if (lift === undefined) throw protocolError(`a Disembargo for unknown embargo ${id}`);
        this.embargoes.delete(id);
        lift();
        return;
      }
      default:
        this.send((m) => {
          m.unimplemented = message;
        });
    }
  }

  /** The peer did not understand a message of ours. */
  private onUnimplemented(m: rpc.Message): void {
    const which = m.which();
    const id =
      which === MessageWhich.call
        ? m.call.questionId
        : which === MessageWhich.bootstrap
          ? m.bootstrap.questionId
          : -1;
    const q = id < 0 ? undefined : this.questions.get(id);
    if (q === undefined || q.returned) return;
    // The peer never made an answer for it, so the question ends without a Finish.
    const error = new RpcError('unimplemented', 'the peer does not implement this request');
    this.releaseExports(q.paramExports);
    failQuestion(q, error);
    this.questions.delete(id);
  }

  // Answers.

  private newAnswer(id: number, result: CallResult, redirect = false): void {
    if (this.answers.has(id)) throw protocolError(`question id ${id} is already in use`);
    const answer: Answer = {
      id,
      result,
      returned: false,
      finished: false,
      resultExports: [],
      content: null,
      redirect: redirect ? { taker: null, error: null } : null,
    };
    this.answers.set(id, answer);
    result.response.then(
      (content) => this.sendReturn(answer, content),
      (e: unknown) => this.sendReturnError(answer, asRpcError(e)),
    );
  }

  private sendReturn(answer: Answer, content: AnyPointerReader): void {
    if (answer.redirect !== null) {
      answer.returned = true;
      answer.content = content;
      answer.redirect.taker?.resolve(copyContent(content));
      answer.redirect.taker = null;
      this.sendResultsSentElsewhere(answer);
      return;
    }
    if (this.error !== null) {
      releaseCapTable(content.arena);
      return;
    }
    answer.returned = true;
    answer.content = content;
    if (answer.finished) {
      this.send((m) => {
        const r = m.initReturn();
        r.answerId = answer.id;
        r.releaseParamCaps = false;
        r.setCanceled();
      });
      this.dropAnswer(answer);
      return;
    }
    try {
      this.send((m, message) => {
        const r = m.initReturn();
        r.answerId = answer.id;
        // Capabilities in the params were released one by one, with Release.
        r.releaseParamCaps = false;
        const payload = r.initResults();
        payload.setAnyPointer(0, content);
        answer.resultExports = this.writeCapTable(payload, message.capTable);
      });
    } catch (e) {
      // The results could not be copied (from a malformed forwarded message, say): the call fails.
      this.releaseExports(answer.resultExports);
      answer.resultExports = [];
      answer.returned = false;
      this.sendReturnError(answer, asRpcError(e));
    }
  }

  private sendReturnError(answer: Answer, error: RpcError): void {
    if (answer.redirect !== null) {
      answer.returned = true;
      answer.redirect.error = error;
      answer.redirect.taker?.reject(error);
      answer.redirect.taker = null;
      this.sendResultsSentElsewhere(answer);
      return;
    }
    if (this.error !== null) return;
    answer.returned = true;
    this.send((m) => {
      const r = m.initReturn();
      r.answerId = answer.id;
      r.releaseParamCaps = false;
      if (answer.finished) r.setCanceled();
      else writeException(r.initException(), error);
    });
    if (answer.finished) this.dropAnswer(answer);
  }

  /** The Return of a call whose results are kept here (see Answer.redirect), once it is done. */
  private sendResultsSentElsewhere(answer: Answer): void {
    if (this.error !== null) {
      if (answer.content !== null) releaseCapTable(answer.content.arena);
      return;
    }
    this.send((m) => {
      const r = m.initReturn();
      r.answerId = answer.id;
      r.releaseParamCaps = false;
      r.setResultsSentElsewhere();
    });
    if (answer.finished) this.dropAnswer(answer);
  }

  /**
   * The results of the peer's call `id` to us, made with `sendResultsTo.yourself`, for the question whose
   * Return says `takeFromOtherQuestion`. The question gets a copy with its own references to the
   * capabilities: the answer keeps its own for calls pipelined on it until the peer's Finish.
   */
  private takeAnswer(id: number): Promise<AnyPointerReader> {
    const answer = this.answers.get(id);
    const redirect = answer?.redirect ?? null;
    if (answer === undefined || redirect === null || redirect.taker !== null) {
      throw protocolError(`a Return takes the results of answer ${id}, which does not hold results to take`);
    }
    const taker = deferred<AnyPointerReader>();
    if (!answer.returned) redirect.taker = taker;
    else if (answer.content !== null) taker.resolve(copyContent(answer.content));
    else taker.reject(redirect.error ?? new RpcError('failed', 'the call failed'));
    return taker.promise;
  }

  private dropAnswer(answer: Answer): void {
    this.answers.delete(answer.id);
    if (answer.content !== null) releaseCapTable(answer.content.arena);
  }

  /** The hook a Call or Disembargo is addressed to. */
  private targetHook(target: rpc.MessageTarget): CapHook {
    if (target.which() === rpc.MessageTarget.Which.importedCap) {
      const e = this.exports.get(target.importedCap);
      if (e === undefined)
        throw protocolError(`a message to export ${target.importedCap}, which does not exist`);
      return e.hook;
    }
    if (target.which() !== rpc.MessageTarget.Which.promisedAnswer) {
      throw protocolError(`a message target of unknown kind ${target.which()}`);
    }
    const pa = target.promisedAnswer;
    const answer = this.answers.get(pa.questionId);
    if (answer === undefined)
      throw protocolError(`a message to answer ${pa.questionId}, which does not exist`);
    return this.answerHook(answer, readOps(pa));
  }

  private answerHook(answer: Answer, ops: readonly number[]): CapHook {
    return answer.content !== null ? hookAt(answer.content, ops) : answer.result.pipeline(ops);
  }

  // Questions.

  private newQuestion(): Question {
    const q: Question = {
      id: -1,
      result: deferred(),
      paramExports: [],
      pipelines: new Map(),
      returned: false,
    };
    q.id = this.questions.add(q);
    return q;
  }

  private questionResult(q: Question): CallResult {
    return {
      response: q.result.promise,
      pipeline: (ops) => {
        if (q.returned || this.error !== null) return pendingResult(q.result.promise).pipeline(ops);
        const key = ops.join('.');
        let hook = q.pipelines.get(key);
        if (hook === undefined) {
          hook = new PipelineHook(this.side, q.id, ops).addRef();
          q.pipelines.set(key, hook);
        }
        return hook;
      },
    };
  }

  private sendCall(
    target: CallTarget,
    interfaceId: bigint,
    methodId: number,
    params: AnyPointerReader,
  ): CallResult {
    if (this.error !== null) {
      releaseCapTable(params.arena);
      return failedResult(this.error);
    }
    const q = this.newQuestion();
    try {
      this.send((m, message) => {
        const call = m.initCall();
        call.questionId = q.id;
        call.interfaceId = interfaceId;
        call.methodId = methodId;
        writeTarget(call.initTarget(), target);
        const payload = call.initParams();
        payload.setAnyPointer(0, params);
        q.paramExports = this.writeCapTable(payload, message.capTable);
      });
    } catch (e) {
      this.releaseExports(q.paramExports);
      this.questions.delete(q.id);
      releaseCapTable(params.arena);
      return failedResult(asRpcError(e));
    }
    // The exports hold their own references now.
    releaseCapTable(params.arena);
    return this.questionResult(q);
  }

  private sendDisembargo(target: CallTarget, lifted: () => void): void {
    if (this.error !== null) {
      lifted();
      return;
    }
    const id = this.embargoes.add(lifted);
    this.send((m) => {
      const d = m.initDisembargo();
      writeTarget(d.initTarget(), target);
      d.context.senderLoopback = id;
    });
  }

  // Capability tables.

  /** Capabilities of a received payload, as handles (owned by whoever gets the message). */
  private readCapTable(list: StructList<rpc.CapDescriptor>): unknown[] {
    const caps: unknown[] = [];
    for (let i = 0; i < list.length; i++) caps.push(this.readCapDescriptor(list.get(i)));
    return caps;
  }

  private readCapDescriptor(d: rpc.CapDescriptor): Capability | null {
    const W = rpc.CapDescriptor.Which;
    switch (d.which()) {
      case W.none:
        return null;
      case W.senderHosted:
        return this.importCapability(d.senderHosted, false);
      case W.senderPromise:
        return this.importCapability(d.senderPromise, true);
      case W.receiverHosted: {
        const e = this.exports.get(d.receiverHosted);
        if (e === undefined)
          throw protocolError(`a capability naming export ${d.receiverHosted}, which does not exist`);
        return new Capability(e.hook);
      }
      case W.receiverAnswer: {
        const pa = d.receiverAnswer;
        const answer = this.answers.get(pa.questionId);
        if (answer === undefined)
          throw protocolError(`a capability naming answer ${pa.questionId}, which does not exist`);
        return new Capability(this.answerHook(answer, readOps(pa)));
      }
      case W.thirdPartyHosted:
        // Without three-party handoff, the vine (an export of the sender) stands for the capability.
        return this.importCapability(d.thirdPartyHosted.vineId, false);
      default:
        throw protocolError(`a capability descriptor of unknown kind ${d.which()}`);
    }
  }

  private importCapability(id: number, isPromise: boolean): Capability {
    let imp = this.imports.get(id);
    if (imp === undefined) {
      imp = new ImportHook(this.side, id, isPromise);
      this.imports.set(id, imp);
    }
    imp.remoteRefs++;
    return new Capability(imp);
  }

  /** Describes the capabilities of an outgoing payload; returns the exports it made (one reference each). */
  private writeCapTable(payload: rpc.PayloadBuilder, caps: readonly unknown[]): number[] {
    const exported: number[] = [];
    const list = payload.initCapTable(caps.length);
    caps.forEach((cap, i) => {
      const d = list.get(i);
      if (!(cap instanceof Capability)) {
        d.setNone();
        return;
      }
      const hook = cap.released
        ? new BrokenHook(new RpcError('failed', 'a released capability was sent'))
        : Capability.hookOf(cap).resolved();
      if (hook instanceof ImportHook && this.owns(hook) && !hook.releasedRemotely) {
        d.receiverHosted = hook.importId;
      } else if (
        hook instanceof PipelineHook &&
        this.owns(hook) &&
        this.questions.get(hook.questionId)?.returned === false
      ) {
        const pa = d.initReceiverAnswer();
        pa.questionId = hook.questionId;
        writeOps(pa, hook.ops);
      } else {
        const id = this.exportHook(hook);
        exported.push(id);
        d.senderHosted = id;
      }
    });
    return exported;
  }

  private exportHook(hook: CapHook): number {
    const known = this.exportIds.get(hook);
    if (known !== undefined) {
      (this.exports.get(known) as Export).refs++;
      return known;
    }
    const id = this.exports.add({ hook: hook.addRef(), refs: 1 });
    this.exportIds.set(hook, id);
    return id;
  }

  private releaseExports(ids: readonly number[]): void {
    for (const id of ids) {
      const e = this.exports.get(id);
      if (e !== undefined && --e.refs === 0) this.dropExport(id, e);
    }
  }

  private dropExport(id: number, e: Export): void {
    this.exports.delete(id);
    this.exportIds.delete(e.hook);
    e.hook.release();
  }

  private importReleased(imp: ImportHook): void {
    if (imp.releasedRemotely) return;
    imp.releasedRemotely = true;
    if (this.imports.get(imp.importId) === imp) this.imports.delete(imp.importId);
    if (this.error !== null) return;
    this.send((m) => {
      const r = m.initRelease();
      r.id = imp.importId;
      r.referenceCount = imp.remoteRefs;
    });
  }

  private owns(hook: CapHook): boolean {
    return (hook instanceof ImportHook || hook instanceof PipelineHook) && hook.side === this.side;
  }

  // Sending, and the end.

  private send(fill: (m: rpc.MessageBuilder, message: MessageBuilder) => void): void {
    if (this.error !== null) return;
    const message = new MessageBuilder();
    fill(message.initRoot(rpc.MessageBuilder), message);
    this.transport.send(message.toBytes());
  }

  private abort(error: RpcError): void {
    if (this.error !== null) return;
    try {
      this.send((m) => writeException(m.initAbort(), error));
    } catch {
      // The connection ends either way.
    }
    this.shutdown(error);
  }

  private shutdown(reason: RpcError): void {
    if (this.error !== null) return;
    const error = reason.type === 'disconnected' ? reason : new RpcError('disconnected', reason.reason);
    this.error = error;
    for (const q of this.questions.values()) failQuestion(q, error);
    this.questions.clear();
    for (const imp of this.imports.values()) {
      imp.releasedRemotely = true;
      imp.settle(new BrokenHook(error));
    }
    this.imports.clear();
    const exports = [...this.exports.values()];
    this.exports.clear();
    this.exportIds.clear();
    for (const e of exports) e.hook.release();
    for (const answer of this.answers.values())
      if (answer.content !== null) releaseCapTable(answer.content.arena);
    this.answers.clear();
    const lifts = [...this.embargoes.values()];
    this.embargoes.clear();
    for (const lift of lifts) lift();
    this.bootstrapCap?.release();
    this.transport.close();
    this.ended.resolve(error);
  }
}

/** A copy of `content` holding its own references to the capabilities in it. */
function copyContent(content: AnyPointerReader): AnyPointerReader {
  const message = new MessageBuilder();
  copyAnyPointer(message, message.rootSegment, 0, content);
  message.capTable = message.capTable.map((cap) =>
    cap instanceof Capability && !cap.released ? cap.dup() : null,
  );
  return contentOf(message);
}

/** Settles the capabilities pipelined on question `q` (the hook at each path is `settle(path)`). */
function settlePipelines(q: Question, settle: (ops: readonly number[]) => CapHook): void {
  for (const hook of q.pipelines.values()) {
    hook.settle(settle(hook.ops));
    hook.release();
  }
  q.pipelines.clear();
}

/** Ends question `q` without an answer: the call and its pipelined capabilities fail with `error`. */
function failQuestion(q: Question, error: RpcError): void {
  q.returned = true;
  q.result.reject(error);
  const broken = new BrokenHook(error);
  settlePipelines(q, () => broken);
}

function protocolError(what: string): RpcError {
  return new RpcError('failed', `protocol error: ${what}`);
}

function readOps(pa: rpc.PromisedAnswer): number[] {
  const ops: number[] = [];
  const transform = pa.transform;
  for (let i = 0; i < transform.length; i++) {
    const op = transform.get(i);
    const which = op.which();
    if (which === rpc.PromisedAnswer_Op.Which.getPointerField) ops.push(op.getPointerField);
    else if (which !== rpc.PromisedAnswer_Op.Which.noop)
      throw protocolError(`a transform op of unknown kind ${which}`);
  }
  return ops;
}

function writeOps(pa: rpc.PromisedAnswerBuilder, ops: readonly number[]): void {
  const transform = pa.initTransform(ops.length);
  ops.forEach((field, i) => {
    transform.get(i).getPointerField = field;
  });
}

function writeTarget(t: rpc.MessageTargetBuilder, target: CallTarget): void {
  if ('importId' in target) {
    t.importedCap = target.importId;
  } else {
    const pa = t.initPromisedAnswer();
    pa.questionId = target.questionId;
    writeOps(pa, target.ops);
  }
}
