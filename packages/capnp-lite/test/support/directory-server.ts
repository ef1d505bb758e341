// The Directory, Counter and Callback objects of test/schemas/rpc-test.capnp, served in this vat: the
// objects the RPC tests call in memory and over a socket (the reference implementation serves the same).
import { type Capability, RpcError, serve } from '../../src/index';
import { Callback, Counter, Directory } from '../schemas/rpc-test.capnp.js';

export interface DirectoryState {
  /** Counter objects alive (served and not yet released everywhere). */
  liveCounters: number;
  /** Calls delivered, in order, as "method(args)". */
  log: string[];
}

export function counter(state: DirectoryState, name: string, start = 0): Capability {
  let value = start;
  state.liveCounters++;
  return serve(
    Counter,
    {
      increment(params, results) {
        value += params.by;
        state.log.push(`${name}.increment(${params.by})`);
        results.value = value;
      },
      get(_params, results) {
        state.log.push(`${name}.get()`);
        results.value = value;
      },
    },
    { onRelease: () => state.liveCounters-- },
  );
}

export function directory(state: DirectoryState = { liveCounters: 0, log: [] }): Capability {
  const counters = new Map<string, Capability>();
  return serve(
    Directory,
    {
      open(params, results) {
        const name = params.name;
        state.log.push(`open(${name})`);
        let c = counters.get(name);
        if (c === undefined) {
          c = counter(state, name);
          counters.set(name, c);
        }
        results.counter = c.dup();
      },
      echo(params, results) {
        state.log.push('echo');
        results.cap = params.cap?.dup() ?? null;
      },
      fail(params) {
        state.log.push(`fail(${params.reason})`);
        throw new RpcError('failed', params.reason);
      },
      async callBack(params, results) {
        state.log.push(`callBack(${params.value})`);
        const callback = params.callback;
        if (callback === null) throw new RpcError('failed', 'no callback');
        const r = await callback.call(Callback, 'call', (p) => {
          p.value = params.value;
        }).response;
        results.result = r.result;
      },
      async nested(params, results) {
        state.log.push(`nested(${params.name})`);
        const inner = results.initInner();
        inner.label = params.name;
        inner.counter = counter(state, params.name, 100);
      },
      async bump(params, results) {
        const c = params.counter;
        if (c === null) throw new RpcError('failed', 'no counter');
        const r = await c.call(Counter, 'increment', (p) => {
          p.by = params.by;
        }).response;
        results.value = r.value;
      },
    },
    {
      onRelease: () => {
        for (const c of counters.values()) c.release();
      },
    },
  );
}
